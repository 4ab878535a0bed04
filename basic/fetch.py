"""Fetch i-CIR and BASIC's assets: checksums, retries, resumable downloads, a cache you choose.

Everything goes through ``pooch.retrieve`` (hash check, atomic move into the cache) with a small
downloader of our own, :class:`ResumableDownloader`, that keeps a ``.part`` file next to the
target and continues it with an HTTP ``Range`` request after an interruption, retrying on
network errors.

Where files go (first match wins): the ``cache`` argument, the ``BASIC_CACHE_DIR`` environment
variable, ``pooch.os_cache("basic")``. Layout inside the cache::

    CACHE/assets/generic_subjects.csv, generic_styles.csv, laion_1m_mean_{clip,siglip}.pkl,
                 dataset_1_sd_{clip,siglip}.pkl.npy
    CACHE/assets/checksums.json          sha256 of the synthetic sets, recorded once they pass
                                         their pinned git blob id (see ``Asset.git_blob``)
    CACHE/downloads/icir_v1.0.0.tar.gz   (+ .sha256)   the dataset tarball
    CACHE/icir_v1.0.0/icir/...           the extracted dataset
    CACHE/icir_hf/...                    the Hugging Face alternative (webdataset + annotations)

Base URLs can be overridden (argument, or the ``BASIC_REFERENCE_URL`` / ``BASIC_ICIR_URL`` /
``BASIC_HF_URL`` environment variables) to use a mirror; the tests point them at a loopback server.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from .fileio import atomic_write

REFERENCE_COMMIT = "463cc1d4881854f9667977b6dab0e775902ea760"
REFERENCE_URL = f"https://raw.githubusercontent.com/billpsomas/icir/{REFERENCE_COMMIT}/"
ICIR_URL = "https://vrg.fel.cvut.cz/icir/"
HF_URL = "https://huggingface.co/"
HF_REPO = "billpsomas/icir"
ICIR_VERSION = "1.0.0"
ICIR_TARBALL = f"icir_v{ICIR_VERSION}.tar.gz"
ICIR_CHECKSUM_FILE = f"icir_v{ICIR_VERSION}.sha256"
ICIR_LAYOUT = ("database", "query", "database_files.csv", "query_files.csv",
               "VERSION.txt", "LICENSE", "checksums.sha256")
CACHE_ENV = "BASIC_CACHE_DIR"


class FetchError(RuntimeError):
    """A download or verification failed; the message says which file, from where, and the fix."""


@dataclass(frozen=True)
class Asset:
    """One file of the reference repository: its path there, its sha256 (None: unknown here) and, for
    files whose sha256 is not known, the git blob id (SHA-1) the pinned commit lists for it."""

    path: str
    sha256: str | None
    git_blob: str | None = None


ASSETS = {
    "generic_subjects.csv": Asset("corpora/generic_subjects.csv",
                                  "c090d82e6e592fa9c0dc50b33e796b1fbc595c735bf8d1bf1166396bcf86e70a"),
    "generic_styles.csv": Asset("corpora/generic_styles.csv",
                                "5b7cdeb763e470c4b427a65e713bdd6c902e66d2ef5d82935f330cc93508a207"),
    "laion_1m_mean_clip.pkl": Asset("data/laion_mean/laion_1m_mean_clip.pkl",
                                    "afacfa72119a0837aa031d3fcc570b051bb0074c17577fb86b2168f9689e23ab"),
    "laion_1m_mean_siglip.pkl": Asset("data/laion_mean/laion_1m_mean_siglip.pkl",
                                      "192bafe11847922f0a0d0868486ba5f132de467e70f10b4310f2863c9a2c5744"),
    # The sha256 of the min-normalisation sets is not known here (their bytes were never seen offline), but
    # the pinned commit's tree lists their git blob ids, sha1("blob <size>\0" + bytes): every download and
    # every cached copy is checked against those. Their sha256 is then recorded in CACHE/assets/checksums.json.
    "dataset_1_sd_clip.pkl.npy": Asset("synthetic_data/dataset_1_sd_clip.pkl.npy", None,
                                       git_blob="5bd67ba8e392751a46ecc7be3509b24885981b83"),
    "dataset_1_sd_siglip.pkl.npy": Asset("synthetic_data/dataset_1_sd_siglip.pkl.npy", None,
                                         git_blob="63b62fef598d93c03e90793966e566a5f88b0972"),
}


def assets_for(backbone: str) -> list[str]:
    """Names of the assets BASIC needs with a registered backbone (basic.backbones) whose image mean and
    synthetic set the reference ships ('clip' and 'siglip')."""
    from .backbones import find_backbone, with_reference_assets
    entry = find_backbone(backbone)
    if entry is None or not entry.has_reference_assets:
        raise ValueError(f"the reference ships LAION means and synthetic sets for {', '.join(with_reference_assets())} "
                         f"only, not {backbone!r}")
    return entry.assets


# ---------------------------------------------------------------------------- cache
def cache_dir(cache: str | os.PathLike | None = None) -> Path:
    """The cache folder: the argument, else $BASIC_CACHE_DIR, else pooch's per-user cache."""
    if cache is None:
        cache = os.environ.get(CACHE_ENV) or None
    if cache is None:
        import pooch
        cache = pooch.os_cache("basic")
    path = Path(cache).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _base(arg: str | None, env: str, default: str) -> str:
    base = arg or os.environ.get(env) or default
    return base if base.endswith("/") else base + "/"


def git_blob_id(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """The id git gives a file's content: sha1 of b"blob <size>\\0" followed by the bytes."""
    digest = hashlib.sha1(f"blob {os.path.getsize(path)}\0".encode())
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- downloader
class ResumableDownloader:
    """A pooch downloader that resumes a partial download and retries on network errors.

    Bytes go to ``partial`` (kept across runs); each attempt asks the server for the rest with
    ``Range: bytes=<size>-``. A 206 answer is appended, a 200 answer (server ignores ranges)
    restarts the file, a 416 answer means the partial file is already complete. When the
    partial file is complete it is moved to pooch's temporary output, which pooch hash-checks.
    """

    def __init__(self, partial: str | os.PathLike, retries: int = 3, timeout: float = 30.0,
                 progressbar: bool = True, chunk_size: int = 1 << 16, backoff: float = 1.0):
        self.partial = Path(partial)
        self.retries = retries
        self.timeout = timeout
        self.progressbar = progressbar
        self.chunk_size = chunk_size
        self.backoff = backoff

    def __call__(self, url, output_file, pooch=None, check_only=False):
        import requests

        if check_only:
            response = requests.head(url, timeout=self.timeout, allow_redirects=True)
            return response.status_code == 200
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(self.retries + 1):
            try:
                self._attempt(url)
                break
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError, IncompleteDownload):
                if attempt == self.retries:
                    raise
                time.sleep(self.backoff * (attempt + 1))
        shutil.move(str(self.partial), str(output_file))

    def _attempt(self, url: str) -> None:
        import requests
        from tqdm.auto import tqdm

        have = self.partial.stat().st_size if self.partial.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with requests.get(url, headers=headers, stream=True, timeout=self.timeout) as response:
            if response.status_code == 416:
                # "Range Not Satisfiable": the partial file is whole only if the server says the full size
                # (Content-Range: bytes */SIZE) equals what we have; otherwise start again from zero
                total = response.headers.get("Content-Range", "").rpartition("/")[2]
                if total.isdigit() and int(total) == have:
                    return
                self.partial.unlink(missing_ok=True)
                raise IncompleteDownload(f"{url}: the server refused to resume at byte {have} (reply 416, "
                                         f"Content-Range {response.headers.get('Content-Range')!r}); the "
                                         "partial download was deleted and is fetched again")
            response.raise_for_status()
            mode = "ab" if response.status_code == 206 else "wb"
            if mode == "wb":
                have = 0
            remaining = response.headers.get("Content-Length")
            total = have + int(remaining) if remaining is not None else None
            bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=self.partial.name[:-5],
                       disable=not self.progressbar, leave=False)
            got = 0
            with open(self.partial, mode) as f, bar:
                for block in response.iter_content(chunk_size=self.chunk_size):
                    f.write(block)
                    got += len(block)
                    bar.update(len(block))
            if remaining is not None and got < int(remaining):
                raise IncompleteDownload(f"{url}: got {got} of {remaining} bytes")


class IncompleteDownload(IOError):
    """The server closed the connection before sending every byte it announced."""


# ---------------------------------------------------------------------------- one file
def download(url: str, dest: str | os.PathLike, sha256: str | None = None, *, retries: int = 3,
             progressbar: bool = True, what: str | None = None) -> Path:
    """Download ``url`` to ``dest`` (resumable, verified); skip when ``dest`` already matches.

    Raises FetchError naming the file, the URL and where to put the file by hand.
    """
    import pooch
    import requests

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    what = what or dest.name
    hint = (f"Without internet, download {url} elsewhere and put it at {dest}"
            + (f" (sha256 {sha256})" if sha256 else "") + ".")
    downloader = ResumableDownloader(dest.with_name(dest.name + ".part"), retries=retries,
                                     progressbar=progressbar)
    try:
        path = pooch.retrieve(url, known_hash=f"sha256:{sha256}" if sha256 else None, fname=dest.name,
                              path=dest.parent, downloader=downloader)
    except ValueError as error:  # pooch's hash mismatch
        raise FetchError(f"checksum mismatch for {what} downloaded from {url}: {error}. The bad "
                         f"download was discarded; retry, or check the mirror. {hint}") from error
    except (requests.RequestException, OSError) as error:
        raise FetchError(f"could not download {what} from {url}: {error}. {hint}") from error
    return Path(path)


# ---------------------------------------------------------------------------- assets
def _recorded(cache: Path) -> dict:
    path = cache / "assets" / "checksums.json"
    if not path.is_file():
        return {}
    try:
        recorded = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        recorded = None
    if not isinstance(recorded, dict):
        path.unlink()
        raise FetchError(f"{path} was not a valid checksum record (damaged?); it was deleted. Rerun: files "
                         "whose checksum it recorded are verified by their pinned ids and recorded again")
    return recorded


def _forget(cache: Path, name: str) -> None:
    recorded = _recorded(cache)
    if recorded.pop(name, None) is not None:
        atomic_write(cache / "assets" / "checksums.json",
                     lambda f: json.dump(recorded, f, indent=2, sort_keys=True))


def _record(cache: Path, name: str, digest: str) -> None:
    recorded = _recorded(cache)
    recorded[name] = digest
    atomic_write(cache / "assets" / "checksums.json",
                 lambda f: json.dump(recorded, f, indent=2, sort_keys=True))


def fetch_asset(name: str, cache: str | os.PathLike | None = None, *, base_url: str | None = None,
                retries: int = 3, progressbar: bool = True) -> Path:
    """Fetch one file of the reference repository (pinned commit) into CACHE/assets/.

    ``name`` is a key of ``ASSETS``. Files with a known sha256 are verified; the others get
    their sha256 recorded in CACHE/assets/checksums.json on first download and verified later.
    """
    if name not in ASSETS:
        raise KeyError(f"unknown asset {name!r}; known: {sorted(ASSETS)}")
    asset = ASSETS[name]
    cache = cache_dir(cache)
    url = _base(base_url, "BASIC_REFERENCE_URL", REFERENCE_URL) + asset.path
    dest = cache / "assets" / name
    if asset.sha256 is None and asset.git_blob and dest.is_file() and git_blob_id(dest) != asset.git_blob:
        dest.unlink()                 # a bad copy from an earlier run (a portal page...): fetched again
        _forget(cache, name)
        warnings.warn(f"{dest} did not match its pinned git blob id {asset.git_blob}; it was deleted and is "
                      "downloaded again")
    known = asset.sha256 or (None if asset.git_blob else _recorded(cache).get(name))
    path = download(url, dest, known, retries=retries, progressbar=progressbar, what=name)
    if asset.sha256 is None and asset.git_blob and git_blob_id(path) != asset.git_blob:
        path.unlink()
        raise FetchError(f"checksum mismatch for {name} downloaded from {url}: its git blob id is not "
                         f"{asset.git_blob}, the one commit {REFERENCE_COMMIT[:12]} lists. The bad download was "
                         f"deleted; retry (a proxy or captive portal may have answered), or check the mirror")
    if known is None:
        _record(cache, name, sha256_of(path))
    return path


def fetch_basic_assets(backbone: str, cache: str | os.PathLike | None = None, progressbar: bool = True) -> dict:
    """BASIC's assets for ``backbone``: the two corpora, and its image mean and synthetic set where the reference
    ships them (``basic.backbones``; None otherwise). Returns {corpus_pos, corpus_neg, image_mean, synthetic}."""
    from .backbones import CORPORA, find_backbone
    entry = find_backbone(backbone)
    names = entry.assets if entry is not None else list(CORPORA)    # an open_clip name: the corpora only
    got = {name: fetch_asset(name, cache, progressbar=progressbar) for name in names}
    return {"corpus_pos": got[CORPORA[0]], "corpus_neg": got[CORPORA[1]],
            "image_mean": got.get(entry.image_mean) if entry is not None and entry.image_mean else None,
            "synthetic": got.get(entry.synthetic) if entry is not None and entry.synthetic else None}


def fetch_assets(backbone: str, cache: str | os.PathLike | None = None, **kwargs) -> dict[str, Path]:
    """Fetch every asset BASIC needs for ``backbone`` ('clip' or 'siglip'); returns name -> path."""
    return {name: fetch_asset(name, cache, **kwargs) for name in assets_for(backbone)}


# ---------------------------------------------------------------------------- i-CIR tarball
def parse_checksum_file(text: str, filename: str) -> str:
    """The sha256 listed for ``filename`` in a ``sha256sum`` style file ('<hex>  <name>' lines)."""
    for line in text.splitlines():
        parts = line.strip().split()
        if len(parts) >= 2 and parts[-1].lstrip("*").endswith(filename) and _is_sha256(parts[0]):
            return parts[0].lower()
        if len(parts) == 1 and _is_sha256(parts[0]):  # a bare digest
            return parts[0].lower()
    raise FetchError(f"the checksum file lists no sha256 for {filename}; its content was:\n{text[:500]}")


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)


def check_members(members, root: Path, archive) -> None:
    """Refuse an archive whose members (TarInfo or ZipInfo) point outside ``root`` or are links or devices."""
    for member in members:
        name = getattr(member, "name", None) or member.filename
        target = (root / name).resolve()
        if name.startswith(("/", "\\")) or not (target == root or root in target.parents):
            raise FetchError(f"{archive}: refusing to extract {name!r}, it points outside the target folder")
        if isinstance(member, tarfile.TarInfo) and not (member.isfile() or member.isdir()):
            raise FetchError(f"{archive}: refusing to extract {name!r}: links and special files are not allowed")


def safe_extract(tar_path: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Extract a tar archive below ``dest``, refusing absolute paths, '..', links and devices.

    Extraction goes to a temporary sibling folder that is renamed to ``dest`` when complete, so
    an interrupted extraction never looks finished.
    """
    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".extracting")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    root = tmp.resolve()
    try:
        try:
            tar = tarfile.open(tar_path)
        except (tarfile.TarError, EOFError, OSError) as error:
            raise FetchError(f"{tar_path} is not a readable tar archive ({error}); delete it and fetch it "
                             "again, or put the right file there") from None
        with tar:
            try:
                members = tar.getmembers()
            except (tarfile.TarError, EOFError, OSError) as error:
                raise FetchError(f"{tar_path} is a damaged tar archive ({error}); delete it and fetch it "
                                 "again") from None
            check_members(members, root, tar_path)
            tar.extractall(root, members=members, filter="data")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(tmp, dest)
    return dest


def check_layout(root: str | os.PathLike) -> Path:
    """Check the i-CIR folder layout; raise FetchError listing what is missing."""
    root = Path(root)
    missing = [name for name in ICIR_LAYOUT if not (root / name).exists()]
    if missing:
        raise FetchError(f"{root} is not an i-CIR v{ICIR_VERSION} folder: missing {missing}. Expected "
                         f"icir/{{database/, query/, database_files.csv, query_files.csv, VERSION.txt, "
                         f"LICENSE, checksums.sha256}}; fetch it with basic.fetch.fetch_icir()")
    return root


def fetch_icir(cache: str | os.PathLike | None = None, *, base_url: str | None = None, retries: int = 3,
               progressbar: bool = True) -> Path:
    """Fetch the i-CIR v1.0.0 tarball from the project page, verify it, extract it; return CACHE/icir_v1.0.0/icir.

    The tarball is verified against the sha256 in the project's checksum file. A finished
    extraction is reused. By hand: put ``icir_v1.0.0.tar.gz`` and ``icir_v1.0.0.sha256`` in
    CACHE/downloads/, or an extracted ``icir/`` folder in CACHE/icir_v1.0.0/.
    """
    cache = cache_dir(cache)
    target = cache / f"icir_v{ICIR_VERSION}"
    if (target / "icir").is_dir():  # extracted earlier (extraction is atomic) or put there by hand
        return check_layout(target / "icir")
    base = _base(base_url, "BASIC_ICIR_URL", ICIR_URL)
    downloads = cache / "downloads"
    sums = download(base + ICIR_CHECKSUM_FILE, downloads / ICIR_CHECKSUM_FILE, None, retries=retries,
                    progressbar=False, what=f"the i-CIR checksum file {ICIR_CHECKSUM_FILE}")
    try:
        digest = parse_checksum_file(sums.read_text(encoding="utf-8", errors="replace"), ICIR_TARBALL)
    except FetchError as error:    # a portal page or an error page: never keep it in the cache
        sums.unlink(missing_ok=True)
        raise FetchError(f"{sums} (from {base + ICIR_CHECKSUM_FILE}) is not a checksum file, so it was deleted; "
                         f"rerun when the server answers properly. {error}") from None
    try:
        tarball = download(base + ICIR_TARBALL, downloads / ICIR_TARBALL, digest, retries=retries,
                           progressbar=progressbar, what=f"the i-CIR dataset {ICIR_TARBALL}")
    except FetchError as error:
        if "checksum mismatch" in str(error):   # the checksum file may be the stale or wrong one
            sums.unlink(missing_ok=True)
            raise FetchError(f"{error} The checksum file {sums} was deleted too, so that the next run "
                             "fetches both again.") from None
        raise
    safe_extract(tarball, target)
    check_layout(target / "icir")
    (target / ".complete").write_text(digest + "\n")
    return target / "icir"


def verify_icir_files(root: str | os.PathLike, limit: int | None = None) -> list[str]:
    """Check files against ``icir/checksums.sha256``; return the paths that are missing or differ."""
    root = Path(root)
    bad = []
    lines = (root / "checksums.sha256").read_text().splitlines()
    for line in lines[:limit]:
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            continue
        digest, name = parts[0], parts[1].strip().lstrip("*")
        path = root / name
        if not path.is_file():
            path = root.parent / name
        if not path.is_file() or sha256_of(path) != digest.lower():
            bad.append(name)
    return bad


# ---------------------------------------------------------------------------- Hugging Face alternative
def hf_list_files(repo: str = HF_REPO, revision: str = "main", *, base_url: str | None = None,
                  timeout: float = 30.0) -> list[dict]:
    """List the files of a Hugging Face dataset repository (path, size, lfs sha256) via its API."""
    import requests

    url = _base(base_url, "BASIC_HF_URL", HF_URL) + f"api/datasets/{repo}/tree/{revision}?recursive=true"
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
    except requests.RequestException as error:
        raise FetchError(f"could not list the Hugging Face dataset {repo} at {url}: {error}. Without "
                         f"internet, copy a snapshot of https://huggingface.co/datasets/{repo} into the "
                         f"cache's icir_hf/ folder by hand") from error
    return [entry for entry in response.json() if entry.get("type") == "file"]


def fetch_icir_hf(cache: str | os.PathLike | None = None, *, repo: str = HF_REPO, revision: str = "main",
                  base_url: str | None = None, retries: int = 3, progressbar: bool = True) -> Path:
    """Fetch the Hugging Face copy of i-CIR (webdataset shards + annotation CSVs) into CACHE/icir_hf/.

    LFS files are verified against the sha256 the Hub lists for them. The result has
    ``annotations/{query,database}_files.csv`` and ``webdataset/{query,database}/*.tar``; use
    :func:`unpack_webdataset` to get image files that the loader and extractor read.
    """
    cache = cache_dir(cache)
    base = _base(base_url, "BASIC_HF_URL", HF_URL)
    target = cache / "icir_hf"
    for entry in hf_list_files(repo, revision, base_url=base):
        rel = entry.get("path")
        if not isinstance(rel, str) or not _inside(target, rel):
            raise FetchError(f"the Hugging Face listing of {repo} names the file {rel!r}, which would be written "
                             f"outside {target}; refusing it (nothing was written). Check the mirror "
                             f"({base}) or use --source tarball")
        if rel.startswith(".") or "/." in rel:
            continue
        digest = (entry.get("lfs") or {}).get("oid") or (entry.get("lfs") or {}).get("sha256")
        download(base + f"datasets/{repo}/resolve/{revision}/{rel}", target / rel, digest,
                 retries=retries, progressbar=progressbar, what=f"{rel} of the Hugging Face dataset {repo}")
    return target


def _inside(folder: Path, rel: str) -> bool:
    """True when the relative POSIX path ``rel`` stays inside ``folder`` (no absolute path, '..', drive)."""
    from pathlib import PurePosixPath, PureWindowsPath
    posix, windows = PurePosixPath(rel), PureWindowsPath(rel)
    if not rel or "\0" in rel or posix.is_absolute() or windows.is_absolute() or windows.drive or "\\" in rel:
        return False
    if any(part == ".." for part in posix.parts):
        return False
    root = folder.resolve()
    return root in (root / rel).resolve().parents


def unpack_webdataset(root: str | os.PathLike) -> Path:
    """Unpack ``root/webdataset/*/*.tar`` into ``root`` (safely) so that images are plain files.

    Members keep their names inside the shards. Each shard is unpacked once (a marker file
    ``.<shard>.done`` records it), so an interrupted unpack resumes.
    """
    root = Path(root)
    shards = sorted((root / "webdataset").glob("*/*.tar"))
    if not shards:
        raise FetchError(f"no webdataset shards under {root / 'webdataset'}; fetch them with fetch_icir_hf()")
    for shard in shards:
        done = shard.with_name(f".{shard.name}.done")
        if done.exists():
            continue
        out = shard.with_name(shard.stem + "_unpacked")
        safe_extract(shard, out)
        for item in out.rglob("*"):
            if item.is_file():
                dest = root / item.relative_to(out)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, dest)
        shutil.rmtree(out)
        done.write_text("ok\n")
    return root
