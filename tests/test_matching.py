"""The matching engine on small hand-made cases and random ones checked against
an exhaustive search."""

import itertools
import random

import pytest

from disaster_support.volunteers.matching import (FAIRNESS_COST, Need, Volunteer, match,
                                                  pair_cost, unserved_penalty, usable_level)

KAMIMIZO = (35.55997, 139.36351)


def need(id, language="vi", category="food", urgency="normal", people=1, at=KAMIMIZO,
         skills=()):
    return Need(id, language, category, urgency, people, at[0], at[1], tuple(skills))


def volunteer(id, languages, at=KAMIMIZO, capacity=1, skills=(), active=0):
    return Volunteer(id, languages, frozenset(skills), at[0], at[1], capacity, active)


def test_never_a_volunteer_without_the_language():
    result = match([need(1, "ne")], [volunteer(1, {"vi": "native", "en": "fluent"})])
    assert result.proposals == []
    assert result.unserved == {1: "no_speaker"}


def test_the_level_must_suffice_for_the_need():
    conversational = volunteer(1, {"vi": "conversational"})
    assert match([need(1, category="food")], [conversational]).proposals
    medical = match([need(2, category="medical")], [conversational])
    assert medical.proposals == [] and medical.unserved == {2: "no_level"}
    reading = volunteer(2, {"vi": "reading"})
    assert match([need(3)], [reading]).proposals == []


def test_easy_japanese_is_served_by_japanese_speakers_and_learners():
    learner = volunteer(1, {"ja": "simple_japanese", "ne": "native"})
    assert match([need(1, "ja-x-easy", "water")], [learner]).proposals[0].volunteer_id == 1
    assert match([need(2, "ja", "water")], [learner]).proposals == []


def test_capacity_is_never_exceeded():
    rng = random.Random(3)
    needs = [need(i, rng.choice(["vi", "ne"]), urgency=rng.choice(["high", "normal"]))
             for i in range(40)]
    volunteers = [volunteer(i, {"vi": "native", "ne": "fluent"}, capacity=rng.randint(1, 3))
                  for i in range(8)]
    result = match(needs, volunteers)
    counts = {}
    for proposal in result.proposals:
        counts[proposal.volunteer_id] = counts.get(proposal.volunteer_id, 0) + 1
    assert all(counts[v.id] <= v.capacity for v in volunteers if v.id in counts)
    assert len(result.proposals) == sum(v.capacity for v in volunteers)


def test_urgency_wins_over_distance():
    far = (35.65, 139.13)  # far west of Midori-ku
    only = volunteer(1, {"vi": "native"}, at=KAMIMIZO)
    result = match([need(1, urgency="low", at=KAMIMIZO), need(2, urgency="critical", at=far)],
                   [only])
    assert [p.need_id for p in result.proposals] == [2]
    assert result.unserved == {1: "busy"}


def test_a_less_urgent_need_gets_a_slot_no_more_urgent_one_can_use():
    # three critical needs for two slots, but only one slot speaks their language: the
    # low need gets the other
    result = match([need(1, "vi", urgency="critical", people=3), need(2, "vi", urgency="critical"),
                    need(3, "vi", urgency="critical"), need(4, "ne", urgency="low")],
                   [volunteer(1, {"vi": "native"}), volunteer(2, {"ne": "native"})])
    assert {p.need_id: p.volunteer_id for p in result.proposals} == {1: 1, 4: 2}
    assert result.unserved == {2: "busy", 3: "busy"}


def test_skills_weigh_heavily_and_then_distance():
    near = volunteer(1, {"vi": "native"}, at=KAMIMIZO)
    far_medic = volunteer(2, {"vi": "native"}, at=(35.60, 139.30),
                          skills={"medical_interpretation"})
    result = match([need(1, category="medical", skills=("medical_interpretation",))],
                   [near, far_medic])
    assert result.proposals[0].volunteer_id == 2
    plain = match([need(2, category="water")], [near, far_medic])
    assert plain.proposals[0].volunteer_id == 1  # no skill needed: the nearest


def test_load_is_spread_fairly():
    a, b = volunteer(1, {"vi": "native"}, capacity=3), volunteer(2, {"vi": "native"}, capacity=3)
    result = match([need(i) for i in range(4)], [a, b])
    per = [sum(p.volunteer_id == v for p in result.proposals) for v in (1, 2)]
    assert per == [2, 2]
    busy = volunteer(3, {"vi": "native"}, capacity=2, active=3)
    assert match([need(9)], [busy, volunteer(4, {"vi": "native"})]).proposals[0].volunteer_id == 4


def test_the_explanation_matches_the_facts():
    v = volunteer(7, {"vi": "fluent", "ja": "native"}, at=(35.5712, 139.3735),
                  skills={"medical_interpretation"}, active=1, capacity=2)
    n = need(1, category="medical", skills=("medical_interpretation",))
    result = match([n], [v])
    reasons = result.proposals[0].reasons
    assert reasons["language"] == "vi" and reasons["level"] == "fluent"
    assert reasons["skills"] == ["medical_interpretation"] and reasons["missing_skills"] == []
    assert reasons["active"] == 1
    # an independent flat-earth estimate of the same distance
    import math

    dy = (35.5712 - KAMIMIZO[0]) * 111.2
    dx = (139.3735 - KAMIMIZO[1]) * 111.2 * math.cos(math.radians(35.56))
    assert reasons["km"] == pytest.approx(math.hypot(dx, dy), abs=0.1)


def test_unservable_needs_name_the_missing_languages():
    needs = [need(1, "ne", people=3), need(2, "ne", people=8), need(3, "my", people=2),
             need(4, "vi", people=1), need(5, "vi", category="medical", people=4)]
    result = match(needs, [volunteer(1, {"vi": "conversational"})])
    groups = {(g["language"], g["reason"]): (g["needs"], g["people"]) for g in result.unservable}
    assert groups == {("ne", "no_speaker"): (2, 11), ("my", "no_speaker"): (1, 2),
                      ("vi", "no_level"): (1, 4)}


# --- Optimality ----------------------------------------------------------------

def objective(needs, volunteers, choice):
    """The engine's objective for one choice (need index -> volunteer or None)."""
    total, load = 0, {}
    for n, v in zip(needs, choice):
        if v is None:
            total += unserved_penalty(n)
            continue
        level = usable_level(v, n)
        if level is None or load.get(v.id, 0) >= v.capacity:
            return None
        cost, _ = pair_cost(n, v, level)
        total += cost + FAIRNESS_COST * (v.active + load.get(v.id, 0))
        load[v.id] = load.get(v.id, 0) + 1
    return total


def exhaustive(needs, volunteers):
    options = [[None] + [v for v in volunteers if usable_level(v, n)] for n in needs]
    best = None
    for choice in itertools.product(*options):
        value = objective(needs, volunteers, choice)
        if value is not None and (best is None or value < best):
            best = value
    return best


@pytest.mark.parametrize("seed", range(25))
def test_the_assignment_is_the_exact_optimum_on_small_random_instances(seed):
    rng = random.Random(seed)
    langs = ["vi", "ne", "zh-Hans"]
    spots = [(35.55 + rng.uniform(-0.05, 0.05), 139.36 + rng.uniform(-0.1, 0.1))
             for _ in range(4)]
    needs = [need(i, rng.choice(langs), rng.choice(["food", "medical", "water"]),
                  rng.choice(["critical", "high", "normal", "low"]), rng.randint(1, 6),
                  rng.choice(spots), skills=rng.choice([(), ("medical_interpretation",)]))
             for i in range(rng.randint(3, 6))]
    volunteers = [volunteer(i, {rng.choice(langs): rng.choice(["native", "fluent",
                                                               "conversational"]),
                                rng.choice(langs): "native"}, rng.choice(spots),
                            rng.randint(1, 2), rng.choice([(), ("medical_interpretation",)]),
                            rng.randint(0, 1))
                  for i in range(rng.randint(2, 4))]
    result = match(needs, volunteers, k=None)
    chosen = {p.need_id: p.volunteer_id for p in result.proposals}
    by_id = {v.id: v for v in volunteers}
    value = objective(needs, volunteers, [by_id.get(chosen.get(n.id)) for n in needs])
    assert value == result.objective == exhaustive(needs, volunteers)


def test_unreachable_agrees_with_the_engine_on_no_speaker_and_no_level():
    from disaster_support.volunteers.matching import unreachable

    needs = [need(1, "ne"), need(2, "vi", "medical"), need(3, "vi", "water"),
             need(4, "ja-x-easy", "water")]
    volunteers = [volunteer(1, {"vi": "conversational", "ja": "simple_japanese"})]
    expected = {n: r for n, r in match(needs, volunteers).unserved.items() if r != "busy"}
    assert unreachable(needs, volunteers) == expected == {1: "no_speaker", 2: "no_level"}


# --- Exact by pricing ----------------------------------------------------------

def random_instance(seed):
    rng = random.Random(seed)
    langs = ["vi", "ne", "zh-Hans", "ja-x-easy", "tl"]
    spots = [(35.55 + rng.uniform(-0.05, 0.05), 139.36 + rng.uniform(-0.1, 0.1))
             for _ in range(8)]
    needs = [need(i, rng.choice(langs), rng.choice(["food", "medical", "water", "housing"]),
                  rng.choice(["critical", "high", "high", "normal", "normal", "low"]),
                  rng.randint(1, 6), rng.choice(spots),
                  skills=rng.choice([(), ("medical_interpretation",), ("driving", "care")]))
             for i in range(rng.randint(60, 140))]
    volunteers = [volunteer(i, {rng.choice(langs[:3] + ["ja"]): rng.choice(["native", "fluent",
                                                                            "conversational"]),
                                rng.choice(langs[:3]): rng.choice(["native", "simple_japanese"])},
                            rng.choice(spots), rng.randint(1, 3),
                            rng.sample(["medical_interpretation", "driving", "care"], 1),
                            rng.randint(0, 2))
                  for i in range(rng.randint(20, 45))]
    excluded = {(n.id, v.id) for n in needs for v in volunteers if rng.random() < 0.05}
    return needs, volunteers, excluded


def assert_certificate(needs, volunteers, excluded, result):
    """The dual values on the result prove optimality on the FULL graph, independently of
    the engine: they are feasible (every reduced cost >= 0, computed here from
    ``pair_cost``) and the dual objective equals the primal one (LP duality)."""
    cert = result.certificate
    u, unserved, slot = cert["need"], cert["unserved"], cert["slot"]
    assert all(p >= 0 for p in unserved.values()) and all(p >= 0 for p in slot.values())
    for n in needs:
        assert u[n.id] <= unserved_penalty(n) + unserved[n.id]
        for v in volunteers:
            level = usable_level(v, n)
            if level is None or (n.id, v.id) in excluded:
                continue
            cost, _ = pair_cost(n, v, level)
            for s in range(v.capacity):
                assert cost + FAIRNESS_COST * (v.active + s) + slot[(v.id, s)] - u[n.id] >= 0
    dual = sum(u.values()) - sum(unserved.values()) - sum(slot.values())
    assert dual == result.objective


@pytest.mark.parametrize("seed", range(6))
def test_pruned_and_priced_is_exactly_the_full_optimum(seed):
    needs, volunteers, excluded = random_instance(seed)
    full = match(needs, volunteers, k=None, excluded=excluded)
    rounds = []
    for k in (1, 2):
        pruned = match(needs, volunteers, k=k, excluded=excluded)
        assert pruned.objective == full.objective
        rounds.append(pruned.rounds)
        assert_certificate(needs, volunteers, excluded, pruned)
        # the proposals realize the objective, and respect declines and capacities
        chosen = {p.need_id: p.volunteer_id for p in pruned.proposals}
        assert not set(chosen.items()) & excluded
        by_id = {v.id: v for v in volunteers}
        assert objective(needs, volunteers,
                         [by_id.get(chosen.get(n.id)) for n in needs]) == pruned.objective
        assert set(chosen) | set(pruned.unserved) == {n.id for n in needs}
        for p in pruned.proposals:
            n = next(x for x in needs if x.id == p.need_id)
            assert (p.cost, p.reasons) == pair_cost(n, by_id[p.volunteer_id],
                                                    usable_level(by_id[p.volunteer_id], n))
    assert_certificate(needs, volunteers, excluded, full)
    # pruning to one or two candidates must really have cut edges that pricing restored
    if seed == 0:
        assert max(rounds) > 1
