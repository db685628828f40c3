from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404
from django.utils import timezone
from rest_framework.test import APIClient

from portal.access import Action, Role, can, role_for, workplace_get_for, workplaces_for
from portal.models import Membership, PayrollFirm, Workplace
from portal.services import PermissionDeniedError, delegation_grant, delegation_revoke
from tests.factories import DelegationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

today = timezone.localdate
UserMaker = Callable[[Workplace, AbstractBaseUser], AbstractBaseUser]


def firm_member(
    workplace: Workplace, owner: AbstractBaseUser, **delegation: object
) -> AbstractBaseUser:
    user = UserFactory()
    firm = PayrollFirm.objects.create(name="세무회계 다온")
    firm.members.add(user)
    if delegation.pop("none", False):
        return user
    DelegationFactory(firm=firm, workplace=workplace, granted_by=owner, **delegation)
    return user


def allowed_owner(workplace: Workplace, owner: AbstractBaseUser) -> AbstractBaseUser:
    return owner


def allowed_hr(workplace: Workplace, owner: AbstractBaseUser) -> AbstractBaseUser:
    return MembershipFactory(workplace=workplace, role=Membership.Role.HR).user


def allowed_agent_live(workplace: Workplace, owner: AbstractBaseUser) -> AbstractBaseUser:
    return firm_member(workplace, owner)


def allowed_agent_ending_today(workplace: Workplace, owner: AbstractBaseUser) -> AbstractBaseUser:
    return firm_member(workplace, owner, ends_on=today())


def allowed_agent_starting_today(workplace: Workplace, owner: AbstractBaseUser) -> AbstractBaseUser:
    return firm_member(workplace, owner, starts_on=today())


def refused_agent_without_delegation(
    workplace: Workplace, owner: AbstractBaseUser
) -> AbstractBaseUser:
    return firm_member(workplace, owner, none=True)


def refused_agent_revoked(workplace: Workplace, owner: AbstractBaseUser) -> AbstractBaseUser:
    return firm_member(workplace, owner, revoked_at=timezone.now())


def refused_agent_expired(workplace: Workplace, owner: AbstractBaseUser) -> AbstractBaseUser:
    return firm_member(workplace, owner, ends_on=today() - timedelta(days=1))


def refused_agent_future(workplace: Workplace, owner: AbstractBaseUser) -> AbstractBaseUser:
    return firm_member(workplace, owner, starts_on=today() + timedelta(days=1))


def refused_hr_of_another_workplace(
    workplace: Workplace, owner: AbstractBaseUser
) -> AbstractBaseUser:
    return MembershipFactory(role=Membership.Role.HR).user


def refused_owner_who_was_deactivated(
    workplace: Workplace, owner: AbstractBaseUser
) -> AbstractBaseUser:
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    return owner


ALLOWED = [
    allowed_owner,
    allowed_hr,
    allowed_agent_live,
    allowed_agent_ending_today,
    allowed_agent_starting_today,
]
REFUSED = [
    refused_agent_without_delegation,
    refused_agent_revoked,
    refused_agent_expired,
    refused_agent_future,
    refused_hr_of_another_workplace,
    refused_owner_who_was_deactivated,
]


@pytest.mark.parametrize("make_user", ALLOWED, ids=lambda f: f.__name__)
def test_allowed_people_reach_the_workplace(
    make_user: UserMaker, workplace: Workplace, owner: AbstractBaseUser
) -> None:
    user = make_user(workplace, owner)
    assert workplace in workplaces_for(user)
    assert workplace in workplaces_for(user, action=Action.FILE)
    assert can(user, workplace, Action.VIEW) and can(user, workplace, Action.FILE)
    assert workplace_get_for(user, workplace.pk, action=Action.FILE) == workplace


@pytest.mark.parametrize("make_user", REFUSED, ids=lambda f: f.__name__)
def test_refused_people_do_not_reach_the_workplace(
    make_user: UserMaker, workplace: Workplace, owner: AbstractBaseUser
) -> None:
    user = make_user(workplace, owner)
    assert workplace not in workplaces_for(user)
    assert not can(user, workplace, Action.VIEW)
    with pytest.raises(Http404):
        workplace_get_for(user, workplace.pk, action=Action.VIEW)


@pytest.mark.parametrize("make_user", ALLOWED + REFUSED, ids=lambda f: f.__name__)
def test_workplace_api_lists_exactly_the_workplaces_the_caller_may_see(
    make_user: UserMaker,
    workplace: Workplace,
    other_workplace: Workplace,
    owner: AbstractBaseUser,
    api_client_for: Callable[..., APIClient],
) -> None:
    user = make_user(workplace, owner)
    response = api_client_for(user).get("/api/v1/workplaces/")
    if not user.is_active:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()]
    assert (workplace.pk in ids) == (make_user in ALLOWED)
    assert other_workplace.pk not in ids


def test_only_the_owner_may_manage_the_workplace(
    workplace: Workplace, owner: AbstractBaseUser, hr: AbstractBaseUser, agent: AbstractBaseUser
) -> None:
    assert can(owner, workplace, Action.MANAGE)
    assert not can(hr, workplace, Action.MANAGE)
    assert not can(agent, workplace, Action.MANAGE)
    assert [role_for(u, workplace) for u in (owner, hr, agent)] == [Role.OWNER, Role.HR, Role.AGENT]


def test_operator_may_look_at_every_workplace_but_not_file_for_it(
    workplace: Workplace, other_workplace: Workplace, operator: AbstractBaseUser
) -> None:
    assert set(workplaces_for(operator)) == {workplace, other_workplace}
    assert not workplaces_for(operator, action=Action.FILE).exists()
    with pytest.raises(Http404):
        workplace_get_for(operator, workplace.pk, action=Action.FILE)


def test_unknown_or_malformed_workplace_id_is_a_404_like_a_forbidden_one(
    owner: AbstractBaseUser,
) -> None:
    for bad in (999_999, "abc", None):
        with pytest.raises(Http404):
            workplace_get_for(owner, bad, action=Action.VIEW)  # type: ignore[arg-type]


def test_revoking_a_delegation_cuts_the_agent_off_at_once(
    workplace: Workplace, owner: AbstractBaseUser, firm: PayrollFirm
) -> None:
    agent = UserFactory()
    firm.members.add(agent)
    delegation = delegation_grant(
        actor=owner, workplace=workplace, firm=firm, starts_on=today(), ends_on=None
    )
    assert can(agent, workplace, Action.FILE)
    delegation_revoke(actor=owner, delegation=delegation)
    assert not can(agent, workplace, Action.VIEW)


def test_hr_staff_cannot_grant_a_delegation(
    workplace: Workplace, hr: AbstractBaseUser, firm: PayrollFirm
) -> None:
    with pytest.raises(PermissionDeniedError):
        delegation_grant(actor=hr, workplace=workplace, firm=firm, starts_on=today(), ends_on=None)


def test_api_key_scoped_to_one_workplace_lists_only_that_one(
    workplace: Workplace,
    other_workplace: Workplace,
    owner: AbstractBaseUser,
    api_client_for: Callable[..., APIClient],
) -> None:
    MembershipFactory(user=owner, workplace=other_workplace, role=Membership.Role.OWNER)
    everything = api_client_for(owner).get("/api/v1/workplaces/").json()
    scoped = api_client_for(owner, workplaces=[other_workplace]).get("/api/v1/workplaces/").json()
    assert [w["id"] for w in everything] == sorted([workplace.pk, other_workplace.pk])
    assert [w["id"] for w in scoped] == [other_workplace.pk]


def test_api_refuses_a_missing_or_wrong_token() -> None:
    assert APIClient().get("/api/v1/workplaces/").status_code in (401, 403)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token sk_not-a-real-key")
    response = client.get("/api/v1/workplaces/")
    assert response.status_code == 401
    assert "API 키" in response.json()["error"]["message"]
