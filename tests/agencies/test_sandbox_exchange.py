"""Adapters + Transport against the sandbox over real HTTP (no mocks)."""

from __future__ import annotations

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from agencies.base import Filing
from agencies.pension import PensionAdapter
from agencies.registry import ADAPTERS, adapter_for
from agencies.transport import PermanentError, TransientError, Transport
from tests.agencies.helpers import WORKPLACE, Sandbox, exit_filing, hire_filing, new_person

AGENCIES = list(ADAPTERS)
RECEIPT_PREFIX = {
    "pension": "NPS",
    "health": "NHIS",
    "employment": "EI",
    "industrial_accident": "IACI",
}


@pytest.mark.parametrize("agency", AGENCIES)
def test_each_agency_accepts_a_hire_and_issues_its_own_receipt_number(
    agency: str, sandbox: Sandbox, transport: Transport
) -> None:
    exchange = adapter_for(agency).submit(hire_filing(), transport=transport)

    receipt = exchange.value
    assert receipt is not None
    assert receipt.status == "accepted"
    assert re.fullmatch(rf"{RECEIPT_PREFIX[agency]}-\d{{8}}-\d{{6}}", receipt.receipt_number)
    assert exchange.status_code == 202
    assert exchange.duration_ms >= 0


def test_with_a_result_delay_the_hire_is_received_first_and_decided_later(
    sandbox: Sandbox, transport: Transport
) -> None:
    sandbox.configure(result_delay=0.3)
    adapter = adapter_for("health")
    filing = hire_filing()

    receipt = adapter.submit(filing, transport=transport).value
    pending = adapter.query(filing.reference, transport=transport).value
    time.sleep(0.4)
    decided = adapter.query(filing.reference, transport=transport).value

    assert receipt is not None and receipt.status == "received"
    assert pending is not None and pending.status == "received"
    assert decided is not None and decided.status == "accepted"
    assert decided.receipt_number == receipt.receipt_number


def test_the_same_idempotency_key_twice_yields_one_receipt_and_two_counted_posts(
    sandbox: Sandbox, transport: Transport
) -> None:
    adapter = adapter_for("employment")
    filing = hire_filing()

    first = adapter.submit(filing, transport=transport).value
    second = adapter.submit(filing, transport=transport).value

    assert first == second
    stats = sandbox.stats()
    assert stats["posts"][filing.reference] == 2
    assert stats["accepted_intake"] == 1
    assert stats["duplicates"] == 1


def test_reusing_a_reference_for_a_different_message_is_refused(
    sandbox: Sandbox, transport: Transport
) -> None:
    adapter = adapter_for("pension")
    filing = hire_filing()
    adapter.submit(filing, transport=transport)
    changed = replace(filing, data={**filing.data, "monthly_wage": 3_500_000})

    with pytest.raises(PermanentError) as caught:
        adapter.submit(changed, transport=transport)

    assert caught.value.code == "E409"


class PensionAdapterSendingTheEiCode(PensionAdapter):
    """A realistic bug: the EI reason code sent where NPS expects its own 상실부호."""

    def loss_code(self, ei_reason_code: str) -> str:
        return ei_reason_code


def test_a_wrong_loss_code_is_a_permanent_error_naming_the_field(
    sandbox: Sandbox, transport: Transport
) -> None:
    person = new_person()
    PensionAdapter().submit(hire_filing(person), transport=transport)

    with pytest.raises(PermanentError) as caught:
        PensionAdapterSendingTheEiCode().submit(exit_filing(person, "23"), transport=transport)

    assert caught.value.field == "loss_code"
    assert caught.value.code == "E130"
    assert "상실부호" in caught.value.message
    assert caught.value.exchange is not None
    assert caught.value.exchange.status_code == 422


def test_an_invalid_birth_date_in_the_rrn_is_refused_at_intake(
    sandbox: Sandbox, transport: Transport
) -> None:
    person = {**new_person(), "rrn": "9013011234567"}

    with pytest.raises(PermanentError) as caught:
        adapter_for("health").submit(hire_filing(person), transport=transport)

    assert caught.value.field == "person.rrn"


@pytest.mark.parametrize("agency", AGENCIES)
def test_exit_after_hire_is_accepted_with_the_agency_own_loss_code(
    agency: str, sandbox: Sandbox, transport: Transport
) -> None:
    adapter = adapter_for(agency)
    person = new_person()
    adapter.submit(hire_filing(person), transport=transport)

    exchange = adapter.submit(exit_filing(person, "23"), transport=transport)

    assert exchange.value is not None and exchange.value.status == "accepted"
    sent = json.loads(exchange.request_body)
    expected = {"pension": "3", "health": "1"}.get(agency, "23")
    assert sent.get("loss_code", sent.get("loss_reason_code")) == expected
    assert sent["loss_date"] == "2025-07-01"


@pytest.mark.parametrize("agency", AGENCIES)
def test_a_pay_change_after_hire_is_accepted(
    agency: str, sandbox: Sandbox, transport: Transport
) -> None:
    adapter = adapter_for(agency)
    hire = hire_filing()
    adapter.submit(hire, transport=transport)
    change = Filing(
        reference=str(uuid.uuid4()),
        kind="pay_change",
        workplace=WORKPLACE,
        person=hire.person,
        data={"effective_date": "2025-05-01", "monthly_wage": 3_300_000},
    )

    receipt = adapter.submit(change, transport=transport).value

    assert receipt is not None and receipt.status == "accepted"


def test_an_exit_for_someone_never_hired_is_rejected(
    sandbox: Sandbox, transport: Transport
) -> None:
    receipt = adapter_for("health").submit(exit_filing(new_person()), transport=transport).value

    assert receipt is not None
    assert (receipt.status, receipt.result_code) == ("rejected", "E103")


def test_an_already_acquired_person_is_rejected_in_the_agency_words(
    sandbox: Sandbox, transport: Transport
) -> None:
    adapter = adapter_for("pension")
    person = new_person()
    adapter.submit(hire_filing(person), transport=transport)

    receipt = adapter.submit(hire_filing(person), transport=transport).value

    assert receipt is not None
    assert receipt.status == "rejected"
    assert receipt.result_code == "E102"
    assert receipt.result_message == "이미 자격을 취득한 가입자입니다."


def test_a_name_starting_with_banryeo_is_always_rejected_at_decision_time(
    sandbox: Sandbox, transport: Transport
) -> None:
    sandbox.configure(result_delay=0.2)
    adapter = adapter_for("employment")
    filing = hire_filing(new_person(name="반려테스트"))

    receipt = adapter.submit(filing, transport=transport).value
    time.sleep(0.3)
    result = adapter.query(filing.reference, transport=transport).value

    assert receipt is not None and receipt.status == "received"
    assert result is not None
    assert (result.status, result.result_code) == ("rejected", "R001")


@pytest.mark.parametrize("agency", AGENCIES)
def test_a_hire_can_be_cancelled_at_each_agency(
    agency: str, sandbox: Sandbox, transport: Transport
) -> None:
    adapter = adapter_for(agency)
    hire = hire_filing()
    first = adapter.submit(hire, transport=transport).value
    assert first is not None
    cancel = Filing(
        reference=str(uuid.uuid4()),
        kind="hire_cancel",
        workplace=WORKPLACE,
        person=hire.person,
        data={"hire_date": "2025-03-01"},
        original_receipt_number=first.receipt_number,
    )

    receipt = adapter.submit(cancel, transport=transport).value
    rehire = adapter.submit(hire_filing(hire.person), transport=transport).value

    assert receipt is not None and receipt.status == "accepted"
    assert rehire is not None and rehire.status == "accepted"


@pytest.mark.parametrize("agency", AGENCIES)
def test_each_agency_accepts_a_workplace_registration(
    agency: str, sandbox: Sandbox, transport: Transport
) -> None:
    filing = Filing(
        reference=str(uuid.uuid4()),
        kind="workplace_registration",
        workplace=WORKPLACE,
        person=None,
        data={"effective_date": "2025-01-02"},
    )

    receipt = adapter_for(agency).submit(filing, transport=transport).value

    assert receipt is not None and receipt.status == "accepted"


def test_a_server_error_is_transient(sandbox: Sandbox, transport: Transport) -> None:
    sandbox.fault(mode="error_5xx", count=1)
    filing = hire_filing()

    with pytest.raises(TransientError) as caught:
        adapter_for("pension").submit(filing, transport=transport)
    retried = adapter_for("pension").submit(filing, transport=transport).value

    assert caught.value.exchange is not None
    assert caught.value.exchange.status_code == 500
    assert retried is not None and retried.status == "accepted"


def test_an_outage_answers_503_and_is_transient(sandbox: Sandbox, transport: Transport) -> None:
    sandbox.fault(mode="outage", agency="health", until=time.time() + 60)

    with pytest.raises(TransientError):
        adapter_for("health").submit(hire_filing(), transport=transport)
    other = adapter_for("pension").submit(hire_filing(), transport=transport).value

    assert other is not None and other.status == "accepted"


def test_a_timeout_is_transient_and_the_slow_agency_still_recorded_the_report(
    sandbox: Sandbox, sandbox_server: str
) -> None:
    impatient = Transport.for_sandbox(sandbox_server, read_timeout=0.3)
    sandbox.fault(mode="timeout", count=1, sleep_s=0.8)
    filing = hire_filing()

    with pytest.raises(TransientError) as caught:
        adapter_for("pension").submit(filing, transport=impatient)
    found = adapter_for("pension").query(filing.reference, transport=impatient).value
    # Let the slow server thread finish inside this test rather than after pytest closes output.
    time.sleep(0.8)

    assert caught.value.maybe_delivered
    assert caught.value.exchange is not None and caught.value.exchange.error.startswith("timeout")
    assert found is not None and found.status == "accepted"


def test_after_accept_then_drop_a_query_finds_the_report_so_no_resend_is_needed(
    sandbox: Sandbox, transport: Transport
) -> None:
    sandbox.fault(mode="accept_then_drop", count=1)
    adapter = adapter_for("industrial_accident")
    filing = hire_filing()

    with pytest.raises(TransientError) as caught:
        adapter.submit(filing, transport=transport)
    found = adapter.query(filing.reference, transport=transport).value

    assert caught.value.maybe_delivered
    assert found is not None
    assert found.status == "accepted"
    assert found.receipt_number.startswith("IACI-")
    assert sandbox.stats()["posts"][filing.reference] == 1


def test_a_dropped_request_is_transient_and_never_reaches_the_books(
    sandbox: Sandbox, transport: Transport
) -> None:
    sandbox.fault(mode="drop", count=1)
    filing = hire_filing()

    with pytest.raises(TransientError):
        adapter_for("pension").submit(filing, transport=transport)
    found = adapter_for("pension").query(filing.reference, transport=transport).value

    assert found is not None and found.status == "unknown"


def test_a_refused_connection_is_transient_and_surely_not_delivered() -> None:
    nowhere = Transport.for_sandbox("http://127.0.0.1:9", connect_timeout=0.5)

    with pytest.raises(TransientError) as caught:
        adapter_for("pension").submit(hire_filing(), transport=nowhere)

    assert not caught.value.maybe_delivered
    assert caught.value.exchange is not None and caught.value.exchange.status_code is None


def test_a_query_for_a_reference_never_sent_is_unknown(
    sandbox: Sandbox, transport: Transport
) -> None:
    exchange = adapter_for("employment").query(str(uuid.uuid4()), transport=transport)

    assert exchange.value is not None and exchange.value.status == "unknown"
    assert exchange.status_code == 404


def test_the_stored_request_body_holds_no_resident_registration_number(
    sandbox: Sandbox, transport: Transport
) -> None:
    person = new_person()
    exchange = adapter_for("health").submit(hire_filing(person), transport=transport)

    assert person["rrn"] not in exchange.request_body
    assert not re.search(r"\d{13}", exchange.request_body)
    assert "900101-1******" in exchange.request_body
    assert person["rrn"] not in exchange.response_body


def test_two_hundred_concurrent_hires_are_each_taken_in_once(
    sandbox: Sandbox, transport: Transport
) -> None:
    filings = [hire_filing(new_person(f"9001011{n:05d}")) for n in range(200)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        receipts = list(
            pool.map(lambda f: adapter_for("pension").submit(f, transport=transport).value, filings)
        )

    assert all(r is not None and r.status == "accepted" for r in receipts)
    assert len({r.receipt_number for r in receipts if r}) == 200
    assert sandbox.stats()["accepted_intake"] == 200
