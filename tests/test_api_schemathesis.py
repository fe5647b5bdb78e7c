"""Schemathesis against the app itself (WSGI), over every operation of the OpenAPI
document the app serves: no answer is a 5xx, and every answer conforms to the schema the
document gives for its status. Valid requests and invalid ones (negative mode) alike, a
bounded number of examples each, on a small published world."""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from qaportal.decisions.models import Outcome
from tests.catalogue_kit import complete_data, make_spec, org_id
from tests.test_api import publish_decisions, withdraw

EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}
CHECKS = [not_a_server_error, response_schema_conformance]


def test_no_server_error_and_no_answer_outside_the_schema(app: Flask, demo: Any) -> None:
    _, public_id = make_spec(app, "NVTC", complete_data("Welding basics", issuer_regions=["FR"]))
    published = publish_decisions(app, 2, outcome=Outcome.CONDITIONAL, report=True)
    publish_decisions(app, 1, outcome=Outcome.NEGATIVE, code="api-fw-2")
    publish_decisions(app, 1, publish=False, code="api-fw-3")
    withdraw(app, published.decision_ids[0])

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} == {
        "/specifications",
        "/specifications/{public_id}",
        "/decisions",
        "/decisions/{decision_id}",
        "/providers",
        "/providers/{provider_id}",
        "/reports",
    }
    calls = 0
    for operation in operations:
        for mode, examples in EXAMPLES.items():

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                nonlocal calls
                case.call_and_validate(checks=CHECKS)
                calls += 1

            run()
    assert calls >= len(operations) * 10, "schemathesis hardly ran"

    # Random ids hardly ever name a published object: the details of real ones too.
    known = {
        "/specifications/{public_id}": {"public_id": public_id},
        "/decisions/{decision_id}": {"decision_id": published.decision_ids[1]},
        "/providers/{provider_id}": {"provider_id": org_id(app, "UDV")},
    }
    for operation in operations:
        if operation.path in known:
            case = operation.Case(path_parameters=known[operation.path])
            assert case.call_and_validate(checks=CHECKS).status_code == 200, operation.path
