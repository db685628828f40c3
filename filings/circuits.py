"""A circuit breaker per agency: stop hammering an agency that is down, probe it, resume.

Opening costs nothing on the good path: only a batch that recorded a transient failure looks
at the agency's latest attempts (rows we store anyway), and opens the circuit when the last
CIRCUIT_FAILURES of them all failed that way. While open, the claim and the sweeper leave the
agency's queued rows alone (`held_q`), so they wait without spending attempts. The beat sweep
probes a due circuit with a status query for a reference nobody filed (read-only: it can never
file anything twice); any answer closes it, and the rows flow again on the next sweep.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from agencies.registry import adapter_for
from agencies.transport import AgencyError, TransientError, Transport
from filings.models import AgencyOutage, SubmissionAttempt

logger = logging.getLogger(__name__)


def _cfg(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def held_q() -> Q:
    """Submissions whose agency is out: not claimed, not swept."""
    return Q(Exists(AgencyOutage.objects.filter(agency=OuterRef("agency"))))


def probe_delay(probes: int) -> float:
    base = _cfg("CIRCUIT_PROBE_SECONDS", 15)
    return min(_cfg("CIRCUIT_PROBE_CAP_SECONDS", 300), base * 2 ** min(probes, 10))


def circuits_note_failures(*, failures: dict[str, str], now: datetime | None = None) -> list[str]:
    """After transient failures were recorded (agency -> the last error): keep an open
    circuit's last attempt, and open the circuit of an agency whose latest attempts all failed
    transiently. The agencies opened now."""
    now = now or timezone.now()
    needed = int(_cfg("CIRCUIT_FAILURES", 5))
    opened = []
    for agency, error in failures.items():
        if AgencyOutage.objects.filter(agency=agency).update(
            last_attempt_at=now, last_error=error[:500]
        ):
            continue
        latest = list(
            SubmissionAttempt.objects.filter(submission__agency=agency, kind__in=["send", "query"])
            .order_by("-id")
            .values_list("outcome", flat=True)[:needed]
        )
        if len(latest) < needed or any(o != "transient" for o in latest):
            continue
        _, created = AgencyOutage.objects.get_or_create(
            agency=agency,
            defaults={
                "opened_at": now,
                "last_attempt_at": now,
                "probe_at": now + timedelta(seconds=probe_delay(0)),
                "last_error": error[:500],
            },
        )
        if created:
            logger.warning("agency %s is out after %d failed attempts: %s", agency, needed, error)
            opened.append(agency)
    return opened


def circuits_probe(*, transport: Transport, now: datetime | None = None) -> list[str]:
    """Probe every open circuit whose time has come (one prober each: a conditional update);
    the agencies that answered, whose circuits are now closed."""
    now = now or timezone.now()
    closed = []
    for outage in AgencyOutage.objects.filter(probe_at__lte=now):
        won = AgencyOutage.objects.filter(agency=outage.agency, probe_at__lte=now).update(
            probe_at=now + timedelta(seconds=probe_delay(outage.probes + 1)),
            probes=F("probes") + 1,
            last_attempt_at=now,
        )
        if not won:
            continue
        try:
            adapter_for(outage.agency).query(str(uuid.uuid4()), transport=transport)
        except TransientError as exc:  # still out (a PermanentError is an answer: it is back)
            AgencyOutage.objects.filter(agency=outage.agency).update(last_error=str(exc)[:500])
            continue
        except AgencyError:
            pass
        AgencyOutage.objects.filter(agency=outage.agency).delete()
        logger.info("agency %s answers again; sending resumes", outage.agency)
        closed.append(outage.agency)
    return closed
