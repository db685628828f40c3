"""The outbox: rows written with the change, published after commit, never for a rollback."""

from __future__ import annotations

import pytest
from django.db import transaction

from portal.models import OutboxMessage
from portal.outbox import outbox_enqueue, outbox_sweep

pytestmark = pytest.mark.django_db(transaction=True)

TASK = "portal.tasks.noop"


def test_a_message_is_published_once_its_transaction_commits() -> None:
    with transaction.atomic():
        message = outbox_enqueue(task=TASK, args=["bench:outbox-test"])
        message.refresh_from_db()
        assert message.published_at is None
    message.refresh_from_db()
    assert message.published_at is not None


def test_a_rolled_back_transaction_publishes_nothing_and_the_next_one_still_publishes() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(task=TASK, args=["bench:outbox-test"])
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    with transaction.atomic():
        kept = outbox_enqueue(task=TASK, args=["bench:outbox-test"])
    kept.refresh_from_db()
    assert kept.published_at is not None


def test_a_message_enqueued_outside_a_transaction_is_published_at_once() -> None:
    message = outbox_enqueue(task=TASK, args=["bench:outbox-test"])
    message.refresh_from_db()
    assert message.published_at is not None


def test_the_sweeper_publishes_rows_whose_publish_never_happened() -> None:
    stranded = OutboxMessage.objects.create(task=TASK, args=["bench:outbox-test"])
    OutboxMessage.objects.filter(pk=stranded.pk).update(
        created_at=stranded.created_at.replace(year=stranded.created_at.year - 1)
    )
    assert outbox_sweep() == 1
    stranded.refresh_from_db()
    assert stranded.published_at is not None
