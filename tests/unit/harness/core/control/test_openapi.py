"""The committed OpenAPI document lists exactly the routes the control API serves."""

from __future__ import annotations

import json
import re

from harness.core.control.api import ROUTES, openapi_document


def test_the_document_and_the_routes_agree():
    doc = json.loads(openapi_document())
    documented = {(p, m.upper()) for p, ops in doc["paths"].items() for m in ops if m != "parameters"}
    served = {(re.sub(r"<(\w+)>", r"{\1}", p), m) for p, ms in ROUTES.items() for m in ms}
    assert documented - {("/openapi.json", "GET")} == served
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            assert op["summary"] and any(code.startswith("2") for code in op["responses"]), (path, method)
            if path not in ("/health", "/openapi.json"):
                assert "401" in op["responses"], (path, method)
