from __future__ import annotations

from datetime import date

import pytest

from agencies import codes
from agencies.base import AgencyAdapter
from agencies.registry import AGENCY_CHOICES, adapter_for
from tests.agencies.helpers import exit_filing, hire_filing, new_person


def test_an_end_of_employment_maps_to_each_agency_loss_code() -> None:
    assert codes.loss_codes_for("23") == {
        "pension": "3",
        "health": "1",
        "employment": "23",
        "industrial_accident": "23",
    }


def test_an_unknown_ei_reason_code_is_refused() -> None:
    with pytest.raises(ValueError):
        codes.loss_codes_for("99")


def test_every_ei_reason_has_a_korean_label_for_the_select_box() -> None:
    assert [code for code, _ in codes.EI_LOSS_REASON_CHOICES] == [
        "11", "12", "22", "23", "26", "31", "32", "41",
    ]  # fmt: skip
    assert all(label for _, label in codes.EI_LOSS_REASON_CHOICES)


@pytest.mark.parametrize(
    ("birth", "employment_type", "expected"),
    [
        (date(1990, 1, 1), "regular", "01"),
        (date(2008, 3, 2), "regular", "03"),
        (date(2008, 3, 1), "regular", "01"),
        (date(1990, 1, 1), "part_time", "14"),
        (date(1990, 1, 1), "daily", "14"),
    ],
)
def test_nps_acquisition_code_follows_age_and_employment_type(
    birth: date, employment_type: str, expected: str
) -> None:
    code = codes.nps_acquisition_code(
        birth_date=birth, acquisition_date=date(2026, 3, 1), employment_type=employment_type
    )

    assert code == expected


def test_agency_choices_list_the_four_agencies_in_order_with_korean_labels() -> None:
    assert AGENCY_CHOICES == [
        ("pension", "국민연금공단"),
        ("health", "국민건강보험공단"),
        ("employment", "근로복지공단(고용보험)"),
        ("industrial_accident", "근로복지공단(산재보험)"),
    ]


def test_an_unknown_agency_code_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        adapter_for("tax")


def test_adapters_are_agency_adapters_with_their_insurance_label() -> None:
    labels = {code: adapter_for(code).insurance_label for code, _ in AGENCY_CHOICES}

    assert all(isinstance(adapter_for(code), AgencyAdapter) for code in labels)
    assert labels == {
        "pension": "국민연금",
        "health": "건강보험",
        "employment": "고용보험",
        "industrial_accident": "산재보험",
    }


def test_the_pension_hire_message_carries_nps_codes_and_income() -> None:
    payload = adapter_for("pension").build_payload(hire_filing())

    assert payload["form"] == "acquisition"
    assert payload["acquisition_code"] == "01"
    assert payload["monthly_income"] == 3_000_000
    assert payload["acquisition_date"] == "2025-03-01"


def test_the_employment_hire_message_carries_the_contract_end_month() -> None:
    payload = adapter_for("employment").build_payload(
        hire_filing(employment_type="contract", contract_end="2025-12-31")
    )

    assert payload["contract_end_month"] == "2025-12"
    assert payload["job_code"] == "024"
    assert payload["monthly_avg_pay"] == 3_000_000


def test_the_loss_date_defaults_to_the_day_after_the_last_working_day() -> None:
    filing = exit_filing(new_person(), last_working_day="2025-12-31", loss_date=None)

    assert adapter_for("health").build_payload(filing)["loss_date"] == "2026-01-01"


def test_redact_masks_the_rrn_and_leaves_the_original_untouched() -> None:
    adapter = adapter_for("pension")
    payload = adapter.build_payload(hire_filing())

    redacted = adapter.redact(payload)

    assert redacted["person"]["rrn"] == "900101-1******"
    assert len(payload["person"]["rrn"]) == 13
