"""Threads built from comment rows, without a database: nesting, placeholders, the count."""

from __future__ import annotations

import datetime as dt

from papertide.discussion.threads import MAX_DEPTH, ThreadNode, build_thread, count_visible
from papertide.store.schema import Comment, User

T0 = dt.datetime(2026, 8, 19, 12, tzinfo=dt.UTC)


def rows(*specs: tuple[int, int | None, str]) -> list[tuple[Comment, User]]:
    """(id, parent id, flags) -> rows; flags: "d" deleted, "h" hidden."""
    out = []
    for comment_id, parent, flags in specs:
        author = User(id=comment_id, name=f"user{comment_id}", email=f"u{comment_id}@x.org")
        comment = Comment(
            id=comment_id,
            paper_id=1,
            user_id=comment_id,
            parent_id=parent,
            body=str(comment_id),
            body_html="",
            deleted="d" in flags,
            hidden="h" in flags,
            created_at=T0 + dt.timedelta(minutes=comment_id),
        )
        out.append((comment, author))
    return out


def shape(nodes: list[ThreadNode]) -> list[object]:
    return [
        (n.comment.id, n.depth, n.shown, n.reply_to, shape(n.children))
        if n.children
        else n.comment.id
        for n in nodes
    ]


def test_replies_nest_oldest_first_whatever_the_row_order() -> None:
    tree = build_thread(list(reversed(rows((1, None, ""), (2, 1, ""), (3, None, ""), (4, 1, "")))))
    assert shape(tree) == [(1, 0, True, None, [2, 4]), 3]
    assert count_visible(tree) == 4


def test_removed_comments_stay_only_where_replies_hang_below() -> None:
    data = rows((1, None, "d"), (2, 1, ""), (3, None, "d"), (4, None, "h"), (5, 4, "d"))
    tree = build_thread(data)
    assert shape(tree) == [(1, 0, False, None, [2])]
    assert count_visible(tree) == 1
    # An admin sees the hidden comment (and its deleted reply stays gone); it is still not counted.
    admin_tree = build_thread(data, admin=True)
    assert [n.comment.id for n in admin_tree] == [1, 4]
    assert admin_tree[1].shown and admin_tree[1].children == []
    assert count_visible(admin_tree) == 1


def test_deep_chains_stop_nesting_and_say_whom_they_answer() -> None:
    chain = [(1, None, "")] + [(i, i - 1, "") for i in range(2, MAX_DEPTH + 5)]
    tree = build_thread(rows(*chain))
    node = tree[0]
    while node.children and node.depth < MAX_DEPTH:
        node = node.children[0]
    assert node.depth == MAX_DEPTH
    flat = node.children
    assert [n.depth for n in flat] == [MAX_DEPTH + 1] * 3
    assert all(n.children == [] for n in flat)
    assert [n.reply_to for n in flat] == [f"user{node.comment.id + k}" for k in range(3)]
    assert count_visible(tree) == MAX_DEPTH + 4


def test_a_reply_whose_parent_is_missing_is_shown_at_the_top() -> None:
    tree = build_thread(rows((5, 4, "")))
    assert shape(tree) == [5]
