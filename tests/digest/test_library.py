"""A reader's library: who owns it (`SeedOwner`), which ids an upload names, and the seeds the
digests and the recommendation pages read back (one implementation, batched or not)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.digest import library as lib
from papertide.digest.compose import Composer
from papertide.digest.subscriptions import seed_owner
from papertide.feeds.private import owner_for_token, user_feed_token
from papertide.models import SeedOwner
from papertide.rank.recommend import load_seeds, load_seeds_many, seeds_for_many
from papertide.store.schema import SeedPaper, User, Vote

from .conftest import add_paper, add_subscription


def test_owner_keys_are_the_strings_already_stored() -> None:
    assert SeedOwner.for_user(12).key == "user:12"
    assert SeedOwner.for_subscription(34).key == "sub:34"
    for owner in (SeedOwner.for_user(7), SeedOwner.for_subscription(7)):
        assert SeedOwner.from_key(owner.key) == owner
    assert SeedOwner.for_user(7) != SeedOwner.for_subscription(7)
    assert SeedOwner.for_user(7).user_id == 7 and SeedOwner.for_subscription(7).user_id is None


@pytest.mark.parametrize("key", ["", "user:", "user:x", "sub:012", "team:3", "user:-1", "user:１"])
def test_strings_no_owner_produces_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="not a seed owner"):
        SeedOwner.from_key(key)


def test_a_subscription_uses_its_account_library_else_its_own(
    db: Session, settings: Settings
) -> None:
    user = User(email="ada@example.org", name="ada")
    db.add(user)
    db.flush()
    mine = add_subscription(db, "ada@example.org", "recommendations", user_id=user.id)
    anonymous = add_subscription(db, "bob@example.org", "recommendations", feed_token="t" * 32)
    assert seed_owner(mine) == SeedOwner.for_user(user.id)
    assert seed_owner(anonymous) == SeedOwner.for_subscription(anonymous.id)
    db.commit()
    assert owner_for_token(db, settings, "t" * 32) == SeedOwner.for_subscription(anonymous.id)
    token = user_feed_token(settings, user.id)
    assert owner_for_token(db, settings, token) == SeedOwner.for_user(user.id)


def test_pasted_ids_in_every_spelling_become_stored_keys() -> None:
    ids, bad = lib.parse_id_list(
        "arXiv:2611.00001v3, https://arxiv.org/abs/2611.00002?context=cs "
        "math.AG/0601001 solv-int/9901001v2 https://arxiv.org/pdf/hep-th/9901001v1.pdf hello"
    )
    assert ids == ["2611.00001", "2611.00002", "math/0601001", "solv-int/9901001", "hep-th/9901001"]
    assert bad == ["hello"]


def test_bibtex_ids_become_stored_keys() -> None:
    parsed = lib.parse_bibtex(
        b"""
@article{a, title={A}, eprint={math.AG/0601001v2}, archivePrefix={arXiv}}
@article{b, title={B}, doi={10.48550/arXiv.2611.00001}}
@misc{c, title={C}, note={arXiv preprint arXiv:solv-int/9901001v2}}
"""
    )
    assert parsed.arxiv_ids == ["math/0601001", "2611.00001", "solv-int/9901001"]


def test_library_rows_carry_the_owner_key_and_read_back_batched_or_not(
    db: Session, settings: Settings
) -> None:
    papers = [add_paper(db, f"2611.0000{i}", f"Paper {i}", "Text.") for i in range(1, 6)]
    old = add_paper(db, "math/0601001", "Moduli of curves", "Curves.", categories=("math.AG",))
    user = User(email="ada@example.org", name="ada")
    db.add(user)
    db.flush()
    sub = add_subscription(db, "bob@example.org", "recommendations")
    reader, anonymous = SeedOwner.for_user(user.id), SeedOwner.for_subscription(sub.id)

    report = lib.import_library(db, anonymous, "2611.00001 math.AG/0601001v1", None)
    assert report.added == ["2611.00001", "math/0601001"]
    lib.import_library(db, reader, "2611.00002 2611.00003", None)
    lib.not_interested(db, reader, "arXiv:2611.00003v2")  # changed their mind
    db.add_all([Vote(user_id=user.id, paper_id=p.id) for p in (papers[3], papers[2])])
    db.flush()

    keys = {s.owner for s in db.scalars(select(SeedPaper))}
    assert keys == {f"user:{user.id}", f"sub:{sub.id}"}
    assert [p.arxiv_id for p, _ in lib.library(db, anonymous)] == ["math/0601001", "2611.00001"]

    ids = {p.id: p.arxiv_id for p in [*papers, old]}
    seeds = seeds_for_many(db, [reader, anonymous, SeedOwner.for_user(999)])
    named = {o: ([ids[i] for i in liked], [ids[i] for i in no]) for o, (liked, no) in seeds.items()}
    assert named[reader] == (["2611.00002", "2611.00004"], ["2611.00003"])  # a vote counts
    assert sorted(named[anonymous][0]) == ["2611.00001", "math/0601001"]
    assert named[SeedOwner.for_user(999)] == ([], [])
    assert load_seeds_many(db, [reader, anonymous]) == {
        reader: load_seeds(db, reader),
        anonymous: load_seeds(db, anonymous),
    }

    other = add_subscription(db, "cy@example.org", "daily_trending", user_id=user.id)
    composer = Composer(db, settings, search=lambda *args: [])
    composer.prefetch_seeds([sub, other, add_subscription(db, "d@example.org", "category")])
    assert composer._seeds == {reader: load_seeds(db, reader), anonymous: load_seeds(db, anonymous)}
