"""python -m basic.tinyworld {pretrain-data,train,build,card,distractors,all} [options]

  pretrain-data  render the pretraining image-caption pairs (data/tiny/<version>/pretrain/)
  train          train the tiny CLIP (CLIP's contrastive loss only; see basic/tinyworld/train.py)
  build          render the tiny i-CIR in i-CIR's layout and its assets, extract all features; prints the
                 features folder as the last line of standard output
  card           measure everything and write docs/tinyworld_card.md
  distractors    render and extract N random distractors once (--count N; cached, resumable)
  all            build, then card

Unknown commands and options are errors (exit 2). `python -m basic.tinyworld COMMAND --help` lists each
command's options.
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: command -> (module of basic.tinyworld with add_arguments(parser) and run(args), one-line help)
COMMANDS = {
    "pretrain-data": (None, "render the pretraining image-caption pairs"),
    "train": ("train", "train the tiny CLIP"),
    "build": ("build", "render the tiny i-CIR and extract its features"),
    "card": ("card", "measure the tiny world and write its dataset card"),
    "distractors": ("distractors", "render and extract random distractors (cached, resumable)"),
    "all": ("build", "build, then card"),
}


def _pretrain_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    ap.add_argument("--n-images", type=int, default=100_000)
    ap.add_argument("--data", default=None, help="data folder (default data/tiny or $BASIC_DATA_DIR)")
    return ap


def _pretrain_run(args) -> int:
    from .data import build_pretrain
    print(build_pretrain(n=args.n_images, root=args.data))
    return 0


def _all_run(args) -> int:
    from . import build, card
    build.run(args)
    card.run(card.add_arguments(argparse.ArgumentParser()).parse_args(
        [] if args.data is None else ["--data", args.data]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m basic.tinyworld", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if module is None:
            _pretrain_arguments(p).set_defaults(func=_pretrain_run)
            continue
        mod = importlib.import_module(f"basic.tinyworld.{module}")
        mod.add_arguments(p).set_defaults(func=_all_run if name == "all" else mod.run)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
