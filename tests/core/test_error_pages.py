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


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "back"), [("en", "Back to the partnership"), ("id", "Kembali ke kemitraan")]
)
def test_a_refused_partnership_page_links_back_to_the_partnership(private_cast, language, back):
    """Given a member posting the invite form (coordinators only), then the 403 page says
    so in the page's language and links to the partnership's overview."""
    from tests.conftest import client_for

    slug = private_cast.partnership.slug
    response = client_for(private_cast.people["member"]).post(
        f"/{language}/partnerships/{slug}/members/", {"form": "invite"}
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert f'<a href="/{language}/partnerships/{slug}/">{back}</a>' in page


@pytest.mark.django_db
def test_a_refused_page_elsewhere_links_home(private_cast):
    """Given someone who is not its admin opening an organisation's edit page, then the
    403 page links to the home page."""
    from tests.conftest import client_for

    organisation = private_cast.people["member"].organisation
    response = client_for(private_cast.people["outsider"]).get(
        f"/en/organisations/{organisation.slug}/edit/"
    )

    assert response.status_code == 403
    assert '<a href="/en/">Go to the home page</a>' in response.content.decode()


def test_the_server_error_page_says_its_languages_and_fits_a_phone():
    """The 500 page is plain HTML (no template language, no database): English with its
    Indonesian parts marked as such, and sized for a phone's screen."""
    from django.test import RequestFactory
    from django.views.defaults import server_error

    page = server_error(RequestFactory().get("/")).content.decode()

    assert '<html lang="en">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<span lang="id">Kesalahan server</span>' in page
    assert '<p lang="id">Terjadi kesalahan di sisi kami.</p>' in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "says"),
    [
        ("member", "You are a member of this partnership."),
        ("observer", "You are an observer in this partnership"),
    ],
)
def test_a_refused_partnership_page_names_the_readers_role(private_cast, role, says):
    """Given someone refused a coordinators' page, the 403 page says what their role is and
    whom to ask, instead of the same sentence for everyone."""
    from tests.conftest import client_for

    slug = private_cast.partnership.slug
    response = client_for(private_cast.people[role]).post(
        f"/en/partnerships/{slug}/members/", {"form": "invite"}
    )
    assert response.status_code == 403
    assert says in response.content.decode()


@pytest.mark.django_db
def test_a_refusal_with_a_reason_says_it_and_one_without_falls_back(private_cast):
    """The 403 handler shows the reason a service gave, escaped; Django's own refusals
    (no reason) keep the general sentence."""
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory

    from sinergi.core.views import permission_denied

    request = RequestFactory().get("/en/organisations/x/edit/")
    request.user = private_cast.people["outsider"]
    reason = PermissionDenied("You cannot decide on an expenditure you <b>recorded</b>.")
    page = permission_denied(request, reason).content.decode()
    assert "You cannot decide on an expenditure you &lt;b&gt;recorded&lt;/b&gt;." in page
    assert "Your role does not allow this" not in page

    plain = permission_denied(request, PermissionDenied()).content.decode()
    assert "Your role does not allow this. Ask the partnership's coordinator." in plain


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Not a page to open"), ("id", "Bukan halaman untuk dibuka")]
)
def test_visiting_an_address_that_takes_a_form_is_a_page_that_says_so(
    private_cast, language, heading
):
    """Given a visit (GET) to addresses that only take a form's submission, a partner's
    removal in a private partnership and signing out, then each is 405 with its Allow
    header and a page in the site's layout and language (Django's was empty, which a
    browser shows as its own error page); the partnership's address tells an outsider
    nothing a made-up one does not."""
    slug = private_cast.partnership.slug
    for path in (
        f"/{language}/partnerships/{slug}/partners/1/remove/",
        f"/{language}/partnerships/no-such-partnership/partners/1/remove/",
        f"/{language}/accounts/logout/",
    ):
        response = Client().get(path)
        assert response.status_code == 405, path
        assert response["Allow"] in ("POST", "POST, OPTIONS")
        assert f"<h1>{heading}</h1>".encode() in response.content
        assert b'class="menu"' in response.content


@pytest.mark.django_db
def test_sending_a_page_what_it_does_not_take_is_a_405_page_that_says_so(private_cast):
    """Given a form's submission (POST) to an address that only shows a page, then the 405
    page says that what was sent was not taken, not that the address takes forms."""
    from tests.conftest import client_for

    for language, heading in (("en", "Not taken here"), ("id", "Tidak diterima di sini")):
        response = client_for(private_cast.people["member"]).post(f"/{language}/ledger/")
        assert response.status_code == 405
        assert response["Allow"] == "GET"
        assert f"<h1>{heading}</h1>".encode() in response.content


@pytest.mark.django_db
def test_head_is_answered_as_get_without_the_body(private_cast, settings, tmp_path):
    """Given HEAD on a page, the public checkpoint, an API list and a page's form-only
    address, then each has the GET's status, type and Content-Length (the body's length),
    and no body; before, every one was 405."""
    from sinergi.ledger import checkpoints
    from tests.ledger.support import append_events

    settings.SINERGI_LEDGER_KEY = str(tmp_path / "ledger.key")
    checkpoints._signer_for.cache_clear()
    append_events(2)
    client = Client()
    for path in ("/en/ledger/", "/ledger/checkpoint", "/api/v1/ledger/checkpoints", "/en/"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head["Content-Type"] == got["Content-Type"]
        assert head["Content-Length"] == str(len(got.content))
        assert head.content == b""
    refused = client.head(f"/en/partnerships/{private_cast.partnership.slug}/partners/1/remove/")
    assert refused.status_code == 405
    assert refused["Allow"] == "POST"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"), [("en", "This form has expired"), ("id", "Formulir")]
)
def test_a_form_sent_with_an_out_of_date_token_says_so_and_links_back(
    private_cast, language, heading
):
    """Given a form whose security token is older than the sign-in (signed in again in
    another tab), then a 403 page in the site's layout and language says the form
    expired, nothing was saved, and links back to the form's page; an HTMX request is
    told by a header, so the page says the same rather than "you may not do this"."""
    from tests.conftest import client_for

    client = client_for(private_cast.people["coordinator"])
    client.handler.enforce_csrf_checks = True
    slug = private_cast.partnership.slug
    form_page = f"http://testserver/{language}/partnerships/{slug}/edit/"
    client.get(form_page)  # the form's page sets the cookie; its token goes stale below

    response = client.post(
        f"/{language}/partnerships/{slug}/edit/",
        {"title": "Renamed", "csrfmiddlewaretoken": "x" * 64},
        HTTP_REFERER=form_page,
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert f"<h1>{heading}" in page and 'class="menu"' in page
    assert f'href="{form_page}"' in page
    assert response["X-Sinergi-Refused"] == "expired"
    assert (
        private_cast.partnership.__class__.objects.get(pk=private_cast.partnership.pk).title
        != "Renamed"
    )


@pytest.mark.django_db
def test_a_form_sent_without_the_sites_cookie_is_told_so_not_that_it_expired(private_cast):
    """Django's reason is kept apart: no cookie, or another origin, is not "you signed in
    again" (the second read of the diff)."""
    from tests.conftest import client_for

    client = client_for(private_cast.people["coordinator"])
    client.handler.enforce_csrf_checks = True
    slug = private_cast.partnership.slug

    response = client.post(f"/en/partnerships/{slug}/edit/", {"title": "Renamed"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>This form could not be sent safely</h1>" in page
    assert "did not send this site's cookie" in page and "This form has expired" not in page
    assert response["X-Sinergi-Refused"] == "refused"
