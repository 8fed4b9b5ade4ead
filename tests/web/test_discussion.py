"""Discussion: one comment count everywhere, threaded replies, reply mails (opt-out), math.

Mails go through the real aiosmtpd server of the web fixtures.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from tests.web.conftest import DAY, Mailbox, Seed, make_admin, sign_in, user_name

from papertide.store.schema import Comment, FeedEntry, User

PAPER = "2608.00001"
JSON = {"accept": "application/json"}


def comment(client: TestClient, token: str, body: str, parent: int | None = None) -> int:
    data: dict[str, object] = {"csrf_token": token, "body": body}
    if parent is not None:
        data["parent_id"] = parent
    response = client.post(f"/papers/{PAPER}/comments", data=data, headers=JSON)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


class CommentNesting(HTMLParser):
    """Which comment each comment block sits inside, read from the page's HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[int | None] = []
        self.parent: dict[int, int | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "div":
            return
        found = re.fullmatch(r"comment-(\d+)", dict(attrs).get("id") or "")
        if found:
            own = int(found.group(1))
            enclosing = [c for c in self.stack if c is not None]
            self.parent[own] = enclosing[-1] if enclosing else None
            self.stack.append(own)
        else:
            self.stack.append(None)

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self.stack:
            self.stack.pop()


def nesting(html: str) -> dict[int, int | None]:
    parser = CommentNesting()
    parser.feed(html)
    return parser.parent


def shown_counts(client: TestClient) -> dict[str, object]:
    """The comment count of paper a as every place shows it."""
    card = client.get(f"/papers/date/{DAY}").text
    card = card[card.index(f'id="p-{PAPER}"') :]
    card = card[: card.index("</article>")]
    page = client.get(f"/papers/{PAPER}").text
    feed = {e["paper"]["id"]: e for e in client.get(f"/papers/date/{DAY}.json").json()}[PAPER]
    trending = {e["paper"]["id"]: e for e in client.get("/trending.json?window=day").json()}
    terms = {t["name"]: t for t in trending[PAPER]["trending"]["terms"]}
    return {
        "card": re.search(r"(\d+) comments?<", card).group(1),  # type: ignore[union-attr]
        "card_hf": "1 on Hugging Face" in card,
        "page": re.search(r"Comments \((\d+)\)", page).group(1),  # type: ignore[union-attr]
        "page_hf": "1 more comment on" in page,
        "json": feed["numComments"],
        "json_hf": feed["numImportedComments"],
        "api": client.get(f"/api/papers/{PAPER}").json()["numComments"],
        "trending": terms["comments"]["explanation"],
    }


def test_one_comment_count_on_card_page_json_and_trending(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    """The 2608.20336 case: a comment counted on Hugging Face is shown apart, never added in."""
    with Session(engine) as session:
        session.execute(
            update(FeedEntry)
            .where(FeedEntry.paper_id == seed.papers["a"].id)
            .values(imported_comments=1)
        )
        session.commit()
    assert shown_counts(client) == {
        "card": "0",
        "card_hf": True,
        "page": "0",
        "page_hf": True,
        "json": 0,
        "json_hf": 1,
        "api": 0,
        "trending": "0 comments + 1 on Hugging Face",
    }
    token = sign_in(client, mailbox)
    comment_id = comment(client, token, "A first local comment")
    counts = shown_counts(client)
    assert (counts["card"], counts["page"], counts["json"], counts["api"]) == ("1", "1", 1, 1)
    assert counts["trending"] == "1 comment + 1 on Hugging Face"

    # Hidden by an admin: gone from every count, even on the admin's own view of the page.
    make_admin(engine, "ada@example.org")
    client.post(f"/admin/comments/{comment_id}/hide", data={"csrf_token": token})
    counts = shown_counts(client)
    assert (counts["card"], counts["page"], counts["json"], counts["api"]) == ("0", "0", 0, 0)
    assert "hidden" in client.get(f"/papers/{PAPER}").text  # the admin still sees it, marked


def test_replies_nest_under_what_they_answer(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    first = comment(client, token, "top level")
    reply = comment(client, token, "a reply", parent=first)
    deeper = comment(client, token, "a reply to the reply", parent=reply)
    second = comment(client, token, "another top-level comment")
    page = client.get(f"/papers/{PAPER}").text
    assert nesting(page) == {first: None, reply: first, deeper: reply, second: None}
    assert "Comments (4)" in page
    assert f'name="parent_id" value="{deeper}"' in page  # every comment has its reply form


def test_a_deleted_comment_with_replies_stays_as_a_placeholder(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    parent = comment(client, token, "soon gone")
    reply = comment(client, token, "still worth reading", parent=parent)
    client.post(f"/comments/{parent}/delete", data={"csrf_token": token})
    page = client.get(f"/papers/{PAPER}").text
    assert "soon gone" not in page and "still worth reading" in page
    assert "Comment deleted." in page
    assert nesting(page)[reply] == parent
    assert "Comments (1)" in page
    # A deleted comment takes no new replies.
    refused = client.post(
        f"/papers/{PAPER}/comments",
        data={"csrf_token": token, "body": "late", "parent_id": parent},
        headers=JSON,
    )
    assert refused.status_code == 404


def test_a_reply_must_answer_a_comment_of_the_same_paper(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    elsewhere = client.post(
        "/papers/2608.00002/comments", data={"csrf_token": token, "body": "x"}, headers=JSON
    ).json()["id"]
    for parent in (elsewhere, 999_999):
        response = client.post(
            f"/papers/{PAPER}/comments",
            data={"csrf_token": token, "body": "misplaced", "parent_id": parent},
            headers=JSON,
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    bad = client.post(
        f"/papers/{PAPER}/comments",
        data={"csrf_token": token, "body": "x", "parent_id": "abc"},
        headers=JSON,
    )
    assert bad.status_code == 422


def reply_mails(mailbox: Mailbox) -> list[object]:
    return [m for m in mailbox.messages if "replied to your comment" in str(m["Subject"])]


def test_a_reply_mails_the_author_who_can_stop_it_in_one_click(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    author = sign_in(client, mailbox, "author@example.org")
    parent = comment(client, author, "What is $\\mathcal{L}$ here?")
    comment(client, author, "answering myself", parent=parent)
    assert reply_mails(mailbox) == []  # nobody is mailed about their own reply

    other = sign_in(client, mailbox, "bob@example.org")
    reply = comment(client, other, "The **loss**, see eq. 3.", parent=parent)
    mails = reply_mails(mailbox)
    assert len(mails) == 1
    mail = mails[0]
    assert mail["To"] == "author@example.org"  # type: ignore[index]
    bob = user_name(engine, "bob@example.org")
    assert f"{bob} replied to your comment" in mail["Subject"]  # type: ignore[index]
    text = mail.get_payload(decode=True).decode()  # type: ignore[attr-defined]
    assert "> The **loss**, see eq. 3." in text
    assert f"http://testserver/papers/{PAPER}#comment-{reply}" in text
    opt_out = re.search(r"<(http://testserver/replies/off/[^>]+)>", mail["List-Unsubscribe"])  # type: ignore[index]
    assert opt_out and opt_out.group(1) in text
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # type: ignore[index]

    # One click from the mail client: no session, no CSRF token; the signed token decides.
    client.cookies.clear()
    stopped = client.post(
        opt_out.group(1).replace("http://testserver", ""),
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert stopped.status_code == 200 and stopped.json() == {
        "notifyReplies": False,
        "name": user_name(engine, "author@example.org"),
    }
    other = sign_in(client, mailbox, "bob@example.org")
    comment(client, other, "one more thing", parent=parent)
    assert len(reply_mails(mailbox)) == 1

    forged = client.post(opt_out.group(1).replace("http://testserver", "") + "x")
    assert forged.status_code == 400


def test_reply_mails_follow_the_settings_checkbox(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    author = sign_in(client, mailbox, "author@example.org")
    parent = comment(client, author, "first")
    page = client.get("/settings").text
    assert 'name="notify_replies" value="true" checked' in page
    saved = client.post("/settings", data={"csrf_token": author, "display_name": "A. Author"})
    assert saved.status_code == 303
    with Session(engine) as session:
        name = user_name(engine, "author@example.org")
        person = session.scalars(select(User).where(User.name == name)).one()
        assert (person.notify_replies, person.display_name) == (False, "A. Author")
    other = sign_in(client, mailbox, "bob@example.org")
    comment(client, other, "unheard", parent=parent)
    assert reply_mails(mailbox) == []

    author = sign_in(client, mailbox, "author@example.org")
    client.post("/settings", data={"csrf_token": author, "notify_replies": "true"})
    other = sign_in(client, mailbox, "bob@example.org")
    comment(client, other, "heard", parent=parent)
    assert len(reply_mails(mailbox)) == 1


def test_imported_handles_are_never_mailed(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    with Session(engine) as session:
        session.add(
            Comment(
                paper_id=seed.papers["a"].id,
                user_id=seed.submitter.id,  # an imported, pseudonymised handle
                body="imported",
                body_html="<p>imported</p>",
            )
        )
        session.commit()
        parent = session.scalars(select(Comment.id)).one()
    token = sign_in(client, mailbox)
    comment(client, token, "hello", parent=parent)
    assert reply_mails(mailbox) == []


def test_comment_math_is_kept_for_katex_and_stays_escaped(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    comment(
        client,
        token,
        "Loss $\\mathcal{L}_1 + x_2$ beats $$\\sum_i a_i$$, costs $5 and $10; "
        "`$x_1$` is code; $<img src=x onerror=alert(1)>$",
    )
    page = client.get(f"/papers/{PAPER}").text
    assert '<span class="math-inline">\\mathcal{L}_1 + x_2</span>' in page  # no <em> from "_"
    assert '<span class="math-display">\\sum_i a_i</span>' in page
    assert "costs $5 and $10" in page  # money is not math
    assert "<code>$x_1$</code>" in page
    assert "<img src=x" not in page
    assert '<span class="math-inline">&lt;img src=x onerror=alert(1)&gt;</span>' in page
    assert "/static/vendor/katex/katex.min.js" in page
