"""The UN Sustainable Development Goals: 17 goals, 169 targets and the global indicators.

The framework ships as `sdg.json` (built by `scripts/build_sdg.py` from the IATI SDG
codelists and open-sdg's indicator list) and is read once per process. Every look-up
is a dictionary access:

    sdg.get("3.b").title            # the target's title in the active language
    sdg.targets("3")                # the targets of goal 3, in official order
    sdg.validate_target_codes(["3.b", "3.8"])
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.text import Truncator
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

DATA_FILE = Path(__file__).with_name("sdg.json")
Kind = Literal["goal", "target", "indicator"]
KINDS: tuple[Kind, ...] = ("goal", "target", "indicator")


@dataclass(frozen=True, slots=True)
class SdgItem:
    """One goal, target or indicator with its official code and titles."""

    kind: Kind
    code: str
    goal: str  # the goal's code ("3" for goal 3 itself)
    parent: str | None  # a target's goal, an indicator's target; None for a goal
    title_en: str
    title_id: str = ""  # only the 17 goals have an Indonesian title
    short_en: str = ""  # goals only: "Good health and well-being"
    short_id: str = ""
    colour: str = ""  # the goal's official colour (hex), for every kind
    text_colour: str = ""  # white or dark, whichever reads best on `colour`

    @property
    def title(self) -> str:
        """The title in the active language (Indonesian falls back to English)."""
        if self.title_id and _indonesian():
            return self.title_id
        return self.title_en

    @property
    def title_lang(self) -> str:
        """The language of `title` ("id" or "en"), for the HTML lang attribute."""
        return "id" if self.title_id and _indonesian() else "en"

    @property
    def short_title(self) -> str:
        """A goal's short name ("Quality education"); the full title for other kinds."""
        if self.short_id and _indonesian():
            return self.short_id
        return self.short_en or self.title

    @property
    def short_title_lang(self) -> str:
        """The language of `short_title`, for the HTML lang attribute."""
        if self.short_id and _indonesian():
            return "id"
        return "en" if self.short_en else self.title_lang

    @property
    def number(self) -> int:
        """The goal number (1 to 17) of this item."""
        return int(self.goal)

    @property
    def anchor(self) -> str:
        """An HTML id for this item on its goal's page, e.g. "target-3.b"."""
        return f"{self.kind}-{self.code}"


def _indonesian() -> bool:
    return (get_language() or "").startswith("id")


@dataclass(frozen=True)
class _Framework:
    by_code: dict[str, SdgItem]
    goals: tuple[SdgItem, ...]
    targets: tuple[SdgItem, ...]
    indicators: tuple[SdgItem, ...]
    children: dict[str, tuple[SdgItem, ...]]  # goal → targets, target → indicators
    indicators_of_goal: dict[str, tuple[SdgItem, ...]]
    haystacks: tuple[tuple[SdgItem, str], ...]  # (item, " normalised words of titles")
    order: dict[str, int]  # code → position in the official order (goal, its targets, …)
    attribution: dict


@cache
def _framework() -> _Framework:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    colours = {g["code"]: (g["colour"], g["text_colour"]) for g in data["goals"]}
    goals = tuple(
        SdgItem(
            kind="goal",
            code=g["code"],
            goal=g["code"],
            parent=None,
            title_en=g["title_en"],
            title_id=g["title_id"],
            short_en=g["short_en"],
            short_id=g["short_id"],
            colour=g["colour"],
            text_colour=g["text_colour"],
        )
        for g in data["goals"]
    )
    targets = tuple(
        SdgItem(
            kind="target",
            code=t["code"],
            goal=t["goal"],
            parent=t["goal"],
            title_en=t["title_en"],
            colour=colours[t["goal"]][0],
            text_colour=colours[t["goal"]][1],
        )
        for t in data["targets"]
    )
    indicators = tuple(
        SdgItem(
            kind="indicator",
            code=i["code"],
            goal=i["goal"],
            parent=i["target"],
            title_en=i["title_en"],
            colour=colours[i["goal"]][0],
            text_colour=colours[i["goal"]][1],
        )
        for i in data["indicators"]
    )
    children: dict[str, list[SdgItem]] = {}
    of_goal: dict[str, list[SdgItem]] = {}
    for item in targets + indicators:
        children.setdefault(item.parent, []).append(item)
    for item in indicators:
        of_goal.setdefault(item.goal, []).append(item)
    everything = goals + targets + indicators
    haystacks = tuple(
        (
            item,
            " "
            + _normalise(" ".join((item.title_en, item.title_id, item.short_en, item.short_id))),
        )
        for item in everything
    )
    return _Framework(
        by_code={item.code: item for item in everything},
        goals=goals,
        targets=targets,
        indicators=indicators,
        children={code: tuple(items) for code, items in children.items()},
        indicators_of_goal={code: tuple(items) for code, items in of_goal.items()},
        haystacks=haystacks,
        order=_official_order(goals, children),
        attribution=data["attribution"],
    )


def _official_order(
    goals: tuple[SdgItem, ...], children: dict[str, list[SdgItem]]
) -> dict[str, int]:
    order: dict[str, int] = {}
    for goal in goals:
        order[goal.code] = len(order)
        for target in children.get(goal.code, ()):
            order[target.code] = len(order)
            for indicator in children.get(target.code, ()):
                order[indicator.code] = len(order)
    return order


def sort_key(code: str) -> int:
    """Where `code` comes in the official order (8.9 before 8.10 before 8.a); unknown last."""
    return _framework().order.get(code, 1_000_000)


def normalise_code(code: object) -> str:
    """ "SDG 3.B " → "3.b"; anything that is not text → ""."""
    if not isinstance(code, str):
        return ""
    code = code.strip().lower()
    if code.startswith("sdg"):
        code = code[3:].strip()
    return code.rstrip(".")


def get(code: object) -> SdgItem | None:
    """The goal, target or indicator with this official code ("3", "3.b", "3.b.1")."""
    return _framework().by_code.get(normalise_code(code))


def goals() -> tuple[SdgItem, ...]:
    """The 17 goals in order."""
    return _framework().goals


def targets(goal: str | None = None) -> tuple[SdgItem, ...]:
    """All 169 targets, or those of one goal (empty for an unknown goal)."""
    if goal is None:
        return _framework().targets
    item = get(goal)
    if item is None or item.kind != "goal":
        return ()
    return _framework().children.get(item.code, ())


def indicators(target: str | None = None, *, goal: str | None = None) -> tuple[SdgItem, ...]:
    """All indicators, those of one target, or those of one goal (empty when unknown)."""
    framework = _framework()
    if target is not None:
        item = get(target)
        if item is None or item.kind != "target":
            return ()
        found = framework.children.get(item.code, ())
        if goal is not None and normalise_code(goal) != item.goal:
            return ()
        return found
    if goal is not None:
        item = get(goal)
        if item is None or item.kind != "goal":
            return ()
        return framework.indicators_of_goal.get(item.code, ())
    return framework.indicators


def attribution() -> dict:
    """Where the data comes from and under which licence."""
    return _framework().attribution


# Search --------------------------------------------------------------------------------

CODE_QUERY = re.compile(r"^\d{1,2}(\.([0-9]{1,2}|[a-z])){0,2}$")
_WORD = re.compile(r"[\w-]+")
# British spellings find the UN's American ones: "immunisation" → "immunization".
_BRITISH = re.compile(r"is(ation|ations|e|es|ed|ing)\b")


def _normalise(text: str) -> str:
    text = text.casefold().replace("\u2010", "-").replace("\u2011", "-")
    return " ".join(_BRITISH.sub(r"iz\1", word) for word in _WORD.findall(text))


def search(query: str, limit: int = 20) -> list[SdgItem]:
    """Goals, targets and indicators matching `query`, in official order, at most `limit`.

    A code ("3", "3.b", "SDG 3.b") finds that item and everything under it; words find
    the items whose English or Indonesian title has a word starting with each of them.
    """
    framework = _framework()
    code = normalise_code(query)
    if not code or limit <= 0:
        return []
    if CODE_QUERY.match(code):
        found = []
        for item in framework.goals + framework.targets + framework.indicators:
            if item.code == code or item.code.startswith(code + "."):
                found.append(item)
        return found[:limit]
    words = [" " + word for word in _normalise(query).split()]
    if not words:
        return []
    found = []
    for item, haystack in framework.haystacks:
        if all(word in haystack for word in words):
            found.append(item)
            if len(found) >= limit:
                break
    return found


def suggest_targets(query: str, limit: int = 15) -> list[SdgItem]:
    """Targets for a picker: those matching `query`, and those whose indicators match."""
    found: dict[str, SdgItem] = {}
    for item in search(query, limit=400):
        if item.kind == "goal":
            candidates: Iterable[SdgItem] = targets(item.code)
        elif item.kind == "indicator":
            candidates = (get(item.parent),)
        else:
            candidates = (item,)
        for target in candidates:
            found.setdefault(target.code, target)
        if len(found) >= limit:
            break
    return list(found.values())[:limit]


# Validation ------------------------------------------------------------------------------


def validate_target_codes(codes: object) -> None:
    """Raise ValidationError unless `codes` is a list of known SDG target codes ("3.b")."""
    if not isinstance(codes, list | tuple):
        raise ValidationError(
            _("Give the SDG targets as a list of official target codes, e.g. 3.b."),
            code="invalid",
        )
    by_code = _framework().by_code
    unknown = []
    for code in codes:
        item = by_code.get(code) if isinstance(code, str) else None
        if item is None or item.kind != "target":
            unknown.append(str(code))
    if unknown:
        message = ngettext(
            "%(codes)s is not an SDG target code. Use an official target code such as 3.b.",
            "%(codes)s are not SDG target codes. Use official target codes such as 3.b.",
            len(unknown),
        ) % {"codes": _shown_codes(unknown)}
        raise ValidationError(message, code="unknown_sdg_target")


# How much of the refused codes a message repeats: a target code is at most five
# characters ("17.19"), so a longer value is cut, and a long list ends after a few.
SHOWN_CODE_LENGTH = 20
SHOWN_CODES = 5


def _shown_codes(codes: list[str]) -> str:
    """The first few of `codes`, each quoted and cut to SHOWN_CODE_LENGTH with "…"."""
    quoted = [f"“{Truncator(code).chars(SHOWN_CODE_LENGTH)}”" for code in codes[:SHOWN_CODES]]
    return ", ".join(quoted) + (", …" if len(codes) > SHOWN_CODES else "")
