"""Two years of monitoring for the two demo partnerships (called by `sinergi demo`).

Relative to today (`timezone.localdate()`), so the demo stays current: eight quarters
ending in the current quarter (24 months for the monthly indicators, two years for the
yearly ones). Everything goes through `sinergi.results.services`, acting as the people
who would really do it, so every approved value is on the transparency ledger and every
progress figure and SDG roll-up is kept:

- the coordinator (Sari; Rina) builds the framework — impact, outcomes and outputs
  linked to the partnership's goals, work packages and SDG targets —, the
  disaggregation dimensions (sex; the partnership's provinces, ISO 3166-2) and the
  indicators with their baselines and targets;
- each responsible partner's admin or member enters and submits its own values, by sex
  and province where the indicator is broken down (counts add up to the total;
  percentages by category average to it), with a narrative and, for some, sites;
- the coordinator, who entered none of them, approves them; a few were returned with a
  comment first and corrected, one in each partnership is still returned, a few wait
  for review and a few are drafts;
- one partner in each partnership is late: Yayasan Sehat Ibu dan Anak has not reported
  measles-rubella coverage for the last two quarters, the garment workers' union is
  behind on the training figures, so their reporting light is red.

Progress comes out mixed on purpose: DTP3 coverage, the zero-dose children reached,
training, temperature monitoring, restricted chemicals, audits and wastewater are on
track; measles-rubella coverage, electronic reporting and wages are at risk; cold-chain
equipment and the union's training are off track.

The submissions' entered, submitted and reviewed times are set afterwards to when they
would have happened (before each period's due date, later for the late partner); their
ledger entries carry the time the demo was loaded.

Idempotent: a partnership that already has a results framework is left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Goal, Partnership, WorkPackage
from sinergi.results import services
from sinergi.results.models import (
    Dimension,
    Indicator,
    Period,
    Result,
    Submission,
)

QUARTERS = 8
MONTHS = 24
YEARS = 2

IMMUNISATION = "immunisation-indonesia"
TEXTILES = "sustainable-textiles-indonesia"

# Share of the children in each province (for coverage averaged over provinces) and of
# the work in each province (for counts split by province).
EAST = {"ID-NT": Decimal("0.45"), "ID-PA": Decimal("0.25"), "ID-PB": Decimal("0.10"),
        "ID-MA": Decimal("0.20")}  # fmt: skip
JAVA = {"ID-JB": Decimal("0.50"), "ID-JT": Decimal("0.35"), "ID-BT": Decimal("0.15")}
ONE_PLACE = Decimal("0.1")


# ---------------------------------------------------------------- calendar


def quarter_labels(today: dt.date, count: int = QUARTERS) -> list[str]:
    """The `count` quarters ending with the one containing `today`, oldest first."""
    index = today.year * 4 + (today.month - 1) // 3
    return [f"{i // 4}-Q{i % 4 + 1}" for i in range(index - count + 1, index + 1)]


def month_labels(today: dt.date, count: int = MONTHS) -> list[str]:
    index = today.year * 12 + today.month - 1
    return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def year_labels(today: dt.date, count: int = YEARS) -> list[str]:
    return [str(year) for year in range(today.year - count + 1, today.year + 1)]


def labels_for(frequency: str, today: dt.date) -> list[str]:
    if frequency == "monthly":
        return month_labels(today)
    if frequency == "yearly":
        return year_labels(today)
    return quarter_labels(today)


# ---------------------------------------------------------------- numbers


def split(total: int, shares: Mapping[str, Decimal]) -> dict[str, int]:
    """`total` split by `shares` into whole numbers that add up to it (largest remainder)."""
    raw = {key: Decimal(total) * share / sum(shares.values()) for key, share in shares.items()}
    parts = {key: int(value) for key, value in raw.items()}
    left = total - sum(parts.values())
    for key in sorted(raw, key=lambda k: raw[k] - parts[k], reverse=True)[:left]:
        parts[key] += 1
    return parts


def keyed(dimension: str, parts: Mapping[str, Any]) -> dict[str, str]:
    return {f"{dimension}:{code}": str(value) for code, value in parts.items()}


def one_place(value: Decimal) -> Decimal:
    return value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def coverage_by_province(
    total: Decimal, offsets: Mapping[str, Decimal], weights: Mapping[str, Decimal]
) -> tuple[Decimal, dict[str, str]]:
    """Province percentages around `total`, and the total as their weighted mean."""
    values = {code: min(one_place(total + offsets[code]), Decimal(100)) for code in weights}
    mean = one_place(sum(values[c] * w for c, w in weights.items()) / sum(weights.values()))
    return mean, keyed("province", values)


# ---------------------------------------------------------------- the seeder


@dataclass
class Report:
    """One value as it was reported: who entered and submitted it, and what came of it.

    `outcome`: approved, submitted (waiting for review), draft, returned (still with the
    partner), corrected (returned with `returned_because`, fixed and approved).
    `late_days`: days after the due date it was submitted (0: on time)."""

    label: str
    value: Any = None
    values: Mapping[str, Any] | None = None
    text: str = ""
    narrative: str = ""
    by: str = ""
    submitted_by: str = ""
    outcome: str = "approved"
    comment: str = ""
    returned_because: str = ""
    first_value: Any = None
    first_values: Mapping[str, Any] | None = None
    sites: Sequence[Mapping[str, Any]] | None = None
    late_days: int = 0
    # Evidence files attached by the person entering the value: file name → CSV text.
    evidence: Mapping[str, str] | None = None


@dataclass
class Seeder:
    partnership: Partnership
    coordinator: Person
    today: dt.date
    people: dict[str, Person] = field(default_factory=dict)
    results: dict[str, Result] = field(default_factory=dict)
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    periods: dict[tuple[str, str], Period] = field(default_factory=dict)
    # submission id → (entered, submitted, reviewed) to set once all is written.
    dates: dict[int, tuple[dt.datetime, dt.datetime | None, dt.datetime | None]] = field(
        default_factory=dict
    )

    def who(self, username: str) -> Person:
        if username not in self.people:
            self.people[username] = Person.objects.get(username=username)
        return self.people[username]

    def goal(self, words: str) -> Goal | None:
        return self.partnership.goals.filter(title__icontains=words).first()

    def package(self, code: str) -> WorkPackage | None:
        return self.partnership.work_packages.filter(code=code).first()

    def dimension(self, code: str, name: str, kind: str, categories: list[str] | None) -> None:
        self.dimensions[code] = services.create_dimension(
            actor=self.coordinator,
            partnership=self.partnership,
            code=code,
            name=name,
            kind=kind,
            categories=categories,
        )

    def result(
        self,
        key: str,
        kind: str,
        title: str,
        *,
        parent: str | None = None,
        goal: str = "",
        package: str = "",
        sdg_targets: Sequence[str] = (),
        description: str = "",
    ) -> None:
        self.results[key] = services.create_result(
            actor=self.coordinator,
            partnership=self.partnership,
            type=kind,
            title=title,
            description=description,
            parent=self.results[parent] if parent else None,
            goal=self.goal(goal) if goal else None,
            work_package=self.package(package) if package else None,
            sdg_targets=list(sdg_targets),
        )

    def indicator(
        self,
        result: str,
        code: str,
        title: str,
        *,
        responsible: str,
        frequency: str = "quarterly",
        dimensions: Sequence[str] = (),
        targets: Sequence[Any] = (),
        by_category: Mapping[str, Mapping[str, Any]] | None = None,
        **fields: Any,
    ) -> Indicator:
        """An indicator with its targets, one per period of `frequency` (oldest first)."""
        labels = labels_for(frequency, self.today)
        first = services.find_period(self.partnership, frequency, labels[0])
        if fields.get("baseline_value") is not None:
            fields.setdefault("baseline_date", first.start - dt.timedelta(days=1))
        indicator = services.create_indicator(
            actor=self.coordinator,
            partnership=self.partnership,
            result=self.results[result],
            code=code,
            title=title,
            frequency=frequency,
            responsible=Organisation.objects.get(slug=responsible),
            dimensions=[self.dimensions[d] for d in dimensions],
            **fields,
        )
        if targets:
            services.set_targets(
                actor=self.coordinator,
                indicator=indicator,
                targets={
                    label: str(t)
                    for label, t in zip(labels, targets, strict=False)
                    if t is not None
                },
                by_category=by_category,
            )
        self.indicators[code] = indicator
        return indicator

    def period(self, indicator: Indicator, label: str) -> Period:
        key = (indicator.frequency, label)
        if key not in self.periods:
            self.periods[key] = services.find_period(self.partnership, indicator.frequency, label)
        return self.periods[key]

    def report(self, code: str, report: Report) -> Submission:
        """Enter, submit and review one value as the people concerned would have."""
        indicator = self.indicators[code]
        period = self.period(indicator, report.label)
        enterer = self.who(report.by)
        submitter = self.who(report.submitted_by or report.by)
        first_value = report.value if report.first_value is None else report.first_value
        first_values = report.values if report.first_values is None else report.first_values
        submission = services.save_draft(
            actor=enterer,
            indicator=indicator,
            period=period,
            value=None if first_value is None else str(first_value),
            text=report.text,
            narrative=report.narrative,
            values=first_values,
            sites=report.sites,
        )
        for name, text in (report.evidence or {}).items():
            services.attach_evidence(
                actor=enterer,
                submission=submission,
                uploaded_file=SimpleUploadedFile(name, text.encode(), content_type="text/csv"),
            )
        entered = at(period.end, 4)
        submitted = reviewed = None
        if report.outcome != "draft":
            submission = services.submit(actor=submitter, submission=submission)
            submitted = at(period.due, -14 + report.late_days)
        if report.outcome in ("returned", "corrected"):
            services.return_submission(
                actor=self.coordinator,
                submission=submission,
                comment=report.returned_because or report.comment,
            )
            reviewed = at(period.due, -10 + report.late_days)
        if report.outcome == "corrected":
            submission = services.save_draft(
                actor=enterer,
                indicator=indicator,
                period=period,
                value=None if report.value is None else str(report.value),
                text=report.text,
                narrative=report.narrative,
                values=report.values,
            )
            submission = services.submit(actor=submitter, submission=submission)
            submitted = at(period.due, -6 + report.late_days)
        if report.outcome in ("approved", "corrected"):
            submission = services.approve(
                actor=self.coordinator, submission=submission, comment=report.comment
            )
            reviewed = at(period.due, -3 + report.late_days)
        self.dates[submission.pk] = (entered, submitted, reviewed)
        return submission

    def backdate(self) -> None:
        """Entered, submitted and reviewed at the times they would have been."""
        now = timezone.now()
        for pk, (entered, submitted, reviewed) in self.dates.items():
            fields: dict[str, Any] = {"created_at": min(entered, now)}
            if submitted is not None:
                fields["submitted_at"] = max(min(submitted, now), fields["created_at"])
            if reviewed is not None:
                fields["decided_at"] = max(min(reviewed, now), fields.get("submitted_at", now))
            Submission.objects.filter(pk=pk).update(**fields)

    def close(self, frequency: str, labels: Sequence[str]) -> None:
        for label in labels:
            period = services.find_period(self.partnership, frequency, label)
            services.set_period_closed(actor=self.coordinator, period=period, closed=True)


def sites_record(sites: Sequence[Mapping[str, Any]], what: str, total: int) -> str:
    """A small CSV of the kind partners attach: the sites visited and the count, the
    total spread over them (the first site takes what does not divide evenly)."""
    share, rest = divmod(int(total), len(sites))
    lines = [f"site,province,{what}"]
    for n, site in enumerate(sites):
        lines.append(f'"{site["name"]}",{site["subdivision"]},{share + (rest if n == 0 else 0)}')
    return "\n".join(lines) + "\n"


def at(day: dt.date, days: int) -> dt.datetime:
    """10:00 local time `days` days after `day`."""
    moment = dt.datetime.combine(day + dt.timedelta(days=days), dt.time(10))
    return timezone.make_aware(moment)


def seeder_for(slug: str, coordinator: str, people: Sequence[str]) -> Seeder | None:
    """A seeder for a demo partnership without a results framework and with its people."""
    partnership = Partnership.objects.filter(slug=slug).first()
    if partnership is None or Result.objects.filter(partnership=partnership).exists():
        return None
    if Person.objects.filter(username__in=[coordinator, *people]).count() != len(
        {coordinator, *people}
    ):
        return None
    return Seeder(partnership, Person.objects.get(username=coordinator), timezone.localdate())


# ---------------------------------------------------------------- immunisation

IMMUNISATION_PEOPLE = ("tono", "dewi", "yuni", "nur", "budi")

# Per quarter, oldest first; the last is the current quarter (no value yet).
DTP3_TARGETS = ("70", "72", "74", "76", "78", "80", "82", "84")
DTP3_ACTUALS = ("69.9", "72.6", "74.0", "77.1", "78.4", "80.7", "82.5")
DTP3_OFFSETS = {"ID-NT": Decimal("4.3"), "ID-PA": Decimal("-9.6"), "ID-PB": Decimal("-6.1"),
                "ID-MA": Decimal("1.4")}  # fmt: skip
MR1_TARGETS = ("64", "67", "70", "73", "76", "79", "82", "85")
MR1_ACTUALS = ("63.4", "65.9", "67.8", "69.6", "71.5")  # then nothing: late
MR1_OFFSETS = {"ID-NT": Decimal("5.2"), "ID-PA": Decimal("-11.8"), "ID-PB": Decimal("-7.4"),
               "ID-MA": Decimal("2.1")}  # fmt: skip
ZERO_DOSE = (2100, 2650, 2900, 3100, 2700, 3300, 3150)
TRAINED = (180, 260, 310, 240, 290, 275, 320)
FRIDGES = (22, 18, 25, 30, 12, 15, 20)
EREPORTING = ("45", "52", "61", "66", "74", "79", "83")
PUSKESMAS = [
    {"name": "Puskesmas Oesao, Kupang", "latitude": "-10.1871", "longitude": "123.8326",
     "subdivision": "ID-NT"},
    {"name": "Puskesmas Waingapu, Sumba Timur", "latitude": "-9.6566", "longitude": "120.2641",
     "subdivision": "ID-NT"},
    {"name": "Puskesmas Sentani, Jayapura", "latitude": "-2.5634", "longitude": "140.5102",
     "subdivision": "ID-PA"},
    {"name": "Puskesmas Tulehu, Maluku Tengah", "latitude": "-3.5889", "longitude": "128.3273",
     "subdivision": "ID-MA"},
]  # fmt: skip


def seed_immunisation() -> None:
    s = seeder_for(IMMUNISATION, "sari", IMMUNISATION_PEOPLE)
    if s is None:
        return
    quarters = quarter_labels(s.today)
    months = month_labels(s.today)
    years = year_labels(s.today)

    s.dimension("sex", "Sex", "sex", None)
    s.dimension("province", "Province", "subdivision", list(EAST))

    s.result(
        "impact",
        "3",
        "Fewer children in eastern Indonesia die of vaccine-preventable diseases",
        goal="zero-dose",
        sdg_targets=["3.2"],
    )
    s.result(
        "coverage",
        "2",
        "More children fully immunised in Nusa Tenggara Timur, Papua, Papua Barat and Maluku",
        parent="impact",
        goal="East Nusa Tenggara",
        package="WP2",
        sdg_targets=["3.b"],
    )
    s.result(
        "zero-dose",
        "2",
        "Zero-dose children found and vaccinated",
        parent="impact",
        goal="zero-dose",
        package="WP3",
        sdg_targets=["3.b", "3.2"],
    )
    s.result(
        "trained",
        "1",
        "Health workers and posyandu volunteers trained to find and "
        "follow up unvaccinated children",
        parent="zero-dose",
        goal="Papua",
        package="WP4",
    )
    s.result(
        "cold-chain",
        "1",
        "A working cold chain in every health centre",
        parent="coverage",
        goal="cold chain",
        package="WP1",
        sdg_targets=["3.8"],
    )
    s.result(
        "reporting",
        "1",
        "Electronic coverage reports from every district",
        parent="coverage",
        goal="electronic",
        package="WP5",
        sdg_targets=["17.18"],
    )

    # fmt: off
    s.indicator(
        "coverage", "1.1", "DTP3 coverage of children under one", responsible="ugm",
        description="Children under one who received the third dose of DPT-HB-Hib, as a share "
                    "of the surviving infants, from district reports validated by UGM.",
        measure="2", unit="%", accumulation="level", baseline_value="68",
        sdg_indicator="3.b.1", dimensions=["province", "sex"], targets=DTP3_TARGETS,
        by_category={q: keyed("province", {c: one_place(Decimal(t) + o)
                                           for c, o in DTP3_OFFSETS.items()})
                     for q, t in zip(quarters, DTP3_TARGETS, strict=True)},
    )
    s.indicator(
        "coverage", "1.2", "Measles-rubella (MR1) coverage of children under two",
        responsible="yayasan-sehat-ibu-anak",
        description="Children who received the first dose of measles-rubella vaccine by "
                    "their second birthday, in the districts of the outreach programme.",
        measure="2", unit="%", accumulation="level", baseline_value="62",
        sdg_indicator="3.b.1", dimensions=["province"], targets=MR1_TARGETS,
    )
    s.indicator(
        "zero-dose", "2.1", "Zero-dose children reached with a first DPT-HB-Hib dose",
        responsible="perkumpulan-kader-posyandu", measure="1", unit="children",
        accumulation="cumulative", dimensions=["sex", "province"], targets=(3000,) * 8,
    )
    s.indicator(
        "zero-dose", "2.2", "How communities see immunisation",
        responsible="perkumpulan-kader-posyandu",
        description="What parents, religious leaders and volunteers say about vaccines, from "
                    "the volunteers' yearly round of village meetings.",
        measure="5", frequency="yearly",
    )
    s.indicator(
        "trained", "3.1", "Health workers and posyandu volunteers trained in immunisation",
        responsible="perkumpulan-kader-posyandu", measure="1", unit="people",
        accumulation="cumulative", dimensions=["sex"], targets=(250,) * 8,
    )
    s.indicator(
        "cold-chain", "4.1", "Health centres equipped with a WHO-prequalified vaccine "
        "refrigerator", responsible="bio-farma", measure="1", unit="health centres",
        accumulation="cumulative", sdg_indicator="3.b.3", dimensions=["province"],
        targets=(40,) * 8,
    )
    s.indicator(
        "cold-chain", "4.2", "Health centres with continuous temperature monitoring",
        responsible="bio-farma", measure="2", unit="%", accumulation="level",
        frequency="monthly", baseline_value="35",
        targets=[str(Decimal(38) + Decimal("2.5") * i) for i in range(MONTHS)],
    )
    s.indicator(
        "reporting", "5.1", "Districts reporting immunisation data electronically each month",
        responsible="ugm", measure="2", unit="%", accumulation="level", baseline_value="40",
        sdg_indicator="17.18.1",
        targets=[str(Decimal(40) + Decimal("7.5") * (i + 1)) for i in range(QUARTERS)],
    )
    # fmt: on

    last = len(quarters) - 2  # the last quarter that has ended
    for i, actual in enumerate(DTP3_ACTUALS):
        total, provinces = coverage_by_province(Decimal(actual), DTP3_OFFSETS, EAST)
        sexes = keyed("sex", {"female": total + Decimal("0.6"), "male": total - Decimal("0.6")})
        report = Report(
            quarters[i],
            total,
            {**provinces, **sexes},
            by="tono",
            submitted_by="dewi" if i % 2 else "tono",
            narrative="From district reports in the national system, checked against "
            "vaccine stock records.",
        )
        if i == 3:
            wrong = coverage_by_province(Decimal(actual) + 3, DTP3_OFFSETS, EAST)
            report.outcome = "corrected"
            report.first_value, report.first_values = (
                wrong[0],
                {
                    **wrong[1],
                    **keyed(
                        "sex",
                        {"female": wrong[0] + Decimal("0.6"), "male": wrong[0] - Decimal("0.6")},
                    ),
                },
            )
            report.returned_because = (
                "Papua uses the 2020 census for surviving infants; "
                "use the 2024 projection as in earlier quarters."
            )
            report.comment = "Thank you: Papua now uses the 2024 projection."
        s.report("1.1", report)

    for i, actual in enumerate(MR1_ACTUALS):
        total, provinces = coverage_by_province(Decimal(actual), MR1_OFFSETS, EAST)
        s.report(
            "1.2",
            Report(
                quarters[i],
                total,
                provinces,
                by="yuni",
                late_days=20 if i >= 3 else 0,
                narrative="Outreach teams reached fewer villages than planned in the rainy season."
                if i in (1, 2)
                else "",
            ),
        )
    # The next quarter came late and went back; the one after was started, never sent.
    total, provinces = coverage_by_province(Decimal("72.4"), MR1_OFFSETS, EAST)
    s.report(
        "1.2",
        Report(
            quarters[len(MR1_ACTUALS)],
            total,
            provinces,
            by="yuni",
            outcome="returned",
            late_days=20,
            returned_because="Papua Barat is missing from the narrative and the figure "
            "jumped by 11 points: please check it against the district reports.",
        ),
    )
    s.report(
        "1.2",
        Report(
            quarters[len(MR1_ACTUALS) + 1],
            "73.0",
            by="yuni",
            outcome="draft",
            narrative="Papua figures still missing.",
        ),
    )

    for i, total in enumerate(ZERO_DOSE):
        s.report(
            "2.1",
            Report(
                quarters[i],
                total,
                {
                    **keyed("sex", split(total, {"female": Decimal(49), "male": Decimal(51)})),
                    **keyed("province", split(total, EAST)),
                },
                by="nur",
                narrative="Children found by volunteers during house-to-house visits "
                "and vaccinated at the next immunisation day.",
            ),
        )

    s.report(
        "2.2",
        Report(
            years[0],
            text="Most parents now bring children to immunisation days; hesitancy "
            "remains in two districts of Papua, where rumours about vaccine ingredients "
            "circulate. Village religious leaders spoke in favour of vaccination at 140 "
            "meetings.",
            by="nur",
        ),
    )
    s.report(
        "2.2",
        Report(
            years[1],
            text="Village meetings are under way; so far parents ask mostly about "
            "side effects of the new PCV vaccine.",
            by="nur",
            outcome="draft",
        ),
    )

    for i, total in enumerate(TRAINED):
        s.report(
            "3.1",
            Report(
                quarters[i],
                total,
                keyed("sex", split(total, {"female": Decimal(78), "male": Decimal(22)})),
                by="nur",
            ),
        )
    # Training in the current quarter is being counted.
    s.report(
        "3.1",
        Report(
            quarters[-1], 140, keyed("sex", {"female": 108, "male": 32}), by="nur", outcome="draft"
        ),
    )

    for i, total in enumerate(FRIDGES):
        report = Report(
            quarters[i],
            total,
            keyed("province", split(total, EAST)),
            by="budi",
            sites=PUSKESMAS[: 1 + i % 3],
            evidence={
                f"installation-record-{quarters[i]}.csv": sites_record(
                    PUSKESMAS[: 1 + i % 3], "refrigerators installed", total
                )
            },
            narrative="Solar direct-drive refrigerators were held at the port of Surabaya "
            "for customs clearance."
            if i in (4, 5)
            else "",
        )
        if i == last:
            report.outcome = "corrected"
            report.first_value, report.first_values = (
                total + 4,
                keyed("province", split(total + 4, EAST)),
            )
            report.returned_because = (
                "Four of these refrigerators were delivered but not installed yet; count "
                "installed ones only."
            )
            report.comment = "Installed ones only now; thank you."
        s.report("4.1", report)

    for i in range(MONTHS - 2):
        value = min(Decimal(38) + Decimal("2.5") * i + Decimal((i * 7) % 5) - 2, Decimal(100))
        s.report("4.2", Report(months[i], str(value), by="budi"))

    for i, value in enumerate(EREPORTING):
        s.report(
            "5.1",
            Report(
                quarters[i],
                value,
                by="tono",
                submitted_by="dewi",
                outcome="submitted" if i == last else "approved",
            ),
        )

    s.close("quarterly", quarters[:3])
    s.backdate()


# ---------------------------------------------------------------- textiles

TEXTILES_PEOPLE = ("lina", "ani", "rudi", "wati", "hendra", "eko")

WAGE_TARGETS = ("76", "78", "80", "82", "84", "86", "88", "90")
WAGES = ("75.5", "77.2", "78.6", "79.8", "81.0", "82.3", "83.9")
MRSL_TARGETS = (34, 30, 26, 22, 18, 14, 10, 6)
MRSL = (35, 31, 27, 22, 19, 15, 11)
AUDITS = (3, 4, 5, 4, 3, 5, 4)
WORKERS = (80, 95, 110, 60, 70)  # then one returned, one missing
MILLS = [
    {"name": "PT Sandang Lestari, Cikarang", "latitude": "-6.2849", "longitude": "107.1710",
     "subdivision": "ID-JB"},
    {"name": "PT Tekstil Nusantara, Karanganyar", "latitude": "-7.6125",
     "longitude": "110.9486", "subdivision": "ID-JT"},
    {"name": "Garment factory, Serang", "latitude": "-6.1200", "longitude": "106.1503",
     "subdivision": "ID-BT"},
]  # fmt: skip


def seed_textiles() -> None:
    s = seeder_for(TEXTILES, "rina", TEXTILES_PEOPLE)
    if s is None:
        return
    quarters = quarter_labels(s.today)
    months = month_labels(s.today)
    years = year_labels(s.today)

    s.dimension("sex", "Sex", "sex", None)
    s.dimension("province", "Province", "subdivision", list(JAVA))

    # fmt: off
    s.result("impact", "3", "Decent work and safe chemicals in Indonesian textile supply "
             "chains", sdg_targets=["8.8", "12.4"])
    s.result("wages", "2", "Workers in the pilot factories earn a living wage and have their "
             "rights respected", parent="impact", goal="Living wages", package="WP1",
             sdg_targets=["8.5"])
    s.result("audits", "1", "Factories audited and following their corrective action plans",
             parent="wages", goal="rights respected", package="WP2")
    s.result("workers", "1", "Workers trained on their rights and the grievance channels",
             parent="wages", goal="rights respected", package="WP4", sdg_targets=["8.8"])
    s.result("chemicals", "2", "Hazardous chemicals phased out of dyeing and finishing",
             parent="impact", goal="Hazardous chemicals", package="WP5",
             sdg_targets=["12.4", "6.3"])
    s.result("standard", "1", "A national standard for chemical management",
             parent="chemicals", goal="national standard", package="WP3")

    s.indicator(
        "wages", "1.1", "Average take-home pay as a share of the living wage",
        responsible="lestari-institute",
        description="Average take-home pay for standard hours of production workers in the "
                    "pilot factories, as a share of their district's living-wage benchmark, "
                    "from payroll audits.",
        measure="2", unit="%", accumulation="level", baseline_value="74",
        sdg_indicator="8.5.1", dimensions=["sex"], targets=WAGE_TARGETS,
    )
    s.indicator(
        "chemicals", "2.1", "Restricted substances still in use in the pilot mills",
        responsible="tekstil-nusantara",
        description="Substances on the ZDHC Manufacturing Restricted Substances List found in "
                    "the chemical inventories of the pilot mills.",
        measure="1", unit="substances", accumulation="level", ascending=False,
        baseline_value="38", targets=MRSL_TARGETS,
    )
    s.indicator(
        "chemicals", "2.2", "Wastewater tests meeting the national effluent limits",
        responsible="sandang-lestari", measure="2", unit="%", accumulation="level",
        frequency="monthly", baseline_value="60", sdg_indicator="6.3.1",
        targets=[str(min(Decimal(62) + Decimal("1.5") * i, Decimal(100))) for i in range(MONTHS)],
    )
    s.indicator(
        "audits", "3.1", "Factories audited (social and wastewater audits)",
        responsible="lestari-institute", measure="1", unit="factories",
        accumulation="cumulative", dimensions=["province"], targets=(4,) * 8,
    )
    s.indicator(
        "workers", "4.1", "Workers trained on their rights and the grievance channels",
        responsible="serikat-buruh-garmen", measure="1", unit="workers",
        accumulation="cumulative", sdg_indicator="8.8.2", dimensions=["sex"],
        targets=(150,) * 8,
        by_category={q: {"sex:female": "105", "sex:male": "45"} for q in quarters},
    )
    s.indicator(
        "standard", "5.1", "Progress of the national standard (SNI) on chemical management",
        responsible="bsn", measure="5", frequency="yearly",
    )
    # fmt: on

    for i, value in enumerate(WAGES):
        total = Decimal(value)
        s.report(
            "1.1",
            Report(
                quarters[i],
                total,
                keyed("sex", {"female": total - Decimal("1.8"), "male": total + Decimal("1.8")}),
                by="lina",
                narrative="Minimum wage rises in January lifted pay; overtime still "
                "makes up much of take-home pay."
                if i % 4 == 0
                else "",
            ),
        )
    for i, value in enumerate(MRSL):
        report = Report(quarters[i], value, by="ani")
        if i == 2:
            report.outcome = "corrected"
            report.first_value = 24
            report.returned_because = (
                "The inventory of dye house 2 is missing; count both "
                "dye houses as in the last quarter."
            )
            report.comment = "Both dye houses counted now."
        s.report("2.1", report)
    for i in range(MONTHS - 2):
        value = min(Decimal(62) + Decimal("1.5") * i + Decimal((i * 3) % 7) - 3, Decimal(100))
        s.report(
            "2.2",
            Report(
                months[i],
                str(value),
                by="hendra",
                outcome="submitted" if i == MONTHS - 3 else "approved",
            ),
        )
    for i, total in enumerate(AUDITS):
        s.report(
            "3.1",
            Report(
                quarters[i],
                total,
                keyed("province", split(total, JAVA)),
                by="lina",
                sites=MILLS[: 1 + i % 3],
                evidence={
                    f"audit-summary-{quarters[i]}.csv": sites_record(
                        MILLS[: 1 + i % 3], "audits completed", total
                    )
                },
            ),
        )
    # The current quarter's audits are being written up.
    s.report(
        "3.1",
        Report(
            quarters[-1],
            2,
            keyed("province", {"ID-JB": 1, "ID-JT": 1, "ID-BT": 0}),
            by="lina",
            outcome="draft",
        ),
    )
    for i, total in enumerate(WORKERS):
        s.report(
            "4.1",
            Report(
                quarters[i],
                total,
                keyed("sex", split(total, {"female": Decimal(70), "male": Decimal(30)})),
                by="wati",
                submitted_by="rudi",
                late_days=20 if i >= 2 else 0,
                narrative="Factory managers cancelled two sessions during the peak season."
                if i >= 3
                else "",
            ),
        )
    s.report(
        "4.1",
        Report(
            quarters[len(WORKERS)],
            85,
            keyed("sex", {"female": 60, "male": 25}),
            by="wati",
            submitted_by="rudi",
            outcome="returned",
            late_days=25,
            returned_because="Attach the attendance lists of the six sessions, please.",
        ),
    )
    s.report(
        "5.1",
        Report(
            years[0],
            text="The technical committee agreed the scope and a first draft of the SNI; "
            "public consultation is planned for next year.",
            by="eko",
        ),
    )
    s.report(
        "5.1",
        Report(
            years[1],
            text="Public consultation held in five cities; the final draft went to the "
            "national consensus meeting.",
            by="eko",
            outcome="submitted",
        ),
    )
    s.close("quarterly", quarters[:3])
    s.backdate()


def seed() -> None:
    """Give both demo partnerships two years of monitoring (idempotent)."""
    seed_immunisation()
    seed_textiles()
