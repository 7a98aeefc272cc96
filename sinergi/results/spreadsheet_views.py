"""The results spreadsheet round trip on the web: choose a period and a partner, download
the pre-filled template, upload it back → preview (nothing written) → confirm.

The previewed file is kept on the server under its SHA-256 in the user's own folder
(`spreadsheet.stash`); the confirm form sends only that hash (with the period, partner
and the "submit for review" choice), and the file is read and checked again before
anything is written, all or nothing.
"""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sinergi.access import policy
from sinergi.core.errors import Conflict
from sinergi.core.forms import apply_domain_errors
from sinergi.core.spreadsheets import XLSX_TYPE
from sinergi.partnerships.models import Partnership
from sinergi.results import spreadsheet
from sinergi.results.models import Period

# A request this much larger than the file limit is refused before reading its file.
REQUEST_SLACK = 1024 * 1024


class ChooseForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Reporting period"))
    organisation = forms.ChoiceField(label=gettext_lazy("Reporting partner"))

    def __init__(self, *args, partnership: Partnership, user, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        periods = spreadsheet.template_periods(partnership)
        self.fields["period"].choices = [
            (p.label, f"{p.label} ({p.get_frequency_display().lower()})") for p in periods
        ]
        partners = spreadsheet.reporting_partners(user, partnership)
        self.fields["organisation"].choices = [(str(o.pk), o.name) for o in partners]

    def period_obj(self, partnership: Partnership) -> Period:
        return spreadsheet.period_from_label(partnership, self.cleaned_data["period"])


class UploadForm(ChooseForm):
    file = forms.FileField(
        label=gettext_lazy("Filled-in template (XLSX)"),
        help_text=gettext_lazy("At most 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # Blank: the period and partner written in the template (a closed period is then
        # named as such instead of being missing from the list).
        for name in ("period", "organisation"):
            self.fields[name].required = False
            self.fields[name].choices = [("", _("As in the template")), *self.fields[name].choices]

    submit = forms.BooleanField(
        label=gettext_lazy("Submit for review"),
        required=False,
        help_text=gettext_lazy("Send the values to the coordinators at once instead of as drafts."),
    )


def _reporter(request: HttpRequest, slug: str) -> Partnership:
    """404 when the user may not see the partnership, 403 when they report for no partner."""
    partnership = policy.get_partnership_for(request.user, slug)
    if not policy.can_view_results(request.user, partnership):
        raise Http404("No such partnership.")
    if policy.reporting_organisations(request.user, partnership) == set():
        raise PermissionDenied
    return partnership


def _render(
    request: HttpRequest, template: str, partnership: Partnership, context: dict, status: int = 200
) -> HttpResponse:
    user = request.user
    base = {
        "partnership": partnership,
        "section": "reporting",
        "can_manage": policy.can_manage_results(user, partnership),
        "can_approve": policy.can_approve_results(user, partnership),
        "can_report": True,
        "max_errors": spreadsheet.MAX_ERRORS,
        "template_version": spreadsheet.TEMPLATE_VERSION,
    }
    return render(request, f"results/{template}", {**base, **context}, status=status)


def _page(
    request: HttpRequest,
    partnership: Partnership,
    upload: UploadForm,
    choose: ChooseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if choose is None:
        choose = ChooseForm(
            initial=upload.initial, partnership=partnership, user=request.user, auto_id="dl_%s"
        )
    return _render(
        request, "spreadsheet.html", partnership, {"form": upload, "choose": choose}, status
    )


def _initial(request: HttpRequest, partnership: Partnership) -> dict[str, str]:
    initial = {}
    if period := request.GET.get("period"):
        initial["period"] = period
    if organisation := request.GET.get("organisation"):
        initial["organisation"] = organisation
    elif getattr(request.user, "organisation_id", None):
        initial["organisation"] = str(request.user.organisation_id)
    return initial


def _empty_upload(request: HttpRequest, partnership: Partnership) -> UploadForm:
    form = UploadForm(data={}, files={}, partnership=partnership, user=request.user)
    form.full_clean()
    form.errors.clear()
    return form


def _too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > spreadsheet.MAX_BYTES + REQUEST_SLACK


def _size_error() -> str:
    return _("The file is larger than %(mb)d MB; split it into smaller files.") % {
        "mb": spreadsheet.MAX_BYTES // (1024 * 1024)
    }


@require_http_methods(["GET", "POST"])
def spreadsheet_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Choose and download a template (GET); the preview of an uploaded one (POST)."""
    partnership = _reporter(request, slug)
    if request.method == "GET":
        initial = _initial(request, partnership)
        form = UploadForm(initial=initial, partnership=partnership, user=request.user)
        return _page(request, partnership, form)
    if _too_large(request):
        form = _empty_upload(request, partnership)
        form.add_error("file", _size_error())
        return _page(request, partnership, form, status=413)
    try:
        form = UploadForm(request.POST, request.FILES, partnership=partnership, user=request.user)
        valid = form.is_valid()
    except RequestDataTooBig:
        form = _empty_upload(request, partnership)
        form.add_error("file", _size_error())
        return _page(request, partnership, form, status=413)
    if not valid:
        return _page(request, partnership, form, status=422)
    upload = form.cleaned_data["file"]
    try:
        period = form.period_obj(partnership) if form.cleaned_data["period"] else None
        organisation = (
            spreadsheet.organisation_of(
                partnership, request.user, form.cleaned_data["organisation"]
            )
            if form.cleaned_data["organisation"]
            else None
        )
        result = spreadsheet.import_values(
            actor=request.user,
            partnership=partnership,
            fileobj=upload,
            filename=upload.name,
            commit=False,
            submit=form.cleaned_data["submit"],
            period=period,
            organisation=organisation,
        )
    except ValidationError as error:
        apply_domain_errors(form, error)
        return _page(request, partnership, form, status=422)
    if result.ok:
        spreadsheet.stash(request.user, upload, result.sha256)
    status = 422 if result.error_count else 200
    return _render(
        request, "spreadsheet_preview.html", partnership, {"result": result}, status=status
    )


def _after_import(slug: str) -> str:
    try:
        return reverse("results-review", kwargs={"slug": slug})
    except NoReverseMatch:
        return reverse("results-spreadsheet", kwargs={"slug": slug})


@require_POST
def spreadsheet_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """Write the previewed file: read and checked again, then all values or none."""
    partnership = _reporter(request, slug)
    sha256 = request.POST.get("sha256", "")
    name = f"{PurePath(request.POST.get('filename', '')[:200]).stem or 'results'}.xlsx"
    submit = request.POST.get("submit") in ("1", "on", "true")
    handle = spreadsheet.open_stash(request.user, sha256)
    if handle is None:
        messages.error(
            request, _("The previewed file is no longer here; upload it again to import it.")
        )
        return redirect("results-spreadsheet", slug=slug)
    form = _empty_upload(request, partnership)
    with handle:  # closed however the lookups or the import end
        try:
            period = spreadsheet.period_from_label(partnership, request.POST.get("period", ""))
            organisation = spreadsheet.organisation_of(
                partnership, request.user, request.POST.get("organisation", "")
            )
            result = spreadsheet.import_values(
                actor=request.user,
                partnership=partnership,
                fileobj=handle,
                filename=name,
                commit=True,
                submit=submit,
                period=period,
                organisation=organisation,
            )
        except ValidationError as error:
            apply_domain_errors(form, error)
            return _page(request, partnership, form, status=422)
        except Conflict as error:
            form.add_error("file", error.message)
            return _page(request, partnership, form, status=409)
    if not result.written:
        return _render(
            request, "spreadsheet_preview.html", partnership, {"result": result}, status=422
        )
    spreadsheet.discard_stash(request.user, sha256)
    if submit:
        text = ngettext(
            "%(n)d value from %(file)s was submitted for review.",
            "%(n)d values from %(file)s were submitted for review.",
            result.written,
        )
    else:
        text = ngettext(
            "%(n)d value from %(file)s was saved as a draft.",
            "%(n)d values from %(file)s were saved as drafts.",
            result.written,
        )
    messages.success(request, text % {"n": result.written, "file": name})
    return redirect(_after_import(slug) if submit else reverse("results-spreadsheet", args=[slug]))


@require_GET
def spreadsheet_template(request: HttpRequest, slug: str) -> HttpResponse:
    """The pre-filled template for ?period=&organisation=."""
    partnership = _reporter(request, slug)
    form = ChooseForm(request.GET, partnership=partnership, user=request.user, auto_id="dl_%s")
    if form.is_valid():
        try:
            period = form.period_obj(partnership)
            organisation = spreadsheet.organisation_of(
                partnership, request.user, form.cleaned_data["organisation"]
            )
            body = spreadsheet.build_template(
                actor=request.user,
                partnership=partnership,
                period=period,
                organisation=organisation,
            )
        except ValidationError as error:
            apply_domain_errors(form, error)
        else:
            response = HttpResponse(body, content_type=XLSX_TYPE)
            filename = spreadsheet.template_filename(partnership, period, organisation)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
    upload = UploadForm(
        initial=_initial(request, partnership), partnership=partnership, user=request.user
    )
    return _page(request, partnership, upload, choose=form, status=422)
