"""What every picture milkrun draws has in common, so that it goes into a report unedited.

- Axis labels say what is measured and in what unit, from the declarations (`declared_label`:
  `CO₂ (kg/year)`).
- The title is wrapped, and if need be shrunk, until it fits the canvas (`fit_title`).
- A legend stands beside the panels, outside every axes (`legend_beside`), so it never covers
  data.
- Colours come from a qualitative palette with one colour per series (`palette`); a figure with
  more series than that palette tells apart draws the few that matter in colour and the rest in
  grey (`GREY`).
- The artist that draws a data series carries the gid `series` (`SERIES`; more artists of the
  same series `series part`): what tests/test_figures.py reads to count series and colours and
  to find where the data lie.

Each plotting function builds a matplotlib Figure (`..._figure`) and a second one saves it
(`save`), so a figure can be inspected before it is written.
"""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

SERIES = "series"
SERIES_PART = "series part"  # more artists of a series already counted (its points beside its line)
GREY = "0.62"
DPI = 110


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def new_figure(rows: int = 1, cols: int = 1, width: float = 6.4, height: float = 4.8):
    """(figure, 2-D array of axes) laid out by matplotlib's constrained layout, which keeps the
    title, the labels and a legend beside the panels inside the canvas."""
    fig, axes = pyplot().subplots(rows, cols, figsize=(width, height), dpi=DPI, squeeze=False, layout="constrained")
    return fig, axes


def palette(n: int) -> list:
    """n colours: tab10 up to 10 series, tab20 up to 20; beyond 20 the colours repeat."""
    plt = pyplot()
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(k % cmap.N) for k in range(n)]


def tag(*artists, part: bool = False) -> None:
    """Mark artists as drawing a data series (see SERIES); `part`: more of a series already tagged."""
    for a in artists:
        for one in (a if isinstance(a, (list, tuple)) else [a]):
            one.set_gid(SERIES_PART if part else SERIES)


def fit_title(fig, text: str, fontsize: float = 12.0):
    """The figure's title, wrapped at word boundaries until every line fits the canvas's width,
    and shrunk (down to 7 pt) when one word alone is too wide. Returns the Text."""
    avail = fig.bbox.width * 0.96
    chars = max(16, int(avail / (0.6 * fontsize * fig.dpi / 72)))  # a first guess, checked below
    t = fig.suptitle(_wrap(text, chars), fontsize=fontsize)
    renderer = fig.canvas.get_renderer()
    for _ in range(8):
        width = t.get_window_extent(renderer).width
        if width <= avail:
            break
        shorter = max(8, int(chars * avail / width) - 1)
        if shorter < chars and _wrap(text, shorter) != t.get_text():
            chars = shorter
            t.set_text(_wrap(text, chars))
        elif t.get_fontsize() > 7:
            t.set_fontsize(max(7.0, t.get_fontsize() * 0.9))
        else:
            break
    return t


def _wrap(text: str, chars: int) -> str:
    return "\n".join(textwrap.fill(line, chars, break_long_words=False) or line for line in text.split("\n"))


def legend_beside(fig, handles=None, labels=None, title: str | None = None, fontsize: float = 8, **kw):
    """One legend for the figure, to the right of its top-right panel, outside every axes (the
    constrained layout makes room for it), its top level with the panels' top, below the title."""
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    if handles is None:
        handles, labels = [], []
        for ax in panels:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
    if not handles or not panels:
        return None
    corner = max(panels, key=lambda ax: (ax.get_position().y1, ax.get_position().x1))
    return corner.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.03, 1.0), borderaxespad=0.0,
                         fontsize=fontsize, title=title, title_fontsize=fontsize, **kw)


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 route`, `2 routes`."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def figure_label(name: str, doc: str | None = None, unit: str | None = None, sense: str | None = None) -> str:
    """How an axis names a declaration: its description (else its name) and its unit, `CO₂ (kg/year)`;
    with neither, its name and, for an objective, its sense, `co2 (min)`."""
    text = doc or name
    if unit:
        return f"{text} ({unit})"
    if doc:
        return text
    return f"{name} ({sense})" if sense else name


def declared_label(ir, name: str) -> str:
    """The axis label of any declaration of a checked model. An objective: its description and unit
    (`figure_label`: `CO₂ (kg/year)`). A kpi, parameter or variable: its name, the first clause of its
    description, its unit: `utilisation: installed capacity in use (%)`, `yield_per_cow: L per cow and
    year` (the description alone is often a unit in words, and says too little without the name).
    A name the model does not declare stands as it is."""
    sym = ir.symbols.get(name)
    if sym is None:
        return name
    decl = sym.decl
    doc, unit = getattr(decl, "doc", None), getattr(decl, "unit", None)
    if sym.kind == "objective":
        return figure_label(name, doc, unit, "max" if decl.sense == "maximize" else "min")
    clause = re.split(r"[:;]| \(", doc, maxsplit=1)[0].strip() if doc else ""
    text = f"{name}: {clause}" if clause else name
    return f"{text} ({unit})" if unit else text


def save(fig, path: Path) -> Path:
    """Write the figure (PNG by the suffix) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    pyplot().close(fig)
    return path
