"""Check the PIPA 접속기록's hash chain; exit status 1 names the first broken record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.access_log import access_log_verify


class Command(BaseCommand):
    help = (
        "개인정보 접속기록의 해시 체인을 처음부터 확인합니다. 위·변조나 삭제 흔적이 있으면 "
        "처음 어긋난 순번을 알리고 실패 코드로 끝납니다. 마지막 해시는 월간 점검 기록에 "
        "옮겨 적어 두세요."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        check = access_log_verify()
        if not check.intact:
            raise CommandError(
                f"접속기록 순번 {check.broken_at}: {check.problem} "
                f"(그 앞 {check.checked}건은 이상 없음)"
            )
        self.stdout.write(f"접속기록 {check.checked}건 이상 없음. 마지막 해시: {check.head}")
