"""The one place that answers: which workplaces may this user touch, and with which role.

Every view, API endpoint and selector asks here; nothing else looks at memberships or delegations.
"""

from __future__ import annotations

import enum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from portal.models import Delegation, Membership, Workplace


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


def role_for(user: User, workplace: Workplace | int) -> Role | None:
    """The strongest role `user` holds on the workplace today, or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    workplace_id = workplace if isinstance(workplace, int) else workplace.pk
    membership = (
        Membership.objects.filter(user=user, workplace_id=workplace_id)
        .values_list("role", flat=True)
        .first()
    )
    if membership:
        return Role(membership)
    today = timezone.localdate()
    if Delegation.objects.filter(
        Delegation.live_q(today), firm__members=user, workplace_id=workplace_id
    ).exists():
        return Role.AGENT
    if user.is_staff:
        return Role.OPERATOR
    return None


def role_allows_action(role: Role | None, action: Action) -> bool:
    """The role table itself, for callers that already know the role."""
    return role is not None and action in _ALLOWED[role]


def can(user: User, workplace: Workplace | int, action: Action) -> bool:
    return role_allows_action(role_for(user, workplace), action)


def workplace_get_for(user: User, workplace_id: int | str, *, action: Action) -> Workplace:
    """The workplace if `user` may perform `action` on it; 404 otherwise (no existence leak)."""
    try:
        pk = int(workplace_id)
        if not 0 < pk < 2**63:  # beyond bigint the database would error instead of "not found"
            raise ValueError
        workplace = Workplace.objects.get(pk=pk)
    except (Workplace.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can(user, workplace, action):
        raise Http404
    return workplace
