"""Demo data for the partnering agreement (called by `sinergi demo`; idempotent).

Both demo partnerships get a version 1 signed by every partner's authorised person, so it
is adopted. The immunisation partnership also has a version 2 open for signature (a new
joining rule and a data-sharing clause) with two signatures, to show a diff and pending
signatures.
"""

from __future__ import annotations

from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.agreements import services
from sinergi.partnerships.models import MemberRole, Membership, Partnership

IMMUNISATION_TEXT = """\
# Partnering agreement — Every Child Immunised, Indonesia

## 1. Purpose
The partners work together so that every child in Indonesia receives the full basic
immunisation schedule, starting with zero-dose children in Nusa Tenggara Timur, Papua,
Papua Barat and Maluku.

## 2. Principles
- **Equity**: we reach the hardest-to-reach villages first.
- **Transparency**: budgets, spending, results and decisions are recorded on the
  partnership's transparency ledger.
- **Mutual benefit**: each partner says what it brings and what it expects, and we review
  both every year.

## 3. Roles
The Ministry of Health leads the national programme and is accountable for results.
Gavi co-finances vaccines and cold-chain equipment. Bio Farma supplies vaccines and runs
cold-chain logistics. Yayasan Sehat Ibu dan Anak and the posyandu volunteers reach remote
villages. Universitas Gadjah Mada measures coverage and evaluates the programme. The RACI
matrix in Sinergi sets out who does what for each work package.

## 4. Governance
The partners' meeting steers the partnership and meets every quarter. Decisions need a
qualified majority of two thirds of the partners present; each partner has one vote.
The Ministry of Health chairs the meeting and the coordinators prepare it.

## 5. Resources
Each partner bears its own costs unless a budget line in Sinergi says otherwise. Pledges,
commitments and disbursements are recorded in Sinergi in Indonesian rupiah.

## 6. Duration
This agreement runs from 1 January 2025 to 31 December 2029 and is reviewed every year.
"""

IMMUNISATION_V2_TEXT = IMMUNISATION_TEXT.replace(
    "## 6. Duration",
    """\
## 6. Data
Coverage data are shared between partners at district level. Data about individual
children stay with the health services that collected them.

## 7. Duration""",
)

IMMUNISATION_RULES = {
    "decision_rule": "qualified_majority",
    "majority_percent": 67,
    "meeting_cadence": "quarterly",
    "joining": (
        "An organisation that shares the purpose may apply in writing to the coordinators. "
        "It joins when the partners' meeting agrees and its authorised person signs this "
        "agreement."
    ),
    "leaving": (
        "A partner may leave with three months' written notice. It completes or hands over "
        "the work it is responsible for and accounts for the funds it has received."
    ),
    "dispute_resolution": (
        "Partners first try to settle a dispute between themselves, then with the "
        "coordinators' help. If that fails, an independent mediator agreed by the partners' "
        "meeting is asked to help."
    ),
    "exit_strategy": (
        "When the partnership ends, the Ministry of Health takes over the cold-chain "
        "equipment and the village outreach through the regular district health budget."
    ),
}

IMMUNISATION_V2_JOINING = (
    "An organisation that shares the purpose may apply in writing to the coordinators. "
    "It joins when the partners' meeting agrees, it has recorded its capabilities and "
    "expectations in Sinergi, and its authorised person signs this agreement. A new partner "
    "is on probation for its first six months."
)

TEXTILES_TEXT = """\
# Partnering agreement — Sustainable Textiles Partnership Indonesia

## 1. Purpose
The partners improve wages, working conditions and chemical safety in Indonesian textile
and garment supply chains, starting in West Java, Central Java and Banten.

## 2. Principles
- **Equal voice**: companies, workers, government and civil society each have a seat and a
  vote.
- **Confidentiality**: factory audit findings are shared only among the partners until the
  factory has had the chance to fix them.
- **Accountability**: commitments, spending and results are recorded on the partnership's
  transparency ledger.

## 3. Roles
The Ministry of Industry convenes the partnership and links it to industrial policy.
PT Sandang Lestari co-funds factory audits and runs pilot factories. PT Tekstil Nusantara
pilots safer chemicals. The garment workers' union federation represents workers and runs
the grievance channel. The Lestari Institute manages the programme and studies wages.
The National Standards Body develops the chemical-management standard.

## 4. Governance
The steering committee meets every quarter and decides by consensus. When consensus cannot
be reached, the proposal is revised and brought back to the next meeting.

## 5. Duration
This agreement runs from 1 July 2024 to 30 June 2028.
"""

TEXTILES_RULES = {
    "decision_rule": "consensus",
    "majority_percent": None,
    "meeting_cadence": "quarterly",
    "joining": (
        "Companies, unions, public bodies and NGOs active in the Indonesian textile sector "
        "may join with the consent of every partner, by signing this agreement."
    ),
    "leaving": "A partner may leave at any time with two months' written notice.",
    "dispute_resolution": (
        "Disputes go first to the steering committee, then to mediation by a person both "
        "sides accept. Grievances from workers follow the union's grievance channel."
    ),
    "exit_strategy": (
        "The chemical-management standard is handed to the National Standards Body; the "
        "grievance channel continues under the union federation."
    ),
}


def _signatories(partnership: Partnership) -> list[tuple[Person, Organisation]]:
    """Each partner organisation with its authorised person (coordinator or partner admin
    working for it), in the order of the partners' names."""
    organisations = Organisation.objects.filter(
        pk__in=partnership.participations.values("organisation_id")
    ).order_by("name")
    memberships = Membership.objects.filter(
        partnership=partnership, role__in=(MemberRole.COORDINATOR, MemberRole.PARTNER_ADMIN)
    ).select_related("person")
    by_organisation: dict[int, Person] = {}
    for membership in memberships.order_by("role", "person__username"):
        by_organisation.setdefault(membership.person.organisation_id, membership.person)
    return [(by_organisation[o.pk], o) for o in organisations if o.pk in by_organisation]


def _adopt_first_version(partnership: Partnership, coordinator: Person, content: dict) -> None:
    draft = services.create_draft(actor=coordinator, partnership=partnership, **content)
    version = services.open_for_signature(actor=coordinator, version=draft)
    for person, organisation in _signatories(partnership):
        services.sign(actor=person, version=version, organisation=organisation)


def seed() -> None:
    """Agreements for the two demo partnerships (nothing if they already have one)."""
    immunisation = Partnership.objects.filter(slug="immunisation-indonesia").first()
    if immunisation is not None and not immunisation.agreement_versions.exists():
        sari = Person.objects.get(username="sari")
        _adopt_first_version(immunisation, sari, {"text": IMMUNISATION_TEXT, **IMMUNISATION_RULES})
        draft = services.create_draft(
            actor=sari,
            partnership=immunisation,
            text=IMMUNISATION_V2_TEXT,
            joining=IMMUNISATION_V2_JOINING,
        )
        version = services.open_for_signature(actor=sari, version=draft)
        for username, organisation in [("sari", "kemenkes"), ("maria", "gavi")]:
            services.sign(
                actor=Person.objects.get(username=username),
                version=version,
                organisation=Organisation.objects.get(slug=organisation),
            )
    textiles = Partnership.objects.filter(slug="sustainable-textiles-indonesia").first()
    if textiles is not None and not textiles.agreement_versions.exists():
        rina = Person.objects.get(username="rina")
        _adopt_first_version(textiles, rina, {"text": TEXTILES_TEXT, **TEXTILES_RULES})
