"""Offline tests of basic.fetch against a loopback HTTP server (good, corrupt, truncated files)."""
from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest

pytest.importorskip("pooch")
pytest.importorskip("requests")

from basic import fetch  # noqa: E402
from basic.fetch import Asset, FetchError  # noqa: E402
from loopback import Loopback, closed_port_url  # noqa: E402

COMMIT = fetch.REFERENCE_COMMIT


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def fixture_assets(monkeypatch):
    """Small stand-ins for the reference's files; the registry points at their checksums."""
    files = {
        "corpora/generic_subjects.csv": b"object_name\ncat\ndog\n",
        "synthetic_data/dataset_1_sd_clip.pkl.npy": bytes(range(256)) * 64,
    }
    monkeypatch.setitem(fetch.ASSETS, "generic_subjects.csv",
                        Asset("corpora/generic_subjects.csv", sha(files["corpora/generic_subjects.csv"])))
    monkeypatch.setitem(fetch.ASSETS, "dataset_1_sd_clip.pkl.npy",
                        Asset("synthetic_data/dataset_1_sd_clip.pkl.npy", None))
    return {f"/{COMMIT}/{k}": v for k, v in files.items()}


def test_cache_dir_argument_beats_env(tmp_path, monkeypatch):
    monkeypatch.setenv("BASIC_CACHE_DIR", str(tmp_path / "env"))
    assert fetch.cache_dir() == tmp_path / "env"
    assert fetch.cache_dir(tmp_path / "arg") == tmp_path / "arg"


def test_default_urls_are_pinned():
    assert COMMIT in fetch.REFERENCE_URL and fetch.REFERENCE_URL.startswith("https://raw.githubusercontent.com/billpsomas/icir/")
    assert fetch.ASSETS["generic_styles.csv"].sha256.startswith("5b7cdeb7")
    assert fetch.assets_for("siglip")[2] == "laion_1m_mean_siglip.pkl"


def test_asset_known_checksum_and_cache_reuse(tmp_path, fixture_assets):
    with Loopback(fixture_assets) as server:
        base = server.url + COMMIT + "/"
        path = fetch.fetch_asset("generic_subjects.csv", tmp_path, base_url=base, progressbar=False)
        assert path.read_bytes() == b"object_name\ncat\ndog\n"
        n = len(server.log)
        fetch.fetch_asset("generic_subjects.csv", tmp_path, base_url=base, progressbar=False)
        assert len(server.log) == n  # second call served from the cache


def test_asset_checksum_mismatch_is_refused(tmp_path, fixture_assets):
    fixture_assets[f"/{COMMIT}/corpora/generic_subjects.csv"] = b"object_name\ncorrupted\n"
    with Loopback(fixture_assets) as server:
        with pytest.raises(FetchError, match="checksum mismatch for generic_subjects.csv") as err:
            fetch.fetch_asset("generic_subjects.csv", tmp_path, base_url=server.url + COMMIT + "/",
                              progressbar=False)
    assert "put it at" in str(err.value)
    assert not (tmp_path / "assets" / "generic_subjects.csv").exists()


def test_unknown_checksum_is_recorded_then_enforced(tmp_path, fixture_assets):
    key = f"/{COMMIT}/synthetic_data/dataset_1_sd_clip.pkl.npy"
    with Loopback(fixture_assets) as server:
        base = server.url + COMMIT + "/"
        path = fetch.fetch_asset("dataset_1_sd_clip.pkl.npy", tmp_path, base_url=base, progressbar=False)
        recorded = json.loads((tmp_path / "assets" / "checksums.json").read_text())
        assert recorded["dataset_1_sd_clip.pkl.npy"] == sha(fixture_assets[key])
        # the local copy gets corrupted: the recorded checksum triggers a fresh download
        path.write_bytes(b"garbage")
        fetch.fetch_asset("dataset_1_sd_clip.pkl.npy", tmp_path, base_url=base, progressbar=False)
        assert path.read_bytes() == fixture_assets[key]


def test_truncated_download_resumes_with_range(tmp_path, fixture_assets):
    key = f"/{COMMIT}/synthetic_data/dataset_1_sd_clip.pkl.npy"
    with Loopback(fixture_assets) as server:
        server.drop_once.add(key)
        downloader = fetch.ResumableDownloader(tmp_path / "x.part", retries=2, progressbar=False, backoff=0,
                                                 chunk_size=1024)
        downloader(server.url + key.lstrip("/"), tmp_path / "x")
        assert (tmp_path / "x").read_bytes() == fixture_assets[key]
        ranges = [r for p, r in server.log if p == key]
        assert ranges[0] is None and ranges[1] == f"bytes={len(fixture_assets[key]) // 2}-"


def test_partial_file_from_an_earlier_run_is_continued(tmp_path, fixture_assets):
    key = f"/{COMMIT}/corpora/generic_subjects.csv"
    data = fixture_assets[key]
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "generic_subjects.csv.part").write_bytes(data[:5])
    with Loopback(fixture_assets) as server:
        path = fetch.fetch_asset("generic_subjects.csv", tmp_path, base_url=server.url + COMMIT + "/",
                                 progressbar=False)
        assert path.read_bytes() == data
        assert server.log[-1] == (key, "bytes=5-")


def test_server_ignoring_range_restarts_cleanly(tmp_path, fixture_assets):
    key = f"/{COMMIT}/corpora/generic_subjects.csv"
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "generic_subjects.csv.part").write_bytes(b"objec")
    with Loopback(fixture_assets) as server:
        server.ignore_range.add(key)
        path = fetch.fetch_asset("generic_subjects.csv", tmp_path, base_url=server.url + COMMIT + "/",
                                 progressbar=False)
    assert path.read_bytes() == fixture_assets[key]


def test_offline_error_names_file_url_and_destination(tmp_path, fixture_assets):
    base = closed_port_url()
    with pytest.raises(FetchError) as err:
        fetch.fetch_asset("generic_subjects.csv", tmp_path, base_url=base, retries=0, progressbar=False)
    message = str(err.value)
    assert "generic_subjects.csv" in message and base in message
    assert str(tmp_path / "assets" / "generic_subjects.csv") in message


def test_missing_file_on_server_is_reported(tmp_path, fixture_assets):
    with Loopback({}) as server:
        with pytest.raises(FetchError, match="404"):
            fetch.fetch_asset("generic_subjects.csv", tmp_path, base_url=server.url, retries=0,
                              progressbar=False)


# ---------------------------------------------------------------------------- i-CIR tarball
def make_tar(entries: dict[str, bytes], extra=None, mode: str = "w:gz") -> bytes:
    """A tar archive (gzipped unless ``mode="w"``) of ``entries`` {name: bytes}, plus ``extra`` TarInfos."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tar.addfile(info)
    return buf.getvalue()


def icir_entries() -> dict[str, bytes]:
    return {
        "icir/query/a/q1.jpg": b"q1",
        "icir/database/a/d1.jpg": b"d1",
        "icir/database/a/hn/d2.jpg": b"d2",
        "icir/query_files.csv": b"icir/query/a/q1.jpg,in red,a\n",
        "icir/database_files.csv": b"icir/database/a/d1.jpg,in red,a\nicir/database/a/hn/d2.jpg,in red,b\n",
        "icir/VERSION.txt": b"1.0.0\n",
        "icir/LICENSE": b"CC BY-NC-SA 4.0\n",
        "icir/checksums.sha256": f"{sha(b'q1')}  icir/query/a/q1.jpg\n".encode(),
    }


def test_fetch_icir_verifies_and_extracts(tmp_path):
    tarball = make_tar(icir_entries())
    files = {"/icir/icir_v1.0.0.tar.gz": tarball,
             "/icir/icir_v1.0.0.sha256": f"{sha(tarball)}  icir_v1.0.0.tar.gz\n".encode()}
    with Loopback(files) as server:
        server.drop_once.add("/icir/icir_v1.0.0.tar.gz")  # a dropped connection on the way
        root = fetch.fetch_icir(tmp_path, base_url=server.url + "icir/", progressbar=False)
        assert root == tmp_path / "icir_v1.0.0" / "icir"
        assert (root / "database" / "a" / "hn" / "d2.jpg").read_bytes() == b"d2"
        assert fetch.verify_icir_files(root) == []
        n = len(server.log)
        assert fetch.fetch_icir(tmp_path, base_url=server.url + "icir/") == root
        assert len(server.log) == n


def test_fetch_icir_corrupt_tarball(tmp_path):
    tarball = make_tar(icir_entries())
    files = {"/icir_v1.0.0.tar.gz": tarball[:-10] + b"0123456789",
             "/icir_v1.0.0.sha256": f"{sha(tarball)}  icir_v1.0.0.tar.gz\n".encode()}
    with Loopback(files) as server:
        with pytest.raises(FetchError, match="checksum mismatch"):
            fetch.fetch_icir(tmp_path, base_url=server.url, retries=0, progressbar=False)
    assert not (tmp_path / "icir_v1.0.0").exists()


def test_fetch_icir_offline_message(tmp_path):
    base = closed_port_url()
    with pytest.raises(FetchError) as err:
        fetch.fetch_icir(tmp_path, base_url=base, retries=0)
    assert "icir_v1.0.0.sha256" in str(err.value) and base in str(err.value)
    assert "put it at" in str(err.value)


def test_safe_extract_refuses_traversal_and_links(tmp_path):
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(make_tar({"../evil.txt": b"x"}))
    with pytest.raises(FetchError, match="outside"):
        fetch.safe_extract(bad, tmp_path / "out")
    link = tarfile.TarInfo("icir/link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    bad.write_bytes(make_tar({"icir/a.txt": b"a"}, extra=[link]))
    with pytest.raises(FetchError, match="links"):
        fetch.safe_extract(bad, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out").exists()


def test_check_layout_names_missing_parts(tmp_path):
    (tmp_path / "icir" / "query").mkdir(parents=True)
    with pytest.raises(FetchError, match="database_files.csv"):
        fetch.check_layout(tmp_path / "icir")


# ---------------------------------------------------------------------------- Hugging Face
def test_fetch_icir_hf_and_unpack(tmp_path):
    with io.BytesIO() as buf:  # an uncompressed shard, as webdataset writes them
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo("query/a/q1.jpg")
            info.size = 2
            tar.addfile(info, io.BytesIO(b"q1"))
        shard = buf.getvalue()
    csv = b"query/a/q1.jpg,in red,a\n"
    listing = [
        {"type": "directory", "path": "webdataset"},
        {"type": "file", "path": "annotations/query_files.csv", "size": len(csv)},
        {"type": "file", "path": "webdataset/query/query-000000.tar", "size": len(shard),
         "lfs": {"oid": sha(shard), "size": len(shard)}},
    ]
    files = {"/api/datasets/billpsomas/icir/tree/main": json.dumps(listing).encode(),
             "/datasets/billpsomas/icir/resolve/main/annotations/query_files.csv": csv,
             "/datasets/billpsomas/icir/resolve/main/webdataset/query/query-000000.tar": shard}
    with Loopback(files) as server:
        root = fetch.fetch_icir_hf(tmp_path, base_url=server.url, progressbar=False)
        assert (root / "annotations" / "query_files.csv").read_bytes() == csv
        server.files["/datasets/billpsomas/icir/resolve/main/webdataset/query/query-000000.tar"] = b"bad"
        (root / "webdataset" / "query" / "query-000000.tar").unlink()
        with pytest.raises(FetchError, match="checksum mismatch"):
            fetch.fetch_icir_hf(tmp_path, base_url=server.url, retries=0, progressbar=False)
    files_tar = root / "webdataset" / "query" / "query-000000.tar"
    files_tar.write_bytes(shard)
    fetch.unpack_webdataset(root)
    assert (root / "query" / "a" / "q1.jpg").read_bytes() == b"q1"
    fetch.unpack_webdataset(root)  # second run: nothing to do


def test_hf_offline_message(tmp_path):
    with pytest.raises(FetchError, match="huggingface.co/datasets/billpsomas/icir"):
        fetch.fetch_icir_hf(tmp_path, base_url=closed_port_url())


def test_files_put_by_hand_work_offline(tmp_path, monkeypatch):
    tarball = make_tar(icir_entries())
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "icir_v1.0.0.tar.gz").write_bytes(tarball)
    (downloads / "icir_v1.0.0.sha256").write_text(f"{sha(tarball)}  icir_v1.0.0.tar.gz\n")
    root = fetch.fetch_icir(tmp_path, base_url=closed_port_url(), retries=0)
    assert (root / "query_files.csv").is_file()
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "dataset_1_sd_siglip.pkl.npy").write_bytes(b"by hand")
    # a file put by hand is used when it is the pinned one (here: the registry pins these bytes)
    blob = hashlib.sha1(b"blob 7\0by hand").hexdigest()
    monkeypatch.setitem(fetch.ASSETS, "dataset_1_sd_siglip.pkl.npy",
                        Asset("synthetic_data/dataset_1_sd_siglip.pkl.npy", None, git_blob=blob))
    path = fetch.fetch_asset("dataset_1_sd_siglip.pkl.npy", tmp_path, base_url=closed_port_url(), retries=0)
    assert path.read_bytes() == b"by hand"
