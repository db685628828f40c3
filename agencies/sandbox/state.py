"""The sandbox agencies' books, in memory, behind one lock.

Decisions are lazy: any request first decides every report whose delay has passed, in receipt
order, so the books evolve exactly as if a clerk had processed them on time.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from agencies.sandbox import books, rules

KST = timezone(timedelta(hours=9))
FAULT_MODES = ("latency", "error_5xx", "timeout", "drop", "accept_then_drop", "outage", "reject")
# `reject` is not a transport fault: the agency takes the report in and then refuses it (반려)
# with the given code and message, as a real agency would for content it will not accept.


def _now_iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _digest(value: str) -> str:
    # The books only need to recognise a person again; they need not hold the number itself.
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class Report:
    agency: str
    reference: str
    receipt_number: str
    payload: dict[str, Any]
    fingerprint: str
    received_at: float
    due_at: float
    status: str = "received"
    result_code: str = ""
    result_message: str = ""
    decided_at: float | None = None
    first_answer: dict[str, Any] = field(default_factory=dict)
    refusal: tuple[str, str] | None = None  # a `reject` fault's (code, message)

    def public(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "receipt_number": self.receipt_number,
            "form": self.payload.get("form", ""),
            "status": self.status,
            "result_code": self.result_code,
            "result_message": self.result_message,
            "received_at": _now_iso(self.received_at),
            "decided_at": _now_iso(self.decided_at) if self.decided_at else None,
        }


@dataclass
class Fault:
    id: int
    mode: str
    agency: str | None = None
    method: str | None = None
    remaining: int | None = None
    until: float | None = None
    latency_ms: int = 0
    sleep_s: float = 15.0
    status: int = 500
    form: str | None = None
    code: str = "E999"
    message: str = "기관에서 반려했습니다."

    def matches(self, agency: str, method: str, now: float) -> bool:
        if self.until is not None and now >= self.until:
            return False
        if self.agency not in (None, agency):
            return False
        return self.method in (None, method)

    def describe(self) -> dict[str, Any]:
        return dict(self.__dict__)


class SandboxState:
    """All four agencies' books. Every public method takes the lock once."""

    def __init__(
        self,
        *,
        result_delay: float = 2.0,
        timeout_sleep_s: float = 15.0,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.lock = threading.Lock()
        self.config: dict[str, float] = {
            "result_delay": float(result_delay),
            "timeout_sleep_s": float(timeout_sleep_s),
        }
        self._clear()
        # With a state file the books outlive the process (agencies.sandbox.books).
        self.state_file = books.StateFile(state_file) if state_file else None
        if self.state_file is not None:
            self.state_file.load(self)

    def _clear(self) -> None:
        self.reports: dict[tuple[str, str], Report] = {}
        self.pending: list[tuple[float, int, tuple[str, str]]] = []
        self.members: dict[tuple[str, str, str], str] = {}
        # Lost memberships (acquisition date), so an accepted 상실취소 can restore them.
        self.lost: dict[tuple[str, str, str], str] = {}
        self.workplaces: dict[tuple[str, str], str] = {}
        self.posts: Counter[str] = Counter()
        self.per_agency: dict[str, Counter[str]] = {a: Counter() for a in rules.AGENCIES}
        self.faults: list[Fault] = []
        self.faults_applied = 0
        self.seq = 0

    # -- control ---------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every report, person, workplace, counter and fault; keep the config."""
        with self.lock:
            self._clear()

    def configure(self, **values: float) -> dict[str, float]:
        with self.lock:
            for key, value in values.items():
                if key in self.config and value is not None:
                    self.config[key] = float(value)
            return dict(self.config)

    def save(self) -> None:
        """Write the books to the state file, if there is one and they changed."""
        if self.state_file is not None:
            self.state_file.save(self)

    def members_tell(self, body: Any) -> int:
        """Enrol people insured before any report reached the sandbox (POST /_members)."""
        return books.members_tell(self, body)

    def members_list(self) -> list[dict[str, str]]:
        return books.members_list(self)

    def add_fault(self, spec: dict[str, Any]) -> Fault:
        mode = spec.get("mode")
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)}")
        agency = spec.get("agency") or None
        if agency is not None and agency not in rules.AGENCIES:
            raise ValueError("unknown agency")
        method = spec.get("method") or ("POST" if mode == "accept_then_drop" else None)
        with self.lock:
            self.seq += 1
            fault = Fault(
                id=self.seq,
                mode=mode,
                agency=agency,
                method=method.upper() if method else None,
                remaining=int(spec["count"]) if spec.get("count") is not None else None,
                until=float(spec["until"]) if spec.get("until") is not None else None,
                latency_ms=int(spec.get("latency_ms") or 0),
                sleep_s=float(spec.get("sleep_s") or self.config["timeout_sleep_s"]),
                status=int(spec.get("status") or (503 if mode == "outage" else 500)),
                form=spec.get("form") or None,
                code=str(spec.get("code") or "E999")[:16],
                message=str(spec.get("message") or "기관에서 반려했습니다.")[:500],
            )
            self.faults.append(fault)
            return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults = []

    def take_fault(self, agency: str, method: str, now: float) -> Fault | None:
        """The first fault that applies to this request, consuming one of its count."""
        with self.lock:
            self.faults = [
                f
                for f in self.faults
                if (f.remaining is None or f.remaining > 0) and (f.until is None or now < f.until)
            ]
            for fault in self.faults:
                if fault.mode != "reject" and fault.matches(agency, method, now):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    self.faults_applied += 1
                    return fault
        return None

    def _take_refusal(self, agency: str, form: str, now: float) -> tuple[str, str] | None:
        """A `reject` fault for this agency and form, consuming one of its count (lock held)."""
        for fault in self.faults:
            if fault.mode != "reject" or fault.remaining == 0:
                continue
            if fault.matches(agency, "POST", now) and fault.form in (None, form):
                if fault.remaining is not None:
                    fault.remaining -= 1
                self.faults_applied += 1
                return fault.code, fault.message
        return None

    def stats(self, now: float) -> dict[str, Any]:
        with self.lock:
            self._decide_due(now)
            statuses: dict[str, Counter[str]] = {a: Counter() for a in rules.AGENCIES}
            for report in self.reports.values():
                statuses[report.agency][report.status] += 1
            return {
                "posts": dict(self.posts),
                "accepted_intake": len(self.reports),
                "duplicates": sum(c["duplicates"] for c in self.per_agency.values()),
                "faults_applied": self.faults_applied,
                "per_agency": {
                    agency: {**counter, "statuses": dict(statuses[agency])}
                    for agency, counter in self.per_agency.items()
                },
                "config": dict(self.config),
            }

    # -- the agency side -------------------------------------------------------------

    def count_post(self, agency: str, reference: str) -> None:
        with self.lock:
            self.posts[reference] += 1
            self.per_agency[agency]["posts"] += 1

    def intake(
        self, agency: str, reference: str, payload: Any, *, now: float
    ) -> tuple[int, dict[str, Any]]:
        """Take in one report (or replay the first answer for a known reference)."""
        fingerprint = hashlib.sha256(
            json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        today = datetime.fromtimestamp(now, KST).date()
        violation = rules.check_message(agency, payload, today=today)
        with self.lock:
            self._decide_due(now)
            counter = self.per_agency[agency]
            known = self.reports.get((agency, reference))
            if known is not None:
                counter["duplicates"] += 1
                if known.fingerprint != fingerprint:
                    return 409, {
                        "code": "E409",
                        "message": "같은 참조번호로 다른 내용의 신고가 이미 접수되었습니다.",
                        "field": "Idempotency-Key",
                    }
                return 202, dict(known.first_answer)
            if violation is not None:
                counter["invalid"] += 1
                return 422, {
                    "code": violation.code,
                    "message": violation.message,
                    "field": violation.field,
                }
            self.seq += 1
            counter["receipts"] += 1
            day = datetime.fromtimestamp(now, KST).strftime("%Y%m%d")
            report = Report(
                agency=agency,
                reference=reference,
                receipt_number=f"{rules.RECEIPT_PREFIX[agency]}-{day}-{counter['receipts']:06d}",
                payload=payload,
                fingerprint=fingerprint,
                received_at=now,
                due_at=now + self.config["result_delay"],
                refusal=self._take_refusal(agency, str(payload.get("form", "")), now),
            )
            self.reports[(agency, reference)] = report
            heapq.heappush(self.pending, (report.due_at, self.seq, (agency, reference)))
            self._decide_due(now)
            answer = {
                "reference": reference,
                "receipt_number": report.receipt_number,
                "status": report.status,
            }
            if report.status != "received":
                answer.update(result_code=report.result_code, result_message=report.result_message)
            report.first_answer = answer
            return 202, dict(answer)

    def lookup(self, agency: str, reference: str, *, now: float) -> dict[str, Any] | None:
        with self.lock:
            self._decide_due(now)
            self.per_agency[agency]["queries"] += 1
            report = self.reports.get((agency, reference))
            return report.public() if report else None

    def _decide_due(self, now: float) -> None:
        while self.pending and self.pending[0][0] <= now:
            _, _, key = heapq.heappop(self.pending)
            self._decide(self.reports[key], now)

    def _decide(self, report: Report, now: float) -> None:
        payload = report.payload
        agency = report.agency
        mgmt = str(payload["management_number"])
        person = payload.get("person") or {}
        if report.refusal is not None:
            report.status = "rejected"
            report.result_code, report.result_message = report.refusal
            report.decided_at = now
            self.per_agency[agency]["rejected"] += 1
            return
        member_key = (agency, mgmt, _digest(str(person.get("rrn") or "")))
        workplace_key = (agency, mgmt)
        verdict = rules.judge(
            payload,
            acquired_on=self.members.get(member_key) if person else None,
            workplace_status=self.workplaces.get(workplace_key),
            lost_acquired_on=self.lost.get(member_key) if person else None,
        )
        report.status = verdict.status
        report.result_code = verdict.code
        report.result_message = verdict.message
        report.decided_at = now
        self.per_agency[agency][verdict.status] += 1
        if verdict.status != "accepted":
            return
        form = payload["form"]
        if form == "acquisition":
            self.members[member_key] = str(payload["acquisition_date"])
            self.lost.pop(member_key, None)
        elif form == "loss":
            self.lost[member_key] = self.members.pop(member_key)
        elif form == "loss_cancel":
            self.members[member_key] = self.lost.pop(member_key)
        elif form == "acquisition_cancel":
            self.members.pop(member_key, None)
        elif form == "workplace_registration":
            self.workplaces[workplace_key] = "active"
        elif form == "workplace_closure":
            self.workplaces[workplace_key] = "closed"


def current_time() -> float:
    return time.time()
