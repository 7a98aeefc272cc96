"""The SDG look-up API other parts use: get, lists, search and target validation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sinergi.partnerships import sdg


def test_get_finds_goals_targets_and_indicators_by_official_code():
    goal, target, indicator = sdg.get("3"), sdg.get("3.b"), sdg.get("3.b.1")
    assert (goal.kind, goal.parent, goal.goal) == ("goal", None, "3")
    assert (target.kind, target.parent, target.goal) == ("target", "3", "3")
    assert (indicator.kind, indicator.parent, indicator.goal) == ("indicator", "3.b", "3")
    assert goal.colour == target.colour == indicator.colour == "#4C9F38"
    assert indicator.title_en.startswith("Proportion of the target population covered")


def test_get_forgives_case_spaces_and_an_sdg_prefix_but_not_unknown_codes():
    assert sdg.get(" SDG 3.B ").code == "3.b"
    assert sdg.get("8.10").code == "8.10"
    for unknown in ("18", "3.z", "3.b.9", "", "three", None, 3, ["3"]):
        assert sdg.get(unknown) is None


def test_items_are_immutable():
    with pytest.raises(AttributeError):
        sdg.get("3").code = "4"


def test_the_title_follows_the_active_language_and_falls_back_to_english():
    goal, target = sdg.get("3"), sdg.get("3.b")
    with translation.override("id"):
        assert goal.title.startswith("Menjamin kehidupan yang sehat")
        assert goal.short_title == "Kehidupan Sehat dan Sejahtera"
        assert goal.title_lang == "id"
        assert target.title == target.title_en
        assert target.title_lang == "en"
    with translation.override("en"):
        assert goal.title == "Ensure healthy lives and promote well-being for all at all ages"
        assert goal.short_title == "Good health and well-being"


def test_lists_filter_by_goal_and_target():
    assert [g.code for g in sdg.goals()][:3] == ["1", "2", "3"]
    assert [t.code for t in sdg.targets("3")][-4:] == ["3.a", "3.b", "3.c", "3.d"]
    assert [i.code for i in sdg.indicators("3.b")] == ["3.b.1", "3.b.2", "3.b.3"]
    assert all(i.goal == "12" for i in sdg.indicators(goal="12"))
    assert sdg.targets("99") == () and sdg.targets("3.b") == ()
    assert sdg.indicators("3") == () and sdg.indicators(goal="3.b") == ()
    assert sdg.indicators("3.b", goal="4") == ()


def test_search_by_code_finds_the_item_and_everything_under_it_only():
    assert [i.code for i in sdg.search("3.b")] == ["3.b", "3.b.1", "3.b.2", "3.b.3"]
    codes = [i.code for i in sdg.search("1", limit=500)]
    assert codes[0] == "1" and all(c == "1" or c.startswith("1.") for c in codes)
    assert [i.code for i in sdg.search("8.1")] == ["8.1", "8.1.1"]
    assert sdg.search("SDG 17.18")[0].code == "17.18"


def test_search_by_words_matches_word_starts_in_both_languages():
    assert [i.code for i in sdg.search("vaccine")] == ["3.8", "3.b", "3.b.1"]
    assert [i.code for i in sdg.search("kemiskinan")] == ["1"]
    assert "6" in [i.code for i in sdg.search("WATER sanit")]
    assert [i.code for i in sdg.search("under-5")] == ["3.2", "3.2.1"]
    # British spelling finds the UN's American spelling.
    assert "9" in {i.code for i in sdg.search("industrialisation")}
    assert sdg.search("organisation")[0].code == sdg.search("organization")[0].code
    assert sdg.search("xylophone") == [] and sdg.search("   ") == []


def test_search_respects_the_limit():
    assert len(sdg.search("proportion", limit=5)) == 5
    assert sdg.search("water", limit=0) == []


def test_target_suggestions_map_matching_indicators_to_their_targets():
    assert [t.code for t in sdg.suggest_targets("vaccine")] == ["3.8", "3.b"]
    assert all(t.kind == "target" for t in sdg.suggest_targets("3"))


def test_known_target_codes_pass_validation():
    sdg.validate_target_codes(["3.b", "3.8", "17.18"])
    sdg.validate_target_codes([])


@pytest.mark.parametrize(
    ("codes", "named"),
    [
        (["3.b", "3.z"], ["“3.z”"]),
        (["3"], ["“3”"]),  # a goal is not a target
        (["3.b.1"], ["“3.b.1”"]),  # nor is an indicator
        (["9.9", "42"], ["“9.9”", "“42”"]),
        ([3], ["“3”"]),
        (["3.B"], ["“3.B”"]),  # services normalise; the validator checks exact codes
    ],
)
def test_unknown_target_codes_are_named_in_the_error(codes, named):
    with pytest.raises(ValidationError) as caught:
        sdg.validate_target_codes(codes)
    message = caught.value.messages[0]
    for code in named:
        assert code in message
    assert "3.b" in message  # shows what a good code looks like


@pytest.mark.parametrize("value", ["3.b", {"3.b": True}, None, 3])
def test_anything_but_a_list_is_rejected(value):
    with pytest.raises(ValidationError, match="list"):
        sdg.validate_target_codes(value)


def test_the_message_is_translated():
    with translation.override("id"), pytest.raises(ValidationError):
        sdg.validate_target_codes(["3.z"])
