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
K_CANDIDATES = 16


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


def _km_matrix(lat1, lon1, lat2, lon2):
    """Great-circle km between every point of 1 and every point of 2 (numpy arrays,
    degrees, NaN where unknown). The scalar ``distance_km`` uses this too, so the
    engine and its explanations agree to the last digit."""
    p1, l1, p2, l2 = (np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2))
    a = (np.sin((p2[None, :] - p1[:, None]) / 2) ** 2
         + np.cos(p1)[:, None] * np.cos(p2)[None, :]
         * np.sin((l2[None, :] - l1[:, None]) / 2) ** 2)
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))


def distance_km(lat1, lon1, lat2, lon2):
    if None in (lat1, lon1, lat2, lon2):
        return None
    return float(_km_matrix([lat1], [lon1], [lat2], [lon2])[0, 0])


def _distance_cost(km):
    return np.minimum(MAX_DISTANCE_COST, np.round(np.where(np.isnan(km), UNKNOWN_DISTANCE_KM,
                                                            km) * KM_COST))


def pair_cost(need, volunteer, level):
    """Cost of one need served by one volunteer's next slot, and why."""
    km = distance_km(need.lat, need.lon, volunteer.lat, volunteer.lon)
    missing = [s for s in need.skills if s not in volunteer.skills]
    cost = int(LEVEL_COST[level] + MISSING_SKILL_COST * len(missing)
               + _distance_cost(np.array(np.nan if km is None else km)))
    reasons = {"language": need.language, "level": level,
               "km": None if km is None else round(km, 1),
               "skills": [s for s in need.skills if s in volunteer.skills],
               "missing_skills": missing, "active": volunteer.active}
    return cost, reasons


def unserved_penalty(need):
    return (4 - URGENCY_RANK[need.urgency]) * UNSERVED_STEP + PER_PERSON * min(need.people, 50)


def _level_of(volunteer, language):
    """The level that counts for a language (Easy Japanese: the best of ja and ja-x-easy)."""
    if language == "ja-x-easy":
        levels = [volunteer.languages.get("ja"), volunteer.languages.get("ja-x-easy")]
        return max((l for l in levels if l), key=LEVEL_RANK.get, default=None)
    return volunteer.languages.get(language)


def _needed_rank(need):
    if need.language == "ja-x-easy" and need.category not in HIGH_STAKES:
        return LEVEL_RANK["simple_japanese"]
    return required_rank(need.category)


def _coords(items):
    return (np.array([np.nan if i.lat is None else i.lat for i in items], dtype=float),
            np.array([np.nan if i.lon is None else i.lon for i in items], dtype=float))


def _candidate_costs(group, speakers):
    """Cost matrix needs × speakers of one language (numpy; inf where not allowed).

    The same arithmetic as ``pair_cost``, for thousands of pairs at once.
    """
    language = group[0].language
    levels = [_level_of(v, language) for v in speakers]
    rank = np.array([LEVEL_RANK[l] if l and l != "reading" else -1 for l in levels])
    level_cost = np.array([LEVEL_COST.get(l, 0) if l else 0 for l in levels], dtype=float)
    needed = np.array([_needed_rank(n) for n in group])
    nlat, nlon = _coords(group)
    vlat, vlon = _coords(speakers)
    cost = _distance_cost(_km_matrix(nlat, nlon, vlat, vlon))
    cost += level_cost[None, :]
    # missing skills: one row per distinct skill set (a category's), then gathered
    sets = {}
    set_of_need = np.array([sets.setdefault(n.skills, len(sets)) for n in group])
    table = np.array([[sum(s not in v.skills for s in skill_set) for v in speakers]
                      for skill_set in sets], dtype=float)
    cost += MISSING_SKILL_COST * table[set_of_need]
    cost[rank[None, :] < needed[:, None]] = np.inf
    return cost


def _top_k(costs, k):
    """A mask of each row's k cheapest finite entries."""
    mask = np.zeros(costs.shape, dtype=bool)
    if costs.shape[1] == 0:
        return mask
    if k and costs.shape[1] > k:
        keep = np.argpartition(costs, k - 1, axis=1)[:, :k]
        np.put_along_axis(mask, keep, True, axis=1)
    else:
        mask[:] = True
    return mask & np.isfinite(costs)


def match(needs, volunteers, k=K_CANDIDATES, excluded=frozenset()):
    """The optimal proposals for these needs and volunteers (see module doc).

    ``excluded``: (need id, volunteer id) pairs never to propose (a decline).
    ``k``: candidates kept per need (None: all, for exact comparisons). A need
    left unserved while a volunteer it could have had still has room gets that
    volunteer's edge added, and the matching is solved again (a few rounds), so
    the pruning never costs a need its volunteer.
    """
    volunteers = [v for v in volunteers if v.capacity > 0]
    by_language = defaultdict(list)
    for volunteer in volunteers:
        tags = set(volunteer.languages)
        if "ja" in tags:
            tags.add("ja-x-easy")
        for tag in tags:
            by_language[tag].append(volunteer)
    capacity = np.array([v.capacity for v in volunteers], dtype=np.int64)
    first_column = np.concatenate([[0], np.cumsum(capacity)[:-1]]).astype(np.int64) \
        if volunteers else np.zeros(0, dtype=np.int64)
    unserved_base = int(capacity.sum())
    active = np.array([v.active for v in volunteers], dtype=float)
    index_of = {v.id: i for i, v in enumerate(volunteers)}
    row_of = {need.id: row for row, need in enumerate(needs)}
    penalties = np.array([unserved_penalty(n) + 1 for n in needs], dtype=float)

    unserved_reason = {}
    blocks = []  # (rows, speaker indexes, cost matrix, mask of edges in the graph)
    groups = defaultdict(list)
    for need in needs:
        groups[need.language].append(need)
    for language, group in groups.items():
        speakers = by_language.get(language, [])
        if not speakers:
            unserved_reason.update({n.id: "no_speaker" for n in group})
            continue
        costs = _candidate_costs(group, speakers)
        if excluded:
            position = {v.id: j for j, v in enumerate(speakers)}
            for i, need in enumerate(group):
                for need_id, volunteer_id in excluded:
                    if need_id == need.id and volunteer_id in position:
                        costs[i, position[volunteer_id]] = np.inf
        finite_rows = np.isfinite(costs).any(axis=1)
        for i in np.flatnonzero(~finite_rows):
            unserved_reason[group[i].id] = "no_level"
        # each need's k cheapest volunteers, and each volunteer's k cheapest needs:
        # so a volunteer with room is always reachable from the needs near them
        mask = _top_k(costs, k) | (_top_k(costs.T, k).T if k else False)
        blocks.append((np.array([row_of[n.id] for n in group]),
                       np.array([index_of[v.id] for v in speakers]), costs, mask))

    def solve():
        pair_rows, pair_volunteers, pair_costs = [], [], []
        for rows_here, speaker_index, costs, mask in blocks:
            r, c = np.nonzero(mask)
            pair_rows.append(rows_here[r])
            pair_volunteers.append(speaker_index[c])
            pair_costs.append(costs[r, c])
        pr = np.concatenate(pair_rows) if pair_rows else np.zeros(0, dtype=np.int64)
        pv = np.concatenate(pair_volunteers) if pair_volunteers else np.zeros(0, dtype=np.int64)
        pc = np.concatenate(pair_costs) if pair_costs else np.zeros(0)
        # one edge per free slot; slot j costs j more steps of fairness; +1 because
        # a zero weight reads as "no edge" in a sparse matrix
        repeats = capacity[pv]
        slot = np.arange(int(repeats.sum())) - np.repeat(np.cumsum(repeats) - repeats, repeats)
        rows = np.concatenate([np.repeat(pr, repeats), np.arange(len(needs))])
        cols = np.concatenate([np.repeat(first_column[pv], repeats) + slot,
                               unserved_base + np.arange(len(needs))])
        weights = np.concatenate([np.repeat(pc + FAIRNESS_COST * active[pv], repeats)
                                  + FAIRNESS_COST * slot + 1, penalties])
        graph = csr_matrix((weights, (rows, cols)),
                           shape=(len(needs), unserved_base + len(needs)))
        matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
        return graph, matched_rows, matched_cols

    if not needs:
        return Result([], unserved_reason)
    graph, matched_rows, matched_cols = solve()
    for _ in range(4 if k else 0):
        owner_of = np.searchsorted(first_column, matched_cols, side="right") - 1
        used = np.bincount(owner_of[matched_cols < unserved_base], minlength=len(volunteers))
        room = capacity - used > 0
        unserved_rows = set(matched_rows[matched_cols >= unserved_base].tolist())
        added = False
        for rows_here, speaker_index, costs, mask in blocks:
            waiting = np.array([r in unserved_rows for r in rows_here])
            if not waiting.any():
                continue
            free = room[speaker_index]
            extra = np.where(waiting[:, None] & free[None, :] & ~mask, costs, np.inf)
            new_edges = _top_k(extra, k)
            if new_edges.any():
                mask |= new_edges
                added = True
        if not added:
            break
        graph, matched_rows, matched_cols = solve()

    proposals = []
    chosen = np.asarray(graph[matched_rows, matched_cols]).ravel()
    objective = int(chosen.sum()) - len(chosen)
    owner_of = np.searchsorted(first_column, matched_cols, side="right") - 1
    for row, col, owner in zip(matched_rows, matched_cols, owner_of):
        need = needs[row]
        if col >= unserved_base:
            unserved_reason.setdefault(need.id, "busy")
            continue
        volunteer = volunteers[owner]
        cost, reasons = pair_cost(need, volunteer, usable_level(volunteer, need))
        proposals.append(Proposal(need.id, volunteer.id, cost, reasons))
    result = Result(proposals, unserved_reason, sum(p.cost for p in proposals), objective)
    result.unservable = group_unserved(needs, unserved_reason)
    return result


def unreachable(needs, volunteers):
    """Needs no available volunteer could serve at all: {need id: reason}.

    Cheap (no matching is solved): for a page that shows what to call
    volunteers for before anyone presses "propose".
    """
    best = {}
    for volunteer in volunteers:
        if volunteer.capacity <= 0:
            continue
        tags = set(volunteer.languages) | ({"ja-x-easy"} if "ja" in volunteer.languages else set())
        for tag in tags:
            level = _level_of(volunteer, tag)
            rank = LEVEL_RANK[level] if level and level != "reading" else -1
            best[tag] = max(best.get(tag, -1), rank)
    reasons = {}
    for need in needs:
        if need.language not in best:
            reasons[need.id] = "no_speaker"
        elif best[need.language] < _needed_rank(need):
            reasons[need.id] = "no_level"
    return reasons


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
