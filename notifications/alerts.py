"""What an alert says (pure: no queries). Services decide who gets it and on which channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from agencies.registry import insurance_labels
from filings.deadlines import penalty_for
from notifications.models import Threshold

KIND_LABELS = {
    "hire": "자격취득",
    "exit": "자격상실",
    "workplace_registration": "사업장 성립",
    "workplace_change": "사업장 내용변경",
    "workplace_closure": "사업장 탈퇴",
    "pay_change": "보수월액 변경",
    "hire_cancel": "취득 취소",
    "annual_wage_report": "보수총액 신고",
    "daily_work_report": "근로내용확인신고",
    "separation": "이직확인서",
    "daily_work": "근로내용확인신고",
    "annual_wage": "보수총액신고",
}


@dataclass(frozen=True)
class Alert:
    deadline_key: str
    threshold: str
    workplace_id: int
    title: str
    body: str
    url: str
    # Rejections and failures go out at once, even to agents who otherwise read a daily digest.
    urgent: bool = False


def threshold_for(days_left: int) -> str | None:
    """The tightest threshold reached; a missed scan day still alerts at the next one."""
    if days_left < 0:
        return Threshold.OVERDUE
    if days_left <= 1:
        return Threshold.D1
    if days_left <= 3:
        return Threshold.D3
    if days_left <= 7:
        return Threshold.D7
    return None


def won(amount: int) -> str:
    return f"{amount:,}원"


def fine_text(agency: str) -> str:
    """'최대 500,000원', marked where the ceiling is a commonly cited, unchecked figure."""
    amount, verified, _source = penalty_for(agency)
    text = _("최대 %(amount)s") % {"amount": won(amount)}
    return text if verified else text + _(" (기준 확인 필요)")


def _subject(agency: str, kind: str, employee_name: str) -> str:
    who = f"{employee_name} " if employee_name else ""
    return f"{who}{insurance_labels()[agency]} {KIND_LABELS.get(kind, kind)}"


def deadline_alert(
    *,
    key: str,
    threshold: str,
    workplace_id: int,
    workplace_name: str,
    agency: str,
    kind: str,
    employee_name: str,
    due: date,
    left: int,
    rule: str,
    url: str,
) -> Alert:
    subject = _subject(agency, kind, employee_name)
    if left < 0:
        when = _("기한이 %(n)d일 지났습니다") % {"n": -left}
    elif left == 0:
        when = _("오늘 마감입니다")
    else:
        when = _("%(n)d일 남았습니다") % {"n": left}
    title = f"[{workplace_name}] {subject} 신고 기한 {due.isoformat()}: {when}"
    lines = [
        _("%(subject)s 신고 기한은 %(due)s입니다.") % {"subject": subject, "due": due.isoformat()},
    ]
    if rule:
        lines.append(_("기준: %(rule)s") % {"rule": rule})
    if left < 0:
        lines.append(
            _("부과될 수 있는 과태료: %(fine)s. 지금 신고해 주세요.") % {"fine": fine_text(agency)}
        )
    return Alert(key, threshold, workplace_id, title[:200], "\n".join(lines), url)


def rejection_alert(
    *,
    key: str,
    threshold: str,
    workplace_id: int,
    workplace_name: str,
    agency: str,
    kind: str,
    employee_name: str,
    message: str,
    url: str,
) -> Alert:
    subject = _subject(agency, kind, employee_name)
    if threshold == Threshold.REJECTED:
        title = f"[{workplace_name}] {subject} 신고가 반려되었습니다"
        first = _("기관이 신고를 반려했습니다. 내용을 고쳐 다시 신고해 주세요.")
    else:
        title = f"[{workplace_name}] {subject} 신고를 보내지 못했습니다"
        first = _("기관에 신고를 전달하지 못했습니다. 확인 후 다시 신고해 주세요.")
    lines = [first]
    if message:
        lines.append(_("기관 메시지: %(message)s") % {"message": message})
    return Alert(key, threshold, workplace_id, title[:200], "\n".join(lines), url, urgent=True)


def delegation_alert(
    *,
    key: str,
    workplace_id: int,
    workplace_name: str,
    firm_name: str,
    ends_on: date,
    left: int,
    url: str,
) -> Alert:
    title = f"[{workplace_name}] {firm_name} 위임이 {ends_on.isoformat()}에 끝납니다"
    body = _(
        "%(firm)s의 %(workplace)s 신고 대행 위임이 %(n)d일 뒤(%(ends)s) 끝납니다. "
        "계속 맡기려면 사업주가 위임을 연장해 주세요."
    ) % {"firm": firm_name, "workplace": workplace_name, "n": left, "ends": ends_on.isoformat()}
    return Alert(key, Threshold.DELEGATION_EXPIRING, workplace_id, title[:200], body, url)


def discrepancy_alert(
    *,
    key: str,
    workplace_id: int,
    workplace_name: str,
    employee_name: str,
    kind_label: str,
    detail: str,
    fix: str,
    url: str,
) -> Alert:
    title = _("[%(workplace)s] %(name)s 기관 간 불일치: %(kind)s") % {
        "workplace": workplace_name,
        "name": employee_name,
        "kind": kind_label,
    }
    lines = [detail, _("고칠 신고: %(fix)s") % {"fix": fix}]
    return Alert(key, Threshold.DISCREPANCY, workplace_id, title[:200], "\n".join(lines), url)


def acquisition_due_alert(
    *,
    key: str,
    workplace_id: int,
    workplace_name: str,
    employee_name: str,
    month: str,
    reasons: list[str],
    url: str,
) -> Alert:
    """A daily worker's month crossed the NPS or NHIS threshold: an acquisition is due."""
    title = _("[%(workplace)s] %(name)s 자격취득 신고 대상(%(month)s 근로)") % {
        "workplace": workplace_name,
        "name": employee_name,
        "month": month,
    }
    lines = [*reasons, _("근로내용확인신고 화면에서 자격취득 신고를 하세요.")]
    return Alert(key, Threshold.ACQUISITION_DUE, workplace_id, title[:200], "\n".join(lines), url)
