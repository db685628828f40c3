"""API keys in the portal: named, scoped, shown once, stored hashed, revocable; rate-limited."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from portal.models import ApiKey

pytestmark = pytest.mark.django_db


def test_a_key_is_shown_once_stored_hashed_scoped_and_revocable(
    verified_client, owner, workplace, other_workplace
):
    client = verified_client(owner)
    response = client.post(
        "/developer/keys/", {"name": "급여 프로그램", "workplaces": [workplace.pk]}
    )
    page = response.content.decode()
    key = ApiKey.objects.get(user=owner)
    raw = page.split('<code class="secret">')[1].split("</code>")[0]
    assert raw.startswith("sk_") and raw != key.key_hash and raw not in key.key_hash
    assert list(key.workplaces.all()) == [workplace]
    assert raw not in client.get("/developer/keys/").content.decode()  # never again

    api = client_with(raw)
    assert api.get("/api/v1/workplaces/").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert "마지막 사용" in client.get("/developer/keys/").content.decode()

    client.post(f"/developer/keys/{key.pk}/revoke/")
    assert api.get("/api/v1/workplaces/").status_code == 401


def test_a_key_cannot_be_scoped_to_a_workplace_its_user_cannot_see(
    verified_client, owner, other_workplace
):
    client = verified_client(owner)
    response = client.post("/developer/keys/", {"name": "x", "workplaces": [other_workplace.pk]})
    assert response.status_code == 200
    assert not ApiKey.objects.filter(user=owner).exists()


def test_each_key_has_its_own_rate_limit(settings, monkeypatch, api_client_for, owner):
    from rest_framework.views import APIView

    from portal.api.throttles import ApiKeyRateThrottle

    # Views read DEFAULT_THROTTLE_CLASSES when their class is built; set what settings would.
    monkeypatch.setattr(APIView, "throttle_classes", [ApiKeyRateThrottle])
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"},
    }
    cache.clear()
    assert ApiKeyRateThrottle().get_rate() == "3/min"
    one, two = api_client_for(owner), api_client_for(owner)
    codes = [one.get("/api/v1/workplaces/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = one.get("/api/v1/workplaces/")
    assert limited.json()["error"]["code"] == "throttled" and limited["Retry-After"]
    assert two.get("/api/v1/workplaces/").status_code == 200
    cache.clear()


def test_the_limit_slides_across_the_minute_instead_of_resetting_at_it(
    settings, monkeypatch, api_client_for, owner
):
    import time_machine
    from rest_framework.views import APIView

    from portal.api.throttles import ApiKeyRateThrottle

    monkeypatch.setattr(APIView, "throttle_classes", [ApiKeyRateThrottle])
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"},
    }
    cache.clear()
    client = api_client_for(owner)
    minute = 60 * 29_000_000  # the start of some minute

    def status_at(second: float) -> int:
        with time_machine.travel(minute + second, tick=False):
            return client.get("/api/v1/workplaces/").status_code

    assert [status_at(59.0) for _ in range(3)] == [200, 200, 200]
    # A fixed window would open again at the minute; the last minute still holds three calls.
    assert status_at(60.5) == 429
    # Most of those three have slid out of the last 60 seconds by now.
    assert status_at(119.0) == 200
    cache.clear()


def client_with(raw: str):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client
