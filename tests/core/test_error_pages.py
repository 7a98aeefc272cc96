"""Error pages render in the site's layout and language, never Django's bare text."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "heading"), [("en", "Bad request"), ("id", "Permintaan")])
def test_a_nul_character_in_a_page_address_is_a_bad_request_page(settings, language, heading):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get(f"/{language}/partnerships/?q=a%00b")
    assert response.status_code == 400
    assert f"<h1>{heading}".encode() in response.content
    assert b'class="menu"' in response.content
