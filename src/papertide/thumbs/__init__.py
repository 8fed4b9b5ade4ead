"""Thumbnails: page one of a paper's arXiv PDF as a small WebP image for its feed card.

`fetch.py` gets the PDF through the polite arXiv client, `render.py` turns PDF bytes into WebP
bytes (pure), `isolated.py` runs that rendering in a child process so a hostile PDF costs one
thumbnail and never the worker, and `job.py` thumbnails the feed's papers that lack one,
recording why a PDF could not be used so that it is not fetched again and again.
"""
