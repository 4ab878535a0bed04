"""The four semantic-level datasets of the paper's Table 1, in FREEDOM's layout: files, fetching, extraction.

FREEDOM (GitHub ``NikosEfth/freedom``, commit ``5df4bca``) defines each dataset by list files, one image per
line, space-separated ``PATH DOMAIN CLASS`` with PATH relative to its ``data/`` folder:

==============  =========================================================  ==================================
dataset         list files (in ``data/<dataset>/``)                       queries / database
==============  =========================================================  ==================================
imagenet_r      ``imgnet_targets.txt`` (``imgnet/PATH DOMAIN_NUMBER``:      the same 16,983 images: ``full``
                <1000 cartoon, <2000 origami, <3000 toy, <4000 sculpture,
                else real), ``label_names.csv`` (``wnid,class``),
                ``imgnet_real_query.txt`` (the 10,000 ILSVRC2012 val
                images copied into ``real/``)
ltll            ``full_files.csv`` (domains New, Old)                       the same 488 images: ``full``
minidn          ``query_files.csv`` (2,520), ``database_files.csv``         separate lists
nico            ``query_files.csv`` (8,723), ``database_files.csv`` (80,134)  separate, disjoint lists
==============  =========================================================  ==================================

Domain names become the query texts as FREEDOM writes them (``real`` → ``photo``, ``dim`` → ``dimlight``,
``New`` → ``Today``, ``Old`` → ``Archive``). The list files are pinned by their git blob ids at that commit
and by sha256 where known (``basic/data/freedom_lists.csv``); MiniDomainNet's ``database_files.csv`` has no
known sha256 here: it is checked against its git blob id and its sha256 recorded on first download.

Images: public archives are downloaded (resumable, ``basic.fetch.download``); their sha256 could not be
known here, so each is recorded on first download (``CACHE/assets/checksums.json``) and enforced afterwards.
Two need an account or a click-through and are put in place by hand (``manual_note``): the ILSVRC2012
validation tar (ImageNet-R's ``photo`` domain, 10,000 of its images) and NICO++'s ``DG_Benchmark.zip``.

    python -m basic.freedom fetch ltll                         # lists + images into CACHE/freedom/
    python -m basic.freedom extract ltll --backbone clip --out features/ltll/clip
    python -m basic evaluate features/ltll/clip --preset basic   # global database, per-domain-pair mAP
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import fetch
from .fetch import FetchError

FREEDOM_COMMIT = "5df4bca6f53b365ee2bc06da7b070bcdfdf2b516"
FREEDOM_URL = f"https://raw.githubusercontent.com/NikosEfth/freedom/{FREEDOM_COMMIT}/"
PINS_CSV = Path(__file__).resolve().parent / "data" / "freedom_lists.csv"


@dataclass(frozen=True)
class Archive:
    """One image archive: where it comes from, how it unpacks (``into`` below the data folder)."""
    file: str
    url: str | None            # None: needs an account or a click-through (put in place by hand)
    into: str
    size: str                  # as the dataset's page states it, where known (docs/realpath.md)


@dataclass(frozen=True)
class Spec:
    name: str
    folder: str                            # FREEDOM's data/<folder>
    domains: dict                          # domain in the files -> the text FREEDOM queries with
    query_list: str
    database_list: str
    archives: tuple = field(default_factory=tuple)
    manual: str = ""                       # instructions for the files fetched by hand


ILSVRC_VAL = "ILSVRC2012_img_val.tar"
NICO_ZIP = "DG_Benchmark.zip"
SPECS = {
    "imagenet_r": Spec(
        "imagenet_r", "imagenet_r",
        {"cartoon": "cartoon", "origami": "origami", "real": "photo", "sculpture": "sculpture", "toy": "toy"},
        "full", "full",
        (Archive("imagenet-r.tar", "https://people.eecs.berkeley.edu/~hendrycks/imagenet-r.tar", "imagenet_r",
                 "30,000 images (archive size not known here)"),
         Archive(ILSVRC_VAL, None, "imagenet_r", "6.3 GiB, 50,000 images")),
        manual=(f"ImageNet-R's photo domain is 10,000 images of the ILSVRC2012 validation set, which needs an "
                f"ImageNet account: log in at https://image-net.org/download-images, download {ILSVRC_VAL} and put "
                f"it at {{downloads}}/{ILSVRC_VAL} (or set $BASIC_ILSVRC_VAL to that tar or to a folder holding "
                f"its ILSVRC2012_val_*.JPEG files); only the listed 10,000 images are copied out of it.")),
    "minidn": Spec(
        "minidn", "minidn", {"clipart": "clipart", "painting": "painting", "real": "photo", "sketch": "sketch"},
        "query_files.csv", "database_files.csv",
        (Archive("clipart.zip", "https://csr.bu.edu/ftp/visda/2019/multi-source/groundtruth/clipart.zip", "minidn",
                 "1.3 GB"),
         Archive("painting.zip", "https://csr.bu.edu/ftp/visda/2019/multi-source/groundtruth/painting.zip", "minidn",
                 "3.7 GB"),
         Archive("real.zip", "https://csr.bu.edu/ftp/visda/2019/multi-source/real.zip", "minidn", "5.6 GB"),
         Archive("sketch.zip", "https://csr.bu.edu/ftp/visda/2019/multi-source/sketch.zip", "minidn", "2.5 GB"))),
    "nico": Spec(
        "nico", "nico", {"autumn": "autumn", "dim": "dimlight", "grass": "grass", "outdoor": "outdoor",
                         "rock": "rock", "water": "water"},
        "query_files.csv", "database_files.csv",
        (Archive(NICO_ZIP, None, "nico", "not known here"),),
        manual=(f"NICO++ is shared through a Dropbox folder (a click-through): open "
                "https://www.dropbox.com/scl/fo/ix8u21atdwrstmgjkz2rx/AP5fheclFPjfbBMbeHoqPow?dl=0&"
                f"rlkey=kcbecly7tetqu57v4tsmo095m, download {NICO_ZIP} and put it at {{downloads}}/{NICO_ZIP} "
                "(or set $BASIC_NICO_ZIP to it).")),
    "ltll": Spec(
        "ltll", "ltll", {"New": "Today", "Old": "Archive"}, "full", "full",
        (Archive("LTLL.zip", "https://users.cecs.anu.edu.au/~basura/beeldcanon/LTLL.zip", "ltll", "not known here (about 500 images)"),)),
}
ENV_MANUAL = {ILSVRC_VAL: "BASIC_ILSVRC_VAL", NICO_ZIP: "BASIC_NICO_ZIP"}


def spec(name: str) -> Spec:
    if name not in SPECS:
        raise KeyError(f"unknown semantic dataset {name!r}; known: {', '.join(SPECS)}")
    return SPECS[name]


def default_root(cache=None) -> Path:
    """FREEDOM's ``data/`` folder, here: CACHE/freedom (list paths are relative to it)."""
    return fetch.cache_dir(cache) / "freedom"


def manual_note(name: str, root=None) -> str:
    text = spec(name).manual
    if not text:
        return ""
    downloads = (Path(root) if root else Path("CACHE/freedom")) / "downloads"
    return text.replace("{downloads}", str(downloads)) + "\n"


# ----------------------------------------------------------------------------- the list files
def pins() -> pd.DataFrame:
    """The pinned list files: dataset, file, repo_path, git_blob, sha256 (may be empty), bytes."""
    return pd.read_csv(PINS_CSV, dtype=str, keep_default_na=False)


def list_files(name: str) -> list[str]:
    sp = spec(name)
    if sp.name == "imagenet_r":
        return ["imgnet_targets.txt", "imgnet_real_query.txt", "label_names.csv"]
    if sp.query_list == "full":
        return ["full_files.csv"]
    return [sp.query_list, sp.database_list]


def read_list(path: str | os.PathLike, columns: int = 3) -> list[list[str]]:
    """Rows of a FREEDOM list file: space-separated, ``columns`` fields (trailing spaces ignored)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"list file {path} is missing: fetch it with `python -m basic.freedom fetch`")
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            parts = line.strip().split(" ")
            if parts == [""]:
                continue
            if len(parts) != columns:
                raise ValueError(f"{path}, line {number}: expected {columns} space-separated fields "
                                 f"(path, domain{', class' if columns == 3 else ' number'}), got {len(parts)}: "
                                 f"{line.strip()[:120]!r}; the file is damaged: fetch it again")
            rows.append(parts)
    if not rows:
        raise ValueError(f"{path} holds no rows; fetch it again")
    return rows


def _imagenet_r(folder: Path) -> pd.DataFrame:
    with open(folder / "label_names.csv", newline="", encoding="utf-8") as f:
        names = {row[0]: row[1] for row in csv.reader(f) if len(row) >= 2}
    rows = []
    for path, number in read_list(folder / "imgnet_targets.txt", columns=2):
        n = int(number)
        domain = ("cartoon" if n < 1000 else "origami" if n < 2000 else "toy" if n < 3000
                  else "sculpture" if n < 4000 else "real")
        wnid = path.split("/")[-2]
        if wnid not in names:
            raise ValueError(f"{folder / 'imgnet_targets.txt'}: class {wnid} of {path} is not in label_names.csv")
        rows.append(("imagenet_r/" + path.split("/", 1)[1], domain, names[wnid]))
    return pd.DataFrame(rows, columns=["path", "domain", "cls"])


def read_images(name: str, root: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(queries, database) of a dataset: columns path (relative to root), domain (FREEDOM's query text), cls."""
    sp = spec(name)
    folder = Path(root) / sp.folder

    def frame(file):
        return pd.DataFrame(read_list(folder / file), columns=["path", "domain", "cls"])

    if sp.name == "imagenet_r":
        queries = database = _imagenet_r(folder)
    elif sp.query_list == "full":
        queries = database = frame("full_files.csv")
    else:
        queries, database = frame(sp.query_list), frame(sp.database_list)
    for what, f in (("queries", queries), ("database", database)):
        unknown = sorted(set(f.domain) - set(sp.domains))
        if unknown:
            raise ValueError(f"{name} {what}: domain(s) {unknown} are not {sorted(sp.domains)}; wrong list file?")
    rename = lambda f: f.assign(domain=f.domain.map(sp.domains))  # noqa: E731
    return rename(queries), rename(database)


def domains(name: str) -> list[str]:
    """The dataset's domains as query texts, sorted (FREEDOM's table order)."""
    return sorted(spec(name).domains.values())


# ----------------------------------------------------------------------------- fetching
def _base(url: str | None, env: str, default: str) -> str:
    url = url or os.environ.get(env) or default
    return url if url.endswith("/") else url + "/"


def fetch_lists(name: str, root=None, *, base_url: str | None = None, pinned: pd.DataFrame | None = None,
                cache=None, progressbar: bool = False) -> list[Path]:
    """Download the dataset's list files from FREEDOM's pinned commit into ROOT/<folder>/; verify them.

    A file is checked against its pinned sha256, else against its git blob id, and then its sha256 is
    recorded (``CACHE/assets/checksums.json``) and enforced on later runs."""
    root = Path(root) if root else default_root(cache)
    cache = fetch.cache_dir(cache)
    table = pins() if pinned is None else pinned
    base = _base(base_url, "BASIC_FREEDOM_URL", FREEDOM_URL)
    out = []
    for file in list_files(name):
        row = table[(table.dataset == name) & (table.file == file)]
        if row.empty:
            raise FetchError(f"{PINS_CSV.name} pins no {name}/{file}: add its git blob id")
        row = row.iloc[0]
        key = f"freedom/{name}/{file}"
        dest = root / spec(name).folder / file
        if dest.is_file() and row.git_blob and fetch.git_blob_id(dest) != row.git_blob:
            dest.unlink()
            fetch._forget(cache, key)
        known = row.sha256 or fetch._recorded(cache).get(key)
        path = fetch.download(base + row.repo_path, dest, known or None, progressbar=progressbar,
                              what=f"FREEDOM's {name} list {file}")
        if row.git_blob and fetch.git_blob_id(path) != row.git_blob:
            path.unlink()
            raise FetchError(f"{name} list {file} from {base + row.repo_path} does not match its pinned git blob id "
                             f"{row.git_blob} (FREEDOM commit {FREEDOM_COMMIT[:7]}); it was deleted. Retry, or check "
                             "the mirror")
        if not known:
            fetch._record(cache, key, fetch.sha256_of(path))
        out.append(path)
    return out


def _manual_file(archive: Archive, downloads: Path, name: str, root: Path) -> Path:
    env = ENV_MANUAL.get(archive.file)
    given = os.environ.get(env) if env else None
    path = Path(given) if given else downloads / archive.file
    if not path.exists():
        raise FetchError(f"{name}: {path} is missing. {manual_note(name, root).strip()}")
    return path


def fetch_archive(archive: Archive, downloads: Path, cache, *, base_url: str | None = None,
                  progressbar: bool = True) -> Path:
    """Download one public archive (resumable). Its sha256 is recorded on first download, enforced later."""
    key = f"freedom/{archive.file}"
    known = fetch._recorded(cache).get(key)
    url = archive.url if not (base_url or os.environ.get("BASIC_FREEDOM_ARCHIVES_URL")) else \
        _base(base_url, "BASIC_FREEDOM_ARCHIVES_URL", "") + archive.file
    path = fetch.download(url, downloads / archive.file, known, progressbar=progressbar, what=archive.file)
    if known is None:
        fetch._record(cache, key, fetch.sha256_of(path))
        print(f"{archive.file}: no sha256 is published; recorded {fetch.sha256_of(path)[:16]}... on this first "
              f"download ({Path(cache) / 'assets' / 'checksums.json'}), enforced from now on", file=sys.stderr)
    return path


def _check_recorded(path: Path, key: str, cache) -> None:
    """A hand-placed file: record its sha256 on first use, refuse a different one later."""
    if path.is_dir():
        return
    digest = fetch.sha256_of(path)
    known = fetch._recorded(cache).get(key)
    if known is None:
        fetch._record(cache, key, digest)
    elif known != digest:
        raise FetchError(f"{path} has sha256 {digest[:16]}..., not the {known[:16]}... recorded when it was first "
                         f"used; put the original file back, or delete the entry {key!r} of "
                         f"{Path(cache) / 'assets' / 'checksums.json'} to accept this one")


def unpack(archive: Path, dest: Path) -> None:
    """Unpack a zip or tar below ``dest`` (refusing paths outside it, links and devices)."""
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                fetch.check_members(z.infolist(), root, archive)
                z.extractall(root)
            return
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            fetch.check_members(members, root, archive)
            tar.extractall(root, members=members, filter="data")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as error:
        raise FetchError(f"{archive} is not a readable archive ({error}); delete it and fetch it again") from None


def _rename_spaces(folder: Path, dirs: str | None, files: str | None) -> None:
    """FREEDOM's set-up: spaces in folder names (and file names) replaced, deepest first."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        repl = dirs if path.is_dir() else files
        if repl is not None and " " in path.name:
            path.rename(path.with_name(path.name.replace(" ", repl)))


def _copy_ilsvrc(source: Path, folder: Path) -> None:
    """Copy the listed ILSVRC2012 validation images into imagenet_r/real/<wnid>/ (FREEDOM's set_dataset)."""
    wanted = {}
    for path, _ in read_list(folder / "imgnet_real_query.txt", columns=2):
        wanted[Path(path).name] = folder / "real" / Path(path).parent.name / Path(path).name
    if source.is_dir():
        for name, dest in wanted.items():
            if (source / name).is_file():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source / name, dest)
        return
    with tarfile.open(source) as tar:
        for member in tar:
            dest = wanted.get(Path(member.name).name)
            if dest is not None and member.isfile():
                dest.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)


def set_up(name: str, root: Path, archives: dict[str, Path]) -> None:
    """Unpack the archives into FREEDOM's final layout (what its README and set_dataset.py make)."""
    folder = root / spec(name).folder
    if name == "imagenet_r":
        unpack(archives["imagenet-r.tar"], folder)
        _copy_ilsvrc(archives[ILSVRC_VAL], folder)
    elif name == "ltll":
        unpack(archives["LTLL.zip"], folder)
        _rename_spaces(folder, dirs="", files="_")
    elif name == "minidn":
        for a in spec(name).archives:
            unpack(archives[a.file], folder)
    elif name == "nico":
        work = folder / ".unpacking"
        unpack(archives[NICO_ZIP], work)
        inner = next(work.rglob("NICO_DG_Benchmark.zip"), None)
        if inner is not None:
            unpack(inner, work)
        top = next((p for p in work.rglob("NICO_DG") if p.is_dir()), None)
        if top is None:
            raise FetchError(f"{archives[NICO_ZIP]} holds no NICO_DG/ folder (inside NICO_DG_Benchmark.zip): is it "
                             "NICO++'s DG_Benchmark.zip?")
        for child in top.iterdir():
            target = folder / child.name
            if target.exists():
                shutil.rmtree(target)
            shutil.move(str(child), str(target))
        shutil.rmtree(work)
        _rename_spaces(folder, dirs="_", files=None)


def missing_images(name: str, root) -> list[str]:
    queries, database = read_images(name, root)
    paths = pd.unique(pd.concat([queries.path, database.path]))
    return [p for p in paths if not (Path(root) / p).is_file()]


def fetch_dataset(name: str, root=None, cache=None, *, list_url: str | None = None,
                  archive_url: str | None = None, pinned: pd.DataFrame | None = None,
                  progressbar: bool = True) -> Path:
    """Lists, then images (downloaded or hand-placed), unpacked in FREEDOM's layout; returns the data folder.

    A finished set-up (ROOT/<folder>/.complete) is reused; every listed image must exist afterwards."""
    sp = spec(name)
    cache = fetch.cache_dir(cache)
    root = Path(root) if root else default_root(cache)
    folder = root / sp.folder
    fetch_lists(name, root, base_url=list_url, pinned=pinned, cache=cache)
    if (folder / ".complete").is_file():
        return root
    downloads = root / "downloads"
    paths = {}
    for a in sp.archives:
        if a.url is None:
            paths[a.file] = _manual_file(a, downloads, name, root)
            _check_recorded(paths[a.file], f"freedom/{a.file}", cache)
        else:
            paths[a.file] = fetch_archive(a, downloads, cache, base_url=archive_url, progressbar=progressbar)
    set_up(name, root, paths)
    missing = missing_images(name, root)
    if missing:
        raise FetchError(f"{name}: {len(missing)} listed images are missing after unpacking (e.g. "
                         f"{root / missing[0]}); the archives do not match FREEDOM's lists. Check the archives "
                         f"in {downloads}, delete {folder} and run again")
    (folder / ".complete").write_text("ok\n")
    return root


# ----------------------------------------------------------------------------- extraction
def extract_semantic(backbone, name: str, root, out_dir, corpus_pos_csv, corpus_neg_csv, image_mean=None,
                     synthetic=None, *, batch_size: int = 64, num_workers: int | None = None,
                     shard_size: int = 4096, on_error: str = "stop", context_number: int = 100,
                     context_mode: str = "reference", context_seed: int = 0, keep_header: bool = True,
                     cache_dir=None, overwrite: bool = False, progress: bool = True):
    """Extract a semantic dataset's features folder (the sharded, resumable ``basic.extract`` extractor).

    Every distinct image is encoded once (for ImageNet-R and LTLL the queries are database images); each
    domain name is encoded as FREEDOM's query text, and contextualised (X) as i-CIR's texts are."""
    from . import extract, reference_io
    from .features import Features
    from .semantic import semantic_features

    out_dir = Path(out_dir)
    if Features.exists(out_dir) and not overwrite:
        raise FileExistsError(f"{out_dir} already holds features; choose another --out or pass --overwrite")
    root = Path(root)
    queries, database = read_images(name, root)
    paths = list(pd.unique(pd.concat([queries.path, database.path])))
    work = (Path(cache_dir) if cache_dir is not None else out_dir / ".cache") / f"{backbone.key}-freedom-{name}"
    feats = extract.encode_images(backbone, [root / p for p in paths], shard_dir=work / "images",
                                  batch_size=batch_size, num_workers=num_workers, shard_size=shard_size,
                                  on_error=on_error, progress=progress)
    row = {p: i for i, p in enumerate(paths)}
    keep = {p for p, ok in zip(paths, ~np.isnan(feats).any(axis=1)) if ok}
    queries, database = queries[queries.path.isin(keep)], database[database.path.isin(keep)]
    names = domains(name)
    text = dict(zip(names, extract.encode_texts(backbone, names)))
    objects = extract.read_object_corpus(corpus_pos_csv, keep_header)
    context = dict(zip(names, extract.contextualize(backbone, names, objects, context_number, context_mode,
                                                    context_seed)))
    pos_prompts = extract.read_object_corpus(corpus_pos_csv, keep_header=True)
    neg_prompts = extract.read_object_corpus(corpus_neg_csv, keep_header=True)
    assets = dict(corpus_pos=extract.encode_texts(backbone, pos_prompts), corpus_neg=extract.encode_texts(backbone, neg_prompts),
                  corpus_pos_prompts=np.asarray(pos_prompts), corpus_neg_prompts=np.asarray(neg_prompts))
    if image_mean is not None:
        assets["image_mean"] = (reference_io.read_laion_mean(image_mean) if isinstance(image_mean, (str, os.PathLike))
                                else np.asarray(image_mean, np.float32).reshape(-1))
    if synthetic is not None:
        si, st = reference_io.read_synthetic(synthetic) if isinstance(synthetic, (str, os.PathLike)) else synthetic
        assets.update(synthetic_image=np.asarray(si, np.float32), synthetic_text=np.asarray(st, np.float32))
    meta = {"backbone": backbone.name, "pretrained": backbone.pretrained, "backbone_key": backbone.key,
            "precision": backbone.precision_for_device(), "dataset": name, "root": str(root),
            "lists": f"NikosEfth/freedom@{FREEDOM_COMMIT[:7]}",
            "context": {"mode": context_mode, "number": context_number, "seed": context_seed,
                        "keep_header": keep_header, "corpus": Path(corpus_pos_csv).name},
            "skipped_images": [p for p in paths if p not in keep]}
    features = semantic_features(feats[[row[p] for p in queries.path]], queries, feats[[row[p] for p in database.path]],
                                 database, names, text, context, dataset=name, meta=meta, **assets)
    features.save(out_dir)
    return features


# ----------------------------------------------------------------------------- command line
def main(argv=None) -> int:
    from .extract import INPUT_ERRORS, add_arguments, load_backbone
    parser = argparse.ArgumentParser(prog="python -m basic.freedom", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("fetch", "extract"):
        p = sub.add_parser(command)
        p.add_argument("dataset", choices=sorted(SPECS))
        p.add_argument("--root", help="FREEDOM's data/ folder (default CACHE/freedom)")
        p.add_argument("--cache", help="download cache (default $BASIC_CACHE_DIR or the per-user cache)")
        if command == "extract":
            p.add_argument("--out", required=True, help="features folder to write")
            p.add_argument("--corpus-pos"), p.add_argument("--corpus-neg")
            p.add_argument("--image-mean"), p.add_argument("--synthetic")
            p.add_argument("--no-fetch", action="store_true", help="the data folder is complete: fetch nothing")
            add_arguments(p)
    args = parser.parse_args(argv)
    try:
        root = Path(args.root) if args.root else default_root(args.cache)
        if args.command == "fetch" or not args.no_fetch:
            root = fetch_dataset(args.dataset, root, args.cache)
            print(f"{args.dataset}: {root / spec(args.dataset).folder}")
        if args.command == "fetch":
            return 0
        found = {"corpus_pos": args.corpus_pos, "corpus_neg": args.corpus_neg, "image_mean": args.image_mean,
                 "synthetic": args.synthetic}
        if not (args.corpus_pos and args.corpus_neg):
            found = {**fetch.fetch_basic_assets(args.backbone, args.cache), **{k: v for k, v in found.items() if v}}
        backbone = load_backbone(args.backbone, args.pretrained, args.device, args.precision, args.decode)
        extract_semantic(backbone, args.dataset, root, args.out, found["corpus_pos"], found["corpus_neg"],
                         found["image_mean"], found["synthetic"], batch_size=args.batch_size,
                         num_workers=args.workers, shard_size=args.shard_size,
                         on_error="skip" if args.skip_bad_images else "stop", context_number=args.context_number,
                         context_mode=args.context_mode, context_seed=args.context_seed,
                         keep_header=not args.clean_corpus_header, cache_dir=fetch.cache_dir(args.cache) / "features",
                         overwrite=args.overwrite)
        print(f"wrote {args.out}; evaluate it with: python -m basic evaluate {args.out} --database global --preset basic")
    except (FetchError, KeyError, *INPUT_ERRORS) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
