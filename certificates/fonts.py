"""Korean fonts for certificates: shipped with the project, no system font needed.

certificates/font_files/ holds CertGothic Regular and Bold: NanumGothic (SIL Open Font License
1.1, see OFL.txt there) cut down to what a Korean certificate prints (all 11,172 Hangul
syllables, KS X 1001 Hanja and symbols, ASCII, Latin-1, CJK punctuation, full-width forms) and
renamed, because the licence reserves the name NanumGothic for unmodified copies.
scripts/build_cert_font_files.py rebuilds them from Debian's fonts-nanum package.

WeasyPrint spends much of a one-page Korean render on the font it embeds. So the renderer cuts
the shipped font down once more, per machine, to KS X 1001's 2,350 syllables and symbols (what
almost every certificate uses) and names that small font first in the CSS stack; the shipped font
comes second. Pango falls back per character, so only a document with a rare syllable (똠, 햏)
or Hanja embeds the larger font.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont

# Bump when the glyph set or subset options change, so old cache files are not reused.
GLYPHSET_VERSION = "2"

FONT_DIR = Path(__file__).resolve().parent / "font_files"
SHIPPED_REGULAR = FONT_DIR / "CertGothic-Regular.ttf"
SHIPPED_BOLD = FONT_DIR / "CertGothic-Bold.ttf"

# CSS families of the two tiers. Both must differ from the files' own family (CertGothic), and
# from each other's: WeasyPrint adds the CSS family in front of the file's own names rather than
# replacing them, so a CSS family equal to a file's own name would match both tiers.
SUBSET_FAMILY = "CertGothicCommon"
FULL_FAMILY = "CertGothicFull"

HANGUL_SYLLABLES = (0xAC00, 0xD7A3)

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
    """The shipped font files are missing (an incomplete checkout), so nothing can be drawn."""


@dataclass(frozen=True)
class FontPair:
    regular: Path
    bold: Path


@dataclass(frozen=True)
class CertFonts:
    subset: FontPair
    full: FontPair


def _ksx1001(*, hanja: bool) -> frozenset[int]:
    points: set[int] = set()
    for lead in range(0xA1, 0xFF):
        if not hanja and 0xCA <= lead <= 0xFD:  # the Hanja rows
            continue
        for trail in range(0xA1, 0xFF):
            try:
                char = bytes((lead, trail)).decode("euc_kr")
            except UnicodeDecodeError:
                continue
            points.update(ord(c) for c in char)
    return frozenset(points)


def ksx1001_codepoints() -> frozenset[int]:
    """Every KS X 1001 character except Hanja: 2,350 Hangul syllables plus its symbols."""
    return _ksx1001(hanja=False)


def _with_extras(points: Iterable[int]) -> frozenset[int]:
    result = set(points)
    for first, last in _EXTRA_RANGES:
        result.update(range(first, last + 1))
    return frozenset(result)


def subset_codepoints() -> frozenset[int]:
    """The per-machine small font: KS X 1001 without Hanja, plus the extra ranges."""
    return _with_extras(ksx1001_codepoints())


def shipped_codepoints() -> frozenset[int]:
    """The shipped font: every Hangul syllable, all of KS X 1001 (with its 4,888 Hanja), extras."""
    first, last = HANGUL_SYLLABLES
    return _with_extras({*_ksx1001(hanja=True), *range(first, last + 1)})


def _setting(name: str) -> str | None:
    # Font helpers also run from plain scripts (benchmarks) where Django is not set up.
    try:
        from django.conf import settings

        return getattr(settings, name, None) or None
    except Exception:
        return None


def shipped_fonts() -> FontPair:
    """The CertGothic files that come with the project; raises CertificateFontMissing."""
    pair = FontPair(regular=SHIPPED_REGULAR, bold=SHIPPED_BOLD)
    for path in (pair.regular, pair.bold):
        if not path.is_file():
            raise CertificateFontMissing(
                f"{path.name} is missing from {FONT_DIR}: restore it from the repository "
                "(or rebuild it with scripts/build_cert_font_files.py)."
            )
    return pair


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


def subset_options() -> ft_subset.Options:
    options = ft_subset.Options()
    options.hinting = False  # WeasyPrint drops hinting anyway; it is a third of the file
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = ["*"]
    # VTT hinting sources: useless in a PDF and fontTools would only warn about them.
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]
    return options


def font_subset(font: TTFont, codepoints: Iterable[int]) -> TTFont:
    """Cut `font` down (in place) to `codepoints`; the font's glyphs for others are dropped."""
    subsetter = ft_subset.Subsetter(subset_options())
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    return font


def font_save_atomic(font: TTFont, target: Path) -> Path:
    """Write `font` to `target` atomically (safe with several workers)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(handle)
    try:
        font.save(temp_name)
        os.chmod(temp_name, 0o644)  # mkstemp makes it private; a font is not a secret
        os.replace(temp_name, target)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    return target


def font_subset_build(*, source: Path, target: Path) -> Path:
    """Write the small per-machine subset of `source` to `target`."""
    font = font_subset(TTFont(source, lazy=True), subset_codepoints())
    return font_save_atomic(font, target)


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
    """The shipped fonts and (built once per machine) their small subsets; cached per process."""
    global _cached
    with _lock:
        if _cached is not None and not rebuild:
            return _cached
        full = shipped_fonts()
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
    """@font-face rules plus the body font stack: small subset first, shipped font second."""
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
    stack = ", ".join(f'"{name}"' for name in families)
    rules.append(f"html {{ font-family: {stack}, sans-serif; }}\n")
    return "".join(rules)
