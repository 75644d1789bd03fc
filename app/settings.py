"""The one place that reads configuration (environment variables prefixed KOTAE_)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOTAE_", extra="ignore")

    data_dir: Path = Path("./kotae-data")
    # Converted models are shared by every data dir of this user.
    model_cache_dir: Path = Path.home() / ".cache" / "kotae" / "models"
    database_url: str | None = None
    embedding_model: str | None = None
    embedding_device: str | None = None  # "cpu" / "cuda"; unset = cuda when present
    torch_threads: int | None = None  # unset = torch's default (every core)
    # Questions on the CPU: "auto" embeds them with an ONNX export of the model (built
    # once, ~10 s) and falls back to torch if that cannot be had; "onnx" insists; "torch".
    query_encoder: Literal["auto", "onnx", "torch"] = "auto"
    generator_url: str | None = None
    generator_model: str | None = None
    generator_api_key: str | None = None
    generator_timeout: float = 60.0
    generator_max_tokens: int = 512
    api_keys: str | None = None
    max_file_bytes: int = 100 * 1024 * 1024
    max_request_bytes: int = 1024 * 1024
    max_upload_bytes: int = 512 * 1024 * 1024  # one upload request, several files together
    # Unset = max_file_bytes characters: every text file under the file limit fits, and a PDF or
    # DOCX may expand to as much text as the largest text file.
    max_text_chars: int | None = None
    # What a DOCX may decompress to, each part and all together. Unset = 2 x max_file_bytes.
    max_unzipped_bytes: int | None = None
    chunk_tokens: int = 128
    chunk_overlap_tokens: int = 32
    embed_batch_size: int = 32
    # Abstain when the best passage's dense similarity is below this, when the question names a
    # version or an exact name (an option, a code, a quoted title) no passage holds, or when no
    # passage in the question's own language holds this share of its content words (coverage
    # is not measured against passages in the other language). Near-miss questions retrieve as
    # well as answerable ones, so the names decide most; `bench/abstention.py` prints the
    # signals per question and the best thresholds for an ingested data dir. Unset score =
    # 0.80 for the default model and 0 for a configured one, whose scale is unknown.
    min_answer_score: float | None = None
    min_answer_coverage: float = 0.1
    support_threshold: float = 0.5
    job_stale_seconds: float = 30.0
    # Chunks embedded and stored together: the longest a shutdown waits, and the most an
    # interrupted large file has to embed again.
    ingest_batch_chunks: int = Field(default=64, ge=1)
    # Uploaded originals no document or pending job uses are removed once this old; the
    # worker looks at start-up and every sweep_interval_seconds.
    orphan_blob_seconds: float = 3600.0
    sweep_interval_seconds: float = 600.0
    # Embedded chunks of a large file that was never finished are dropped after this.
    staged_chunks_keep_seconds: float = 7 * 24 * 3600.0
    # Passages an answer is drawn from, and hits a search returns, unless a request says.
    top_k: int = Field(default=5, ge=1, le=100)
    search_top_k: int = Field(default=10, ge=1, le=100)
    # Small to big: the answerer reads each retrieved chunk with up to this many chunks on
    # each side from the same section, the whole passage at most PASSAGE_MAX_CHARS long.
    passage_neighbours: int = Field(default=1, ge=0, le=5)
    passage_max_chars: int = Field(default=1200, ge=100, le=20000)
    # Hybrid retrieval: candidates taken from each of FAISS and BM25, fused by reciprocal rank
    # ("rrf") or by normalized scores ("weighted", dense_weight for FAISS, the rest for BM25).
    candidates: int = Field(default=50, ge=1, le=1000)
    fusion: Literal["rrf", "weighted"] = "rrf"
    dense_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    # Each retriever's first candidate is kept in the top k (fusion favours agreement, so a
    # passage only one of them finds would drop out); no effect with a reranker.
    keep_leaders: bool = True
    # BM25 also matches Japanese <-> English translations of question words (JMdict, from the
    # jamdict-data package; off with a log line when it is not installed), weighted below them.
    keyword_bridge: bool = True
    keyword_bridge_weight: float = Field(default=0.5, gt=0.0, le=1.0)
    keyword_bridge_alternatives: int = Field(default=4, ge=1)  # translations kept per word
    # ... and a manual's other names of a question word's concept (既定 = デフォルト = default).
    keyword_glossary: bool = True
    # FAISS is asked the question followed by this many of each word's translations from the
    # bridge (0: the question alone): the bundled embedder bridges languages weakly.
    dense_translations: int = Field(default=2, ge=0, le=10)
    # A local sentence-transformers CrossEncoder folder that reorders the fused candidates.
    reranker_model: Path | None = None
    # FAISS on the GPU: unset = when FAISS sees one.
    faiss_gpu: bool | None = None
    # On a CPU, collections of at least this many chunks are searched through an approximate
    # (IVF) index scanning `approximate_index_probes` lists per query; 0 keeps search exact.
    approximate_index_above: int = Field(default=200_000, ge=0)
    approximate_index_probes: int = Field(default=512, ge=1)
    # PDF pages without a usable text layer (scans, fonts that extract as mojibake) are read by
    # Tesseract: "auto" when it is installed with the languages below ("jpn+jpn_vert" reads
    # vertical text too, at about three times the time), "off" leaves them out.
    ocr: Literal["auto", "off"] = "auto"
    ocr_languages: str = Field(default="jpn", pattern=r"^[A-Za-z_]+(\+[A-Za-z_]+)*$")
    ocr_page_timeout: float = Field(default=120.0, gt=0)
    # How often a search first looks for changes other processes made (ingest, deletes).
    index_poll_interval: float = Field(default=0.5, ge=0.0)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'kotae.db').resolve()}"

    @property
    def resolved_min_answer_score(self) -> float:
        if self.min_answer_score is not None:
            return self.min_answer_score
        return 0.80 if self.embedding_model is None else 0.0

    @property
    def resolved_max_text_chars(self) -> int:
        return self.max_text_chars if self.max_text_chars is not None else self.max_file_bytes

    @property
    def resolved_max_unzipped_bytes(self) -> int:
        if self.max_unzipped_bytes is not None:
            return self.max_unzipped_bytes
        return 2 * self.max_file_bytes

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def api_key_list(self) -> list[str]:
        return [k.strip() for k in (self.api_keys or "").split(",") if k.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
