"""The patrol-round planner: which places to visit next, by which team, in which order.

Pure: no database, no Flask. The callers pass places and checked-in volunteers.

Priority of a place (``priority``), in points, added up:
- foreign evacuees: FOREIGN_POINTS × log2(1 + n) (diminishing: 1 → 10, 7 → 30, 63 → 60);
- hours since the last visit: HOUR_POINTS per hour up to the cap (48 h); never visited
  counts as the cap;
- unresolved needs by urgency: NEED_POINTS (critical 100 ≫ high 25 > normal 8 > low 2;
  one critical need outweighs any time since a visit);
- needs in a language no checked-in volunteer speaks: UNSERVABLE_POINTS each, on top.
A place with no foreign evacuees and no needs scores 0 and is never proposed.

Teams (``plan_patrol``): ``teams`` teams of at most ``team_size`` (default: as many as
the volunteers allow, everybody goes, the leftovers join the first teams). A volunteer
"speaks" a language at native, fluent or conversational level only. The languages of
the places that could be visited (the first teams × stops_per_team by priority) weigh
by their evacuees; a greedy set cover picks each team's first member (most uncovered
weight), then fills the teams round by round with the volunteer adding the most
uncovered weight, then the most weight new to that team (its members differ in
languages, so one team serves more places). Volunteers without a usable language still
fill teams. Every team leaves from ``start``; volunteers' own positions are not used.

Assignment: places in priority order (ties by id); each goes to a team with room that
speaks one of its languages (any team if it has none): the team covering most of its
evacuees, then the one whose current stops (the start, for a team without any) are
nearest, then the first formed. Otherwise left out, in priority order: 'no_language'
when no team speaks any of its languages, 'capacity' when every team that does (every
team, for a place without languages) already has ``stops_per_team`` stops.

Route of a team (``route``): a closed tour from ``start``. Two constructions, the
double-tree walk (preorder of a minimum spanning tree rooted at start) and nearest
neighbour, keep the shorter, then 2-opt and or-opt until neither improves. The
double-tree tour is at most 2 × the MST weight (the triangle inequality holds for
great-circle distance) and local search never lengthens a tour, so every route is
≤ 2 × ``lower_bound_m`` ≤ 2 × the optimal tour (up to floating-point rounding).
"""

import math
from dataclasses import dataclass, field

import numpy as np

EARTH_RADIUS_M = 6_371_000.0
SPEAKING_LEVELS = frozenset({"native", "fluent", "conversational"})
URGENCIES = ("critical", "high", "normal", "low")
FOREIGN_POINTS = 10.0
HOUR_POINTS = 1.0
NEED_POINTS = {"critical": 100.0, "high": 25.0, "normal": 8.0, "low": 2.0}
UNSERVABLE_POINTS = 40.0
# Local search stops below a millimetre: float noise must not make it cycle.
IMPROVEMENT_M = 1e-3
OR_OPT_SEGMENT = 3


@dataclass(frozen=True)
class PlaceToVisit:
    id: str
    lat: float
    lon: float
    languages: dict            # language code -> number of foreign evacuees there
    hours_since_visit: float | None   # None: never visited
    open_needs: dict = field(default_factory=dict)   # urgency -> unresolved needs
    unservable: int = 0        # needs in a language no checked-in volunteer speaks


@dataclass(frozen=True)
class PatrolVolunteer:
    id: int
    lat: float | None
    lon: float | None
    languages: dict            # language code -> level


@dataclass
class Stop:
    place_id: str
    score: float
    reasons: dict
    covered: list              # languages of the place the team speaks (sorted)


@dataclass
class Team:
    members: list              # volunteer ids, in the order they were chosen
    languages: list            # languages the team speaks (sorted)
    stops: list                # Stop, in visiting order
    distance_m: float          # start -> stops in order -> back to start


@dataclass
class Plan:
    teams: list
    left_out: list             # (place_id, 'no_language' | 'capacity'), by priority
    total_distance_m: float


def distance_m(a, b):
    """Great-circle (haversine) distance in metres between two (lat, lon) tuples."""
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _distances_to(point, lats, lons):
    """Haversine metres from one point to arrays of latitudes and longitudes (degrees)."""
    lat1, lon1 = math.radians(point[0]), math.radians(point[1])
    lat2, lon2 = np.radians(lats), np.radians(lons)
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def _matrix(nodes):
    lats = np.radians([n[0] for n in nodes])
    lons = np.radians([n[1] for n in nodes])
    h = (np.sin((lats[None, :] - lats[:, None]) / 2) ** 2
         + np.cos(lats)[:, None] * np.cos(lats)[None, :]
         * np.sin((lons[None, :] - lons[:, None]) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def priority(place, *, now_hours_cap=48):
    """(score, reasons) of a place; see the module docstring for the weights."""
    foreign = sum(n for n in place.languages.values() if n > 0)
    needs = {u: place.open_needs[u] for u in URGENCIES if place.open_needs.get(u, 0) > 0}
    # an urgency this module does not know still counts, as a normal need
    others = sum(n for u, n in place.open_needs.items() if u not in NEED_POINTS and n > 0)
    reasons = {
        "foreign": foreign,
        "hours": place.hours_since_visit,
        "needs": needs,
        "unservable": place.unservable,
        "languages": _languages_by_size(place),
    }
    if foreign == 0 and not needs and not others and place.unservable <= 0:
        return 0.0, reasons
    hours = now_hours_cap if place.hours_since_visit is None else place.hours_since_visit
    score = (FOREIGN_POINTS * math.log2(1 + foreign)
             + HOUR_POINTS * min(max(hours, 0.0), now_hours_cap)
             + sum(NEED_POINTS[u] * n for u, n in needs.items())
             + NEED_POINTS["normal"] * others
             + UNSERVABLE_POINTS * max(place.unservable, 0))
    return score, reasons


def _languages_by_size(place):
    spoken = [(code, n) for code, n in place.languages.items() if n > 0]
    return [code for code, _ in sorted(spoken, key=lambda item: (-item[1], item[0]))]


def _speaks(volunteer):
    return frozenset(code for code, level in volunteer.languages.items()
                     if level in SPEAKING_LEVELS)


def _form_teams(volunteers, count, fill_rounds, weight):
    """Greedy set cover of the weighted languages: seeds first, then round-robin fills."""
    pool = sorted(volunteers, key=lambda v: v.id)
    speaks = {v.id: _speaks(v) for v in pool}
    covered = set()
    members = []
    team_languages = []

    def gain(volunteer, known):
        return sum(weight.get(code, 0) for code in speaks[volunteer.id] - known)

    def take(volunteer):
        pool.remove(volunteer)
        covered.update(speaks[volunteer.id])
        return volunteer

    for _ in range(count):
        # min() keeps the first of equals: the pool is sorted by id
        seed = take(min(pool, key=lambda v: (-gain(v, covered), -gain(v, set()))))
        members.append([seed.id])
        team_languages.append(set(speaks[seed.id]))
    for _ in range(fill_rounds):
        for index in range(count):
            if not pool:
                return members, team_languages
            chosen = take(min(pool, key=lambda v: (-gain(v, covered),
                                                  -gain(v, team_languages[index]))))
            members[index].append(chosen.id)
            team_languages[index] |= speaks[chosen.id]
    return members, team_languages


def plan_patrol(places, volunteers, *, start, teams=None, team_size=2, stops_per_team=6):
    """Teams of volunteers, the places each visits and in which order; see the module."""
    if team_size < 1:
        raise ValueError("team_size must be at least 1")
    if stops_per_team < 0:
        raise ValueError("stops_per_team must not be negative")
    if teams is None:
        count = max(len(volunteers) // team_size, 1 if volunteers else 0)
    else:
        count = max(0, min(teams, len(volunteers)))   # a team has one member at least
    scored = []
    for place in places:
        score, reasons = priority(place)
        if score > 0:
            scored.append((score, place, reasons))
    scored.sort(key=lambda item: (-item[0], item[1].id))

    weight = {}
    for _, place, _ in scored[:count * stops_per_team]:
        for code, n in place.languages.items():
            if n > 0:
                weight[code] = weight.get(code, 0) + n
    # teams=None: everybody goes, leftovers (fewer than a team) join the first teams;
    # a given number of teams takes at most team_size each
    fill_rounds = len(volunteers) if teams is None else team_size - 1
    members, team_languages = _form_teams(volunteers, count, fill_rounds, weight)

    stops, left_out = _assign(scored, team_languages, start, stops_per_team)
    planned = []
    for index in range(count):
        order, length = route([(p.lat, p.lon) for p, _ in stops[index]], start)
        planned.append(Team(
            members=members[index],
            languages=sorted(team_languages[index]),
            stops=[stops[index][i][1] for i in order],
            distance_m=length))
    return Plan(teams=planned, left_out=left_out,
                total_distance_m=sum(t.distance_m for t in planned))


def _assign(scored, team_languages, start, stops_per_team):
    """Places in priority order to teams: language first, then nearness."""
    count = len(team_languages)
    codes = sorted({code for _, place, _ in scored for code in place.languages}
                   | {code for spoken in team_languages for code in spoken})
    column = {code: i for i, code in enumerate(codes)}
    team_speaks = np.zeros((count, len(codes)))
    for index, spoken in enumerate(team_languages):
        for code in spoken:
            team_speaks[index, column[code]] = 1.0
    lats = np.array([place.lat for _, place, _ in scored], dtype=float)
    lons = np.array([place.lon for _, place, _ in scored], dtype=float)
    # nearest[t, p]: metres from place p to the nearest stop of team t (the start at first)
    nearest = np.tile(_distances_to(start, lats, lons), (count, 1))
    stop_count = np.zeros(count, dtype=int)
    stops = [[] for _ in range(count)]
    left_out = []
    for position, (score, place, reasons) in enumerate(scored):
        present = {code: n for code, n in place.languages.items() if n > 0}
        if present:
            counts = np.zeros(len(codes))
            for code, n in present.items():
                counts[column[code]] = n
            evacuees_covered = team_speaks @ counts
            suitable = evacuees_covered > 0
        else:
            evacuees_covered = np.zeros(count)
            suitable = np.ones(count, dtype=bool)
        if present and not suitable.any():
            left_out.append((place.id, "no_language"))
            continue
        open_teams = np.flatnonzero(suitable & (stop_count < stops_per_team))
        if not len(open_teams):
            left_out.append((place.id, "capacity"))
            continue
        # lexsort: the last key is the first criterion; the team index breaks ties
        best = open_teams[np.lexsort((open_teams, nearest[open_teams, position],
                                      -evacuees_covered[open_teams]))[0]]
        covered = sorted(code for code in present if code in team_languages[best])
        stops[best].append((place, Stop(place.id, score, reasons, covered)))
        here = _distances_to((place.lat, place.lon), lats, lons)
        # a team out at its stops is measured from them, no longer from the start:
        # otherwise every team ties with an idle one and the first formed takes all
        nearest[best] = here if not stop_count[best] else np.minimum(nearest[best], here)
        stop_count[best] += 1
    return stops, left_out


def route(points, start):
    """Visiting order (indices into points) and closed-tour length in metres from start.

    The shorter of the double-tree walk and nearest neighbour, improved by 2-opt and
    or-opt: at most 2 × lower_bound_m(points, start), hence 2 × the optimal tour.
    """
    if not points:
        return [], 0.0
    nodes = [tuple(start)] + [tuple(p) for p in points]
    matrix = _matrix(nodes)
    tours = [_double_tree(matrix), _nearest_neighbour(matrix)]
    tour = min(tours, key=lambda t: _length(matrix, t))
    tour = _improve(matrix, tour)
    order = [int(node) - 1 for node in tour[1:-1]]
    # the length from the scalar formula: callers recomputing it get the same sum
    closed = [nodes[0]] + [nodes[i + 1] for i in order] + [nodes[0]]
    return order, sum(distance_m(a, b) for a, b in zip(closed, closed[1:]))


def lower_bound_m(points, start):
    """Minimum spanning tree weight over start + points: an optimal closed tour is no shorter."""
    if not points:
        return 0.0
    nodes = [tuple(start)] + [tuple(p) for p in points]
    parent = _spanning_tree(_matrix(nodes))
    return sum(distance_m(nodes[child], nodes[parent[child]])
               for child in range(1, len(nodes)))


def _spanning_tree(matrix):
    """Prim's algorithm from node 0; parent[i] links i into the tree (parent[0] = 0).

    Prim rather than scipy's minimum_spanning_tree: scipy reads a zero in a dense
    matrix as "no edge", and two places may share coordinates.
    """
    size = len(matrix)
    in_tree = np.zeros(size, dtype=bool)
    in_tree[0] = True
    best = matrix[0].copy()
    parent = np.zeros(size, dtype=int)
    for _ in range(size - 1):
        node = int(np.argmin(np.where(in_tree, np.inf, best)))
        in_tree[node] = True
        closer = ~in_tree & (matrix[node] < best)
        best[closer] = matrix[node][closer]
        parent[closer] = node
    return parent


def _double_tree(matrix):
    """Preorder walk of the spanning tree rooted at the start, nearer children first."""
    parent = _spanning_tree(matrix)
    children = [[] for _ in range(len(matrix))]
    for child in range(1, len(matrix)):
        children[parent[child]].append(child)
    walk = []
    pending = [0]
    while pending:
        node = pending.pop()
        walk.append(node)
        # pushed farthest first so that the nearest child is visited next
        pending.extend(sorted(children[node], key=lambda c: (-matrix[node, c], -c)))
    return np.array(walk + [0])


def _nearest_neighbour(matrix):
    size = len(matrix)
    visited = np.zeros(size, dtype=bool)
    visited[0] = True
    walk = [0]
    for _ in range(size - 1):
        node = int(np.argmin(np.where(visited, np.inf, matrix[walk[-1]])))
        visited[node] = True
        walk.append(node)
    return np.array(walk + [0])


def _length(matrix, tour):
    return float(matrix[tour[:-1], tour[1:]].sum())


def _improve(matrix, tour):
    """2-opt and or-opt, each until it finds nothing, until neither does."""
    while True:
        tour, reversed_any = _two_opt(matrix, tour)
        tour, moved_any = _or_opt(matrix, tour)
        if not (reversed_any or moved_any):
            return tour


def _two_opt(matrix, tour):
    """Reverse tour[i+1..j] when edges (a, b), (c, d) → (a, c), (b, d) is shorter.

    The tour is closed (tour[0] = tour[-1] = start); the start never moves.
    """
    last = len(tour) - 1
    improved_ever = False
    improved = True
    while improved:
        improved = False
        for i in range(last - 2):
            a, b = tour[i], tour[i + 1]
            c, d = tour[i + 2:last], tour[i + 3:last + 1]
            delta = matrix[a, c] + matrix[b, d] - matrix[a, b] - matrix[c, d]
            k = int(np.argmin(delta))
            if delta[k] < -IMPROVEMENT_M:
                j = i + 2 + k
                tour[i + 1:j + 1] = tour[i + 1:j + 1][::-1].copy()
                improved = improved_ever = True
    return tour, improved_ever


def _or_opt(matrix, tour):
    """Move a run of 1 to OR_OPT_SEGMENT stops elsewhere, either way round, if shorter."""
    improved_ever = False
    improved = True
    while improved:
        improved = False
        for length in range(1, OR_OPT_SEGMENT + 1):
            s = 1
            while s + length < len(tour):
                first, final = tour[s], tour[s + length - 1]
                before, after = tour[s - 1], tour[s + length]
                saved = (matrix[before, first] + matrix[final, after]
                         - matrix[before, after])
                rest = np.concatenate((tour[:s], tour[s + length:]))
                u, v = rest[:-1], rest[1:]
                forward = matrix[u, first] + matrix[final, v] - matrix[u, v]
                backward = matrix[u, final] + matrix[first, v] - matrix[u, v]
                cost = np.minimum(forward, backward)
                k = int(np.argmin(cost))
                if cost[k] < saved - IMPROVEMENT_M:
                    run = tour[s:s + length]
                    if backward[k] < forward[k]:
                        run = run[::-1]
                    tour = np.concatenate((rest[:k + 1], run, rest[k + 1:]))
                    improved = improved_ever = True
                s += 1
    return tour, improved_ever
