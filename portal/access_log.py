"""The PIPA 접속기록 as a hash chain: the only writer of AccessRecord rows and their verifier.

개인정보의 안전성 확보조치 기준 제8조 asks that access logs be kept safe from forgery and loss.
Each record carries a gapless sequence number, the previous record's hash and its own hash over
both and every field. Changing, deleting or reordering a record breaks the chain from that
record on, and `access_log_verify` names the first broken one. On PostgreSQL a trigger also
refuses UPDATE and DELETE (migration portal 0006), so tampering needs the database owner's
rights and still shows in the chain. The newest hash (`ChainCheck.head`) is worth keeping
outside the database, e.g. in the monthly review: a cut-off tail leaves an intact chain, but
not that head.

Appends take a transaction-level advisory lock, so concurrent reveals extend one chain. The lock
lasts until the caller's transaction ends: a certificate render that prints full numbers holds
it while WeasyPrint runs, and other reveals wait that long (such renders are rare).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from portal.models import AccessRecord

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
# pg_advisory_xact_lock key for appends ("PIPA" in ASCII).
_CHAIN_LOCK = 0x50495041


def access_record_digest(record: AccessRecord) -> str:
    """SHA-256 over the previous hash and every field, as a JSON list (no field can run into
    the next). Times in UTC with microseconds, as PostgreSQL stores them."""
    fields = [
        record.prev_hash,
        record.seq,
        record.at.astimezone(UTC).isoformat(),
        record.user_id,
        record.ip or "",
        record.employee_id,
        str(record.action),
        record.reason,
    ]
    text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def access_records_append(
    *,
    user: User,
    ip: str | None,
    employee_ids: Iterable[int],
    action: str,
    reason: str = "",
) -> list[AccessRecord]:
    """One 접속기록 per employee, appended to the chain in one transaction."""
    ids = list(employee_ids)
    if not ids:
        return []
    with transaction.atomic():
        # SQL text because the ORM has no advisory lock: appenders queue here so that each
        # reads the head the previous one wrote (tests/portal/test_access_log.py races them).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        head = AccessRecord.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev = head or (0, GENESIS)
        at = timezone.now()
        records = []
        for employee_id in ids:
            seq += 1
            record = AccessRecord(
                seq=seq,
                at=at,
                user=user,
                ip=ip,
                employee_id=employee_id,
                action=action,
                reason=reason,
                prev_hash=prev,
            )
            record.hash = prev = access_record_digest(record)
            records.append(record)
        AccessRecord.objects.bulk_create(records)
    return records


@dataclass(frozen=True)
class ChainCheck:
    checked: int
    head: str
    broken_at: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def access_log_verify(*, chunk_size: int = 2000) -> ChainCheck:
    """Walk the chain in sequence order; the first record that does not fit, and why."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    for record in AccessRecord.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if record.seq != expected_seq:
            return ChainCheck(checked, prev, expected_seq, "기록이 빠졌습니다(삭제 흔적).")
        if record.prev_hash != prev:
            return ChainCheck(checked, prev, record.seq, "앞 기록과의 연결 해시가 다릅니다.")
        if access_record_digest(record) != record.hash:
            return ChainCheck(checked, prev, record.seq, "기록 내용이 바뀌었습니다(위·변조 흔적).")
        prev = record.hash
        expected_seq += 1
        checked += 1
    return ChainCheck(checked, prev)


@dataclass(frozen=True)
class UserAccess:
    username: str
    views: int
    prints: int
    downloads: int


@dataclass(frozen=True)
class AccessReview:
    """One month of the 접속기록 for the monthly review (고시 제8조: at least monthly)."""

    month: date
    total: int
    by_user: list[UserAccess]
    # Downloads and prints are to be checked one by one, with their reasons.
    exports: list[AccessRecord]
    # Views nobody gave a reason for.
    unexplained: list[AccessRecord]
    chain: ChainCheck


def access_log_review(*, month: date) -> AccessReview:
    """The month's records by user, every export with its reason, views without a reason, and
    the whole chain's check (its head hash is the one to write into the review)."""
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    records = AccessRecord.objects.filter(
        at__gte=datetime.combine(start, time.min, tz), at__lt=datetime.combine(end, time.min, tz)
    ).select_related("user")
    counts = (
        records.values("user__username")
        .annotate(
            views=Count("id", filter=Q(action=AccessRecord.Action.VIEW)),
            prints=Count("id", filter=Q(action=AccessRecord.Action.PRINT)),
            downloads=Count("id", filter=Q(action=AccessRecord.Action.DOWNLOAD)),
        )
        .order_by("user__username")
    )
    return AccessReview(
        month=start,
        total=records.count(),
        by_user=[
            UserAccess(c["user__username"], c["views"], c["prints"], c["downloads"]) for c in counts
        ],
        exports=list(records.exclude(action=AccessRecord.Action.VIEW).order_by("seq")),
        unexplained=list(
            records.filter(action=AccessRecord.Action.VIEW, reason="").order_by("seq")
        ),
        chain=access_log_verify(),
    )


def access_log_alert() -> ChainCheck:
    """Verify the chain; a break is logged as an error and mailed to every active operator."""
    check = access_log_verify()
    if check.intact:
        return check
    message = (
        f"개인정보 접속기록의 해시 체인이 순번 {check.broken_at}에서 어긋났습니다: "
        f"{check.problem} 그 앞 {check.checked}건은 이상 없습니다. "
        "python manage.py verify_access_log 로 다시 확인하고 데이터베이스 접근 기록을 점검하세요."
    )
    logger.error("access log chain broken at seq %s: %s", check.broken_at, check.problem)
    operators = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if operators:
        send_mail(
            subject="[4대보험 포털] 개인정보 접속기록 위·변조 의심",
            message=message,
            from_email=None,
            recipient_list=operators,
            fail_silently=False,
        )
    return check
