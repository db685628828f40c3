"""Filing by upload file (delivery channel `file`): batches in an agency portal's bulk layout.

A workplace whose channel is `file` never sends over HTTP (filings.delivery.over_http). Its
ready submissions are gathered into batches, one per layout (4insure 자격취득신고, 자격상실신고,
보수총액신고; the 고용·산재 토탈서비스 근로내용확인신고); a submission joins at most one batch
(AgencyFileRow is one-to-one). The user
downloads the workbook, built on each download from the encrypted employees (the full resident
number is in it, so every download is a 접속기록), uploads it to 4insure, and records the outcome:
the 접수번호 (the batch's submissions become `received`: filed) and per person 처리완료 or 반려,
by hand or as 4insure's result file. Outcomes go through filings.delivery.outcomes_record, the
same path as the agencies' API answers (periods, report status, alerts, webhooks).

Layouts are data (filings/layouts/<layout>_v<version>.json): their column order is unverified,
so a corrected order is a new layout version, not a code change.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agencies.base import AgencyAdapter, Filing, Receipt, Result
from agencies.registry import adapter_for
from filings.delivery import (
    Outcome,
    outcomes_record,
    person_block,
    result_changes,
    workplace_block,
)
from filings.models import (
    AgencyFile,
    AgencyFileRow,
    Report,
    ReportKind,
    Submission,
    SubmissionStatus,
    id_list,
)
from filings.tables import table_rows
from portal.access import Action, can, workplaces_for
from portal.access_log import access_records_append
from portal.errors import FieldErrors, InvalidState, NotFound
from portal.identifiers import IdentifierError, person_number_parse
from portal.models import AccessRecord, DeliveryChannel, Workplace
from portal.services import PermissionDeniedError, audit_record, rrn_index

LAYOUT_DIR = Path(__file__).parent / "layouts"
# The layout version new batches use; older batches keep theirs (their files stay readable).
CURRENT_LAYOUTS: dict[str, tuple[str, int]] = {
    ReportKind.HIRE: ("4insure_acquisition", 1),
    ReportKind.EXIT: ("4insure_loss", 1),
    ReportKind.DAILY_WORK: ("comwel_daily_work", 1),
    ReportKind.ANNUAL_WAGE: ("4insure_annual_wage", 1),
}
# Where the user uploads each layout's file.
AGENCY_PORTALS = {"4insure": "4대사회보험 정보연계센터", "comwel": "고용·산재보험 토탈서비스"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERROR_HEADER = "오류메세지"
WARNING_HEADER = "경고메세지"


@dataclass(frozen=True)
class Column:
    header: str
    agency: str | None
    # "person.<x>", "data.<report data key>", "day.<n>" (a day worked), "const.<text>", or the
    # adapter's field name for `agency`.
    value: str | None
    format: str
    pad: int | None = None
    role: str | None = None  # "error" | "warning": filled by 4insure, blank in our file


@dataclass(frozen=True)
class Layout:
    code: str
    version: int
    title: str
    sheet: str
    report_kind: str
    agency_portal: str
    columns: tuple[Column, ...]
    nationality_codes: dict[str, str]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


@cache
def layout_load(code: str, version: int) -> Layout:
    raw = json.loads((LAYOUT_DIR / f"{code}_v{version}.json").read_text(encoding="utf-8"))
    columns = tuple(
        Column(
            header=c["header"],
            agency=c.get("agency"),
            value=c.get("value"),
            format=c.get("format", "text"),
            pad=c.get("pad"),
            role=c.get("role"),
        )
        for c in raw["columns"]
    )
    codes = {k: v for k, v in raw.get("nationality_codes", {}).items() if not k.startswith("_")}
    return Layout(
        code=raw["layout"],
        version=int(raw["version"]),
        title=raw["title"],
        sheet=raw["sheet"],
        report_kind=raw["report_kind"],
        agency_portal=raw["agency_portal"],
        columns=columns,
        nationality_codes=codes,
    )


def layout_of(agency_file: AgencyFile) -> Layout:
    return layout_load(agency_file.layout, agency_file.layout_version)


# -- gathering --------------------------------------------------------------------------


def batched_filing_q() -> Q:
    """Filings that travel in a batch: those of a kind with a layout (their cancellations, and
    every other kind, are filed by hand: filings.hand_outcomes)."""
    return Q(action=Submission.Action.FILE, report__kind__in=list(CURRENT_LAYOUTS))


def _ready(workplace_id: int) -> Q:
    """Submissions a batch may take: queued batched filings, in no batch yet."""
    return batched_filing_q() & Q(
        report__workplace_id=workplace_id,
        report__workplace__delivery_channel=DeliveryChannel.FILE,
        report__cancelled_at__isnull=True,
        report__corrected_at__isnull=True,
        status=SubmissionStatus.QUEUED,
        agency_file_row__isnull=True,
    )


def agency_files_gather(
    *, workplace: Workplace, actor: User | None, ip: str | None = None
) -> list[AgencyFile]:
    """Put every ready submission of the workplace into new batches (one per layout); the
    batches made, none if nothing was ready."""
    if workplace.delivery_channel != DeliveryChannel.FILE:
        raise InvalidState("신고 방식이 '신고 파일'인 사업장만 신고 파일을 만들 수 있습니다.")
    made = []
    with transaction.atomic():
        # One gatherer per workplace at a time (the beat and the button may meet here); the
        # one-to-one row makes a second batch for a submission impossible anyway.
        Workplace.objects.select_for_update().filter(pk=workplace.pk).first()
        rows = list(
            Submission.objects.filter(_ready(workplace.pk))
            .order_by("report_id", "id")
            .values_list("pk", "report_id", "report__kind", "report__employee_id")
        )
        by_kind: dict[str, list[tuple[int, int]]] = defaultdict(list)
        # One report per person in a batch: a result file's rows are told apart by the person
        # (two months of one daily worker wait for the next batch).
        person_report: dict[tuple[str, int], int] = {}
        for pk, report_id, kind, employee_id in rows:
            first = person_report.setdefault((kind, employee_id), report_id)
            if employee_id is not None and first != report_id:
                continue
            by_kind[kind].append((pk, report_id))
        for kind, items in by_kind.items():
            code, version = CURRENT_LAYOUTS[kind]
            batch = AgencyFile.objects.create(
                workplace=workplace,
                layout=code,
                layout_version=version,
                agency_portal=layout_load(code, version).agency_portal,
                row_count=len({report_id for _, report_id in items}),
                created_by=actor,
            )
            _rows_insert(batch.pk, [pk for pk, _ in items])
            audit_record(
                actor=actor,
                action="agency_file.gather",
                obj=batch,
                workplace=workplace,
                ip=ip,
                data={"layout": code, "version": version, "submissions": len(items)},
            )
            made.append(batch)
    return made


def _rows_insert(agency_file_id: int, submission_ids: list[int]) -> None:
    """One INSERT from an array: bulk_create builds a model per row (a second for 40,000)."""
    table = AgencyFileRow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (agency_file_id, submission_id) "  # noqa: S608  (our table name)
            "SELECT %s, unnest(%s::bigint[])",
            [agency_file_id, submission_ids],
        )


def agency_files_gather_all() -> int:
    """Beat, daily: gather for every file-channel workplace that has something ready."""
    workplace_ids = (
        Submission.objects.filter(
            report__workplace__delivery_channel=DeliveryChannel.FILE,
            report__kind__in=list(CURRENT_LAYOUTS),
            action=Submission.Action.FILE,
            status=SubmissionStatus.QUEUED,
            agency_file_row__isnull=True,
        )
        .values_list("report__workplace_id", flat=True)
        .distinct()
    )
    made = 0
    for workplace in Workplace.objects.filter(pk__in=list(workplace_ids)):
        made += len(agency_files_gather(workplace=workplace, actor=None))
    return made


def agency_file_regenerate(
    *, agency_file: AgencyFile, actor: User, ip: str | None = None
) -> AgencyFile:
    """Make a batch again, on the user's request only: its rows still waiting move to a new
    batch in the layout's current version (a corrected column order, a lost file); the old
    batch is marked replaced and can no longer be downloaded or answered."""
    if not can(actor, agency_file.workplace_id, Action.FILE):
        raise PermissionDeniedError
    with transaction.atomic():
        Workplace.objects.select_for_update().filter(pk=agency_file.workplace_id).first()
        old = AgencyFile.objects.select_for_update().get(pk=agency_file.pk)
        if old.confirmed_at or old.replaced_by_id:
            raise InvalidState(
                "접수번호를 기록했거나 이미 다시 만든 신고 파일은 다시 만들 수 없습니다."
            )
        waiting = AgencyFileRow.objects.filter(
            agency_file=old, submission__status=SubmissionStatus.QUEUED
        )
        report_ids = set(waiting.values_list("submission__report_id", flat=True))
        if not report_ids:
            raise InvalidState("다시 만들 신고가 없습니다(모두 취소되었거나 결과가 있습니다).")
        code, version = CURRENT_LAYOUTS[layout_of(old).report_kind]
        new = AgencyFile.objects.create(
            workplace_id=old.workplace_id,
            layout=code,
            layout_version=version,
            agency_portal=layout_load(code, version).agency_portal,
            row_count=len(report_ids),
            created_by=actor,
            # A downloaded file may have been uploaded: its rows stay "maybe delivered".
            downloaded_at=old.downloaded_at,
        )
        waiting.update(agency_file=new)
        AgencyFile.objects.filter(pk=old.pk).update(replaced_by=new)
        audit_record(
            actor=actor,
            action="agency_file.regenerate",
            obj=old,
            workplace=agency_file.workplace,
            ip=ip,
            data={"new": new.pk, "layout": code, "version": version},
        )
    return new


def agency_file_usable(agency_file: AgencyFile) -> None:
    """Refuse a batch that was made again: its rows live in the new one."""
    if agency_file.replaced_by_id:
        raise InvalidState(
            f"다시 만든 신고 파일입니다. 새 파일 #{agency_file.replaced_by_id}을(를) 쓰세요."
        )


def agency_files_pending_for(*, actor: User) -> list[AgencyFile]:
    """Every batch the user may file for that waits for its upload (no 접수번호 yet), across
    their workplaces (a payroll agent's clients), oldest workplace first."""
    return list(
        AgencyFile.objects.filter(
            workplace__in=workplaces_for(actor, action=Action.FILE),
            confirmed_at__isnull=True,
            replaced_by__isnull=True,
        )
        .select_related("workplace")
        .order_by("workplace_id", "created_at", "id")
    )


def agency_files_zip(
    *, actor: User, agency_files: list[AgencyFile], ip: str | None = None
) -> tuple[bytes, str]:
    """One zip of the given batches' workbooks (each logged and audited as its own download)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for agency_file in agency_files:
            content, name = agency_file_xlsx(agency_file=agency_file, actor=actor, ip=ip)
            folder = re.sub(r"[\\/:*?\"<>|]+|^\.+", "_", agency_file.workplace.name) or "_"
            archive.writestr(f"{folder}/{name}", content)
    day = timezone.localdate().strftime("%Y%m%d")
    return buffer.getvalue(), f"신고파일_{day}.zip"


def agency_files_for(*, workplace: Workplace) -> list[AgencyFile]:
    return list(AgencyFile.objects.filter(workplace=workplace).order_by("-created_at", "-id"))


def agency_file_as_dict(agency_file: AgencyFile) -> dict[str, Any]:
    return {
        "id": agency_file.pk,
        "layout": f"{agency_file.layout}_v{agency_file.layout_version}",
        "agency_portal": agency_file.agency_portal,
        "rows": agency_file.row_count,
        "created_at": agency_file.created_at.isoformat(),
        "downloaded_at": (
            agency_file.downloaded_at.isoformat() if agency_file.downloaded_at else None
        ),
        "confirmed_at": agency_file.confirmed_at.isoformat() if agency_file.confirmed_at else None,
        "receipt_number": agency_file.receipt_number,
        "replaced_by": agency_file.replaced_by_id,
    }


# -- the workbook -------------------------------------------------------------------------


def _submissions_of(agency_file: AgencyFile) -> list[Submission]:
    """The batch's submissions, each with its report (one object per report, shared by its
    agencies' rows), the report's employee and the batch's workplace: 10,000 people are 10,000
    reports, not 40,000 copies."""
    subs = list(
        Submission.objects.filter(agency_file_row__agency_file=agency_file).order_by(
            "report_id", "id"
        )
    )
    reports = Report.objects.select_related("employee").in_bulk({s.report_id for s in subs})
    for report in reports.values():
        report.workplace = agency_file.workplace
    for sub in subs:
        sub.report = reports[sub.report_id]
    return subs


def _people(subs: Iterable[Submission]) -> dict[int, list[Submission]]:
    """report id -> its submissions in the batch: one workbook row per report (per person)."""
    people: dict[int, list[Submission]] = defaultdict(list)
    for sub in subs:
        people[sub.report_id].append(sub)
    return people


def _text(value: Any, column: Column) -> Any:
    if value is None or value == "":
        return None
    fmt = column.format
    if fmt == "int":
        return int(float(value))
    if fmt == "date":
        return str(value).replace("-", "")[:8]
    if fmt == "month":
        return str(value).replace("-", "")[:6]
    if fmt == "mark":
        return "1" if value else None
    if fmt == "yn":
        return "Y" if value else "N"
    if fmt == "1_2":
        return "1" if value else "2"
    if fmt == "code":
        text = str(value)
        return text.zfill(column.pad) if column.pad else text
    return str(value)


def _given_1_2(value: Any) -> str:
    return "1" if value not in (None, "") else "2"


def _person_values(filing: Filing, layout: Layout) -> dict[str, Any]:
    person = filing.person or {}
    foreign = person.get("nationality", "KR") != "KR"
    nationality = str(person.get("nationality") or "KR")
    return {
        "person.rrn": person.get("rrn", ""),
        "person.name": person.get("name", ""),
        # Foreigners' names are kept in Latin letters as registered; 4insure asks for them here.
        "person.english_name": person.get("name", "") if foreign else "",
        "person.nationality": layout.nationality_codes.get(nationality, nationality),
        "person.visa": str(person.get("visa") or "").replace("-", ""),
        "person.is_representative": bool(filing.data.get("is_representative")),
        # Dependants are filed separately (피부양자 취득신고); the portal never asks here.
        "person.dependants": False,
    }


def _fields_of(kind: str, adapter: AgencyAdapter) -> Callable[[Filing], dict[str, Any]]:
    return {
        ReportKind.HIRE: adapter.acquisition_fields,
        ReportKind.EXIT: adapter.loss_fields,
        ReportKind.DAILY_WORK: adapter.daily_work_fields,
        ReportKind.ANNUAL_WAGE: adapter.annual_wage_fields,
    }[ReportKind(kind)]


def _row(report_subs: list[Submission], layout: Layout) -> list[Any]:
    report = report_subs[0].report
    filing = Filing(
        reference=str(report.pk),
        kind=report.kind,
        workplace=workplace_block(report.workplace),
        person=person_block(report.employee),
        data=dict(report.data),
    )
    common = _person_values(filing, layout)
    days = set(filing.data.get("days") or ())
    sections: dict[str, dict[str, Any]] = {}
    for sub in report_subs:
        # The adapters' own fields (codes, dates, pay), so no code is worked out twice.
        sections[sub.agency] = _fields_of(report.kind, adapter_for(sub.agency))(filing)
    row: list[Any] = []
    for column in layout.columns:
        if column.role or column.value is None:
            row.append(None)
        elif column.agency is not None and column.agency not in sections:
            row.append(None)  # no submission at that agency in this batch
        elif column.value.startswith("person."):
            row.append(_text(common[column.value], column))
        elif column.value.startswith("data."):
            row.append(_text(filing.data.get(column.value[5:]), column))
        elif column.value.startswith("day."):
            row.append(_text(int(column.value[4:]) in days, column))
        elif column.value.startswith("const."):
            row.append(column.value[6:])
        else:
            value = sections[column.agency or ""].get(column.value)
            row.append(_given_1_2(value) if column.format == "given_1_2" else _text(value, column))
    return row


def agency_file_xlsx(
    *, agency_file: AgencyFile, actor: User, ip: str | None = None
) -> tuple[bytes, str]:
    """The batch's workbook (bytes, file name), built now from the encrypted employees; each
    download is logged per person like a full-number view (PIPA 접속기록) and audited."""
    if not can(actor, agency_file.workplace_id, Action.FILE):
        raise PermissionDeniedError
    agency_file_usable(agency_file)
    from openpyxl import Workbook

    layout = layout_of(agency_file)
    if agency_file.downloaded_at is None:
        # Marked before the rows are read: a cancellation from now on treats them as maybe
        # delivered (filings.services._reached); one that came before is left out below.
        AgencyFile.objects.filter(pk=agency_file.pk, downloaded_at__isnull=True).update(
            downloaded_at=timezone.now()
        )
    # A report cancelled before the file was first downloaded never reached an agency.
    people = _people(
        s for s in _submissions_of(agency_file) if s.status != SubmissionStatus.CANCELLED
    )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(layout.sheet)
    ws.append(layout.headers)
    employee_ids = []
    for report_subs in people.values():
        ws.append(_row(report_subs, layout))
        employee_ids.append(report_subs[0].report.employee_id)
    buffer = io.BytesIO()
    wb.save(buffer)
    with transaction.atomic():
        access_records_append(
            user=actor,
            ip=ip,
            employee_ids=[e for e in employee_ids if e is not None],
            action=AccessRecord.Action.DOWNLOAD,
            reason=f"4대보험 신고 파일 #{agency_file.pk} ({layout.title})",
        )
        audit_record(
            actor=actor,
            action="agency_file.download",
            obj=agency_file,
            workplace=agency_file.workplace,
            ip=ip,
            data={"people": len(people)},
        )
    day = timezone.localdate().strftime("%Y%m%d")
    return (
        buffer.getvalue(),
        f"{layout.title}_{agency_file.workplace_id}_{agency_file.pk}_{day}.xlsx",
    )


# -- the outcome ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowResult:
    report_id: int
    agency: str
    status: str  # accepted | rejected
    message: str = ""


class _BatchSubmission(NamedTuple):
    """A submission of the batch as recording its answer reads it: a row, not a model (a batch
    holds up to 40,000)."""

    pk: int
    report_id: int
    agency: str
    action: str
    status: str
    attempts_count: int
    receipt_number: str


def _batch_submissions(agency_file_id: int) -> list[_BatchSubmission]:
    rows = (
        Submission.objects.filter(agency_file_row__agency_file_id=agency_file_id)
        .order_by("report_id", "id")
        .values_list(*_BatchSubmission._fields)
    )
    return [_BatchSubmission._make(row) for row in rows]


def agency_file_result_record(
    *,
    agency_file: AgencyFile,
    actor: User,
    receipt_number: str,
    rows: list[RowResult],
    ip: str | None = None,
) -> dict[str, int]:
    """Record what 4insure did with the batch. The 접수번호 confirms the upload (every
    submission of the batch not yet decided becomes `received`); each row decides one
    submission. Rows already decided are left as they are (an answer is final). Counts back."""
    if not can(actor, agency_file.workplace_id, Action.FILE):
        raise PermissionDeniedError
    agency_file_usable(agency_file)
    receipt_number = receipt_number.strip()
    errors = FieldErrors()
    if not receipt_number and not agency_file.receipt_number:
        errors.add("receipt_number", "required", "4insure 접수번호를 입력해 주세요.")
    if len(receipt_number) > 64:
        errors.add("receipt_number", "max_length", "접수번호는 64자 이하여야 합니다.")
    subs = _batch_submissions(agency_file.pk)
    by_key = {(s.report_id, s.agency): s for s in subs}
    decided: dict[int, RowResult] = {}
    for i, row in enumerate(rows):
        sub = by_key.get((row.report_id, row.agency))
        if sub is None:
            errors.add(f"rows[{i}]", "not_in_batch", "이 신고 파일에 없는 신고·기관입니다.")
        elif row.status not in ("accepted", "rejected"):
            errors.add(f"rows[{i}].status", "choice", "accepted 또는 rejected여야 합니다.")
        else:
            decided[sub.pk] = row
    errors.raise_if_any()
    receipt = receipt_number or agency_file.receipt_number
    now = timezone.now()
    outcomes = []
    # Equal answers to equal rows change the same: worked out once, shared (Outcome's note).
    changes: dict[tuple[Any, ...], tuple[dict, list[tuple[str, str]]]] = {}
    for sub in subs:
        row_result = decided.get(sub.pk)
        answer: Receipt | Result
        if row_result is not None:
            answer = Result(
                status=row_result.status,
                receipt_number=receipt,
                result_message=row_result.message[:500],
            )
        elif sub.status == SubmissionStatus.QUEUED:
            answer = Receipt(receipt_number=receipt, status="received")
        else:
            continue
        # A row already confirmed has its 접수번호 on the timeline: not again ("poll" skips it).
        via = "poll" if sub.status == SubmissionStatus.RECEIVED else "file"
        key = (answer, via, sub.attempts_count, sub.receipt_number)
        if key not in changes:
            fields, events = result_changes(sub, answer, via=via)
            # One time for the batch, so equal answers are stored with one UPDATE (_store_in).
            for name in ("decided_at", "last_polled_at", "received_at"):
                if name in fields:
                    fields[name] = now
            changes[key] = fields, events
        fields, events = changes[key]
        outcomes.append(Outcome(sub, answer.status, fields, events))
    with transaction.atomic():
        if receipt_number and not agency_file.confirmed_at:
            AgencyFile.objects.filter(pk=agency_file.pk).update(
                confirmed_at=now, receipt_number=receipt_number
            )
        recorded = outcomes_record(outcomes, store=_store_in(agency_file.pk))
        counts = {"received": 0, "accepted": 0, "rejected": 0}
        for o in outcomes:
            if o.sub.pk in recorded:
                counts[o.result] += 1
        audit_record(
            actor=actor,
            action="agency_file.result",
            obj=agency_file,
            workplace=agency_file.workplace,
            ip=ip,
            data={"receipt_number": receipt, **counts},
        )
    return counts


def _store_in(agency_file_id: int) -> Callable[[list[Outcome]], set[int]]:
    """The fence of this channel: rows still in this batch and not decided. The batch's
    undecided rows are locked by that condition, not by a list of up to 40,000 ids. Equal field
    sets are written with one UPDATE (a 10,000-person batch is mostly equal answers)."""

    def store(outcomes: list[Outcome]) -> set[int]:
        undecided_rows = Submission.objects.filter(
            status__in=[SubmissionStatus.QUEUED, SubmissionStatus.RECEIVED],
            agency_file_row__agency_file_id=agency_file_id,
        )
        undecided = set(undecided_rows.select_for_update(of=("self",)).values_list("pk", flat=True))
        held: set[int] = set()
        shared: dict[int, tuple[dict, list[int]]] = {}  # id(fields) -> fields, their rows
        for o in outcomes:
            if o.sub.pk in undecided:
                held.add(o.sub.pk)
                shared.setdefault(id(o.fields), (o.fields, []))[1].append(o.sub.pk)
        groups: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
        for fields, pks in shared.values():
            groups[tuple(sorted(fields.items()))].extend(pks)
        for key, pks in groups.items():
            # Exactly the rows locked above, as one parameter (not tens of thousands of them).
            Submission.objects.filter(pk__in=id_list(pks)).update(**dict(key))
        return held

    return store


_AGENCY_WORDS: dict[str, tuple[str, ...]] = {
    "pension": ("국민연금", "연금"),
    "health": ("건강보험", "건강"),
    "employment": ("고용보험", "고용"),
    "industrial_accident": ("산재보험", "산재"),
}


def _agencies_named(message: str, among: Iterable[str]) -> list[str]:
    """The agencies a 4insure error message names; all of the row's agencies if it names none
    (the message then concerns the person as a whole, e.g. a wrong resident number)."""
    among = list(among)
    named = [a for a in among if any(w in message for w in _AGENCY_WORDS.get(a, ()))]
    return named or among


def _header(value: str) -> str:
    return re.sub(r"\s+", "", value).lstrip("*")


def agency_file_result_parse(
    *, agency_file: AgencyFile, content: bytes, filename: str
) -> list[RowResult]:
    """4insure's result file for the batch: the batch's layout with 오류메세지/경고메세지.
    A person's row with an 오류메세지 is 반려 at the agencies the message names (all of the
    person's agencies in the batch if it names none); without one it is 처리완료 everywhere,
    the 경고메세지 kept as the message. People not in the file stay as they were."""
    layout = layout_of(agency_file)
    rows_in = table_rows(content=content, filename=filename)
    first = next(rows_in, None)
    if first is None:
        raise FieldErrors({"file": [("empty", "빈 파일입니다.")]})
    header = [_header(h) for h in first]
    expected = [_header(h) for h in layout.headers]
    if header[: len(expected)] != expected:
        raise FieldErrors(
            {"file": [("headers", f"이 신고 파일의 양식({layout.title})과 머리글이 다릅니다.")]}
        )
    rrn_at = next(i for i, c in enumerate(layout.columns) if c.value == "person.rrn")
    error_at = header.index(ERROR_HEADER) if ERROR_HEADER in header else None
    warning_at = header.index(WARNING_HEADER) if WARNING_HEADER in header else None

    def text_at(cells: Sequence[str], at: int | None) -> str:
        return cells[at] if at is not None and at < len(cells) else ""

    table = [
        (n, text_at(cells, rrn_at), text_at(cells, error_at), text_at(cells, warning_at))
        for n, cells in enumerate(rows_in, start=2)
        if any(cells)
    ]
    people: dict[str, list[tuple[int, str]]] = defaultdict(list)
    rows = Submission.objects.filter(agency_file_row__agency_file=agency_file).values_list(
        "report_id", "agency", "report__employee__rrn_index"
    )
    for report_id, agency, index in rows:
        people[index].append((report_id, agency))
    results: list[RowResult] = []
    errors = FieldErrors()
    for n, rrn, error, warning in table:
        try:
            digits = person_number_parse(rrn).digits
        except IdentifierError:
            errors.add(f"row {n}", "rrn", f"{n}행: 주민등록번호를 읽을 수 없습니다.")
            continue
        subs = people.get(rrn_index(digits))
        if not subs:
            errors.add(f"row {n}", "not_in_batch", f"{n}행: 이 신고 파일에 없는 사람입니다.")
            continue
        rejected = set(_agencies_named(error, [a for _, a in subs])) if error else set()
        for report_id, agency in subs:
            if agency in rejected:
                results.append(RowResult(report_id, agency, "rejected", error))
            else:
                results.append(RowResult(report_id, agency, "accepted", warning))
    errors.raise_if_any()
    return results


BY_HAND_PAGE = 500


def agency_file_open_people(*, agency_file: AgencyFile) -> list[dict[str, Any]]:
    """The batch's people with an insurance still waiting for its outcome (the first
    BY_HAND_PAGE; a larger batch is answered with the result file): name, masked number and
    the waiting agencies, for recording outcomes by hand."""
    rows = (
        Submission.objects.filter(
            agency_file_row__agency_file=agency_file,
            status__in=[SubmissionStatus.QUEUED, SubmissionStatus.RECEIVED],
        )
        .order_by("report_id", "id")
        .values_list(
            "report_id", "agency", "report__employee__name", "report__employee__rrn_masked"
        )
    )
    people: dict[int, dict[str, Any]] = {}
    for report_id, agency, name, masked in rows:
        if report_id not in people and len(people) == BY_HAND_PAGE:
            break
        person = people.setdefault(
            report_id, {"report_id": report_id, "name": name, "rrn": masked, "agencies": []}
        )
        person["agencies"].append(agency)
    return list(people.values())


def agency_file_get(*, agency_file_id: int) -> AgencyFile:
    """The batch; callers check access to its workplace (portal.access)."""
    if not 0 < agency_file_id < 2**63:
        raise NotFound()  # the URL's int converter takes any size; the column does not
    found = AgencyFile.objects.select_related("workplace").filter(pk=agency_file_id).first()
    if found is None:
        raise NotFound()
    return found


def agency_files_pending(*, workplace_id: int) -> bool:
    """Whether anything of the workplace may be at an agency without its outcome recorded: a
    row in a batch still waiting, or one filed by hand (no layout carries it) still open. Only
    rows that wait to be gathered have surely never left the portal."""
    never_left = batched_filing_q() & Q(
        agency_file_row__isnull=True, status=SubmissionStatus.QUEUED
    )
    return (
        Submission.objects.filter(
            report__workplace_id=workplace_id,
            status__in=[SubmissionStatus.QUEUED, SubmissionStatus.RECEIVED],
        )
        .exclude(never_left)
        .exists()
    )


def workplace_delivery_channel_set(
    *, actor: User, workplace: Workplace, channel: str, ip: str | None = None
) -> Workplace:
    """Switch how the workplace's reports reach the agencies. Back to `api` only once no batch
    waits for its upload or outcome: its rows would otherwise be sent a second time over HTTP."""
    if not can(actor, workplace, Action.FILE):
        raise PermissionDeniedError
    if channel not in DeliveryChannel.values:
        raise FieldErrors(
            {"delivery_channel": [("choice", "delivery_channel은 api 또는 file이어야 합니다.")]}
        )
    if channel == workplace.delivery_channel:
        return workplace
    with transaction.atomic():
        locked = Workplace.objects.select_for_update().get(pk=workplace.pk)
        if channel == DeliveryChannel.API and agency_files_pending(workplace_id=workplace.pk):
            raise InvalidState(
                "결과를 기록하지 않은 신고 파일이나 직접 낸 신고가 있어 전자 전송으로 바꿀 수 "
                "없습니다. 먼저 접수번호와 처리 결과를 기록하거나, 기관에 내지 않은 신고는 "
                "취소해 주세요."
            )
        before = locked.delivery_channel
        Workplace.objects.filter(pk=workplace.pk).update(delivery_channel=channel)
        audit_record(
            actor=actor,
            action="workplace.delivery_channel",
            obj=locked,
            workplace=locked,
            ip=ip,
            data={"from": before, "to": channel},
        )
    workplace.delivery_channel = channel
    return workplace
