"""Command line.

    python -m basic evaluate FEATURES_DIR [--preset NAME | --config FILE] [--json OUT]
    python -m basic convert FEATURES_DIR [--out NEW_DIR]    # old .npz folder -> format 2 (loads mapped)
        [--database global] [--distractors DIR] [--index exact|flat|ivfpq] [--candidates K|all]
    python -m basic presets
    python -m basic datasets [NAME] [--prepare | --shell OUTDIR]   # the dataset registry (runall.sh asks it)
    python -m basic realpath --backbone clip --out features/clip    # fetch i-CIR + assets, extract (internet)
    python -m basic extract --backbone clip --data DIR/icir --out OUT ...   # extract from a local copy
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pickle import UnpicklingError

from . import search
from .config import PRESETS, Config, ConfigError, all_presets, preset

# numpy, pandas and the package's modules are imported by the commands that use them (start-up stays small)


def _table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def cmd_evaluate(args) -> int:
    marks = [("start", time.perf_counter())]
    from .fileio import atomic_write
    from .retrieval import evaluate
    from .validate import check_output_path, load_features
    marks.append(("imports", time.perf_counter()))
    config = Config.from_json(args.config) if args.config else preset(args.preset)
    if args.json:   # checked before the work: never replace a link, pipe, device, folder or an input file
        check_output_path(args.json, protected=args.features)
    features = load_features(args.features)
    marks.append(("load", time.perf_counter()))
    if getattr(args, "database", None) is None:    # the folder says (semantic-level folders: global)
        from .semantic import default_database
        args.database = default_database(features)
    if getattr(args, "candidates", None) is None and "candidates" in features.meta:
        args.candidates = str(features.meta["candidates"])     # semantic-level folders: all (exact, as FREEDOM)
    search_rows = []
    try:
        if search.wants_search(args):              # --database global / --distractors: basic.search
            options = search.options_from_args(args)
            distractors = search.load_distractors(args.distractors, features.dim) if args.distractors else None
            result = search.evaluate_search(features, config, options, distractors, ap=args.ap)
            search_rows = search.describe(options, len(features.db_image) + (0 if distractors is None else len(distractors)))
        else:
            result = evaluate(features, config, ap=args.ap)
    except MemoryError:
        raise MemoryError(_memory_message(features)) from None
    s = result.summary()
    marks.append(("scoring", time.perf_counter()))
    label = config.method if not config.is_basic else f"{config.method} [{config.letters or 'no components'}]"
    rows = [("features", str(args.features)), ("method", label),
            ("queries", str(len(result.ap))), ("instances", str(len(result.per_instance()))),
            ("mmAP (over classes)" if "semantic" in features.meta else "mmAP (paper's headline)",
             f"{100 * s['mmAP']:.2f}"), ("mAP", f"{100 * s['mAP']:.2f}"),
            ("minmAP", f"{100 * s['minmAP']:.2f}")] + search_rows
    rows += [(f"R@{k} / P@{k}", f"{100 * result.recall_at(k):.2f} / {100 * result.precision_at(k):.2f}")
             for k in (1, 5, 10)]
    from .semantic import domain_pair_map, is_semantic, report_rows
    rows += report_rows(features, result)          # semantic-level folders: FREEDOM's per-domain-pair mAP
    print(_table(rows))
    if args.json:
        out = check_output_path(args.json, protected=args.features)
        out.parent.mkdir(parents=True, exist_ok=True)
        payload = result.to_dict()
        if is_semantic(features):
            payload["domain_pair_mAP"] = domain_pair_map(features, result.ap) / 100
        atomic_write(out, lambda f: json.dump(payload, f, indent=1))
        print(f"wrote {out}")
    if args.timings:
        marks.append(("report", time.perf_counter()))
        steps = {b[0]: round(b[1] - a[1], 4) for a, b in zip(marks, marks[1:])}
        steps["peak_rss_bytes"] = _peak_rss()
        print("timings " + json.dumps({"epoch_at_start": time.time() - (marks[-1][1] - marks[0][1]), **steps}),
              file=sys.stderr)
    return 0


def _peak_rss() -> int | None:
    """This process's peak resident memory (Linux VmHWM: mapped file pages included; not inherited at fork)."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def cmd_convert(args) -> int:
    from .features import convert, folder_format
    before = folder_format(args.features)
    t = time.perf_counter()
    out = convert(args.features, args.out, overwrite=args.overwrite)
    what = "rewrote" if before == 2 else "converted"
    print(f"{what} {args.features} -> {out} (features format 2) in {time.perf_counter() - t:.1f} s")
    return 0


def _memory_message(features) -> str:
    sizes = features.database.instance.value_counts()
    queries = features.queries.instance.value_counts()
    big = sizes.index[0]
    return (f"out of memory while evaluating {len(features.queries)} queries against {len(features.database)} "
            f"database items; the largest instance ({big}) has {int(queries.get(big, 0))} queries x "
            f"{int(sizes.iloc[0])} items. Use a machine with more memory, or split that instance")


def cmd_presets(args) -> int:
    for name, cfg in all_presets().items():
        print(f"{name:<22} {cfg.method:<8} {cfg.letters}")
    return 0


def cmd_datasets(args) -> int:
    import shlex

    from .datasets import ALL_NOTEBOOKS, dataset_names, get_dataset
    if args.name is None:
        for name in dataset_names():
            d = get_dataset(name)
            print(f"{name:<14} {d.level:<9} features: {d.features_dir(d.default_backbone)}   figures: "
                  f"{'OUTDIR/figures' if d.figures_subdir is None else d.figures_dir()}")
        return 0
    dataset = get_dataset(args.name)
    if args.prepare:
        dataset.prepare()
        print(dataset.features_dir())
    elif args.shell:
        print(f"FIG={shlex.quote(str(dataset.figures_dir(args.shell)))}")
        print(f"PUBLISH={int(dataset.publishes_notebooks)}")
        print(f"LEVEL={shlex.quote(dataset.level)}")
        print(f"NOTEBOOKS={shlex.quote(dataset.notebook_pattern())}")
        print(f"EVERY_NOTEBOOK={int(dataset.notebook_pattern() == ALL_NOTEBOOKS)}")
    else:
        print(f"{dataset.name}: {dataset.note}\nlevel: {dataset.level} (database: {dataset.database})\n"
              f"features: {dataset.features_dir()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m basic", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="evaluate a method on a features folder (a golden case folder works)")
    ev.add_argument("features", help="a features folder (docs/format.md; a golden case folder works)")
    group = ev.add_mutually_exclusive_group()
    group.add_argument("--preset", default="basic", help=f"one of: {', '.join(PRESETS)} (default basic)")
    group.add_argument("--config", help="JSON file with config keys (or an object whose 'config' holds them)")
    ev.add_argument("--ap", default="trapezoid", choices=["trapezoid", "standard"],
                    help="trapezoid = the reference's AP (default); standard = non-interpolated AP")
    ev.add_argument("--json", help="write {mAP, mmAP, minmAP, ap, config} here")
    ev.add_argument("--timings", action="store_true",
                    help="print seconds spent on imports, load, scoring and the report to stderr (JSON)")
    search.add_arguments(ev)
    ev.set_defaults(func=cmd_evaluate)
    cv = sub.add_parser("convert", help="rewrite a features folder in format 2 (an old .npz folder loads "
                                        "mapped afterwards); in place unless --out")
    cv.add_argument("features", help="the features folder")
    cv.add_argument("--out", help="write the converted folder here instead (the source is left as it is)")
    cv.add_argument("--overwrite", action="store_true", help="replace features already in --out")
    cv.set_defaults(func=cmd_convert)
    pr = sub.add_parser("presets", help="list the presets")
    pr.set_defaults(func=cmd_presets)
    ds = sub.add_parser("datasets", help="list the registered datasets, or describe one (basic.datasets)")
    ds.add_argument("name", nargs="?", help="a registered dataset")
    what = ds.add_mutually_exclusive_group()
    what.add_argument("--prepare", action="store_true", help="build its features if it can (the tiny world); "
                                                             "print the features folder")
    what.add_argument("--shell", metavar="OUTDIR", help="print FIG=, PUBLISH=, LEVEL=, NOTEBOOKS= and EVERY_NOTEBOOK= lines for ./runall.sh")
    ds.set_defaults(func=cmd_datasets)
    sub.add_parser("realpath", help="fetch i-CIR and the assets, then extract features (needs internet)")
    sub.add_parser("extract", help="extract features of a local i-CIR-layout dataset with open_clip")
    return parser


PASS_THROUGH = {"realpath": "basic.realpath", "extract": "basic.extract"}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASS_THROUGH:          # these own their options; see their --help
        import importlib
        return importlib.import_module(PASS_THROUGH[argv[0]]).main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, ValueError, OSError, UnpicklingError) as e:   # bad input (FeaturesError, DatasetError: ValueErrors): exit 2
        print(f"error: {_one_paragraph(e)}", file=sys.stderr)
        return 2
    except MemoryError as e:
        print(f"error: {_one_paragraph(e) or 'out of memory'}", file=sys.stderr)
        return 1


def _one_paragraph(error: BaseException) -> str:
    """The error's message; an OSError without our wording gets its file and reason."""
    if isinstance(error, OSError) and error.filename and str(error.filename) not in str(error.args[-1]):
        return f"{error.filename}: {error.strerror or error}"
    return str(error)


if __name__ == "__main__":
    sys.exit(main())
