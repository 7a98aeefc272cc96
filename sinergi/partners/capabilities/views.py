"""Pages to record an organisation's comparative advantages.

Each page works inline on the organisation page with HTMX (the responses are the
capabilities section) and as a plain page without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from sinergi.access import policy
from sinergi.partners.capabilities import queries, services
from sinergi.partners.capabilities.forms import CapabilityForm
from sinergi.partners.models import Capability, Organisation

SECTION = "partners/capabilities/_section.html"


def _editable_organisation(request: HttpRequest, slug: str) -> Organisation:
    organisation = get_object_or_404(Organisation, slug=slug)
    if not policy.can_edit_capabilities(request.user, organisation):
        raise PermissionDenied
    return organisation


def _capability_of(organisation: Organisation, pk: int) -> Capability:
    capability = get_object_or_404(Capability, pk=pk, organisation=organisation)
    capability.organisation = organisation
    return capability


def _back(organisation: Organisation) -> HttpResponse:
    return redirect(f"{organisation.get_absolute_url()}#capabilities")


def _section(
    request: HttpRequest,
    organisation: Organisation,
    *,
    form: CapabilityForm | None = None,
    editing: int | None = None,
) -> HttpResponse:
    panel = queries.capability_panel(
        request.user,
        organisation,
        form=form,
        adding=form is not None and editing is None,
        editing=editing,
    )
    # A form that opens takes the keyboard itself (CapabilityForm's autofocus); back to
    # the list (saved, cancelled, removed), the keyboard goes to the section's heading.
    focus = bool(request.htmx) and form is None
    # 200 even when the form has errors: htmx swaps no 4xx response by default.
    return render(request, SECTION, {"panel": panel, "focus": focus})


def _form(request: HttpRequest, capability: Capability | None = None) -> CapabilityForm:
    """The form, bound to the POST unless the no-JS "show provinces" button sent it."""
    url = reverse("subdivision-options")
    if request.method != "POST":
        return CapabilityForm(capability=capability, subdivisions_url=url)
    if "refresh" in request.POST:
        data = request.POST
        initial = {
            name: data.getlist(name) if name in ("countries", "subdivisions") else data.get(name)
            for name in CapabilityForm.base_fields
        }
        return CapabilityForm(initial=initial, subdivisions_url=url)
    return CapabilityForm(request.POST, subdivisions_url=url)


def _form_page(
    request: HttpRequest,
    organisation: Organisation,
    form: CapabilityForm,
    capability: Capability | None = None,
) -> HttpResponse:
    if request.htmx:
        return _section(
            request, organisation, form=form, editing=capability.pk if capability else None
        )
    return render(
        request,
        "partners/capabilities/capability_form.html",
        {"organisation": organisation, "form": form, "capability": capability},
        status=422 if form.errors else 200,
    )


@require_GET
def capability_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The capabilities section (HTMX), e.g. after "Cancel"; otherwise the organisation page."""
    organisation = get_object_or_404(Organisation, slug=slug)
    if request.htmx:
        return _section(request, organisation)
    return _back(organisation)


@login_required
@require_http_methods(["GET", "POST"])
def capability_add(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _editable_organisation(request, slug)
    form = _form(request)
    if form.is_bound and form.is_valid():
        try:
            services.add_capability(
                actor=request.user, organisation=organisation, **form.capability_fields()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if request.htmx:
                return _section(request, organisation)
            messages.success(request, _("The capability is recorded."))
            return _back(organisation)
    return _form_page(request, organisation, form)


@login_required
@require_http_methods(["GET", "POST"])
def capability_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organisation = _editable_organisation(request, slug)
    capability = _capability_of(organisation, pk)
    form = _form(request, capability)
    if form.is_bound and form.is_valid():
        try:
            services.update_capability(
                actor=request.user, capability=capability, **form.capability_fields()
            )
        except ValidationError as exc:
            capability.refresh_from_db()  # the service set the rejected values on it
            form.add_service_errors(exc)
        else:
            if request.htmx:
                return _section(request, organisation)
            messages.success(request, _("Changes saved."))
            return _back(organisation)
    return _form_page(request, organisation, form, capability)


@login_required
@require_http_methods(["GET", "POST"])
def capability_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organisation = _editable_organisation(request, slug)
    capability = _capability_of(organisation, pk)
    if request.method == "POST":
        services.delete_capability(actor=request.user, capability=capability)
        if request.htmx:
            return _section(request, organisation)
        messages.success(request, _("The capability was removed."))
        return _back(organisation)
    return render(
        request,
        "core/confirm_delete.html",
        {
            "object": capability,
            "cancel_url": f"{organisation.get_absolute_url()}#capabilities",
        },
    )
