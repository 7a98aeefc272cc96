"""Demo data for the RACI matrix (called by `sinergi demo`; idempotent).

Each demo partnership gets five work packages and a complete matrix: exactly one
Accountable and at least one Responsible per work package, and every partner
Responsible or Accountable somewhere. Work packages are linked to the demo goals when
the goals seed created a goal whose title mentions one of the package's keywords
(looked up, not required).
"""

from __future__ import annotations

from sinergi.partners.models import Person
from sinergi.partnerships.models import Goal, Partnership
from sinergi.partnerships.raci import services

# code, title, description, goal keywords, {organisation slug: letter}
IMMUNISATION = (
    "immunisation-indonesia",
    "sari",
    [
        ("WP1", "Vaccine supply and cold chain",
         "Forecast needs, deliver vaccines to district stores and keep the cold chain "
         "unbroken down to the health post.",
         ["cold chain"],
         {"kemenkes": "A", "bio-farma": "R", "gavi": "C", "ugm": "I"}),
        ("WP2", "Co-financing and procurement",
         "Agree the co-financing schedule and procure vaccines and cold-chain equipment.",
         ["full basic immunisation"],
         {"gavi": "A", "kemenkes": "R", "bio-farma": "C", "ugm": "I"}),
        ("WP3", "Outreach to zero-dose children",
         "Find and vaccinate children who have had no vaccine, in remote villages of "
         "Nusa Tenggara Timur, Papua and Maluku.",
         ["zero-dose"],
         {"kemenkes": "A", "yayasan-sehat-ibu-anak": "R", "perkumpulan-kader-posyandu": "R",
          "gavi": "I", "ugm": "C"}),
        ("WP4", "Community mobilisation through posyandu",
         "Train posyandu volunteers to track due vaccinations and bring families to "
         "immunisation days.",
         ["papua", "full basic immunisation"],
         {"yayasan-sehat-ibu-anak": "A", "perkumpulan-kader-posyandu": "R", "kemenkes": "C"}),
        ("WP5", "Coverage surveys and evaluation",
         "Yearly coverage surveys, a cold-chain performance review and the final "
         "evaluation.",
         ["coverage report", "report"],
         {"kemenkes": "A", "ugm": "R", "gavi": "C", "yayasan-sehat-ibu-anak": "I",
          "perkumpulan-kader-posyandu": "I"}),
    ],
)  # fmt: skip

TEXTILES = (
    "sustainable-textiles-indonesia",
    "rina",
    [
        ("WP1", "Living wage benchmarks",
         "Study wages in the pilot regions and agree living wage benchmarks with "
         "workers and employers.",
         ["living wage"],
         {"lestari-institute": "A", "serikat-buruh-garmen": "R", "sandang-lestari": "C",
          "tekstil-nusantara": "C", "kemenperin": "I"}),
        ("WP2", "Mill audits and remediation",
         "Audit wastewater and working conditions in the pilot mills and follow up the "
         "corrective action plans.",
         ["wastewater"],
         {"sandang-lestari": "A", "tekstil-nusantara": "R", "serikat-buruh-garmen": "C",
          "lestari-institute": "I"}),
        ("WP3", "National standard for chemical management",
         "Draft and adopt an SNI standard for managing hazardous chemicals in textile "
         "wet processing.",
         ["national standard"],
         {"kemenperin": "A", "bsn": "R", "tekstil-nusantara": "C", "lestari-institute": "C"}),
        ("WP4", "Worker grievance channels",
         "Set up grievance channels in every pilot factory and report on how complaints "
         "are resolved.",
         ["workers' rights"],
         {"serikat-buruh-garmen": "A", "lestari-institute": "R", "sandang-lestari": "C",
          "kemenperin": "I"}),
        ("WP5", "Chemical substitution pilots",
         "Replace the most hazardous dyes and auxiliaries in two mills and measure the "
         "results.",
         ["hazardous chemicals"],
         {"tekstil-nusantara": "A", "sandang-lestari": "R", "bsn": "C",
          "serikat-buruh-garmen": "I"}),
    ],
)  # fmt: skip


def _goal_for(goals: list[Goal], keywords: list[str], used: set[int]) -> Goal | None:
    """The first goal not yet used whose title mentions a keyword (tried in order)."""
    for word in keywords:
        for goal in goals:
            if goal.pk not in used and word in goal.title.lower():
                used.add(goal.pk)
                return goal
    return None


def seed_partnership(slug: str, coordinator: str, packages: list) -> None:
    partnership = Partnership.objects.filter(slug=slug).first()
    actor = Person.objects.filter(username=coordinator).first()
    if partnership is None or actor is None or partnership.work_packages.exists():
        return
    goals = list(partnership.goals.order_by("position", "pk"))
    used: set[int] = set()
    partners = set(partnership.participations.values_list("organisation__slug", flat=True))
    cells = []
    for position, (code, title, description, keywords, letters) in enumerate(packages):
        work_package = services.create_work_package(
            actor=actor,
            partnership=partnership,
            code=code,
            title=title,
            description=description,
            goal=_goal_for(goals, keywords, used),
            position=position,
        )
        cells += [
            {"work_package": work_package, "organisation": org, "letter": letter}
            for org, letter in letters.items()
            if org in partners
        ]
    services.replace_matrix(actor=actor, partnership=partnership, cells=cells)


def seed() -> None:
    """Give both demo partnerships their work packages and a complete RACI matrix."""
    for slug, coordinator, packages in (IMMUNISATION, TEXTILES):
        seed_partnership(slug, coordinator, packages)
