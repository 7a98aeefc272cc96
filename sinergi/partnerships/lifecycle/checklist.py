"""The lifecycle checklist: what each stage needs done before the partnership moves on.

Items are computed from the data, never ticked by hand. Each item is a small rule
function registered for one stage with `@rule(stage, id, label, links=…, blocking=…)`.
It receives a `Facts` object — the partnership's design data, each part loaded by one
query on first use — and returns a `Check(done, detail)`.

Other parts of Sinergi add items the same way, from their AppConfig.ready():

    from sinergi.partnerships.lifecycle.checklist import Check, Facts, rule

    @rule(Stage.IMPLEMENTING, "budget_approved", _("The budget is approved"),
          links=("partnership-budget",))
    def budget_approved(facts: Facts) -> Check:
        ...

A rule that needs data Facts does not hold should make at most one query of its own,
so the checklist stays a small, constant number of queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from sinergi.partners.models import Organisation
from sinergi.partnerships.models import (
    AgreementSignature,
    AgreementStatus,
    AgreementVersion,
    CapabilityNeed,
    Expectation,
    Goal,
    MemberRole,
    Membership,
    Participation,
    Partnership,
    Raci,
    RaciAssignment,
    Stage,
    WorkPackage,
)

# The stages in order; the partnership moves forward one at a time.
STAGES: list[str] = list(Stage.values)

# How close the end date must be for "the end date is near" (implementing → reviewing).
REVIEW_WINDOW = timedelta(days=90)

# At most this many names are spelled out in an item's detail ("A, B, C and 2 more").
NAMES_SHOWN = 4


def today() -> date:
    """Today's date in the site's time zone (the seam tests replace)."""
    return timezone.localdate()


@dataclass(frozen=True)
class Check:
    """What a rule found: whether the item is done, and a sentence about what is missing."""

    done: bool
    detail: str = ""


@dataclass(frozen=True)
class Item:
    """One checklist item as pages and the API show it."""

    id: str
    label: str
    done: bool
    blocking: bool
    detail: str = ""
    link: str | None = None


@dataclass(frozen=True)
class Rule:
    stage: str
    id: str
    label: Promise | str
    check: Callable[[Facts], Check]
    links: tuple[str, ...] = ()
    blocking: bool = True


# stage → its rules, in the order they were registered (the order pages show them in).
REGISTRY: dict[str, list[Rule]] = {stage: [] for stage in STAGES}


def rule(
    stage: str,
    id: str,
    label: Promise | str,
    *,
    links: Iterable[str] = (),
    blocking: bool = True,
) -> Callable[[Callable[[Facts], Check]], Callable[[Facts], Check]]:
    """Register a checklist item for leaving `stage`.

    `links` are URL names (taking the partnership's `slug`) of the page where the item is
    fixed; the first that exists is used. An item with `blocking=False` is advisory: it is
    shown, but does not stop the partnership from moving on.
    """

    def register(check: Callable[[Facts], Check]) -> Callable[[Facts], Check]:
        rules = REGISTRY[stage]
        if any(existing.id == id for existing in rules):
            raise ValueError(f"checklist item {id!r} is already registered for {stage!r}")
        rules.append(
            Rule(
                stage=stage, id=id, label=label, check=check, links=tuple(links), blocking=blocking
            )
        )
        return check

    return register


def evaluate(facts: Facts, stage: str) -> list[Item]:
    """The items for leaving `stage`, evaluated against `facts`."""
    items = []
    for r in REGISTRY[stage]:
        result = r.check(facts)
        items.append(
            Item(
                id=r.id,
                label=str(r.label),
                done=result.done,
                blocking=r.blocking,
                detail=result.detail,
                link=_link(r.links, facts.partnership.slug),
            )
        )
    return items


def _link(names: tuple[str, ...], slug: str) -> str | None:
    # Pages of other parts may not exist (yet); then the item simply has no link.
    for name in names:
        try:
            return reverse(name, kwargs={"slug": slug})
        except NoReverseMatch:
            continue
    return None


# ---------------------------------------------------------------- the data rules read


@dataclass(frozen=True)
class Partner:
    """A current partner organisation with what the checklist needs to know about it."""

    id: int
    name: str
    participations: list[Participation] = field(default_factory=list)


def short_name(organisation: Organisation) -> str:
    return organisation.acronym or organisation.name


class Facts:
    """A partnership's design data for the checklist, each part loaded once, on first use.

    Every property is one query (or none), so a whole overview of all stages costs a
    fixed number of queries, however many goals, partners and work packages there are.
    """

    def __init__(self, partnership: Partnership, on: date | None = None) -> None:
        self.partnership = partnership
        self.today = on or today()

    @cached_property
    def participations(self) -> list[Participation]:
        return list(
            Participation.objects.filter(partnership=self.partnership)
            .select_related("organisation")
            .order_by("organisation__name", "role", "pk")
        )

    @cached_property
    def partners(self) -> dict[int, Partner]:
        """Current partner organisations by id, in name order (one entry per organisation,
        even when it takes part in several roles)."""
        partners: dict[int, Partner] = {}
        for participation in self.participations:
            organisation = participation.organisation
            partner = partners.setdefault(
                organisation.pk, Partner(id=organisation.pk, name=short_name(organisation))
            )
            partner.participations.append(participation)
        return partners

    @cached_property
    def has_coordinator(self) -> bool:
        return Membership.objects.filter(
            partnership=self.partnership, role=MemberRole.COORDINATOR
        ).exists()

    @cached_property
    def need_count(self) -> int:
        return CapabilityNeed.objects.filter(partnership=self.partnership).count()

    @cached_property
    def goals(self) -> list[Goal]:
        return list(
            Goal.objects.filter(partnership=self.partnership).only(
                "pk",
                "title",
                "measure",
                "target_value",
                "target_date",
                "owner_id",
                "sdg_targets",
                "position",
                "partnership_id",
            )
        )

    @cached_property
    def organisations_with_expectations(self) -> set[int]:
        return set(
            Expectation.objects.filter(participation__partnership=self.partnership)
            .order_by()
            .values_list("participation__organisation_id", flat=True)
            .distinct()
        )

    @cached_property
    def work_packages(self) -> list[WorkPackage]:
        return list(
            WorkPackage.objects.filter(partnership=self.partnership).only(
                "pk", "code", "title", "position", "partnership_id"
            )
        )

    @cached_property
    def raci(self) -> list[tuple[int, int, str]]:
        """(work package id, organisation id, letter) of every filled cell."""
        return list(
            RaciAssignment.objects.filter(work_package__partnership=self.partnership)
            .order_by()
            .values_list("work_package_id", "organisation_id", "letter")
        )

    @cached_property
    def adopted_agreement(self) -> AgreementVersion | None:
        """The latest adopted version of the agreement, if any."""
        return (
            AgreementVersion.objects.filter(
                partnership=self.partnership, status=AgreementStatus.ADOPTED
            )
            .only("pk", "number", "status", "partnership_id")
            .order_by("-number")
            .first()
        )

    @cached_property
    def agreement_signers(self) -> set[int]:
        """The organisations that signed the latest adopted version."""
        version = self.adopted_agreement
        if version is None:
            return set()
        return set(
            AgreementSignature.objects.filter(version=version)
            .order_by()
            .values_list("organisation_id", flat=True)
        )


# ---------------------------------------------------------------- wording helpers


def names(items: list[str]) -> str:
    """ "A, B, C, D and 2 more" — the first few names of a list."""
    shown = ", ".join(items[:NAMES_SHOWN])
    extra = len(items) - NAMES_SHOWN
    if extra > 0:
        return _("%(names)s and %(count)d more") % {"names": shown, "count": extra}
    return shown


def a_date(value: date) -> str:
    # Day, short month, year, as on the partnership page, in both languages.
    return date_format(value, "j M Y")


def _participation_name(facts: Facts, participation: Participation) -> str:
    partner = facts.partners[participation.organisation_id]
    if len(partner.participations) > 1:
        return f"{partner.name} ({participation.get_role_display()})"
    return partner.name


# ---------------------------------------------------------------- leaving scoping


@rule(
    Stage.SCOPING,
    "vision",
    gettext_lazy("A shared vision"),
    links=("partnership-design", "partnership-edit"),
)
def vision(facts: Facts) -> Check:
    if facts.partnership.vision.strip():
        return Check(True)
    return Check(False, _("No vision statement has been written yet."))


@rule(
    Stage.SCOPING,
    "sdg_goal",
    gettext_lazy("At least one goal linked to an SDG target"),
    links=("partnership-design",),
)
def sdg_goal(facts: Facts) -> Check:
    linked = [goal for goal in facts.goals if goal.sdg_targets]
    if linked:
        return Check(
            True,
            ngettext(
                "%(count)d goal is linked to SDG targets.",
                "%(count)d goals are linked to SDG targets.",
                len(linked),
            )
            % {"count": len(linked)},
        )
    if not facts.goals:
        return Check(False, _("There are no goals yet."))
    return Check(False, _("No goal is linked to an SDG target yet."))


@rule(
    Stage.SCOPING,
    "partners",
    gettext_lazy("At least two partner organisations"),
    links=("partnership-partners",),
)
def two_partners(facts: Facts) -> Check:
    count = len(facts.partners)
    detail = ngettext(
        "%(count)d partner organisation.", "%(count)d partner organisations.", count
    ) % {"count": count}
    return Check(count >= 2, detail)


@rule(
    Stage.SCOPING,
    "coordinator",
    gettext_lazy("A coordinator"),
    links=("partnership-members",),
)
def coordinator(facts: Facts) -> Check:
    if facts.has_coordinator:
        return Check(True)
    return Check(False, _("Nobody coordinates the partnership yet."))


@rule(
    Stage.SCOPING,
    "needs",
    gettext_lazy("The capabilities the partnership needs are listed"),
    links=("partnership-matching",),
    blocking=False,
)
def needs_listed(facts: Facts) -> Check:
    # Advisory: a partnership that already has all the partners it needs should not have
    # to invent needs; the list only feeds partner matching.
    if facts.need_count:
        return Check(
            True,
            ngettext(
                "%(count)d capability need is listed.",
                "%(count)d capability needs are listed.",
                facts.need_count,
            )
            % {"count": facts.need_count},
        )
    return Check(False, _("No capability needs are listed, so matching cannot suggest partners."))


# ---------------------------------------------------------------- leaving building


@rule(
    Stage.BUILDING,
    "goals_measurable",
    gettext_lazy("Every goal is measurable (a measure, a target value and a target date)"),
    links=("partnership-design",),
)
def goals_measurable(facts: Facts) -> Check:
    if not facts.goals:
        return Check(False, _("There are no goals yet."))
    vague = [goal.title for goal in facts.goals if not goal.is_measurable]
    if vague:
        return Check(False, _("Not measurable yet: %(names)s.") % {"names": names(vague)})
    return Check(True)


@rule(
    Stage.BUILDING,
    "goals_owned",
    gettext_lazy("Every goal is owned by a partner"),
    links=("partnership-design",),
)
def goals_owned(facts: Facts) -> Check:
    if not facts.goals:
        return Check(False, _("There are no goals yet."))
    # An owner that is no longer a partner no longer answers for the goal.
    orphans = [goal.title for goal in facts.goals if goal.owner_id not in facts.partners]
    if orphans:
        detail = _("No owner among the partners: %(names)s.") % {"names": names(orphans)}
        return Check(False, detail)
    return Check(True)


@rule(
    Stage.BUILDING,
    "contributions",
    gettext_lazy("Every partner states its contribution"),
    links=("partnership-alignment", "partnership-partners"),
)
def contributions(facts: Facts) -> Check:
    if not facts.participations:
        return Check(False, _("There are no partners yet."))
    silent = [
        _participation_name(facts, participation)
        for participation in facts.participations
        if not participation.contribution.strip()
    ]
    if silent:
        return Check(False, _("No contribution stated: %(names)s.") % {"names": names(silent)})
    return Check(True)


@rule(
    Stage.BUILDING,
    "expectations",
    gettext_lazy("Every partner has stated at least one expectation"),
    links=("partnership-alignment",),
)
def expectations(facts: Facts) -> Check:
    if not facts.partners:
        return Check(False, _("There are no partners yet."))
    said = facts.organisations_with_expectations
    silent = [partner.name for partner in facts.partners.values() if partner.id not in said]
    if silent:
        return Check(False, _("No expectation yet: %(names)s.") % {"names": names(silent)})
    return Check(True)


def _letters_by_work_package(facts: Facts) -> dict[int, list[str]]:
    letters: dict[int, list[str]] = {wp.pk: [] for wp in facts.work_packages}
    for wp_id, organisation_id, letter in facts.raci:
        # Only current partners count: a partner that left answers for nothing.
        if organisation_id in facts.partners and wp_id in letters:
            letters[wp_id].append(letter)
    return letters


@rule(
    Stage.BUILDING,
    "raci_work_packages",
    gettext_lazy("Every work package has exactly one Accountable and at least one Responsible"),
    links=("partnership-raci",),
)
def raci_work_packages(facts: Facts) -> Check:
    if not facts.work_packages:
        return Check(False, _("There are no work packages yet."))
    letters = _letters_by_work_package(facts)
    no_a = [wp.code for wp in facts.work_packages if letters[wp.pk].count(Raci.ACCOUNTABLE) == 0]
    many_a = [wp.code for wp in facts.work_packages if letters[wp.pk].count(Raci.ACCOUNTABLE) > 1]
    no_r = [wp.code for wp in facts.work_packages if Raci.RESPONSIBLE not in letters[wp.pk]]
    problems = []
    if no_a:
        problems.append(_("No Accountable: %(names)s.") % {"names": names(no_a)})
    if many_a:
        problems.append(_("More than one Accountable: %(names)s.") % {"names": names(many_a)})
    if no_r:
        problems.append(_("No Responsible: %(names)s.") % {"names": names(no_r)})
    if problems:
        return Check(False, " ".join(problems))
    return Check(
        True,
        ngettext("%(count)d work package.", "%(count)d work packages.", len(facts.work_packages))
        % {"count": len(facts.work_packages)},
    )


@rule(
    Stage.BUILDING,
    "raci_partners",
    gettext_lazy("Every partner is Responsible or Accountable for some work package"),
    links=("partnership-raci",),
)
def raci_partners(facts: Facts) -> Check:
    if not facts.partners:
        return Check(False, _("There are no partners yet."))
    work_packages = {wp.pk for wp in facts.work_packages}
    answering = {
        organisation_id
        for wp_id, organisation_id, letter in facts.raci
        if wp_id in work_packages and letter in (Raci.RESPONSIBLE, Raci.ACCOUNTABLE)
    }
    idle = [partner.name for partner in facts.partners.values() if partner.id not in answering]
    if idle:
        return Check(False, _("No responsibility yet: %(names)s.") % {"names": names(idle)})
    return Check(True)


def agreement_signed_by_all(facts: Facts) -> Check:
    """The latest adopted agreement version carries a signature of every current partner."""
    version = facts.adopted_agreement
    if version is None:
        return Check(False, _("No version of the agreement has been adopted yet."))
    if not facts.partners:
        return Check(False, _("There are no partners yet."))
    unsigned = [
        partner.name
        for partner in facts.partners.values()
        if partner.id not in facts.agreement_signers
    ]
    if unsigned:
        return Check(
            False,
            ngettext(
                "%(names)s has not signed version %(number)d.",
                "%(names)s have not signed version %(number)d.",
                len(unsigned),
            )
            % {"names": names(unsigned), "number": version.number},
        )
    return Check(
        True,
        _("Version %(number)d is signed by all %(count)d partners.")
        % {"number": version.number, "count": len(facts.partners)},
    )


@rule(
    Stage.BUILDING,
    "agreement_signed",
    gettext_lazy("The agreement is adopted and signed by every partner"),
    links=("partnership-agreement",),
)
def agreement_signed(facts: Facts) -> Check:
    return agreement_signed_by_all(facts)


# ---------------------------------------------------------------- leaving implementing


@rule(
    Stage.IMPLEMENTING,
    "started",
    gettext_lazy("The start date has been reached"),
    links=("partnership-edit",),
)
def started(facts: Facts) -> Check:
    start = facts.partnership.start_date
    if start is None:
        return Check(False, _("No start date is set."))
    if start > facts.today:
        return Check(False, _("The partnership starts on %(date)s.") % {"date": a_date(start)})
    return Check(True, _("Started on %(date)s.") % {"date": a_date(start)})


@rule(
    Stage.IMPLEMENTING,
    "results_due",
    gettext_lazy("A goal's target date has been reached, or the end date is near"),
    links=("partnership-design",),
    blocking=False,
)
def results_due(facts: Facts) -> Check:
    # Advisory: reviewing is worth it once some result is due; results and finance will
    # add their own items here.
    reached = [g for g in facts.goals if g.target_date and g.target_date <= facts.today]
    if reached:
        first = min(reached, key=lambda g: g.target_date)
        return Check(
            True,
            _("The target date of “%(goal)s” was %(date)s.")
            % {"goal": first.title, "date": a_date(first.target_date)},
        )
    end = facts.partnership.end_date
    if end is not None and end - REVIEW_WINDOW <= facts.today:
        return Check(True, _("The partnership ends on %(date)s.") % {"date": a_date(end)})
    return Check(
        False,
        _(
            "No goal's target date has been reached and the end date is more than "
            "%(days)d days away."
        )
        % {"days": REVIEW_WINDOW.days},
    )


# ---------------------------------------------------------------- leaving reviewing


@rule(
    Stage.REVIEWING,
    "agreement_still_signed",
    gettext_lazy("The agreement is still signed by every current partner"),
    links=("partnership-agreement",),
)
def agreement_still_signed(facts: Facts) -> Check:
    return agreement_signed_by_all(facts)


@rule(
    Stage.REVIEWING,
    "review_due",
    gettext_lazy("The end date or every goal's target date has been reached"),
    links=("partnership-design", "partnership-edit"),
)
def review_due(facts: Facts) -> Check:
    # There is no record of reviews yet, so the honest test is time: the partnership has
    # ended, or every goal it set has come due.
    end = facts.partnership.end_date
    if end is not None and end <= facts.today:
        return Check(True, _("The partnership ended on %(date)s.") % {"date": a_date(end)})
    dates = [g.target_date for g in facts.goals]
    if dates and all(d is not None and d <= facts.today for d in dates):
        return Check(True, _("Every goal's target date has passed."))
    pending = [g.title for g in facts.goals if g.target_date is None or g.target_date > facts.today]
    if end is None:
        detail = _("No end date is set.")
    else:
        detail = _("The partnership ends on %(date)s.") % {"date": a_date(end)}
    if pending:
        detail += " " + _("Goals not yet due: %(names)s.") % {"names": names(pending)}
    elif not dates:
        detail += " " + _("There are no goals yet.")
    return Check(False, detail)


# Sustaining or moving on is the last stage: it has no checklist.
