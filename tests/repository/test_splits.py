"""Leakage-free splits: whole lesions on one side, stratified, deterministic, hold-outs by
skin type, and the check that finds near-duplicates across splits."""

import random
from collections import Counter

import pytest

from repository.splits import Item, assign_splits, lesion_groups, straddling


def _items(n_lesions=300, seed=0):
    rng = random.Random(seed)
    items = []
    for lesion in range(n_lesions):
        dx = rng.choice(["mel", "nv", "bcc"])
        fitz = rng.choice([1, 2, 3, 4, 5, 6])
        for k in range(rng.randint(1, 3)):
            items.append(Item(f"real-{lesion}-{k}", f"L{lesion}", dx, fitz))
        if lesion % 4 == 0:  # a tone transfer of this lesion to type VI
            items.append(Item(f"synthetic-{lesion}", f"L{lesion}", dx, 6, origin="synthetic"))
    return items


def test_no_lesion_and_no_synthetic_image_of_it_is_on_two_sides():
    items = _items()
    out = assign_splits(items, seed=3)
    sides = {}
    for item in items:
        sides.setdefault(item.lesion, set()).add(out[item.uid].split)
    assert all(len(s) == 1 for s in sides.values())


def test_the_same_rows_and_seed_give_the_same_split_in_any_order():
    items = _items()
    shuffled = list(items)
    random.Random(9).shuffle(shuffled)
    assert assign_splits(items, seed=3) == assign_splits(shuffled, seed=3)
    assert assign_splits(items, seed=3) != assign_splits(items, seed=4)


def test_each_diagnosis_and_skin_type_group_is_split_in_the_stated_fractions():
    items = [i for i in _items(n_lesions=900) if i.origin == "real"]
    out = assign_splits(items, seed=1)
    by_stratum = Counter()
    for item in items:
        group = "light" if item.fitzpatrick <= 4 else "dark"
        by_stratum[(item.diagnosis, group, out[item.uid].split)] += 1
    for dx in ("mel", "nv", "bcc"):
        for group in ("light", "dark"):
            total = sum(by_stratum[(dx, group, s)] for s in ("train", "validation", "test"))
            assert by_stratum[(dx, group, "train")] / total == pytest.approx(0.7, abs=0.08)
            assert by_stratum[(dx, group, "test")] / total == pytest.approx(0.15, abs=0.08)


def test_light_to_dark_holdout_trains_on_i_to_iv_and_tests_on_v_vi():
    items = _items()
    out = assign_splits(items, seed=3)
    for item in items:
        side = out[item.uid].holdout_light_to_dark
        if side == "train":
            assert item.fitzpatrick <= 4
        if side == "test":
            assert item.fitzpatrick >= 5
        reverse = out[item.uid].holdout_dark_to_light
        if reverse == "train":
            assert item.fitzpatrick >= 5


def test_a_tone_transfer_of_a_training_lesion_never_reaches_the_holdout_test_side():
    items = [
        Item("real-1", "L1", "mel", 2),
        Item("synthetic-1", "L1", "mel", 6, origin="synthetic"),
        Item("real-2", "L2", "mel", 6),
    ]
    out = assign_splits(items, seed=0)
    assert out["real-1"].holdout_light_to_dark == "train"
    assert out["synthetic-1"].holdout_light_to_dark == "excluded"
    assert out["real-2"].holdout_light_to_dark == "test"


def test_moderator_links_join_two_lesions_into_one_group():
    items = [Item("real-1", "A", "mel", 5), Item("real-2", "B", "mel", 5)]
    groups = lesion_groups(items, links=[("real-1", "real-2")])
    assert groups["real-1"] == groups["real-2"]
    many = [Item(f"real-{i}", f"L{i}", "mel", 5) for i in range(40)]
    links = [(f"real-{i}", f"real-{i + 1}") for i in range(39)]
    out = assign_splits(many, seed=2, links=links)
    assert len({a.split for a in out.values()}) == 1


def test_straddling_finds_pairs_on_two_sides_and_ignores_excluded_images():
    items = [Item(f"real-{i}", f"L{i}", "nv", 3) for i in range(60)]
    out = assign_splits(items, seed=5)
    train = next(u for u, a in out.items() if a.split == "train")
    test = next(u for u, a in out.items() if a.split == "test")
    found = straddling(out, [(train, test), (train, train)])
    assert [(a, b, name) for a, b, name in found] == [(train, test, "split")]


def test_bad_fractions_are_refused():
    with pytest.raises(ValueError):
        assign_splits(_items(10), seed=0, fractions=(0.5, 0.5, 0.5))
