"""Light and dark looks for the figures the server draws (matplotlib rc settings, no pyplot).

The pages show the version that matches the reader's theme, so a plot never sits as a white
block on a dark page or as grey-on-dark text on a light one. Series colours are chosen to keep
3:1 against their background and text 4.5:1 (WCAG AA) in both looks.

Labels come in the reader's language: matplotlib falls back glyph by glyph to a Japanese font
found on the machine (fonts-ipafont-gothic, `make cjk-font`); without one, `cjk_font()` is None
and the caller draws the labels in English rather than as empty boxes."""

import functools
import logging
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

# Families that cover Japanese, in order of preference, and the file names they ship as.
CJK_FAMILIES = (
    "IPAexGothic",
    "IPAGothic",
    "IPAPGothic",
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "TakaoGothic",
    "VL Gothic",
)
CJK_FILES = ("ipaexg", "ipag", "ipagp", "notosanscjk", "notosansjp", "takaogothic", "vl-gothic")
# Languages whose script DejaVu Sans (matplotlib's default) does not cover.
NEEDS_CJK = {"ja"}

THEMES = {
    "light": {
        "face": "#ffffff",
        "ink": "#1d1b19",
        "muted": "#6b625a",
        "grid": "#d9d0c7",
        "series": ["#0072b2", "#c0510a", "#00845f", "#b3478c", "#6b4fa0"],
    },
    "dark": {
        "face": "#201a17",
        "ink": "#ece5df",
        "muted": "#b5aa9f",
        "grid": "#4a3f38",
        "series": ["#56b4e9", "#f0a04b", "#4fd1a5", "#f08fc7", "#b49cf0"],
    },
}


def theme_name(value: object) -> str:
    """A known theme name; anything else is the light one."""
    return value if value in THEMES else "light"


@functools.cache
def cjk_font() -> str | None:
    """The family name of a Japanese font matplotlib can draw with, or None. Looks in
    matplotlib's font list first, then among the system's font files (a font installed after
    matplotlib built its cache is added); never downloads anything."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    for path in sorted(font_manager.findSystemFonts()):
        if (
            Path(path)
            .stem.lower()
            .replace("-", "")
            .startswith(tuple(f.replace("-", "") for f in CJK_FILES))
        ):
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name()
            except (OSError, RuntimeError, ValueError):  # an unreadable file: try the next
                continue
    logger.warning("no Japanese font for plots: Japanese plot labels are drawn in English")
    return None


def plot_language(language: str | None) -> str:
    """The language a plot's labels can be drawn in here: the asked one, or English when its
    script needs a font the machine lacks."""
    language = (language or "en").split("-")[0]
    if language in NEEDS_CJK and cjk_font() is None:
        return "en"
    return language


@contextmanager
def plot_style(theme: str = "light"):
    """rc settings for figures created and saved inside the block."""
    from cycler import cycler
    from matplotlib import rc_context

    t = THEMES[theme_name(theme)]
    cjk = cjk_font()
    with rc_context(
        {
            # Families, not the generic "sans-serif": matplotlib falls back glyph by glyph only
            # along this list.
            "font.family": ["DejaVu Sans", *([cjk] if cjk else [])],
            "figure.facecolor": t["face"],
            "savefig.facecolor": t["face"],
            "axes.facecolor": t["face"],
            "axes.edgecolor": t["muted"],
            "axes.labelcolor": t["ink"],
            "axes.titlecolor": t["ink"],
            "axes.prop_cycle": cycler(color=t["series"]),
            "grid.color": t["grid"],
            "text.color": t["ink"],
            "xtick.color": t["ink"],
            "ytick.color": t["ink"],
            "legend.facecolor": t["face"],
            "legend.edgecolor": t["grid"],
            "legend.labelcolor": t["ink"],
        }
    ):
        yield t
