"""Which language and theme a page is answered in, and how readers choose them."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, translation

from repository.services.moderation import image_reject
from tests.conftest import demo_rows, ingest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_accept_language_is_the_first_guess(client):
    response = client.get(LOGIN, headers={"accept-language": "ja,en;q=0.5"})
    assert response.headers["Content-Language"] == "ja"
    assert '<html lang="ja"' in response.text
    assert "ユーザー名" in response.text  # Django's own Japanese catalogue: the label "Username"


def test_unoffered_language_falls_back_to_english(client):
    response = client.get(LOGIN, headers={"accept-language": "fr-FR,fr"})
    assert response.headers["Content-Language"] == "en"


def test_every_page_offers_each_language_by_its_own_name(client):
    text = client.get(reverse("coverage"), headers={"accept-language": "id"}).text
    for code, name in (("en", "English"), ("ja", "日本語"), ("id", "Bahasa Indonesia")):
        assert f'value="{code}" lang="{code}"' in text
        assert f">{name}</button>" in text


def test_a_visitor_choice_is_kept_in_a_cookie_and_returns_to_the_same_url(client):
    response = client.post(
        reverse("preferences"), {"language": "id", "next": "/coverage/?diagnosis=mel"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/coverage/?diagnosis=mel"
    assert response.cookies["pixgen_language"].value == "id"
    page = client.get("/coverage/", headers={"accept-language": "ja"})
    assert page.headers["Content-Language"] == "id"  # the cookie beats Accept-Language


def test_a_signed_in_choice_is_saved_on_the_profile_and_wins_on_another_browser(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("preferences"), {"language": "ja", "next": "/"})
    user.refresh_from_db()
    assert user.language == "ja"
    client.cookies.clear()
    client.force_login(user)
    page = client.get("/coverage/", headers={"accept-language": "id"})
    assert page.headers["Content-Language"] == "ja"


def test_an_unknown_language_or_theme_is_refused_with_a_message(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("preferences"), {"language": "xx", "next": "/coverage/"}, follow=True
    )
    assert "Unknown language xx" in response.text
    assert "pixgen_language" not in response.cookies
    response = client.post(reverse("preferences"), {"theme": "sepia"}, follow=True)
    assert "Unknown theme sepia" in response.text
    user.refresh_from_db()
    assert (user.language, user.theme) == ("", "")


def test_preferences_never_redirect_off_site(client):
    response = client.post(reverse("preferences"), {"language": "ja", "next": "https://evil.test/"})
    assert response.headers["Location"] == "/"


def test_preferences_refuse_get(client):
    assert client.get(reverse("preferences")).status_code == 405


def test_theme_follows_the_system_until_chosen_then_cookie_or_profile(client):
    assert 'data-theme="system"' in client.get("/coverage/").text
    client.post(reverse("preferences"), {"theme": "dark", "next": "/"})
    page = client.get("/coverage/").text
    assert 'data-theme="dark"' in page
    assert '<meta name="color-scheme" content="dark">' in page
    user = UserFactory(theme="light")
    client.force_login(user)
    assert 'data-theme="light"' in client.get("/coverage/").text


def test_dates_and_numbers_follow_the_locale():
    when = datetime(2026, 3, 7, 14, 5, tzinfo=UTC)
    shown = {}
    for language in ("en", "ja", "id"):
        with translation.override(language):
            shown[language] = (
                formats.date_format(when, "SHORT_DATETIME_FORMAT"),
                formats.number_format(1234.5, 1, use_l10n=True),
            )
    assert shown == {
        "en": ("2026-03-07 14:05", "1234.5"),
        "ja": ("2026/03/07 14:05", "1234.5"),
        "id": ("07-03-2026 14.05", "1234,5"),
    }


def test_the_api_follows_accept_language_only_and_keeps_codes(client):
    client.cookies["pixgen_language"] = "id"
    response = client.get("/api/v1/images/?fitzpatrick=9", headers={"accept-language": "ja"})
    assert response.status_code == 400
    assert response.headers["Content-Language"] == "ja"
    assert "fitzpatrick" in response.json()  # the field name stays the same in every language
    assert "I–VI（1–6）で指定してください" in str(response.json()["fitzpatrick"])
    english = client.get("/api/v1/images/?fitzpatrick=9")
    assert english.headers["Content-Language"] == "en"  # no Accept-Language: English, not cookie
    assert english.json().keys() == response.json().keys()


def test_e_mail_is_written_in_the_recipients_language(clinician, moderator):
    clinician.language = "ja"
    clinician.save()
    image = ingest(clinician)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.db.transaction.on_commit", lambda fn, *a, **k: fn())
        image_reject(image=image, moderator=moderator, reason="blurred")
    message = mail.outbox[-1]
    assert message.to == [clinician.email]
    assert message.subject == f"[PixGen] 画像 #{image.pk} は公開されませんでした"
    assert message.body == f"モデレーターが画像 #{image.pk} を却下しました：blurred"


def test_e_mail_to_a_user_without_a_saved_language_is_in_english(clinician, moderator):
    image = ingest(clinician)
    with translation.override("ja"), pytest.MonkeyPatch.context() as mp:  # the moderator's page
        mp.setattr("django.db.transaction.on_commit", lambda fn, *a, **k: fn())
        image_reject(image=image, moderator=moderator, reason="blurred")
    assert mail.outbox[-1].subject == f"[PixGen] Image #{image.pk} was not published"


def test_a_duplicate_rejection_e_mail_is_in_the_contributors_language(clinician, moderator):
    from repository.models import NearDuplicatePair
    from repository.services.near_duplicates import near_duplicate_pair_decide

    clinician.language = "id"
    clinician.save()
    first, second = (row["image_id"] for row in demo_rows()[:2])
    original = ingest(clinician, first)
    copy = ingest(clinician, second)  # called a duplicate below, still pending
    pair = NearDuplicatePair.objects.create(
        a_origin="real",
        a_id=original.pk,
        b_origin="real",
        b_id=copy.pk,
        coarse_distance=0,
        fine_distance=0,
    )
    with translation.override("ja"), pytest.MonkeyPatch.context() as mp:  # the moderator's page
        mp.setattr("django.db.transaction.on_commit", lambda fn, *a, **k: fn())
        near_duplicate_pair_decide(pair=pair, moderator=moderator, decision="duplicate")
    message = mail.outbox[-1]
    assert message.subject == f"[PixGen] Gambar #{copy.pk} tidak dipublikasikan"
    assert message.body == (
        f"Moderator menolak gambar #{copy.pk}: Duplikat dari real-{original.pk} yang sudah ada "
        "di PixGen."
    )


def test_pages_read_in_japanese_and_indonesian(client):
    ja = client.get("/coverage/", headers={"accept-language": "ja"}).text
    assert "カバレッジ：診断別・Fitzpatrick スキンタイプ別の公開画像数" in ja
    assert "悪性黒色腫（melanoma）" in ja  # the seeded diagnosis names are translated too
    id_ = client.get("/coverage/", headers={"accept-language": "id"}).text
    assert "Cakupan: gambar publik per diagnosis dan tipe Fitzpatrick" in id_
    assert "Melanoma (melanoma maligna)" in id_


def test_form_choices_and_validation_errors_are_translated(client, clinician):
    client.force_login(clinician)
    clinician.language = "ja"
    clinician.save()
    page = client.post(reverse("upload"), {"diagnosis": "", "fitzpatrick": "5"}).text
    assert "ダーモスコピー" in page and "背部" in page  # modality and body-site choices
    assert "この項目は必須です。" in page  # Django's own message, in Japanese
