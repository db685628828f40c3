"""Bulk filing for payroll agents: a CSV/XLSX of up to 10,000 hire or exit rows.

1. `bulk_validate` parses the file, checks every row with filings.validation (the very same
   messages as the API), and stores one BulkRow per row (input encrypted, errors by column) with
   bulk_create. The same file uploaded again to the same workplace returns the earlier upload.
2. `bulk_file_start` queues filing of every valid row; `bulk_file_run` (a Celery task, in chunks
   under the task time limit) files each row with report_file and the idempotency key
   `bulk:<sha256>:<row>`, so a re-run or a re-upload never files a row twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from filings import validation
from filings.models import BulkRow, BulkUpload
from filings.services import report_file
from filings.tables import LIMITS, table_rows
from portal import crypto
from portal.errors import FieldErrors, IdempotencyKeyMismatch
from portal.models import Employee, Workplace
from portal.outbox import outbox_enqueue, task_publish
from portal.services import audit_record, rrn_index

MAX_ROWS = LIMITS.max_rows
FILE_TASK = "filings.tasks.bulk_file"
ROW_PURPOSE = "bulk_row"
CHUNK_BUDGET_SECONDS = 50.0
REUSE_VALIDATION_HOURS = 24


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # the validation field name its errors carry
    example: str
    aliases: tuple[str, ...] = ()


HIRE_COLUMNS = (
    Column("성명", "employee.name", "김민준"),
    Column(
        "주민(외국인)등록번호", "employee.rrn", "900101-1234567", ("주민등록번호", "외국인등록번호")
    ),
    Column("국적", "employee.nationality", "KR"),
    Column("체류자격", "employee.visa", ""),
    Column("입사일", "hire_date", "2026-03-02", ("자격취득일",)),
    Column("월 보수액", "monthly_wage", "3000000", ("보수월액", "월보수액")),
    Column("고용형태", "employment_type", "상용"),
    Column("주 소정근로시간", "weekly_hours", "40"),
    Column("월 근로일수", "monthly_days", ""),
    Column("직종부호", "job_code", "024"),
    Column("대표자 여부", "is_representative", "아니오"),
    Column("계약 종료일", "contract_end", ""),
)
EXIT_COLUMNS = (
    Column("성명", "name", "김민준"),
    Column(
        "주민(외국인)등록번호", "employee.rrn", "900101-1234567", ("주민등록번호", "외국인등록번호")
    ),
    Column("마지막 근무일", "last_working_day", "2026-03-31", ("퇴사일",)),
    Column("상실사유 코드", "reason_code", "11", ("상실사유",)),
    Column("구체적 사유", "reason_detail", "개인 사정으로 인한 자진퇴사"),
)
COLUMNS = {"hire": HIRE_COLUMNS, "exit": EXIT_COLUMNS}
EMPLOYMENT_TYPE_LABELS = {
    "상용": "regular",
    "정규": "regular",
    "정규직": "regular",
    "상용(정규)": "regular",
    "기간제": "contract",
    "계약": "contract",
    "계약직": "contract",
    "기간제(계약)": "contract",
    "단시간": "part_time",
    "일용": "daily",
}
# Errors on fields that have no column of their own are shown on this column.
FIELD_COLUMN_FALLBACK = {"employee": "employee.name", "employee_id": "employee.rrn"}


def header_norm(header: Any) -> str:
    return re.sub(r"[\s*()]", "", str(header or "")).lower()


def bulk_template(*, kind: str, fmt: str) -> tuple[bytes, str, str]:
    """(content, filename, content type) of an empty template with one example row."""
    label = "취득" if kind == "hire" else "상실"
    return table_template(columns=COLUMNS[kind], title=f"{label}신고", fmt=fmt)


def table_template(*, columns: tuple[Column, ...], title: str, fmt: str) -> tuple[bytes, str, str]:
    """A CSV or XLSX with the columns' headers and their example row, named `<title>_양식`."""
    headers = [c.header for c in columns]
    example = [c.example for c in columns]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerow(example)
        # BOM: Excel opens UTF-8 CSV with Korean headers correctly only with it.
        return ("\ufeff" + out.getvalue()).encode(), f"{title}_양식.csv", "text/csv"
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook opens on one worksheet
    ws.title = title
    ws.append(headers)
    ws.append(example)
    for cell in ws[1]:
        cell.number_format = "@"
    for row in ws.iter_rows(min_row=1, max_row=200):
        for cell in row:
            cell.number_format = "@"  # text: keeps leading zeros of numbers like 024
    buffer = io.BytesIO()
    wb.save(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return buffer.getvalue(), f"{title}_양식.xlsx", xlsx


def bulk_parse(*, content: bytes, filename: str) -> list[list[str]]:
    """Rows of cells as text (first row = headers); raises FieldErrors on 'file'."""
    return list(table_rows(content=content, filename=filename))


def _columns_of(header: list[str], kind: str | None) -> tuple[str, dict[int, Column]]:
    normalized = [header_norm(h) for h in header]
    kinds = [kind] if kind else ["exit", "hire"]
    for candidate in kinds:
        mapping: dict[int, Column] = {}
        for column in COLUMNS[candidate]:
            names = {header_norm(column.header), *(header_norm(a) for a in column.aliases)}
            for i, h in enumerate(normalized):
                if h in names:
                    mapping[i] = column
                    break
        required = (
            {"employee.rrn", "last_working_day"}
            if candidate == "exit"
            else {"employee.rrn", "hire_date"}
        )
        if required <= {c.field for c in mapping.values()}:
            return candidate, mapping
    expected = ", ".join(c.header for c in COLUMNS[kind or "hire"])
    raise FieldErrors(
        {
            "file": [
                ("headers", f"첫 행의 머리글을 알 수 없습니다. 양식의 머리글({expected})을 쓰세요.")
            ]
        }
    )


_DATE_COMPACT = re.compile(r"^(\d{4})[.\-/]?(\d{1,2})[.\-/]?(\d{1,2})\.?$", re.ASCII)


def cell_date_text(value: str) -> str:
    match = _DATE_COMPACT.match(value)
    if match and (len(value) != 8 or value.isdigit()):
        y, m, d = match.groups()
        return f"{y}-{int(m):02d}-{int(d):02d}"
    return value


def cell_rrn_text(value: str) -> str:
    # Excel turns 0501013xxxxxx (born 2005) into a 12-digit number.
    return value.zfill(13) if value.isascii() and value.isdigit() and len(value) == 12 else value


def _hire_body(cells: dict[str, str]) -> dict[str, Any]:
    employment = cells.get("employment_type", "")
    return {
        "kind": "hire",
        "employee": {
            "name": cells.get("employee.name", ""),
            "rrn": cell_rrn_text(cells.get("employee.rrn", "")),
            "nationality": cells.get("employee.nationality", "") or "KR",
            "visa": cells.get("employee.visa", ""),
        },
        "hire_date": cell_date_text(cells.get("hire_date", "")),
        "monthly_wage": cells.get("monthly_wage", ""),
        "employment_type": EMPLOYMENT_TYPE_LABELS.get(employment, employment),
        "weekly_hours": cells.get("weekly_hours") or None,
        "monthly_days": cells.get("monthly_days") or None,
        "job_code": cells.get("job_code", ""),
        "is_representative": cells.get("is_representative", ""),
        "contract_end": cell_date_text(cells.get("contract_end", "")) or None,
    }


def _exit_body(cells: dict[str, str]) -> dict[str, Any]:
    return {
        "kind": "exit",
        "employee_id": None,
        "last_working_day": cell_date_text(cells.get("last_working_day", "")),
        "reason_code": cells.get("reason_code", ""),
        "reason_detail": cells.get("reason_detail", ""),
    }


class RowErrors:
    def __init__(self, columns: dict[str, str]) -> None:
        self.columns = columns  # field -> header
        self.items: list[dict[str, str]] = []

    def add(self, field: str, rule: str, message: str) -> None:
        shown = FIELD_COLUMN_FALLBACK.get(field, field)
        column = self.columns.get(shown, "")
        self.items.append({"column": column, "field": field, "rule": rule, "message": message})

    def extend(self, errors: FieldErrors) -> None:
        for field, pairs in errors.fields.items():
            for rule, message in pairs:
                self.add(field, rule, message)


def upload_existing(workplace: Workplace, sha: str, kind: str | None) -> BulkUpload | None:
    # Without a kind, only hire and exit files: a history import (filings.history) is not a
    # bulk filing even when the same file is uploaded here.
    qs = BulkUpload.objects.filter(
        workplace=workplace, sha256=sha, kind__in=[kind] if kind else list(COLUMNS)
    )
    fresh = timezone.now() - timedelta(hours=REUSE_VALIDATION_HOURS)
    for upload in qs.order_by("-created_at")[:5]:
        if upload.status != BulkUpload.Status.VALIDATED or upload.created_at >= fresh:
            return upload
    return None


def bulk_validate(
    *,
    actor: User,
    workplace: Workplace,
    content: bytes,
    filename: str = "",
    kind: str | None = None,
    ip: str | None = None,
) -> tuple[BulkUpload, bool]:
    """Check every row and store the result; (upload, reused) where reused = same file seen."""
    sha = hashlib.sha256(content).hexdigest()
    existing = upload_existing(workplace, sha, kind)
    if existing is not None:
        return existing, True
    table = bulk_parse(content=content, filename=filename)
    if not table:
        raise FieldErrors({"file": [("empty", "빈 파일입니다.")]})
    kind, mapping = _columns_of(table[0], kind)
    field_headers = {c.field: c.header for c in COLUMNS[kind]}
    body_of = _hire_body if kind == "hire" else _exit_body
    data_rows = [
        (number, row)
        for number, row in enumerate(table[1:], start=2)
        if any(cell.strip() for cell in row)
    ]
    checked = [
        _check_row(number, row, mapping, body_of, field_headers) for number, row in data_rows
    ]
    _cross_checks(workplace, kind, checked)
    upload = upload_store(
        workplace=workplace,
        actor=actor,
        kind=kind,
        filename=filename,
        sha=sha,
        rows=[(c.number, c.name, c.rrn_masked, c.body, c.errors.items) for c in checked],
        ip=ip,
        action="bulk.validate",
    )
    return upload, False


def upload_store(
    *,
    workplace: Workplace,
    actor: User,
    kind: str,
    filename: str,
    sha: str,
    rows: list[tuple[int, str, str, dict[str, Any], list[dict[str, Any]]]],
    ip: str | None,
    action: str,
) -> BulkUpload:
    """Store a checked upload with its rows, (number, name, masked number, cells, errors) each,
    the cells encrypted, and its audit event, in one transaction."""
    stored = [
        BulkRow(
            row_number=number,
            name=name[:100],
            rrn_masked=masked,
            data_encrypted=crypto.encrypt(
                json.dumps(cells, ensure_ascii=False), purpose=ROW_PURPOSE
            ),
            status=BulkRow.Status.INVALID if errors else BulkRow.Status.VALID,
            errors=errors,
        )
        for number, name, masked, cells, errors in rows
    ]
    valid = sum(1 for r in stored if r.status == BulkRow.Status.VALID)
    with transaction.atomic():
        upload = BulkUpload.objects.create(
            workplace=workplace,
            uploaded_by=actor,
            kind=kind,
            filename=filename[:255],
            sha256=sha,
            total_rows=len(stored),
            valid_rows=valid,
            error_rows=len(stored) - valid,
        )
        for r in stored:
            r.upload = upload
        BulkRow.objects.bulk_create(stored, batch_size=1000)
        audit_record(
            actor=actor,
            action=action,
            obj=upload,
            workplace=workplace,
            ip=ip,
            data={"rows": len(stored), "valid": valid, "kind": kind},
        )
    return upload


@dataclass
class _Checked:
    number: int
    body: dict[str, Any]
    errors: RowErrors
    name: str = ""
    rrn_masked: str = ""
    digits: str = ""


def _check_row(
    number: int,
    row: list[str],
    mapping: dict[int, Column],
    body_of: Any,
    field_headers: dict[str, str],
) -> _Checked:
    cells = {column.field: (row[i] if i < len(row) else "") for i, column in mapping.items()}
    body = body_of(cells)
    errors = RowErrors(field_headers)
    checked = _Checked(number=number, body=body, errors=errors)
    try:
        if body["kind"] == "hire":
            hire = validation.hire_clean(body)
            checked.name = hire.name
            checked.rrn_masked = hire.number.masked
            checked.digits = hire.number.digits
        else:
            checked.name = cells.get("name", "")
            _exit_person(checked, cells)
            # The person is looked up by number later (_cross_checks); a placeholder id lets
            # exit_clean check the other fields now.
            body["employee_id"] = 1
            try:
                validation.exit_clean(body)
            finally:
                body["employee_id"] = None
    except FieldErrors as exc:
        errors.extend(exc)
    if not checked.name and body["kind"] == "hire":
        checked.name = str(body["employee"]["name"])
    return checked


def _exit_person(checked: _Checked, cells: dict[str, str]) -> None:
    from portal.identifiers import IdentifierError, person_number_parse

    raw = cell_rrn_text(cells.get("employee.rrn", ""))
    if not raw:
        checked.errors.add("employee.rrn", "required", "주민(외국인)등록번호를 입력해 주세요.")
        return
    try:
        number = person_number_parse(raw)
    except IdentifierError as exc:
        checked.errors.add("employee.rrn", exc.rule, exc.message)
        return
    checked.digits = number.digits
    checked.rrn_masked = number.masked


def _cross_checks(workplace: Workplace, kind: str, checked: list[_Checked]) -> None:
    """Checks that need the whole file or the database: duplicates, who is employed here."""
    index_of = {c.number: rrn_index(c.digits) for c in checked if c.digits}
    first_row: dict[str, int] = {}
    for c in checked:
        idx = index_of.get(c.number)
        if idx is None:
            continue
        if idx in first_row:
            c.errors.add(
                "employee.rrn",
                "duplicate_in_file",
                f"{first_row[idx]}행과 같은 사람입니다. 한 사람은 한 번만 적어 주세요.",
            )
        else:
            first_row[idx] = c.number
    active = dict(
        Employee.objects.filter(
            workplace=workplace, rrn_index__in=set(index_of.values()), loss_date__isnull=True
        ).values_list("rrn_index", "id")
    )
    for c in checked:
        idx = index_of.get(c.number)
        if idx is None:
            continue
        if kind == "hire" and idx in active:
            c.errors.add(
                "employee.rrn",
                "already_employed",
                "이 사업장에 이미 자격취득 신고된 재직자입니다. 정정이 필요하면 기존 신고를 정정해 주세요.",
            )
        elif kind == "exit":
            if idx not in active:
                c.errors.add("employee_id", "not_found", "이 사업장의 근로자가 아닙니다.")
            else:
                c.body["employee_id"] = active[idx]
                hired = Employee.objects.filter(pk=active[idx]).values_list("hire_date", flat=True)[
                    0
                ]
                last = c.body.get("last_working_day")
                if (
                    hired
                    and last
                    and re.fullmatch(r"\d{4}-\d{2}-\d{2}", last)
                    and last < hired.isoformat()
                ):
                    c.errors.add(
                        "last_working_day", "before_hire", "마지막 근무일이 입사일보다 빠릅니다."
                    )


def bulk_errors(upload: BulkUpload) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    rows = upload.rows.exclude(errors=[]).order_by("row_number").values_list("row_number", "errors")
    for number, errors in rows:
        out.extend({"row": number, **e} for e in errors)
    return out


def bulk_as_dict(upload: BulkUpload, *, reused: bool = False) -> dict[str, Any]:
    return {
        "id": upload.pk,
        "kind": upload.kind,
        "status": upload.status,
        "filename": upload.filename,
        "sha256": upload.sha256,
        "total_rows": upload.total_rows,
        "valid_rows": upload.valid_rows,
        "error_rows": upload.error_rows,
        "filed_rows": upload.filed_rows,
        "failed_rows": upload.failed_rows,
        "reused": reused,
        "errors": bulk_errors(upload),
    }


def bulk_file_start(*, actor: User, upload: BulkUpload, ip: str | None = None) -> bool:
    """Queue filing of every valid row; False if it was already started."""
    with transaction.atomic():
        started = BulkUpload.objects.filter(
            pk=upload.pk, status=BulkUpload.Status.VALIDATED, kind__in=list(COLUMNS)
        ).update(
            status=BulkUpload.Status.FILING,
            filing_started_at=timezone.now(),
            progress_at=timezone.now(),
        )
        if started:
            audit_record(
                actor=actor, action="bulk.file", obj=upload, workplace=upload.workplace, ip=ip
            )
            outbox_enqueue(task=FILE_TASK, args=[upload.pk])
    upload.refresh_from_db()
    return bool(started)


def _counts_refresh(upload_id: int) -> dict[str, int]:
    counts = dict(
        BulkRow.objects.filter(upload_id=upload_id)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    BulkUpload.objects.filter(pk=upload_id).update(
        filed_rows=counts.get(BulkRow.Status.FILED, 0),
        failed_rows=counts.get(BulkRow.Status.FAILED, 0),
        progress_at=timezone.now(),
    )
    return counts


def bulk_file_run(*, upload_id: int, budget_seconds: float = CHUNK_BUDGET_SECONDS) -> str:
    """File valid rows until the time budget is used, then hand over to a fresh task."""
    upload = (
        BulkUpload.objects.select_related("workplace", "uploaded_by").filter(pk=upload_id).first()
    )
    if upload is None or upload.status != BulkUpload.Status.FILING:
        return "not_filing"
    deadline = time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        batch = list(
            BulkRow.objects.filter(upload_id=upload_id, status=BulkRow.Status.VALID).order_by(
                "row_number"
            )[:50]
        )
        if not batch:
            _counts_refresh(upload_id)
            BulkUpload.objects.filter(pk=upload_id, status=BulkUpload.Status.FILING).update(
                status=BulkUpload.Status.DONE, finished_at=timezone.now()
            )
            return "done"
        for row in batch:
            _file_row(upload, row)
            if time.monotonic() >= deadline:
                break
        _counts_refresh(upload_id)
    task_publish(task=FILE_TASK, args=[upload_id])
    return "continued"


def _file_row(upload: BulkUpload, row: BulkRow) -> None:
    body = json.loads(crypto.decrypt(bytes(row.data_encrypted), purpose=ROW_PURPOSE))
    key = f"bulk:{upload.sha256}:{row.row_number}"
    try:
        report, _ = report_file(
            actor=upload.uploaded_by, workplace=upload.workplace, data=body, idempotency_key=key
        )
    except FieldErrors as exc:
        errors = RowErrors({c.field: c.header for c in COLUMNS[upload.kind]})
        errors.extend(exc)
        BulkRow.objects.filter(pk=row.pk).update(status=BulkRow.Status.FAILED, errors=errors.items)
        return
    except IdempotencyKeyMismatch as exc:
        message = f"이 행은 이미 다른 내용으로 신고되었습니다(신고 #{exc.report.pk})."
        error = {"column": "", "field": "row", "rule": "idempotency_conflict", "message": message}
        BulkRow.objects.filter(pk=row.pk).update(status=BulkRow.Status.FAILED, errors=[error])
        return
    BulkRow.objects.filter(pk=row.pk).update(status=BulkRow.Status.FILED, report=report)


def bulk_uploads_stalled(*, older_than_seconds: float = 300) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        BulkUpload.objects.filter(
            status=BulkUpload.Status.FILING, progress_at__lt=cutoff
        ).values_list("id", flat=True)[:100]
    )
