"""The one place that answers: which workplaces may this user touch, and with which role.

Every view, API endpoint and selector asks here; nothing else looks at memberships or delegations.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from portal.models import Delegation, Workplace
from portal.prepared import model_columns, prepared_fetchone


class Role(enum.StrEnum):
    OWNER = "owner"
    HR = "hr"
    AGENT = "agent"
    OPERATOR = "operator"


class Action(enum.StrEnum):
    VIEW = "view"  # see reports, employees (masked), bills
    FILE = "file"  # file, cancel and correct reports; issue certificates
    MANAGE = "manage"  # manage users and delegations of the workplace


_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset({Action.VIEW, Action.FILE, Action.MANAGE}),
    Role.HR: frozenset({Action.VIEW, Action.FILE}),
    Role.AGENT: frozenset({Action.VIEW, Action.FILE}),
    # Operators work in the admin; in the portal they may look, not act for an employer.
    Role.OPERATOR: frozenset({Action.VIEW}),
}

User = AbstractBaseUser | AnonymousUser


def _membership_q(user: User, roles: set[Role]) -> Q:
    member_roles = [r.value for r in roles if r in (Role.OWNER, Role.HR)]
    return Q(memberships__user=user, memberships__role__in=member_roles)


def _delegation_q(user: User) -> Q:
    today = timezone.localdate()
    return Q(delegations__firm__members=user) & Delegation.live_q(today, prefix="delegations__")


def workplaces_for(user: User, *, action: Action = Action.VIEW) -> QuerySet[Workplace]:
    """Workplaces on which `user` may perform `action`."""
    if not user.is_authenticated or not user.is_active:
        return Workplace.objects.none()
    roles = {role for role, actions in _ALLOWED.items() if action in actions}
    if Role.OPERATOR in roles and user.is_staff:
        return Workplace.objects.all()
    condition = _membership_q(user, roles)
    if Role.AGENT in roles:
        condition |= _delegation_q(user)
    ids = Workplace.objects.filter(condition).values("id")
    return Workplace.objects.filter(id__in=ids)


# The workplace, the caller's membership role and, only when there is none, whether a live
# delegation to one of the caller's payroll firms reaches it: one statement. Plain SQL because
# this runs on every request and the ORM spends more CPU compiling the equivalent subqueries
# (~2.5 ms) than the three separate queries cost. Same rules as _membership_q, _delegation_q
# and Delegation.live_q.
_ROLE_SQL = """
SELECT {columns}, m.role AS access_member_role,
    CASE WHEN m.role IS NULL THEN EXISTS (
        SELECT 1 FROM portal_delegation d
        JOIN portal_payrollfirm_members f ON f.payrollfirm_id = d.firm_id
        WHERE d.workplace_id = w.id AND f.user_id = %(user)s AND {live}
    ) ELSE FALSE END AS access_delegated
FROM portal_workplace w
LEFT JOIN portal_membership m ON m.workplace_id = w.id AND m.user_id = %(user)s
WHERE w.id = %(pk)s
""".replace("{live}", Delegation.LIVE_SQL)
# An API key with a workplace list reaches only those; a key without one reaches them all.
_KEY_SCOPE_SQL = """
    AND (NOT EXISTS (SELECT 1 FROM portal_apikey_workplaces s WHERE s.apikey_id = %(key)s)
        OR EXISTS (
            SELECT 1 FROM portal_apikey_workplaces s
            WHERE s.apikey_id = %(key)s AND s.workplace_id = w.id
        ))
"""


@cache
def _role_query() -> tuple[list[str], str]:
    # Read with from_db, not a RawQuerySet (which spends ~0.3 ms per call mapping columns).
    names, columns = model_columns(Workplace, "w")
    return names, _ROLE_SQL.replace("{columns}", columns)


def role_row_sql(*, user: str, key: str) -> tuple[list[str], str]:
    """The workplace-and-role SELECT (scoped to an API key) for a caller and key given as SQL
    expressions, e.g. another query's columns: portal.api_auth fetches it together with the key
    itself. Placeholders left: %(pk)s and %(today)s. Rows go to `workplace_role_from_row`."""
    names, sql = _role_query()
    return names, (sql + _KEY_SCOPE_SQL).replace("%(user)s", user).replace("%(key)s", key)


def workplace_role_from_row(
    user: User, names: list[str], row: Sequence[Any]
) -> tuple[Workplace | None, Role | None]:
    """(workplace, role) from a row of the role query; (None, None) for a row of NULLs (an outer
    join that found no workplace)."""
    if row[0] is None:
        return None, None
    workplace = Workplace.from_db(DEFAULT_DB_ALIAS, names, row[: len(names)])
    member_role, delegated = row[len(names) :]
    if member_role:
        role: Role | None = Role(member_role)
    elif delegated:
        role = Role.AGENT
    elif user.is_staff:
        role = Role.OPERATOR
    else:
        role = None
    return workplace, role


def _workplace_with_role(
    user: User, pk: int, *, key_id: int | None = None
) -> tuple[Workplace | None, Role | None]:
    params = {"user": user.pk, "pk": pk, "today": timezone.localdate(), "key": key_id}
    names, sql = _role_query()
    if key_id is not None:
        row = prepared_fetchone(name="workplace_role_key", sql=sql + _KEY_SCOPE_SQL, params=params)
    else:
        row = prepared_fetchone(name="workplace_role", sql=sql, params=params)
    if row is None:
        return None, None
    return workplace_role_from_row(user, names, row)


def role_for(user: User, workplace: Workplace | int) -> Role | None:
    """The strongest role `user` holds on the workplace today, or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    workplace_id = workplace if isinstance(workplace, int) else workplace.pk
    found, role = _workplace_with_role(user, workplace_id)
    if found is None:
        # No such workplace: no membership or delegation; staff keep their operator view.
        return Role.OPERATOR if user.is_staff else None
    return role


def role_allows_action(role: Role | None, action: Action) -> bool:
    """The role table itself, for callers that already know the role."""
    return role is not None and action in _ALLOWED[role]


def can(user: User, workplace: Workplace | int, action: Action) -> bool:
    return role_allows_action(role_for(user, workplace), action)


def workplace_get_for(
    user: User,
    workplace_id: int | str,
    *,
    action: Action,
    api_key_id: int | None = None,
    found: tuple[int, Workplace | None, Role | None] | None = None,
) -> Workplace:
    """The workplace if `user` may perform `action` on it; 404 otherwise (no existence leak).

    With `api_key_id`, the workplace must also lie within that key's workplace scope (if it has
    one). The workplace, the role and the scope come back in one query, or come as `found`
    (pk, workplace, role), already read with the key (portal.api_auth).
    """
    try:
        pk = int(workplace_id)  # type: ignore[arg-type]
        if not 0 < pk < 2**63:  # beyond bigint the database would error instead of "not found"
            raise ValueError
    except (ValueError, TypeError):
        raise Http404 from None
    if not user.is_authenticated or not user.is_active:
        raise Http404
    if found is not None and found[0] == pk:
        _, workplace, role = found
    else:
        workplace, role = _workplace_with_role(user, pk, key_id=api_key_id)
    if workplace is None or not role_allows_action(role, action):
        raise Http404
    return workplace
