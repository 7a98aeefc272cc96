"""Build `sinergi/partnerships/sdg/sdg.json`: the 17 SDGs, their 169 targets and the indicators.

Run from the repository root:

    python scripts/build_sdg.py [SHARED_DATA_DIR] [--output PATH]

Reads the official lists in SHARED_DATA_DIR (default `../shared/data`):
- `iati/codelists/UNSDG-Goals.xml` and `UNSDG-Targets.xml` (IATI/IATI-Codelists-NonEmbedded,
  CC BY 4.0 — IATI Standard, iatistandard.org): goal and target codes and English titles;
- `sdg/global_indicators.yml` and `sdg/global_goals.yml` (open-sdg/sdg-translations, MIT):
  indicator codes and English titles (keys like `3-b-1-title` → `3.b.1`) and the goals'
  short English names.
The Indonesian goal names and the UN colours are written below by hand. Needs PyYAML (a
development dependency); the app reads only the JSON it writes. The output is
deterministic, so re-running the script on the same files reproduces it byte for byte.
"""

from __future__ import annotations

import argparse
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
DEFAULT_OUTPUT = ROOT / "sinergi" / "partnerships" / "sdg" / "sdg.json"

# The 17 goals in Bahasa Indonesia as the Indonesian government names them (Tujuan
# Pembangunan Berkelanjutan, TPB): the short names used by Bappenas and the full titles
# of Peraturan Presiden 59/2017.
GOALS_ID = {
    "1": ("Tanpa Kemiskinan", "Mengakhiri kemiskinan dalam segala bentuk di mana pun"),
    "2": (
        "Tanpa Kelaparan",
        "Menghilangkan kelaparan, mencapai ketahanan pangan dan gizi yang baik, serta "
        "meningkatkan pertanian berkelanjutan",
    ),
    "3": (
        "Kehidupan Sehat dan Sejahtera",
        "Menjamin kehidupan yang sehat dan meningkatkan kesejahteraan seluruh penduduk semua usia",
    ),
    "4": (
        "Pendidikan Berkualitas",
        "Menjamin kualitas pendidikan yang inklusif dan merata serta meningkatkan kesempatan "
        "belajar sepanjang hayat untuk semua",
    ),
    "5": (
        "Kesetaraan Gender",
        "Mencapai kesetaraan gender dan memberdayakan kaum perempuan",
    ),
    "6": (
        "Air Bersih dan Sanitasi Layak",
        "Menjamin ketersediaan serta pengelolaan air bersih dan sanitasi yang berkelanjutan "
        "untuk semua",
    ),
    "7": (
        "Energi Bersih dan Terjangkau",
        "Menjamin akses energi yang terjangkau, andal, berkelanjutan dan modern untuk semua",
    ),
    "8": (
        "Pekerjaan Layak dan Pertumbuhan Ekonomi",
        "Meningkatkan pertumbuhan ekonomi yang inklusif dan berkelanjutan, kesempatan kerja "
        "yang produktif dan menyeluruh, serta pekerjaan yang layak untuk semua",
    ),
    "9": (
        "Industri, Inovasi dan Infrastruktur",
        "Membangun infrastruktur yang tangguh, meningkatkan industri inklusif dan "
        "berkelanjutan, serta mendorong inovasi",
    ),
    "10": (
        "Berkurangnya Kesenjangan",
        "Mengurangi kesenjangan intra- dan antarnegara",
    ),
    "11": (
        "Kota dan Permukiman yang Berkelanjutan",
        "Menjadikan kota dan permukiman inklusif, aman, tangguh dan berkelanjutan",
    ),
    "12": (
        "Konsumsi dan Produksi yang Bertanggung Jawab",
        "Menjamin pola produksi dan konsumsi yang berkelanjutan",
    ),
    "13": (
        "Penanganan Perubahan Iklim",
        "Mengambil tindakan cepat untuk mengatasi perubahan iklim dan dampaknya",
    ),
    "14": (
        "Ekosistem Lautan",
        "Melestarikan dan memanfaatkan secara berkelanjutan sumber daya kelautan dan "
        "samudera untuk pembangunan berkelanjutan",
    ),
    "15": (
        "Ekosistem Daratan",
        "Melindungi, merestorasi dan meningkatkan pemanfaatan berkelanjutan ekosistem "
        "daratan, mengelola hutan secara lestari, menghentikan penggurunan, memulihkan "
        "degradasi lahan, serta menghentikan kehilangan keanekaragaman hayati",
    ),
    "16": (
        "Perdamaian, Keadilan dan Kelembagaan yang Tangguh",
        "Menguatkan masyarakat yang inklusif dan damai untuk pembangunan berkelanjutan, "
        "menyediakan akses keadilan untuk semua, dan membangun kelembagaan yang efektif, "
        "akuntabel, dan inklusif di semua tingkatan",
    ),
    "17": (
        "Kemitraan untuk Mencapai Tujuan",
        "Menguatkan sarana pelaksanaan dan merevitalisasi kemitraan global untuk "
        "pembangunan berkelanjutan",
    ),
}

# The official colour of each goal (UN SDG communications guidelines).
COLOURS = {
    "1": "#E5243B",
    "2": "#DDA63A",
    "3": "#4C9F38",
    "4": "#C5192D",
    "5": "#FF3A21",
    "6": "#26BDE2",
    "7": "#FCC30B",
    "8": "#A21942",
    "9": "#FD6925",
    "10": "#DD1367",
    "11": "#FD9D24",
    "12": "#BF8B2E",
    "13": "#3F7E44",
    "14": "#0A97D9",
    "15": "#56C02B",
    "16": "#00689D",
    "17": "#19486A",
}

ATTRIBUTION = {
    "goals_and_targets": {
        "source": "IATI codelists UNSDG-Goals and UNSDG-Targets "
        "(IATI/IATI-Codelists-NonEmbedded), replicated from the UN SDG list",
        "url": "https://iatistandard.org/en/iati-standard/203/codelists/",
        "licence": "CC BY 4.0 — IATI Standard (iatistandard.org)",
    },
    "indicators": {
        "source": "open-sdg/sdg-translations, translations/en "
        "(global_indicators.yml, global_goals.yml), from the UN global indicator framework",
        "url": "https://github.com/open-sdg/sdg-translations",
        "licence": "MIT — Copyright (c) 2019 Open SDG",
    },
    "indonesian_goal_names": {
        "source": "Tujuan Pembangunan Berkelanjutan (TPB), Peraturan Presiden 59/2017 "
        "and Bappenas; written by hand",
    },
    "colours": {"source": "UN SDG communications guidelines"},
}

GOAL_PREFIX = re.compile(r"^Goal \d+\.\s*")
INDICATOR_KEY = re.compile(r"^(\d+)-([0-9]+|[a-z])-(\d+)-title$")
GOAL_SHORT_KEY = re.compile(r"^(\d+)-short$")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def clean(text: str) -> str:
    """One line, single spaces, no leading or trailing blanks, plain hyphens.

    The sources mix U+2010/U+2011 hyphens with "-" ("Under" U+2010 "5");
    plain hyphens let a search for "under-5" find them.
    """
    return " ".join(text.split()).replace("\u2010", "-").replace("\u2011", "-")


# A footnote number left glued to a target's last word ("… negotiation3" in 14.6).
FOOTNOTE = re.compile(r"(?<=[a-z]{3})\d+$")


def english_narrative(item: ET.Element) -> str:
    for narrative in item.find("name").findall("narrative"):
        if narrative.get(XML_LANG) in (None, "en"):
            return clean(narrative.text or "")
    raise ValueError(f"no English name for {item.findtext('code')}")


def read_codelist(path: Path) -> list[tuple[str, str]]:
    """The (code, English name) pairs of an IATI codelist, withdrawn codes left out."""
    items = []
    for item in ET.parse(path).getroot().iter("codelist-item"):
        if item.get("status") == "withdrawn":
            continue
        items.append((clean(item.findtext("code")), english_narrative(item)))
    return items


def part_key(part: str) -> tuple[int, int | str]:
    """Numbered targets (3.1 … 3.9) come before lettered ones (3.a …), 8.9 before 8.10."""
    return (0, int(part)) if part.isdigit() else (1, part)


def code_key(code: str) -> tuple:
    return tuple(part_key(part) for part in code.split("."))


def luminance(hex_colour: str) -> float:
    """Relative luminance (WCAG 2.1)."""
    channels = []
    for i in (1, 3, 5):
        c = int(hex_colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(background: str) -> str:
    """White or near-black, whichever contrasts more with `background` (WCAG ratio)."""
    lum = luminance(background)
    white = 1.05 / (lum + 0.05)
    dark = (lum + 0.05) / (luminance("#1A1A1A") + 0.05)
    return "#FFFFFF" if white >= dark else "#1A1A1A"


def read_indicators(path: Path, target_codes: set[str]) -> list[dict[str, str]]:
    """The indicators of the open-sdg file, each checked against the known targets."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    indicators = {}
    for key, title in raw.items():
        match = INDICATOR_KEY.match(str(key).strip())
        if match is None:
            raise ValueError(f"{path.name}: unexpected key {key!r}")
        code = ".".join(match.groups())
        target = code.rsplit(".", 1)[0]
        if target not in target_codes:
            raise ValueError(f"{path.name}: indicator {code} has no target {target}")
        if not isinstance(title, str) or not clean(title):
            raise ValueError(f"{path.name}: indicator {code} has no title")
        if code in indicators:
            raise ValueError(f"{path.name}: indicator {code} appears twice")
        indicators[code] = {
            "code": code,
            "goal": match.group(1),
            "target": target,
            "title_en": clean(title),
        }
    return [indicators[code] for code in sorted(indicators, key=code_key)]


def read_short_names(path: Path) -> dict[str, str]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = {}
    for key, value in raw.items():
        match = GOAL_SHORT_KEY.match(str(key).strip())
        if match:
            names[match.group(1)] = clean(value)
    return names


def build(shared: Path) -> dict:
    """The whole framework as one JSON-ready dictionary."""
    codelists = shared / "iati" / "codelists"
    goal_rows = read_codelist(codelists / "UNSDG-Goals.xml")
    target_rows = read_codelist(codelists / "UNSDG-Targets.xml")
    short_en = read_short_names(shared / "sdg" / "global_goals.yml")

    goals = []
    for code, name in sorted(goal_rows, key=lambda row: code_key(row[0])):
        short_id, title_id = GOALS_ID[code]
        goals.append(
            {
                "code": code,
                "title_en": GOAL_PREFIX.sub("", name),
                "short_en": short_en[code],
                "title_id": title_id,
                "short_id": short_id,
                "colour": COLOURS[code],
                "text_colour": text_colour(COLOURS[code]),
            }
        )
    goal_codes = {goal["code"] for goal in goals}

    targets = []
    for code, name in sorted(target_rows, key=lambda row: code_key(row[0])):
        goal = code.split(".")[0]
        if goal not in goal_codes or not re.fullmatch(r"\d+\.([0-9]+|[a-z])", code):
            raise ValueError(f"UNSDG-Targets.xml: unexpected target code {code!r}")
        targets.append({"code": code, "goal": goal, "title_en": FOOTNOTE.sub("", name)})

    indicators = read_indicators(
        shared / "sdg" / "global_indicators.yml", {t["code"] for t in targets}
    )
    if len(goals) != 17 or len(targets) != 169:
        raise ValueError(f"expected 17 goals and 169 targets, got {len(goals)}, {len(targets)}")
    attribution = json.loads(json.dumps(ATTRIBUTION))
    # MIT asks for its notice to travel with the data taken from open-sdg.
    attribution["indicators"]["licence_text"] = (
        (shared / "sdg" / "LICENSE").read_text(encoding="utf-8").strip()
    )
    return {
        "attribution": attribution,
        "goals": goals,
        "targets": targets,
        "indicators": indicators,
    }


def render(shared: Path) -> str:
    return json.dumps(build(shared), ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared", nargs="?", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    text = render(args.shared)
    args.output.write_text(text, encoding="utf-8")
    data = json.loads(text)
    counts = ", ".join(f"{len(data[k])} {k}" for k in ("goals", "targets", "indicators"))
    print(f"wrote {args.output} ({counts})")


if __name__ == "__main__":
    main()
