"""Server-sent event streams in the OpenAPI document: a `text/event-stream` alternative to a
route's JSON answer, each event's `data` a JSON document of a declared model."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class EventStream:
    """The events one route streams: `event:` name (None: unnamed) → model of its JSON `data`.

    `done` is a last `data:` line that is not JSON (OpenAI streams end with `[DONE]`).
    """

    events: Mapping[str | None, type[BaseModel]]
    description: str
    done: str | None = None

    def response(self) -> dict[str, Any]:
        """A `responses=` entry; the item schema follows OpenAPI 3.2 as FastAPI's own SSE does."""
        items: list[dict[str, Any]] = [_event(name, model) for name, model in self.events.items()]
        if self.done is not None:
            items.append(
                {
                    "type": "object",
                    "properties": {"data": {"const": self.done}},
                    "required": ["data"],
                }
            )
        item_schema = items[0] if len(items) == 1 else {"anyOf": items}
        return {
            "description": self.description,
            "content": {"text/event-stream": {"itemSchema": item_schema}},
        }


def _event(name: str | None, model: type[BaseModel]) -> dict[str, Any]:
    data = {
        "type": "string",
        "contentMediaType": "application/json",
        "contentSchema": {"$ref": REF.format(model=model.__name__)},
    }
    properties: dict[str, Any] = {"data": data}
    required = ["data"]
    if name is not None:
        properties["event"] = {"const": name}
        required.append("event")
    return {"type": "object", "properties": properties, "required": required}


def document_event_streams(app: FastAPI, streams: Iterable[EventStream]) -> None:
    """Add the event models to the document's components (FastAPI only adds the models of
    JSON responses), so the `$ref`s of `EventStream.response()` resolve."""
    models = {m for stream in streams for m in stream.events.values()}
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            _, schemas = models_json_schema(
                [(m, "serialization") for m in sorted(models, key=lambda m: m.__name__)],
                ref_template=REF,
            )
            components = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in schemas.get("$defs", {}).items():
                components.setdefault(name, schema)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
