"""The OpenAPI document, read without a server: one error shape, every $ref resolvable."""

from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV32SpecValidator

from app.api.app import create_app
from app.api.routes_ask import ASK_EVENTS
from app.api.routes_openai import CHAT_EVENTS
from app.settings import Settings

pytestmark = pytest.mark.unit
ERROR_REF = "#/components/schemas/ErrorResponse"


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("doc"), api_keys="k")
    return create_app(settings, with_worker=False).openapi()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_the_document_is_valid_openapi(document):
    # 3.2's rules: the event streams' `itemSchema` is a 3.2 keyword (FastAPI writes it too).
    OpenAPIV32SpecValidator({**document, "openapi": "3.2.0"}).validate()


def test_every_ref_resolves(document):
    schemas = document["components"]["schemas"]
    for ref in set(refs(document)):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


def test_errors_are_declared_in_the_envelope_fastapi_shape_is_gone(document):
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or name == "GET /readyz":  # readiness has its own 503 body
                continue
            assert response["content"] == {"application/json": {"schema": {"$ref": ERROR_REF}}}
        declared = set(operation["responses"])
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in declared, name
        if name.split()[1].startswith("/v1/"):
            assert {"401", "413", "500"} <= declared, name
        if "{" in name:
            assert "404" in declared, name


def test_streams_are_declared_with_typed_events(document):
    schemas = document["components"]["schemas"]
    for path, stream in [("/v1/ask", ASK_EVENTS), ("/v1/chat/completions", CHAT_EVENTS)]:
        content = document["paths"][path]["post"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/event-stream"}
        assert "itemSchema" in content["text/event-stream"]
        for model in stream.events.values():
            assert schemas[model.__name__]["properties"].keys() == model.model_fields.keys()


def test_non_json_answers_declare_their_media_types(document):
    metrics = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert set(metrics) == {"text/plain"}
    original = document["paths"]["/v1/documents/{document_id}/file"]["get"]["responses"]["200"]
    assert "application/json" not in original["content"]
    assert {"application/pdf", "text/html", "text/plain"} <= set(original["content"])


def test_conversation_and_feedback_routes_declare_their_models_and_errors(document):
    paths, schemas = document["paths"], document["components"]["schemas"]
    feedback = paths["/v1/conversations/{conversation_id}/turns/{turn_id}/feedback"]
    assert set(feedback) == {"get", "put", "delete"}
    taken_back = feedback["delete"]["responses"]
    assert "content" not in taken_back["204"] and {"404", "422"} <= set(taken_back)
    for method in ("get", "put"):
        ok = feedback[method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": "#/components/schemas/TurnOut"}
    for path, request in (("/v1/ask", "AskRequest"), ("/v1/chat/completions", "ChatRequest")):
        responses = paths[path]["post"]["responses"]
        assert {"400", "404", "409"} <= set(responses), path
        replaces = schemas[request]["properties"]["replaces_turn_id"]
        integer = next(s for s in replaces["anyOf"] if s.get("type") == "integer")
        assert integer["minimum"] == 1 and integer["maximum"] > 2**62  # JSON writes it as a float
        assert "409" in integer["description"]
