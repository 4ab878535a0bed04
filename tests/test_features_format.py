"""The features folder on disk: format 2 (mapped .npy), the old .npz layout, convert, atomic folder saves."""
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from basic import equations as eq
from basic import features as F
from basic import fileio
from basic.features import Features, FeaturesError, convert, folder_format, is_features_folder
from basic.retrieval import evaluate

from conftest import REPO, golden_cases, make_features


def write_old_format(f: Features, folder):
    """The format-1 layout, written by hand as the golden cases are (features.npz + two CSVs)."""
    folder.mkdir(parents=True)
    arrays = {n: getattr(f, n) for n in F.ARRAY_FIELDS if getattr(f, n) is not None}
    np.savez(folder / "features.npz", **arrays)
    f.queries.to_csv(folder / "queries.csv", index=False)
    f.database.to_csv(folder / "database.csv", index=False)
    (folder / "meta.json").write_text(json.dumps({"backbone": "old"}))
    return folder


def listing(folder):
    return sorted((p.relative_to(folder).as_posix(), p.stat().st_mtime_ns, p.stat().st_size)
                  for p in folder.rglob("*"))


def assert_same(a: Features, b: Features):
    for name in F.ARRAY_FIELDS + F.PROMPT_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=name)
    pd.testing.assert_frame_equal(a.queries, b.queries)
    pd.testing.assert_frame_equal(a.database, b.database)


# --------------------------------------------------------------------------------------------- format 2
def test_format2_roundtrip_is_mapped_and_read_only(small, tmp_path):
    small.meta = {"backbone": "test", "note": "é"}
    small = small.replace(corpus_pos_prompts=np.array([f"object {i}" for i in range(len(small.corpus_pos))]))
    folder = small.save(tmp_path / "f")
    assert folder_format(folder) == 2 and Features.exists(folder) and not (folder / "features.npz").exists()
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["features_format"]["version"] == F.FORMAT_VERSION and meta["backbone"] == "test"
    back = Features.load(folder)
    assert_same(small, back)
    assert back.meta == small.meta
    assert not back.db_image.flags.owndata and not back.db_image.flags.writeable      # a map, not a copy
    with pytest.raises(ValueError):
        back.db_image[0, 0] = 1.0
    np.testing.assert_array_equal(back.database_norms(), F.row_norms(small.db_image))
    for column in ("instance", "text"):                  # stored codes equal freshly computed ones
        q, d, names = back.label_codes(column)
        fresh = small.label_codes(column)
        np.testing.assert_array_equal(names[q], fresh[2][fresh[0]])
        np.testing.assert_array_equal(names[d], fresh[2][fresh[1]])
    in_memory = Features.load(folder, mmap=False)
    assert in_memory.db_image.flags.writeable and not isinstance(in_memory.db_image.base, np.memmap)
    np.testing.assert_allclose(evaluate(back, "basic").ap, evaluate(small, "basic").ap, rtol=1e-6)


def test_labels_with_odd_strings_survive(tmp_path):
    f = make_features()
    q = f.queries.copy()
    q.loc[0, "path"] = "a,b \"quoted\"\nnewline"
    q.loc[1, "path"] = "NA"
    f = f.replace(queries=q)
    back = Features.load(f.save(tmp_path / "f"))
    assert back.queries.path.iloc[0] == "a,b \"quoted\"\nnewline" and back.queries.path.iloc[1] == "NA"


def test_stale_norms_are_noticed_and_recomputed(small, tmp_path, capsys):
    folder = small.save(tmp_path / "f")
    norms = np.load(folder / "db_norms.npy")
    norms[:] *= 2                                         # every row wrong: the sample must catch it
    np.save(folder / "db_norms.npy", norms)
    back = Features.load(folder)
    assert "recomputing" in capsys.readouterr().err
    np.testing.assert_array_equal(back.database_norms(), F.row_norms(small.db_image))
    np.testing.assert_allclose(evaluate(back, "product").ap, evaluate(small, "product").ap, rtol=1e-6)
    np.save(folder / "db_norms.npy", norms[:-1])          # wrong shape
    Features.load(folder)
    assert "expected float32" in capsys.readouterr().err


def test_nan_database_row_is_named_with_stored_norms(small, tmp_path):
    db = small.db_image.copy()
    db[7] = np.nan
    folder = small.save(tmp_path / "f")
    np.save(folder / "db_image.npy", db)    # a NaN row planted after the save: the stored norms no longer agree
    with pytest.raises(ValueError, match="row 7"):
        evaluate(Features.load(folder), "image")


def test_a_mixed_folder_is_refused(small, tmp_path):
    folder = small.save(tmp_path / "f")
    np.save(folder / "db_image.npy", small.db_image[:-1])
    with pytest.raises(FeaturesError, match="db_image.npy.*mixes two saves"):
        Features.load(folder)
    np.save(folder / "db_image.npy", small.db_image)
    (folder / "query_text.npy").unlink()
    with pytest.raises(FeaturesError, match="query_text.npy is missing"):
        Features.load(folder)


def test_not_a_features_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    assert not is_features_folder(tmp_path / "empty") and not Features.exists(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="not a features folder"):
        Features.load(tmp_path / "empty")


# --------------------------------------------------------------------------------------------- old format
def test_old_format_loads_without_writing_and_hints_once(small, tmp_path, capsys):
    folder = write_old_format(small, tmp_path / "old")
    before = listing(folder)
    a, b = Features.load(folder), Features.load(folder)
    assert listing(folder) == before                     # nothing written (the golden cases are read-only)
    err = capsys.readouterr().err
    assert err.count("python -m basic convert") == 1 and err.count("\n") == 1
    assert_same(small, a)
    assert a.meta == {"backbone": "old"}
    np.testing.assert_allclose(evaluate(b, "basic").ap, evaluate(small, "basic").ap, rtol=1e-6)


def test_convert_in_place_keeps_other_files(small, tmp_path, capsys):
    folder = write_old_format(small, tmp_path / "f")
    (folder / ".cache").mkdir()
    (folder / ".cache" / "shard.npy").write_bytes(b"x")
    (folder / "NOTES.txt").write_text("mine")
    from basic.cli import main
    assert main(["convert", str(folder)]) == 0
    assert "converted" in capsys.readouterr().out
    assert folder_format(folder) == 2
    names = {p.name for p in folder.iterdir()}
    assert {".cache", "NOTES.txt"} <= names and not names & set(F.OLD_FILES)
    assert (folder / ".cache" / "shard.npy").read_bytes() == b"x"
    back = Features.load(folder)
    assert_same(small, back)
    assert back.meta == {"backbone": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["f"]            # no temporary folder left behind


def test_convert_to_another_folder_leaves_the_source(small, tmp_path, capsys):
    src = write_old_format(small, tmp_path / "old")
    before = listing(src)
    from basic.cli import main
    assert main(["convert", str(src), "--out", str(tmp_path / "new")]) == 0
    assert listing(src) == before and folder_format(tmp_path / "new") == 2
    assert main(["convert", str(src), "--out", str(tmp_path / "new")]) == 2       # refuses to replace
    assert "--overwrite" in capsys.readouterr().err
    assert main(["convert", str(src), "--out", str(tmp_path / "new"), "--overwrite"]) == 0
    assert main(["convert", str(tmp_path / "nothing")]) == 2
    assert "not a features folder" in capsys.readouterr().err


def test_read_only_folders_are_never_converted_or_replaced(small, tmp_path, capsys):
    """Read-only marks hold even for root (the golden cases are read-only): nothing is written."""
    folder = write_old_format(small, tmp_path / "ro" / "case")
    before = listing(tmp_path / "ro")
    from basic.cli import main
    try:
        os.chmod(folder, 0o555)
        assert main(["convert", str(folder)]) == 2
        assert "read-only" in capsys.readouterr().err
        os.chmod(folder, 0o755)
        os.chmod(folder.parent, 0o555)
        with pytest.raises(PermissionError, match="read-only"):
            small.save(folder)
    finally:
        os.chmod(folder.parent, 0o755)
        os.chmod(folder, 0o755)
    assert listing(tmp_path / "ro") == before
    assert main(["convert", str(folder), "--out", str(tmp_path / "copy")]) == 0


@pytest.mark.skipif(not golden_cases(), reason="no golden cases (set BASIC_GOLDEN_DIR)")
def test_converted_golden_case_scores_the_same(tmp_path):
    case = golden_cases()[0]
    new = convert(case, tmp_path / "case")
    for name in ("image", "product", "basic"):
        np.testing.assert_array_equal(evaluate(Features.load(new), name).ap, evaluate(Features.load(case), name).ap)


# --------------------------------------------------------------------------------------------- atomic folder
def test_interrupted_save_leaves_the_old_folder(small, tmp_path, monkeypatch):
    folder = small.save(tmp_path / "f")
    (folder / "NOTES.txt").write_text("mine")
    before = listing(folder)
    other = make_features(seed=1)
    real_save, calls = np.save, []

    def failing_save(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt("simulated interruption")
        return real_save(*args, **kwargs)
    monkeypatch.setattr(F.np, "save", failing_save)
    with pytest.raises(KeyboardInterrupt):
        other.save(folder)
    monkeypatch.setattr(F.np, "save", real_save)
    assert listing(folder) == before
    assert_same(small, Features.load(folder))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]     # the partial folder was removed
    assert len(calls) == 4


def test_killed_save_leaves_the_old_folder(small, tmp_path):
    """A process killed in the middle of an overwrite (no cleanup runs): the folder is still the old one."""
    folder = small.save(tmp_path / "f")
    script = (
        "import os, sys, numpy as np\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from conftest import make_features\n"
        "import basic.features as F\n"
        "real, n = np.save, [0]\n"
        "def dying(*a, **k):\n"
        "    n[0] += 1\n"
        "    if n[0] == 3: os._exit(9)\n"
        "    return real(*a, **k)\n"
        "F.np.save = dying\n"
        "make_features(seed=1, db_per=60).save(sys.argv[1])\n")
    done = subprocess.run([sys.executable, "-c", script, str(folder), str(REPO / "tests")], cwd=REPO)
    assert done.returncode == 9
    assert_same(small, Features.load(folder))
    leftovers = [p for p in tmp_path.iterdir() if p.name != "f"]
    assert len(leftovers) == 1 and not is_features_folder(leftovers[0])
    assert "interrupted save left" in F._leftover_note(folder)


@pytest.mark.parametrize("atomic_exchange", [True, False])
def test_overwrite_swaps_whole_folders(small, tmp_path, monkeypatch, atomic_exchange):
    if not atomic_exchange:
        monkeypatch.setattr(fileio, "_exchange", lambda a, b: False)
    folder = write_old_format(small, tmp_path / "f")
    (folder / ".cache").mkdir()
    other = make_features(seed=1, db_per=60)
    with pytest.raises(FileExistsError):
        other.save(folder, overwrite=False)
    other.save(folder)
    assert folder_format(folder) == 2 and (folder / ".cache").is_dir()
    assert not set(os.listdir(folder)) & set(F.OLD_FILES)
    assert_same(other, Features.load(folder))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_convert_keeps_text_prompts(small, tmp_path, capsys):
    """Prompt arrays are strings: the converter's check compares them without NaN handling."""
    with_prompts = small.replace(corpus_pos_prompts=np.array(["object_name", "a mug"] * 15),
                                 synthetic_prompts=np.array([f"a photo {k}" for k in range(25)]))
    folder = write_old_format(with_prompts, tmp_path / "f")
    arrays = dict(np.load(folder / "features.npz"))
    np.savez(folder / "features.npz", **arrays, corpus_pos_prompts=with_prompts.corpus_pos_prompts,
             synthetic_prompts=with_prompts.synthetic_prompts)
    assert list(Features.load(folder).synthetic_prompts) == list(with_prompts.synthetic_prompts)
    from basic.cli import main
    assert main(["convert", str(folder)]) == 0
    back = Features.load(folder)
    assert list(back.corpus_pos_prompts) == list(with_prompts.corpus_pos_prompts)
    assert list(back.synthetic_prompts) == list(with_prompts.synthetic_prompts)
