"""Generate the results scale data into the configured (empty, migrated) database.

    .venv/bin/python benchmarks/results/data.py [--seed 2025] [--scale 1.0]
        [--partnerships 2000] [--indicators 100000] [--values 10000000]

Uses the database the Django settings point at (DATABASE_URL for PostgreSQL, else SQLite at
SINERGI_SQLITE_PATH); `run.py` gives each run a fresh one. First the load benchmark's
registry (`benchmarks/generate.py`: 10,000 organisations, 20,000 people, 2,000
partnerships with ten partners each, the user `bench` and its API token); `bench` is made
staff (it sees every partnership: the portfolio's reader) and a coordinator of every
partnership with results (it approves). Then, for `--partnerships` of those partnerships
(`--scale` multiplies the three defaults), deterministically from the seed:

- 1-3 goals with SDG targets; a results framework of impacts → outcomes → outputs (IATI
  result types 3, 2, 1), each result with 0-2 SDG targets;
- dimensions: sex and age group (exhaustive), 3-9 provinces (ISO 3166-2, exhaustive) and
  a custom, non-exhaustive "with a disability";
- `--indicators` indicators spread over the partnerships with a long tail (50 per
  partnership on average): counts (cumulative or level), percentages (level) and
  qualitative ones; increase or decrease good; monthly, quarterly or yearly; a baseline
  at 2022-12-31; a responsible partner; a third linked to an SDG indicator; 0-3
  dimensions each;
- reporting periods of each frequency from 2023-01 to 2026-12 (due 30 days after their
  end, closed when they ended before 2025-07), a total target for every period of every
  scored indicator and, for a fifth of the disaggregated ones, targets per sex;
- the approved values: for every indicator and period ending by 2026-09-30, with a
  probability set so that the total comes to `--values`, one approved revision in force
  (`Submission`, status approved, `is_current`) and its breakdown by every dimension of the
  indicator (`SubmissionValue`: exhaustive dimensions add up to the total); 1 % of them
  replace an earlier approved revision (kept, not in force);
- the roll-ups, as the services keep them: `IndicatorStatus` per indicator from
  `sinergi.results.progress.assess` and `SdgProgress` per partnership and SDG target,
  computed here in memory while the partnership's rows are made (the same inputs
  `rollups.refresh_indicator` and `rollups.refresh_sdg` read) and checked against those two
  functions for a sample of partnerships after the load.

"Approved values" counts `Submission` rows with status approved and in force, plus their
`SubmissionValue` breakdown rows (the superseded revisions are counted apart). The bulk
values have no ledger entries (the ledger is measured on its own; the approvals that the
benchmark measures go through `services.approve` and the real ledger).

Rows go in with plain multi-row writes (COPY on PostgreSQL, executemany on SQLite, through
finance's `Rows`), a partnership at a time, so memory stays flat. Writes `dataset.json`
(slugs and counts) and `token.txt` to SINERGI_DATA_DIR and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

BENCHMARKS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCHMARKS))  # generate.py, common.py, finance/, matching/

from finance.data import Ids, Rows, reset_sequences, spread_counts  # noqa: E402

FIRST = date(2023, 1, 1)
LAST = date(2026, 12, 31)  # targets up to here
REPORTED_UNTIL = date(2026, 9, 30)  # approved values for periods ending by then
CLOSED_BEFORE = date(2025, 7, 1)
BASELINE_DATE = date(2022, 12, 31)
DUE_DAYS = 30
PROVINCES = [
    "ID-AC", "ID-BA", "ID-BB", "ID-BE", "ID-BT", "ID-GO", "ID-JA", "ID-JB", "ID-JI", "ID-JK",
    "ID-JT", "ID-KB", "ID-KI", "ID-KR", "ID-KS", "ID-KT", "ID-KU", "ID-LA", "ID-MA", "ID-MU",
    "ID-NB", "ID-NT", "ID-PA", "ID-PB", "ID-RI", "ID-SA", "ID-SB", "ID-SG", "ID-SN", "ID-SR",
    "ID-SS", "ID-ST", "ID-SU", "ID-YO",
]  # fmt: skip
SDG_TARGETS = [
    "1.4", "2.1", "2.3", "3.1", "3.2", "3.3", "3.8", "3.b", "4.1", "4.5", "5.5", "6.1",
    "6.2", "6.3", "7.2", "8.5", "8.7", "8.8", "12.4", "12.5", "13.1", "14.2", "15.1", "17.17",
]  # fmt: skip
TITLES = {
    "count": ["People reached", "Health workers trained", "Factories audited",
              "Households with safe water", "Hectares restored", "Farmers certified",
              "Children vaccinated", "Workers covered by a wage agreement"],
    "level": ["Average monthly wage (thousand IDR)", "Tonnes of hazardous chemicals in use",
              "Clinics with stock-outs", "Litres of water per person per day"],
    "percent": ["Immunisation coverage", "Share of girls completing school",
                "Households treating drinking water", "Factories meeting the code of conduct"],
    "text": ["Policy dialogue with the province", "Quality of the referral system"],
}  # fmt: skip


def months_after(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, 1)


def period_spans(frequency: str) -> list[tuple[str, date, date]]:
    """(label, start, end) of every period of `frequency` from FIRST to LAST."""
    step = {"monthly": 1, "quarterly": 3, "yearly": 12}[frequency]
    spans, start = [], FIRST
    while start <= LAST:
        end = months_after(start, step) - timedelta(days=1)
        if frequency == "yearly":
            label = f"{start.year}"
        elif frequency == "quarterly":
            label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        else:
            label = f"{start.year}-{start.month:02d}"
        spans.append((label, start, end))
        start = end + timedelta(days=1)
    return spans


SPANS = {f: period_spans(f) for f in ("monthly", "quarterly", "yearly")}


def at(day: date, hours: int = 9) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hours)


def stored_percent(percent: Decimal | None) -> Decimal | None:
    """A percent as `rollups.refresh_indicator` stores it (kept within its column)."""
    from sinergi.results import rollups

    limit = getattr(rollups, "PERCENT_LIMIT", None)
    if percent is None or limit is None:
        return percent
    return min(max(percent, -limit), limit)


class Filled:
    """finance's `Rows`, filling columns the generator does not name with the field's
    default, so a column added to a model later does not stop the benchmark."""

    def __init__(self) -> None:
        self.rows = Rows()
        self.missing: dict[type, dict[str, object]] = {}

    @property
    def written(self) -> dict[str, int]:
        return self.rows.written

    def add(self, model: type, row: dict) -> None:
        from django.db import models

        extra = self.missing.get(model)
        if extra is None:
            extra = {}
            for field in model._meta.concrete_fields:
                if field.attname not in row:
                    value = field.get_default()
                    if isinstance(field, models.JSONField):
                        value = json.dumps(value)
                    extra[field.attname] = value
            self.missing[model] = extra
        if extra:
            row = extra | row
        self.rows.add(model, row)

    def flush_all(self) -> None:
        self.rows.flush_all()


def split_whole(rng: random.Random, total: int, n: int) -> list[int]:
    """`total` (a whole number) in `n` random whole parts that add up to it exactly."""
    weights = [rng.random() + 0.2 for _ in range(n)]
    scale = total / sum(weights)
    parts = [int(w * scale) for w in weights]
    for i in range(total - sum(parts)):
        parts[i % n] += 1
    return parts


class Framework:
    """One partnership's framework (specs only), drawn from its own random stream."""

    def __init__(self, seed: int, p: SimpleNamespace, n_indicators: int) -> None:
        self.p = p
        rng = self.rng = random.Random(f"{seed}-results-{p.pk}")
        self.goals = [
            {"title": f"Goal {n + 1}", "sdg": sorted(rng.sample(SDG_TARGETS, rng.randint(1, 2)))}
            for n in range(rng.randint(1, 3))
        ]
        provinces = sorted(rng.sample(PROVINCES, rng.randint(3, 9)))
        self.dimensions = [
            ("sex", "Sex", "sex", True, [("female", "Female"), ("male", "Male")]),
            ("age", "Age group", "age", True,
             [("0-4", "0-4"), ("5-14", "5-14"), ("15-24", "15-24"), ("25+", "25+")]),
            ("province", "Province", "subdivision", True, [(c, c) for c in provinces]),
            ("disability", "Disability", "custom", False, [("yes", "With a disability")]),
        ]  # fmt: skip
        # Results: impacts → outcomes → outputs; indicators hang mostly under outputs.
        self.results: list[dict] = []
        for i in range(rng.randint(1, 2)):
            impact = self._result("3", None, f"Impact {i + 1}")
            for j in range(rng.randint(2, 3)):
                outcome = self._result("2", impact, f"Outcome {i + 1}.{j + 1}")
                for k in range(rng.randint(2, 4)):
                    self._result("1", outcome, f"Output {i + 1}.{j + 1}.{k + 1}")
        outputs = [r for r in self.results if r["type"] == "1"]
        others = [r for r in self.results if r["type"] != "1"]
        self.indicators = []
        for n in range(n_indicators):
            result = rng.choice(others) if others and rng.random() < 0.15 else rng.choice(outputs)
            self.indicators.append(self._indicator(n, result))

    def _result(self, kind: str, parent: dict | None, title: str) -> dict:
        rng = self.rng
        goal = rng.randrange(len(self.goals)) if kind == "3" else None
        sdg_targets = sorted(rng.sample(SDG_TARGETS, rng.choice([0, 0, 1, 1, 2])))
        result = {"n": len(self.results), "type": kind, "parent": parent, "title": title,
                  "goal": goal, "sdg": sdg_targets}  # fmt: skip
        self.results.append(result)
        return result

    def _indicator(self, n: int, result: dict) -> dict:
        rng = self.rng
        kind = rng.choices(["count", "level", "percent", "text"], weights=[45, 15, 32, 8])[0]
        frequency = rng.choices(["monthly", "quarterly", "yearly"], weights=[15, 65, 20])[0]
        ascending = kind != "level" or rng.random() < 0.5
        if kind == "percent" and rng.random() < 0.15:
            ascending = False
        dims: list[int] = []
        if kind != "text":
            if rng.random() < 0.8:
                dims.append(0)  # sex
            if rng.random() < 0.35:
                dims.append(1)  # age
            if rng.random() < 0.6:
                dims.append(2)  # province
            if rng.random() < 0.15:
                dims.append(3)  # disability
        sdg_indicator = ""
        if rng.random() < 0.33:
            from sinergi.partnerships import sdg

            candidates = sdg.indicators(rng.choice(result["sdg"] or SDG_TARGETS))
            if candidates:
                sdg_indicator = rng.choice(candidates).code
        baseline = None
        if kind == "level":
            baseline = Decimal(rng.randint(100, 5000))
        elif kind == "percent":
            baseline = Decimal(rng.randint(20, 70)) if ascending else Decimal(rng.randint(20, 60))
        if kind == "count":
            goal = None
            step = Decimal(max(1, int(rng.lognormvariate(4.5, 1.2))))  # target per period
            step *= {"monthly": 1, "quarterly": 3, "yearly": 12}[frequency]
        elif kind == "level":
            factor = rng.uniform(1.3, 2.0) if ascending else rng.uniform(0.3, 0.7)
            goal = (baseline * Decimal(str(factor))).quantize(Decimal(1))
            step = None
        elif kind == "percent":
            goal = (
                min(Decimal(99), baseline + rng.randint(10, 30))
                if ascending
                else (baseline / 2).quantize(Decimal(1))
            )
            step = None
        else:
            goal = step = None
        return {
            "n": n, "result": result, "kind": kind, "frequency": frequency,
            "ascending": ascending, "dims": dims, "sdg_indicator": sdg_indicator,
            "baseline": baseline, "goal": goal, "step": step,
            "responsible": rng.choice(self.p.reporters),
            "perf": rng.triangular(0.35, 1.25, 1.0), "sex_targets": bool(dims) and
            dims[0] == 0 and rng.random() < 0.2 and kind != "text",
        }  # fmt: skip

    def expected_values(self) -> int:
        """Approved values if every period were reported: one total plus one per category."""
        total = 0
        for ind in self.indicators:
            per = 1 + sum(len(self.dimensions[d][4]) for d in ind["dims"])
            periods = sum(1 for _l, _s, end in SPANS[ind["frequency"]] if end <= REPORTED_UNTIL)
            total += per * periods
        return total


class Writer:
    """Rows of one partnership's framework, targets, values and roll-ups."""

    def __init__(self, ctx: SimpleNamespace, fw: Framework, coverage: float) -> None:
        self.ctx, self.fw, self.coverage = ctx, fw, coverage

    def write(self) -> None:
        from sinergi.partnerships import sdg
        from sinergi.partnerships.models import Goal
        from sinergi.results import progress
        from sinergi.results.models import (
            Dimension,
            Indicator,
            IndicatorStatus,
            Period,
            Result,
            SdgProgress,
            Target,
        )
        from sinergi.results.rollups import sdg_targets_of

        ctx, fw, p = self.ctx, self.fw, self.fw.p
        rng = random.Random(f"{ctx.seed}-values-{p.pk}")
        add, new_id, counts = ctx.rows.add, ctx.ids, ctx.counts
        created = at(FIRST - timedelta(days=30))
        through = Indicator.dimensions.through

        goal_ids = []
        for n, goal in enumerate(fw.goals):
            gid = new_id(Goal)
            goal_ids.append(gid)
            add(Goal, {
                "id": gid, "partnership_id": p.pk, "title": goal["title"], "measure": "",
                "baseline_value": None, "target_value": None, "unit": "", "target_date": None,
                "owner_id": None, "sdg_targets": json.dumps(goal["sdg"]), "position": n,
                "created_at": created, "updated_at": created,
            })  # fmt: skip
        dim_ids = []
        for n, (code, name, kind, exhaustive, categories) in enumerate(fw.dimensions):
            did = new_id(Dimension)
            dim_ids.append(did)
            add(Dimension, {
                "id": did, "partnership_id": p.pk, "code": code, "name": name, "kind": kind,
                "exhaustive": exhaustive, "position": n,
                "categories": json.dumps([{"code": c, "label": label} for c, label in categories]),
            })  # fmt: skip
        result_links: dict[int, tuple[int | None, int | None, list[str]]] = {}
        for result in fw.results:
            result["id"] = new_id(Result)
            parent = result["parent"]["id"] if result["parent"] else None
            goal = goal_ids[result["goal"]] if result["goal"] is not None else None
            result_links[result["id"]] = (parent, goal, result["sdg"])
            add(Result, {
                "id": result["id"], "partnership_id": p.pk, "parent_id": parent,
                "type": result["type"], "title": result["title"], "description": "",
                "goal_id": goal, "work_package_id": None, "sdg_targets": json.dumps(result["sdg"]),
                "position": result["n"], "created_at": created,
            })  # fmt: skip
        goal_links = {gid: goal["sdg"] for gid, goal in zip(goal_ids, fw.goals, strict=True)}
        periods: dict[tuple[str, str], int] = {}
        for frequency in sorted({ind["frequency"] for ind in fw.indicators}):
            for label, start, end in SPANS[frequency]:
                pid = periods[frequency, label] = new_id(Period)
                add(Period, {
                    "id": pid, "partnership_id": p.pk, "frequency": frequency, "start": start,
                    "end": end, "due": end + timedelta(days=DUE_DAYS),
                    "closed": end < CLOSED_BEFORE,
                })  # fmt: skip
        ctx.periods += len(periods)

        summaries: dict[str, progress.Summary] = defaultdict(progress.Summary)
        codes: dict[str, list[str]] = defaultdict(list)
        for ind in fw.indicators:
            iid = new_id(Indicator)
            kind, frequency = ind["kind"], ind["frequency"]
            code = f"{ind['result']['n'] + 1}.{ind['n'] + 1}"
            measure = {"count": "1", "level": "1", "percent": "2", "text": "5"}[kind]
            cumulative = kind == "count"
            add(Indicator, {
                "id": iid, "partnership_id": p.pk, "result_id": ind["result"]["id"],
                "code": code, "title": rng.choice(TITLES[kind]), "description": "",
                "measure": measure, "unit": {"count": "people", "level": "", "percent": "%",
                                             "text": ""}[kind],
                "ascending": ind["ascending"],
                "accumulation": "cumulative" if cumulative else "level",
                "frequency": frequency, "baseline_value": ind["baseline"],
                "baseline_date": BASELINE_DATE if ind["baseline"] is not None else None,
                "responsible_id": ind["responsible"], "sdg_indicator": ind["sdg_indicator"],
                "position": ind["n"], "created_at": created,
            })  # fmt: skip
            for d in ind["dims"]:
                add(through, {"id": new_id(through), "indicator_id": iid,
                              "dimension_id": dim_ids[d]})  # fmt: skip
            spans = SPANS[frequency]
            figures = []
            for k, (label, start, end) in enumerate(spans):
                pid = periods[frequency, label]
                target = None
                if kind != "text":
                    target = self.target(ind, k, len(spans))
                    add(Target, {"id": new_id(Target), "indicator_id": iid, "period_id": pid,
                                 "category": "", "value": target})  # fmt: skip
                    if ind["sex_targets"]:
                        female = (target * Decimal("0.52")).quantize(Decimal(1)) if (
                            measure == "1") else target  # fmt: skip
                        male = target - female if measure == "1" else target
                        for cat, value in (("sex:female", female), ("sex:male", male)):
                            add(Target, {"id": new_id(Target), "indicator_id": iid,
                                         "period_id": pid, "category": cat,
                                         "value": value})  # fmt: skip
                actual = None
                if end <= REPORTED_UNTIL and rng.random() < self.coverage:
                    actual = self.submit(rng, ind, iid, pid, target, end)
                if target is not None or actual is not None:
                    figures.append(progress.PeriodFigures(
                        label=label, start=start, end=end, target=target, actual=actual, key=pid,
                    ))  # fmt: skip
            a = progress.assess(
                figures, baseline=ind["baseline"],
                baseline_date=BASELINE_DATE if ind["baseline"] is not None else None,
                ascending=ind["ascending"], cumulative=cumulative, scored=kind != "text",
            )  # fmt: skip
            add(IndicatorStatus, {
                "indicator_id": iid, "partnership_id": p.pk, "period_id": a.latest_key,
                "actual": a.actual, "target": a.target, "final_target": a.final_target,
                "percent": stored_percent(a.percent),
                "percent_to_date": stored_percent(a.percent_to_date),
                "progress": a.progress, "trend": a.trend, "approved": a.approved,
                "series": json.dumps(a.series), "updated_at": ctx.now,
            })  # fmt: skip
            ctx.statuses[a.progress] += 1
            targets = sdg_targets_of(
                ind["sdg_indicator"], ind["result"]["id"], result_links, goal_links
            )
            # A row per SDG target and one per goal (keyed by the goal's code), in which
            # an indicator counts once: as rollups.refresh_sdg writes them.
            for key in sorted(targets | {target.split(".")[0] for target in targets}):
                summaries[key].add(a.progress, a.percent_to_date)
                codes[key].append(code)
        for target, s in sorted(summaries.items(), key=lambda kv: sdg.sort_key(kv[0])):
            add(SdgProgress, {
                "id": new_id(SdgProgress), "partnership_id": p.pk, "goal": target.split(".")[0],
                "target": target, "indicators": s.indicators, "on_track": s.on_track,
                "at_risk": s.at_risk, "off_track": s.off_track,
                "no_data": s.no_data, "not_scored": s.not_scored, "scored": s.scored,
                "percent_sum": s.percent_sum, "indicator_codes": json.dumps(codes[target]),
            })  # fmt: skip
        counts["indicators"] += len(fw.indicators)

    @staticmethod
    def target(ind: dict, k: int, n: int) -> Decimal:
        """The period's total target: an increment for counts, a level on the straight
        line from the baseline to the goal otherwise."""
        if ind["kind"] == "count":
            return ind["step"]
        base, goal = ind["baseline"], ind["goal"]
        value = base + (goal - base) * Decimal(k + 1) / Decimal(n)
        places = Decimal("0.1") if ind["kind"] == "percent" else Decimal(1)
        return value.quantize(places)

    def submit(self, rng, ind: dict, iid: int, pid: int, target, end: date) -> Decimal | None:
        """One approved value in force (and now and then the revision it replaced) with
        its breakdown; returns the total."""
        from sinergi.results.models import Submission, SubmissionValue

        ctx = self.ctx
        kind, perf = ind["kind"], ind["perf"] * rng.uniform(0.8, 1.2)
        if kind == "count":
            value = Decimal(max(0, round(float(target) * perf)))
        elif kind in ("level", "percent"):
            base = ind["baseline"]
            value = base + (target - base) * Decimal(str(perf))
            if kind == "percent":
                value = min(Decimal(100), max(Decimal(0), value)).quantize(Decimal("0.1"))
            else:
                value = max(Decimal(0), value).quantize(Decimal(1))
        else:
            value = None
        revision = 1
        if rng.random() < 0.01:  # an approved value corrected later: the old one stays
            ctx.rows.add(Submission, self.submission(iid, pid, ind, 1, False, value, end))
            ctx.counts["superseded"] += 1
            revision = 2
        row = self.submission(iid, pid, ind, revision, True, value, end)
        sid = row["id"]
        ctx.rows.add(Submission, row)
        ctx.counts["submissions"] += 1
        if value is None:
            return None
        for d in ind["dims"]:
            dim_code, _name, _kind, exhaustive, categories = self.fw.dimensions[d]
            keys = [f"{dim_code}:{c}" for c, _label in categories]
            if kind == "percent":
                parts = [
                    min(Decimal(100), max(Decimal(0), value + Decimal(rng.randint(-80, 80)) / 10))
                    for _ in keys
                ]
            elif exhaustive:
                parts = [Decimal(v) for v in split_whole(rng, int(value), len(keys))]
            else:
                parts = [(value * Decimal(str(rng.uniform(0.02, 0.12)))).quantize(Decimal(1))]
            for key, part in zip(keys, parts, strict=True):
                ctx.rows.add(SubmissionValue, {"id": ctx.ids(SubmissionValue),
                                               "submission_id": sid, "category": key,
                                               "value": part})  # fmt: skip
                ctx.counts["breakdown"] += 1
        return value

    def submission(self, iid, pid, ind, revision, current, value, end) -> dict:
        ctx, p = self.ctx, self.fw.p
        entered = at(end + timedelta(days=5))
        return {
            "id": ctx.ids(ctx.submission_model),
            "partnership_id": p.pk, "indicator_id": iid, "period_id": pid,
            "organisation_id": ind["responsible"], "revision": revision, "status": "approved",
            "value": value,
            "text": "" if value is not None else "Steady progress in the districts visited.",
            "narrative": "", "comment": "", "is_current": current,
            "created_by_id": p.reporter, "created_at": entered,
            "submitted_by_id": p.reporter, "submitted_at": entered + timedelta(days=1),
            "decided_by_id": p.coordinator, "decided_at": entered + timedelta(days=4),
            "ledger_index": None,
        }  # fmt: skip


def results_partnerships(rng: random.Random, count: int, bench_id: int) -> list[SimpleNamespace]:
    """`count` partnerships of the registry with their partners and people: `reporter` a
    partner admin (or the creator), `coordinator` the creator; bench a coordinator of each
    and staff."""
    from django.db import transaction

    from sinergi.partners.models import Person
    from sinergi.partnerships.models import Membership, Participation, Partnership

    rows = list(Partnership.objects.order_by("pk").values_list("pk", "slug", "created_by_id"))
    chosen = sorted(rng.sample(rows, count))
    partners: dict[int, list[int]] = defaultdict(list)
    for pid, org in Participation.objects.order_by("pk").values_list(
        "partnership_id", "organisation_id"
    ):
        partners[pid].append(org)
    admins: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pid, person, org in (
        Membership.objects.filter(role="partner_admin")
        .exclude(person_id=bench_id)
        .order_by("pk")
        .values_list("partnership_id", "person_id", "person__organisation_id")
    ):
        admins[pid].append((person, org))
    found = []
    for pk, slug, creator in chosen:
        reporting = sorted({org for _person, org in admins[pk] if org in partners[pk]})
        found.append(
            SimpleNamespace(
                pk=pk,
                slug=slug,
                coordinator=creator,
                reporter=admins[pk][0][0] if admins[pk] else creator,
                # Mostly partners with an admin in the partnership, so values can be entered.
                reporters=(reporting * 3 + partners[pk]) if reporting else partners[pk],
            )
        )
    ids = [p.pk for p in found]
    with transaction.atomic():
        Membership.objects.filter(partnership_id__in=ids, person_id=bench_id).delete()
        Membership.objects.bulk_create(
            [Membership(partnership_id=pk, person_id=bench_id, role="coordinator") for pk in ids],
            batch_size=1000,
        )
        Person.objects.filter(pk=bench_id).update(is_staff=True)
    return found


def check_rollups(sample: list[int]) -> int:
    """The stored roll-ups of `sample` partnerships equal what `rollups` computes."""
    from django.db import transaction

    from sinergi.results import rollups
    from sinergi.results.models import Indicator, IndicatorStatus, SdgProgress

    fields = ["period_id", "actual", "target", "final_target", "percent", "percent_to_date",
              "progress", "trend", "approved", "series"]  # fmt: skip
    checked = 0
    for pid in sample:
        stored = {s.indicator_id: s for s in IndicatorStatus.objects.filter(partnership_id=pid)}
        for indicator in Indicator.objects.filter(partnership_id=pid):
            a = rollups.assess_indicator(indicator)
            mine = stored[indicator.pk]
            computed = {
                "period_id": a.latest_key, "actual": a.actual, "target": a.target,
                "final_target": a.final_target, "percent": stored_percent(a.percent),
                "percent_to_date": stored_percent(a.percent_to_date), "progress": a.progress,
                "trend": a.trend,
                "approved": a.approved, "series": a.series,
            }  # fmt: skip
            for name in fields:
                if getattr(mine, name) != computed[name]:
                    raise RuntimeError(
                        f"indicator {indicator.pk} {name}: stored {getattr(mine, name)!r}, "
                        f"rollups {computed[name]!r}"
                    )
            checked += 1
        keep = [
            "goal", "target", "indicators", "on_track", "at_risk", "off_track", "no_data",
            "not_scored", "scored", "percent_sum", "indicator_codes",
        ]  # fmt: skip
        before = [
            (*row[:-1], tuple(row[-1]))
            for row in SdgProgress.objects.filter(partnership_id=pid).values_list(*keep)
        ]
        with transaction.atomic():
            after = [
                (*(getattr(r, k) for k in keep[:-1]), tuple(r.indicator_codes))
                for r in rollups.refresh_sdg(pid)
            ]
            transaction.set_rollback(True)
        if sorted(before) != sorted(after):
            differ = set(before) ^ set(after)
            raise RuntimeError(f"SDG progress of partnership {pid} differs: {differ}")
    return checked


def generate(seed: int, partnerships: int, indicators: int, values: int) -> dict[str, object]:
    import generate as registry  # benchmarks/generate.py
    from django.db import connection, transaction

    from sinergi.partners.models import Person
    from sinergi.partnerships.models import Goal
    from sinergi.results.models import (
        Dimension,
        Indicator,
        IndicatorStatus,
        Period,
        Result,
        SdgProgress,
        Submission,
        SubmissionValue,
        Target,
    )

    timings: dict[str, float] = {}
    started = time.perf_counter()
    registry.PARTNERSHIPS = max(registry.PARTNERSHIPS, partnerships)
    dataset = registry.generate(seed)
    timings["registry_s"] = time.perf_counter() - started

    rng = random.Random(seed)
    bench_id = Person.objects.get(username="bench").pk
    chosen = results_partnerships(rng, partnerships, bench_id)
    sizes = [max(3, n) for n in spread_counts(rng, indicators, partnerships)]
    t0 = time.perf_counter()
    frameworks = [Framework(seed, p, n) for p, n in zip(chosen, sizes, strict=True)]
    expected = sum(fw.expected_values() for fw in frameworks)
    coverage = min(1.0, values / expected)
    timings["framework_s"] = time.perf_counter() - t0

    through = Indicator.dimensions.through
    models = [Goal, Dimension, Result, Indicator, through, Period, Target, Submission,
              SubmissionValue, SdgProgress]  # fmt: skip
    t0 = time.perf_counter()
    with transaction.atomic():
        ctx = SimpleNamespace(
            seed=seed, rows=Filled(), ids=Ids(models), counts=defaultdict(int), periods=0,
            statuses=defaultdict(int), now=datetime.now(UTC), submission_model=Submission,
        )  # fmt: skip
        for fw in frameworks:
            Writer(ctx, fw, coverage).write()
        ctx.rows.flush_all()
        reset_sequences(models)
    timings["results_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    timings["analyze_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    by_size = sorted(zip(sizes, chosen, strict=True), key=lambda sp: (sp[0], sp[1].pk))
    largest = by_size[-1][1]
    sample = sorted({largest.pk, *(p.pk for p in rng.sample(chosen, min(len(chosen), 5)))})
    checked = check_rollups(sample)
    timings["rollups_checked_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - started

    c = ctx.counts
    data_dir = Path(os.environ["SINERGI_DATA_DIR"])
    token = data_dir / "token.txt"
    token.write_text(dataset.pop("token") + "\n")
    token.chmod(0o600)
    written = ctx.rows.written
    facts = {
        "seed": seed,
        "slugs": [p.slug for p in chosen],
        "largest_slug": largest.slug,
        "largest_indicators": by_size[-1][0],
        "median_indicators": by_size[len(by_size) // 2][0],
        "median_slug": by_size[len(by_size) // 2][1].slug,
        "coverage": round(coverage, 4),
        "counts": {
            "registry_partnerships": dataset["counts"]["partnerships"],
            "results_partnerships": partnerships,
            "indicators": c["indicators"],
            "approved_values": c["submissions"] + c["breakdown"],
            "approved_totals": c["submissions"],
            "approved_breakdown": c["breakdown"],
            "superseded_revisions": c["superseded"],
            "statuses": dict(ctx.statuses),
            **{m.__name__: written.get(m.__name__, 0) for m in [*models, IndicatorStatus]},
        },
        "rollups_checked": {"partnerships": len(sample), "indicators": checked},
        **{key: round(value, 1) for key, value in timings.items()},
    }
    (data_dir / "dataset.json").write_text(json.dumps(facts, indent=2) + "\n")
    return {k: v for k, v in facts.items() if k != "slugs"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the defaults")
    parser.add_argument("--partnerships", type=int)
    parser.add_argument("--indicators", type=int)
    parser.add_argument("--values", type=int)
    args = parser.parse_args()
    partnerships = args.partnerships or max(2, round(2_000 * args.scale))
    indicators = args.indicators or max(10, round(100_000 * args.scale))
    values = args.values or max(100, round(10_000_000 * args.scale))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinergi.settings")
    import django

    django.setup()
    print(json.dumps(generate(args.seed, partnerships, indicators, values)))


if __name__ == "__main__":
    main()
