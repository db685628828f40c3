"""Certificate PDFs from plain data (no models): Django template -> HTML -> WeasyPrint.

Speed comes from three things (see the WeasyPrint measurements in the project notes):
a pre-subset Korean font, a FontConfiguration and stylesheet parsed once per process
and reused, and a layout without page-margin boxes. A one-page coverage certificate
is rendered inside the request; rosters are rendered by a Celery worker (see
certificates.services). The first call in a process pays the warm-up (workers warm at start).

Context keys (everything is already display-safe; the renderer never unmasks RRNs):
  serial, issued_at (aware datetime or ISO string), purpose, requester {name, relation},
  verification_code, base_url, full_rrn (bool), issuer_name (optional), as_of (optional)
  coverage_history: person {name, rrn}, insurances [{code, label?, rows: [{workplace_name,
      workplace_number, acquired_on, lost_on, status, source?, source_label?}]}]
  workplace_roster: workplace {name, number, business_number?, address?},
      members [{name, rrn, coverage: {<code>: {acquired_on, lost_on, source?} | None}}]
  source: "filed" (the portal's filing, accepted) or "imported" (the employer's history)
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, cast

import segno
from django.template.backends.django import Template as DjangoTemplate
from django.template.loader import get_template, render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from agencies.registry import insurance_labels
from certificates.fonts import cert_fonts_ensure, font_face_css

TEMPLATE_COVERAGE_HISTORY = "certificates/coverage_history.html"
TEMPLATE_WORKPLACE_ROSTER = "certificates/workplace_roster.html"
STYLESHEET_TEMPLATE = "certificates/certificate.css"

TITLES = {
    TEMPLATE_COVERAGE_HISTORY: "4대 사회보험 가입내역 확인서",
    TEMPLATE_WORKPLACE_ROSTER: "사업장 가입자 명부",
}
DEFAULT_ISSUER = "4대보험 신고 포털"


def verify_url_build(*, base_url: str, verification_code: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{verification_code}"


def _qr_data_uri(url: str) -> str:
    # SVG keeps the code sharp at any zoom and costs WeasyPrint a single path.
    return segno.make(url, error="m").svg_data_uri(border=0, scale=4)


def _insurances(raw: Any) -> list[dict[str, Any]]:
    items = []
    for item in raw or ():
        code = item.get("code", "")
        items.append(
            {
                **item,
                "label": item.get("label") or insurance_labels().get(code, code),
                "rows": item.get("rows") or [],
            }
        )
    return items


def _roster(members: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    codes = list(insurance_labels())
    prepared = []
    active = dict.fromkeys(codes, 0)
    for member in members or ():
        coverage: Mapping[str, Any] = member.get("coverage") or {}
        cells = [coverage.get(code) or None for code in codes]
        for code, cell in zip(codes, cells, strict=True):
            if cell and not cell.get("lost_on"):
                active[code] += 1
        prepared.append({**member, "cells": cells})
    columns = [
        {"code": c, "label": insurance_labels()[c], "active_count": active[c]} for c in codes
    ]
    return prepared, columns


def _template_context(context: Mapping[str, Any], template: str) -> dict[str, Any]:
    if template not in TITLES:
        raise ValueError(f"unknown certificate template: {template}")
    data = dict(context)
    data.setdefault("title", TITLES[template])
    data.setdefault("issuer_name", DEFAULT_ISSUER)
    data.setdefault("requester", {})
    code = data["verification_code"]
    data["verify_url"] = verify_url_build(base_url=data["base_url"], verification_code=code)
    data["qr_data_uri"] = _qr_data_uri(data["verify_url"])
    if template == TEMPLATE_COVERAGE_HISTORY:
        data["insurances"] = _insurances(data.get("insurances"))
    else:
        data["members"], data["insurance_columns"] = _roster(data.get("members"))
    return data


def certificate_html_render(*, context: Mapping[str, Any], template: str) -> str:
    return render_to_string(template, _template_context(context, template))


def _css_text(*, use_subset: bool) -> str:
    fonts = cert_fonts_ensure()
    # The Django engine's template wraps the compiled one, which keeps its source.
    layout = cast(DjangoTemplate, get_template(STYLESHEET_TEMPLATE)).template.source
    return font_face_css(fonts, use_subset=use_subset) + layout


# One FontConfiguration + parsed CSS per process: parsing @font-face and loading the fonts
# into fontconfig costs far more than laying out a one-page certificate. WeasyPrint does
# not document these objects as thread-safe, so renders sharing them are serialised.
_shared_lock = threading.Lock()
_shared: tuple[FontConfiguration, CSS] | None = None


def _shared_stylesheet() -> tuple[FontConfiguration, CSS]:
    global _shared
    if _shared is None:
        font_config = FontConfiguration()
        _shared = (font_config, CSS(string=_css_text(use_subset=True), font_config=font_config))
    return _shared


def certificate_renderer_warm() -> None:
    """Load fonts and parse CSS now (e.g. at worker start) instead of on the first issue."""
    with _shared_lock:
        _shared_stylesheet()


def certificate_pdf_render(*, context: Mapping[str, Any], template: str) -> bytes:
    """PDF bytes of one certificate; `template` is one of the TEMPLATE_* names."""
    return html_pdf_render(html=certificate_html_render(context=context, template=template))


def html_pdf_render(*, html: str) -> bytes:
    """PDF bytes of a page in the certificates' look (font and stylesheet shared per process)."""
    with _shared_lock:
        font_config, css = _shared_stylesheet()
        return HTML(string=html).write_pdf(stylesheets=[css], font_config=font_config)


def naive_pdf_render(*, context: Mapping[str, Any], template: str) -> bytes:
    """Baseline for the benchmark: same HTML, only the shipped 2.8 MB font, nothing reused."""
    html = certificate_html_render(context=context, template=template)
    font_config = FontConfiguration()
    css = CSS(string=_css_text(use_subset=False), font_config=font_config)
    return HTML(string=html).write_pdf(stylesheets=[css], font_config=font_config)
