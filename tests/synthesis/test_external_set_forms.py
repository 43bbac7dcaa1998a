"""The audit and experiment forms share one rule for an external set: the CSV and its images
come together (both, for an external audit), and no image file is chosen twice."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from synthesis.forms.classifiers import AuditForm
from synthesis.forms.experiments import ExperimentForm
from tests.conftest import demo_bytes
from tests.synthesis.test_augmentation_experiment import START as EXPERIMENT


def files(csv: bool, names: list[str]) -> MultiValueDict:
    out = MultiValueDict()
    if csv:
        out["eval_csv"] = SimpleUploadedFile("eval.csv", b"image,fitzpatrick,diagnosis\n")
    out.setlist("images", [SimpleUploadedFile(n, demo_bytes()) for n in names])
    return out


def errors(form) -> dict[str, list[str]]:
    form.is_valid()
    return {name: list(messages) for name, messages in form.errors.items()}


@pytest.mark.parametrize(
    ("csv", "names", "expected"),
    [
        (False, [], {}),
        (True, ["a.jpg", "b.jpg"], {}),
        (True, [], {"images": ["Choose the image files the CSV names."]}),
        (False, ["a.jpg"], {"eval_csv": ["Choose the CSV that names these images."]}),
        (True, ["a.jpg", "x/a.jpg"], {"images": ["Image file(s) chosen twice: a.jpg."]}),
    ],
)
def test_the_experiment_form_takes_an_optional_external_set(csv, names, expected):
    assert errors(ExperimentForm(EXPERIMENT, files(csv, names))) == expected


@pytest.mark.parametrize(
    ("source", "csv", "names", "expected"),
    [
        ("held_out", False, ["a.jpg"], {}),  # files beside a held-out audit are not looked at
        ("external", True, ["a.jpg"], {}),
        (
            "external",
            False,
            [],
            {
                "eval_csv": ["Choose the evaluation CSV."],
                "images": ["Choose the image files the CSV names."],
            },
        ),
        ("external", True, ["a.jpg", "a.jpg"], {"images": ["Image file(s) chosen twice: a.jpg."]}),
    ],
)
def test_an_external_audit_needs_its_csv_and_images(source, csv, names, expected):
    assert errors(AuditForm({"source": source}, files(csv, names))) == expected
