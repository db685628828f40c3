"""Cross-agency consistency (기관 간 불일치): what the agencies hold about one person, side by side.

Per person, from the insured periods (what each agency accepted) and the pay changes accepted:
- insured at some agencies and not at others although the coverage decision says all of them;
- different acquisition dates, or different loss dates, across agencies;
- a loss accepted at some agencies only;
- a pay change in force at some agencies only.
Only agencies whose coverage says "covered" count, and an agency with anything still under way for
the person (queued, sending, received) is left out until it answers: that is no discrepancy yet.

`discrepancies_check` keeps `Discrepancy` rows equal to what it finds: one open row per person and
kind, opened, updated or resolved (never deleted) in one transaction with their audit events; new
rows are announced through `filings.signals.discrepancies_opened` (notifications alerts once).
It reads everything it needs in a handful of set-based queries and compares in memory.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.registry import agency_codes, insurance_labels
from filings.models import (
    FINAL_STATUSES,
    Discrepancy,
    DiscrepancyCheckDue,
    DiscrepancyKind,
    InsuredPeriod,
    Report,
    ReportKind,
    Submission,
    SubmissionStatus,
)
from filings.signals import discrepancies_opened
from portal.models import AuditEvent, Employee, Workplace
from portal.services import audit_event_build

_BUSY = [s for s in SubmissionStatus.values if s not in FINAL_STATUSES]
_REFUSED = (SubmissionStatus.REJECTED, SubmissionStatus.FAILED, SubmissionStatus.CANCELLED)


@dataclass(frozen=True)
class Found:
    """One discrepancy as computed (not stored)."""

    workplace_id: int
    employee_id: int
    kind: str
    agencies: list[str]
    detail: str
    suggested_report: dict[str, Any]


@dataclass(frozen=True)
class CheckResult:
    opened: int
    updated: int
    resolved: int
    alerted: int


@dataclass
class _Person:
    workplace_id: int
    hire_date: date | None
    expected: set[str]  # coverage says covered: a missing period is a discrepancy
    ignored: set[str]  # coverage says not covered, or covered via another report: never compared
    # agency -> the latest period there: (acquired_on, lost_on)
    periods: dict[str, tuple[date, date | None]] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)


@dataclass
class _PayChange:
    """The latest pay change of a person that some agency holds in force."""

    key: tuple[date, Any, int]  # (effective date, filed at, report id): the latest wins
    report_id: int
    effective_date: date
    monthly_wage: Any
    applied: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)


# Scope --------------------------------------------------------------------------------------------


def _scope_q(
    employee_ids: list[int] | None,
    workplace_ids: list[int] | None,
    *,
    employee: str,
    workplace: str,
) -> Q:
    q = Q()
    if employee_ids is not None:
        q &= Q(**{f"{employee}__in": employee_ids})
    if workplace_ids is not None:
        q &= Q(**{f"{workplace}__in": workplace_ids})
    return q


def _lock(employee_ids: list[int] | None, workplace_ids: list[int] | None) -> None:
    """Checks of one workplace run one at a time (a later one reads what an earlier one had not
    yet seen, so it must also write last): each holds its workplaces' rows, in id order, until
    its transaction ends. FOR NO KEY UPDATE, so filings that reference a workplace (FOR KEY
    SHARE) never wait on a check. Under the worker's lock_timeout a waiting task retries."""
    rows = Workplace.objects.select_for_update(no_key=True).order_by("pk")
    if workplace_ids is None and employee_ids is not None:
        workplace_ids = list(
            Employee.objects.filter(pk__in=employee_ids).values_list("workplace_id", flat=True)
        )
    if workplace_ids is not None:
        rows = rows.filter(pk__in=sorted(set(workplace_ids)))
    list(rows.values_list("pk", flat=True))


# Reads ------------------------------------------------------------------------------------------


def _people(employee_ids: list[int] | None, workplace_ids: list[int] | None) -> dict[int, _Person]:
    codes = agency_codes()
    # The covered flags only, read as text in SQL (not every snapshot with its reasons). An
    # insurance carried by another report (`via`: a daily worker's monthly 근로내용확인신고)
    # has no period to compare.
    flags = {
        f"cov_{i}": Coalesce(KT(f"coverage__{code}__via"), KT(f"coverage__{code}__covered"))
        for i, code in enumerate(codes)
    }
    rows = (
        Employee.objects.filter(
            _scope_q(employee_ids, workplace_ids, employee="pk", workplace="workplace_id")
        )
        .annotate(**flags)
        .values_list("pk", "workplace_id", "hire_date", *flags)
    )
    people = {}
    for pk, workplace_id, hire_date, *covered in rows:
        people[pk] = _Person(
            workplace_id=workplace_id,
            hire_date=hire_date,
            expected={c for c, flag in zip(codes, covered, strict=True) if flag == "true"},
            ignored={
                c for c, flag in zip(codes, covered, strict=True) if flag not in ("true", None)
            },
        )
    return people


def _periods_read(
    people: dict[int, _Person], employee_ids: list[int] | None, workplace_ids: list[int] | None
) -> None:
    rows = InsuredPeriod.objects.filter(
        _scope_q(employee_ids, workplace_ids, employee="employee_id", workplace="workplace_id")
    ).values_list("employee_id", "agency", "acquired_on", "lost_on")
    for employee_id, agency, acquired_on, lost_on in rows:
        person = people.get(employee_id)
        if person is None:
            continue
        held = person.periods.get(agency)
        if held is None or acquired_on > held[0]:
            person.periods[agency] = (acquired_on, lost_on)


def _busy_read(
    people: dict[int, _Person], employee_ids: list[int] | None, workplace_ids: list[int] | None
) -> None:
    rows = Submission.objects.filter(
        _scope_q(
            employee_ids,
            workplace_ids,
            employee="report__employee_id",
            workplace="report__workplace_id",
        ),
        status__in=_BUSY,
        report__employee__isnull=False,
    ).values_list("report__employee_id", "agency")
    for employee_id, agency in rows:
        if employee_id in people:
            people[employee_id].busy.add(agency)


def _pay_changes_read(
    employee_ids: list[int] | None, workplace_ids: list[int] | None
) -> dict[int, _PayChange]:
    """Per person, the latest pay change that at least one agency holds in force, and where it
    is not: refused, failed, never sent, or cancelled there since."""
    rows = Submission.objects.filter(
        _scope_q(
            employee_ids,
            workplace_ids,
            employee="report__employee_id",
            workplace="report__workplace_id",
        ),
        report__kind=ReportKind.PAY_CHANGE,
    ).values_list(
        "report__employee_id",
        "report_id",
        "report__event_date",
        "report__filed_at",
        "agency",
        "action",
        "status",
        "report__data__monthly_wage",
    )
    reports: dict[int, _PayChange] = {}
    employee_of: dict[int, int] = {}
    cancelled: set[tuple[int, str]] = set()
    for employee_id, report_id, effective, filed_at, agency, action, status, wage in rows:
        change = reports.get(report_id)
        if change is None:
            change = reports[report_id] = _PayChange(
                key=(effective, filed_at, report_id),
                report_id=report_id,
                effective_date=effective,
                monthly_wage=wage,
            )
            employee_of[report_id] = employee_id
        if action == Submission.Action.CANCEL:
            if status == SubmissionStatus.ACCEPTED:
                cancelled.add((report_id, agency))
        elif status == SubmissionStatus.ACCEPTED:
            change.applied.add(agency)
        elif status in _REFUSED:
            change.refused.add(agency)
    latest: dict[int, _PayChange] = {}
    for report_id, change in reports.items():
        undone = {agency for rid, agency in cancelled if rid == report_id}
        change.refused |= change.applied & undone
        change.applied -= undone
        if not change.applied:
            continue
        employee_id = employee_of[report_id]
        if employee_id not in latest or change.key > latest[employee_id].key:
            latest[employee_id] = change
    return latest


# The comparison (pure) ----------------------------------------------------------------------------


def _names(agencies: Iterable[str]) -> str:
    labels = insurance_labels()
    return "·".join(labels.get(a, a) for a in _ordered(agencies))


def _ordered(agencies: Iterable[str]) -> list[str]:
    codes = agency_codes()
    return sorted(set(agencies), key=lambda a: codes.index(a) if a in codes else len(codes))


def _most_common(values: dict[str, date], prefer: date | None = None) -> date:
    """The date most agencies hold; on a tie the preferred one (the hire date), else the
    earliest."""
    counts = Counter(values.values())
    top = max(counts.values())
    tied = sorted(d for d, n in counts.items() if n == top)
    return prefer if prefer in tied else tied[0]


def _listing(values: dict[str, date]) -> str:
    labels = insurance_labels()
    return ", ".join(f"{labels.get(a, a)} {values[a].isoformat()}" for a in _ordered(values))


def _person_discrepancies(
    *, employee_id: int, person: _Person, pay_change: _PayChange | None
) -> list[Found]:
    """What one person's agencies disagree on (no queries)."""
    found: list[Found] = []

    def add(kind: str, agencies: Iterable[str], detail: str, suggested: dict[str, Any]) -> None:
        ordered = _ordered(agencies)
        suggested = {"kind": str(suggested.pop("kind")), "employee_id": employee_id, **suggested}
        suggested["agencies"] = ordered
        found.append(
            Found(person.workplace_id, employee_id, str(kind), ordered, detail[:500], suggested)
        )

    counted = {
        a: p for a, p in person.periods.items() if a not in person.ignored and a not in person.busy
    }
    acquired = {a: p[0] for a, p in counted.items()}
    lost = {a: p[1] for a, p in counted.items() if p[1] is not None}
    insured = {a for a, p in counted.items() if p[1] is None}
    if acquired:
        hire_on = _most_common(acquired, prefer=person.hire_date)
        missing = person.expected - set(counted) - person.busy
        if insured and missing:
            add(
                DiscrepancyKind.MISSING_ACQUISITION,
                missing,
                _(
                    "%(held)s에는 %(on)s 자격취득이 처리되었으나 %(missing)s에는 취득 기록이 없습니다."
                )
                % {"held": _names(insured), "on": hire_on.isoformat(), "missing": _names(missing)},
                {"kind": ReportKind.HIRE, "hire_date": hire_on.isoformat()},
            )
        if len(set(acquired.values())) > 1:
            add(
                DiscrepancyKind.ACQUISITION_DATE_MISMATCH,
                [a for a, on in acquired.items() if on != hire_on],
                _("기관마다 취득일이 다릅니다: %(listing)s.") % {"listing": _listing(acquired)},
                {"kind": ReportKind.HIRE, "hire_date": hire_on.isoformat()},
            )
    if lost:
        loss_on = _most_common(lost)
        exit_fields = {
            "kind": ReportKind.EXIT,
            "loss_date": loss_on.isoformat(),
            "last_working_day": (loss_on - timedelta(days=1)).isoformat(),
        }
        if insured:
            add(
                DiscrepancyKind.LOSS_PARTIAL,
                insured,
                _("%(lost)s에는 %(on)s 자격상실이 처리되었으나 %(insured)s에는 아직 가입 중입니다.")
                % {"lost": _names(lost), "on": loss_on.isoformat(), "insured": _names(insured)},
                dict(exit_fields),
            )
        elif len(set(lost.values())) > 1:
            add(
                DiscrepancyKind.LOSS_DATE_MISMATCH,
                [a for a, on in lost.items() if on != loss_on],
                _("기관마다 상실일이 다릅니다: %(listing)s.") % {"listing": _listing(lost)},
                dict(exit_fields),
            )
    if pay_change is not None:
        skip = person.ignored | person.busy
        applied, refused = pay_change.applied - skip, pay_change.refused - skip
        if applied and refused:
            add(
                DiscrepancyKind.PAY_CHANGE_PARTIAL,
                refused,
                _(
                    "%(on)s 보수월액 변경이 %(applied)s에만 반영되었고 "
                    "%(refused)s에는 반영되지 않았습니다."
                )
                % {
                    "on": pay_change.effective_date.isoformat(),
                    "applied": _names(applied),
                    "refused": _names(refused),
                },
                {
                    "kind": ReportKind.PAY_CHANGE,
                    "effective_date": pay_change.effective_date.isoformat(),
                    "monthly_wage": int(pay_change.monthly_wage or 0),
                    "report_id": pay_change.report_id,
                },
            )
    return found


def _reports_to_correct(found: list[Found]) -> None:
    """A hire or exit suggestion names the person's report in force that a correction would
    replace (null when there is none, e.g. for imported history): one query."""
    wanted = {
        f.employee_id
        for f in found
        if f.suggested_report["kind"] in (ReportKind.HIRE, ReportKind.EXIT)
    }
    if not wanted:
        return
    latest: dict[tuple[int, str], int] = {}
    rows = (
        Report.objects.filter(
            employee_id__in=wanted,
            kind__in=[ReportKind.HIRE, ReportKind.EXIT],
            cancelled_at__isnull=True,
            corrected_at__isnull=True,
        )
        .order_by("filed_at", "id")
        .values_list("employee_id", "kind", "pk")
    )
    for employee_id, kind, pk in rows:
        latest[(employee_id, kind)] = pk
    for f in found:
        kind = f.suggested_report["kind"]
        if kind in (ReportKind.HIRE, ReportKind.EXIT):
            f.suggested_report["report_id"] = latest.get((f.employee_id, kind))


def discrepancies_compute(
    *, employee_ids: list[int] | None = None, workplace_ids: list[int] | None = None
) -> list[Found]:
    """Every discrepancy in the scope as it stands now (reads only)."""
    people = _people(employee_ids, workplace_ids)
    _periods_read(people, employee_ids, workplace_ids)
    _busy_read(people, employee_ids, workplace_ids)
    pay_changes = _pay_changes_read(employee_ids, workplace_ids)
    found: list[Found] = []
    # Stored in the portal's language whatever the request or task last used.
    with translation.override(settings.LANGUAGE_CODE):
        for employee_id, person in people.items():
            if person.periods or employee_id in pay_changes:
                found += _person_discrepancies(
                    employee_id=employee_id,
                    person=person,
                    pay_change=pay_changes.get(employee_id),
                )
    _reports_to_correct(found)
    return found


# The writer -------------------------------------------------------------------------------------


def _audit(action: str, rows: Iterable[Discrepancy]) -> list[AuditEvent]:
    """Unsaved audit events, one per row; the system is the actor."""
    events = []
    for row in rows:
        event = audit_event_build(
            actor=None,
            action=action,
            obj=row,
            data={"employee_id": row.employee_id, "kind": row.kind, "agencies": row.agencies},
        )
        event.workplace_id = row.workplace_id
        events.append(event)
    return events


def discrepancies_check(
    *, employee_ids: Iterable[int] | None = None, workplace_ids: Iterable[int] | None = None
) -> CheckResult:
    """Make the open discrepancies of the scope (some people, some workplaces, or everyone when
    neither is given) equal to what the agencies' answers say now, and announce new ones."""
    people = sorted(set(employee_ids)) if employee_ids is not None else None
    places = sorted(set(workplace_ids)) if workplace_ids is not None else None
    now = timezone.now()
    with transaction.atomic():
        _lock(people, places)
        computed = discrepancies_compute(employee_ids=people, workplace_ids=places)
        found = {(f.employee_id, f.kind): f for f in computed}
        stored = {
            (row.employee_id, row.kind): row
            for row in Discrepancy.objects.filter(
                _scope_q(people, places, employee="employee_id", workplace="workplace_id"),
                resolved_at__isnull=True,
            ).only(
                "pk",
                "workplace_id",
                "employee_id",
                "kind",
                "agencies",
                "detail",
                "suggested_report",
            )
        }
        gone = [row for key, row in stored.items() if key not in found]
        changed = []
        for key, row in stored.items():
            f = found.get(key)
            if f is not None and (row.agencies, row.detail, row.suggested_report) != (
                f.agencies,
                f.detail,
                f.suggested_report,
            ):
                row.agencies, row.detail, row.suggested_report = (
                    f.agencies,
                    f.detail,
                    f.suggested_report,
                )
                changed.append(row)
        new = Discrepancy.objects.bulk_create(
            [
                Discrepancy(
                    workplace_id=f.workplace_id,
                    employee_id=f.employee_id,
                    kind=f.kind,
                    agencies=f.agencies,
                    detail=f.detail,
                    suggested_report=f.suggested_report,
                    opened_at=now,
                )
                for key, f in found.items()
                if key not in stored
            ]
        )
        if gone:
            Discrepancy.objects.filter(pk__in=[row.pk for row in gone]).update(resolved_at=now)
        if changed:
            Discrepancy.objects.bulk_update(changed, ["agencies", "detail", "suggested_report"])
        AuditEvent.objects.bulk_create(
            _audit("discrepancy.open", new)
            + _audit("discrepancy.update", changed)
            + _audit("discrepancy.resolve", gone)
        )
        alerted = _announce(people, places, now)
    return CheckResult(opened=len(new), updated=len(changed), resolved=len(gone), alerted=alerted)


def _announce(people: list[int] | None, places: list[int] | None, now: Any) -> int:
    """Open rows not yet announced (this run's new ones): marked, then told once, in the check's
    transaction, so the alert and the mark commit together."""
    ids = list(
        Discrepancy.objects.filter(
            _scope_q(people, places, employee="employee_id", workplace="workplace_id"),
            resolved_at__isnull=True,
            alerted_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    if ids:
        Discrepancy.objects.filter(pk__in=ids).update(alerted_at=now)
        discrepancies_opened.send(sender=Discrepancy, discrepancy_ids=ids)
    return len(ids)


def discrepancies_check_later(*, employee_ids: Iterable[int | None]) -> None:
    """Mark these people for the sweeper, in the caller's transaction: the answer's own commit
    stays short, the mark survives a lost task, and many answers make one batched check."""
    ids = sorted({pk for pk in employee_ids if pk is not None})  # one lock order
    if not ids:
        return
    # One statement from one JSON parameter, as the periods a result file opens: a model
    # object per mark cost more than the upsert for a 10,000-person batch.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DiscrepancyCheckDue._meta.db_table} (employee_id, marked_at)"  # noqa: S608  (our table name)
            " SELECT value::bigint, %s FROM json_array_elements_text(%s::json)"
            " ON CONFLICT (employee_id) DO UPDATE SET marked_at = EXCLUDED.marked_at",
            [timezone.now(), json.dumps(ids)],
        )


def discrepancies_check_after_refusals(*, submission_ids: list[int]) -> None:
    """A refusal opens no period, but may leave one agency short of the others."""
    employee_ids = Submission.objects.filter(pk__in=submission_ids).values_list(
        "report__employee_id", flat=True
    )
    discrepancies_check_later(employee_ids=list(employee_ids))


def discrepancies_check_due(*, limit: int = 5000) -> int:
    """Beat: check everyone marked, oldest marks first, then clear the marks this run covered
    (a mark set again while it ran stays for the next run). Returns discrepancies opened."""
    due = list(
        DiscrepancyCheckDue.objects.order_by("marked_at").values_list("employee_id", "marked_at")[
            :limit
        ]
    )
    if not due:
        return 0
    ids = [employee_id for employee_id, _ in due]
    opened = discrepancies_check(employee_ids=ids).opened
    covered = max(marked_at for _, marked_at in due)
    DiscrepancyCheckDue.objects.filter(employee_id__in=ids, marked_at__lte=covered).delete()
    return opened


# Readers ------------------------------------------------------------------------------------------


def discrepancies_open(*, workplaces: Iterable[Workplace] | Any) -> list[Discrepancy]:
    """Open discrepancies of these workplaces (a queryset or list), with their people and
    workplaces, in one query."""
    return list(
        Discrepancy.objects.filter(workplace__in=workplaces, resolved_at__isnull=True)
        .select_related("employee", "workplace")
        .order_by("workplace__name", "workplace_id", "employee__name", "employee_id", "kind")
    )


def discrepancy_as_dict(discrepancy: Discrepancy) -> dict[str, Any]:
    """The API's shape."""
    return {
        "id": discrepancy.pk,
        "employee_id": discrepancy.employee_id,
        "kind": discrepancy.kind,
        "agencies": list(discrepancy.agencies),
        "detail": discrepancy.detail,
        "suggested_report": dict(discrepancy.suggested_report),
    }
