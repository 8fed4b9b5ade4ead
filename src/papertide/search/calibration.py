"""Relevance probabilities: a logistic model over features that mean the same in any collection.

A result's evidence is read on absolute scales, never only relative to the query's best result:

- its cosine, and its cosine against the collection's background (how far above the similarity
  of an average paper to this query it stands, in standard deviations);
- the share of the query's idf mass it contains (a paper with every rare query word scores 1,
  whether the query has two words or forty);
- the shape of the query's candidate list: the best cosine and coverage, how many candidates
  are about as good as the best (many relevant papers for a topic, one for a claim);
- the query itself: its length and the share of its words that the collection knows.

Fitted by `bench/relevance_fit.py` on SciFact train and three classic collections with equal
weight per collection, validated leaving one collection out; the coefficients ship in
`params.json` together with the names of the features they belong to.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from papertide.search.fusion import Fused

F64 = npt.NDArray[np.float64]

FEW_ANSWERS = "few_answers"
UNKNOWN_WORDS_MIN_Z = 6.0  # see relevance_from
# A query whose words no paper has together (no paper holds more than half their idf mass) and
# whose best cosine is under this has no evidence for any paper (see relevance_from). Every query
# of CISI, MEDLINE and NPL has a best cosine of 0.40 or more; 3 of SciFact train's 809 claims
# fall under the rule (1 relevant paper among their top 20); the word salads of
# bench/relevance_arxiv.py on the bundled sample score 0.17-0.34 (all-MiniLM-L6-v2).
NO_MATCH_MAX_COS = 0.35
HAS_SEMANTIC = "has_semantic"
NO_EVIDENCE = 0.01
DISTRIBUTION_FEATURES = (
    "excess",
    "log_excess_count",
    "excess_z3",
    "mix_posterior",
    "log_mix_count",
    "mix_logit",
    "mix_prior",
    "kw_mix_posterior",
    "kw_mix_prior",
)
PRIOR_DEPTH = 20  # the query's prior: the mean posterior of its best PRIOR_DEPTH cosines
MIX_DEPTH = 100  # best cosines whose distribution the score-distribution features read

# Every feature the code can compute; a fitted model names the ones it uses.
FEATURES = (
    "cos",
    "cos_z",
    "cos_top",
    "cos_top_z",
    "cos_gap",
    "coverage",
    "coverage_top",
    "coverage_gap",
    "all_words",
    "largest_missing",
    "bm25_per_idf",
    "log_rank",
    "log_terms",
    "known_share",
    "near_top",
    "near_top_10",
    "near_top_20",
    "sem_rank",
    "cos_spread",
    "fused_gap",
    "few_answers",
    *DISTRIBUTION_FEATURES,  # see distribution_features
)


@dataclass
class QueryEvidence:
    """The analysed query words, their idf, and which candidates contain each of them.

    A word that no paper of the collection has counts with the idf of the rarest word (a
    paper cannot match it, so it lowers every paper's coverage): "giraffe neural network"
    is not fully covered by a paper about neural networks.
    """

    terms: list[str] = field(default_factory=list)
    idf: F64 = field(default_factory=lambda: np.zeros(0))
    # matches[i, t]: candidate i (in the order given) has term t in its title or abstract
    matches: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    known: npt.NDArray[np.bool_] | None = None  # term t occurs in the collection (default: all)

    @property
    def idf_mass(self) -> float:
        return float(self.idf.sum())

    @property
    def known_share(self) -> float:
        """Share of the query's words (by count) that occur in the collection at all."""
        if not len(self.idf):
            return 0.0
        return float(self.known.mean()) if self.known is not None else 1.0

    def largest_missing(self) -> F64:
        """Per candidate: the idf share of the weightiest query word it does not contain."""
        mass = self.idf_mass
        if mass <= 0 or not len(self.matches) or not self.matches.shape[1]:
            return np.zeros(len(self.matches))
        missing = np.where(self.matches, 0.0, self.idf[None, :])
        return np.asarray(missing.max(axis=1) / mass, dtype=np.float64)

    def coverage(self) -> F64:
        """Per candidate: the share of the query's idf mass it contains."""
        mass = self.idf_mass
        if mass <= 0 or not len(self.matches) or not self.matches.shape[1]:
            return np.zeros(len(self.matches))
        return np.asarray(self.matches @ self.idf / mass, dtype=np.float64)


@dataclass(frozen=True)
class Background:
    """Mean and standard deviation of a query's cosine to the papers of the collection, and
    how many papers the collection has (0: unknown)."""

    mean: float
    std: float
    docs: int = 0


def _logit(p: F64) -> F64:
    q = np.clip(p, 0.01, 0.99)
    return np.asarray(np.log(q / (1.0 - q)), dtype=np.float64)


def _normal_sf(z: F64) -> F64:
    """P(Z >= z) of a standard normal."""
    return np.asarray([0.5 * math.erfc(v / math.sqrt(2.0)) for v in z.tolist()], dtype=np.float64)


def excess_over_background(cos_sorted: F64, background: Background) -> tuple[F64, float]:
    """How many papers stand above what the background explains (unsupervised, per query).

    If the collection's cosines to a query were all background (normal with the background's
    mean and std over `docs` papers), N·P(cos >= s) papers would score s or more. The r-th best
    cosine s_r has r papers at or above it: 1 - N·P(cos >= s_r)/r is the share of them that the
    background does not explain (1 - a false discovery rate), and max_r (r - N·P(cos >= s_r))
    estimates how many relevant papers the query has. Returned per rank, and that estimate.
    """
    n = len(cos_sorted)
    if n == 0 or background.docs <= 0:
        return np.zeros(n), 0.0
    z = (cos_sorted - background.mean) / max(background.std, 1e-3)
    expected = background.docs * _normal_sf(z)
    ranks = np.arange(1, n + 1, dtype=np.float64)
    share = np.clip(1.0 - expected / ranks, 0.0, 1.0)
    return share, float(max(0.0, float(np.max(ranks - expected))))


MIX_ITERATIONS = 30


def score_mixture(scores: F64) -> tuple[F64, float]:
    """Manmatha, Rath & Feng (2001): a query's top scores as a mixture of relevant papers
    (normal) and non-relevant ones (exponential above the lowest score), fitted by EM.

    `scores`: the query's best cosines, best first. Returns the posterior of the normal
    component for each score and its expected count (the estimated relevant papers among them).
    """
    x = np.asarray(scores, dtype=np.float64)
    n = len(x)
    if n < 5 or float(x[0] - x[-1]) < 1e-6:
        return np.zeros(n), 0.0
    shifted = x - x[-1]
    spread = float(shifted.max())
    # start: the best tenth relevant, the rest exponential
    head = max(2, n // 10)
    mu, sd = float(x[:head].mean()), max(float(x[:head].std()), spread / 20)
    lam = 1.0 / max(float(shifted[head:].mean()), 1e-6)
    weight = head / n
    post = np.zeros(n)
    for _ in range(MIX_ITERATIONS):
        normal = np.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
        expo = lam * np.exp(-lam * shifted)
        a = weight * normal
        b = (1.0 - weight) * expo
        post = a / np.maximum(a + b, 1e-300)
        total = float(post.sum())
        if total < 1e-6 or total > n - 1e-6:
            break
        if abs(total / n - weight) < 1e-4:  # converged (typically after 5-15 steps)
            weight = total / n
            break
        weight = total / n
        mu = float(post @ x / total)
        sd = max(math.sqrt(float(post @ (x - mu) ** 2 / total)), spread / 50)
        lam = 1.0 / max(float((1.0 - post) @ shifted / (n - total)), 1e-6)
    # the normal component must be the high-scoring one: a component below the exponential's
    # mean explains no relevant papers
    if mu < x[-1] + 1.0 / lam:
        return np.zeros(n), 0.0
    return post, float(post.sum())


def feature_table(
    fused: Fused,
    evidence: QueryEvidence,
    background: Background | None,
    depth: int | None = None,
    few_answers: bool = False,
    names: Sequence[str] | None = None,
) -> dict[str, F64]:
    """Every FEATURES column for the first `depth` results of a query's fused list.

    `few_answers`: the query is a claim or a title (query_kind), which has one right answer
    rather than many; it is not a feature of the logistic model but selects the cascade (see
    `relevance_from`), and is kept in the table as the column FEW_ANSWERS. `names`: the
    features a model needs (default: all); the score-distribution ones are computed only when
    named (a search needs those of its model only).
    """
    n = len(fused.paper_ids) if depth is None else min(depth, len(fused.paper_ids))
    if n == 0:
        return {name: np.zeros(0) for name in (*FEATURES, FEW_ANSWERS, HAS_SEMANTIC)}
    bg = background or Background(0.0, 1.0)
    bg_std = max(bg.std, 1e-3)
    sem_all = np.where(np.isfinite(fused.semantic), fused.semantic, bg.mean)
    has_sem = bool(np.isfinite(fused.semantic).any())
    cos = sem_all[:n] if has_sem else np.full(n, bg.mean)
    cos_sorted = np.sort(sem_all)[::-1] if has_sem else np.full(1, bg.mean)
    cos_top = float(cos_sorted[0])
    cov_all = evidence.coverage()
    if len(cov_all) < len(fused.paper_ids):
        cov_all = np.concatenate([cov_all, np.zeros(len(fused.paper_ids) - len(cov_all))])
    cov = cov_all[:n]
    mass_known = evidence.idf_mass > 0
    missing = evidence.largest_missing()
    if len(missing) < n:  # papers not looked up count as having no query word
        widest = float(evidence.idf.max()) / evidence.idf_mass if mass_known else 0.0
        missing = np.concatenate([missing, np.full(n - len(missing), widest)])
    missing = missing[:n]
    cov_top = float(cov_all.max()) if len(cov_all) else 0.0
    mass = evidence.idf_mass
    kw = fused.keyword[:n]
    rank = np.arange(n, dtype=np.float64)
    # how many candidates are nearly as good as the best (cosine within 0.05 of it)
    near = float(np.sum(cos_sorted >= cos_top - 0.05)) if has_sem else 1.0
    tenth = float(cos_sorted[min(9, len(cos_sorted) - 1)])
    ones = np.ones(n)
    sem_rank = np.searchsorted(-cos_sorted, -cos, side="left")
    wanted = set(FEATURES) if names is None else base_features(names)
    if has_sem and wanted & set(DISTRIBUTION_FEATURES):
        share, excess_count = excess_over_background(cos_sorted[:MIX_DEPTH], bg)
        posterior, mix_count = score_mixture(cos_sorted[:MIX_DEPTH])
        at = np.clip(sem_rank, 0, len(share) - 1)
        deep = sem_rank >= len(share)
        excess = np.where(deep, 0.0, share[at])
        mix = np.where(deep, 0.0, posterior[at]) if len(posterior) else np.zeros(n)
        expected_z3 = bg.docs * 0.5 * math.erfc(3.0 / math.sqrt(2.0)) if bg.docs else 0.0
        above_z3 = float(np.sum(cos_sorted >= bg.mean + 3.0 * bg_std))
        excess_z3 = math.log((1.0 + above_z3) / (1.0 + expected_z3))
        mix_prior = float(posterior[:PRIOR_DEPTH].mean()) if len(posterior) else 0.0
    else:
        excess, mix = np.zeros(n), np.zeros(n)
        excess_count = mix_count = excess_z3 = mix_prior = 0.0
    kw_mix, kw_prior = np.zeros(n), 0.0
    if wanted & {"kw_mix_posterior", "kw_mix_prior"} and float(fused.keyword.max(initial=0)) > 0:
        kw_sorted = np.sort(fused.keyword)[::-1]
        kw_post, _ = score_mixture(kw_sorted[:MIX_DEPTH])
        if len(kw_post):
            kw_rank = np.searchsorted(-kw_sorted, -kw, side="left")
            kw_mix = np.where(
                kw_rank < len(kw_post), kw_post[np.clip(kw_rank, 0, len(kw_post) - 1)], 0.0
            )
            kw_prior = float(kw_post[:PRIOR_DEPTH].mean())
    return {
        "cos": cos,
        "cos_z": (cos - bg.mean) / bg_std,
        "cos_top": ones * cos_top,
        "cos_top_z": ones * (cos_top - bg.mean) / bg_std,
        "cos_gap": cos_top - cos,
        "coverage": cov,
        "coverage_top": ones * cov_top,
        "coverage_gap": cov_top - cov,
        "all_words": (cov >= 1.0 - 1e-9).astype(np.float64),
        "largest_missing": missing,
        "bm25_per_idf": kw / mass if mass > 0 else np.zeros(n),
        "log_rank": np.log1p(rank),
        "log_terms": ones * np.log1p(len(evidence.terms)),
        "known_share": ones * evidence.known_share,
        "near_top": ones * np.log(near),
        "near_top_10": ones * np.log(float(np.sum(cos_sorted >= cos_top - 0.1))),
        "near_top_20": ones * np.log(float(np.sum(cos_sorted >= cos_top - 0.2))),
        "sem_rank": np.log1p(sem_rank.astype(np.float64)),
        "cos_spread": ones * (cos_top - tenth),
        "fused_gap": fused.fused[0] - fused.fused[:n],
        FEW_ANSWERS: ones * float(few_answers),
        HAS_SEMANTIC: ones * float(has_sem),
        "excess": excess,
        "log_excess_count": ones * math.log1p(excess_count),
        "excess_z3": ones * excess_z3,
        "mix_posterior": mix,
        "log_mix_count": ones * math.log1p(mix_count),
        "mix_logit": _logit(mix),
        "mix_prior": ones * float(_logit(np.array([mix_prior]))[0]),
        "kw_mix_posterior": kw_mix,
        "kw_mix_prior": ones * float(_logit(np.array([kw_prior]))[0]),
    }


def base_features(names: Sequence[str]) -> set[str]:
    """The FEATURES that these model features read (see `column`)."""
    return {part.split(">")[0] for name in names for part in name.split("*")}


def column(table: dict[str, F64], name: str) -> F64:
    """A model feature: a FEATURES column, a product `a*b` of two (an interaction: the slope of
    one depends on the other), or a hinge `a>k` = max(0, a - k) (a bend in a's slope at k)."""
    if "*" in name:
        left, right = name.split("*", 1)
        return column(table, left) * column(table, right)
    if ">" in name:
        base, knot = name.split(">", 1)
        return np.maximum(table[base] - float(knot), 0.0)
    return table[name]


def feature_rows(table: dict[str, F64], names: Sequence[str]) -> F64:
    columns = [column(table, name) for name in names]
    if not columns or not len(columns[0]):
        return np.zeros((0, len(names)))
    return np.column_stack(columns)


class Calibrator:
    """p(relevant) = sigmoid(w · standardised features + b [+ offset]), over the named features.

    `offset`: a feature added to the logit as it is, with no coefficient (a per-query prior
    log-odds estimated without labels, see `mix_prior`): the fit learns only what the prior
    leaves unexplained, so a collection's base rate comes from its own score distribution
    rather than from the base rates of the collections the model was fitted on.
    """

    def __init__(
        self,
        coef: Sequence[float],
        intercept: float,
        mean: Sequence[float],
        scale: Sequence[float],
        features: Sequence[str] = FEATURES,
        offset: str | None = None,
        offset_weight: float = 1.0,
    ) -> None:
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.features = tuple(features)
        self.offset = offset
        self.offset_weight = float(offset_weight)
        unknown = base_features([*self.features, *([offset] if offset else [])]) - set(FEATURES)
        if unknown or len(self.features) != len(self.coef):
            raise ValueError(f"calibration features do not match the code: {sorted(unknown)}")

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Calibrator:
        return cls(
            data["coef"],  # type: ignore[arg-type]
            data["intercept"],  # type: ignore[arg-type]
            data["mean"],  # type: ignore[arg-type]
            data["scale"],  # type: ignore[arg-type]
            data.get("features", FEATURES),  # type: ignore[arg-type]
            data.get("offset"),  # type: ignore[arg-type]
            data.get("offset_weight", 1.0),  # type: ignore[arg-type]
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "coef": self.coef.round(6).tolist(),
            "intercept": round(self.intercept, 6),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            **({"offset": self.offset, "offset_weight": self.offset_weight} if self.offset else {}),
        }

    def predict(self, rows: F64, offset: F64 | None = None) -> F64:
        if len(rows) == 0:
            return np.zeros(0)
        z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        if offset is not None:
            z = z + self.offset_weight * offset
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    def predict_table(self, table: dict[str, F64]) -> F64:
        offset = table[self.offset] if self.offset else None
        return self.predict(feature_rows(table, self.features), offset)


def non_increasing(values: F64) -> F64:
    """The non-increasing sequence closest to `values` in squared error (pool adjacent
    violators): each out-of-order run is replaced by its mean."""
    means: list[float] = []
    sizes: list[int] = []
    for v in np.asarray(values, dtype=np.float64).tolist():
        mean, size = v, 1
        while means and means[-1] < mean:
            total = means[-1] * sizes[-1] + mean * size
            size += sizes.pop()
            means.pop()
            mean = total / size
        means.append(mean)
        sizes.append(size)
    return np.repeat(np.array(means), sizes) if means else np.zeros(0)


def cascade(on_topic: F64) -> F64:
    """One right answer: p(the i-th result is it) = p_i × Π_{j<i} (1 − p_j).

    The logistic model says how likely each result is to be on the query's subject. A topic
    wants all of those; a claim or a title has one right answer, the first on-subject result:
    results below a likely answer are unlikely to be another one.
    """
    before = np.concatenate([[0.0], np.cumsum(np.log1p(-np.clip(on_topic, 0.0, 1 - 1e-12)))])
    return np.asarray(on_topic * np.exp(before[:-1]), dtype=np.float64)


def relevance_from(calibrator: Calibrator, table: dict[str, F64]) -> F64:
    """The model's probabilities, the one-answer cascade for claims and titles, and two rules
    that no fitted coefficient may overrule.

    - A query none of whose words occurs in the collection, and whose best cosine is not far
      above the collection's background, has no evidence for any paper: nothing goes above
      NO_EVIDENCE. (Word salads and random letters; a query in other words than the papers'
      but with a close semantic match still counts.) Nor has a query whose words no paper
      has together (none holds more than half of their idf mass) and whose best cosine is under
      NO_MATCH_MAX_COS: "marmalade trombone giraffe" where one paper mentions a giraffe.
    - A result is never more likely relevant than one ranked above it, so a cutoff keeps a
      prefix of the ranking rather than punching holes in it. Where the model says otherwise
      the probabilities of the out-of-order run are pooled (their mean, the closest
      non-increasing sequence), which keeps their sum: the expected number of relevant results.
    """
    relevance = calibrator.predict_table(table)
    if not len(relevance):
        return relevance
    if table[FEW_ANSWERS][0] > 0:
        relevance = cascade(relevance)
    unknown_words = table["known_share"][0] == 0.0 and table["cos_top_z"][0] < UNKNOWN_WORDS_MIN_Z
    no_match = (
        table.get(HAS_SEMANTIC, np.zeros(1))[0] > 0
        and table["coverage_top"][0] <= 0.5 + 1e-9
        and table["cos_top"][0] < NO_MATCH_MAX_COS
    )
    if unknown_words or no_match:
        relevance = np.minimum(relevance, NO_EVIDENCE)
    return non_increasing(relevance)


def fit_calibrator(
    rows: F64,
    labels: npt.NDArray[np.int_],
    weights: F64 | None = None,
    features: Sequence[str] | None = None,
    c: float = 1.0,
) -> Calibrator:
    """Fit the logistic model (scikit-learn) on feature rows, 0/1 labels and row weights."""
    from sklearn.linear_model import LogisticRegression

    names = tuple(features) if features is not None else FEATURES[: rows.shape[1]]
    w = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=np.float64)
    mean = np.average(rows, axis=0, weights=w)
    scale = np.sqrt(np.average((rows - mean) ** 2, axis=0, weights=w))
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((rows - mean) / scale, labels, sample_weight=w * len(w) / w.sum())
    return Calibrator(model.coef_[0], float(model.intercept_[0]), list(mean), list(scale), names)


def fit_cascade_calibrator(
    queries: Sequence[tuple[F64, npt.NDArray[np.int_], bool, float]],
    features: Sequence[str],
    c: float | Sequence[float] = 1.0,
    offsets: Sequence[F64] | None = None,
    offset: str | None = None,
    offset_weight: float = 1.0,
) -> Calibrator:
    """Maximum likelihood of the final probabilities (cascade included) over whole queries.

    `queries`: (feature rows in ranking order, 0/1 labels, few answers?, weight of each row).
    The L2 penalty 1/(2C)·|w|² matches scikit-learn's LogisticRegression(C) on unit weights;
    `c` may give one C per feature (a weaker or stronger pull towards 0 for some features).
    `offsets`: per query, the values of the feature `offset` added to the logit (see Calibrator).
    """
    from scipy.optimize import minimize

    rows = np.vstack([x for x, _, _, _ in queries])
    w_rows = np.concatenate([np.full(len(y), w) for _, y, _, w in queries])
    w_rows = w_rows * len(w_rows) / w_rows.sum()
    mean = np.average(rows, axis=0, weights=w_rows)
    scale = np.sqrt(np.average((rows - mean) ** 2, axis=0, weights=w_rows))
    scale[scale < 1e-9] = 1.0
    x_all = (rows - mean) / scale
    y_all = np.concatenate([y for _, y, _, _ in queries]).astype(np.float64)
    bounds = np.cumsum([0, *(len(y) for _, y, _, _ in queries)])
    few = [f for _, _, f, _ in queries]
    k = x_all.shape[1]
    c_each = np.broadcast_to(np.asarray(c, dtype=np.float64), (k,))
    shift = (
        offset_weight * np.concatenate(list(offsets))
        if offsets is not None
        else np.zeros(len(x_all))
    )

    def loss(theta: F64) -> tuple[float, F64]:
        z = x_all @ theta[:k] + theta[k] + shift
        p = np.clip(1.0 / (1.0 + np.exp(-np.clip(z, -40, 40))), 1e-12, 1 - 1e-12)
        dz = np.empty_like(z)
        total = 0.0
        for i, is_few in enumerate(few):
            s = slice(bounds[i], bounds[i + 1])
            pi, yi, wi = p[s], y_all[s], w_rows[s]
            if not is_few:
                total -= float(np.sum(wi * (yi * np.log(pi) + (1 - yi) * np.log1p(-pi))))
                dz[s] = wi * (pi - yi)
                continue
            log_q = np.log(pi) + np.concatenate([[0.0], np.cumsum(np.log1p(-pi))[:-1]])
            q = np.clip(np.exp(log_q), 1e-12, 1 - 1e-12)
            total -= float(np.sum(wi * (yi * np.log(q) + (1 - yi) * np.log1p(-q))))
            g = -wi * (yi - q) / (1 - q)  # d loss / d log q_i
            later = np.concatenate([np.cumsum(g[::-1])[::-1][1:], [0.0]])  # sum over i > j
            dz[s] = g * (1 - pi) - later * pi
        grad = np.concatenate([x_all.T @ dz, [dz.sum()]])
        grad[:k] += theta[:k] / c_each
        return total + float(theta[:k] ** 2 @ (1.0 / c_each)) / 2, grad

    result = minimize(loss, np.zeros(k + 1), jac=True, method="L-BFGS-B")
    theta = result.x
    return Calibrator(
        list(theta[:k]),
        float(theta[k]),
        list(mean),
        list(scale),
        tuple(features),
        offset,
        offset_weight,
    )


def expected_calibration_error(probs: F64, labels: npt.NDArray[np.int_], bins: int = 10) -> float:
    """ECE over equal-width probability bins."""
    if len(probs) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probs, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            total += sel.sum() / len(probs) * abs(probs[sel].mean() - labels[sel].mean())
    return float(total)
