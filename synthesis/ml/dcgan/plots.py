"""Loss curves of a training history as PNG: matplotlib only, so pages draw them without torch.
Labels go through the `gettext` the caller passes, so the page's language is drawn."""

import io
from collections.abc import Callable, Mapping, Sequence


def gettext_noop(message: str) -> str:
    """Marks a label for the catalogues (makemessages knows this name); drawn through gettext."""
    return message


def _english(message: str) -> str:
    return message


SERIES = {
    "loss_d": gettext_noop("discriminator loss"),
    "loss_g": gettext_noop("generator loss"),
    "loss_l1": gettext_noop("L1 reconstruction loss"),
    "d_real": gettext_noop("D(real): discriminator score on real images"),
    "d_fake": gettext_noop("D(fake): discriminator score on generated images"),
}


def plot_losses(
    history: Sequence[Mapping],
    title: str = "training losses",
    *,
    theme: str = "light",
    gettext: Callable[[str], str] = _english,
) -> bytes:
    """PNG bytes of every loss-like series in the history against step (Agg, no pyplot state),
    in the light or dark look of the pages."""
    from synthesis.ml.plot_theme import plot_style

    if not history:
        raise ValueError("no history to plot")
    with plot_style(theme):
        return _plot(history, title, gettext)


def _plot(history: Sequence[Mapping], title: str, gettext) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    steps = [h["step"] for h in history]
    for key, label in SERIES.items():
        if key in history[0]:
            axes.plot(steps, [h[key] for h in history], label=gettext(label), linewidth=1)
    axes.set_xlabel(gettext("training step"))
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
