"""Which embedders exist and how settings pick one (`settings.embed_model`)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from papertide.config import ConfigError, Settings
from papertide.embed.base import Embedder


def _minilm(threads: int, max_tokens: int) -> Embedder:
    # onnxruntime takes a second to import: only processes that embed pay for it.
    from papertide.embed.minilm_onnx import MiniLMOnnxEmbedder

    return MiniLMOnnxEmbedder(threads=threads, max_tokens=max_tokens)


_FACTORIES: dict[str, tuple[Callable[[int, int], Embedder], int]] = {
    # settings value -> (factory, token limit)
    "minilm-int8": (_minilm, 128),
    "minilm-int8-256": (_minilm, 256),
}


def available_models() -> list[str]:
    return sorted(_FACTORIES)


@functools.lru_cache(maxsize=4)
def _cached(model: str, threads: int) -> Embedder:
    factory, max_tokens = _FACTORIES[model]
    return factory(threads, max_tokens)


def get_embedder(settings: Settings) -> Embedder:
    """The configured embedder, loaded once per process (loading takes ~0.3 s)."""
    if settings.embed_model not in _FACTORIES:
        raise ConfigError(
            f"unknown embedding model {settings.embed_model!r}; "
            f"PAPERTIDE_EMBED_MODEL must be one of {', '.join(available_models())}"
        )
    return _cached(settings.embed_model, settings.embed_threads)
