"""A rejected edit keeps the page about the saved partnership, not the rejected input."""

import pytest
from django.test import Client

from tests.factories import MembershipFactory, PartnershipFactory


@pytest.mark.django_db
def test_a_taken_short_name_is_an_inline_error_and_the_heading_keeps_the_saved_title():
    """Given a coordinator editing a partnership, when they submit another partnership's
    slug and a new title, then the slug field shows the error, nothing is saved, and the
    heading and cancel link still name the saved partnership."""
    taken = PartnershipFactory(slug="taken")
    membership = MembershipFactory(role="coordinator")
    partnership = membership.partnership
    client = Client()
    client.force_login(membership.person)
    response = client.post(
        f"/en/partnerships/{partnership.slug}/edit/",
        {
            "title": "Renamed",
            "slug": taken.slug,
            "activity_status": "2",
            "base_currency": "IDR",
            "visibility": "private",
        },
    )
    assert response.status_code == 422
    assert "already exists" in response.text
    assert f"Edit {partnership.title}" in response.text
    assert f'href="/en/partnerships/{partnership.slug}/"' in response.text
    partnership.refresh_from_db()
    assert partnership.title != "Renamed"
