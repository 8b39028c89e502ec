"""The OpenAPI document describes the error responses every operation really gives, in the API's
one error format (the schemathesis run in tests/integration/test_api_fuzz.py relies on it)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from kolony.core.openapi import ALWAYS, ERROR_COMPONENT, WITH_BODY


@pytest.fixture(scope="module")
def document():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_its_error_responses(document):
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    operations = [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]
    assert len(operations) > 30
    for path, method, operation in operations:
        codes = ALWAYS + (WITH_BODY if "requestBody" in operation else ())
        for code in codes:
            assert operation["responses"][code]["content"]["application/json"]["schema"] == ref, (method, path, code)
        assert any(c.startswith("2") for c in operation["responses"]), (method, path)


def test_error_component_is_detail_plus_plain_string_lists(document):
    schema = document["components"]["schemas"][ERROR_COMPONENT]
    assert schema["required"] == ["detail", "errors"]
    assert schema["properties"]["errors"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
