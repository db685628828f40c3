"""The sandbox's books kept in a file of its own, and people insured before the portal.

`StateFile` writes who is insured where (members, lost members, workplaces), the decided reports
and the receipt counters after every change, atomically (a temporary file, then os.replace), and
reads them back at start: a restart of `make run` does not forget anyone. Reports not yet decided
are not written: their message holds the resident number the decision needs, and the file keeps
only its SHA-256, like the books. Such a report is unknown after a restart and is sent again.

`members_tell` is the control endpoint `POST /_members`: it tells an agency that someone was
insured before any report reached the sandbox (an employer's imported history), so their later
loss is accepted as the real agency would.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agencies.sandbox import rules

if TYPE_CHECKING:
    from agencies.sandbox.state import Report, SandboxState

logger = logging.getLogger("agencies.sandbox")
VERSION = 1


def _key_list(items: Iterable[tuple[tuple[str, ...], str]]) -> list[list[str]]:
    return sorted([*key, value] for key, value in items)


def _stored_report(report: Report) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    person = dict(data["payload"].get("person") or {})
    if "rrn" in person:
        from agencies.sandbox.state import _digest

        person["rrn_sha256"] = _digest(str(person.pop("rrn") or ""))
        data["payload"] = {**data["payload"], "person": person}
    return data


class StateFile:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()  # one writer at a time, so an older snapshot never wins
        self._written = ""

    def snapshot(self, state: SandboxState) -> str:
        """The books as JSON (the caller holds state.lock)."""
        return json.dumps(
            {
                "version": VERSION,
                "members": _key_list(state.members.items()),
                "lost": _key_list(state.lost.items()),
                "workplaces": _key_list(state.workplaces.items()),
                "reports": [
                    _stored_report(r) for r in state.reports.values() if r.decided_at is not None
                ],
                "counters": {agency: dict(c) for agency, c in state.per_agency.items()},
                "seq": state.seq,
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    def save(self, state: SandboxState) -> None:
        with self._lock:
            with state.lock:
                text = self.snapshot(state)
            if text == self._written:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, self.path)
            self._written = text

    def load(self, state: SandboxState) -> None:
        """Fill empty books from the file, if there is one. An unreadable file is set aside
        (renamed *.unreadable) and the sandbox starts with empty books."""
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                raise ValueError(f"unknown version {data.get('version')!r}")
            with state.lock:
                self._restore(state, data)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            aside = self.path.with_name(self.path.name + ".unreadable")
            logger.warning("sandbox state %s unreadable (%s); moved to %s", self.path, exc, aside)
            os.replace(self.path, aside)
            state.reset()
            return
        self._written = self.path.read_text(encoding="utf-8")
        logger.info(
            "sandbox state loaded from %s: %d members, %d reports",
            self.path,
            len(state.members),
            len(state.reports),
        )

    @staticmethod
    def _restore(state: SandboxState, data: dict[str, Any]) -> None:
        from agencies.sandbox.state import Report

        state.members = {(a, m, p): on for a, m, p, on in data["members"]}
        state.lost = {(a, m, p): on for a, m, p, on in data.get("lost", [])}
        state.workplaces = {(a, m): status for a, m, status in data["workplaces"]}
        names = {f.name for f in dataclasses.fields(Report)}
        for item in data["reports"]:
            report = Report(**{k: v for k, v in item.items() if k in names})
            if report.refusal is not None:
                report.refusal = (report.refusal[0], report.refusal[1])
            state.reports[(report.agency, report.reference)] = report
        for agency, counts in data.get("counters", {}).items():
            if agency in state.per_agency:
                state.per_agency[agency].update(counts)
        state.seq = int(data.get("seq") or 0)


def _member(entry: Any) -> tuple[tuple[str, str, str], str, str | None]:
    """((agency, management number, person), acquired on, lost on) of one told entry."""
    from agencies.sandbox.state import _digest

    if not isinstance(entry, dict):
        raise ValueError("each member must be a JSON object")
    agency = entry.get("agency")
    if agency not in rules.AGENCIES:
        raise ValueError(f"agency must be one of {', '.join(rules.AGENCIES)}")
    number = str(entry.get("management_number") or "")
    if not re.fullmatch(r"\d{11}", number):
        raise ValueError("management_number must be 11 digits")
    rrn = re.sub(r"[\s-]", "", str(entry.get("rrn") or ""))
    if not re.fullmatch(r"\d{13}", rrn):
        raise ValueError("rrn must be 13 digits")
    try:
        acquired = date.fromisoformat(str(entry.get("acquired_on")))
        lost = date.fromisoformat(str(entry["lost_on"])) if entry.get("lost_on") else None
    except ValueError:
        raise ValueError("acquired_on and lost_on must be dates (YYYY-MM-DD)") from None
    if lost is not None and lost <= acquired:
        raise ValueError("lost_on must be after acquired_on")
    return (agency, number, _digest(rrn)), acquired.isoformat(), lost.isoformat() if lost else None


def members_tell(state: SandboxState, body: Any) -> int:
    """Enrol one entry or a list (all or none): insured since `acquired_on`, or, with `lost_on`,
    insured then and lost since. Returns how many entries were taken."""
    entries = body if isinstance(body, list) else [body]
    parsed = [_member(entry) for entry in entries]
    with state.lock:
        for key, acquired_on, lost_on in parsed:
            if lost_on is None:
                state.members[key] = acquired_on
                state.lost.pop(key, None)
            elif state.members.get(key) in (None, acquired_on):
                # A later stint already on the books stays; this one has ended.
                state.members.pop(key, None)
                state.lost[key] = acquired_on
    return len(parsed)


def members_list(state: SandboxState) -> list[dict[str, str]]:
    """Who is insured now: agency, management number, the number's SHA-256, acquisition date."""
    with state.lock:
        return [
            {"agency": a, "management_number": m, "rrn_sha256": p, "acquired_on": on}
            for (a, m, p), on in sorted(state.members.items())
        ]
