"""python -m basic.tinyworld {pretrain-data,train,build,card,all} [options]

  pretrain-data  render the pretraining image-caption pairs (data/tiny/<version>/pretrain/)
  train          train the tiny CLIP (CLIP's contrastive loss only; see basic/tinyworld/train.py)
  build          render the tiny i-CIR in i-CIR's layout and its assets, extract all features; prints the
                 features folder as the last line of standard output
  card           measure everything and write docs/tinyworld_card.md
  distractors    render and encode random distractors (instances not in the benchmark), cached, resumable
  distractors    render and extract N random distractors once (--count N; cached, resumable)
  all            build, then card

Unknown options are errors (exit 2). `python -m basic.tinyworld COMMAND --help` lists each command's options.
"""
from __future__ import annotations

import argparse
import sys


def _pretrain_data(argv):
    from .data import build_pretrain
    ap = argparse.ArgumentParser(prog="python -m basic.tinyworld pretrain-data")
    ap.add_argument("--n-images", type=int, default=100_000)
    ap.add_argument("--data", default=None)
    a = ap.parse_args(argv)
    print(build_pretrain(n=a.n_images, root=a.data))


def _all(argv):
    from .build import main as build
    from .card import main as card
    build(argv)
    card([a for a in argv if a != "--overwrite"])


def _command(name):
    def run(argv):
        module = __import__(f"basic.tinyworld.{name}", fromlist=["main"])
        return module.main(argv)
    return run


COMMANDS = {"pretrain-data": _pretrain_data, "train": _command("train"), "build": _command("build"),
            "card": _command("card"), "distractors": _command("distractors"), "all": _all}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m basic.tinyworld", description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("command", choices=sorted(COMMANDS), help="what to do")
    if not argv or argv[0] in ("-h", "--help"):
        ap.print_help()
        return 0 if argv else 2
    args = ap.parse_args(argv[:1])
    return COMMANDS[args.command](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
