"""PDF readers (pypdf, no poppler): tests read what a person would read in the PDF."""

from datetime import date
from io import BytesIO
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

ALL_AGENCIES = ("pension", "health", "employment", "industrial_accident")


def pdf_text(pdf: bytes) -> str:
    """The text of every page, pages separated by a form feed (as pdftotext does)."""
    reader = PdfReader(BytesIO(pdf))
    return "\f".join(page.extract_text() or "" for page in reader.pages)


def _font_names(resources: Any, seen: set[int]) -> set[str]:
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject) or id(resources) in seen:
        return set()
    seen.add(id(resources))
    names = set()
    for font in (resources.get("/Font") or DictionaryObject()).get_object().values():
        base = str(font.get_object().get("/BaseFont", "")).lstrip("/")
        # Embedded subsets are named like ABCDEF+CertGothic-Bold.
        names.add(base.split("+", 1)[-1])
    for xobject in (resources.get("/XObject") or DictionaryObject()).get_object().values():
        names |= _font_names(xobject.get_object().get("/Resources"), seen)
    return names


def pdf_font_names(pdf: bytes) -> set[str]:
    """Names of the fonts the pages use, without the subset tag."""
    seen: set[int] = set()
    names: set[str] = set()
    for page in PdfReader(BytesIO(pdf)).pages:
        names |= _font_names(page.get("/Resources"), seen)
    return names


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
