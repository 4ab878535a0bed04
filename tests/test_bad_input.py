"""The probe run as a test suite: one test per bad input or fault (issue 9), on small files made here.

Every command-line probe runs the command in-process and checks: the exit status, that the message names
the file / key / row / instance, and that nothing raised (an uncaught exception would be a traceback).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import stat
import tarfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from basic import cli, fetch
from basic.config import Config, ConfigError
from basic.features import Features, FeaturesError
from basic.retrieval import evaluate
from basic.validate import InputWarning
from conftest import make_features


# ---------------------------------------------------------------------------- helpers
def save(folder: Path, features: Features | None = None, **planted) -> Path:
    """Save a features folder; ``planted`` arrays (NaN...) are written as they are, bypassing the checks."""
    features = features or make_features()
    for name, value in planted.items():
        object.__setattr__(features, name, value)      # no validation: plant the bad array
    features.save(folder)
    return folder


def data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".npz", ".npy"))


def run(capsys, *argv) -> tuple[int, str]:
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.err


def config_file(tmp_path: Path, **keys) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(keys).replace('"__nan__"', "NaN").replace('"__inf__"', "Infinity")
                    .replace('"__huge__"', "1e400"))
    return path


def planted_pickle(marker: Path) -> bytes:
    """A pickle that, when loaded with pickle.load, creates ``marker`` (i.e. runs code)."""
    class Plant:
        def __reduce__(self):
            return (os.makedirs, (str(marker),))
    return pickle.dumps({"image_feats": Plant(), "laion_1m_mean": Plant()})


# ---------------------------------------------------------------------------- 1. non-finite numbers
def test_nan_in_image_mean_exits_nonzero_naming_image_mean(tmp_path, capsys):
    f = make_features()
    mean = f.image_mean.copy()
    mean[3] = np.nan
    folder = save(tmp_path / "f", f, image_mean=mean)
    code, err = run(capsys, "evaluate", folder)
    assert code == 2 and "image_mean" in err and "NaN" in err


def test_nan_expansion_beta_is_refused(tmp_path, capsys):
    code, err = run(capsys, "evaluate", save(tmp_path / "f"), "--config",
                    config_file(tmp_path, expansion_beta="__nan__"))
    assert code == 2 and "expansion_beta" in err and "config.json" in err


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_non_finite_scores_are_an_error_naming_the_instance():
    f = make_features()
    with pytest.raises(ValueError, match=r"instance 'inst0'.*NaN or infinite"):
        evaluate(f, Config(harris_lambda=1e308))      # finite, but the Harris penalty overflows


def test_nan_database_row_names_the_row_and_path():
    f = make_features()
    db = f.db_image.copy()
    db[41] = np.nan
    with pytest.raises(FeaturesError, match=r"db_image: row 41 \(database/inst1/1.jpg, instance inst1\)"):
        f.replace(db_image=db)


# ---------------------------------------------------------------------------- 2. Hugging Face paths
@pytest.mark.parametrize("evil", ["ABS", "../escape.txt", "annotations/../../escape.txt"])
def test_hf_listing_cannot_write_outside_the_cache(tmp_path, evil):
    from loopback import Loopback
    outside = tmp_path / "outside.txt"
    rel = str(outside) if evil == "ABS" else evil
    listing = [{"type": "file", "path": rel, "size": 4}]
    files = {"/api/datasets/billpsomas/icir/tree/main": json.dumps(listing).encode(),
             f"/datasets/billpsomas/icir/resolve/main/{rel}": b"evil",     # served: an unchecked fetch writes
             f"/datasets/billpsomas/icir/resolve/main//{rel.lstrip('/')}": b"evil"}
    with Loopback(files) as server:
        with pytest.raises(fetch.FetchError, match="would be written outside"):
            fetch.fetch_icir_hf(tmp_path / "cache", base_url=server.url, retries=0, progressbar=False)
    assert not outside.exists() and not (tmp_path / "escape.txt").exists()


# ---------------------------------------------------------------------------- 3. skipped images, shards
class StubModel:
    """encode_image = the mean colour of each image (3-d features), deterministic and instant."""

    def encode_image(self, x):
        return x.mean(dim=(2, 3))


def stub_backbone():
    torch = pytest.importorskip("torch")
    from torchvision import transforms

    from basic.extract import Backbone
    return Backbone(StubModel(), transforms.Compose([transforms.Resize(8), transforms.CenterCrop(8),
                                                     transforms.ToTensor()]),
                    None, "stub", None, torch.device("cpu"))


def images(tmp_path: Path, n: int) -> list[Path]:
    from PIL import Image
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = tmp_path / f"img{i}.jpg"
        Image.fromarray(rng.integers(0, 255, (12, 12, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def test_skipped_images_are_not_cached_and_a_later_run_sees_them(tmp_path):
    from basic import extract
    b = stub_backbone()
    paths = images(tmp_path, 4)
    good = paths[1].read_bytes()
    paths[1].write_bytes(b"not an image")
    kw = dict(num_workers=0, shard_dir=tmp_path / "shards", shard_size=2, batch_size=2, progress=False)
    with pytest.warns(UserWarning, match="img1.jpg"):
        feats = extract.encode_images(b, paths, on_error="skip", **kw)
    assert np.isnan(feats[1]).all() and np.isfinite(feats[[0, 2, 3]]).all()
    assert [p.name for p in sorted((tmp_path / "shards").glob("shard_*"))] == ["shard_00001.npy"]
    # a later run without --skip-bad-images does not reuse NaN rows: it stops and names the image...
    with pytest.raises(extract.ImageReadError, match="img1.jpg"):
        extract.encode_images(b, paths, **kw)
    # ...and once the image is fixed, every row is there
    paths[1].write_bytes(good)
    assert np.isfinite(extract.encode_images(b, paths, **kw)).all()


def test_shard_with_a_nan_row_is_recomputed_not_dropped(tmp_path):
    from basic import extract
    b = stub_backbone()
    paths = images(tmp_path, 4)
    kw = dict(num_workers=0, shard_dir=tmp_path / "shards", shard_size=2, batch_size=2, progress=False)
    clean = extract.encode_images(b, paths, **kw)
    shard = tmp_path / "shards" / "shard_00000.npy"
    bad = np.load(shard)
    bad[1] = np.nan
    np.save(shard, bad)
    with pytest.warns(UserWarning, match=r"shard_00000.npy.*NaN"):
        again = extract.encode_images(b, paths, **kw)
    np.testing.assert_allclose(again, clean)
    assert np.isfinite(np.load(shard)).all()


def test_shard_with_the_wrong_shape_is_named_and_recomputed(tmp_path):
    from basic import extract
    b = stub_backbone()
    paths = images(tmp_path, 4)
    kw = dict(num_workers=0, shard_dir=tmp_path / "shards", shard_size=2, batch_size=2, progress=False)
    clean = extract.encode_images(b, paths, **kw)
    np.save(tmp_path / "shards" / "shard_00001.npy", np.zeros((5, 7), np.float32))
    with pytest.warns(UserWarning, match=r"shard_00001.npy.*shape \(5, 7\)"):
        np.testing.assert_allclose(extract.encode_images(b, paths, **kw), clean)


# ---------------------------------------------------------------------------- 4. config types
@pytest.mark.parametrize("key, value", [("center", "false"), ("query_expansion", "no"), ("alpha", "0.5"),
                                        ("components", "__huge__"), ("components", True),
                                        ("expansion_k", 2.5), ("harris_lambda", "__inf__"),
                                        ("min_normalize", 0)])
def test_config_values_are_type_checked(tmp_path, capsys, key, value):
    code, err = run(capsys, "evaluate", save(tmp_path / "f"), "--config", config_file(tmp_path, **{key: value}))
    assert code == 2 and repr(key) in err and "config.json" in err


def test_true_is_not_one():
    with pytest.raises(ConfigError, match="expansion_k"):
        Config.from_dict({"expansion_k": True})
    assert Config.from_dict({"center": False, "components": 250.0}).components == 250


# ---------------------------------------------------------------------------- 5. pickles
def test_planted_reference_pickle_does_not_run(tmp_path):
    from basic import reference_io
    from basic.safe_pickle import UnsafePickleError
    marker = tmp_path / "ran"
    (tmp_path / "q.pkl").write_bytes(planted_pickle(marker))
    with pytest.raises(UnsafePickleError, match=r"q.pkl.*os|q.pkl.*posix"):
        reference_io.read_split(tmp_path / "q.pkl")
    assert not marker.exists()


def test_planted_image_mean_and_synthetic_do_not_run(tmp_path, capsys):
    from basic import extract
    marker = tmp_path / "ran"
    (tmp_path / "mean.pkl").write_bytes(planted_pickle(marker))
    np.save(tmp_path / "sd.pkl.npy", np.array([planted_pickle(marker)], dtype=object), allow_pickle=True)
    evil = np.empty((), dtype=object)
    with open(tmp_path / "sd2.pkl.npy", "wb") as f:     # an object .npy whose pickle runs code
        np.lib.format.write_array_header_1_0(f, {"descr": "|O", "fortran_order": False, "shape": ()})
        f.write(planted_pickle(marker))
    del evil
    from basic import reference_io
    with pytest.raises(pickle.UnpicklingError, match="mean.pkl"):
        reference_io.read_laion_mean(tmp_path / "mean.pkl")
    with pytest.raises(pickle.UnpicklingError, match="sd2.pkl.npy"):
        reference_io.read_synthetic(tmp_path / "sd2.pkl.npy")
    assert not marker.exists()
    # the command line: exit 2, no traceback, nothing ran
    code = extract.main(["--data", str(tmp_path / "nodata"), "--out", str(tmp_path / "out"),
                         "--corpus-pos", "a.csv", "--corpus-neg", "b.csv", "--image-mean", str(tmp_path / "mean.pkl")])
    assert code == 2 and not marker.exists()


def test_synthetic_sets_are_pinned():
    for name in ("dataset_1_sd_clip.pkl.npy", "dataset_1_sd_siglip.pkl.npy"):
        asset = fetch.ASSETS[name]
        assert asset.sha256 or (asset.git_blob and len(asset.git_blob) == 40)


def test_unpinned_looking_download_that_fails_its_pin_is_deleted(tmp_path, monkeypatch):
    from loopback import Loopback
    good = b"the real synthetic set"
    blob = hashlib.sha1(b"blob %d\0" % len(good) + good).hexdigest()
    monkeypatch.setitem(fetch.ASSETS, "dataset_1_sd_clip.pkl.npy",
                        fetch.Asset("synthetic_data/dataset_1_sd_clip.pkl.npy", None, git_blob=blob))
    files = {"/ref/synthetic_data/dataset_1_sd_clip.pkl.npy": b"<html>captive portal</html>"}
    with Loopback(files) as server:
        with pytest.raises(fetch.FetchError, match="deleted"):
            fetch.fetch_asset("dataset_1_sd_clip.pkl.npy", tmp_path, base_url=server.url + "ref/",
                              retries=0, progressbar=False)
        assert not (tmp_path / "assets" / "dataset_1_sd_clip.pkl.npy").exists()
        server.files["/ref/synthetic_data/dataset_1_sd_clip.pkl.npy"] = good      # the server is fixed
        path = fetch.fetch_asset("dataset_1_sd_clip.pkl.npy", tmp_path, base_url=server.url + "ref/",
                                 retries=0, progressbar=False)
        assert path.read_bytes() == good


# ---------------------------------------------------------------------------- 6. bad cached downloads
def test_416_without_a_matching_content_range_restarts(tmp_path):
    from loopback import Loopback
    data = bytes(range(256)) * 8
    with Loopback({"/f.bin": data}) as server:
        part = tmp_path / "f.bin.part"
        part.write_bytes(b"x" * (len(data) + 100))       # longer than the file: the server answers 416
        downloader = fetch.ResumableDownloader(part, retries=2, progressbar=False, backoff=0)
        downloader(server.url + "f.bin", tmp_path / "f.bin")
    assert (tmp_path / "f.bin").read_bytes() == data


def test_portal_page_as_checksum_file_is_deleted_and_a_rerun_recovers(tmp_path):
    from loopback import Loopback
    tarball = make_tar({"icir/VERSION.txt": b"1.0.0\n"})
    portal = b"<html><body>Please log in to the hotel wifi</body></html>"
    files = {"/icir_v1.0.0.tar.gz": tarball, "/icir_v1.0.0.sha256": portal}
    with Loopback(files) as server:
        with pytest.raises(fetch.FetchError, match="deleted"):
            fetch.fetch_icir(tmp_path, base_url=server.url, retries=0, progressbar=False)
        assert not (tmp_path / "downloads" / "icir_v1.0.0.sha256").exists()
        server.files["/icir_v1.0.0.sha256"] = f"{hashlib.sha256(tarball).hexdigest()}  icir_v1.0.0.tar.gz\n".encode()
        with pytest.raises(fetch.FetchError, match="not an i-CIR"):    # it got past the checksum this time
            fetch.fetch_icir(tmp_path, base_url=server.url, retries=0, progressbar=False)


def test_portal_page_cached_as_synthetic_set_is_deleted(tmp_path, monkeypatch):
    from loopback import Loopback
    good = b"the real synthetic set"
    blob = hashlib.sha1(b"blob %d\0" % len(good) + good).hexdigest()
    monkeypatch.setitem(fetch.ASSETS, "dataset_1_sd_clip.pkl.npy",
                        fetch.Asset("synthetic_data/dataset_1_sd_clip.pkl.npy", None, git_blob=blob))
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "dataset_1_sd_clip.pkl.npy").write_bytes(b"<html>portal</html>")  # an older run's
    (tmp_path / "assets" / "checksums.json").write_text(json.dumps(
        {"dataset_1_sd_clip.pkl.npy": hashlib.sha256(b"<html>portal</html>").hexdigest()}))
    with Loopback({"/ref/synthetic_data/dataset_1_sd_clip.pkl.npy": good}) as server:
        with pytest.warns(UserWarning, match="deleted"):
            path = fetch.fetch_asset("dataset_1_sd_clip.pkl.npy", tmp_path, base_url=server.url + "ref/",
                                     retries=0, progressbar=False)
    assert path.read_bytes() == good


# ---------------------------------------------------------------------------- 7. --json targets
@pytest.mark.parametrize("kind", ["symlink", "fifo", "device", "directory", "input"])
def test_json_refuses_what_it_would_destroy(tmp_path, capsys, kind):
    folder = save(tmp_path / "f")
    before = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob('*') if p.is_file()}
    if kind == "symlink":
        (tmp_path / "target.txt").write_text("keep me")
        target = tmp_path / "link.json"
        target.symlink_to(tmp_path / "target.txt")
    elif kind == "fifo":
        target = tmp_path / "pipe"
        os.mkfifo(target)
    elif kind == "device":   # a device node of our own: never a real one such as /dev/null (code that
        target = tmp_path / "null"      # failed this test would replace it with a plain file)
        try:
            os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except (PermissionError, OSError):
            pytest.skip("creating a device node needs root")
    elif kind == "directory":
        target = tmp_path / "adir"
        target.mkdir()
    else:
        target = data_files(folder)[0]
    code, err = run(capsys, "evaluate", folder, "--json", target)
    assert code == 2 and "refusing" in err
    assert {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob('*') if p.is_file()} == before
    if kind == "symlink":
        assert target.is_symlink() and (tmp_path / "target.txt").read_text() == "keep me"
    if kind == "fifo":
        assert target.is_fifo()
    if kind == "device":
        assert target.is_char_device()


def test_json_to_a_new_file_in_the_folder_is_refused_too(tmp_path, capsys):
    folder = save(tmp_path / "f")
    code, err = run(capsys, "evaluate", folder, "--json", folder / "result.json")
    assert code == 2 and not (folder / "result.json").exists()


# ---------------------------------------------------------------------------- 8. no tracebacks
def test_truncated_features_file(tmp_path, capsys):
    folder = save(tmp_path / "f")
    target = max(data_files(folder), key=lambda p: p.stat().st_size)
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    code, err = run(capsys, "evaluate", folder)
    assert code == 2 and target.name in err and "allow_pickle" not in err


def test_bit_flipped_features_file(tmp_path, capsys):
    folder = save(tmp_path / "f")
    target = max(data_files(folder), key=lambda p: p.stat().st_size)
    data = bytearray(target.read_bytes())
    for at in range(len(data) // 3, len(data) // 3 + 64):
        data[at] ^= 0xFF
    target.write_bytes(bytes(data))
    code, err = run(capsys, "evaluate", folder)
    # a flip inside the stored numbers may still read; then it must evaluate or fail cleanly
    assert code in (0, 2)
    if code == 2:
        assert "allow_pickle" not in err and ("features" in err or target.name in err)


def test_garbage_features_file_does_not_suggest_pickle(tmp_path, capsys):
    folder = save(tmp_path / "f")
    target = max(data_files(folder), key=lambda p: p.stat().st_size)
    target.write_bytes(os.urandom(2000))
    code, err = run(capsys, "evaluate", folder)
    assert code == 2 and target.name in err and "pickle" not in err


def test_config_path_is_a_directory(tmp_path, capsys):
    code, err = run(capsys, "evaluate", save(tmp_path / "f"), "--config", tmp_path)
    assert code == 2 and "folder" in err


def test_tarball_that_is_not_a_tarball(tmp_path):
    bad = tmp_path / "icir_v1.0.0.tar.gz"
    bad.write_bytes(b"<html>not a tarball</html>")
    with pytest.raises(fetch.FetchError, match="not a readable tar archive"):
        fetch.safe_extract(bad, tmp_path / "out")


def test_realpath_with_a_tarball_that_is_not_a_tarball(tmp_path, monkeypatch, capsys):
    from basic import realpath
    from loopback import closed_port_url
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    garbage = b"<html>not a tarball</html>"
    (downloads / "icir_v1.0.0.tar.gz").write_bytes(garbage)
    (downloads / "icir_v1.0.0.sha256").write_text(f"{hashlib.sha256(garbage).hexdigest()}  icir_v1.0.0.tar.gz\n")
    monkeypatch.setenv("BASIC_ICIR_URL", closed_port_url())
    assert realpath.main(["--cache", str(tmp_path), "--fetch-only"]) == 2
    assert "tar archive" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--shard-size", "--batch-size"])
def test_zero_counts_are_usage_errors(tmp_path, capsys, option):
    from basic import extract
    with pytest.raises(SystemExit) as exit_:
        extract.main(["--data", str(tmp_path), "--out", str(tmp_path / "o"), "--corpus-pos", "a",
                      "--corpus-neg", "b", option, "0"])
    assert exit_.value.code == 2 and option in capsys.readouterr().err


def test_out_of_memory_is_a_message(tmp_path, capsys, monkeypatch):
    import basic.retrieval
    def no_memory(*args, **kwargs):
        raise MemoryError()
    monkeypatch.setattr(basic.retrieval, "evaluate", no_memory)
    code, err = run(capsys, "evaluate", save(tmp_path / "f"))
    assert code == 1 and "out of memory" in err and "largest instance" in err


# ---------------------------------------------------------------------------- 9. messages name their file
def save_old_layout(folder: Path) -> Path:
    """A folder in the old layout (features.npz + queries.csv + database.csv), which reads labels from CSV."""
    import numpy as np
    f = make_features()
    folder.mkdir(parents=True)
    np.savez(folder / "features.npz", **{n: getattr(f, n) for n in ("query_image", "query_text", "db_image")})
    f.queries.to_csv(folder / "queries.csv", index=False)
    f.database.to_csv(folder / "database.csv", index=False)
    return folder


def test_csv_parse_error_names_the_csv(tmp_path, capsys):
    folder = save_old_layout(tmp_path / "f")
    assert run(capsys, "evaluate", folder, "--preset", "product")[0] == 0
    (folder / "queries.csv").write_text('instance,text,path\n"unterminated,a,b\n')
    code, err = run(capsys, "evaluate", folder)
    assert code == 2 and "queries.csv" in err


def test_garbage_meta_json_is_named(tmp_path, capsys):
    folder = save(tmp_path / "f", make_features().replace(meta={"backbone": "x"}))
    (folder / "meta.json").write_text("{not json")
    code, err = run(capsys, "evaluate", folder)
    assert code == 2 and "meta.json" in err


def test_reference_pickle_errors_name_the_file(tmp_path):
    from basic import reference_io
    (tmp_path / "q.pkl").write_bytes(pickle.dumps({"image_feats": ["a", "b"], "paths": ["p", "q"],
                                                   "instances": ["i", "i"], "texts": ["t", "t"]}))
    with pytest.raises(ValueError, match=r"q.pkl.*image_feats"):
        reference_io.read_split(tmp_path / "q.pkl")
    (tmp_path / "t.pkl").write_bytes(pickle.dumps({"a": 1})[:-3])
    with pytest.raises(pickle.UnpicklingError, match="t.pkl"):
        reference_io.read_split(tmp_path / "t.pkl")


def test_zero_query_row_is_reported_by_its_global_row():
    f = make_features()
    q = f.query_image.copy()
    q[9] = 0                                         # row 9 = the second query of instance inst2
    with pytest.raises(ValueError, match=r"query_image: row 9 \(query/inst2/1.jpg"):
        evaluate(f.replace(query_image=q), "image")


# ---------------------------------------------------------------------------- 10. atomic folder save
def test_interrupted_overwrite_leaves_the_old_folder(tmp_path):
    old = make_features(seed=1)
    folder = save(tmp_path / "f", old)
    before = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob('*') if p.is_file()}
    new = make_features(seed=2).replace(meta={"unserialisable": object()})   # fails part-way through save
    with pytest.raises(TypeError):
        new.save(folder)
    after = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob('*') if p.is_file()}
    assert after == before
    loaded = Features.load(folder)
    np.testing.assert_array_equal(loaded.db_image, old.db_image)


# ---------------------------------------------------------------------------- silent cases now warn
def test_query_without_positive_warns():
    f = make_features()
    q = f.queries.copy()
    q.loc[0, "text"] = "a text no database item has"
    with pytest.warns(InputWarning, match=r"query row 0 \(instance inst0"):
        result = evaluate(f.replace(queries=q), "product")
    assert result.ap[0] == 0


def test_instance_without_any_positive_warns():
    f = make_features()
    q = f.queries.copy()
    q.loc[q.instance == "inst1", "text"] = "nothing matches"
    with pytest.warns(InputWarning, match=r"instance\(s\) with no positive for any query: \['inst1'\]"):
        evaluate(f.replace(queries=q), "product")


def test_duplicate_rows_warn():
    f = make_features()
    db = f.database.copy()
    db.loc[5, "path"] = db.loc[4, "path"]
    with pytest.warns(InputWarning, match="database: 1 duplicate"):
        evaluate(f.replace(database=db), "image")


def test_good_input_is_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        evaluate(make_features(), "basic")


def test_infinite_harris_lambda_is_refused():
    with pytest.raises(ConfigError, match="harris_lambda"):
        Config.from_dict({"harris_lambda": float("inf")})


# ---------------------------------------------------------------------------- small builders
def make_tar(entries: dict[str, bytes]) -> bytes:
    with io.BytesIO() as buf:
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, data in entries.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()


def test_labels_fixture_shape():   # guards the row numbers the tests above rely on
    f = make_features()
    assert f.queries.path.iloc[9] == "query/inst2/1.jpg" and f.database.path.iloc[41] == "database/inst1/1.jpg"
    assert isinstance(f.database, pd.DataFrame)
