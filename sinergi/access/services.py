"""Operations that grant or withdraw access: API tokens and invitations."""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime, timedelta
from functools import cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import TaskResultStatus

from sinergi.access import policy
from sinergi.access.models import ApiToken, Invitation, hash_secret, new_secret
from sinergi.access.policy import Action
from sinergi.access.tasks import send_email
from sinergi.core import sql
from sinergi.ledger.log import append as record
from sinergi.ledger.log import hold, hold_row
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import MemberRole, Membership, Partnership
from sinergi.partnerships.services import check_partner_admin

INVITATION_LIFETIME = timedelta(days=14)
logger = logging.getLogger(__name__)


def now():
    return timezone.now()


# Lifetimes offered for a new token, in days; None is "no expiry".
TOKEN_LIFETIMES = (7, 30, 90, 365)
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366


def create_api_token(
    *,
    actor: Person,
    name: str,
    expires_in_days: int | None = DEFAULT_TOKEN_DAYS,
    read_only: bool = False,
) -> tuple[ApiToken, str]:
    """A new personal API token for `actor`; returns it with its secret, shown only once.

    It stops working after `expires_in_days` days (1 to MAX_TOKEN_DAYS; None: never), and
    a `read_only` one is refused every request that would change something."""
    if not actor.is_authenticated:
        raise PermissionDenied
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the token a name.")]})
    if len(name) > 100:
        raise ValidationError({"name": [_("Use at most 100 characters.")]})
    if expires_in_days is not None and (
        isinstance(expires_in_days, bool)
        or not isinstance(expires_in_days, int)
        or not 1 <= expires_in_days <= MAX_TOKEN_DAYS
    ):
        raise ValidationError(
            {
                "expires_in_days": [
                    _("Choose from 1 to %(days)d days, or no expiry.") % {"days": MAX_TOKEN_DAYS}
                ]
            }
        )
    if not isinstance(read_only, bool):
        raise ValidationError({"read_only": [_("Say true or false.")]})
    secret = new_secret()
    token = ApiToken.objects.create(
        person=actor,
        name=name,
        key_hash=hash_secret(secret),
        hint=secret[:8],
        expires_at=None if expires_in_days is None else now() + timedelta(days=expires_in_days),
        read_only=read_only,
    )
    return token, secret


def revoke_api_token(*, actor: Person, token: ApiToken) -> None:
    """Stop a token from working; only its owner or staff may."""
    if token.person_id != actor.pk and not policy.is_staff(actor):
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = now()
        token.save(update_fields=["revoked_at"])


def revoke_all_api_tokens(person: Person) -> int:
    """Revoke every working token of `person` (after a password change or reset: whoever
    took the old password may have made one); returns how many."""
    return ApiToken.objects.filter(person=person, revoked_at__isnull=True).update(revoked_at=now())


def person_for_token(secret: str) -> Person | None:
    """The active person a valid, unrevoked, unexpired token belongs to, or None.

    The person carries `token_read_only`: whether the token may only read."""
    if not secret.startswith("sng_") or len(secret) > 100:
        return None
    moment = now()
    # Every API request runs this: one raw query (the person with its token's id, last
    # use and scope, prepared on PostgreSQL) costs a fraction of the ORM's select_related.
    parameters = [hash_secret(secret), connection.ops.adapt_datetimefield_value(moment)]
    found = next(sql.rows(Person, connection, _token_sql(), parameters), None)
    if found is None:
        return None
    person, (token_id, last_used, read_only) = found
    person.token_read_only = bool(read_only)
    if isinstance(last_used, str):  # SQLite hands back the text of an extra column
        last_used = parse_datetime(last_used)
    if last_used is not None and timezone.is_naive(last_used):
        last_used = timezone.make_aware(last_used, UTC)
    if last_used is None or moment - last_used > timedelta(minutes=5):
        # Written at most every few minutes so that reads stay reads.
        _note_use(token_id, moment)
    return person


def token_refusal(secret: str) -> str:
    """Why `secret` is not a working token, for the 401 answer: an expired token says when
    it expired (its owner then knows to make a new one); anything else is just invalid."""
    expired = None
    if secret.startswith("sng_") and len(secret) <= 100:
        expired = (
            ApiToken.objects.filter(
                key_hash=hash_secret(secret), revoked_at__isnull=True, expires_at__lte=now()
            )
            .values_list("expires_at", flat=True)
            .first()
        )
    if expired is None:
        return _("The API token is invalid or revoked.")
    return _("The API token expired on %(date)s; create a new one.") % {
        "date": timezone.localtime(expired).strftime("%Y-%m-%d %H:%M %Z")
    }


LAST_USE_WAIT_MS = 100


def _note_use(token_id: int, moment: datetime) -> None:
    """Record a token's last use, if the database takes it at once: a read never waits
    for, or fails with, this write. While another write holds the database (an import
    on SQLite, a locked row on PostgreSQL) it is skipped, and the next request within
    five minutes writes it; so is a failure to write at all (a full or read-only disk)."""
    tokens = ApiToken.objects.filter(pk=token_id)
    if connection.in_atomic_block:  # a caller's transaction: a failure is theirs to see
        tokens.update(last_used_at=moment)
        return
    try:
        if connection.vendor == "postgresql":
            # One statement that skips a row another transaction holds, never waits.
            table = connection.ops.quote_name(ApiToken._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET last_used_at = %s WHERE id IN "  # noqa: S608
                    f"(SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED)",
                    [moment, token_id],
                )
        else:
            with sql.waiting_briefly(LAST_USE_WAIT_MS):
                tokens.update(last_used_at=moment)
    except DatabaseError as exc:
        logger.info("a token's last use was not recorded: %s", exc)


@cache
def _token_sql() -> str:
    q = connection.ops.quote_name
    columns = ", ".join(f"p.{q(f.column)}" for f in Person._meta.concrete_fields)
    # Table and column names come from the models, never from input.
    return (
        f"SELECT {columns}, t.{q('id')}, t.{q('last_used_at')}, t.{q('read_only')}"  # noqa: S608
        f" FROM {q(Person._meta.db_table)} p JOIN {q(ApiToken._meta.db_table)} t"
        f" ON t.{q('person_id')} = p.{q('id')}"
        f" WHERE t.{q('key_hash')} = %s AND t.{q('revoked_at')} IS NULL AND p.{q('is_active')}"
        f" AND (t.{q('expires_at')} IS NULL OR t.{q('expires_at')} > %s)"
    )


def invite_person(
    *,
    actor: Person,
    email: str,
    organisation: Organisation,
    partnership: Partnership | None = None,
    role: str = "",
    accept_url_template: str,
) -> Invitation:
    """E-mail `email` a link to join `organisation` (and `partnership` in `role`).

    `accept_url_template` is an absolute URL with `{token}` where the secret goes. The
    mail is sent once the invitation is saved (committed); on the invitation returned,
    `email_sent` says whether it went out (False: the mail server refused it or could not
    be reached within EMAIL_TIMEOUT; None: not known yet, as when a task queue sends it
    or the caller's transaction is still open). The link itself goes only by mail.
    """
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    if partnership is None:
        if not policy.can_invite_to_organisation(actor, organisation):
            raise PermissionDenied
        role = ""
    else:
        policy.require(actor, Action.MANAGE_MEMBERS, partnership)
        if role not in MemberRole.values:
            raise ValidationError({"role": [_("Choose a role.")]})
        # Accepting makes the invitee one of `organisation`'s people, able to sign and
        # approve for it: only that organisation (its own people, or staff) vouches for that.
        if organisation.pk != actor.organisation_id and not policy.is_staff(actor):
            raise ValidationError(
                {
                    "organisation": [
                        _(
                            "You can only invite people to work for your own organisation. "
                            "Ask someone at %(organisation)s to invite their colleagues."
                        )
                        % {"organisation": organisation}
                    ]
                }
            )
        prospective = Person(organisation=organisation)
        if not policy.can_grant_role(actor, partnership, prospective, role):
            raise PermissionDenied
        check_partner_admin(partnership, prospective, role)
    secret = new_secret()
    with transaction.atomic():
        # Inviting an address again (another role, a lost mail) replaces its open
        # invitation to the same place: one link works, the latest. Under the ledger's
        # lock, which an acceptance takes too: invitations of the same address sent at
        # once each expire the one before, and none is accepted meanwhile. The places
        # invited to are read again under it (Http404 when deleted meanwhile).
        hold_row(organisation)
        if partnership is not None:
            hold_row(partnership)
        _open_invitations_like(email, organisation.pk, partnership and partnership.pk).update(
            expires_at=now()
        )
        invitation = Invitation.objects.create(
            email=email,
            organisation=organisation,
            partnership=partnership,
            role=role,
            token_hash=hash_secret(secret),
            invited_by=actor,
            expires_at=now() + INVITATION_LIFETIME,
        )
        body = render_to_string(
            "access/invitation_email.txt",
            {
                "invitation": invitation,
                "inviter": actor,
                "url": accept_url_template.format(token=secret),
            },
        )
        subject = _("You are invited to %(organisation)s on Sinergi") % {
            "organisation": organisation
        }

        def send() -> None:
            result = send_email.enqueue(to=email, subject=subject, body=body)
            # The immediate backend has sent it (or failed) by now; a queue has not.
            invitation.email_sent = {
                TaskResultStatus.SUCCESSFUL: True,
                TaskResultStatus.FAILED: False,
            }.get(result.status)

        transaction.on_commit(send)
    return invitation


def _open_invitations_like(email: str, organisation_id: int, partnership_id: int | None):
    """The open invitations of `email` to the same organisation and partnership."""
    return Invitation.objects.filter(
        email__iexact=email,
        organisation_id=organisation_id,
        partnership_id=partnership_id,
        accepted_at__isnull=True,
        expires_at__gt=now(),
    )


def open_invitation(secret: str) -> Invitation | None:
    """The open invitation a secret belongs to, or None when unknown, used or expired."""
    invitation = (
        Invitation.objects.select_related("organisation", "partnership")
        .filter(token_hash=hash_secret(secret))
        .first()
    )
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now():
        return None
    return invitation


_INVITATION_VOID = gettext_lazy(
    "This invitation is no longer valid: whoever sent it may no longer give this role. "
    "Ask for a new invitation."
)


def _inviter_may_still_invite(invitation: Invitation) -> bool:
    """Whether the sender of an invitation to an organisation may still invite people to
    work for it (is still active and one of its admins, or staff)."""
    inviter = invitation.invited_by
    return bool(
        inviter is not None
        and inviter.is_active
        and policy.can_invite_to_organisation(inviter, invitation.organisation)
    )


def _check_inviter_may_still_grant(invitation: Invitation, person: Person) -> None:
    """An invitation grants a role on its sender's authority, so that authority is checked
    again when it is used: the sender must still be active and allowed to give `person`
    (now of the invitation's organisation) that role in that partnership."""
    inviter = invitation.invited_by
    partnership = invitation.partnership
    if (
        inviter is None
        or not inviter.is_active
        or not policy.can(inviter, Action.MANAGE_MEMBERS, partnership)
        or not policy.can_grant_role(inviter, partnership, person, invitation.role)
    ):
        raise ValidationError(_INVITATION_VOID)
    try:
        check_partner_admin(partnership, person, invitation.role)
    except ValidationError as exc:
        raise ValidationError(exc.messages) from exc


def check_acceptance(*, invitation: Invitation, person: Person) -> None:
    """Raise the ValidationError `accept_invitation` would refuse `person` with, as things
    stand; nothing is changed. `person` may be unsaved: someone about to sign up."""
    if invitation.accepted_at is not None or invitation.expires_at <= now():
        raise ValidationError(_("This invitation has already been used or has expired."))
    if (person.email or "").casefold() != invitation.email.casefold():
        raise ValidationError(
            _(
                "This invitation was sent to %(email)s. Sign out and accept it with that "
                "address, or ask for an invitation to your own."
            )
            % {"email": invitation.email}
        )
    if person.organisation_id not in (None, invitation.organisation_id):
        raise ValidationError(
            _("You already work for another organisation; ask an admin to move you.")
        )
    if invitation.partnership_id is None:
        if not _inviter_may_still_invite(invitation):
            raise ValidationError(_INVITATION_VOID)
        return
    # The role is given to the person as one of the invitation's organisation; a copy
    # says so, leaving the caller's instance as it is.
    joining = copy.copy(person)
    joining.organisation_id = invitation.organisation_id
    _check_inviter_may_still_grant(invitation, joining)


def accept_invitation(*, invitation: Invitation, person: Person) -> Invitation:
    """`person` joins the invitation's organisation and partnership; the link is used up."""
    with transaction.atomic():
        hold()  # the ledger's lock first, in the order every writer takes them
        locked = Invitation.objects.select_for_update(no_key=True, of=("self",)).get(
            pk=invitation.pk
        )
        check_acceptance(invitation=locked, person=person)
        person.organisation = locked.organisation
        person.save(update_fields=["organisation"])
        if locked.partnership_id:
            _membership, created = Membership.objects.get_or_create(
                partnership_id=locked.partnership_id,
                person=person,
                defaults={"role": locked.role},
            )
            if created:
                record(
                    "membership.granted",
                    {
                        "person": person.username,
                        "role": locked.role,
                        "invited_by": getattr(locked.invited_by, "username", None),
                    },
                    locked.partnership,
                    person,
                )
        locked.accepted_at = now()
        locked.accepted_by = person
        locked.save(update_fields=["accepted_at", "accepted_by"])
        # Any other link to the same place (sent before this one's lock) is used up too.
        _open_invitations_like(locked.email, locked.organisation_id, locked.partnership_id).update(
            expires_at=now()
        )
    policy.forget_roles(person)
    return locked
