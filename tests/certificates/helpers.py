"""pdftotext/pdffonts wrappers: tests read what a person would read in the PDF."""

import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

ALL_AGENCIES = ("pension", "health", "employment", "industrial_accident")


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: install Debian's poppler-utils"
    return path


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    target = tmp_path / "certificate.pdf"
    target.write_bytes(pdf)
    return subprocess.run(
        [_poppler("pdftotext"), "-enc", "UTF-8", str(target), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def pdf_font_names(pdf: bytes, tmp_path: Path) -> list[str]:
    target = tmp_path / "fonts.pdf"
    target.write_bytes(pdf)
    listing = subprocess.run(
        [_poppler("pdffonts"), str(target)], capture_output=True, text=True, check=True
    ).stdout
    # Skip the two header lines; subset fonts are named like ABCDEF+CertNanum.
    return [line.split()[0].split("+", 1)[-1] for line in listing.splitlines()[2:] if line]


def accepted_report(
    employee: Any,
    kind: str,
    event_date: date,
    agencies: tuple[str, ...] = ALL_AGENCIES,
    status: str = "accepted",
) -> Any:
    """A filed report whose submissions reached `status` at each agency (test data, not a mock)."""
    from filings.models import Report, ReportStatus, Submission

    report = Report.objects.create(
        workplace=employee.workplace,
        employee=employee,
        kind=kind,
        event_date=event_date,
        status=ReportStatus.COMPLETED,
    )
    for agency in agencies:
        Submission.objects.create(
            report=report, agency=agency, status=status, receipt_number=f"R{report.pk}-{agency}"
        )
    return report
