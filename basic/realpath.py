"""From nothing to a features folder: fetch i-CIR and BASIC's assets, then extract with a backbone.

With internet (a GPU recommended)::

    python -m basic.realpath --backbone clip --out features/clip
    python -m basic evaluate features/clip --preset basic

Downloads go to the cache (``--cache``, else $BASIC_CACHE_DIR, else the per-user cache), are
verified by sha256 and resume after an interruption; extraction shards go to CACHE/features and
resume too, so rerunning the same command after a crash continues where it stopped.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import fetch
from .extract import INPUT_ERRORS, add_arguments, run_extraction


def fetch_all(backbone: str, cache=None, source: str = "tarball", progressbar: bool = True) -> dict:
    """Fetch i-CIR (tarball or Hugging Face) and the assets for ``backbone``; return their paths."""
    cache = fetch.cache_dir(cache)
    if source == "tarball":
        root = fetch.fetch_icir(cache, progressbar=progressbar)
    elif source == "hf":
        root = fetch.unpack_webdataset(fetch.fetch_icir_hf(cache, progressbar=progressbar))
    else:
        raise ValueError(f"source must be 'tarball' or 'hf', not {source!r}")
    return {"root": root, "cache": cache, **fetch.fetch_basic_assets(backbone, cache, progressbar=progressbar)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m basic.realpath", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="features folder to write (default features/BACKBONE)")
    parser.add_argument("--cache", help="download cache (default $BASIC_CACHE_DIR or the per-user cache)")
    parser.add_argument("--source", default="tarball", choices=["tarball", "hf"],
                        help="tarball = the project page's icir_v1.0.0.tar.gz; hf = Hugging Face webdataset")
    parser.add_argument("--fetch-only", action="store_true", help="download and verify, extract nothing")
    args = add_arguments(parser).parse_args(argv)
    try:
        found = fetch_all(args.backbone, args.cache, args.source)
        print(f"i-CIR: {found['root']}\nassets: {found['corpus_pos'].parent}")
        if args.fetch_only:
            return 0
        out = Path(args.out or f"features/{Path(args.backbone).name}")
        features = run_extraction(args, found["root"], out, found["corpus_pos"], found["corpus_neg"],
                                  found["image_mean"], found["synthetic"], cache_dir=found["cache"] / "features")
    except (fetch.FetchError, *INPUT_ERRORS) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of memory; lower --batch-size or --workers", file=sys.stderr)
        return 1
    print(f"wrote {out}: {len(features.queries)} queries, {len(features.database)} database images, "
          f"d={features.dim}\nnext: python -m basic evaluate {out} --preset basic")
    return 0


if __name__ == "__main__":
    sys.exit(main())
