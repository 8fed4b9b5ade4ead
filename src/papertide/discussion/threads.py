"""Comment threads: replies nest under what they answer, and one count says how many can be read.

`build_thread` is pure (rows in, a tree out); `paper_thread` reads a paper's comments. A comment
that was deleted (or hidden by an admin) but has replies still below it stays in the tree as a
placeholder, so the replies keep their context; it is never counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from papertide.store.schema import Comment, User

# Replies nest this deep; deeper ones are listed flat under the last nested level, each saying
# whom it answers. Keeps pages readable on a phone and the template's recursion bounded.
MAX_DEPTH = 5


@dataclass(slots=True)
class ThreadNode:
    comment: Comment
    author: User
    depth: int  # 0 for a top-level comment
    shown: bool  # False: a removed comment kept only because replies hang below it
    reply_to: str | None = None  # the answered person's name, when nesting stopped
    children: list[ThreadNode] = field(default_factory=list)


def is_visible(comment: Comment) -> bool:
    """Counted and shown to everyone: neither deleted nor hidden by an admin."""
    return not comment.deleted and not comment.hidden


def build_thread(rows: Sequence[tuple[Comment, User]], *, admin: bool = False) -> list[ThreadNode]:
    """The comments as a tree, oldest first at every level.

    Admins also see hidden comments (marked as such by the page); deleted comments are only
    placeholders, and only where visible replies hang below them.
    """
    ordered = sorted(rows, key=lambda row: (row[0].created_at, row[0].id))
    by_id = {c.id: (c, u) for c, u in ordered}
    children: dict[int, list[int]] = defaultdict(list)
    roots: list[int] = []
    for comment, _ in ordered:
        parent = comment.parent_id
        if parent is not None and parent in by_id and parent != comment.id:
            children[parent].append(comment.id)
        else:
            roots.append(comment.id)

    def readable(comment_id: int) -> bool:
        comment = by_id[comment_id][0]
        return not comment.deleted and (admin or not comment.hidden)

    # Post-order without recursion (threads can be deep): kept = readable or has a kept reply.
    kept: dict[int, bool] = {}
    for root in roots:
        stack: list[tuple[int, bool]] = [(root, False)]
        while stack:
            current, expanded = stack.pop()
            if current in kept:
                continue
            if expanded:
                kept[current] = readable(current) or any(
                    kept.get(c, False) for c in children[current]
                )
            else:
                stack.append((current, True))
                stack.extend((c, False) for c in children[current] if c not in kept)

    def make(comment_id: int, depth: int, reply_to: str | None = None) -> ThreadNode:
        comment, author = by_id[comment_id]
        return ThreadNode(comment, author, depth, readable(comment_id), reply_to)

    tree = [make(r, 0) for r in roots if kept.get(r)]
    pending = list(tree)
    while pending:
        node = pending.pop()
        below = [c for c in children[node.comment.id] if kept.get(c)]
        if node.depth < MAX_DEPTH:
            node.children = [make(c, node.depth + 1) for c in below]
            pending.extend(node.children)
            continue
        # Deepest level: every further reply in order, flat, naming whom it answers.
        flat: list[ThreadNode] = []
        walk = [(c, node.author.name) for c in reversed(below)]
        while walk:
            deeper, answered = walk.pop()
            flat.append(make(deeper, MAX_DEPTH + 1, answered))
            name = by_id[deeper][1].name
            walk.extend((c, name) for c in reversed(children[deeper]) if kept.get(c))
        node.children = flat
    return tree


def paper_thread(session: Session, paper_id: int, *, admin: bool = False) -> list[ThreadNode]:
    """A paper's discussion as a tree (see `build_thread`)."""
    rows = session.execute(
        select(Comment, User)
        .join(User, User.id == Comment.user_id)
        .where(Comment.paper_id == paper_id)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    return build_thread([(c, u) for c, u in rows], admin=admin)


def count_visible(tree: Sequence[ThreadNode]) -> int:
    """How many comments of the tree everyone can read (the count every page shows)."""
    total = 0
    pending = list(tree)
    while pending:
        node = pending.pop()
        total += 1 if is_visible(node.comment) else 0
        pending.extend(node.children)
    return total
