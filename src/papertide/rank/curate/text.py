"""Text: tf-idf vectors of title and abstract, a logistic regression of "was picked", and a
small dense projection of the same vectors for the similarity features.

The vocabulary is fitted on a sample of the training papers (the count of every bigram of every
paper was the retrain's memory peak); the vectors of all papers are then computed in chunks.
The dense projection is a truncated SVD of the tf-idf rows over the most frequent terms, so
"close to this week's picks" is a product of 128-d vectors instead of a sparse product over the
whole vocabulary, and a model ships one small matrix to compute it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

# Papers the vocabulary and the projection are fitted on (a random sample of the training ones).
VOCABULARY_SAMPLE = 30_000
# Papers vectorised at a time when computing the vectors of a whole corpus.
CHUNK = 10_000


def tfidf_vectorizer(max_features: int = 200_000, min_df: int = 3) -> Any:
    """Word uni- and bigrams, sublinear tf, l2 rows; terms in at least `min_df` papers."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        strip_accents="unicode",
        stop_words="english",
        ngram_range=(1, 2),
        min_df=min_df,
        max_df=0.3,
        max_features=max_features,
        sublinear_tf=True,
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_\-]+\b",
        dtype=np.float32,
    )


@dataclass(frozen=True)
class TermLookup:
    """A fitted vectoriser's vocabulary as integer codes, so that a batch of texts is counted
    with array operations: every word of a vocabulary term has an id (stop words -2), a
    unigram's column is an array lookup and a bigram's a binary search among sorted pair codes."""

    token_ids: dict[str, int]
    unigram_columns: NDArray[np.int64]  # token id -> column, -1 when the word is no term itself
    pair_codes: NDArray[np.int64]  # first id * number of ids + second id, sorted
    pair_columns: NDArray[np.int64]  # the column of each pair code
    columns: int
    idf: NDArray[np.float32]
    pattern: re.Pattern[str]
    # The same pattern for ASCII-only texts, where it finds the same tokens faster.
    ascii_pattern: re.Pattern[str]


def term_lookup(vectorizer: Any) -> TermLookup:
    token_ids: dict[str, int] = {}
    unigrams: dict[int, int] = {}
    pairs: list[tuple[int, int, int]] = []
    for term, column in vectorizer.vocabulary_.items():
        ids = [token_ids.setdefault(word, len(token_ids)) for word in term.split(" ")]
        if len(ids) == 1:
            unigrams[ids[0]] = column
        elif len(ids) == 2:
            pairs.append((ids[0], ids[1], column))
    n = len(token_ids)
    unigram_columns = np.full(n, -1, dtype=np.int64)
    for token, column in unigrams.items():
        unigram_columns[token] = column
    codes = np.asarray([a * n + b for a, b, _ in pairs], dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    pair_columns = np.asarray([c for _, _, c in pairs], dtype=np.int64)[order]
    for word in vectorizer.get_stop_words() or ():
        token_ids[word] = -2
    pattern = re.compile(vectorizer.token_pattern)
    return TermLookup(
        token_ids=token_ids,
        unigram_columns=unigram_columns,
        pair_codes=codes[order],
        pair_columns=pair_columns,
        columns=len(vectorizer.vocabulary_),
        idf=np.asarray(vectorizer.idf_, dtype=np.float32),
        pattern=pattern,
        ascii_pattern=re.compile(pattern.pattern.replace("(?u)", ""), re.ASCII),
    )


def tfidf_rows(table: TermLookup, texts: Sequence[str]) -> sparse.csr_matrix:
    """A fitted vectoriser's rows for `texts` (`table` = `term_lookup(vectoriser)`), as its own
    `transform` computes them (lower case, accents stripped, its tokens without stop words, uni-
    and bigrams, sublinear tf times idf, l2 rows), counted with array operations over the whole
    batch instead of a Python loop per term: vectorising was the largest part of scoring a day."""
    from sklearn.feature_extraction.text import strip_accents_unicode

    get = table.token_ids.get
    ids_of_all: list[int] = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        text = strip_accents_unicode(text.lower())
        pattern = table.ascii_pattern if text.isascii() else table.pattern
        ids = [get(token, -1) for token in pattern.findall(text)]
        ids_of_all.extend(ids)
        lengths[i] = len(ids)
    ids_all = np.asarray(ids_of_all, dtype=np.int64)
    doc_all = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    # Stop words go before the bigrams are formed, as in scikit-learn.
    kept = ids_all != -2
    ids, doc = ids_all[kept], doc_all[kept]
    known = ids >= 0
    uni = np.where(known, table.unigram_columns[np.where(known, ids, 0)], -1)
    first, second = ids[:-1], ids[1:]
    paired = (doc[:-1] == doc[1:]) & (first >= 0) & (second >= 0)
    codes = first[paired] * len(table.unigram_columns) + second[paired]
    pair_docs = doc[:-1][paired]
    if len(table.pair_codes) and len(codes):
        at = np.minimum(np.searchsorted(table.pair_codes, codes), len(table.pair_codes) - 1)
        hit = table.pair_codes[at] == codes
        bi, bi_docs = table.pair_columns[at[hit]], pair_docs[hit]
    else:
        bi = bi_docs = np.zeros(0, dtype=np.int64)
    width = table.columns
    is_term = uni >= 0
    keys = np.concatenate([doc[is_term] * width + uni[is_term], bi_docs * width + bi])
    # Sorted by row, then column: the CSR layout with sorted indices.
    unique, counts = np.unique(keys, return_counts=True)
    rows, cols = unique // width, unique % width
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(texts)), out=indptr[1:])
    data = (1.0 + np.log(counts.astype(np.float32))) * table.idf[cols]
    out = sparse.csr_matrix(
        (data, cols.astype(np.int32), indptr), shape=(len(texts), width), dtype=np.float32
    )
    norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel())
    out.data /= np.repeat(np.maximum(norms, 1e-12), np.diff(indptr)).astype(np.float32)
    return out


def _logistic(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=300, solver="liblinear")


@dataclass
class Projection:
    """Dense vectors: tf-idf columns `terms` times `components`, rows l2-normalised."""

    terms: NDArray[np.int64]  # vocabulary columns the projection reads
    components: NDArray[np.float32]  # (len(terms), dims)

    def dense(self, vectors: sparse.csr_matrix) -> NDArray[np.float32]:
        if vectors.shape[0] == 0:
            return np.zeros((0, self.components.shape[1]), dtype=np.float32)
        out = np.asarray(vectors[:, self.terms] @ self.components, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-6)


@dataclass
class TextModel:
    """A fitted vectoriser, the logistic regression over its vectors and the dense projection."""

    vectorizer: Any
    classifier: Any
    projection: Projection
    # Built on first use (a third of a second for 200,000 terms), then kept with the model.
    _lookup: TermLookup | None = field(default=None, init=False, repr=False, compare=False)

    def vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        if self._lookup is None:
            self._lookup = term_lookup(self.vectorizer)
        table = self._lookup
        if len(texts) <= CHUNK:
            return tfidf_rows(table, texts)
        parts = [tfidf_rows(table, texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)]
        return sparse.csr_matrix(sparse.vstack(parts, format="csr"), dtype=np.float32)

    def scores(self, vectors: sparse.csr_matrix) -> NDArray[np.float32]:
        """Log-odds of being picked."""
        return np.asarray(self.classifier.decision_function(vectors), dtype=np.float32)

    def dense(self, vectors: sparse.csr_matrix) -> NDArray[np.float32]:
        return self.projection.dense(vectors)


def fit_projection(
    vectors: sparse.csr_matrix,
    *,
    dims: int = 128,
    terms: int = 30_000,
    sample: int = VOCABULARY_SAMPLE,
) -> Projection:
    """A truncated SVD of (a sample of) the tf-idf rows over the `terms` most frequent terms."""
    from sklearn.decomposition import TruncatedSVD

    rng = np.random.default_rng(3)
    rows = vectors
    if vectors.shape[0] > sample:
        rows = vectors[np.sort(rng.choice(vectors.shape[0], sample, replace=False))]
    df = np.bincount(rows.indices, minlength=vectors.shape[1])
    keep = np.sort(np.argsort(-df, kind="stable")[: min(terms, vectors.shape[1])]).astype(np.int64)
    sub = rows[:, keep]
    dims = max(1, min(dims, sub.shape[0] - 1, sub.shape[1] - 1))
    svd = TruncatedSVD(n_components=dims, n_iter=4, random_state=0).fit(sub)
    return Projection(keep, np.ascontiguousarray(svd.components_.T, dtype=np.float32))


def fit_text_model(
    texts: Sequence[str],
    labels: NDArray[np.int8],
    *,
    c: float = 4.0,
    max_features: int = 200_000,
    dims: int = 128,
    projection_terms: int = 30_000,
    sample: int = VOCABULARY_SAMPLE,
) -> tuple[TextModel, sparse.csr_matrix]:
    """The fitted text model and the vectors of `texts`."""
    rng = np.random.default_rng(1)
    if len(texts) > sample:
        chosen = np.sort(rng.choice(len(texts), sample, replace=False))
        fit_texts: Sequence[str] = [texts[int(i)] for i in chosen]
    else:
        fit_texts = texts
    # min_df of 3 papers in the sample; on small instances 2 (a tiny vocabulary learns nothing).
    vectorizer = tfidf_vectorizer(max_features, min_df=3 if len(fit_texts) >= 2_000 else 2)
    vectorizer.fit(fit_texts)
    # The fitted stop-word list is a set of every pruned term: useless and large.
    vectorizer.stop_words_ = None
    projection = Projection(np.zeros(0, dtype=np.int64), np.zeros((0, dims), dtype=np.float32))
    model = TextModel(vectorizer, None, projection)
    vectors = model.vectors(texts)
    model.classifier = _logistic(c).fit(vectors, labels)
    model.projection = fit_projection(vectors, dims=dims, terms=projection_terms, sample=sample)
    return model, vectors


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
