"""The patrol-round planner: priorities, teams that speak the evacuees' languages, and
routes no longer than twice the optimum. Pure functions, no database."""

import itertools
import json
import math
import random

import pytest

from disaster_support.patrols import planning
from disaster_support.patrols.planning import (PatrolVolunteer, PlaceToVisit, distance_m,
                                               lower_bound_m, plan_patrol, priority, route)

CENTER = (35.5710, 139.3734)   # the disaster prevention center
LANGUAGES = ["vi", "ne", "zh-Hans", "fil", "pt-BR", "ko", "my", "id"]
SPEAKING = {"native", "fluent", "conversational"}
METRES_PER_DEGREE = math.pi * 6_371_000 / 180


def place(id, languages=None, hours=10.0, needs=None, unservable=0, at=CENTER):
    return PlaceToVisit(id, at[0], at[1], {"vi": 5} if languages is None else languages,
                        hours, needs or {}, unservable)


def volunteer(id, languages, at=CENTER):
    return PatrolVolunteer(id, at[0], at[1], languages)


def offset(metres_north, metres_east, origin=CENTER):
    return (origin[0] + metres_north / METRES_PER_DEGREE,
            origin[1] + metres_east / (METRES_PER_DEGREE * math.cos(math.radians(origin[0]))))


def haversine(a, b):
    """The test's own great-circle distance, to check the module against."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def prim_weight(nodes):
    """Minimum spanning tree weight by a plain Prim's algorithm (not the module's)."""
    best = {i: haversine(nodes[0], nodes[i]) for i in range(1, len(nodes))}
    total = 0.0
    while best:
        nearest = min(best, key=best.get)
        total += best.pop(nearest)
        for other in best:
            best[other] = min(best[other], haversine(nodes[nearest], nodes[other]))
    return total


def closed_tour(points, start=CENTER):
    stops = [start, *points, start]
    return sum(haversine(a, b) for a, b in zip(stops, stops[1:]))


def generated_city(seed=7, places=200, volunteers=20):
    rng = random.Random(seed)
    place_list = []
    for i in range(places):
        spoken = {code: rng.randint(1, 30)
                  for code in rng.sample(LANGUAGES, rng.choice([0, 1, 1, 2, 3]))}
        needs = {u: rng.choice([0, 0, 1, 3]) for u in ("critical", "high", "normal", "low")}
        place_list.append(PlaceToVisit(
            f"place-{i:03d}", rng.uniform(35.52, 35.62), rng.uniform(139.15, 139.45),
            spoken, rng.choice([None, rng.uniform(0, 96)]),
            {u: n for u, n in needs.items() if n}, rng.choice([0, 0, 0, 1])))
    volunteer_list = [
        PatrolVolunteer(i, rng.uniform(35.52, 35.62), rng.uniform(139.15, 139.45),
                        {code: rng.choice(["native", "fluent", "conversational",
                                           "simple_japanese", "reading"])
                         for code in rng.sample(LANGUAGES + ["ja"], rng.randint(1, 3))})
        for i in range(volunteers)]
    return place_list, volunteer_list


@pytest.fixture(scope="module")
def city():
    places, volunteers = generated_city()
    # a place whose only language no volunteer speaks
    places.append(place("burmese-only", {"km": 12}, hours=None, needs={"critical": 2}))
    # nobody there in need of a patrol: no foreign evacuees, no needs, never visited
    places.append(place("quiet", {}, hours=None))
    places.append(place("emptied", {"vi": 0}, hours=80))
    plan = plan_patrol(places, volunteers, start=CENTER, stops_per_team=6)
    return places, volunteers, plan


def speaks(volunteer):
    return {code for code, level in volunteer.languages.items() if level in SPEAKING}


# --- priority -------------------------------------------------------------------------

def test_critical_needs_outrank_a_long_wait_which_outranks_a_recent_visit():
    critical = priority(place("a", hours=1, needs={"critical": 1}))[0]
    waiting = priority(place("b", hours=40))[0]
    recent = priority(place("c", hours=1))[0]
    assert critical > waiting > recent


def test_urgencies_weigh_critical_far_above_high_above_normal_above_low():
    def score(urgency):
        return priority(place("x", needs={urgency: 1}))[0]
    base = priority(place("x"))[0]
    assert score("critical") - base > 2 * (score("high") - base)
    assert score("high") > score("normal") > score("low") > base


def test_never_visited_counts_as_the_cap_and_longer_waits_do_not_count_more():
    never = priority(place("a", hours=None))[0]
    assert never == priority(place("b", hours=48))[0] == priority(place("c", hours=500))[0]
    assert never > priority(place("d", hours=47))[0]
    assert priority(place("e", hours=None), now_hours_cap=12)[0] < never


def test_more_evacuees_rank_higher_with_diminishing_returns():
    def score(n):
        return priority(place("x", {"vi": n}))[0]
    assert score(1) < score(2) < score(100) < score(101)
    assert score(2) - score(1) > 10 * (score(101) - score(100))


def test_unservable_needs_weigh_more_than_high_needs():
    base = priority(place("x"))[0]
    assert (priority(place("x", unservable=1))[0] - base
            > priority(place("x", needs={"high": 1}))[0] - base)


def test_nobody_foreign_and_nothing_needed_scores_zero_even_when_never_visited():
    score, reasons = priority(place("x", {}, hours=None))
    assert score == 0
    assert reasons == {"foreign": 0, "hours": None, "needs": {}, "unservable": 0,
                       "languages": []}
    assert priority(place("y", {}, needs={"low": 1}))[0] > 0


def test_reasons_say_why_in_plain_json():
    score, reasons = priority(place("x", {"ne": 3, "vi": 7}, hours=5.5,
                                    needs={"normal": 2, "critical": 1, "high": 0},
                                    unservable=1))
    assert reasons == {"foreign": 10, "hours": 5.5, "needs": {"critical": 1, "normal": 2},
                       "unservable": 1, "languages": ["vi", "ne"]}
    assert json.loads(json.dumps(reasons)) == reasons


# --- the generated city -----------------------------------------------------------------

def test_every_visit_is_by_a_team_that_speaks_one_of_the_places_languages(city):
    places, _, plan = city
    by_id = {p.id: p for p in places}
    visits = [(team, stop) for team in plan.teams for stop in team.stops]
    assert visits
    for team, stop in visits:
        languages = {code for code, n in by_id[stop.place_id].languages.items() if n > 0}
        if languages:
            assert stop.covered
            assert set(stop.covered) <= languages & set(team.languages)
            assert stop.covered == sorted(languages & set(team.languages))


def test_team_languages_count_only_native_fluent_and_conversational(city):
    _, volunteers, plan = city
    by_id = {v.id: v for v in volunteers}
    for team in plan.teams:
        assert team.languages == sorted(set().union(*(speaks(by_id[m]) for m in team.members)))


def test_no_place_twice_and_no_team_over_its_stops(city):
    places, _, plan = city
    visited = [stop.place_id for team in plan.teams for stop in team.stops]
    left = [place_id for place_id, _ in plan.left_out]
    assert len(visited) == len(set(visited))
    assert all(len(team.stops) <= 6 for team in plan.teams)
    # every place that needs a patrol is either planned or left out with a reason, once
    wanted = {p.id for p in places if priority(p)[0] > 0}
    assert sorted(visited + left) == sorted(wanted)


def test_places_with_nobody_foreign_and_nothing_needed_are_never_proposed(city):
    places, _, plan = city
    proposed = {stop.place_id for team in plan.teams for stop in team.stops}
    proposed |= {place_id for place_id, _ in plan.left_out}
    assert {"quiet", "emptied"}.isdisjoint(proposed)
    assert all(priority(p)[0] > 0 for p in places if p.id in proposed)


def test_teams_are_formed_from_every_volunteer(city):
    _, volunteers, plan = city
    assert len(plan.teams) == len(volunteers) // 2
    members = [m for team in plan.teams for m in team.members]
    assert sorted(members) == [v.id for v in volunteers]


def test_left_out_reasons_are_right(city):
    places, _, plan = city
    by_id = {p.id: p for p in places}
    reasons = dict(plan.left_out)
    assert reasons["burmese-only"] == "no_language"
    assert set(reasons.values()) == {"no_language", "capacity"}
    for place_id, reason in plan.left_out:
        languages = {c for c, n in by_id[place_id].languages.items() if n > 0}
        able = [t for t in plan.teams if not languages or languages & set(t.languages)]
        if reason == "no_language":
            assert languages and not able
        else:
            assert able and all(len(t.stops) == 6 for t in able)


def test_places_go_in_priority_order_a_left_out_place_never_outranks_a_visited_one(city):
    places, _, plan = city
    score = {p.id: priority(p)[0] for p in places}
    for team in (team for team in plan.teams if team.stops):
        lowest = min(score[stop.place_id] for stop in team.stops)
        for place_id, reason in plan.left_out:
            if reason == "capacity" and set(team.languages) & set(
                    next(p for p in places if p.id == place_id).languages):
                assert score[place_id] <= lowest


def test_routes_are_at_most_twice_an_independent_lower_bound(city):
    places, _, plan = city
    by_id = {p.id: p for p in places}
    for team in plan.teams:
        points = [(by_id[s.place_id].lat, by_id[s.place_id].lon) for s in team.stops]
        if points:
            assert team.distance_m <= 2 * prim_weight([CENTER, *points]) * (1 + 1e-9)
            assert lower_bound_m(points, CENTER) == pytest.approx(
                prim_weight([CENTER, *points]), rel=1e-9)


def test_a_teams_distance_is_its_closed_tour_through_the_stops_in_order(city):
    places, _, plan = city
    by_id = {p.id: p for p in places}
    for team in plan.teams:
        points = [(by_id[s.place_id].lat, by_id[s.place_id].lon) for s in team.stops]
        assert team.distance_m == pytest.approx(closed_tour(points), rel=1e-9)
    assert plan.total_distance_m == pytest.approx(sum(t.distance_m for t in plan.teams))


def test_stops_carry_their_score_and_reasons(city):
    places, _, plan = city
    by_id = {p.id: p for p in places}
    for stop in (stop for team in plan.teams for stop in team.stops):
        assert (stop.score, stop.reasons) == priority(by_id[stop.place_id])


# --- teams and assignment on small cases ----------------------------------------------

def test_the_first_member_covers_most_of_the_languages_needed():
    places = [place("v", {"vi": 20}), place("n", {"ne": 15}), place("c", {"zh-Hans": 2})]
    volunteers = [volunteer(1, {"zh-Hans": "native"}),
                  volunteer(2, {"vi": "fluent", "ne": "conversational"}),
                  volunteer(3, {"vi": "native"})]
    plan = plan_patrol(places, volunteers, start=CENTER, teams=1, team_size=1)
    assert plan.teams[0].members == [2]
    assert plan.left_out == [("c", "no_language")]


def test_a_teams_next_member_brings_languages_it_lacks():
    places = [place("v", {"vi": 20}, hours=30), place("n", {"ne": 20})]
    volunteers = [volunteer(1, {"vi": "native"}), volunteer(2, {"vi": "native"}),
                  volunteer(3, {"ne": "native"}), volunteer(4, {"ne": "fluent"})]
    plan = plan_patrol(places, volunteers, start=CENTER)
    # first members: vi (a tie with ne, broken by id), then the uncovered ne; then each
    # team takes the speaker of the language it lacks, not a second one of its own
    assert [t.members for t in plan.teams] == [[1, 4], [3, 2]]
    assert [t.languages for t in plan.teams] == [["ne", "vi"], ["ne", "vi"]]


def test_reading_or_easy_japanese_is_not_speaking():
    places = [place("k", {"ko": 4})]
    volunteers = [volunteer(1, {"ko": "reading", "ja": "native"}),
                  volunteer(2, {"ko": "simple_japanese"})]
    plan = plan_patrol(places, volunteers, start=CENTER)
    assert plan.teams[0].languages == ["ja"]
    assert plan.left_out == [("k", "no_language")]


def test_volunteers_without_a_usable_language_still_fill_teams():
    volunteers = [volunteer(1, {"vi": "native"}), volunteer(2, {}),
                  volunteer(3, {"ne": "reading"})]
    plan = plan_patrol([place("v")], volunteers, start=CENTER, team_size=3)
    assert plan.teams[0].members == [1, 2, 3]


def test_a_given_number_of_teams_takes_at_most_team_size_each():
    volunteers = [volunteer(i, {"vi": "native"}) for i in range(10)]
    plan = plan_patrol([place("v")], volunteers, start=CENTER, teams=2, team_size=3)
    assert [len(t.members) for t in plan.teams] == [3, 3]
    plan = plan_patrol([place("v")], volunteers[:3], start=CENTER, teams=5)
    assert len(plan.teams) == 3
    plan = plan_patrol([place("v")], volunteers[:1], start=CENTER)
    assert [t.members for t in plan.teams] == [[0]]
    plan = plan_patrol([place("v")], volunteers, start=CENTER, teams=0)
    assert plan.teams == [] and plan.left_out == [("v", "no_language")]


def test_without_volunteers_nothing_is_planned():
    plan = plan_patrol([place("v"), place("any", {}, needs={"high": 1})], [], start=CENTER)
    assert plan.teams == []
    # in priority order
    assert plan.left_out == [("v", "no_language"), ("any", "capacity")]
    assert plan.total_distance_m == 0


def test_the_team_covering_more_evacuees_gets_the_place_then_the_nearer_one():
    north, south = offset(3000, 0), offset(-3000, 0)
    places = [place("mixed", {"vi": 30, "ne": 2}, hours=None, at=north),
              place("vi-north", {"vi": 5}, hours=40, at=offset(3500, 0)),
              place("vi-south", {"vi": 5}, hours=30, at=south)]
    volunteers = [volunteer(1, {"vi": "native"}), volunteer(2, {"ne": "native"}),
                  volunteer(3, {"vi": "fluent"})]
    plan = plan_patrol(places, volunteers, start=CENTER, teams=3, team_size=1)
    stops = {t.members[0]: [s.place_id for s in t.stops] for t in plan.teams}
    # mixed: both vi teams cover 30 of 32, the first formed wins the tie; vi-north: the
    # team already north is nearer; vi-south: the other vi team still waits at the start
    assert stops == {1: ["mixed", "vi-north"], 3: ["vi-south"], 2: []}


def test_a_place_without_languages_may_go_to_any_team():
    plan = plan_patrol([place("car-park", {}, needs={"high": 2})],
                       [volunteer(1, {"my": "native"})], start=CENTER)
    assert [s.place_id for s in plan.teams[0].stops] == ["car-park"]
    assert plan.teams[0].stops[0].covered == []


def test_when_every_team_that_speaks_it_is_full_a_place_is_left_out_for_capacity():
    places = [place("first", {"vi": 9}), place("second", {"vi": 3}),
              place("nepali", {"ne": 1})]
    volunteers = [volunteer(1, {"vi": "native"}), volunteer(2, {"ne": "native"})]
    plan = plan_patrol(places, volunteers, start=CENTER, team_size=1, stops_per_team=1)
    assert plan.left_out == [("second", "capacity")]
    assert [[s.place_id for s in t.stops] for t in plan.teams] == [["first"], ["nepali"]]


def test_the_same_input_gives_the_same_plan_whatever_its_order():
    places, volunteers = generated_city(seed=11)
    plan = plan_patrol(places, volunteers, start=CENTER)
    assert plan_patrol(places, volunteers, start=CENTER) == plan
    rng = random.Random(3)
    rng.shuffle(places)
    rng.shuffle(volunteers)
    assert plan_patrol(places, volunteers, start=CENTER) == plan


# --- routes -----------------------------------------------------------------------------

def test_distance_is_the_great_circle_in_metres():
    assert distance_m((35.0, 139.0), (36.0, 139.0)) == pytest.approx(111_194.9, abs=0.1)
    assert distance_m(CENTER, CENTER) == 0
    assert distance_m(CENTER, (35.6, 139.2)) == pytest.approx(haversine(CENTER, (35.6, 139.2)))


def test_points_on_a_line_are_visited_out_and_back():
    along = [1000 * k for k in (5, 2, 9, 1, 7, 3, 8, 4, 6)]
    points = [offset(metres, 0) for metres in along]
    order, length = route(points, CENTER)
    assert [along[i] for i in order] in (sorted(along), sorted(along, reverse=True))
    assert length == pytest.approx(2 * 9000, rel=1e-6)
    assert length == pytest.approx(2 * lower_bound_m(points, CENTER), rel=1e-9)


def test_points_on_a_circle_are_visited_round_it():
    count = 24
    angles = list(range(1, count))
    random.Random(5).shuffle(angles)
    # the start is on the circle too, at angle 0
    ring = [offset(2000 * math.cos(2 * math.pi * k / count) - 2000,
                   2000 * math.sin(2 * math.pi * k / count)) for k in angles]
    order, length = route(ring, CENTER)
    visited = [angles[i] for i in order]
    assert visited in (list(range(1, count)), list(range(count - 1, 0, -1)))
    side = haversine(CENTER, offset(2000 * math.cos(2 * math.pi / count) - 2000,
                                    2000 * math.sin(2 * math.pi / count)))
    assert length == pytest.approx(count * side, rel=1e-3)


def test_two_opt_uncrosses_a_bowtie():
    corners = [CENTER, offset(0, 1000), offset(1000, 0), offset(1000, 1000)]
    matrix = planning._matrix(corners)
    crossed = planning.np.array([0, 1, 2, 3, 0])   # 0-1 and 2-3 are sides, 1-2 a diagonal
    tour, improved = planning._two_opt(matrix, crossed.copy())
    assert improved
    assert planning._length(matrix, tour) == pytest.approx(4000, rel=1e-3)
    assert planning._length(matrix, crossed) > 4500


def test_or_opt_moves_a_stop_back_into_line():
    line = [CENTER] + [offset(1000 * k, 0) for k in (1, 2, 3, 4)]
    matrix = planning._matrix(line)
    tour, improved = planning._or_opt(matrix, planning.np.array([0, 3, 1, 2, 4, 0]))
    assert improved
    assert list(tour) == [0, 1, 2, 3, 4, 0]


def scattered(seed):
    rng = random.Random(seed)
    return [(rng.uniform(35.52, 35.62), rng.uniform(139.15, 139.45))
            for _ in range(rng.randint(4, 12))]


# 751: the improved walk ends longer than plain nearest neighbour; 2079, 2520: the
# other way round (found by searching seeds): route must try both
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 751, 2079, 2520])
def test_the_route_is_no_longer_than_either_construction_and_the_walk_within_2x(seed):
    points = scattered(seed)
    matrix = planning._matrix([CENTER, *points])
    walk = planning._double_tree(matrix)
    greedy = planning._nearest_neighbour(matrix)
    for tour in (walk, greedy):
        assert sorted(tour[1:-1]) == list(range(1, len(points) + 1))
        assert tour[0] == tour[-1] == 0
    # the bound's proof: the preorder walk of the spanning tree shortcuts its double
    assert planning._length(matrix, walk) <= 2 * prim_weight([CENTER, *points]) * (1 + 1e-9)
    _, length = route(points, CENTER)
    assert length <= min(planning._length(matrix, walk),
                         planning._length(matrix, greedy)) * (1 + 1e-9)


# 2-opt alone stops above the optimum on these (found by searching seeds); or-opt gets there
@pytest.mark.parametrize("seed", [14, 32])
def test_or_opt_finds_the_optimum_where_two_opt_stops_short(seed):
    points = scattered(seed)
    optimum = min(closed_tour([points[i] for i in order])
                  for order in itertools.permutations(range(len(points))))
    matrix = planning._matrix([CENTER, *points])
    two_opt_only = min(planning._length(matrix, planning._two_opt(matrix, tour)[0])
                       for tour in (planning._double_tree(matrix),
                                    planning._nearest_neighbour(matrix)))
    assert two_opt_only > optimum * 1.001
    assert route(points, CENTER)[1] == pytest.approx(optimum, rel=1e-9)


def test_one_team_with_200_stops_gets_a_short_route():
    rng = random.Random(200)
    places = [place(f"p{i:03d}", {"vi": rng.randint(1, 9)}, hours=rng.uniform(0, 48),
                    at=(rng.uniform(35.52, 35.62), rng.uniform(139.15, 139.45)))
              for i in range(200)]
    plan = plan_patrol(places, [volunteer(1, {"vi": "native"})], start=CENTER,
                       stops_per_team=200)
    (team,) = plan.teams
    assert sorted(s.place_id for s in team.stops) == sorted(p.id for p in places)
    by_id = {p.id: p for p in places}
    points = [(by_id[s.place_id].lat, by_id[s.place_id].lon) for s in team.stops]
    bound = prim_weight([CENTER, *points])
    assert team.distance_m == pytest.approx(closed_tour(points), rel=1e-9)
    # guaranteed: at most twice; in practice 2-opt and or-opt bring it far lower
    assert team.distance_m <= 1.4 * bound


def test_duplicate_points_and_empty_routes():
    assert route([], CENTER) == ([], 0.0)
    assert lower_bound_m([], CENTER) == 0
    there = offset(1500, 0)
    order, length = route([there, there, CENTER], CENTER)
    assert sorted(order) == [0, 1, 2]
    assert length == pytest.approx(3000, rel=1e-6)
    assert lower_bound_m([there, there, CENTER], CENTER) == pytest.approx(1500, rel=1e-6)
