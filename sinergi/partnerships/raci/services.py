"""Operations on work packages and the RACI matrix of a partnership.

Every function takes the acting person first, checks the permission policy (design
edits need `Action.EDIT`), validates, and writes together with its ledger entry in one
transaction. The rule "at most one Accountable per work package" is checked here, so
the user gets a clear field error, and held by a database constraint as the last line;
an IntegrityError from that constraint is turned into the same field error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from sinergi.access import policy
from sinergi.access.policy import Action, User
from sinergi.ledger.log import append as record
from sinergi.ledger.log import hold_row
from sinergi.partners.models import Organisation
from sinergi.partnerships.models import (
    Goal,
    Participation,
    Partnership,
    Raci,
    RaciAssignment,
    WorkPackage,
)

WORK_PACKAGE_FIELDS = ("code", "title", "description", "goal", "position")
LETTERS = frozenset(Raci.values)


# ---------------------------------------------------------------- helpers


def normalise_letter(letter: object) -> str | None:
    """ "r" → "R"; None, "" and "-" mean an empty cell. Anything else is returned as is."""
    if letter is None:
        return None
    if not isinstance(letter, str):
        return letter  # type: ignore[return-value]  # rejected by _check_letter
    letter = letter.strip().upper()
    if letter in ("", "-", "—"):
        return None
    return letter


def _check_letter(letter: object, field: str = "letter") -> None:
    if letter is not None and letter not in LETTERS:
        raise ValidationError(
            {field: [_("Choose R (Responsible), A (Accountable), C (Consulted) or I (Informed).")]}
        )


def _is_partner(partnership: Partnership, organisation: Organisation) -> bool:
    return Participation.objects.filter(partnership=partnership, organisation=organisation).exists()


def not_a_partner_message(organisation: object) -> str:
    return _("%(organisation)s is not a partner in this partnership.") % {
        "organisation": organisation
    }


def _not_a_work_package() -> str:
    return _("Choose one of this partnership's work packages.")


def _second_accountable(work_package: WorkPackage, holder: object) -> str:
    return _(
        "%(code)s already has an Accountable partner: %(holder)s. A work package has "
        "exactly one; make %(holder)s Responsible, Consulted or Informed first."
    ) % {"code": work_package.code, "holder": holder}


def _code_taken() -> ValidationError:
    return ValidationError({"code": [_("Another work package already has this code.")]})


def _validate_work_package(work_package: WorkPackage) -> None:
    # The code's uniqueness is checked here so that its error names the field.
    work_package.full_clean(validate_constraints=False)
    others = WorkPackage.objects.filter(
        partnership_id=work_package.partnership_id, code=work_package.code
    ).exclude(pk=work_package.pk)
    if others.exists():
        raise _code_taken()


def _check_goal(partnership: Partnership, goal: Goal | None) -> None:
    if goal is not None and goal.partnership_id != partnership.pk:
        raise ValidationError({"goal": [_("Choose one of this partnership's goals.")]})


def _check_goal_now(goal: Goal | None) -> None:
    """Refuse a goal deleted since the request read it; under the ledger's lock, which
    a goal's deletion takes."""
    if goal is not None and not Goal.objects.filter(pk=goal.pk).exists():
        raise ValidationError({"goal": [_("Choose one of this partnership's goals.")]})


def _work_package_payload(work_package: WorkPackage) -> dict[str, Any]:
    return {
        "code": work_package.code,
        "title": work_package.title,
        "goal": work_package.goal_id,
        "position": work_package.position,
    }


# ---------------------------------------------------------------- work packages


def create_work_package(
    *,
    actor: User,
    partnership: Partnership,
    code: str,
    title: str,
    description: str = "",
    goal: Goal | None = None,
    position: int | None = None,
) -> WorkPackage:
    """Add a work package (or output) to the partnership; it goes last unless placed."""
    policy.require(actor, Action.EDIT, partnership)
    _check_goal(partnership, goal)
    work_package = WorkPackage(
        partnership=partnership,
        code=code.strip(),
        title=title.strip(),
        description=description,
        goal=goal,
        position=0 if position is None else position,
    )
    _validate_work_package(work_package)  # the request's own mistakes, before any lock
    try:
        with transaction.atomic():
            # Under the ledger's lock, which every work package write takes: the
            # partnership and the goal as they are now (Http404, or a field error, once
            # deleted), and the next place, which no other new work package can take
            # meanwhile. A failed insert is then the one duplicate it can be: the code.
            hold_row(partnership)
            _check_goal_now(goal)
            if position is None:
                last = partnership.work_packages.aggregate(last=Max("position"))["last"]
                work_package.position = 0 if last is None else last + 1
            _validate_work_package(work_package)
            work_package.save()
            record("work_package.created", _work_package_payload(work_package), partnership, actor)
    except IntegrityError as exc:
        raise _code_taken() from exc
    return work_package


def update_work_package(*, actor: User, work_package: WorkPackage, **fields: Any) -> WorkPackage:
    """Change a work package's code, title, description, goal or position."""
    partnership = work_package.partnership
    policy.require(actor, Action.EDIT, partnership)
    unknown = set(fields) - set(WORK_PACKAGE_FIELDS)
    if unknown:
        raise TypeError(f"unknown work package fields: {sorted(unknown)}")
    if "goal" in fields:
        _check_goal(partnership, fields["goal"])
    for name in ("code", "title"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()
    for name, value in fields.items():
        setattr(work_package, name, value)
    _validate_work_package(work_package)  # the request's own mistakes, before any lock
    try:
        with transaction.atomic():
            hold_row(work_package)
            _check_goal_now(fields.get("goal"))
            changed: dict[str, Any] = {}
            for name, value in fields.items():
                current = work_package.goal if name == "goal" else getattr(work_package, name)
                if current != value:
                    changed[name] = value.pk if isinstance(value, Goal) else value
                setattr(work_package, name, value)
            _validate_work_package(work_package)
            work_package.save(update_fields=list(fields))
            if changed:
                record(
                    "work_package.updated",
                    {"code": work_package.code, "changed": changed},
                    partnership,
                    actor,
                )
    except IntegrityError as exc:
        raise _code_taken() from exc
    return work_package


def delete_work_package(*, actor: User, work_package: WorkPackage) -> None:
    """Delete a work package with its row of the RACI matrix."""
    partnership = work_package.partnership
    policy.require(actor, Action.EDIT, partnership)
    with transaction.atomic():
        # The row and its cells as they are now, under the ledger's lock (already
        # deleted: Http404, logged once).
        hold_row(work_package)
        cells = dict(
            work_package.assignments.order_by("organisation__slug").values_list(
                "organisation__slug", "letter"
            )
        )
        record(
            "work_package.deleted",
            {"code": work_package.code, "title": work_package.title, "cells": cells},
            partnership,
            actor,
        )
        work_package.delete()


# ---------------------------------------------------------------- one cell


def _cells_of(work_package: WorkPackage) -> dict[int, RaciAssignment]:
    """The filled cells of a work package's row, by organisation id."""
    cells = work_package.assignments.select_related("organisation")
    return {cell.organisation_id: cell for cell in cells}


def set_responsibility(
    *,
    actor: User,
    work_package: WorkPackage,
    organisation: Organisation,
    letter: str | None,
) -> RaciAssignment | None:
    """Give `organisation` the part `letter` (R, A, C or I) in `work_package`; None clears it.

    Returns the cell, or None when it is empty. A second Accountable is refused with a
    field error naming the current one. An Accountable left behind by an organisation
    that is no longer a partner gives way (the ledger entry says so).
    """
    partnership = work_package.partnership
    policy.require(actor, Action.EDIT, partnership)
    letter = normalise_letter(letter)
    _check_letter(letter)
    if not _is_partner(partnership, organisation):
        raise ValidationError({"organisation": [not_a_partner_message(organisation)]})
    try:
        with transaction.atomic():
            # Lock the work package so concurrent edits of its row queue up (after the
            # ledger's lock, in the order every writer takes the two).
            hold_row(work_package)  # Http404 once deleted
            if not _is_partner(partnership, organisation):  # removed meanwhile
                raise ValidationError({"organisation": [not_a_partner_message(organisation)]})
            cells = _cells_of(work_package)
            current = cells.get(organisation.pk)
            old = current.letter if current else None
            if old == letter:
                return current
            payload: dict[str, Any] = {
                "work_package": work_package.code,
                "organisation": organisation.slug,
                "old": old,
                "new": letter,
            }
            if letter == Raci.ACCOUNTABLE:
                holder = next((c for c in cells.values() if c.letter == Raci.ACCOUNTABLE), None)
                if holder is not None:
                    if _is_partner(partnership, holder.organisation):
                        raise ValidationError(
                            {"letter": [_second_accountable(work_package, holder.organisation)]}
                        )
                    payload["former_partner_cleared"] = holder.organisation.slug
                    holder.delete()
            if letter is None:
                current.delete()
                result = None
            elif current is None:
                result = RaciAssignment.objects.create(
                    work_package=work_package, organisation=organisation, letter=letter
                )
            else:
                current.letter = letter
                current.save(update_fields=["letter"])
                result = current
            record("raci.changed", payload, partnership, actor)
    except IntegrityError as exc:
        # A concurrent edit got in between our check and our write.
        if letter != Raci.ACCOUNTABLE:
            raise ValidationError(
                {"letter": [_("Someone changed this cell at the same time. Try again.")]}
            ) from exc
        holder = (
            RaciAssignment.objects.filter(work_package=work_package, letter=Raci.ACCOUNTABLE)
            .select_related("organisation")
            .first()
        )
        raise ValidationError(
            {"letter": [_second_accountable(work_package, holder.organisation if holder else "?")]}
        ) from exc
    return result


# ---------------------------------------------------------------- the whole matrix


@dataclass(frozen=True)
class _Cell:
    index: int
    work_package: WorkPackage
    organisation: Organisation
    letter: str | None  # None: an empty cell


def _resolve(
    value: object,
    by_pk: Mapping[int, Any],
    by_key: Mapping[str, Any],
) -> Any:
    """A model instance, an id or a natural key (slug, code) → the row, or None."""
    if hasattr(value, "pk"):
        return by_pk.get(value.pk)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return by_pk.get(value)
    if isinstance(value, str):
        return by_key.get(value.strip())
    return None


def _partners_of(partnership: Partnership) -> dict[int, Organisation]:
    """The partnership's partners, by organisation id."""
    return {
        p.organisation_id: p.organisation
        for p in Participation.objects.filter(partnership=partnership).select_related(
            "organisation"
        )
    }


def _resolve_cells(
    partnership: Partnership,
    partners: Mapping[int, Organisation],
    cells: Iterable[Mapping[str, Any]],
    *,
    keep_empty: bool,
) -> tuple[list[_Cell], dict[str, list[str]]]:
    """Each cell's work package, partner and letter, with the errors by place
    (`cells[3].letter`). Empty cells are left out unless `keep_empty`; a cell listed
    twice is an error."""
    work_packages = list(partnership.work_packages.all())
    wp_by_pk = {wp.pk: wp for wp in work_packages}
    wp_by_code = {wp.code: wp for wp in work_packages}
    org_by_slug = {o.slug: o for o in partners.values()}
    errors: dict[str, list[str]] = {}
    found: list[_Cell] = []
    seen: set[tuple[int, int]] = set()
    for index, raw in enumerate(cells):
        prefix = f"cells[{index}]"
        if not isinstance(raw, Mapping):
            errors[prefix] = [_("Each cell needs a work package, a partner and a letter.")]
            continue
        work_package = _resolve(raw.get("work_package"), wp_by_pk, wp_by_code)
        if work_package is None:
            errors[f"{prefix}.work_package"] = [_not_a_work_package()]
        organisation = _resolve(raw.get("organisation"), partners, org_by_slug)
        if organisation is None:
            errors[f"{prefix}.organisation"] = [not_a_partner_message(raw.get("organisation"))]
        letter = normalise_letter(raw.get("letter"))
        try:
            _check_letter(letter, f"{prefix}.letter")
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if work_package is None or organisation is None or (letter is None and not keep_empty):
            continue
        key = (work_package.pk, organisation.pk)
        if key in seen:
            errors[f"{prefix}.organisation"] = [
                _("%(organisation)s appears twice in %(code)s.")
                % {"organisation": organisation, "code": work_package.code}
            ]
            continue
        seen.add(key)
        found.append(_Cell(index, work_package, organisation, letter))
    return found, errors


def _validate_cells(
    partnership: Partnership, cells: Iterable[Mapping[str, Any]]
) -> tuple[list[_Cell], dict[str, list[str]]]:
    found, errors = _resolve_cells(partnership, _partners_of(partnership), cells, keep_empty=False)
    valid: list[_Cell] = []
    accountable: dict[int, Organisation] = {}
    for cell in found:
        work_package, organisation, letter = cell.work_package, cell.organisation, cell.letter
        prefix = f"cells[{cell.index}]"
        if letter == Raci.ACCOUNTABLE:
            if work_package.pk in accountable:
                errors[f"{prefix}.letter"] = [
                    _second_accountable(work_package, accountable[work_package.pk])
                ]
                continue
            accountable[work_package.pk] = organisation
        valid.append(cell)
    return valid, errors


def replace_matrix(
    *, actor: User, partnership: Partnership, cells: Iterable[Mapping[str, Any]]
) -> int:
    """Replace the whole RACI matrix with `cells`, all or nothing.

    Each cell is a mapping with `work_package` (instance, id or code), `organisation`
    (instance, id or slug) and `letter` (R, A, C, I; None or "" for empty). Cells not
    listed become empty. Every cell is validated first; errors name their place
    (`cells[3].letter`) and nothing is saved. Returns the number of cells that changed.
    """
    policy.require(actor, Action.EDIT, partnership)
    cells = list(cells)
    try:
        with transaction.atomic():
            # Validated under the ledger's lock, which every other change to the work
            # packages, the partners and the matrix takes: none can come in between (nor
            # the partnership's deletion: Http404).
            hold_row(partnership)
            valid, errors = _validate_cells(partnership, cells)
            if errors:
                raise ValidationError(errors)
            wanted = {(c.work_package.pk, c.organisation.pk): c.letter for c in valid}
            existing = {
                (a.work_package_id, a.organisation_id): a.letter
                for a in RaciAssignment.objects.filter(work_package__partnership=partnership)
            }
            changed = sum(
                1 for key in wanted.keys() | existing.keys() if wanted.get(key) != existing.get(key)
            )
            if not changed:
                return 0
            RaciAssignment.objects.filter(work_package__partnership=partnership).delete()
            RaciAssignment.objects.bulk_create(
                RaciAssignment(
                    work_package=c.work_package, organisation=c.organisation, letter=c.letter
                )
                for c in valid
            )
            matrix: dict[str, dict[str, str]] = {
                wp.code: {} for wp in partnership.work_packages.all()
            }
            for c in valid:
                matrix[c.work_package.code][c.organisation.slug] = c.letter
            record(
                "raci.replaced",
                {"matrix": matrix, "changed_cells": changed},
                partnership,
                actor,
            )
    except IntegrityError as exc:
        raise _accountable_taken() from exc
    return changed


def _accountable_taken() -> ValidationError:
    """The database's one-Accountable constraint met (another writer made one meanwhile)."""
    return ValidationError({"cells": [_("A work package has exactly one Accountable partner.")]})


def change_cells(
    *, actor: User, partnership: Partnership, cells: Iterable[Mapping[str, Any]]
) -> int:
    """Set the listed cells of the RACI matrix, all or nothing; the others stay as they are.

    Each cell is a mapping as for `replace_matrix`; a letter None or "" clears the cell.
    The rules are checked against the matrix as it is now with these cells set (a cell
    changed meanwhile by someone else, and not listed, counts as it is); errors name
    their place (`cells[3].letter`) and nothing is saved. An Accountable left behind by
    a former partner gives way to a partner made Accountable. Returns the number of
    cells that changed: one `raci.updated` entry lists them with their new letters
    (None for a cleared cell); nothing is recorded when none did.
    """
    policy.require(actor, Action.EDIT, partnership)
    cells = list(cells)
    try:
        with transaction.atomic():
            # As for replace_matrix: nothing comes in between the checks and the write.
            hold_row(partnership)
            partners = _partners_of(partnership)
            found, errors = _resolve_cells(partnership, partners, cells, keep_empty=True)
            existing = {
                (a.work_package_id, a.organisation_id): a
                for a in RaciAssignment.objects.filter(
                    work_package__partnership=partnership
                ).select_related("organisation")
            }
            letters = {key: a.letter for key, a in existing.items()}
            wanted = [
                c for c in found if letters.get((c.work_package.pk, c.organisation.pk)) != c.letter
            ]
            # The other letters first, so that an Accountable made R in the same save
            # leaves room for the new one; then the Accountables in the order listed.
            for cell in sorted(wanted, key=lambda c: c.letter == Raci.ACCOUNTABLE):
                key = (cell.work_package.pk, cell.organisation.pk)
                if cell.letter != Raci.ACCOUNTABLE:
                    letters[key] = cell.letter
                    continue
                holders = [
                    org_id
                    for (wp_id, org_id), letter in letters.items()
                    if wp_id == cell.work_package.pk and letter == Raci.ACCOUNTABLE
                ]
                holder = next((h for h in holders if h in partners), None)
                if holder is not None:
                    errors[f"cells[{cell.index}].letter"] = [
                        _second_accountable(cell.work_package, partners[holder])
                    ]
                    continue
                for former in holders:  # no longer a partner: gives way
                    letters[(cell.work_package.pk, former)] = None
                letters[key] = cell.letter
            if errors:
                raise ValidationError(errors)
            changes = {
                key: letter
                for key, letter in letters.items()
                if letter != (existing[key].letter if key in existing else None)
            }
            if not changes:
                return 0
            # Cleared and lowered cells first, Accountables last: the database holds
            # one Accountable per work package after each statement.
            order = sorted(changes, key=lambda key: changes[key] == Raci.ACCOUNTABLE)
            gone = [existing[key].pk for key in order if changes[key] is None]
            RaciAssignment.objects.filter(pk__in=gone).delete()
            for key in order:
                letter = changes[key]
                if letter is None:
                    continue
                if key in existing:
                    existing[key].letter = letter
                    existing[key].save(update_fields=["letter"])
                else:
                    RaciAssignment.objects.create(
                        work_package_id=key[0], organisation_id=key[1], letter=letter
                    )
            codes = dict(partnership.work_packages.values_list("pk", "code"))
            slugs = {org.pk: org.slug for org in partners.values()}
            slugs.update((a.organisation_id, a.organisation.slug) for a in existing.values())
            matrix: dict[str, dict[str, str | None]] = {}
            for (wp_id, org_id), letter in sorted(
                changes.items(), key=lambda item: (codes[item[0][0]], slugs[item[0][1]])
            ):
                matrix.setdefault(codes[wp_id], {})[slugs[org_id]] = letter
            record(
                "raci.updated",
                {"matrix": matrix, "changed_cells": len(changes)},
                partnership,
                actor,
            )
    except IntegrityError as exc:
        raise _accountable_taken() from exc
    return len(changes)
