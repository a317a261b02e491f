"""Covering arrays: few configurations that hold every option value and every pair of values."""

from itertools import combinations, product

from memlab.allocators.covering import covers, pairwise

OPTIONS = {"a": (0, 1, 2), "b": ("x", "y"), "c": (True, False), "d": ("p", "q", "r")}


def pairs_in(configs):
    return {((k1, c[k1]), (k2, c[k2])) for c in configs for k1, k2 in combinations(sorted(c), 2)}


def test_every_pair_of_values_meets_in_far_fewer_configurations_than_all():
    configs = pairwise(OPTIONS)
    every = {
        ((k1, v1), (k2, v2)) for k1, k2 in combinations(sorted(OPTIONS), 2) for v1 in OPTIONS[k1] for v2 in OPTIONS[k2]
    }
    assert pairs_in(configs) == every
    assert 9 <= len(configs) <= 12 < len(list(product(*OPTIONS.values()))) == 36  # 3 x 3 pairs need 9 at least
    assert configs[0] == {"a": 0, "b": "x", "c": True, "d": "p"}, "the defaults come first"
    assert covers(configs, OPTIONS) == []
    assert covers(configs[:-1], OPTIONS) != [], "without the last configuration a pair is missing"


def test_excluded_combinations_are_never_chosen_and_their_pairs_are_not_required():
    allowed = lambda o: not (o["b"] == "y" and o["c"])  # noqa: E731 - b=y excludes c=True
    configs = pairwise(OPTIONS, allowed)
    assert all(allowed(c) for c in configs)
    assert (("b", "y"), ("c", True)) not in pairs_in(configs)
    assert covers(configs, OPTIONS, allowed) == []
    assert covers(configs, OPTIONS) == [(("b", "y"), ("c", True))]


def test_nothing_to_vary_is_one_empty_configuration_at_most():
    assert pairwise({}) == ({},)
    assert pairwise({"a": (1, 2)}, lambda o: False) == ()
