"""The sandbox learns about people insured before any report (POST /_members) and keeps its
books in a state file across restarts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agencies.registry import adapter_for
from agencies.sandbox import start_in_thread
from agencies.transport import Transport
from tests.agencies.helpers import WORKPLACE, Sandbox, exit_filing, hire_filing, new_person

AGENCIES = ("pension", "health", "employment", "industrial_accident")


def told(person: dict, agency: str = "pension", **extra: object) -> dict:
    return {
        "agency": agency,
        "management_number": WORKPLACE["management_number"],
        "rrn": person["rrn"],
        "acquired_on": "2019-03-04",
        **extra,
    }


def test_a_loss_for_someone_told_about_is_accepted_and_unknown_people_still_are_refused(
    sandbox: Sandbox, transport: Transport
) -> None:
    insured, stranger = new_person("800101123456"), new_person("810101123456", name="남모름")
    answer = sandbox.http.post("/_members", json=[told(insured, a) for a in AGENCIES])

    assert answer.status_code == 200 and answer.json() == {"members": 4}
    for agency in AGENCIES:
        adapter = adapter_for(agency)
        accepted = adapter.submit(exit_filing(insured), transport=transport).value
        refused = adapter.submit(exit_filing(stranger), transport=transport).value
        assert accepted is not None and accepted.status == "accepted", agency
        assert refused is not None and (refused.status, refused.result_code) == ("rejected", "E103")


def test_one_bad_entry_enrols_nobody_and_the_list_shows_no_numbers(sandbox: Sandbox) -> None:
    person = new_person("820101123456")
    bad = sandbox.http.post(
        "/_members", json=[told(person), told(person, agency="dental"), told(person, rrn="12")]
    )
    lost_before = sandbox.http.post(
        "/_members", json=told(person, acquired_on="2020-01-01", lost_on="2019-12-31")
    )
    assert (bad.status_code, lost_before.status_code) == (400, 400)
    assert "agency" in bad.json()["message"]
    assert sandbox.http.get("/_members").json() == {"members": []}

    sandbox.http.post("/_members", json=told(person)).raise_for_status()
    listed = sandbox.http.get("/_members").text
    assert person["rrn"] not in listed
    assert hashlib.sha256(person["rrn"].encode()).hexdigest() in listed


def test_someone_told_as_lost_is_not_insured(sandbox: Sandbox, transport: Transport) -> None:
    person = new_person("830101123456")
    sandbox.http.post("/_members", json=told(person, lost_on="2021-01-01")).raise_for_status()

    refused = adapter_for("pension").submit(exit_filing(person), transport=transport).value

    assert refused is not None and refused.result_code == "E103"
    assert sandbox.http.get("/_members").json() == {"members": []}


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "books" / "sandbox-state.json"


@pytest.fixture
def restartable(state_file: Path) -> Iterator[list]:
    """Start (and restart) sandboxes on the same state file; all stopped at the end."""
    servers: list = []
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def _start(servers: list, state_file: Path) -> tuple[httpx.Client, Transport]:
    server, url = start_in_thread(result_delay=0, state_file=state_file)
    servers.append(server)
    transport = Transport.for_sandbox(url, connect_timeout=1.0, read_timeout=1.0)
    return httpx.Client(base_url=url, timeout=5.0), transport


def test_a_restart_on_the_same_state_file_remembers_who_is_insured_and_what_was_decided(
    restartable: list, state_file: Path
) -> None:
    told_person, hired_person = new_person("840101123456"), new_person("850101123456")
    http, transport = _start(restartable, state_file)
    http.post("/_members", json=told(told_person)).raise_for_status()
    hire = hire_filing(hired_person)
    receipt = adapter_for("health").submit(hire, transport=transport).value
    assert receipt is not None and receipt.status == "accepted"
    first = restartable.pop()
    first.shutdown()
    first.server_close()

    http, transport = _start(restartable, state_file)

    members = {(m["agency"], m["acquired_on"]) for m in http.get("/_members").json()["members"]}
    assert members == {("pension", "2019-03-04"), ("health", "2025-03-01")}
    found = adapter_for("health").query(hire.reference, transport=transport).value
    assert found is not None and (found.status, found.receipt_number) == (
        "accepted",
        receipt.receipt_number,
    )
    again = adapter_for("health").submit(
        hire_filing(new_person("860101123456")), transport=transport
    )
    assert again.value is not None and again.value.receipt_number != receipt.receipt_number
    left = adapter_for("pension").submit(exit_filing(told_person), transport=transport).value
    assert left is not None and left.status == "accepted"
    text = state_file.read_text()
    assert told_person["rrn"] not in text and hired_person["rrn"] not in text
    digest = hashlib.sha256(told_person["rrn"].encode()).hexdigest()
    books = json.loads(text)
    assert digest not in str(books["members"])
    assert ["pension", WORKPLACE["management_number"], digest, "2019-03-04"] in books["lost"]


def test_an_unreadable_state_file_is_set_aside_and_the_sandbox_starts_empty(
    restartable: list, state_file: Path
) -> None:
    state_file.parent.mkdir(parents=True)
    state_file.write_text("{not json")

    http, _ = _start(restartable, state_file)

    assert http.get("/_members").json() == {"members": []}
    assert state_file.with_name(state_file.name + ".unreadable").read_text() == "{not json"
