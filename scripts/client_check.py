"""File a hire through a Python client generated from a running portal's OpenAPI document.

This is what a payroll vendor does: download /api/schema/?format=json, run openapi-python-client
on it, import the package it writes (named after the document's title) and call the API. The
check fails if the document does not generate, the package name is not importable, or the hire
is refused. The hire sends `"visa": null` and `"contract_end": null` as generated clients do.

    .venv/bin/python scripts/client_check.py --base-url http://127.0.0.1:8000 --token <API key>

PORTAL_BASE_URL and PORTAL_API_TOKEN may stand in for the options. Other scripts call
client_check(base_url, token), which raises ClientCheckFailed (or the generator's error).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

SCHEMA_PATH = "/api/schema/?format=json"
RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
TIMEOUT = httpx.Timeout(60.0)


class ClientCheckFailed(RuntimeError):
    """The generated client could not be built, imported or used to file a hire."""


def _generator() -> list[str]:
    beside = Path(sys.executable).parent / "openapi-python-client"
    found = str(beside) if beside.exists() else shutil.which("openapi-python-client")
    if not found:
        raise ClientCheckFailed(
            "openapi-python-client is not installed (pip install -e '.[dev]' installs it)"
        )
    return [found]


def _schema_fetch(base_url: str, token: str) -> dict[str, Any]:
    response = httpx.get(
        base_url.rstrip("/") + SCHEMA_PATH,
        headers={"Authorization": f"Token {token}"},
        timeout=TIMEOUT,
        follow_redirects=True,
    )
    if response.status_code != 200:
        raise ClientCheckFailed(f"GET {SCHEMA_PATH} answered {response.status_code}")
    return response.json()


def client_generate(schema: dict[str, Any], workdir: Path) -> str:
    """Run openapi-python-client in `workdir`; return the package name it chose from the title."""
    schema_file = workdir / "openapi.json"
    schema_file.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    config = workdir / "generator.json"
    config.write_text(json.dumps({"post_hooks": []}))  # no formatter run: importing is enough
    before = set(workdir.iterdir())
    result = subprocess.run(
        [
            *_generator(),
            "generate",
            "--path",
            str(schema_file),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    created = [p for p in set(workdir.iterdir()) - before if p.is_dir()]
    if result.returncode != 0 or len(created) != 1:
        raise ClientCheckFailed(
            f"openapi-python-client failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    package = created[0].name
    if not package.isidentifier():
        raise ClientCheckFailed(
            f"the title {schema['info']['title']!r} gives the package name {package!r}, "
            "which Python cannot import"
        )
    return package


def _rrn(rng: random.Random) -> str:
    """A fresh 주민등록번호 with a valid check digit (a man born 1975-2000)."""
    birth = dt.date(1975, 1, 1) + dt.timedelta(days=rng.randrange(26 * 365))
    head = f"{birth:%y%m%d}1{rng.randrange(100_000):05d}"
    check = (11 - sum(int(c) * w for c, w in zip(head, RRN_WEIGHTS, strict=True)) % 11) % 10
    return head + str(check)


def _import(package: str, module: str) -> ModuleType:
    return importlib.import_module(f"{package}.{module}")


def _hire(package: str, base_url: str, token: str) -> Any:
    client_module = _import(package, "client")
    models = _import(package, "models")
    list_workplaces = _import(package, "api.workplaces.v1_workplaces_list")
    file_report = _import(package, "api.reports.v1_workplaces_reports_create")
    get_report = _import(package, "api.reports.v1_reports_retrieve")

    client = client_module.AuthenticatedClient(
        base_url=base_url.rstrip("/"), token=token, prefix="Token", timeout=TIMEOUT
    )
    workplaces = list_workplaces.sync_detailed(client=client)
    if workplaces.status_code != 200 or not workplaces.parsed:
        raise ClientCheckFailed(
            f"listing workplaces answered {workplaces.status_code}: {workplaces.content[:300]!r}"
        )
    workplace_id = workplaces.parsed[0].id

    body = models.HireRequest(
        kind=models.HireKindEnum.HIRE,
        employee=models.EmployeeIn(
            name="김민준", rrn=_rrn(random.SystemRandom()), nationality="KR", visa=None
        ),
        hire_date=dt.date.today() - dt.timedelta(days=3),
        monthly_wage=3_000_000,
        employment_type=models.EmploymentTypeEnum.REGULAR,
        weekly_hours="40",
        job_code="024",
        contract_end=None,
    )
    filed = file_report.sync_detailed(
        workplace_id, client=client, body=body, idempotency_key=str(uuid.uuid4())
    )
    if filed.status_code != 201 or not isinstance(filed.parsed, models.Report):
        raise ClientCheckFailed(
            f"the hire was refused ({filed.status_code}): {filed.content[:500].decode(errors='replace')}"
        )
    report = filed.parsed
    if report.kind != "hire" or report.workplace_id != workplace_id:
        raise ClientCheckFailed(f"unexpected report in the answer: {report.to_dict()}")

    detail = get_report.sync_detailed(report.id, client=client)
    if detail.status_code != 200 or getattr(detail.parsed, "id", None) != report.id:
        raise ClientCheckFailed(f"reading report {report.id} back answered {detail.status_code}")
    return detail.parsed


def client_check(base_url: str, token: str) -> None:
    """Generate a client from the portal at `base_url` and file one hire with it; raise on failure."""
    schema = _schema_fetch(base_url, token)
    with tempfile.TemporaryDirectory(prefix="client-check-") as tmp:
        package = client_generate(schema, Path(tmp))
        sys.path.insert(0, tmp)
        try:
            report = _hire(package, base_url, token)
        finally:
            sys.path.remove(tmp)
            for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
                del sys.modules[name]
    print(
        f"client_check: generated {package}, filed hire report {report.id} "
        f"(status {report.status}, {len(report.submissions)} submissions)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("PORTAL_BASE_URL"))
    parser.add_argument("--token", default=os.environ.get("PORTAL_API_TOKEN"))
    args = parser.parse_args()
    if not args.base_url or not args.token:
        parser.error("give --base-url and --token (or PORTAL_BASE_URL and PORTAL_API_TOKEN)")
    try:
        client_check(args.base_url, args.token)
    except ClientCheckFailed as exc:
        print(f"client_check failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
