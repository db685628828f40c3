import hashlib
import re
from datetime import date

import pytest
from django.contrib.auth.models import AbstractBaseUser

from certificates import tasks
from certificates.models import Certificate, CertificateKind
from certificates.services import certificate_issue, certificate_revoke
from certificates.signing import signature_verify
from portal.errors import FieldErrors
from portal.models import AccessRecord, AuditEvent, Employee, OutboxMessage, Workplace
from portal.services import PermissionDeniedError, employee_rrn_decrypt
from tests.certificates.helpers import accepted_report, pdf_text
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

TITLE = "4대 사회보험 가입내역 확인서"


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _issue(actor: AbstractBaseUser, employee: Employee, **kwargs: object) -> Certificate:
    return certificate_issue(
        actor=actor,
        kind=CertificateKind.COVERAGE_HISTORY,
        employee=employee,
        purpose="금융기관 제출용",
        as_of=date(2026, 6, 1),
        **kwargs,  # type: ignore[arg-type]
    )


def test_pdf_shows_title_name_and_masked_number_but_never_the_full_one(
    owner: AbstractBaseUser, employee: Employee
) -> None:
    accepted_report(employee, "hire", date(2026, 3, 2))
    digits = employee_rrn_decrypt(employee=employee)

    certificate = _issue(owner, employee)

    text = pdf_text(bytes(certificate.pdf))
    assert TITLE in _squash(text)
    assert employee.name in text
    assert employee.rrn_masked in text
    assert digits not in text.replace("-", "")
    assert f"{digits[:6]}-{digits[6:]}" not in text
    assert employee.workplace.management_number in text
    assert "2026.03.02" in text
    assert certificate.serial in text and certificate.verification_code in text


def test_issue_gets_serial_signature_and_an_audit_event_in_one_go(
    owner: AbstractBaseUser, employee: Employee
) -> None:
    accepted_report(employee, "hire", date(2026, 3, 2))

    certificate = _issue(owner, employee)

    assert re.fullmatch(r"C-\d{4}-\d{6}", certificate.serial or "")
    assert certificate.serial.endswith(f"{certificate.pk:06d}")  # type: ignore[union-attr]
    assert certificate.pdf_sha256 == hashlib.sha256(bytes(certificate.pdf)).hexdigest()
    assert signature_verify(
        facts=certificate.facts, pdf_sha256=certificate.pdf_sha256, signature=certificate.signature
    )
    event = AuditEvent.objects.get(action="certificate.issue")
    assert (event.actor, event.object_id) == (owner, str(certificate.pk))


def test_only_submissions_the_agency_accepted_are_certified(
    owner: AbstractBaseUser, employee: Employee
) -> None:
    accepted_report(employee, "hire", date(2026, 3, 2), agencies=("pension",))
    accepted_report(employee, "hire", date(2026, 3, 3), agencies=("health",), status="rejected")
    accepted_report(employee, "hire", date(2026, 3, 4), agencies=("employment",), status="received")

    facts = _issue(owner, employee).facts

    rows = {item["code"]: item["rows"] for item in facts["insurances"]}
    assert [r["acquired_on"] for r in rows["pension"]] == ["2026-03-02"]
    assert rows["health"] == [] and rows["employment"] == [] and rows["industrial_accident"] == []


def test_accepted_exit_prints_the_loss_date_and_lost_status(
    owner: AbstractBaseUser, employee: Employee
) -> None:
    accepted_report(employee, "hire", date(2026, 3, 2))
    accepted_report(employee, "exit", date(2026, 5, 1))

    certificate = _issue(owner, employee)

    pension = certificate.facts["insurances"][0]["rows"][0]
    assert (pension["lost_on"], pension["status"]) == ("2026-05-01", "상실")
    assert "2026.05.01" in pdf_text(bytes(certificate.pdf))


def test_acquisition_whose_cancellation_was_accepted_is_not_certified(
    owner: AbstractBaseUser, employee: Employee
) -> None:
    from filings.models import Submission
    from filings.periods import periods_apply_accepted

    report = accepted_report(employee, "hire", date(2026, 3, 2), agencies=("pension",))
    cancel = Submission.objects.create(
        report=report, agency="pension", action=Submission.Action.CANCEL, status="accepted"
    )
    periods_apply_accepted(submissions=[cancel])

    facts = _issue(owner, employee).facts

    assert facts["insurances"][0]["rows"] == []


def test_full_number_needs_a_fresh_second_factor(
    owner: AbstractBaseUser, employee: Employee
) -> None:
    with pytest.raises(FieldErrors) as raised:
        _issue(owner, employee, full_rrn=True)

    assert "OTP" in raised.value.messages()["full_rrn"][0]
    assert not Certificate.objects.exists()
    assert not AccessRecord.objects.exists()


def test_full_number_prints_in_the_pdf_is_logged_and_stays_masked_in_the_facts(
    owner: AbstractBaseUser, employee: Employee
) -> None:
    accepted_report(employee, "hire", date(2026, 3, 2))
    digits = employee_rrn_decrypt(employee=employee)

    certificate = _issue(owner, employee, full_rrn=True, reverified=True, ip="203.0.113.9")

    assert f"{digits[:6]}-{digits[6:]}" in pdf_text(bytes(certificate.pdf))
    assert certificate.facts["person"]["rrn"] == employee.rrn_masked
    record = AccessRecord.objects.get()
    assert (record.user, record.employee, record.action, record.ip) == (
        owner,
        employee,
        AccessRecord.Action.PRINT,
        "203.0.113.9",
    )


def test_someone_without_filing_rights_cannot_issue(
    operator: AbstractBaseUser, employee: Employee
) -> None:
    with pytest.raises(PermissionDeniedError):
        _issue(operator, employee)


def test_roster_renders_in_a_worker_once_listing_everyone_insured_on_the_date(
    owner: AbstractBaseUser, workplace: Workplace
) -> None:
    staying = EmployeeFactory(workplace=workplace, name="박재직", insured=False)
    left = EmployeeFactory(workplace=workplace, name="최퇴사", insured=False)
    pending = EmployeeFactory(workplace=workplace, name="정대기", insured=False)
    accepted_report(staying, "hire", date(2026, 1, 2))
    accepted_report(left, "hire", date(2026, 1, 2))
    accepted_report(left, "exit", date(2026, 2, 1))
    accepted_report(pending, "hire", date(2026, 1, 2), status="received")

    certificate = certificate_issue(
        actor=owner,
        kind=CertificateKind.WORKPLACE_ROSTER,
        workplace=workplace,
        purpose="입찰 제출용",
        as_of=date(2026, 3, 1),
    )

    assert not certificate.is_rendered
    message = OutboxMessage.objects.get(task="certificates.tasks.certificate_render")
    assert message.args == [certificate.pk]  # ids only
    assert tasks.certificate_render(certificate.pk) == "rendered"
    assert tasks.certificate_render(certificate.pk) == "skipped"
    certificate.refresh_from_db()
    text = pdf_text(bytes(certificate.pdf))
    assert "사업장 가입자 명부" in _squash(text)
    assert "박재직" in text and staying.rrn_masked in text
    assert "최퇴사" not in text and "정대기" not in text
    assert signature_verify(
        facts=certificate.facts, pdf_sha256=certificate.pdf_sha256, signature=certificate.signature
    )


def test_revoked_roster_is_never_rendered(
    owner: AbstractBaseUser, operator: AbstractBaseUser, workplace: Workplace
) -> None:
    certificate = certificate_issue(
        actor=owner, kind=CertificateKind.WORKPLACE_ROSTER, workplace=workplace, purpose="확인용"
    )
    certificate_revoke(actor=operator, certificate=certificate, reason="잘못 발급")

    assert tasks.certificate_render(certificate.pk) == "skipped"


def test_only_operators_revoke_and_a_reason_is_required(
    owner: AbstractBaseUser, operator: AbstractBaseUser, employee: Employee
) -> None:
    certificate = _issue(owner, employee)

    with pytest.raises(PermissionDeniedError):
        certificate_revoke(actor=owner, certificate=certificate, reason="필요 없음")
    with pytest.raises(FieldErrors):
        certificate_revoke(actor=operator, certificate=certificate, reason="  ")
    revoked = certificate_revoke(actor=operator, certificate=certificate, reason="본인 요청")

    assert revoked.is_revoked and revoked.revoked_reason == "본인 요청"
    assert AuditEvent.objects.filter(action="certificate.revoke").count() == 1
