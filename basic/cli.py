"""Command line.

    python -m basic evaluate FEATURES_DIR [--preset NAME | --config FILE] [--json OUT]
        [--database global] [--distractors DIR] [--index exact|flat|ivfpq] [--candidates K|all]
    python -m basic presets
    python -m basic realpath --backbone clip --out features/clip    # fetch i-CIR + assets, extract (internet)
    python -m basic extract --backbone clip --data DIR/icir --out OUT ...   # extract from a local copy
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import search
from .config import PRESETS, Config, ConfigError, preset
from .features import Features, FeaturesError, atomic_write


def _table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def cmd_evaluate(args) -> int:
    from .retrieval import evaluate
    config = Config.from_json(args.config) if args.config else preset(args.preset)
    features = Features.load(args.features)
    search_rows = []
    if search.wants_search(args):              # --database global / --distractors: basic.search
        options = search.options_from_args(args)
        distractors = search.load_distractors(args.distractors, features.dim) if args.distractors else None
        result = search.evaluate_search(features, config, options, distractors, ap=args.ap)
        search_rows = search.describe(options, len(features.db_image) + (0 if distractors is None else len(distractors)))
    else:
        result = evaluate(features, config, ap=args.ap)
    s = result.summary()
    label = config.method if not config.is_basic else f"basic [{config.letters or 'no components'}]"
    rows = [("features", str(args.features)), ("method", label),
            ("queries", str(len(result.ap))), ("instances", str(len(result.per_instance()))),
            ("mmAP (paper's headline)", f"{100 * s['mmAP']:.2f}"), ("mAP", f"{100 * s['mAP']:.2f}"),
            ("minmAP", f"{100 * s['minmAP']:.2f}")] + search_rows
    rows += [(f"R@{k} / P@{k}", f"{100 * result.recall_at(k):.2f} / {100 * result.precision_at(k):.2f}")
             for k in (1, 5, 10)]
    print(_table(rows))
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, lambda f: json.dump(result.to_dict(), f, indent=1))
        print(f"wrote {out}")
    return 0


def cmd_presets(args) -> int:
    for name, cfg in PRESETS.items():
        print(f"{name:<22} {cfg.method:<8} {cfg.letters}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m basic", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="evaluate a method on a features folder (a golden case folder works)")
    ev.add_argument("features", help="folder with features.npz, queries.csv, database.csv")
    group = ev.add_mutually_exclusive_group()
    group.add_argument("--preset", default="basic", help=f"one of: {', '.join(PRESETS)} (default basic)")
    group.add_argument("--config", help="JSON file with config keys (or an object whose 'config' holds them)")
    ev.add_argument("--ap", default="trapezoid", choices=["trapezoid", "standard"],
                    help="trapezoid = the reference's AP (default); standard = non-interpolated AP")
    ev.add_argument("--json", help="write {mAP, mmAP, minmAP, ap, config} here")
    search.add_arguments(ev)
    ev.set_defaults(func=cmd_evaluate)
    pr = sub.add_parser("presets", help="list the presets")
    pr.set_defaults(func=cmd_presets)
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
    except (ConfigError, FeaturesError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
