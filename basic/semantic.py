"""Semantic-level CIR beside instance-level: the FREEDOM protocol, its four datasets, and the tiny semantic world.

The paper's Table 1 also scores BASIC on four *semantic-level* (domain-conversion) benchmarks: ImageNet-R,
MiniDomainNet, NICO++ and LTLL, with the protocol of FREEDOM (Efthymiadis et al., *Composed Image Retrieval
for Training-FREE DOMain Conversion*, WACV 2025; GitHub ``NikosEfth/freedom``):

* a query is an image of a class in one (source) domain plus a text naming another (target) domain; every
  query image is asked for every target domain other than its own;
* there is one global database per dataset, and a database image is a positive when it shows the query's
  class in the target domain (nothing else is excluded: where the queries are database images too, as in
  ImageNet-R and LTLL, the query's own image stays in the database, a negative since its domain differs);
* AP is the trapezoidal AP of Radenović et al. (``basic.metrics``' default), mAP is taken per
  (source, target) domain pair over that pair's queries, and the number a table reports is the mean over the
  pairs (FREEDOM's ``average`` row of its per-target columns): ``domain_pair_map``.

A semantic features folder stores the class in the label column ``instance`` and the (target) domain in
``text`` (database rows: the image's own domain; query rows: the asked domain), so ``basic.search`` in
global-database mode finds exactly these positives. Its ``meta.json`` says ``"database": "global"`` and
``"candidates": "all"`` (the defaults of ``python -m basic evaluate`` for that folder: every row scored
exactly, as FREEDOM does) and holds each query's source domain
(``meta["semantic"]``) for the per-pair mean.

The datasets (their files, fetching and extraction) are in ``basic.freedom``; this module holds the protocol,
the registry entries and the tiny semantic variant (the tiny world scored at category level).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import REPO, Dataset, DatasetError, Labels, get_dataset, register_dataset
from .features import Features, is_features_folder

PROTOCOL = "FREEDOM domain conversion (Efthymiadis et al., WACV 2025)"
NEGATIVE_TEXT = "-"                       # the tiny world's label for a database row of no queried condition


# ----------------------------------------------------------------------------- the protocol
def expand_queries(domains: list[str], source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FREEDOM's queries: each query image once per target domain other than its own.

    ``source``: the domain of each query image. Returns (image row, target domain) per query, ordered by
    source domain, then target domain (both in ``domains`` order), then image row."""
    source = np.asarray(source, dtype=object)
    unknown = sorted(set(source) - set(domains))
    if unknown:
        raise ValueError(f"query images of domain(s) {unknown} not among the dataset's domains {domains}")
    rows, targets = [], []
    for s in domains:
        mine = np.flatnonzero(source == s)
        for t in domains:
            if t != s and len(mine):
                rows.append(mine)
                targets.append(np.full(len(mine), t, dtype=object))
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, object)
    return np.concatenate(rows), np.concatenate(targets)


def semantic_features(query_image: np.ndarray, queries: pd.DataFrame, db_image: np.ndarray,
                      database: pd.DataFrame, domains: list[str], domain_text: dict, domain_context: dict | None,
                      *, dataset: str, meta: dict | None = None, **assets) -> Features:
    """A features folder's content for a semantic dataset.

    queries / database: one row per image with columns ``path``, ``domain``, ``cls``; query_image /
    db_image: their features in that order. ``domain_text`` / ``domain_context``: the text feature (and its
    contextualised version, X) of each domain name. ``assets``: corpus_pos, corpus_neg, image_mean,
    synthetic_image, synthetic_text... as ``Features`` takes them."""
    image_row, target = expand_queries(domains, queries["domain"].to_numpy())
    q = queries.iloc[image_row]
    q_labels = pd.DataFrame({"instance": q["cls"].to_numpy(), "text": target, "path": q["path"].to_numpy()})
    db_labels = pd.DataFrame({"instance": database["cls"].to_numpy(), "text": database["domain"].to_numpy(),
                              "path": database["path"].to_numpy()})
    missing = sorted(set(domains) - set(domain_text))
    if missing:
        raise ValueError(f"no text feature for domain(s) {missing}")
    text = np.stack([domain_text[t] for t in target]) if len(target) else np.zeros((0, db_image.shape[1]), np.float32)
    context = None
    if domain_context is not None:
        context = np.stack([domain_context[t] for t in target]) if len(target) else text
    code = {d: i for i, d in enumerate(domains)}
    info = {"protocol": PROTOCOL, "dataset": dataset, "domains": list(domains),
            "query_source": [code[s] for s in q["domain"]]}
    meta = {**(meta or {}), "level": "semantic", "database": "global", "candidates": "all", "semantic": info}
    return Features(query_image=np.asarray(query_image)[image_row], query_text=text, query_text_context=context,
                    db_image=db_image, queries=q_labels, database=db_labels, meta=meta, **assets)


def is_semantic(features: Features) -> bool:
    return isinstance(features.meta.get("semantic"), dict)


def query_domains(features: Features) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) domain name of every query of a semantic features folder."""
    info = features.meta.get("semantic")
    if not isinstance(info, dict) or "query_source" not in info:
        raise ValueError("these features are not a semantic (FREEDOM-protocol) folder: meta.json has no "
                         "'semantic' entry; build them with basic.freedom or basic.semantic")
    domains = np.asarray(info["domains"], dtype=object)
    codes = np.asarray(info["query_source"], dtype=np.int64)
    if len(codes) != len(features.queries):
        raise ValueError(f"meta.json's semantic.query_source has {len(codes)} entries for "
                         f"{len(features.queries)} queries: the folder is inconsistent; extract it again")
    return domains[codes], features.queries["text"].to_numpy()


def domain_pair_table(features: Features, ap) -> pd.DataFrame:
    """mAP (in %) of every (source, target) domain pair: rows source, columns target (FREEDOM's table)."""
    source, target = query_domains(features)
    frame = pd.DataFrame({"source": source, "target": target, "ap": 100 * np.asarray(ap, float)})
    table = frame.pivot_table(index="source", columns="target", values="ap", aggfunc="mean")
    order = [d for d in features.meta["semantic"]["domains"]]
    return table.reindex(index=[d for d in order if d in table.index], columns=[d for d in order if d in table.columns])


def domain_pair_map(features: Features, ap) -> float:
    """The number FREEDOM and the paper report: the mean over (source, target) pairs of each pair's mAP, in %."""
    table = domain_pair_table(features, ap)
    values = table.to_numpy()
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def per_target_map(features: Features, ap) -> pd.Series:
    """FREEDOM's README columns: for each target domain, the mean over source domains of the pair mAP (%)."""
    return domain_pair_table(features, ap).mean(axis=0)


def report_rows(features: Features, result) -> list[tuple[str, str]]:
    """Rows the command line adds for a semantic folder (empty for any other)."""
    if not is_semantic(features):
        return []
    per_target = per_target_map(features, result.ap)
    return [("domain-pair mAP (FREEDOM; the paper's semantic columns)", f"{domain_pair_map(features, result.ap):.2f}"),
            ("per target domain", ", ".join(f"{d} {v:.2f}" for d, v in per_target.items()))]


def default_database(features: Features) -> str:
    """The database a folder is evaluated with unless told: its meta's ``database`` (else i-CIR's per instance)."""
    value = features.meta.get("database", "instance")
    return value if value in ("instance", "global") else "instance"


# ----------------------------------------------------------------------------- the tiny semantic variant
def tiny_database_labels(features: Features, root: str | os.PathLike | None) -> pd.DataFrame:
    """Category-level labels of the tiny world's database: what each image *shows*.

    An i-CIR database row is labelled for its own instance's queries only (hard negatives and distractors get
    '-'); at the semantic level a textual hard negative (another mug, in the snow) is a positive for "a mug in
    the snow". The tiny world's ``manifest.csv`` says, for every database image, the instance it shows and the
    condition it is rendered under; without it the build plan (deterministic, no pixels) says the same."""
    from .tinyworld.world import CONDITIONS
    text_of = {c.key: c.text for c in CONDITIONS}
    manifest = Path(root) / "manifest.csv" if root else None
    if manifest is not None and manifest.is_file():
        m = pd.read_csv(manifest, dtype=str, keep_default_na=False)
        shown = dict(zip(m.path, m.shown_instance))
        cond = dict(zip(m.path, m.condition))
    else:
        from .tinyworld.build import plan
        _, database, _ = plan()
        shown = {d["path"]: d["shown"] for d in database}
        cond = {d["path"]: d["condition"] for d in database}
    paths = features.database["path"].to_numpy()
    missing = [p for p in paths if p not in shown]
    if missing:
        raise DatasetError(f"{len(missing)} tiny database images (e.g. {missing[0]}) are not in "
                           f"{manifest or 'the build plan'}: the features and the tiny world disagree; rebuild "
                           "with `python -m basic.tinyworld build --overwrite`")
    shows = np.array([shown[p] for p in paths], dtype=object)
    conds = np.array([cond[p] for p in paths], dtype=object)
    category = np.array([s.split("_", 1)[0] for s in shows], dtype=object)
    text = np.array([text_of.get(c, NEGATIVE_TEXT) for c in conds], dtype=object)
    return pd.DataFrame({"instance": category, "text": text, "path": paths})


def tiny_semantic(features: Features, root: str | os.PathLike | None) -> Features:
    """The tiny world scored at category level, in memory: same queries, same images, one global database;
    a positive is any image of the query's category under the asked condition (whichever instance)."""
    queries = features.queries.assign(instance=[i.split("_", 1)[0] for i in features.queries.instance])
    database = tiny_database_labels(features, root)
    conditions = sorted(set(queries.text))
    info = {"protocol": "tiny world at category level: query = an object image (neutral) + a condition; "
                        "positives = any instance of its category under that condition; one global database",
            "dataset": "tiny_semantic", "domains": ["neutral"] + conditions,
            "query_source": [0] * len(queries)}
    meta = {**features.meta, "level": "semantic", "database": "global", "candidates": "all", "semantic": info,
            "dataset": "tiny-semantic", "derived_from": features.meta.get("dataset_version", "tiny world")}
    return features.replace(queries=queries, database=database, meta=meta)


# ----------------------------------------------------------------------------- registry entries
class SemanticDataset(Dataset):
    """A FREEDOM-protocol benchmark read from a features folder extracted beforehand (``basic.freedom``).

    A subclass names itself (``name``: also FREEDOM's name for it and its figures/ sub-folder), its ``title``
    and its ``domains`` (as the note says them); the note follows from those."""
    level = "semantic"
    database = "global"
    default_backbone = "clip"
    title = ""
    domains = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.figures_subdir = cls.name                         # figures/NAME/
        cls.note = (f"{cls.title} under FREEDOM's protocol ({cls.domains}): our numbers, next to the official "
                    "code's README where it gives them.")

    def default_data_dir(self) -> Path:
        env = f"BASIC_{self.name.upper()}_FEATURES"
        return Path(os.environ.get(env) or REPO / "features" / self.name / "clip")

    def missing_message(self, folder: Path, backbone: str | None) -> str:
        from . import freedom
        return (f"no {self.name} features in {folder}. Fetch the dataset and extract its features first "
                f"(a GPU is advised; docs/realpath.md):\n"
                f"    python -m basic.freedom fetch {self.name}\n"
                f"    python -m basic.freedom extract {self.name} --backbone {backbone or 'clip'} --out {folder}\n"
                f"{freedom.manual_note(self.name)}"
                f"then pass data_dir= (papermill: -p data_dir ...) or set $BASIC_{self.name.upper()}_FEATURES")

    def labels(self) -> Labels:
        features = self.load_features()
        root = features.meta.get("root")
        return Labels(Path(root) if root and Path(root).is_dir() else None, features.queries, features.database)


@register_dataset
class ImageNetR(SemanticDataset):
    name, title, domains = "imagenet_r", "ImageNet-R", "5 domains: cartoon, origami, photo, sculpture, toy"


@register_dataset
class MiniDomainNet(SemanticDataset):
    name, title, domains = "minidn", "MiniDomainNet", "4 domains: clipart, painting, photo, sketch"


@register_dataset
class NICO(SemanticDataset):
    name, title, domains = "nico", "NICO++", "6 contexts: autumn, dimlight, grass, outdoor, rock, water"


@register_dataset
class LTLL(SemanticDataset):
    name, title, domains = "ltll", "LTLL", "2 domains: Today, Archive"


@register_dataset
class TinySemantic(Dataset):
    """The tiny world at category level: built offline from the tiny world's features (a relabelling: same
    images, same features; labels from what each image shows), cached in its own folder."""
    name = "tiny_semantic"
    level = "semantic"
    database = "global"
    default_backbone = "tiny"
    figures_subdir = None          # OUTDIR/figures: `./runall.sh tiny` publishes both levels (notebook 13)
    note = ("The TINY WORLD scored at category level (any instance of the query's category under the asked "
            "condition is a positive; one global database): our numbers only, compare trends, not values.")

    def default_data_dir(self) -> Path:
        """Beside the tiny world's own features (so it follows $BASIC_DATA_DIR), or $BASIC_TINY_SEMANTIC_DIR."""
        from .datasets import TINY_VERSION
        return Path(os.environ.get("BASIC_TINY_SEMANTIC_DIR")
                    or get_dataset("tiny").data_dir / TINY_VERSION / "features" / "tiny_semantic")

    def features_dir(self, backbone: str | None = None) -> Path:
        return self.data_dir

    def prepare(self) -> Path:
        tiny = get_dataset("tiny")
        source = tiny.prepare()
        out = self.features_dir()
        from .features import features_file
        stamp = f"{Path(source).resolve()} @ {features_file(source).stat().st_mtime_ns}"
        if is_features_folder(out) and Features.load(out).meta.get("built_from") == stamp:
            return out
        features = tiny_semantic(Features.load(source), tiny.root)
        features.meta["built_from"] = stamp
        features.save(out)
        return out


# ----------------------------------------------------------------------------- the paper's semantic columns
SEMANTIC_DATASETS = ("imagenet_r", "nico", "minidn", "ltll")        # the order of the paper's Table 1
SEMANTIC_NAMES = {cls.name: cls.title for cls in (ImageNetR, NICO, MiniDomainNet, LTLL)}


def paper_semantic() -> pd.DataFrame:
    """The paper's semantic-level numbers (mAP %, CLIP ViT-L/14) as the official code's README lists Table 1:
    one row per method (columns method, preset, then one per dataset); ``attrs['source']`` says where from.
    Methods without a preset here (FREEDOM) keep an empty preset."""
    from . import paper
    rows = paper.numbers().loc[lambda f: f.index.str.startswith("semantic.")]
    key = rows.index.str.split(".")
    frame = pd.DataFrame({"dataset": key.str[1], "row": key.str[2], "method": rows.quantity.to_numpy(),
                          "preset": rows.preset.astype(str).to_numpy(), "value": rows.value.to_numpy()})
    table = frame.pivot_table(index=["row", "method", "preset"], columns="dataset", values="value", sort=False)
    table = table.reset_index().drop(columns="row")[["method", "preset", *SEMANTIC_DATASETS]]
    table.columns.name = None
    table.attrs["source"] = (f"{paper.CITATION}, Table 1 (semantic-level columns, CLIP ViT-L/14), as listed in the "
                             "official code's README, GitHub billpsomas/icir")
    return table


# ----------------------------------------------------------------------------- both levels, for the notebook
METHODS = (("Text", "text"), ("Image", "image"), ("Text + Image", "sum"), ("Text × Image", "product"),
           ("WeiCom", "weicom"), ("BASIC", "basic"), ("BASIC† (no query expansion)", "ablation-CMHXP"))


def levels(profile: str = "tiny", data_dir=None, backbone: str | None = None) -> dict:
    """The instance-level and the semantic-level features a profile offers, and a sentence on what is missing.

    tiny: the tiny world and its category-level relabelling (in memory); tiny_semantic: the same two;
    a semantic dataset (imagenet_r, minidn, nico, ltll): its features at the semantic level only; any other
    instance-level dataset (icir, golden): the instance level only (no categories to score at)."""
    from .datasets import TinyWorld
    ds = get_dataset(profile, data_dir)
    out = {"instance": None, "semantic": None, "semantic_name": None, "message": ""}
    if isinstance(ds, TinySemantic) or isinstance(ds, TinyWorld):
        tiny = ds if isinstance(ds, TinyWorld) else get_dataset("tiny")
        out["instance"] = tiny.load_features(backbone)
        out["semantic"] = tiny_semantic(out["instance"], tiny.root)
        out["semantic_name"] = "tiny world, category level"
    elif ds.level == "semantic":
        out["semantic"] = ds.load_features(backbone)
        out["semantic_name"] = SEMANTIC_NAMES.get(ds.name, ds.name)
        out["message"] = (f"profile {profile!r} is a semantic-level dataset: there is no instance level to set beside "
                          "it here (run the tiny profile for both levels on the same images).")
    else:
        out["instance"] = ds.load_features(backbone)
        out["message"] = (f"profile {profile!r} has no categories to score at the semantic level, so the semantic "
                          "part is skipped: only the instance level and the paper's semantic columns are shown "
                          "(the tiny profile builds both levels from the same images).")
    return out


def evaluate_levels(features: dict, presets) -> pd.DataFrame:
    """For each preset: the instance level's mmAP and mAP (i-CIR's protocol) and the semantic level's
    domain-pair mAP and mAP (FREEDOM's protocol, exhaustive global search), in %. NaN where a level is absent."""
    from .retrieval import evaluate
    from .search import SearchOptions, build_index, evaluate_search, make_problem
    rows = []
    sem = features.get("semantic")
    options = SearchOptions(database="global", candidates=None)
    problem = make_problem(sem, options) if sem is not None else None
    index = build_index(problem.rows, problem.index_start, options) if sem is not None else None
    for name in presets:
        row = {"preset": name}
        if features.get("instance") is not None:
            r = evaluate(features["instance"], name)
            row.update(instance_mmAP=100 * r.mmAP, instance_mAP=100 * r.mAP)
        if sem is not None:
            r = evaluate_search(sem, name, options, index=index, problem=problem)
            row.update(semantic_pair_mAP=domain_pair_map(sem, r.ap), semantic_mAP=100 * r.mAP)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("instance_mmAP", "instance_mAP", "semantic_pair_mAP", "semantic_mAP"):
        if column not in frame:
            frame[column] = np.nan
    return frame


def positives_per_query(features: Features) -> float:
    """Mean number of database rows sharing a query's label and text (its positives, at either level)."""
    counts = features.database.groupby(["instance", "text"]).size()
    q = features.queries
    return float(np.mean([counts.get((i, t), 0) for i, t in zip(q.instance, q.text)])) if len(q) else float("nan")


def level_sizes(level: dict) -> pd.DataFrame:
    """Queries, database rows, what a query ranks and its positives, per level present."""
    rows = []
    for name, key, ranks in (("instance level (i-CIR protocol)", "instance", "its instance's rows"),
                             (f"semantic level ({level['semantic_name']})", "semantic", "one global database")):
        f = level[key]
        if f is not None:
            rows.append({"level": name, "queries": len(f.queries), "database rows": len(f.database),
                         "a query ranks": ranks, "positives per query": positives_per_query(f),
                         "labels": f.queries.instance.nunique()})
    return pd.DataFrame(rows).set_index("level")


def methods_table(level: dict) -> pd.DataFrame:
    """Table 1's methods on both levels (ours, %) beside the paper's i-CIR column and semantic columns."""
    from . import paper
    reference = paper_semantic()
    presets = [p for _, p in METHODS]
    ours = evaluate_levels(level, presets)
    icir = dict(zip(paper.table1().preset, paper.table1().paper_mmAP))
    table = pd.DataFrame({"method": [m for m, _ in METHODS],
                          "ours: instance mmAP": ours.instance_mmAP.to_numpy(),
                          "ours: semantic mAP": ours.semantic_pair_mAP.to_numpy(),
                          "paper: i-CIR mmAP": [icir.get(p, np.nan) for p in presets]})
    for ds in SEMANTIC_DATASETS:
        values = dict(zip(reference.preset, reference[ds]))
        table[f"paper: {SEMANTIC_NAMES[ds]}"] = [values.get(p, np.nan) for p in presets]
    table["paper: semantic mean"] = table[[f"paper: {SEMANTIC_NAMES[d]}" for d in SEMANTIC_DATASETS]].mean(axis=1).round(2)
    table.attrs["source"] = (f"Paper columns: i-CIR from {paper.table1().attrs['source']}; semantic columns from "
                             f"{reference.attrs['source']}. A blank cell: no number is known for it here.")
    return table


def ladder_table(level: dict) -> pd.DataFrame:
    """Table 2's cumulative ladder on both levels (ours, %) and each step's change, beside the paper's i-CIR
    column; the paper's semantic-level ladder is not given (blank)."""
    from . import paper
    steps = paper.table2()
    ours = evaluate_levels(level, [f"ablation-{letters or 'none'}" for letters in steps.letters])
    ladder = pd.DataFrame({"step": steps.step.to_numpy(), "letters": [x or "—" for x in steps.letters],
                           "ours: instance mmAP": ours.instance_mmAP.to_numpy(),
                           "ours: semantic mAP": ours.semantic_pair_mAP.to_numpy(),
                           "paper: i-CIR mmAP": steps.paper_mmAP.to_numpy(), "paper: semantic": np.nan})
    for col, name in (("ours: instance mmAP", "Δ instance mmAP"), ("ours: semantic mAP", "Δ semantic mAP"),
                      ("paper: i-CIR mmAP", "Δ i-CIR mmAP (paper)")):
        ladder[name] = ladder[col].diff()
    ladder.attrs["source"] = (f"Paper column: {steps.attrs['source']}. The paper's semantic-level ladder is not "
                              "given: blank.")
    return ladder


def baselines_statement(table: pd.DataFrame) -> str:
    """How far apart the levels are, method by method, from the computed table (and the paper's columns)."""
    by = table.set_index("method")
    parts = []
    for col, what in (("ours: instance mmAP", "At the instance level"), ("ours: semantic mAP", "at the semantic level")):
        if by[col].notna().all():
            best = by[col].idxmax()
            parts.append(f"{what} the best method here is {best} ({by.loc[best, col]:.1f}); Text × Image reaches "
                         f"{by.loc['Text × Image', col]:.1f} and the better single modality "
                         f"{max(by.loc['Text', col], by.loc['Image', col]):.1f}")
    text = "; ".join(parts) + "." if parts else ""
    if by["ours: instance mmAP"].notna().all() and by["ours: semantic mAP"].notna().all():
        gap = by["ours: semantic mAP"] - by["ours: instance mmAP"]
        text += (f" On the same queries and images the semantic level scores higher for {int((gap > 0).sum())} of "
                 f"the {len(gap)} methods; the levels are furthest apart for {gap.idxmax()} ({gap.max():+.1f} points) "
                 f"and closest for {gap.idxmin()} ({gap.min():+.1f}).")
    p, i = by["paper: semantic mean"], by["paper: i-CIR mmAP"]
    qe = lambda with_q, without: "helps" if with_q > without else "hurts"  # noqa: E731
    text += (f" **Paper.** Averaged over its four semantic datasets, Text × Image reaches {p['Text × Image']:.2f} "
             f"mAP and BASIC {p['BASIC']:.2f}; on i-CIR {i['Text × Image']:.2f} and {i['BASIC']:.2f} mmAP. There, "
             f"query expansion {qe(p['BASIC'], p['BASIC† (no query expansion)'])} at the semantic level and "
             f"{qe(i['BASIC'], i['BASIC† (no query expansion)'])} on i-CIR. Different images and models: compare "
             "directions, not sizes.")
    return text


def components_statement(ladder: pd.DataFrame, flat: float = 0.05) -> str:
    """Which components help or hurt at each level (steps of the ladder), from the computed table."""
    out = []
    for col, what in (("Δ instance mmAP", "instance level"), ("Δ semantic mAP", "semantic level")):
        d = ladder.set_index("letters")[col].iloc[1:]
        if d.notna().all():
            helps = [f"{k[-1]} ({v:+.1f})" for k, v in d.items() if v > flat]
            hurts = [f"{k[-1]} ({v:+.1f})" for k, v in d.items() if v < -flat]
            out.append(f"At the **{what}** the largest step is {d.idxmax()[-1]} ({d.max():+.1f}); components that "
                       f"help: {', '.join(helps) or 'none'}; that hurt: {', '.join(hurts) or 'none'}.")
    both = ladder[["Δ instance mmAP", "Δ semantic mAP"]].iloc[1:]
    if both.notna().all().all():
        a, b = np.sign(both.iloc[:, 0].round(1)), np.sign(both.iloc[:, 1].round(1))
        out.append(f"The two levels agree on the direction of {int((a == b).sum())} of the {len(both)} steps.")
    d = ladder.set_index("letters")["Δ i-CIR mmAP (paper)"].iloc[1:]
    lower = [f"{k[-1]} ({v:+.2f})" for k, v in d.items() if v < 0]
    out.append(f"**Paper (i-CIR).** The largest step is {d.idxmax()[-1]} ({d.max():+.2f}); steps that lower mmAP: "
               f"{', '.join(lower) or 'none'}; its semantic-level ladder is not given.")
    return " ".join(out)
