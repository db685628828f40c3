"""PDF readers (pypdf, no poppler): tests read what a person would read in the PDF."""

from datetime import date, timedelta
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
    """A filed report whose submissions reached `status` at each agency (test data, not a mock);
    accepted ones change the insured periods as the pipeline does when it records them."""
    from filings.models import Report, ReportStatus, Submission
    from filings.periods import periods_apply_accepted

    data = (
        {"hire_date": event_date.isoformat(), "employment_type": "regular", "monthly_wage": 1}
        if kind == "hire"
        else {"last_working_day": (event_date - timedelta(days=1)).isoformat(), "reason_code": "11"}
    )
    report = Report.objects.create(
        workplace=employee.workplace,
        employee=employee,
        kind=kind,
        event_date=event_date,
        data=data,
        status=ReportStatus.COMPLETED,
    )
    submissions = [
        Submission.objects.create(
            report=report, agency=agency, status=status, receipt_number=f"R{report.pk}-{agency}"
        )
        for agency in agencies
    ]
    if status == "accepted":
        periods_apply_accepted(submissions=submissions)
    return report
