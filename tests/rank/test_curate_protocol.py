"""The evaluation protocol and the time-respecting history, on small hand-made days."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from papertide.rank.curate.history import History, known_from, replay
from papertide.rank.curate.protocol import day_result, gains, group_days, summarise
from papertide.rank.curate.records import Candidate, Pick, author_key

D = dt.date.fromisoformat


def paper(arxiv_id: str, day: str, *authors: str) -> Candidate:
    return Candidate(arxiv_id=arxiv_id, day=D(day), title=f"paper {arxiv_id}", authors=authors)


def pick(arxiv_id: str, day: str, upvotes: int = 0, *authors: str) -> Pick:
    return Pick(arxiv_id=arxiv_id, day=D(day), upvotes=upvotes, authors=authors)


def test_gain_is_log2_of_two_plus_the_highest_vote_count() -> None:
    g = gains([pick("a", "2026-01-02", 6), pick("a", "2026-01-05", 14), pick("b", "2026-01-02")])
    assert g == {"a": math.log2(16), "b": 1.0}


def test_gains_before_a_day_ignore_later_picks() -> None:
    assert gains([pick("a", "2026-03-01", 3)], before=D("2026-03-01")) == {}


def test_perfect_ranking_scores_one_and_reversed_ranking_scores_less() -> None:
    g = {"p1": 3.0, "p2": 2.0}
    best = day_result(D("2026-01-01"), ["p1", "p2", "n1", "n2"], g)
    assert best.ndcg == pytest.approx(1.0)
    assert best.precision == pytest.approx(2 / 15)
    assert best.recall == 1.0
    worse = day_result(D("2026-01-01"), ["n1", "p2", "p1", "n2"], g)
    assert worse.ndcg < 1.0 and worse.precision == best.precision


def test_summary_weighs_every_day_the_same() -> None:
    days = [
        day_result(D("2026-01-01"), ["p"] + [f"n{i}" for i in range(14)], {"p": 1.0}),
        day_result(D("2026-01-02"), [f"n{i}" for i in range(60)] + ["q"], {"q": 1.0}),
    ]
    summary = summarise(days)
    assert summary.days == 2
    assert summary.recall == pytest.approx(0.5)


def test_days_are_grouped_from_the_first_full_day() -> None:
    days = group_days([paper("a", "2025-03-19"), paper("b", "2025-03-20")])
    assert list(days) == [D("2025-03-20")]


def test_author_names_match_across_accents_and_punctuation() -> None:
    assert author_key("José-María  Pérez") == author_key("Jose Maria Perez")


def test_a_paper_picked_before_its_listing_day_is_not_its_own_history() -> None:
    """The feed sometimes lists a paper the day before arXiv does: still the day's answer."""
    listed = {"x": D("2026-01-10")}
    assert known_from(pick("x", "2026-01-09"), listed) == D("2026-01-11")
    by_day = {D("2026-01-10"): [paper("x", "2026-01-10", "Ada Lovelace")]}
    picks = [
        pick("old", "2026-01-01", 5, "Ada Lovelace"),
        pick("x", "2026-01-09", 9, "Ada Lovelace"),
    ]
    ((day, history),) = list(replay(by_day, picks))
    assert day == D("2026-01-10")
    assert history.authors[author_key("Ada Lovelace")].picks == 1
    assert "x" not in history.picked


def test_history_features_use_only_picks_known_before_the_day() -> None:
    by_day = {
        D("2026-01-05"): [paper("a", "2026-01-05", "Grace Hopper")],
        D("2026-01-06"): [paper("b", "2026-01-06", "Grace Hopper")],
    }
    picks = [pick("a", "2026-01-05", 10, "Grace Hopper")]
    seen = {day: h.author_counts(["Grace Hopper"]) for day, h in replay(by_day, picks)}
    # Replay hands out one live object: read it per day, as the model does.
    assert seen[D("2026-01-06")] == (1, 1)
    fresh = History()
    assert fresh.author_counts(["Grace Hopper"]) == (0, 0)
