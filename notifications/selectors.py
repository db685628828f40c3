"""Readers: open deadlines (filed and drafted), who hears about a workplace, the notification centre."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from agencies.registry import agency_codes, insurance_labels
from filings.deadlines import (
    days_left,
    deadline_for,
    has_deadline,
    next_business_day,
)
from filings.models import Report, ReportStatus, Submission, SubmissionStatus
from notifications.alerts import KIND_LABELS
from notifications.models import ClosureDay, DraftEvent, Notification, NotificationPreference
from portal.access import delegation_live_q
from portal.models import Delegation, Membership

# The agency has taken the filing in (접수) or it was settled by hand: the deadline is met.
DONE_STATUSES = (SubmissionStatus.RECEIVED, SubmissionStatus.ACCEPTED, SubmissionStatus.MANUAL)
# Still owed to the agency: not yet delivered, or delivered and refused.
OPEN_STATUSES = (
    SubmissionStatus.QUEUED,
    SubmissionStatus.SENDING,
    SubmissionStatus.REJECTED,
    SubmissionStatus.FAILED,
)
DEAD_REPORT_STATUSES = (ReportStatus.CANCELLED, ReportStatus.SUPERSEDED, ReportStatus.NOT_REQUIRED)
# Finished deadlines stay on the board this long.
DONE_VISIBLE_DAYS = 30


@dataclass(frozen=True)
class DeadlineRow:
    report_id: int | None
    submission_id: int | None
    draft_id: int | None
    workplace_id: int
    agency: str
    kind: str
    employee_name: str
    due_date: date
    status: str  # open | done | overdue
    days_left: int
    rule: str
    shifted_reason: str

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)

    @property
    def agency_label(self) -> str:
        return insurance_labels()[self.agency]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def key(self) -> str:
        if self.submission_id is not None:
            return f"submission:{self.submission_id}"
        return f"draft:{self.draft_id}:{self.agency}"


def closure_dates() -> frozenset[date]:
    """Operator-added closure days, for `deadline_for(extra_closures=...)`."""
    return frozenset(ClosureDay.objects.values_list("day", flat=True))


def effective_due(stored: date, closures: Iterable[date]) -> date:
    """A stored due date re-shifted over closure days added after it was computed.

    Exact: every day between the nominal and the stored date was already closed, so shifting the
    stored date equals shifting the nominal one.
    """
    return next_business_day(stored, extra_closures=closures)


def _status(*, done: bool, left: int) -> str:
    if done:
        return "done"
    return "overdue" if left < 0 else "open"


def open_submissions() -> QuerySet[Submission]:
    """Filed submissions whose deadline still needs meeting, across all workplaces."""
    return (
        Submission.objects.filter(
            action=Submission.Action.FILE, deadline__isnull=False, status__in=OPEN_STATUSES
        )
        .exclude(report__status__in=DEAD_REPORT_STATUSES)
        .select_related("report", "report__employee")
    )


def open_drafts() -> QuerySet[DraftEvent]:
    return DraftEvent.objects.filter(report__isnull=True, cancelled_at__isnull=True)


def submission_row(sub: Submission, *, today: date, closures: Iterable[date]) -> DeadlineRow:
    assert sub.deadline is not None
    due = effective_due(sub.deadline, closures)
    left = days_left(due, today)
    employee = sub.report.employee
    return DeadlineRow(
        report_id=sub.report_id,
        submission_id=sub.pk,
        draft_id=None,
        workplace_id=sub.report.workplace_id,
        agency=sub.agency,
        kind=sub.report.kind,
        employee_name=employee.name if employee else "",
        due_date=due,
        status=_status(done=sub.status in DONE_STATUSES, left=left),
        days_left=left,
        rule=sub.deadline_rule,
        shifted_reason="",
    )


def draft_rows(draft: DraftEvent, *, today: date, closures: Iterable[date]) -> list[DeadlineRow]:
    rows = []
    for agency in agency_codes():
        if not has_deadline(agency=agency, kind=draft.kind):
            continue
        d = deadline_for(
            agency=agency, kind=draft.kind, event_date=draft.event_date, extra_closures=closures
        )
        left = days_left(d.due_date, today)
        rows.append(
            DeadlineRow(
                report_id=None,
                submission_id=None,
                draft_id=draft.pk,
                workplace_id=draft.workplace_id,
                agency=agency,
                kind=draft.kind,
                employee_name=draft.employee_name,
                due_date=d.due_date,
                status=_status(done=False, left=left),
                days_left=left,
                rule=d.rule,
                shifted_reason=d.shifted_reason,
            )
        )
    return rows


def workplace_deadlines(*, workplace_id: int, today: date) -> list[DeadlineRow]:
    """Every deadline still open, plus the recently met ones; soonest first."""
    closures = closure_dates()
    recent = today - timedelta(days=DONE_VISIBLE_DAYS)
    subs = (
        Submission.objects.filter(
            report__workplace_id=workplace_id, action=Submission.Action.FILE, deadline__isnull=False
        )
        .exclude(report__status__in=DEAD_REPORT_STATUSES)
        .filter(Q(status__in=OPEN_STATUSES) | Q(status__in=DONE_STATUSES, deadline__gte=recent))
        .select_related("report", "report__employee")
    )
    rows = [submission_row(s, today=today, closures=closures) for s in subs]
    for draft in open_drafts().filter(workplace_id=workplace_id):
        rows.extend(draft_rows(draft, today=today, closures=closures))
    return sorted(rows, key=lambda r: (r.status == "done", r.due_date, r.agency))


def draft_matching_report(draft: DraftEvent) -> Report | None:
    """The report that filed this draft: same workplace, kind, date and person, filed after it."""
    return (
        Report.objects.filter(
            workplace_id=draft.workplace_id,
            kind=draft.kind,
            event_date=draft.event_date,
            employee__name=draft.employee_name,
        )
        .exclude(status__in=DEAD_REPORT_STATUSES)
        .order_by("filed_at")
        .first()
    )


@dataclass(frozen=True)
class Recipient:
    user: User
    is_agent: bool  # reaches this workplace only through a payroll firm's delegation


def workplace_recipients(*, workplace_id: int, today: date) -> list[Recipient]:
    """The owner and HR staff, then payroll-firm members holding a live delegation."""
    users = get_user_model().objects.filter(is_active=True)
    members = list(
        users.filter(
            memberships__workplace_id=workplace_id,
            memberships__role__in=[Membership.Role.OWNER, Membership.Role.HR],
        )
        .distinct()
        .order_by("pk")
    )
    seen = {u.pk for u in members}
    out = [Recipient(user=u, is_agent=False) for u in members]
    delegated = users.filter(
        payroll_firms__delegations__in=Delegation.objects.filter(
            delegation_live_q(today), workplace_id=workplace_id
        )
    ).distinct()
    out += [Recipient(user=u, is_agent=True) for u in delegated.order_by("pk") if u.pk not in seen]
    return out


def delegation_recipients(*, delegation: Delegation) -> list[Recipient]:
    """Who must know a delegation is ending: the workplace's owners and the firm's staff."""
    users = get_user_model().objects.filter(is_active=True)
    owners = users.filter(
        memberships__workplace_id=delegation.workplace_id,
        memberships__role=Membership.Role.OWNER,
    ).distinct()
    seen = {u.pk for u in owners}
    out = [Recipient(user=u, is_agent=False) for u in owners.order_by("pk")]
    staff = users.filter(payroll_firms=delegation.firm_id).distinct().order_by("pk")
    out += [Recipient(user=u, is_agent=True) for u in staff if u.pk not in seen]
    return out


def preference_for(user: User) -> NotificationPreference:
    """The stored choice, or the defaults (everything on) without writing a row."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
