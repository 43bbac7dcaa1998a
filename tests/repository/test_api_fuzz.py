"""schemathesis drives every documented operation with generated input; none may answer 5xx."""

import hypothesis
import pytest
import schemathesis
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from schemathesis.checks import not_a_server_error

from repository.services.moderation import image_publish
from tests.conftest import ingest


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Like Django's test client: a request must not close the test transaction's connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def no_throttle(monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "token": None})
    cache.clear()


def test_no_operation_answers_a_server_error(
    db, clinician, moderator, no_throttle, wsgi_keeps_the_test_connection
):
    image_publish(image=ingest(clinician), moderator=moderator)
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    statuses: list[int] = []

    for operation in operations:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=20,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        def run(case):
            response = case.call()
            statuses.append(response.status_code)
            case.validate_response(response, checks=(not_a_server_error,))

        run()
    assert len(statuses) > 5 * len(operations)  # the generator really ran
