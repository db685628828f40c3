"""접수증: a PDF per report listing each agency's 접수번호 and when it was received, for the
employer to keep (against a later dispute over a late-filing fine). Built from what the
agencies answered; the person's number appears masked only."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from agencies.registry import agency_codes
from certificates.render import DEFAULT_ISSUER, html_pdf_render
from filings.agency_files import layout_of
from filings.models import AgencyFile, Report, Submission

TEMPLATE = "certificates/report_receipt.html"


def report_receipt_context(*, report: Report) -> dict[str, Any]:
    """Per agency (registry order), the filing and any cancellation with its receipt."""
    order = {code: i for i, code in enumerate(agency_codes())}
    rows = [
        {
            "agency": sub.get_agency_display(),
            "action": sub.get_action_display(),
            "receipt_number": sub.receipt_number,
            "received_at": sub.received_at,
            "status": sub.get_status_display(),
            "deadline": sub.deadline,
            "result": f"{sub.result_code} {sub.result_message}".strip(),
        }
        for sub in sorted(
            Submission.objects.filter(report=report),
            key=lambda s: (order.get(s.agency, len(order)), s.action != Submission.Action.FILE),
        )
    ]
    employee = report.employee
    return {
        "title": "신고 접수증",
        "issuer_name": DEFAULT_ISSUER,
        "issued_at": timezone.now(),
        "report": report,
        "workplace": report.workplace,
        "person": {"name": employee.name, "rrn": employee.rrn_masked} if employee else None,
        "rows": rows,
    }


def report_receipt_pdf(*, report: Report) -> bytes:
    context = report_receipt_context(report=report)
    return html_pdf_render(html=render_to_string(TEMPLATE, context))


BATCH_TEMPLATE = "certificates/agency_file_receipt.html"


def agency_file_receipt_context(*, agency_file: AgencyFile) -> dict[str, Any]:
    """The batch's 접수번호 and, per person, each insurance's current status."""
    order = {code: i for i, code in enumerate(agency_codes())}
    people: dict[int, dict[str, Any]] = {}
    subs = (
        Submission.objects.filter(agency_file_row__agency_file=agency_file)
        .select_related("report__employee")
        .order_by("report_id", "id")
    )
    for sub in sorted(subs, key=lambda s: (s.report_id, order.get(s.agency, len(order)))):
        employee = sub.report.employee
        person = people.setdefault(
            sub.report_id,
            {
                "report_id": sub.report_id,
                "name": employee.name if employee else "",
                "rrn": employee.rrn_masked if employee else "",
                "agencies": [],
            },
        )
        person["agencies"].append(f"{sub.get_agency_display()} {sub.get_status_display()}")
    return {
        "title": "신고 파일 접수증",
        "issuer_name": DEFAULT_ISSUER,
        "issued_at": timezone.now(),
        "agency_file": agency_file,
        "layout": layout_of(agency_file),
        "workplace": agency_file.workplace,
        "people": list(people.values()),
    }


def agency_file_receipt_pdf(*, agency_file: AgencyFile) -> bytes:
    context = agency_file_receipt_context(agency_file=agency_file)
    return html_pdf_render(html=render_to_string(BATCH_TEMPLATE, context))


SEPARATION_TEMPLATE = "certificates/separation.html"


def separation_pdf(*, report: Report) -> bytes:
    """The 이직확인서 as filed, printable (the person masked)."""
    employee = report.employee
    context = {
        "title": "피보험자 이직확인서",
        "issuer_name": DEFAULT_ISSUER,
        "issued_at": timezone.now(),
        "report": report,
        "workplace": report.workplace,
        "person": {"name": employee.name, "rrn": employee.rrn_masked} if employee else None,
        "data": report.data,
        "wage_total": sum(int(m["wages"]) for m in report.data.get("wage_months", [])),
        "day_total": sum(int(m["days"]) for m in report.data.get("wage_months", [])),
    }
    return html_pdf_render(html=render_to_string(SEPARATION_TEMPLATE, context))
