"""Loss curves of a training history as PNG: matplotlib only, so pages draw them without torch."""

import io
from collections.abc import Mapping, Sequence


def plot_losses(
    history: Sequence[Mapping], title: str = "training losses", *, theme: str = "light"
) -> bytes:
    """PNG bytes of every loss-like series in the history against step (Agg, no pyplot state),
    in the light or dark look of the pages."""
    from synthesis.ml.plot_theme import plot_style

    if not history:
        raise ValueError("no history to plot")
    with plot_style(theme):
        return _plot(history, title)


def _plot(history: Sequence[Mapping], title: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    steps = [h["step"] for h in history]
    for key in ("loss_d", "loss_g", "loss_l1", "d_real", "d_fake"):
        if key in history[0]:
            axes.plot(steps, [h[key] for h in history], label=key, linewidth=1)
    axes.set_xlabel("step")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
