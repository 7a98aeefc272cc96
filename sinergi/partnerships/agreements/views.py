"""Agreement pages: the agreement in force, signing, versions, drafting and diffs."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core.errors import Conflict
from sinergi.core.forms import apply_domain_errors
from sinergi.partners.models import Organisation
from sinergi.partnerships.agreements import queries, services
from sinergi.partnerships.agreements.forms import DraftForm, SignForm
from sinergi.partnerships.agreements.markdown import render_markdown
from sinergi.partnerships.models import AgreementStatus, AgreementVersion


def _dress(version: AgreementVersion | None) -> AgreementVersion | None:
    """Attach the rendered text and the governance rules the templates show."""
    if version is not None:
        version.text_html = render_markdown(version.text)
        version.rules = queries.governance_rules(version)
    return version


@require_GET
def agreement(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    show_signers = policy.can_see_agreement_drafts(request.user, partnership)
    data = queries.overview(partnership, request.user)
    _dress(data.adopted)
    _dress(data.open)
    return render(
        request,
        "partnerships/agreements/agreement.html",
        {
            "partnership": partnership,
            "tab": "agreement",
            "data": data,
            "show_signers": show_signers,
            "can_edit": policy.can(request.user, Action.EDIT, partnership),
        },
    )


@require_GET
def version_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    show_signers = policy.can_see_agreement_drafts(request.user, partnership)
    version = _dress(queries.get_version(partnership, number, include_drafts=show_signers))
    status = []
    if version.status != AgreementStatus.DRAFT:
        status = queries.signature_status(
            version, viewer=request.user, include_signers=show_signers
        )
    return render(
        request,
        "partnerships/agreements/version.html",
        {
            "partnership": partnership,
            "tab": "agreement",
            "version": version,
            "status": status,
            "show_signers": show_signers,
            "can_edit": policy.can(request.user, Action.EDIT, partnership),
            "previous_number": number - 1 if number > 1 else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def draft(request: HttpRequest, slug: str) -> HttpResponse:
    """Write the next version: change the draft if there is one, or start it."""
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    current = queries.draft_of(partnership)
    if current is not None:
        # The form validates into a copy, so a rejected edit does not touch the draft shown.
        form = DraftForm(request.POST or None, instance=copy.copy(current))
    else:
        latest = AgreementVersion.objects.filter(partnership=partnership).order_by("-number")
        latest = latest.first()
        form = DraftForm(
            request.POST or None,
            initial=services.content_of(latest) if latest else {},
            instance=AgreementVersion(partnership=partnership),
        )
    preview = None
    if request.method == "POST" and request.POST.get("preview"):
        preview = render_markdown(request.POST.get("text", ""))
        if request.htmx:
            # Into the live region #preview, which stays so that the text is announced
            return render(
                request, "partnerships/agreements/_preview_body.html", {"preview": preview}
            )
    elif request.method == "POST" and form.is_valid():
        try:
            if current is not None:
                version = services.update_draft(
                    actor=request.user, version=current, **form.cleaned_data
                )
            else:
                version = services.create_draft(
                    actor=request.user, partnership=partnership, **form.cleaned_data
                )
        except ValidationError as exc:
            apply_domain_errors(form, exc)
        except Conflict as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("Version %(number)s is saved as a draft.") % {"number": version.number},
            )
            return redirect("agreement-version", slug=slug, number=version.number)
    return render(
        request,
        "partnerships/agreements/draft.html",
        {
            "partnership": partnership,
            "tab": "agreement",
            "form": form,
            "draft": current,
            "preview": preview,
        },
        status=422 if form.errors and not preview else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def open_version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Confirm, then freeze a draft and open it for signature."""
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    version = queries.get_version(partnership, number)
    if version.status != AgreementStatus.DRAFT:
        messages.error(request, _("Only a draft can be opened for signature."))
        return redirect("agreement-version", slug=slug, number=number)
    if request.method == "POST":
        try:
            version = services.open_for_signature(actor=request.user, version=version)
        except (ValidationError, Conflict) as exc:
            text = exc.message if isinstance(exc, Conflict) else " ".join(exc.messages)
            messages.error(request, text)
            return redirect("agreement-version", slug=slug, number=number)
        messages.success(
            request,
            _("Version %(number)s is open for signature.") % {"number": version.number},
        )
        return redirect("partnership-agreement", slug=slug)
    return render(
        request,
        "partnerships/agreements/open_confirm.html",
        {
            "partnership": partnership,
            "tab": "agreement",
            "version": version,
            "content_hash": services.content_hash(version),
            "open": queries.open_version(partnership),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, slug: str, number: int, organisation: str) -> HttpResponse:
    """The confirm step (showing the hash being signed), then the signature."""
    partnership = policy.get_partnership_for(request.user, slug)
    version = queries.get_version(partnership, number)
    signer_for = get_object_or_404(Organisation, slug=organisation)
    if not policy.can_sign_agreement(request.user, partnership, signer_for):
        raise PermissionDenied
    form = SignForm(request.POST or None, initial={"content_hash": version.content_hash})
    if request.method == "POST" and form.is_valid():
        try:
            signature = services.sign(
                actor=request.user,
                version=version,
                organisation=signer_for,
                content_hash=form.cleaned_data["content_hash"],
            )
        except (ValidationError, Conflict) as exc:
            errors = [exc.message] if isinstance(exc, Conflict) else exc.messages
        else:
            adopted_now = version.status == AgreementStatus.OPEN
            if adopted_now and signature.version.status == AgreementStatus.ADOPTED:
                text = _(
                    "%(organisation)s signed version %(number)s. Every partner has signed: "
                    "the agreement is adopted."
                )
            else:
                text = _("%(organisation)s signed version %(number)s.")
            messages.success(request, text % {"organisation": signer_for, "number": number})
            return redirect("partnership-agreement", slug=slug)
        # Show the version as it is now, with its current hash to read and sign again.
        version = queries.get_version(partnership, number)
        form = SignForm(initial={"content_hash": version.content_hash})
    elif request.method == "POST":
        errors = [_("The signature form was incomplete. Please try again.")]
    else:
        errors = []
    show_form = services.is_signable(version)
    if not show_form:
        errors = errors or [services.not_signable_reason(version)]
    elif version.signatures.filter(organisation=signer_for).exists():
        show_form = False
        errors = errors or [
            _("%(name)s has already signed version %(number)s.")
            % {"name": signer_for, "number": version.number}
        ]
    context = {
        "partnership": partnership,
        "tab": "agreement",
        "version": version,
        "organisation": signer_for,
        "form": form,
        "errors": errors,
        "show_form": show_form,
    }
    template = "partnerships/agreements/sign_confirm.html"
    if request.htmx and request.method == "GET":
        template = "partnerships/agreements/_sign_confirm.html"
    status = 422 if request.method == "POST" else 200
    return render(request, template, context, status=status)


@login_required
@require_POST
def adopt(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Adopt an open version every current partner has signed (after a partner left)."""
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    version = queries.get_version(partnership, number)
    try:
        services.adopt(actor=request.user, version=version)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Version %(number)s is adopted.") % {"number": number})
    return redirect("partnership-agreement", slug=slug)


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_GET
def diff(request: HttpRequest, slug: str) -> HttpResponse:
    """What changed between two versions (by default the two newest)."""
    partnership = policy.get_partnership_for(request.user, slug)
    visible = queries.visible_versions(request.user, partnership)
    numbers = list(queries.versions_of(partnership, **visible).values_list("number", flat=True))
    a, b = _number(request.GET.get("a")), _number(request.GET.get("b"))
    if b is None and numbers:
        b = numbers[0]
    if a is None and b is not None:
        a = next((n for n in numbers if n < b), None)
    result = None
    if a is not None and b is not None:
        if a not in numbers or b not in numbers:
            raise Http404("No such agreement version.")
        result = queries.diff(
            queries.get_version(partnership, a, **visible),
            queries.get_version(partnership, b, **visible),
        )
    return render(
        request,
        "partnerships/agreements/diff.html",
        {
            "partnership": partnership,
            "tab": "agreement",
            "numbers": numbers,
            "a": a,
            "b": b,
            "result": result,
        },
    )
