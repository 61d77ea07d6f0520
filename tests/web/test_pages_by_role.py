"""Every page each role reaches from the menu answers, in Vietnamese by default and in English."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import text

ROLES = ["union_officer", "youth_officer", "cell_secretary", "residential_committee", "grassroots_committee",
         "authority", "organizer"]


@pytest.mark.parametrize("username", ROLES)
def test_every_menu_page_answers(page, walker, username):
    walker().to("verification")
    client = page(username)
    home = client.get("/").get_data(as_text=True)
    links = re.findall(r'<nav class="main-nav".*?</ul>', home, flags=re.S)[0]
    urls = re.findall(r'href="(/[^"]*)"', links)
    assert "/" in urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    client.post("/language", data={"locale": "en"})
    assert "My work" in text(client.get("/"))
