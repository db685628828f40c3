"""The monthly review of the PIPA 접속기록: who saw full numbers, every export, the chain's head."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.access_log import access_log_review


def _month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise CommandError(f"--month는 YYYY-MM 형식이어야 합니다: {text!r}") from exc


class Command(BaseCommand):
    help = (
        "한 달 치 개인정보 접속기록 점검표를 출력합니다: 사용자별 조회·출력·다운로드 건수, "
        "모든 출력·다운로드와 그 사유, 사유 없는 조회, 해시 체인 확인 결과와 마지막 해시. "
        "기본은 지난달입니다."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (기본: 지난달)")

    def handle(self, *args: Any, month: str | None = None, **options: Any) -> None:
        if month:
            first = _month(month)
        else:
            first = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
        review = access_log_review(month=first)
        out = self.stdout.write
        out(f"개인정보 접속기록 점검 {review.month:%Y-%m}: {review.total}건")
        out("사용자별 (조회 / 출력 / 다운로드):")
        for row in review.by_user:
            out(f"  {row.username}: {row.views} / {row.prints} / {row.downloads}")
        out(f"출력·다운로드 {len(review.exports)}건:")
        for r in review.exports:
            out(
                f"  #{r.seq} {timezone.localtime(r.at):%Y-%m-%d %H:%M} {r.user.get_username()} "
                f"{r.get_action_display()} 근로자#{r.employee_id} 사유: {r.reason or '(없음)'}"
            )
        out(f"사유 없는 조회 {len(review.unexplained)}건:")
        for r in review.unexplained:
            out(
                f"  #{r.seq} {timezone.localtime(r.at):%Y-%m-%d %H:%M} {r.user.get_username()} "
                f"근로자#{r.employee_id}"
            )
        chain = review.chain
        if chain.intact:
            out(f"해시 체인: {chain.checked}건 이상 없음. 마지막 해시(점검표에 기록): {chain.head}")
        else:
            raise CommandError(f"해시 체인 이상: 순번 {chain.broken_at}: {chain.problem}")
