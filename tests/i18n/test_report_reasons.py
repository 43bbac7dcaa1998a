"""Why an audit or experiment has no number somewhere: the English reason the report stores is
worded again in the reader's language, numbers kept; unknown text is shown as it is."""

import numpy as np
import pytest
from django.utils import translation

from synthesis.ml.audit.metrics import UndefinedMetric, roc_auc
from synthesis.ml.skin_tone import REASONS as TONE_REASONS
from synthesis.report_reasons import REASONS, report_reason


def test_a_reason_the_metrics_raise_is_read_back():
    with pytest.raises(UndefinedMetric) as exc:
        roc_auc(np.array([1, 1, 1]), np.array([0.2, 0.4, 0.9]))
    stored = str(exc.value)
    with translation.override("en"):
        assert report_reason(stored) == stored
    with translation.override("ja"):
        assert report_reason(stored) == "AUC には両方のクラスが必要です。陽性 3 枚、陰性 0 枚です"


@pytest.mark.parametrize(
    ("stored", "indonesian"),
    [
        (
            "4 images, fewer than the 10 needed for metrics with intervals",
            "4 gambar, kurang dari 10 yang diperlukan untuk metrik dengan interval",
        ),
        (
            "9 malignant and 40 benign images; 10 of each needed",
            "9 gambar ganas dan 40 jinak; masing-masing diperlukan 10",
        ),
        ("too few images in every section", "terlalu sedikit gambar di setiap bagian"),
        ("something new from a later version", "something new from a later version"),
        (None, ""),
    ],
)
def test_stored_reasons_read_in_indonesian(stored, indonesian):
    with translation.override("id"):
        assert report_reason(stored) == indonesian


def test_every_known_reason_reads_back_its_own_english():
    # The pattern and the catalogued sentence say the same thing: English in, English out.
    with translation.override("en"):
        for _pattern, message in REASONS:
            sample = message % {
                **{"n": 3, "min": 10, "mal": 2, "ben": 5, "pos": 2, "neg": 5, "k": 4},
                **{"min_side": 64, "pixels": 120, "needed": 400, "cast": 35},
            }
            assert report_reason(sample) == sample


@pytest.mark.parametrize("code", sorted(TONE_REASONS))
def test_every_not_gradable_reason_of_the_measurement_reads_in_japanese(code):
    stored = TONE_REASONS[code].format(min_side=64, pixels=120, needed=400, cast=35.2)
    with translation.override("en"):
        assert report_reason(stored) == stored
    with translation.override("ja"):
        worded = report_reason(stored)
    assert worded != stored and not any(c in worded for c in "{}%")
