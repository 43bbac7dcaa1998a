import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from repository.models import LesionImage
from repository.services.accounts import api_token_revoke, data_terms_accept
from repository.services.moderation import image_publish, image_reject, image_withdraw
from tests.conftest import demo_bytes, demo_rows, ingest

pytestmark = pytest.mark.django_db

UPLOAD = {
    "diagnosis": "acne",
    "fitzpatrick": "V",
    "modality": "clinical",
    "diagnosis_confirmation": "clinical",
    "body_site": "face",
    "licence": "CC-BY-4.0",
    "consent_attested": True,
}


@pytest.fixture
def api():
    cache.clear()  # throttle counters
    return APIClient()


@pytest.fixture
def catalogue(clinician, moderator):
    """Six public images (mel, nv × Fitzpatrick 4–6), one pending, one rejected, one withdrawn."""
    rows = demo_rows()
    public = []
    for i, (dx, fitz) in enumerate(
        [("mel", 4), ("mel", 5), ("mel", 6), ("nv", 4), ("nv", 5), ("nv", 6)]
    ):
        image = ingest(
            clinician, rows[i]["image_id"], diagnosis=dx, fitzpatrick=fitz, age_bin=5 * (i + 6)
        )
        image_publish(image=image, moderator=moderator)
        public.append(image)
    hidden = [ingest(clinician, rows[6 + i]["image_id"]) for i in range(3)]
    image_reject(image=hidden[1], moderator=moderator, reason="blurred")
    image_publish(image=hidden[2], moderator=moderator)
    image_withdraw(image=hidden[2], user=clinician)
    return public, hidden


def _ids(body) -> list[int]:
    return [r["id"] for r in body["results"]]


def test_list_returns_public_rows_newest_first_with_links(api, catalogue):
    public, hidden = catalogue
    body = api.get("/api/v1/images/").json()
    assert _ids(body) == [i.pk for i in reversed(public)]
    row = body["results"][0]
    assert row["origin"] == "real" and row["uid"] == f"real-{row['id']}"
    assert row["files"]["image"].endswith(f"/images/{row['id']}/image/")
    assert not set(_ids(body)) & {i.pk for i in hidden}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("diagnosis=mel", [0, 1, 2]),
        ("diagnosis=mel,nv&fitzpatrick=VI", [2, 5]),
        ("fitzpatrick_min=5&fitzpatrick_max=6&diagnosis=nv", [4, 5]),
        ("age_min=35&age_max=45", [1, 2, 3]),
        ("origin=real&body_site=back", [0, 1, 2, 3, 4, 5]),
        ("origin=synthetic", []),
        ("method=tone_transfer", []),
        ("monk_tone=3", []),
        ("licence=cc-by-4.0&modality=dermoscopic&sex=female", [0, 1, 2, 3, 4, 5]),
    ],
)
def test_filters(api, catalogue, query, expected):
    public, _hidden = catalogue
    body = api.get(f"/api/v1/images/?{query}")
    assert body.status_code == 200, body.content
    assert sorted(_ids(body.json())) == sorted(public[i].pk for i in expected)


def test_cursor_walks_the_whole_catalogue_in_both_orders(api, catalogue):
    public, _hidden = catalogue
    for ordering, expected in (("-created_at", list(reversed(public))), ("created_at", public)):
        seen, url = [], f"/api/v1/images/?page_size=4&ordering={ordering}"
        while url:
            body = api.get(url).json()
            seen += _ids(body)
            url = body["next"]
        assert seen == [i.pk for i in expected]


def test_sparse_fields(api, catalogue):
    body = api.get("/api/v1/images/?fields=uid,fitzpatrick&page_size=2").json()
    assert all(set(r) == {"uid", "fitzpatrick"} for r in body["results"])


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("colour=blue", "detail"),
        ("fitzpatrick=VIII", "fitzpatrick"),
        ("fitzpatrick_min=abc", "fitzpatrick_min"),
        ("diagnosis=not-a-disease", "diagnosis"),
        ("body_site=elbowish", "body_site"),
        ("age_min=-4", "age_min"),
        ("created_after=yesterday", "created_after"),
        ("origin=alien", "origin"),
        ("origin=real&method=tone_transfer", "origin"),
        ("page_size=0", "page_size"),
        ("page_size=5000", "page_size"),
        ("fields=uid,secret", "fields"),
        ("ordering=fitzpatrick", "ordering"),
        ("cursor=not-a-cursor", "cursor"),
    ],
)
def test_bad_queries_are_400_with_a_message(api, query, key):
    response = api.get(f"/api/v1/images/?{query}")
    assert response.status_code == 400
    assert key in response.json()


def test_detail_hides_what_the_caller_may_not_see(api, catalogue, clinician, moderator, researcher):
    public, hidden = catalogue
    detail = api.get(f"/api/v1/images/{public[0].pk}/").json()
    assert detail["uid"] == f"real-{public[0].pk}" and detail["status"] == "public"
    for image in hidden:
        assert api.get(f"/api/v1/images/{image.pk}/").status_code == 404
    api.force_authenticate(researcher)
    for image in hidden:
        assert api.get(f"/api/v1/images/{image.pk}/").status_code == 404
    api.force_authenticate(clinician)  # their own
    assert api.get(f"/api/v1/images/{hidden[0].pk}/").json()["status"] == "pending"
    api.force_authenticate(moderator)
    assert api.get(f"/api/v1/images/{hidden[1].pk}/").json()["status"] == "rejected"


def test_clinician_uploads_with_a_token_and_sees_it_in_contributions(api, clinician):
    _token, key = data_terms_accept(user=clinician)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(
        "/api/v1/contributions/",
        {"image": SimpleUploadedFile("a.jpg", demo_bytes()), **UPLOAD},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    assert [c["id"] for c in api.get("/api/v1/contributions/").json()] == [response.json()["id"]]
    withdrawn = api.post(f"/api/v1/contributions/{response.json()['id']}/withdraw/")
    assert withdrawn.json()["status"] == "withdrawn"


def test_api_upload_errors_are_400_with_messages(api, clinician):
    api.force_authenticate(clinician)
    bad = {**UPLOAD, "diagnosis": "nope", "fitzpatrick": "9"}
    response = api.post(
        "/api/v1/contributions/",
        {"image": SimpleUploadedFile("a.jpg", b"not an image"), **bad},
        format="multipart",
    )
    assert response.status_code == 400
    assert {"diagnosis", "fitzpatrick"} <= response.json().keys()
    response = api.post(
        "/api/v1/contributions/",
        {"image": SimpleUploadedFile("a.jpg", b"not an image"), **UPLOAD},
        format="multipart",
    )
    assert response.status_code == 400 and "image" in response.json()
    assert LesionImage.objects.count() == 0


def test_unverified_token_holder_cannot_upload(api, researcher):
    _token, key = data_terms_accept(user=researcher)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(
        "/api/v1/contributions/",
        {"image": SimpleUploadedFile("a.jpg", demo_bytes()), **UPLOAD},
        format="multipart",
    )
    assert response.status_code == 403 and "verified clinicians" in response.json()["detail"]


def test_revoked_or_unknown_token_is_401(api, researcher):
    token, key = data_terms_accept(user=researcher)
    api_token_revoke(token=token, user=researcher)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get("/api/v1/coverage/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    api.credentials(HTTP_AUTHORIZATION="Token pxg_nonsense")
    assert api.get("/api/v1/coverage/").status_code == 401


def test_anonymous_access_can_be_turned_off(api, researcher, settings):
    settings.PIXGEN_API_ANONYMOUS = "none"
    assert api.get("/api/v1/images/").status_code in (401, 403)
    _token, key = data_terms_accept(user=researcher)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/images/").status_code == 200


def test_throttle_answers_429_with_a_message(api, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # DRF reads the rates once, at import: patch the loaded table.
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "anon": "3/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    statuses = [api.get("/api/v1/coverage/").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
    assert "throttled" in api.get("/api/v1/coverage/").json()["detail"].lower()


def test_requests_endpoints(api, clinician, plain_user):
    payload = {
        "diagnosis": "mel",
        "fitzpatrick_min": 5,
        "fitzpatrick_max": 6,
        "modality": "clinical",
        "quantity": 3,
        "reason": "bias audit",
    }
    assert api.post("/api/v1/requests/", payload).status_code in (401, 403)
    api.force_authenticate(plain_user)
    assert api.post("/api/v1/requests/", payload).status_code == 403
    api.force_authenticate(clinician)
    created = api.post("/api/v1/requests/", payload)
    assert created.status_code == 201 and created.json()["fulfilled"] == 0
    bad = api.post("/api/v1/requests/", {**payload, "fitzpatrick_min": 6, "fitzpatrick_max": 5})
    assert bad.status_code == 400 and "fitzpatrick_max" in bad.json()
    assert [r["id"] for r in api.get("/api/v1/requests/").json()] == [created.json()["id"]]
    assert api.get("/api/v1/requests/?status=bogus").status_code == 400


def test_coverage_endpoint(api):
    cells = api.get("/api/v1/coverage/").json()
    assert {
        "diagnosis": "mel",
        "fitzpatrick": 6,
        "count": 0,
        "synthetic": 0,
        "level": "empty",
        "open_requests": 0,
    } in cells


def test_schema_and_docs_are_served(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/images/" in schema.json()["paths"]
    assert api.get("/api/v1/docs/").status_code == 200


def test_a_served_list_page_is_freed_by_reference_counting_not_left_to_the_collector(catalogue):
    # pixgen.gc_tuning.ReleaseReferenceCycles: DRF ties a response, its view and its request in
    # cycles, so every page (rows, strings, body) waited for the cyclic collector, whose batched
    # frees were the API's slowest requests. Called as gunicorn calls it (not the test client,
    # which makes cycles of its own).
    import gc
    import io
    import json

    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from rest_framework.response import Response

    handler = WSGIHandler()
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/images/",
        "QUERY_STRING": "page_size=100",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
    }
    # As the test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        status = []
        body = handler(environ, lambda line, headers, exc_info=None: status.append(line))
        content = b"".join(body)
        body.close()
        del body
        gc.collect()
        responses = [o for o in gc.garbage if isinstance(o, Response)]
        rows = [o for o in gc.garbage if isinstance(o, dict) and "uid" in o]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert status == ["200 OK"]
    assert len(json.loads(content)["results"]) == 6
    assert responses == [] and rows == []
