"""Report writers: file, cancel, correct. The only code that creates reports and submissions.

Each writer validates first (nothing is written on bad input), then in ONE transaction writes the
report, its submissions (one bulk INSERT), the timeline and the audit event; the task that sends
them is published after commit (a queued submission is its own outbox row for the sweeper).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.registry import adapter_for, agency_codes
from filings.builders import BUILDERS
from filings.deadlines import deadline_for, has_deadline
from filings.models import (
    AgencyFileRow,
    IdempotencyRecord,
    Report,
    ReportEvent,
    ReportKind,
    ReportStatus,
    Submission,
    SubmissionStatus,
)
from filings.signals import bill_inputs_changed
from filings.status import report_status_refresh
from filings.webhooks import webhook_enqueue_for_submission
from portal.errors import FieldErrors, IdempotencyKeyMismatch, InvalidState
from portal.fingerprint import fingerprint_of
from portal.models import DeliveryChannel, Employee, EmploymentType, Workplace
from portal.outbox import task_publish_after_commit
from portal.services import (
    audit_record,
    constraint_violated,
)

SEND_TASK = "filings.tasks.submission_send"
SEND_MANY_TASK = "filings.tasks.submissions_send"
ACTIVE_EMPLOYEE_CONSTRAINT = "employee_one_active_per_workplace"
MAX_PEOPLE_AT_ONCE = 10_000
ALREADY_EMPLOYED = (
    "이 사업장에 이미 자격취득 신고된 재직자입니다. 정정이 필요하면 기존 신고를 정정해 주세요."
)


def report_file(
    *,
    actor: User,
    workplace: Workplace,
    data: dict[str, Any],
    idempotency_key: str | None = None,
    ip: str | None = None,
    supersedes: Report | None = None,
) -> tuple[Report, bool]:
    """File one report; returns (report, created). A replayed key returns the first report."""
    fingerprint = fingerprint_of(data)
    try:
        return _file_new(
            actor=actor,
            workplace=workplace,
            data=data,
            idempotency_key=idempotency_key or None,
            fingerprint=fingerprint,
            ip=ip,
            supersedes=supersedes,
        ), True
    except (FieldErrors, IntegrityError):
        # The report's (filed_by, key) unique constraint is the backstop behind the HTTP layer's
        # claim (portal.api.idempotency): a replay fails validation (the first filing already hired
        # the person) or hits that constraint, and is answered with the first report.
        if idempotency_key:
            existing = _replayed(actor, idempotency_key, fingerprint)
            if existing is not None:
                return existing, False
        raise


def _file_new(
    *,
    actor: User,
    workplace: Workplace,
    data: dict[str, Any],
    idempotency_key: str | None,
    fingerprint: str,
    ip: str | None,
    supersedes: Report | None,
) -> Report:
    kind = str(data.get("kind") or "")
    if kind not in BUILDERS:
        allowed = ", ".join(k.value for k in ReportKind)
        raise FieldErrors(
            {"kind": [("choice", f"신고 종류(kind)는 {allowed} 중 하나여야 합니다.")]}
        )
    try:
        # A savepoint inside a caller's transaction: a duplicate hire leaves the caller usable.
        with transaction.atomic():
            report, employee = BUILDERS[ReportKind(kind)](
                actor=actor, workplace=workplace, kind=kind, data=data, supersedes=supersedes
            )
            if employee is not None:
                employee.save(force_insert=employee.pk is None)
            if supersedes is not None and employee is not None:
                # The monthly wage a bill reads changed with this filing.
                bill_inputs_changed.send(
                    sender=Report, workplace_ids={workplace.pk}, since=report.event_date
                )
            report.idempotency_key = idempotency_key
            report.request_fingerprint = fingerprint
            _fan_out(report, actor=actor, ip=ip)
    except IntegrityError as exc:
        if constraint_violated(exc) == ACTIVE_EMPLOYEE_CONSTRAINT:
            raise FieldErrors({"employee.rrn": [("already_employed", ALREADY_EMPLOYED)]}) from None
        raise
    return report


def _replayed(actor: User, key: str, fingerprint: str) -> Report | None:
    report = Report.objects.filter(filed_by=actor, idempotency_key=key).first()
    if report is not None and report.request_fingerprint != fingerprint:
        raise IdempotencyKeyMismatch(
            f"이 Idempotency-Key는 다른 내용의 신고 #{report.pk}에 이미 쓰였습니다.", report=report
        )
    return report


def annual_wage_reports_file(
    *,
    actor: User,
    workplace: Workplace,
    year: int,
    people: list[dict[str, Any]],
    ip: str | None = None,
) -> list[Report]:
    """File the reviewed 보수총액 of many people at once: all of them or, on any error, none
    (each error named `people[i].<field>`)."""
    errors = FieldErrors()
    if not isinstance(people, list) or not people:
        errors.add("people", "required", "신고할 사람(people)을 한 명 이상 넣어 주세요.")
    elif len(people) > MAX_PEOPLE_AT_ONCE:
        errors.add("people", "too_many", f"한 번에 최대 {MAX_PEOPLE_AT_ONCE:,}명입니다.")
    errors.raise_if_any()
    reports: list[Report] = []
    with transaction.atomic():
        for i, person in enumerate(people):
            if not isinstance(person, dict):
                errors.add(f"people[{i}]", "object", "사람마다 employee_id와 months를 적어 주세요.")
                continue
            data = {**person, "kind": ReportKind.ANNUAL_WAGE, "year": year}
            try:
                reports.append(report_file(actor=actor, workplace=workplace, data=data, ip=ip)[0])
            except FieldErrors as exc:
                for field, problems in exc.fields.items():
                    for rule, message in problems:
                        errors.add(f"people[{i}].{field}", rule, message)
        # Raised inside the block: one bad person leaves nobody filed.
        errors.raise_if_any()
    return reports


def _covered(report: Report) -> list[str]:
    coverage = report.coverage or {}
    if not coverage:
        return list(agency_codes())
    return [code for code in agency_codes() if adapter_for(code).covers(coverage)]


def _fan_out(report: Report, *, actor: User, ip: str | None) -> list[str]:
    """Insert the report, one submission and timeline entry per covered agency, the outbox row
    that sends them and the audit event (the caller holds the transaction)."""
    agencies = _covered(report)
    if not agencies:
        report.status = ReportStatus.NOT_REQUIRED
    report.save(force_insert=True)
    submissions = []
    for agency in agencies:
        deadline = None
        if has_deadline(agency=agency, kind=report.kind):
            deadline = deadline_for(agency=agency, kind=report.kind, event_date=report.event_date)
        submissions.append(
            Submission(
                report=report,
                agency=agency,
                action=Submission.Action.FILE,
                status=SubmissionStatus.QUEUED,
                deadline=deadline.due_date if deadline else None,
                deadline_rule=deadline.rule[:300] if deadline else "",
            )
        )
    Submission.objects.bulk_create(submissions)
    events = [
        ReportEvent(
            report=report,
            submission=sub,
            agency=sub.agency,
            status=SubmissionStatus.QUEUED,
            message="전송 대기",
        )
        for sub in submissions
    ]
    if not agencies:
        monthly = any((d or {}).get("via") for d in (report.coverage or {}).values())
        events.append(
            ReportEvent(
                report=report,
                status="not_required",
                message=(
                    "이 신고로 보낼 기관이 없습니다. 고용·산재보험은 매월 근로내용확인신고로 "
                    "신고합니다."
                    if monthly
                    else "적용 대상 보험이 없어 신고하지 않습니다."
                ),
            )
        )
    ReportEvent.objects.bulk_create(events)
    if submissions and report.workplace.delivery_channel != DeliveryChannel.FILE:
        # One task for the report's fresh submissions. The queued rows are their own outbox:
        # if this publish is lost, filings.delivery.submissions_due finds them. A workplace
        # that files by upload file sends nothing: filings.agency_files gathers its rows.
        task_publish_after_commit(task=SEND_MANY_TASK, args=[[sub.pk for sub in submissions]])
    audit_record(
        actor=actor,
        action=f"report.file.{report.kind}",
        obj=report,
        workplace=report.workplace,
        ip=ip,
        data={"agencies": agencies},
    )
    # The API answers with exactly these rows as committed (see report_as_dict), without reading
    # them back. A plain attribute, not the prefetch cache: later reads of report.submissions
    # still go to the database.
    report.filed_submissions = submissions  # type: ignore[attr-defined]  # read by filings.api
    return agencies


PERSON_KINDS = (ReportKind.HIRE, ReportKind.EXIT, ReportKind.PAY_CHANGE)
_CANCEL_WAITING = {
    ReportKind.HIRE: "취득 취소 신고 대기",
    ReportKind.EXIT: "상실 취소 신고 대기",
    ReportKind.PAY_CHANGE: "보수 변경 취소 신고 대기",
}


def report_withdrawn(report: Report) -> bool:
    """A cancellation or a correction was already asked for (whatever the agencies said)."""
    return report.cancelled_at is not None or report.corrected_at is not None


def _reached(subs: list[Submission]) -> list[Submission]:
    """The rows an agency has or may have: each needs the agency's own cancellation. A queued
    row in an upload file already downloaded may have been uploaded: it counts as reached."""
    downloaded = set(
        AgencyFileRow.objects.filter(
            submission__in=[s.pk for s in subs if s.status == SubmissionStatus.QUEUED],
            agency_file__downloaded_at__isnull=False,
        ).values_list("submission_id", flat=True)
    )
    return [
        s
        for s in subs
        if s.status
        in (SubmissionStatus.SENDING, SubmissionStatus.RECEIVED, SubmissionStatus.ACCEPTED)
        or (s.status == SubmissionStatus.QUEUED and (s.uncertain or s.pk in downloaded))
    ]


def report_cancel(*, actor: User, report: Report, ip: str | None = None) -> Report:
    """Cancel a report: queued sends stop; every agency that has it gets its own cancellation
    (취득취소, 상실취소 or a 취소 request); what they accept is undone in the periods."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report_withdrawn(report):
            raise InvalidState("이미 취소 또는 정정을 신청한 신고입니다.")
        subs = list(report.submissions.select_for_update().filter(action=Submission.Action.FILE))
        reached = _reached(subs)
        if reached and report.kind not in PERSON_KINDS:
            raise InvalidState(
                "기관에 이미 접수된 사업장 신고는 취소할 수 없습니다. 변경 신고를 이용해 주세요."
                if report.kind.startswith("workplace_")
                else "기관에 이미 접수된 이 신고는 취소할 수 없습니다. 정정 신고를 이용해 주세요."
            )
        _cancel_locked(report=report, subs=subs, reached=reached)
        Report.objects.filter(pk=report.pk).update(cancelled_at=timezone.now())
        added = bool(report.data.get("employee_id"))  # an acquisition for someone already here
        if report.kind == ReportKind.HIRE and report.employee_id and not reached and not added:
            # No agency ever had the acquisition: the person no longer counts as employed here.
            # Where an agency had it, its accepted cancellation decides (filings.periods).
            Employee.objects.filter(pk=report.employee_id).update(loss_date=report.event_date)
        audit_record(
            actor=actor, action="report.cancel", obj=report, workplace=report.workplace, ip=ip
        )
    report_status_refresh(report_id=report.pk)
    report.refresh_from_db()
    return report


def _cancel_locked(*, report: Report, subs: list[Submission], reached: list[Submission]) -> None:
    now = timezone.now()
    for sub in subs:
        if sub in reached:
            cancel = Submission.objects.create(
                report=report, agency=sub.agency, action=Submission.Action.CANCEL
            )
            ReportEvent.objects.create(
                report=report,
                submission=cancel,
                agency=sub.agency,
                status="queued",
                message=_CANCEL_WAITING.get(ReportKind(report.kind), "취소 신고 대기"),
            )
            task_publish_after_commit(task=SEND_TASK, args=[cancel.pk])
        elif not sub.is_final:
            Submission.objects.filter(pk=sub.pk).update(
                status=SubmissionStatus.CANCELLED, decided_at=now
            )
            ReportEvent.objects.create(
                report=report,
                submission=sub,
                agency=sub.agency,
                status="cancelled",
                message="기관에 보내기 전에 취소했습니다.",
            )
            webhook_enqueue_for_submission(submission_id=sub.pk, status=SubmissionStatus.CANCELLED)


def report_correct(
    *,
    actor: User,
    report: Report,
    data: dict[str, Any],
    ip: str | None = None,
) -> Report:
    """File a new revision: first cancel the old one where an agency has it; each agency gets
    the revision only once it accepted that cancellation (filings.delivery's gate)."""
    if report_withdrawn(report):
        raise InvalidState("취소되었거나 이미 정정한 신고는 다시 정정할 수 없습니다.")
    data = {**data, "kind": report.kind}
    with transaction.atomic():
        old = Report.objects.select_for_update().get(pk=report.pk)
        if report_withdrawn(old):
            raise InvalidState("취소되었거나 이미 정정한 신고는 다시 정정할 수 없습니다.")
        subs = list(old.submissions.select_for_update().filter(action=Submission.Action.FILE))
        reached = _reached(subs)
        if old.kind in PERSON_KINDS:
            _cancel_locked(report=old, subs=subs, reached=reached)
        else:
            # No cancellation exists for these kinds: what has not left yet stays home (the
            # revision goes instead); what an agency has is replaced there by the revision.
            _cancel_locked(report=old, subs=[s for s in subs if s not in reached], reached=[])
        new, _ = report_file(actor=actor, workplace=old.workplace, data=data, ip=ip, supersedes=old)
        Report.objects.filter(pk=old.pk).update(corrected_at=timezone.now())
        ReportEvent.objects.create(
            report=old,
            status="superseded",
            message=f"정정 신고 #{new.pk}(으)로 대체를 신청했습니다.",
        )
        audit_record(
            actor=actor,
            action="report.correct",
            obj=old,
            workplace=old.workplace,
            ip=ip,
            data={"new_report": new.pk},
        )
        report_status_refresh(report_id=old.pk)
    return new


def _dead() -> tuple[str, ...]:
    return (SubmissionStatus.REJECTED, SubmissionStatus.FAILED, SubmissionStatus.CANCELLED)


def employment_type_label(value: str) -> str:
    return str(dict(EmploymentType.choices).get(value, value))


def idempotency_records_purge(*, older_than_hours: float = 24) -> int:
    """Forget API idempotency keys (and their stored answers) older than the promised 24 hours."""
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
