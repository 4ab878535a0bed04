"""Semantic-level CIR: FREEDOM's protocol (basic.semantic), its four datasets (basic.freedom) end to end on
fixtures in each dataset's real layout (archives and list files served by a loopback server, a tiny random
CLIP), and the tiny world scored at category level."""
from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from basic import freedom, semantic
from basic.datasets import get_dataset
from basic.features import Features
from basic.fetch import FetchError, git_blob_id
from basic.search import SearchOptions, evaluate_search
sys.path.insert(0, str(Path(__file__).parent))
from loopback import Loopback, closed_port_url  # noqa: E402
from test_fetch import make_tar  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- FREEDOM's metric, by hand
def freedom_ap(correct: np.ndarray) -> float:
    """AP of one ranked 0/1 list, the way FREEDOM computes it (Radenović's trapezoid, 1e-5 in the step)."""
    pos = np.flatnonzero(correct)
    ap, step = 0.0, 1.0 / (len(pos) + 1e-5)
    for j, rank in enumerate(pos):
        p0 = 1.0 if rank == 0 else j / rank
        ap += (p0 + (j + 1) / (rank + 1)) * step / 2
    return ap


def freedom_table(q_feat, q_cls, q_dom, db_feat, db_cls, db_dom, text_of, domains) -> pd.DataFrame:
    """FREEDOM's run_retrieval loop for Text + Image: per (source, target) pair, mAP in %.

    (Text + Image, not Text × Image: FREEDOM multiplies raw cosines, basic and i-CIR's code rectify them first;
    the two agree whenever both cosines are positive, as they are with CLIP, but not on random features.)"""
    table = {}
    for s in domains:
        rows = [i for i, d in enumerate(q_dom) if d == s]
        for t in domains:
            if t == s or not rows:
                continue
            scores = (q_feat[rows] @ db_feat.T) + (text_of[t] @ db_feat.T)[None, :]
            aps = []
            for r, score in zip(rows, scores):
                order = np.argsort(-score, kind="stable")
                aps.append(freedom_ap((db_cls[order] == q_cls[r]) & (db_dom[order] == t)))
            table.setdefault(s, {})[t] = 100 * np.mean(aps)
    return pd.DataFrame(table).T


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_expand_queries_asks_every_other_domain():
    rows, targets = semantic.expand_queries(["a", "b", "c"], np.array(["b", "a", "a"]))
    pairs = sorted(zip(rows.tolist(), targets.tolist()))
    assert pairs == [(0, "a"), (0, "c"), (1, "b"), (1, "c"), (2, "b"), (2, "c")]
    with pytest.raises(ValueError, match="'z'"):
        semantic.expand_queries(["a", "b"], np.array(["z"]))


def synthetic_semantic(seed=0, full=True):
    rng = np.random.default_rng(seed)
    domains = ["cartoon", "photo", "toy"]
    d, n = 12, 60
    cls = rng.choice(["cat", "dog", "owl"], size=n)
    dom = rng.choice(domains, size=n)
    centre = {c: rng.normal(size=d) for c in ("cat", "dog", "owl")}
    style = {t: rng.normal(size=d) for t in domains}
    db = unit(np.stack([centre[c] + style[t] + 0.8 * rng.normal(size=d) for c, t in zip(cls, dom)])).astype(np.float32)
    database = pd.DataFrame({"path": [f"img/{i}.jpg" for i in range(n)], "domain": dom, "cls": cls})
    if full:                                   # ImageNet-R / LTLL: the queries are the database images
        queries, q = database, db
    else:
        q = unit(rng.normal(size=(9, d))).astype(np.float32)
        queries = pd.DataFrame({"path": [f"q/{i}.jpg" for i in range(9)], "domain": rng.choice(domains, 9),
                                "cls": rng.choice(["cat", "dog", "owl"], 9)})
    text = {t: unit(style[t][None] + 0.3 * rng.normal(size=(1, d)))[0].astype(np.float32) for t in domains}
    f = semantic.semantic_features(q, queries, db, database, domains, text, None, dataset="fixture")
    return f, (q, queries, db, database, text, domains)


@pytest.mark.parametrize("full", [True, False])
def test_domain_pair_map_is_freedoms(full):
    """Global database, the query's own image kept as a negative, mAP per pair then the mean over pairs."""
    f, (q, queries, db, database, text, domains) = synthetic_semantic(full=full)
    result = evaluate_search(f, "sum", SearchOptions(database="global", candidates=None))
    ours = semantic.domain_pair_table(f, result.ap)
    theirs = freedom_table(q, queries.cls.to_numpy(), queries.domain.to_numpy(), db, database.cls.to_numpy(),
                           database.domain.to_numpy(), text, domains)
    theirs = theirs.reindex(index=ours.index, columns=ours.columns)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), atol=1e-3, equal_nan=True)
    assert semantic.domain_pair_map(f, result.ap) == pytest.approx(np.nanmean(theirs.to_numpy()), abs=1e-3)
    # the per-target columns are means over sources, as in FREEDOM's README tables
    assert semantic.per_target_map(f, result.ap).to_dict() == pytest.approx(ours.mean(axis=0).to_dict())


def test_semantic_folder_defaults_to_global_and_reports_pairs(tmp_path):
    f, _ = synthetic_semantic()
    f.save(tmp_path / "feat")
    run = lambda *extra: subprocess.run([sys.executable, "-m", "basic", "evaluate", str(tmp_path / "feat"), "--preset",
                                         "product", *extra], capture_output=True, text=True, cwd=REPO)
    default = run("--json", str(tmp_path / "a.json"))
    explicit = run("--database", "global", "--candidates", "all", "--json", str(tmp_path / "b.json"))
    assert default.returncode == 0 and explicit.returncode == 0, default.stderr + explicit.stderr
    assert "global, 60 rows" in default.stdout and "all (exhaustive)" in default.stdout
    assert "domain-pair mAP" in default.stdout
    a, b = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert a["domain_pair_mAP"] == b["domain_pair_mAP"]
    result = evaluate_search(f, "product", SearchOptions(database="global", candidates=None))
    assert a["domain_pair_mAP"] == pytest.approx(semantic.domain_pair_map(f, result.ap) / 100)


# ----------------------------------------------------------------------------- the tiny semantic variant
def test_tiny_semantic_labels_what_each_image_shows(tmp_path):
    """A textual hard negative (another mug, in the snow) is a positive at category level; a distractor of
    another category is not; a plain (neutral) view matches no condition."""
    queries = pd.DataFrame({"instance": ["mug_a"], "text": ["in the snow"], "path": ["query/mug_a/q0.png"]})
    rows = [("mug_a", "in the snow", "database/mug_a/pos_snow_0.png", "mug_a", "snow"),
            ("mug_a", "-", "database/mug_a/hn/txt_mug_b_snow_0.png", "mug_b", "snow"),
            ("mug_a", "-", "database/mug_a/hn/vis_self_neutral_p0.png", "mug_a", "neutral"),
            ("mug_a", "-", "database/mug_a/dis_lamp_c_snow_0.png", "lamp_c", "snow")]
    database = pd.DataFrame([r[:3] for r in rows], columns=["instance", "text", "path"])
    pd.DataFrame([(r[2], r[0], r[3], r[4], "x") for r in rows],
                 columns=["path", "instance", "shown_instance", "condition", "role"]).to_csv(tmp_path / "manifest.csv", index=False)
    rng = np.random.default_rng(0)
    f = Features(query_image=rng.normal(size=(1, 8)), query_text=rng.normal(size=(1, 8)),
                 db_image=rng.normal(size=(4, 8)), queries=queries, database=database)
    s = semantic.tiny_semantic(f, tmp_path)
    assert list(s.database.instance) == ["mug", "mug", "mug", "lamp"]
    assert list(s.database.text) == ["in the snow", "in the snow", "-", "in the snow"]
    assert list(s.queries.instance) == ["mug"] and s.meta["database"] == "global"
    result = evaluate_search(s, "product", SearchOptions(database="global", candidates=None))
    assert (result.ranks[0] < 4).sum() == 2                    # two positives: the instance's own and mug_b's
    instance_level = evaluate_search(f, "product", SearchOptions(database="instance", candidates=None))
    assert (instance_level.ranks[0] < 4).sum() == 1


# ----------------------------------------------------------------------------- fixtures in the real layouts
torch = pytest.importorskip("torch")
open_clip = pytest.importorskip("open_clip")
Image = pytest.importorskip("PIL.Image")

TINY_CFG = {"embed_dim": 16,
            "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
            "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}
TINY_NAME = "basic-test-semantic-vit"


def jpeg(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (20, 22, 3), dtype=np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def tarred(files: dict[str, bytes]) -> bytes:
    return make_tar(files, mode="w")               # ImageNet-R's and ILSVRC's archives are plain tars


def lines(rows) -> bytes:
    return ("\n".join(" ".join(r) for r in rows) + "\n").encode()


def fixture(name: str):
    """(list files {file: bytes}, public archives {file: bytes}, hand-placed files {file: bytes}) in the
    dataset's real layout (as its archives unpack and as FREEDOM's list files name them)."""
    k = iter(range(10_000))
    if name == "ltll":          # LTLL.zip: New/ and Old/, spaces in folder and file names (FREEDOM renames them)
        files, rows = {}, []
        for dom in ("New", "Old"):
            for cls in ("Taj Mahal", "Pettah"):
                for i in range(8):
                    files[f"{dom}/images/{cls}/img {i}.jpg"] = jpeg(next(k))
                    rows.append((f"ltll/{dom}/images/{cls.replace(' ', '')}/img_{i}.jpg", dom, cls.replace(" ", "")))
        return {"full_files.csv": lines(rows)}, {"LTLL.zip": zipped(files)}, {}
    if name == "minidn":        # four DomainNet zips: <domain>/<class>/<domain>_<id>.jpg
        archives, q, db = {}, [], []
        for dom in ("clipart", "painting", "real", "sketch"):
            files = {}
            for cls in ("zebra", "aircraft_carrier"):
                for i in range(5):
                    rel = f"{dom}/{cls}/{dom}_{i:03d}.jpg"
                    files[rel] = jpeg(next(k))
                    (q if i == 0 else db).append((f"minidn/{rel}", dom, cls))
            archives[f"{dom}.zip"] = zipped(files)
        return {"query_files.csv": lines(q), "database_files.csv": lines(db)}, archives, {}
    if name == "nico":          # DG_Benchmark.zip > NICO_DG_Benchmark.zip > NICO_DG/<context>/<class>/...
        files, q, db = {}, [], []
        for dom in ("autumn", "dim", "grass", "outdoor", "rock", "water"):
            for cls in ("hot air balloon", "wolf"):
                for i in range(4):
                    files[f"NICO_DG/{dom}/{cls}/{dom}_{i:06d}.jpg"] = jpeg(next(k))
                    c = cls.replace(" ", "_")
                    (q if i == 0 else db).append((f"nico/{dom}/{c}/{dom}_{i:06d}.jpg", dom, c))
        outer = zipped({"NICO_DG_Benchmark.zip": zipped(files)})
        return {"query_files.csv": lines(q), "database_files.csv": lines(db)}, {}, {freedom.NICO_ZIP: outer}
    if name == "imagenet_r":    # imagenet-r.tar: imagenet-r/<wnid>/<domain>_<i>.jpg; ILSVRC val: flat JPEGs
        wnids = {"n01443537": "goldfish", "n01484850": "great_white_shark"}
        rendition, val, targets, real = {}, {}, [], []
        offset = {"cartoon": 0, "origami": 1000, "toy": 2000, "sculpture": 3000}
        for c, (wnid, _) in enumerate(wnids.items()):
            for dom in offset:
                for i in range(3):
                    rendition[f"imagenet-r/{wnid}/{dom}_{i}.jpg"] = jpeg(next(k))
                    targets.append((f"imgnet/imagenet-r/{wnid}/{dom}_{i}.jpg", str(offset[dom] + c)))
            for i in range(3):
                name_ = f"ILSVRC2012_val_{c * 10 + i:08d}.JPEG"
                val[name_] = jpeg(next(k))
                real.append((f"imgnet/real/{wnid}/{name_}", str(c)))
                targets.append((f"imgnet/real/{wnid}/{name_}", str(4000 + c)))
        val["ILSVRC2012_val_00009999.JPEG"] = jpeg(next(k))          # not listed: never copied
        label_names = "".join(f"{w},{n}\n" for w, n in {**wnids, "n09999999": "unused"}.items()).encode()
        return ({"imgnet_targets.txt": lines(targets), "imgnet_real_query.txt": lines(real),
                 "label_names.csv": label_names},
                {"imagenet-r.tar": tarred(rendition)}, {freedom.ILSVRC_VAL: tarred(val)})
    raise KeyError(name)


def pins_for(name: str, lists: dict[str, bytes], tmp: Path, sha_for_all=True) -> pd.DataFrame:
    rows = []
    for file, data in lists.items():
        (tmp / file).write_bytes(data)
        keep_sha = sha_for_all and file != "database_files.csv"    # as MiniDomainNet's: blob id only
        rows.append(dict(dataset=name, file=file, repo_path=f"data/{name}/{file}", git_blob=git_blob_id(tmp / file),
                         sha256=hashlib.sha256(data).hexdigest() if keep_sha else "", bytes=str(len(data))))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    from basic import extract
    torch.set_num_threads(1)
    base = tmp_path_factory.mktemp("semantic_clip")
    (base / f"{TINY_NAME}.json").write_text(json.dumps(TINY_CFG))
    open_clip.add_model_config(base / f"{TINY_NAME}.json")
    torch.manual_seed(0)
    torch.save(open_clip.create_model(TINY_NAME, pretrained=None).state_dict(), base / "tiny.pt")
    (base / "subjects.csv").write_text("object_name\ncat\ndog\nbridge\n")
    (base / "styles.csv").write_text("object_name\nsketch\npainting\n")
    return base, extract.load_backbone(TINY_NAME, str(base / "tiny.pt"), device="cpu")


def serve(name, tmp):
    lists, archives, manual = fixture(name)
    pinned = pins_for(name, lists, tmp)
    server = Loopback({**{f"/lists/data/{name}/{f}": b for f, b in lists.items()},
                       **{f"/archives/{f}": b for f, b in archives.items()}})
    return server, pinned, manual


@pytest.mark.parametrize("name", ["imagenet_r", "minidn", "nico", "ltll"])
def test_dataset_end_to_end(name, tmp_path, tiny_clip, monkeypatch):
    """Fetch (loopback) -> loader -> features folder -> `python -m basic evaluate DIR --database global --preset basic`."""
    base, backbone = tiny_clip
    monkeypatch.setenv("BASIC_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "data"
    server, pinned, manual = serve(name, tmp_path)
    for file, data in manual.items():                 # the hand-placed files, where the instructions say
        (root / "downloads").mkdir(parents=True, exist_ok=True)
        (root / "downloads" / file).write_bytes(data)
    with server:
        freedom.fetch_dataset(name, root, list_url=server.url + "lists/", archive_url=server.url + "archives/",
                              pinned=pinned, progressbar=False)
    queries, database = freedom.read_images(name, root)
    assert all((root / p).is_file() for p in pd.concat([queries.path, database.path]))
    rng = np.random.default_rng(1)
    out = tmp_path / "features"
    f = freedom.extract_semantic(backbone, name, root, out, base / "subjects.csv", base / "styles.csv",
                                 image_mean=rng.normal(size=16), synthetic=(rng.normal(size=(20, 16)), rng.normal(size=(20, 16))),
                                 num_workers=0, shard_size=8, progress=False)
    n_dom = len(freedom.domains(name))
    assert len(f.queries) == len(queries) * (n_dom - 1) and len(f.db_image) == len(database)
    assert set(f.database.text) == set(freedom.domains(name)) and f.meta["database"] == "global"
    done = subprocess.run([sys.executable, "-m", "basic", "evaluate", str(out), "--database", "global", "--preset",
                           "basic", "--json", str(tmp_path / "r.json")], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "domain-pair mAP" in done.stdout
    got = json.loads((tmp_path / "r.json").read_text())
    assert 0 < got["domain_pair_mAP"] <= 1


def test_checksums_recorded_then_enforced_and_lists_pinned(tmp_path, monkeypatch):
    monkeypatch.setenv("BASIC_CACHE_DIR", str(tmp_path / "cache"))
    server, pinned, _ = serve("ltll", tmp_path)
    with server:
        urls = dict(list_url=server.url + "lists/", archive_url=server.url + "archives/", pinned=pinned, progressbar=False)
        freedom.fetch_dataset("ltll", tmp_path / "a", **urls)
        recorded = json.loads((tmp_path / "cache" / "assets" / "checksums.json").read_text())
        assert recorded["freedom/LTLL.zip"] == hashlib.sha256(server.files["/archives/LTLL.zip"]).hexdigest()
        server.files["/archives/LTLL.zip"] = zipped({"New/x.jpg": jpeg(0)})      # the server's copy changes
        with pytest.raises(FetchError, match="checksum mismatch"):
            freedom.fetch_dataset("ltll", tmp_path / "b", **urls)
        server.files["/lists/data/ltll/full_files.csv"] += b"ltll/New/x.jpg New Extra\n"
        with pytest.raises(FetchError, match="checksum mismatch|git blob"):
            freedom.fetch_dataset("ltll", tmp_path / "c", **urls)


def test_missing_blob_only_list_is_checked_by_git_blob_and_recorded(tmp_path, monkeypatch):
    monkeypatch.setenv("BASIC_CACHE_DIR", str(tmp_path / "cache"))
    server, pinned, _ = serve("minidn", tmp_path)
    assert pinned.set_index("file").loc["database_files.csv", "sha256"] == ""
    with server:
        freedom.fetch_lists("minidn", tmp_path / "d", base_url=server.url + "lists/", pinned=pinned)
    recorded = json.loads((tmp_path / "cache" / "assets" / "checksums.json").read_text())
    assert "freedom/minidn/database_files.csv" in recorded


@pytest.mark.parametrize("name,file,env", [("nico", freedom.NICO_ZIP, "BASIC_NICO_ZIP"),
                                           ("imagenet_r", freedom.ILSVRC_VAL, "BASIC_ILSVRC_VAL")])
def test_manual_files_missing_say_where_to_get_them(name, file, env, tmp_path, monkeypatch):
    monkeypatch.setenv("BASIC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(env, raising=False)
    server, pinned, _ = serve(name, tmp_path)
    with server, pytest.raises(FetchError) as error:
        freedom.fetch_dataset(name, tmp_path / "data", list_url=server.url + "lists/",
                              archive_url=server.url + "archives/", pinned=pinned, progressbar=False)
    text = str(error.value)
    assert str(tmp_path / "data" / "downloads" / file) in text and env in text and "https://" in text


def test_pinned_lists_match_freedoms_commit():
    table = freedom.pins()
    for name in freedom.SPECS:
        assert set(freedom.list_files(name)) <= set(table[table.dataset == name].file)
    assert table.git_blob.str.fullmatch(r"[0-9a-f]{40}").all()
    assert (table.sha256.eq("") | table.sha256.str.fullmatch(r"[0-9a-f]{64}")).all()


def test_registry_entries_are_semantic_and_global():
    for name in ("imagenet_r", "minidn", "nico", "ltll", "tiny_semantic"):
        ds = get_dataset(name)
        assert ds.level == "semantic" and ds.database == "global"
    with pytest.raises(Exception, match="python -m basic.freedom fetch nico"):
        get_dataset("nico", "/nonexistent/features").load_features()


def test_cli_errors_are_clean(tmp_path):
    done = subprocess.run([sys.executable, "-m", "basic.freedom", "fetch", "nico", "--root", str(tmp_path / "r"),
                           "--cache", str(tmp_path / "c")], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "BASIC_FREEDOM_URL": closed_port_url()})
    assert done.returncode == 2 and "Traceback" not in done.stderr and "\nerror: could not download" in "\n" + done.stderr


def test_paper_semantic_numbers_are_the_readmes():
    """Transcribed from the official code's README (billpsomas/icir, Results (mAP %)): fixed facts, not results."""
    table = semantic.paper_semantic().set_index("preset")
    assert table.loc["basic", ["imagenet_r", "nico", "minidn", "ltll"]].tolist() == [32.13, 31.65, 39.58, 41.38]
    assert table.loc["product", ["imagenet_r", "nico", "minidn", "ltll"]].tolist() == [7.83, 9.79, 9.86, 23.16]
    assert table.loc["ablation-CMHXP", "ltll"] == 38.22 and "billpsomas/icir" in semantic.paper_semantic().attrs["source"]
    assert table.loc["", "method"] == "FREEDOM"


@pytest.mark.parametrize("seed", range(4))
def test_sorted_rank_counting_equals_direct_counting(seed):
    """The exhaustive search counts rows ranked before each positive by sorting each chunk when positives are
    many: same counts as the direct rule, ties (row order) included, positives inside and outside the chunk."""
    from basic.search import _count_before, _count_before_sorted
    rng = np.random.default_rng(seed)
    q, c, p, a = 7, 50, 20, 100
    scores = np.round(rng.normal(size=(q, c)), 1).astype(np.float32)        # rounded: many exact ties
    scores[0, :10] = 0.0
    scores[0, 10:12] = -0.0
    pos_i = np.sort(rng.choice(np.arange(40, 200), size=(q, p)), axis=1)     # before, inside and after a..a+c
    pos_s = np.round(rng.normal(size=(q, p)), 1).astype(np.float32)
    inside = (pos_i >= a) & (pos_i < a + c)
    rows = np.nonzero(inside)
    pos_s[rows] = scores[rows[0], pos_i[rows] - a]                           # a positive's own score, as searched
    pos_i[0, -1], pos_s[0, -1] = a + 3, 0.0
    direct = _count_before(scores, np.arange(a, a + c), pos_s, pos_i)
    np.testing.assert_array_equal(_count_before_sorted(scores, a, pos_s, pos_i), direct)


def test_exhaustive_global_ranks_match_a_full_sort():
    """Exhaustive global search (sorted counting) against metrics.positive_ranks on the whole score matrix."""
    from basic.metrics import positive_ranks
    f, (q, queries, db, database, text, domains) = synthetic_semantic(full=True)
    result = evaluate_search(f, "sum", SearchOptions(database="global", candidates=None, chunk_rows=16))
    scores = f.query_image @ db.T + f.query_text @ db.T
    positives = (f.queries.instance.to_numpy()[:, None] == f.database.instance.to_numpy()[None, :]) & \
                (f.queries.text.to_numpy()[:, None] == f.database.text.to_numpy()[None, :])
    expected = positive_ranks(scores.astype(np.float32), positives)
    np.testing.assert_array_equal(np.where(result.ranks == np.iinfo(np.int64).max, -1, result.ranks),
                                  np.where(expected == np.iinfo(np.int64).max, -1, expected))


def test_levels_of_a_semantic_dataset_and_of_an_instance_only_one(tmp_path):
    """A semantic dataset gives the semantic level only; golden (no categories) the instance level only."""
    f, _ = synthetic_semantic()
    rng = np.random.default_rng(3)
    r = lambda n: rng.normal(size=(n, f.dim)).astype(np.float32)  # noqa: E731
    f = f.replace(query_text_context=r(len(f.queries)), corpus_pos=r(30), corpus_neg=r(20),
                  image_mean=0.3 * r(1)[0], synthetic_image=r(25), synthetic_text=r(25))
    f.save(tmp_path / "ltll")
    level = semantic.levels("ltll", tmp_path / "ltll")
    assert level["instance"] is None and level["semantic"] is not None and "no instance level" in level["message"]
    table = semantic.ladder_table(level)
    assert table["ours: instance mmAP"].isna().all() and table["ours: semantic mAP"].notna().all()
    golden = semantic.levels("golden")
    assert golden["semantic"] is None and "skipped" in golden["message"]
    methods = semantic.methods_table(golden)
    assert methods["ours: semantic mAP"].isna().all() and methods["paper: LTLL"].notna().all()
    assert "**Paper.**" in semantic.baselines_statement(methods)


def test_semantic_figures_go_to_their_own_folder(tmp_path):
    from basic.datasets import FIGURES
    assert get_dataset("nico").figures_dir() == FIGURES / "nico"
    # the tiny world's category level is published by `./runall.sh tiny` (notebook 13): its own run stays in OUTDIR
    assert get_dataset("tiny_semantic").figures_dir(tmp_path) == tmp_path / "figures"
    # at the semantic level runall.sh runs the notebook written for it, not i-CIR's per-instance ones
    assert get_dataset("nico").notebook_pattern() == "13_semantic_vs_instance"
    assert get_dataset("tiny").notebook_pattern() == "[0-9][0-9]_*"
