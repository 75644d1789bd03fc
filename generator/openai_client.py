"""Async client for an OpenAI-compatible chat server such as vLLM."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from generator.errors import (
    GeneratorError,
    GeneratorResponseError,
    GeneratorTimeout,
    GeneratorUnavailable,
)

Messages = Sequence[dict[str, str]]


class OpenAIGenerator:
    """Chat completions (whole or streamed) from ``base_url`` (e.g. ``http://host:8001/v1``).

    Only failures to connect are retried (the request never reached the server, so retrying
    cannot run a generation twice); a stream that has started is never retried.
    """

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        connect_retries: int = 2,
        retry_backoff: float = 0.25,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"generator URL must start with http:// or https://: {base_url!r}")
        if timeout <= 0 or connect_retries < 0:
            raise ValueError("timeout must be positive and connect_retries not negative")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.connect_retries = connect_retries
        self.retry_backoff = retry_backoff
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # `timeout` bounds each wait (connect, and each read of a stream), not the whole answer.
        self._client = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(timeout))
        self._models_read = False
        self._max_model_len: int | None = None
        self._lock = asyncio.Lock()

    async def max_model_len(self) -> int | None:
        """The served model's context length (vLLM reports it in /models), or None if unknown.

        Also resolves ``model`` to the first served model when it was not given. Cached.
        """
        await self._read_models()
        return self._max_model_len

    async def complete(
        self, messages: Messages, max_tokens: int = 512, temperature: float = 0.0
    ) -> str:
        """The whole answer text of one chat completion."""
        url = f"{self.base_url}/chat/completions"
        body = await self._payload(messages, max_tokens, temperature, stream=False)
        data = await self._fetch_json(self._client.build_request("POST", url, json=body), url)
        try:
            content = data["choices"][0]["message"].get("content")
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise _malformed(url, "no choices[0].message in the response") from exc
        if content is not None and not isinstance(content, str):
            raise _malformed(url, "message content is not text")
        return content or ""

    async def stream(
        self, messages: Messages, max_tokens: int = 512, temperature: float = 0.0
    ) -> AsyncIterator[str]:
        """Yield the answer's text pieces as the server streams them (SSE), until [DONE]."""
        url = f"{self.base_url}/chat/completions"
        body = await self._payload(messages, max_tokens, temperature, stream=True)
        request = self._client.build_request("POST", url, json=body)
        response = await self._send(request)
        finished = False
        try:
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue  # blank separators, comments, event: lines
                data = line[len("data:") :].strip()
                if data == "[DONE]":
                    return
                try:
                    chunk = json.loads(data)
                except json.JSONDecodeError as exc:
                    raise _malformed(url, f"a stream event is not JSON: {data[:80]!r}") from exc
                if not isinstance(chunk, dict):
                    raise _malformed(url, "a stream event is not a JSON object")
                if "error" in chunk:
                    raise GeneratorResponseError(
                        f"The answer generator at {url} failed mid-answer: {_error_text(chunk)}",
                        url,
                    )
                for choice in chunk.get("choices") or []:
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        yield content
                    finished = finished or bool(choice.get("finish_reason"))
        except httpx.TimeoutException as exc:
            raise _timeout(url, self.timeout, streaming=True) from exc
        except httpx.TransportError as exc:
            raise _dropped(url, exc) from exc
        finally:
            await response.aclose()
        if not finished:
            raise GeneratorUnavailable(
                f"The answer generator at {url} closed the stream before finishing the answer.",
                url,
            )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aclose()

    async def __aenter__(self) -> OpenAIGenerator:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _payload(
        self, messages: Messages, max_tokens: int, temperature: float, stream: bool
    ) -> dict[str, Any]:
        if self.model is None:
            await self._read_models()
        return {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": stream,
        }

    async def _fetch_json(self, request: httpx.Request, url: str) -> Any:
        """Send a non-streamed request and read its JSON, mapping transport failures."""
        response = await self._send(request)
        try:
            await response.aread()
        except httpx.TimeoutException as exc:
            raise _timeout(url, self.timeout) from exc
        except httpx.TransportError as exc:
            raise _dropped(url, exc) from exc
        finally:
            await response.aclose()
        return _json(response, url)

    async def _read_models(self) -> None:
        async with self._lock:
            if self._models_read:
                return
            url = f"{self.base_url}/models"
            data = await self._fetch_json(self._client.build_request("GET", url), url)
            models = data.get("data") if isinstance(data, dict) else None
            if not isinstance(models, list) or not all(isinstance(m, dict) for m in models):
                raise _malformed(url, "no model list in the response")
            ids = [str(m.get("id")) for m in models]
            if self.model is None:
                if not ids:
                    raise GeneratorResponseError(f"The server at {url} serves no model.", url)
                self.model = ids[0]
            entry = next((m for m in models if m.get("id") == self.model), None)
            if entry is None:
                raise GeneratorResponseError(
                    f"The server at {url} does not serve the model {self.model!r} "
                    f"(it serves: {', '.join(ids) or 'none'}).",
                    url,
                )
            length = entry.get("max_model_len")
            self._max_model_len = length if isinstance(length, int) and length > 0 else None
            self._models_read = True

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """Send (body not yet read), retrying connection failures only; map HTTP errors."""
        url = str(request.url)
        for attempt in range(self.connect_retries + 1):
            try:
                response = await self._client.send(request, stream=True)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt == self.connect_retries:
                    raise GeneratorUnavailable(
                        f"Cannot reach the answer generator at {url}: {_reason(exc)}.", url
                    ) from exc
                await asyncio.sleep(self.retry_backoff * 2**attempt)
            except httpx.TimeoutException as exc:
                raise _timeout(url, self.timeout) from exc
            except httpx.TransportError as exc:
                raise _dropped(url, exc) from exc
        if response.status_code >= 400:
            try:
                await response.aread()
            except httpx.HTTPError:
                pass  # the status alone says enough
            finally:
                await response.aclose()
            raise _http_error(response, url)
        return response


def _reason(exc: BaseException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "no connection within the time limit"
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10:  # the OS error sits a few causes down
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused (is the server running?)"
    if any(isinstance(e, socket.gaierror) for e in chain):
        return f"the host name could not be resolved ({exc})"
    return str(exc).strip() or type(exc).__name__


def _timeout(url: str, seconds: float, streaming: bool = False) -> GeneratorTimeout:
    what = "sent nothing for" if streaming else "did not answer within"
    return GeneratorTimeout(f"The answer generator at {url} {what} {seconds:g} s.", url)


def _dropped(url: str, exc: Exception) -> GeneratorUnavailable:
    return GeneratorUnavailable(
        f"The connection to the answer generator at {url} was lost: {_reason(exc)}.", url
    )


def _malformed(url: str, what: str) -> GeneratorResponseError:
    return GeneratorResponseError(
        f"The answer generator at {url} sent a response we cannot read: {what}.", url
    )


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        snippet = response.text[:80]
        raise _malformed(url, f"the body is not JSON ({snippet!r})") from exc


def _error_text(data: Any) -> str:
    """The message of an OpenAI ({"error": {...}}) or vLLM ({"message": ...}) error body."""
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])
        if isinstance(err, str):
            return err
        if isinstance(data.get("detail"), str):
            return str(data["detail"])
    return json.dumps(data)[:200]


def _http_error(response: httpx.Response, url: str) -> GeneratorError:
    status = response.status_code
    try:
        detail = _error_text(response.json())
    except (json.JSONDecodeError, UnicodeDecodeError, httpx.ResponseNotRead):
        detail = response.text[:200].strip() if response.is_stream_consumed else ""
    suffix = f": {detail}" if detail else "."
    if status >= 500:
        return GeneratorUnavailable(
            f"The answer generator at {url} failed with HTTP {status}{suffix}", url
        )
    return GeneratorResponseError(
        f"The answer generator at {url} rejected the request (HTTP {status}){suffix}",
        url,
        status_code=status,
    )
