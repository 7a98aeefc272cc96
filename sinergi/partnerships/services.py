"""Operations that set up a partnership: create it, bring in partners, give people roles.

Every function takes the acting person first, checks the permission policy, validates,
and writes in one transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sinergi.access import policy
from sinergi.access.models import Invitation
from sinergi.access.policy import Action
from sinergi.core.errors import Conflict
from sinergi.core.geography import tidy_code, tidy_codes
from sinergi.core.slugs import tidy_slug, unguessable_slug, unique_slug
from sinergi.ledger.log import append as record
from sinergi.ledger.log import hold, hold_row
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import (
    AgreementSignature,
    MemberRole,
    Membership,
    Participation,
    Partnership,
    Visibility,
    slug_taken_message,
)

PARTNERSHIP_FIELDS = (
    "title",
    "slug",
    "summary",
    "vision",
    "start_date",
    "end_date",
    "activity_status",
    "base_currency",
    "countries",
    "regions",
    "visibility",
)


def _check_fields(fields: dict[str, Any]) -> None:
    """Refuse unknown fields; tidy the known ones as a form would: texts trimmed (a title
    of spaces is then blank, and refused), codes in upper case and each once."""
    unknown = set(fields) - set(PARTNERSHIP_FIELDS)
    if unknown:
        raise TypeError(f"unknown partnership fields: {sorted(unknown)}")
    for name in ("title", "slug", "summary", "vision"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()
    if isinstance(fields.get("slug"), str):
        fields["slug"] = tidy_slug(fields["slug"])  # "Batik-2030" is "batik-2030"
    for name in ("countries", "regions"):
        if name in fields:
            fields[name] = tidy_codes(fields[name])
    if "base_currency" in fields:
        fields["base_currency"] = tidy_code(fields["base_currency"])


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _slug_taken() -> ValidationError:
    return ValidationError({"slug": [slug_taken_message()]})


def create_partnership(*, actor: Person, **fields: Any) -> Partnership:
    """Create a partnership with `actor` as its first coordinator."""
    if not policy.can_create_partnership(actor):
        raise PermissionDenied
    _check_fields(fields)
    partnership = Partnership(created_by=actor, **fields)
    chosen = bool(partnership.slug)
    for attempt in range(SLUG_ATTEMPTS):
        if not chosen:
            partnership.slug = _new_slug(partnership, readable=attempt < READABLE_ATTEMPTS)
        # A made slug's uniqueness is the database's to check at the insert: checked here
        # too, a name taken meanwhile by someone else would be refused, not made again.
        partnership.full_clean(exclude=None if chosen else ["slug"])
        try:
            _save_new(actor, partnership)
            break
        except IntegrityError as exc:
            # A made slug can be taken by someone creating the same title at the same
            # moment: make another. A chosen one is the person's to change.
            if chosen or attempt == SLUG_ATTEMPTS - 1:
                raise _slug_taken() from exc
    policy.forget_roles(actor)
    return partnership


SLUG_ATTEMPTS = 5
READABLE_ATTEMPTS = 2  # then a random ending, which two people cannot both draw


def _new_slug(partnership: Partnership, *, readable: bool = True) -> str:
    """The short name made from the title when none is chosen: readable for a public
    partnership, with a random ending for a private one (short names are unique across
    the site, so a readable one could be confirmed by anyone trying to take it)."""
    if partnership.visibility == Visibility.PRIVATE or not readable:
        return unguessable_slug(partnership.title)
    return unique_slug(Partnership, partnership.title)


def _save_new(actor: Person, partnership: Partnership) -> None:
    with transaction.atomic():
        partnership.save()
        Membership.objects.create(
            partnership=partnership, person=actor, role=MemberRole.COORDINATOR
        )
        record(
            "partnership.created",
            {
                "title": partnership.title,
                "visibility": partnership.visibility,
                "base_currency": partnership.base_currency,
                "coordinator": actor.username,
            },
            partnership,
            actor,
        )


def _has_finance(partnership: Partnership) -> bool:
    """Whether any finance figure is recorded in the partnership's base currency."""
    return (
        partnership.budget_lines.exists()
        or partnership.pledges.exists()
        or partnership.transactions.exists()
        or partnership.exchange_rates.exists()
    )


def _check_no_finance(partnership: Partnership) -> None:
    if _has_finance(partnership):
        raise ValidationError(
            {
                "base_currency": [
                    _(
                        "The base currency cannot change once budgets, pledges, rates or "
                        "transactions are recorded in it."
                    )
                ]
            }
        )


def update_partnership(*, actor: Person, partnership: Partnership, **fields: Any) -> Partnership:
    """Change a partnership's description, dates, place or visibility.

    Compared with, checked against and written to the partnership as it is now, under the
    ledger's lock (`hold_row`): fields changed meanwhile by someone else and not named here
    stay as they are, and a partnership deleted meanwhile is Http404. Its ledger entry
    gives each changed field's new value (`changed`) and the value it replaced (`from`),
    so a renamed partnership's entries before and after can be linked."""
    policy.require(actor, Action.EDIT, partnership)
    _check_fields(fields)
    # The request's own mistakes, told before any lock is taken (on a copy: a refused
    # change leaves the caller's instance as it was read).
    candidate = copy.copy(partnership)
    for name, value in fields.items():
        setattr(candidate, name, value)
    candidate.full_clean()
    if candidate.base_currency != partnership.base_currency:
        _check_no_finance(partnership)
    try:
        with transaction.atomic():
            # The ledger's lock before the partnership's row, in the order every other
            # writer takes the two (a finance import, a deletion). Under it the base
            # currency is checked again: a budget or pledge recorded meanwhile in the
            # old currency is seen now.
            hold_row(partnership)
            changed = {
                name: _jsonable(value)
                for name, value in fields.items()
                if getattr(partnership, name) != value
            }
            # The values replaced, as stored now (hold_row read them under the lock).
            before = {name: _jsonable(getattr(partnership, name)) for name in changed}
            if "base_currency" in changed:
                _check_no_finance(partnership)
            for name, value in fields.items():
                setattr(partnership, name, value)
            partnership.full_clean()
            # Only the fields that changed are written, and nothing when none did: a form
            # read before someone else's change (of the short name, say) must not write
            # the old values back unlogged.
            if changed:
                partnership.save(update_fields=[*changed, "updated_at"])
                record(
                    "partnership.updated",
                    {"changed": changed, "from": before},
                    partnership,
                    actor,
                )
    except IntegrityError as exc:
        others = Partnership.objects.filter(slug__iexact=partnership.slug)
        if others.exclude(pk=partnership.pk).exists():
            raise _slug_taken() from exc
        raise
    return partnership


def delete_partnership(*, actor: Person, partnership: Partnership) -> None:
    """Delete a partnership that holds only plans: its partners and members, goals, work
    packages, results framework, budget and unsigned agreements go with it.

    Once it holds records (recorded transactions, pledges, reported values, signed
    agreements) it is history: nothing is deleted and the actor is told which records
    hold it and to close it instead (Conflict). The partnership is read again under the
    ledger's lock and logged as it is then; when two deletions meet, the second finds it
    gone (Http404) and logs nothing."""
    policy.require(actor, Action.DELETE, partnership)
    try:
        with transaction.atomic():
            hold_row(partnership)
            record(
                "partnership.deleted",
                {"title": partnership.title, "slug": partnership.slug},
                partnership,
                actor,
            )
            kept = _records_kept(partnership)
            if kept:
                raise Conflict(_kept_message(kept))
            _delete_plans(partnership)
            partnership.delete()
    except ProtectedError as exc:  # a record that _records_kept does not know of yet
        raise Conflict(
            _kept_message({str(row._meta.verbose_name_plural) for row in exc.protected_objects})
        ) from None
    policy.forget_roles(actor)


def _records_kept(partnership: Partnership) -> set[str]:
    """The kinds of record (plural names) the partnership holds that are kept as history."""
    from sinergi.finance.models import Pledge, Transaction
    from sinergi.results.models import Submission

    return {
        str(model._meta.verbose_name_plural)
        for model, path in (
            (Transaction, "partnership"),
            (Pledge, "partnership"),
            (Submission, "partnership"),
            (AgreementSignature, "version__partnership"),
        )
        if model.objects.filter(**{path: partnership}).exists()
    }


def _kept_message(kinds: set[str]) -> str:
    return _(
        "This partnership holds records that are kept as history (%(kinds)s), so it "
        "cannot be deleted. Set its status to Closed or Cancelled instead."
    ) % {"kinds": ", ".join(sorted(kinds))}


def _delete_plans(partnership: Partnership) -> None:
    """Delete the plans that stand on one another (protected from deletion one by one),
    in an order that frees each: indicators (with their targets) before the results
    they measure, child results before their parents, budget lines before the work
    packages they fund. The rest goes with the partnership."""
    from sinergi.finance.models import BudgetLine
    from sinergi.results.models import Indicator, Result

    Indicator.objects.filter(partnership=partnership).delete()
    results = Result.objects.filter(partnership=partnership)
    results.exclude(parent=None).update(parent=None)
    results.delete()
    BudgetLine.objects.filter(partnership=partnership).delete()


def add_partner(
    *,
    actor: Person,
    partnership: Partnership,
    organisation: Organisation,
    role: str,
    contribution: str = "",
) -> Participation:
    """Bring `organisation` into `partnership` in an IATI organisation role."""
    policy.require(actor, Action.MANAGE_PARTNERS, partnership)
    participation = Participation(
        partnership=partnership,
        organisation=organisation,
        role=role,
        contribution=contribution.strip(),
    )
    # A coordinator who is an admin of the organisation they add answers for it at once.
    answered = policy.can_answer_for(actor, organisation)
    if answered:
        participation.confirmed_at, participation.confirmed_by = timezone.now(), actor
    participation.full_clean(validate_constraints=False)
    if _takes_part_already(participation):
        raise _partner_taken()
    try:
        with transaction.atomic():
            # Under the ledger's lock the partnership is read again (Http404 when it was
            # deleted meanwhile): a failed insert below is then the one duplicate it can be.
            hold_row(partnership)
            participation.save()
            record(
                "partner.joined",
                {
                    "organisation": organisation.slug,
                    "organisation_name": organisation.name,
                    "role": role,
                    "contribution": contribution,
                },
                partnership,
                actor,
            )
            if answered:
                record("partner.confirmed", _answer_payload(participation), partnership, actor)
    except IntegrityError as exc:  # added by another request meanwhile
        raise _partner_taken() from exc
    return participation


def _takes_part_already(participation: Participation) -> bool:
    """Whether another row lists the participation's organisation in its role."""
    return (
        Participation.objects.filter(
            partnership_id=participation.partnership_id,
            organisation_id=participation.organisation_id,
            role=participation.role,
        )
        .exclude(pk=participation.pk)
        .exists()
    )


def _partner_taken() -> Conflict:
    """The answer to listing an organisation twice in one role: a conflict with the
    partnership's partners as they are (409 in the API), shown at the role."""
    return Conflict(_("This organisation already takes part in this role."), field="role")


def change_partner_role(
    *, actor: Person, participation: Participation, role: str, contribution: str | None = None
) -> Participation:
    """Change the IATI role (and optionally the contribution) of a participation.

    The row is re-read and locked, and only what changed is written: a request that read
    it before the organisation confirmed or declined must neither undo the confirmation
    nor bring a declined listing back. Changed terms are terms the organisation has not
    agreed to: its confirmation is withdrawn (`withdraw_confirmation`)."""
    policy.require(actor, Action.MANAGE_PARTNERS, participation.partnership)
    try:
        with transaction.atomic():
            current = _locked_listing(participation)
            previous, previous_contribution = current.role, current.contribution
            current.role = role
            if contribution is not None:
                current.contribution = contribution.strip()
            current.full_clean(validate_constraints=False)
            if _takes_part_already(current):
                raise _partner_taken()
            fields = ["role", "contribution"]
            changed = previous != role or current.contribution != previous_contribution
            if changed:
                fields += withdraw_confirmation(actor, current)
            current.save(update_fields=fields)
            if previous != role:
                record(
                    "partner.role_changed",
                    {
                        "organisation": current.organisation.slug,
                        "from": previous,
                        "to": role,
                    },
                    current.partnership,
                    actor,
                )
            if current.contribution != previous_contribution:
                # As the expectations page records a changed commitment.
                record(
                    "participation.commitment_changed",
                    commitment_payload(current),
                    current.partnership,
                    actor,
                )
    except IntegrityError as exc:  # the same role given by another request meanwhile
        raise _partner_taken() from exc
    for name in ("role", "contribution", "confirmed_at", "confirmed_by"):
        setattr(participation, name, getattr(current, name))
    return participation


def withdraw_confirmation(actor: Person, participation: Participation) -> list[str]:
    """After someone other than the organisation's own admins changed the terms of its
    participation (its role or contribution): it no longer stands confirmed, and its
    admins are asked again. Returns the fields to save."""
    if policy.can_answer_for(actor, participation.organisation_id):
        return []  # the organisation's own change
    participation.confirmed_at = participation.confirmed_by = None
    return ["confirmed_at", "confirmed_by"]


def commitment_payload(participation: Participation) -> dict[str, Any]:
    """What a `participation.commitment_changed` entry says of the participation."""
    return {
        "organisation": participation.organisation.slug,
        "participation": participation.pk,
        "role": participation.role,
        "contribution": participation.contribution,
    }


def remove_partner(*, actor: Person, participation: Participation) -> None:
    """Take an organisation's participation out of a partnership.

    Its people's roles go with it (each logged as revoked, in the same transaction): they
    held them as that organisation's people, and a partner admin or member of an
    organisation that no longer takes part could otherwise still act in the partnership.
    Coordinators keep theirs: a coordinator runs the whole partnership, and a partnership
    is never left without one. Open invitations into the partnership for that
    organisation's people end too.

    Conflict while the organisation, once out, would leave behind what only a partner
    can honour: open pledges (the totals count them as resources still to come) or a
    place among the partners whose approval expenditures need (they could then wait for
    an approval no one may give). Its history stays: fulfilled and cancelled pledges,
    transactions, signatures and reported values."""
    policy.require(actor, Action.MANAGE_PARTNERS, participation.partnership)
    with transaction.atomic():
        # The ledger's lock first, as every finance write takes it: a pledge or an
        # approval rule recorded meanwhile for this organisation is seen below.
        current = _locked_or_gone(participation)
        if current is None:
            return  # removed meanwhile (a second click): logged once, by that removal
        # Checked and logged as it is now (its role may have changed meanwhile).
        _check_nothing_open(current)
        _take_out(actor, current, "partner.left")


def _check_nothing_open(participation: Participation) -> None:
    """Conflict, saying what to settle first, if taking `participation` out would leave
    its organisation with open pledges or among the approving partners of the
    partnership's approval rule (while it takes part in no other role)."""
    from sinergi.finance.models import Pledge, PledgeStatus

    partnership, organisation = participation.partnership, participation.organisation
    if not _leaves(participation):
        return  # it stays a partner in its other role
    problems = []
    open_pledges = Pledge.objects.filter(
        partnership=partnership,
        organisation_id=organisation.pk,
        status__in=[PledgeStatus.PLEDGED, PledgeStatus.COMMITTED],
    ).count()
    if open_pledges:
        problems.append(
            ngettext(
                "%(organisation)s has %(count)d open pledge in this partnership: cancel it "
                "or see it fulfilled first.",
                "%(organisation)s has %(count)d open pledges in this partnership: cancel "
                "them or see them fulfilled first.",
                open_pledges,
            )
            % {"organisation": organisation.name, "count": open_pledges}
        )
    if _approves(participation):
        problems.append(
            _(
                "%(organisation)s is one of the partners whose approval expenditures need: "
                "change the approval rule first."
            )
            % {"organisation": organisation.name}
        )
    if problems:
        raise Conflict(" ".join(problems))


def _leaves(participation: Participation) -> bool:
    """Whether taking `participation` out leaves its organisation out of the partnership
    (it takes part in no other role)."""
    return not (
        Participation.objects.filter(
            partnership_id=participation.partnership_id,
            organisation_id=participation.organisation_id,
        )
        .exclude(pk=participation.pk)
        .exists()
    )


def _approves(participation: Participation) -> bool:
    """Whether the partnership's approval rule names the participation's organisation
    among the partners whose approval expenditures need."""
    from sinergi.finance.models import ApprovalRule

    return ApprovalRule.objects.filter(
        partnership_id=participation.partnership_id,
        approver_organisations=participation.organisation_id,
    ).exists()


def _take_out(actor: Person, participation: Participation, kind: str) -> None:
    """Delete `participation`, logged as `kind`, with its people's roles (but
    coordinators') and the open invitations for its organisation's people; inside the
    caller's transaction."""
    partnership = participation.partnership
    record(
        kind,
        {"organisation": participation.organisation.slug, "role": participation.role},
        partnership,
        actor,
    )
    leaves = _leaves(participation)
    participation.delete()
    if not leaves:
        return  # it takes part in another role still: its people keep their roles
    leaving = (
        Membership.objects.select_for_update(no_key=True, of=("self",))
        .filter(partnership=partnership, person__organisation_id=participation.organisation_id)
        .exclude(role=MemberRole.COORDINATOR)
        .select_related("person")
        .order_by("pk")
    )
    for membership in leaving:
        record(
            "membership.revoked",
            {"person": membership.person.username, "role": membership.role, "reason": kind},
            partnership,
            actor,
        )
        membership.delete()
    # Nor may anyone join it as one of that organisation's people any more.
    Invitation.objects.filter(
        partnership=partnership,
        organisation_id=participation.organisation_id,
        accepted_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).update(expires_at=timezone.now())


def _answer_payload(participation: Participation) -> dict[str, Any]:
    """What a `partner.confirmed` or `partner.declined` entry says."""
    return {"organisation": participation.organisation.slug, "role": participation.role}


def _locked_listing(participation: Participation) -> Participation:
    """`participation` read again and locked until the caller's transaction ends; a
    Conflict when it is gone (declined or removed meanwhile). The ledger's lock comes
    first, in the order every writer takes the two."""
    current = _locked_or_gone(participation)
    if current is None:
        raise Conflict(_("This partnership no longer lists the organisation in this role."))
    return current


def _locked_or_gone(participation: Participation) -> Participation | None:
    """`participation` read again and locked after the ledger's lock, or None when it is
    gone."""
    hold()
    return (
        Participation.objects.select_for_update(of=("self",))
        .select_related("partnership", "organisation")
        .filter(pk=participation.pk)
        .first()
    )


def _locked_answerable(actor: Person, participation: Participation) -> Participation:
    """The participation re-read and locked for the organisation's answer, inside the
    caller's transaction: refused unless `actor` answers for its organisation, and a
    Conflict once it is confirmed or gone."""
    if not policy.can_answer_for(actor, participation.organisation_id):
        raise PermissionDenied(_("Only an admin of the organisation may answer for it."))
    current = _locked_listing(participation)
    if current.confirmed_at is not None:
        raise Conflict(_("The organisation has already confirmed that it takes part."))
    return current


def confirm_participation(*, actor: Person, participation: Participation) -> Participation:
    """The organisation confirms that it takes part in the partnership in this role.

    Only its own admins answer for it (`policy.can_answer_for`); a participation already
    confirmed is a Conflict. Logged as `partner.confirmed` in the same transaction."""
    with transaction.atomic():
        # `_locked_answerable` takes the ledger's lock before the row's, as every writer
        # takes them.
        current = _locked_answerable(actor, participation)
        current.confirmed_at, current.confirmed_by = timezone.now(), actor
        current.save(update_fields=["confirmed_at", "confirmed_by"])
        record("partner.confirmed", _answer_payload(current), current.partnership, actor)
    participation.confirmed_at, participation.confirmed_by = current.confirmed_at, actor
    return participation


def decline_participation(*, actor: Person, participation: Participation) -> None:
    """The organisation declines a partnership that lists it without its consent: the
    participation goes exactly as `remove_partner` takes it out (its people's roles, but
    coordinators', and open invitations with it), logged as `partner.declined`.

    Only its own admins answer for it, and only while it is unconfirmed (Conflict after:
    the coordinators then remove it). Nor while the partnership holds records of it, or
    names it among the approving partners of its approval rule (only the coordinators
    change that)."""
    with transaction.atomic():
        # The ledger's lock first (`_locked_answerable` takes it), then the rows, as
        # remove_partner and every finance write take them: a pledge or an approval rule
        # recorded meanwhile is seen below.
        current = _locked_answerable(actor, participation)
        kept = _records_of(current)
        if kept:
            raise Conflict(
                _(
                    "The partnership already holds %(records)s of the organisation: it cannot "
                    "decline a part it has acted in. Ask the coordinators to change or end it."
                )
                % {"records": ", ".join(sorted(kept))}
            )
        if _leaves(current) and _approves(current):
            raise Conflict(
                _(
                    "The partnership's approval rule names the organisation among the "
                    "partners whose approval expenditures need: ask the coordinators to "
                    "change the rule first."
                )
            )
        _take_out(actor, current, "partner.declined")


def _records_of(participation: Participation) -> set[str]:
    """The kinds of record (plural names) the partnership holds of the organisation: its
    pledges, the transactions on its books or with it as provider or receiver, its
    signatures on the agreement and its reported values."""
    from django.db.models import Q

    from sinergi.finance.models import Pledge, Transaction
    from sinergi.results.models import Submission

    partnership, organisation = participation.partnership_id, participation.organisation_id
    queries = [
        Pledge.objects.filter(partnership_id=partnership, organisation_id=organisation),
        Transaction.objects.filter(partnership_id=partnership).filter(
            Q(organisation_id=organisation)
            | Q(provider_organisation_id=organisation)
            | Q(receiver_organisation_id=organisation)
        ),
        AgreementSignature.objects.filter(
            version__partnership_id=partnership, organisation_id=organisation
        ),
        Submission.objects.filter(partnership_id=partnership, organisation_id=organisation),
    ]
    return {str(query.model._meta.verbose_name_plural) for query in queries if query.exists()}


def check_partner_admin(partnership: Partnership, person: Person, role: str) -> None:
    """A partner admin must work for an organisation that takes part in the partnership."""
    if role != MemberRole.PARTNER_ADMIN:
        return
    if (
        person.organisation_id is None
        or not partnership.participations.filter(organisation_id=person.organisation_id).exists()
    ):
        raise ValidationError(
            {"role": [_("A partner admin must work for an organisation that takes part.")]}
        )


def grant_membership(
    *, actor: Person, partnership: Partnership, person: Person, role: str
) -> Membership:
    """Give `person` a role in `partnership`."""
    policy.require(actor, Action.MANAGE_MEMBERS, partnership)
    if not policy.can_grant_role(actor, partnership, person, role):
        raise PermissionDenied
    membership = Membership(partnership=partnership, person=person, role=role)
    membership.full_clean(validate_unique=False, validate_constraints=False)
    check_partner_admin(partnership, person, role)
    try:
        with transaction.atomic():
            # Checked again under the ledger's lock, which a partner's removal takes: its
            # organisation cannot leave between the check and the grant. The partnership
            # is read again under it: one deleted meanwhile is Http404, not a foreign-key
            # error at the commit taken for a second grant.
            hold_row(partnership)
            check_partner_admin(partnership, person, role)
            if Membership.objects.filter(partnership=partnership, person=person).exists():
                raise _member_already()
            membership.save()
            record(
                "membership.granted",
                {"person": person.username, "role": role},
                partnership,
                actor,
            )
    except IntegrityError as exc:  # granted by another request meanwhile
        raise _member_already() from exc
    policy.forget_roles(person)
    return membership


def _member_already() -> Conflict:
    """The answer to a second role for one person: a conflict with the partnership's
    members as they are (409 in the API), shown at the person."""
    return Conflict(_("This person is already a member of the partnership."), field="person")


def _is_last_coordinator(membership: Membership) -> bool:
    if membership.role != MemberRole.COORDINATOR:
        return False
    others = Membership.objects.select_for_update(no_key=True, of=("self",)).filter(
        partnership_id=membership.partnership_id, role=MemberRole.COORDINATOR
    )
    return not others.exclude(pk=membership.pk).exists()


def change_membership_role(*, actor: Person, membership: Membership, role: str) -> Membership:
    """Give a member another role; a partnership always keeps at least one coordinator."""
    partnership = membership.partnership
    policy.require(actor, Action.MANAGE_MEMBERS, partnership)
    if not policy.can_grant_role(actor, partnership, membership.person, membership.role):
        raise PermissionDenied
    if not policy.can_grant_role(actor, partnership, membership.person, role):
        raise PermissionDenied
    membership.role = role
    membership.full_clean(validate_unique=False)
    check_partner_admin(partnership, membership.person, role)
    with transaction.atomic():
        current = _locked_membership(actor, membership)
        check_partner_admin(partnership, membership.person, role)
        if role != MemberRole.COORDINATOR and _is_last_coordinator(current):
            raise Conflict(_("A partnership needs at least one coordinator."), field="role")
        membership.save(update_fields=["role"])
        if current.role != role:
            record(
                "membership.role_changed",
                {"person": membership.person.username, "from": current.role, "to": role},
                partnership,
                actor,
            )
    policy.forget_roles(membership.person)
    return membership


def _locked_membership(actor: Person, membership: Membership) -> Membership:
    """The membership's row as it is now, locked after the ledger's lock (the order every
    writer takes them in); PermissionDenied if `actor` may not change its role as it is
    now (a member promoted to coordinator meanwhile is out of a partner admin's reach),
    Http404 if it was revoked meanwhile."""
    current = hold_row(Membership(pk=membership.pk))
    if not policy.can_grant_role(actor, membership.partnership, membership.person, current.role):
        raise PermissionDenied
    return current


def revoke_membership(*, actor: Person, membership: Membership) -> None:
    """Take a person's role in a partnership away."""
    partnership = membership.partnership
    policy.require(actor, Action.MANAGE_MEMBERS, partnership)
    if not policy.can_grant_role(actor, partnership, membership.person, membership.role):
        raise PermissionDenied
    with transaction.atomic():
        current = _locked_membership(actor, membership)
        if _is_last_coordinator(current):
            raise Conflict(_("A partnership needs at least one coordinator."), field="role")
        record(
            "membership.revoked",
            {"person": membership.person.username, "role": current.role},
            partnership,
            actor,
        )
        current.delete()
    policy.forget_roles(membership.person)


def leaving_without_coordinator(people: Iterable[Person]) -> list[Membership]:
    """The coordinator memberships of `people` in partnerships that would have no
    coordinator left were they all removed: a partnership always keeps one."""
    ids = {person.pk for person in people}
    coordinators = Membership.objects.filter(role=MemberRole.COORDINATOR)
    held = coordinators.filter(person_id__in=ids).select_related("person", "partnership")
    kept = set(
        coordinators.filter(partnership_id__in={m.partnership_id for m in held})
        .exclude(person_id__in=ids)
        .values_list("partnership_id", flat=True)
    )
    return [membership for membership in held if membership.partnership_id not in kept]


def revoke_all_memberships(*, actor: Person, person: Person, reason: str) -> int:
    """Revoke every membership `person` holds, before their account is deleted: each one
    goes on the ledger (`membership.revoked`, with `reason`) in the caller's transaction,
    as `revoke_membership` does. Conflict if they are a partnership's last coordinator.
    Returns how many were revoked."""
    with transaction.atomic():
        hold()  # the ledger's lock first, then the rows, as every append takes them
        memberships = (
            Membership.objects.select_for_update(no_key=True, of=("self",))
            .filter(person=person)
            .select_related("partnership")
            .order_by("pk")
        )
        revoked = 0
        for membership in memberships:
            partnership = membership.partnership
            policy.require(actor, Action.MANAGE_MEMBERS, partnership)
            if _is_last_coordinator(membership):
                raise Conflict(
                    _("%(person)s is the last coordinator of %(partnership)s.")
                    % {"person": person.username, "partnership": partnership.title},
                    field="role",
                )
            record(
                "membership.revoked",
                {"person": person.username, "role": membership.role, "reason": reason},
                partnership,
                actor,
            )
            membership.delete()
            revoked += 1
    policy.forget_roles(person)
    return revoked
