"""Scores of predicted lesion masks against expert ones, the ISIC 2018 Task 1 way: Dice and
Jaccard per image, and the thresholded Jaccard (an image below 0.65 scores 0)."""

from collections.abc import Sequence

import numpy as np

from synthesis.ml.metrics import dice, jaccard

JACCARD_THRESHOLD = 0.65


def score_masks(preds: Sequence[np.ndarray], truths: Sequence[np.ndarray]) -> dict:
    """Mean/median Dice and Jaccard, thresholded Jaccard, share below 0.65, complete misses."""
    if len(preds) != len(truths) or not preds:
        raise ValueError(f"need as many predictions as truths (>0), got {len(preds)}/{len(truths)}")
    dices = np.array([dice(p, t) for p, t in zip(preds, truths, strict=True)])
    jaccards = np.array([jaccard(p, t) for p, t in zip(preds, truths, strict=True)])
    return per_image_summary(dices, jaccards)


def per_image_summary(dices: np.ndarray, jaccards: np.ndarray) -> dict:
    below = jaccards < JACCARD_THRESHOLD
    return {
        "images": int(len(dices)),
        "dice_mean": float(dices.mean()),
        "dice_median": float(np.median(dices)),
        "jaccard_mean": float(jaccards.mean()),
        "jaccard_median": float(np.median(jaccards)),
        "thresholded_jaccard": float(np.where(below, 0.0, jaccards).mean()),
        "below_065": float(below.mean()),
        "misses": float((jaccards < 0.1).mean()),
    }
