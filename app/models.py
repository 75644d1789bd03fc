"""Which embedding model to load: a configured local folder, or the bundled multilingual default."""

from pathlib import Path

from app.errors import ConfigurationError
from app.settings import Settings


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
