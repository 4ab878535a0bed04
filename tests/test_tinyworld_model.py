"""The tiny CLIP through open_clip: registration, tokenizer, offline loading, training smoke test."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
open_clip = pytest.importorskip("open_clip")

from basic.tinyworld import model as tm  # noqa: E402


def test_config_registers_with_open_clip():
    name = tm.register()
    assert name in open_clip.list_models()
    tok = open_clip.get_tokenizer(name)  # plain open_clip call after registration
    ids = tok(["a photo of kimo the mug at night"])
    assert ids.shape == (1, 32) and int(ids.max()) == 8513  # end-of-text is the last of 8,514 tokens
    assert tm.get_tokenizer().vocab_size == 8514


@pytest.mark.skipif(not tm.CHECKPOINT.is_file(), reason="trained checkpoint not present")
def test_committed_checkpoint_loads_offline(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("loading the tiny CLIP tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert tm.CHECKPOINT.stat().st_size < 25e6
    model, preprocess, tokenizer = tm.load_tiny_clip("cpu")
    from PIL import Image
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    x = preprocess(img).unsqueeze(0)
    from basic.tinyworld.train import to_input
    assert torch.allclose(x, to_input(torch.from_numpy(np.array(img))[None]), atol=1e-5)
    with torch.no_grad():
        fi = model.encode_image(x)
        ft = model.encode_text(tokenizer(["at night", "a photo of a mug"]))
    assert fi.shape == (1, 128) and ft.shape == (2, 128) and torch.isfinite(fi).all()
    # the same weights through open_clip's own calls
    m2, _, _ = open_clip.create_model_and_transforms(tm.MODEL_NAME, pretrained=str(tm.CHECKPOINT))
    with torch.no_grad():
        assert torch.allclose(m2.eval().encode_image(x), fi)


def test_training_runs_and_resumes(tmp_path):
    from basic.tinyworld import train
    args = ["--data", str(tmp_path), "--n-images", "48", "--batch-size", "12", "--threads", "1",
            "--save-every", "1", "--warmup", "1"]
    torch.set_num_threads(1)
    train.main(args + ["--steps", "2"])
    from basic.tinyworld.data import world_dir
    run = world_dir(tmp_path) / "train"
    ck = torch.load(run / "checkpoint.pt", weights_only=False)
    assert ck["step"] == 2
    train.main(args + ["--steps", "3"])
    log = (run / "train_log.txt").read_text()
    assert "resumed from" in log and "step 3/3" in log
    assert (run / tm.CHECKPOINT.name).is_file()


def test_clip_loss_is_symmetric_infonce():
    from basic.tinyworld.train import clip_loss
    g = torch.Generator().manual_seed(0)
    img = torch.nn.functional.normalize(torch.randn(8, 16, generator=g), dim=-1)
    txt = torch.nn.functional.normalize(torch.randn(8, 16, generator=g), dim=-1)
    caps = torch.arange(8)  # all captions distinct: the textbook CLIP loss
    logits = 10.0 * img @ txt.t()
    expected = (torch.nn.functional.cross_entropy(logits, caps) + torch.nn.functional.cross_entropy(logits.t(), caps)) / 2
    assert torch.allclose(clip_loss(img, txt, torch.tensor(10.0), caps), expected)
    # identical captions are positives of each other, and the loss only sees images, texts and captions
    assert torch.isfinite(clip_loss(img, txt, torch.tensor(10.0), torch.tensor([0, 0, 1, 2, 3, 4, 5, 6])))
