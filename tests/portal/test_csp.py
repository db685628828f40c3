"""Content-Security-Policy: every page says it, and no page needs an inline script or style."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.staticfiles import finders
from django.test import Client
from pytest_django.fixtures import Settings

from filings.services import report_file
from filings.webhooks import webhook_create
from portal.models import Workplace
from tests.factories import DEFAULT_PASSWORD, EmployeeFactory, UserFactory
from tests.filings.helpers import hire_body

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
# Not pages: files, JSON, the admin (checked on its own), and actions.
SKIP = re.compile(r"^/(static|api|admin|i18n|logout)/|pdf|xlsx|zip|csv|template|download")


def policy(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response.get("Content-Security-Policy", "")
    assert header, f"no Content-Security-Policy on {response.wsgi_request.path}"
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


class InlineCode(HTMLParser):
    """Collects what the policy would block: inline scripts, handlers, styles, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on") or name == "style":
                self.found.append(f'<{tag} {name}="{value}">')
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f'<{tag} {name}="{value}">')
        if tag == "a":
            self.links.extend(value for name, value in attrs if name == "href" and value)


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    return parser


def crawl(client: Client, start: list[str], limit: int = 120) -> dict[str, InlineCode]:
    """GET every portal page reachable by a link from `start`; each page's findings by path.

    Two pages of one shape (ids and dates aside) stand for all of them: month after month of
    bills or page after page of a list say nothing new.
    """
    pages: dict[str, InlineCode] = {}
    queue, seen = deque(start), set(start)
    shapes: Counter[str] = Counter()
    while queue and len(seen) <= limit:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code in (301, 302):
            target = urlsplit(response["Location"])
            follow = target.path + (f"?{target.query}" if target.query else "")
            if not target.netloc and follow not in seen and not SKIP.search(follow):
                seen.add(follow)
                queue.append(follow)
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        assert policy(response) == STRICT, path
        found = inline_code(response.content.decode())
        pages[path] = found
        for href in found.links:
            parts = urlsplit(href)
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.netloc or not parts.path.startswith("/") or SKIP.search(link):
                continue
            shape = re.sub(r"\d+", "N", link)
            if link not in seen and shapes[shape] < 2:
                shapes[shape] += 1
                seen.add(link)
                queue.append(link)
    return pages


def test_every_page_sends_a_content_security_policy_without_inline_script(
    settings: Settings,
    verified_client: Callable[..., Client],
    owner: AbstractBaseUser,
    workplace: Workplace,
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    employee = EmployeeFactory(workplace=workplace, insured=True)
    report, _ = report_file(actor=owner, workplace=workplace, data=hire_body())
    endpoint, _ = webhook_create(actor=owner, url="http://127.0.0.1:9/hook", workplace=workplace)
    client = verified_client(owner)

    pages = crawl(
        client,
        [
            "/dashboard/",
            f"/reports/{report.pk}/",
            f"/reports/{report.pk}/late-statement/",
            f"/employees/{employee.pk}/rrn/",
            f"/developer/webhooks/{endpoint.pk}/",
            "/verify/",
        ],
    )

    # The whole menu was visited, not only the first page.
    assert len(pages) > 25, sorted(pages)
    offending = {path: found.found for path, found in pages.items() if found.found}
    assert not offending


def test_signing_in_and_being_locked_out_are_under_the_same_policy(client: Client) -> None:
    user = UserFactory()
    for path in ("/", "/password-reset/"):
        response = client.get(path)
        assert policy(response) == STRICT
        assert not inline_code(response.content.decode()).found
    signed = client.post("/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert signed["Location"] == "/login/enrol/"
    enrol = client.get("/login/enrol/")
    assert policy(enrol) == STRICT
    assert "<svg" in enrol.content.decode() and not inline_code(enrol.content.decode()).found
    for _ in range(5):
        client.post("/login/enrol/", {"token": "000000"})
    locked = client.post("/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429
    assert policy(locked) == STRICT
    assert not inline_code(locked.content.decode()).found


def test_the_admin_is_under_the_policy_too(admin_client: Client) -> None:
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    assert policy(response) == STRICT


def test_cancelling_a_report_is_confirmed_by_the_portal_script_not_an_inline_handler(
    verified_client: Callable[..., Client], owner: AbstractBaseUser, workplace: Workplace
) -> None:
    report, _ = report_file(actor=owner, workplace=workplace, data=hire_body())
    page = verified_client(owner).get(f"/reports/{report.pk}/").content.decode()

    button = re.search(r'<button type="submit" class="danger"[^>]*>\s*신고 취소', page)
    assert button and 'data-confirm="이 신고를 취소할까요?"' in button.group(0)
    assert "onclick" not in page
    assert re.search(r'<script src="/static/portal/app\.js" defer></script>', page)
    # htmx would otherwise add its indicator <style> element to every page.
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false""" in page
    script = finders.find("portal/app.js")
    assert script
    body = Path(str(script)).read_text()
    assert "data-confirm" in body and "confirm(" in body


def test_swagger_ui_is_served_by_the_portal_with_its_init_script_as_a_file(client: Client) -> None:
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert policy(page) == STRICT
    html = page.content.decode()
    assert not inline_code(html).found
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in sources
    assert "/api/docs/?script=" in sources
    assert all(src.startswith("/") for src in sources)

    init = client.get("/api/docs/?script=")
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in init.content.decode()
    assert "/api/schema/" in init.content.decode()
    # The files themselves ship with the sidecar package, found like any static file.
    for src in sources[:-1]:
        assert finders.find(src.removeprefix("/static/")), src


def test_redoc_is_served_by_the_portal_and_only_its_styles_may_be_inline(client: Client) -> None:
    page = client.get("/api/redoc/")
    assert page.status_code == 200
    directives = policy(page)
    # ReDoc writes its styles at run time; scripts stay 'self' only, as everywhere.
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["worker-src"] == "blob:"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    html = page.content.decode()
    assert not inline_code(html).found
    assert re.findall(r'<script src="([^"]+)"', html) == [
        "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
    ]
    assert finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")
    assert "fonts.googleapis.com" not in html
    assert '<redoc spec-url="/api/schema/">' in html
