"""Author claims: "I am this author of this paper", shown on the paper once confirmed.

arXiv metadata has author names but no addresses or affiliations, so nothing in a paper can prove
who wrote it. The rule, in order:

1. A claim names one author of the paper's author list, exactly as listed.
2. It is confirmed at once when the claimant's sign-in address (which the sign-in link proved
   they control) is at a domain the instance trusts (`settings.trusted_author_domains`, a
   subdomain counts too: `cs.example.edu` is in `example.edu`), unless someone else already
   holds a confirmed claim on the same author of that paper; that conflict goes to an admin.
   Listing a domain means trusting everyone with an address there to claim only their own
   papers: an institute's own instance listing its domain, say.
3. Every other claim waits for an admin, who confirms or rejects it on `/admin`.

A rejected claim stays rejected (the claimant cannot file it again and again); a claimant can
withdraw their own claim at any time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from papertide.store.schema import AuthorClaim, Paper, User


class ClaimStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ClaimMethod(StrEnum):
    """Who confirmed (or rejected) a claim."""

    ADMIN = "admin"
    DOMAIN = "domain"


class ClaimError(Exception):
    """A claim that cannot be made; `status` is the HTTP status that fits, the text says why."""

    def __init__(self, message: str, status: int = 400, code: str = "bad_claim") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def normalise_domain(value: str) -> str:
    """`@Example.EDU.` -> `example.edu` (how the setting and addresses are compared)."""
    return value.strip().lstrip("@").rstrip(".").lower()


def email_domain(email: str) -> str:
    return normalise_domain(email.rsplit("@", 1)[-1]) if "@" in email else ""


def domain_is_trusted(email: str, trusted: Iterable[str]) -> bool:
    """True when the address is at a trusted domain or one of its subdomains."""
    domain = email_domain(email)
    if not domain:
        return False
    for entry in trusted:
        wanted = normalise_domain(entry)
        if wanted and (domain == wanted or domain.endswith("." + wanted)):
            return True
    return False


def claim_of(session: Session, user_id: int, paper_id: int) -> AuthorClaim | None:
    return session.scalars(
        select(AuthorClaim).where(AuthorClaim.user_id == user_id, AuthorClaim.paper_id == paper_id)
    ).one_or_none()


def _taken(session: Session, paper_id: int, author_name: str, user_id: int) -> bool:
    """Someone else already holds a confirmed claim on this author of this paper."""
    return (
        session.scalars(
            select(AuthorClaim.id).where(
                AuthorClaim.paper_id == paper_id,
                AuthorClaim.author_name == author_name,
                AuthorClaim.user_id != user_id,
                AuthorClaim.status == ClaimStatus.CONFIRMED,
            )
        ).first()
        is not None
    )


def claim_paper(
    session: Session,
    user: User,
    paper: Paper,
    author_name: str,
    *,
    trusted_domains: Iterable[str],
    now: dt.datetime,
) -> AuthorClaim:
    """File `user`'s claim to be `author_name` of `paper`, confirmed at once by the domain rule."""
    name = author_name.strip()
    if name not in (paper.authors or []):
        raise ClaimError(
            f"{name!r} is not among this paper's authors; pick your name from the list",
            code="not_an_author",
        )
    existing = claim_of(session, user.id, paper.id)
    if existing is not None:
        if existing.status == ClaimStatus.REJECTED:
            raise ClaimError(
                "an admin turned down your claim on this paper; ask them if it was a mistake",
                status=409,
                code="claim_rejected",
            )
        raise ClaimError(
            f"you already claimed to be {existing.author_name} on this paper; withdraw it first",
            status=409,
            code="already_claimed",
        )
    claim = AuthorClaim(
        paper_id=paper.id,
        user_id=user.id,
        author_name=name,
        status=ClaimStatus.PENDING,
        created_at=now,
    )
    if domain_is_trusted(user.email, trusted_domains) and not _taken(
        session, paper.id, name, user.id
    ):
        claim.status = ClaimStatus.CONFIRMED
        claim.method = ClaimMethod.DOMAIN
        claim.decided_at = now
    session.add(claim)
    session.flush()
    return claim


def decide_claim(
    session: Session, claim: AuthorClaim, admin: User, *, confirm: bool, now: dt.datetime
) -> None:
    """An admin's decision on a claim."""
    claim.status = ClaimStatus.CONFIRMED if confirm else ClaimStatus.REJECTED
    claim.method = ClaimMethod.ADMIN
    claim.decided_by_id = admin.id
    claim.decided_at = now


def confirmed_authors(session: Session, paper_id: int) -> dict[str, User]:
    """Author name -> the person confirmed as that author of the paper."""
    rows = session.execute(
        select(AuthorClaim.author_name, User)
        .join(User, User.id == AuthorClaim.user_id)
        .where(AuthorClaim.paper_id == paper_id, AuthorClaim.status == ClaimStatus.CONFIRMED)
        .order_by(AuthorClaim.decided_at, AuthorClaim.id)
    ).all()
    authors: dict[str, User] = {}
    for name, person in rows:
        authors.setdefault(name, person)
    return authors


def authored_papers(session: Session, user_id: int, *, limit: int = 100) -> list[Paper]:
    """The papers a person is a confirmed author of, newest first."""
    return list(
        session.scalars(
            select(Paper)
            .join(AuthorClaim, AuthorClaim.paper_id == Paper.id)
            .where(AuthorClaim.user_id == user_id, AuthorClaim.status == ClaimStatus.CONFIRMED)
            .order_by(Paper.first_announced.desc().nulls_last(), Paper.id.desc())
            .limit(limit)
        )
    )


def pending_claims(session: Session, *, limit: int = 200) -> list[tuple[AuthorClaim, User, Paper]]:
    """Claims waiting for an admin, oldest first."""
    rows = session.execute(
        select(AuthorClaim, User, Paper)
        .join(User, User.id == AuthorClaim.user_id)
        .join(Paper, Paper.id == AuthorClaim.paper_id)
        .where(AuthorClaim.status == ClaimStatus.PENDING)
        .order_by(AuthorClaim.created_at, AuthorClaim.id)
        .limit(limit)
    ).all()
    return [(claim, person, paper) for claim, person, paper in rows]
