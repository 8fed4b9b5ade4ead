"""A paper that is not here: a link to submit it when arXiv can have it, and none for an id that
cannot exist (9999.99999); the submit form arrives filled in, also through signing in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from tests.web.conftest import Mailbox, Seed, sign_in


def test_a_missing_paper_links_to_submitting_it(reader: TestClient) -> None:
    response = reader.get("/papers/2608.99999")
    assert response.status_code == 404
    main = response.text.split("<main", 1)[1]
    assert "2608.99999 is not here yet." in main
    assert '<a class="button" href="/submit?paper=2608.99999">Submit it' in main


def test_an_impossible_id_is_not_offered_for_submission(reader: TestClient) -> None:
    for impossible in ("9999.99999", "2613.00001", "3001.00001"):
        response = reader.get(f"/papers/{impossible}")
        assert response.status_code == 404
        main = response.text.split("<main", 1)[1]
        assert f"There is no arXiv paper {impossible}" in main
        assert "Submit" not in main and "/submit" not in main


def test_missing_paper_as_json_is_a_plain_404(reader: TestClient) -> None:
    response = reader.get("/papers/2608.99999", headers={"accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_submit_link_fills_in_the_form_after_signing_in(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    anonymous = client.get("/submit?paper=2608.99999")
    assert anonymous.status_code == 303
    target = parse_qs(urlsplit(anonymous.headers["location"]).query)["next"][0]
    assert target == "/submit?paper=2608.99999"
    sign_in(client, mailbox)
    form = client.get(target).text
    assert 'id="paper" name="paper"' in form and 'value="2608.99999"' in form
