"""The partnering agreement workflow: draft, open, sign, adopt; bad input saves nothing;
every step is on the ledger in the same transaction as the change."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pytest
import rfc8785
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from sinergi.core.errors import Conflict
from sinergi.ledger.models import Entry
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.agreements import queries, services
from sinergi.partnerships.models import (
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    Partnership,
)
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

TEXT = """# Partnering agreement

## 1. Purpose
We work together so that every child is immunised.

## 2. Decisions
Decisions are taken at the quarterly partners' meeting.
"""

CONTENT = {
    "text": TEXT,
    "decision_rule": "qualified_majority",
    "majority_percent": 67,
    "meeting_cadence": "quarterly",
    "joining": "A new partner joins when the partners agree and it signs this agreement.",
    "leaving": "A partner may leave with three months' written notice.",
    "dispute_resolution": "The coordinator mediates; then an agreed independent mediator.",
    "exit_strategy": "Assets and data go to the Ministry of Health when the partnership ends.",
}


@dataclass
class Agreement:
    """A partnership with three partner organisations and an authorised signer for each."""

    partnership: Partnership
    coordinator: Person  # works for `ministry`, so may also sign for it
    ministry: Organisation
    ngo: Organisation
    company: Organisation  # takes part in two roles: still one signature
    ngo_admin: Person
    company_admin: Person
    member: Person  # works for the NGO but only a member: may not sign
    outsider: Person


def build_agreement(visibility: str = "private") -> Agreement:
    partnership = PartnershipFactory(visibility=visibility)
    ministry = OrganisationFactory(name="Ministry of Health", slug="ministry", org_type="10")
    ngo = OrganisationFactory(name="Yayasan Sehat", slug="yayasan-sehat", org_type="22")
    company = OrganisationFactory(name="Vaksin Co", slug="vaksin-co", org_type="72")
    for organisation, role in [(ministry, "2"), (ngo, "4"), (company, "1"), (company, "4")]:
        ParticipationFactory(partnership=partnership, organisation=organisation, role=role)
    people = {}
    for name, organisation, role in [
        ("coordinator", ministry, "coordinator"),
        ("ngo_admin", ngo, "partner_admin"),
        ("company_admin", company, "partner_admin"),
        ("member", ngo, "member"),
    ]:
        person = PersonFactory(username=name, organisation=organisation)
        MembershipFactory(partnership=partnership, person=person, role=role)
        people[name] = person
    return Agreement(
        partnership=partnership,
        ministry=ministry,
        ngo=ngo,
        company=company,
        outsider=PersonFactory(username="outsider"),
        **people,
    )


@pytest.fixture
def ag(db) -> Agreement:
    return build_agreement()


def open_v1(ag: Agreement) -> AgreementVersion:
    draft = services.create_draft(actor=ag.coordinator, partnership=ag.partnership, **CONTENT)
    return services.open_for_signature(actor=ag.coordinator, version=draft)


def sign_all(ag: Agreement, version: AgreementVersion) -> None:
    for person, organisation in [
        (ag.coordinator, ag.ministry),
        (ag.ngo_admin, ag.ngo),
        (ag.company_admin, ag.company),
    ]:
        services.sign(actor=person, version=version, organisation=organisation)


def entries(partnership: Partnership, prefix: str = "agreement.") -> list[dict]:
    rows = Entry.objects.filter(partnership_ref=partnership.pk, kind__startswith=prefix)
    return [json.loads(bytes(e.body)) for e in rows.order_by("index")]


def status_of(version: AgreementVersion) -> str:
    return AgreementVersion.objects.get(pk=version.pk).status


# Drafting -------------------------------------------------------------------------------


def test_the_first_draft_is_version_one_and_on_the_ledger(ag):
    """Given no agreement, when the coordinator drafts one, then it is draft version 1 and
    the ledger says agreement.drafted."""
    version = services.create_draft(actor=ag.coordinator, partnership=ag.partnership, **CONTENT)
    assert (version.number, version.status, version.content_hash) == (1, "draft", "")
    assert version.created_by == ag.coordinator
    [entry] = entries(ag.partnership)
    assert entry["kind"] == "agreement.drafted"
    assert entry["payload"] == {"number": 1, "from": None}


def test_a_first_draft_without_its_rules_is_a_field_error_and_saves_nothing(ag):
    """Given no agreement, when a draft has only a text, then the decision rule and meeting
    cadence are field errors and nothing is saved or recorded."""
    with pytest.raises(ValidationError) as caught:
        services.create_draft(actor=ag.coordinator, partnership=ag.partnership, text="Hello")
    assert {"decision_rule", "meeting_cadence"} <= set(caught.value.message_dict)
    assert not AgreementVersion.objects.exists()
    assert entries(ag.partnership) == []


def test_a_qualified_majority_needs_its_percentage(ag):
    """Given a qualified majority without a percentage, then `majority_percent` is the error."""
    content = {**CONTENT, "majority_percent": None}
    with pytest.raises(ValidationError) as caught:
        services.create_draft(actor=ag.coordinator, partnership=ag.partnership, **content)
    assert "majority_percent" in caught.value.message_dict
    assert not AgreementVersion.objects.exists()


def test_a_new_draft_starts_from_the_latest_version(ag):
    """Given version 1 open, when a coordinator drafts with a new joining rule only, then
    version 2 carries version 1's text and other rules."""
    open_v1(ag)
    v2 = services.create_draft(
        actor=ag.coordinator, partnership=ag.partnership, joining="By consensus only."
    )
    assert v2.number == 2
    assert v2.text == TEXT
    assert v2.majority_percent == 67
    assert v2.joining == "By consensus only."
    assert entries(ag.partnership)[-1]["payload"] == {"number": 2, "from": 1}


def test_leaving_a_qualified_majority_drops_the_percentage(ag):
    """Given version 1 with a 67% majority, when the draft moves to consensus, then the
    percentage goes with it instead of being an error."""
    open_v1(ag)
    v2 = services.create_draft(
        actor=ag.coordinator, partnership=ag.partnership, decision_rule="consensus"
    )
    assert v2.majority_percent is None


def test_only_one_draft_at_a_time(ag):
    """Given a draft, when someone starts another, then Conflict and still one version."""
    services.create_draft(actor=ag.coordinator, partnership=ag.partnership, **CONTENT)
    with pytest.raises(Conflict):
        services.create_draft(actor=ag.coordinator, partnership=ag.partnership, **CONTENT)
    assert AgreementVersion.objects.count() == 1


def test_drafting_needs_the_edit_permission(ag):
    """Given a partner admin (may sign, may not edit), then drafting is PermissionDenied;
    an outsider of a private partnership gets Http404."""
    with pytest.raises(PermissionDenied):
        services.create_draft(actor=ag.ngo_admin, partnership=ag.partnership, **CONTENT)
    with pytest.raises(Http404):
        services.create_draft(actor=ag.outsider, partnership=ag.partnership, **CONTENT)
    assert not AgreementVersion.objects.exists()


def test_a_draft_can_change_and_the_change_is_recorded(ag):
    """Given a draft, when the coordinator changes its cadence, then it is saved and the
    ledger lists the changed fields."""
    draft = services.create_draft(actor=ag.coordinator, partnership=ag.partnership, **CONTENT)
    draft = services.update_draft(actor=ag.coordinator, version=draft, meeting_cadence="monthly")
    assert AgreementVersion.objects.get(pk=draft.pk).meeting_cadence == "monthly"
    assert entries(ag.partnership)[-1]["kind"] == "agreement.draft_changed"
    assert entries(ag.partnership)[-1]["payload"] == {"number": 1, "fields": ["meeting_cadence"]}


def test_an_open_version_cannot_change(ag):
    """Given version 1 open for signature, when someone edits it, then Conflict on status
    and its text and hash stay."""
    v1 = open_v1(ag)
    with pytest.raises(Conflict) as caught:
        services.update_draft(actor=ag.coordinator, version=v1, text="Something else")
    assert caught.value.field == "status"
    stored = AgreementVersion.objects.get(pk=v1.pk)
    assert stored.text == TEXT
    assert stored.content_hash == v1.content_hash


def test_crlf_and_lf_texts_are_the_same_content(ag):
    """Given a text typed in a browser (CRLF), then it is stored with LF, so it hashes like
    the same text sent by a script."""
    content = {**CONTENT, "text": TEXT.replace("\n", "\r\n")}
    draft = services.create_draft(actor=ag.coordinator, partnership=ag.partnership, **content)
    assert draft.text == TEXT


# Opening --------------------------------------------------------------------------------


def test_opening_freezes_the_content_hash_of_the_canonical_json(ag):
    """Given a draft, when it is opened, then its hash is SHA-256 of the RFC 8785 JSON of
    the content fields, it is open, and the ledger has number and hash."""
    v1 = open_v1(ag)
    expected = hashlib.sha256(rfc8785.dumps(CONTENT)).hexdigest()
    assert v1.content_hash == expected
    assert v1.status == AgreementStatus.OPEN
    assert v1.opened_at is not None
    entry = entries(ag.partnership)[-1]
    assert entry["kind"] == "agreement.opened"
    assert entry["payload"] == {"number": 1, "content_hash": expected, "superseded": []}


def test_opening_a_new_version_supersedes_the_open_one_and_keeps_its_signatures(ag):
    """Given version 1 open with one signature, when version 2 is opened, then version 1
    is superseded with its signature kept, and version 2 is the open version."""
    v1 = open_v1(ag)
    services.sign(actor=ag.ngo_admin, version=v1, organisation=ag.ngo)
    v2 = services.create_draft(actor=ag.coordinator, partnership=ag.partnership, leaving="Never.")
    v2 = services.open_for_signature(actor=ag.coordinator, version=v2)
    assert status_of(v1) == AgreementStatus.SUPERSEDED
    assert v1.signatures.count() == 1
    assert queries.open_version(ag.partnership) == v2
    assert entries(ag.partnership)[-1]["payload"]["superseded"] == [1]


def test_a_version_opens_only_once(ag):
    v1 = open_v1(ag)
    with pytest.raises(Conflict):
        services.open_for_signature(actor=ag.coordinator, version=v1)


# Signing --------------------------------------------------------------------------------


def test_a_signature_stores_the_hash_signed_and_goes_on_the_ledger(ag):
    """Given version 1 open, when the NGO's partner admin signs for it, then the signature
    holds the content hash and the ledger has number, organisation, signer and hash."""
    v1 = open_v1(ag)
    signature = services.sign(
        actor=ag.ngo_admin, version=v1, organisation=ag.ngo, content_hash=v1.content_hash
    )
    assert signature.content_hash == v1.content_hash
    assert signature.signed_by == ag.ngo_admin
    entry = entries(ag.partnership)[-1]
    assert entry["kind"] == "agreement.signed"
    assert entry["actor"] == "ngo_admin"
    assert entry["payload"] == {
        "number": 1,
        "organisation": "yayasan-sehat",
        "signed_by": "ngo_admin",
        "content_hash": v1.content_hash,
    }
    assert status_of(v1) == AgreementStatus.OPEN


def test_adopted_exactly_when_the_last_partner_signs(ag):
    """Given three partners (one in two roles), then the version stays open after two
    signatures and is adopted by the third, with agreement.adopted on the ledger."""
    v1 = open_v1(ag)
    services.sign(actor=ag.coordinator, version=v1, organisation=ag.ministry)
    services.sign(actor=ag.ngo_admin, version=v1, organisation=ag.ngo)
    assert status_of(v1) == AgreementStatus.OPEN
    assert queries.current_agreement(ag.partnership) is None
    signature = services.sign(actor=ag.company_admin, version=v1, organisation=ag.company)
    assert signature.version.status == AgreementStatus.ADOPTED
    stored = AgreementVersion.objects.get(pk=v1.pk)
    assert stored.status == AgreementStatus.ADOPTED
    assert stored.adopted_at is not None
    kinds = [e["kind"] for e in entries(ag.partnership)]
    assert kinds == [
        "agreement.drafted",
        "agreement.opened",
        "agreement.signed",
        "agreement.signed",
        "agreement.signed",
        "agreement.adopted",
    ]
    adopted = entries(ag.partnership)[-1]["payload"]
    assert adopted == {
        "number": 1,
        "content_hash": v1.content_hash,
        "signatories": ["ministry", "vaksin-co", "yayasan-sehat"],
        "superseded": [],
    }


def test_adopting_a_new_version_supersedes_the_old_one(ag):
    """Given version 1 adopted and version 2 open, when every partner signs version 2,
    then version 2 is in force and version 1 superseded."""
    v1 = open_v1(ag)
    sign_all(ag, v1)
    v2 = services.create_draft(actor=ag.coordinator, partnership=ag.partnership, joining="New.")
    v2 = services.open_for_signature(actor=ag.coordinator, version=v2)
    assert queries.current_agreement(ag.partnership) == v1  # still in force meanwhile
    sign_all(ag, v2)
    assert status_of(v1) == AgreementStatus.SUPERSEDED
    assert queries.current_agreement(ag.partnership) == v2
    assert entries(ag.partnership)[-1]["payload"]["superseded"] == [1]


def test_signing_an_old_version_is_a_field_error_naming_the_open_one(ag):
    """Given version 1 superseded by open version 2, when a partner signs version 1, then a
    field error on `version` says to sign version 2, and nothing is saved or recorded."""
    v1 = open_v1(ag)
    v2 = services.create_draft(actor=ag.coordinator, partnership=ag.partnership, joining="New.")
    services.open_for_signature(actor=ag.coordinator, version=v2)
    before = Entry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.sign(actor=ag.ngo_admin, version=v1, organisation=ag.ngo)
    assert caught.value.message_dict == {
        "version": ["Version 1 is no longer open for signature; sign version 2."]
    }
    assert not AgreementSignature.objects.exists()
    assert Entry.objects.count() == before


def test_signing_the_adopted_version_while_a_newer_one_is_open_is_refused(ag):
    """Given version 1 adopted and version 2 open, then version 1 takes no more signatures."""
    v1 = open_v1(ag)
    sign_all(ag, v1)
    late = OrganisationFactory(slug="late")
    ParticipationFactory(partnership=ag.partnership, organisation=late)
    late_admin = PersonFactory(organisation=late)
    MembershipFactory(partnership=ag.partnership, person=late_admin, role="partner_admin")
    v2 = services.create_draft(actor=ag.coordinator, partnership=ag.partnership, joining="New.")
    services.open_for_signature(actor=ag.coordinator, version=v2)
    with pytest.raises(ValidationError) as caught:
        services.sign(actor=late_admin, version=v1, organisation=late)
    assert "sign version 2" in caught.value.message_dict["version"][0]


def test_a_draft_cannot_be_signed(ag):
    draft = services.create_draft(actor=ag.coordinator, partnership=ag.partnership, **CONTENT)
    with pytest.raises(ValidationError) as caught:
        services.sign(actor=ag.ngo_admin, version=draft, organisation=ag.ngo)
    assert caught.value.message_dict["version"] == [
        "Version 1 is a draft and not open for signature."
    ]
    assert not AgreementSignature.objects.exists()


def test_a_hash_mismatch_is_refused(ag):
    """Given a signer shown another hash, then `content_hash` is the error, nothing saved."""
    v1 = open_v1(ag)
    with pytest.raises(ValidationError) as caught:
        services.sign(actor=ag.ngo_admin, version=v1, organisation=ag.ngo, content_hash="0" * 64)
    assert "content_hash" in caught.value.message_dict
    assert not AgreementSignature.objects.exists()


def test_one_signature_per_partner(ag):
    """Given the company signed, when it signs again (even for its second role), Conflict."""
    v1 = open_v1(ag)
    services.sign(actor=ag.company_admin, version=v1, organisation=ag.company)
    with pytest.raises(Conflict) as caught:
        services.sign(actor=ag.company_admin, version=v1, organisation=ag.company)
    assert caught.value.field == "organisation"
    assert AgreementSignature.objects.count() == 1


@pytest.mark.parametrize("who", ["member", "company_admin", "outsider_public", "staff"])
def test_only_the_partners_authorised_person_may_sign_for_it(ag, who):
    """Given the NGO to sign for, then a member of the NGO, another partner's admin, an
    outsider of a public partnership and platform staff are all PermissionDenied."""
    Partnership.objects.filter(pk=ag.partnership.pk).update(visibility="public")
    ag.partnership.refresh_from_db()
    v1 = open_v1(ag)
    actor = {
        "member": ag.member,
        "company_admin": ag.company_admin,
        "outsider_public": ag.outsider,
        "staff": PersonFactory(is_staff=True, organisation=ag.ngo),
    }[who]
    with pytest.raises(PermissionDenied):
        services.sign(actor=actor, version=v1, organisation=ag.ngo)
    assert not AgreementSignature.objects.exists()


def test_an_outsider_of_a_private_partnership_gets_not_found(ag):
    v1 = open_v1(ag)
    with pytest.raises(Http404):
        services.sign(actor=ag.outsider, version=v1, organisation=ag.ngo)


def test_an_organisation_that_is_not_a_partner_cannot_sign(ag):
    """Given a coordinator whose organisation left, then signing for it is a field error."""
    v1 = open_v1(ag)
    ag.partnership.participations.filter(organisation=ag.ministry).delete()
    with pytest.raises(ValidationError) as caught:
        services.sign(actor=ag.coordinator, version=v1, organisation=ag.ministry)
    assert "organisation" in caught.value.message_dict


def test_a_failing_ledger_append_rolls_back_the_signature_and_the_adoption(ag, monkeypatch):
    """Given two partners signed, when the ledger refuses agreement.adopted, then the last
    signature and the adoption are both rolled back, and so is its agreement.signed."""
    v1 = open_v1(ag)
    services.sign(actor=ag.coordinator, version=v1, organisation=ag.ministry)
    services.sign(actor=ag.ngo_admin, version=v1, organisation=ag.ngo)
    real_record = services.record

    def refuse_adoption(kind, *args, **kwargs):
        if kind == "agreement.adopted":
            raise RuntimeError("ledger unavailable")
        return real_record(kind, *args, **kwargs)

    monkeypatch.setattr(services, "record", refuse_adoption)
    before = Entry.objects.count()
    with pytest.raises(RuntimeError):
        services.sign(actor=ag.company_admin, version=v1, organisation=ag.company)
    assert status_of(v1) == AgreementStatus.OPEN
    assert not v1.signatures.filter(organisation=ag.company).exists()
    assert Entry.objects.count() == before


def test_signing_runs_in_one_transaction_with_the_ledger(ag, monkeypatch):
    """Given the ledger refuses agreement.signed, then no signature stays."""
    v1 = open_v1(ag)
    monkeypatch.setattr(services, "record", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    with pytest.raises(OSError):
        services.sign(actor=ag.ngo_admin, version=v1, organisation=ag.ngo)
    assert not AgreementSignature.objects.exists()


def test_the_version_row_is_locked_while_signing(ag, monkeypatch):
    """The signature path locks the version row (SELECT … FOR UPDATE on databases that
    have it), so two last signatures cannot both miss the adoption."""
    v1 = open_v1(ag)
    locked = []
    real = services._lock_version

    def spy(version):
        assert transaction.get_connection().in_atomic_block
        locked.append(version.pk)
        return real(version)

    monkeypatch.setattr(services, "_lock_version", spy)
    services.sign(actor=ag.ngo_admin, version=v1, organisation=ag.ngo)
    assert locked == [v1.pk]


# A partner that joins later ---------------------------------------------------------------


def test_a_partner_that_joins_after_adoption_is_missing_until_it_signs(ag):
    """Given version 1 adopted by all, when a new partner joins, then the agreement status
    lists it as missing; when its admin signs the adopted version, it is complete again."""
    v1 = open_v1(ag)
    sign_all(ag, v1)
    assert queries.agreement_status(ag.partnership)["signed_by_all_current_partners"]
    late = OrganisationFactory(name="Late Joiner", slug="late")
    ParticipationFactory(partnership=ag.partnership, organisation=late)
    late_admin = PersonFactory(organisation=late)
    MembershipFactory(partnership=ag.partnership, person=late_admin, role="partner_admin")

    state = queries.agreement_status(ag.partnership)
    assert state["adopted"] is True
    assert state["signed_by_all_current_partners"] is False
    assert state["missing"] == [late]

    services.sign(actor=late_admin, version=v1, organisation=late)
    state = queries.agreement_status(ag.partnership)
    assert state["signed_by_all_current_partners"] is True
    assert state["missing"] == []
    assert status_of(v1) == AgreementStatus.ADOPTED
    assert entries(ag.partnership)[-1]["kind"] == "agreement.signed"


def test_agreement_status_without_an_adopted_version(ag):
    open_v1(ag)
    state = queries.agreement_status(ag.partnership)
    assert state["adopted"] is False
    assert state["signed_by_all_current_partners"] is False
    assert {o.slug for o in state["missing"]} == {"ministry", "yayasan-sehat", "vaksin-co"}


def test_adopt_after_the_last_missing_partner_left(ag):
    """Given two of three partners signed and the third left, when the coordinator adopts,
    then the version is adopted; before that, adopting with a signature missing is refused."""
    v1 = open_v1(ag)
    services.sign(actor=ag.coordinator, version=v1, organisation=ag.ministry)
    services.sign(actor=ag.ngo_admin, version=v1, organisation=ag.ngo)
    with pytest.raises(Conflict):
        services.adopt(actor=ag.coordinator, version=v1)
    ag.partnership.participations.filter(organisation=ag.company).delete()
    services.adopt(actor=ag.coordinator, version=v1)
    assert status_of(v1) == AgreementStatus.ADOPTED
    assert entries(ag.partnership)[-1]["payload"]["signatories"] == ["ministry", "yayasan-sehat"]


# Queries --------------------------------------------------------------------------------


def test_signature_status_lists_each_partner_and_who_may_sign(ag):
    """Given the NGO signed, then its row names the signer; the company is pending with its
    admin as the authorised person, and only that admin may sign for it."""
    v1 = open_v1(ag)
    services.sign(actor=ag.ngo_admin, version=v1, organisation=ag.ngo)
    rows = {r.organisation.slug: r for r in queries.signature_status(v1, viewer=ag.company_admin)}
    assert list(rows) == ["ministry", "vaksin-co", "yayasan-sehat"]
    assert rows["yayasan-sehat"].signature.signed_by == ag.ngo_admin
    assert rows["yayasan-sehat"].signers == [ag.ngo_admin]
    assert rows["vaksin-co"].signature is None
    assert rows["vaksin-co"].signers == [ag.company_admin]
    assert rows["vaksin-co"].may_sign is True
    assert rows["ministry"].may_sign is False
    assert rows["ministry"].signers == [ag.coordinator]


def test_diff_lists_text_lines_and_rule_changes(ag):
    """Given version 2 changes a line of text, the decision rule and the joining rule, then
    the diff shows the removed and added lines and those rules, field by field."""
    v1 = open_v1(ag)
    v2 = services.create_draft(
        actor=ag.coordinator,
        partnership=ag.partnership,
        text=TEXT.replace("quarterly", "monthly"),
        decision_rule="consensus",
        joining="Only by consensus.",
    )
    result = queries.diff(v1, v2)
    assert "-Decisions are taken at the quarterly partners' meeting." in result.unified
    assert "+Decisions are taken at the monthly partners' meeting." in result.unified
    assert result.text_changed
    changes = {c.field: (c.before, c.after) for c in result.rules}
    assert changes == {
        "decision_rule": ("qualified_majority", "consensus"),
        "majority_percent": (67, None),
        "joining": (CONTENT["joining"], "Only by consensus."),
    }
    labels = {c.field: (c.before_display, c.after_display) for c in result.rules}
    assert labels["majority_percent"] == ("67%", "—")
    assert labels["decision_rule"] == ("Qualified majority", "Consensus (everyone agrees)")
