"""Drill scenarios: YAML files in the city's folder (shelters/drills/), format in
its README.md. Checked when read: a bad file is refused with its name, the inject
and the field."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..needs.records import URGENCIES
from ..shelters.places import ADDED_KINDS
from ..shelters.registry import STATUSES
from ..vocabulary import languages, need_categories

KINDS = ("need", "headcount", "shelter", "volunteers", "place", "message")
SPEEDS = {"real": 1, "fast": 10, "manual": 1}  # manual: injects by the facilitator's button


class ScenarioError(ValueError):
    pass


@dataclass(frozen=True)
class Scenario:
    id: str
    title: dict
    description: dict
    duration: int  # minutes
    opening: dict
    injects: tuple  # dicts, sorted by "at"
    path: Path

    def text(self, field, tag):
        values = getattr(self, field)
        return values.get(tag) or values.get("en") or values.get("ja") or ""


def folder(city_dir):
    return Path(city_dir) / "drills"


def list_scenarios(city_dir):
    return [load(path) for path in sorted(folder(city_dir).glob("*.yaml"))]


def get_scenario(city_dir, scenario_id):
    for scenario in list_scenarios(city_dir):
        if scenario.id == scenario_id:
            return scenario
    raise ScenarioError(f"No drill scenario “{scenario_id}” in {folder(city_dir)}")


def load(path):
    path = Path(path)
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)

    def fail(where, message):
        raise ScenarioError(f"{path.name}: {where}: {message}")

    if not isinstance(data, dict):
        fail("file", "a mapping with id, title, duration, opening and injects")
    for key in ("id", "title", "duration", "injects"):
        if key not in data:
            fail(key, "missing")
    if not isinstance(data["title"], dict) or "ja" not in data["title"]:
        fail("title", "names in languages, at least ja")
    if not isinstance(data["duration"], int) or not 10 <= data["duration"] <= 24 * 60:
        fail("duration", "minutes, 10 to 1440")
    opening = data.get("opening") or {}
    for n, shelter in enumerate(opening.get("shelters") or [], start=1):
        _check_shelter_state(shelter, lambda m, n=n: fail(f"opening shelter {n}", m))
    for n, group in enumerate(opening.get("volunteers") or [], start=1):
        _check_volunteers(group, lambda m, n=n: fail(f"opening volunteers {n}", m))
    injects = []
    for n, inject in enumerate(data["injects"] or [], start=1):
        where = f"inject {n}"
        if not isinstance(inject, dict):
            fail(where, "a mapping")
        at = inject.get("at")
        if not isinstance(at, (int, float)) or not 0 <= at <= data["duration"]:
            fail(where, f"at: minutes after the start, 0 to {data['duration']}")
        kind = inject.get("kind")
        if kind not in KINDS:
            fail(where, f"kind: one of {', '.join(KINDS)}")
        complain = (lambda m, where=where: fail(where, m))
        if kind == "need":
            _check_need(inject, complain)
        elif kind in ("headcount", "shelter"):
            _check_shelter_state(inject, complain)
        elif kind == "volunteers":
            _check_volunteers(inject, complain)
        elif kind == "place":
            _check_place(inject, complain)
        if not isinstance(inject.get("message"), dict) or not inject["message"].get("ja"):
            fail(where, "message: what the inject says, in ja (and en)")
        injects.append(inject)
    return Scenario(id=str(data["id"]), title=data["title"],
                    description=data.get("description") or {}, duration=data["duration"],
                    opening=opening, injects=tuple(sorted(injects, key=lambda i: i["at"])),
                    path=path)


def _check_need(inject, fail):
    if not inject.get("shelter"):
        fail("shelter: the shelter's ID")
    if inject.get("category") not in need_categories():
        fail("category: one of " + ", ".join(need_categories()))
    if inject.get("language") not in languages():
        fail("language: a tag of messages/languages.json")
    if not isinstance(inject.get("people"), int) or inject["people"] < 1:
        fail("people: a whole number, 1 or more")
    if inject.get("urgency", "normal") not in URGENCIES:
        fail("urgency: " + ", ".join(URGENCIES))


def _check_place(inject, fail):
    """A patrol team finds people where the registry knows nobody: a place of one of
    the kinds the center adds, with head counts and (optionally) needs."""
    place = inject.get("place")
    if not isinstance(place, dict) or place.get("kind") not in ADDED_KINDS:
        fail("place: a mapping with kind, one of " + ", ".join(ADDED_KINDS))
    if not place.get("name"):
        fail("place: name")
    if not place.get("ward") and not ("lat" in place and "lon" in place):
        fail("place: ward, or lat and lon")
    for tag, people in (place.get("languages") or {}).items():
        if tag not in languages() or not isinstance(people, int) or people < 0:
            fail(f"place: languages: {tag}: a known language tag and a whole number")
    for need in inject.get("needs") or []:
        _check_need({**need, "shelter": "(the place)"}, fail)


def _check_shelter_state(state, fail):
    if not isinstance(state, dict) or not state.get("shelter" if "shelter" in state else "id"):
        fail("shelter: the shelter's ID")
    if "status" in state and state["status"] not in STATUSES:
        fail("status: " + ", ".join(STATUSES))
    if "evacuees" in state and (not isinstance(state["evacuees"], int) or state["evacuees"] < 0):
        fail("evacuees: a whole number")
    for tag, people in (state.get("languages") or {}).items():
        if tag not in languages() or not isinstance(people, int) or people < 0:
            fail(f"languages: {tag}: a known language tag and a whole number")


def _check_volunteers(group, fail):
    if not isinstance(group.get("count"), int) or not 1 <= group["count"] <= 50:
        fail("count: 1 to 50")
    if "language" in group and group["language"] not in languages():
        fail("language: a tag of messages/languages.json")
