"""The load of bench/load.py: closed-loop clients, the /healthz probes and the ingest watcher.

Each client sends one request, reads the whole answer, then sends the next: `/v1/search`,
`/v1/ask` as JSON, or `/v1/ask` streamed as server-sent events (timed to the first event and
to the end of the stream). Anything but a complete success counts as an error of a kind.
"""

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

ROUTES = ("search", "ask", "ask_stream")


class Failed(Exception):
    """An answer that is not a complete success; the message is the error's kind."""


def percentiles(seconds: list[float]) -> dict[str, float | None]:
    ordered = sorted(seconds)

    def ms(p: float) -> float | None:
        if not ordered:
            return None
        return round(1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)

    return {"p50_ms": ms(50), "p95_ms": ms(95), "p99_ms": ms(99), "max_ms": ms(100)}


@dataclass
class Traffic:
    """What the clients saw: requests and errors per route, latencies per measurement."""

    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # "route: kind" -> count
    seconds: dict[str, list[float]] = field(default_factory=dict)

    def took(self, measurement: str, seconds: float) -> None:
        self.seconds.setdefault(measurement, []).append(seconds)

    def route(self, name: str, *measurements: str) -> dict[str, Any]:
        errors = sum(n for kind, n in self.errors.items() if kind.startswith(f"{name}:"))
        row: dict[str, Any] = {"requests": self.requests[name], "errors": errors}
        if len(measurements) == 1:
            return {**row, **percentiles(self.seconds.get(measurements[0], []))}
        for m in measurements:
            row[m.removeprefix(f"{name}_")] = percentiles(self.seconds.get(m, []))
        return row


async def search(http: httpx.AsyncClient, question: str) -> float:
    started = time.perf_counter()
    response = await http.post("/v1/search", json={"query": question, "top_k": 10})
    if response.status_code != 200:
        raise Failed(f"HTTP {response.status_code}: {response.text[:200]}")
    if not isinstance(response.json().get("hits"), list):
        raise Failed("no hits list")
    return time.perf_counter() - started


async def ask(http: httpx.AsyncClient, question: str) -> float:
    started = time.perf_counter()
    response = await http.post("/v1/ask", json={"question": question})
    if response.status_code != 200:
        raise Failed(f"HTTP {response.status_code}: {response.text[:200]}")
    if "answer" not in response.json():
        raise Failed("no answer")
    return time.perf_counter() - started


async def ask_stream(http: httpx.AsyncClient, question: str) -> tuple[float, float]:
    """Seconds to the first event's data and to the end of the stream, which must hold a
    `final` event and no `error` event."""
    started = time.perf_counter()
    first = None
    final = False
    body = {"question": question, "stream": True}
    async with http.stream("POST", "/v1/ask", json=body) as response:
        if response.status_code != 200:
            await response.aread()
            raise Failed(f"HTTP {response.status_code}: {response.text[:200]}")
        event = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                if first is None:
                    first = time.perf_counter() - started
                if event == "error":
                    raise Failed(f"error event: {line[6:200]}")
                final = final or event == "final"
    if first is None or not final:
        raise Failed("stream ended without a final event")
    return first, time.perf_counter() - started


async def warm_up(http: httpx.AsyncClient, question: str) -> None:
    """First use builds lazy parts (models, caches): once per API process, not in the load."""
    await search(http, question)
    await ask(http, question)
    await ask_stream(http, question)


async def client(
    http: httpx.AsyncClient,
    questions: list[str],
    mix: tuple[float, float, float],
    deadline: float,
    budget: list[int],
    traffic: Traffic,
    seed: int,
) -> None:
    """One closed-loop client: a request, its whole answer, the next request."""
    rng = random.Random(seed)
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        route = rng.choices(ROUTES, weights=mix)[0]
        question = rng.choice(questions)
        traffic.requests[route] += 1
        try:
            if route == "search":
                traffic.took("search", await search(http, question))
            elif route == "ask":
                traffic.took("ask", await ask(http, question))
            else:
                first, total = await ask_stream(http, question)
                traffic.took("ask_stream_first_event", first)
                traffic.took("ask_stream_total", total)
        except Failed as e:
            traffic.errors[f"{route}: {e}"] += 1
        except (httpx.HTTPError, ValueError) as e:  # ValueError: a body that is not JSON
            traffic.errors[f"{route}: {type(e).__name__}"] += 1


async def watch_health(base: str, deadline: float) -> dict[str, Any]:
    """What a liveness probe would see of one API process: /healthz once a second."""
    seconds: list[float] = []
    errors = Counter[str]()
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                response = await http.get("/healthz")
                if response.status_code == 200:
                    seconds.append(time.perf_counter() - started)
                else:
                    errors[f"HTTP {response.status_code}"] += 1
            except httpx.HTTPError as e:
                errors[type(e).__name__] += 1
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))
    shown = percentiles(seconds)
    return {
        "probes": len(seconds) + sum(errors.values()),
        "errors": dict(errors),
        "p50_ms": shown["p50_ms"],
        "max_ms": shown["max_ms"],
    }


async def watch_job(base: str, job_id: str, deadline: float) -> dict[str, Any]:
    """Poll the ingest job during the load; note when it finished."""
    started = time.monotonic()
    finished_after = None
    job: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.monotonic() < deadline:
            job = (await http.get(f"/v1/jobs/{job_id}")).json()
            if job["status"] in ("done", "failed"):
                finished_after = round(time.monotonic() - started, 1)
                break
            await asyncio.sleep(1.0)
        job = (await http.get(f"/v1/jobs/{job_id}")).json()
    files = job.get("files") or []
    return {
        "files": job.get("files_total"),
        "files_done_during_load": job.get("files_done"),
        "status_at_end": job.get("status"),
        "finished_after_s": finished_after,
        "failed_files": sum(1 for f in files if isinstance(f, dict) and f["status"] == "failed"),
    }


async def run_load(
    apis: dict[str, str],
    questions: list[str],
    job_id: str,
    clients: int,
    mix: tuple[float, float, float],
    seconds: float,
    max_requests: int,
    timeout: float,
) -> dict[str, Any]:
    """`clients` closed-loop clients spread over the API processes round-robin, for `seconds`
    (or `max_requests`), with a /healthz probe on every API process and the job watched.
    `apis`: name -> base URL of each API process."""
    bases = list(apis.values())
    traffic = Traffic()
    budget = [max_requests]
    per_process = -(-clients // len(bases))
    limits = httpx.Limits(max_connections=per_process, max_keepalive_connections=per_process)
    https = [httpx.AsyncClient(base_url=b, timeout=timeout, limits=limits) for b in bases]
    started = time.monotonic()
    deadline = started + seconds
    try:
        watcher = asyncio.create_task(watch_job(bases[0], job_id, deadline))
        probes = [asyncio.create_task(watch_health(b, deadline)) for b in bases]
        await asyncio.gather(
            *(
                client(https[i % len(https)], questions, mix, deadline, budget, traffic, seed=i)
                for i in range(clients)
            )
        )
        elapsed = time.monotonic() - started  # in-flight requests finish after the deadline
        ingest = await watcher
        health = await asyncio.gather(*probes)
    finally:
        for http in https:
            await http.aclose()
    total = sum(traffic.requests.values())
    return {
        "seconds": round(elapsed, 1),
        "requests": total,
        "requests_per_s": round(total / elapsed, 2),
        "errors": sum(traffic.errors.values()),
        "error_kinds": dict(traffic.errors.most_common(20)),
        "routes": {
            "search": traffic.route("search", "search"),
            "ask": traffic.route("ask", "ask"),
            "ask_stream": traffic.route("ask_stream", "ask_stream_first_event", "ask_stream_total"),
        },
        "ingest_during_load": ingest,
        # Not part of the load: one probe a second per API process, as a liveness check.
        "healthz": dict(zip(apis, health, strict=True)),
    }
