from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from portal.identifiers import (
    IdentifierError,
    brn_format,
    brn_validate,
    management_number_format,
    management_number_validate,
    mask_rrn,
    person_number_parse,
    rrn_check_digit,
)
from tests.factories import valid_brn, valid_rrn

RANDOM_FROM = date(2020, 10, 5)
sexes = st.sampled_from(["M", "F"])
serials = st.integers(min_value=0, max_value=99_999)
old_births = st.dates(min_value=date(1900, 1, 1), max_value=RANDOM_FROM - timedelta(days=1))
new_births = st.dates(min_value=RANDOM_FROM, max_value=date.today())


def with_last_digit(digits: str, last: int) -> str:
    return digits[:12] + str(last)


@given(birth=old_births, sex=sexes, foreigner=st.booleans(), serial=serials)
def test_number_issued_before_october_2020_with_right_check_digit_is_accepted(
    birth: date, sex: str, foreigner: bool, serial: int
) -> None:
    number = person_number_parse(valid_rrn(birth, sex=sex, foreigner=foreigner, serial=serial))
    assert (number.birth_date, number.sex, number.is_foreigner) == (birth, sex, foreigner)


@given(birth=old_births, sex=sexes, serial=serials, wrong=st.integers(0, 9))
def test_number_issued_before_october_2020_with_wrong_check_digit_is_refused(
    birth: date, sex: str, serial: int, wrong: int
) -> None:
    good = valid_rrn(birth, sex=sex, serial=serial)
    assume(wrong != int(good[12]))
    with pytest.raises(IdentifierError) as err:
        person_number_parse(with_last_digit(good, wrong))
    assert err.value.rule == "rrn.check_digit"
    assert "검증 숫자" in err.value.message and "2020년 10월 5일" in err.value.message


@given(
    birth=new_births,
    sex=sexes,
    foreigner=st.booleans(),
    tail=st.from_regex(r"[0-9]{6}", fullmatch=True),  # ASCII: other digits are refused
)
def test_number_of_someone_born_from_october_2020_is_accepted_without_checksum(
    birth: date, sex: str, foreigner: bool, tail: str
) -> None:
    # Since 2020-10-05 the six digits after the gender digit are random: no checksum exists.
    head = valid_rrn(birth, sex=sex, foreigner=foreigner, serial=0)[:7]
    number = person_number_parse(head + tail)
    assert (number.birth_date, number.sex, number.is_foreigner) == (birth, sex, foreigner)


def test_re_issued_old_number_without_valid_checksum_is_accepted_when_issue_date_is_given() -> None:
    good = valid_rrn(date(1985, 6, 1), serial=12345)
    bad = with_last_digit(good, (int(good[12]) + 1) % 10)
    assert person_number_parse(bad, issued_on=date(2021, 3, 2)).birth_date == date(1985, 6, 1)


def test_foreigner_number_with_wrong_check_digit_names_the_foreigner_number() -> None:
    good = valid_rrn(date(1992, 3, 4), sex="F", foreigner=True, serial=777)
    assert good[6] == "6"
    with pytest.raises(IdentifierError) as err:
        person_number_parse(with_last_digit(good, (int(good[12]) + 1) % 10))
    assert err.value.message.startswith("외국인등록번호")


@pytest.mark.parametrize(
    ("gender", "year", "sex", "foreigner"),
    [
        ("1", 1990, "M", False),
        ("2", 1990, "F", False),
        ("3", 2005, "M", False),
        ("4", 2005, "F", False),
        ("5", 1990, "M", True),
        ("6", 1990, "F", True),
        ("7", 2005, "M", True),
        ("8", 2005, "F", True),
    ],
)
def test_gender_digit_sets_century_sex_and_foreigner(
    gender: str, year: int, sex: str, foreigner: bool
) -> None:
    head = f"{year % 100:02d}0615{gender}12345"
    number = person_number_parse(head + str(rrn_check_digit(head)))
    assert (number.birth_date, number.sex, number.is_foreigner) == (
        date(year, 6, 15),
        sex,
        foreigner,
    )


@pytest.mark.parametrize("front", ["901301", "900230", "900000", "210229"])
def test_impossible_birth_date_is_refused_naming_the_date_rule(front: str) -> None:
    head = front + "1" + "23456"
    with pytest.raises(IdentifierError) as err:
        person_number_parse(head + str(rrn_check_digit(head)))
    assert err.value.rule == "rrn.birth_date"
    assert "생년월일" in err.value.message


def test_gender_digit_that_puts_the_birth_date_in_the_future_is_refused() -> None:
    # '3' means born in the 2000s, so 99-01-01 would be 2099-01-01.
    with pytest.raises(IdentifierError) as err:
        person_number_parse("990101-3123456")
    assert err.value.rule == "rrn.birth_date_future"
    assert "미래" in err.value.message


@pytest.mark.parametrize("value", ["", "900101-123456", "90010112345678", "900101-12345a6"])
def test_number_that_is_not_13_digits_is_refused_naming_the_format(value: str) -> None:
    with pytest.raises(IdentifierError) as err:
        person_number_parse(value)
    assert err.value.rule == "rrn.format"
    assert "13자리" in err.value.message


def test_dashed_and_spaced_forms_parse_to_the_same_digits() -> None:
    digits = valid_rrn(date(1970, 12, 31), serial=4242)
    dashed = f"{digits[:6]}-{digits[6:]}"
    assert person_number_parse(dashed).digits == digits
    assert person_number_parse(f" {digits[:6]} {digits[6:]} ").digits == digits


def test_masked_number_keeps_birth_date_and_gender_digit_only() -> None:
    digits = valid_rrn(date(1970, 12, 31), sex="F", serial=4242)
    assert mask_rrn(digits) == "701231-2******"
    assert person_number_parse(digits).masked == "701231-2******"


@pytest.mark.parametrize("value", ["116-82-00276", "134-86-72683", "1168200276"])
def test_known_business_registration_numbers_are_valid(value: str) -> None:
    assert brn_validate(value) == value.replace("-", "")


def test_business_registration_number_with_wrong_check_digit_is_refused() -> None:
    with pytest.raises(IdentifierError) as err:
        brn_validate("1168200277")
    assert err.value.rule == "brn.check_digit"
    assert "검증 숫자" in err.value.message


@given(n=st.integers(min_value=0, max_value=8_000_000), wrong=st.integers(0, 9))
def test_exactly_one_check_digit_makes_a_business_registration_number_valid(
    n: int, wrong: int
) -> None:
    good = valid_brn(n)
    assert brn_validate(brn_format(good)) == good
    assume(str(wrong) != good[9])
    with pytest.raises(IdentifierError):
        brn_validate(good[:9] + str(wrong))


@pytest.mark.parametrize(
    ("value", "rule"),
    [("116820027", "brn.format"), ("11682002766", "brn.format"), ("0008200276", "brn.component")],
)
def test_malformed_business_registration_number_is_refused_naming_the_rule(
    value: str, rule: str
) -> None:
    with pytest.raises(IdentifierError) as err:
        brn_validate(value)
    assert err.value.rule == rule


def test_workplace_management_number_is_eleven_digits_and_round_trips_its_display_form() -> None:
    digits = management_number_validate("116-82-00276-0")
    assert digits == "11682002760"
    assert management_number_format(digits) == "116-82-00276-0"


@pytest.mark.parametrize("value", ["1168200276", "116820027601", "116-82-0027a-0"])
def test_management_number_that_is_not_eleven_digits_is_refused(value: str) -> None:
    with pytest.raises(IdentifierError) as err:
        management_number_validate(value)
    assert err.value.rule == "mgmt.format"
    assert "11자리" in err.value.message
