"""Pages of the partner registry: list, search, register, edit, remove organisations."""

from __future__ import annotations

import copy
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sinergi.access import policy
from sinergi.codelists import ORGANISATION_TYPES
from sinergi.core.errors import Conflict, LikelyDuplicate
from sinergi.core.forms import apply_domain_errors, subdivision_choices
from sinergi.core.geography import country_choices
from sinergi.core.once import saved_once
from sinergi.partners import queries, services
from sinergi.partners.capabilities import queries as capability_queries
from sinergi.partners.forms import NewOrganisationForm, OrganisationForm
from sinergi.partners.models import CapabilityKind, Organisation
from sinergi.partnerships import queries as partnership_queries
from sinergi.partnerships import services as partnership_services
from sinergi.partnerships.models import Participation

PAGE_SIZE = 25


@require_GET
def organisation_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    org_type = request.GET.get("type", "")
    country = request.GET.get("country", "")
    capability = request.GET.get("capability", "")
    organisations = queries.search_organisations(
        q=q, org_type=org_type, country=country, capability=capability
    )
    page = Paginator(organisations.order_by("name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "q": q,
        "org_type": org_type,
        "country": country,
        "org_types": ORGANISATION_TYPES,
        "countries": country_choices(),
        "capability": capability,
        "capability_kinds": CapabilityKind.choices,
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "partners/_organisation_results.html", context)
    return render(request, "partners/organisation_list.html", context)


@require_GET
def subdivision_options(request: HttpRequest) -> HttpResponse:
    """The <option>s for the provinces of the chosen countries (HTMX)."""
    countries = request.GET.getlist("country") or request.GET.getlist("countries")
    choices = subdivision_choices(countries[:20])
    return render(request, "core/_options.html", {"choices": choices})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = NewOrganisationForm(
        request.POST or None, subdivisions_url=reverse("subdivision-options")
    )
    candidates: list[Organisation] = []
    if request.method == "POST" and form.is_valid():

        def register() -> Organisation | None:
            nonlocal candidates
            try:
                return services.register_organisation(
                    actor=request.user,
                    confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                    **form.organisation_fields(),
                )
            except LikelyDuplicate as exc:
                candidates = exc.candidates
                form.add_error(
                    "name",
                    _(
                        "This looks like an organisation that is already registered: "
                        "see the list above."
                    ),
                )
            return None

        organisation = saved_once(request, form, register, lambda made: made.get_absolute_url())
        if isinstance(organisation, HttpResponse):
            return organisation
        if organisation is not None:
            messages.success(request, _("%(name)s is registered.") % {"name": organisation})
            return redirect(organisation)
    status = 422 if form.errors else 200
    return render(
        request,
        "partners/organisation_form.html",
        {"form": form, "candidates": candidates, "creating": True},
        status=status,
    )


def organisation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    visible = policy.visible_partnerships(request.user)
    participations = (
        organisation.participations.filter(partnership__in=visible)
        .select_related("partnership")
        .order_by("partnership__title", "role")
    )
    people = organisation.people.filter(is_active=True).order_by("first_name", "last_name")
    can_edit = policy.can_edit_organisation(request.user, organisation)
    # Its admins are asked to confirm or decline the partnerships that list it.
    answerable = (
        list(partnership_queries.unconfirmed_of(organisation.pk))
        if policy.can_answer_for(request.user, organisation)
        else []
    )
    # Linked where the admin may open the partnership (public, or theirs too).
    opens = (
        set(
            visible.filter(pk__in={p.partnership_id for p in answerable}).values_list(
                "pk", flat=True
            )
        )
        if answerable
        else set()
    )
    for listing in answerable:
        listing.opens = listing.partnership_id in opens
    return render(
        request,
        "partners/organisation_detail.html",
        {
            "organisation": organisation,
            "participations": participations,
            "people": people if request.user.is_authenticated else [],
            "can_edit": can_edit,
            "can_delete": policy.can_delete_organisation(request.user, organisation),
            "capabilities": capability_queries.capability_panel(request.user, organisation),
            "answerable": answerable,
        },
    )


def _answer(
    request: HttpRequest, participation: Participation, service: Callable[..., object], done: str
) -> HttpResponse:
    """Give the organisation's answer through `service`, say so (`done`, with the
    organisation and partnership) or why not, and go back to the remaining questions."""
    try:
        service(actor=request.user, participation=participation)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        names = {
            "organisation": participation.organisation,
            "partnership": participation.partnership.title,
        }
        messages.success(request, done % names)
    return redirect(partnership_queries.consent_url(participation.organisation.slug))


def _gone(request: HttpRequest, slug: str) -> HttpResponse:
    """A POST answering for a participation that is no longer there (a second click on
    Decline, say): said on the organisation's page to its admins; a 404 to anyone else,
    as for a participation that never was."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or not policy.can_answer_for(request.user, organisation):
        raise Http404("No such participation.")
    messages.error(request, _("This partnership no longer lists the organisation in this role."))
    return redirect(partnership_queries.consent_url(slug))


@login_required
@require_POST
def participation_confirm(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The organisation's admin confirms that it takes part in a partnership that lists it."""
    try:
        participation = partnership_queries.answerable(request.user, slug, pk)
    except Http404:
        return _gone(request, slug)
    return _answer(
        request,
        participation,
        partnership_services.confirm_participation,
        _("%(organisation)s confirmed that it takes part in %(partnership)s."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def participation_decline(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Asks first (GET), then takes the organisation out of the partnership (POST)."""
    try:
        participation = partnership_queries.answerable(request.user, slug, pk)
    except Http404:
        if request.method != "POST":
            raise
        return _gone(request, slug)
    if request.method == "POST":
        return _answer(
            request,
            participation,
            partnership_services.decline_participation,
            _("%(organisation)s declined to take part in %(partnership)s."),
        )
    return render(
        request,
        "partners/decline_participation.html",
        {"p": participation, "organisation": participation.organisation},
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    if not policy.can_edit_organisation(request.user, organisation):
        raise PermissionDenied
    # The form validates into a copy, so the page keeps showing the saved name.
    form = OrganisationForm(
        request.POST or None,
        instance=copy.copy(organisation),
        subdivisions_url=reverse("subdivision-options"),
    )
    for field in form.fields.values():
        # The page keeps what it showed, so that only what the reader changed is saved:
        # a change someone else saved meanwhile is not silently undone.
        field.show_hidden_initial = True
    if request.method == "POST" and form.is_valid():
        changed = set(form.changed_data)
        fields = {k: v for k, v in form.organisation_fields().items() if k in changed}
        try:
            services.update_organisation(actor=request.user, organisation=organisation, **fields)
        except ValidationError as exc:
            organisation.refresh_from_db()  # the service set the rejected values on it
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("organisation-detail", slug=slug)
    return render(
        request,
        "partners/organisation_form.html",
        {"form": form, "organisation": organisation},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_delete(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    if not policy.can_delete_organisation(request.user, organisation):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        try:
            services.delete_organisation(actor=request.user, organisation=organisation)
        except Conflict as exc:
            error = exc.message
        else:
            messages.success(request, _("The organisation was removed."))
            return redirect("organisation-list")
    return render(
        request,
        "core/confirm_delete.html",
        {"object": organisation, "error": error, "cancel_url": organisation.get_absolute_url()},
        status=409 if error else 200,
    )
