"""The Members tab is offered to those who may open it: the partnership's own people and
staff. A signed-in reader of a public partnership who is not one of its people was shown
the tab and got a 403 on following it."""

from __future__ import annotations

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PAGES = ["", "finance/", "results/", "ledger/", "partners/"]


def members_link(html: str, slug: str) -> bool:
    return f'href="/en/partnerships/{slug}/members/"' in html


@pytest.mark.parametrize(
    "page", PAGES, ids=["overview", "finance", "results", "ledger", "partners"]
)
def test_the_members_tab_is_shown_exactly_to_those_it_opens_for(public_cast, page):
    """Given each reader of a public partnership in turn (outsider first, so that a kept
    page or tab bar rendered for one would be served to the next), then the tab bar holds
    the Members link exactly when the members page opens for that reader."""
    slug = public_cast.partnership.slug
    readers = ["outsider", "anonymous", "observer", "coordinator", "staff", "outsider"]
    for name in readers:
        client = client_for(public_cast.people[name])
        html = client.get(f"/en/partnerships/{slug}/{page}").content.decode()
        members = client.get(f"/en/partnerships/{slug}/members/")
        opens = members.status_code == 200
        assert members_link(html, slug) is opens, (name, members.status_code)
        assert opens is (name in ("observer", "coordinator", "staff")), name
