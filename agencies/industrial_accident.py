"""근로복지공단 (COMWEL), 산재보험: 근로자 고용/고용종료, 월평균보수 변경."""

from __future__ import annotations

from typing import ClassVar

from agencies.employment import ComwelAdapter


class IndustrialAccidentAdapter(ComwelAdapter):
    code: ClassVar[str] = "industrial_accident"
    label: ClassVar[str] = "근로복지공단(산재보험)"
    insurance_label: ClassVar[str] = "산재보험"
