"""A throwaway database for a benchmark: created beside DATABASE_URL's, migrated, dropped."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql


def _admin_connection(url: str) -> psycopg2.extensions.connection:
    parts = urlsplit(url)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    return connection


def database_create_from_env() -> str:
    """A throwaway database beside DATABASE_URL's (which must be PostgreSQL); its URL."""
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        sys.exit("DATABASE_URL must point at a PostgreSQL server (postgres://...).")
    return database_create(base_url)


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def database_create(url: str) -> str:
    parts = urlsplit(url)
    base = parts.path.lstrip("/") or "portal"
    name = f"{base}_{secrets.token_hex(4)}"
    # Not `with connection:` -- psycopg2 would open a transaction, and CREATE DATABASE refuses.
    connection = _admin_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_drop(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    connection = _admin_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def django_setup(url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
