"""The matching engine at large-disaster scale, and its gap to an exact solver.

Run:  .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/matching.py

1. A generated instance: 2,500 shelters, 10,000 open needs, 3,000 volunteers,
   16 languages with Sagamihara's skew, multilingual volunteers. Prints the time
   of a full proposal, the peak memory, the pricing rounds and edges, and the needs
   served per urgency next to the most any assignment could serve, computed
   independently (maximum flows on the full feasible graph, most urgent first).
2. Small instances solved twice: by the engine and exactly by networkx's network
   simplex on the full graph with the same objective. Prints the gap (must be 0).

Exits non-zero if the engine serves fewer than the maximum or has a gap.
"""

import random
import resource
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from disaster_support.demo import LANGUAGE_WEIGHTS, NEED_WEIGHTS  # noqa: E402
from disaster_support.vocabulary import need_categories  # noqa: E402
from disaster_support.volunteers.matching import (FAIRNESS_COST, URGENCY_RANK,  # noqa: E402
                                                  Need, Volunteer, match, pair_cost,
                                                  unserved_penalty, usable_level)

CENTER = (35.5710, 139.3734)


def instance(rng, shelters, needs, volunteers):
    categories = need_categories()
    spots = [(CENTER[0] + rng.uniform(-0.08, 0.08), CENTER[1] + rng.uniform(-0.2, 0.1))
             for _ in range(shelters)]
    langs, lw = zip(*LANGUAGE_WEIGHTS.items())
    cats, cw = zip(*NEED_WEIGHTS.items())
    need_list = []
    for i in range(needs):
        category = rng.choices(cats, cw)[0]
        at = rng.choice(spots)
        need_list.append(Need(i, rng.choices(langs, lw)[0], category,
                              rng.choices(["critical", "high", "normal", "low"], [1, 4, 12, 3])[0],
                              rng.choice([1, 1, 2, 3, 4, 6]), at[0], at[1],
                              tuple(categories[category]["skills"])))
    skills = ["interpretation", "translation", "medical_interpretation", "legal_residence",
              "counselling", "childcare", "driving", "care", "easy_japanese"]
    volunteer_list = []
    for i in range(volunteers):
        spoken = {}
        for _ in range(rng.choice([1, 2, 2, 3])):
            spoken[rng.choices(langs, lw)[0]] = rng.choice(["native", "fluent", "conversational"])
        spoken.setdefault("ja", rng.choice(["native", "fluent", "simple_japanese"]))
        at = rng.choice(spots)
        volunteer_list.append(Volunteer(i, spoken, frozenset(rng.sample(skills, 2)),
                                        at[0], at[1], rng.choice([1, 2, 2, 3]),
                                        rng.choice([0, 0, 1])))
    return need_list, volunteer_list


def exact(needs, volunteers):
    """The same objective solved exactly on the full graph (network simplex)."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_node("s", demand=-len(needs))
    graph.add_node("t", demand=len(needs))
    for n in needs:
        graph.add_edge("s", ("n", n.id), capacity=1, weight=0)
        graph.add_edge(("n", n.id), "t", capacity=1, weight=unserved_penalty(n))
        for v in volunteers:
            level = usable_level(v, n)
            if level is not None and v.capacity > 0:
                cost, _ = pair_cost(n, v, level)
                graph.add_edge(("n", n.id), ("v", v.id), capacity=1, weight=cost)
    for v in volunteers:
        for j in range(v.capacity):
            graph.add_edge(("v", v.id), ("slot", v.id, j), capacity=1,
                           weight=FAIRNESS_COST * (v.active + j))
            graph.add_edge(("slot", v.id, j), "t", capacity=1, weight=0)
    flow = nx.min_cost_flow(graph)
    penalties = sum(unserved_penalty(n) for n in needs if flow[("n", n.id)]["t"])
    return nx.cost_of_flow(graph, flow), penalties


def most_servable(needs, volunteers):
    """For each urgency, the most needs of that urgency or a more urgent one that any
    assignment could serve: a maximum flow source -> need -> volunteer (capacity) ->
    sink on every feasible pair. Independent of ``match``: feasibility is asked of
    ``usable_level`` (it reads only a need's language and category).

    Served needs form a transversal matroid, so one assignment reaches all these
    maxima at once, and an optimal one must (the unserved penalties grow by urgency
    in steps larger than all assignment costs together)."""
    volunteers = [v for v in volunteers if v.capacity > 0]
    feasible = {}
    for n in needs:
        if (n.language, n.category) not in feasible:
            feasible[(n.language, n.category)] = np.flatnonzero(
                [usable_level(v, n) is not None for v in volunteers])
    n_needs, n_vols = len(needs), len(volunteers)
    sink = 1 + n_needs + n_vols
    to_sink = (np.arange(n_vols) + 1 + n_needs, np.full(n_vols, sink),
               np.array([v.capacity for v in volunteers]))
    maxima = {}
    for urgency, rank in sorted(URGENCY_RANK.items(), key=lambda item: item[1]):
        chosen = [i for i, n in enumerate(needs) if URGENCY_RANK[n.urgency] <= rank]
        ends = [feasible[(needs[i].language, needs[i].category)] for i in chosen]
        tails = np.repeat(np.array(chosen, dtype=np.int64) + 1, [len(e) for e in ends])
        heads = np.concatenate(ends) + 1 + n_needs if ends else np.zeros(0, dtype=np.int64)
        rows = np.concatenate([np.zeros(len(chosen), dtype=np.int64),
                               tails, to_sink[0]])
        cols = np.concatenate([np.array(chosen, dtype=np.int64) + 1, heads, to_sink[1]])
        caps = np.concatenate([np.ones(len(chosen) + len(tails)), to_sink[2]])
        graph = csr_matrix((caps.astype(np.int32), (rows, cols)), shape=(sink + 1, sink + 1))
        maxima[urgency] = maximum_flow(graph, 0, sink).flow_value
    return maxima


def main():
    rng = random.Random(2026)
    needs, volunteers = instance(rng, 2500, 10_000, 3000)
    start = time.perf_counter()
    result = match(needs, volunteers)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    served = len(result.proposals)
    print("large instance: 10,000 needs, 3,000 volunteers, 2,500 shelters, 16 languages")
    print(f"  full proposal: {seconds:.2f} s; {served:,} needs served, "
          f"{len(result.unserved):,} unserved; peak memory of the process {peak_mb:.0f} MB")
    print(f"  pricing rounds {result.rounds}, need-volunteer edges {result.edges:,} "
          f"(of {len(needs) * len(volunteers):,} pairs)")
    served_by = {u: 0 for u in URGENCY_RANK}
    total_by = {u: 0 for u in URGENCY_RANK}
    for need in needs:
        total_by[need.urgency] += 1
    by_id = {n.id: n for n in needs}
    for p in result.proposals:
        served_by[by_id[p.need_id].urgency] += 1
    maxima = most_servable(needs, volunteers)
    ok = True
    cumulative, previous = 0, 0
    for urgency, _ in sorted(URGENCY_RANK.items(), key=lambda item: item[1]):
        cumulative += served_by[urgency]
        at_most = maxima[urgency] - previous
        previous = maxima[urgency]
        equal = cumulative == maxima[urgency]
        ok &= equal
        print(f"  {urgency:8} served {served_by[urgency]:5,} of {total_by[urgency]:5,}; most "
              f"servable (more urgent ones at their maximum) {at_most:5,}: "
              f"{'equal' if equal else 'NOT EQUAL'}")
    gaps = []
    for seed in range(5):
        small_rng = random.Random(seed)
        small_needs, small_volunteers = instance(small_rng, 40, 300, 90)
        ours = match(small_needs, small_volunteers).objective
        best, penalties = exact(small_needs, small_volunteers)
        # the gap on what can differ: the assignment costs (distance, skills, fairness);
        # the penalties dwarf them and would hide any gap
        gaps.append((ours - best) / (best - penalties) * 100)
        ok &= ours == best
        print(f"  small instance {seed} (300 needs, 90 volunteers): engine {ours:,} vs exact "
              f"{best:,}; gap {gaps[-1]:.3f} % of the assignment cost {best - penalties:,}")
    print(f"largest gap: {max(gaps):.3f} % (must be 0)")
    if not ok:
        print("FAILED: not optimal")
        sys.exit(1)


if __name__ == "__main__":
    main()
