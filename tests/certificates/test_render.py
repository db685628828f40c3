import datetime as dt
import re
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from certificates.fonts import (
    cert_fonts_ensure,
    font_face_css,
    ksx1001_codepoints,
    shipped_fonts,
)
from certificates.render import (
    TEMPLATE_COVERAGE_HISTORY,
    TEMPLATE_WORKPLACE_ROSTER,
    certificate_html_render,
    certificate_pdf_render,
)
from tests.certificates.helpers import pdf_font_names, pdf_text

FULL_RRN_FORMS = ("900101-1234567", "9001011234567")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_coverage_certificate_shows_title_name_and_masked_rrn_only(
    coverage_context: dict[str, Any],
) -> None:
    pdf = certificate_pdf_render(context=coverage_context, template=TEMPLATE_COVERAGE_HISTORY)

    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF-")
    assert "4대 사회보험 가입내역 확인서" in _squash(text)
    assert "김민준" in text
    assert "900101-1******" in text
    for full in FULL_RRN_FORMS:
        assert full not in text


def test_coverage_certificate_lists_each_insurance_with_dates_and_status(
    coverage_context: dict[str, Any],
) -> None:
    text = pdf_text(
        certificate_pdf_render(context=coverage_context, template=TEMPLATE_COVERAGE_HISTORY)
    )

    for label in ("국민연금", "건강보험", "고용보험", "산재보험"):
        assert label in text
    assert "2019.03.01" in text
    assert "2021.06.30" in text
    assert "가입 내역이 없습니다." in text
    assert "C-2026-000123" in text
    assert "금융기관 제출용" in text


def test_issue_time_is_printed_in_korean_time(coverage_context: dict[str, Any]) -> None:
    text = pdf_text(
        certificate_pdf_render(context=coverage_context, template=TEMPLATE_COVERAGE_HISTORY)
    )

    assert "2026.03.05 14:30" in text  # 05:30 UTC
    assert "2026년 3월 5일" in text


def test_verification_block_shows_code_and_verify_url(coverage_context: dict[str, Any]) -> None:
    text = pdf_text(
        certificate_pdf_render(context=coverage_context, template=TEMPLATE_COVERAGE_HISTORY)
    )

    assert "ABCD-EFGH-JKMN-PQRS" in text
    assert "https://portal.example.kr/verify/ABCD-EFGH-JKMN-PQRS" in text.replace("\n", "")


def test_rare_hangul_and_hanja_render_through_the_fallback_font(
    coverage_context: dict[str, Any],
) -> None:
    coverage_context["person"]["name"] = "똠방각하 햏 뷁 金敏俊"

    pdf = certificate_pdf_render(context=coverage_context, template=TEMPLATE_COVERAGE_HISTORY)

    text = pdf_text(pdf)
    for word in ("똠방각하", "햏", "뷁", "金敏俊"):
        assert word in text
    assert "CertGothicFull" in pdf_font_names(pdf)


def test_ordinary_certificate_embeds_only_the_small_subset_font(
    coverage_context: dict[str, Any],
) -> None:
    pdf = certificate_pdf_render(context=coverage_context, template=TEMPLATE_COVERAGE_HISTORY)

    assert pdf_font_names(pdf) == {"CertGothicCommon", "CertGothicCommon-Bold"}


def test_subset_font_has_every_ksx1001_hangul_syllable_but_not_rare_ones() -> None:
    cmap = TTFont(cert_fonts_ensure().subset.regular).getBestCmap()

    hangul = [cp for cp in ksx1001_codepoints() if 0xAC00 <= cp <= 0xD7A3]
    assert len(hangul) == 2350
    assert all(cp in cmap for cp in hangul)
    assert ord("똠") not in cmap  # why the shipped font comes second in the stack


@pytest.mark.parametrize("style", ["regular", "bold"])
def test_shipped_font_has_every_hangul_syllable_and_ksx1001_hanja(style: str) -> None:
    path = getattr(shipped_fonts(), style)
    font = TTFont(path)
    cmap = font.getBestCmap()

    assert all(cp in cmap for cp in range(0xAC00, 0xD7A4))  # all 11,172 syllables
    assert all(ord(c) in cmap for c in "金敏俊李朴※○■·「」㈜①（）")
    assert all(cp in cmap for cp in range(0x3131, 0x318F))  # compatibility jamo
    # A Modified Version may not carry the Reserved Font Name (the credits may name it).
    names = [r.toUnicode() for r in font["name"].names if r.nameID in (1, 3, 4, 6, 16, 17, 18)]
    assert names and all("CertGothic" in name or name in ("Regular", "Bold") for name in names)
    assert not any("Nanum" in name or "나눔" in name for name in names)
    assert path.stat().st_size < 4 * 1024 * 1024


def test_pdf_text_maps_back_to_hangul_from_both_fonts() -> None:
    # Common syllables come from the small subset, rare ones (똠, 햏, 쀍) from the shipped font.
    words = "가나닭 읽었다 똠 햏 쀍 <b>굵은 글씨 뷁</b>"
    font_config = FontConfiguration()
    css = CSS(string=font_face_css(cert_fonts_ensure()), font_config=font_config)

    pdf = HTML(string=f"<p>{words}</p>").write_pdf(stylesheets=[css], font_config=font_config)

    assert "가나닭 읽었다 똠 햏 쀍 굵은 글씨 뷁" in _squash(pdf_text(pdf))
    assert pdf_font_names(pdf) == {
        "CertGothicCommon",
        "CertGothicFull",
        "CertGothicCommon-Bold",
        "CertGothicFull-Bold",
    }


def test_dates_stored_as_json_strings_print_like_date_objects(
    coverage_context: dict[str, Any],
) -> None:
    as_objects = certificate_html_render(
        context=coverage_context, template=TEMPLATE_COVERAGE_HISTORY
    )
    stored = {
        **coverage_context,
        "issued_at": "2026-03-05T05:30:00+00:00",
        "as_of": "2026-03-05",
        "insurances": [
            {
                **item,
                "rows": [
                    {
                        **r,
                        "acquired_on": r["acquired_on"].isoformat(),
                        "lost_on": r["lost_on"] and r["lost_on"].isoformat(),
                    }
                    for r in item["rows"]
                ],
            }
            for item in coverage_context["insurances"]
        ],
    }

    assert certificate_html_render(context=stored, template=TEMPLATE_COVERAGE_HISTORY) == as_objects


def test_workplace_roster_lists_every_member_across_pages() -> None:
    members = [
        {
            "name": f"직원{index:03d}",
            "rrn": "900101-1******",
            "coverage": {
                "pension": {"acquired_on": "2020-01-01", "lost_on": None},
                "health": {"acquired_on": "2020-01-01", "lost_on": "2024-12-31"},
                "employment": {"acquired_on": "2020-01-01"},
                "industrial_accident": None,
            },
        }
        for index in range(1, 61)
    ]
    context = {
        "serial": "C-2026-000124",
        "issued_at": dt.datetime(2026, 3, 5, 5, 30, tzinfo=dt.UTC),
        "purpose": "입찰 제출용",
        "requester": {"name": "이서연", "relation": "사업장 담당자"},
        "verification_code": "ABCD-EFGH-JKMN-PQRT",
        "base_url": "https://portal.example.kr",
        "full_rrn": False,
        "as_of": "2026-03-05",
        "workplace": {"name": "(주)한빛소프트", "number": "12345678900"},
        "members": members,
    }

    pdf = certificate_pdf_render(context=context, template=TEMPLATE_WORKPLACE_ROSTER)

    text = pdf_text(pdf)
    assert "사업장 가입자 명부" in _squash(text)
    assert all(f"직원{index:03d}" in text for index in range(1, 61))
    assert text.count("\f") >= 2  # more than one page
    assert "60명" in text  # pension: all active
    assert "2024.12.31" in text


def test_unknown_template_is_refused(coverage_context: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="unknown certificate template"):
        certificate_pdf_render(context=coverage_context, template="certificates/other.html")
