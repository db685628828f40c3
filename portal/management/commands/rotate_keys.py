"""Re-encrypt every resident number under the active key (step 2 of a key rotation)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from portal.crypto import key_ring
from portal.services import employee_rotate_keys


class Command(BaseCommand):
    help = (
        "FIELD_ENCRYPTION_KEYS의 첫 번째(활성) 키로 모든 주민(외국인)등록번호를 다시 암호화합니다. "
        "끝난 뒤 이전 키를 환경에서 지울 수 있습니다."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        count = employee_rotate_keys(batch_size=batch_size)
        self.stdout.write(
            f"주민(외국인)등록번호 {count}건을 활성 키 '{key_ring().active_id}'로 다시 암호화했습니다."
        )
