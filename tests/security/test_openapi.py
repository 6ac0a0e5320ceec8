"""The OpenAPI description is served, valid, and the API keeps to it under schemathesis."""

from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from web.openapi import spec

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def test_the_description_is_served_and_lists_every_api_route(hclient, hostile_app):
    served = hclient.get("/api/openapi.json")
    assert served.status_code == 200 and served.get_json() == spec()
    rules = {re.sub(r"<(\w+)>", r"{\1}", r.rule) for r in hostile_app.url_map.iter_rules()
             if r.rule.startswith("/api/") or r.rule == "/healthz"}
    assert rules <= set(spec()["paths"]), rules - set(spec()["paths"])


schema = schemathesis.openapi.from_dict(spec())


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_description(case, hostile_app):
    """Generated requests, in-process through WSGI: no 500, documented statuses and bodies."""
    case.call_and_validate(app=hostile_app, checks=CHECKS)
