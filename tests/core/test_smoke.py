"""Every main page renders for the demo coordinator and for an anonymous visitor."""

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

from sinergi.partners.models import Person

PAGES = [
    "/en/",
    "/id/",
    "/en/partnerships/",
    "/en/partnerships/new/",
    "/en/partnerships/immunisation-indonesia/",
    "/en/partnerships/immunisation-indonesia/partners/",
    "/en/partnerships/immunisation-indonesia/members/",
    "/en/partnerships/immunisation-indonesia/edit/",
    "/en/organisations/",
    "/en/organisations/new/",
    "/en/organisations/kemenkes/",
    "/en/organisations/kemenkes/edit/",
    "/en/accounts/tokens/",
    "/en/accounts/password/change/",
    "/api/v1/partnerships",
    "/api/v1/organisations",
    "/api/v1/docs",
    "/api/v1/openapi.json",
]


@pytest.fixture
def demo(db):
    call_command("demo", quiet=True)


@pytest.mark.parametrize("path", PAGES)
def test_coordinator_sees_every_page(demo, path):
    client = Client()
    client.force_login(Person.objects.get(username="sari"))
    response = client.get(path)
    assert response.status_code == 200, response.content[:500]


@pytest.mark.parametrize(
    "path,status",
    [
        ("/en/", 200),
        ("/en/partnerships/", 200),
        ("/en/partnerships/immunisation-indonesia/", 200),
        ("/en/partnerships/sustainable-textiles-indonesia/", 404),
        ("/en/accounts/login/", 200),
        ("/en/accounts/password/reset/", 200),
        ("/en/organisations/", 200),
    ],
)
def test_anonymous_pages(demo, path, status):
    assert Client().get(path).status_code == status


def test_favicon_ico_leads_to_the_site_icon(db):
    client = Client()

    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("sinergi/favicon.svg")
    assert finders.find("sinergi/favicon.svg")  # served with the static files
