"""Writers for certificates: issue, render (in-request or in a worker), revoke, verify an upload.

Where rendering happens: a single coverage certificate (one page, ~50 ms with the warm renderer)
renders inside the request, so the caller gets the PDF at once. Rosters (hundreds of rows) and
batch issues are rendered by `certificates.tasks.certificate_render`: the row, serial and
verification code exist at once, the PDF and its signature follow; until then `rendered_at` is null
and the API answers 202 for the PDF.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from certificates.models import Certificate, CertificateKind
from certificates.render import (
    TEMPLATE_COVERAGE_HISTORY,
    TEMPLATE_WORKPLACE_ROSTER,
    certificate_pdf_render,
)
from certificates.selectors import (
    MISMATCH,
    REVOKED,
    UNKNOWN,
    VALID,
    certificate_by_code,
    coverage_history_facts,
    workplace_roster_facts,
)
from certificates.signing import (
    certificate_serial_format,
    certificate_sign,
    signature_verify,
    verification_code_new,
)
from portal.access import Action, Role, can, role_for
from portal.access_log import access_records_append
from portal.errors import FieldErrors
from portal.models import AccessRecord, Employee, Workplace
from portal.outbox import outbox_enqueue
from portal.services import PermissionDeniedError, audit_record, employee_rrn_reveal

RENDER_TASK = "certificates.tasks.certificate_render"
# Above the Celery hard time limit, so only a dead worker's claim is ever taken over.
RENDER_LEASE = dt.timedelta(minutes=5)
PURPOSE_MAX_LENGTH = 100
REVOKE_REASON_MAX_LENGTH = 200

TEMPLATES = {
    CertificateKind.COVERAGE_HISTORY: TEMPLATE_COVERAGE_HISTORY,
    CertificateKind.WORKPLACE_ROSTER: TEMPLATE_WORKPLACE_ROSTER,
}
RELATIONS = {
    Role.OWNER: "사업주",
    Role.HR: "인사 담당자",
    Role.AGENT: "보험사무대행기관",
    Role.OPERATOR: "운영자",
}
REVERIFY_MESSAGE = (
    "주민등록번호 전체 표시는 최근 10분 안에 2단계 인증(OTP)을 다시 확인한 경우에만 "
    "신청할 수 있습니다."
)


def _requester(actor: User, workplace: Workplace) -> dict[str, str]:
    role = role_for(actor, workplace)
    name = actor.get_full_name() or actor.get_username()
    return {"name": name, "relation": RELATIONS.get(role, "") if role else ""}


def _validate(
    *,
    kind: str,
    employee: Employee | None,
    workplace: Workplace | None,
    purpose: str,
    full_rrn: bool,
    reverified: bool,
) -> None:
    errors = FieldErrors()
    if kind not in TEMPLATES:
        errors.add("kind", "certificate.kind", "증명서 종류가 올바르지 않습니다.")
    elif kind == CertificateKind.COVERAGE_HISTORY and employee is None:
        errors.add("employee_id", "required", "가입내역 확인서는 근로자를 지정해야 합니다.")
    elif kind == CertificateKind.WORKPLACE_ROSTER and workplace is None:
        errors.add("workplace_id", "required", "가입자 명부는 사업장을 지정해야 합니다.")
    if not purpose:
        errors.add("purpose", "required", "용도를 입력해 주세요.")
    elif len(purpose) > PURPOSE_MAX_LENGTH:
        errors.add("purpose", "max_length", f"용도는 {PURPOSE_MAX_LENGTH}자 이하로 입력해 주세요.")
    if full_rrn and not reverified:
        errors.add("full_rrn", "certificate.full_rrn_reverify", REVERIFY_MESSAGE)
    errors.raise_if_any()


def certificate_issue(
    *,
    actor: User,
    kind: str,
    employee: Employee | None = None,
    workplace: Workplace | None = None,
    purpose: str,
    full_rrn: bool = False,
    reverified: bool = False,
    ip: str | None = None,
    as_of: dt.date | None = None,
    render_async: bool | None = None,
) -> Certificate:
    """Issue a certificate from accepted submissions; raises FieldErrors or PermissionDeniedError.

    `full_rrn` needs `reverified`: the caller confirms the second factor was checked within the
    last 10 minutes (portal.otp.otp_is_fresh), which only a browser session can show.

    `render_async` defaults to False for a coverage certificate (rendered here, in the request)
    and True for a roster (rendered by a worker); batch callers pass True.
    """
    purpose = (purpose or "").strip()
    _validate(
        kind=kind,
        employee=employee,
        workplace=workplace,
        purpose=purpose,
        full_rrn=full_rrn,
        reverified=reverified,
    )
    if employee is not None and kind == CertificateKind.COVERAGE_HISTORY:
        workplace = employee.workplace
    else:
        employee = None
    assert workplace is not None
    if not can(actor, workplace, Action.FILE):
        raise PermissionDeniedError
    if render_async is None:
        render_async = kind == CertificateKind.WORKPLACE_ROSTER
    issued_at = timezone.now()
    as_of = as_of or timezone.localdate(issued_at)
    if employee is not None:
        body = coverage_history_facts(employee=employee, user=actor, as_of=as_of)
    else:
        body = workplace_roster_facts(workplace=workplace, as_of=as_of)
    with transaction.atomic():
        certificate = Certificate.objects.create(
            kind=kind,
            verification_code=verification_code_new(),
            workplace=workplace,
            employee=employee,
            purpose=purpose,
            full_rrn=full_rrn,
            facts={},
            pdf=b"",
            pdf_sha256="",
            signature="",
            issued_by=actor,
            issued_at=issued_at,
            requested_ip=ip,
        )
        certificate.serial = certificate_serial_format(
            number=certificate.pk, year=timezone.localtime(issued_at).year
        )
        certificate.facts = {
            "kind": kind,
            "serial": certificate.serial,
            "verification_code": certificate.verification_code,
            "issued_at": issued_at.isoformat(),
            "as_of": as_of.isoformat(),
            "purpose": purpose,
            "requester": _requester(actor, workplace),
            "full_rrn": full_rrn,
            **body,
        }
        certificate.save()
        audit_record(
            actor=actor,
            action="certificate.issue",
            obj=certificate,
            workplace=workplace,
            ip=ip,
            data={"kind": kind, "serial": certificate.serial, "full_rrn": full_rrn},
        )
        if render_async:
            outbox_enqueue(task=RENDER_TASK, args=[certificate.pk])
        else:
            _render_and_store(certificate)
            certificate.save()
    return certificate


def _employee_ids(certificate: Certificate) -> list[int]:
    if certificate.employee_id:
        return [certificate.employee_id]
    return [m["employee_id"] for m in certificate.facts.get("members", [])]


def _full_numbers(certificate: Certificate) -> dict[int, str]:
    """Employee id -> full number, each one leaving a 접속기록 (print) for the requester."""
    ids = _employee_ids(certificate)
    reason = f"증명서 {certificate.serial} 출력(주민등록번호 전체 표시)"
    return {
        employee.pk: employee_rrn_reveal(
            user=certificate.issued_by,
            employee=employee,
            ip=certificate.requested_ip,
            action=AccessRecord.Action.PRINT,
            reason=reason,
        )
        for employee in Employee.objects.filter(pk__in=ids)
    }


def _render_context(certificate: Certificate) -> dict[str, Any]:
    # A copy: full numbers go into the PDF only, never back into the stored facts.
    context = copy.deepcopy(certificate.facts)
    context["base_url"] = settings.SITE_URL
    if certificate.full_rrn:
        numbers = _full_numbers(certificate)
        if certificate.employee_id:
            context["person"]["rrn"] = numbers[certificate.employee_id]
        for member in context.get("members", []):
            member["rrn"] = numbers.get(member["employee_id"], member["rrn"])
    return context


def _render_and_store(certificate: Certificate) -> None:
    pdf = certificate_pdf_render(
        context=_render_context(certificate), template=TEMPLATES[CertificateKind(certificate.kind)]
    )
    certificate.pdf = pdf
    certificate.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    certificate.signature = certificate_sign(
        facts=certificate.facts, pdf_sha256=certificate.pdf_sha256
    )
    certificate.rendered_at = timezone.now()


class _ClaimLost(Exception):
    pass


def certificate_render(*, certificate_id: int) -> str:
    """Render, sign and store a certificate's PDF; safe to run twice or concurrently.

    A conditional update claims the row (unrendered, not revoked, no live lease), so a duplicate
    task finds nothing to do; the result is written only while the claim is still ours.
    """
    now = timezone.now()
    claimed = (
        Certificate.objects.filter(
            pk=certificate_id, rendered_at__isnull=True, revoked_at__isnull=True
        )
        .filter(Q(render_claimed_at__isnull=True) | Q(render_claimed_at__lt=now - RENDER_LEASE))
        .update(render_claimed_at=now)
    )
    if not claimed:
        return "skipped"
    certificate = Certificate.objects.select_related("issued_by").get(pk=certificate_id)
    try:
        with transaction.atomic():
            _render_and_store(certificate)
            written = Certificate.objects.filter(
                pk=certificate_id, render_claimed_at=now, rendered_at__isnull=True
            ).update(
                pdf=certificate.pdf,
                pdf_sha256=certificate.pdf_sha256,
                signature=certificate.signature,
                rendered_at=certificate.rendered_at,
            )
            if not written:
                raise _ClaimLost  # another worker took over: roll back our 접속기록 too
    except _ClaimLost:
        return "claim-lost"
    except PermissionDeniedError:
        # The requester lost access before the worker ran: print nothing in full.
        certificate_revoke(
            actor=None,
            certificate=certificate,
            reason="발급 요청자의 권한이 없어져 발급하지 않았습니다.",
        )
        return "revoked"
    return "rendered"


def certificate_revoke(
    *,
    actor: User | None,
    certificate: Certificate,
    reason: str,
    ip: str | None = None,
) -> Certificate:
    """Operators only (actor None = the system itself). Revoking twice keeps the first reason."""
    if actor is not None and not (actor.is_active and actor.is_staff):
        raise PermissionDeniedError
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors({"reason": [("required", "폐기 사유를 입력해 주세요.")]})
    if len(reason) > REVOKE_REASON_MAX_LENGTH:
        raise FieldErrors(
            {"reason": [("max_length", f"폐기 사유는 {REVOKE_REASON_MAX_LENGTH}자 이하입니다.")]}
        )
    with transaction.atomic():
        updated = Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason
        )
        if updated:
            audit_record(
                actor=actor,
                action="certificate.revoke",
                obj=certificate,
                workplace=certificate.workplace,
                ip=ip,
                data={"serial": certificate.serial, "reason": reason},
            )
    certificate.refresh_from_db()
    return certificate


def certificate_verify_pdf(*, code: str, pdf_bytes: bytes) -> tuple[str, Certificate | None]:
    """Is this file exactly the PDF we issued under `code`? One of valid/revoked/unknown/mismatch."""
    certificate = certificate_by_code(code)
    if certificate is None:
        return UNKNOWN, None
    if certificate.is_revoked:
        return REVOKED, certificate
    if not certificate.is_rendered:
        return MISMATCH, certificate
    digest = hashlib.sha256(pdf_bytes).hexdigest()
    if not hmac.compare_digest(digest, certificate.pdf_sha256):
        return MISMATCH, certificate
    if not signature_verify(
        facts=certificate.facts, pdf_sha256=digest, signature=certificate.signature
    ):
        return MISMATCH, certificate
    return VALID, certificate


def certificate_pdf_fetch(*, user: User, certificate: Certificate, ip: str | None = None) -> bytes:
    """The issued PDF bytes. A copy with full numbers needs FILE rights and leaves a 접속기록."""
    if not certificate.is_rendered:
        raise ValueError("certificate PDF is not rendered yet")
    if certificate.full_rrn:
        if not can(user, certificate.workplace_id, Action.FILE):
            raise PermissionDeniedError
        access_records_append(
            user=user,
            ip=ip,
            employee_ids=_employee_ids(certificate),
            action=AccessRecord.Action.DOWNLOAD,
            reason=f"증명서 {certificate.serial} 내려받기(주민등록번호 전체 표시)",
        )
    return bytes(certificate.pdf)
