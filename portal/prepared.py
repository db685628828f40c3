"""Server-side prepared statements for the few statements every API request makes.

psycopg2 sends each statement as text, so PostgreSQL plans it on every call. The workplace and
role lookup (portal.access) took ~0.4 ms to plan and ~0.02 ms to run; prepared once per
connection, later calls skip the planning. Callers: the API key and workplace lookups, the
idempotency claim and finish, the outbox mark and portal.rows' id allocation. Prepared statements live as long as the database
session and are not undone by a rollback; a new connection prepares them again.

On other databases (the embedded SQLite mode), and with DB_PREPARED_STATEMENTS=false (for a
connection pooler in transaction mode, which hands sessions around), statements run as text.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model

# Evaluated in a RETURNING list: the statement's own transaction commits without waiting for its
# WAL flush (SET LOCAL would need a transaction block, and so a round trip more).
_COMMIT_WITHOUT_FLUSH = "set_config('synchronous_commit', 'off', true)"
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# raw DB-API connection -> names prepared on it (weak: a closed connection takes its set along).
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _positional(sql: str) -> tuple[str, list[str]]:
    """`%(name)s` placeholders become $1, $2, ... in order of first use."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
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


def _without_flush(name: str, sql: str) -> tuple[str, str]:
    # Only a statement that is its own transaction: inside a caller's transaction the setting
    # would apply to the caller's commit too.
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return name, sql
    joiner = ", " if _RETURNING.search(sql) else " RETURNING "
    return f"{name}_noflush", f"{sql}{joiner}{_COMMIT_WITHOUT_FLUSH}"


def prepared_execute(
    *, name: str, sql: str, params: Mapping[str, Any], wait_for_flush: bool = True
) -> list[tuple[Any, ...]] | None:
    """Run `sql` (named `%(x)s` placeholders) as prepared statement `name`: its rows, or None
    for a statement that returns none. One name, one text: each variant needs its own name.

    `wait_for_flush=False`, for writes whose loss in a database crash is harmless: in autocommit
    the commit does not wait for the WAL flush (the statement then also returns rows).
    """
    if not wait_for_flush:
        name, sql = _without_flush(name, sql)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None
        plan = _plans.get(name)
        if plan is None:
            plan = _plans[name] = (sql, *_positional(sql))
        elif plan[0] != sql:
            raise ValueError(f"prepared statement {name!r} was first used with another text")
        _, text, order = plan
        raw = connection.connection
        done = _prepared.setdefault(raw, set())
        if name not in done:
            cursor.execute(f"PREPARE {name} AS {text}")
            done.add(name)
        placeholders = ", ".join(["%s"] * len(order))
        cursor.execute(f"EXECUTE {name}({placeholders})", [params[key] for key in order])
        return cursor.fetchall() if cursor.description else None


def prepared_fetchone(
    *, name: str, sql: str, params: Mapping[str, Any], wait_for_flush: bool = True
) -> Sequence[Any] | None:
    """The first row of `prepared_execute`, or None."""
    rows = prepared_execute(name=name, sql=sql, params=params, wait_for_flush=wait_for_flush)
    return rows[0] if rows else None
