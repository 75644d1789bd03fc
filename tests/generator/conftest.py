"""Fixtures for generator tests: a fake OpenAI-compatible server and a refused URL."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.generator.fake_openai_server import FakeOpenAIServer, running


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenAIServer]:
    """The fake OpenAI server on a free loopback port, for the whole session."""
    with running(FakeOpenAIServer()) as fake:
        yield fake


@pytest.fixture
def refused_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
