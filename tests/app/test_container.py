"""The container passes every retrieval setting to the parts it builds (app/kotae.py)."""

import logging
import threading
import time

import pytest

from app.kotae import Kotae, part
from app.settings import Settings
from retriever.e5_convert import build_e5_small
from retriever.jmdict import JmdictDictionary
from retriever.keyword_bridge import KeywordBridge
from retriever.reranker import CrossEncoderReranker

pytestmark = pytest.mark.integration


def test_retrieval_settings_reach_the_retriever_and_the_services(tmp_path, model_cache_dir):
    model = build_e5_small(model_cache_dir / "multilingual-e5-small")
    settings = Settings(
        data_dir=tmp_path,
        model_cache_dir=model_cache_dir,
        reranker_model=model,  # any local CrossEncoder folder will do
        fusion="weighted",
        dense_weight=0.3,
        candidates=7,
        top_k=3,
        search_top_k=4,
        index_poll_interval=2.5,
    )
    kotae = Kotae(settings)
    try:
        retriever = kotae.retriever
        assert (retriever.fusion, retriever.dense_weight, retriever.candidates) == (
            "weighted",
            0.3,
            7,
        )
        assert isinstance(retriever.reranker, CrossEncoderReranker)
        assert retriever.keyword_bridge is not None
        assert retriever.keyword_bridge is kotae.keyword_bridge
        assert kotae.indexes.poll_interval == 2.5
        # A tokenizer upgrade rebuilds the keyword index (tests/retriever/test_derived_indexes)
        assert kotae.indexes.tokenizer_name == kotae.tokenizer.name
        assert kotae.searching.default_k == 4 and kotae.asking.default_k == 3
        assert kotae.searching.search("灯台の高さ") == []  # an empty corpus, through the reranker
    finally:
        kotae.close()


def test_parts_are_built_once_and_only_when_used(tmp_path, model_cache_dir):
    kotae = Kotae(Settings(data_dir=tmp_path, model_cache_dir=model_cache_dir))
    try:
        assert kotae.documents.list() == []  # listing needs no model
        assert "embedder" not in kotae.built
        kotae.warm_up()
        assert {"embedder", "indexes"} <= set(kotae.built)
        assert kotae.embedder is kotae.embedder and kotae.indexes is kotae.indexes
    finally:
        kotae.close()


def test_keyword_bridge_setting(tmp_path, monkeypatch, caplog):
    on = Kotae(
        Settings(data_dir=tmp_path / "on", keyword_bridge_weight=0.3, keyword_bridge_alternatives=2)
    )
    off = Kotae(Settings(data_dir=tmp_path / "off", keyword_bridge=False))
    try:
        assert isinstance(on.keyword_bridge, KeywordBridge)
        assert (on.keyword_bridge.weight, on.keyword_bridge.max_alternatives) == (0.3, 2)
        assert on.keyword_bridge.tokenizer is on.tokenizer
        assert off.keyword_bridge is None
    finally:
        on.close()
        off.close()
    # Without the dictionary the bridge is off, with a log line.
    monkeypatch.setattr(JmdictDictionary, "installed", classmethod(lambda cls: None))
    missing = Kotae(Settings(data_dir=tmp_path / "missing"))
    try:
        with caplog.at_level(logging.WARNING, logger="app.kotae"):
            assert missing.keyword_bridge is None
        assert "jamdict-data" in caplog.text
    finally:
        missing.close()


@pytest.mark.unit
def test_a_part_is_built_once_when_threads_ask_together():
    calls = []

    class Box:
        def __init__(self) -> None:
            self.build_lock = threading.RLock()
            self.built: dict[str, object] = {}

        @part
        def model(self) -> object:
            calls.append(1)
            time.sleep(0.05)  # long enough for every thread to ask meanwhile
            return object()

    box = Box()
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(box.model)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(m) for m in seen}) == 1
