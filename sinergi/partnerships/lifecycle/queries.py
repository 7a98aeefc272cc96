"""Read paths for the lifecycle: a stage's checklist and the overview of all stages."""

from __future__ import annotations

from dataclasses import dataclass, field

from sinergi.partnerships.lifecycle.checklist import STAGES, Facts, Item, evaluate
from sinergi.partnerships.models import Partnership, Stage


@dataclass(frozen=True)
class StageSummary:
    """One stage of the lifecycle with the checklist for leaving it."""

    value: str
    label: str
    position: int
    current: bool
    passed: bool
    items: list[Item] = field(default_factory=list)

    @property
    def required(self) -> list[Item]:
        return [item for item in self.items if item.blocking]

    @property
    def required_done(self) -> int:
        return sum(1 for item in self.required if item.done)

    @property
    def missing(self) -> list[Item]:
        """Required items that are not done: what stops the partnership from moving on."""
        return [item for item in self.required if not item.done]

    @property
    def ready(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class StageOverview:
    stage: str
    stages: list[StageSummary]

    @property
    def current(self) -> StageSummary:
        return next(s for s in self.stages if s.current)

    @property
    def next_stage(self) -> StageSummary | None:
        position = self.current.position
        return self.stages[position + 1] if position + 1 < len(self.stages) else None

    @property
    def previous_stages(self) -> list[StageSummary]:
        return [s for s in self.stages if s.passed]

    @property
    def upcoming(self) -> list[StageSummary]:
        return [s for s in self.stages if s.position > self.current.position]

    @property
    def can_advance(self) -> bool:
        return self.next_stage is not None and self.current.ready


def next_stage(stage: str) -> str | None:
    """The stage after `stage`, or None after the last one."""
    position = STAGES.index(stage)
    return STAGES[position + 1] if position + 1 < len(STAGES) else None


def checklist(partnership: Partnership, stage: str | None = None) -> list[Item]:
    """The items to get done before leaving `stage` (by default the current stage)."""
    return evaluate(Facts(partnership), stage or partnership.stage)


def stage_overview(partnership: Partnership) -> StageOverview:
    """All stages in order, the current one marked, each with its checklist.

    The checklists share one `Facts`, so the whole overview costs a fixed number of
    queries (one per kind of design data).
    """
    facts = Facts(partnership)
    current = STAGES.index(partnership.stage)
    labels = dict(Stage.choices)
    return StageOverview(
        stage=partnership.stage,
        stages=[
            StageSummary(
                value=stage,
                label=str(labels[stage]),
                position=position,
                current=position == current,
                passed=position < current,
                items=evaluate(facts, stage),
            )
            for position, stage in enumerate(STAGES)
        ],
    )


@dataclass(frozen=True)
class StageIndicator:
    """The compact stage indicator on the partnership's overview page."""

    stage: str
    stages: list[tuple[str, str]]
    done: int
    total: int


def stage_indicator(partnership: Partnership) -> StageIndicator:
    """The five stages with the current one, and how many of its required items are done."""
    required = [item for item in checklist(partnership) if item.blocking]
    return StageIndicator(
        stage=partnership.stage,
        stages=[(value, str(label)) for value, label in Stage.choices],
        done=sum(1 for item in required if item.done),
        total=len(required),
    )
