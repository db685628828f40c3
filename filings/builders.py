"""Per report kind: validate the input and build the report (and a new employee), unsaved.

filings.services.report_file calls the builder of the kind inside its transaction and then
inserts what it built and fans it out. A builder writes nothing itself, except where the kind
is a change to existing records (a workplace change, the coverage an added acquisition expects).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from agencies.registry import agency_codes
from filings import validation
from filings.annual_wage import ANNUAL_WAGE_AGENCIES, annual_wage_agencies, annual_wage_clean
from filings.coverage import coverage_decide
from filings.daily_work import DAILY_WORK_AGENCIES, daily_work_clean, insurance_class_for
from filings.models import Report, ReportKind, ReportStatus, Submission, SubmissionStatus
from filings.selectors import agencies_holding, coverage_where_held
from filings.separation import separation_clean
from portal.errors import FieldErrors
from portal.models import Employee, EmploymentType, Workplace
from portal.services import employee_rrn_decrypt, employee_set_rrn

Built = tuple[Report, Employee | None]


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
    if data.get("employee_id") not in (None, "") and supersedes is None:
        return _acquisition_add_prepare(actor=actor, workplace=workplace, kind=kind, data=data)
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


def _acquisition_add_prepare(
    *, actor: User, workplace: Workplace, kind: str, data: dict
) -> tuple[Report, Employee | None]:
    """A hire of someone already working here (`employee_id`): the acquisition at the agencies
    that now cover them and do not hold them yet, e.g. a daily worker whose month crossed the
    NPS or NHIS threshold (filings.daily_work). The person's details come from their record."""
    employee = _employee_of(workplace, validation.employee_id_clean(data))
    if employee.loss_date is not None:
        raise FieldErrors({"employee_id": [("already_lost", "자격상실된 근로자입니다.")]})
    known = {
        "employee": {
            "name": employee.name,
            "rrn": employee_rrn_decrypt(employee=employee),
            "nationality": employee.nationality,
            "visa": employee.visa,
        },
        "employment_type": employee.employment_type,
        "weekly_hours": employee.weekly_hours,
        "monthly_days": employee.monthly_days,
        "job_code": employee.job_code,
        "is_representative": employee.is_representative,
        "contract_end": employee.contract_end,
        "monthly_wage": employee.monthly_wage,
    }
    given = {k: v for k, v in data.items() if k != "employee" and v not in (None, "")}
    hire = validation.hire_clean({**known, **given})
    decided = coverage_decide(data=hire.coverage_input()).as_dict()
    held = agencies_holding(employee_id=employee.pk)
    coverage = {}
    for code, decision in decided.items():
        if code in held and decision.get("covered"):
            decision = {**decision, "covered": False, "reason": "이미 가입되어 있습니다."}
        coverage[code] = decision
    if not any(d.get("covered") for d in coverage.values()):
        raise FieldErrors(
            {
                "employee_id": [
                    (
                        "nothing_to_acquire",
                        "이 근로자는 적용 대상인 모든 기관에 이미 가입되어 있거나 신고 중입니다.",
                    )
                ]
            }
        )
    # What the agencies' checks (filings.consistency) now expect of this person.
    Employee.objects.filter(pk=employee.pk).update(
        coverage={**employee.coverage, **{c: d for c, d in decided.items() if c not in held}}
    )
    report = _new_report(
        actor=actor,
        workplace=workplace,
        kind=kind,
        event_date=hire.hire_date,
        data={**hire.report_data(), "employee_id": employee.pk},
        employee=employee,
        coverage=coverage,
    )
    return report, None


def _daily_work_prepare(
    *,
    actor: User,
    workplace: Workplace,
    kind: str,
    data: dict,
    supersedes: Report | None,
) -> tuple[Report, Employee | None]:
    """근로내용확인신고: one daily worker's month, to employment and industrial-accident
    insurance as their coverage says (filings.daily_work)."""
    cleaned = daily_work_clean(data)
    employee = _employee_of(workplace, cleaned.employee_id, lock=True)
    errors = FieldErrors()
    if employee.employment_type != EmploymentType.DAILY:
        errors.add(
            "employee_id",
            "not_daily",
            "근로내용확인신고는 일용근로자만 냅니다. 고용형태가 일용인 근로자를 골라 주세요.",
        )
    if employee.hire_date and cleaned.last_day < employee.hire_date:
        errors.add("days", "before_hire", "근로일이 모두 입사일보다 빠릅니다.")
    if employee.loss_date and cleaned.month.replace(day=min(cleaned.days)) >= employee.loss_date:
        errors.add("days", "after_loss", "자격상실일 이후의 근로일입니다.")
    month = f"{cleaned.month:%Y-%m}"
    filed = Report.objects.filter(
        employee=employee,
        kind=ReportKind.DAILY_WORK,
        data__month=month,
        status__in=[ReportStatus.IN_PROGRESS, ReportStatus.COMPLETED],
    )
    if supersedes is not None:
        filed = filed.exclude(pk=supersedes.pk)
    if filed.exists():
        errors.add(
            "month",
            "already_filed",
            f"{month} 근로내용확인신고가 이미 있습니다. 고치려면 그 신고를 정정해 주세요.",
        )
    errors.raise_if_any()
    covered = {
        code
        for code in DAILY_WORK_AGENCIES
        if (employee.coverage.get(code) or {"covered": True}).get("covered")
    }
    coverage = {
        code: {
            "covered": code in covered,
            "reason": (
                (employee.coverage.get(code) or {}).get("reason", "")
                if code in DAILY_WORK_AGENCIES
                else "근로내용확인신고는 근로복지공단(고용·산재보험)에만 냅니다."
            ),
        }
        for code in agency_codes()
    }
    report = _new_report(
        actor=actor,
        workplace=workplace,
        kind=kind,
        event_date=cleaned.last_day,
        data={
            **cleaned.report_data(insurance_class=insurance_class_for(covered)),
            "job_code": employee.job_code,
        },
        employee=employee,
        coverage=coverage,
        supersedes=supersedes,
    )
    return report, None


def _annual_wage_prepare(
    *,
    actor: User,
    workplace: Workplace,
    kind: str,
    data: dict,
    supersedes: Report | None,
) -> tuple[Report, Employee | None]:
    """보수총액신고 (EI, IACI) and 보수총액 통보 (NHIS): one person's year, to the agencies among
    those three where they were insured that year (filings.annual_wage)."""
    cleaned = annual_wage_clean(data)
    employee = _employee_of(workplace, cleaned.employee_id, lock=True)
    insured = set(annual_wage_agencies(employee_id=employee.pk, year=cleaned.year))
    filed = Report.objects.filter(
        employee=employee,
        kind=ReportKind.ANNUAL_WAGE,
        data__year=cleaned.year,
        status__in=[ReportStatus.IN_PROGRESS, ReportStatus.COMPLETED],
    )
    if supersedes is not None:
        filed = filed.exclude(pk=supersedes.pk)
    errors = FieldErrors()
    if cleaned.year >= timezone.localdate().year:
        errors.add(
            "year",
            "year_not_over",
            "보수총액신고는 한 해가 끝난 뒤 그해 보수로 냅니다(올해 것은 내년 3월까지).",
        )
    if not insured:
        errors.add(
            "employee_id",
            "not_insured",
            f"{cleaned.year}년에 건강·고용·산재보험 어디에도 가입 내역이 없는 근로자입니다.",
        )
    if filed.exists():
        errors.add(
            "year",
            "already_filed",
            f"{cleaned.year}년 보수총액신고가 이미 있습니다. 고치려면 그 신고를 정정해 주세요.",
        )
    errors.raise_if_any()
    coverage = {
        code: {
            "covered": code in insured,
            "reason": (
                f"{cleaned.year}년 가입 내역이 있어 보수총액을 신고합니다."
                if code in insured
                else f"{cleaned.year}년 가입 내역이 없어 신고하지 않습니다."
                if code in ANNUAL_WAGE_AGENCIES
                else "국민연금은 보수총액신고가 없습니다(소득총액신고는 국세청 자료로 갈음)."
            ),
        }
        for code in agency_codes()
    }
    report = _new_report(
        actor=actor,
        workplace=workplace,
        kind=kind,
        event_date=date(cleaned.year, 12, 31),
        data=cleaned.report_data(),
        employee=employee,
        coverage=coverage,
        supersedes=supersedes,
    )
    return report, None


def _employee_fill(employee: Employee, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(employee, name, value)


def _employee_of(workplace: Workplace, employee_id: int | None, *, lock: bool = False) -> Employee:
    """The workplace's employee; `lock` holds their row until the filing commits, so that two
    filings of the same month or year for them cannot both pass the "already filed" check."""
    employee = None
    if employee_id is not None:
        rows = Employee.objects.filter(pk=employee_id, workplace=workplace)
        employee = (rows.select_for_update() if lock else rows).first()
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


BUILDERS: dict[ReportKind, Callable[..., Built]] = {
    ReportKind.HIRE: _hire_prepare,
    ReportKind.EXIT: _exit_prepare,
    ReportKind.PAY_CHANGE: _pay_change_prepare,
    ReportKind.SEPARATION: _separation_prepare,
    ReportKind.DAILY_WORK: _daily_work_prepare,
    ReportKind.ANNUAL_WAGE: _annual_wage_prepare,
    ReportKind.WORKPLACE_REGISTRATION: _workplace_prepare,
    ReportKind.WORKPLACE_CHANGE: _workplace_prepare,
    ReportKind.WORKPLACE_CLOSURE: _workplace_prepare,
}
