"""Feature extraction through open_clip: images (sharded, resumable), texts, contextualised texts.

The paper's backbones are ``clip`` (open_clip ``ViT-L-14`` with ``openai`` weights) and ``siglip``
(``hf-hub:timm/ViT-L-16-SigLIP-256``); any open_clip model name works too, with a pretrained tag,
a local checkpoint path, or no weights at all (random init, for tests). ``tiny`` is the offline
tiny world's CLIP. Features are returned raw (not normalised), float32, as the reference stores them.

Image extraction reads with a DataLoader (workers), runs fp16 weights on a GPU (fp32 on the CPU), shows a
tqdm bar, and, given ``shard_dir``, writes one ``.npy`` per shard atomically; a rerun after an
interruption skips the finished shards. Unreadable images are listed by path.

The loader is fast by default on a GPU: one torch thread per worker, a worker count chosen from the cores
(``default_workers``), and JPEG draft decoding (PIL decodes at 1/2, 1/4 or 1/8 scale inside the JPEG
decoder) whenever the decoded image keeps at least ``DRAFT_GAP`` (2) times the model's input size on both
sides, the margin Pillow's own ``thumbnail`` keeps (its ``reducing_gap``). Features stay faithful: cosine
>= 0.999 to a plain fp32 full decode on real photographs (``tests/test_extract_fidelity.py``; with a
margin of 1 the tiny CLIP fell to 0.994 on one photograph). On the CPU the model is the bottleneck, so the
default there is the plain full decode.

Command line (the features folder of ``basic.features.Features``)::

    python -m basic.extract --backbone clip --data CACHE/icir_v1.0.0/icir --out features/clip \
        --corpus-pos generic_subjects.csv --corpus-neg generic_styles.csv \
        [--image-mean laion_1m_mean_clip.pkl] [--synthetic dataset_1_sd_clip.pkl.npy]
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import pickle
import re
import sys
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .features import Features
from .fileio import atomic_write

#: JPEG draft decoding keeps at least this many times the model's input size (Pillow's thumbnail keeps 2)
DRAFT_GAP = 2.0



class ImageReadError(RuntimeError):
    """Some images could not be read; ``paths`` lists them (with the reason in ``reasons``)."""

    def __init__(self, failures: dict[str, str]):
        self.paths = sorted(failures)
        self.reasons = dict(failures)
        listing = "\n".join(f"  {p}: {failures[p]}" for p in self.paths[:50])
        more = f"\n  ... and {len(self.paths) - 50} more" if len(self.paths) > 50 else ""
        super().__init__(f"{len(self.paths)} image(s) could not be read:\n{listing}{more}\n"
                         "Replace or remove them, or pass on_error='skip' (--skip-bad-images) to leave them out.")


# ---------------------------------------------------------------------------- backbone
@dataclass
class Backbone:
    """A loaded model with its image preprocessing and tokenizer, and what identifies its features."""

    model: object
    preprocess: object
    tokenizer: object
    name: str
    pretrained: str | None
    device: object
    precision: str = "auto"
    extra: dict = field(default_factory=dict)
    decode: str = "auto"          # JPEG decoding: 'auto' (draft on a GPU), 'draft' or 'full'

    @property
    def key(self) -> str:
        """Identifies features: model name, weights (a local file by the sha256 of its bytes, so the key is the
        same in every clone and changes when the file does), preprocessing, precision, and on a GPU the
        weights' dtype and the JPEG decoding."""
        weights = self.pretrained
        if weights and os.path.isfile(weights):
            weights = f"sha256:{_file_sha256(weights)}"
        preprocess = re.sub(r" at 0x[0-9a-fA-F]+", "", repr(self.preprocess))  # no memory addresses
        parts = [self.name, weights, preprocess, self.precision_for_device()]
        if self.half_weights:
            parts.append("fp16-weights")
        if self.draft_size is not None:
            parts.append(f"jpeg-draft-{self.draft_size}")
        text = json.dumps(parts)
        return f"{_slug(self.name)}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"

    def precision_for_device(self) -> str:
        if self.precision != "auto":
            return self.precision
        return "fp16" if _device_type(self.device) == "cuda" else "fp32"

    @property
    def half_weights(self) -> bool:
        """fp16 weights (and inputs) on a GPU: faster than autocast over fp32 weights."""
        return _device_type(self.device) == "cuda" and self.precision_for_device() == "fp16"

    @property
    def draft_size(self) -> int | None:
        """The side JPEG draft decoding keeps at least (DRAFT_GAP x the model's input size), or None for a
        full decode."""
        mode = self.decode
        if mode == "auto":
            mode = "draft" if _device_type(self.device) == "cuda" else "full"
        size = input_size(self.preprocess)
        return int(round(DRAFT_GAP * size)) if mode == "draft" and size else None

    def autocast(self):
        """fp16 autocast on a GPU over fp32 weights; nothing when the weights are fp16 or on the CPU."""
        import torch
        if _device_type(self.device) == "cuda" and self.precision_for_device() == "fp16" and not self.half_weights:
            return torch.autocast("cuda", dtype=torch.float16)
        return nullcontext()

    def to_input(self, images):
        """A batch of preprocessed images on the model's device, in the weights' dtype."""
        import torch
        dtype = torch.float16 if self.half_weights else torch.float32
        return images.to(self.device, dtype=dtype, non_blocking=True)

    def tokenize(self, texts: list[str]):
        context = getattr(self.model, "context_length", None)
        try:
            tokens = self.tokenizer(texts, context_length=context) if context else self.tokenizer(texts)
        except TypeError:
            tokens = self.tokenizer(texts)
        return tokens.to(self.device)


_SHA256_SEEN: dict[tuple, str] = {}


def _file_sha256(path) -> str:
    """sha256 of a file's bytes, computed once per (path, size, mtime) in this process."""
    stat = os.stat(path)
    seen = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
    if seen not in _SHA256_SEEN:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _SHA256_SEEN[seen] = digest.hexdigest()
    return _SHA256_SEEN[seen]


def input_size(preprocess) -> int | None:
    """The largest side a torchvision preprocessing resizes or crops to (224 for ViT-L/14), or None."""
    sizes = []
    for t in getattr(preprocess, "transforms", []):
        if type(t).__name__ in ("Resize", "CenterCrop", "ResizeKeepRatio", "ResizeMaxSize"):
            size = getattr(t, "size", None) or getattr(t, "max_size", None)
            if isinstance(size, int):
                sizes.append(size)
            elif isinstance(size, (tuple, list)) and size:
                sizes.append(max(int(v) for v in size))
    return max(sizes) if sizes else None


def default_workers(device) -> int:
    """DataLoader workers from the cores this process may use: all but two on a GPU (the main process and
    the pinning thread keep theirs), at most 32; on the CPU the model needs the cores, so at most 2."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:                       # not Linux
        cores = os.cpu_count() or 1
    if _device_type(device) == "cuda":
        return max(1, min(cores - 2, 32))
    return max(0, min(2, cores // 2))


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40]


def _device_type(device) -> str:
    return getattr(device, "type", str(device).split(":")[0])


def default_device():
    import torch
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_backbone(name: str, pretrained: str | None = None, device=None, precision: str = "auto",
                  decode: str = "auto") -> Backbone:
    """Load a backbone: 'clip', 'siglip', 'tiny', or an open_clip model name (+ tag or local checkpoint).

    ``pretrained`` for an open_clip name: None (random weights), a tag such as 'openai', or the path of
    a local checkpoint. ``precision``: 'auto' (fp16 weights on a GPU, fp32 on the CPU), 'fp16' or 'fp32'.
    ``decode``: 'auto' (JPEG draft decoding on a GPU, full decoding on the CPU), 'draft' or 'full'.
    """
    import torch
    try:
        device = torch.device(device) if device is not None else default_device()
    except RuntimeError as error:
        raise ValueError(f"unknown device {device!r} ({error}); use cuda, cuda:1 or cpu") from None
    if precision not in ("auto", "fp16", "fp32"):
        raise ValueError(f"precision must be 'auto', 'fp16' or 'fp32', not {precision!r}")
    if decode not in ("auto", "draft", "full"):
        raise ValueError(f"decode must be 'auto', 'draft' or 'full', not {decode!r}")
    from .backbones import backbone_names, find_backbone
    entry = find_backbone(name)
    import open_clip
    if entry is not None:
        model_name, tag = entry.model, (pretrained if pretrained is not None else entry.pretrained)
    else:
        model_name, tag = name, pretrained
    if tag and not os.path.isfile(tag) and (os.sep in tag or tag.endswith((".pt", ".bin", ".safetensors"))):
        raise FileNotFoundError(f"checkpoint {tag} not found: give an existing file, an open_clip tag "
                                f"(see open_clip.list_pretrained()), or no weights")
    loading = entry.prepare() if entry is not None and entry.prepare else nullcontext()
    with loading:
        if model_name not in open_clip.list_models() and not model_name.startswith("hf-hub:"):
            raise ValueError(f"unknown backbone {name!r}: use one of {', '.join(backbone_names())} (basic.backbones) "
                             "or an open_clip model name (open_clip.list_models(), e.g. 'ViT-B-32')")
        model, _, preprocess = open_clip.create_model_and_transforms(model_name, pretrained=tag)
        try:
            tokenizer = entry.tokenizer() if entry is not None and entry.tokenizer else open_clip.get_tokenizer(model_name)
        except ImportError as error:         # SigLIP's tokenizer comes from transformers
            raise ImportError(f"the tokenizer of {model_name} needs {error.name or 'a missing package'}: "
                              "pip install -e '.[extract]' installs it (transformers, sentencepiece)") from error
    model = model.to(device).eval()
    return _half(Backbone(model, preprocess, tokenizer, entry.name if entry is not None else model_name,
                          tag, device, precision, decode=decode))


def _half(backbone: Backbone) -> Backbone:
    if backbone.half_weights:
        backbone.model.half()
    return backbone


# ---------------------------------------------------------------------------- texts
def encode_texts(backbone: Backbone, texts, batch_size: int = 256, progress: bool = False) -> np.ndarray:
    """Raw text embeddings (len(texts), d), float32."""
    import torch
    from tqdm.auto import tqdm

    texts = [str(t) for t in texts]
    out = []
    with torch.no_grad(), backbone.autocast():
        for start in tqdm(range(0, len(texts), batch_size), disable=not progress, desc="texts", leave=False):
            tokens = backbone.tokenize(texts[start:start + batch_size])
            out.append(backbone.model.encode_text(tokens).float().cpu().numpy())
    if not out:
        raise ValueError("no texts to encode")
    return np.concatenate(out).astype(np.float32)


def read_object_corpus(csv_path: str | os.PathLike, keep_header: bool = True) -> list[str]:
    """First column of every row of a corpus CSV.

    The reference reads corpora with csv.reader and keeps every row, so the header 'object_name'
    becomes the first object: that is the default here; ``keep_header=False`` drops the first row.
    """
    path = Path(csv_path)
    if not path.is_file():
        raise FileNotFoundError(f"corpus {path} not found: fetch it with basic.fetch.fetch_asset('{path.name}')")
    with open(path, newline="", encoding="utf-8") as f:
        rows = [row[0] for row in csv.reader(f) if row]
    rows = rows if keep_header else rows[1:]
    if not rows:
        raise ValueError(f"corpus {path} holds no entries")
    return rows


def choose_objects(objects: list[str], number: int = 100, mode: str = "reference", seed: int = 0) -> list[str]:
    """The objects used for contextualisation: the first ``number`` (reference) or a seeded random set (paper)."""
    number = min(number, len(objects))
    if mode == "reference":
        return list(objects[:number])
    if mode == "random":
        picks = np.random.default_rng(seed).choice(len(objects), size=number, replace=False)
        return [objects[i] for i in sorted(picks)]
    raise ValueError(f"mode must be 'reference' (first rows of the corpus) or 'random' (seeded), not {mode!r}")


def contextual_prompts(text: str, objects: list[str]) -> list[str]:
    """The 2·n prompts that contextualise one query text: '<object> <text>' then '<text> <object>'."""
    return [f"{o} {text}" for o in objects] + [f"{text} {o}" for o in objects]


def contextualize(backbone: Backbone, texts, objects: list[str], number: int = 100, mode: str = "reference",
                  seed: int = 0, batch_size: int = 512, progress: bool = False) -> np.ndarray:
    """Contextualised text features X: per query text, the mean of the unit embeddings of its 2·n prompts.

    Each distinct text is encoded once. Returns (len(texts), d) float32.
    """
    chosen = choose_objects(list(objects), number, mode, seed)
    texts = [str(t) for t in texts]
    unique = list(dict.fromkeys(texts))
    means = {}
    for text in unique:
        emb = encode_texts(backbone, contextual_prompts(text, chosen), batch_size=batch_size)
        emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
        means[text] = emb.mean(axis=0)
        if progress:
            print(f"\rcontextualised {len(means)}/{len(unique)} texts", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    return np.stack([means[t] for t in texts]).astype(np.float32)


# ---------------------------------------------------------------------------- images
class ImageFiles:
    """A map-style dataset: index -> (index, preprocessed image or None, error message or '').

    ``draft_size``: decode JPEGs with PIL's draft mode, at the smallest 1/2, 1/4 or 1/8 scale that keeps
    both sides at least ``draft_size`` pixels (the model's input size), so that the resize that follows
    still only shrinks. None: decode every image at full size.
    """

    def __init__(self, paths: list[Path], preprocess, draft_size: int | None = None):
        self.paths = paths
        self.preprocess = preprocess
        self.draft_size = draft_size

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        from PIL import Image
        try:
            with Image.open(self.paths[index]) as image:
                if self.draft_size and image.format == "JPEG":
                    image.draft("RGB", (self.draft_size, self.draft_size))
                return index, self.preprocess(image.convert("RGB")), ""
        except Exception as error:  # noqa: BLE001 - any decode failure is reported by path
            return index, None, f"{type(error).__name__}: {error}"


def one_thread(_worker_id: int) -> None:
    """DataLoader worker_init_fn: one torch thread per worker (many workers x many threads thrash)."""
    import torch
    torch.set_num_threads(1)


def collate(items):
    """Stack the good images; keep the indices and the failures apart."""
    import torch
    good = [(i, x) for i, x, err in items if not err]
    bad = [(i, err) for i, _, err in items if err]
    images = torch.stack([x for _, x in good]) if good else None
    return [i for i, _ in good], images, bad


def image_loader(dataset: ImageFiles, batches: list[list[int]], num_workers: int, pin_memory: bool):
    """A DataLoader that yields the given batches of indices (so a batch never spans two shards)."""
    from torch.utils.data import DataLoader
    return DataLoader(dataset, batch_sampler=batches, num_workers=num_workers, collate_fn=collate,
                      pin_memory=pin_memory, persistent_workers=False,
                      worker_init_fn=one_thread if num_workers > 0 else None)


def _resolve(paths, root) -> list[Path]:
    if root is None:
        return [Path(p) for p in paths]
    from .icir import resolve_image
    return [resolve_image(root, str(p)) for p in paths]


def _manifest(shard_dir: Path, backbone: Backbone, paths: list[Path], shard_size: int) -> None:
    """Create or check shard_dir/manifest.json so that shards of different runs never get mixed."""
    digest = hashlib.sha256("\n".join(map(str, paths)).encode()).hexdigest()
    want = {"backbone_key": backbone.key, "n_images": len(paths), "shard_size": shard_size, "paths_sha256": digest}
    path = shard_dir / "manifest.json"
    if path.is_file():
        have = json.loads(path.read_text())
        diff = {k: (have.get(k), v) for k, v in want.items() if have.get(k) != v}
        if diff:
            raise ValueError(f"{shard_dir} holds shards of another extraction (differs in {sorted(diff)}); "
                             "use another shard folder, or delete this one to start over")
    else:
        shard_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: json.dump(want, f, indent=1))


def shard_path(shard_dir: Path, index: int) -> Path:
    return Path(shard_dir) / f"shard_{index:05d}.npy"


def _check_counts(batch_size, num_workers, shard_size) -> None:
    for name, value, least in (("batch_size", batch_size, 1), ("shard_size", shard_size, 1),
                               ("num_workers", num_workers, 0)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < least):
            raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}")


def _load_shard(path: Path, rows: int) -> np.ndarray | None:
    """A finished shard, or None (with a warning naming it) when it is unreadable, mis-shaped or not finite."""
    try:
        block = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        why = f"it cannot be read ({type(error).__name__})"
    else:
        if block.ndim != 2 or len(block) != rows or not np.issubdtype(block.dtype, np.floating):
            why = f"it has shape {block.shape} ({block.dtype}) where ({rows}, d) floats were expected"
        elif not np.isfinite(block).all():
            why = "it holds NaN or infinite rows"
        else:
            return block
    warnings.warn(f"shard {path} is ignored and computed again: {why}")
    return None


def encode_images(backbone: Backbone, paths, root=None, batch_size: int = 64, num_workers: int | None = None,
                  shard_dir=None, shard_size: int = 4096, on_error: str = "stop", progress: bool = True,
                  on_shard=None) -> np.ndarray:
    """Raw image embeddings (len(paths), d) float32, in the order of ``paths``.

    ``root``: folder the paths are relative to (i-CIR: the icir/ folder). ``shard_dir``: write each
    block of ``shard_size`` rows to shard_NNNNN.npy (atomically) and skip existing shards on a rerun
    (a shard that is unreadable, mis-shaped or holds NaN is computed again, with a warning).
    ``on_error``: 'stop' extracts what it can, then raises ImageReadError listing every unreadable
    image; 'skip' gives those rows NaN and warns with the list. Either way a shard holding an unreadable
    image is never written, so a later run tries those images again. ``num_workers``: None picks
    ``default_workers``. ``on_shard(index, path)`` is called after each shard is written (tests
    interrupt from it).
    """
    import torch
    from tqdm.auto import tqdm

    if on_error not in ("stop", "skip"):
        raise ValueError(f"on_error must be 'stop' or 'skip', not {on_error!r}")
    _check_counts(batch_size, num_workers, shard_size)
    if num_workers is None:
        num_workers = default_workers(backbone.device)
    paths = _resolve(list(paths), root)
    n = len(paths)
    if n == 0:
        raise ValueError("no images to encode")
    shard_size = shard_size if shard_dir is not None else n
    n_shards = (n + shard_size - 1) // shard_size
    shards: dict[int, np.ndarray] = {}
    if shard_dir is not None:
        shard_dir = Path(shard_dir)
        _manifest(shard_dir, backbone, paths, shard_size)
        for s in range(n_shards):
            if shard_path(shard_dir, s).is_file():
                block = _load_shard(shard_path(shard_dir, s), min((s + 1) * shard_size, n) - s * shard_size)
                if block is not None:
                    shards[s] = block
    todo = [s for s in range(n_shards) if s not in shards]
    batches = [list(range(b, min(b + batch_size, (s + 1) * shard_size, n)))
               for s in todo for b in range(s * shard_size, min((s + 1) * shard_size, n), batch_size)]
    failures: dict[str, str] = {}
    on_gpu = _device_type(backbone.device) == "cuda"
    dataset = ImageFiles(paths, backbone.preprocess, backbone.draft_size)
    loader = image_loader(dataset, batches, num_workers, pin_memory=on_gpu)
    buffer: dict[int, dict[int, np.ndarray]] = {s: {} for s in todo}
    bar = tqdm(total=n, initial=sum(len(v) for v in shards.values()), unit="img", desc="images",
               disable=not progress)
    with bar, torch.no_grad():
        for indices, images, bad in loader:
            s = (indices or [i for i, _ in bad])[0] // shard_size
            for i, err in bad:
                failures[str(paths[i])] = err
                buffer[s][i] = None
            if images is not None:
                with backbone.autocast():
                    feats = backbone.model.encode_image(backbone.to_input(images)).float().cpu().numpy()
                _check_model_output(feats, [paths[i] for i in indices], backbone)
                for i, row in zip(indices, feats):
                    buffer[s][i] = row
            bar.update(len(indices) + len(bad))
            if len(buffer[s]) == min((s + 1) * shard_size, n) - s * shard_size:
                shards[s] = _finish_shard(buffer.pop(s), s, shard_size, shard_dir, on_error, on_shard)
    if failures and on_error == "stop":
        raise ImageReadError(failures)
    if failures:
        warnings.warn(str(ImageReadError(failures)).replace("Replace", "They are left out (NaN rows). Replace"))
    width = next((b.shape[1] for b in shards.values() if b is not None), None)
    if width is None:
        raise ImageReadError(failures)
    blocks = [shards[s] if shards[s] is not None else
              np.full((min((s + 1) * shard_size, n) - s * shard_size, width), np.nan, np.float32)
              for s in range(n_shards)]
    return np.concatenate(blocks).astype(np.float32)


def _check_model_output(feats: np.ndarray, paths: list, backbone: Backbone) -> None:
    bad = ~np.isfinite(feats).all(axis=1)
    if bad.any():
        first = paths[int(np.flatnonzero(bad)[0])]
        hint = (" (fp16 overflow? rerun with --precision fp32)" if backbone.precision_for_device() == "fp16"
                else "")
        raise ValueError(f"the model gave NaN or infinite features for {int(bad.sum())} image(s), e.g. {first}"
                         f"{hint}; nothing of this batch was saved")


def _finish_shard(rows: dict, s: int, shard_size: int, shard_dir, on_error: str, on_shard) -> np.ndarray:
    order = sorted(rows)
    width = next((len(r) for r in rows.values() if r is not None), None)
    if width is None:  # every image of this shard failed: filled in once the width is known
        return None
    block = np.stack([rows[i] if rows[i] is not None else np.full(width, np.nan, np.float32) for i in order])
    has_bad = any(rows[i] is None for i in order)
    if shard_dir is not None and not has_bad:    # NaN rows of skipped images are never cached
        target = shard_path(shard_dir, s)
        atomic_write(target, lambda f: np.save(f, block.astype(np.float32)), binary=True)
        if on_shard is not None:
            on_shard(s, target)
    return block.astype(np.float32)


# ---------------------------------------------------------------------------- a benchmark folder
def _cached_array(path: Path, compute) -> np.ndarray:
    if path.is_file():
        return np.load(path, allow_pickle=False)
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: np.save(f, value), binary=True)
    return value


def _file_tag(path) -> str:
    from .fetch import sha256_of
    return sha256_of(path)[:16]


def extract_benchmark(backbone: Backbone, dataset_root, out_dir, corpus_pos_csv, corpus_neg_csv,
                      image_mean=None, synthetic=None, *, batch_size: int = 64, num_workers: int | None = None,
                      shard_size: int = 4096, on_error: str = "stop", context_number: int = 100,
                      context_mode: str = "reference", context_seed: int = 0, keep_header: bool = True,
                      cache_dir=None, overwrite: bool = False, progress: bool = True) -> Features:
    """Extract every feature BASIC reads for i-CIR and write a ``basic.features.Features`` folder.

    Images (queries, database) are sharded and resumable under ``cache_dir`` (default
    OUT/.cache), keyed by backbone, weights, preprocessing and dataset version. The query texts
    are contextualised with the positive corpus (reference rule by default). Corpora are encoded
    whole, header row included, as the reference does. ``image_mean``: a LAION mean pickle or an
    array; ``synthetic``: a dataset_1_sd_*.pkl.npy file or an (image, text) pair of arrays.
    An existing features folder is not overwritten unless ``overwrite``.
    """
    from . import reference_io
    from .icir import load_icir

    out_dir = Path(out_dir)
    if Features.exists(out_dir) and not overwrite:
        raise FileExistsError(f"{out_dir} already holds features; choose another --out or pass overwrite=True (--overwrite)")
    data = load_icir(dataset_root)
    version_file = Path(dataset_root) / "VERSION.txt"
    version = version_file.read_text().strip() if version_file.is_file() else "unversioned"
    key = f"{backbone.key}-icir{_slug(version)}"
    work = Path(cache_dir) if cache_dir is not None else out_dir / ".cache"
    work = work / key
    common = dict(root=dataset_root, batch_size=batch_size, num_workers=num_workers, shard_size=shard_size,
                  on_error=on_error, progress=progress)
    query_image = encode_images(backbone, data.queries.path, shard_dir=work / "query", **common)
    db_image = encode_images(backbone, data.database.path, shard_dir=work / "database", **common)
    query_text = encode_texts(backbone, data.queries.text)
    objects = read_object_corpus(corpus_pos_csv, keep_header)
    ctx_name = f"context_{context_mode}_{context_number}_{context_seed}_{int(keep_header)}_{_file_tag(corpus_pos_csv)}.npy"
    context = _cached_array(work / ctx_name, lambda: contextualize(
        backbone, data.queries.text, objects, context_number, context_mode, context_seed, progress=progress))
    pos_prompts = read_object_corpus(corpus_pos_csv, keep_header=True)
    neg_prompts = read_object_corpus(corpus_neg_csv, keep_header=True)
    corpus_pos = _cached_array(work / f"corpus_{_file_tag(corpus_pos_csv)}.npy",
                               lambda: encode_texts(backbone, pos_prompts, progress=progress))
    corpus_neg = _cached_array(work / f"corpus_{_file_tag(corpus_neg_csv)}.npy",
                               lambda: encode_texts(backbone, neg_prompts, progress=progress))
    extra = {}
    if image_mean is not None:
        extra["image_mean"] = (reference_io.read_laion_mean(image_mean) if isinstance(image_mean, (str, os.PathLike))
                               else np.asarray(image_mean, np.float32).reshape(-1))
    if synthetic is not None:
        si, st = (reference_io.read_synthetic(synthetic) if isinstance(synthetic, (str, os.PathLike))
                  else synthetic)
        extra.update(synthetic_image=np.asarray(si, np.float32), synthetic_text=np.asarray(st, np.float32))
    keep_q = ~np.isnan(query_image).any(axis=1)
    keep_db = ~np.isnan(db_image).any(axis=1)
    meta = {"backbone": backbone.name, "pretrained": backbone.pretrained, "backbone_key": backbone.key,
            "precision": backbone.precision_for_device(), "dataset": "i-CIR", "dataset_version": version,
            "context": {"mode": context_mode, "number": context_number, "seed": context_seed,
                        "keep_header": keep_header, "corpus": Path(corpus_pos_csv).name},
            "skipped_images": [p for p, k in zip(data.queries.path, keep_q) if not k]
                              + [p for p, k in zip(data.database.path, keep_db) if not k]}
    features = Features(
        query_image=query_image[keep_q], query_text=query_text[keep_q], query_text_context=context[keep_q],
        db_image=db_image[keep_db], queries=data.queries[keep_q], database=data.database[keep_db],
        corpus_pos=corpus_pos, corpus_neg=corpus_neg, corpus_pos_prompts=np.asarray(pos_prompts),
        corpus_neg_prompts=np.asarray(neg_prompts), meta=meta, **extra)
    features.save(out_dir)
    return features


# ---------------------------------------------------------------------------- command line
def _counting(least: int):
    """An argparse type: a whole number >= ``least`` (so --batch-size 0 is a usage error, not a traceback)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be >= {least}, got {value}")
        return value
    parse.__name__ = f"whole number >= {least}"
    return parse


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The extraction options (shared by ``python -m basic.extract`` and ``basic.realpath``)."""
    parser.add_argument("--backbone", default="clip", help="clip | siglip | tiny | an open_clip model name")
    parser.add_argument("--pretrained", help="open_clip tag or local checkpoint (with an open_clip model name)")
    parser.add_argument("--device", help="cuda, cuda:1, cpu (default: cuda when available)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp16", "fp32"],
                        help="auto = fp16 weights on a GPU, fp32 on the CPU; fp32 matches the reference")
    parser.add_argument("--decode", default="auto", choices=["auto", "draft", "full"],
                        help="JPEG decoding: auto = draft (reduced scale, never below twice the model's input "
                             "size) on a GPU, full on the CPU")
    parser.add_argument("--batch-size", type=_counting(1), default=256)
    parser.add_argument("--workers", type=_counting(0), default=None,
                        help="DataLoader worker processes (default: from the cores; see default_workers)")
    parser.add_argument("--shard-size", type=_counting(1), default=4096)
    parser.add_argument("--skip-bad-images", action="store_true", help="leave unreadable images out (listed)")
    parser.add_argument("--context-mode", default="reference", choices=["reference", "random"],
                        help="reference = first 100 corpus rows (header kept); random = the paper's seeded set")
    parser.add_argument("--context-number", type=_counting(1), default=100)
    parser.add_argument("--context-seed", type=int, default=0)
    parser.add_argument("--clean-corpus-header", action="store_true",
                        help="drop the corpus header row 'object_name' from contextualisation")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing features folder")
    return parser


def run_extraction(args, dataset_root, out, corpus_pos, corpus_neg, image_mean=None, synthetic=None,
                   cache_dir=None) -> Features:
    from . import reference_io
    from .icir import load_icir
    # the small inputs first, so that a bad file is reported before the model is downloaded or loaded
    if isinstance(image_mean, (str, os.PathLike)):
        image_mean = reference_io.read_laion_mean(image_mean)
    if isinstance(synthetic, (str, os.PathLike)):
        synthetic = reference_io.read_synthetic(synthetic)
    load_icir(dataset_root)
    read_object_corpus(corpus_pos)
    read_object_corpus(corpus_neg)
    backbone = load_backbone(args.backbone, args.pretrained, args.device, args.precision, args.decode)
    return extract_benchmark(
        backbone, dataset_root, out, corpus_pos, corpus_neg, image_mean, synthetic,
        batch_size=args.batch_size, num_workers=args.workers, shard_size=args.shard_size,
        on_error="skip" if args.skip_bad_images else "stop", context_number=args.context_number,
        context_mode=args.context_mode, context_seed=args.context_seed,
        keep_header=not args.clean_corpus_header, cache_dir=cache_dir, overwrite=args.overwrite)


#: what a bad input or a bad file raises (caught by the command lines: message, exit 2, no traceback)
INPUT_ERRORS = (ImageReadError, OSError, ValueError, ImportError, pickle.UnpicklingError)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m basic.extract", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the i-CIR folder (icir/ with query_files.csv ...)")
    parser.add_argument("--out", required=True, help="features folder to write")
    parser.add_argument("--corpus-pos", required=True, help="generic_subjects.csv")
    parser.add_argument("--corpus-neg", required=True, help="generic_styles.csv")
    parser.add_argument("--image-mean", help="laion_1m_mean_{clip,siglip}.pkl")
    parser.add_argument("--synthetic", help="dataset_1_sd_{clip,siglip}.pkl.npy")
    parser.add_argument("--cache", help="where shards go (default OUT/.cache)")
    args = add_arguments(parser).parse_args(argv)
    try:
        features = run_extraction(args, args.data, args.out, args.corpus_pos, args.corpus_neg,
                                  args.image_mean, args.synthetic, args.cache)
    except INPUT_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of memory; lower --batch-size or --workers", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {len(features.queries)} queries, {len(features.database)} database images, d={features.dim}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
