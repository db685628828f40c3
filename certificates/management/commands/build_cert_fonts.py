import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from certificates.fonts import CertificateFontMissing, cert_fonts_ensure


class Command(BaseCommand):
    help = "Build the subset Korean fonts for certificates now, so the first issue is not slow."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="rebuild even if cached")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            fonts = cert_fonts_ensure(rebuild=options["force"])
        except CertificateFontMissing as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        for label, path in (("regular", fonts.subset.regular), ("bold", fonts.subset.bold)):
            self.stdout.write(f"{label}: {path} ({path.stat().st_size // 1024} KiB)")
        self.stdout.write(self.style.SUCCESS(f"certificate fonts ready in {elapsed:.1f} s"))
