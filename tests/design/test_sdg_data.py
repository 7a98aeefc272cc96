"""The shipped SDG data file: complete, well formed, attributed and reproducible."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from sinergi.partnerships import sdg

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
DATA_FILE = ROOT / "sinergi" / "partnerships" / "sdg" / "sdg.json"


@pytest.fixture(scope="module")
def data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def test_the_file_holds_17_goals_169_targets_and_the_global_indicators(data):
    assert len(data["goals"]) == 17
    assert len(data["targets"]) == 169
    assert len(data["indicators"]) >= 230
    assert [g["code"] for g in data["goals"]] == [str(n) for n in range(1, 18)]


def test_codes_are_official_and_every_item_hangs_under_a_known_parent(data):
    goals = {g["code"] for g in data["goals"]}
    targets = {t["code"] for t in data["targets"]}
    for target in data["targets"]:
        assert re.fullmatch(r"\d{1,2}\.(\d{1,2}|[a-z])", target["code"]), target
        assert target["goal"] in goals
    for indicator in data["indicators"]:
        assert re.fullmatch(r"\d{1,2}\.(\d{1,2}|[a-z])\.\d{1,2}", indicator["code"]), indicator
        assert indicator["target"] in targets
        assert indicator["code"].startswith(indicator["target"] + ".")
    assert len({i["code"] for i in data["indicators"]}) == len(data["indicators"])
    assert {"3.b.1", "8.8.1", "12.4.2", "17.19.2"} <= {i["code"] for i in data["indicators"]}


def test_titles_are_clean_single_lines(data):
    for item in data["goals"] + data["targets"] + data["indicators"]:
        title = item["title_en"]
        assert title and title == " ".join(title.split()), item["code"]
        assert not title.startswith("Goal "), item["code"]
        assert "\u2010" not in title and "\u2011" not in title
    # The IATI file glues a footnote number to 14.6's last word.
    assert not [t["code"] for t in data["targets"] if re.search(r"[a-z]{3}\d+$", t["title_en"])]
    assert next(t for t in data["targets"] if t["code"] == "14.6")["title_en"].endswith(
        "negotiation"
    )


def test_every_goal_has_an_indonesian_name_a_un_colour_and_a_readable_text_colour(data):
    for goal in data["goals"]:
        assert goal["title_id"] and goal["short_id"] and goal["short_en"]
        assert re.fullmatch(r"#[0-9A-F]{6}", goal["colour"])
        assert goal["text_colour"] in ("#FFFFFF", "#1A1A1A")
    by_code = {g["code"]: g for g in data["goals"]}
    assert by_code["3"]["short_id"] == "Kehidupan Sehat dan Sejahtera"
    assert by_code["17"]["short_id"] == "Kemitraan untuk Mencapai Tujuan"
    assert by_code["1"]["colour"] == "#E5243B"
    assert by_code["7"]["text_colour"] == "#1A1A1A"  # dark text on the yellow of goal 7


def test_targets_and_indicators_follow_the_official_order(data):
    codes = [t["code"] for t in data["targets"] if t["goal"] == "8"]
    assert codes.index("8.9") < codes.index("8.10") < codes.index("8.a")
    indicators = [i["code"] for i in data["indicators"]]
    assert indicators.index("1.1.1") == 0
    assert indicators.index("16.9.1") < indicators.index("16.10.1") < indicators.index("16.a.1")


def test_the_sources_and_licences_are_kept(data):
    licences = json.dumps(data["attribution"])
    assert "CC BY 4.0" in licences
    assert "MIT" in licences
    assert "open-sdg/sdg-translations" in licences


def test_the_data_file_is_shipped_with_the_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["*"]
    assert any(fnmatch("sdg.json", pattern) for pattern in patterns)


@pytest.mark.skipif(
    not (SHARED / "sdg" / "global_indicators.yml").exists(),
    reason="the official SDG lists are not in ../shared/data here",
)
def test_the_build_script_reproduces_the_committed_file_byte_for_byte(tmp_path):
    pytest.importorskip("yaml", reason="the build script needs PyYAML (a dev dependency)")
    output = tmp_path / "sdg.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_sdg.py"),
            str(SHARED),
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
    )
    assert output.read_bytes() == DATA_FILE.read_bytes()


def test_the_lookup_module_reads_the_same_file(data):
    assert len(sdg.goals()) == 17
    assert len(sdg.targets()) == 169
    assert len(sdg.indicators()) == len(data["indicators"])
    assert sdg.attribution() == data["attribution"]
