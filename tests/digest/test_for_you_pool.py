""" "For you" ranks the whole listing of the instance's categories, not only the community feed:
which papers are in the pool, a listed paper nobody submitted recommended from a library built
of an upvote, a collection and pasted ids (with its reason in words), and the ranker shared by
requests until the pool changes, built once when requests race, and warmed by a serving node
before its first reader asks. On a real SQLite file and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.digest import library as lib
from papertide.models import SeedOwner
from papertide.rank.recommend import RankerCache, load_seeds, recent_candidates, recommend
from papertide.store.schema import Collection, CollectionItem, FeedEntry, Paper, User, Vote
from papertide.web.app import create_app

from ..ops.serving import serving, wait_for
from .conftest import add_paper

DAY = dt.date(2026, 11, 25)  # a Wednesday, the newest listing day
NOW = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)
OLD = DAY - dt.timedelta(days=60)
CATEGORIES = ["cs.AI", "cs.CL", "cs.CV", "cs.LG"]
SPARSE = (
    "Sparse attention kernels for long-context language models",
    "We make block-sparse attention fast for long-context language models: a kernel that skips "
    "empty blocks cuts the memory of attention over long contexts while keeping perplexity.",
)


def _listing(db: Session) -> dict[str, Paper]:
    """A week of listings (a few topics), papers from outside the categories, a withdrawn one,
    an old paper someone put on the feed, and one too old for the week."""
    topics = {
        "2611.10001": ("Diffusion models for video generation", "Video diffusion with motion."),
        "2611.10002": ("Robot manipulation from demonstrations", "Robots learn to grasp."),
        "2611.10003": ("Speech recognition for low-resource languages", "Speech in new tongues."),
        "2611.10004": ("Graph neural networks for molecules", "Message passing on molecules."),
        "2611.10005": ("Reward models for reinforcement learning", "Preference reward models."),
        "2611.10006": ("Image segmentation with transformers", "Segment anything, again."),
    }
    papers = {
        aid: add_paper(
            db, aid, title, text, categories=("cs.CV",), announced=DAY - dt.timedelta(days=n % 3)
        )
        for n, (aid, (title, text)) in enumerate(topics.items())
    }
    papers["listed"] = add_paper(
        db,
        "2611.10010",
        *SPARSE,
        categories=("cs.CL", "cs.LG"),
        announced=DAY,
        authors=("Grace Hopper", "Edsger Dijkstra"),
    )
    papers["astro"] = add_paper(
        db, "2611.10011", *SPARSE, categories=("astro-ph.GA",), announced=DAY
    )
    papers["withdrawn"] = add_paper(db, "2611.10012", *SPARSE, announced=DAY)
    papers["withdrawn"].withdrawn = True
    papers["on_feed"] = add_paper(
        db,
        "2609.20001",
        "Moduli of curves",
        "Curves and their moduli.",
        categories=("math.AG",),
        announced=OLD,
        feed_day=DAY - dt.timedelta(days=1),
    )
    papers["too_old"] = add_paper(
        db, "2611.00500", *SPARSE, categories=("cs.CL",), announced=DAY - dt.timedelta(days=20)
    )
    db.flush()
    return papers


def _reader_with_a_library(db: Session) -> tuple[User, list[Paper]]:
    """A reader who upvoted one paper, saved another to a collection and pasted a third's id."""
    library = [
        add_paper(
            db,
            "2608.00001",
            "Efficient attention for long-context language models",
            "Attention over long contexts is costly; sparse attention patterns keep language "
            "models accurate with a fraction of the memory.",
            announced=OLD,
            authors=("Grace Hopper", "Barbara Liskov"),
        ),
        add_paper(
            db,
            "2608.00002",
            "Block-sparse kernels on GPUs",
            "Fast block-sparse matrix kernels that skip empty blocks on GPUs.",
            announced=OLD,
            authors=("John Backus",),
        ),
        add_paper(
            db,
            "2608.00003",
            "Perplexity of language models on long documents",
            "How perplexity of language models changes with context length.",
            announced=OLD,
            authors=("Frances Allen",),
        ),
    ]
    user = User(email="ada@example.org", name="ada")
    db.add(user)
    db.flush()
    db.add(Vote(user_id=user.id, paper_id=library[0].id))
    shelf = Collection(user_id=user.id, name="Reading", slug="reading")
    db.add(shelf)
    db.flush()
    db.add(CollectionItem(collection_id=shelf.id, paper_id=library[1].id))
    lib.add_seeds(db, SeedOwner.for_user(user.id), [library[2].arxiv_id], "ids")
    db.flush()
    return user, library


def test_the_pool_is_the_weeks_listing_in_the_instance_categories_plus_the_feed(
    db: Session,
) -> None:
    papers = _listing(db)
    pool = {p.arxiv_id for p in recent_candidates(db, NOW, categories=CATEGORIES)}
    listed = {p.arxiv_id for k, p in papers.items() if k.startswith("2611.")} | {
        papers["listed"].arxiv_id
    }
    assert pool == listed | {papers["on_feed"].arxiv_id}  # none of them submitted but one
    for left_out in ("astro", "withdrawn", "too_old"):
        assert papers[left_out].arxiv_id not in pool, left_out
    # No categories configured: every category's listing.
    anywhere = {p.arxiv_id for p in recent_candidates(db, NOW)}
    assert papers["astro"].arxiv_id in anywhere and pool < anywhere
    # A daily digest's day: only that day's listing (and the feed of that day and the one before).
    day = {p.arxiv_id for p in recent_candidates(db, NOW, days=0, categories=CATEGORIES)}
    assert papers["listed"].arxiv_id in day and "2611.10002" not in day


def test_a_listed_paper_nobody_submitted_is_recommended_with_its_reason(
    db: Session, settings: Settings
) -> None:
    papers = _listing(db)
    user, library = _reader_with_a_library(db)
    owner = SeedOwner.for_user(user.id)
    liked, _ = load_seeds(db, owner)
    assert {p.id for p in liked} == {p.id for p in library}  # vote + collection + pasted id

    recs = recommend(db, owner, NOW, categories=settings.categories)

    assert settings.categories == CATEGORIES
    assert recs and recs[0].paper_id == papers["listed"].id
    on_feed = select(FeedEntry.id).where(FeedEntry.paper_id == papers["listed"].id)
    assert db.scalars(on_feed).first() is None  # nobody submitted it
    top = recs[0]
    assert top.reason.startswith("close to “") and "from your library" in top.reason
    assert "“Efficient attention for long-context language models”" in top.reason
    assert top.reason.endswith("; by Grace Hopper, whom you read")
    assert set(top.because) <= {p.id for p in library}
    shown = {r.paper_id for r in recs}
    assert not shown & {papers[k].id for k in ("astro", "withdrawn", "too_old")}
    assert not shown & {p.id for p in library}


def test_requests_share_one_ranker_until_the_pool_changes(db: Session) -> None:
    papers = _listing(db)
    user, _ = _reader_with_a_library(db)
    owner = SeedOwner.for_user(user.id)
    db.commit()
    cache = RankerCache()

    first = cache.ranker(db, NOW, categories=CATEGORIES)
    assert cache.ranker(db, NOW, categories=CATEGORIES) is first
    cached = recommend(db, owner, NOW, categories=CATEGORIES, cache=cache)
    fresh = recommend(db, owner, NOW, categories=CATEGORIES)
    assert [(r.paper_id, r.reason) for r in cached] == [(r.paper_id, r.reason) for r in fresh]

    # Someone puts the too-old paper on today's feed: a new pool, a new ranker, and it shows.
    db.add(
        FeedEntry(
            paper_id=papers["too_old"].id,
            feed_date=DAY,
            source="user",
            submitted_at=NOW - dt.timedelta(hours=1),
        )
    )
    db.commit()
    second = cache.ranker(db, NOW, categories=CATEGORIES)
    assert second is not first
    assert papers["too_old"].id in {p.id for p in second.candidates}
    again = recommend(db, owner, NOW, categories=CATEGORIES, cache=cache)
    assert papers["too_old"].id in {r.paper_id for r in again}
    # The older ranker still answers after its session's objects expired (it holds copies).
    db.expire_all()
    liked, disliked = load_seeds(db, owner)
    assert first.rank(liked, disliked)[0].paper_id == papers["listed"].id


def test_requests_that_race_for_a_new_pool_build_its_ranker_once(db: Session) -> None:
    _listing(db)
    db.commit()
    cache = RankerCache()
    start = threading.Barrier(4)
    got: list[object] = []

    def ask() -> None:
        with Session(db.get_bind()) as own:
            start.wait()
            got.append(cache.ranker(own, NOW, categories=CATEGORIES))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(got) == 4 and all(r is got[0] for r in got)
    assert cache.builds == 1


def test_a_serving_node_warms_for_you_before_the_first_reader(
    db: Session, settings: Settings, engine: Engine
) -> None:
    papers = _listing(db)
    user, _ = _reader_with_a_library(db)
    db.commit()
    settings = settings.model_copy(
        update={
            "index_sync_seconds": 0.2,
            "index_follower_embeds": False,
            "demo_today": DAY,
        }
    )
    app = create_app(settings, engine=engine)
    state = app.state.web
    with serving(app):
        wait_for(lambda: state.rankers.builds, "the node to warm its For-you ranker")
        with state.sessions() as session:
            recs = state.recommendations(session, SeedOwner.for_user(user.id), 10)
        time.sleep(0.5)  # a few more follower rounds: the pool is unchanged
    # The reader's request and the later rounds used the warmed ranker: one build in all.
    assert state.rankers.builds == 1
    assert recs and recs[0].paper_id == papers["listed"].id
