"""The permission policy: who may see and do what. Pages, API and admin all ask here.

Roles are per partnership (coordinator, partner admin, member, observer), plus
platform staff. Each rule is written once, one condition per line, so that test
coverage shows every case was exercised.

Private partnerships are invisible to outsiders: lookups that fail the VIEW check
raise Http404 rather than PermissionDenied, so existence itself does not leak.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import cache

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from sinergi.core import sql
from sinergi.ledger import log
from sinergi.ledger.models import Entry
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import (
    MemberRole,
    Membership,
    Participation,
    Partnership,
    Visibility,
)

User = Person | AnonymousUser


class Action(StrEnum):
    VIEW = "view"
    EDIT = "edit"
    MANAGE_PARTNERS = "manage_partners"
    MANAGE_MEMBERS = "manage_members"
    DELETE = "delete"


# The roles that may do each action, besides platform staff.
ALLOWED_ROLES: dict[Action, frozenset[str]] = {
    Action.VIEW: frozenset(MemberRole.values),
    Action.EDIT: frozenset({MemberRole.COORDINATOR}),
    Action.MANAGE_PARTNERS: frozenset({MemberRole.COORDINATOR}),
    Action.MANAGE_MEMBERS: frozenset({MemberRole.COORDINATOR, MemberRole.PARTNER_ADMIN}),
    Action.DELETE: frozenset({MemberRole.COORDINATOR}),
}

# Roles a partner admin may hand out to people of their own organisation.
PARTNER_ADMIN_GRANTABLE = frozenset(
    {MemberRole.PARTNER_ADMIN, MemberRole.MEMBER, MemberRole.OBSERVER}
)


def is_staff(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def roles_of(user: User) -> dict[int, str]:
    """partnership id → role for every membership of `user`, loaded once per user object."""
    if not user.is_authenticated or not user.is_active:
        return {}
    cached = getattr(user, "_sinergi_roles", None)
    if cached is None:
        # order_by(): the default ordering would join people only to sort what becomes a dict.
        rows = Membership.objects.filter(person=user).order_by()
        cached = dict(rows.values_list("partnership_id", "role"))
        user._sinergi_roles = cached
    return cached


def forget_roles(user: User) -> None:
    """Drop the cached roles after a membership of `user` changed."""
    if hasattr(user, "_sinergi_roles"):
        del user._sinergi_roles
    if hasattr(user, "_sinergi_role_of"):
        del user._sinergi_role_of


def role_in(user: User, partnership: Partnership) -> str | None:
    roles = getattr(user, "_sinergi_roles", None)
    if roles is None:
        # get_partnership_for() read the role together with the partnership.
        known = getattr(user, "_sinergi_role_of", {})
        if partnership.pk in known:
            return known[partnership.pk]
        roles = roles_of(user)
    return roles.get(partnership.pk)


def can(user: User, action: Action, partnership: Partnership) -> bool:
    """Whether `user` may do `action` on `partnership`."""
    if is_staff(user):
        return True
    if action == Action.VIEW and partnership.visibility == Visibility.PUBLIC:
        return True
    role = role_in(user, partnership)
    if role is None:
        return False
    return role in ALLOWED_ROLES[action]


def visible_partnerships(user: User) -> QuerySet[Partnership]:
    """Every partnership `user` may see: the only source for lists, search and counts."""
    partnerships = Partnership.objects.all()
    if is_staff(user):
        return partnerships
    public = Q(visibility=Visibility.PUBLIC)
    if not user.is_authenticated or not user.is_active:
        return partnerships.filter(public)
    # The partnerships `user` is a member of, straight from the membership index.
    member = Membership.objects.filter(person=user).order_by().values("partnership_id")
    return partnerships.filter(public | Q(pk__in=member))


@cache
def _partnership_with_role_sql() -> str:
    partnership = Partnership._meta
    membership = Membership._meta
    entry = Entry._meta
    columns = ", ".join(f'p."{field.column}"' for field in partnership.concrete_fields)
    # Table and column names come from the models, never from input.
    return (
        f'SELECT {columns}, (SELECT m."role" FROM "{membership.db_table}" m '  # noqa: S608
        f'WHERE m."partnership_id" = p."id" AND m."person_id" = %s) AS sinergi_role, '
        f'(SELECT MAX(e."index") FROM "{entry.db_table}" e '
        f'WHERE e."partnership_ref" = p."id") AS sinergi_ledger_index '
        f'FROM "{partnership.db_table}" p WHERE p."slug" = %s'
    )


def _partnership_with_role(user: User, slug: str) -> Partnership | None:
    """The partnership with `slug`, reading `user`'s role in it in the same query.

    Every partnership page and API call starts here, so this is one raw query (about
    0.2 ms) instead of two compiled ORM queries (about 1 ms together). The role is
    remembered on the user object beside the roles_of() cache and forgotten with it.
    """
    person_id = user.pk if user.is_authenticated and user.is_active else None
    found = next(
        sql.rows(Partnership, connection, _partnership_with_role_sql(), [person_id, slug]), None
    )
    if found is None:
        return None
    partnership, (role, ledger_index) = found
    partnership.sinergi_role = role
    # Its latest ledger index, the version of its finance figures, read in the same
    # query; `finance.queries.version` uses it while this process has appended nothing
    # since (`ledger.log.writes`).
    partnership.sinergi_ledger_index = (ledger_index, os.getpid(), log.writes())
    if person_id is not None:
        if not hasattr(user, "_sinergi_role_of"):
            user._sinergi_role_of = {}
        user._sinergi_role_of[partnership.pk] = role
    return partnership


class PartnershipElsewhere(Http404):
    """No partnership has the short name asked for, but one that `user` may see has it in
    another letter case ("Old_Name" asked as "old_name"): short names stored before they
    were lower case only. A 404 to whoever does not answer it with a redirect to `slug`
    (`sinergi.access.middleware`, for pages read with GET; the API answers 404)."""

    def __init__(self, asked: str, slug: str) -> None:
        super().__init__("No such partnership.")
        self.asked = asked
        self.slug = slug


def get_partnership_for(user: User, slug: str, action: Action = Action.VIEW) -> Partnership:
    """The partnership with `slug` if `user` may do `action` on it.

    Raises Http404 when the user may not even see it, PermissionDenied when they may
    see it but not do `action`. PartnershipElsewhere (a 404) when `slug` is the short name
    of a partnership they may see only in another letter case.
    """
    partnership = _partnership_with_role(user, slug)
    if partnership is None:
        _raise_if_elsewhere(user, slug)
        raise Http404("No such partnership.")
    if not can(user, Action.VIEW, partnership):
        raise Http404("No such partnership.")
    if not can(user, action, partnership):
        raise PermissionDenied
    return partnership


def _raise_if_elsewhere(user: User, slug: str) -> None:
    """PartnershipElsewhere when exactly one partnership's short name is `slug` in another
    letter case and `user` may see it; nothing otherwise, so that a private partnership
    they may not see answers as a missing one does. Read only when `slug` matched none."""
    # Only those `user` may see count: whether another, hidden one also matches must not
    # change the answer (stored short names may differ in letter case alone).
    found = Partnership.objects.filter(slug__iexact=slug).values_list("slug", flat=True)[:20]
    visible = [
        partnership
        for stored in found
        if (partnership := _partnership_with_role(user, stored)) is not None
        and can(user, Action.VIEW, partnership)
    ]
    if len(visible) == 1:
        raise PartnershipElsewhere(slug, visible[0].slug)


def require(user: User, action: Action, partnership: Partnership) -> None:
    """Raise as get_partnership_for does when `user` may not do `action`."""
    if not can(user, Action.VIEW, partnership):
        raise Http404("No such partnership.")
    if not can(user, action, partnership):
        raise PermissionDenied


def can_grant_role(user: User, partnership: Partnership, person: Person, role: str) -> bool:
    """Whether `user` may give `person` the role `role` (or take it away) in `partnership`."""
    if is_staff(user):
        return True
    actor_role = role_in(user, partnership)
    if actor_role == MemberRole.COORDINATOR:
        return True
    if actor_role != MemberRole.PARTNER_ADMIN:
        return False
    if role not in PARTNER_ADMIN_GRANTABLE:
        return False
    if person.organisation_id is None:
        return False
    return person.organisation_id == user.organisation_id


def can_create_partnership(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_create_organisation(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_edit_organisation(user: User, organisation: Organisation) -> bool:
    if is_staff(user):
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    if not user.is_organisation_admin:
        return False
    return user.organisation_id == organisation.pk


def can_delete_organisation(user: User, organisation: Organisation) -> bool:
    return is_staff(user)


def can_invite_to_organisation(user: User, organisation: Organisation) -> bool:
    return can_edit_organisation(user, organisation)


def can_answer_for(user: User, organisation: Organisation | int) -> bool:
    """Whether `user` may confirm or decline, for `organisation` (or its id), that it takes
    part in a partnership that lists it: its own organisation admins only. Staff do not
    answer on an organisation's behalf: the consent must come from the organisation."""
    if not user.is_authenticated or not user.is_active:
        return False
    if not user.is_organisation_admin:
        return False
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    return user.organisation_id == organisation_id


def readable_partnership_ids(user: User, ids: set[int]) -> set[int]:
    """Which of the partnership ids `ids` the user may see (for ledger entry bodies)."""
    if not ids:
        return set()
    return set(visible_partnerships(user).filter(pk__in=ids).values_list("pk", flat=True))


# ---------------------------------------------------------------- partnership design


def can_edit_participation(user: User, participation: Participation) -> bool:
    """Whether `user` may edit a partner's contribution and expectations.

    Coordinators may edit every partner's; a partner admin only their own organisation's.
    """
    return _coordinator_or_own_admin(user, participation.partnership, participation.organisation_id)


def _coordinator_or_own_admin(user: User, partnership: Partnership, organisation_id: int) -> bool:
    """Staff and coordinators for any partner; a partner admin for their own organisation."""
    if is_staff(user):
        return True
    role = role_in(user, partnership)
    if role == MemberRole.COORDINATOR:
        return True
    if role != MemberRole.PARTNER_ADMIN:
        return False
    return user.organisation_id == organisation_id


def can_sign_agreement(user: User, partnership: Partnership, organisation: Organisation) -> bool:
    """Whether `user` is an authorised person to sign the agreement for `organisation`.

    The authorised person works for the organisation and is its partner admin or a
    coordinator in the partnership. Platform staff cannot sign on a partner's behalf.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.organisation_id != organisation.pk:
        return False
    role = role_in(user, partnership)
    return role in (MemberRole.COORDINATOR, MemberRole.PARTNER_ADMIN)


def can_edit_capabilities(user: User, organisation: Organisation) -> bool:
    """The organisation's own admins (and staff) record its comparative advantages."""
    return can_edit_organisation(user, organisation)


def can_see_members(user: User, partnership: Partnership) -> bool:
    """Who holds which role (names, usernames, organisations) is for the partnership's own
    people and staff, even when the partnership is public."""
    return is_staff(user) or role_in(user, partnership) is not None


def can_see_agreement_drafts(user: User, partnership: Partnership) -> bool:
    """Agreement drafts, and who may sign for each partner, are for the partnership's own
    people (any role) and staff; others see only the versions opened for signature."""
    if is_staff(user):
        return True
    return role_in(user, partnership) is not None


# ---------------------------------------------------------------- finance


def can_view_finance(user: User, partnership: Partnership) -> bool:
    """Finance is read by whoever may see the partnership: its people (observers
    included), staff, and everyone for a public partnership (IATI publishes
    transactions openly)."""
    return can(user, Action.VIEW, partnership)


def can_see_finance_documents(user: User, partnership: Partnership) -> bool:
    """Evidence documents (invoices, contracts) are for the partnership's own people and
    staff, even when the partnership is public: only their hashes are public."""
    if is_staff(user):
        return True
    return role_in(user, partnership) is not None


def can_record_finance(user: User, partnership: Partnership, organisation: Organisation) -> bool:
    """Whether `user` may record pledges and transactions on `organisation`'s books.

    Coordinators record for any partner; a partner admin only for their own organisation.
    """
    return _coordinator_or_own_admin(user, partnership, organisation.pk)


def can_manage_finance(user: User, partnership: Partnership) -> bool:
    """Budgets, exchange rates and the approval rule are the coordinators' (and staff's)."""
    return can(user, Action.EDIT, partnership)


def can_approve_for(user: User, partnership: Partnership, approvers: set[int]) -> int | None:
    """Whether `user` may approve expenditures under a rule naming `approvers`
    (organisation ids; empty means the coordinators approve).

    Returns the organisation id the decision counts for (0 under a coordinators' rule),
    or None when `user` may not approve. Staff cannot approve on a partner's behalf, and
    the author check (never one's own expenditure) is the service's.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    role = role_in(user, partnership)
    if not approvers:
        return 0 if role == MemberRole.COORDINATOR else None
    if role not in (MemberRole.COORDINATOR, MemberRole.PARTNER_ADMIN):
        return None
    if user.organisation_id in approvers:
        return user.organisation_id
    return None


def can_import_finance(user: User, partnership: Partnership) -> bool:
    """Whether `user` may import transactions from a spreadsheet at all: coordinators and
    staff (any partner's books) and partner admins (their own organisation's books; each
    row is still checked with `can_record_finance`)."""
    if not user.is_authenticated:
        return False
    if can_manage_finance(user, partnership):
        return True
    organisation = getattr(user, "organisation", None)
    return organisation is not None and can_record_finance(user, partnership, organisation)


# ---------------------------------------------------------------- results and monitoring


def can_view_results(user: User, partnership: Partnership) -> bool:
    """The framework, targets and approved values are read by whoever may see the
    partnership: its people, staff, and everyone for a public partnership."""
    return can(user, Action.VIEW, partnership)


def can_manage_results(user: User, partnership: Partnership) -> bool:
    """The results framework, dimensions, periods and targets are the coordinators'."""
    return can(user, Action.EDIT, partnership)


def can_see_unapproved_results(user: User, partnership: Partnership, organisation_id: int) -> bool:
    """Drafts, submitted and returned values are seen by coordinators, staff and the
    people of the partner that reports them; observers and the public see approved
    values only."""
    if is_staff(user):
        return True
    role = role_in(user, partnership)
    if role == MemberRole.COORDINATOR:
        return True
    if role not in (MemberRole.PARTNER_ADMIN, MemberRole.MEMBER):
        return False
    return user.organisation_id == organisation_id


def can_submit_results(user: User, partnership: Partnership, organisation_id: int) -> bool:
    """Whether `user` may enter and submit values for indicators `organisation_id` is
    responsible for: that partner's admins and members in the partnership, and the
    coordinators (on a partner's behalf). Staff do not report for partners."""
    if not user.is_authenticated or not user.is_active:
        return False
    role = role_in(user, partnership)
    if role == MemberRole.COORDINATOR:
        return True
    if role not in (MemberRole.PARTNER_ADMIN, MemberRole.MEMBER):
        return False
    return user.organisation_id == organisation_id


def can_approve_results(user: User, partnership: Partnership) -> bool:
    """Coordinators approve or return submitted values (never their own: the service
    checks the author). Staff cannot approve on the partnership's behalf."""
    if not user.is_authenticated or not user.is_active:
        return False
    return role_in(user, partnership) == MemberRole.COORDINATOR


def reporting_organisations(user: User, partnership: Partnership) -> set[int] | None:
    """The organisations `user` may report for in `partnership`: None means any (a
    coordinator), an empty set none."""
    if not user.is_authenticated or not user.is_active:
        return set()
    role = role_in(user, partnership)
    if role == MemberRole.COORDINATOR:
        return None
    if role in (MemberRole.PARTNER_ADMIN, MemberRole.MEMBER) and user.organisation_id:
        return {user.organisation_id}
    return set()


def can_see_result_evidence(user: User, partnership: Partnership) -> bool:
    """Evidence files of reported values (photos, attendance lists) may name or show
    people: the partnership's own people and staff see their names and may fetch them,
    even when the partnership is public; others see only their SHA-256."""
    return can_see_finance_documents(user, partnership)
