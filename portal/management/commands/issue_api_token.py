"""Issue an API key for payroll software from the shell; the key is printed once, never stored."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.access import Action, workplaces_for
from portal.services import api_key_issue


class Command(BaseCommand):
    help = "사용자의 API 키를 새로 발급해 한 번만 출력합니다(--workplace로 사업장 범위 제한)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="키 이름(관리 화면에 표시)")
        parser.add_argument(
            "--workplace",
            type=int,
            action="append",
            default=[],
            dest="workplaces",
            metavar="ID",
            help="이 키로 접근할 사업장 ID(여러 번 지정 가능)",
        )

    def handle(self, *args: Any, username: str, name: str, workplaces: list[int], **o: Any) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"활성 사용자 '{username}'이(가) 없습니다.")
        scoped = list(workplaces_for(user, action=Action.VIEW).filter(id__in=workplaces))
        missing = sorted(set(workplaces) - {w.id for w in scoped})
        if missing:
            # A key scoped to a workplace its owner cannot see would silently grant nothing.
            ids = ", ".join(map(str, missing))
            raise CommandError(f"'{username}'이(가) 접근할 수 없는 사업장입니다: {ids}")
        key, raw = api_key_issue(user=user, name=name, workplaces=scoped or None)
        self.stderr.write(
            f"API 키 '{key.name}'({key.prefix}…)를 발급했습니다. 다시 볼 수 없으니 지금 보관하세요."
        )
        self.stdout.write(raw)
