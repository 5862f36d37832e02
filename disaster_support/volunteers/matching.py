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
sparse graph: needs × volunteer slots, plus one "unserved" column per need), not
a greedy pass. To stay small the graph first keeps only each need's K cheapest
volunteers (and each volunteer's K cheapest needs); pricing then makes it exact.
From the optimal matching of the pruned graph come dual values: column prices are
shortest distances from the free columns in the residual graph, a need's dual is
min over its edges of (weight + price). Every feasible pair left out is checked
against its volunteer's cheapest slot; pairs with a negative reduced cost join the
graph and it is solved again, until none is left. Then the duals are feasible on
the full graph and equal the matching's cost, which proves by LP duality that no
assignment is cheaper. ``Result.certificate`` carries them; the tests check them
independently of this code, and ``bench/matching.py`` against other solvers.
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
K_CANDIDATES = 8  # fewest rounds × solve time on bench/matching.py, measured
PRICING_ADD = 8  # pairs added per violating need and volunteer in a pricing round


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
    rounds: int = 0  # solves of the pruned matching until pricing found nothing to add
    edges: int = 0  # need-volunteer pairs in the last solved graph
    # the dual values proving optimality: need id -> u, need id -> price of its
    # "unserved" column, (volunteer id, slot) -> price; see ``_potentials``
    certificate: dict = field(default_factory=dict)


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
    return cost, _reasons(need, volunteer, level, km)


def _reasons(need, volunteer, level, km):
    """Why this volunteer for this need, as the proposal page explains it."""
    return {"language": need.language, "level": level,
            "km": None if km is None else round(km, 1),
            "skills": [s for s in need.skills if s in volunteer.skills],
            "missing_skills": [s for s in need.skills if s not in volunteer.skills],
            "active": volunteer.active}


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


def _unique_coords(items):
    """Each item's index into its distinct positions, and those positions (many needs
    share a shelter: the distances are computed once per pair of places)."""
    seen = {}
    index = np.array([seen.setdefault((i.lat, i.lon), len(seen)) for i in items], dtype=np.int64)
    return (index, np.array([np.nan if lat is None else lat for lat, _ in seen], dtype=float),
            np.array([np.nan if lon is None else lon for _, lon in seen], dtype=float))


def _candidate_costs(group, speakers):
    """Cost matrix needs × speakers of one language (numpy; inf where not allowed), and
    the km between them as (table, need index, speaker index) for the explanations.

    The same arithmetic as ``pair_cost``, for thousands of pairs at once.
    """
    language = group[0].language
    levels = [_level_of(v, language) for v in speakers]
    rank = np.array([LEVEL_RANK[l] if l and l != "reading" else -1 for l in levels])
    level_cost = np.array([LEVEL_COST.get(l, 0) if l else 0 for l in levels], dtype=float)
    needed = np.array([_needed_rank(n) for n in group])
    need_at, nlat, nlon = _unique_coords(group)
    speaker_at, vlat, vlon = _unique_coords(speakers)
    km = _km_matrix(nlat, nlon, vlat, vlon)
    cost = _distance_cost(km)[need_at[:, None], speaker_at[None, :]]
    cost += level_cost[None, :]
    # missing skills: one row per distinct skill set (a category's), then gathered
    sets = {}
    set_of_need = np.array([sets.setdefault(n.skills, len(sets)) for n in group])
    table = np.array([[sum(s not in v.skills for s in skill_set) for v in speakers]
                      for skill_set in sets], dtype=float)
    cost += MISSING_SKILL_COST * table[set_of_need]
    cost[rank[None, :] < needed[:, None]] = np.inf
    return cost, (km, need_at, speaker_at)


def _top_k(costs, k, axis=1):
    """A mask of each row's (axis=0: column's) k cheapest finite entries."""
    mask = np.zeros(costs.shape, dtype=bool)
    if costs.shape[axis] == 0:
        return mask
    if k and costs.shape[axis] > k:
        keep = np.argpartition(costs, k - 1, axis=axis)
        keep = keep[:, :k] if axis == 1 else keep[:k]
        np.put_along_axis(mask, keep, True, axis=axis)
    else:
        mask[:] = True
    return mask & np.isfinite(costs)


def _potentials(graph, matched_cols):
    """Dual values certifying that a full matching of ``graph`` is optimal.

    Column prices are shortest distances from the free columns in the residual
    graph (arc j -> m(i) of length w_ij - w_i,m(i) for every edge i-j), by Bellman-Ford
    relaxation vectorized over all edges; the row duals are u_i = min_j (w_ij + price_j).
    Then every edge has w_ij - u_i + price_j >= 0, tight on the matching, and free
    columns are priced 0. A negative price would be an improving alternating path.
    """
    n_rows, n_cols = graph.shape
    starts, cols, weights = graph.indptr[:-1], graph.indices, graph.data
    row_of_edge = np.repeat(np.arange(n_rows), np.diff(graph.indptr))
    on_match = cols == matched_cols[row_of_edge]
    matched_weight = np.zeros(n_rows)
    matched_weight[row_of_edge[on_match]] = weights[on_match]
    price = np.zeros(n_cols)
    price[matched_cols] = np.inf
    for _ in range(n_cols + 1):
        row_dual = np.minimum.reduceat(price[cols] + weights, starts)
        new = row_dual - matched_weight
        if not (new < price[matched_cols]).any():
            break
        price[matched_cols] = new
    else:
        raise RuntimeError("negative cycle: the matching is not optimal")
    # a row whose matched column no path reaches has no other edge: price 0 is valid
    price[np.isinf(price)] = 0
    row_dual = np.minimum.reduceat(price[cols] + weights, starts)
    if (price < 0).any():
        raise RuntimeError("improving path: the matching is not optimal")
    return row_dual, price


def match(needs, volunteers, k=K_CANDIDATES, excluded=frozenset()):
    """The optimal proposals for these needs and volunteers (see module doc).

    ``excluded``: (need id, volunteer id) pairs never to propose (a decline).
    ``k``: candidates kept per need before pricing (None: all, no pricing needed).
    The result is optimal on the full graph either way; ``rounds`` and ``edges`` on
    the result say how many solves and need–volunteer pairs it took.
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
    first_column = (np.cumsum(capacity) - capacity).astype(np.int64)
    n_slots = int(capacity.sum())
    active = np.array([v.active for v in volunteers], dtype=float)
    slot_owner = np.repeat(np.arange(len(volunteers)), capacity)
    slot_rank = np.arange(n_slots) - first_column[slot_owner]
    # +1 on every weight: a zero weight reads as "no edge" in a sparse matrix; each row
    # is matched exactly once, so the shift changes nothing but the objective, by n
    slot_cost = FAIRNESS_COST * (active[slot_owner] + slot_rank) + 1.0
    index_of = {v.id: i for i, v in enumerate(volunteers)}
    penalties = np.array([unserved_penalty(n) for n in needs], dtype=float)
    excluded_by_need = defaultdict(set)
    for need_id, volunteer_id in excluded:
        excluded_by_need[need_id].add(volunteer_id)

    in_play = np.zeros(len(needs), dtype=bool)
    unserved_reason = {}
    blocks = []  # (need indexes, volunteer indexes, cost matrix, mask of edges, km)
    groups = defaultdict(list)
    for position, need in enumerate(needs):
        groups[need.language].append(position)
    for language, members in groups.items():
        group = [needs[i] for i in members]
        speakers = by_language.get(language, [])
        if not speakers:
            unserved_reason.update({n.id: "no_speaker" for n in group})
            continue
        costs, km = _candidate_costs(group, speakers)
        if excluded_by_need:
            column = {v.id: j for j, v in enumerate(speakers)}
            for i, need in enumerate(group):
                for volunteer_id in excluded_by_need.get(need.id, ()):
                    if volunteer_id in column:
                        costs[i, column[volunteer_id]] = np.inf
        finite_rows = np.isfinite(costs).any(axis=1)
        for i in np.flatnonzero(~finite_rows):
            unserved_reason[group[i].id] = "no_level"
        here = np.array(members)
        speaker_index = np.array([index_of[v.id] for v in speakers])
        if k:
            # each need's k cheapest volunteers (at their next slot), and each volunteer's
            # k cheapest needs: so a volunteer with room is reachable from needs near them
            first_slot = costs + FAIRNESS_COST * active[speaker_index][None, :]
            mask = _top_k(first_slot, k) | _top_k(first_slot, k, axis=0)
        else:
            mask = np.isfinite(costs)
        blocks.append((here, speaker_index, costs, mask, km))
        # a need no volunteer can serve stays out of the matching (its dual: its penalty)
        in_play[here[finite_rows]] = True

    if not needs:
        return Result([], unserved_reason)
    rounds = 0
    while True:
        graph, matched_cols, play, edges = _solve(blocks, in_play, penalties, capacity,
                                                  first_column, slot_cost)
        rounds += 1
        row_dual, price = _potentials(graph, matched_cols)
        # needs outside the matching are unserved: dual = their penalty (+1, the shift)
        need_dual = penalties + 1
        need_dual[play] = row_dual
        # pricing: a pair left out of the graph is needed only if some slot of the
        # volunteer has a negative reduced cost; slots of one volunteer differ only in
        # fairness and price, so the cheapest slot decides
        cheapest_slot = np.minimum.reduceat(slot_cost + price[:n_slots], first_column) \
            if n_slots else np.zeros(0)
        added = False
        for here, speaker_index, costs, mask, _ in blocks:
            reduced = costs + cheapest_slot[speaker_index][None, :] - need_dual[here][:, None]
            violated = reduced < 0
            if violated.any():
                # each violating need's and volunteer's few most violating pairs: fewer
                # rounds than one pair at a time
                reduced[~violated] = np.inf
                mask |= _top_k(reduced, PRICING_ADD) | _top_k(reduced, PRICING_ADD, axis=0)
                in_play[here[violated.any(axis=1)]] = True
                added = True
        if not added:
            break

    served_col = np.full(len(needs), -1)
    served_col[play] = np.where(matched_cols < n_slots, matched_cols, -1)
    served = served_col >= 0
    objective = int(graph[np.arange(len(play)), matched_cols].sum()) - len(play) \
        + int(penalties[~in_play].sum())
    owner = np.full(len(needs), -1)
    owner[served] = slot_owner[served_col[served]]
    proposals = []
    for here, speaker_index, costs, mask, (km, need_at, speaker_at) in blocks:
        position = {v: j for j, v in enumerate(speaker_index.tolist())}
        for i in np.flatnonzero(served[here]).tolist():
            need = needs[here[i]]
            volunteer = volunteers[owner[here[i]]]
            j = position[owner[here[i]]]
            distance = float(km[need_at[i], speaker_at[j]])
            proposals.append((here[i], Proposal(need.id, volunteer.id, int(costs[i, j]), _reasons(
                need, volunteer, _level_of(volunteer, need.language),
                None if np.isnan(distance) else distance))))
    for position in np.flatnonzero(~served).tolist():
        unserved_reason.setdefault(needs[position].id, "busy")
    proposals = [p for _, p in sorted(proposals, key=lambda pair: pair[0])]  # need order
    result = Result(proposals, unserved_reason, sum(p.cost for p in proposals), objective)
    result.unservable = group_unserved(needs, unserved_reason)
    result.rounds, result.edges = rounds, edges
    unserved_price = np.zeros(len(needs))
    unserved_price[play] = price[n_slots:]
    result.certificate = {
        "need": dict(zip((n.id for n in needs), (need_dual - 1).tolist())),
        "unserved": dict(zip((n.id for n in needs), unserved_price.tolist())),
        "slot": dict(zip(((volunteers[v].id, s) for v, s in zip(slot_owner.tolist(),
                                                                  slot_rank.tolist())),
                         price[:n_slots].tolist()))}
    return result


def _solve(blocks, in_play, penalties, capacity, first_column, slot_cost):
    """The minimum-cost matching of the needs in play over the edges in the masks:
    rows = those needs, most urgent first (LAPJVsp augments row by row; urgent rows
    first means fewer long augmenting paths, about twice as fast, measured); columns =
    volunteer slots, then one "unserved" column per row."""
    play = np.flatnonzero(in_play)
    play = play[np.argsort(-penalties[play], kind="stable")]
    row_of = np.full(len(in_play), -1)
    row_of[play] = np.arange(len(play))
    pn, pv, pc = [], [], []
    for here, speaker_index, costs, mask, _ in blocks:
        r, c = np.nonzero(mask & in_play[here][:, None])
        pn.append(here[r])
        pv.append(speaker_index[c])
        pc.append(costs[r, c])
    pn = np.concatenate(pn) if pn else np.zeros(0, dtype=np.int64)
    pv = np.concatenate(pv) if pv else np.zeros(0, dtype=np.int64)
    pc = np.concatenate(pc) if pc else np.zeros(0)
    n_slots = len(slot_cost)
    # one edge per slot of the volunteer
    repeats = capacity[pv]
    slot = np.arange(int(repeats.sum())) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    slot_cols = np.repeat(first_column[pv], repeats) + slot
    rows = np.concatenate([np.repeat(row_of[pn], repeats), np.arange(len(play))])
    cols = np.concatenate([slot_cols, n_slots + np.arange(len(play))])
    weights = np.concatenate([np.repeat(pc, repeats) + slot_cost[slot_cols],
                              penalties[play] + 1])
    graph = csr_matrix((weights, (rows, cols)), shape=(len(play), n_slots + len(play)))
    graph.sort_indices()
    if len(play):
        _, matched_cols = min_weight_full_bipartite_matching(graph)
    else:
        matched_cols = np.zeros(0, dtype=np.int64)
    return graph, matched_cols, play, len(pn)


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
