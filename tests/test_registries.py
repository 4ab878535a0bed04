"""The three registries (methods, datasets, backbones) and who owns what: only public API is used here.

A new fusion, dataset or backbone is one function or class plus one registration, in a file outside
``basic/``; the command line, ./runall.sh and the notebooks then accept it (through $BASIC_PLUGINS).
"""
import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from basic.config import Config, ConfigError, all_presets
from basic.retrieval import evaluate
from conftest import make_features

REPO = Path(__file__).resolve().parent.parent

FUSION_PLUGIN = '''
import numpy as np
from basic.methods import register_method


def max_fusion(s_t, s_v, config):
    """max(s_v, s_t) raised to a power p of its own."""
    return np.maximum(s_v, s_t) ** config.option("p")


register_method("max-pow", max_fusion, params={"p": 1.0}, label="max(Text, Image)^p")
'''


def _write(folder: Path, name: str, source: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def _env(tmp_path: Path, plugins: str, **extra) -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]), BASIC_PLUGINS=plugins,
                **extra)


# ----------------------------------------------------------------------------- methods
def test_a_new_fusion_is_one_function_and_one_registration(tmp_path, monkeypatch):
    _write(tmp_path, "my_fusion", FUSION_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("BASIC_PLUGINS", "my_fusion")
    features = make_features()
    mine = evaluate(features, Config(method="max-pow"), keep_scores=True)   # found through $BASIC_PLUGINS
    assert "max-pow" in all_presets()
    image = evaluate(features, "image", keep_scores=True).scores
    text = evaluate(features, "text", keep_scores=True).scores
    for instance, (_, _, fused) in mine.scores.items():             # the registered function did the fusing
        np.testing.assert_allclose(fused, np.maximum(image[instance][2], text[instance][2]), rtol=1e-6)
    # its own parameter, set through the config: p = 3 (odd, so monotone) keeps the ranking of p = 1
    cubed = evaluate(features, Config(method="max-pow", options={"p": 3.0}), keep_scores=True)
    some = next(iter(cubed.scores))
    np.testing.assert_allclose(cubed.scores[some][2], mine.scores[some][2] ** 3, rtol=1e-5)
    np.testing.assert_allclose(cubed.ap, mine.ap)
    # and it sweeps like λ: the similarities once, one fusion per value
    from basic.retrieval import sweep
    swept = sweep(features, Config(method="max-pow"), "p", [1.0, 3.0])
    np.testing.assert_allclose(swept.mAP, [mine.mAP, cubed.mAP])
    with pytest.raises(ConfigError, match="no parameter 'q'"):
        Config(method="max-pow", options={"q": 1})


def test_the_command_line_runs_a_registered_fusion(tmp_path):
    _write(tmp_path, "my_fusion", FUSION_PLUGIN)
    folder = make_features().save(tmp_path / "f")
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"method": "max-pow", "options": {"p": 2}}))
    done = subprocess.run([sys.executable, "-m", "basic", "evaluate", str(folder), "--config", str(config),
                           "--json", str(tmp_path / "r.json")], capture_output=True, text=True,
                          env=_env(tmp_path, "my_fusion"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["config"]["options"] == {"p": 2.0}


def test_an_unknown_method_exits_2_and_lists_the_methods(tmp_path):
    folder = make_features().save(tmp_path / "f")
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"method": "nonexistent"}))
    done = subprocess.run([sys.executable, "-m", "basic", "evaluate", str(folder), "--config", str(config)],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 2
    assert "nonexistent" in done.stderr and "weighted-product" in done.stderr and "basic" in done.stderr
    assert "Traceback" not in done.stderr


def test_from_dict_and_the_constructor_agree():
    data = {"method": "image", "center": False, "harris_lambda": 0.3, "text_weight": 0.2}
    assert Config.from_dict(data) == Config(**data)
    assert Config.from_dict({"config": data}).to_dict() == Config(**data).to_dict()


def test_presets_and_the_card_read_the_method_table():
    from basic.methods import METHODS
    from basic.tinyworld.card import NAMES
    assert set(METHODS) <= set(all_presets())
    assert all(NAMES[m] == METHODS[m].label for m in METHODS)


# ----------------------------------------------------------------------------- datasets
DATASET_PLUGIN = '''
from pathlib import Path
from basic.datasets import Dataset, register_dataset


@register_dataset
class Mine(Dataset):
    name = "mine"
    note = "MY DATASET: a test's own features."

    def default_data_dir(self):
        return Path(__file__).parent / "mine-features"
'''


def test_a_new_dataset_is_one_class_and_one_registration(tmp_path):
    _write(tmp_path, "my_dataset", DATASET_PLUGIN)
    make_features().save(tmp_path / "mine-features")
    out = tmp_path / "out"
    env = _env(tmp_path, "my_dataset", BASIC_PYTHON=sys.executable, BASIC_NOTEBOOKS="01_evaluation_protocol",
               HOME=str(tmp_path))
    done = subprocess.run(["bash", str(REPO / "runall.sh"), "mine", str(out)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    executed = json.loads((out / "01_evaluation_protocol.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", []))
    assert "MY DATASET" in printed                    # the notebook's profile parameter named it
    assert (out / "figures").is_dir()                 # no figures folder of its own: OUTDIR/figures


def test_runall_rejects_an_unknown_dataset_and_lists_the_known_ones(tmp_path):
    done = subprocess.run(["bash", str(REPO / "runall.sh"), "nonsense", str(tmp_path / "out")], capture_output=True,
                          text=True, env=dict(os.environ, BASIC_PYTHON=sys.executable))
    assert done.returncode == 2
    assert "unknown dataset 'nonsense'" in done.stderr and "tiny, icir, golden" in done.stderr
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- backbones
def test_a_new_backbone_is_one_registry_entry(tmp_path):
    pytest.importorskip("open_clip")
    from basic.backbones import BackboneEntry, register_backbone
    from basic.extract import encode_texts, load_backbone
    register_backbone(BackboneEntry("vit-s-random", model="ViT-S-32", pretrained=None), replace=True)
    backbone = load_backbone("vit-s-random", device="cpu")
    assert backbone.name == "vit-s-random"
    assert encode_texts(backbone, ["a red mug"]).shape == (1, 384)


def test_the_paper_backbones_name_their_assets():
    from basic.fetch import assets_for
    assert assets_for("clip")[-2:] == ["laion_1m_mean_clip.pkl", "dataset_1_sd_clip.pkl.npy"]
    with pytest.raises(ValueError, match="clip, siglip"):
        assets_for("tiny")


# ----------------------------------------------------------------------------- ownership
def test_the_core_does_not_import_the_teaching_dataset():
    tree = ast.parse((REPO / "basic" / "extract.py").read_text())
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any("tinyworld" in m for m in imported), imported


def test_only_the_owner_touches_its_dict():
    for path in (REPO / "basic").rglob("*.py"):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            if "__dict__[" in line:
                raise AssertionError(f"{path.relative_to(REPO)}:{lineno} reaches into an object's __dict__")


def test_loading_the_tiny_clip_leaves_the_hub_setting_alone():
    pytest.importorskip("open_clip")
    script = ("import os\nfrom basic.extract import load_backbone\nimport huggingface_hub.constants as c\n"
              "before = c.HF_HUB_OFFLINE\nload_backbone('tiny', device='cpu')\n"
              "print(os.environ.get('HF_HUB_OFFLINE'), c.HF_HUB_OFFLINE == before)")
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["None", "True"]


def test_tinyworld_command_line_rejects_a_misspelt_option():
    done = subprocess.run([sys.executable, "-m", "basic.tinyworld", "build", "--overwite"], capture_output=True,
                          text=True, cwd=REPO)
    assert done.returncode == 2 and "--overwite" in done.stderr


def test_icir_finds_the_hugging_face_copy_where_realpath_puts_it(tmp_path, monkeypatch):
    """`python -m basic.realpath --source hf` unpacks into CACHE/icir_hf: the i-CIR dataset looks there too."""
    from basic.datasets import get_dataset
    from test_icir import DATABASE, QUERIES
    monkeypatch.setenv("BASIC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BASIC_ICIR_ROOT", raising=False)
    hf = tmp_path / "cache" / "icir_hf"
    (hf / "annotations").mkdir(parents=True)
    (hf / "annotations" / "query_files.csv").write_text("\n".join(QUERIES))
    (hf / "annotations" / "database_files.csv").write_text("\n".join(DATABASE))
    folder = make_features().save(tmp_path / "clip")
    labels = get_dataset("icir", folder).labels()
    assert labels.root == hf and len(labels.database) == len(DATABASE)
