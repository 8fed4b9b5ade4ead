"""Unguessable URLs for personal feeds: a signed-in reader's recommendations.

The token is an HMAC of the user id under the site secret: stable (the URL can sit in a feed
reader for years), impossible to guess or to edit into someone else's, and stored nowhere.
Recommendation subscriptions without an account use their random `feed_token` column instead.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.digest.subscriptions import seed_owner
from papertide.models import SeedOwner
from papertide.store.schema import Subscription

_SALT = "papertide.feed.recommendations"


def user_feed_token(settings: Settings, user_id: int) -> str:
    return str(URLSafeSerializer(settings.effective_secret_key(), salt=_SALT).dumps(int(user_id)))


def owner_for_token(session: Session, settings: Settings, token: str) -> SeedOwner | None:
    """The seed owner (a user, or a subscription without one) a private feed token stands for."""
    if not token or len(token) > 200:
        return None
    sub = session.scalars(
        select(Subscription).where(Subscription.feed_token == token, Subscription.status != "off")
    ).one_or_none()
    if sub is not None:
        return seed_owner(sub)
    try:
        user_id = URLSafeSerializer(settings.effective_secret_key(), salt=_SALT).loads(token)
    except BadSignature:
        return None
    return SeedOwner.for_user(user_id) if isinstance(user_id, int) else None
