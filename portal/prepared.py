"""Server-side prepared statements for the few statements every API request makes.

psycopg2 sends each statement as text, so PostgreSQL plans it on every call. The workplace and
role lookup (portal.access) took ~0.4 ms to plan and ~0.02 ms to run; prepared once per
connection, later calls skip the planning. Callers: the API key and workplace lookups, the
idempotency claim and finish, the outbox mark and portal.rows' id allocation. Prepared
statements live as long as the database session and are not undone by a rollback; a new
connection prepares them again.

A write that may be lost can also wait for the next statement's round trip
(`prepared_write_behind`): an API POST's outbox mark goes out with its idempotency finish.

On other databases (the embedded SQLite mode), and with DB_PREPARED_STATEMENTS=false (for a
connection pooler in transaction mode, which hands sessions around), statements run as text.
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.db.models import Model

from portal.literals import literals_usable, sql_literal

logger = logging.getLogger(__name__)

# Evaluated in a RETURNING list: the statement's own transaction commits without waiting for its
# WAL flush (SET LOCAL would need a transaction block, and so a round trip more).
_COMMIT_WITHOUT_FLUSH = "set_config('synchronous_commit', 'off', true)"
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)

_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?s")
# raw DB-API connection -> names prepared on it (weak: a closed connection takes its set along).
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _positional(sql: str) -> tuple[str, list[str]]:
    """`%(name)s` placeholders become $1, $2, ... in order of first use; plain `%s` ones
    (not to be mixed with named ones) each take the next number."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1) or str(len(order))
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return _PLACEHOLDER.sub(number, sql), order


_plans: dict[str, tuple[str, str, list[str]]] = {}


def model_columns(model: type[Model], alias: str = "") -> tuple[list[str], str]:
    """(attnames, quoted column list) of a model's concrete fields, for plain statements whose
    rows go back through `Model.from_db`; taken from the model, so they follow migrations."""
    fields = model._meta.concrete_fields
    prefix = f"{alias}." if alias else ""
    quote = connection.ops.quote_name
    return [f.attname for f in fields], ", ".join(prefix + quote(f.column) for f in fields)


def _without_flush(db: Any, name: str, sql: str) -> tuple[str, str]:
    # Only a statement that is its own transaction: inside a caller's transaction the setting
    # would apply to the caller's commit too.
    if db.vendor != "postgresql" or db.in_atomic_block:
        return name, sql
    joiner = ", " if _RETURNING.search(sql) else " RETURNING "
    return f"{name}_noflush", f"{sql}{joiner}{_COMMIT_WITHOUT_FLUSH}"


class _WriteBehind(threading.local):
    # (name, sql, params) of deferred writes, or None outside a `prepared_write_behind` block.
    writes: list[tuple[str, str, Mapping[str, Any]]] | None = None


_write_behind = _WriteBehind()


@contextmanager
def prepared_write_behind() -> Iterator[None]:
    """Within the block, `prepared_execute(defer=True)` writes wait for the next prepared
    statement that runs outside a transaction and go out in its round trip (as one implicit
    transaction, committed as that statement asks); any left go out when the block ends.

    For marks whose loss is harmless (see `defer`): a write left at the end that fails then is
    logged, not raised. Nested blocks share the outermost one's writes.
    """
    if _write_behind.writes is not None:
        yield
        return
    _write_behind.writes = []
    try:
        yield
    finally:
        writes, _write_behind.writes = _write_behind.writes, None
        for name, sql, params in writes:
            try:
                prepared_execute(name=name, sql=sql, params=params, wait_for_flush=False)
            except DatabaseError:
                logger.warning("deferred write %s failed; it was optional", name, exc_info=True)


def _preparing(db: Any) -> bool:
    return db.vendor == "postgresql" and settings.DB_PREPARED_STATEMENTS


def _prepared_ready(db: Any, cursor: Any, name: str, sql: str) -> tuple[str, list[str]]:
    """PREPARE `name` on this connection unless done: its positional text and parameter order
    (names for `%(x)s` placeholders; for plain `%s` ones, their positions as strings)."""
    plan = _plans.get(name)
    if plan is None:
        plan = _plans[name] = (sql, *_positional(sql))
    elif plan[0] != sql:
        raise ValueError(f"prepared statement {name!r} was first used with another text")
    _, text, order = plan
    done = _prepared.setdefault(db.connection, set())
    if name not in done:
        cursor.execute(f"PREPARE {name} AS {text}")
        done.add(name)
    return text, order


def _execute_prepared(db: Any, cursor: Any, statements: Sequence[tuple[str, str, Any]]) -> None:
    """Run (name, sql, params) statements as one text of EXECUTEs, preparing any this
    connection lacks. `params` is a mapping for `%(x)s` placeholders, a sequence for `%s` ones.
    PostgreSQL runs the text as one implicit transaction (in autocommit); the cursor holds the
    last statement's rows."""
    texts: list[str] = []
    values: list[Any] = []
    raw = db.connection
    literal = sql_literal if literals_usable(raw) else None
    for name, sql, params in statements:
        _, order = _prepared_ready(db, cursor, name, sql)
        if isinstance(params, Mapping):
            params = [params[key] for key in order]
        elif len(order) != len(params):
            raise ValueError(f"{name}: {len(order)} placeholders, {len(params)} values")
        if literal is not None:
            texts.append(f"EXECUTE {name}({', '.join([literal(v, raw) for v in params])})")
        else:
            texts.append(f"EXECUTE {name}({', '.join(['%s'] * len(params))})")
            values.extend(params)
    # Without parameters psycopg2 sends the text as it is (a '%' in a literal stays a '%').
    cursor.execute("; ".join(texts), values or None)


def prepared_execute_all(statements: Sequence[tuple[str, str, Sequence[Any]]]) -> None:
    """Run (name, sql with plain `%s` placeholders, values) statements in one text: one round
    trip, and in autocommit one implicit transaction. Each is prepared under its name, so
    PostgreSQL parses and plans it once per connection: for the INSERTs of a filing that was
    ~0.4 of their ~0.6 ms of server CPU. Without prepared statements, the texts themselves go.
    """
    # The connection itself, not the `connection` proxy (a thread-local lookup per attribute).
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        if not _preparing(db):
            values = [value for _, _, params in statements for value in params]
            cursor.execute("; ".join(sql for _, sql, _ in statements), values)
            return
        _execute_prepared(db, cursor, statements)


def prepared_execute(
    *,
    name: str,
    sql: str,
    params: Mapping[str, Any],
    wait_for_flush: bool = True,
    defer: bool = False,
) -> list[tuple[Any, ...]] | None:
    """Run `sql` (named `%(x)s` placeholders) as prepared statement `name`: its rows, or None
    for a statement that returns none. One name, one text: each variant needs its own name.

    `wait_for_flush=False`, for writes whose loss in a database crash is harmless: in autocommit
    the commit does not wait for the WAL flush (the statement then also returns rows).

    `defer=True` (with `wait_for_flush=False`), for writes whose loss is harmless altogether:
    inside `prepared_write_behind` the write rides along with the next statement instead of
    taking a round trip of its own; it returns None. Elsewhere it runs at once.
    """
    if defer and wait_for_flush:
        raise ValueError("a deferred write cannot ask to wait for the WAL flush")
    db = connections[DEFAULT_DB_ALIAS]
    prepared = _preparing(db)
    writes = _write_behind.writes
    if defer and prepared and writes is not None:
        writes.append((name, sql, params))
        return None
    riders = []
    if writes and prepared and not db.in_atomic_block:
        riders, writes[:] = list(writes), []
    if not wait_for_flush:
        name, sql = _without_flush(db, name, sql)
    with db.cursor() as cursor:
        if not prepared:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None
        # Riders go as their plain statements: this statement's commit decides for them all.
        _execute_prepared(db, cursor, [*riders, (name, sql, params)])
        return cursor.fetchall() if cursor.description else None


def prepared_fetchone(
    *, name: str, sql: str, params: Mapping[str, Any], wait_for_flush: bool = True
) -> Sequence[Any] | None:
    """The first row of `prepared_execute`, or None."""
    rows = prepared_execute(name=name, sql=sql, params=params, wait_for_flush=wait_for_flush)
    return rows[0] if rows else None
