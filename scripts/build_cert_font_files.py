"""Rebuild certificates/font_files/CertGothic-{Regular,Bold}.ttf from NanumGothic.

The project ships these two files so that certificates render on a machine without Korean fonts.
They are NanumGothic (SIL Open Font License 1.1) cut down to certificates.fonts.shipped_codepoints()
without hinting, and renamed: NanumGothic is a Reserved Font Name, which a modified version
(a subset is one) may not carry. The copyright and licence notices stay in the name table, and
OFL.txt beside the files carries the licence.

Source: Debian's fonts-nanum package, unpacked without installing it:

    apt-get download fonts-nanum
    dpkg-deb -x fonts-nanum_*.deb nanum
    .venv/bin/python scripts/build_cert_font_files.py nanum/usr/share/fonts/truetype/nanum
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from certificates.fonts import (  # noqa: E402
    FONT_DIR,
    font_save_atomic,
    font_subset,
    shipped_codepoints,
)

SOURCES = {"Regular": "NanumGothic.ttf", "Bold": "NanumGothicBold.ttf"}
FAMILY = "CertGothic"  # the files' own name; the CSS gives each @font-face its own family
DESCRIPTION = (
    "CertGothic is NanumGothic by NAVER Corporation (Sandoll Communications), subset to Hangul, "
    "KS X 1001 and common symbols and renamed for sabo-portal certificates. "
    "It is a Modified Version under the SIL Open Font License 1.1."
)
OFL_NOTICE = "This Font Software is licensed under the SIL Open Font License, Version 1.1."
OFL_URL = "https://openfontlicense.org"
# Names that carry the original family (reserved) or that no longer describe the file.
RENAMED_IDS = {1, 2, 3, 4, 6, 7, 10, 13, 14, 16, 17, 18, 20, 21, 22}


def _rename(font: TTFont, style: str, version: str) -> None:
    table = font["name"]
    table.names = [r for r in table.names if r.nameID not in RENAMED_IDS]
    # Keep the copyright (0), version (5), vendor (8), designers (9) and URLs (11, 12) as they were.
    postscript = f"{FAMILY}-{style}"
    names = {
        1: FAMILY,
        2: style,
        3: f"{version};{postscript}",
        4: f"{FAMILY} {style}",
        6: postscript,
        10: DESCRIPTION,
        13: OFL_NOTICE,
        14: OFL_URL,
    }
    for name_id, text in names.items():
        table.setName(text, name_id, 3, 1, 0x409)  # Windows, Unicode BMP, English
        table.setName(text, name_id, 1, 0, 0)  # Macintosh, Roman, English
    # Korean-language records of the original (나눔고딕) that survive are designers only; drop
    # every non-English record so that no localized name disagrees with the new family.
    table.names = [r for r in table.names if r.langID in (0, 0x409)]
    if "CFF " in font:  # not in NanumGothic, but keep a future OTF source honest
        raise SystemExit("CFF fonts carry the family name in CFF too; not handled")


def build(source_dir: Path, out_dir: Path) -> list[Path]:
    written = []
    codepoints = shipped_codepoints()
    for style, file_name in SOURCES.items():
        font = TTFont(source_dir / file_name)
        version = font["name"].getDebugName(5) or ""
        font_subset(font, codepoints)
        _rename(font, style, version.split(";")[0].removeprefix("Version ").strip())
        target = out_dir / f"{FAMILY}-{style}.ttf"
        font_save_atomic(font, target)
        written.append(target)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", type=Path, help="folder holding NanumGothic.ttf and Bold")
    parser.add_argument("--out", type=Path, default=FONT_DIR)
    args = parser.parse_args()
    for path in build(args.source_dir, args.out):
        cmap = TTFont(path, lazy=True).getBestCmap()
        print(f"{path.name}: {path.stat().st_size // 1024} KiB, {len(cmap)} characters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
