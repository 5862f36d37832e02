"""The patrol-round planner at large-disaster scale, and how far its routes are from optimal.

Run:  .venv/bin/python bench/patrols.py [--places 2500] [--volunteers 300] [--seed 2026]

1. A generated city: places around Sagamihara (shelters, mosques, dormitories,
   car-sleeping sites) with foreign evacuees in 14 languages with Sagamihara's skew,
   unresolved needs, hours since the last visit; volunteers with 1-3 languages.
   Times plan_patrol (best of 3) and prints the teams, stops, places left out by
   reason, distances, and the worst ratio of a route to its lower bound (the minimum
   spanning tree; the planner guarantees at most 2).
2. Routes against the optimum: every team's route against an exhaustive search over
   its visiting orders (teams of up to 8 stops).
3. One team with 200 stops: the time of route() and its ratio to the lower bound.
"""

import argparse
import itertools
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from disaster_support.demo import LANGUAGE_WEIGHTS  # noqa: E402
from disaster_support.patrols.planning import (PatrolVolunteer, PlaceToVisit,  # noqa: E402
                                               distance_m, lower_bound_m, plan_patrol,
                                               route)

CENTER = (35.5710, 139.3734)   # Sagamihara's disaster prevention center (city hall)
LEVELS = ["native", "fluent", "conversational", "simple_japanese", "reading"]
EXHAUSTIVE_UP_TO = 8


def city(rng, places, volunteers):
    languages, weights = zip(*LANGUAGE_WEIGHTS.items())
    place_list = []
    for i in range(places):
        spoken = {}
        # most places hold one or two communities; a tenth none (needs of Japanese only)
        for _ in range(rng.choices([0, 1, 2, 3], [1, 5, 3, 1])[0]):
            code = rng.choices(languages, weights)[0]
            spoken[code] = spoken.get(code, 0) + rng.choice([1, 2, 3, 5, 8, 15, 40])
        needs = {u: rng.choice([0, 0, 0, 1, 2]) for u in ("critical", "high", "normal", "low")}
        needs["critical"] = rng.choices([0, 1], [19, 1])[0]
        place_list.append(PlaceToVisit(
            id=f"P{i:05d}", lat=rng.uniform(35.52, 35.62), lon=rng.uniform(139.15, 139.45),
            languages=spoken,
            hours_since_visit=rng.choice([None, rng.uniform(0, 72)]),
            open_needs={u: n for u, n in needs.items() if n},
            unservable=rng.choices([0, 1, 2], [17, 2, 1])[0]))
    volunteer_list = []
    for i in range(volunteers):
        spoken = {rng.choices(languages, weights)[0]: rng.choice(LEVELS)
                  for _ in range(rng.choice([1, 2, 2, 3]))}
        spoken.setdefault("ja", rng.choice(["native", "fluent", "simple_japanese"]))
        volunteer_list.append(PatrolVolunteer(
            id=i, lat=CENTER[0] + rng.uniform(-0.05, 0.05),
            lon=CENTER[1] + rng.uniform(-0.1, 0.1), languages=spoken))
    return place_list, volunteer_list


def optimal_m(points, start):
    """The shortest closed tour by trying every order (each tour once per direction)."""
    best = float("inf")
    for order in itertools.permutations(range(len(points))):
        if len(order) > 1 and order[0] > order[-1]:
            continue
        closed = [start] + [points[i] for i in order] + [start]
        best = min(best, sum(distance_m(a, b) for a, b in zip(closed, closed[1:])))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=2500)
    parser.add_argument("--volunteers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    places, volunteers = city(rng, args.places, args.volunteers)

    timings = []
    for _ in range(3):
        started = time.perf_counter()
        plan = plan_patrol(places, volunteers, start=CENTER)
        timings.append(time.perf_counter() - started)
    stops = sum(len(team.stops) for team in plan.teams)
    reasons = {"no_language": 0, "capacity": 0}
    for _, reason in plan.left_out:
        reasons[reason] = reasons.get(reason, 0) + 1
    by_id = {place.id: place for place in places}
    ratios = []
    gaps = []
    for team in plan.teams:
        if not team.stops:
            continue
        points = [(by_id[s.place_id].lat, by_id[s.place_id].lon) for s in team.stops]
        ratios.append(team.distance_m / lower_bound_m(points, CENTER))
        if len(points) <= EXHAUSTIVE_UP_TO:
            best = optimal_m(points, CENTER)
            gaps.append((team.distance_m - best) / best * 100)
    print(f"city: {args.places:,} places, {args.volunteers:,} volunteers, "
          f"{len(LANGUAGE_WEIGHTS)} languages")
    print(f"  plan_patrol: {min(timings):.3f} s (best of 3)")
    print(f"  teams {len(plan.teams)}, stops planned {stops:,}")
    print("  left out: " + ", ".join(f"{reason} {n:,}" for reason, n in reasons.items())
          + f"; never proposed (nobody foreign, nothing needed) "
          f"{len(places) - stops - len(plan.left_out):,}")
    print(f"  total distance {plan.total_distance_m / 1000:,.1f} km, longest team route "
          f"{max(team.distance_m for team in plan.teams) / 1000:.1f} km")
    print(f"  worst route / lower bound: {max(ratios):.3f} (guaranteed at most 2; "
          f"median {sorted(ratios)[len(ratios) // 2]:.3f})")
    print(f"  against the optimum ({len(gaps)} teams, exhaustive search): worst gap "
          f"{max(gaps):.3f} %, {sum(g < 1e-6 for g in gaps)} routes optimal")

    long_rng = random.Random(args.seed + 1)
    points = [(long_rng.uniform(35.52, 35.62), long_rng.uniform(139.15, 139.45))
              for _ in range(200)]
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        _, length = route(points, CENTER)
        timings.append(time.perf_counter() - started)
    print(f"one team, 200 stops: route {min(timings):.3f} s (best of 3), "
          f"{length / 1000:.1f} km, route / lower bound "
          f"{length / lower_bound_m(points, CENTER):.3f}")


if __name__ == "__main__":
    main()
