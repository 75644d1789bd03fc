"""Named configurations that bench/retrieval.py runs side by side on the same corpora.

A variant is Kotae with some Settings changed and/or some code swapped by a patch. Settings
are split by when they act: `ingest` ones change what is stored (each distinct ingest
configuration gets its own data dir, ingested once), `query` ones only how a question is
searched and answered (those variants reuse the data dir of their ingest configuration).
An ingest patch is in force while its data dir is ingested and while the variant's questions
run; a query patch only while they run.

To add one: a `Variant(...)` in VARIANTS below, or `--variant` on the command line for
settings alone (see `parse_variant`).
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

Patch = Callable[[], AbstractContextManager[None]]

WINDOW_CHARS = 400


@dataclass(frozen=True)
class Variant:
    name: str
    ingest: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    ingest_patch: Patch | None = None
    query_patch: Patch | None = None
    mode: str = "hybrid"  # hybrid | dense | keyword
    about: str = ""

    @property
    def ingest_key(self) -> tuple[Any, ...]:
        """Variants with equal keys store the same chunks, so they share one data dir."""
        patch = self.ingest_patch.__name__ if self.ingest_patch else None
        return (tuple(sorted((k, str(v)) for k, v in self.ingest.items())), patch)

    @property
    def ingest_name(self) -> str:
        """The ingest configuration's name, for its data dir: "defaults" when it has none."""
        parts = [self.ingest_patch.__name__] if self.ingest_patch else []
        parts += [f"{k}={v}" for k, v in sorted(self.ingest.items())]
        return "+".join(parts) or "defaults"

    @property
    def settings(self) -> dict[str, Any]:
        return {**self.ingest, **self.query}

    @contextmanager
    def patched(self, querying: bool) -> Iterator[None]:
        patches = [self.ingest_patch] + ([self.query_patch] if querying else [])
        with ExitStack() as stack:
            for patch in patches:
                if patch is not None:
                    stack.enter_context(patch())
            yield

    def check(self) -> None:
        """Settings ignores names it does not know; a misspelt one must not pass unnoticed."""
        from app.settings import Settings

        if unknown := sorted(set(self.settings) - set(Settings.model_fields)):
            raise ValueError(f"variant {self.name}: no such setting {', '.join(unknown)}")
        if self.mode not in ("hybrid", "dense", "keyword"):
            raise ValueError(f"variant {self.name}: mode {self.mode!r}")


def fixed_windows(
    pages: list[str],
    count_tokens: Callable[[str], int],
    max_tokens: int,
    overlap_tokens: int,
    sections: Any = (),
) -> list[Any]:
    """Issue 11's naive chunker, in `ingest.chunking.chunk_pages`' place: 400-character
    windows of the document's text, no sentence or heading awareness (`sections` ignored), no
    overlap."""
    from ingest.chunking import TextChunk
    from text.pages import join_pages, page_of

    text, offsets = join_pages(pages)
    windows = []
    for start in range(0, len(text), WINDOW_CHARS):
        end = min(start + WINDOW_CHARS, len(text))
        piece = text[start:end]
        if piece.strip():
            pages_of = page_of(offsets, start), page_of(offsets, end - 1)
            windows.append(TextChunk(piece, start, end, *pages_of, count_tokens(piece)))
    return windows


@contextmanager
def no_sections() -> Iterator[None]:
    """Chunks without heading paths and section bounds (text rules before version 2)."""
    import ingest.pipeline

    saved = ingest.pipeline.locate_sections, ingest.pipeline.context_at
    ingest.pipeline.locate_sections = lambda headings, text, offsets: []
    ingest.pipeline.context_at = lambda sections, text, start, end, title: ""
    try:
        yield
    finally:
        ingest.pipeline.locate_sections, ingest.pipeline.context_at = saved


@contextmanager
def no_unwrap() -> Iterator[None]:
    """Index terms and embeddings of the text as stored, lines wrapped inside words and all."""
    import retriever.records
    import retriever.tokenizer

    saved = retriever.records.unwrap_cjk_lines, retriever.tokenizer.unwrap_cjk_lines
    retriever.records.unwrap_cjk_lines = retriever.tokenizer.unwrap_cjk_lines = str
    try:
        yield
    finally:
        retriever.records.unwrap_cjk_lines, retriever.tokenizer.unwrap_cjk_lines = saved


@contextmanager
def naive_chunker() -> Iterator[None]:
    import ingest.pipeline

    chunker = ingest.pipeline.chunk_pages
    ingest.pipeline.chunk_pages = fixed_windows
    try:
        with no_sections():
            yield
    finally:
        ingest.pipeline.chunk_pages = chunker


# The naive baseline must stay issue 11's: when a new technique is on by default, switch it
# off here (a setting or a patch), or the ratios stop meaning "Kotae against the naive".
# It reads files with the same loaders (HTML navigation dropped alike): the same data.
NAIVE = Variant(
    "naive",
    query={"keyword_bridge": "off", "keep_leaders": "off"},
    ingest_patch=naive_chunker,
    about="fixed 400-character windows, same BM25 + e5 + RRF and answerer, no bridge",
)

VARIANTS = {
    v.name: v
    for v in (
        Variant("kotae", about="embedded defaults"),
        NAIVE,
        Variant("no-bridge", query={"keyword_bridge": "off"}, about="no keyword bridge"),
        Variant(
            "no-glossary", query={"keyword_glossary": "off"}, about="bridge without its glossary"
        ),
        Variant("no-leaders", query={"keep_leaders": "off"}, about="plain RRF top k"),
        Variant(
            "no-dense-translations",
            query={"dense_translations": "0"},
            about="FAISS asked the question alone",
        ),
        Variant("no-sections", ingest_patch=no_sections, about="no heading paths or sections"),
        Variant(
            "no-widen", query={"passage_neighbours": "0"}, about="answers read the chunk alone"
        ),
        Variant("no-unwrap", ingest_patch=no_unwrap, about="lines wrapped in CJK words not joined"),
        Variant(
            "sentence-chunks",
            query={"keyword_bridge": "off", "keep_leaders": "off"},
            ingest_patch=no_sections,
            about="neither: the sentence chunks alone",
        ),
        Variant("keyword-only", mode="keyword", about="BM25 alone"),
        Variant("dense-only", mode="dense", about="multilingual-e5 alone"),
    )
}


def parse_variant(spec: str) -> Variant:
    """`NAME:ingest.FIELD=VALUE,query.FIELD=VALUE,mode=keyword`, FIELD a Settings field or
    its KOTAE_ variable: `chunk200:ingest.chunk_tokens=200,ingest.KOTAE_CHUNK_OVERLAP_TOKENS=40`.
    Values are strings, converted by Settings' own validation."""
    name, _, body = spec.partition(":")
    if not name or not body:
        raise ValueError(f"--variant {spec!r}: expected NAME:ingest.FIELD=VALUE,...")
    ingest: dict[str, str] = {}
    query: dict[str, str] = {}
    mode = "hybrid"
    for item in body.split(","):
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"--variant {spec!r}: {item!r} has no '='")
        if key == "mode":
            mode = value
            continue
        when, _, setting = key.partition(".")
        if when not in ("ingest", "query") or not setting:
            raise ValueError(f"--variant {spec!r}: {key!r} is not ingest.FIELD or query.FIELD")
        setting = setting.lower().removeprefix("kotae_")
        (ingest if when == "ingest" else query)[setting] = value
    return Variant(name, ingest, query, mode=mode, about="--variant " + body)
