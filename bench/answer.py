"""The service's own overhead on /v1/ask: time to first token and total time, against the same
prompt sent straight to the generator, in the same run.

Starts a real vLLM CPU server (SmolLM2-135M, prepared by .ci/vllm.sh) and a real `kotae serve`
using it, ingests the seed corpus, then for each question streams /v1/ask and, with the very
messages Kotae built for it, streams /v1/chat/completions on vLLM directly. Each question is
asked once untimed first, so vLLM's prefix cache serves both timed calls alike.

    python bench/answer.py [--questions 8] [--max-tokens 24]
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SEEDS, machine
from tests.conftest import start_server, stop_server
from tests.vllm_server import SERVED_MODEL_NAME, run_vllm_server

QA = SEEDS.parent.parent / "eval" / "dev-ja.jsonl"


async def timed_stream(client: httpx.AsyncClient, url: str, body: dict, token_event: str) -> tuple:
    started = time.perf_counter()
    first = None
    async with client.stream("POST", url, json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if first is None and line.startswith(token_event) and '"content": ""' not in line:
                first = time.perf_counter() - started
    return first or 0.0, time.perf_counter() - started


async def measure(kotae_url: str, vllm_url: str, questions: list[str], max_tokens: int) -> dict:
    from app.asking import passages_for
    from app.kotae import Kotae
    from app.settings import Settings

    # The same settings as the server: this process only rebuilds the prompt it sent.
    local = Kotae(Settings())
    rows = []
    async with httpx.AsyncClient(timeout=300) as client:
        for q in questions:
            # Untimed first ask: vLLM's prefix cache then holds this prompt for both timed
            # calls, so neither pays the (slow, on CPU) prefill and only overheads differ.
            await timed_stream(
                client, f"{kotae_url}/v1/ask", {"question": q, "stream": True}, "event: token"
            )
            ask_ttft, ask_total = await timed_stream(
                client, f"{kotae_url}/v1/ask", {"question": q, "stream": True}, "event: token"
            )
            hits = await asyncio.to_thread(local.searching.search, q, 5)
            messages, _ = await local.answerer.prompt_for(q, passages_for(hits))
            body = {
                "model": SERVED_MODEL_NAME,
                "messages": messages,
                "stream": True,
                "max_tokens": max_tokens,
                "temperature": 0.0,
            }
            gen_ttft, gen_total = await timed_stream(
                client, f"{vllm_url}/chat/completions", body, "data: {"
            )
            rows.append((ask_ttft, ask_total, gen_ttft, gen_total))
    await local.aclose()

    def median(i: int) -> float:
        return round(statistics.median(r[i] for r in rows) * 1000, 1)

    return {
        "questions": len(rows),
        "ask_ttft_ms": median(0),
        "ask_total_ms": median(1),
        "generator_ttft_ms": median(2),
        "generator_total_ms": median(3),
        "overhead_ttft_ms": round(statistics.median((r[0] - r[2]) * 1000 for r in rows), 1),
        "overhead_total_ms": round(statistics.median((r[1] - r[3]) * 1000 for r in rows), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=24)
    args = parser.parse_args()
    questions = [json.loads(line)["q"] for line in QA.read_text().splitlines() if line.strip()]
    questions = questions[: args.questions]
    data_dir = Path(tempfile.mkdtemp())
    with run_vllm_server() as vllm_url:
        env = {
            "KOTAE_GENERATOR_URL": vllm_url,
            "KOTAE_GENERATOR_MODEL": SERVED_MODEL_NAME,
            "KOTAE_GENERATOR_MAX_TOKENS": str(args.max_tokens),
            "KOTAE_GENERATOR_TIMEOUT": "300",
        }
        os.environ.update({**env, "KOTAE_DATA_DIR": str(data_dir)})
        from app.kotae import Kotae
        from app.settings import Settings
        from ingest.pipeline import DEFAULT_COLLECTION

        seeded = Kotae(Settings())
        seeded.ingesting.ingest([SEEDS], DEFAULT_COLLECTION)
        seeded.close()
        server = start_server(data_dir, env)
        try:
            result = asyncio.run(measure(server.base_url, vllm_url, questions, args.max_tokens))
        finally:
            stop_server(server)
    print(json.dumps({"machine": machine(), **result}, indent=2))


if __name__ == "__main__":
    main()
