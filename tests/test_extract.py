"""Feature extraction on a few small images with a small random-weight open_clip model (CPU, 1 thread)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
open_clip = pytest.importorskip("open_clip")
Image = pytest.importorskip("PIL.Image")

from basic import extract  # noqa: E402
from basic.extract import Backbone, ImageReadError  # noqa: E402

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[1]

TINY_CFG = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}
TINY_NAME = "basic-test-tiny-vit"


def register_tiny(folder: Path) -> None:
    """Register a very small CLIP config with open_clip (no download, random weights)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{TINY_NAME}.json").write_text(json.dumps(TINY_CFG))
    open_clip.add_model_config(folder / f"{TINY_NAME}.json")


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    """A checkpoint of the tiny model and a miniature i-CIR with 6 query and 10 database images."""
    base = tmp_path_factory.mktemp("extract")
    register_tiny(base / "cfg")
    torch.manual_seed(0)
    model = open_clip.create_model(TINY_NAME, pretrained=None)
    ckpt = base / "tiny.pt"
    torch.save(model.state_dict(), ckpt)
    root = base / "icir"
    rng = np.random.default_rng(0)
    rows = {"query": [], "database": []}
    for split, n in (("query", 6), ("database", 10)):
        for i in range(n):
            inst = f"inst{i % 2}"
            sub = "hn/" if split == "database" and i >= 8 else ""
            rel = f"icir/{split}/{inst}/{sub}{i}.jpg"
            (root.parent / rel).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 255, (24 + i, 20, 3), dtype=np.uint8)).save(root.parent / rel)
            rows[split].append(f"{rel},{['in snow', 'at night'][i % 2]},{inst}")
    (root / "query_files.csv").write_text("\n".join(rows["query"]) + "\n")
    (root / "database_files.csv").write_text("\n".join(rows["database"]) + "\n")
    (root / "VERSION.txt").write_text("1.0.0\n")
    corpus = base / "generic_subjects.csv"
    corpus.write_text("object_name\ncat\ndog\nbridge\n")
    styles = base / "generic_styles.csv"
    styles.write_text("object_name\nsketch\npainting\n")
    return {"base": base, "ckpt": ckpt, "root": root, "corpus": corpus, "styles": styles}


@pytest.fixture(scope="module")
def backbone(assets):
    return extract.load_backbone(TINY_NAME, str(assets["ckpt"]), device="cpu")


def image_paths(assets, split="query"):
    return sorted((assets["root"] / split).rglob("*.jpg"))


class Counter:
    """Counts the images that reach the model."""

    def __init__(self, backbone):
        self.n = 0
        self.encode = backbone.model.encode_image

    def __call__(self, images, *a, **k):
        self.n += len(images)
        return self.encode(images, *a, **k)


def test_backbone_loads_local_checkpoint_and_keys_differ(assets, backbone):
    assert backbone.name == TINY_NAME and backbone.precision_for_device() == "fp32"
    other = extract.load_backbone(TINY_NAME, None, device="cpu")
    assert backbone.key != other.key and backbone.key.startswith(TINY_NAME)
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        extract.load_backbone(TINY_NAME, str(assets["base"] / "missing.pt"), device="cpu")
    with pytest.raises(ValueError, match="unknown backbone"):
        extract.load_backbone("no-such-model", device="cpu")


def test_encode_images_and_texts_shapes(assets, backbone):
    paths = image_paths(assets)
    feats = extract.encode_images(backbone, paths, batch_size=4, num_workers=0, progress=False)
    assert feats.shape == (6, 16) and feats.dtype == np.float32
    again = extract.encode_images(backbone, paths[:2], batch_size=1, num_workers=0, progress=False)
    np.testing.assert_allclose(again, feats[:2], atol=1e-5)
    texts = extract.encode_texts(backbone, ["in snow", "at night", "in snow"], batch_size=2)
    assert texts.shape == (3, 16) and texts.dtype == np.float32
    np.testing.assert_allclose(texts[0], texts[2], atol=1e-6)


def test_workers_give_the_same_features(assets, backbone):
    paths = image_paths(assets)
    a = extract.encode_images(backbone, paths, batch_size=3, num_workers=0, progress=False)
    b = extract.encode_images(backbone, paths, batch_size=3, num_workers=1, progress=False)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_interrupted_extraction_resumes_without_redoing_shards(assets, backbone, tmp_path):
    paths = image_paths(assets, "database")
    full = extract.encode_images(backbone, paths, batch_size=2, num_workers=0, progress=False)

    def stop_after_two(index, path):
        if index == 1:
            raise KeyboardInterrupt("simulated interruption")

    shards = tmp_path / "shards"
    with pytest.raises(KeyboardInterrupt):
        extract.encode_images(backbone, paths, batch_size=2, num_workers=0, shard_dir=shards, shard_size=3,
                              progress=False, on_shard=stop_after_two)
    assert sorted(p.name for p in shards.glob("shard_*.npy")) == ["shard_00000.npy", "shard_00001.npy"]
    counter = Counter(backbone)
    backbone.model.encode_image = counter
    try:
        resumed = extract.encode_images(backbone, paths, batch_size=2, num_workers=0, shard_dir=shards,
                                        shard_size=3, progress=False)
    finally:
        del backbone.model.encode_image
    assert counter.n == 4  # shards 2 (3 images) and 3 (1 image) only
    np.testing.assert_allclose(resumed, full, atol=1e-5)
    assert not list(shards.glob("*.tmp"))


def test_killed_process_resumes(assets, tmp_path):
    """SIGKILL a real extraction after its first shard; the rerun keeps that shard."""
    shards = tmp_path / "shards"
    script = textwrap.dedent(f"""
        import os, signal, sys, torch, open_clip
        torch.set_num_threads(1)
        open_clip.add_model_config({str(assets['base'] / 'cfg' / (TINY_NAME + '.json'))!r})
        from basic import extract
        b = extract.load_backbone({TINY_NAME!r}, {str(assets['ckpt'])!r}, device="cpu")
        paths = sorted(__import__("pathlib").Path({str(assets['root'] / 'database')!r}).rglob("*.jpg"))
        def kill(i, p):
            os.kill(os.getpid(), signal.SIGKILL)
        extract.encode_images(b, paths, batch_size=2, num_workers=0, shard_dir={str(shards)!r},
                              shard_size=4, progress=False, on_shard=kill)
    """)
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    first = shards / "shard_00000.npy"
    assert first.is_file() and not (shards / "shard_00001.npy").exists()
    before = first.stat().st_mtime_ns
    b = extract.load_backbone(TINY_NAME, str(assets["ckpt"]), device="cpu")
    counter = Counter(b)
    b.model.encode_image = counter
    out = extract.encode_images(b, image_paths(assets, "database"), batch_size=2, num_workers=0,
                                shard_dir=shards, shard_size=4, progress=False)
    assert counter.n == 6 and out.shape == (10, 16) and first.stat().st_mtime_ns == before


def test_shard_folder_of_another_run_is_refused(assets, backbone, tmp_path):
    paths = image_paths(assets)
    extract.encode_images(backbone, paths, num_workers=0, shard_dir=tmp_path, shard_size=4, progress=False)
    with pytest.raises(ValueError, match="another extraction"):
        extract.encode_images(backbone, paths[:3], num_workers=0, shard_dir=tmp_path, shard_size=4,
                              progress=False)


def test_bad_images_are_listed_by_path(assets, backbone, tmp_path):
    good = image_paths(assets)[:3]
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"not an image at all")
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good[0].read_bytes()[:60])
    missing = tmp_path / "missing.jpg"
    paths = [good[0], corrupt, truncated, missing, good[1], good[2]]  # shard 1 is all bad
    with pytest.raises(ImageReadError) as err:
        extract.encode_images(backbone, paths, batch_size=2, num_workers=0, shard_dir=tmp_path / "s",
                              shard_size=2, progress=False)
    assert set(err.value.paths) == {str(corrupt), str(truncated), str(missing)}
    assert str(corrupt) in str(err.value) and "skip" in str(err.value)
    assert [p.name for p in sorted((tmp_path / "s").glob("shard_*"))] == ["shard_00002.npy"]
    with pytest.warns(UserWarning, match="corrupt.jpg"):
        feats = extract.encode_images(backbone, paths, batch_size=2, num_workers=0, on_error="skip",
                                      progress=False)
    assert np.isnan(feats).any(axis=1).tolist() == [False, True, True, True, False, False]


# ---------------------------------------------------------------------------- contextualisation
class StubModel(torch.nn.Module):
    """encode_text returns a fixed vector per prompt, so the expected X can be built by hand."""

    table = {"cat snow": [3.0, 4.0], "dog snow": [0.0, 2.0], "snow cat": [1.0, 0.0], "snow dog": [0.0, -5.0],
             "object_name snow": [2.0, 0.0], "snow object_name": [0.0, 1.0]}

    def encode_text(self, tokens):
        return tokens.float()


def stub_backbone():
    table = StubModel.table
    return Backbone(StubModel(), None, lambda texts: torch.tensor([table[t] for t in texts]), "stub", None, "cpu")


def test_contextualize_matches_a_hand_built_example():
    b = stub_backbone()
    x = extract.contextualize(b, ["snow", "snow"], ["cat", "dog", "bridge"], number=2, batch_size=3)
    # unit vectors: cat snow (.6,.8), dog snow (0,1), snow cat (1,0), snow dog (0,-1); mean of the four
    np.testing.assert_allclose(x, [[0.4, 0.2], [0.4, 0.2]], atol=1e-6)


def test_reference_corpus_keeps_its_header(tmp_path):
    corpus = tmp_path / "c.csv"
    corpus.write_text("object_name\ncat\ndog\n\n")
    assert extract.read_object_corpus(corpus) == ["object_name", "cat", "dog"]
    assert extract.read_object_corpus(corpus, keep_header=False) == ["cat", "dog"]
    b = stub_backbone()
    x = extract.contextualize(b, ["snow"], extract.read_object_corpus(corpus), number=2)
    # object_name snow (1,0), cat snow (.6,.8), snow object_name (0,1), snow cat (1,0)
    np.testing.assert_allclose(x, [[0.65, 0.45]], atol=1e-6)
    assert extract.contextual_prompts("snow", ["cat"]) == ["cat snow", "snow cat"]


def test_random_mode_is_seeded():
    objects = [f"o{i}" for i in range(50)]
    a = extract.choose_objects(objects, 10, "random", seed=1)
    assert a == extract.choose_objects(objects, 10, "random", seed=1)
    assert a != extract.choose_objects(objects, 10, "random", seed=2) and len(set(a)) == 10
    assert extract.choose_objects(objects, 100, "reference") == objects
    with pytest.raises(ValueError, match="mode"):
        extract.choose_objects(objects, 10, "paper")


# ---------------------------------------------------------------------------- a whole benchmark
def test_extract_benchmark_writes_a_features_folder(assets, backbone, tmp_path):
    from basic.features import Features

    out = tmp_path / "out"
    f = extract.extract_benchmark(backbone, assets["root"], out, assets["corpus"], assets["styles"],
                                  image_mean=np.zeros(16), batch_size=4, num_workers=0, shard_size=4,
                                  context_number=2, progress=False)
    g = Features.load(out)
    assert g.query_image.shape == (6, 16) and g.db_image.shape == (10, 16)
    assert g.query_text_context.shape == (6, 16) and g.corpus_pos_prompts.tolist()[0] == "object_name"
    assert g.meta["dataset_version"] == "1.0.0" and g.meta["context"]["keep_header"] is True
    np.testing.assert_allclose(g.query_text_context, f.query_text_context)
    with pytest.raises(FileExistsError):
        extract.extract_benchmark(backbone, assets["root"], out, assets["corpus"], assets["styles"],
                                  num_workers=0, progress=False)
    assert any((out / ".cache").rglob("shard_00000.npy"))


@pytest.mark.skipif(os.environ.get("BASIC_SKIP_VITL") == "1", reason="BASIC_SKIP_VITL=1")
def test_vit_l_14_architecture_end_to_end_random_weights(assets):
    """The paper's CLIP architecture (random weights, no download) on 2 images: shapes and dtypes."""
    b = extract.load_backbone("ViT-L-14", None, device="cpu")
    feats = extract.encode_images(b, image_paths(assets)[:2], batch_size=2, num_workers=0, progress=False)
    texts = extract.encode_texts(b, ["in snow"])
    assert feats.shape == (2, 768) and texts.shape == (1, 768)
    assert feats.dtype == texts.dtype == np.float32 and np.isfinite(feats).all()
    assert b.model.visual.image_size == (224, 224)
    del b


# ---------------------------------------------------------------------------- the one command, offline
def test_realpath_command_end_to_end_on_loopback(assets, tmp_path, monkeypatch):
    """python -m basic.realpath with every URL on a loopback server and the small model."""
    import hashlib
    import io
    import tarfile

    from basic import fetch, realpath
    from loopback import Loopback

    root = assets["root"]
    (root / "LICENSE").write_text("CC BY-NC-SA 4.0\n")
    (root / "checksums.sha256").write_text("")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(root, arcname="icir")
    tarball = buf.getvalue()
    sha = lambda b: hashlib.sha256(b).hexdigest()
    pos, neg = assets["corpus"].read_bytes(), assets["styles"].read_bytes()
    monkeypatch.setitem(fetch.ASSETS, "generic_subjects.csv", fetch.Asset("corpora/generic_subjects.csv", sha(pos)))
    monkeypatch.setitem(fetch.ASSETS, "generic_styles.csv", fetch.Asset("corpora/generic_styles.csv", sha(neg)))
    files = {"/icir/icir_v1.0.0.tar.gz": tarball,
             "/icir/icir_v1.0.0.sha256": f"{sha(tarball)}  icir_v1.0.0.tar.gz\n".encode(),
             "/ref/corpora/generic_subjects.csv": pos, "/ref/corpora/generic_styles.csv": neg}
    with Loopback(files) as server:
        monkeypatch.setenv("BASIC_ICIR_URL", server.url + "icir/")
        monkeypatch.setenv("BASIC_REFERENCE_URL", server.url + "ref/")
        monkeypatch.setenv("BASIC_CACHE_DIR", str(tmp_path / "cache"))
        argv = ["--backbone", TINY_NAME, "--pretrained", str(assets["ckpt"]), "--device", "cpu",
                "--out", str(tmp_path / "out"), "--workers", "0", "--batch-size", "4", "--context-number", "2"]
        assert realpath.main(argv) == 0
        assert realpath.main(argv) == 2  # the features folder exists: not overwritten
        assert realpath.main(argv + ["--overwrite"]) == 0  # everything served from the caches
    from basic.features import Features
    f = Features.load(tmp_path / "out")
    assert len(f.queries) == 6 and f.corpus_neg.shape == (3, 16)
    assert (tmp_path / "cache" / "icir_v1.0.0" / "icir" / "query_files.csv").is_file()


def test_throughput_benchmark_runs(assets, tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    import extract_throughput

    out = tmp_path / "bench.json"
    assert extract_throughput.main(["--model", TINY_NAME, "--device", "cpu", "--batch-size", "4", "--images", "8",
                                    "--size", "48", "--workers", "0", "--model-repeats", "1",
                                    "--image-dir", str(tmp_path / "imgs"), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["images"] == 8 and set(result["images_per_s"]) >= {"end_to_end", "decode_only", "model_only"}


def test_extract_command_line(assets, tmp_path, capsys):
    argv = ["--backbone", TINY_NAME, "--pretrained", str(assets["ckpt"]), "--device", "cpu", "--workers", "0",
            "--data", str(assets["root"]), "--out", str(tmp_path / "out"), "--context-number", "2",
            "--corpus-pos", str(assets["corpus"]), "--corpus-neg", str(assets["styles"]),
            "--clean-corpus-header", "--context-mode", "random"]
    assert extract.main(argv) == 0
    assert "6 queries, 10 database images" in capsys.readouterr().out
    bad = [str(tmp_path / "nope.csv") if a == str(assets["corpus"]) else a for a in argv]
    assert extract.main(bad + ["--out", str(tmp_path / "out2")]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_backbone_key_follows_the_weights_bytes_not_their_path_or_time(tmp_path):
    """The same checkpoint in another clone (another path, a fresh mtime) gives the same key; other bytes do not."""
    import os

    from basic.extract import Backbone
    a, b = tmp_path / "a" / "w.pt", tmp_path / "b" / "w.pt"
    for path in (a, b):
        path.parent.mkdir()
        path.write_bytes(b"weights" * 100)
    os.utime(b, (1, 1))
    key = lambda path: Backbone(None, None, None, "m", str(path), "cpu").key
    assert key(a) == key(b)
    b.write_bytes(b"other weights")
    assert key(a) != key(b)
