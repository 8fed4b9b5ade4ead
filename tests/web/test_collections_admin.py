"""Collections (private by default, exportable) and moderation with an audit log."""

from __future__ import annotations

import csv
import io

import bibtexparser
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.conftest import DAY, Mailbox, Seed, make_admin, sign_in, user_name

from papertide.store.schema import Collection, FeedEntry


def make_collection(client: TestClient, token: str, name: str, public: bool = False) -> str:
    data = {"csrf_token": token, "name": name}
    if public:
        data["is_public"] = "true"
    response = client.post("/collections", data=data)
    assert response.status_code == 303
    return str(response.headers["location"])


def test_collection_lifecycle_and_exports(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    token = sign_in(client, mailbox)
    ada = user_name(engine, "ada@example.org")
    url = make_collection(client, token, "Reading list: LLMs")
    assert url == f"/u/{ada}/c/reading-list-llms"
    with Session(engine) as session:
        collection_id = session.scalars(select(Collection.id)).one()
    for arxiv_id in ("2608.00001", "https://arxiv.org/abs/2608.00003v1", "2608.00001"):
        added = client.post(
            "/collections/add",
            data={"csrf_token": token, "collection_id": collection_id, "arxiv_id": arxiv_id},
        )
        assert added.status_code == 303
    page = client.get(url)
    assert "Alpha: attention" in page.text and "Gamma rays" in page.text
    bib = client.get(url + ".bib")
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    library = bibtexparser.parse_string(bib.text)
    assert sorted(e.fields_dict["eprint"].value for e in library.entries) == [
        "2608.00001",
        "2608.00003",
    ]
    rows = list(csv.DictReader(io.StringIO(client.get(url + ".csv").text)))
    assert {r["arxiv_id"] for r in rows} == {"2608.00001", "2608.00003"}
    client.post(
        f"/collections/{collection_id}/remove", data={"csrf_token": token, "arxiv_id": "2608.00003"}
    )
    assert "Gamma rays" not in client.get(url).text
    renamed = client.post(
        f"/collections/{collection_id}/edit",
        data={"csrf_token": token, "name": "Renamed", "is_public": "true"},
    )
    assert renamed.headers["location"] == f"/u/{ada}/c/renamed"
    assert client.get(f"/u/{ada}/c/renamed.json").json()["public"] is True
    deleted = client.post(f"/collections/{collection_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert client.get(f"/u/{ada}/c/renamed").status_code == 404


def test_adding_from_a_paper_page_stays_on_the_paper(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    token = sign_in(client, mailbox)
    make_collection(client, token, "Reading group")
    with Session(engine) as session:
        collection_id = session.scalars(select(Collection.id)).one()
    form = client.get("/papers/2608.00001").text
    assert 'hx-post="/collections/add"' in form and 'name="next" value="/papers/2608.00001"' in form
    added = client.post(
        "/collections/add",
        data={
            "csrf_token": token,
            "collection_id": collection_id,
            "arxiv_id": "2608.00001",
            "next": "/papers/2608.00001",
        },
    )
    assert added.status_code == 303 and added.headers["location"] == "/papers/2608.00001"
    page = client.get("/papers/2608.00001").text
    assert "2608.00001 is now in “Reading group”." in page
    # With htmx the page stays put and only the status line under the form changes.
    fragment = client.post(
        "/collections/add",
        data={"csrf_token": token, "collection_id": collection_id, "arxiv_id": "2608.00003"},
        headers={"hx-request": "true"},
    )
    assert fragment.status_code == 200
    ada = user_name(engine, "ada@example.org")
    assert fragment.text.strip() == (
        f'2608.00003 is now in <a href="/u/{ada}/c/reading-group">Reading group</a>.'
    )
    again = client.post(
        "/collections/add",
        data={"csrf_token": token, "collection_id": collection_id, "arxiv_id": "2608.00003"},
        headers={"hx-request": "true"},
    )
    assert "is already in" in again.text
    # Elsewhere than this site, `next` is ignored: the collection is shown instead.
    outside = client.post(
        "/collections/add",
        data={
            "csrf_token": token,
            "collection_id": collection_id,
            "arxiv_id": "2608.00002",
            "next": "https://evil.example/",
        },
    )
    assert outside.headers["location"] == f"/u/{ada}/c/reading-group"


def test_private_collections_are_invisible_to_others(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    token = sign_in(client, mailbox)
    private = make_collection(client, token, "Secret")
    public = make_collection(client, token, "Open", public=True)
    ada = user_name(engine, "ada@example.org")
    profile = client.get(f"/u/{ada}").text
    assert "Secret" in profile and "Open" in profile
    other = sign_in(client, mailbox, "eve@example.org")
    assert client.get(private).status_code == 404
    assert client.get(private + ".bib").status_code == 404
    assert client.get(public).status_code == 200
    assert "Secret" not in client.get(f"/u/{ada}").text
    with Session(engine) as session:
        secret_id = session.scalars(select(Collection.id).where(Collection.name == "Secret")).one()
    stolen = client.post(
        "/collections/add",
        data={"csrf_token": other, "collection_id": secret_id, "arxiv_id": "2608.00001"},
    )
    assert stolen.status_code == 404
    assert (
        client.post(f"/collections/{secret_id}/delete", data={"csrf_token": other}).status_code
        == 404
    )


def test_empty_collection_name_is_refused(client: TestClient, mailbox: Mailbox, seed: Seed) -> None:
    token = sign_in(client, mailbox)
    assert client.post("/collections", data={"csrf_token": token, "name": "   "}).status_code == 400


def test_admin_hides_entries_and_comments_bans_users_and_it_is_audited(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    troll = sign_in(client, mailbox, "troll@example.org")
    client.post("/papers/2608.00001/comments", data={"csrf_token": troll, "body": "spam spam"})
    admin = sign_in(client, mailbox, "admin@example.org")
    assert client.get("/admin").status_code == 403
    make_admin(engine, "admin@example.org")
    assert client.get("/admin").status_code == 200
    with Session(engine) as session:
        entry_id = session.scalars(
            select(FeedEntry.id).where(FeedEntry.paper_id == seed.papers["b"].id)
        ).one()
    from papertide.store.schema import Comment

    with Session(engine) as session:
        comment_id = session.scalars(select(Comment.id)).one()
    assert (
        client.post(f"/admin/comments/{comment_id}/hide", data={"csrf_token": admin}).status_code
        == 303
    )
    assert (
        client.post(f"/admin/entries/{entry_id}/hide", data={"csrf_token": admin}).status_code
        == 303
    )
    troll_name = user_name(engine, "troll@example.org")
    ban = client.post(f"/admin/users/{troll_name}/ban", data={"csrf_token": admin})
    assert ban.status_code == 303
    log = client.get("/admin").text
    for action in ("hide_comment", "hide_entry", "ban_user"):
        assert action in log
    client.post("/logout", data={"csrf_token": admin})
    feed = client.get(f"/papers/date/{DAY}").text
    assert "Beta" not in feed
    assert "spam spam" not in client.get("/papers/2608.00001").text
    troll = sign_in(client, mailbox, "troll@example.org")
    banned = client.post(
        "/papers/2608.00001/vote",
        data={"csrf_token": troll},
        headers={"accept": "application/json"},
    )
    assert banned.status_code == 403 and banned.json()["error"]["code"] == "banned"


def test_non_admins_cannot_moderate(client: TestClient, mailbox: Mailbox, seed: Seed) -> None:
    token = sign_in(client, mailbox)
    assert client.post("/admin/users/reader-1/ban", data={"csrf_token": token}).status_code == 403
