"""국민연금공단 (NPS): 사업장가입자 자격취득/상실, 기준소득월액 변경."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from agencies import codes
from agencies.base import AgencyAdapter, Filing, iso_date


class PensionAdapter(AgencyAdapter):
    code: ClassVar[str] = "pension"
    label: ClassVar[str] = "국민연금공단"
    insurance_label: ClassVar[str] = "국민연금"

    def acquisition_code(self, filing: Filing) -> str:
        person = filing.person or {}
        birth_date = date.fromisoformat(iso_date(person["birth_date"]) or "")
        return self.acquisition_code_for(data=filing.data, birth_date=birth_date)

    def acquisition_code_for(self, *, data: dict[str, Any], birth_date: date) -> str:
        """01 (18+), 03 (under 18, by request), 12 (under 60 hours, by request) or 14."""
        return codes.nps_acquisition_code(
            birth_date=birth_date,
            acquisition_date=date.fromisoformat(iso_date(data["hire_date"]) or ""),
            employment_type=str(data.get("employment_type", "regular")),
            by_request=bool(data.get("pension_by_request")),
        )

    def acquisition_fields(self, filing: Filing) -> dict[str, Any]:
        data = filing.data
        return {
            "acquisition_date": iso_date(data["hire_date"]),
            "acquisition_code": self.acquisition_code(filing),
            "special_occupation_code": "0",
            "occupational_pension_code": "0",
            "monthly_income": int(data["monthly_wage"]),
            "is_representative": bool(data.get("is_representative", False)),
            "pay_acquisition_month": False,
        }

    def loss_fields(self, filing: Filing) -> dict[str, Any]:
        return {
            "loss_date": self.loss_date(filing),
            "loss_code": self.loss_code(str(filing.data["reason_code"])),
            "pay_loss_month": False,
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
            "monthly_income": int(filing.data["monthly_wage"]),
        }
