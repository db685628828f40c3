"""History import (가입 이력 가져오기): staff insured before the workplace used the portal.

1. `history_validate` reads a CSV/XLSX with filings.bulk's reader and limits, checks every row
   and stores a BulkUpload(kind="history") with one encrypted BulkRow per row and the errors by
   column. It writes no employee and no period: that is the dry run.
2. `history_import` takes a checked upload without errors and, in one transaction, finds or
   creates each person's Employee, writes their periods through filings.periods.periods_import
   (source "imported", no report) and the audit events. A file is imported once.
3. Where the agencies are the bundled sandbox (development), `history_sandbox_tell` then tells it
   who is insured, so that an imported person's exit is accepted as the real agencies would.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from agencies.registry import agency_codes, insurance_labels
from agencies.transport import shared_client
from filings import validation
from filings.bulk import (
    ROW_PURPOSE,
    Column,
    RowErrors,
    bulk_parse,
    cell_date_text,
    cell_rrn_text,
    header_norm,
    table_template,
    upload_existing,
    upload_store,
)
from filings.coverage import CoverageInput, coverage_decide, visa_normalize
from filings.models import BulkRow, BulkUpload, InsuredPeriod, Report, ReportKind, ReportStatus
from filings.periods import periods_import
from portal import crypto
from portal.errors import FieldErrors, InvalidState
from portal.identifiers import IdentifierError, PersonNumber, person_number_parse
from portal.models import AuditEvent, Employee, EmploymentType, OutboxMessage, Workplace
from portal.outbox import outbox_enqueue
from portal.services import audit_event_build, audit_record, employee_rrn_decrypt, employee_set_rrn
from portal.services import rrn_index as rrn_index_of

logger = logging.getLogger(__name__)

KIND = "history"
SANDBOX_TASK = "filings.tasks.history_sandbox_tell"
# Each failed try is re-published by the outbox sweeper (about every 5 s), e.g. while `make run`
# is still starting the sandbox after load_demo; then we give up.
SANDBOX_TELL_ATTEMPTS = 30
IMPORTED_REASON = "사업장이 제출한 가입 이력({date} 취득)에 따릅니다."


def history_columns() -> tuple[Column, ...]:
    """The person's columns, then an acquisition and a loss date per insurance (registry order)."""
    person = (
        Column("주민등록번호", "rrn", "900101-1234567", ("주민(외국인)등록번호", "외국인등록번호")),
        Column("성명", "name", "김민준"),
        Column("월평균보수", "monthly_wage", "3000000", ("월 보수액", "보수월액", "월평균 보수액")),
        Column("국적", "nationality", "KR"),
        Column("체류자격", "visa", ""),
    )
    dates = []
    for code, label in insurance_labels().items():
        dates.append(Column(f"{label} 취득일", f"{code}.acquired_on", "2019-03-04"))
        dates.append(Column(f"{label} 상실일", f"{code}.lost_on", ""))
    return person + tuple(dates)


def history_template(*, fmt: str) -> tuple[bytes, str, str]:
    """(content, filename, content type) of the empty template with one example row."""
    return table_template(columns=history_columns(), title="가입이력", fmt=fmt)


@dataclass
class _Row:
    number: int
    cells: dict[str, str]
    errors: RowErrors
    name: str = ""
    person: PersonNumber | None = None
    nationality: str = "KR"
    visa: str = ""
    wage: int = 0
    periods: list[tuple[str, date, date | None]] = field(default_factory=list)

    @cached_property
    def index(self) -> str | None:
        """The blind index employees are found by (set once the number has been parsed)."""
        return rrn_index_of(self.person.digits) if self.person else None


def _mapping(header: list[str], columns: tuple[Column, ...]) -> dict[int, Column]:
    normalized = [header_norm(h) for h in header]
    mapping: dict[int, Column] = {}
    for column in columns:
        names = {header_norm(column.header), *(header_norm(a) for a in column.aliases)}
        for i, h in enumerate(normalized):
            if h in names:
                mapping[i] = column
                break
    if not {"rrn", "name"} <= {c.field for c in mapping.values()}:
        expected = ", ".join(c.header for c in columns)
        message = f"첫 행의 머리글을 알 수 없습니다. 양식의 머리글({expected})을 쓰세요."
        raise FieldErrors({"file": [("headers", message)]})
    return mapping


def _person(row: _Row, errors: FieldErrors) -> None:
    name = row.cells.get("name", "").strip()
    if not name:
        errors.add("name", "required", "성명을 입력해 주세요.")
    elif len(name) > 100:
        errors.add("name", "max_length", "성명은 100자 이하여야 합니다.")
    row.name = name
    raw = cell_rrn_text(row.cells.get("rrn", "").strip())
    if not raw:
        errors.add("rrn", "required", "주민(외국인)등록번호를 입력해 주세요.")
    else:
        try:
            row.person = person_number_parse(raw)
        except IdentifierError as exc:
            errors.add("rrn", exc.rule, exc.message)
    row.nationality = (row.cells.get("nationality", "").strip() or "KR").upper()
    row.visa = visa_normalize(row.cells.get("visa", ""))
    if row.person is not None and row.person.is_foreigner and row.nationality == "KR":
        errors.add("nationality", "foreigner_nationality", "외국인등록번호인데 국적이 KR입니다.")
    if row.person is not None and not row.person.is_foreigner and row.nationality != "KR":
        errors.add(
            "nationality", "national_number", "주민등록번호(내국인)인데 국적이 KR이 아닙니다."
        )
    wage = validation.parse_int(
        errors,
        row.cells.get("monthly_wage", ""),
        "monthly_wage",
        label="월평균보수",
        minimum=0,
        maximum=validation.MAX_WAGE,
    )
    row.wage = wage or 0


def _dates(row: _Row, errors: FieldErrors, workplace: Workplace, today: date) -> None:
    for code, label in insurance_labels().items():
        acquired_field, lost_field = f"{code}.acquired_on", f"{code}.lost_on"
        before = len(errors.fields)
        acquired = validation.parse_date(
            errors,
            cell_date_text(row.cells.get(acquired_field, "")),
            acquired_field,
            label=f"{label} 취득일",
            required=False,
        )
        lost = validation.parse_date(
            errors,
            cell_date_text(row.cells.get(lost_field, "")),
            lost_field,
            label=f"{label} 상실일",
            required=False,
        )
        if len(errors.fields) > before:
            continue
        if acquired is None:
            if lost is not None:
                errors.add(
                    acquired_field, "required", f"{label} 상실일이 있으면 취득일도 적어 주세요."
                )
            continue
        joined = getattr(workplace, f"{code}_joined_on", None)
        if acquired > today:
            errors.add(
                acquired_field,
                "future",
                f"{label} 취득일이 미래입니다. 새 입사는 자격취득 신고로 해 주세요.",
            )
        elif joined is not None and acquired < joined:
            errors.add(
                acquired_field,
                "before_workplace",
                f"{label} 취득일이 사업장의 {label} 적용일({joined.isoformat()})보다 빠릅니다.",
            )
        elif row.person is not None and _age(row.person.birth_date, acquired) < 15:
            errors.add(acquired_field, "minimum_age", f"{label} 취득일 기준 만 15세 미만입니다.")
        if lost is not None and lost <= acquired:
            errors.add(
                lost_field, "after_acquisition", f"{label} 상실일은 취득일 다음 날 이후여야 합니다."
            )
        elif lost is not None and lost > today:
            errors.add(
                lost_field,
                "future",
                f"{label} 상실일이 미래입니다. 퇴사는 자격상실 신고로 해 주세요.",
            )
        row.periods.append((code, acquired, lost))
    if not row.periods and not errors.fields:
        first = next(iter(agency_codes()))
        errors.add(f"{first}.acquired_on", "required", "보험 한 가지 이상의 취득일을 적어 주세요.")


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _check_row(
    number: int, cells: dict[str, str], workplace: Workplace, headers: dict[str, str]
) -> _Row:
    row = _Row(number=number, cells=cells, errors=RowErrors(headers))
    errors = FieldErrors()
    _person(row, errors)
    _dates(row, errors, workplace, timezone.localdate())
    row.errors.extend(errors)
    return row


def _overlaps(a: tuple[date, date | None], b: tuple[date, date | None]) -> bool:
    return a[0] < (b[1] or date.max) and b[0] < (a[1] or date.max)


def _cross_checks(workplace: Workplace, rows: list[_Row]) -> None:
    """What needs the whole file or the database: one row per person; nothing already on file
    here (a period filed through the portal or imported before) at the same time and agency."""
    first_row: dict[str, int] = {}
    for row in rows:
        if row.index is None:
            continue
        if row.index in first_row:
            message = (
                f"{first_row[row.index]}행과 같은 사람입니다. 한 사람은 한 행에만 적어 주세요."
            )
            row.errors.add("rrn", "duplicate_in_file", message)
        else:
            first_row[row.index] = row.number
    known: dict[tuple[str, str], list[tuple[date, date | None, str]]] = {}
    periods = InsuredPeriod.objects.filter(
        workplace=workplace, employee__rrn_index__in=list(first_row)
    ).values_list("employee__rrn_index", "agency", "acquired_on", "lost_on", "source")
    for index, agency, acquired_on, lost_on, source in periods:
        known.setdefault((index, agency), []).append((acquired_on, lost_on, source))
    filing = set(
        Report.objects.filter(
            workplace=workplace,
            kind=ReportKind.HIRE,
            status=ReportStatus.IN_PROGRESS,
            employee__rrn_index__in=list(first_row),
        ).values_list("employee__rrn_index", flat=True)
    )
    labels = insurance_labels()
    sources = dict(InsuredPeriod.Source.choices)
    for row in rows:
        if row.index in filing:
            row.errors.add("rrn", "hire_in_progress", "이 사람의 자격취득 신고가 처리 중입니다.")
        for agency, acquired_on, lost_on in row.periods:
            for old_acquired, old_lost, source in known.get((row.index or "", agency), []):
                if _overlaps((acquired_on, lost_on), (old_acquired, old_lost)):
                    span = f"{old_acquired.isoformat()}~{old_lost.isoformat() if old_lost else ''}"
                    message = (
                        f"이 사업장에 같은 기간의 {labels[agency]} 자격 이력({span}, "
                        f"{sources[source]})이 이미 있습니다."
                    )
                    row.errors.add(f"{agency}.acquired_on", "already_on_file", message)
                    break


def _read(content: bytes, filename: str, workplace: Workplace) -> list[_Row]:
    table = bulk_parse(content=content, filename=filename)
    if not table:
        raise FieldErrors({"file": [("empty", "빈 파일입니다.")]})
    columns = history_columns()
    mapping = _mapping(table[0], columns)
    headers = {c.field: c.header for c in columns}
    data = [(n, r) for n, r in enumerate(table[1:], start=2) if any(c.strip() for c in r)]
    rows = [
        _check_row(
            n, {c.field: r[i] if i < len(r) else "" for i, c in mapping.items()}, workplace, headers
        )
        for n, r in data
    ]
    _cross_checks(workplace, rows)
    return rows


def history_validate(
    *, actor: User, workplace: Workplace, content: bytes, filename: str = "", ip: str | None = None
) -> tuple[BulkUpload, bool]:
    """Check every row and store the result: the dry run, which writes no employee and no
    period. (upload, reused): the same file uploaded again returns the earlier upload."""
    sha = hashlib.sha256(content).hexdigest()
    existing = upload_existing(workplace, sha, KIND)
    if existing is not None:
        return existing, True
    rows = _read(content, filename, workplace)
    upload = upload_store(
        workplace=workplace,
        actor=actor,
        kind=KIND,
        filename=filename,
        sha=sha,
        rows=[
            (r.number, r.name, r.person.masked if r.person else "", r.cells, r.errors.items)
            for r in rows
        ],
        ip=ip,
        action="history.validate",
    )
    return upload, False


def history_import(*, actor: User, upload: BulkUpload, ip: str | None = None) -> BulkUpload:
    """Import a checked upload without errors, in one transaction; an imported one is returned
    as it is. The rows are checked again against the database as it is now: if that finds
    errors, they are stored on the upload and nothing is imported (status stays validated)."""
    with transaction.atomic():
        upload = (
            BulkUpload.objects.select_for_update().select_related("workplace").get(pk=upload.pk)
        )
        if upload.kind != KIND:
            raise InvalidState("가입 이력 파일이 아닙니다.")
        if upload.status == BulkUpload.Status.DONE:
            return upload
        if not upload.total_rows:
            raise InvalidState("가져올 행이 없습니다.")
        if upload.error_rows:
            raise InvalidState(
                "오류가 있는 행을 고친 파일을 다시 올려 주세요. 아무것도 가져오지 않았습니다."
            )
        workplace = upload.workplace
        headers = {c.field: c.header for c in history_columns()}
        rows = [
            _check_row(
                number,
                json.loads(crypto.decrypt(bytes(data), purpose=ROW_PURPOSE)),
                workplace,
                headers,
            )
            for number, data in upload.rows.order_by("row_number").values_list(
                "row_number", "data_encrypted"
            )
        ]
        _cross_checks(workplace, rows)
        if any(r.errors.items for r in rows):
            # The workplace's periods changed since the check: keep the rows' errors as they are
            # now (so the answer shows them) and import nothing.
            _errors_store(upload, rows)
            upload.refresh_from_db()
            return upload
        employees, created = _employees_for(workplace, rows)
        periods_import(
            workplace_id=workplace.pk,
            periods={employees[r.number].pk: r.periods for r in rows},
        )
        now = timezone.now()
        upload.rows.update(status=BulkRow.Status.FILED)
        BulkUpload.objects.filter(pk=upload.pk).update(
            status=BulkUpload.Status.DONE, filed_rows=len(rows), progress_at=now, finished_at=now
        )
        AuditEvent.objects.bulk_create(
            audit_event_build(
                actor=actor, action="employee.create", obj=e, workplace=workplace, ip=ip
            )
            for e in created
        )
        audit_record(
            actor=actor,
            action="history.import",
            obj=upload,
            workplace=workplace,
            ip=ip,
            data={"rows": len(rows), "employees_created": len(created)},
        )
        if sandbox_root() is not None:
            outbox_enqueue(task=SANDBOX_TASK, args=[sorted(e.pk for e in employees.values()), 0])
    upload.refresh_from_db()
    return upload


def _errors_store(upload: BulkUpload, rows: list[_Row]) -> None:
    bad = [r for r in rows if r.errors.items]
    for r in bad:
        upload.rows.filter(row_number=r.number).update(
            status=BulkRow.Status.INVALID, errors=r.errors.items
        )
    BulkUpload.objects.filter(pk=upload.pk).update(
        valid_rows=len(rows) - len(bad), error_rows=len(bad)
    )


def _employees_for(
    workplace: Workplace, rows: list[_Row]
) -> tuple[dict[int, Employee], list[Employee]]:
    """Row number -> the person's employee here: the one employed now, unless the imported
    history all ended before they were hired (an earlier stint: a record of its own)."""
    active = {
        e.rrn_index: e
        for e in Employee.objects.filter(
            workplace=workplace, rrn_index__in=[r.index for r in rows], loss_date__isnull=True
        )
    }
    found: dict[int, Employee] = {}
    new: list[tuple[int, Employee]] = []
    for row in rows:
        assert row.person is not None and row.index is not None  # checked: no row errors
        losses = [lost for _, _, lost in row.periods]
        ended = None if None in losses else max(d for d in losses if d is not None)
        current = active.get(row.index)
        if current is not None and not (ended and current.hire_date and ended <= current.hire_date):
            found[row.number] = current
            continue
        new.append((row.number, _employee_new(workplace, row, ended)))
    created = Employee.objects.bulk_create([e for _, e in new], batch_size=1000)
    found.update((number, employee) for (number, _), employee in zip(new, created, strict=True))
    return found, created


def _employee_new(workplace: Workplace, row: _Row, ended: date | None) -> Employee:
    assert row.person is not None
    hired = min(acquired for _, acquired, _ in row.periods)
    employee = Employee(
        workplace=workplace,
        name=row.name,
        nationality=row.nationality,
        visa=row.visa,
        hire_date=hired,
        monthly_wage=row.wage,
        employment_type=EmploymentType.REGULAR,
        coverage=_coverage(row, hired),
        # A history that ended everywhere is a past stint: lost from the start (as
        # filings.periods would mark it), so it never counts as a second active record.
        loss_date=ended,
        last_working_day=date.fromordinal(ended.toordinal() - 1) if ended else None,
    )
    employee_set_rrn(employee=employee, number=row.person)
    return employee


def _coverage(row: _Row, hired: date) -> dict[str, Any]:
    """Covered where the agencies hold the person insured (the imported acquisitions). The rule
    engine's reason is kept where it agrees; it assumes a regular 40-hour job, which the file
    does not say."""
    assert row.person is not None
    decided = coverage_decide(
        data=CoverageInput(
            birth_date=row.person.birth_date,
            hire_date=hired,
            employment_type=EmploymentType.REGULAR,
            weekly_hours=Decimal(40),
            monthly_days=None,
            monthly_wage=row.wage,
            nationality=row.nationality,
            visa=row.visa,
            is_representative=False,
        )
    ).as_dict()
    acquired = {agency: on for agency, on, _ in row.periods}
    coverage: dict[str, Any] = {}
    for code in agency_codes():
        item = dict(
            decided.get(code) or {"covered": False, "reason": "", "rule": "", "verified": True}
        )
        covered = code in acquired
        if item["covered"] != covered:
            reason = (
                IMPORTED_REASON.format(date=acquired[code].isoformat())
                if covered
                else "사업장이 제출한 가입 이력에 취득일이 없습니다."
            )
            item.update(covered=covered, reason=reason, rule="imported_history")
        coverage[code] = item
    return coverage


def sandbox_root() -> str | None:
    """The bundled sandbox's address when every agency is served by it (`<root>/<code>`, as
    agencies.transport.Transport.for_sandbox lays it out), else None: real agencies are not
    told anything."""
    urls = {code: str(url).rstrip("/") for code, url in settings.AGENCY_URLS.items()}
    roots = {url.removesuffix(f"/{code}") for code, url in urls.items() if url.endswith(f"/{code}")}
    if len(roots) != 1 or len(urls) != sum(url.endswith(f"/{c}") for c, url in urls.items()):
        return None
    return roots.pop()


def history_sandbox_tell(*, employee_ids: list[int], attempt: int = 0) -> str:
    """Tell the bundled sandbox (POST /_members) whom the imported periods insure, as the real
    agencies already know. The numbers are decrypted here, for this message only; a failed try
    is left to the outbox sweeper (ids only in the task's arguments)."""
    root = sandbox_root()
    if root is None:
        return "not_sandbox"
    periods = (
        InsuredPeriod.objects.filter(
            employee_id__in=employee_ids, source=InsuredPeriod.Source.IMPORTED
        )
        .select_related("employee", "workplace")
        .order_by("employee_id", "agency")
    )
    members = [
        {
            "agency": p.agency,
            "management_number": p.workplace.management_number,
            "rrn": employee_rrn_decrypt(employee=p.employee),
            "acquired_on": p.acquired_on.isoformat(),
            "lost_on": p.lost_on.isoformat() if p.lost_on else None,
        }
        for p in periods
        if p.agency in settings.AGENCY_URLS
    ]
    if not members:
        return "nothing"
    try:
        response = shared_client().post(f"{root}/_members", json=members, timeout=5.0)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        # The message holds resident numbers: log the kind of failure only.
        logger.warning("telling the sandbox about imported members failed: %s", type(exc).__name__)
        if attempt + 1 < SANDBOX_TELL_ATTEMPTS:
            # An unpublished row: the sweeper publishes it in a few seconds (not at once, which
            # in-process would retry in a tight loop).
            OutboxMessage.objects.create(task=SANDBOX_TASK, args=[employee_ids, attempt + 1])
            return "retry"
        return "gave_up"
    return "told"
