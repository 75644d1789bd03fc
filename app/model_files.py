"""Which embedding model to load (a configured local folder, or the bundled multilingual
default), and which encoder embeds the questions."""

import logging
from pathlib import Path

from app.errors import ConfigurationError
from app.settings import Settings
from retriever.embedder import SentenceEmbedder
from retriever.onnx_query import OnnxQueryEncoder, export_query_onnx, supported_pooling

log = logging.getLogger(__name__)


def embedding_model_path(settings: Settings) -> Path:
    """KOTAE_EMBEDDING_MODEL (a local sentence-transformers folder) or the converted e5-small.

    Never a hub name: nothing can be downloaded at run time.
    """
    if settings.embedding_model:
        path = Path(settings.embedding_model).expanduser()
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ConfigurationError(
                f"KOTAE_EMBEDDING_MODEL={settings.embedding_model} is not a local "
                "sentence-transformers folder (no modules.json or config.json there)"
            )
        return path
    from retriever.e5_convert import build_e5_small

    return build_e5_small(settings.model_cache_dir / "multilingual-e5-small")


def query_encoder_for(embedder: SentenceEmbedder, settings: Settings) -> OnnxQueryEncoder | None:
    """The ONNX Runtime encoder for questions on a CPU, or None to embed them with torch.

    "auto" falls back to torch with a warning when the export cannot be made (a read-only
    model folder, say); "onnx" makes that an error.
    """
    if settings.query_encoder == "torch" or embedder.device != "cpu":
        return None
    pooling = supported_pooling(embedder.path)
    try:
        if pooling is None:
            raise ConfigurationError(f"{embedder.path} is not transformer → pooling → normalize")
        onnx_path = export_query_onnx(embedder.path)  # at once when already exported
        return OnnxQueryEncoder(
            onnx_path, embedder.tokenizer, pooling, embedder.max_tokens, settings.torch_threads
        )
    except Exception as exc:
        if settings.query_encoder == "onnx":
            raise ConfigurationError(f"KOTAE_QUERY_ENCODER=onnx: {exc}") from exc
        log.warning("questions are embedded with torch: no ONNX encoder (%s)", exc)
        return None
