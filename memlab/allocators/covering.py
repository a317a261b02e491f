"""Few configurations that between them try every option value and every pair of values.

An allocator with seven options of two to four values each has hundreds of configurations, too
many to test one by one. Most bugs need one option value, or two that meet, to show; so a
*covering array of strength 2* (every value of every option, and every pair of values of two
options, in at least one configuration) finds them with a few dozen configurations. This is
pairwise (all-pairs) testing, as in Cohen, Dalal, Fredman and Patton, "The AETG System" (IEEE TSE
23(7), 1997), whose greedy construction :func:`pairwise` follows: take, again and again, the
configuration that covers the most pairs not yet covered.

Options that exclude each other (a free-list heap's ``footers="free"`` needs immediate
coalescing) are honoured by ``allowed``: only pairs that some allowed configuration holds must be
covered. Simplification: AETG scores a random sample of candidates; this enumerates them all
(there are at most a few thousand), so the result is the same every time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import combinations, product
from typing import Any


def pairwise(
    options: Mapping[str, Sequence[Any]], allowed: Callable[[dict[str, Any]], bool] | None = None
) -> tuple[dict[str, Any], ...]:
    """Configurations (dicts of option values) covering every allowed value and pair of values.

    The first configuration takes each option's first value where that is allowed, so list the
    default first: the default configuration is then among those tested.
    """
    if not options:
        return ({},)  # nothing varies: the one configuration is the default
    names = list(options)
    candidates = [v for v in product(*options.values()) if allowed is None or allowed(dict(zip(names, v)))]
    if not candidates:
        return ()
    pairs_of = [_pairs(values) for values in candidates]
    missing = set().union(*pairs_of)
    chosen = []
    while missing:
        best = max(range(len(candidates)), key=lambda i: len(pairs_of[i] & missing))
        chosen.append(dict(zip(names, candidates[best])))
        missing -= pairs_of[best]
    return tuple(chosen)


def _pairs(values: tuple) -> frozenset:
    """Every value of the configuration (as a pair with itself) and every pair of its values."""
    cells = list(enumerate(values))
    return frozenset([(a, a) for a in cells] + list(combinations(cells, 2)))


def covers(configurations: Sequence[Mapping[str, Any]], options: Mapping[str, Sequence[Any]], allowed=None) -> list:
    """The allowed values and pairs of values no configuration holds (empty: a covering array)."""
    names = list(options)
    wanted = set()
    for values in product(*options.values()):
        if allowed is None or allowed(dict(zip(names, values))):
            wanted |= _pairs(values)
    for config in configurations:
        wanted -= _pairs(tuple(config[n] for n in names))
    return sorted((((names[i], a), (names[j], b)) for (i, a), (j, b) in wanted), key=repr)
