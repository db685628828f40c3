"""Korean fonts for certificates: a pre-subset NanumGothic with the full font as fallback.

WeasyPrint spends most of a one-page Korean render subsetting the 4.7 MB system font
while writing the PDF. Cutting the font down once, to the glyphs a certificate prints
(KS X 1001 Hangul and symbols, ASCII), makes that step cheap. A subset silently loses
rare syllables and Hanja, so the CSS stack names the full font second: Pango falls back
per character, and only documents that need it pay for embedding the big font.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont

# Bump when the glyph set or subset options change, so old cache files are not reused.
GLYPHSET_VERSION = "1"

SUBSET_FAMILY = "CertNanum"
FULL_FAMILY = "CertNanumFull"
# Names fontconfig may know when the full Nanum file was not found by path.
SYSTEM_FALLBACK_FAMILIES = ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "UnDotum")

FONT_PACKAGE_HINT = (
    "NanumGothic is not installed. On Debian/Ubuntu install the 'fonts-nanum' package "
    "(apt-get install fonts-nanum), or set CERT_FONT_REGULAR_PATH / CERT_FONT_BOLD_PATH."
)

_FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
)

# Ranges outside KS X 1001 that forms and tables commonly use; glyphs the font lacks
# are simply skipped by the subsetter.
_EXTRA_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1: ·, ×, °
    (0x1100, 0x11FF),  # Hangul jamo
    (0x2000, 0x206F),  # general punctuation: ‧, ※, –, —
    (0x2100, 0x218F),  # letterlike and number forms: №, ℡, Ⅰ
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed alphanumerics: ①
    (0x2500, 0x257F),  # box drawing: ─
    (0x25A0, 0x25FF),  # geometric shapes: ○, ●, □, ■
    (0x2600, 0x26FF),  # misc symbols: ☎, ☆
    (0x3000, 0x303F),  # CJK symbols: 「」, ideographic space
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0x3200, 0x32FF),  # enclosed CJK: ㈜
    (0xFF01, 0xFFEF),  # full-width forms
)


class CertificateFontMissing(RuntimeError):
    """The Korean source font is not installed, so no certificate can be drawn."""


@dataclass(frozen=True)
class FontPair:
    regular: Path
    bold: Path


@dataclass(frozen=True)
class CertFonts:
    subset: FontPair
    full: FontPair


def ksx1001_codepoints() -> frozenset[int]:
    """Every KS X 1001 character except Hanja: 2,350 Hangul syllables plus its symbols."""
    points: set[int] = set()
    for lead in range(0xA1, 0xFF):
        if 0xCA <= lead <= 0xFD:  # Hanja rows: left to the full-font fallback
            continue
        for trail in range(0xA1, 0xFF):
            try:
                char = bytes((lead, trail)).decode("euc_kr")
            except UnicodeDecodeError:
                continue
            points.update(ord(c) for c in char)
    return frozenset(points)


def subset_codepoints() -> frozenset[int]:
    points = set(ksx1001_codepoints())
    for first, last in _EXTRA_RANGES:
        points.update(range(first, last + 1))
    return frozenset(points)


def _setting(name: str) -> str | None:
    # Font helpers also run from plain scripts (benchmarks) where Django is not set up.
    try:
        from django.conf import settings

        return getattr(settings, name, None) or None
    except Exception:
        return None


def _fc_match(pattern: str) -> Path | None:
    fc_match = shutil.which("fc-match")
    if not fc_match:
        return None
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell, pattern is a constant
        [fc_match, "-f", "%{file}", pattern],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    path = Path(result.stdout.strip())
    # fc-match always answers with *some* font; only accept the Nanum file itself.
    name_ok = path.name.startswith("NanumGothic") and "Coding" not in path.name
    if result.returncode == 0 and name_ok and path.is_file():
        return path
    return None


def _find_font(file_name: str, fc_pattern: str, setting_name: str) -> Path:
    configured = _setting(setting_name)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise CertificateFontMissing(f"{setting_name} points to a missing file: {path}")
        return path
    for font_dir in _FONT_DIRS:
        if font_dir.is_dir():
            for path in font_dir.rglob(file_name):
                if path.is_file():
                    return path
    found = _fc_match(fc_pattern)
    if found and (fc_pattern.endswith(":bold") == ("Bold" in found.name)):
        return found
    raise CertificateFontMissing(FONT_PACKAGE_HINT)


def system_fonts_find() -> FontPair:
    """The full NanumGothic regular and bold files; raises CertificateFontMissing."""
    return FontPair(
        regular=_find_font("NanumGothic.ttf", "NanumGothic", "CERT_FONT_REGULAR_PATH"),
        bold=_find_font("NanumGothicBold.ttf", "NanumGothic:bold", "CERT_FONT_BOLD_PATH"),
    )


def cache_dir() -> Path:
    configured = _setting("CERT_FONT_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / "cert-fonts"


def _source_key(source: Path) -> str:
    digest = hashlib.sha256(GLYPHSET_VERSION.encode())
    with source.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def font_subset_build(*, source: Path, target: Path) -> Path:
    """Write a subset of `source` to `target` atomically (safe with several workers)."""
    options = ft_subset.Options()
    options.hinting = False  # WeasyPrint drops hinting anyway; it is a third of the file
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = ["*"]
    # VTT hinting sources: useless in a PDF and fontTools would only warn about them.
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]
    font = TTFont(source, lazy=True)
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(subset_codepoints()))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(handle)
    try:
        font.save(temp_name)
        os.replace(temp_name, target)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    return target


def _subset_path(source: Path) -> Path:
    return cache_dir() / f"{source.stem}-subset-{_source_key(source)}.ttf"


def _ensure_subset(source: Path) -> Path:
    target = _subset_path(source)
    if not target.is_file():
        font_subset_build(source=source, target=target)
    return target


_lock = threading.Lock()
_cached: CertFonts | None = None


def cert_fonts_ensure(*, rebuild: bool = False) -> CertFonts:
    """Find the system fonts and build (once) their subsets; cached per process."""
    global _cached
    with _lock:
        if _cached is not None and not rebuild:
            return _cached
        full = system_fonts_find()
        if rebuild:
            for source in (full.regular, full.bold):
                font_subset_build(source=source, target=_subset_path(source))
        subset = FontPair(regular=_ensure_subset(full.regular), bold=_ensure_subset(full.bold))
        _cached = CertFonts(subset=subset, full=full)
        return _cached


def _face(family: str, path: Path, weight: str) -> str:
    return (
        f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); '
        f"font-weight: {weight}; font-style: normal; }}\n"
    )


def font_face_css(fonts: CertFonts, *, use_subset: bool = True) -> str:
    """@font-face rules plus the body font stack: subset first, full font second."""
    rules = [
        _face(FULL_FAMILY, fonts.full.regular, "normal"),
        _face(FULL_FAMILY, fonts.full.bold, "bold"),
    ]
    families = [FULL_FAMILY]
    if use_subset:
        rules += [
            _face(SUBSET_FAMILY, fonts.subset.regular, "normal"),
            _face(SUBSET_FAMILY, fonts.subset.bold, "bold"),
        ]
        families.insert(0, SUBSET_FAMILY)
    stack = ", ".join(f'"{name}"' for name in (*families, *SYSTEM_FALLBACK_FAMILIES))
    rules.append(f"html {{ font-family: {stack}, sans-serif; }}\n")
    return "".join(rules)
