"""Reading the RACI matrix of a partnership, with what is missing from it.

`matrix(partnership)` answers in three queries whatever the size: the partners, the
work packages and the cells. Only organisations that currently take part are columns;
a cell left behind by an organisation that has left the partnership is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from sinergi.partners.models import Organisation
from sinergi.partnerships.models import (
    Participation,
    Partnership,
    Raci,
    RaciAssignment,
    WorkPackage,
)

LETTER_NAMES = dict(Raci.choices)


class ProblemCode:
    NO_WORK_PACKAGES = "no_work_packages"
    NO_ACCOUNTABLE = "no_accountable"
    SEVERAL_ACCOUNTABLE = "several_accountable"
    NO_RESPONSIBLE = "no_responsible"
    NO_RESPONSIBILITY = "no_responsibility"


@dataclass(frozen=True)
class Problem:
    """One thing that keeps the matrix from being complete."""

    code: str
    message: str
    work_package: str | None = None  # its code
    organisation: str | None = None  # its slug


@dataclass(frozen=True)
class MatrixPartner:
    """A column: one organisation taking part (once, whatever its number of roles)."""

    organisation: Organisation
    flagged: bool  # no R and no A in any work package

    @property
    def slug(self) -> str:
        return self.organisation.slug

    @property
    def organisation_id(self) -> int:
        return self.organisation.pk

    @property
    def short_name(self) -> str:
        return self.organisation.acronym or self.organisation.name

    @property
    def type_label(self) -> str:
        return str(self.organisation.get_org_type_display())


@dataclass(frozen=True)
class MatrixCell:
    work_package: WorkPackage
    partner: MatrixPartner
    letter: str | None

    @property
    def letter_name(self) -> str:
        return str(LETTER_NAMES[self.letter]) if self.letter else _("no part")

    @property
    def label(self) -> str:
        """What a screen reader says: "Bio Farma in WP2: Responsible"."""
        return _("%(partner)s in %(work_package)s: %(part)s") % {
            "partner": self.partner.short_name,
            "work_package": self.work_package.code,
            "part": self.letter_name,
        }

    @property
    def name(self) -> str:
        """What the cell is, without its value: "Bio Farma in WP2"."""
        return _("%(partner)s in %(work_package)s") % {
            "partner": self.partner.short_name,
            "work_package": self.work_package.code,
        }


@dataclass
class MatrixRow:
    work_package: WorkPackage
    cells: list[MatrixCell]
    problems: list[Problem]

    @property
    def accountable(self) -> list[Organisation]:
        return [c.partner.organisation for c in self.cells if c.letter == Raci.ACCOUNTABLE]

    def has(self, code: str) -> bool:
        return any(p.code == code for p in self.problems)


@dataclass
class RaciMatrix:
    partnership: Partnership
    partners: list[MatrixPartner]
    rows: list[MatrixRow]
    problems: list[Problem] = field(default_factory=list)

    @property
    def work_packages(self) -> list[WorkPackage]:
        return [row.work_package for row in self.rows]

    @property
    def flagged_partners(self) -> list[MatrixPartner]:
        return [p for p in self.partners if p.flagged]

    @property
    def complete(self) -> bool:
        return not self.problems

    def row(self, work_package_id: int) -> MatrixRow | None:
        return next((r for r in self.rows if r.work_package.pk == work_package_id), None)

    def as_dict(self) -> dict[str, dict[str, str]]:
        """{work package code: {organisation slug: letter}} for the filled cells."""
        return {
            row.work_package.code: {c.partner.slug: c.letter for c in row.cells if c.letter}
            for row in self.rows
        }


@dataclass(frozen=True)
class RaciStatus:
    """For the lifecycle checklist: is the RACI complete, and if not, why not."""

    complete: bool
    problems: list[str]


def partners_of(partnership: Partnership) -> list[Organisation]:
    """The organisations taking part, each once, in the order of the Partners page."""
    participations = (
        Participation.objects.filter(partnership=partnership)
        .select_related("organisation")
        .order_by("role", "organisation__name", "pk")
    )
    organisations: dict[int, Organisation] = {}
    for participation in participations:
        organisations.setdefault(participation.organisation_id, participation.organisation)
    return list(organisations.values())


def work_packages_of(partnership: Partnership) -> list[WorkPackage]:
    return list(
        WorkPackage.objects.filter(partnership=partnership)
        .select_related("goal")
        .order_by("position", "code", "pk")
    )


def _row_problems(work_package: WorkPackage, letters: list[str]) -> list[Problem]:
    problems = []
    accountable = letters.count(Raci.ACCOUNTABLE)
    code = work_package.code
    if accountable == 0:
        problems.append(
            Problem(
                ProblemCode.NO_ACCOUNTABLE,
                _("%(code)s has no Accountable partner.") % {"code": code},
                work_package=code,
            )
        )
    elif accountable > 1:
        problems.append(
            Problem(
                ProblemCode.SEVERAL_ACCOUNTABLE,
                _("%(code)s has more than one Accountable partner.") % {"code": code},
                work_package=code,
            )
        )
    if Raci.RESPONSIBLE not in letters:
        problems.append(
            Problem(
                ProblemCode.NO_RESPONSIBLE,
                _("%(code)s has no Responsible partner.") % {"code": code},
                work_package=code,
            )
        )
    return problems


def matrix(partnership: Partnership) -> RaciMatrix:
    """The RACI matrix with its problems, in three queries."""
    organisations = partners_of(partnership)
    work_packages = work_packages_of(partnership)
    letters: dict[tuple[int, int], str] = {
        (wp_id, org_id): letter
        for wp_id, org_id, letter in RaciAssignment.objects.filter(
            work_package__partnership=partnership
        )
        .order_by()
        .values_list("work_package_id", "organisation_id", "letter")
    }
    holds_a_part = {org_id for (_wp, org_id), letter in letters.items() if letter in ("R", "A")}
    partners = [
        MatrixPartner(organisation=o, flagged=bool(work_packages) and o.pk not in holds_a_part)
        for o in organisations
    ]
    rows = []
    for work_package in work_packages:
        cells = [
            MatrixCell(work_package, p, letters.get((work_package.pk, p.organisation_id)))
            for p in partners
        ]
        row_letters = [c.letter for c in cells if c.letter]
        rows.append(MatrixRow(work_package, cells, _row_problems(work_package, row_letters)))
    problems: list[Problem] = []
    if not work_packages:
        problems.append(Problem(ProblemCode.NO_WORK_PACKAGES, _("No work packages yet.")))
    for row in rows:
        problems.extend(row.problems)
    for partner in partners:
        if partner.flagged:
            problems.append(
                Problem(
                    ProblemCode.NO_RESPONSIBILITY,
                    _(
                        "%(partner)s has no responsibility: it is neither Responsible nor "
                        "Accountable in any work package."
                    )
                    % {"partner": partner.short_name},
                    organisation=partner.slug,
                )
            )
    return RaciMatrix(partnership=partnership, partners=partners, rows=rows, problems=problems)


def raci_status(partnership: Partnership) -> RaciStatus:
    """Whether every work package has exactly one Accountable and a Responsible, and every
    partner is Responsible or Accountable somewhere; with the problems as messages."""
    found = matrix(partnership)
    return RaciStatus(complete=found.complete, problems=[p.message for p in found.problems])
