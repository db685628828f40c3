"""Prepared lookups (portal.prepared) survive a new database connection and a rollback."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.http import Http404

from portal.access import Action, workplace_get_for
from portal.models import Membership
from tests.factories import MembershipFactory, WorkplaceFactory
from tests.pipeline import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_workplace_lookup_keeps_working_on_a_new_connection() -> None:
    member = MembershipFactory(role=Membership.Role.OWNER)
    first = workplace_get_for(member.user, member.workplace.pk, action=Action.FILE)
    connection.close()  # the next query opens a new session, where nothing is prepared yet
    again = workplace_get_for(member.user, member.workplace.pk, action=Action.FILE)
    assert first.pk == again.pk == member.workplace.pk


def test_the_prepared_lookup_still_answers_per_caller_after_a_rollback() -> None:
    member = MembershipFactory(role=Membership.Role.OWNER)
    stranger_workplace = WorkplaceFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        # Prepared inside a transaction that then rolls back: PREPARE is not undone by it.
        workplace_get_for(member.user, member.workplace.pk, action=Action.FILE)
        raise RuntimeError
    assert workplace_get_for(member.user, member.workplace.pk, action=Action.FILE)
    with pytest.raises(Http404):
        workplace_get_for(member.user, stranger_workplace.pk, action=Action.FILE)


def test_one_statement_name_cannot_be_reused_for_another_text() -> None:
    from portal.prepared import prepared_fetchone

    assert prepared_fetchone(name="test_answer", sql="SELECT %(x)s::int + 1", params={"x": 41}) == (
        42,
    )
    with pytest.raises(ValueError, match="another text"):
        prepared_fetchone(name="test_answer", sql="SELECT %(x)s::int + 2", params={"x": 41})


def test_with_prepared_statements_off_the_same_lookup_runs_as_text(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DB_PREPARED_STATEMENTS = False
    member = MembershipFactory(role=Membership.Role.OWNER)
    connection.close()
    found = workplace_get_for(member.user, member.workplace.pk, action=Action.FILE)
    assert found.pk == member.workplace.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0


def test_skipping_the_flush_stays_with_its_statement_and_out_of_a_callers_transaction() -> None:
    from portal.models import OutboxMessage
    from portal.prepared import prepared_execute

    message = OutboxMessage.objects.create(task="t", args=[])
    sql = "UPDATE portal_outboxmessage SET publish_attempts = 1 WHERE id = %(id)s"

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    # The tests' throwaway server runs with synchronous_commit off: make this session durable.
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO on")
    try:
        rows = prepared_execute(
            name="t_mark", sql=sql, params={"id": message.pk}, wait_for_flush=False
        )
        assert rows == [("off",)]  # set for its own (autocommit) transaction
        assert setting() == "on"  # and gone with it
        with transaction.atomic():
            rows = prepared_execute(
                name="t_mark", sql=sql, params={"id": message.pk}, wait_for_flush=False
            )
            assert rows is None  # the plain statement: the caller's commit keeps waiting
            assert setting() == "on"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _published(message_id: int) -> bool:
    from portal.models import OutboxMessage

    return OutboxMessage.objects.get(pk=message_id).published_at is not None


def test_a_deferred_write_goes_out_with_the_next_statement_or_at_the_end_of_its_block() -> None:
    from django.utils import timezone

    from portal.models import OutboxMessage
    from portal.prepared import prepared_execute, prepared_fetchone, prepared_write_behind

    first = OutboxMessage.objects.create(task="t", args=[])
    second = OutboxMessage.objects.create(task="t", args=[])
    mark = "UPDATE portal_outboxmessage SET published_at = %(now)s WHERE id = %(id)s"

    def defer(message_id: int) -> None:
        prepared_execute(
            name="t_defer",
            sql=mark,
            params={"now": timezone.now(), "id": message_id},
            wait_for_flush=False,
            defer=True,
        )

    with prepared_write_behind():
        defer(first.pk)
        assert not _published(first.pk)  # an ORM read does not carry it
        answer = prepared_fetchone(name="t_carrier", sql="SELECT %(x)s::int", params={"x": 7})
        assert answer == (7,)  # the carrier's own answer comes back
        assert _published(first.pk)
        defer(second.pk)
        assert not _published(second.pk)
    assert _published(second.pk)  # left over: written when the block ended

    third = OutboxMessage.objects.create(task="t", args=[])
    defer(third.pk)  # outside a block: at once
    assert _published(third.pk)


def test_a_deferred_write_does_not_join_a_callers_transaction_that_rolls_back() -> None:
    from django.utils import timezone

    from portal.models import OutboxMessage
    from portal.prepared import prepared_execute, prepared_fetchone, prepared_write_behind

    message = OutboxMessage.objects.create(task="t", args=[])
    with prepared_write_behind():
        prepared_execute(
            name="t_defer",
            sql="UPDATE portal_outboxmessage SET published_at = %(now)s WHERE id = %(id)s",
            params={"now": timezone.now(), "id": message.pk},
            wait_for_flush=False,
            defer=True,
        )
        with pytest.raises(RuntimeError), transaction.atomic():
            prepared_fetchone(name="t_carrier", sql="SELECT %(x)s::int", params={"x": 1})
            raise RuntimeError
    assert _published(message.pk)


def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it() -> None:
    import psycopg2

    member = MembershipFactory(role=Membership.Role.OWNER)
    connection.ensure_connection()
    pid = connection.connection.get_backend_pid()
    given = connection.settings_dict
    admin = psycopg2.connect(
        dbname=given["NAME"],
        user=given["USER"],
        password=given["PASSWORD"],
        host=given["HOST"],
        port=given["PORT"],
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            # It only signals: wait until that server process has gone (as after a restart).
            wait_until(lambda: _gone(cursor, pid), timeout=10, interval=0.05)
        # What Django does as a request starts (and the health check on its first query).
        connection.close_if_unusable_or_obsolete()
        found = workplace_get_for(member.user, member.workplace.pk, action=Action.FILE)
        assert found.pk == member.workplace.pk
        assert connection.connection.get_backend_pid() != pid
    finally:
        admin.close()
        connection.close()  # whatever happened, the next test starts on a sound connection


def _gone(cursor, pid: int) -> bool:  # type: ignore[no-untyped-def]
    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
    return cursor.fetchone()[0] == 0
