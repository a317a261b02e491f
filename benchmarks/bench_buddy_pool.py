"""Speed of the pool, buddy and slab allocators against the C library's malloc/free, same run.

Both sides are called from Python (the simulated allocators directly, glibc through ctypes), so
the ratio compares like with like: what one simulated operation costs over one real call.
Targets: the pool within 2x of malloc/free, the buddy and slab (kmalloc) allocators within 5x.

Programs (seeded): for the pool, fixed 64-byte requests; for the buddy and slab allocators,
random sizes of 1 to 512 bytes. Each keeps about 200 blocks live and frees what is left at the end.
Also: an object pool's acquire/release against allocating and freeing each object.

Run: ``python benchmarks/bench_buddy_pool.py``
"""

from __future__ import annotations

from common import glibc_us_per_op, random_ops, table, us_per_op

from memlab.allocators.buddy import Buddy
from memlab.allocators.objectpool import ObjectPool
from memlab.allocators.pool import Pool
from memlab.allocators.slab.kmalloc import Slab

N = 200_000


def fixed_size(ops, size: int):
    return [(op, size if op == "a" else arg) for op, arg in ops]


def object_pool_us(n: int) -> tuple[float, float, int, int]:
    """(us per acquire+release, us per alloc+free of the same object, allocations each way)."""
    from common import best_of

    pool = ObjectPool(("x", "y", "z"), 64)
    heap = Pool(24, blocks=64)

    def recycle():
        for _ in range(n):
            pool.release(pool.acquire())

    def allocate():
        for _ in range(n):
            heap.free(heap.alloc(24))

    t_pool = best_of(recycle, 3) / n * 1e6
    before = heap.stats().allocs
    t_heap = best_of(allocate, 3) / n * 1e6
    return t_pool, t_heap, pool.allocations, (heap.stats().allocs - before) // 3


def main() -> None:
    mixed = random_ops(N, seed=7, max_size=512, live=200)
    fixed = fixed_size(mixed, 64)
    rows = []
    for label, ops, make in (
        ("pool (64-byte blocks)", fixed, lambda: Pool(64, blocks=256)),
        ("buddy (1..512 bytes)", mixed, lambda: Buddy(max_order=16)),
        ("slab kmalloc (1..512 bytes)", mixed, Slab),
    ):
        heap = make()
        ours = us_per_op(heap.alloc, heap.free, ops)
        theirs = glibc_us_per_op(ops)
        ratio = ours / theirs if theirs else float("nan")
        rows.append((label, ours, theirs or float("nan"), ratio))
    print(f"{N} operations each (about half alloc, half free), best of 3\n")
    print(table(rows, ["allocator", "us/op", "glibc us/op", "ratio"]))
    print("\ntargets: pool <= 2x, buddy and slab <= 5x")
    for (label, _, _, ratio), target in zip(rows, (2, 5, 5)):
        verdict = "meets" if ratio <= target else "misses"
        print(f"  {label}: {ratio:.2f}x, {verdict} its {target}x target")
    t_pool, t_heap, a_pool, a_heap = object_pool_us(50_000)
    print("\nobject pool: 50000 acquire+release vs 50000 alloc+free of a 24-byte object (allocs per run)")
    print(table([("object pool", t_pool, a_pool), ("pool allocator", t_heap, a_heap)], ["", "us/pair", "allocs"]))


if __name__ == "__main__":
    main()
