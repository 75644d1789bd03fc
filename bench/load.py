"""Bounded load test on loopback: concurrent clients against Kotae's API processes while a
job ingests.

On a fresh database (a SQLite file, or with `--database postgres` a new database next to
`--postgres-url`, dropped at the end) it queues the seed corpus (read by path), starts the
processes and waits for the seeds, then runs `--clients` closed-loop clients for `--seconds`,
spread round-robin over the API processes. Each sends `/v1/search`, `/v1/ask` or a streamed
`/v1/ask` (see bench/load_traffic.py) with questions from dev-ja.jsonl (read at run time),
while a job ingests `--files` synthetic files. Processes: with one API process, one
`kotae serve` and its in-process worker; with `--api-processes N` > 1, N `kotae serve
--no-worker` and one `kotae worker` on the same database (PostgreSQL's default: 2). Every
process runs with one torch thread (`--torch-threads`). Prints one JSON object: req/s,
errors by kind, p50/p95/p99 per route, /healthz p50 and max per API process, the machine
and its load average. Stops by itself: the load ends at the deadline or after
`--max-requests`, then every process is stopped.

    python bench/load.py [--database sqlite|postgres] [--api-processes N] [--clients 32]
        [--seconds 60] [--files 200] [--ask-share 0.3] [--stream-share 0.5]
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import SEEDS, machine, synthetic_documents  # noqa: E402
from bench.load_traffic import run_load, warm_up  # noqa: E402
from tests.app.cluster import (  # noqa: E402
    Process,
    base_env,
    enqueue_cli,
    start_api,
    start_worker,
    wait_ready,
)
from tests.conftest import (  # noqa: E402
    DEV_QA,
    drop_postgres_database,
    new_postgres_database,
    wait_job,
)

POSTGRES = "postgresql+psycopg://kotae@127.0.0.1:54329/postgres"  # .ci/postgres.sh


def start_processes(
    api_processes: int, work: Path, env: dict[str, str]
) -> tuple[list[Process], list[Process]]:
    """(API processes, separate workers); each process has its own data dir."""
    if api_processes == 1:
        return [start_api("api-1", work / "api-1", env, in_process_worker=True)], []
    apis = [start_api(f"api-{i}", work / f"api-{i}", env) for i in range(1, api_processes + 1)]
    return apis, [start_worker("worker", work / "worker", env)]


def wait_caught_up(base: str, chunks: int, question: str, timeout: float = 300) -> None:
    """Until an API process's index holds the seed corpus: a search makes it read the change
    log, /readyz says how many chunks it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        httpx.post(f"{base}/v1/search", json={"query": question}, timeout=300).raise_for_status()
        if httpx.get(f"{base}/readyz", timeout=30).json().get("chunks", 0) >= chunks:
            return
        time.sleep(0.5)
    raise RuntimeError(f"{base} did not catch up to {chunks} chunks in {timeout} s")


async def warm_up_all(bases: list[str], question: str) -> None:
    for base in bases:
        async with httpx.AsyncClient(base_url=base, timeout=300) as http:
            await warm_up(http, question)


def log_tail(proc: Process, lines: int = 40) -> str:
    """The end of a process's log without uvicorn's access lines (readiness polls drown it)."""
    text = proc.log.read_text(errors="replace") if proc.log.is_file() else ""
    kept = [line for line in text.splitlines() if ' HTTP/1.1" ' not in line]
    return "\n".join(kept[-lines:])


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(args: argparse.Namespace, work: Path, url: str, questions: list[str]) -> dict[str, Any]:
    env = {
        **base_env(url),
        "OMP_NUM_THREADS": str(args.torch_threads),
        "KOTAE_TORCH_THREADS": str(args.torch_threads),
    }
    # Enqueued (and the schema migrated) before the processes start, as tests/app does.
    seeds_job = enqueue_cli(SEEDS, "seeds", work / "cli", env)
    started = time.monotonic()
    apis, workers = start_processes(args.api_processes, work, env)
    try:
        for api in apis:
            wait_ready(api, timeout=300)
        ready_s = time.monotonic() - started
        bases = [api.base_url or "" for api in apis]
        with httpx.Client(base_url=bases[0], timeout=60) as http:
            seeds = wait_job(http, seeds_job, timeout=900)
        for base in bases:
            wait_caught_up(base, seeds["chunks"], questions[0])
        asyncio.run(warm_up_all(bases, questions[0]))
        synthetic = work / "synthetic"
        synthetic.mkdir()
        for i, text in enumerate(synthetic_documents(args.files, 6, seed=1)):
            (synthetic / f"synthetic{i:04d}.txt").write_text(text, encoding="utf-8")
        job_id = enqueue_cli(synthetic, "synthetic", work / "cli", env)
        share = args.ask_share
        mix = (1 - share, share * (1 - args.stream_share), share * args.stream_share)
        at_start = load_average()
        result = asyncio.run(
            run_load(
                {api.name: api.base_url or "" for api in apis},
                questions,
                job_id,
                args.clients,
                mix,
                args.seconds,
                args.max_requests,
                args.timeout,
            )
        )
        at_end = load_average()
    except BaseException:
        for proc in [*apis, *workers]:
            print(f"--- {proc.name} (end of its log)\n{log_tail(proc)}", file=sys.stderr)
        raise
    finally:
        for proc in [*apis, *workers]:
            proc.stop()
    if result["errors"]:  # the logs go with the temporary folder: show why now
        for proc in [*apis, *workers]:
            print(f"--- {proc.name} (its log)\n{log_tail(proc, 400)}", file=sys.stderr)
    return {
        "benchmark": "load",
        "machine": machine(),
        "load_average_1_5_15_min": {"load_start": at_start, "load_end": at_end},
        "database": args.database,
        "api_processes": len(apis),
        "worker": "separate `kotae worker`" if workers else "in-process",
        "clients": args.clients,
        "mix_search_ask_stream": [round(x, 3) for x in mix],
        "torch_threads": args.torch_threads,
        "processes_ready_s": round(ready_s, 1),
        "seed_corpus": {"files": seeds["files_total"], "chunks": seeds["chunks"]},
        **result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("KOTAE_TEST_DATABASE_URL", POSTGRES),
        help="an existing database; the run creates a fresh one next to it and drops it",
    )
    parser.add_argument(
        "--api-processes",
        type=int,
        default=None,
        help="1: kotae serve with its in-process worker; N > 1: N kotae serve --no-worker and "
        "one kotae worker (default: 1 on SQLite, 2 on PostgreSQL)",
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--files", type=int, default=200, help="synthetic files ingested meanwhile")
    parser.add_argument("--ask-share", type=float, default=0.3, help="share of /v1/ask requests")
    parser.add_argument(
        "--stream-share", type=float, default=0.5, help="share of the asks that are streamed"
    )
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--timeout", type=float, default=120, help="per request, seconds")
    parser.add_argument("--torch-threads", type=int, default=1, help="for every process")
    args = parser.parse_args()
    if args.api_processes is None:
        args.api_processes = 2 if args.database == "postgres" else 1
    if min(args.api_processes, args.clients, args.files) < 1 or args.seconds <= 0:
        parser.error("--api-processes, --clients, --files and --seconds must be positive")
    if not (0 <= args.ask_share <= 1 and 0 <= args.stream_share <= 1):
        parser.error("--ask-share and --stream-share are shares between 0 and 1")

    # Only what this benchmark sets reaches the processes (no generator: extractive answers).
    for name in [k for k in os.environ if k.startswith("KOTAE_")]:
        del os.environ[name]
    questions = [json.loads(line)["q"] for line in DEV_QA.read_text("utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory(prefix="kotae-load-") as tmp:
        work = Path(tmp)
        if args.database == "sqlite":
            report = run(args, work, f"sqlite:///{work / 'kotae.db'}", questions)
        else:
            try:
                url = new_postgres_database(args.postgres_url, prefix="kotae_load")
            except OperationalError as e:
                sys.exit(f"no PostgreSQL at {args.postgres_url} (bash .ci/postgres.sh): {e}")
            try:
                report = run(args, work, url, questions)
            finally:
                drop_postgres_database(args.postgres_url, url)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
