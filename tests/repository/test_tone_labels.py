import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from repository.models import LesionImage, ToneLabel
from repository.services.analysis import image_analyse
from repository.services.moderation import image_publish
from repository.services.tone_labels import (
    agreement,
    tone_agreement_report,
    tone_flag_rates,
    tone_label_add,
    tone_labels_side_by_side,
    tone_self_report_set,
)
from repository.tone_questionnaire import QUESTION_KEYS, questionnaire_type
from synthesis.ml.tone_scales import METHOD_VERSION
from tests.conftest import demo_rows, ingest
from tests.factories import ClinicianFactory, ReviewerFactory

pytestmark = pytest.mark.django_db


def answers(score: int) -> dict:
    return dict.fromkeys(QUESTION_KEYS, score)


def measured(estimate: int, call: str = "V-VI", groups=None) -> dict:
    groups = groups or {"I-II": 0.02, "III-IV": 0.08, "V-VI": 0.9}
    return {
        "gradable": True,
        "method_version": "skin-tone-2.0",
        "fitzpatrick": {
            "estimate": estimate,
            "call": call,
            "confidence": 0.7,
            "group_probabilities": groups,
        },
        "monk": {"estimate": 8, "confidence": 0.6},
    }


@pytest.fixture
def reviewer(db):
    return ReviewerFactory()


@pytest.fixture
def image(clinician, moderator):
    """A public image (other raters label what they can see)."""
    img = ingest(clinician, demo_rows()[0]["image_id"], fitzpatrick=5, monk_tone=7)
    image_publish(image=img, moderator=moderator)
    return img


def test_a_pending_image_is_not_rated_by_someone_who_cannot_see_it(clinician, reviewer):
    pending = ingest(clinician, demo_rows()[1]["image_id"])
    with pytest.raises(PermissionDenied, match="cannot see"):
        tone_label_add(image=pending, user=reviewer, fitzpatrick=3)


@pytest.mark.parametrize("score, skin_type", [(0, 1), (1, 2), (2, 3), (3, 5), (4, 6)])
def test_questionnaire_answers_give_a_type_from_the_scaled_fitzpatrick_score(score, skin_type):
    assert questionnaire_type(answers(score)) == skin_type


@pytest.mark.parametrize(
    "bad, message",
    [
        ({**answers(1), "eye_colour": 5}, "0-4"),
        ({**answers(1), "eye_colour": True}, "0-4"),
        ({k: 1 for k in QUESTION_KEYS[:5]}, "missing"),
        ({**answers(1), "shoe_size": 2}, "unknown"),
    ],
)
def test_a_bad_questionnaire_is_refused_naming_the_item(image, clinician, bad, message):
    with pytest.raises(ValidationError, match=message):
        tone_self_report_set(image=image, user=clinician, answers=bad)


def test_a_second_rater_adds_a_label_beside_the_clinician_s(image, reviewer):
    tone_label_add(image=image, user=reviewer, fitzpatrick="IV", monk_tone=6)
    tone_label_add(image=image, user=reviewer, fitzpatrick=6)  # replaces only their own
    other = ClinicianFactory()
    tone_label_add(image=image, user=other, fitzpatrick=5)
    image.refresh_from_db()
    assert image.fitzpatrick == 5 and image.monk_tone == 7  # the clinician's label stands
    labels = ToneLabel.objects.filter(image=image, source="rater").order_by("rater__username")
    assert sorted(label.fitzpatrick for label in labels) == [5, 6]
    assert ToneLabel.objects.get(image=image, rater=reviewer).monk_tone is None


def test_the_contributor_and_plain_users_cannot_add_a_rater_label(image, clinician, plain_user):
    with pytest.raises(PermissionDenied):
        tone_label_add(image=image, user=clinician, fitzpatrick=3)
    with pytest.raises(PermissionDenied):
        tone_label_add(image=image, user=plain_user, fitzpatrick=3)


@pytest.mark.parametrize(
    "values, field", [({"fitzpatrick": "VII"}, "fitzpatrick"), ({"monk_tone": 11}, "monk_tone")]
)
def test_a_label_outside_the_scales_is_a_field_error(image, reviewer, values, field):
    with pytest.raises(ValidationError) as caught:
        tone_label_add(image=image, user=reviewer, **values)
    assert field in caught.value.message_dict


def test_an_empty_label_is_refused(image, reviewer):
    with pytest.raises(ValidationError, match="Fitzpatrick type, a Monk tone"):
        tone_label_add(image=image, user=reviewer)


def test_a_stated_type_is_kept_over_the_questionnaire_s(image, clinician):
    label = tone_self_report_set(image=image, user=clinician, answers=answers(0), fitzpatrick=4)
    assert label.fitzpatrick == 4
    assert label.questionnaire == {"answers": answers(0), "stated_type": 4}
    again = tone_self_report_set(image=image, user=clinician, answers=answers(4))
    assert again.pk == label.pk and again.fitzpatrick == 6  # one self-report per image


def test_only_the_contributor_or_a_moderator_enters_the_self_report(image, reviewer, moderator):
    with pytest.raises(PermissionDenied):
        tone_self_report_set(image=image, user=reviewer, fitzpatrick=3)
    assert tone_self_report_set(image=image, user=moderator, fitzpatrick=3).fitzpatrick == 3


def test_every_source_is_listed_side_by_side(image, clinician, reviewer):
    image_analyse(image_id=image.pk)
    tone_label_add(image=image, user=reviewer, fitzpatrick=2)
    tone_self_report_set(image=image, user=clinician, answers=answers(1))
    image.refresh_from_db()
    rows = {row.source: row for row in tone_labels_side_by_side(image=image)}
    assert set(rows) == {"clinician", "self_report", "rater", "measured"}
    assert rows["clinician"].fitzpatrick == 5 and rows["rater"].fitzpatrick == 2
    assert METHOD_VERSION in rows["measured"].detail
    assert "approximate" in rows["self_report"].detail


def test_weighted_kappa_exact_and_within_one_agreement():
    result = agreement([1, 2, 3, 4, 5, 6], [1, 3, 4, 4, 6, 6])
    assert result["n"] == 6 and result["exact"] == pytest.approx(3 / 6)
    assert result["within_one"] == 1.0 and result["group"] == pytest.approx(5 / 6)
    assert 0.9 < result["weighted_kappa"] < 1.0
    assert agreement([], [])["weighted_kappa"] is None


def test_the_agreement_report_pairs_each_source(clinician, moderator):
    rows = demo_rows()
    for i, (label, estimate) in enumerate([(5, 5), (6, 3), (2, 2)]):
        img = ingest(clinician, rows[i]["image_id"], fitzpatrick=label)
        LesionImage.objects.filter(pk=img.pk).update(tone_measurement=measured(estimate))
        tone_label_add(image=img, user=moderator, fitzpatrick=label)
    report = tone_agreement_report(images=LesionImage.objects.all())
    by_pair = {(r["left"], r["right"]): r for r in report["comparisons"]}
    assert report["images"] == 3
    assert by_pair[("clinician", "measured")]["n"] == 3
    assert by_pair[("clinician", "measured")]["exact"] == pytest.approx(2 / 3)
    assert by_pair[("clinician", "rater")]["exact"] == 1.0
    assert by_pair[("clinician", "self_report")]["n"] == 0


def test_flag_rates_are_counted_per_labelled_group(clinician):
    rows = demo_rows()
    cases = [(1, True, True), (2, False, True), (5, True, True), (6, False, False)]
    for i, (label, flagged, gradable) in enumerate(cases):
        img = ingest(clinician, rows[i]["image_id"], fitzpatrick=label)
        tone = measured(5) if gradable else {"gradable": False, "not_gradable": []}
        LesionImage.objects.filter(pk=img.pk).update(
            tone_measurement=tone,
            tone_flagged=flagged,
            analysis_status=LesionImage.AnalysisStatus.DONE,
        )
    rates = {r["group"]: r for r in tone_flag_rates(images=LesionImage.objects.all())["groups"]}
    assert rates["I-II"]["analysed"] == 2 and rates["I-II"]["flag_rate"] == 0.5
    assert rates["V-VI"]["flagged"] == 1 and rates["V-VI"]["not_gradable"] == 1
    assert rates["III-IV"]["flag_rate"] is None


def test_the_image_page_lists_labels_and_takes_a_rater_s_label(client, image, reviewer):
    client.force_login(reviewer)
    page = client.get(reverse("image-detail", args=[image.pk])).content.decode()
    assert "Skin-tone labels by source" in page and "Add your own label" in page
    response = client.post(
        reverse("image-tone-label", args=[image.pk]), {"fitzpatrick": "4", "monk_tone": ""}
    )
    assert response.status_code == 302
    assert ToneLabel.objects.get(image=image, rater=reviewer).fitzpatrick == 4
    empty = client.post(reverse("image-tone-label", args=[image.pk]), {})
    assert empty.status_code == 400 and "Fitzpatrick type, a Monk tone" in empty.content.decode()


def test_the_contributor_enters_a_partial_questionnaire_and_gets_an_error(client, image, clinician):
    client.force_login(clinician)
    page = client.get(reverse("image-detail", args=[image.pk])).content.decode()
    assert "Patient self-report" in page and "Add your own label" not in page
    response = client.post(reverse("image-self-report", args=[image.pk]), {"eye_colour": "2"})
    assert response.status_code == 400 and "missing" in response.content.decode()
    full = {key: "2" for key in QUESTION_KEYS}
    assert client.post(reverse("image-self-report", args=[image.pk]), full).status_code == 302
    assert ToneLabel.objects.get(image=image, source="self_report").fitzpatrick == 3


def test_the_agreement_page_shows_public_images_to_everyone(client, clinician, moderator):
    page = client.get(reverse("tone-agreement")).content.decode()
    assert "How the skin-tone labels agree" in page and "Over 0 images" in page
    image = ingest(clinician, demo_rows()[0]["image_id"])
    client.force_login(moderator)
    assert "Over 1 image." in client.get(reverse("tone-agreement")).content.decode()
    client.logout()
    assert "Over 0 images" in client.get(reverse("tone-agreement")).content.decode()
    image_publish(image=image, moderator=moderator)
    assert "Over 1 image." in client.get(reverse("tone-agreement")).content.decode()


def test_the_moderation_page_shows_flag_rates_per_group(client, moderator):
    client.force_login(moderator)
    page = client.get(reverse("moderation-queue")).content.decode()
    assert "Tone flags by labelled Fitzpatrick group" in page and "V-VI" in page


def test_the_api_lists_adds_and_refuses_tone_labels(client, image, reviewer, clinician):
    url = reverse("api-image-tone-labels", args=[image.pk])
    client.force_login(reviewer)
    created = client.post(url, {"fitzpatrick": "VI"}, content_type="application/json")
    assert created.status_code == 201
    assert {"source": "rater", "fitzpatrick": 6} in [
        {"source": r["source"], "fitzpatrick": r["fitzpatrick"]} for r in created.json()
    ]
    bad = client.post(url, {"fitzpatrick": "9"}, content_type="application/json")
    assert bad.status_code == 400 and "fitzpatrick" in bad.json()
    client.force_login(clinician)
    assert (
        client.post(url, {"fitzpatrick": "2"}, content_type="application/json").status_code == 403
    )
    report = client.post(
        reverse("api-image-self-report", args=[image.pk]),
        {"answers": answers(4)},
        content_type="application/json",
    )
    assert report.status_code == 201
    detail = client.get(reverse("api-image-detail", args=[image.pk])).json()
    sources = [row["source"] for row in detail["tone_labels"]]
    assert sources[0] == "clinician" and "self_report" in sources and "rater" in sources


def test_the_api_reports_agreement_and_flag_rates(client, moderator):
    body = client.get(reverse("api-tone-agreement")).json()
    assert body["scope"] == "public" and body["method_version"] == METHOD_VERSION
    assert [row["group"] for row in body["flag_rates"]] == ["I-II", "III-IV", "V-VI"]
    client.force_login(moderator)
    assert client.get(reverse("api-tone-agreement")).json()["scope"] == "all"
