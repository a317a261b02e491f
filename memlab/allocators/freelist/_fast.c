/* The free-list heap in C: heap.py and lists.py again, statement for statement, with mm.c's macros.
 *
 * CS:APP's mm.c (Bryant & O'Hallaron, 3e, 9.9.12) is C, and its find_fit, place and coalesce cost
 * a few loads and stores; the readable Python pays an interpreter step for each. This module runs
 * the same algorithm on the same simulated bytes (the heap's mmap, as 32-bit little-endian words)
 * for every option of the heap: implicit, explicit and segregated lists, LIFO or address order,
 * first, next, best and worst fit, front, back and by-size placement, footers on every block or on
 * free ones only, chunk or top-up growth, immediate or deferred coalescing, realloc in place. The
 * names are the book's (GET, PUT, HDRP, FTRP, NEXT_BLKP, ...) and the functions are heap.py's and
 * lists.py's, in the same order of reads and writes, so that the tests can hold this file to
 * exactly what the readable path does: the same bytes, rovers and search counts, and the same
 * error after the same writes, on corrupt tags too.
 *
 * Where it differs from mm.c, it differs as the Python does:
 * - Every word access is checked as Python indexes a memoryview (a negative index counts from the
 *   end), and every stored value must fit 32 bits. A failed access jumps (longjmp) back to the
 *   operation, which hands the same IndexError or ValueError the Python path would meet to the
 *   heap's _tripped, so the heap raises the same HeapCorruption after the same writes.
 * - A list walk that reads more blocks than the heap can hold (its break / 16) calls the lists'
 *   cycle(), which raises HeapCorruption naming the block met twice; a walk calls
 *   PyErr_CheckSignals() every 2^20 blocks, so Ctrl-C interrupts a long one.
 * - sbrk, the heap's error messages and next fit's rovers stay in Python (heap._sbrk, lists.cycle,
 *   heap._zero_size, lists.rovers), so both paths share them.
 * - An implicit list's search is answered by an index instead of a walk over every block, with the
 *   same block and the same count of blocks examined (see "an index of the implicit list" below).
 * The heap uses this only while nobody records: Split and Coalesce events are the readable path's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* -- the book's constants and macros (tags.py) ------------------------------------------------- */

#define WSIZE 4          /* header, footer and link words */
#define DSIZE 8          /* double word: payload alignment */
#define MIN_BLOCK 16     /* header, two links (or 8 bytes of payload), footer */
#define ALLOC 1          /* the allocated bit */
#define PREV_FREE 2      /* footers="free": the block to the left is free */
#define MAX_BLOCK ((1LL << 32) - DSIZE)
#define LARGE 128        /* place="by-size": blocks this large come from a free block's high end */
#define TABLE_MAX 8192   /* segregated classes by table up to here */

#define PACK(size, alloc) ((size) | (alloc))
#define GET(p) get(h, (p))
#define PUT(p, val) put(h, (p), (val))
#define GET_SIZE(p) (GET(p) & ~0x7LL)
#define GET_ALLOC(p) (GET(p) & ALLOC)
#define HDRP(bp) ((bp) - WSIZE)
#define FTRP(bp) ((bp) + GET_SIZE(HDRP(bp)) - DSIZE)
#define NEXT_BLKP(bp) ((bp) + GET_SIZE(HDRP(bp)))
#define PREV_BLKP(bp) ((bp) - GET_SIZE((bp) - DSIZE))
#define PREV_FTRP(bp) ((bp) - DSIZE)
#define PRED_PTR(bp) (bp)
#define SUCC_PTR(bp) ((bp) + WSIZE)
#define PRED(bp) GET(PRED_PTR(bp))
#define SUCC(bp) GET(SUCC_PTR(bp))
#define HEAD(k) (h->heads_address + WSIZE * (k))  /* the address of list k's head word */

enum { FIRST, NEXT, BEST, WORST };          /* the fits, as lists.PLACEMENTS names them */
enum { BAD_INDEX = 1, BAD_VALUE, PYTHON };  /* why an operation jumped back */
#define TICKS 0xFFFFF                         /* check for signals every 2^20 blocks read */

#define PAGE 128  /* blocks on one page of the implicit list's index */

typedef struct {
    int n;            /* blocks on this page */
    int64_t maxfree;  /* the largest free block's tag on it (0: none) */
    int64_t bp[PAGE]; /* the blocks, in address order */
    int64_t tag[PAGE];/* a free block's tag (its size); an allocated block's size | ALLOC */
} Page;

typedef struct {
    int on;              /* the index describes the heap: a search may use it */
    int stale;           /* something else may have written the tags: rebuild before the next search */
    long long writes;    /* Memory.writes when the index last matched the memory */
    Page **pages;        /* the blocks in address order, page by page */
    Py_ssize_t npages, pages_cap;
    int64_t total;       /* blocks in all */
    uint64_t *free;      /* the free blocks as (tag << 32 | bp), ascending */
    Py_ssize_t nfree, free_cap;
} Index;

typedef struct {
    PyObject_HEAD
    Py_buffer view;  /* the heap's memory, held for this object's life */
    uint32_t *w;     /* ... as words */
    int64_t n;       /* words in memory */
    jmp_buf *fail;   /* where a failed access jumps: the running operation */
    /* the heap's options */
    int linked, fit, roving, address_order, deferred, by_size, from_back, top_up, footless;
    int64_t tags, chunk, heads, heads_address, first_bp;
    int8_t table[TABLE_MAX / 8 + 1];  /* lists._table: a block size's class, by size >> 3 */
    int64_t most;                     /* brk / 16 when last read: a walk longer than this re-reads it */
    uint32_t ticks;
    int64_t *runs;                    /* deferred coalescing: the walk's free blocks, (bp, size, run) */
    Py_ssize_t runs_cap;
    long long searches, examined;     /* this path's search counts (lists add the readable path's) */
    int indexed, verify;              /* implicit lists keep an index; verify: check it against a walk */
    Index ix;
    PyObject *memory_dict;            /* the Memory's attributes: writes and written */
    PyObject *heap, *heap_dict, *os, *rovers, *sbrk, *tripped, *cycle, *zero_size, *out_of_memory;
    PyObject *readable_alloc, *readable_free, *readable_after_free, *readable_resize, *readable_coalesce_all;
} Heap;

static PyObject *recorder_name, *brk_name, *writes_name, *written_name;

/* -- words, checked as a memoryview checks them ------------------------------------------------- */

static void fail(Heap *h, int why) { longjmp(*h->fail, why); }

static int64_t floor4(int64_t p) { return p >= 0 ? p >> 2 : ~(~p >> 2); }  /* Python's p >> 2 */

static int64_t word_index(Heap *h, int64_t p) {
    int64_t i = floor4(p);
    if (i < 0) i += h->n;
    if (i < 0 || i >= h->n) fail(h, BAD_INDEX);
    return i;
}

static int64_t get(Heap *h, int64_t p) { return h->w[word_index(h, p)]; }

static void put(Heap *h, int64_t p, int64_t val) {
    int64_t i = word_index(h, p);
    if (val < 0 || val > 0xFFFFFFFFLL) fail(h, BAD_VALUE);
    h->w[i] = (uint32_t)val;
}

static void tick(Heap *h) {
    if ((++h->ticks & TICKS) == 0 && PyErr_CheckSignals() < 0) fail(h, PYTHON);
}

/* -- what stays in Python ----------------------------------------------------------------------- */

static int64_t python_int(Heap *h, PyObject *result) {
    if (result == NULL) fail(h, PYTHON);
    long long v = PyLong_AsLongLong(result);
    Py_DECREF(result);
    if (v == -1 && PyErr_Occurred()) fail(h, PYTHON);
    return v;
}

static int64_t break_address(Heap *h) { return python_int(h, PyObject_GetAttr(h->os, brk_name)); }

static int64_t grow_break(Heap *h, int64_t increment) {  /* heap._sbrk: the OS, the footprint */
    return python_int(h, PyObject_CallFunction(h->sbrk, "L", (long long)increment));
}

/* lists.cycle(k, start) and heap._zero_size(p) name what they found, and raise */
static void cycle(Heap *h, int64_t k, int64_t start) {
    Py_XDECREF(PyObject_CallFunction(h->cycle, "LL", (long long)k, (long long)start));
    fail(h, PYTHON);
}

static void zero_size(Heap *h, int64_t p) {
    Py_XDECREF(PyObject_CallFunction(h->zero_size, "L", (long long)p));
    fail(h, PYTHON);
}

/* lists.rovers[k], with Python's negative indices (a corrupt size of 0 or 8 has class -2 or -1) */
static int64_t rover(Heap *h, int64_t k) {
    return PyLong_AsLongLong(PyList_GET_ITEM(h->rovers, k < 0 ? k + PyList_GET_SIZE(h->rovers) : k));
}

static void set_rover(Heap *h, int64_t k, int64_t bp) {
    PyObject *v = PyLong_FromLongLong(bp);
    if (v == NULL) fail(h, PYTHON);
    PyList_SetItem(h->rovers, k < 0 ? k + PyList_GET_SIZE(h->rovers) : k, v);
}

/* lists.most_blocks() as a budget for a walk that has read `read` blocks: 0 means a cycle */
static int64_t left(Heap *h, int64_t read) {
    if (read < h->most) return h->most - read;
    h->most = break_address(h) / MIN_BLOCK;
    return h->most > read ? h->most - read : 0;
}

/* -- lists.py: the lists' words ------------------------------------------------------------------ */

static int64_t class_of(Heap *h, int64_t size) {
    return size <= TABLE_MAX ? h->table[size >> 3] : h->heads - 1;
}

static void insert(Heap *h, int64_t bp, int64_t size) {  /* LIFO, or before the first higher address */
    if (!h->linked) return;
    int64_t k = class_of(h, size), pred = 0, succ = GET(HEAD(k));
    if (h->address_order) {
        int64_t first = succ, read = 0;
        while (succ && succ < bp) {
            if (!left(h, read)) cycle(h, k, first);
            read++;
            tick(h);
            pred = succ, succ = SUCC(succ);
        }
    }
    PUT(PRED_PTR(bp), pred);
    PUT(SUCC_PTR(bp), succ);
    PUT(pred ? SUCC_PTR(pred) : HEAD(k), bp);
    if (succ) PUT(PRED_PTR(succ), bp);
}

static void remove_block(Heap *h, int64_t bp, int64_t size) {  /* unlink through its own links */
    if (!h->linked) return;
    int64_t k = class_of(h, size), pred = PRED(bp), succ = SUCC(bp);
    PUT(pred ? SUCC_PTR(pred) : HEAD(k), succ);
    if (succ) PUT(PRED_PTR(succ), pred);
    if (h->roving && rover(h, k) == bp) set_rover(h, k, succ);
}

static void merged(Heap *h, int64_t bp, int64_t size) {  /* the implicit list's rover leaves merged blocks */
    if (h->linked || !h->roving) return;
    int64_t r = rover(h, 0);
    if (bp < r && r < bp + size) set_rover(h, 0, bp);
}

/* -- lists.py: the blocks a search reads, one by one (the Python generators) --------------------- */

typedef struct {
    int64_t k;      /* the list (linked) */
    int64_t start;  /* where to start (0: the first block, or list k's head) */
    int64_t bp;     /* the block read last */
    int64_t tag;    /* its tag (the walk moves on by its size) */
    int64_t first;  /* where this walk started, to name a cycle */
    int64_t read;   /* blocks read, against the heap's most */
    int started, second;  /* the walk has begun; a rotated walk is in its second part */
    int64_t rover;  /* next fit: the rover the walk started from (0: not rotated) */
} Cursor;

/* heap.walk(start): every block to the epilogue; a free block of size 0 raises */
static int walk_next(Heap *h, Cursor *c) {
    if (c->started) c->bp += c->tag & ~0x7LL;  /* NEXT_BLKP, from the tag just read */
    else c->started = 1, c->bp = c->start ? c->start : h->first_bp;
    c->tag = GET(HDRP(c->bp));
    tick(h);
    if (c->tag & ~0x7LL) return 1;
    if (!(c->tag & ALLOC)) zero_size(h, HDRP(c->bp));
    return 0;
}

/* lists.nodes(k, start): list k from start, or from its head */
static int nodes_next(Heap *h, Cursor *c) {
    if (c->started) c->bp = SUCC(c->bp);
    else c->started = 1, c->read = 0, c->bp = c->first = c->start ? c->start : GET(HEAD(c->k));
    if (!c->bp) return 0;
    if (!left(h, c->read)) cycle(h, c->k, c->first);
    c->read++;
    tick(h);
    c->tag = GET(HDRP(c->bp));
    return 1;
}

static int segment_next(Heap *h, Cursor *c) { return h->linked ? nodes_next(h, c) : walk_next(h, c); }

/* the next block, in rotated order if the walk starts at a rover (ImplicitList/LinkedLists._rotated) */
static int next_block(Heap *h, Cursor *c) {
    if (!c->rover) return segment_next(h, c);
    if (!c->second) {
        if (segment_next(h, c)) return 1;
        c->second = 1, c->started = 0, c->start = 0;
    }
    return segment_next(h, c) && c->bp != c->rover;
}

/* lists.first_fit, best_fit, worst_fit: the chosen block (0: none), its size, blocks examined */
static int64_t choose(Heap *h, Cursor *c, int64_t asize, int64_t *size, int64_t *examined) {
    int64_t n = 0, best = 0, best_size = 0;
    if (h->fit == FIRST || h->fit == NEXT) {
        while (next_block(h, c)) {
            n++;
            if (c->tag >= asize && !(c->tag & ALLOC)) {
                *size = c->tag, *examined = n;
                return c->bp;
            }
        }
    } else if (h->fit == BEST) {
        while (next_block(h, c)) {
            n++;
            if (c->tag >= asize && !(c->tag & ALLOC) && (!best || c->tag < best_size)) {
                best = c->bp, best_size = c->tag;
                if (c->tag == asize) break;
            }
        }
    } else {
        while (next_block(h, c)) {
            n++;
            if (!(c->tag & ALLOC) && c->tag > best_size) best = c->bp, best_size = c->tag;
        }
        if (best_size < asize) best = best_size = 0;
    }
    *size = best_size, *examined = n;
    return best;
}

/* -- an index of the implicit list, so that a search need not read every header ------------------
 *
 * An implicit-list search reads every block from the first (first fit: up to the one it takes), so
 * it costs O(all blocks): a few nanoseconds a block in C, still dozens of times glibc's cost on a
 * real program's heap of thousands of blocks. So for implicit lists this file also keeps the blocks
 * in address order, in pages of up to PAGE blocks with each page's largest free block, and the free
 * blocks sorted by (tag, address). A search then finds the block the walk would take, and counts
 * the blocks the walk would read:
 * - first fit: the first page whose largest free block fits, then the first block on it that fits;
 *   the walk reads up to it (its rank in address order, plus one), or every block if none fits;
 * - next fit: first fit from the rover to the end, then from the start up to the rover;
 * - best fit: the smallest tag that fits, the lowest address among equals; the walk stops early
 *   only at an exact fit, else it reads every block;
 * - worst fit: the largest tag, the lowest address among equals; the walk reads every block.
 * The index answers only while the tags are exactly as this file left them. It is rebuilt, by a
 * walk that checks the tags as check() does, whenever something else may have written them: the
 * memory was written other than inside one block's payload (Memory counts its writes), the readable
 * path ran (someone recorded), or an operation failed. A heap whose tags are not sound is not
 * indexed: its searches walk, and meet the corruption exactly as the readable path does. */

static void ix_clear(Index *ix) {
    for (Py_ssize_t p = 0; p < ix->npages; p++) PyMem_Free(ix->pages[p]);
    ix->npages = 0, ix->total = 0, ix->nfree = 0, ix->on = 0;
}

static void ix_release(Index *ix) {
    ix_clear(ix);
    PyMem_Free(ix->pages), PyMem_Free(ix->free);
    ix->pages = NULL, ix->free = NULL, ix->pages_cap = ix->free_cap = 0;
}

static int grow_array(void **array, Py_ssize_t *cap, Py_ssize_t need, size_t item) {
    if (need <= *cap) return 0;
    Py_ssize_t more = *cap ? 2 * *cap : 64;
    while (more < need) more *= 2;
    void *bigger = PyMem_Realloc(*array, more * item);
    if (bigger == NULL) return -1;
    *array = bigger, *cap = more;
    return 0;
}

/* the page that holds (or would hold) block bp, and bp's slot on it */
static Py_ssize_t ix_page(Index *ix, int64_t bp) {
    Py_ssize_t lo = 0, hi = ix->npages - 1;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi + 1) / 2;
        if (ix->pages[mid]->bp[0] <= bp) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

static int ix_slot(Page *pg, int64_t bp) {
    int lo = 0, hi = pg->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (pg->bp[mid] < bp) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void page_max(Page *pg) {
    pg->maxfree = 0;
    for (int i = 0; i < pg->n; i++)
        if (!(pg->tag[i] & ALLOC) && pg->tag[i] > pg->maxfree) pg->maxfree = pg->tag[i];
}

static Py_ssize_t free_slot(Index *ix, uint64_t key) {  /* the first free entry >= key */
    Py_ssize_t lo = 0, hi = ix->nfree;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (ix->free[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

#define FREE_KEY(tag, bp) (((uint64_t)(tag) << 32) | (uint64_t)(bp))

static int free_add(Index *ix, int64_t tag, int64_t bp) {
    if (grow_array((void **)&ix->free, &ix->free_cap, ix->nfree + 1, sizeof(uint64_t)) < 0) return -1;
    Py_ssize_t i = free_slot(ix, FREE_KEY(tag, bp));
    memmove(ix->free + i + 1, ix->free + i, (ix->nfree - i) * sizeof(uint64_t));
    ix->free[i] = FREE_KEY(tag, bp), ix->nfree++;
    return 0;
}

static int free_del(Index *ix, int64_t tag, int64_t bp) {
    Py_ssize_t i = free_slot(ix, FREE_KEY(tag, bp));
    if (i == ix->nfree || ix->free[i] != FREE_KEY(tag, bp)) return -1;
    memmove(ix->free + i, ix->free + i + 1, (ix->nfree - i - 1) * sizeof(uint64_t));
    ix->nfree--;
    return 0;
}

/* The block at bp now has tag `tag` (free: its size; allocated: size | ALLOC), new or not. Anything
 * unexpected (no memory, a free entry missing) turns the index off until it is rebuilt. */
static void ix_put(Heap *h, int64_t bp, int64_t tag) {
    Index *ix = &h->ix;
    if (!ix->on) return;
    if (ix->npages == 0) {
        if (grow_array((void **)&ix->pages, &ix->pages_cap, 1, sizeof(Page *)) < 0) goto off;
        Page *first = PyMem_Malloc(sizeof(Page));
        if (first == NULL) goto off;
        first->n = 0, first->maxfree = 0, ix->pages[ix->npages++] = first;
    }
    Py_ssize_t p = ix_page(ix, bp);
    Page *pg = ix->pages[p];
    int i = ix_slot(pg, bp);
    int64_t old = ALLOC;
    if (i < pg->n && pg->bp[i] == bp) {
        old = pg->tag[i];
        if (old == tag) return;
        if (!(old & ALLOC) && free_del(ix, old, bp) < 0) goto off;
    } else {
        if (pg->n == PAGE) {  /* split the page in two */
            if (grow_array((void **)&ix->pages, &ix->pages_cap, ix->npages + 1, sizeof(Page *)) < 0) goto off;
            Page *right = PyMem_Malloc(sizeof(Page));
            if (right == NULL) goto off;
            right->n = PAGE / 2, pg->n = PAGE / 2;
            memcpy(right->bp, pg->bp + PAGE / 2, PAGE / 2 * sizeof(int64_t));
            memcpy(right->tag, pg->tag + PAGE / 2, PAGE / 2 * sizeof(int64_t));
            memmove(ix->pages + p + 2, ix->pages + p + 1, (ix->npages - p - 1) * sizeof(Page *));
            ix->pages[p + 1] = right, ix->npages++;
            page_max(pg), page_max(right);
            if (i > PAGE / 2 || (i == PAGE / 2 && bp > right->bp[0])) pg = right, i -= PAGE / 2;
        }
        memmove(pg->bp + i + 1, pg->bp + i, (pg->n - i) * sizeof(int64_t));
        memmove(pg->tag + i + 1, pg->tag + i, (pg->n - i) * sizeof(int64_t));
        pg->bp[i] = bp, pg->n++, ix->total++;
    }
    pg->tag[i] = tag;
    if (!(tag & ALLOC) && free_add(ix, tag, bp) < 0) goto off;
    if (!(tag & ALLOC) && tag > pg->maxfree) pg->maxfree = tag;
    else if (!(old & ALLOC) && old == pg->maxfree) page_max(pg);
    return;
off:
    ix_clear(ix), ix->stale = 1;
}

/* Block bp is gone (merged into the block before it). */
static void ix_drop(Heap *h, int64_t bp) {
    Index *ix = &h->ix;
    if (!ix->on) return;
    Py_ssize_t p = ix->npages ? ix_page(ix, bp) : 0;
    Page *pg = ix->npages ? ix->pages[p] : NULL;
    int i = pg ? ix_slot(pg, bp) : 0;
    if (pg == NULL || i == pg->n || pg->bp[i] != bp) goto off;
    int64_t old = pg->tag[i];
    if (!(old & ALLOC) && free_del(ix, old, bp) < 0) goto off;
    memmove(pg->bp + i, pg->bp + i + 1, (pg->n - i - 1) * sizeof(int64_t));
    memmove(pg->tag + i, pg->tag + i + 1, (pg->n - i - 1) * sizeof(int64_t));
    pg->n--, ix->total--;
    if (pg->n == 0) {
        PyMem_Free(pg);
        memmove(ix->pages + p, ix->pages + p + 1, (ix->npages - p - 1) * sizeof(Page *));
        ix->npages--;
    } else if (!(old & ALLOC) && old == pg->maxfree) {
        page_max(pg);
    }
    return;
off:
    ix_clear(ix), ix->stale = 1;
}

static int64_t ix_rank(Index *ix, Py_ssize_t p, int i) {  /* blocks before slot i of page p */
    int64_t rank = i;
    for (Py_ssize_t q = 0; q < p; q++) rank += ix->pages[q]->n;
    return rank;
}

/* the first free block of asize+ bytes at or after slot i of page p: 1 and its place, or 0 */
static int ix_first_fit(Index *ix, int64_t asize, Py_ssize_t p, int i, Py_ssize_t *fp, int *fi) {
    for (; p < ix->npages; p++, i = 0) {
        Page *pg = ix->pages[p];
        if (pg->maxfree < asize) continue;
        for (; i < pg->n; i++) {
            if (!(pg->tag[i] & ALLOC) && pg->tag[i] >= asize) {
                *fp = p, *fi = i;
                return 1;
            }
        }
    }
    return 0;
}

/* block bp's place (1), or 0 if it is not the start of a block the index knows */
static int ix_find_block(Index *ix, int64_t bp, Py_ssize_t *p, int *i) {
    if (!ix->npages) return 0;
    *p = ix_page(ix, bp);
    *i = ix_slot(ix->pages[*p], bp);
    return *i < ix->pages[*p]->n && ix->pages[*p]->bp[*i] == bp;
}

/* The search the walk would make, answered from the index: 1 if it answered (bp, size, examined). */
static int ix_search(Heap *h, int64_t asize, int64_t rover_bp, int64_t *bp, int64_t *size, int64_t *examined) {
    Index *ix = &h->ix;
    Py_ssize_t p, rp;
    int i, ri;
    *bp = 0, *size = 0, *examined = ix->total;
    if (h->fit == BEST || h->fit == WORST) {
        if (ix->nfree == 0) return 1;
        uint64_t key = h->fit == BEST ? FREE_KEY(asize, 0) : FREE_KEY(ix->free[ix->nfree - 1] >> 32, 0);
        Py_ssize_t f = free_slot(ix, key);
        if (f == ix->nfree) return 1;
        int64_t tag = (int64_t)(ix->free[f] >> 32), block = (int64_t)(ix->free[f] & 0xFFFFFFFFu);
        if (tag < asize) return 1;  /* worst fit: even the largest is too small */
        *bp = block, *size = tag;
        if (h->fit == BEST && tag == asize) {  /* an exact fit ends the walk there */
            if (!ix_find_block(ix, block, &p, &i)) return 0;
            *examined = ix_rank(ix, p, i) + 1;
        }
        return 1;
    }
    if (!rover_bp) {  /* first fit, or next fit before its first search */
        if (ix_first_fit(ix, asize, 0, 0, &p, &i)) {
            *bp = ix->pages[p]->bp[i], *size = ix->pages[p]->tag[i], *examined = ix_rank(ix, p, i) + 1;
        }
        return 1;
    }
    if (!ix_find_block(ix, rover_bp, &rp, &ri)) return 0;  /* the walk starts where no block starts */
    int64_t from = ix_rank(ix, rp, ri);
    if (ix_first_fit(ix, asize, rp, ri, &p, &i)) {
        *examined = ix_rank(ix, p, i) - from + 1;
    } else if (ix_first_fit(ix, asize, 0, 0, &p, &i) && (p < rp || (p == rp && i < ri))) {
        *examined = ix->total - from + ix_rank(ix, p, i) + 1;
    } else {
        return 1;
    }
    *bp = ix->pages[p]->bp[i], *size = ix->pages[p]->tag[i];
    return 1;
}

/* Rebuild the index by a walk that checks the tags as check() does; off if they are not sound.
 * Reads here never fail: every address is checked against the break first. */
static void ix_build(Heap *h) {
    Index *ix = &h->ix;
    ix_clear(ix);
    ix->stale = 0;
    int64_t end = break_address(h) - WSIZE, bp = h->first_bp, prev_free = 0;  /* end: the epilogue's place */
    int64_t pro = h->first_bp - 3 * WSIZE;  /* the prologue: the first block's left neighbour */
    if (end > h->n * 4 || pro < 0 || h->w[pro >> 2] != (DSIZE | ALLOC) || h->w[(pro >> 2) + 1] != (DSIZE | ALLOC))
        return;
    ix->on = 1;
    Page *pg = NULL;
    for (;;) {
        int64_t a = HDRP(bp);
        if (a > end) goto unsound;
        int64_t tag = h->w[a >> 2], size = tag & ~0x7LL, allocated = tag & ALLOC;
        if (h->footless && allocated && !(tag & PREV_FREE) != !prev_free) goto unsound;
        if ((tag & ~(int64_t)(h->footless ? PREV_FREE : 0)) == ALLOC) {
            if (a != end) goto unsound;
            return;  /* the epilogue, where it belongs */
        }
        if (tag & (h->footless && allocated ? 4 : 6)) goto unsound;
        if (size < MIN_BLOCK || bp % DSIZE || a + size > end) goto unsound;
        if (!(h->footless && allocated) && h->w[(bp + size - DSIZE) >> 2] != tag) goto unsound;
        if (!allocated && prev_free && !h->deferred) goto unsound;
        if (pg == NULL || pg->n == PAGE * 3 / 4) {  /* leave room on each page for the blocks to come */
            if (grow_array((void **)&ix->pages, &ix->pages_cap, ix->npages + 1, sizeof(Page *)) < 0) goto unsound;
            if ((pg = PyMem_Malloc(sizeof(Page))) == NULL) goto unsound;
            pg->n = 0, pg->maxfree = 0, ix->pages[ix->npages++] = pg;
        }
        pg->bp[pg->n] = bp, pg->tag[pg->n] = allocated ? size | ALLOC : tag, pg->n++, ix->total++;
        if (!allocated) {
            if (tag > pg->maxfree) pg->maxfree = tag;
            if (grow_array((void **)&ix->free, &ix->free_cap, ix->nfree + 1, sizeof(uint64_t)) < 0) goto unsound;
            ix->free[ix->nfree++] = FREE_KEY(tag, bp);
        }
        prev_free = !allocated;
        bp += size;
    }
unsound:
    PyErr_Clear();
    ix_clear(ix);
}

static int cmp_keys(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static long long memory_writes(Heap *h) {
    PyObject *v = PyDict_GetItemWithError(h->memory_dict, writes_name);
    return v ? PyLong_AsLongLong(v) : -1;
}

/* Before an operation: is the index still the heap's? A write that stayed inside one block's
 * payload (realloc's copy, calloc's zeros) leaves every tag as it was. */
static void ix_sync(Heap *h) {
    Index *ix = &h->ix;
    long long writes = memory_writes(h);
    if (writes != ix->writes) {
        int payload = 0;
        PyObject *span = PyDict_GetItemWithError(h->memory_dict, written_name);
        if (ix->on && writes == ix->writes + 1 && span && PyTuple_Check(span) && PyTuple_GET_SIZE(span) == 2) {
            int64_t lo = PyLong_AsLongLong(PyTuple_GET_ITEM(span, 0)), hi = PyLong_AsLongLong(PyTuple_GET_ITEM(span, 1));
            Py_ssize_t p;
            int i;
            if (ix->npages && lo >= h->first_bp) {
                p = ix_page(ix, lo);
                i = ix_slot(ix->pages[p], lo + 1) - 1;  /* the last block starting at or below lo */
                if (i >= 0) {
                    int64_t start = ix->pages[p]->bp[i], tag = ix->pages[p]->tag[i];
                    int64_t end = start + (tag & ~0x7LL) - (tag & ALLOC ? h->tags : DSIZE);
                    payload = start <= lo && hi <= end;
                }
            }
        }
        PyErr_Clear();
        if (!payload) ix->stale = 1;
        ix->writes = writes;
    }
    if (ix->stale) {
        ix_build(h);
        if (ix->on) qsort(ix->free, ix->nfree, sizeof(uint64_t), cmp_keys);
    }
}

/* find_fit: ImplicitList.find and LinkedLists.find */
static int64_t find(Heap *h, int64_t asize, int64_t *size) {
    int64_t bp, n;
    h->searches++;
    if (!h->linked) {
        int64_t r = h->roving ? rover(h, 0) : 0;
        if (!(h->ix.on && ix_search(h, asize, r, &bp, size, &n)) || h->verify) {
            int64_t by_index = bp, index_size = *size, index_n = n, answered = h->ix.on;
            Cursor c = {0};
            c.rover = c.start = r;
            bp = choose(h, &c, asize, size, &n);
            if (answered && (bp != by_index || *size != index_size || n != index_n)) {
                PyErr_Format(PyExc_AssertionError, "the index found %lld (%lld bytes, %lld examined), the walk %lld "
                             "(%lld bytes, %lld examined)", (long long)by_index, (long long)index_size,
                             (long long)index_n, (long long)bp, (long long)*size, (long long)n);
                fail(h, PYTHON);
            }
        }
        h->examined += n;
        if (bp && h->roving) set_rover(h, 0, bp);
        return bp;
    }
    int64_t first = class_of(h, asize), k = h->fit == WORST ? h->heads - 1 : first;
    for (; h->fit == WORST ? k >= first : k < h->heads; k += h->fit == WORST ? -1 : 1) {
        if (!GET(HEAD(k))) continue;
        Cursor c = {0};
        c.k = k;
        c.rover = h->roving ? rover(h, k) : 0;
        c.start = c.rover;
        bp = choose(h, &c, asize, size, &n);
        h->examined += n;
        if (bp) {
            if (h->roving) set_rover(h, k, bp);
            return bp;
        }
    }
    *size = 0;
    return 0;
}

/* -- heap.py: coalesce (the four cases), then deferred coalescing -------------------------------- */

static int64_t coalesce(Heap *h, int64_t bp, int64_t left_free) {
    int64_t size = GET(HDRP(bp)), start, total;
    int64_t prev = left_free || !h->footless ? GET(PREV_FTRP(bp)) : PACK(0, ALLOC);
    int64_t nxt = NEXT_BLKP(bp), after = GET(HDRP(nxt));
    int merge = 1;
    if (prev & ALLOC && after & ALLOC) {  /* case 1: both neighbours allocated */
        start = bp, total = size, merge = 0;
    } else if (prev & ALLOC) {  /* case 2: the next block is free */
        remove_block(h, nxt, after);
        start = bp, total = size + after;
    } else if (after & ALLOC) {  /* case 3: the previous block is free */
        start = bp - prev;
        remove_block(h, start, prev);
        total = size + prev;
    } else {  /* case 4: both are free */
        remove_block(h, nxt, after);
        start = bp - prev;
        remove_block(h, start, prev);
        total = size + prev + after;
    }
    if (merge) {
        PUT(HDRP(start), PACK(total, 0));
        PUT(FTRP(start), PACK(total, 0));
        merged(h, start, total);
        if (start != bp) ix_drop(h, bp);
        if (!(after & ALLOC)) ix_drop(h, nxt);
        ix_put(h, start, total);
    }
    if (h->footless) PUT(HDRP(start + total), GET(HDRP(start + total)) | PREV_FREE);
    insert(h, start, total);
    return start;
}

/* heap._runs(), whole: every free block of the walk as (bp, size, run number); returns how many */
static Py_ssize_t runs(Heap *h) {
    Cursor c = {0};
    Py_ssize_t count = 0;
    int64_t run = 0, in_run = 0;
    while (walk_next(h, &c)) {
        if (c.tag & ALLOC) {
            run += in_run, in_run = 0;
            continue;
        }
        if (count * 3 + 3 > h->runs_cap) {
            Py_ssize_t cap = h->runs_cap ? 2 * h->runs_cap : 3 * 256;
            int64_t *more = PyMem_Realloc(h->runs, cap * sizeof(int64_t));
            if (more == NULL) PyErr_NoMemory(), fail(h, PYTHON);
            h->runs = more, h->runs_cap = cap;
        }
        h->runs[3 * count] = c.bp, h->runs[3 * count + 1] = c.tag, h->runs[3 * count + 2] = run;
        count++, in_run = 1;
    }
    return count;
}

static int64_t largest_run(Heap *h) {
    Py_ssize_t count = runs(h);
    int64_t largest = 0, sum = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        sum = (i && h->runs[3 * i + 2] == h->runs[3 * i - 1] ? sum : 0) + h->runs[3 * i + 1];
        if (sum > largest) largest = sum;
    }
    return largest;
}

static int64_t coalesce_all(Heap *h) {
    Py_ssize_t count = runs(h), i = 0;
    int64_t merges = 0;
    while (i < count) {
        Py_ssize_t j = i;
        int64_t size = 0, bp = h->runs[3 * i];
        while (j < count && h->runs[3 * j + 2] == h->runs[3 * i + 2]) j++;
        if (j - i >= 2) {
            for (Py_ssize_t m = i; m < j; m++) {
                remove_block(h, h->runs[3 * m], h->runs[3 * m + 1]);
                size += h->runs[3 * m + 1];
            }
            PUT(HDRP(bp), PACK(size, 0));
            PUT(FTRP(bp), PACK(size, 0));
            merged(h, bp, size);
            for (Py_ssize_t m = i + 1; m < j; m++) ix_drop(h, h->runs[3 * m]);
            ix_put(h, bp, size);
            insert(h, bp, size);
            merges++;
        }
        i = j;
    }
    return merges;
}

/* -- heap.py: extend_heap, and growing for a request -------------------------------------------- */

static int64_t extend(Heap *h, int64_t size) {
    int64_t bp = grow_break(h, size);
    int64_t left_free = GET(HDRP(bp)) & PREV_FREE;
    PUT(HDRP(bp), PACK(size, 0));
    PUT(FTRP(bp), PACK(size, 0));
    PUT(HDRP(NEXT_BLKP(bp)), PACK(0, ALLOC));
    ix_put(h, bp, size);
    if (h->deferred) {
        insert(h, bp, size);
        return bp;
    }
    return coalesce(h, bp, left_free);
}

static int64_t free_top(Heap *h) {
    int64_t bp = break_address(h), total = 0, tag;
    if (h->footless) return GET(HDRP(bp)) & PREV_FREE ? GET(PREV_FTRP(bp)) : 0;
    while (!((tag = GET(PREV_FTRP(bp))) & ALLOC)) {
        if (!tag) zero_size(h, PREV_FTRP(bp));
        tick(h);
        total += tag;
        bp -= tag;
    }
    return total;
}

static int64_t grow_for(Heap *h, int64_t asize) {
    int64_t need = h->top_up ? asize - free_top(h) : asize, size;
    if (h->deferred) {
        if (largest_run(h) < asize) extend(h, need > h->chunk ? need : h->chunk);
        coalesce_all(h);
        return find(h, asize, &size);
    }
    return extend(h, need > h->chunk ? need : h->chunk);
}

/* -- heap.py: place ----------------------------------------------------------------------------- */

static void allocated(Heap *h, int64_t bp, int64_t size, int64_t left_free) {
    if (h->footless) {
        PUT(HDRP(bp), PACK(size, ALLOC | left_free));
    } else {
        PUT(HDRP(bp), PACK(size, ALLOC));
        PUT(FTRP(bp), PACK(size, ALLOC));
    }
}

static void left_allocated(Heap *h, int64_t bp) {
    if (h->footless) PUT(HDRP(bp), GET(HDRP(bp)) & ~PREV_FREE);
}

static int64_t carve(Heap *h, int64_t bp, int64_t bsize, int64_t asize) {
    int64_t rest = bsize - asize, left_free = GET(HDRP(bp)) & PREV_FREE, rp;
    if (rest < MIN_BLOCK) {
        allocated(h, bp, bsize, left_free);
        left_allocated(h, bp + bsize);
        ix_put(h, bp, (bsize & ~0x7LL) | ALLOC);
        return 0;
    }
    allocated(h, bp, asize, left_free);
    rp = NEXT_BLKP(bp);
    PUT(HDRP(rp), PACK(rest, 0));
    PUT(FTRP(rp), PACK(rest, 0));
    ix_put(h, bp, asize | ALLOC);
    ix_put(h, rp, rest);
    return rp;
}

static int64_t place(Heap *h, int64_t bp, int64_t bsize, int64_t asize) {
    int64_t rest = bsize - asize, at;
    remove_block(h, bp, bsize);
    if ((h->from_back || (h->by_size && asize >= LARGE)) && rest >= MIN_BLOCK) {
        PUT(HDRP(bp), PACK(rest, 0));
        PUT(FTRP(bp), PACK(rest, 0));
        at = NEXT_BLKP(bp);
        allocated(h, at, asize, PREV_FREE);
        left_allocated(h, at + asize);
        ix_put(h, bp, rest);
        ix_put(h, at, asize | ALLOC);
        insert(h, bp, rest);
        return at;
    }
    if (carve(h, bp, bsize, asize)) insert(h, bp + asize, rest);
    return bp;
}

/* -- heap.py: realloc in place ------------------------------------------------------------------ */

static int grow_at_end(Heap *h, int64_t bp, int64_t bsize, int64_t after, int64_t asize) {
    if (bp + bsize + after != break_address(h)) return 0;
    PyObject *r = PyObject_CallFunction(h->sbrk, "L", (long long)(asize - bsize - after));
    if (r == NULL) {  /* the OS refused (OutOfMemory): nothing changed */
        if (!PyErr_ExceptionMatches(h->out_of_memory)) fail(h, PYTHON);
        PyErr_Clear();
        return 0;
    }
    Py_DECREF(r);
    if (after) remove_block(h, bp + bsize, after);
    allocated(h, bp, asize, GET(HDRP(bp)) & PREV_FREE);
    PUT(HDRP(NEXT_BLKP(bp)), PACK(0, ALLOC));
    merged(h, bp, asize);
    if (after) ix_drop(h, bp + bsize);
    ix_put(h, bp, asize | ALLOC);
    return 1;
}

static int64_t adjusted_size(Heap *h, int64_t request) {
    int64_t size = (request + h->tags + DSIZE - 1) & ~(int64_t)(DSIZE - 1);
    return size > MIN_BLOCK ? size : MIN_BLOCK;
}

static int resize_here(Heap *h, int64_t bp, int64_t new_size) {
    int64_t bsize = GET_SIZE(HDRP(bp)), asize = adjusted_size(h, new_size), rest;
    int grow = asize > bsize;
    if (grow) {
        int64_t nxt = bp + bsize, after = GET(HDRP(nxt));
        if (after & ALLOC || bsize + after < asize)
            return h->top_up && grow_at_end(h, bp, bsize, after & ALLOC ? 0 : after, asize);
        remove_block(h, nxt, after);
        bsize += after;
        merged(h, bp, bsize);
        ix_drop(h, nxt);
    }
    rest = carve(h, bp, bsize, asize);
    if (rest && (grow || h->deferred)) insert(h, rest, bsize - asize);
    else if (rest) coalesce(h, rest, 0);
    return 1;
}

/* -- the operations: _alloc, _free, _after_free, _resize ----------------------------------------- */

/* 1 if someone records (heap.recorder is not None): the readable path emits the events */
static int recording(Heap *h) {
    PyObject *r = PyDict_GetItemWithError(h->heap_dict, recorder_name);
    if (r != NULL) return r != Py_None;
    if (PyErr_Occurred()) return -1;
    r = PyObject_GetAttr(h->heap, recorder_name);
    if (r == NULL) return -1;
    int on = r != Py_None;
    Py_DECREF(r);
    return on;
}

/* An operation jumped back: hand an IndexError or ValueError to heap._tripped(error, what), as
 * the readable path's `except (IndexError, ValueError)` does; anything else is raised as it is. */
static PyObject *failed(Heap *h, int why, PyObject *what) {
    if (what == NULL) return NULL;
    if (why != PYTHON) {
        PyErr_SetString(why == BAD_INDEX ? PyExc_IndexError : PyExc_ValueError,
                        why == BAD_INDEX ? "index out of bounds on dimension 1"
                                         : "memoryview: invalid value for format 'I'");
    }
    if (PyErr_ExceptionMatches(PyExc_IndexError) || PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        PyObject *r = PyObject_CallFunctionObjArgs(h->tripped, value, what, NULL);
        Py_XDECREF(r);
        Py_XDECREF(type), Py_XDECREF(value), Py_XDECREF(tb);
    }
    Py_DECREF(what);
    return NULL;
}

static PyObject *hex_what(const char *format, int64_t address, PyObject *more) {
    PyObject *n = PyLong_FromLongLong(address), *hex = n ? PyNumber_ToBase(n, 16) : NULL;
    PyObject *what = hex == NULL ? NULL
                     : more == NULL ? PyUnicode_FromFormat(format, hex) : PyUnicode_FromFormat(format, hex, more);
    Py_XDECREF(n);
    Py_XDECREF(hex);
    return what;
}

/* An operation begins: check the index (implicit lists), and return 0; or 1 if the readable path
 * must run it (someone records), which leaves the index stale. */
static int begin(Heap *h) {
    int on = recording(h);
    if (on < 0) return -1;
    if (on) {
        h->ix.stale = 1;
        return 1;
    }
    if (h->indexed) ix_sync(h);
    return PyErr_Occurred() ? -1 : 0;
}

/* An operation ends: what the memory counted so far (sbrk's zeros too) is the index's; a failed
 * one may have stopped halfway, so the index is rebuilt before it is used again. */
static PyObject *end(Heap *h, PyObject *result) {
    if (h->indexed) {
        if (result == NULL) h->ix.stale = 1;
        else h->ix.writes = memory_writes(h);
    }
    return result;
}

/* a request too large for int64 arithmetic here goes the readable way, which refuses it */
static int too_big(PyObject *o, int64_t *value) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    *value = v;
    return overflow || v > MAX_BLOCK || v < 0;
}

static PyObject *heap_alloc(Heap *h, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) return PyErr_Format(PyExc_TypeError, "_alloc(size, align)");
    int64_t size, align, asize = 0, bp, bsize;
    if (too_big(args[0], &size) || too_big(args[1], &align) || align > DSIZE ||
        (asize = adjusted_size(h, size)) > MAX_BLOCK) {
        if (PyErr_Occurred()) return NULL;
        h->ix.stale = 1;
        return PyObject_Vectorcall(h->readable_alloc, args, 2, NULL);
    }
    int readable = begin(h);
    if (readable) return readable < 0 ? NULL : PyObject_Vectorcall(h->readable_alloc, args, 2, NULL);
    jmp_buf here;
    int why = setjmp(here);
    if (why) return end(h, failed(h, why, PyUnicode_FromFormat("alloc(%lld)", (long long)size)));
    h->fail = &here;
    bp = find(h, asize, &bsize);
    if (!bp) {
        bp = grow_for(h, asize);
        bsize = GET(HDRP(bp));
    }
    return end(h, PyLong_FromLongLong(place(h, bp, bsize, asize)));
}

static PyObject *heap_free(Heap *h, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) return PyErr_Format(PyExc_TypeError, "_free(address, size)");
    int64_t bp;
    int readable = too_big(args[0], &bp) ? 1 : begin(h);
    if (readable) {
        if (readable < 0 || PyErr_Occurred()) return NULL;
        h->ix.stale = 1;
        return PyObject_Vectorcall(h->readable_free, args, 2, NULL);
    }
    jmp_buf here;
    int why = setjmp(here);
    if (why) return end(h, failed(h, why, hex_what("free(%U)", bp, NULL)));
    h->fail = &here;
    int64_t tag = GET(HDRP(bp));
    PUT(HDRP(bp), PACK(tag & ~0x7LL, 0));
    PUT(FTRP(bp), PACK(tag & ~0x7LL, 0));
    ix_put(h, bp, tag & ~0x7LL);
    if (h->deferred) {
        insert(h, bp, tag & ~0x7LL);
        return end(h, Py_NewRef(Py_None));
    }
    return end(h, PyLong_FromLongLong(tag & PREV_FREE));
}

static PyObject *heap_after_free(Heap *h, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) return PyErr_Format(PyExc_TypeError, "_after_free(address, size, left_free)");
    int64_t bp, left_free;
    int readable = too_big(args[0], &bp) || too_big(args[2], &left_free) ? 1 : begin(h);
    if (readable) {
        if (readable < 0 || PyErr_Occurred()) return NULL;
        h->ix.stale = 1;
        return PyObject_Vectorcall(h->readable_after_free, args, 3, NULL);
    }
    jmp_buf here;
    int why = setjmp(here);
    if (why) return end(h, failed(h, why, hex_what("free(%U)", bp, NULL)));
    h->fail = &here;
    coalesce(h, bp, left_free);
    return end(h, Py_NewRef(Py_None));
}

static PyObject *heap_resize(Heap *h, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) return PyErr_Format(PyExc_TypeError, "_resize(address, old_size, new_size)");
    int64_t bp, new_size;
    int readable = too_big(args[0], &bp) || too_big(args[2], &new_size) ? 1 : begin(h);
    if (readable) {
        if (readable < 0 || PyErr_Occurred()) return NULL;
        h->ix.stale = 1;
        return PyObject_Vectorcall(h->readable_resize, args, 3, NULL);
    }
    jmp_buf here;
    int why = setjmp(here);
    if (why) return end(h, failed(h, why, hex_what("resize(%U, %S)", bp, args[2])));
    h->fail = &here;
    return end(h, PyBool_FromLong(resize_here(h, bp, new_size)));
}

static PyObject *heap_coalesce_all(Heap *h, PyObject *unused) {
    int readable = begin(h);
    if (readable) return readable < 0 ? NULL : PyObject_CallNoArgs(h->readable_coalesce_all);
    jmp_buf here;
    int why = setjmp(here);
    if (why) return end(h, failed(h, why, PyUnicode_FromString("coalesce_all()")));
    h->fail = &here;
    return end(h, PyLong_FromLongLong(coalesce_all(h)));
}

/* -- the type ------------------------------------------------------------------------------------ */

static int heap_init(Heap *h, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"heap", "linked", "fit", "address_order", "table", "heads", "heads_address",
                            "first_bp", "deferred", "by_size", "from_back", "top_up", "footless", "tags",
                            "chunk", "rovers", "cycle", "out_of_memory", "readable_alloc", "readable_free",
                            "readable_after_free", "readable_resize", "readable_coalesce_all", "verify", NULL};
    PyObject *heap, *table, *rovers, *cycle, *oom, *ra, *rf, *raf, *rr, *rca;
    int verify;
    long long heads, heads_address, first_bp, tags, chunk;
    int linked, fit, address_order, deferred, by_size, from_back, top_up, footless;
    if (h->w != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "already initialised");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "$OpipOLLLpppppLLO!OOOOOOOp", names, &heap, &linked, &fit,
                                     &address_order, &table, &heads, &heads_address, &first_bp, &deferred,
                                     &by_size, &from_back, &top_up, &footless, &tags, &chunk, &PyList_Type,
                                     &rovers, &cycle, &oom, &ra, &rf, &raf, &rr, &rca, &verify))
        return -1;
    PyObject *fast = PySequence_Fast(table, "table: a sequence of list numbers");
    if (fast == NULL) return -1;
    if (PySequence_Fast_GET_SIZE(fast) != TABLE_MAX / 8 + 1) {
        Py_DECREF(fast);
        PyErr_SetString(PyExc_ValueError, "table: one list number for every size up to 8192, by size >> 3");
        return -1;
    }
    for (Py_ssize_t i = 0; i <= TABLE_MAX / 8; i++) {
        long k = PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, i));
        if (k < -heads || k >= (heads > 0 ? heads : 1)) {  /* sizes 0 and 8 have classes -2 and -1 */
            Py_DECREF(fast);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "table: a list number out of range");
            return -1;
        }
        h->table[i] = (int8_t)k;
    }
    Py_DECREF(fast);
    if (PyList_GET_SIZE(rovers) < (heads > 0 ? heads : 1)) {
        PyErr_SetString(PyExc_ValueError, "rovers: one for each list");
        return -1;
    }
    PyObject *memory = PyObject_GetAttrString(heap, "memory");
    PyObject *buffer = memory ? PyObject_GetAttrString(memory, "_bytes") : NULL;
    Py_XDECREF(memory);
    if (buffer == NULL) return -1;
    int got = PyObject_GetBuffer(buffer, &h->view, PyBUF_WRITABLE);
    Py_DECREF(buffer);
    if (got < 0) return -1;
    h->heap_dict = PyObject_GenericGetDict(heap, NULL);
    memory = PyObject_GetAttrString(heap, "memory");
    h->memory_dict = memory ? PyObject_GenericGetDict(memory, NULL) : NULL;
    Py_XDECREF(memory);
    h->os = PyObject_GetAttrString(heap, "os");
    h->sbrk = PyObject_GetAttrString(heap, "_sbrk");
    h->tripped = PyObject_GetAttrString(heap, "_tripped");
    h->zero_size = PyObject_GetAttrString(heap, "_zero_size");
    if (!h->heap_dict || !h->memory_dict || !h->os || !h->sbrk || !h->tripped || !h->zero_size) {
        PyBuffer_Release(&h->view);
        return -1;
    }
    h->w = (uint32_t *)h->view.buf, h->n = h->view.len / 4;
    h->linked = linked, h->fit = fit, h->roving = fit == NEXT, h->address_order = address_order;
    h->heads = heads, h->heads_address = heads_address, h->first_bp = first_bp;
    h->deferred = deferred, h->by_size = by_size, h->from_back = from_back, h->top_up = top_up;
    h->footless = footless, h->tags = tags, h->chunk = chunk, h->most = 0;
    h->heap = Py_NewRef(heap), h->rovers = Py_NewRef(rovers), h->cycle = Py_NewRef(cycle);
    h->out_of_memory = Py_NewRef(oom);
    h->readable_alloc = Py_NewRef(ra), h->readable_free = Py_NewRef(rf);
    h->readable_after_free = Py_NewRef(raf), h->readable_resize = Py_NewRef(rr);
    h->readable_coalesce_all = Py_NewRef(rca);
    h->indexed = !linked, h->verify = verify, h->ix.stale = 1;
    return 0;
}

static int heap_traverse(Heap *h, visitproc visit, void *arg) {
    Py_VISIT(h->heap);
    Py_VISIT(h->heap_dict);
    Py_VISIT(h->os);
    Py_VISIT(h->rovers);
    Py_VISIT(h->sbrk);
    Py_VISIT(h->tripped);
    Py_VISIT(h->cycle);
    Py_VISIT(h->zero_size);
    Py_VISIT(h->out_of_memory);
    Py_VISIT(h->readable_alloc);
    Py_VISIT(h->readable_free);
    Py_VISIT(h->readable_after_free);
    Py_VISIT(h->readable_resize);
    Py_VISIT(h->readable_coalesce_all);
    Py_VISIT(h->memory_dict);
    return 0;
}

static int heap_clear(Heap *h) {
    Py_CLEAR(h->heap);
    Py_CLEAR(h->heap_dict);
    Py_CLEAR(h->os);
    Py_CLEAR(h->rovers);
    Py_CLEAR(h->sbrk);
    Py_CLEAR(h->tripped);
    Py_CLEAR(h->cycle);
    Py_CLEAR(h->zero_size);
    Py_CLEAR(h->out_of_memory);
    Py_CLEAR(h->readable_alloc);
    Py_CLEAR(h->readable_free);
    Py_CLEAR(h->readable_after_free);
    Py_CLEAR(h->readable_resize);
    Py_CLEAR(h->readable_coalesce_all);
    Py_CLEAR(h->memory_dict);
    return 0;
}

static void heap_dealloc(Heap *h) {
    PyObject_GC_UnTrack(h);
    heap_clear(h);
    if (h->w != NULL) PyBuffer_Release(&h->view), h->w = NULL;
    PyMem_Free(h->runs);
    ix_release(&h->ix);
    Py_TYPE(h)->tp_free((PyObject *)h);
}

static PyMethodDef heap_methods[] = {
    {"alloc", (PyCFunction)(void (*)(void))heap_alloc, METH_FASTCALL,
     "_alloc(size, align): find_fit, grow the heap if nothing fits, place."},
    {"free", (PyCFunction)(void (*)(void))heap_free, METH_FASTCALL,
     "_free(address, size): tag the block free; its left neighbour's PREV_FREE bit, or None if deferred."},
    {"after_free", (PyCFunction)(void (*)(void))heap_after_free, METH_FASTCALL,
     "_after_free(address, size, left_free): coalesce, the four cases."},
    {"resize", (PyCFunction)(void (*)(void))heap_resize, METH_FASTCALL,
     "_resize(address, old_size, new_size): realloc in place, or False."},
    {"coalesce_all", (PyCFunction)heap_coalesce_all, METH_NOARGS,
     "coalesce_all(): deferred coalescing, every run of free blocks merged; how many merges."},
    {NULL},
};

static PyMemberDef heap_members[] = {
    {"searches", T_LONGLONG, offsetof(Heap, searches), READONLY, "searches made here"},
    {"examined", T_LONGLONG, offsetof(Heap, examined), READONLY, "blocks examined here"},
    {"indexed", T_INT, offsetof(Heap, ix) + offsetof(Index, on), READONLY,
     "1 while the implicit list's index describes the heap (its searches then read no headers)"},
    {NULL},
};

static PyTypeObject HeapType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "memlab.allocators.freelist._fast.Heap",
    .tp_doc = "One free-list heap's algorithm in C: heap.py and lists.py, statement for statement.",
    .tp_basicsize = sizeof(Heap),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)heap_init,
    .tp_dealloc = (destructor)heap_dealloc,
    .tp_traverse = (traverseproc)heap_traverse,
    .tp_clear = (inquiry)heap_clear,
    .tp_methods = heap_methods,
    .tp_members = heap_members,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_fast",
    .m_doc = "The free-list heap's accelerator in C (see fast.py).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__fast(void) {
    recorder_name = PyUnicode_InternFromString("recorder");
    brk_name = PyUnicode_InternFromString("brk_address");
    writes_name = PyUnicode_InternFromString("writes");
    written_name = PyUnicode_InternFromString("written");
    if (!recorder_name || !brk_name || !writes_name || !written_name || PyType_Ready(&HeapType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Heap", (PyObject *)&HeapType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
