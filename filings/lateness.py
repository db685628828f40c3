"""Late filings: how late each agency's filing of a report is, and the fine the law allows.

The maxima are data (domain rules §5.4): only the NPS one is read in the statute; the others are
commonly cited and marked unverified, so the UI says "최대" and "기준 확인 필요". A fine is
always an "up to": the agency decides the amount and may reduce or waive it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from agencies.registry import agency_codes, insurance_labels
from filings.models import Report, Submission


@dataclass(frozen=True)
class Penalty:
    maximum_won: int
    source: str
    verified: bool


PENALTIES: dict[str, Penalty] = {
    "pension": Penalty(500_000, "국민연금법 제131조①1", True),
    "health": Penalty(5_000_000, "국민건강보험법 제119조(통상 인용 금액)", False),
    "employment": Penalty(3_000_000, "고용보험법 제118조(통상 인용 금액)", False),
    "industrial_accident": Penalty(3_000_000, "산재보험료징수법 제50조(통상 인용 금액)", False),
}


@dataclass(frozen=True)
class AgencyLateness:
    agency: str
    label: str
    deadline: date
    filed_on: date | None  # the day the agency received it; None while not yet received
    days_late: int
    penalty: Penalty | None

    @property
    def still_open(self) -> bool:
        return self.filed_on is None


def report_lateness(*, report: Report, today: date | None = None) -> list[AgencyLateness]:
    """Every filing of the report that reached (or has not yet reached) its agency after the
    deadline, in registry order; empty when everything was on time."""
    today = today or timezone.localdate()
    late = []
    labels = insurance_labels()
    # The report's submissions as loaded with it (report_get_for prefetches them): no query.
    subs = [
        s
        for s in report.submissions.all()
        if s.action == Submission.Action.FILE and s.deadline is not None
    ]
    order = {code: i for i, code in enumerate(agency_codes())}
    for sub in sorted(subs, key=lambda s: order.get(s.agency, len(order))):
        assert sub.deadline is not None
        filed_on = timezone.localtime(sub.received_at).date() if sub.received_at else None
        if filed_on is None and sub.status in ("cancelled", "rejected"):
            continue  # nothing owed there any more, or refused: the refusal is its own task
        end = filed_on or today
        if end > sub.deadline:
            late.append(
                AgencyLateness(
                    agency=sub.agency,
                    label=labels.get(sub.agency, sub.agency),
                    deadline=sub.deadline,
                    filed_on=filed_on,
                    days_late=(end - sub.deadline).days,
                    penalty=PENALTIES.get(sub.agency),
                )
            )
    return late
