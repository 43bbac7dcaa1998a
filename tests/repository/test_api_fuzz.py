"""schemathesis drives every documented operation with generated input, anonymously and with a
token of an account that holds every role: no answer may be a 5xx, and every answer must be
one the schema documents (status, media type and body). Fixed seed, bounded examples: a
regression fails the build the same way every time."""

import hypothesis
import pytest
import schemathesis
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from repository.services.accounts import api_token_issue
from repository.services.moderation import image_publish
from tests.conftest import ingest
from tests.factories import ClinicianFactory

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
EXAMPLES = 15


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


@pytest.fixture
def everyone_token(db, moderator) -> str:
    """A verified clinician who is also a reviewer, a moderator and a researcher."""
    user = ClinicianFactory(
        is_moderator=True, is_reviewer=True, data_terms_accepted_at=timezone.now()
    )
    image_publish(image=ingest(user), moderator=moderator)
    return api_token_issue(user=user, name="fuzz")[1]


@pytest.mark.parametrize("who", ["anonymous", "token"])
def test_every_answer_is_documented_and_none_is_a_server_error(
    db, who, everyone_token, no_throttle, wsgi_keeps_the_test_connection
):
    headers = {"Authorization": f"Token {everyone_token}"} if who == "token" else {}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    statuses: list[int] = []
    failures: list[str] = []

    for operation in operations:

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        def run(case):
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # every operation's failure is collected, then all reported
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
    assert len(statuses) > 5 * len(operations)  # the generator really ran
