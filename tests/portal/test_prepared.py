"""Prepared lookups (portal.prepared) survive a new database connection and a rollback."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.http import Http404

from portal.access import Action, workplace_get_for
from portal.models import Membership
from tests.factories import MembershipFactory, WorkplaceFactory

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
