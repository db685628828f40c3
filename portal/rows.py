"""Insert a group of new model instances in one round trip: ids in hand, then one INSERT text.

A filing writes six kinds of row (employee, report, one submission and one timeline entry per
agency, outbox, audit). Through `save()` that is six INSERT round trips, and the ORM's compile
step costs more CPU than each statement. Here the ids come from the tables' own sequences
(through a per-process reserve, refilled in one SELECT every few dozen filings), so rows can
point at each other before they exist, and every INSERT goes out in one
multi-statement text, each as a prepared statement (portal.prepared: PostgreSQL parses and plans
an INSERT shape once per connection, not once per filing).

Atomicity: inside a transaction the statements are part of it. In autocommit, PostgreSQL runs
a multi-statement text as one implicit transaction: all rows or none.

Values are prepared the way the ORM prepares them (`pre_save`, then `get_db_prep_save`), so
`auto_now` fields, JSON and binary columns come out the same as through `save()`. Model
`save()` overrides and save signals are NOT run: use this only for models with neither.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple, TypeVar

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, models
from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from portal.prepared import model_columns, prepared_execute_all, prepared_fetchone

M = TypeVar("M", bound=Model)

# Field classes whose database value IS the Python value when it already has this type (their
# get_db_prep_save only converts other types; PostgreSQL's adapters take these as they are).
# Subclasses are included; DateTimeField is a DateField and takes aware datetimes as they are.
_AS_IS: tuple[tuple[type[Field], tuple[type, ...]], ...] = (
    (models.CharField, (str,)),
    (models.TextField, (str,)),
    (models.BooleanField, (bool,)),
    (models.IntegerField, (int,)),
    (models.AutoField, (int,)),
    (models.BigAutoField, (int,)),
    (models.ForeignKey, (int,)),
    (models.UUIDField, (uuid.UUID,)),
    (models.DateTimeField, (datetime,)),
    (models.DateField, (date,)),
)


class _Column(NamedTuple):
    field: Field
    attname: str
    pre_save: bool  # the field computes its value at save (auto_now, auto_now_add, ...)
    as_is: tuple[type, ...]  # value types that need no preparation
    aware: bool  # a datetime column: only aware values pass as they are (naive ones get the
    # ORM's warning and time-zone handling)


def _column(field: Field) -> _Column:
    as_is: tuple[type, ...] = ()
    for cls, types in _AS_IS:
        if isinstance(field, cls):
            as_is = types
            break
    if isinstance(field, models.DateField):
        pre_save = bool(field.auto_now or field.auto_now_add)
    else:
        pre_save = type(field).pre_save is not Field.pre_save
    aware = isinstance(field, models.DateTimeField)
    return _Column(field, field.attname, pre_save, as_is, aware)


@cache
def _insert_plan(model: type[Model]) -> tuple[str, str, list[_Column], list[Field]]:
    """INSERT prefix, one row's placeholders, the columns, the foreign keys."""
    fields = list(model._meta.concrete_fields)
    _, columns = model_columns(model)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Only quoted names from the model are formatted in; values stay placeholders.
    prefix = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    foreign_keys = [f for f in fields if f.is_relation]
    return prefix, row, [_column(f) for f in fields], foreign_keys


def _parents_link(obj: Model, foreign_keys: list[Field]) -> None:
    """Copy ids of parents assigned before they had one (now allocated) into the FK columns;
    what save() does in _prepare_related_fields_for_save, for the cases rows_insert meets."""
    for field in foreign_keys:
        if getattr(obj, field.attname) is None and field.is_cached(obj):
            parent = field.get_cached_value(obj)
            if parent is not None:
                if parent.pk is None:
                    raise ValueError(f"{field.name} of {obj!r} is not saved or allocated")
                setattr(obj, field.attname, parent.pk)


class _Slot(NamedTuple):
    name: str
    attname: str
    default: Callable[[], Any]
    relation: bool  # a foreign key: `name` takes the parent instance, `attname` its id


@cache
def _slots(model: type[Model]) -> tuple[dict[str, _Slot], tuple[_Slot, ...]]:
    slots = tuple(
        _Slot(f.name, f.attname, f._get_default, f.is_relation) for f in model._meta.concrete_fields
    )
    by_key = {s.name: s for s in slots} | {s.attname: s for s in slots}
    return by_key, slots


def row_new(model: type[M], /, **values: Any) -> M:
    """An unsaved instance, as `model(**values)` builds it, for the rows a filing inserts.

    `Model.__init__` walks every field with its keyword handling and sends two signals: about
    a tenth of a filing's CPU for its dozen rows. Here the values go straight into the
    instance's dict; a parent instance passed by field name is cached as the ORM caches it (its
    id is copied now, or by `rows_insert` once allocated). Only concrete fields are accepted;
    models with init signal receivers go through `Model.__init__`.
    """
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model(**values)
    by_key, slots = _slots(model)
    obj = model.__new__(model)
    state = obj._state = ModelState()
    attrs = obj.__dict__
    for key, value in values.items():
        slot = by_key.get(key)
        if slot is None:
            raise TypeError(f"{model.__name__}() got an unexpected keyword argument {key!r}")
        if slot.relation and key == slot.name:
            state.fields_cache[key] = value
            attrs[slot.attname] = value.pk if value is not None else None
        else:
            attrs[slot.attname] = value
    for slot in slots:
        if slot.attname not in attrs:
            attrs[slot.attname] = slot.default()
    return obj


@cache
def _sequence(model: type[Model]) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column]
        )
        (name,) = cursor.fetchone()
    if not name:
        raise ValueError(f"{model._meta.label} has no id sequence")
    return str(name)


# Ids each process keeps in hand per table, so that most filings need no round trip for them.
IDS_RESERVED = 32


class _Reserve:
    """Ids drawn from each sequence and not yet handed out, for this process only."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.ids: dict[str, deque[int]] = {}

    def take(self, wanting: dict[type[Model], list[Model]]) -> None:
        with self.lock:
            if self.pid != os.getpid():  # a forked child must not hand out its parent's ids
                self.pid, self.ids = os.getpid(), {}
            short = {
                model: len(group) + IDS_RESERVED
                for model, group in wanting.items()
                if len(self.ids.get(_sequence(model), ())) < len(group)
            }
            if short:
                for model, ids in zip(short, _draw(short), strict=True):
                    self.ids.setdefault(_sequence(model), deque()).extend(ids)
            for model, group in wanting.items():
                held = self.ids[_sequence(model)]
                for obj in group:
                    obj.pk = held.popleft()


_reserve = _Reserve()


def _draw(counts: dict[type[Model], int]) -> list[list[int]]:
    # Prepared per number of tables (sequences and counts are parameters): planned once.
    parts, params = [], {}
    for i, (model, count) in enumerate(counts.items()):
        parts.append(f"ARRAY(SELECT nextval(%(s{i})s) FROM generate_series(1, %(n{i})s))")  # noqa: S608
        params[f"s{i}"], params[f"n{i}"] = _sequence(model), count
    name = f"rows_ids_{len(parts)}"
    arrays = prepared_fetchone(name=name, sql="SELECT " + ", ".join(parts), params=params)
    assert arrays is not None
    return list(arrays)


def rows_ids_allocate(objs: Sequence[Model]) -> None:
    """Give every instance without a pk one from its table's sequence, so that callers can
    write ids into other rows (an outbox message's arguments) before inserting.

    Ids come from a per-process reserve, refilled IDS_RESERVED at a time in one SELECT for all
    tables: most filings make no round trip for their ids. Like any sequence values, ids say
    nothing about order in time: across processes, a later row may have a smaller id (and
    ids left in a process's reserve when it exits are gaps). Within one call they ascend.

    Call inside the transaction that inserts them when not on PostgreSQL: there, with no
    sequences to draw from, the rows are inserted here and `rows_insert` updates them.
    """
    if connection.vendor != "postgresql":
        for obj in objs:
            if obj.pk is None:
                obj.save(force_insert=True)
        return
    wanting: dict[type[Model], list[Model]] = {}
    for obj in objs:
        if obj.pk is None:
            wanting.setdefault(type(obj), []).append(obj)
    if wanting:
        # Sequences ignore transactions: ids drawn and never used leave harmless gaps.
        _reserve.take(wanting)


@dataclass
class Riders:
    """Rows waiting to go in first with the next `rows_insert` (see `rows_riding`)."""

    rows: list[Model]
    inserted: bool = False  # they went in, with that insert's rows
    failed_on: str = ""  # or: the constraint that insert violated (all its rows undone)


_riders_local = threading.local()


@contextmanager
def rows_riding(rows: list[Model]) -> Iterator[Riders]:
    """Within the block, the first `rows_insert` on PostgreSQL inserts `rows` ahead of its own
    in the same statement text: one atomic write, no round trip of their own. The yielded
    state says afterwards whether they went in, or which constraint the insert broke (then
    nothing of it was written). If no insert comes, they are not written at all.

    An API POST's idempotency claim rides with the filing it guards (filings.idempotency).
    """
    state = Riders(rows=list(rows))
    outer = getattr(_riders_local, "state", None)
    _riders_local.state = state
    try:
        yield state
    finally:
        _riders_local.state = outer


def rows_insert(objs: Sequence[Model]) -> None:
    """INSERT new instances in the given order (parents first); a failure inserts none."""
    riders = getattr(_riders_local, "state", None)
    waiting = riders is not None and riders.rows and not (riders.inserted or riders.failed_on)
    if not waiting or connection.vendor != "postgresql":
        _rows_insert(objs)
        return
    assert riders is not None
    try:
        _rows_insert([*riders.rows, *objs])
    except IntegrityError as exc:
        riders.failed_on = constraint_of(exc) or "?"
        raise
    riders.inserted = True


def constraint_of(exc: IntegrityError) -> str:
    """The violated constraint's name (PostgreSQL reports it), or ""."""
    return str(getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or "")


def _rows_insert(objs: Sequence[Model]) -> None:
    if connection.vendor != "postgresql":
        # The embedded SQLite mode: plain saves (updates for rows rows_ids_allocate inserted).
        from django.db import transaction

        with transaction.atomic():
            for obj in objs:
                obj.save(force_insert=obj._state.adding)
        return
    rows_ids_allocate(objs)
    # The wrapper itself, not the `connection` proxy: fields ask it for `ops` many times a row.
    db = connections[DEFAULT_DB_ALIAS]
    statements: list[tuple[str, str, list[object]]] = []
    index = 0
    while index < len(objs):
        # Consecutive instances of one model share a multi-row VALUES list.
        model = type(objs[index])
        prefix, row, columns, foreign_keys = _insert_plan(model)
        params: list[object] = []
        count = 0
        while index < len(objs) and type(objs[index]) is model:
            obj = objs[index]
            _parents_link(obj, foreign_keys)
            for column in columns:
                if column.pre_save:
                    value = column.field.pre_save(obj, add=True)
                else:
                    value = getattr(obj, column.attname)
                if type(value) in column.as_is and (not column.aware or value.tzinfo):
                    params.append(value)
                else:
                    params.append(column.field.get_db_prep_save(value, db))
            count += 1
            index += 1
        # Prepared per table and number of rows (a filing has a handful of such shapes).
        name = f"rows_{model._meta.db_table}_{count}"
        statements.append((name, prefix + ", ".join([row] * count), params))
    prepared_execute_all(statements)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db.alias
