"""Run the agency sandbox (the stand-in for the four agencies) in the foreground."""

from __future__ import annotations

import logging
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from agencies.sandbox import serve_forever


class Command(BaseCommand):
    help = "에이전시 샌드박스(4대보험 기관 모의 서버)를 실행합니다."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8700)
        parser.add_argument(
            "--result-delay",
            type=float,
            default=2.0,
            help="seconds between receipt (접수) and decision (처리완료/반려); 0 decides at once",
        )
        parser.add_argument(
            "--state-file",
            default=os.environ.get("SANDBOX_STATE_FILE", ""),
            help="keep the books (who is insured where) in this file across restarts "
            "(default: $SANDBOX_STATE_FILE; none: in memory only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("agencies.sandbox").setLevel(logging.INFO)
        self.stdout.write(f"agency sandbox on http://{options['host']}:{options['port']}")
        serve_forever(
            options["host"],
            options["port"],
            result_delay=options["result_delay"],
            state_file=options["state_file"] or None,
        )
