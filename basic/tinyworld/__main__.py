"""python -m basic.tinyworld {pretrain-data,train,build,card,all}

  pretrain-data  render the pretraining image-caption pairs (data/tiny/pretrain/)
  train          train the tiny CLIP (see basic/tinyworld/train.py for options)
  build          render the tiny i-CIR in i-CIR's layout, its assets, and extract all features
  card           measure everything and write docs/tinyworld_card.md
  distractors    render and extract N random distractors once (--count N; cached, resumable)
  all            build, then card
"""
from __future__ import annotations

import sys


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    cmd, rest = argv[0], argv[1:]
    if cmd == "pretrain-data":
        import argparse
        from .data import build_pretrain
        ap = argparse.ArgumentParser(prog="python -m basic.tinyworld pretrain-data")
        ap.add_argument("--n-images", type=int, default=80_000)
        ap.add_argument("--data", default=None)
        a = ap.parse_args(rest)
        print(build_pretrain(n=a.n_images, root=a.data))
    elif cmd == "train":
        from .train import main as train
        train(rest)
    elif cmd == "build":
        from .build import main as build
        build(rest)
    elif cmd == "card":
        from .card import main as card
        card(rest)
    elif cmd == "distractors":
        from .distractors import main as distractors
        distractors(rest)
    elif cmd == "all":
        from .build import main as build
        from .card import main as card
        build(rest)
        card(rest)
    else:
        sys.exit(f"unknown command {cmd!r}\n{__doc__}")


if __name__ == "__main__":
    main()
