"""What the analysis worker stores in English reads in the reader's language on the image page:
the mask quality check's outcome per segmenter, and the reason an analysis failed."""

import pytest
from django.template import Context, Template
from django.utils import translation

from repository.templatetags.plain import MASK_OUTCOMES, mask_outcome, stored_message


@pytest.mark.parametrize("language", ["ja", "id"])
def test_every_mask_check_outcome_is_worded_in_the_language(language):
    for code in MASK_OUTCOMES:
        with translation.override("en"):
            english = mask_outcome(code)
        with translation.override(language):
            assert mask_outcome(code) not in (english, code), (language, code)


def test_a_segmenter_error_keeps_its_own_text_behind_a_translated_label():
    with translation.override("ja"):
        assert mask_outcome("error: CUDA out of memory") == "エラー：CUDA out of memory"
    assert mask_outcome("some_new_check") == "some new check"


def test_a_stored_catalogued_message_is_translated_and_other_text_is_kept():
    with translation.override("id"):
        assert (
            stored_message("The analysis took too long and was stopped.")
            == "Analisis memakan waktu terlalu lama dan dihentikan."
        )
        assert stored_message("OSError: disk full") == "OSError: disk full"
        assert stored_message("") == ""


def test_the_mask_check_note_reads_in_the_page_language():
    image = {
        "needs_mask": True,
        "mask_check": {"attempts": [{"segmenter": "unet-0003", "outcome": "touches_border"}]},
    }
    template = Template('{% include "repository/_mask_check.html" %}')
    with translation.override("ja"):
        html = template.render(Context({"image": image}))
    assert "unet-0003: マスクが画像の縁に接しています." in html
