"""A late report shows how late it is and the fine the law allows, and the employer's reason
becomes a 의견제출서 draft."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from certificates.models import LateFilingStatement
from filings.lateness import report_lateness
from filings.models import Report
from portal.models import AuditEvent
from tests.certificates.helpers import pdf_text
from tests.filings.helpers import hire_body
from tests.filings.test_periods import _post, _send

pytestmark = pytest.mark.django_db


def _late_hire(api_client, workplace):  # type: ignore[no-untyped-def]
    hired = timezone.localdate() - timedelta(days=70)
    hire = _post(api_client, workplace, hire_body(hire_date=hired.isoformat()))
    _send(hire["id"])
    return Report.objects.get(pk=hire["id"])


def test_a_hire_filed_after_its_deadlines_shows_the_days_and_the_maximum_fine(
    api_client,
    owner,
    workplace,
    sandbox,
    verified_client,
):
    report = _late_hire(api_client, workplace)
    late = {item.agency: item for item in report_lateness(report=report)}
    assert set(late) == {"pension", "health", "employment", "industrial_accident"}
    assert late["pension"].filed_on == timezone.localdate()
    assert late["pension"].days_late == (timezone.localdate() - late["pension"].deadline).days
    page = verified_client(owner).get(f"/reports/{report.pk}/").content.decode()
    assert "과태료 최대 500,000원 (국민연금법 제131조①1)" in page
    assert "기준 확인 필요" in page  # the NHIS and COMWEL maxima are not read in the statutes


def test_the_reason_with_evidence_becomes_an_opinion_statement_draft(
    api_client,
    owner,
    workplace,
    sandbox,
    verified_client,
):
    report = _late_hire(api_client, workplace)
    client = verified_client(owner)
    evidence = SimpleUploadedFile(
        "진단서.pdf", b"%PDF-1.4 evidence", content_type="application/pdf"
    )
    response = client.post(
        f"/reports/{report.pk}/late-statement/",
        {
            "reason": "unreachable",
            "detail": "근로자가 입원하여 서류를 받지 못했습니다.",
            "files": evidence,
        },
    )
    assert response.status_code == 302
    statement = LateFilingStatement.objects.get(report=report)
    assert statement.attachments.get().filename == "진단서.pdf"
    assert AuditEvent.objects.filter(action="report.late_statement").exists()
    pdf = client.get(f"/late-statements/{statement.pk}/opinion.pdf")
    text = pdf_text(pdf.content)
    assert "의견제출서" in text and "근로자 연락두절" in text and "진단서.pdf" in text
    assert "일" in text and "500,000" in text


def test_a_report_filed_on_time_takes_no_late_statement(
    api_client,
    owner,
    workplace,
    sandbox,
    verified_client,
):
    hire = _post(api_client, workplace, hire_body())
    _send(hire["id"])
    client = verified_client(owner)
    client.post(f"/reports/{hire['id']}/late-statement/", {"reason": "other", "detail": "사유"})
    assert not LateFilingStatement.objects.exists()
    assert 'data-testid="lateness"' not in client.get(f"/reports/{hire['id']}/").content.decode()
