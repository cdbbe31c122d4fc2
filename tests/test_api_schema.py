"""The API against its own OpenAPI 3.1 schema: the schema is valid and complete, and
Schemathesis runs every operation with generated input, signed in as an Editor (who also
reads and writes), checking each response: no server error, a documented status code and
content type, a body and headers that conform to the schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from config.wsgi import application
from cooperation.roles import EDITOR
from tests import factories

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]
EXAMPLES_PER_OPERATION = 40


def test_the_schema_is_openapi_3_1_and_names_every_kind(client, db):
    schema = client.get("/api/schema/?format=json").json()
    assert schema["openapi"] == "3.1.0"
    for kind in ["partners", "people", "memberships", "topics", "sources", "meetings"]:
        assert f"/api/{kind}/" in schema["paths"]
    for kind in ["commitments", "complaint-counts", "sources"]:
        assert f"/api/{kind}/{{id}}/" in schema["paths"]
    assert "/api/milestones/{slug}/" in schema["paths"]
    assert "post" in schema["paths"]["/api/meetings/"]
    assert set(schema["components"]["securitySchemes"]) >= {"tokenAuth", "cookieAuth"}
    parameters = {p["name"] for p in schema["paths"]["/api/meetings/"]["get"]["parameters"]}
    assert {"q", "partner", "topic", "date_from", "date_to", "cursor"} <= parameters


def test_the_docs_are_served_from_our_own_static_files(client, db):
    html = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<style" not in html and "<script>" not in html
    assert "http" not in html.replace("http-equiv", "")
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, with the database connection kept open between
    requests as Django's test client keeps it (the test's transaction lives on it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def editor_token(db):
    moi = factories.PartnerFactory(slug="moi")
    factories.MeetingFactory(slug="border-talks", partners=[moi])
    factories.CommitmentFactory(made_by=moi)
    factories.ComplaintCountFactory(received_by=moi)
    factories.MilestoneFactory(slug="plan-adopted")
    factories.PersonFactory(slug="sok-chea", partner=moi)
    factories.TopicFactory(slug="border-control")
    factories.SourceFactory()
    editor = factories.user_with_role("schema-editor", EDITOR)
    return Token.objects.create(user=editor).key


def test_every_operation_conforms_to_the_schema(wsgi_app, editor_token, capsys, settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    counts = {"operations": len(operations), "cases": 0, "failures": 0}
    failures = []
    headers = {"Authorization": f"Token {editor_token}"}
    for operation in operations:

        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def run(case):
            counts["cases"] += 1
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except FailureGroup as error:  # every failure counted, the first few shown
                counts["failures"] += 1
                failures.append(f"{case.operation.label}: {str(error)[:600]}")

        run()
    with capsys.disabled():
        print(
            f"\nSchemathesis: {counts['operations']} operations, {counts['cases']} cases, "
            f"{counts['failures']} failures"
        )
    assert counts["operations"] >= 19
    assert failures == [], "\n\n".join(failures[:5])
