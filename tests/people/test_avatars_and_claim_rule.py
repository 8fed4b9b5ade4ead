"""The pure parts of people/: avatars and the trusted-domain rule for author claims."""

from __future__ import annotations

import pytest

from papertide.config import ConfigError, load_settings
from papertide.people.avatar import avatar_cells, avatar_svg
from papertide.people.claims import domain_is_trusted


def test_an_avatar_is_symmetric_and_depends_only_on_the_id() -> None:
    for user_id in range(1, 200):
        cells = set(avatar_cells(user_id))
        assert cells and all((4 - col, row) in cells for col, row in cells)
    assert avatar_svg(7) == avatar_svg(7) != avatar_svg(8)
    assert len({avatar_svg(i) for i in range(1, 200)}) == 199
    assert "&lt;b&gt;" in avatar_svg(1, "<b>") and "<b>" not in avatar_svg(1, "<b>")


@pytest.mark.parametrize(
    ("email", "trusted"),
    [
        ("ada@example.edu", True),
        ("ada@cs.example.edu", True),
        ("ADA@Example.EDU", True),
        ("ada@notexample.edu", False),
        ("ada@example.edu.evil.org", False),
        ("ada@example.org", False),
        ("not-an-address", False),
    ],
)
def test_trusted_domains_include_subdomains_and_nothing_else(email: str, trusted: bool) -> None:
    assert domain_is_trusted(email, ["example.edu"]) is trusted
    assert domain_is_trusted(email, []) is False


def test_the_setting_takes_domains_and_refuses_addresses_and_urls(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERTIDE_CONFIG", "/nonexistent/papertide.toml")
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(tmp_path))
    cfg = load_settings(trusted_author_domains=["@Example.EDU.", "lab.org"])
    assert cfg.trusted_author_domains == ["example.edu", "lab.org"]
    for bad in ("ada@example.edu", "https://example.edu/", "localhost"):
        with pytest.raises(ConfigError, match="trusted_author_domains: not an email domain"):
            load_settings(trusted_author_domains=[bad])
