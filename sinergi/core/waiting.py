"""What is waiting for one person, across their partnerships: the home page's "Waiting for
you" panel and `GET /api/v1/me/waiting`.

Four kinds of work wait on a person, each decided by the permission policy exactly as the
page that does the work decides it:

- `agreement`: the agreement version partners sign now (the open one, else the one in
  force for a partner that joined later) has no signature yet for the person's
  organisation, and `policy.can_sign_agreement` says they sign for it;
- `approval`: expenditures awaiting approval on which the person may decide
  (`policy.can_approve_for`), not recorded by them, and not yet decided by them or, under
  a partners' rule, by their organisation;
- `review`: submitted values a coordinator may approve or return (`can_approve_results`),
  leaving out those they entered, changed or submitted, which another coordinator decides;
- `report`: values the person's organisation still has to report that are due within
  `reminders.DAYS_AHEAD` days or overdue, for those who may report them — the same rule
  as the reminder e-mails;
- `confirmation`: for an admin of an organisation (`policy.can_answer_for`), each
  partnership listing it as a partner that it has not confirmed yet, linking to the
  organisation page where they confirm or decline.

Only partnerships the person is a member of are read, so nothing of a partnership they
cannot see is ever counted, with one exception: a partnership that lists the admin's
organisation asks that organisation, so its admins see its title even when it is private.
The whole list takes a fixed number of queries however many partnerships the person
belongs to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from sinergi.access import policy
from sinergi.partnerships.agreements.queries import SIGNING_ROLES
from sinergi.partnerships.models import Partnership

KINDS = ("confirmation", "agreement", "approval", "review", "report")


@dataclass
class Waiting:
    """One kind of work waiting in one partnership."""

    partnership: Partnership
    kind: str  # one of KINDS
    count: int
    url: str
    overdue: int = 0  # `report` only: how many of `count` are past their due date
    due: date | None = None  # `report`: the earliest due date; `approval`: the oldest value date
    version: int | None = None  # `agreement`: the version number to sign
    organisation: str = ""  # `agreement`: the partner signed for; `confirmation`: asked
    role: str = ""  # `confirmation`: the IATI OrganisationRole code it is listed in
    role_name: str = ""  # `confirmation`: that role's name, in the reader's language
    # `confirmation`: what the API's confirm and decline address take
    organisation_slug: str = ""
    participation: int | None = None


def waiting_for(user: object, today: date | None = None) -> list[Waiting]:
    """Everything waiting for `user`, by partnership title, then in the order of KINDS."""
    found = _confirmations(user)
    roles = policy.roles_of(user)
    if roles:
        today = today or timezone.localdate()
        partnerships = {p.pk: p for p in Partnership.objects.filter(pk__in=roles).order_by()}
        found += [
            *_agreements(user, roles, partnerships),
            *_approvals(user, roles, partnerships),
            *_reviews(user, roles, partnerships),
            *_reports(user, roles, partnerships, today),
        ]
    found.sort(key=lambda w: (w.partnership.title.lower(), w.partnership.pk, KINDS.index(w.kind)))
    return found


def _where(roles: dict[int, str], wanted: tuple[str, ...]) -> list[int]:
    """The partnerships in which the person holds one of the `wanted` roles."""
    return [pk for pk, role in roles.items() if role in wanted]


def _confirmations(user: object) -> list[Waiting]:
    """One item per partnership listing of the organisation `user` answers for that it
    has not confirmed yet (one query, only for organisation admins)."""
    from sinergi.partnerships.queries import consent_url, unconfirmed_of

    organisation_id = getattr(user, "organisation_id", None)
    if not organisation_id or not policy.can_answer_for(user, organisation_id):
        return []
    rows = unconfirmed_of(organisation_id).select_related("organisation")
    return [
        Waiting(
            partnership=p.partnership,
            kind="confirmation",
            count=1,
            url=consent_url(p.organisation.slug),
            organisation=p.organisation.name,
            role=p.role,
            role_name=str(p.get_role_display()),
            organisation_slug=p.organisation.slug,
            participation=p.pk,
        )
        for p in rows
    ]


def _agreements(
    user: object, roles: dict[int, str], partnerships: dict[int, Partnership]
) -> list[Waiting]:
    from sinergi.partnerships.models import (
        AgreementSignature,
        AgreementStatus,
        AgreementVersion,
        Participation,
    )

    organisation_id = getattr(user, "organisation_id", None)
    signing = _where(roles, SIGNING_ROLES)
    if not organisation_id or not signing:
        return []
    taking_part = set(
        Participation.objects.filter(partnership_id__in=signing, organisation_id=organisation_id)
        .order_by()
        .values_list("partnership_id", flat=True)
    )
    if not taking_part:
        return []
    # The version signed now: the open one, else the newest adopted one.
    signable: dict[int, AgreementVersion] = {}
    versions = AgreementVersion.objects.filter(
        partnership_id__in=taking_part,
        status__in=(AgreementStatus.OPEN, AgreementStatus.ADOPTED),
    ).order_by("partnership_id", "number")
    for version in versions.only("pk", "partnership_id", "number", "status"):
        known = signable.get(version.partnership_id)
        if known is None or known.status != AgreementStatus.OPEN:
            signable[version.partnership_id] = version
    signed = set(
        AgreementSignature.objects.filter(
            version_id__in=[v.pk for v in signable.values()], organisation_id=organisation_id
        ).values_list("version_id", flat=True)
    )
    found = []
    organisation = user.organisation
    for partnership_id, version in signable.items():
        partnership = partnerships[partnership_id]
        if version.pk in signed:
            continue
        if not policy.can_sign_agreement(user, partnership, organisation):
            continue
        found.append(
            Waiting(
                partnership=partnership,
                kind="agreement",
                count=1,
                url=reverse("agreement-version", args=[partnership.slug, version.number]),
                version=version.number,
                organisation=organisation.name,
            )
        )
    return found


def _approvals(
    user: object, roles: dict[int, str], partnerships: dict[int, Partnership]
) -> list[Waiting]:
    from sinergi.finance.models import Approval, ApprovalRule, Transaction, TransactionStatus

    # The roles policy.can_approve_for lets decide under some rule; it says which below.
    deciding = _where(roles, SIGNING_ROLES)
    if not deciding:
        return []
    approvers: dict[int, set[int]] = defaultdict(set)
    rules = ApprovalRule.objects.filter(partnership_id__in=deciding).prefetch_related(
        "approver_organisations"
    )
    for rule in rules:
        approvers[rule.partnership_id] = {o.pk for o in rule.approver_organisations.all()}
    # Under a coordinators' rule (0) one's own decision is what counts; under a partners'
    # rule, one's organisation's.
    by_person, by_organisation = [], []
    for pk in deciding:
        counts_for = policy.can_approve_for(user, partnerships[pk], approvers.get(pk, set()))
        if counts_for == 0:
            by_person.append(pk)
        elif counts_for:
            by_organisation.append(pk)
    if not by_person and not by_organisation:
        return []
    decided_by_me = Approval.objects.filter(transaction=OuterRef("pk"), person=user)
    decided_by_us = Approval.objects.filter(
        transaction=OuterRef("pk"), organisation_id=getattr(user, "organisation_id", None)
    )
    rows = (
        Transaction.objects.filter(status=TransactionStatus.PENDING)
        .filter(
            Q(partnership_id__in=by_person)
            | (Q(partnership_id__in=by_organisation) & ~Exists(decided_by_us))
        )
        .exclude(recorded_by=user)
        .exclude(Exists(decided_by_me))
        .order_by()
        .values("partnership_id")
        .annotate(count=Count("pk"), oldest=Min("value_date"))
    )
    return [
        Waiting(
            partnership=partnerships[row["partnership_id"]],
            kind="approval",
            count=row["count"],
            due=row["oldest"],
            url=reverse("finance-transactions", args=[partnerships[row["partnership_id"]].slug])
            + "?status=pending",
        )
        for row in rows
    ]


def _reviews(
    user: object, roles: dict[int, str], partnerships: dict[int, Partnership]
) -> list[Waiting]:
    from sinergi.results.models import Status, Submission

    reviewing = [pk for pk in roles if policy.can_approve_results(user, partnerships[pk])]
    if not reviewing:
        return []
    counts: dict[int, int] = defaultdict(int)
    rows = Submission.objects.filter(partnership_id__in=reviewing, status=Status.SUBMITTED).only(
        "pk", "partnership_id", "created_by_id", "edited_by_id", "submitted_by_id", "editors"
    )
    for submission in rows.order_by():
        if user.pk not in submission.author_ids():
            counts[submission.partnership_id] += 1
    return [
        Waiting(
            partnership=partnerships[pk],
            kind="review",
            count=count,
            url=reverse("results-review", args=[partnerships[pk].slug]),
        )
        for pk, count in counts.items()
    ]


def _reports(
    user: object, roles: dict[int, str], partnerships: dict[int, Partnership], today: date
) -> list[Waiting]:
    from sinergi.results import reminders

    organisation_id = getattr(user, "organisation_id", None)
    reporting = _where(roles, reminders.REPORTING_ROLES)
    if not organisation_id or not reporting:
        return []
    due: dict[int, list] = defaultdict(list)
    for value in reminders.due_values(today, reminders.DAYS_AHEAD, reporting):
        if value.organisation.pk == organisation_id:
            due[value.partnership.pk].append(value)
    found = []
    for pk, values in due.items():
        partnership = partnerships[pk]
        if not policy.can_submit_results(user, partnership, organisation_id):
            continue
        found.append(
            Waiting(
                partnership=partnership,
                kind="report",
                count=len(values),
                overdue=sum(1 for v in values if v.overdue),
                due=min(v.period.due for v in values),
                url=reverse("results-reporting", args=[partnership.slug]),
            )
        )
    return found
