"""Utilization of every strategy on malloclab-style and real traces, glibc in the same table.

Utilization is malloclab's: peak live payload / the most memory the allocator held (1.0 is
perfect). Rows are allocators (the free-list policies separately), columns are traces; the last
two columns are the means over the synthetic malloclab-style traces and over the shipped real
traces. Target (issue "real workloads"): the best policy's mean utilization >= 95% on both;
the best on each family is named, and one more line says how the best single policy does on
both at once.
The synthetic traces are small, so a line gives the tuned policies' means over six seeds;
a last line shows the harder two-buffer realloc trace (not malloclab's), outside the means.
Utilization does not depend on the machine's speed, so these figures are the same on every run
(glibc's move a little: its arena depends on what the process did before).

Run: ``python benchmarks/bench_utilization.py`` (or ``python benchmarks/run.py utilization``)
"""

from __future__ import annotations

from statistics import mean

from common import table

from memlab.traces import general_purpose, replay, shipped
from memlab.traces.generators import MALLOCLAB, realloc_trace, suite
from memlab.traces.native import available

TUNED = "freelist:list=explicit,fit=best,order=address,place=by-size,grow=top-up"
"""Best fit with malloclab's two tricks beyond mm.c (see memlab.allocators.freelist)."""
K_AND_R = "freelist:list=explicit,fit=best,order=address,place=back,grow=top-up"
"""Best fit carving every block from a free block's high end, as K&R's malloc does, and top-up."""
LEAN = ",footers=free"
"""Allocated blocks without footers (CS:APP homework 9.18): 4 bytes of tags a block, not 8."""
TUNED_POLICIES = (TUNED, TUNED + LEAN, K_AND_R, K_AND_R + LEAN)
POLICIES = [
    "freelist",
    "freelist:fit=next",
    "freelist:list=explicit",
    "freelist:list=explicit,order=address",
    "freelist:list=explicit,fit=best",
    "freelist:list=segregated",
    "freelist:list=segregated,fit=best",
    *TUNED_POLICIES,
]
OPS = 5_000
TARGET = 0.95
SEEDS = 6


def _utilizations(traces, spec: str) -> list[float]:
    return [replay(t, spec, progress=False).utilization or 0.0 for t in traces]


def main() -> None:
    synthetic = suite(MALLOCLAB, ops=OPS, seed=1)
    real = shipped.load_all()
    specs = POLICIES + [s for s in general_purpose() if s != "freelist"]
    if available() is None:
        specs.append("glibc")
    header = ["allocator", *(t.name for t in synthetic + real), "mean synth", "mean real"]
    rows, means = [], {}
    for spec in specs:
        synth, reals = _utilizations(synthetic, spec), _utilizations(real, spec)
        means[spec] = (mean(synth), mean(reals))
        rows.append([spec, *(f"{u:.0%}" for u in synth + reals), f"{mean(synth):.1%}", f"{mean(reals):.1%}"])
    print(f"Utilization (peak live payload / heap), {OPS:,}-op synthetic traces and the shipped real traces\n")
    print(table(rows, header))
    for i, group in enumerate(("synthetic malloclab-style", "real")):
        best = max((s for s in specs if s != "glibc"), key=lambda s: means[s][i])
        verdict = "yes" if means[best][i] >= TARGET else "NO"
        line = f"\nbest on {group} traces: {best}, mean {means[best][i]:.1%} (target >= {TARGET:.0%}: {verdict})"
        if "glibc" in means:
            line += f"; glibc {means['glibc'][i]:.1%}"
        print(line, end="")
    both = max((s for s in specs if s != "glibc"), key=lambda s: min(means[s]))
    print(f"\nbest single policy on both: {both}, means {means[both][0]:.1%} and {means[both][1]:.1%}", end="")
    seeds = range(1, SEEDS + 1)  # the synthetic traces are small: how much does one seed decide?
    spread = {
        spec: [mean(u for u in _utilizations(suite(MALLOCLAB, ops=OPS, seed=k), spec)) for k in seeds]
        for spec in TUNED_POLICIES
    }
    print(f"\nsynthetic means over seeds 1-{SEEDS}:", end="")
    for spec, v in spread.items():
        print(f"\n  {spec}: {mean(v):.1%} ({min(v):.1%}-{max(v):.1%})", end="")
    two = realloc_trace(OPS, seed=1, buffers=2)
    cells = ", ".join(
        f"{spec} {replay(two, spec, progress=False).utilization:.0%}"
        for spec in (TUNED, K_AND_R, "glibc")
        if spec in means
    )
    print(f"\n{two.name} (two buffers growing in turns, not in the means): {cells}")


if __name__ == "__main__":
    main()
