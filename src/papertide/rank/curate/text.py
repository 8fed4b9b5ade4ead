"""Text: tf-idf vectors of title and abstract, and a logistic regression of "was picked".

The same l2-normalised vectors serve the similarity features (closeness to recent picks), so
one vectoriser is fitted per model and shipped with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse


def tfidf_vectorizer(max_features: int = 200_000) -> Any:
    """Word uni- and bigrams, sublinear tf, l2 rows; terms in at least 3 papers."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        strip_accents="unicode",
        stop_words="english",
        ngram_range=(1, 2),
        min_df=3,
        max_df=0.3,
        max_features=max_features,
        sublinear_tf=True,
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_\-]+\b",
        dtype=np.float32,
    )


def _logistic(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=300, solver="liblinear")


@dataclass
class TextModel:
    """A fitted vectoriser and the logistic regression over its vectors."""

    vectorizer: Any
    classifier: Any

    def vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return sparse.csr_matrix(self.vectorizer.transform(texts))

    def scores(self, vectors: sparse.csr_matrix) -> NDArray[np.float32]:
        """Log-odds of being picked."""
        return np.asarray(self.classifier.decision_function(vectors), dtype=np.float32)


def fit_text_model(
    texts: Sequence[str], labels: NDArray[np.int8], *, c: float = 4.0, max_features: int = 200_000
) -> tuple[TextModel, sparse.csr_matrix]:
    """The fitted text model and the vectors of `texts`."""
    vectorizer = tfidf_vectorizer(max_features)
    vectors = sparse.csr_matrix(vectorizer.fit_transform(texts))
    classifier = _logistic(c).fit(vectors, labels)
    return TextModel(vectorizer, classifier), vectors


def out_of_fold_scores(
    vectors: sparse.csr_matrix,
    labels: NDArray[np.int8],
    *,
    c: float = 4.0,
    folds: int = 5,
    blocks: NDArray[np.int64] | None = None,
) -> NDArray[np.float32]:
    """Each row's log-odds from a regression that never saw it (for training the booster).

    With `blocks` (one integer per row, e.g. the listing month), whole blocks are held out
    together, so a row's score never comes from papers of its own weeks: the booster then sees
    text scores as good as those of an unseen future day, not better.
    """
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    out = np.zeros(vectors.shape[0], dtype=np.float32)
    if blocks is not None:
        splits = GroupKFold(n_splits=folds).split(np.zeros(len(labels)), labels, blocks)
    else:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        splits = splitter.split(np.zeros(len(labels)), labels)
    for fit_rows, held_rows in splits:
        classifier = _logistic(c).fit(vectors[fit_rows], labels[fit_rows])
        out[held_rows] = classifier.decision_function(vectors[held_rows])
    return out
