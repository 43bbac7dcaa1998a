"""The OpenAPI document is exact: what each operation reads, its bounds and every status it
answers. The schemathesis run (test_api_fuzz.py) holds the server to it."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get(
            "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
        )
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_schema_generation_has_no_warnings_and_validates(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_an_upload_is_multipart_with_the_image_as_binary(schema):
    body = schema["paths"]["/api/v1/contributions/"]["post"]["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    image = schema["components"]["schemas"][ref]["properties"]["image"]
    assert image == {"type": "string", "format": "binary"}


def test_page_size_has_its_bounds(schema):
    (page_size,) = [
        p
        for p in schema["paths"]["/api/v1/images/"]["get"]["parameters"]
        if p["name"] == "page_size"
    ]
    assert page_size["schema"]["minimum"] == 1 and page_size["schema"]["maximum"] == 1000


def test_every_operation_documents_its_error_answers(schema):
    for path, method, operation in _operations(schema):
        codes = set(operation["responses"])
        assert {"400", "401", "403", "429"} <= codes, (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
        if operation.get("requestBody"):
            assert "415" in codes, (method, path)
        for code, response in operation["responses"].items():
            if code.startswith("4"):
                assert "application/json" in response["content"], (method, path, code)
