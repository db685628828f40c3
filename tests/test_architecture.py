"""The house's floors: which module may import which (DEVELOPERS' architecture, issue "one house")."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "filings", "agencies", "premiums", "certificates", "notifications")
SHELL = ("portal.web", "portal.api", "portal.admin", "portal.management", "portal.urls")
PROJECT = ("portal.settings", "portal.wsgi", "portal.urls", "portal.celery")


def _modules() -> dict[str, set[str]]:
    """module name -> the modules it imports (absolute names only)."""
    found: dict[str, set[str]] = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            imports: set[str] = set()
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    imports.add(node.module)
                    imports.update(f"{node.module}.{alias.name}" for alias in node.names)
                elif isinstance(node, ast.Import):
                    imports.update(alias.name for alias in node.names)
            found[name] = imports
    return found


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _is_shell(name: str) -> bool:
    parts = name.split(".")
    # api_<topic> modules (filings.api_history, ...) are API views split out of api.py.
    return _under(name, SHELL) or any(
        p in ("views", "forms", "api", "api_urls", "urls", "admin", "api_schema")
        or p.startswith("api_")
        for p in parts[1:2]
    )


def test_the_portal_core_imports_no_app_and_no_shell() -> None:
    for module, imports in _modules().items():
        if not module.startswith("portal") or _is_shell(module) or _under(module, PROJECT):
            continue
        wrong = {i for i in imports if _under(i, APPS[1:]) or _under(i, SHELL)} - {"portal"}
        assert not wrong, f"{module} (core) imports {sorted(wrong)}"


def test_no_service_selector_model_or_task_imports_a_view_a_form_or_the_api_shell() -> None:
    for module, imports in _modules().items():
        if _is_shell(module) or _under(module, PROJECT) or module.endswith("management"):
            continue
        if ".management." in module:
            continue
        wrong = {i for i in imports if _under(i, ("portal.web", "portal.api")) or _is_shell(i)}
        wrong = {i for i in wrong if i.split(".")[0] in APPS}
        assert not wrong, f"{module} imports the shell: {sorted(wrong)}"


def test_filings_never_imports_notifications_premiums_or_certificates() -> None:
    for module, imports in _modules().items():
        if module.startswith("filings"):
            wrong = {i for i in imports if _under(i, ("notifications", "premiums", "certificates"))}
            assert not wrong, f"{module} imports {sorted(wrong)}"
