"""Heading paths through the real pipeline: stored with each chunk, embedded and keyword-indexed
with it (the bundled model, real FAISS and SQLite), returned with hits; and documents made with
older text rules are re-processed by the next ingest of the same file."""

import pytest
from sqlalchemy import update

from ingest.ocr import NO_OCR
from ingest.pipeline import IngestPipeline
from ingest.records import TEXT_VERSION, FileInput
from retriever.corpus import Corpus
from retriever.e5_convert import build_e5_small
from retriever.embedder import SentenceEmbedder
from retriever.schema import DocumentRow
from retriever.search import HybridRetriever
from tests.conftest import migrate
from tests.retriever.test_hybrid_search import open_indexes

pytestmark = pytest.mark.integration

MB = 1024 * 1024


def setting(name: str, default: str) -> str:
    # The same sentences in both sections: only the heading says which setting they are about.
    return f"""<h2>{name}</h2>
<p>This parameter can only be set in the configuration file or on the server command line.</p>
<p>Increasing it reduces the work done after a crash, at the cost of more disk traffic.</p>
<p>Reducing it makes recovery faster but writes the same pages more often.</p>
<p>The default is {default}.</p>"""


PAGE = f"""<html><head><title>Write Ahead Log</title></head><body>
<nav>Prev | Up | Next</nav>
<h1>Write Ahead Log</h1>
{setting("checkpoint_timeout", "five minutes")}
{setting("wal_writer_delay", "200 milliseconds")}
</body></html>""".encode()


@pytest.fixture(scope="module")
def embedder(model_cache_dir):
    return SentenceEmbedder(build_e5_small(model_cache_dir / "multilingual-e5-small"), "cpu")


def pipeline(corpus: Corpus, embedder: SentenceEmbedder) -> IngestPipeline:
    return IngestPipeline(
        corpus,
        embedder,
        chunk_tokens=24,
        overlap_tokens=0,
        embed_batch_chunks=64,
        max_file_bytes=MB,
        max_text_chars=MB,
        max_unzipped_bytes=MB,
        ocr=NO_OCR,
    )


def test_a_chunk_is_found_by_its_section_heading(tmp_path, embedder):
    corpus = Corpus(migrate(f"sqlite:///{tmp_path / 'kotae.db'}"))
    report = pipeline(corpus, embedder).ingest_files([FileInput("wal.html", "wal.html", PAGE)], 1)
    assert report.count("added") == 1
    indexes = open_indexes(corpus, tmp_path, embedder)
    retriever = HybridRetriever(
        corpus,
        embedder,
        indexes,
        fusion="rrf",
        dense_weight=0.5,
        candidates=50,
        reranker=None,
        keyword_bridge=None,
        keep_leaders=True,
    )
    for name, default in (("checkpoint_timeout", "five"), ("wal_writer_delay", "200")):
        hits = retriever.search(f"What is the default of {name}?", 10)
        answer = next(h for h in hits if "The default is" in h.chunk.text)
        assert default in answer.chunk.text
        assert name not in answer.chunk.text  # found through its heading path alone
        assert answer.chunk.context == f"Write Ahead Log › {name}"
    assert all("Prev" not in h.chunk.text for h in retriever.search("Prev Up Next", 10))


def test_a_document_of_older_text_rules_is_processed_again(tmp_path, embedder):
    corpus = Corpus(migrate(f"sqlite:///{tmp_path / 'kotae.db'}"))
    ingest = pipeline(corpus, embedder)
    item = FileInput("wal.html", "wal.html", PAGE)
    first = ingest.ingest_files([item], 1).files[0]
    assert ingest.ingest_files([item], 1).files[0].outcome == "unchanged"
    with corpus.session() as session, session.begin():
        session.execute(update(DocumentRow).values(text_version=TEXT_VERSION - 1))
    again = ingest.ingest_files([item], 1).files[0]
    assert (again.outcome, again.document_id, again.chunks) == (
        "updated",
        first.document_id,
        first.chunks,
    )
    assert corpus.get_document(first.document_id).text_version == TEXT_VERSION
    assert ingest.ingest_files([item], 1).files[0].outcome == "unchanged"


def test_reindex_reembed_reprocesses_outdated_documents_from_their_originals(
    tmp_path, model_cache_dir
):
    from app.kotae import Kotae
    from app.settings import Settings

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "wal.html").write_bytes(PAGE)
    (folder / "gone.md").write_text("# Gone\n\nThis file will be deleted.\n")
    kotae = Kotae(Settings(data_dir=tmp_path / "data", model_cache_dir=model_cache_dir))
    try:
        kotae.ingesting.ingest([folder], "default")
        uploaded = kotae.queueing.blobs.put(b"# Uploaded\n\nKept as an original.\n")
        kotae.ingesting.pipeline.ingest_files(
            [FileInput("uploaded.md", "uploaded.md", b"# Uploaded\n\nKept as an original.\n")], 1
        )
        assert uploaded == kotae.corpus.find_document("default", "uploaded.md").content_hash
        (folder / "gone.md").unlink()
        with kotae.corpus.session() as session, session.begin():
            session.execute(update(DocumentRow).values(text_version=TEXT_VERSION - 1))
        assert kotae.corpus.count_outdated(TEXT_VERSION) == 3
        report = kotae.ingesting.reindex(reembed=True)
        assert sorted((o.source, o.outcome) for o in report.reprocessed) == [
            (str(folder / "wal.html"), "updated"),
            ("uploaded.md", "updated"),
        ]
        assert report.no_original == [str(folder / "gone.md")]
        assert [d.source for d in kotae.corpus.outdated_documents(TEXT_VERSION)] == [
            str(folder / "gone.md")
        ]
        assert kotae.corpus.count_outdated(TEXT_VERSION) == 1
        assert report.chunks == sum(d.chunks for d in kotae.corpus.list_documents())
        hits = kotae.searching.search("default of checkpoint_timeout")
        assert any(h.chunk.context.endswith("checkpoint_timeout") for h in hits)
    finally:
        kotae.close()


@pytest.mark.parametrize("neighbours", [0, 1])
def test_the_answerer_reads_a_chunk_with_its_neighbours_from_the_same_section(
    tmp_path, model_cache_dir, neighbours
):
    import asyncio

    from app.kotae import Kotae
    from app.settings import Settings

    (tmp_path / "wal.html").write_bytes(PAGE)
    settings = Settings(
        data_dir=tmp_path / "data",
        model_cache_dir=model_cache_dir,
        chunk_tokens=24,
        chunk_overlap_tokens=0,
        passage_neighbours=neighbours,
    )
    kotae = Kotae(settings)
    try:
        kotae.ingesting.ingest([tmp_path / "wal.html"], "default")
        result = asyncio.run(kotae.asking.ask("What is the default of checkpoint_timeout?"))
        first = result.hits[0].chunk
        section = kotae.corpus.section_neighbours(first.id, 5)
        assert {c.context for c in section} == {first.context}
        if neighbours:
            assert len(first.text) > len(kotae.corpus.chunks_by_ids([first.id])[first.id].text)
            assert all(len(h.chunk.text) <= settings.passage_max_chars for h in result.hits)
        else:
            assert first.text == kotae.corpus.chunks_by_ids([first.id])[first.id].text
        assert result.citations
        stored = kotae.corpus.chunks_by_ids(kotae.corpus.chunk_ids().tolist()).values()
        for citation in result.citations:  # exact document spans, widened or not
            holder = next(
                c
                for c in stored
                if c.char_start <= citation.char_start < citation.char_end <= c.char_end
            )
            cited = citation.text[citation.highlight_start : citation.highlight_end]
            assert cited == holder.text[citation.char_start - holder.char_start :][: len(cited)]
    finally:
        kotae.close()
