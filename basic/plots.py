"""The few plotting and bookkeeping helpers the companion notebooks share.

* ``figures_folder``: where a notebook writes. ``None`` (every notebook's default) is a scratch folder,
  ``out/scratch/figures``; only ``runall.sh`` passes the published ``figures/``, so interactive runs,
  hand-run papermill and nbval never rewrite the published figures.
* ``save_figure``: write a figure as PNG (+ PDF), atomically, with reproducible metadata, and show it inline
  (a small PNG tagged with the figure's name) when running in a notebook.
* ``save_table``: a DataFrame as CSV + Markdown (no extra dependency).
* ``record`` / ``write_summary``: each notebook records its key numbers; ``runall.sh`` gathers them into
  figures/summary.md and figures/summary.csv.
* ``sweep_plot``: results against one parameter (Fig. 6, Fig. E4).
* ``retrieval_strip``: a query, its text and its top results with positives / hard negatives marked.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .fileio import atomic_write

METRIC_LABEL = {"mmAP": "mmAP (%)", "mAP": "mAP (%)", "minmAP": "minmAP (%)"}
REPO = Path(__file__).resolve().parent.parent
#: Where notebooks write unless told otherwise (git-ignored ``out/``).
SCRATCH = REPO / "out" / "scratch" / "figures"
#: Resolution of the files in figures/ and of the PNG shown inline (kept small: notebooks are committed).
FILE_DPI, INLINE_DPI = 130, 72
#: Key of the inline image's metadata that names the saved figure (tests match it with the files).
FIGURE_KEY = "basic_figure"


class Written(list):
    """The paths a save wrote (a list); a notebook cell ending with a save shows nothing (no machine paths)."""

    def _ipython_display_(self):
        pass


def figures_folder(figures_dir=None) -> Path:
    """The folder a notebook writes its figures, tables and records into: ``figures_dir``, or the scratch
    folder ``out/scratch/figures`` when it is None (the notebooks' default; runall.sh passes figures/)."""
    return SCRATCH if figures_dir is None else Path(figures_dir)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def save_figure(fig, name: str, figures_dir=None, pdf: bool = True, show: bool = True) -> Written:
    """Save ``fig`` as figures_dir/name.png (and .pdf) and show it inline; ``name`` says which paper figure
    it regenerates. In a notebook the figure appears as a PNG at INLINE_DPI whose output metadata carries
    ``{"basic_figure": name}``; the figure is then closed (so it is not drawn twice)."""
    folder = figures_folder(figures_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = Written()
    for ext, meta in (("png", {"Software": None}), ("pdf", {"CreationDate": None, "Producer": None,
                                                           "Creator": None})):
        if ext == "pdf" and not pdf:
            continue
        path = folder / f"{name}.{ext}"
        atomic_write(path, lambda f: fig.savefig(f, format=ext, dpi=FILE_DPI, bbox_inches="tight", metadata=meta),
                     binary=True)
        written.append(path)
    if show and _in_notebook():
        import io

        from IPython.display import Image, display
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=INLINE_DPI, bbox_inches="tight", metadata={"Software": None})
        display(Image(data=buffer.getvalue(), format="png"), metadata={FIGURE_KEY: name})
    if show:
        import matplotlib.pyplot as plt
        plt.close(fig)
    return written


def markdown_table(frame: pd.DataFrame, floatfmt: str = "{:.2f}") -> str:
    """A GitHub Markdown table of ``frame`` (index included when it is named)."""
    frame = frame.reset_index() if frame.index.name or isinstance(frame.index, pd.MultiIndex) else frame

    def cell(v):
        if isinstance(v, (float, np.floating)):
            return "" if np.isnan(v) else floatfmt.format(v)
        return str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(frame[c]) else "---" for c in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows]) + "\n"


def save_table(frame: pd.DataFrame, name: str, figures_dir=None, note: str | None = None) -> Written:
    """Write figures_dir/name.csv and name.md (``note``, e.g. the paper column's source, under the table)."""
    folder = figures_folder(figures_dir)
    folder.mkdir(parents=True, exist_ok=True)
    csv, md = folder / f"{name}.csv", folder / f"{name}.md"
    atomic_write(csv, lambda f: frame.to_csv(f, index=bool(frame.index.name), float_format="%.4f"))
    atomic_write(md, lambda f: f.write(markdown_table(frame) + (f"\n{note}\n" if note else "")))
    return Written([csv, md])


# ----------------------------------------------------------------------------- key numbers
def record(notebook: str, rows, figures_dir=None, profile: str = "tiny") -> None:
    """Record a notebook's key numbers: rows of dicts with ``quantity``, ``ours`` and optionally ``paper``.

    They land in figures_dir/results/NOTEBOOK.csv; ``write_summary`` gathers every notebook's.
    """
    frame = pd.DataFrame(list(rows))
    if "paper" not in frame:
        frame["paper"] = np.nan
    frame.insert(0, "notebook", notebook)
    frame.insert(1, "profile", profile)
    folder = figures_folder(figures_dir) / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.csv"
    atomic_write(path, lambda f: frame[["notebook", "profile", "quantity", "ours", "paper"]]
                 .to_csv(f, index=False, float_format="%.4f"))


def write_summary(figures_dir="figures", notebooks_done=None) -> pd.DataFrame:
    """Gather figures_dir/results/*.csv into figures_dir/summary.csv and summary.md."""
    folder = Path(figures_dir)
    parts = sorted((folder / "results").glob("*.csv"))
    if notebooks_done is not None:
        parts = [p for p in parts if p.stem in set(notebooks_done)]
    frame = pd.concat([pd.read_csv(p) for p in parts], ignore_index=True) if parts else pd.DataFrame(
        columns=["notebook", "profile", "quantity", "ours", "paper"])
    atomic_write(folder / "summary.csv", lambda f: frame.to_csv(f, index=False, float_format="%.4f"))
    profiles = sorted(set(frame.profile)) if len(frame) else []
    lines = ["# Results summary\n",
             f"Profile: {', '.join(profiles) or '-'}. Generated by `runall.sh` from the notebooks' records "
             "(figures/results/*.csv). AP numbers are percentages."]
    if "tiny" in profiles:
        lines.append("**These are the tiny world's numbers**, not the paper's: the paper column shows the "
                     "paper's i-CIR (CLIP ViT-L/14) values only for orientation.")
    lines.append("A blank paper cell means the paper's number was not transcribed (docs/paper.md).\n")
    lines.append(markdown_table(frame, floatfmt="{:.4g}"))
    atomic_write(folder / "summary.md", lambda f: f.write("\n".join(lines)))
    return frame


# ----------------------------------------------------------------------------- plots
def sweep_plot(frame: pd.DataFrame, x: str, ys="mmAP", ax=None, label=None, xlabel=None, marker="o",
               best=True, scale: float = 100.0, min_span: float = 5.0, **kw):
    """Metric(s) against one parameter from a ``basic.retrieval.sweep`` frame; the best value is marked.

    The y-axis fits the values but spans at least ``min_span`` (points), so that differences of a fraction of
    a point do not look like large effects."""
    import matplotlib.pyplot as plt
    ax = ax or plt.gca()
    ys = [ys] if isinstance(ys, str) else list(ys)
    for y in ys:
        values = frame[y].to_numpy() * scale
        lab = label if (label and len(ys) == 1) else (f"{label} {y}" if label else y)
        line, = ax.plot(frame[x], values, marker=marker, label=lab, **kw)
        if best:
            i = int(np.nanargmax(values))
            ax.plot([frame[x].iloc[i]], [values[i]], marker="*", ms=14, color=line.get_color(), ls="none")
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(METRIC_LABEL.get(ys[0], ys[0]) if len(ys) == 1 else "%")
    ax.grid(alpha=0.3)
    lo, hi = ax.get_ylim()
    if hi - lo < min_span:
        middle = (lo + hi) / 2
        ax.set_ylim(middle - min_span / 2, middle + min_span / 2)
    return ax


def _load_image(path):
    if path is None:
        return None
    try:
        from PIL import Image
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except (OSError, ImportError):
        return None


STATUS_COLOUR = {"positive": "tab:green", "hard negative": "tab:red", "other": "tab:grey", "query": "tab:blue"}


def retrieval_strip(axes, dataset, query: pd.Series, items: pd.DataFrame, status, titles=None) -> None:
    """One row of axes: the query image + text, then database items framed by status.

    ``dataset``: a ``basic.datasets.Labels`` (images drawn when it has a root, else a labelled box);
    ``items``: database label rows; ``status``: 'positive' / 'hard negative' / 'other' per item.
    ``titles``: one title per item; by default '#rank text', for items given in rank order.
    """
    if titles is None:
        titles = [f"#{k + 1} {row.text if row.text not in ('-', 'none', '') else Path(row.path).stem}"
                  for k, row in enumerate(items.itertuples(index=False))]
    entries = [(query.path, f"query\n{query.instance}\n+ \"{query.text}\"", "query")]
    entries += [(row.path, title, s) for row, title, s in zip(items.itertuples(index=False), titles, status)]
    for ax, (path, title, s) in zip(axes, entries):
        img = _load_image(dataset.image_path(path))
        if img is not None:
            ax.imshow(img)
        else:
            ax.text(0.5, 0.5, Path(path).name, ha="center", va="center", fontsize=7, transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_edgecolor(STATUS_COLOUR[s])
            spine.set_linewidth(4 if s != "other" else 1)
        ax.set_title(title, fontsize=7, color=STATUS_COLOUR[s] if s != "other" else "black")
