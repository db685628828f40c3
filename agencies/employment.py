"""근로복지공단 (COMWEL), 고용보험: 피보험자격 취득/상실, 월평균보수 변경.

EI and IACI share one section of the integrated forms, so `ComwelAdapter` holds the fields and
the two agencies differ only in identity.
"""

from __future__ import annotations

from typing import Any, ClassVar

from agencies.base import AgencyAdapter, Filing, int_or_none, iso_date, json_number


class ComwelAdapter(AgencyAdapter):
    """Fields of the EI/IACI section (직종부호, 1주 소정근로시간, 계약종료연월, 월평균보수)."""

    def acquisition_fields(self, filing: Filing) -> dict[str, Any]:
        data = filing.data
        contract_end = iso_date(data.get("contract_end"))
        return {
            "acquisition_date": iso_date(data["hire_date"]),
            "job_code": str(data.get("job_code", "")),
            "weekly_hours": json_number(data.get("weekly_hours")),
            "contract_end_month": contract_end[:7] if contract_end else None,
            "monthly_avg_pay": int(data["monthly_wage"]),
            "is_representative": bool(data.get("is_representative", False)),
        }

    def loss_fields(self, filing: Filing) -> dict[str, Any]:
        data = filing.data
        return {
            "loss_date": self.loss_date(filing),
            "loss_reason_code": self.loss_code(str(data["reason_code"])),
            "loss_reason_detail": str(data.get("reason_detail") or ""),
            "total_pay_this_year": int_or_none(data.get("annual_wage_this_year")),
            "months_worked_this_year": int_or_none(data.get("months_worked_this_year")),
            "total_pay_last_year": int_or_none(data.get("annual_wage_last_year")),
            "months_worked_last_year": int_or_none(data.get("months_worked_last_year")),
        }

    def cancel_fields(self, filing: Filing) -> dict[str, Any]:
        return {
            "action": self.cancel_code(),
            "acquisition_date": iso_date(filing.data.get("hire_date")),
            "original_receipt_number": filing.original_receipt_number or "",
        }

    def loss_cancel_fields(self, filing: Filing) -> dict[str, Any]:
        return {
            "action": self.loss_cancel_code(),
            "loss_date": self.loss_date(filing),
            "original_receipt_number": filing.original_receipt_number or "",
        }

    def pay_change_fields(self, filing: Filing) -> dict[str, Any]:
        return {
            "effective_date": iso_date(filing.data["effective_date"]),
            "monthly_avg_pay": int(filing.data["monthly_wage"]),
        }


class EmploymentAdapter(ComwelAdapter):
    code: ClassVar[str] = "employment"
    label: ClassVar[str] = "근로복지공단(고용보험)"
    insurance_label: ClassVar[str] = "고용보험"
