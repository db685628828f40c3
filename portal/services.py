"""Writers for the domain core. Each state change writes its AuditEvent in the same transaction."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal import crypto
from portal.access import Action, can
from portal.access_log import access_records_append
from portal.errors import FieldErrors
from portal.identifiers import (
    IdentifierError,
    PersonNumber,
    brn_validate,
    management_number_validate,
    person_number_parse,
)
from portal.models import (
    AccessRecord,
    ApiKey,
    AuditEvent,
    Delegation,
    Employee,
    EmploymentBand,
    Membership,
    PayrollFirm,
    Workplace,
)

RRN_PURPOSE = "rrn"


class PermissionDeniedError(Exception):
    pass


def constraint_violated(exc: IntegrityError) -> str:
    """The name of the constraint an INSERT or UPDATE violated, as PostgreSQL reports it."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or ""


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    workplace: Workplace | None = None,
    ip: str | None = None,
    data: dict | None = None,
) -> AuditEvent:
    event = audit_event_build(
        actor=actor, action=action, obj=obj, workplace=workplace, ip=ip, data=data
    )
    event.save(force_insert=True)
    return event


def audit_event_build(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    workplace: Workplace | None = None,
    ip: str | None = None,
    data: dict | None = None,
) -> AuditEvent:
    """The unsaved event. `object_id` is read from `obj` now."""
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk) if obj.pk is not None else "",
        workplace=workplace,
        ip=ip,
        data=data or {},
    )


def rrn_index(digits: str) -> str:
    return crypto.blind_index(digits, purpose=RRN_PURPOSE)


def employee_set_rrn(
    *, employee: Employee, rrn: str = "", number: PersonNumber | None = None
) -> None:
    """Parse (unless given `number`, already parsed), encrypt and index a resident number onto
    an (unsaved or saved) employee."""
    if number is None:
        number = person_number_parse(rrn)
    employee.rrn_encrypted = crypto.encrypt(number.digits, purpose=RRN_PURPOSE)
    employee.rrn_index = rrn_index(number.digits)
    employee.rrn_masked = number.masked
    employee.birth_date = number.birth_date
    employee.sex = number.sex
    employee.is_foreigner = number.is_foreigner


def employee_create(
    *,
    actor: User | None,
    workplace: Workplace,
    name: str,
    rrn: str,
    nationality: str = "KR",
    visa: str = "",
    ip: str | None = None,
    **fields: Any,
) -> Employee:
    employee = Employee(
        workplace=workplace, name=name, nationality=nationality.upper(), visa=visa, **fields
    )
    employee_set_rrn(employee=employee, rrn=rrn)
    if employee.is_foreigner and employee.nationality == "KR":
        raise IdentifierError(
            "외국인등록번호를 가진 사람의 국적이 대한민국(KR)으로 되어 있습니다.",
            rule="rrn.nationality",
        )
    with transaction.atomic():
        employee.save()
        audit_record(
            actor=actor, action="employee.create", obj=employee, workplace=workplace, ip=ip
        )
    return employee


def employee_find_by_rrn(*, workplace: Workplace | None, rrn: str) -> Employee | None:
    digits = person_number_parse(rrn).digits
    qs = Employee.objects.filter(rrn_index=rrn_index(digits))
    if workplace is not None:
        qs = qs.filter(workplace=workplace)
    return qs.order_by("-id").first()


def employee_rrn_decrypt(*, employee: Employee) -> str:
    """Plain digits for an outbound agency message only; never for display (see rrn_reveal)."""
    return crypto.decrypt(employee.rrn_encrypted, purpose=RRN_PURPOSE)


def employee_rrn_reveal(
    *,
    user: User,
    employee: Employee,
    ip: str | None,
    action: str = AccessRecord.Action.VIEW,
    reason: str = "",
) -> str:
    """Show a full resident number: allowed roles only, always leaves a 접속기록."""
    if not can(user, employee.workplace_id, Action.FILE):
        raise PermissionDeniedError
    digits = employee_rrn_decrypt(employee=employee)
    access_records_append(
        user=user, ip=ip, employee_ids=[employee.pk], action=action, reason=reason
    )
    return f"{digits[:6]}-{digits[6:]}"


def delegation_grant(
    *,
    actor: User,
    workplace: Workplace,
    firm: PayrollFirm,
    starts_on: date,
    ends_on: date | None,
    ip: str | None = None,
) -> Delegation:
    if not can(actor, workplace, Action.MANAGE):
        raise PermissionDeniedError
    with transaction.atomic():
        delegation = Delegation.objects.create(
            firm=firm, workplace=workplace, starts_on=starts_on, ends_on=ends_on, granted_by=actor
        )
        audit_record(
            actor=actor,
            action="delegation.grant",
            obj=delegation,
            workplace=workplace,
            ip=ip,
            data={"firm": firm.name, "starts_on": str(starts_on), "ends_on": str(ends_on or "")},
        )
    return delegation


def delegation_revoke(*, actor: User, delegation: Delegation, ip: str | None = None) -> Delegation:
    if not can(actor, delegation.workplace_id, Action.MANAGE):
        raise PermissionDeniedError
    with transaction.atomic():
        updated = Delegation.objects.filter(pk=delegation.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit_record(
                actor=actor,
                action="delegation.revoke",
                obj=delegation,
                workplace=delegation.workplace,
                ip=ip,
            )
    delegation.refresh_from_db()
    return delegation


def api_key_hash(raw: str) -> str:
    # Keys carry 256 bits of entropy, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_issue(
    *,
    user: User,
    name: str,
    workplaces: list[Workplace] | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; the raw value is returned once and never stored."""
    raw = "sk_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            user=user, name=name, prefix=raw[:10], key_hash=api_key_hash(raw)
        )
        if workplaces:
            key.workplaces.set(workplaces)
        audit_record(actor=user, action="api_key.issue", obj=key, data={"name": name})
    return key, raw


def api_key_revoke(*, user: User, key: ApiKey) -> None:
    with transaction.atomic():
        ApiKey.objects.filter(pk=key.pk, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit_record(actor=user, action="api_key.revoke", obj=key)


def employee_rotate_keys(*, batch_size: int = 500) -> int:
    """Re-encrypt every resident number under the active key; safe to run while serving."""
    done = 0
    last_id = 0
    while True:
        batch = list(Employee.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return done
        for employee in batch:
            last_id = employee.id
            if crypto.needs_rotation(employee.rrn_encrypted):
                digits = crypto.decrypt(employee.rrn_encrypted, purpose=RRN_PURPOSE)
                new = crypto.encrypt(digits, purpose=RRN_PURPOSE)
                # Conditional update: a concurrent edit wins instead of being overwritten.
                done += Employee.objects.filter(
                    pk=employee.pk, rrn_encrypted=employee.rrn_encrypted
                ).update(rrn_encrypted=new)


MANAGEMENT_NUMBER_TAKEN = (
    "이 사업장관리번호의 사업장이 이미 포털에 있습니다. 그 사업장의 사업주에게 구성원 추가를 "
    "요청하세요."
)


def management_number_provisional(brn: str) -> str:
    """The 사업장관리번호 used until the agencies assign one: the BRN followed by 0.

    UNVERIFIED (domain-rules.md §6): sources disagree on what the 11th digit means; 0 is the
    one reported for a head office covered by all four insurances. The portal says so where the
    number is shown ("기준 확인 필요"); an operator corrects it in the admin.
    """
    return f"{brn}0"


def workplace_register(
    *,
    actor: User,
    name: str,
    business_registration_number: str,
    management_number: str = "",
    headcount: int = 1,
    employment_band: str = "",
    industry_code: str = "",
    address: str = "",
    postcode: str = "",
    phone: str = "",
    representative_name: str = "",
    ip: str | None = None,
) -> Workplace:
    """A signed-in person registers a workplace and becomes its owner (사업주) at once.

    The agencies learn of it through the 성립신고 filed next, as a report like any other. A
    management number already in the portal is refused: whoever holds it adds the person as a
    member instead. Errors name the field and the rule, in Korean.
    """
    errors = FieldErrors()
    name = name.strip()
    if not name:
        errors.add("name", "required", "사업장 명칭을 입력해 주세요.")
    brn = ""
    try:
        brn = brn_validate(business_registration_number)
    except IdentifierError as exc:
        errors.add("business_registration_number", exc.rule, str(exc))
    mgmt = ""
    provisional = not management_number.strip()
    if not provisional:
        try:
            mgmt = management_number_validate(management_number)
        except IdentifierError as exc:
            errors.add("management_number", exc.rule, str(exc))
    elif brn:
        mgmt = management_number_provisional(brn)
    if headcount < 1:
        errors.add("headcount", "range", "상시근로자 수는 1명 이상이어야 합니다.")
    band = employment_band or EmploymentBand.UNDER_150
    if band not in EmploymentBand.values:
        errors.add("employment_band", "choice", "고용보험 사업주 규모를 목록에서 골라 주세요.")
    postcode = postcode.strip()
    if postcode and not (len(postcode) == 5 and postcode.isascii() and postcode.isdigit()):
        errors.add("postcode", "postcode.format", "우편번호는 숫자 5자리입니다.")
    if mgmt and Workplace.objects.filter(management_number=mgmt).exists():
        errors.add("management_number", "mgmt.taken", MANAGEMENT_NUMBER_TAKEN)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            workplace = Workplace.objects.create(
                name=name,
                business_registration_number=brn,
                management_number=mgmt,
                management_number_provisional=provisional,
                headcount=headcount,
                employment_band=band,
                industry_code=industry_code.strip(),
                address=address.strip(),
                postcode=postcode,
                phone=phone.strip(),
                representative_name=representative_name.strip(),
            )
            Membership.objects.create(user=actor, workplace=workplace, role=Membership.Role.OWNER)
            audit_record(
                actor=actor,
                action="workplace.register",
                obj=workplace,
                workplace=workplace,
                ip=ip,
                data={"management_number": mgmt, "provisional": provisional},
            )
    except IntegrityError as exc:
        # Registered by someone else between the check above and this insert.
        raise FieldErrors({"management_number": [("mgmt.taken", MANAGEMENT_NUMBER_TAKEN)]}) from exc
    return workplace


def membership_add_hr(
    *, actor: User, workplace: Workplace, username: str, ip: str | None = None
) -> Membership:
    """The owner adds HR staff; errors name the field in Korean."""
    if not can(actor, workplace, Action.MANAGE):
        raise PermissionDeniedError
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise FieldErrors({"username": [("not_found", "이 아이디의 사용자가 없습니다.")]})
    if Membership.objects.filter(user=user, workplace=workplace).exists():
        raise FieldErrors({"username": [("already_member", "이미 이 사업장의 구성원입니다.")]})
    with transaction.atomic():
        member = Membership.objects.create(user=user, workplace=workplace, role=Membership.Role.HR)
        audit_record(actor=actor, action="membership.add", obj=member, workplace=workplace, ip=ip)
    return member


def membership_remove(*, actor: User, membership: Membership, ip: str | None = None) -> None:
    if not can(actor, membership.workplace_id, Action.MANAGE):
        raise PermissionDeniedError
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="membership.remove",
            obj=membership,
            workplace=membership.workplace,
            ip=ip,
        )
        membership.delete()


def employee_update(
    *, actor: User, employee: Employee, changes: dict[str, Any], ip: str | None = None
) -> Employee:
    """Change the editable fields and leave an audit trail of which fields changed."""
    errors = FieldErrors()
    nationality = employee.nationality
    if "visa" in changes:
        if nationality == "KR" and changes["visa"]:
            errors.add("visa", "not_for_nationals", "내국인은 체류자격을 비워 두세요.")
        if nationality != "KR" and not changes["visa"]:
            errors.add("visa", "required_for_foreigner", "외국인은 체류자격을 입력해 주세요.")
    errors.raise_if_any()
    with transaction.atomic():
        Employee.objects.filter(pk=employee.pk).update(**changes)
        audit_record(
            actor=actor,
            action="employee.update",
            obj=employee,
            workplace=employee.workplace,
            ip=ip,
            data={"fields": sorted(changes)},
        )
    employee.refresh_from_db()
    return employee
