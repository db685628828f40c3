"""Report writers: file, cancel, correct. The only code that creates reports and submissions.

Each writer validates first (nothing is written on bad input), then in ONE transaction writes the
report, its submissions (one bulk INSERT), the timeline and the audit event; the task that sends
them is published after commit (a queued submission is its own outbox row for the sweeper).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.registry import adapter_for, agency_codes
from filings import validation
from filings.coverage import coverage_decide
from filings.deadlines import deadline_for, has_deadline
from filings.models import (
    IdempotencyRecord,
    Report,
    ReportEvent,
    ReportKind,
    ReportStatus,
    Submission,
    SubmissionStatus,
)
from filings.selectors import agencies_holding, coverage_where_held
from filings.separation import separation_clean
from filings.signals import bill_inputs_changed
from filings.status import report_status_refresh
from filings.webhooks import webhook_enqueue_for_submission
from portal.errors import FieldErrors, IdempotencyKeyMismatch, InvalidState
from portal.fingerprint import fingerprint_of
from portal.models import DeliveryChannel, Employee, EmploymentType, Workplace
from portal.outbox import task_publish_after_commit
from portal.services import audit_record, constraint_violated, employee_set_rrn

SEND_TASK = "filings.tasks.submission_send"
SEND_MANY_TASK = "filings.tasks.submissions_send"
ACTIVE_EMPLOYEE_CONSTRAINT = "employee_one_active_per_workplace"
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
    builders = {
        ReportKind.HIRE: _hire_prepare,
        ReportKind.EXIT: _exit_prepare,
        ReportKind.PAY_CHANGE: _pay_change_prepare,
        ReportKind.SEPARATION: _separation_prepare,
        ReportKind.WORKPLACE_REGISTRATION: _workplace_prepare,
        ReportKind.WORKPLACE_CHANGE: _workplace_prepare,
        ReportKind.WORKPLACE_CLOSURE: _workplace_prepare,
    }
    if kind not in builders:
        allowed = ", ".join(k.value for k in ReportKind)
        raise FieldErrors(
            {"kind": [("choice", f"신고 종류(kind)는 {allowed} 중 하나여야 합니다.")]}
        )
    try:
        # A savepoint inside a caller's transaction: a duplicate hire leaves the caller usable.
        with transaction.atomic():
            report, employee = builders[ReportKind(kind)](
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


def _new_report(
    *,
    actor: User,
    workplace: Workplace,
    kind: str,
    event_date: date,
    data: dict[str, Any],
    employee: Employee | None = None,
    coverage: dict[str, Any] | None = None,
    supersedes: Report | None = None,
) -> Report:
    """The report, unsaved: report_file adds the idempotency columns and inserts it once."""
    return Report(
        workplace=workplace,
        employee=employee,
        kind=kind,
        event_date=event_date,
        data=data,
        coverage=coverage or {},
        filed_by=actor,
        revision=(supersedes.revision + 1) if supersedes else 1,
        supersedes=supersedes,
    )


def _hire_prepare(
    *,
    actor: User,
    workplace: Workplace,
    kind: str,
    data: dict,
    supersedes: Report | None,
) -> tuple[Report, Employee | None]:
    """The new employee and report, unsaved. Whether the person is already employed here is
    left to the database (ACTIVE_EMPLOYEE_CONSTRAINT): a SELECT first would race anyway."""
    hire = validation.hire_clean(data)
    coverage = coverage_decide(data=hire.coverage_input()).as_dict()
    # A corrected hire is the same person: one employee record, whose periods at each agency
    # follow what the agencies accept (the old acquisition's cancellation, the new one).
    employee = (
        Employee.objects.get(pk=supersedes.employee_id)
        if supersedes is not None and supersedes.employee_id
        else Employee()
    )
    _employee_fill(
        employee,
        workplace=workplace,
        name=hire.name,
        nationality=hire.nationality,
        visa=hire.visa,
        hire_date=hire.hire_date,
        monthly_wage=hire.monthly_wage,
        employment_type=hire.employment_type,
        weekly_hours=hire.weekly_hours,
        monthly_days=hire.monthly_days,
        job_code=hire.job_code,
        is_representative=hire.is_representative,
        contract_end=hire.contract_end,
        coverage=coverage,
    )
    employee_set_rrn(employee=employee, number=hire.number)
    report = _new_report(
        actor=actor,
        workplace=workplace,
        kind=kind,
        event_date=hire.hire_date,
        data=hire.report_data(),
        employee=employee,
        coverage=coverage,
        supersedes=supersedes,
    )
    return report, employee


def _employee_fill(employee: Employee, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(employee, name, value)


def _employee_of(workplace: Workplace, employee_id: int | None) -> Employee:
    employee = (
        Employee.objects.filter(pk=employee_id, workplace=workplace).first()
        if employee_id is not None
        else None
    )
    if employee is None:
        raise FieldErrors({"employee_id": [("not_found", "이 사업장의 근로자가 아닙니다.")]})
    return employee


def _exit_prepare(
    *,
    actor: User,
    workplace: Workplace,
    kind: str,
    data: dict,
    supersedes: Report | None,
) -> tuple[Report, Employee | None]:
    cleaned = validation.exit_clean(data)
    employee = _employee_of(workplace, cleaned.employee_id)
    errors = FieldErrors()
    if employee.loss_date is not None and supersedes is None:
        errors.add("employee_id", "already_lost", "이미 자격상실 처리된 근로자입니다.")
    elif supersedes is None and _exit_in_progress(employee):
        errors.add(
            "employee_id",
            "exit_in_progress",
            "이 근로자의 자격상실 신고가 이미 기관에서 처리 중입니다.",
        )
    if employee.hire_date and cleaned.last_working_day < employee.hire_date:
        errors.add("last_working_day", "before_hire", "마지막 근무일이 입사일보다 빠릅니다.")
    errors.raise_if_any()
    coverage = _coverage_held(employee, supersedes)
    # The person counts as lost only once the agencies accept the loss (filings.periods).
    report = _new_report(
        actor=actor,
        workplace=workplace,
        kind=kind,
        event_date=cleaned.loss_date,
        data=cleaned.report_data(),
        employee=employee,
        coverage=coverage,
        supersedes=supersedes,
    )
    return report, None


def _coverage_held(employee: Employee, supersedes: Report | None) -> dict[str, Any]:
    """Where a report about this person's insurance goes: the agencies that hold them (an
    accepted acquisition, or one on its way), and for a revision wherever the old report went.
    Nowhere is refused with the reason."""
    held = agencies_holding(employee_id=employee.pk)
    if supersedes is not None:
        held |= set(
            supersedes.submissions.filter(action=Submission.Action.FILE)
            .exclude(status__in=[SubmissionStatus.REJECTED, SubmissionStatus.CANCELLED])
            .values_list("agency", flat=True)
        )
    if not held:
        raise FieldErrors(
            {
                "employee_id": [
                    (
                        "not_insured",
                        "어느 기관에도 이 근로자의 가입 내역이 없습니다. 자격취득 신고가 "
                        "반려되었다면 먼저 취득 신고를 정정해 주세요.",
                    )
                ]
            }
        )
    return coverage_where_held(coverage=employee.coverage, held=held)


def _exit_in_progress(employee: Employee) -> bool:
    """An exit filed for this person that no agency has refused or had cancelled yet."""
    return Report.objects.filter(
        employee=employee,
        kind=ReportKind.EXIT,
        status__in=[ReportStatus.IN_PROGRESS, ReportStatus.COMPLETED],
    ).exists()


def _pay_change_prepare(
    *,
    actor: User,
    workplace: Workplace,
    kind: str,
    data: dict,
    supersedes: Report | None,
) -> tuple[Report, Employee | None]:
    cleaned = validation.pay_change_clean(data)
    employee = _employee_of(workplace, cleaned["employee_id"])
    if employee.loss_date is not None:
        raise FieldErrors({"employee_id": [("already_lost", "자격상실된 근로자입니다.")]})
    # The wage bills read changes once an agency accepts the change (filings.periods).
    coverage = _coverage_held(employee, supersedes)
    report = _new_report(
        actor=actor,
        workplace=workplace,
        kind=kind,
        event_date=date.fromisoformat(cleaned["effective_date"]),
        data=cleaned,
        employee=employee,
        coverage=coverage,
        supersedes=supersedes,
    )
    return report, None


def _separation_prepare(
    *,
    actor: User,
    workplace: Workplace,
    kind: str,
    data: dict,
    supersedes: Report | None,
) -> tuple[Report, Employee | None]:
    """이직확인서: to employment insurance only, for someone whose EI loss reason can give
    unemployment benefit (filings.separation)."""
    cleaned = separation_clean(data)
    employee = _employee_of(workplace, cleaned.employee_id)
    coverage = {
        code: {
            "covered": code == "employment",
            "reason": "이직확인서는 고용보험(근로복지공단)에만 제출합니다.",
        }
        for code in agency_codes()
    }
    report = _new_report(
        actor=actor,
        workplace=workplace,
        kind=kind,
        event_date=cleaned.last_working_day + timedelta(days=1),
        data=cleaned.report_data(),
        employee=employee,
        coverage=coverage,
        supersedes=supersedes,
    )
    return report, None


def _workplace_prepare(
    *,
    actor: User,
    workplace: Workplace,
    kind: str,
    data: dict,
    supersedes: Report | None,
) -> tuple[Report, Employee | None]:
    cleaned = validation.workplace_report_clean(kind, data)
    effective = date.fromisoformat(cleaned["effective_date"])
    if kind == ReportKind.WORKPLACE_CHANGE:
        Workplace.objects.filter(pk=workplace.pk).update(**cleaned["changes"])
    elif kind == ReportKind.WORKPLACE_CLOSURE:
        Workplace.objects.filter(pk=workplace.pk).update(closed_on=effective)
    elif kind == ReportKind.WORKPLACE_REGISTRATION:
        joined = {
            f"{a}_joined_on": effective
            for a in agency_codes()
            if hasattr(workplace, f"{a}_joined_on")
        }
        Workplace.objects.filter(pk=workplace.pk).update(**joined)
    coverage = {
        a: {"covered": True, "reason": "사업장 신고는 모든 기관에 합니다."} for a in agency_codes()
    }
    report = _new_report(
        actor=actor,
        workplace=workplace,
        kind=kind,
        event_date=effective,
        data=cleaned,
        coverage=coverage,
        supersedes=supersedes,
    )
    return report, None


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
        events.append(
            ReportEvent(
                report=report,
                status="not_required",
                message="적용 대상 보험이 없어 신고하지 않습니다.",
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
    """The rows an agency has or may have: each needs the agency's own cancellation."""
    return [
        s
        for s in subs
        if s.status
        in (SubmissionStatus.SENDING, SubmissionStatus.RECEIVED, SubmissionStatus.ACCEPTED)
        or (s.status == SubmissionStatus.QUEUED and s.uncertain)
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
            )
        _cancel_locked(report=report, subs=subs, reached=reached)
        Report.objects.filter(pk=report.pk).update(cancelled_at=timezone.now())
        if report.kind == ReportKind.HIRE and report.employee_id and not reached:
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
        if old.kind in PERSON_KINDS:
            _cancel_locked(report=old, subs=subs, reached=_reached(subs))
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
