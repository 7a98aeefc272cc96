"""Pages to find, set up and run a partnership: its details, partners and members."""

from __future__ import annotations

import copy
import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sinergi.access import policy
from sinergi.access import services as access_services
from sinergi.access.models import Invitation
from sinergi.access.policy import Action
from sinergi.codelists import ACTIVITY_STATUSES, ORGANISATION_ROLES
from sinergi.core.errors import Conflict
from sinergi.core.forms import apply_domain_errors
from sinergi.core.geography import country_choices, country_names, country_options
from sinergi.core.once import saved_once
from sinergi.core.pages import kept_part, render_kept
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships import queries, services
from sinergi.partnerships.forms import (
    AddPartnerForm,
    GrantMembershipForm,
    InviteForm,
    NewPartnershipForm,
    PartnershipForm,
    RoleForm,
)
from sinergi.partnerships.goals.queries import sdg_alignment
from sinergi.partnerships.lifecycle.queries import stage_indicator
from sinergi.partnerships.models import (
    MemberRole,
    Membership,
    Participation,
    Visibility,
)

PAGE_SIZE = 20


#: The list's pages kept for repeat readers: the first ones, where readers land.
KEPT_LIST_PAGES = 100
#: Nothing kept of the overview is shown once it is this old (`queries.overview_version`).
OVERVIEW_MAX_AGE = 600


@require_GET
def partnership_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "q": request.GET.get("q", "").strip()[:100],
        "status": request.GET.get("status", ""),
        "country": request.GET.get("country", ""),
        "visibility": request.GET.get("visibility", ""),
    }
    number = request.GET.get("page")

    def results() -> str:
        partnerships = queries.with_counts(
            queries.search_partnerships(request.user, **filters)
        ).order_by("title", "pk")
        page = Paginator(partnerships, PAGE_SIZE).get_page(number)
        return render_to_string("partnerships/_partnership_results.html", {"page": page, **filters})

    part = (_list_key(request, filters, number), results)
    if request.htmx and request.htmx.target == "results":
        return HttpResponse(kept_part(part))
    return render_kept(
        request,
        "partnerships/partnership_list.html",
        {**filters, "can_create": policy.can_create_partnership(request.user)},
        {"results": part},
        fixed={
            "statuses": ACTIVITY_STATUSES,
            "countries": country_choices(),
            "country_options": country_options(filters["country"]),
            "visibilities": Visibility.choices,
        },
    )


def _list_key(request: HttpRequest, filters: dict[str, str], number: str | None) -> str | None:
    """Where a page of the list is kept: under what the list can show the reader
    (`queries.list_version`), the filters and the page. None (computed, kept nowhere)
    for a text search or an unknown filter value or page, which only fill the store."""
    digits = number is not None and number.isascii() and number.isdigit() and len(number) <= 6
    page = 1 if number is None else int(number) if digits else 0
    if (
        filters["q"]
        or not 0 < page <= KEPT_LIST_PAGES
        or filters["status"] not in {"", *(code for code, _name in ACTIVITY_STATUSES)}
        or filters["visibility"] not in {"", *Visibility.values}
        or (filters["country"] and filters["country"] not in country_names())
    ):
        return None
    state = (queries.list_version(request.user), filters, page, get_language())
    return "partnerships:list:" + hashlib.sha256(repr(state).encode()).hexdigest()


@login_required
@require_http_methods(["GET", "POST"])
def partnership_create(request: HttpRequest) -> HttpResponse:
    form = NewPartnershipForm(request.POST or None, subdivisions_url=reverse("subdivision-options"))
    if request.method == "POST" and form.is_valid():
        partnership = saved_once(
            request,
            form,
            lambda: services.create_partnership(actor=request.user, **form.entered()),
            lambda made: reverse("partnership-partners", args=[made.slug]),
        )
        if isinstance(partnership, HttpResponse):
            return partnership
        if partnership is not None:
            messages.success(request, _("The partnership is created. Now add its partners."))
            return redirect("partnership-partners", slug=partnership.slug)
    return render(
        request,
        "partnerships/partnership_form.html",
        {"form": form, "creating": True},
        status=422 if form.errors else 200,
    )


def partnership_detail(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    user = request.user
    role = policy.role_in(user, partnership)
    # The overview's parts are kept under what they show (`queries.overview_version`)
    # and the date (the lifecycle checklist counts what is late).
    base = ":".join(
        (
            "partnerships:overview",
            str(partnership.pk),
            get_language(),
            timezone.localdate().isoformat(),
            queries.overview_version(partnership),
        )
    )
    parts = {
        "partners": (
            base + ":partners",
            lambda: render_to_string(
                "partnerships/_overview_partners.html",
                {"participations": queries.participations_of(partnership)},
            ),
        ),
        "lifecycle": (
            base + ":lifecycle",
            lambda: render_to_string(
                "partnerships/lifecycle/_indicator.html",
                {"partnership": partnership, "lifecycle": stage_indicator(partnership)},
            ),
        ),
        "sdg_alignment": (
            base + ":sdg",
            lambda: render_to_string(
                "partnerships/goals/_sdg_alignment.html",
                {"alignment": sdg_alignment(partnership)},
            ).strip(),  # empty when no goal names an SDG target: no section
        ),
    }
    shows_people = bool(role) or policy.is_staff(user)
    if shows_people:
        parts["people"] = (
            base + ":people",
            lambda: render_to_string(
                "partnerships/_overview_people.html",
                {"memberships": queries.memberships_of(partnership)},
            ),
        )
    context = {
        "partnership": partnership,
        "shows_people": shows_people,
        "my_role": str(MemberRole(role).label) if role else None,
        "can_edit": policy.can(user, Action.EDIT, partnership),
        "can_manage_partners": policy.can(user, Action.MANAGE_PARTNERS, partnership),
        "can_manage_members": policy.can(user, Action.MANAGE_MEMBERS, partnership),
        "can_delete": policy.can(user, Action.DELETE, partnership),
    }
    return render_kept(
        request, "partnerships/partnership_detail.html", context, parts, max_age=OVERVIEW_MAX_AGE
    )


@login_required
@require_http_methods(["GET", "POST"])
def partnership_edit(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    # The form validates into a copy, so the page keeps showing the saved title and link.
    form = PartnershipForm(
        request.POST or None,
        instance=copy.copy(partnership),
        subdivisions_url=reverse("subdivision-options"),
    )
    for field in form.fields.values():
        # The page keeps what it showed, so that only what the reader changed is saved:
        # a change someone else saved meanwhile is not silently undone.
        field.show_hidden_initial = True
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if "slug" in fields and not fields["slug"]:
            del fields["slug"]  # left empty: the link stays as it is
        try:
            partnership = services.update_partnership(
                actor=request.user, partnership=partnership, **fields
            )
        except ValidationError as exc:
            partnership.refresh_from_db()  # the service set the rejected values on it
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(partnership)
    return render(
        request,
        "partnerships/partnership_form.html",
        {"form": form, "partnership": partnership},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def partnership_delete(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.DELETE)
    error = ""
    if request.method == "POST":
        try:
            services.delete_partnership(actor=request.user, partnership=partnership)
        except Conflict as exc:
            error = exc.message
        else:
            messages.success(request, _("The partnership was deleted."))
            return redirect("partnership-list")
    return render(
        request,
        "core/confirm_delete.html",
        {"object": partnership, "cancel_url": partnership.get_absolute_url(), "error": error},
        status=409 if error else 200,
    )


# Partners -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def partnership_partners(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    can_manage = policy.can(request.user, Action.MANAGE_PARTNERS, partnership)
    form = AddPartnerForm(request.POST or None) if can_manage else None
    conflict = False
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.add_partner(
                    actor=request.user,
                    partnership=partnership,
                    organisation=form.cleaned_data["organisation"],
                    role=form.cleaned_data["role"],
                    contribution=form.cleaned_data["contribution"],
                )
            except (ValidationError, Conflict) as exc:
                conflict = isinstance(exc, Conflict)
                apply_domain_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(organisation)s joined the partnership.")
                    % {"organisation": form.cleaned_data["organisation"]},
                )
                return redirect("partnership-partners", slug=slug)
    return render(
        request,
        "partnerships/partners.html",
        {
            "partnership": partnership,
            "participations": queries.participations_of(partnership),
            "form": form,
            "can_manage": can_manage,
            "roles": ORGANISATION_ROLES,
        },
        status=409 if conflict else 422 if form is not None and form.errors else 200,
    )


@require_POST
def participation_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.MANAGE_PARTNERS)
    participation = get_object_or_404(
        Participation.objects.select_related("organisation"), pk=pk, partnership=partnership
    )
    form = RoleForm(request.POST, choices=ORGANISATION_ROLES)
    error = ""
    saved = False
    if form.is_valid():
        try:
            services.change_partner_role(
                actor=request.user, participation=participation, role=form.cleaned_data["role"]
            )
            saved = True
        except (ValidationError, Conflict) as exc:
            error = exc.message if isinstance(exc, Conflict) else " ".join(exc.messages)
            try:
                participation.refresh_from_db()
            except Participation.DoesNotExist:
                raise Http404("Removed meanwhile.") from None
    else:
        error = " ".join(form.errors.get("role", []))
    context = {
        "partnership": partnership,
        "p": participation,
        "can_manage": True,
        "roles": ORGANISATION_ROLES,
        "error": error,
        "saved": saved,
    }
    if request.htmx:
        return render(request, "partnerships/_participation_row.html", context)
    if error:
        messages.error(request, error)
    return redirect("partnership-partners", slug=slug)


@require_POST
def participation_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.MANAGE_PARTNERS)
    participation = get_object_or_404(
        Participation.objects.select_related("organisation"), pk=pk, partnership=partnership
    )
    try:
        services.remove_partner(actor=request.user, participation=participation)
    except Conflict as exc:
        if request.htmx:
            context = {
                "partnership": partnership,
                "p": participation,
                "can_manage": True,
                "roles": ORGANISATION_ROLES,
                "remove_error": exc.message,
            }
            return render(request, "partnerships/_participation_row.html", context)
        messages.error(request, exc.message)
        return redirect("partnership-partners", slug=slug)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, _("The partner was removed."))
    return redirect("partnership-partners", slug=slug)


@require_GET
def organisation_lookup(request: HttpRequest) -> HttpResponse:
    """<option>s of organisations whose name or acronym matches (HTMX datalist)."""
    q = request.GET.get("organisation", request.GET.get("q", "")).strip()[:100]
    organisations = []
    if len(q) >= 2:
        organisations = Organisation.objects.filter(
            Q(name__icontains=q) | Q(acronym__icontains=q)
        ).order_by("name")[:15]
    choices = [(o.slug, str(o)) for o in organisations]
    return render(request, "core/_options.html", {"choices": choices})


# Members ------------------------------------------------------------------------------


def _role_choices_for(user: Person, partnership: object) -> list[tuple[str, str]]:
    if policy.is_staff(user) or policy.role_in(user, partnership) == MemberRole.COORDINATOR:
        return list(MemberRole.choices)
    return [(v, label) for v, label in MemberRole.choices if v in policy.PARTNER_ADMIN_GRANTABLE]


def _grantable_people(user: Person, partnership: object):
    partner_orgs = partnership.participations.values("organisation_id")
    people = (
        Person.objects.filter(is_active=True, organisation_id__in=partner_orgs)
        .exclude(memberships__partnership=partnership)
        .select_related("organisation")
        .order_by("organisation__name", "first_name", "last_name")
    )
    if not policy.is_staff(user) and policy.role_in(user, partnership) != MemberRole.COORDINATOR:
        people = people.filter(organisation_id=user.organisation_id)
    return people


def _partner_organisations(user: Person, partnership: object):
    """The organisations `user` may invite people into: staff any partner, everyone else
    only their own (an invitee becomes one of that organisation's people)."""
    if not policy.is_staff(user):
        return Organisation.objects.filter(pk=user.organisation_id)
    return Organisation.objects.filter(
        pk__in=partnership.participations.values("organisation_id")
    ).order_by("name")


def _say_how_the_invitation_went(request: HttpRequest, invitation: Invitation) -> None:
    """Sent, or saved with a mail that failed. The inviter is not given the link: whoever
    opens it makes the account of that address, and only its owner should."""
    if invitation.email_sent is not False:
        messages.success(
            request, _("An invitation was sent to %(email)s.") % {"email": invitation.email}
        )
        return
    messages.warning(
        request,
        _(
            "The invitation to %(email)s was saved, but the e-mail could not be sent. "
            "Check the address, or invite them again later to send a new e-mail."
        )
        % {"email": invitation.email},
    )


@login_required
@require_http_methods(["GET", "POST"])
def partnership_members(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    if not policy.can_see_members(request.user, partnership):
        raise PermissionDenied
    can_manage = policy.can(request.user, Action.MANAGE_MEMBERS, partnership)
    role_choices = _role_choices_for(request.user, partnership)
    grant_form = invite_form = None
    conflict = False
    if can_manage:
        grant_form = GrantMembershipForm(
            request.POST if request.POST.get("form") == "grant" else None,
            people=_grantable_people(request.user, partnership),
            auto_id="grant_%s",  # both forms have a role field: ids must differ
        )
        grant_form.fields["role"].choices = role_choices
        invite_form = InviteForm(
            request.POST if request.POST.get("form") == "invite" else None,
            organisations=_partner_organisations(request.user, partnership),
            auto_id="invite_%s",
        )
        invite_form.fields["role"].choices = role_choices
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if request.POST.get("form") == "invite" and invite_form.is_valid():

            def invite() -> Invitation:
                return access_services.invite_person(
                    actor=request.user,
                    email=invite_form.cleaned_data["email"],
                    organisation=invite_form.cleaned_data["organisation"],
                    partnership=partnership,
                    role=invite_form.cleaned_data["role"],
                    accept_url_template=request.build_absolute_uri(
                        reverse("invitation-accept", kwargs={"token": "TOKEN"})
                    ).replace("TOKEN", "{token}"),
                )

            members_page = reverse("partnership-members", args=[slug])
            invitation = saved_once(request, invite_form, invite, lambda _made: members_page)
            if isinstance(invitation, HttpResponse):
                return invitation
            if invitation is not None:
                _say_how_the_invitation_went(request, invitation)
                return redirect(members_page)
        elif request.POST.get("form") == "grant" and grant_form.is_valid():
            try:
                services.grant_membership(
                    actor=request.user,
                    partnership=partnership,
                    person=grant_form.cleaned_data["person"],
                    role=grant_form.cleaned_data["role"],
                )
            except (ValidationError, Conflict) as exc:
                conflict = isinstance(exc, Conflict)
                apply_domain_errors(grant_form, exc)
            else:
                messages.success(
                    request,
                    _("%(person)s now has a role in the partnership.")
                    % {"person": grant_form.cleaned_data["person"]},
                )
                return redirect("partnership-members", slug=slug)
    has_errors = bool(
        (grant_form is not None and grant_form.errors)
        or (invite_form is not None and invite_form.errors)
    )
    memberships = list(queries.memberships_of(partnership))
    for m in memberships:
        # A partner admin manages its own organisation's people only: no controls that
        # the server would refuse (they failed silently in the page).
        m.manageable = can_manage and policy.can_grant_role(
            request.user, partnership, m.person, m.role
        )
    return render(
        request,
        "partnerships/members.html",
        {
            "partnership": partnership,
            "memberships": memberships,
            "grant_form": grant_form,
            "invite_form": invite_form,
            "can_manage": can_manage,
            "role_choices": role_choices,
            "open_invitations": partnership.invitations.filter(accepted_at__isnull=True)
            .select_related("organisation")
            .order_by("-created_at")
            if can_manage
            else [],
        },
        status=409 if conflict else 422 if has_errors else 200,
    )


@require_POST
def membership_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.MANAGE_MEMBERS)
    membership = get_object_or_404(
        Membership.objects.select_related("person__organisation", "partnership"),
        pk=pk,
        partnership=partnership,
    )
    form = RoleForm(request.POST, choices=MemberRole.choices)
    error = ""
    saved = False
    if form.is_valid():
        try:
            services.change_membership_role(
                actor=request.user, membership=membership, role=form.cleaned_data["role"]
            )
            saved = True
        except (ValidationError, Conflict) as exc:
            error = exc.message if isinstance(exc, Conflict) else " ".join(exc.messages)
            membership.refresh_from_db()
    else:
        error = " ".join(form.errors.get("role", []))
    membership.manageable = policy.can_grant_role(
        request.user, partnership, membership.person, membership.role
    )
    context = {
        "partnership": partnership,
        "m": membership,
        "can_manage": True,
        "role_choices": _role_choices_for(request.user, partnership),
        "error": error,
        "saved": saved,
    }
    if request.htmx:
        return render(request, "partnerships/_membership_row.html", context)
    if error:
        messages.error(request, error)
    return redirect("partnership-members", slug=slug)


@require_POST
def membership_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.MANAGE_MEMBERS)
    membership = get_object_or_404(
        Membership.objects.select_related("person", "partnership"),
        pk=pk,
        partnership=partnership,
    )
    try:
        services.revoke_membership(actor=request.user, membership=membership)
    except Conflict as exc:
        membership.manageable = True
        if request.htmx:
            context = {
                "partnership": partnership,
                "m": membership,
                "can_manage": True,
                "role_choices": _role_choices_for(request.user, partnership),
                "error": exc.message,
            }
            return render(request, "partnerships/_membership_row.html", context)
        messages.error(request, exc.message)
        return redirect("partnership-members", slug=slug)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, _("The role was taken away."))
    return redirect("partnership-members", slug=slug)
