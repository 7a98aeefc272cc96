"""Agreement pages: the agreement in force, signing with a confirm step, drafts with inline
errors, diffs, HTMX partials, privacy and query counts."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sinergi.partnerships.agreements import services
from sinergi.partnerships.models import AgreementSignature, AgreementStatus, AgreementVersion
from tests.design.test_agreements_services import (
    CONTENT,
    Agreement,
    build_agreement,
    open_v1,
    sign_all,
)
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PersonFactory,
)


@pytest.fixture
def ag(db) -> Agreement:
    return build_agreement()


def client_for(person) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


def url(ag: Agreement, rest: str = "") -> str:
    return f"/en/partnerships/{ag.partnership.slug}/agreement/{rest}"


def adopted_and_v2_open(ag: Agreement) -> tuple[AgreementVersion, AgreementVersion]:
    v1 = open_v1(ag)
    sign_all(ag, v1)
    v2 = services.create_draft(
        actor=ag.coordinator,
        partnership=ag.partnership,
        joining="A new partner joins by consensus of all partners.",
    )
    v2 = services.open_for_signature(actor=ag.coordinator, version=v2)
    services.sign(actor=ag.ngo_admin, version=v2, organisation=ag.ngo)
    return v1, v2


# The agreement page -------------------------------------------------------------------------


def test_the_page_shows_the_agreement_in_force_and_the_open_version(ag):
    """Given version 1 adopted and version 2 open with the NGO signed, when the company's
    admin opens the page, then it shows the adopted text rendered, the rules as a
    definition list, version 2's pending signatures, a sign button for the company only,
    and the versions with a diff link."""
    adopted_and_v2_open(ag)
    response = client_for(ag.company_admin).get(url(ag))
    assert response.status_code == 200
    html = response.text
    assert 'aria-current="page">Agreement</a>' in html
    assert "The agreement in force: version 1" in html
    assert "<h4>Partnering agreement</h4>" in html  # the Markdown heading, under the h3
    assert "<dt>Decision rule</dt><dd>Qualified majority</dd>" in html
    assert "<dt>Qualified majority (%)</dt><dd>67%</dd>" in html
    assert "Version 2 is open for signature" in html
    assert "Sign for Vaksin Co" in html
    assert "Sign for Yayasan Sehat" not in html
    assert "Sign for Ministry of Health" not in html
    assert f"{url(ag)}diff/?a=1&amp;b=2" in html
    assert "Pending" in html


def test_the_page_before_any_agreement_invites_the_coordinator_to_draft(ag):
    response = client_for(ag.coordinator).get(url(ag))
    assert response.status_code == 200
    assert "No agreement has been adopted yet." in response.text
    assert f'href="{url(ag)}draft/"' in response.text
    member_page = client_for(ag.member).get(url(ag))
    assert f'href="{url(ag)}draft/"' not in member_page.text


def test_who_may_sign_is_shown_to_members_only(db):
    """Given a public partnership, then anonymous visitors see signatures but not the list
    of authorised people, which members see."""
    ag = build_agreement("public")
    open_v1(ag)
    anonymous = Client().get(url(ag))
    assert anonymous.status_code == 200
    assert "Who may sign" not in anonymous.text
    assert "Sign for" not in anonymous.text
    member = client_for(ag.member).get(url(ag))
    assert "Who may sign" in member.text


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
@pytest.mark.parametrize(
    "rest", ["", "v1/", "diff/?a=1&b=1", "draft/", "v1/open/", "v1/sign/yayasan-sehat/"]
)
def test_a_private_partnership_agreement_is_not_found_for_outsiders(ag, who, rest):
    open_v1(ag)
    person = None if who == "anonymous" else ag.outsider
    response = client_for(person).get(url(ag, rest))
    if who == "anonymous" and rest in ("draft/", "v1/open/", "v1/sign/yayasan-sehat/"):
        assert response.status_code == 302  # to sign in first
    else:
        assert response.status_code == 404


def test_the_agreement_page_runs_a_fixed_number_of_queries(ag, django_assert_max_num_queries):
    """Given two versions and three partners, the page needs at most 10 queries, and the
    same with ten more partners."""
    adopted_and_v2_open(ag)
    client = client_for(ag.coordinator)
    with django_assert_max_num_queries(10):
        assert client.get(url(ag)).status_code == 200
    for n in range(10):
        organisation = OrganisationFactory(slug=f"extra-{n}")
        ParticipationFactory(partnership=ag.partnership, organisation=organisation)
        MembershipFactory(
            partnership=ag.partnership,
            person=PersonFactory(organisation=organisation),
            role="partner_admin",
        )
    with django_assert_max_num_queries(10):
        assert client.get(url(ag)).status_code == 200


# Signing ------------------------------------------------------------------------------------


def test_signing_goes_through_a_confirm_step_that_shows_the_hash(ag):
    """Given version 1 open, when the NGO's admin opens the sign link, then the confirm page
    shows the hash; posting it signs and returns to the agreement page."""
    v1 = open_v1(ag)
    client = client_for(ag.ngo_admin)
    confirm = client.get(url(ag, "v1/sign/yayasan-sehat/"))
    assert confirm.status_code == 200
    assert v1.content_hash in confirm.text
    assert "Sign for Yayasan Sehat" in confirm.text
    response = client.post(url(ag, "v1/sign/yayasan-sehat/"), {"content_hash": v1.content_hash})
    assert response.status_code == 302
    assert response["Location"] == url(ag)
    signature = AgreementSignature.objects.get()
    assert (signature.organisation, signature.signed_by) == (ag.ngo, ag.ngo_admin)
    page = client.get(url(ag))
    assert "Yayasan Sehat signed version 1." in page.text


def test_the_confirm_step_comes_inline_with_htmx(ag):
    open_v1(ag)
    response = client_for(ag.ngo_admin).get(
        url(ag, "v1/sign/yayasan-sehat/"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'name="content_hash"' in response.text
    # The link that was pressed is gone: the keyboard goes to what is to be signed.
    (focused,) = re.findall(r"<[a-z]+[^>]*autofocus[^>]*>[^<]*", response.text)
    assert focused.startswith('<p tabindex="-1" autofocus>You sign version 1')


def test_a_refused_signature_puts_the_keyboard_on_the_reason(ag):
    open_v1(ag)
    response = client_for(ag.ngo_admin).post(
        url(ag, "v1/sign/yayasan-sehat/"), {"content_hash": "f" * 64}
    )
    assert response.status_code == 422
    (focused,) = re.findall(r"<[a-z]+[^>]*autofocus[^>]*>", response.text)
    assert 'class="form-errors" role="alert"' in focused


def test_the_last_signature_on_the_page_adopts(ag):
    v1 = open_v1(ag)
    services.sign(actor=ag.coordinator, version=v1, organisation=ag.ministry)
    services.sign(actor=ag.ngo_admin, version=v1, organisation=ag.ngo)
    client = client_for(ag.company_admin)
    client.post(url(ag, "v1/sign/vaksin-co/"), {"content_hash": v1.content_hash})
    assert AgreementVersion.objects.get(pk=v1.pk).status == AgreementStatus.ADOPTED
    assert "the agreement is adopted" in client.get(url(ag)).text


def test_signing_an_old_version_on_the_page_says_which_to_sign(ag):
    """Given version 2 open, when a partner posts a signature for version 1, then the page
    answers 422 naming version 2, and nothing is saved."""
    v1 = open_v1(ag)
    v2 = services.create_draft(actor=ag.coordinator, partnership=ag.partnership, leaving="x")
    services.open_for_signature(actor=ag.coordinator, version=v2)
    client = client_for(ag.ngo_admin)
    assert "sign version 2" in client.get(url(ag, "v1/sign/yayasan-sehat/")).text
    response = client.post(url(ag, "v1/sign/yayasan-sehat/"), {"content_hash": v1.content_hash})
    assert response.status_code == 422
    assert "Version 1 is no longer open for signature; sign version 2." in response.text
    assert not AgreementSignature.objects.exists()


def test_a_hash_mismatch_on_the_page_is_shown_and_saves_nothing(ag):
    open_v1(ag)
    response = client_for(ag.ngo_admin).post(
        url(ag, "v1/sign/yayasan-sehat/"), {"content_hash": "f" * 64}
    )
    assert response.status_code == 422
    assert "not the one you were shown" in response.text
    assert not AgreementSignature.objects.exists()


@pytest.mark.parametrize("who", ["member", "company_admin", "coordinator"])
def test_signing_for_another_organisation_is_forbidden(ag, who):
    v1 = open_v1(ag)
    person = getattr(ag, who)
    client = client_for(person)
    assert client.get(url(ag, "v1/sign/yayasan-sehat/")).status_code == 403
    response = client.post(url(ag, "v1/sign/yayasan-sehat/"), {"content_hash": v1.content_hash})
    assert response.status_code == 403
    assert not AgreementSignature.objects.exists()


# Drafting ------------------------------------------------------------------------------------


def draft_form(**changes) -> dict:
    data = {k: ("" if v is None else v) for k, v in CONTENT.items()}
    data.update(changes)
    return data


def test_a_coordinator_drafts_the_first_version(ag):
    client = client_for(ag.coordinator)
    assert client.get(url(ag, "draft/")).status_code == 200
    response = client.post(url(ag, "draft/"), draft_form())
    assert response.status_code == 302
    assert response["Location"] == url(ag, "v1/")
    version = AgreementVersion.objects.get()
    assert (version.number, version.status, version.majority_percent) == (1, "draft", 67)


def test_a_qualified_majority_without_percentage_is_an_inline_error(ag):
    response = client_for(ag.coordinator).post(url(ag, "draft/"), draft_form(majority_percent=""))
    assert response.status_code == 422
    assert "A qualified majority needs its percentage." in response.text
    assert 'aria-invalid="true"' in response.text
    assert not AgreementVersion.objects.exists()


@pytest.mark.parametrize("blank", ["", "   ", " \r\n\t "])
def test_a_text_of_spaces_is_an_inline_error_like_an_empty_one(ag, blank):
    response = client_for(ag.coordinator).post(url(ag, "draft/"), draft_form(text=blank))
    assert response.status_code == 422
    assert "This field is required." in response.text
    assert not AgreementVersion.objects.exists()


def test_the_draft_form_keeps_the_text_as_typed(ag):
    """Given a text that starts with an indented line (a code block in Markdown), then it is
    stored as typed, as the API stores it, and so hashes the same either way."""
    text = "    clause 1\n\n# Terms\n"
    response = client_for(ag.coordinator).post(url(ag, "draft/"), draft_form(text=text))
    assert response.status_code == 302
    assert AgreementVersion.objects.get().text == text


def test_the_draft_form_starts_from_the_latest_version_and_edits_the_draft(ag):
    """Given version 1 open, the draft form is filled with its text; saving creates
    version 2; the form then edits version 2."""
    open_v1(ag)
    client = client_for(ag.coordinator)
    form = client.get(url(ag, "draft/"))
    assert "Decisions are taken at the quarterly" in form.text
    client.post(url(ag, "draft/"), draft_form(joining="By consensus."))
    client.post(url(ag, "draft/"), draft_form(joining="By consensus of all partners."))
    v2 = AgreementVersion.objects.get(number=2)
    assert v2.joining == "By consensus of all partners."
    assert AgreementVersion.objects.count() == 2


def test_the_preview_renders_markdown_without_saving(ag):
    client = client_for(ag.coordinator)
    data = draft_form(text="# Title\n\n<script>alert(1)</script>", preview="1")
    partial = client.post(url(ag, "draft/"), data, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<h4>Title</h4>" in partial.text
    assert "<script>" not in partial.text
    assert "<html" not in partial.text
    # The content of the live region #preview, which the button swaps in place (the
    # region stays in the page, so its new text is announced).
    assert 'id="preview"' not in partial.text
    form = client.get(url(ag, "draft/")).text
    assert '<div id="preview" class="agreement-text preview" aria-live="polite">' in form
    (button,) = re.findall(r'<button[^>]*hx-target="#preview"[^>]*>', form)
    assert 'hx-swap="innerHTML"' in button
    page = client.post(url(ag, "draft/"), data)  # without JavaScript: the whole page
    assert "<h4>Title</h4>" in page.text
    assert not AgreementVersion.objects.exists()


def test_partner_admins_may_not_draft(ag):
    assert client_for(ag.ngo_admin).get(url(ag, "draft/")).status_code == 403
    assert client_for(ag.ngo_admin).post(url(ag, "draft/"), draft_form()).status_code == 403


def test_opening_for_signature_shows_the_hash_then_opens(ag):
    draft = services.create_draft(actor=ag.coordinator, partnership=ag.partnership, **CONTENT)
    client = client_for(ag.coordinator)
    confirm = client.get(url(ag, "v1/open/"))
    assert services.content_hash(draft) in confirm.text
    assert client.post(url(ag, "v1/open/")).status_code == 302
    assert AgreementVersion.objects.get().status == AgreementStatus.OPEN
    assert client_for(ag.ngo_admin).post(url(ag, "v1/open/")).status_code == 403


# Versions and diffs --------------------------------------------------------------------------


def test_a_version_page_shows_text_rules_and_signatures(ag):
    adopted_and_v2_open(ag)
    response = client_for(ag.member).get(url(ag, "v2/"))
    assert response.status_code == 200
    assert "Open for signature" in response.text
    assert "A new partner joins by consensus of all partners." in response.text
    assert "Signed" in response.text
    assert client_for(ag.member).get(url(ag, "v9/")).status_code == 404


def test_the_diff_page_shows_changed_lines_and_rules(ag):
    adopted_and_v2_open(ag)
    response = client_for(ag.member).get(url(ag, "diff/?a=1&b=2"))
    assert response.status_code == 200
    assert "How partners join" in response.text
    assert "<ins>A new partner joins by consensus of all partners.</ins>" in response.text
    assert "The text did not change." in response.text
    default = client_for(ag.member).get(url(ag, "diff/"))
    assert default.status_code == 200
    assert "<ins>A new partner joins" in default.text
    assert client_for(ag.member).get(url(ag, "diff/?a=1&b=7")).status_code == 404


def test_hostile_markdown_is_sanitised_on_the_page(ag):
    """Given agreement text with a script, an event handler and javascript: links, then the
    page shows them as text, never as live HTML."""
    hostile = (
        "# Terms\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1))\n\n[ok](https://example.org)\n\n"
        '<a href="javascript:alert(2)">raw</a>'
    )
    services.create_draft(
        actor=ag.coordinator, partnership=ag.partnership, **{**CONTENT, "text": hostile}
    )
    html = client_for(ag.member).get(url(ag, "v1/")).text
    assert "<script>alert" not in html
    assert "<img" not in html
    assert '<a href="javascript:' not in html
    assert '&lt;a href="javascript:alert(2)"&gt;raw&lt;/a&gt;' in html  # shown as text
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in html


def test_drafts_are_for_the_partnerships_own_people(db):
    """Given a public partnership with version 1 open and version 2 a draft, then an
    anonymous visitor sees version 1 but not the draft (not listed, not found), while a
    member sees both."""
    ag = build_agreement("public")
    open_v1(ag)
    services.create_draft(actor=ag.coordinator, partnership=ag.partnership, leaving="Secret.")
    anonymous = Client()
    page = anonymous.get(url(ag))
    assert page.status_code == 200
    assert f'href="{url(ag)}v1/"' in page.text
    assert f'href="{url(ag)}v2/"' not in page.text
    assert anonymous.get(url(ag, "v1/")).status_code == 200
    assert anonymous.get(url(ag, "v2/")).status_code == 404
    assert anonymous.get(url(ag, "diff/?a=1&b=2")).status_code == 404
    assert "Secret." not in anonymous.get(url(ag, "diff/")).text
    member = client_for(ag.member)
    assert f'href="{url(ag)}v2/"' in member.get(url(ag)).text
    assert "Secret." in member.get(url(ag, "v2/")).text


@pytest.mark.parametrize("percent", ["0", "-1", "50"])
def test_a_percentage_below_a_majority_says_the_range_once(ag, percent):
    """ "-1" was told "at least 0", and "0" was told both "at least 51" and "needs its
    percentage" (the forms review)."""
    response = client_for(ag.coordinator).post(
        url(ag, "draft/"), draft_form(majority_percent=percent)
    )
    assert response.status_code == 422
    assert "greater than or equal to 51" in response.text
    assert "needs its percentage" not in response.text
    assert not AgreementVersion.objects.exists()
