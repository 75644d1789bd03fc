"""Bounded load test on loopback: concurrent clients against one `kotae serve` while it ingests.

Starts `kotae serve` (extractive mode, in-process worker) on a fresh data dir, queues the
seed corpus (read by path) and waits for it, then runs `--clients` closed-loop clients for
`--seconds`, each sending `/v1/search` or `/v1/ask` with questions from dev-ja.jsonl (read
at run time), while a job ingests `--files` synthetic files. Prints one JSON object:
requests/s, errors, and p50/p95/p99 latency per endpoint. Stops by itself: the load ends at
the deadline or after `--max-requests`, then the server is stopped.

    python bench/load.py [--clients 32] [--seconds 60] [--files 200] [--ask-share 0.3]
"""

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import SEEDS, machine, synthetic_documents  # noqa: E402

DEV_QA = ROOT.parent / "shared" / "eval" / "dev-ja.jsonl"
KOTAE = [sys.executable, "-c", "from app.cli import main; main()"]
LOOPBACK = "127.0.0.1"  # the only address this benchmark ever sends to


@dataclass
class Endpoint:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: Counter[str] = field(default_factory=Counter)

    def summary(self, seconds: float) -> dict[str, object]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            if not ordered:
                return None
            return round(1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)

        errors = sum(self.errors.values())
        return {
            "requests": len(ordered) + errors,
            "requests_per_s": round((len(ordered) + errors) / seconds, 2),
            "errors": errors,
            "p50_ms": pct(50),
            "p95_ms": pct(95),
            "p99_ms": pct(99),
            "max_ms": round(1000 * ordered[-1], 1) if ordered else None,
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path, torch_threads: int | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")}
    env["KOTAE_DATA_DIR"] = str(data_dir)  # SQLite in the data dir; no generator: extractive
    if torch_threads:
        env["OMP_NUM_THREADS"] = str(torch_threads)
    return env


def start_server(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [*KOTAE, "serve", "--host", LOOPBACK, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, f"http://{LOOPBACK}:{port}"


def wait_ready(process: subprocess.Popen[bytes], base: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("kotae serve exited during start-up (see server.log)")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"kotae serve not ready in {timeout} s")


def enqueue(paths: list[Path], collection: str, env: dict[str, str]) -> str:
    """`kotae ingest --enqueue`: the server's worker does the ingesting."""
    done = subprocess.run(
        [*KOTAE, "ingest", *map(str, paths), "--enqueue", "--collection", collection],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def wait_job(base: str, job_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = httpx.get(f"{base}/v1/jobs/{job_id}", timeout=30).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    raise RuntimeError(f"job {job_id} not finished in {timeout} s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def client(
    http: httpx.AsyncClient,
    questions: list[str],
    ask_share: float,
    deadline: float,
    budget: list[int],
    stats: dict[str, Endpoint],
    seed: int,
) -> None:
    """One closed-loop client: a request, its answer, the next request."""
    rng = random.Random(seed)
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        name = "ask" if rng.random() < ask_share else "search"
        question = rng.choice(questions)
        body = {"question": question} if name == "ask" else {"query": question, "top_k": 10}
        started = time.perf_counter()
        try:
            response = await http.post(f"/v1/{name}", json=body)
        except httpx.HTTPError as e:
            stats[name].errors[type(e).__name__] += 1
            continue
        if response.status_code == 200:
            stats[name].latencies.append(time.perf_counter() - started)
        else:
            stats[name].errors[f"HTTP {response.status_code}: {response.text[:200]}"] += 1


async def watch_job(base: str, job_id: str, deadline: float) -> dict[str, object]:
    """Poll the ingest job during the load; note when it finished."""
    started = time.monotonic()
    finished_after = None
    job: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.monotonic() < deadline:
            job = (await http.get(f"/v1/jobs/{job_id}")).json()
            if job["status"] in ("done", "failed") and finished_after is None:
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


async def watch_health(base: str, deadline: float, health: Endpoint) -> None:
    """What a liveness probe would see under this load: /healthz once a second."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                response = await http.get("/healthz")
                if response.status_code == 200:
                    health.latencies.append(time.perf_counter() - started)
                else:
                    health.errors[f"HTTP {response.status_code}"] += 1
            except httpx.HTTPError as e:
                health.errors[type(e).__name__] += 1
            await asyncio.sleep(1.0)


async def load(
    base: str, questions: list[str], job_id: str, args: argparse.Namespace
) -> dict[str, object]:
    stats = {"search": Endpoint(), "ask": Endpoint()}
    budget = [args.max_requests]
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    started = time.monotonic()
    deadline = started + args.seconds
    async with httpx.AsyncClient(base_url=base, timeout=args.timeout, limits=limits) as http:
        watcher = asyncio.create_task(watch_job(base, job_id, deadline))
        health = Endpoint()
        prober = asyncio.create_task(watch_health(base, deadline, health))
        await asyncio.gather(
            *(
                client(http, questions, args.ask_share, deadline, budget, stats, seed=i)
                for i in range(args.clients)
            )
        )
        ingest = await watcher
        await prober
    elapsed = time.monotonic() - started
    total = sum(len(e.latencies) + sum(e.errors.values()) for e in stats.values())
    errors = Counter[str]()
    for e in stats.values():
        errors.update(e.errors)
    return {
        "seconds": round(elapsed, 1),
        "requests": total,
        "requests_per_s": round(total / elapsed, 2),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(5)),
        "endpoints": {name: e.summary(elapsed) for name, e in stats.items()},
        "ingest_during_load": ingest,
        # Not part of the load: one probe a second, as an orchestrator's liveness check.
        "healthz_probe": health.summary(elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--files", type=int, default=200, help="synthetic files ingested meanwhile")
    parser.add_argument("--ask-share", type=float, default=0.3, help="share of /v1/ask requests")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--timeout", type=float, default=120, help="per request, seconds")
    parser.add_argument(
        "--torch-threads", type=int, default=None, help="OMP_NUM_THREADS for the server"
    )
    args = parser.parse_args()

    questions = [json.loads(line)["q"] for line in DEV_QA.read_text("utf-8").splitlines() if line]
    work = Path(tempfile.mkdtemp(prefix="kotae-load-"))
    data_dir = work / "data"
    data_dir.mkdir()
    env = server_env(data_dir, args.torch_threads)
    process, base = start_server(data_dir, env)
    try:
        started = time.monotonic()
        wait_ready(process, base)
        ready_s = time.monotonic() - started
        seeds = wait_job(base, enqueue([SEEDS], "seeds", env), timeout=900)
        synthetic = work / "synthetic"
        synthetic.mkdir()
        for i, text in enumerate(synthetic_documents(args.files, 6, seed=1)):
            (synthetic / f"synthetic{i:04d}.txt").write_text(text, encoding="utf-8")
        for name in ("search", "ask"):  # first use builds lazy parts; not part of the load
            body = {"question": questions[0]} if name == "ask" else {"query": questions[0]}
            httpx.post(f"{base}/v1/{name}", json=body, timeout=120).raise_for_status()
        job_id = enqueue([synthetic], "synthetic", env)
        result = asyncio.run(load(base, questions, job_id, args))
    finally:
        stop_server(process)
    report = {
        "benchmark": "load",
        "machine": machine(),
        "clients": args.clients,
        "ask_share": args.ask_share,
        "torch_threads": args.torch_threads or "default",
        "server_ready_s": round(ready_s, 1),
        "seed_corpus": {"files": seeds["files_total"], "chunks": seeds["chunks"]},
        **result,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
