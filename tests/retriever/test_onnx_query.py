"""The ONNX Runtime question encoder against the torch model it stands in for (real model,
real export, real ONNX Runtime), and the fallback rules when it cannot be had."""

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from app.errors import ConfigurationError
from app.model_files import query_encoder_for
from app.settings import Settings
from retriever.e5_convert import build_e5_small
from retriever.embedder import SentenceEmbedder
from retriever.onnx_query import OnnxQueryEncoder, export_query_onnx, supported_pooling

QUESTIONS = [
    "最初のGPTは何層のデコーダを重ねていますか？",
    "日本語版Wikipediaのトークン数は？",
    "How many parameters does the model have?",
    "灯台はいつ初めて点灯しましたか",
    "りんごの収穫量",
]
PASSAGES = [
    "岬の灯台は1902年に初めて点灯しました。",
    "この農園では毎年秋に約4000キロのりんごを収穫します。",
    "GPTはTransformerのデコーダを12層重ねたモデルです。",
    "Wikipedia (ja) は約0.5Bトークンです。",
    "The model has 175 billion parameters.",
]


@pytest.fixture(scope="module")
def embedder(model_cache_dir):
    return SentenceEmbedder(build_e5_small(model_cache_dir / "multilingual-e5-small"), "cpu")


@pytest.fixture(scope="module")
def onnx_encoder(embedder):
    path = export_query_onnx(embedder.path)
    return OnnxQueryEncoder(path, embedder.tokenizer, "mean", embedder.max_tokens, threads=1)


@pytest.mark.integration
def test_onnx_question_vectors_equal_torch_ones(embedder, onnx_encoder):
    reference = embedder.encode_queries(QUESTIONS)  # no query encoder attached: torch
    prompted = [embedder.query_prompt + q for q in QUESTIONS]
    fast = onnx_encoder.encode(prompted)
    assert fast.shape == reference.shape and fast.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosines = (fast * reference).sum(axis=1)
    assert cosines.min() > 0.9999, cosines  # the same fp32 graph, another runtime


@pytest.mark.integration
def test_onnx_questions_rank_passages_like_torch(embedder, onnx_encoder):
    passages = embedder.encode_passages(PASSAGES)
    torch_order = np.argsort(-(embedder.encode_queries(QUESTIONS) @ passages.T), axis=1)
    embedder.use_query_encoder(onnx_encoder)
    try:
        onnx_order = np.argsort(-(embedder.encode_queries(QUESTIONS) @ passages.T), axis=1)
    finally:
        embedder.use_query_encoder(None)
    assert (torch_order == onnx_order).all()


@pytest.mark.integration
def test_auto_uses_onnx_on_cpu_and_torch_when_asked(embedder, onnx_encoder):
    assert isinstance(query_encoder_for(embedder, Settings(query_encoder="auto")), OnnxQueryEncoder)
    assert query_encoder_for(embedder, Settings(query_encoder="torch")) is None


@pytest.mark.integration
def test_a_model_the_encoder_cannot_pool_falls_back_or_fails(embedder, tmp_path, caplog):
    class Odd:
        device = "cpu"
        name = "odd"
        path = tmp_path  # no modules.json: pooling unknown

    with caplog.at_level(logging.WARNING):
        assert query_encoder_for(Odd(), Settings(query_encoder="auto")) is None  # type: ignore[arg-type]
    assert "embedded with torch" in caplog.text
    with pytest.raises(ConfigurationError, match="KOTAE_QUERY_ENCODER=onnx"):
        query_encoder_for(Odd(), Settings(query_encoder="onnx"))  # type: ignore[arg-type]


def write_modules(folder: Path, types: list[str], pooling: dict[str, bool]) -> Path:
    modules = [
        {"idx": i, "name": str(i), "path": f"{i}_{t}" if i else "", "type": f"st.models.{t}"}
        for i, t in enumerate(types)
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    for m in modules:
        if m["type"].endswith("Pooling"):
            (folder / m["path"]).mkdir()
            (folder / m["path"] / "config.json").write_text(json.dumps(pooling))
    return folder


PLAIN = ["Transformer", "Pooling", "Normalize"]
MEAN = {"pooling_mode_mean_tokens": True}


@pytest.mark.unit
@pytest.mark.parametrize(
    ("types", "pooling", "expected"),
    [
        (PLAIN, MEAN, "mean"),
        (PLAIN, {"pooling_mode_cls_token": True}, "cls"),
        (PLAIN, {"pooling_mode_max_tokens": True}, None),
        (["Transformer", "Pooling"], MEAN, None),  # not normalized
        (["Transformer", "Pooling", "Dense", "Normalize"], MEAN, None),
    ],
)
def test_supported_pooling(tmp_path, types, pooling, expected):
    assert supported_pooling(write_modules(tmp_path, types, pooling)) == expected


@pytest.mark.integration
def test_kotae_builds_the_question_encoder_on_the_first_question_only(tmp_path, model_cache_dir):
    from app.kotae import Kotae

    kotae = Kotae(Settings(data_dir=tmp_path, model_cache_dir=model_cache_dir))
    kotae.embedder.encode_passages(["ingest needs no question encoder"])
    assert kotae.embedder.query_encoder is None
    kotae.embedder.encode_queries(["最初の質問"])
    assert isinstance(kotae.embedder.query_encoder, OnnxQueryEncoder)
    kotae.close()
