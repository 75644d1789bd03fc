"""The question side of the embedding model on ONNX Runtime, for CPUs.

A question is one short text, and at batch size 1 PyTorch spends over half of a call on
per-operator overhead: the same fp32 graph on ONNX Runtime gives the same vectors several
times faster (bench/query.py measures it; docs/benchmarks.md has the figures). int8 weights
were measured too and left out: a little faster, but they move cosines enough to cross the
calibrated abstention threshold. Passages stay on sentence-transformers: they come in
batches.

The export lives in the model folder under `onnx/`, written atomically.
"""

import json
import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

QUERY_ONNX_NAME = "kotae-query.onnx"

log = logging.getLogger(__name__)


def supported_pooling(model_dir: Path) -> str | None:
    """ "mean" or "cls" when the folder is transformer → pooling → normalize, else None."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        types = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((model_dir / pooling_dir / "config.json").read_text())
    except (OSError, ValueError, KeyError, StopIteration):
        return None
    if types != ["Transformer", "Pooling", "Normalize"]:
        return None
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True}
    if modes == {"pooling_mode_mean_tokens"}:
        return "mean"
    if modes == {"pooling_mode_cls_token"}:
        return "cls"
    return None


def query_onnx_path(model_dir: Path) -> Path:
    return model_dir / "onnx" / QUERY_ONNX_NAME


def export_query_onnx(model_dir: Path) -> Path:
    """Export the model's transformer (token states out) to ONNX, once per model folder.

    Takes seconds, once; a crash or a concurrent export never leaves a half-written file.
    """
    import torch
    from transformers import AutoModel

    dest = query_onnx_path(model_dir)
    if dest.is_file():
        return dest
    log.info("exporting %s to ONNX for questions (once, ~10 s)", model_dir.name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            hidden: torch.Tensor = out.last_hidden_state
            return hidden

    example = torch.ones((1, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about Python-side shape checks
        exported = Path(tmp) / QUERY_ONNX_NAME
        torch.onnx.export(
            LastHiddenState(model),
            (example, example),
            str(exported),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: no onnxscript needed
        )
        exported.chmod(0o644)
        os.replace(exported, dest)
    return dest


class OnnxQueryEncoder:
    """Tokenize with the model's own tokenizer, run the ONNX graph, pool, L2-normalize."""

    def __init__(
        self,
        onnx_path: Path,
        tokenizer: Any,
        pooling: str,
        max_tokens: int,
        threads: int | None = None,
    ) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.max_tokens = max_tokens

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        batch = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="np",
        )
        mask = batch["attention_mask"].astype(np.int64)
        (hidden,) = self.session.run(
            None, {"input_ids": batch["input_ids"].astype(np.int64), "attention_mask": mask}
        )
        if self.pooling == "cls":
            vectors = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(vectors, dtype=np.float32)
