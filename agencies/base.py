"""The adapter contract: one subclass per agency turns a `Filing` into that agency's message.

Modelled on pretix's payment providers: a small ABC with class attributes for identity and
hooks with documented defaults; `registry.adapter_for(code)` is the only way to get one.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from agencies import codes
from agencies.transport import Exchange, TransientError, Transport
from portal.identifiers import mask_rrn, mask_rrn_text

FILING_KINDS = (
    "hire",
    "exit",
    "workplace_registration",
    "workplace_change",
    "workplace_closure",
    "pay_change",
    "hire_cancel",
    "exit_cancel",
    "pay_change_cancel",
    "separation",
    "daily_work",
    "annual_wage",
)
RECEIPT_STATUSES = ("received", "accepted", "rejected")
RESULT_STATUSES = ("received", "accepted", "rejected", "unknown")


@dataclass(frozen=True)
class Filing:
    """What filings/ hands an adapter; built fresh at send time, never stored.

    `reference` is our submission UUID: the idempotency key and the agency-side reference.
    `person['rrn']` is the plaintext RRN, decrypted only for this send.
    """

    reference: str
    kind: str
    workplace: dict[str, Any]
    person: dict[str, Any] | None
    data: dict[str, Any]
    original_receipt_number: str | None = None


@dataclass(frozen=True)
class Receipt:
    """The agency's answer to a submission: a 접수번호, usually status 'received'."""

    receipt_number: str
    status: str
    result_code: str = ""
    result_message: str = ""


@dataclass(frozen=True)
class Result:
    """The agency's current view of a submission; 'unknown' if it never saw our reference."""

    status: str
    receipt_number: str = ""
    result_code: str = ""
    result_message: str = ""


def int_or_none(value: Any) -> int | None:
    """A whole number from the report's data, or None where it was not given."""
    return None if value is None or value == "" else int(value)


def iso_date(value: Any) -> str | None:
    """A date or ISO string as 'YYYY-MM-DD' (None stays None)."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)).isoformat()


def json_number(value: Any) -> int | float | str | None:
    """Hours and similar quantities as JSON: integral Decimals become ints, others a string."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


class AgencyAdapter(ABC):
    """One agency. Subclasses set the class attributes and the agency-specific hooks."""

    code: ClassVar[str]
    label: ClassVar[str]
    insurance_label: ClassVar[str]

    # -- whether a report goes here -------------------------------------------------------

    def covers(self, coverage: dict[str, Any]) -> bool:
        """Whether a report with this coverage (filings.coverage's answer, by agency code) is
        filed here. Default: the coverage decision for this agency's code, unless it names
        another report that carries the insurance (`via`, e.g. a daily worker's monthly
        근로내용확인신고 instead of an acquisition)."""
        decision = coverage.get(self.code)
        return bool(decision and decision.get("covered") and not decision.get("via"))

    # -- building the message ------------------------------------------------------------

    def build_payload(self, filing: Filing) -> dict[str, Any]:
        """The agency message for a filing, with this agency's codes and field names.

        Plaintext RRN included: send it, never store it (store `redact(payload)` instead).
        """
        if filing.kind not in FILING_KINDS:
            raise ValueError(f"unknown filing kind: {filing.kind!r}")
        message: dict[str, Any] = {
            "reference": filing.reference,
            "management_number": filing.workplace["management_number"],
        }
        if filing.kind == "hire":
            message.update(form="acquisition", person=self.person_block(filing))
            message.update(self.acquisition_fields(filing))
        elif filing.kind == "exit":
            message.update(form="loss", person=self.person_block(filing))
            message.update(self.loss_fields(filing))
        elif filing.kind == "hire_cancel":
            message.update(form="acquisition_cancel", person=self.person_block(filing))
            message.update(self.cancel_fields(filing))
        elif filing.kind == "exit_cancel":
            message.update(form="loss_cancel", person=self.person_block(filing))
            message.update(self.loss_cancel_fields(filing))
        elif filing.kind == "pay_change_cancel":
            message.update(form="pay_change_cancel", person=self.person_block(filing))
            message.update(self.pay_change_cancel_fields(filing))
        elif filing.kind == "separation":
            message.update(form="separation", person=self.person_block(filing))
            message.update(self.separation_fields(filing))
        elif filing.kind == "pay_change":
            message.update(form="pay_change", person=self.person_block(filing))
            message.update(self.pay_change_fields(filing))
        elif filing.kind == "daily_work":
            message.update(form="daily_work", person=self.person_block(filing))
            message.update(self.daily_work_fields(filing))
        elif filing.kind == "annual_wage":
            message.update(form="annual_wage", person=self.person_block(filing))
            message.update(self.annual_wage_fields(filing))
        else:
            message.update(form=filing.kind, workplace=self.workplace_block(filing))
            message.update(self.workplace_fields(filing))
        return message

    def person_block(self, filing: Filing) -> dict[str, Any]:
        """The 가입자 block shared by every person form (name, RRN, nationality, visa)."""
        person = filing.person or {}
        return {
            "name": person.get("name", ""),
            "rrn": person.get("rrn", ""),
            "nationality": person.get("nationality") or "KR",
            "visa": person.get("visa") or "",
        }

    def workplace_block(self, filing: Filing) -> dict[str, Any]:
        """The 사업장 block of the workplace forms (별지 제2, 3, 4호)."""
        wp = filing.workplace
        return {
            "business_registration_number": wp.get("business_registration_number", ""),
            "name": wp.get("name", ""),
            "address": wp.get("address", ""),
            "representative": wp.get("representative", ""),
            "industry_code": wp.get("industry_code", ""),
            "headcount": wp.get("headcount"),
        }

    @abstractmethod
    def acquisition_fields(self, filing: Filing) -> dict[str, Any]:
        """This agency's section of the 자격취득 신고서 (codes, pay field, dates)."""

    @abstractmethod
    def loss_fields(self, filing: Filing) -> dict[str, Any]:
        """This agency's section of the 자격상실 신고서 (loss date, its own loss code, pay)."""

    @abstractmethod
    def cancel_fields(self, filing: Filing) -> dict[str, Any]:
        """How this agency cancels an acquisition (a loss code or a 취소 request)."""

    def loss_cancel_fields(self, filing: Filing) -> dict[str, Any]:
        """How this agency undoes an accepted loss (상실취소). Default: its loss-cancel code,
        the loss date being undone and the original receipt."""
        return {
            "cancel_code": self.loss_cancel_code(),
            "loss_date": self.loss_date(filing),
            "original_receipt_number": filing.original_receipt_number or "",
        }

    def separation_fields(self, filing: Filing) -> dict[str, Any]:
        """이직확인서 (only employment insurance takes one): the separation date, the EI loss
        reason, and the wage and working-day details for the average wage."""
        data = filing.data
        return {
            "separation_date": iso_date(data["last_working_day"]),
            "loss_reason_code": str(data["reason_code"]),
            "daily_hours": int(data["daily_hours"]),
            "insured_days": int(data["insured_days"]),
            "wage_months": list(data["wage_months"]),
            "average_daily_wage": int(data["average_daily_wage"]),
        }

    def daily_work_fields(self, filing: Filing) -> dict[str, Any]:
        """근로내용확인신고 (EI and IACI take it): the month, the days worked, hours a day, pay
        and tax withheld, and the 보험구분 of the row (which of the two insurances it is for)."""
        data = filing.data
        return {
            "month": str(data["month"]),
            "insurance_class": str(data["insurance_class"]),
            "days": list(data["days"]),
            "work_days": int(data["work_days"]),
            "daily_hours": json_number(Decimal(str(data["daily_hours"]))),
            "wages": int(data["wages"]),
            "total_pay": int(data["total_pay"]),
            "nontaxable": int(data["nontaxable"]),
            "income_tax": int(data["income_tax"]),
            "local_tax": int(data["local_tax"]),
            "separation_code": str(data.get("separation_code") or ""),
        }

    def annual_wage_fields(self, filing: Filing) -> dict[str, Any]:
        """보수총액신고 (EI, IACI) and 보수총액 통보 (NHIS): the year's total pay and the months
        worked, with the month-by-month figures it was summed from."""
        data = filing.data
        return {
            "year": int(data["year"]),
            "total_wages": int(data["total_wages"]),
            "months_worked": int(data["months_worked"]),
            "months": list(data["months"]),
        }

    def pay_change_cancel_fields(self, filing: Filing) -> dict[str, Any]:
        """How this agency withdraws an accepted pay change. No agency publishes a code for it
        (기준 확인 필요): a 취소 request naming the change's date and receipt."""
        return {
            "action": codes.EI_CANCEL_ACTION,
            "effective_date": iso_date(filing.data.get("effective_date")),
            "original_receipt_number": filing.original_receipt_number or "",
        }

    @abstractmethod
    def pay_change_fields(self, filing: Filing) -> dict[str, Any]:
        """This agency's section of 별지 제27호 (its name for the monthly pay and the date)."""

    def workplace_fields(self, filing: Filing) -> dict[str, Any]:
        """Effective date plus the changed fields; the same for all four agencies by default."""
        data = dict(filing.data)
        effective = iso_date(data.pop("effective_date", None))
        fields: dict[str, Any] = {"effective_date": effective}
        if filing.kind == "workplace_change":
            fields["changes"] = data
        elif data:
            fields["details"] = data
        return fields

    # -- codes -------------------------------------------------------------------------

    def acquisition_code_for(self, *, data: dict[str, Any], birth_date: date) -> str:
        """The 자격취득부호 an accepted acquisition of these report data carries, for the
        period it opens; '' for agencies without one (EI and IACI)."""
        return ""

    def loss_code(self, ei_reason_code: str) -> str:
        """This agency's 상실부호 for an end of employment given by its EI reason code."""
        return codes.loss_codes_for(ei_reason_code)[self.code]

    def cancel_code(self) -> str:
        """This agency's code (or action, for EI/IACI) for cancelling an acquisition."""
        return codes.cancel_codes()[self.code]

    def loss_cancel_code(self) -> str:
        """This agency's code (or action, for EI/IACI) for cancelling an accepted loss."""
        return codes.loss_cancel_codes()[self.code]

    def loss_date(self, filing: Filing) -> str:
        """상실일: the filing's loss_date, else the day after the last working day."""
        given = iso_date(filing.data.get("loss_date"))
        if given:
            return given
        last = date.fromisoformat(iso_date(filing.data["last_working_day"]) or "")
        return (last + timedelta(days=1)).isoformat()

    # -- talking to the agency ---------------------------------------------------------

    def submit(self, filing: Filing, *, transport: Transport) -> Exchange[Receipt]:
        """Send the filing once. Raises TransientError / PermanentError with `exc.exchange`."""
        payload = self.build_payload(filing)
        exchange = transport.post_json(
            self.code,
            "/reports",
            body=payload,
            redacted_body=self.redact(payload),
            idempotency_key=filing.reference,
        )
        answer = exchange.value or {}
        status = str(answer.get("status", ""))
        receipt_number = str(answer.get("receipt_number") or "")
        if status not in RECEIPT_STATUSES or not receipt_number:
            # The agency answered 2xx but not with a receipt: it may still have taken the report.
            raise TransientError(
                "answer without receipt", exchange=exchange.with_value(None), maybe_delivered=True
            )
        receipt = Receipt(
            receipt_number=receipt_number,
            status=status,
            result_code=str(answer.get("result_code") or ""),
            result_message=str(answer.get("result_message") or ""),
        )
        return exchange.with_value(receipt)

    def query(self, reference: str, *, transport: Transport) -> Exchange[Result]:
        """Ask for the state of our reference; 'unknown' if the agency never received it."""
        exchange, found = transport.get_json(self.code, f"/reports/{reference}", missing_ok=True)
        if not found:
            return exchange.with_value(Result(status="unknown"))
        answer = exchange.value or {}
        status = str(answer.get("status", ""))
        if status not in RESULT_STATUSES:
            raise TransientError(
                f"unexpected status {status!r}", exchange=exchange.with_value(None)
            )
        result = Result(
            status=status,
            receipt_number=str(answer.get("receipt_number") or ""),
            result_code=str(answer.get("result_code") or ""),
            result_message=str(answer.get("result_message") or ""),
        )
        return exchange.with_value(result)

    def redact(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A deep copy fit for storage: every RRN masked as YYMMDD-G******."""
        return _redact(copy.deepcopy(payload))


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: mask_rrn(item) if key == "rrn" and item else _redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(item) for item in value]
    if isinstance(value, str):
        return mask_rrn_text(value)
    return value
