"""The portal in a real browser: enrol, file, watch the agencies answer; switch; lock out."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from filings.models import Report
from portal.models import Membership
from tests.e2e.conftest import shot
from tests.factories import (
    DEFAULT_PASSWORD,
    DelegationFactory,
    MembershipFactory,
    PayrollFirmFactory,
    UserFactory,
    WorkplaceFactory,
    valid_rrn,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def sign_in_password(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="다음").click()


def sign_in(page, user, device: TOTPDevice) -> None:  # type: ignore[no-untyped-def]
    sign_in_password(page, user.username)
    page.get_by_label("인증 코드").fill(code(device))
    page.get_by_role("button", name="확인").click()
    page.wait_for_url("**/dashboard/")


@pytest.mark.worker
def test_employer_enrols_files_a_hire_and_sees_four_accepted_without_reloading(
    page, sandbox, celery_worker_process
) -> None:  # type: ignore[no-untyped-def]
    owner = MembershipFactory(role=Membership.Role.OWNER, workplace__name="한빛상사").user
    sign_in_password(page, owner.username)
    page.wait_for_url("**/login/enrol/")
    assert page.locator(".qr svg").count() == 1
    shot(page, "01-enrol")
    device = TOTPDevice.objects.get(user=owner, confirmed=False)
    page.get_by_label("인증 코드").fill(code(device))
    page.get_by_role("button", name="등록 완료").click()
    assert page.locator("[data-testid=backup-codes] li").count() == 10
    shot(page, "02-backup-codes")
    page.get_by_role("link", name="저장했습니다. 계속하기").click()
    page.wait_for_url("**/dashboard/")
    shot(page, "03-dashboard")

    page.goto("/file/hire/")
    page.get_by_label("성명").fill("이입사")
    page.get_by_label("주민(외국인)등록번호").fill(valid_rrn(date(1991, 4, 9), serial=777))
    page.get_by_label("입사일(자격취득일)").fill(
        (timezone.localdate() - timedelta(days=1)).isoformat()
    )
    page.get_by_label("주 소정근로시간").fill("40")
    page.get_by_label("월 보수액 (원)").fill("3100000")
    page.get_by_label("직종부호 (3자리)").fill("024")
    preview = page.locator("[data-testid=coverage-preview] li[data-covered=yes]")
    preview.nth(3).wait_for()
    assert preview.count() == 4
    shot(page, "04-hire-preview")
    page.get_by_role("button", name="신고하기").click()
    page.wait_for_url("**/reports/*/")
    url_after_submit = page.url
    shot(page, "05-report-submitted")
    # The timeline polls every 2 s; no reload, no navigation. (A locator, not wait_for_function:
    # that evaluates a string in the page, which the Content-Security-Policy forbids.)
    page.locator("[data-testid=submission][data-status=accepted]").nth(3).wait_for(timeout=60_000)
    assert page.url == url_after_submit
    assert page.locator("[data-testid=report-status]").inner_text() == "처리 완료"
    shot(page, "06-report-accepted")
    assert Report.objects.get().status == "completed"


def test_agent_switches_between_two_workplaces_and_cannot_open_a_third_by_url(page) -> None:  # type: ignore[no-untyped-def]
    agent = UserFactory()
    firm = PayrollFirmFactory(members=[agent])
    first = WorkplaceFactory(name="가나상사")
    second = WorkplaceFactory(name="다라상회")
    third = WorkplaceFactory(name="남의회사")
    for w in (first, second):
        DelegationFactory(firm=firm, workplace=w)
    hidden = Report.objects.create(
        workplace=third, kind="pay_change", event_date=date(2026, 3, 1), data={}
    )
    device = TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    sign_in(page, agent, device)
    assert "가나상사" in page.locator("h1").inner_text()
    page.get_by_label("사업장 선택").select_option(label="다라상회")
    page.get_by_role("button", name="이동").click()
    page.wait_for_url("**/dashboard/")
    assert "다라상회" in page.locator("h1").inner_text()
    shot(page, "07-agent-switched")
    page.goto("/board/")
    board = page.locator("table.board")
    assert board.get_by_text("가나상사").count() == 1 and board.get_by_text("다라상회").count() == 1
    assert page.get_by_text("남의회사").count() == 0
    shot(page, "08-agent-board")
    response = page.goto(f"/reports/{hidden.pk}/")
    assert response is not None and response.status == 404


def test_a_wrong_code_five_times_locks_the_account(page) -> None:  # type: ignore[no-untyped-def]
    user = MembershipFactory(role=Membership.Role.HR).user
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    sign_in_password(page, user.username)
    for _ in range(5):
        page.get_by_label("인증 코드").fill("000000")
        page.get_by_role("button", name="확인").click()
    assert page.get_by_role("heading", name="계정이 잠겼습니다").is_visible()
    shot(page, "09-locked")
    # Even the right password and a right code are refused now.
    sign_in_password(page, user.username)
    assert page.get_by_role("heading", name="계정이 잠겼습니다").is_visible()
    assert code(device)  # the device itself is unchanged
