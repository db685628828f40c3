"""국민건강보험공단 (NHIS): 직장가입자 자격취득/상실, 보수월액 변경."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from agencies import codes
from agencies.base import AgencyAdapter, Filing, int_or_none, iso_date


class HealthAdapter(AgencyAdapter):
    code: ClassVar[str] = "health"
    label: ClassVar[str] = "국민건강보험공단"
    insurance_label: ClassVar[str] = "건강보험"

    def acquisition_fields(self, filing: Filing) -> dict[str, Any]:
        data = filing.data
        return {
            "acquisition_date": iso_date(data["hire_date"]),
            "acquisition_code": self.acquisition_code_for(data=data, birth_date=date.min),
            "reduction_code": "00",
            "monthly_pay": int(data["monthly_wage"]),
            "is_representative": bool(data.get("is_representative", False)),
        }

    def acquisition_code_for(self, *, data: dict[str, Any], birth_date: date) -> str:
        """00 (최초취득) unless the employer said where the person comes from (05, 07, ...)."""
        return str(data.get("health_acquisition_code") or codes.NHIS_FIRST_ACQUISITION)

    def loss_fields(self, filing: Filing) -> dict[str, Any]:
        data = filing.data
        return {
            "loss_date": self.loss_date(filing),
            "loss_code": self.loss_code(str(data["reason_code"])),
            "annual_pay_this_year": int_or_none(data.get("annual_wage_this_year")),
            "months_worked_this_year": int_or_none(data.get("months_worked_this_year")),
            "annual_pay_last_year": int_or_none(data.get("annual_wage_last_year")),
            "months_worked_last_year": int_or_none(data.get("months_worked_last_year")),
        }

    def cancel_fields(self, filing: Filing) -> dict[str, Any]:
        return {
            "cancel_code": self.cancel_code(),
            "acquisition_date": iso_date(filing.data.get("hire_date")),
            "original_receipt_number": filing.original_receipt_number or "",
        }

    def pay_change_fields(self, filing: Filing) -> dict[str, Any]:
        return {
            "effective_date": iso_date(filing.data["effective_date"]),
            "monthly_pay": int(filing.data["monthly_wage"]),
        }
