"""Conditional DCGAN: networks, training, exact resume, generation and bad input, on demo images."""

import io
import random
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn.utils import parametrize

from synthesis.ml.dcgan import generation
from synthesis.ml.dcgan.conditions import ConditionSpace
from synthesis.ml.dcgan.config import GanConfig
from synthesis.ml.dcgan.data import ImageRecord, read_records
from synthesis.ml.dcgan.diffaugment import diff_augment
from synthesis.ml.dcgan.networks import build_discriminator, build_generator
from synthesis.ml.dcgan.training import state_digest, train_gan

DEMO = Path(__file__).resolve().parents[2] / "repository" / "demo_data"
SIZES = {"diagnosis": 7, "fitzpatrick": 6, "age_bin": 6, "sex": 3, "body_site": 9}


@cache
def demo_records() -> tuple[ImageRecord, ...]:
    """The 35 shipped demo images, shrunk to 160x120 so tests resize less."""
    records = read_records(DEMO / "metadata.csv", DEMO / "images")
    small = []
    for r in records:
        rgb = np.asarray(Image.fromarray(r.rgb).resize((160, 120), Image.Resampling.BILINEAR))
        small.append(ImageRecord(rgb, r.conditions))
    return tuple(small)


def tiny_config(**changes) -> GanConfig:
    base = dict(latent_dim=16, g_width=8, d_width=8, batch_size=8, steps=6, log_every=2)
    base.update(sample_every=3, checkpoint_every=3, diagnosis_dim=4, fitzpatrick_dim=2)
    return GanConfig(**{**base, **changes})


def seen_condition() -> dict:
    """The (diagnosis, Fitzpatrick) pair with the most demo images."""
    space = ConditionSpace.from_conditions(r.conditions for r in demo_records())
    (dx, fitz), _ = max(space.pair_counts.items(), key=lambda item: (item[1], item[0]))
    return {"diagnosis": dx, "fitzpatrick": fitz}


@cache
def trained_tiny():
    return train_gan(demo_records(), tiny_config(steps=4), device="cpu")


@pytest.mark.parametrize("size", [64, 128])
def test_networks_produce_images_and_scores_at_each_size(size):
    config = tiny_config(image_size=size)
    g, d = build_generator(config, SIZES), build_discriminator(config, SIZES)
    cond = torch.tensor([[0, 1, 2, 1, 3], [6, 5, 0, 0, 0]])
    images = g(torch.randn(2, config.latent_dim), cond)
    assert images.shape == (2, 3, size, size)
    assert images.abs().max() <= 1.0
    assert d(images, cond).shape == (2,)


def test_config_rejects_unsupported_image_size_and_round_trips():
    with pytest.raises(ValueError, match="image_size"):
        GanConfig(image_size=96)
    with pytest.raises(ValueError, match="diffaug"):
        GanConfig(diffaug_policy="color,rotate")
    config = tiny_config(image_size=128)
    assert GanConfig.from_dict(config.as_dict()) == config
    assert GanConfig().batch_size == 64


def test_every_discriminator_weight_is_spectrally_normalised():
    d = build_discriminator(tiny_config(), SIZES)
    layers = [m for m in d.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    layers += [m for m in d.modules() if isinstance(m, torch.nn.Embedding)]
    assert len(layers) >= 5
    assert all(parametrize.is_parametrized(m, "weight") for m in layers)
    g = build_generator(tiny_config(), SIZES)
    assert not any(parametrize.is_parametrized(m) for m in g.modules())


def test_diffaugment_lets_gradients_through_and_changes_images():
    x = torch.rand(4, 3, 64, 64, requires_grad=True)
    rng = torch.Generator().manual_seed(0)
    out = diff_augment(x * 2 - 1, ("color", "translation", "cutout"), rng)
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert not torch.allclose(out, x * 2 - 1)


def test_condition_space_encodes_decodes_and_names_unknown_values():
    space = ConditionSpace.from_conditions(r.conditions for r in demo_records())
    wanted = {"diagnosis": "mel", "fitzpatrick": 2, "age": 62, "sex": "female", "body_site": "back"}
    decoded = space.decode(space.encode(wanted))
    assert decoded == {
        "diagnosis": "mel",
        "fitzpatrick": 2,
        "age_bin": "60-74",
        "sex": "female",
        "body_site": "back",
    }
    assert space.decode(space.encode({"diagnosis": "nv", "fitzpatrick": 2}))["sex"] == "unknown"
    assert ConditionSpace.from_dict(space.to_dict()) == space
    with pytest.raises(ValueError, match="unknown body_site 'scalp-ish'"):
        space.encode({"diagnosis": "nv", "fitzpatrick": 2, "body_site": "scalp-ish"})


def test_a_few_training_steps_on_demo_images_give_finite_losses_and_grids():
    events = []
    trained = train_gan(demo_records(), tiny_config(steps=4), device="cpu", progress=events.append)
    losses = [e for e in events if "loss_d" in e]
    grids = [e["sample_grid"] for e in events if "sample_grid" in e]
    assert [e["step"] for e in losses] == [2, 4]
    assert all(np.isfinite([e["loss_d"], e["loss_g"]]).all() for e in losses)
    assert all("epoch" in e for e in events)
    assert grids and grids[0].dtype == np.uint8 and grids[0].ndim == 3
    assert trained.step == 4 and trained.completed
    assert trained.history == [{k: e[k] for k in trained.history[0]} for e in losses]


def _to_bytes(bundle: dict) -> bytes:
    buffer = io.BytesIO()
    generation.save(bundle, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kill_after", [1, 3])
def test_resumed_run_reproduces_the_uninterrupted_lineage_exactly(kill_after):
    records, config = demo_records(), tiny_config(steps=6)
    straight = []
    train_gan(records, config, device="cpu", checkpoint=straight.append)
    interrupted, steps_done = [], iter(range(1, 100))
    train_gan(
        records,
        config,
        device="cpu",
        checkpoint=interrupted.append,
        should_stop=lambda: next(steps_done) >= kill_after,
    )
    assert interrupted[-1]["step"] == kill_after
    on_disk = _to_bytes(interrupted[-1])  # step 1 is between two loss logs (log_every=2)

    torch.manual_seed(1234)  # a fresh process would have other global RNG states
    np.random.seed(1234)
    random.seed(1234)
    resumed = []
    train_gan(
        records,
        config,
        device="cpu",
        resume_from=generation.load(on_disk),
        checkpoint=resumed.append,
    )
    final_straight, final_resumed = straight[-1], resumed[-1]
    assert final_straight["step"] == final_resumed["step"] == 6
    for part in ("g", "d", "ema"):
        a, b = final_straight[part], final_resumed[part]
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), part
    adam_a = final_straight["opt_d"]["state"][0]["exp_avg"]
    assert torch.equal(adam_a, final_resumed["opt_d"]["state"][0]["exp_avg"])
    assert final_straight["history"] == final_resumed["history"]
    assert torch.equal(final_straight["rng"]["train"], final_resumed["rng"]["train"])


def test_resume_refuses_a_different_lineage():
    checkpoints = []
    train_gan(demo_records(), tiny_config(steps=2), checkpoint=checkpoints.append, device="cpu")
    with pytest.raises(ValueError, match="lr_d"):
        train_gan(demo_records(), tiny_config(lr_d=1e-3), resume_from=checkpoints[-1])
    with pytest.raises(ValueError, match="records"):
        train_gan(demo_records()[:-1], tiny_config(), resume_from=checkpoints[-1])


def test_same_seed_and_model_give_the_same_images():
    trained = trained_tiny()
    mel = seen_condition()
    first = generation.generate(trained, mel, 3, seed=7)
    again = generation.generate(trained, mel, 3, seed=7)
    other = generation.generate(trained, mel, 3, seed=8)
    assert len(first) == 3 and first[0].shape == (64, 64, 3) and first[0].dtype == np.uint8
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])
    reloaded = generation.load_trained(_to_bytes(trained.model_bundle()))
    assert reloaded.weights_digest() == trained.weights_digest()
    assert all(
        np.array_equal(a, b)
        for a, b in zip(first, generation.generate(reloaded, mel, 3, seed=7), strict=True)
    )


@pytest.mark.parametrize("count", [0, -1, 9, True, 2.0])
def test_generation_rejects_a_bad_count(count):
    with pytest.raises(ValueError, match="count"):
        generation.generate(trained_tiny(), seen_condition(), count, 0, max_count=8)


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"diagnosis": "melanomaa", "fitzpatrick": 2}, "unknown diagnosis 'melanomaa'"),
        ({"diagnosis": "mel", "fitzpatrick": 9}, "fitzpatrick must be an integer 1-6"),
        ({"diagnosis": "mel", "fitzpatrick": 2, "colour": "red"}, "unknown condition fields"),
        ({"fitzpatrick": 2}, "diagnosis is required"),
    ],
)
def test_generation_rejects_unknown_conditions(conditions, message):
    with pytest.raises(ValueError, match=message):
        generation.generate(trained_tiny(), conditions, 2, 0)


def test_generation_rejects_a_known_condition_without_training_images():
    space = trained_tiny().conditions
    absent_type = min(set(range(1, 7)) - set(space.field_counts["fitzpatrick"]))
    with pytest.raises(ValueError, match=f"no training images with fitzpatrick={absent_type}"):
        generation.generate(trained_tiny(), {"diagnosis": "mel", "fitzpatrick": absent_type}, 2, 0)
    dx = seen_condition()["diagnosis"]
    seen_types = set(space.field_counts["fitzpatrick"])
    for fitz in sorted(seen_types):
        if (dx, fitz) not in space.pair_counts:  # each value seen, never together
            with pytest.raises(ValueError, match=f"diagnosis='{dx}' and fitzpatrick={fitz}"):
                generation.generate(trained_tiny(), {"diagnosis": dx, "fitzpatrick": fitz}, 2, 0)


def test_a_corrupted_checkpoint_raises_value_error():
    good = _to_bytes(trained_tiny().model_bundle())
    with pytest.raises(ValueError, match="corrupted"):
        generation.load(good[: len(good) // 2])
    with pytest.raises(ValueError, match="corrupted"):
        generation.load(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="not a PixGen DCGAN bundle"):
        generation.load(_to_bytes({"kind": "something else"}))
    rotten = generation.load(good)
    next(iter(rotten["generator"].values())).view(-1)[0] += 1e-3  # a flipped bit, in effect
    with pytest.raises(ValueError, match="checksum"):
        generation.load_trained(_to_bytes(rotten))
    misshapen = generation.load(good)
    misshapen["generator"] = {k: v[:1] for k, v in misshapen["generator"].items() if v.ndim}
    misshapen["generator_sha256"] = state_digest(misshapen["generator"])
    with pytest.raises(ValueError, match="do not fit"):
        generation.load_trained(_to_bytes(misshapen))


def test_saving_to_a_path_replaces_the_file_atomically(tmp_path):
    path = tmp_path / "model.pt"
    generation.save(trained_tiny(), path)
    assert generation.load_trained(path).step == 4
    assert not (tmp_path / "model.pt.tmp").exists()
