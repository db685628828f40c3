"""The PIPA 접속기록 is a hash chain: any change, deletion or gap is found and named."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from portal.access_log import GENESIS, access_log_verify
from portal.models import AccessRecord, Employee, Membership
from portal.services import employee_rrn_reveal
from tests.factories import EmployeeFactory, MembershipFactory


def _reveal(times: int) -> tuple[Membership, Employee]:
    member = MembershipFactory(role=Membership.Role.OWNER)
    employee = EmployeeFactory(workplace=member.workplace)
    for n in range(times):
        employee_rrn_reveal(user=member.user, employee=employee, ip="10.0.0.1", reason=f"확인 {n}")
    return member, employee


def _as_database_owner(sql: str, params: list[object]) -> None:
    # What someone with the database owner's rights could do: switch the append-only trigger off.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_each_reveal_extends_one_verifiable_chain() -> None:
    _reveal(3)
    records = list(AccessRecord.objects.order_by("seq"))
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS
    assert records[1].prev_hash == records[0].hash and records[2].prev_hash == records[1].hash
    check = access_log_verify()
    assert check.intact and check.checked == 3 and check.head == records[2].hash


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_a_record() -> None:
    _reveal(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessRecord.objects.update(reason="지움")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessRecord.objects.all().delete()
    assert AccessRecord.objects.get().reason == "확인 0"


@pytest.mark.django_db
def test_a_record_altered_behind_the_triggers_back_is_named() -> None:
    _reveal(4)
    with transaction.atomic():
        _as_database_owner(
            "UPDATE portal_accessrecord SET ip = %s WHERE seq = %s", ["192.168.0.9", 3]
        )
    check = access_log_verify()
    assert (check.broken_at, check.checked) == (3, 2)
    assert "위·변조" in check.problem


@pytest.mark.django_db
def test_a_deleted_record_leaves_a_gap_that_is_named() -> None:
    _reveal(4)
    with transaction.atomic():
        _as_database_owner("DELETE FROM portal_accessrecord WHERE seq = %s", [2])
    check = access_log_verify()
    assert check.broken_at == 2
    assert "삭제" in check.problem


@pytest.mark.django_db
def test_a_record_rewritten_with_a_fresh_hash_still_breaks_the_next_link() -> None:
    _reveal(3)
    second = AccessRecord.objects.get(seq=2)
    second.reason = "다른 사유"
    from portal.access_log import access_record_digest

    forged = access_record_digest(second)
    with transaction.atomic():
        _as_database_owner(
            "UPDATE portal_accessrecord SET reason = %s, hash = %s WHERE seq = %s",
            ["다른 사유", forged, 2],
        )
    check = access_log_verify()
    assert check.broken_at == 3
    assert "연결" in check.problem


@pytest.mark.django_db
def test_the_command_reports_an_intact_log_and_fails_on_a_broken_one(capsys) -> None:  # type: ignore[no-untyped-def]
    _reveal(2)
    call_command("verify_access_log")
    assert "2건 이상 없음" in capsys.readouterr().out
    with transaction.atomic():
        _as_database_owner("DELETE FROM portal_accessrecord WHERE seq = %s", [1])
    with pytest.raises(CommandError, match="순번 1"):
        call_command("verify_access_log")


@pytest.mark.django_db(transaction=True)
def test_reveals_from_many_threads_at_once_keep_one_chain() -> None:
    member, employee = _reveal(0)
    errors: list[BaseException] = []

    def reveal_five() -> None:
        try:
            for _ in range(5):
                employee_rrn_reveal(user=member.user, employee=employee, ip=None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=reveal_five) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(AccessRecord.objects.values_list("seq", flat=True)) == list(range(1, 21))
    assert access_log_verify().intact


@pytest.mark.django_db
def test_the_monthly_review_lists_each_users_accesses_every_export_and_unexplained_views(
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    seoul = ZoneInfo("Asia/Seoul")
    member = MembershipFactory(role=Membership.Role.OWNER)
    employee = EmployeeFactory(workplace=member.workplace)
    with time_machine.travel(datetime(2026, 9, 30, 23, 50, tzinfo=seoul), tick=False):
        employee_rrn_reveal(user=member.user, employee=employee, ip=None, reason="9월")
    with time_machine.travel(datetime(2026, 10, 2, 9, 0, tzinfo=seoul), tick=False):
        employee_rrn_reveal(user=member.user, employee=employee, ip=None)
        employee_rrn_reveal(user=member.user, employee=employee, ip=None, reason="4대보험 신고")
        employee_rrn_reveal(
            user=member.user,
            employee=employee,
            ip=None,
            action=AccessRecord.Action.DOWNLOAD,
            reason="증명서 내려받기",
        )
    with time_machine.travel(datetime(2026, 11, 1, 0, 5, tzinfo=seoul), tick=False):
        employee_rrn_reveal(user=member.user, employee=employee, ip=None, reason="11월")

    call_command("access_log_review", "--month", "2026-10")
    out = capsys.readouterr().out
    assert "2026-10: 3건" in out
    assert f"{member.user.get_username()}: 2 / 0 / 1" in out
    assert "출력·다운로드 1건" in out and "사유: 증명서 내려받기" in out
    assert "사유 없는 조회 1건" in out
    assert "5건 이상 없음" in out and AccessRecord.objects.get(seq=5).hash in out


@pytest.mark.django_db
def test_the_review_refuses_a_month_it_cannot_read() -> None:
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("access_log_review", "--month", "10월")


@pytest.mark.django_db
def test_the_daily_check_mails_the_operators_when_the_chain_breaks(mailoutbox) -> None:  # type: ignore[no-untyped-def]
    from portal.tasks import access_log_check
    from tests.factories import UserFactory

    UserFactory(is_staff=True, email="ops@portal.example")
    UserFactory(is_staff=False, email="owner@portal.example")
    _reveal(3)
    assert access_log_check() is True
    assert mailoutbox == []

    with transaction.atomic():
        _as_database_owner("DELETE FROM portal_accessrecord WHERE seq = %s", [2])
    assert access_log_check() is False
    [mail] = mailoutbox
    assert mail.to == ["ops@portal.example"]
    assert "순번 2" in mail.body
