"""Light and dark looks for the figures the server draws (matplotlib rc settings, no pyplot).

The pages show the version that matches the reader's theme, so a plot never sits as a white
block on a dark page or as grey-on-dark text on a light one. Series colours are chosen to keep
3:1 against their background and text 4.5:1 (WCAG AA) in both looks."""

from contextlib import contextmanager

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


@contextmanager
def plot_style(theme: str = "light"):
    """rc settings for figures created and saved inside the block."""
    from cycler import cycler
    from matplotlib import rc_context

    t = THEMES[theme_name(theme)]
    with rc_context(
        {
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
