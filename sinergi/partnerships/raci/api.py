"""API for work packages and the RACI matrix: /api/v1/partnerships/{slug}/…

Reading needs view access to the partnership; changes need edit access (coordinators).
The matrix is exported as a file from `/raci.csv` and `/raci.xlsx`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from sinergi.access import policy
from sinergi.access.policy import Action
from sinergi.core.bodies import InputSchema
from sinergi.core.pagination import Pagination
from sinergi.core.schemas import Id, PathId
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import (
    WORK_PACKAGE_DESCRIPTION_MAX_LENGTH,
    Goal,
    Partnership,
    WorkPackage,
)
from sinergi.partnerships.raci import export, queries, services
from sinergi.partnerships.raci.queries import MatrixPartner, MatrixRow, Problem, RaciMatrix

router = Router(tags=["raci"])


class WorkPackageOut(Schema):
    id: int
    code: str
    title: str
    description: str
    goal: int | None = Field(description="The id of the partnership goal it serves")
    position: int

    @staticmethod
    def resolve_goal(obj: WorkPackage) -> int | None:
        return obj.goal_id


class WorkPackageIn(InputSchema):
    code: str = Field(min_length=1, max_length=20, description="e.g. WP1 or Output 1.2")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=WORK_PACKAGE_DESCRIPTION_MAX_LENGTH)
    goal: Id | None = Field(None, description="The id of one of the partnership's goals")
    position: int | None = Field(None, ge=0, description="Sort order; left out, it goes last")


class WorkPackagePatch(InputSchema):
    code: str | None = Field(None, min_length=1, max_length=20)
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=WORK_PACKAGE_DESCRIPTION_MAX_LENGTH)
    goal: Id | None = None
    position: int | None = Field(None, ge=0)


class ProblemOut(Schema):
    code: str = Field(
        description="no_work_packages, no_accountable, several_accountable, no_responsible "
        "or no_responsibility"
    )
    message: str
    work_package: str | None = Field(None, description="The work package's code")
    organisation: str | None = Field(None, description="The organisation's slug")


class RaciPartnerOut(Schema):
    id: int
    slug: str
    name: str
    short_name: str
    org_type: str = Field(description="IATI OrganisationType code")
    org_type_name: str
    flagged: bool = Field(description="Neither Responsible nor Accountable anywhere")


class RowOut(Schema):
    id: int
    code: str
    title: str
    goal: int | None
    cells: dict[str, str] = Field(
        description="organisation slug → R, A, C or I; empty cells left out"
    )
    accountable: str | None = Field(description="The Accountable organisation's slug")
    problems: list[ProblemOut]


class RaciOut(Schema):
    complete: bool
    problems: list[ProblemOut]
    partners: list[RaciPartnerOut]
    flagged_partners: list[str] = Field(description="Slugs of partners with no R or A")
    work_packages: list[RowOut]


class CellIn(InputSchema):
    work_package: int | str = Field(description="The work package's id (or its code)")
    organisation: int | str = Field(description="The organisation's id or slug")
    letter: str | None = Field(description="R, A, C or I; null clears the cell")


class MatrixIn(InputSchema):
    cells: list[CellIn] = Field(
        max_length=20000, description="Every filled cell; cells left out become empty"
    )


def _partnership(request: HttpRequest, slug: str, action: Action = Action.VIEW) -> Partnership:
    return policy.get_partnership_for(request.auth, slug, action)


def _problem(problem: Problem) -> dict[str, Any]:
    return {
        "code": problem.code,
        "message": problem.message,
        "work_package": problem.work_package,
        "organisation": problem.organisation,
    }


def _partner(partner: MatrixPartner) -> dict[str, Any]:
    o = partner.organisation
    return {
        "id": o.pk,
        "slug": o.slug,
        "name": o.name,
        "short_name": partner.short_name,
        "org_type": o.org_type,
        "org_type_name": partner.type_label,
        "flagged": partner.flagged,
    }


def _row(row: MatrixRow) -> dict[str, Any]:
    wp = row.work_package
    accountable = row.accountable
    return {
        "id": wp.pk,
        "code": wp.code,
        "title": wp.title,
        "goal": wp.goal_id,
        "cells": {c.partner.slug: c.letter for c in row.cells if c.letter},
        "accountable": accountable[0].slug if accountable else None,
        "problems": [_problem(p) for p in row.problems],
    }


def matrix_body(found: RaciMatrix) -> dict[str, Any]:
    """The matrix as the API shows it."""
    return {
        "complete": found.complete,
        "problems": [_problem(p) for p in found.problems],
        "partners": [_partner(p) for p in found.partners],
        "flagged_partners": [p.slug for p in found.flagged_partners],
        "work_packages": [_row(r) for r in found.rows],
    }


def _goal(partnership: Partnership, goal_id: int | None) -> Goal | None:
    if goal_id is None:
        return None
    goal = Goal.objects.filter(pk=goal_id, partnership=partnership).first()
    if goal is None:
        raise ValidationError({"goal": [_("Choose one of this partnership's goals.")]})
    return goal


def _work_package(partnership: Partnership, pk: int) -> WorkPackage:
    return get_object_or_404(
        WorkPackage.objects.select_related("partnership", "goal"), pk=pk, partnership=partnership
    )


# ---------------------------------------------------------------- work packages


@router.get(
    "/{slug}/work-packages",
    response=list[WorkPackageOut],
    summary="List the work packages",
)
@paginate(Pagination)
def list_work_packages(request: HttpRequest, slug: str) -> object:
    partnership = _partnership(request, slug)
    return WorkPackage.objects.filter(partnership=partnership).order_by("position", "code", "pk")


@router.post("/{slug}/work-packages", response={201: WorkPackageOut}, summary="Add a work package")
def create_work_package(request: HttpRequest, slug: str, payload: WorkPackageIn) -> Status:
    partnership = _partnership(request, slug, Action.EDIT)
    fields = payload.dict()
    fields["goal"] = _goal(partnership, fields["goal"])
    work_package = services.create_work_package(
        actor=request.auth, partnership=partnership, **fields
    )
    return Status(201, work_package)


@router.get("/{slug}/work-packages/{pk}", response=WorkPackageOut, summary="Read a work package")
def read_work_package(request: HttpRequest, slug: str, pk: PathId) -> WorkPackage:
    return _work_package(_partnership(request, slug), pk)


@router.patch(
    "/{slug}/work-packages/{pk}", response=WorkPackageOut, summary="Change a work package"
)
def patch_work_package(
    request: HttpRequest, slug: str, pk: PathId, payload: WorkPackagePatch
) -> WorkPackage:
    partnership = _partnership(request, slug, Action.EDIT)
    work_package = _work_package(partnership, pk)
    changes = payload.dict(exclude_unset=True)
    for name in ("code", "title", "description", "position"):
        if name in changes and changes[name] is None:
            del changes[name]
    if "goal" in changes:
        changes["goal"] = _goal(partnership, changes["goal"])
    return services.update_work_package(actor=request.auth, work_package=work_package, **changes)


@router.delete("/{slug}/work-packages/{pk}", response={204: None}, summary="Delete a work package")
def delete_work_package(request: HttpRequest, slug: str, pk: PathId) -> Status:
    partnership = _partnership(request, slug, Action.EDIT)
    services.delete_work_package(actor=request.auth, work_package=_work_package(partnership, pk))
    return Status(204, None)


# ---------------------------------------------------------------- the matrix


@router.get("/{slug}/raci", response=RaciOut, summary="Read the RACI matrix and its problems")
def read_matrix(request: HttpRequest, slug: str) -> dict[str, Any]:
    return matrix_body(queries.matrix(_partnership(request, slug)))


@router.put(
    "/{slug}/raci/cells",
    response=RaciOut,
    summary="Set one cell of the RACI matrix",
    description="A null letter clears the cell. Answers with the whole matrix.",
)
def put_cell(request: HttpRequest, slug: str, payload: CellIn) -> dict[str, Any]:
    partnership = _partnership(request, slug, Action.EDIT)
    work_packages = WorkPackage.objects.select_related("partnership").filter(
        partnership=partnership
    )
    if isinstance(payload.work_package, int):
        work_package = work_packages.filter(pk=payload.work_package).first()
    else:
        work_package = work_packages.filter(code=payload.work_package.strip()).first()
    if work_package is None:
        raise ValidationError(
            {"work_package": [_("Choose one of this partnership's work packages.")]}
        )
    if isinstance(payload.organisation, int):
        organisation = Organisation.objects.filter(pk=payload.organisation).first()
    else:
        organisation = Organisation.objects.filter(slug=payload.organisation.strip()).first()
    if organisation is None:
        raise ValidationError(
            {"organisation": [services.not_a_partner_message(payload.organisation)]}
        )
    services.set_responsibility(
        actor=request.auth,
        work_package=work_package,
        organisation=organisation,
        letter=payload.letter,
    )
    return matrix_body(queries.matrix(partnership))


@router.put(
    "/{slug}/raci",
    response=RaciOut,
    summary="Replace the whole RACI matrix",
    description=(
        "All or nothing: every cell is checked first; errors name their place, "
        "e.g. `cells[3].letter`, and nothing is saved."
    ),
)
def put_matrix(request: HttpRequest, slug: str, payload: MatrixIn) -> dict[str, Any]:
    partnership = _partnership(request, slug, Action.EDIT)
    services.replace_matrix(
        actor=request.auth,
        partnership=partnership,
        cells=[cell.dict() for cell in payload.cells],
    )
    return matrix_body(queries.matrix(partnership))


@router.get(
    "/{slug}/raci.csv",
    summary="Download the RACI matrix as CSV",
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}},
)
def export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    return export.csv_response(queries.matrix(_partnership(request, slug)))


@router.get(
    "/{slug}/raci.xlsx",
    summary="Download the RACI matrix as an Excel workbook",
    openapi_extra={"responses": {200: {"description": "XLSX", "content": {export.XLSX_TYPE: {}}}}},
)
def export_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    return export.xlsx_response(queries.matrix(_partnership(request, slug)))
