"""Stored codes reach people in words: body sites, age bins, types, diagnoses and metric keys."""

import pytest

from repository.templatetags.plain import field_label, field_value, metric_label


def test_codes_become_words():
    assert field_value("lower_extremity", "body_site") == "Lower extremity"
    assert field_value(45, "age_bin") == "45–49"
    assert field_value("45", "age_bin") == "45–49"
    assert field_value(90, "age_bin") == "90+"
    assert field_value(5, "fitzpatrick") == "V"
    assert field_value(None, "sex") == "—"
    assert field_value(3.0, "seed") == "3"
    assert field_label("body_site") == "Body site"
    assert field_label("diagnosis_confirmation") == "Confirmed by"


def test_nested_parameters_read_in_words_not_as_python():
    value = {"mask": {"source": "learned"}, "passes": True, "ita_corrections": [[0.1455, -17.48]]}
    assert field_value(value, "params") == (
        "Mask: Source: learned; Passes: yes; Ita corrections: 0.1455, -17.48"
    )
    assert field_value(False, "white_balance") == "no"


@pytest.mark.django_db
def test_diagnosis_code_becomes_its_name():
    assert field_value("mel", "diagnosis") == "Melanoma"


def test_metric_keys_become_words():
    assert metric_label("balanced_accuracy") == "Balanced accuracy"
    assert metric_label("sensitivity_at_specificity_0.8") == "Sensitivity at 0.8 specificity"
    assert metric_label("ece") == "Calibration error (ECE)"
