"""portal.rows: a filing's rows go in together, outside a transaction too (autocommit)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import DataError

from filings.models import Report, ReportEvent, Submission
from filings.services import report_file
from portal.errors import FieldErrors
from portal.models import AuditEvent, Employee, Membership, OutboxMessage
from portal.rows import rows_insert
from portal.services import audit_event_build
from tests.factories import MembershipFactory
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db(transaction=True)


def _owner():  # type: ignore[no-untyped-def]
    return MembershipFactory(role=Membership.Role.OWNER)


def test_rows_written_together_are_all_or_nothing_even_in_autocommit() -> None:
    member = _owner()
    employee = Employee(
        workplace=member.workplace,
        name="홍길동",
        rrn_encrypted=b"x",
        rrn_index="idx",
        rrn_masked="900101-1******",
        birth_date=date(1990, 1, 1),
        sex="M",
    )
    too_long = audit_event_build(actor=None, action="x" * 65, obj=member.workplace)
    with pytest.raises(DataError):
        rows_insert([employee, too_long])
    assert not Employee.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="xxx").exists()


def test_a_filed_hire_has_every_row_linked_to_the_ids_it_was_given() -> None:
    member = _owner()
    report, created = report_file(actor=member.user, workplace=member.workplace, data=hire_body())
    assert created
    stored = Report.objects.get(pk=report.pk)
    assert stored.employee.name == "김민준"
    subs = list(Submission.objects.filter(report=stored).order_by("id"))
    assert [s.pk for s in subs] == [s.pk for s in report.filed_submissions]
    assert {e.submission_id for e in ReportEvent.objects.filter(report=stored)} == {
        s.pk for s in subs
    }
    (message,) = OutboxMessage.objects.filter(task="filings.tasks.submissions_send")
    assert message.args == [[s.pk for s in subs]]
    audit = AuditEvent.objects.get(action="report.file.hire")
    assert audit.object_id == str(report.pk)
    assert audit.actor_id == member.user.pk


def test_hiring_the_same_person_twice_outside_a_transaction_is_a_field_error() -> None:
    member = _owner()
    body = hire_body(name="김철수")
    report_file(actor=member.user, workplace=member.workplace, data=body)
    with pytest.raises(FieldErrors) as caught:
        report_file(actor=member.user, workplace=member.workplace, data=body)
    assert caught.value.fields["employee.rrn"][0][0] == "already_employed"
    assert Report.objects.count() == 1
    assert Employee.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_rows_insert_stores_every_column_as_save_would() -> None:
    from decimal import Decimal

    from django.utils import timezone

    member = _owner()
    when = timezone.now()

    def employee(name: str) -> Employee:
        return Employee(
            workplace=member.workplace,
            name=name,
            rrn_encrypted=b"\x00\x01binary",
            rrn_index=f"idx-{name}",
            rrn_masked="900101-1******",
            birth_date=date(1990, 1, 1),
            sex="M",
            hire_date=date(2026, 11, 2),
            monthly_wage=3_100_000,
            weekly_hours=Decimal("37.5"),
            is_representative=True,
            coverage={"pension": {"covered": True, "reason": "18세 이상 60세 미만"}},
        )

    saved, inserted = employee("저장"), employee("삽입")
    saved.save()
    rows_insert([inserted])
    event_saved = audit_event_build(actor=member.user, action="t", obj=saved, data={"n": [1]})
    event_saved.at = when
    event_saved.save()
    event_inserted = audit_event_build(actor=member.user, action="t", obj=saved, data={"n": [1]})
    event_inserted.at = when
    rows_insert([event_inserted])

    skip = {"id", "name", "rrn_index", "created_at", "updated_at"}
    columns = [f.attname for f in Employee._meta.concrete_fields if f.attname not in skip]
    a = Employee.objects.filter(pk=saved.pk).values(*columns).get()
    b = Employee.objects.filter(pk=inserted.pk).values(*columns).get()
    assert a == b
    audit_columns = [f.attname for f in AuditEvent._meta.concrete_fields if f.attname != "id"]
    assert (
        AuditEvent.objects.filter(pk=event_saved.pk).values(*audit_columns).get()
        == AuditEvent.objects.filter(pk=event_inserted.pk).values(*audit_columns).get()
    )


def test_rows_insert_writes_the_same_rows_with_prepared_statements_off(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DB_PREPARED_STATEMENTS = False
    member = _owner()
    report, _ = report_file(actor=member.user, workplace=member.workplace, data=hire_body())
    stored = Report.objects.get(pk=report.pk)
    assert stored.employee.name == "김민준"
    assert Submission.objects.filter(report=stored).count() == len(report.filed_submissions) > 0


def test_row_new_builds_what_the_model_constructor_builds() -> None:
    from portal.rows import row_new

    member = _owner()
    report = Report(pk=41, workplace=member.workplace)
    kwargs = {
        "report": report,
        "agency": "nps",
        "action": Submission.Action.FILE,
        "status": "queued",
        "deadline": date(2026, 12, 15),
        "deadline_rule": "다음 달 15일",
    }
    built, constructed = row_new(Submission, **kwargs), Submission(**kwargs)
    # Callable defaults (a fresh reference, the creation time) differ by nature.
    fresh = {"reference", "created_at", "updated_at"}
    values = {f.attname: getattr(built, f.attname) for f in Submission._meta.concrete_fields}
    expected = {
        f.attname: getattr(constructed, f.attname) for f in Submission._meta.concrete_fields
    }
    assert {k: v for k, v in values.items() if k not in fresh} == {
        k: v for k, v in expected.items() if k not in fresh
    }
    assert built.report is report  # the parent is cached, not looked up
    assert built.report_id == 41
    assert built._state.adding and built.pk is None
    correction = row_new(Report, workplace=member.workplace, supersedes=report)
    assert correction.supersedes_id == 41  # a one-to-one parent too
    with pytest.raises(TypeError, match="no_such_field"):
        row_new(Submission, no_such_field=1)


def test_reserved_ids_are_handed_out_once_even_to_a_forked_child() -> None:
    import os

    from portal.rows import rows_ids_allocate

    member = _owner()

    def take(count: int) -> list[int]:
        events = [
            audit_event_build(actor=None, action="t", obj=member.workplace) for _ in range(count)
        ]
        rows_ids_allocate(events)
        return [e.pk for e in events]

    mine = take(3)  # the parent now holds a reserve
    assert mine == sorted(mine) and len(set(mine)) == 3
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its own connection and, so, its own draw
        from django.db import connections

        for conn in connections.all():
            conn.connection = None  # the parent's socket stays the parent's
        try:
            os.write(write, ",".join(map(str, take(40))).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        theirs = [int(x) for x in pipe.read().split(",") if x]
    os.waitpid(child, 0)
    after = take(40)  # more than the reserve holds: the parent draws again
    assert len(theirs) == 40
    assert not set(theirs) & set(mine + after), "no id is handed out twice"
    assert len(set(mine + after)) == 43


def test_rows_riding_go_in_with_the_next_insert_or_take_it_down_with_them() -> None:
    from django.db import IntegrityError

    from filings.models import IdempotencyRecord
    from portal.rows import rows_riding

    member = _owner()

    def claim() -> IdempotencyRecord:
        return IdempotencyRecord(owner="t", key="k", method="POST", path="/", fingerprint="f")

    with rows_riding([claim()]) as riding:
        pass  # no insert came: nothing written
    assert not riding.inserted and not IdempotencyRecord.objects.exists()

    first = audit_event_build(actor=None, action="first", obj=member.workplace)
    with rows_riding([claim()]) as riding:
        rows_insert([first])
    assert riding.inserted
    assert IdempotencyRecord.objects.count() == 1

    second = audit_event_build(actor=None, action="second", obj=member.workplace)
    with rows_riding([claim()]) as riding, pytest.raises(IntegrityError):
        rows_insert([second])  # the same owner and key again
    assert riding.failed_on == "idempotency_owner_key"
    assert not AuditEvent.objects.filter(action="second").exists()  # undone with it
