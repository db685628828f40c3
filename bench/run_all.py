"""`make bench`: run every benchmark script in turn; each prints its own figures and targets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = [
    "fanout.py",
    "premiums.py",
    "periods.py",
    "files.py",
    "certificates.py",
    "pages.py",
    "api.py",
    "chaos.py",
    "peak.py",
]


def main() -> int:
    only = sys.argv[1:]
    failures = 0
    for name in ORDER:
        script = HERE / name
        if not script.exists() or (only and name.removesuffix(".py") not in only):
            continue
        print(f"\n=== bench/{name} ===", flush=True)
        failures += subprocess.call([sys.executable, str(script)]) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
