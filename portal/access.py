"""The one place that answers: which workplaces may this user touch, and with which role.

Every view, API endpoint and selector asks here; nothing else looks at memberships or delegations.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from portal.models import ApiKey, Delegation, Employee, Membership, Workplace


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

# Whoever a request carries: a signed-in account or the anonymous visitor.
AnyUser = User | AnonymousUser


def delegation_live_q(on: date, prefix: str = "") -> Q:
    """A delegation in force on `on`: not revoked, started, not ended. The one statement of the
    rule; `prefix` reaches it through a relation (e.g. "delegations__")."""
    return (
        Q(**{f"{prefix}revoked_at__isnull": True})
        & Q(**{f"{prefix}starts_on__lte": on})
        & (Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": on}))
    )


def firms_acting_for(
    workplace_id: int | Any, *, on: date | None = None
) -> QuerySet[Delegation, Mapping[str, Any]]:
    """Firm ids with a delegation in force for the workplace (an id or an OuterRef)."""
    on = on or timezone.localdate()
    return Delegation.objects.filter(delegation_live_q(on), workplace_id=workplace_id).values(
        "firm_id"
    )


def _membership_q(user: AnyUser, roles: set[Role]) -> Q:
    member_roles = [r.value for r in roles if r in (Role.OWNER, Role.HR)]
    return Q(memberships__user=user, memberships__role__in=member_roles)


def _delegation_q(user: AnyUser) -> Q:
    today = timezone.localdate()
    return Q(delegations__firm__members=user) & delegation_live_q(today, prefix="delegations__")


def workplaces_for(user: AnyUser, *, action: Action = Action.VIEW) -> QuerySet[Workplace]:
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


def _key_scope(key_id: int) -> set[int]:
    """The workplaces an API key is limited to; empty for a key that reaches them all."""
    scope = ApiKey.workplaces.through.objects.filter(apikey_id=key_id)
    return set(scope.values_list("workplace_id", flat=True))


def api_key_reaches(*, key_id: int, workplace_id: int) -> bool:
    """Whether an API key's workplace scope (none: every workplace) includes the workplace."""
    ids = _key_scope(key_id)
    return not ids or workplace_id in ids


def workplaces_within_key(queryset: QuerySet[Workplace], *, key_id: int) -> QuerySet[Workplace]:
    """`queryset` narrowed to an API key's workplace scope (all of it for an unscoped key)."""
    ids = _key_scope(key_id)
    return queryset.filter(id__in=ids) if ids else queryset


def _workplace_with_role(
    user: User, pk: int, *, key_id: int | None = None
) -> tuple[Workplace | None, Role | None]:
    """The workplace and the caller's strongest role on it: a member's in one plain lookup (the
    common caller), anyone else's in one more."""
    if key_id is not None and not api_key_reaches(key_id=key_id, workplace_id=pk):
        return None, None
    membership = (
        Membership.objects.select_related("workplace")
        .filter(user_id=user.pk, workplace_id=pk)
        .first()
    )
    if membership is not None:
        return membership.workplace, Role(membership.role)
    # Not a member: the workplace, and whether a live delegation reaches it, in one query.
    workplace = (
        Workplace.objects.filter(pk=pk)
        .annotate(
            access_delegated=Exists(
                Delegation.objects.filter(
                    delegation_live_q(timezone.localdate()),
                    workplace_id=OuterRef("pk"),
                    firm__members=user,
                )
            )
        )
        .first()
    )
    if workplace is None:
        return None, None
    if workplace.access_delegated:
        return workplace, Role.AGENT
    return workplace, (Role.OPERATOR if user.is_staff else None)


def role_for(user: AnyUser, workplace: Workplace | int) -> Role | None:
    """The strongest role `user` holds on the workplace today, or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    workplace_id = workplace if isinstance(workplace, int) else workplace.pk
    found, role = _workplace_with_role(user, workplace_id)
    if found is None:
        # No such workplace: no membership or delegation; staff keep their operator view.
        return Role.OPERATOR if user.is_staff else None
    return role


def workplace_and_role_for(
    user: AnyUser, workplace_id: int
) -> tuple[Workplace | None, Role | None]:
    """The workplace and the strongest role `user` holds on it today, in the one lookup a member
    needs (two for anyone else); (None, None) where the user has no role there."""
    if not user.is_authenticated or not user.is_active:
        return None, None
    workplace, role = _workplace_with_role(user, workplace_id)
    return (workplace, role) if role is not None else (None, None)


def role_allows_action(role: Role | None, action: Action) -> bool:
    """The role table itself, for callers that already know the role."""
    return role is not None and action in _ALLOWED[role]


def can(user: AnyUser, workplace: Workplace | int, action: Action) -> bool:
    return role_allows_action(role_for(user, workplace), action)


def workplace_get_for(
    user: AnyUser,
    workplace_id: int | str,
    *,
    action: Action,
    api_key_id: int | None = None,
) -> Workplace:
    """The workplace if `user` may perform `action` on it; 404 otherwise (no existence leak).

    With `api_key_id`, the workplace must also lie within that key's workplace scope (if it has
    one).
    """
    try:
        pk = int(workplace_id)
        if not 0 < pk < 2**63:  # beyond bigint the database would error instead of "not found"
            raise ValueError
    except (ValueError, TypeError):
        raise Http404 from None
    if not user.is_authenticated or not user.is_active:
        raise Http404
    workplace, role = _workplace_with_role(user, pk, key_id=api_key_id)
    if workplace is None or not role_allows_action(role, action):
        raise Http404
    return workplace


def employee_get_for(user: AnyUser, employee_id: int | str, *, action: Action) -> Employee:
    """The employee if `user` may perform `action` on their workplace; 404 otherwise."""
    try:
        pk = int(employee_id)
        if not 0 < pk < 2**63:
            raise ValueError
    except (ValueError, TypeError):
        raise Http404 from None
    employee = (
        Employee.objects.filter(pk=pk, workplace__in=workplaces_for(user, action=action))
        .select_related("workplace")
        .first()
    )
    if employee is None:
        raise Http404
    return employee
