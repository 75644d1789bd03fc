import numpy as np
import pytest

from retriever.corpus import Corpus
from retriever.errors import DocumentNotFound
from retriever.indexes import pending_changes
from retriever.records import Change, NewChunk, NewDocument

pytestmark = pytest.mark.unit


def chunk(text: str, start: int = 0, vector: float = 1.0) -> NewChunk:
    return NewChunk(text, start, start + len(text), 1, 1, len(text), np.full(4, vector, np.float32))


def store(corpus: Corpus, source: str, texts: list[str], content_hash: str = "h1") -> int:
    stored = corpus.store_document(
        NewDocument(
            collection="c",
            source=source,
            title="T",
            mime="text/plain",
            content_hash=content_hash,
            size=10,
            page_offsets=[0],
            text_version=1,
        ),
        [chunk(t) for t in texts],
    )
    return stored.document_id


def test_store_replace_and_delete_write_the_change_log(migrated_url):
    corpus = Corpus(migrated_url)
    doc = store(corpus, "a.txt", ["one", "two"])
    assert corpus.get_document(doc).chunks == 2
    first_ids = sorted(corpus.chunk_ids())
    store(corpus, "a.txt", ["three"], content_hash="h2")
    second_ids = sorted(corpus.chunk_ids())
    assert len(second_ids) == 1 and second_ids[0] not in first_ids  # ids are never reused
    corpus.delete_document(doc)
    assert len(corpus.chunk_ids()) == 0
    ops = [(c.op, c.chunk_id) for c in corpus.changes_since(0)]
    assert ops == [
        ("add", first_ids[0]),
        ("add", first_ids[1]),
        ("delete", first_ids[0]),
        ("delete", first_ids[1]),
        ("add", second_ids[0]),
        ("delete", second_ids[0]),
    ]
    seqs = [c.seq for c in corpus.changes_since(0)]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    with pytest.raises(DocumentNotFound):
        corpus.get_document(doc)


def test_failure_never_replaces_a_good_version(migrated_url):
    corpus = Corpus(migrated_url)
    doc = store(corpus, "a.txt", ["one"])
    corpus.record_failure(collection="c", source="a.txt", content_hash="x", size=1, error="bad")
    info = corpus.get_document(doc)
    assert (info.status, info.chunks, info.content_hash) == ("ready", 1, "h1")
    corpus.record_failure(collection="c", source="b.txt", content_hash="x", size=1, error="bad")
    failed = [d for d in corpus.list_documents() if d.source == "b.txt"]
    assert failed[0].status == "failed" and failed[0].error == "bad"


def test_filters_and_chunk_lookup(migrated_url):
    corpus = Corpus(migrated_url)
    a = store(corpus, "a.txt", ["one", "two"])
    corpus.store_document(
        NewDocument(
            collection="other",
            source="b.txt",
            title="B",
            mime="text/plain",
            content_hash="h",
            size=1,
            page_offsets=[0],
            text_version=1,
        ),
        [chunk("three")],
    )
    assert len(corpus.chunk_ids(collection="c")) == 2
    assert len(corpus.chunk_ids(collection="other")) == 1
    assert len(corpus.chunk_ids(document_ids=[a])) == 2
    ids = corpus.chunk_ids().tolist()
    records = corpus.chunks_by_ids(ids)
    assert {r.text for r in records.values()} == {"one", "two", "three"}
    batches = list(corpus.iter_chunks(ids))
    assert sum(len(b[0]) for b in batches) == 3 and batches[0][2].shape[1] == 4


def test_texts_containing_a_fragment_within_documents(migrated_url):
    corpus = Corpus(migrated_url)
    a = store(corpus, "a.txt", ["LibreOffice Calc の関数", "CELL 関数", "100% 確実"])
    b = store(corpus, "b.txt", ["calc elsewhere"], content_hash="h2")
    assert corpus.texts_containing([a], "CALC") == ["LibreOffice Calc の関数"]  # case aside
    assert corpus.texts_containing([a, b], "calc", limit=5) != []
    assert len(corpus.texts_containing([a, b], "calc", limit=1)) == 1
    assert corpus.texts_containing([b], "関数") == []  # other documents only
    # LIKE's wildcards are plain characters here.
    assert corpus.texts_containing([a], "0%") == ["100% 確実"]
    assert corpus.texts_containing([a], "_") == []
    assert corpus.texts_containing([], "calc") == [] and corpus.texts_containing([a], "") == []


def test_pending_changes_last_op_wins():
    changes = [
        Change(1, "add", 1),
        Change(2, "add", 2),
        Change(3, "delete", 1),
        Change(4, "add", 3),
        Change(5, "delete", 3),
        Change(6, "add", 3),
    ]
    adds, removes = pending_changes(changes)
    assert adds == {2, 3} and removes == {1}
