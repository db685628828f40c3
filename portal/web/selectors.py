"""Read paths of the portal pages. Workplaces always come through portal.access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy

from agencies.registry import insurance_labels
from filings.consistency import discrepancies_open
from filings.models import FINAL_STATUSES, Report, ReportStatus, Submission, SubmissionStatus
from filings.selectors import reports_for
from portal.access import (
    Action,
    Role,
    role_allows_action,
    role_for,
    workplace_and_role_for,
    workplaces_for,
)
from portal.models import Employee, Workplace

CURRENT_KEY = "workplace_id"
DUE_SOON_DAYS = 7


def workplace_current(request: HttpRequest, *, action: Action = Action.VIEW) -> Workplace | None:
    """The workplace the user is working on (session), checked again on every request.

    For filing or managing there is no fallback to another workplace: the action applies to the
    workplace on screen or to none.
    """
    wid = request.session.get(CURRENT_KEY)
    workplace = None
    if isinstance(wid, int) and 0 < wid < 2**63:
        # The workplace and the user's role on it in one lookup; menus and buttons reuse the role.
        workplace, role = workplace_and_role_for(request.user, wid)
        request.__dict__.setdefault("_portal_roles", {})[wid] = role
    if workplace is None:
        # The grant ended (or first visit): fall back to the first workplace still allowed.
        workplace = workplaces_for(request.user).order_by("name", "id").first()
        if workplace is None:
            request.session.pop(CURRENT_KEY, None)
            return None
        request.session[CURRENT_KEY] = workplace.pk
    if action != Action.VIEW and not role_allows(request, workplace.pk, action):
        return None
    return workplace


def role_cached(request: HttpRequest, workplace_id: int) -> Role | None:
    """portal.access.role_for, asked once per request and workplace (menus and buttons share it)."""
    cache = request.__dict__.setdefault("_portal_roles", {})
    if workplace_id not in cache:
        cache[workplace_id] = role_for(request.user, workplace_id)
    return cache[workplace_id]


def role_allows(request: HttpRequest, workplace_id: int, action: Action) -> bool:
    return role_allows_action(role_cached(request, workplace_id), action)


def workplace_choices(request: HttpRequest) -> list[tuple[int, str]]:
    """(id, name) of every workplace the user may see; one query per request."""
    cache = request.__dict__
    if "_portal_choices" not in cache:
        cache["_portal_choices"] = list(
            workplaces_for(request.user).order_by("name", "id").values_list("id", "name")
        )
    return cache["_portal_choices"]


def _pending_deadline_q(prefix: str = "") -> Q:
    today = timezone.localdate()
    return (
        Q(**{f"{prefix}action": Submission.Action.FILE})
        & ~Q(**{f"{prefix}status__in": list(FINAL_STATUSES)})
        & Q(**{f"{prefix}deadline__lte": today + timedelta(days=DUE_SOON_DAYS)})
    )


def _refused_q(prefix: str = "") -> Q:
    """A rejected or failed submission that still matters: a cancellation the agency refused
    (it still holds what was to be cancelled), or a filing of a report neither cancelled nor
    replaced by a correction."""
    refused = Q(**{f"{prefix}status__in": [SubmissionStatus.REJECTED, SubmissionStatus.FAILED]})
    live = ~Q(**{f"{prefix}report__status__in": [ReportStatus.CANCELLED, ReportStatus.SUPERSEDED]})
    return refused & (Q(**{f"{prefix}action": Submission.Action.CANCEL}) | live)


def reports_needing_action(*, workplaces: QuerySet[Workplace], limit: int = 20) -> list[Report]:
    """Reports with a refused submission that still matters, and open ones whose deadline is
    within 7 days."""
    due = Submission.objects.filter(_pending_deadline_q(), report=OuterRef("pk"))
    refused = Submission.objects.filter(_refused_q(), report=OuterRef("pk"))
    return list(
        Report.objects.filter(workplace__in=workplaces)
        .filter(Q(Exists(refused)) | Q(Exists(due)))
        .annotate(
            next_deadline=Min(
                "submissions__deadline",
                filter=~Q(submissions__status__in=list(FINAL_STATUSES)),
            )
        )
        .select_related("employee", "workplace")
        .order_by("next_deadline", "-filed_at")[:limit]
    )


def reports_recent(*, workplaces: QuerySet[Workplace], limit: int = 10) -> list[Report]:
    return list(
        Report.objects.filter(workplace__in=workplaces)
        .select_related("employee", "workplace")
        .order_by("-filed_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class BoardRow:
    workplace_id: int
    name: str
    rejected: int
    failed: int
    in_progress: int
    due_soon: int
    next_deadline: date | None

    @property
    def needs_attention(self) -> bool:
        return bool(self.rejected or self.failed or self.due_soon)


def agent_board(request: HttpRequest) -> list[BoardRow]:
    """One row per workplace the user may see, in three queries whatever the number of clients."""
    workplaces = workplaces_for(request.user)
    names = dict(workplace_choices(request))
    counts = {
        row["report__workplace_id"]: row
        for row in Submission.objects.filter(report__workplace__in=workplaces)
        .values("report__workplace_id")
        .annotate(
            # Every refused submission that still matters, cancellations included.
            rejected=Count("id", filter=_refused_q() & Q(status=SubmissionStatus.REJECTED)),
            failed=Count("id", filter=_refused_q() & Q(status=SubmissionStatus.FAILED)),
            in_progress=Count(
                "report_id", filter=Q(report__status=ReportStatus.IN_PROGRESS), distinct=True
            ),
        )
        .order_by()
    }
    due = {
        row["report__workplace_id"]: row
        for row in Submission.objects.filter(
            _pending_deadline_q(), report__workplace__in=workplaces
        )
        .values("report__workplace_id")
        .annotate(due_soon=Count("report_id", distinct=True), next_deadline=Min("deadline"))
        .order_by()
    }
    rows = [
        BoardRow(
            workplace_id=wid,
            name=name,
            rejected=counts.get(wid, {}).get("rejected", 0),
            failed=counts.get(wid, {}).get("failed", 0),
            in_progress=counts.get(wid, {}).get("in_progress", 0),
            due_soon=due.get(wid, {}).get("due_soon", 0),
            next_deadline=due.get(wid, {}).get("next_deadline"),
        )
        for wid, name in names.items()
    ]
    rows.sort(
        key=lambda r: (
            not r.needs_attention,
            -(r.rejected + r.failed),
            r.next_deadline or date.max,
            r.name,
        )
    )
    return rows


def reports_filtered(
    user: Any, *, workplace: Workplace | None, filters: dict[str, Any]
) -> QuerySet[Report]:
    if filters.get("scope") == "all" or workplace is None:
        qs = reports_for(user)
    else:
        qs = Report.objects.filter(workplace=workplace)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("agency"):
        qs = qs.filter(
            Exists(Submission.objects.filter(report=OuterRef("pk"), agency=filters["agency"]))
        )
    if filters.get("date_from"):
        qs = qs.filter(filed_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(filed_at__date__lte=filters["date_to"])
    return qs.select_related("employee", "workplace").order_by("-filed_at", "-id")


def employees_of(workplace: Workplace, *, active_only: bool = False) -> QuerySet[Employee]:
    qs = Employee.objects.filter(workplace=workplace)
    if active_only:
        qs = qs.filter(loss_date__isnull=True)
    return qs.order_by("loss_date", "name", "id")


@dataclass(frozen=True)
class DiscrepancyRow:
    """One open cross-agency discrepancy as the dashboard and the board show it."""

    id: int
    workplace_id: int
    workplace_name: str
    employee_name: str
    kind_label: str
    agencies_label: str
    detail: str
    fix_label: str
    fix_url: str


_FIX_LABELS = {
    "hire": gettext_lazy("자격취득 신고"),
    "exit": gettext_lazy("자격상실 신고"),
    "pay_change": gettext_lazy("보수월액 변경 신고"),
}
# Kinds whose fix corrects the report in force (the product files a hire or a loss again only
# through its correction); the others open a new, prefilled form.
_CORRECTED = {"missing_acquisition", "acquisition_date_mismatch", "loss_date_mismatch"}
_FORM_URLS = {"hire": "portal:hire", "exit": "portal:exit", "pay_change": "portal:pay_change"}
_PREFILL = {
    "hire": ("hire_date",),
    "exit": ("employee_id", "last_working_day"),
    "pay_change": ("employee_id", "effective_date", "monthly_wage"),
}


def discrepancy_fix_url(*, kind: str, suggested: dict[str, Any]) -> str:
    """One click into the prefilled form of the report that fixes a discrepancy: the correction
    of the report in force where there is one, else a new report."""
    report_kind = str(suggested.get("kind", ""))
    if report_kind not in _FORM_URLS:
        return ""
    report_id = suggested.get("report_id")
    fields = _PREFILL[report_kind]
    if report_id and (kind in _CORRECTED or report_kind == "exit"):
        url = reverse("portal:report_correct", args=[report_id])
        fields = tuple(f for f in fields if f != "employee_id")
    else:
        url = reverse(_FORM_URLS[report_kind])
    query = urlencode({f: suggested[f] for f in fields if suggested.get(f) is not None})
    return f"{url}?{query}" if query else url


def discrepancy_rows(*, workplaces: QuerySet[Workplace]) -> list[DiscrepancyRow]:
    """The open discrepancies of these workplaces with their fix, in one query."""
    labels = insurance_labels()
    return [
        DiscrepancyRow(
            id=d.pk,
            workplace_id=d.workplace_id,
            workplace_name=d.workplace.name,
            employee_name=d.employee.name,
            kind_label=str(d.get_kind_display()),
            agencies_label="·".join(labels.get(a, a) for a in d.agencies),
            detail=d.detail,
            fix_label=str(_FIX_LABELS.get(d.suggested_report.get("kind", ""), "")),
            fix_url=discrepancy_fix_url(kind=d.kind, suggested=d.suggested_report),
        )
        for d in discrepancies_open(workplaces=workplaces)
    ]
