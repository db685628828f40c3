"""Filing by hand on the `file` channel: what no upload layout carries.

Pay changes, 이직확인서, workplace reports and every cancellation of a workplace that files by
upload file have no bulk layout here: the user files them on the agency's own site (or on
paper) and records what the agency did, per report and agency. The answer goes through
filings.delivery.outcomes_record like every other channel's (periods, status, timeline, alerts).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from agencies.base import Receipt, Result
from filings.agency_files import batched_filing_q
from filings.delivery import Outcome, outcomes_record, result_changes
from filings.models import Report, Submission, SubmissionStatus
from portal.access import Action, can
from portal.errors import FieldErrors, InvalidState
from portal.models import DeliveryChannel
from portal.services import PermissionDeniedError, audit_record

STATUSES = ("received", "accepted", "rejected")
_OPEN = (SubmissionStatus.QUEUED, SubmissionStatus.RECEIVED)


def by_hand_q() -> Q:
    """Submissions the user files by hand: file channel, still open, of no batched kind (and
    so in no upload batch)."""
    return (
        Q(
            report__workplace__delivery_channel=DeliveryChannel.FILE,
            status__in=_OPEN,
            agency_file_row__isnull=True,
        )
        & ~batched_filing_q()
    )


def submissions_by_hand(*, workplace_id: int) -> list[Submission]:
    """What waits for the user at the agencies' own sites, oldest first, with the report."""
    return list(
        Submission.objects.filter(by_hand_q(), report__workplace_id=workplace_id)
        .select_related("report", "report__employee")
        .order_by("report_id", "id")
    )


def report_outcome_record(
    *,
    actor: User,
    report: Report,
    agency: str,
    action: str,
    status: str,
    receipt_number: str,
    message: str = "",
    ip: str | None = None,
) -> Submission:
    """Record what one agency did with a report (or its cancellation) filed by hand."""
    if not can(actor, report.workplace_id, Action.FILE):
        raise PermissionDeniedError
    errors = FieldErrors()
    if status not in STATUSES:
        errors.add("status", "choice", "status는 received, accepted, rejected 중 하나여야 합니다.")
    receipt_number = (receipt_number or "").strip()
    if not receipt_number:
        errors.add("receipt_number", "required", "기관이 준 접수번호를 입력해 주세요.")
    elif len(receipt_number) > 64:
        errors.add("receipt_number", "max_length", "접수번호는 64자 이하여야 합니다.")
    errors.raise_if_any()
    sub = (
        Submission.objects.filter(report=report, agency=agency, action=action)
        .filter(by_hand_q())
        .first()
    )
    if sub is None:
        raise InvalidState(
            "직접 처리 결과를 기록할 수 있는 신고가 아닙니다(신고 방식이 '신고 파일'이고 "
            "아직 결과가 없으며 신고 파일에 들지 않은 신고만)."
        )
    if sub.action == Submission.Action.CANCEL:
        original = Submission.objects.filter(
            report=report, agency=agency, action=Submission.Action.FILE
        ).first()
        if original is not None and original.status in _OPEN:
            raise InvalidState(
                "원 신고의 처리 결과를 먼저 기록해 주세요. 그 뒤에 취소 신고의 결과를 기록할 수 "
                "있습니다."
            )
    answer: Receipt | Result = (
        Receipt(receipt_number=receipt_number, status="received")
        if status == "received"
        else Result(status=status, receipt_number=receipt_number, result_message=message[:500])
    )
    via = "poll" if sub.status == SubmissionStatus.RECEIVED else "file"
    fields, events = result_changes(sub, answer, via=via)
    with transaction.atomic():
        recorded = outcomes_record([Outcome(sub, status, fields, events)], store=_store_open)
        if not recorded:
            raise InvalidState("다른 곳에서 먼저 결과가 기록되었습니다. 화면을 새로 고쳐 주세요.")
        audit_record(
            actor=actor,
            action="submission.outcome_by_hand",
            obj=report,
            workplace=report.workplace,
            ip=ip,
            data={"agency": agency, "action": action, "status": status},
        )
    sub.refresh_from_db()
    return sub


def _store_open(outcomes: list[Outcome]) -> set[int]:
    """The fence: the row is still open and still filed by hand."""
    stored: set[int] = set()
    for o in outcomes:
        rows = Submission.objects.filter(by_hand_q(), pk=o.sub.pk)
        if rows.update(**o.fields):
            stored.add(o.sub.pk)
    return stored


def as_dict(sub: Submission) -> dict[str, Any]:
    return {
        "report_id": sub.report_id,
        "kind": sub.report.kind,
        "agency": sub.agency,
        "action": sub.action,
        "status": sub.status,
        "deadline": sub.deadline.isoformat() if sub.deadline else None,
        "employee_name": sub.report.employee.name if sub.report.employee else None,
    }
