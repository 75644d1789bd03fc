"""/v1/ask's streamed events; its JSON answer is app.wire.AskResponse, shared with the CLI."""

from pydantic import BaseModel

from app.api.envelope import ErrorResponse
from app.api.event_streams import EventStream
from app.wire import AskResponse


class AskToken(BaseModel):
    text: str


ASK_EVENTS = EventStream(
    {"token": AskToken, "final": AskResponse, "error": ErrorResponse},
    description=(
        "The answer as JSON, or with `stream: true` as server-sent events: `token` events "
        "carry the answer's text as it is written, then one `final` event carries the whole "
        "answer with its citations, or an `error` event says why the answer stopped."
    ),
)
