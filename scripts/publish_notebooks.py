#!/usr/bin/env python
"""Copy executed notebooks (papermill's output) back into notebooks/, cleaned, so that the committed notebooks
carry the tiny profile's outputs (figures inline) and a reader sees them without running anything.

    python scripts/publish_notebooks.py out/tiny            # ./runall.sh (tiny) calls this at the end

Cleaning makes the result depend only on the code and the data, not on the run: papermill's injected
parameters cell, its timing metadata and stderr output (warnings, progress) are dropped, and only the
kernel's name is kept from the run's metadata; consecutive chunks of one stream are merged (their split
depends on timing). A notebook is rewritten only when its content changed, and its
paired .py source (jupytext) keeps the newer time stamp. Cells must equal the committed notebook's cells.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # run from anywhere: the repository's basic
from basic.fileio import atomic_write  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
KEEP_NOTEBOOK_METADATA = ("jupytext", "kernelspec")


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """An executed notebook without what changes from run to run or from machine to machine."""
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    meta = {k: nb.metadata[k] for k in KEEP_NOTEBOOK_METADATA if k in nb.metadata}
    meta["language_info"] = {"name": "python"}
    nb.metadata = nbformat.from_dict(meta)
    for cell in nb.cells:
        tags = cell.metadata.get("tags")
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        if cell.cell_type == "code":
            outputs = []
            for o in cell.outputs:
                if o.output_type == "stream" and o.name == "stderr":
                    continue
                if o.output_type == "stream" and outputs and outputs[-1].output_type == "stream" \
                        and outputs[-1].name == o.name:        # how a stream is chunked depends on timing
                    outputs[-1].text += o.text
                    continue
                outputs.append(o)
            cell.outputs = outputs
    return nb


def publish(executed: Path, into: Path = NOTEBOOKS) -> bool:
    """Write the cleaned ``executed`` notebook over into/<same name>; return whether it changed."""
    target = into / executed.name
    if not target.is_file():
        raise SystemExit(f"publish_notebooks: {target} does not exist; only existing notebooks are published")
    new = clean(nbformat.read(executed, as_version=4))
    old = nbformat.read(target, as_version=4)
    if [(c.cell_type, c.source) for c in new.cells] != [(c.cell_type, c.source) for c in old.cells]:
        raise SystemExit(f"publish_notebooks: the cells of {executed} differ from {target}; run ./runall.sh on "
                         "the current notebooks (after `jupytext --sync notebooks/*.py`)")
    text = nbformat.writes(new) + "\n"
    if target.read_text(encoding="utf-8") == text:
        return False
    atomic_write(target, lambda f: f.write(text.encode("utf-8")), binary=True)
    source = target.with_suffix(".py")
    if source.is_file():
        os.utime(source)          # the text source stays the newer of the pair (jupytext)
    return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("executed", type=Path, help="folder of executed notebooks (runall.sh's OUTDIR)")
    ap.add_argument("--into", type=Path, default=NOTEBOOKS, help="where the committed notebooks are")
    args = ap.parse_args(argv)
    paths = sorted(args.executed.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        print(f"publish_notebooks: no executed notebooks in {args.executed}", file=sys.stderr)
        return 1
    changed = [p.name for p in paths if publish(p, args.into)]
    print(f"notebooks: {len(changed)} of {len(paths)} updated with their outputs"
          + (f" ({', '.join(changed)})" if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
