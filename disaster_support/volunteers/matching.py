"""The matching engine: all open needs to available volunteers at once.

Objective, in this order:
1. urgency: a more urgent need is served before any number of less urgent ones
   can be (the penalty of leaving a need unserved grows by urgency in steps larger
   than any sum of the other costs);
2. the language at a sufficient level is a hard constraint (no edge otherwise);
3. required skills weigh heavily (medical care needs medical interpretation);
4. then distance from the volunteer (or the shelter where they checked in);
5. load spread fairly: each further assignment of one volunteer costs more.

The global assignment is an exact minimum-cost matching (scipy's LAPJVsp on a
sparse graph: needs × volunteer slots, plus one "unserved" column per need),
not a greedy pass. To stay fast at city scale each need keeps its K cheapest
feasible volunteers; ``bench/matching.py`` measures what that costs against an
exact solver on the full graph.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

LEVELS = ("native", "fluent", "conversational", "simple_japanese", "reading")
LEVEL_RANK = {"native": 4, "fluent": 3, "conversational": 2, "simple_japanese": 1,
              "reading": 0}
LEVEL_COST = {"native": 0, "fluent": 10, "conversational": 30, "simple_japanese": 30}
# Needs where a misunderstanding harms: the language must be fluent or native.
HIGH_STAKES = {"medical", "medicine", "mental_health", "residence", "certificate", "housing",
               "livelihood", "translation"}
URGENCY_RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}
MISSING_SKILL_COST = 300
KM_COST = 10            # per km
MAX_DISTANCE_COST = 600  # 60 km and more cost the same
UNKNOWN_DISTANCE_KM = 20
FAIRNESS_COST = 40      # per assignment a volunteer already carries
# Unserved penalties: the step between urgencies exceeds any possible sum of
# assignment costs (10,000 needs × the largest cost), so urgency comes first.
UNSERVED_STEP = 100_000_000
PER_PERSON = 1_000      # within one urgency, larger groups first
K_CANDIDATES = 25


@dataclass
class Need:
    id: int
    language: str
    category: str
    urgency: str
    people: int
    lat: float | None
    lon: float | None
    skills: tuple = ()


@dataclass
class Volunteer:
    id: int
    languages: dict  # tag -> level
    skills: frozenset
    lat: float | None
    lon: float | None
    capacity: int  # assignments they may still take
    active: int = 0  # assignments they already carry


@dataclass
class Proposal:
    need_id: int
    volunteer_id: int
    cost: int
    reasons: dict


@dataclass
class Result:
    proposals: list
    unserved: dict  # need id -> reason ("no_speaker", "no_level", "busy")
    total_cost: int = 0
    objective: int = 0
    unservable: list = field(default_factory=list)  # grouped for people


def required_rank(category):
    return LEVEL_RANK["fluent"] if category in HIGH_STAKES else LEVEL_RANK["conversational"]


def usable_level(volunteer, need):
    """The volunteer's level in the need's language, if sufficient; else None.

    Easy Japanese (ja-x-easy) is served by anyone who speaks Japanese, including
    learners at "simple, slow Japanese"; reading-only never serves talk.
    """
    if need.language == "ja-x-easy":
        candidates = [volunteer.languages.get("ja"), volunteer.languages.get("ja-x-easy")]
        needed = required_rank(need.category) if need.category in HIGH_STAKES else \
            LEVEL_RANK["simple_japanese"]
    else:
        candidates = [volunteer.languages.get(need.language)]
        needed = required_rank(need.category)
    best = max((level for level in candidates if level), key=LEVEL_RANK.get, default=None)
    if best is None or LEVEL_RANK[best] < needed or best == "reading":
        return None
    return best


def distance_km(lat1, lon1, lat2, lon2):
    if None in (lat1, lon1, lat2, lon2):
        return None
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def pair_cost(need, volunteer, level):
    """Cost of one need served by one volunteer's next slot, and why."""
    km = distance_km(need.lat, need.lon, volunteer.lat, volunteer.lon)
    missing = [s for s in need.skills if s not in volunteer.skills]
    cost = (LEVEL_COST[level] + MISSING_SKILL_COST * len(missing)
            + min(MAX_DISTANCE_COST, round((UNKNOWN_DISTANCE_KM if km is None else km)
                                           * KM_COST)))
    reasons = {"language": need.language, "level": level,
               "km": None if km is None else round(km, 1),
               "skills": [s for s in need.skills if s in volunteer.skills],
               "missing_skills": missing, "active": volunteer.active}
    return cost, reasons


def unserved_penalty(need):
    return (4 - URGENCY_RANK[need.urgency]) * UNSERVED_STEP + PER_PERSON * min(need.people, 50)


def match(needs, volunteers, k=K_CANDIDATES, excluded=frozenset()):
    """The optimal proposals for these needs and volunteers (see module doc).

    ``excluded``: (need id, volunteer id) pairs never to propose (a decline).
    """
    volunteers = [v for v in volunteers if v.capacity > 0]
    by_language = defaultdict(list)
    for volunteer in volunteers:
        for tag in volunteer.languages:
            by_language[tag].append(volunteer)
            if tag == "ja":
                by_language["ja-x-easy"].append(volunteer)
    candidates = {}
    unserved_reason = {}
    for need in needs:
        speakers = by_language.get(need.language, [])
        scored = []
        for volunteer in speakers:
            if (need.id, volunteer.id) in excluded:
                continue
            level = usable_level(volunteer, need)
            if level is None:
                continue
            cost, reasons = pair_cost(need, volunteer, level)
            scored.append((cost, volunteer.id, volunteer, reasons))
        if not speakers:
            unserved_reason[need.id] = "no_speaker"
        elif not scored:
            unserved_reason[need.id] = "no_level"
        scored.sort(key=lambda item: (item[0], item[1]))
        candidates[need.id] = scored[:k] if k else scored

    # Columns: every free slot of every volunteer (slot j costs j more steps of
    # fairness), then one "unserved" column per need.
    slot_columns = {}
    column = 0
    for volunteer in volunteers:
        slot_columns[volunteer.id] = list(range(column, column + volunteer.capacity))
        column += volunteer.capacity
    unserved_base = column
    rows, cols, weights = [], [], []
    for row, need in enumerate(needs):
        for cost, _, volunteer, _ in candidates[need.id]:
            for slot, col in enumerate(slot_columns[volunteer.id]):
                rows.append(row)
                cols.append(col)
                # +1: a zero weight would read as "no edge" in a sparse matrix
                weights.append(cost + FAIRNESS_COST * (volunteer.active + slot) + 1)
        rows.append(row)
        cols.append(unserved_base + row)
        weights.append(unserved_penalty(need) + 1)
    proposals, objective = [], 0
    if needs:
        graph = csr_matrix((np.array(weights, dtype=float), (rows, cols)),
                           shape=(len(needs), unserved_base + len(needs)))
        matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
        owner = {col: vid for vid, cols_ in slot_columns.items() for col in cols_}
        for row, col in zip(matched_rows, matched_cols):
            need = needs[row]
            objective += int(graph[row, col]) - 1
            if col >= unserved_base:
                unserved_reason.setdefault(need.id, "busy")
                continue
            volunteer_id = owner[col]
            cost, _, volunteer, reasons = next(c for c in candidates[need.id]
                                               if c[1] == volunteer_id)
            proposals.append(Proposal(need.id, volunteer_id, cost, reasons))
    total = sum(p.cost for p in proposals)
    result = Result(proposals, unserved_reason, total, objective)
    result.unservable = group_unserved(needs, unserved_reason)
    return result


def group_unserved(needs, reasons):
    """Unserved needs by language and reason: what to call volunteers for."""
    groups = defaultdict(lambda: {"needs": 0, "people": 0})
    by_id = {n.id: n for n in needs}
    for need_id, reason in reasons.items():
        need = by_id[need_id]
        group = groups[(need.language, reason)]
        group["needs"] += 1
        group["people"] += need.people
    return sorted(({"language": l, "reason": r, **g} for (l, r), g in groups.items()),
                  key=lambda g: (-g["people"], g["language"]))
