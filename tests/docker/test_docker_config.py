"""docker/: the compose stack's shape, and the image installing what CI installs."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
DOCKERFILE = DOCKER / "Dockerfile"
SERVICES = ("postgres", "vllm", "api", "worker")
VARIANT_STAGES = {"cpu": "base-cpu", "gpu": "base-gpu"}


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for keyword, args in self.instructions:
            if keyword == "ENV":
                values.update(dict(pair.split("=", 1) for pair in shlex.split(args)))
        return values

    def args_of(self, keyword: str) -> list[str]:
        return [args for k, args in self.instructions if k == keyword]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARGs and the stages, each with its instructions (continuations joined)."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # a comment inside a continued RUN does not end it
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else ""
            stages.append(Stage(name=name, base=parts[0]))
        elif not stages and keyword == "ARG":
            key, _, value = args.partition("=")
            global_args[key] = value
        else:
            stages[-1].instructions.append((keyword, args))
    return global_args, stages


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


@pytest.fixture(scope="module")
def dockerfile() -> tuple[dict[str, str], dict[str, Stage]]:
    global_args, stages = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
    return global_args, {stage.name: stage for stage in stages}


def ci_extras() -> set[str]:
    """The extras of CI's install line in .ci/run (`pip install ... -e '.[cpu,test]'`)."""
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    found = re.findall(r"pip install[^\n]*?-e\s+['\"]?\.\[([^\]]+)\]", text)
    assert len(found) == 1, f"expected one editable install with extras in .ci/run: {found}"
    return {extra.strip() for extra in found[0].split(",")}


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def command_words(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


def option(words: list[str], name: str) -> str:
    assert name in words, f"{name} missing from {words}"
    return words[words.index(name) + 1]


@pytest.mark.unit
def test_every_service_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    assert set(SERVICES) <= set(services)
    for name in SERVICES:
        check = services[name].get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable"), f"{name} disables its healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1, name
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert "/health'" in " ".join(services["vllm"]["healthcheck"]["test"])


@pytest.mark.unit
def test_worker_can_be_scaled(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]
    # Either would make `docker compose up --scale worker=3` fail on the second replica.
    assert "container_name" not in worker
    assert "ports" not in worker
    assert command_words(worker) == ["kotae", "worker"]


@pytest.mark.unit
def test_api_and_worker_run_one_image_build(services: dict[str, dict[str, Any]]) -> None:
    api, worker = services["api"], services["worker"]
    assert api["build"] == worker["build"]
    assert api["image"] == worker["image"]
    build = api["build"]
    assert (COMPOSE_FILE.parent / build["context"]).resolve() == ROOT
    assert (ROOT / build["dockerfile"]).resolve() == DOCKERFILE
    assert set(build["args"]) == {"VARIANT"}


@pytest.mark.unit
def test_api_serves_without_worker_once_its_dependencies_are_healthy(
    services: dict[str, dict[str, Any]],
) -> None:
    api = services["api"]
    words = command_words(api)
    assert words[:2] == ["kotae", "serve"]
    assert "--no-worker" in words
    assert option(words, "--host") == "0.0.0.0"
    port = option(words, "--port") if "--port" in words else "8000"
    assert any(str(p).endswith(f":{port}") for p in api["ports"])
    for dependency in ("postgres", "vllm"):
        assert api["depends_on"][dependency]["condition"] == "service_healthy"
    assert services["worker"]["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.unit
def test_kotae_points_at_the_stack(services: dict[str, dict[str, Any]]) -> None:
    vllm_words = command_words(services["vllm"])
    postgres_env = services["postgres"]["environment"]
    for name in ("api", "worker"):
        env = services[name]["environment"]
        url = env["KOTAE_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://")
        assert f"@postgres:5432/{postgres_env['POSTGRES_DB']}" in url
        assert env["KOTAE_GENERATOR_URL"] == "http://vllm:8000/v1"
        # The name Kotae asks for is the name vLLM serves.
        served = option(vllm_words, "--served-model-name")
        assert re.sub(r":\?.*\}$", "}", env["KOTAE_GENERATOR_MODEL"]) == served


@pytest.mark.unit
def test_vllm_serves_the_mounted_model_and_leaves_gpu_room(
    services: dict[str, dict[str, Any]],
) -> None:
    vllm = services["vllm"]
    assert vllm["image"].startswith("vllm/vllm-openai:")
    words = command_words(vllm)
    assert option(words, "--model").startswith("/models/${KOTAE_MODEL_NAME")
    assert option(words, "--max-model-len") == "${VLLM_MAX_MODEL_LEN:-8192}"
    assert option(words, "--gpu-memory-utilization") == "${VLLM_GPU_UTIL:-0.80}"
    assert "${KOTAE_MODEL_DIR:-./models}:/models:ro" in vllm["volumes"]
    # vLLM and the embedders in api/worker share one GPU.
    reservations = [
        services[name]["deploy"]["resources"]["reservations"]["devices"]
        for name in ("vllm", "api", "worker")
    ]
    assert reservations[0][0]["driver"] == "nvidia"
    assert reservations[0][0]["capabilities"] == ["gpu"]
    assert reservations[0] == reservations[1] == reservations[2]


@pytest.mark.unit
def test_data_and_models_are_shared_volumes(
    compose: dict[str, Any], services: dict[str, dict[str, Any]], dockerfile: Any
) -> None:
    _, stages = dockerfile
    cache_dir = stages["base"].env()["KOTAE_MODEL_CACHE_DIR"]
    declared = set(compose["volumes"])
    for name in ("api", "worker"):
        service = services[name]
        mounts = dict(str(v).split(":")[1::-1] for v in service["volumes"])
        data = mounts[service["environment"]["KOTAE_DATA_DIR"]]
        assert mounts[cache_dir] in declared
        assert data in declared
    assert services["api"]["volumes"] == services["worker"]["volumes"]
    assert any(
        str(v).endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"]
    )


@pytest.mark.unit
def test_image_installs_the_extras_ci_installs(dockerfile: Any) -> None:
    global_args, stages = dockerfile
    assert global_args["VARIANT"] == "cpu"
    assert stages["base"].base == "base-${VARIANT}"
    ci = ci_extras()
    expected = {
        "cpu": (ci - {"test"}) | {"postgres"},
        "gpu": (ci - {"test", "cpu"}) | {"gpu", "postgres"},
    }
    assert "cpu" in ci
    extras_defined = set(pyproject()["project"]["optional-dependencies"])
    for variant, stage_name in VARIANT_STAGES.items():
        extras = set(stages[stage_name].env()["INSTALL_EXTRAS"].split(","))
        assert extras == expected[variant], variant
        # pip only warns about an unknown extra, so a typo would silently drop packages.
        assert extras <= extras_defined, extras - extras_defined


@pytest.mark.unit
def test_dependencies_come_from_one_install_line(dockerfile: Any) -> None:
    _, stages = dockerfile
    installs = [
        (name, run)
        for name, stage in stages.items()
        for run in stage.args_of("RUN")
        if re.search(r"\bpip install\b", run)
    ]
    with_extras = [(name, run) for name, run in installs if ".[${INSTALL_EXTRAS}]" in run]
    assert len(with_extras) == 1, installs
    assert with_extras[0][0] == "deps"
    # Every other pip install adds only the app's own wheel, never a requirement.
    for name, run in installs:
        if (name, run) not in with_extras:
            assert "--no-deps" in run, run
    # The image builds torch at the version CI pins, so that pin must be exact.
    torch_pins = [r for r in pyproject()["project"]["optional-dependencies"]["cpu"] if "torch" in r]
    assert len(torch_pins) == 1 and re.fullmatch(r"torch==[\w.]+", torch_pins[0]), torch_pins


@pytest.mark.unit
def test_image_copies_every_package_and_the_context_lets_them_in(dockerfile: Any) -> None:
    _, stages = dockerfile
    copied = {args.split()[0] for args in stages["app"].args_of("COPY")}
    copied_dirs = {path for path in copied if "." not in path}
    patterns = pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.rstrip("*") for p in patterns}
    assert packages == copied_dirs
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    copied_anywhere = {
        path
        for stage in stages.values()
        for args in stage.args_of("COPY")
        if not args.startswith("--from")
        for path in args.split()[:-1]
    }
    assert copied_anywhere <= allowed, copied_anywhere - allowed


@pytest.mark.unit
def test_runtime_is_non_root_with_a_python_healthcheck(dockerfile: Any) -> None:
    _, stages = dockerfile
    runtime = stages["runtime"]
    user = runtime.args_of("USER")[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0
    (check,) = runtime.args_of("HEALTHCHECK")
    assert '"python"' in check and "/healthz" in check
    assert "CMD" in check
    assert runtime.args_of("CMD")[-1].startswith('["kotae", "serve"')


@pytest.mark.unit
def test_embedding_model_is_built_where_the_app_looks(dockerfile: Any) -> None:
    _, stages = dockerfile
    (build,) = stages["model"].args_of("RUN")
    assert "build_e5_small" in build and "KOTAE_MODEL_CACHE_DIR" in build
    folder = re.search(r"KOTAE_MODEL_CACHE_DIR'\], '([^']+)'", build)
    assert folder is not None, build
    # app/model_files.py resolves the default model as model_cache_dir / "<folder>".
    assert f'/ "{folder.group(1)}"' in (ROOT / "app" / "model_files.py").read_text(encoding="utf-8")


def compose_client_present() -> bool:
    tools = Path(os.environ.get("KOTAE_TOOLS_DIR", Path.home() / ".cache/kotae/tools"))
    if shutil.which("docker-compose") or (tools / "compose-v2" / "docker-compose").is_file():
        return True
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.integration
def test_validate_script_accepts_the_stack() -> None:
    if not compose_client_present():
        pytest.skip("no compose client (docker/validate.sh installs one; CI runs it first)")
    result = subprocess.run(
        ["bash", str(DOCKER / "validate.sh")],
        env={**os.environ, "KOTAE_DOCKER_NO_INSTALL": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "accepts docker/compose.yaml (services: api postgres vllm worker)" in output
