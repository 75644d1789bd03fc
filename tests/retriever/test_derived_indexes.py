"""DerivedIndexes through the VectorIndex protocol: the same walk with real FAISS and with a
tiny in-memory store (a second store is one class), and catch-ups that never make a search
wait while they read and tokenize."""

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pytest

from retriever.corpus import Corpus
from retriever.faiss_index import FaissIndex
from retriever.indexes import CORPUS_ID_KEY, EMBEDDING_MODEL_KEY, DerivedIndexes
from retriever.records import NewChunk, NewDocument
from retriever.vector_index import OneKind, VectorStores
from tests.conftest import migrate

pytestmark = pytest.mark.unit

DIM = 8


class NumpyIndex:
    """Exhaustive inner product over a dict of vectors: everything a store needs to be."""

    def __init__(self) -> None:
        self.vectors: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.vectors)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.vectors.update(zip(ids.tolist(), np.asarray(vectors, np.float32), strict=True))

    def remove(self, ids: Iterable[int]) -> None:
        for chunk_id in ids:
            self.vectors.pop(int(chunk_id), None)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        ids = [i for i in self.vectors if allowed is None or i in set(allowed.tolist())]
        scored = [(i, float(self.vectors[i] @ query)) for i in ids]
        return sorted(scored, key=lambda hit: (-hit[1], hit[0]))[:k]

    def save(self, path: Path) -> None:
        with path.open("wb") as f:  # np.savez would add a suffix to the name
            np.savez(f, ids=np.array(list(self.vectors), np.int64), vectors=self._matrix())

    def load(self, path: Path) -> None:
        with np.load(path) as data:
            if data["vectors"].shape[1:] != (DIM,):
                raise ValueError(f"{path} is not a {DIM}-dimensional snapshot")
            self.vectors = dict(zip(data["ids"].tolist(), data["vectors"], strict=True))

    def _matrix(self) -> np.ndarray:
        return np.stack(list(self.vectors.values())) if self.vectors else np.zeros((0, DIM))


STORES: dict[str, VectorStores] = {
    "faiss": OneKind(lambda: FaissIndex(DIM, use_gpu=False)),
    "numpy": OneKind(NumpyIndex),
}


def vector(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def store(corpus: Corpus, source: str, texts: list[str], seed: int) -> int:
    chunks = [
        NewChunk(t, 0, len(t), 1, 1, len(t.split()), vector(seed + i)) for i, t in enumerate(texts)
    ]
    stored = corpus.store_document(
        NewDocument(
            collection="c",
            source=source,
            title=source,
            mime="text/plain",
            content_hash=source,
            size=1,
            page_offsets=[0],
            text_version=1,
        ),
        chunks,
    )
    return stored.document_id


def open_indexes(
    corpus: Corpus,
    directory: Path,
    vector_stores: VectorStores,
    tokenize: Callable[[str], list[str]] = str.split,
    tokenizer_name: str = "split",
) -> DerivedIndexes:
    return DerivedIndexes(
        corpus,
        directory,
        DIM,
        "test-model",
        tokenize,
        vector_stores,
        poll_interval=60.0,
        tokenizer_name=tokenizer_name,
    ).open()


def test_a_snapshot_made_under_other_tokenizer_rules_is_rebuilt(tmp_path):
    """Upgrading the tokenizer needs no command: terms indexed under the old rules would
    never meet a question tokenized under the new ones."""
    corpus = Corpus(migrate(f"sqlite:///{tmp_path / 'kotae.db'}"))
    store(corpus, "a.txt", ["Alpha beta"], seed=1)
    open_indexes(corpus, tmp_path / "index", STORES["faiss"]).save()

    def lower(text: str) -> list[str]:
        return text.lower().split()

    same_name = open_indexes(corpus, tmp_path / "index", STORES["faiss"], lower, "split")
    assert same_name.keyword_search("alpha", 5, None) == []  # the snapshot was trusted
    renamed = open_indexes(corpus, tmp_path / "index", STORES["faiss"], lower, "lower")
    assert len(renamed.keyword_search("alpha", 5, None)) == 1


@pytest.mark.parametrize("store_name", sorted(STORES))
def test_replay_delete_snapshot_and_rebuild_through_the_protocol(tmp_path, store_name):
    vector_stores = STORES[store_name]
    corpus = Corpus(migrate(f"sqlite:///{tmp_path / 'kotae.db'}"))
    first = store(corpus, "a.txt", ["alpha beta", "gamma"], seed=1)
    indexes = open_indexes(corpus, tmp_path / "index", vector_stores)
    assert indexes.chunk_count == 2
    store(corpus, "b.txt", ["delta alpha"], seed=3)
    assert indexes.catch_up(force=True) == 1
    assert indexes.dense_search(vector(3), 1, None)[0][1] == pytest.approx(1.0, abs=1e-3)
    assert len(indexes.keyword_search("alpha", 5, None)) == 2

    indexes.save()
    corpus.delete_document(first)  # after the snapshot: replayed when reopened
    reopened = open_indexes(corpus, tmp_path / "index", vector_stores)
    assert reopened.seq == corpus.last_seq() and reopened.chunk_count == 1
    assert [cid for cid, _ in reopened.keyword_search("alpha", 5, None)] == list(corpus.chunk_ids())
    assert reopened.rebuild() == 1


def test_a_search_runs_while_a_catch_up_reads_and_tokenizes(tmp_path):
    tokenizing = threading.Event()
    release = threading.Event()

    def slow_tokenize(text: str) -> list[str]:
        if "slow" in text:  # the catch-up thread tokenizing the new chunk
            tokenizing.set()
            assert release.wait(30)
        return text.split()

    corpus = Corpus(migrate(f"sqlite:///{tmp_path / 'kotae.db'}"))
    store(corpus, "a.txt", ["alpha beta"], seed=1)
    (first_chunk,) = corpus.chunk_ids().tolist()
    indexes = open_indexes(corpus, tmp_path / "index", STORES["faiss"], slow_tokenize)
    indexes.poll_interval = 0.0  # every search looks at the log
    store(corpus, "b.txt", ["slow alpha"], seed=2)
    catch_up = threading.Thread(target=indexes.catch_up, kwargs={"force": True})
    catch_up.start()
    try:
        assert tokenizing.wait(30)
        applied: list[int] = []
        hits: list[list[tuple[int, float]]] = []

        def search() -> None:
            applied.append(indexes.catch_up())  # a search's own look at the log: skipped
            hits.append(indexes.dense_search(vector(1), 5, None))
            hits.append(indexes.keyword_search("alpha", 5, None))

        searcher = threading.Thread(target=search)
        searcher.start()
        searcher.join(10)
        assert not searcher.is_alive(), "the search waited for the catch-up"
        # It saw the indexes as they were before the catch-up.
        assert applied == [0]
        assert [[cid for cid, _ in found] for found in hits] == [[first_chunk], [first_chunk]]
    finally:
        release.set()
        catch_up.join(30)
    assert indexes.seq == corpus.last_seq()
    assert len(indexes.keyword_search("alpha", 5, None)) == 2


def test_concurrent_catch_ups_apply_each_change_once(tmp_path):
    corpus = Corpus(migrate(f"sqlite:///{tmp_path / 'kotae.db'}"))
    indexes = open_indexes(corpus, tmp_path / "index", STORES["faiss"])
    for i in range(20):
        store(corpus, f"{i}.txt", [f"word{i} common", "common"], seed=10 * i)
    applied: list[int] = []
    threads = [
        threading.Thread(target=lambda: applied.append(indexes.catch_up(force=True)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(applied) == [0, 0, 0, 40]
    assert indexes.chunk_count == 40 and len(indexes.keyword) == 40


@pytest.mark.integration  # a real PostgreSQL server too
def test_processes_opening_a_fresh_database_together_all_come_up(tmp_path, database_url):
    """Every API process and worker opens the indexes at start. Started together on a new
    database, each once tried to store the model and corpus id and all but one failed on the
    unique key (an API process then stayed unready for good)."""
    url = migrate(database_url)
    openers = 8
    start = threading.Barrier(openers)
    failures: list[BaseException] = []
    corpus_ids: list[str | None] = []

    def open_one(i: int) -> None:
        corpus = Corpus(url)
        start.wait(timeout=60)
        try:
            open_indexes(corpus, tmp_path / f"index-{i}", STORES["numpy"])
            corpus_ids.append(corpus.get_meta(CORPUS_ID_KEY))
        except Exception as e:  # every failure is the finding
            failures.append(e)

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(openers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert len(corpus_ids) == openers and corpus_ids[0] is not None
    assert set(corpus_ids) == {corpus_ids[0]}
    assert Corpus(url).get_meta(EMBEDDING_MODEL_KEY) == f"test-model:{DIM}"
