"""The paper's own numbers, as data with their source, and the sentences that set ours beside them.

The numbers live in ``basic/data/paper_numbers.csv`` (one row per fact: ``key``, ``source`` (the table or
figure of Psomas et al., NeurIPS 2025), ``quantity``, ``value``, ``unit``, ``preset`` (the ``basic.config``
preset that computes the same row, where there is one)). They were read from the paper's full text; i-CIR
numbers are mmAP in %, CLIP ViT-L/14. What the paper gives that is not here (SigLIP columns, Fig. 5
categories, Fig. E4 sweeps) was not transcribed: we never invent numbers.

The ``*_statement`` functions write the "paper vs here" sentence after a result from the computed values
only, so that they stay true whatever the numbers are (the tiny world changes; so may the code).

    >>> from basic import paper
    >>> paper.value("figE5.latency_ms")
    70.96
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

CSV = Path(__file__).resolve().parent / "data" / "paper_numbers.csv"
CITATION = "Psomas et al., Instance-Level Composed Image Retrieval, NeurIPS 2025 (arXiv 2510.25387)"
SETTING = "i-CIR, CLIP ViT-L/14"
#: Table 2's cumulative ladder, in the paper's order (letters of ``basic.config.components``).
LADDER = ("", "C", "CM", "CMH", "CMHX", "CMHXP", "CMHXPQ")
#: A change smaller than this (in the numbers' unit, e.g. mmAP points) reads as "unchanged".
FLAT = 0.05


@lru_cache(maxsize=1)
def numbers() -> pd.DataFrame:
    """Every transcribed number, indexed by key (a copy is cheap: callers may modify it)."""
    frame = pd.read_csv(CSV, dtype={"preset": "string"}, keep_default_na=False)
    frame["value"] = frame["value"].astype(float)
    if frame.key.duplicated().any():
        raise ValueError(f"{CSV}: duplicate keys {sorted(frame.key[frame.key.duplicated()])}")
    return frame.set_index("key")


def value(key: str) -> float:
    """One number of the paper, by key (e.g. ``table1.basic``, ``fig6.composition_gain``)."""
    try:
        return float(numbers().loc[key, "value"])
    except KeyError:
        raise KeyError(f"no paper number {key!r} in {CSV.name}; keys: {', '.join(numbers().index)}") from None


def source(key: str) -> str:
    """Where a number comes from: the table or figure, and the paper."""
    row = numbers().loc[key]
    return f"{CITATION}, {row.source}"


def table1() -> pd.DataFrame:
    """Table 1's i-CIR column: method, preset, paper_mmAP (7 rows: five baselines, BASIC, BASIC without QE)."""
    rows = numbers().loc[lambda f: f.index.str.startswith("table1.")]
    frame = pd.DataFrame({"method": rows.quantity.to_numpy(), "preset": rows.preset.astype(str).to_numpy(),
                          "paper_mmAP": rows.value.to_numpy()})
    frame.attrs["source"] = f"{CITATION}, Table 1, {SETTING}"
    return frame


def table2() -> pd.DataFrame:
    """Table 2, the cumulative ladder: letters ('' = none), step, paper_mmAP, in the paper's order."""
    frame = pd.DataFrame([{"letters": letters, "step": numbers().loc[f"table2.{letters or 'none'}", "quantity"],
                           "paper_mmAP": value(f"table2.{letters or 'none'}")} for letters in LADDER])
    frame.attrs["source"] = f"{CITATION}, Table 2, {SETTING}"
    return frame


# ----------------------------------------------------------------------------- the sentences
def direction(before: float, after: float, flat: float = FLAT) -> str:
    """'up', 'down' or 'flat' (|after − before| < flat)."""
    delta = float(after) - float(before)
    if abs(delta) < flat:
        return "flat"
    return "up" if delta > 0 else "down"


_VERB = {"up": "rises", "down": "falls", "flat": "stays level"}


def agreement(ours: str, theirs: str) -> str:
    """How two directions relate, in words."""
    if ours == theirs:
        return "the same way as in the paper" if ours != "flat" else "level, as in the paper"
    if "flat" in (ours, theirs):
        return "unlike the paper, where it moves" if ours == "flat" else "unlike the paper, where it stays level"
    return "the opposite way to the paper"


def change_statement(what: str, ours: tuple[float, float], paper: tuple[float, float], unit: str = "mmAP",
                     flat: float = FLAT) -> str:
    """'Here <what> takes mmAP from a to b (±d); in the paper from c to e (±f): the same way / opposite.'"""
    (a, b), (c, e) = ours, paper
    mine, theirs = direction(a, b, flat), direction(c, e, flat)
    return (f"**Paper vs here.** {what}: here {unit} {_VERB[mine]}, {a:.2f} → {b:.2f} ({b - a:+.2f}); "
            f"in the paper ({SETTING}) it {_VERB[theirs]}, {c:.2f} → {e:.2f} ({e - c:+.2f}): "
            f"{agreement(mine, theirs)}.")


def value_statement(what: str, ours: float, paper: float, unit: str = "", digits: int = 2,
                    comparable: bool = False) -> str:
    """'<what>: here x, in the paper y.' plus whether the two can be compared in size."""
    u = f" {unit}" if unit else ""
    side = "" if comparable else (" The two come from different data and models: compare signs and order, "
                                  "not sizes.")
    relation = "equal to" if round(ours, digits) == round(paper, digits) else (
        "above" if ours > paper else "below")
    return (f"**Paper vs here.** {what}: here {ours:.{digits}f}{u}, in the paper {paper:.{digits}f}{u} "
            f"({SETTING}); ours is {relation} the paper's.{side}")


def ranking_statement(ours: dict, paper: dict, what: str = "methods") -> str:
    """Compare two orderings of the same methods: the best one, and how many pairs are in the same order."""
    names = [n for n in ours if n in paper]
    if len(names) < 2:
        raise ValueError("ranking_statement needs at least two methods present in both")
    best_ours = max(names, key=lambda n: ours[n])
    best_paper = max(names, key=lambda n: paper[n])
    pairs = [(x, y) for i, x in enumerate(names) for y in names[i + 1:]]
    same = sum((ours[x] - ours[y]) * (paper[x] - paper[y]) > 0 for x, y in pairs)
    best = (f"the best of these {what} is {best_ours} both here and in the paper" if best_ours == best_paper
            else f"the best of these {what} is {best_ours} here but {best_paper} in the paper")
    return (f"**Paper vs here.** On mmAP, {best}; {same} of the {len(pairs)} pairs of {what} are ordered as in "
            f"the paper ({SETTING}).")
