"""Official code tables of the four agencies, kept as data.

Copied into the product (not read from the reference docs at runtime). Sources: the integrated
자격취득/상실 신고서 (국민건강보험법 시행규칙 별지 제6호, 제8호) and the 고용복지+센터 notice of
2014-02-03 for the EI loss reasons. Codes are strings because agencies use leading zeros ('01').
"""

from __future__ import annotations

from datetime import date
from typing import Final

# EI / IACI 상실사유 (in force for losses from 2014-02-01). Labels are plain Korean for select boxes.
EI_LOSS_REASONS: Final[dict[str, str]] = {
    "11": "개인 사정으로 자진 퇴사",
    "12": "사업장 이전, 근로조건 변동, 임금체불 등으로 자진 퇴사",
    "22": "폐업 또는 도산",
    "23": "경영상 필요나 회사 사정으로 인한 인원 감축 (해고, 권고사직, 명예퇴직 포함)",
    "26": "근로자 귀책사유에 의한 징계해고 또는 권고사직",
    "31": "정년 퇴직",
    "32": "계약기간 만료 또는 공사 종료",
    "41": "고용보험 비적용",
}
EI_LOSS_REASON_CHOICES: Final[list[tuple[str, str]]] = list(EI_LOSS_REASONS.items())

NPS_LOSS_CODES: Final[dict[str, str]] = {
    "1": "사망",
    "3": "사용관계 종료",
    "4": "국적상실·국외이주",
    "5": "60세 도달",
    "6": "다른 공적연금 가입",
    "9": "전출·통폐합",
    "15": "(조기)노령연금 수급권 취득",
    "16": "협정국 연금가입",
    "19": "체류기간 만료",
    "20": "적용제외 체류자격",
    "21": "무보수 대표이사",
    "22": "근로자 제외",
    "26": "취득취소",
}

NHIS_LOSS_CODES: Final[dict[str, str]] = {
    "1": "퇴직",
    "2": "사망",
    "4": "의료급여수급권자",
    "10": "유공자등 적용배제신청",
    "13": "그 밖의 사유",
    "16": "취득취소",
    "17": "국적상실",
    "19": "이민출국",
    "24": "가입제외(외국의 법령)",
    "25": "가입제외(외국의 보험)",
    "26": "가입제외(사용자와의 계약)",
    "58": "무보수대표자",
}

NPS_ACQUISITION_CODES: Final[dict[str, str]] = {
    "01": "18세 이상 당연취득",
    "03": "18세 미만 신청취득",
    "09": "전입",
    "11": "대학강사",
    "12": "60시간 미만 신청취득",
    "14": "일용근로자·단시간근로자 등",
    "15": "상실취소",
}

NHIS_ACQUISITION_CODES: Final[dict[str, str]] = {
    "00": "최초취득",
    "04": "의료급여 수급권자 등에서 제외",
    "05": "직장가입자 변경",
    "06": "직장피부양자 상실",
    "07": "지역가입자에서 변경",
    "10": "유공자 등 건강보험 적용 신청",
    "13": "기타",
    "14": "거주불명 등록 후 재등록",
    "29": "직장가입자 이중가입",
    "30": "상실취소",
}

# NHIS 보험료감면부호; '00' means no reduction.
NHIS_REDUCTION_CODES: Final[dict[str, str]] = {
    "00": "해당 없음",
    "11": "국외근무(전액)",
    "12": "국외근무(반액)",
    "21": "현역병 등",
    "22": "현역병 등",
    "24": "현역병 등",
    "31": "교도소 등 수용",
    "32": "교도소 등 수용",
    "41": "섬·벽지",
    "42": "섬·벽지",
    "81": "휴직",
}

NPS_END_OF_EMPLOYMENT: Final = "3"
NHIS_RETIREMENT: Final = "1"
NPS_ACQUISITION_CANCEL: Final = "26"
NHIS_ACQUISITION_CANCEL: Final = "16"
# EI/IACI cancel an acquisition with a 취소 request on the 피보험자격 취득신고 rather than a loss
# code. The exact form/code used by 근로복지공단 is UNVERIFIED; '취소' marks the action only.
EI_CANCEL_ACTION: Final = "취소"
# 상실취소: NPS and NHIS undo an accepted loss with an acquisition code of their own.
NPS_LOSS_CANCEL: Final = "15"
NHIS_LOSS_CANCEL: Final = "30"
NHIS_FIRST_ACQUISITION: Final = "00"


def loss_codes_for(ei_reason_code: str) -> dict[str, str]:
    """Each agency's loss code for one end of employment described by its EI reason code.

    Every EI reason we accept describes the end of an employment relationship, so NPS gets
    3 (사용관계 종료) and NHIS 1 (퇴직); EI and IACI take the EI reason itself.
    """
    if ei_reason_code not in EI_LOSS_REASONS:
        raise ValueError(f"unknown EI loss reason code: {ei_reason_code!r}")
    return {
        "pension": NPS_END_OF_EMPLOYMENT,
        "health": NHIS_RETIREMENT,
        "employment": ei_reason_code,
        "industrial_accident": ei_reason_code,
    }


def cancel_codes() -> dict[str, str]:
    """The code (or action, for EI/IACI) each agency uses to cancel an acquisition."""
    return {
        "pension": NPS_ACQUISITION_CANCEL,
        "health": NHIS_ACQUISITION_CANCEL,
        "employment": EI_CANCEL_ACTION,
        "industrial_accident": EI_CANCEL_ACTION,
    }


def loss_cancel_codes() -> dict[str, str]:
    """The code (or action, for EI/IACI) each agency uses to cancel an accepted loss."""
    return {
        "pension": NPS_LOSS_CANCEL,
        "health": NHIS_LOSS_CANCEL,
        "employment": EI_CANCEL_ACTION,
        "industrial_accident": EI_CANCEL_ACTION,
    }


def age_on(birth_date: date, day: date) -> int:
    """Full years of age (만 나이) on a given day."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def nps_acquisition_code(
    *, birth_date: date, acquisition_date: date, employment_type: str, by_request: bool = False
) -> str:
    """NPS 자격취득부호: 12 for a short-hours worker who asks to join (60시간 미만 신청취득),
    14 for daily/part-time workers, 03 under 18 (by request), else 01."""
    if by_request:
        return "12"
    if employment_type in ("daily", "part_time"):
        return "14"
    if age_on(birth_date, acquisition_date) < 18:
        return "03"
    return "01"
