"""Under the Content-Security-Policy in a real browser: htmx, the confirm dialog, the API docs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from filings.models import Report
from filings.services import report_file
from portal.models import Membership
from tests.e2e.conftest import shot
from tests.e2e.test_portal_e2e import sign_in
from tests.factories import MembershipFactory, valid_rrn
from tests.filings.helpers import hire_body

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Every violation the browser reports, kept on the window for the test to read.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def watched(page):  # type: ignore[no-untyped-def]
    page.add_init_script(WATCH)
    return page


def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    return list(page.evaluate("window.__csp || []"))


def owner_signed_in(page):  # type: ignore[no-untyped-def]
    membership = MembershipFactory(role=Membership.Role.OWNER, workplace__name="한빛상사")
    device = TOTPDevice.objects.create(user=membership.user, name="phone", confirmed=True)
    sign_in(page, membership.user, device)
    return membership


def test_htmx_previews_and_filters_work_with_no_policy_violation(watched) -> None:  # type: ignore[no-untyped-def]
    page = watched
    owner_signed_in(page)
    assert violations(page) == []

    page.goto("/file/hire/")
    page.get_by_label("성명").fill("이입사")
    page.get_by_label("주민(외국인)등록번호").fill(valid_rrn(date(1991, 4, 9), serial=777))
    page.get_by_label("입사일(자격취득일)").fill(
        (timezone.localdate() - timedelta(days=1)).isoformat()
    )
    page.get_by_label("주 소정근로시간").fill("40")
    page.get_by_label("월 보수액 (원)").fill("3100000")
    page.get_by_label("직종부호 (3자리)").fill("024")
    # The coverage preview is an htmx request answered while typing.
    page.locator("[data-testid=coverage-preview] li[data-covered=yes]").nth(3).wait_for()
    # htmx's own indicator <style> is off, so nothing was blocked.
    assert page.locator("head style").count() == 0
    assert violations(page) == []

    page.goto("/reports/")
    assert violations(page) == []


def test_cancelling_a_report_asks_first_and_a_no_keeps_it(watched) -> None:  # type: ignore[no-untyped-def]
    page = watched
    membership = owner_signed_in(page)
    report, _ = report_file(actor=membership.user, workplace=membership.workplace, data=hire_body())
    page.goto(f"/reports/{report.pk}/")
    asked: list[str] = []

    def say_no(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", say_no)
    page.get_by_role("button", name="신고 취소").click()
    page.wait_for_timeout(300)
    assert asked == ["이 신고를 취소할까요?"]
    report.refresh_from_db()
    assert report.cancelled_at is None

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="신고 취소").click()
    page.get_by_text("취소를 요청했습니다").wait_for()
    shot(page, "csp-01-cancel-confirmed")
    assert Report.objects.get(pk=report.pk).cancelled_at is not None
    assert violations(page) == []


def test_swagger_ui_renders_the_api_from_the_portal_under_the_strict_policy(watched) -> None:  # type: ignore[no-untyped-def]
    page = watched
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/api/docs/")
    page.locator(".opblock").first.wait_for()
    shot(page, "csp-02-swagger")
    assert page.locator(".opblock").count() > 10
    assert page.get_by_text("Sabo Portal API").first.is_visible()
    assert violations(page) == []
    base = page.url.split("/api/")[0]
    assert all(url.startswith(base) or url.startswith("data:") for url in requests), requests


def test_redoc_renders_the_api_from_the_portal_and_runs_no_inline_script(watched) -> None:  # type: ignore[no-untyped-def]
    page = watched
    page.set_viewport_size({"width": 1280, "height": 900})  # the side menu shows from 800 px
    page.goto("/api/redoc/")
    page.get_by_role("heading", name="Sabo Portal API").first.wait_for()
    page.locator("[role=menuitem]").first.wait_for()
    # Styled by its run-time <style> elements (allowed on this page only).
    assert page.locator(".menu-content").evaluate("e => getComputedStyle(e).width") == "260px"
    shot(page, "csp-03-redoc")
    # ReDoc's one outside request, its footer logo, is blocked; nothing else is.
    assert [v for v in violations(page) if "cdn.redoc.ly" not in v] == []
