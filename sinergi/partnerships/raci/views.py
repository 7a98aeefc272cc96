"""The RACI page: work packages by partners, edited cell by cell (HTMX) or as a whole."""

from __future__ import annotations

import copy
import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core.forms import apply_domain_errors
from sinergi.core.once import saved_once
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import Partnership, WorkPackage
from sinergi.partnerships.raci import export, queries, services
from sinergi.partnerships.raci.forms import (
    LETTER_CHOICES,
    CellForm,
    NewWorkPackageForm,
    WorkPackageForm,
)

CELL_ERROR_FIELD = re.compile(r"^cells\[(\d+)\]")


def _page(
    request: HttpRequest,
    partnership: Partnership,
    *,
    form: WorkPackageForm | None = None,
    found: queries.RaciMatrix | None = None,
    cell_error: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    can_edit = policy.can(request.user, Action.EDIT, partnership)
    if can_edit and form is None:
        form = NewWorkPackageForm(partnership=partnership, prefix="wp")
    context = {
        "partnership": partnership,
        "matrix": found or queries.matrix(partnership),
        "can_edit": can_edit,
        "form": form if can_edit else None,
        "letters": LETTER_CHOICES,
        **(cell_error or {}),
    }
    return render(request, "partnerships/raci/raci.html", context, status=status)


@require_http_methods(["GET", "POST"])
def raci_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The matrix; coordinators also add work packages here (POST)."""
    partnership = policy.get_partnership_for(request.user, slug)
    if request.method == "GET":
        return _page(request, partnership)
    if not policy.can(request.user, Action.EDIT, partnership):
        raise PermissionDenied
    form = NewWorkPackageForm(request.POST, partnership=partnership, prefix="wp")
    if form.is_valid():
        work_package = saved_once(
            request,
            form,
            lambda: services.create_work_package(
                actor=request.user, partnership=partnership, **form.entered()
            ),
            lambda made: reverse("partnership-raci", args=[slug]) + f"#wp-{made.pk}",
        )
        if isinstance(work_package, HttpResponse):
            return work_package
        if work_package is not None:
            messages.success(
                request,
                _("%(code)s was added. Now give each partner its part.")
                % {"code": work_package.code},
            )
            return redirect(reverse("partnership-raci", args=[slug]) + f"#wp-{work_package.pk}")
    return _page(request, partnership, form=form, status=422)


@require_POST
def raci_cell(request: HttpRequest, slug: str) -> HttpResponse:
    """Set one cell. HTMX gets the row back (and the header and problems out of band)."""
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    form = CellForm(request.POST)
    error = ""
    work_package = None
    organisation_slug = request.POST.get("organisation", "")
    if form.is_valid():
        work_package = get_object_or_404(
            WorkPackage.objects.select_related("partnership"),
            pk=form.cleaned_data["work_package"],
            partnership=partnership,
        )
        organisation = Organisation.objects.filter(slug=form.cleaned_data["organisation"]).first()
        try:
            if organisation is None:
                message = services.not_a_partner_message(organisation_slug)
                raise ValidationError({"organisation": [message]})
            services.set_responsibility(
                actor=request.user,
                work_package=work_package,
                organisation=organisation,
                letter=form.cleaned_data["letter"] or None,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(message for errors in form.errors.values() for message in errors)
        work_package_id = form.cleaned_data.get("work_package")
        if work_package_id:
            work_package = WorkPackage.objects.filter(
                pk=work_package_id, partnership=partnership
            ).first()
    found = queries.matrix(partnership)
    row = found.row(work_package.pk) if work_package else None
    at_cell = row is not None and any(c.partner.slug == organisation_slug for c in row.cells)
    cell_error = {
        "error": error if at_cell else "",
        "error_wp": work_package.pk if at_cell else None,
        "error_org": organisation_slug if at_cell else "",
        "problems_error": "" if at_cell else error,
    }
    if request.htmx:
        if not at_cell:
            # No such cell on the page to show the error at: show it above the matrix,
            # inside the live region (which stays, so the change is announced).
            response = render(
                request,
                "partnerships/raci/_problems_body.html",
                {"matrix": found, "problems_error": error},
            )
            return retarget(reswap(response, "innerHTML"), "#raci-problems")
        return render(
            request,
            "partnerships/raci/_cell_response.html",
            {
                "partnership": partnership,
                "matrix": found,
                "row": row,
                "can_edit": True,
                "letters": LETTER_CHOICES,
                **cell_error,
            },
        )
    if error:
        return _page(request, partnership, found=found, cell_error=cell_error, status=422)
    messages.success(request, _("Saved."))
    anchor = f"#wp-{work_package.pk}" if work_package else ""
    return redirect(reverse("partnership-raci", args=[slug]) + anchor)


@require_http_methods(["GET", "POST"])
def raci_matrix_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """The whole matrix as one form: works without JavaScript; saved all or nothing.

    Each cell carries the letter it showed (`initial-cell-…`), as the partnership's edit
    page does, and a save sets only the cells whose letter the reader changed: a cell
    left as it was, or missing from the post (a work package added since the form was
    read), keeps whatever it holds now, even if someone else changed it meanwhile.
    """
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    found = queries.matrix(partnership)
    cell_errors: dict[str, str] = {}
    non_field_errors: list[str] = []
    submitted: dict[str, tuple[str, str]] = {}  # name → (the letter shown, the letter sent)
    if request.method == "POST":
        cells = []
        places = []
        for row in found.rows:
            for cell in row.cells:
                name = f"cell-{row.work_package.pk}-{cell.partner.organisation.pk}"
                if name not in request.POST:
                    continue
                letter = request.POST[name]
                shown = request.POST.get(f"initial-{name}", cell.letter or "")
                if services.normalise_letter(letter) == services.normalise_letter(shown):
                    continue
                submitted[name] = (shown, letter)
                cells.append(
                    {
                        "work_package": row.work_package,
                        "organisation": cell.partner.organisation,
                        "letter": letter,
                    }
                )
                places.append(name)
        try:
            changed = services.change_cells(
                actor=request.user, partnership=partnership, cells=cells
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                match = CELL_ERROR_FIELD.match(field)
                if match:
                    cell_errors[places[int(match.group(1))]] = " ".join(errors)
                else:
                    non_field_errors.extend(errors)
        else:
            if changed:
                messages.success(request, _("The matrix is saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("partnership-raci", slug=slug)
    form_rows = []
    for row in found.rows:
        cells = []
        for cell in row.cells:
            name = f"cell-{row.work_package.pk}-{cell.partner.organisation.pk}"
            # A cell the reader changed shows their letter again, and what they were shown
            # at first; the others show the cell as it is now.
            current = cell.letter or ""
            shown, value = submitted.get(name, (current, current))
            cells.append((cell, name, shown, value, cell_errors.get(name, "")))
        form_rows.append((row, cells))
    return render(
        request,
        "partnerships/raci/matrix_form.html",
        {
            "partnership": partnership,
            "matrix": found,
            "form_rows": form_rows,
            "letters": LETTER_CHOICES,
            "cell_errors": cell_errors,
            "non_field_errors": non_field_errors,
        },
        status=422 if cell_errors or non_field_errors else 200,
    )


@require_http_methods(["GET", "POST"])
def work_package_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    work_package = get_object_or_404(WorkPackage, pk=pk, partnership=partnership)
    form = WorkPackageForm(
        request.POST or None, instance=copy.copy(work_package), partnership=partnership
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        if fields.get("position") is None:
            fields.pop("position", None)
        try:
            services.update_work_package(actor=request.user, work_package=work_package, **fields)
        except ValidationError as exc:
            work_package.refresh_from_db()
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(reverse("partnership-raci", args=[slug]) + f"#wp-{work_package.pk}")
    return render(
        request,
        "partnerships/raci/work_package_form.html",
        {"partnership": partnership, "work_package": work_package, "form": form},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def work_package_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug, Action.EDIT)
    work_package = get_object_or_404(WorkPackage, pk=pk, partnership=partnership)
    if request.method == "POST":
        services.delete_work_package(actor=request.user, work_package=work_package)
        messages.success(request, _("The work package was deleted."))
        return redirect("partnership-raci", slug=slug)
    return render(
        request,
        "core/confirm_delete.html",
        {
            "object": work_package,
            "cancel_url": reverse("partnership-raci", args=[slug]),
        },
    )


@require_GET
def raci_export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    return export.csv_response(queries.matrix(partnership))


@require_GET
def raci_export_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    return export.xlsx_response(queries.matrix(partnership))
