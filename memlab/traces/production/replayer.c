/* The replayer: one trace through one production allocator, natively, in a process of its own.
 *
 *     replayer ALLOCATOR TASK [LIBRARY]       the trace arrives on standard input
 *
 * ALLOCATOR is glibc, jemalloc, mimalloc or tcmalloc; TASK is probe, measure or time; LIBRARY
 * is the shared object to load (a soname or a path). How each library gets into the process:
 *
 *   glibc     the C library this program runs on: malloc, free, realloc.
 *   jemalloc  under LD_PRELOAD (set by the caller): it cannot be dlopen'ed into a process that
 *             has used up its static TLS, so it serves malloc itself. This program checks that
 *             the file that serves malloc is the one with mallctl (dladdr), and reads mallctl
 *             from the global scope.
 *   mimalloc  dlopen'ed; mi_heap_malloc, mi_heap_realloc and mi_free on a private heap
 *             (mi_heap_new), whose pages mi_heap_visit_blocks can then count.
 *   tcmalloc  dlopen'ed (gperftools' libtcmalloc_minimal); tc_malloc, tc_realloc, tc_free.
 *
 * The trace is binary (native byte order): a 48-byte header (magic "MLTRACE1", operations,
 * block ids, the operation after which live bytes first reach their peak, the sampling
 * interval, the most live bytes to write into) and 16 bytes per operation (id << 2 | kind, then
 * size; kind 0 malloc, 1 realloc, 2 free). Every table of this program is mmap'ed and filled
 * before the replay starts, and nothing calls malloc during the replay except the replay itself,
 * so the heap under test holds the trace's blocks alone. Results go to standard output as one
 * JSON object of plain numbers; errors to standard error, with exit status 2 (bad input) or 3
 * (the library cannot be loaded).
 *
 *   probe    loads the library and says which file and version serve the requests.
 *   measure  replays once, writing every block's payload (as a program does), and reads two
 *            footprints: the allocator's own statistic and the process's resident set
 *            (/proc/self/statm), both as growth over a baseline taken just before the first
 *            operation. Each is read whenever live bytes reach a new peak, at evenly spaced
 *            points (the timeline) and at the end; mimalloc's pages are counted after the
 *            census operation (the peak).
 *   time     replays the trace three times with nothing else in the loop (no writes, no
 *            statistics), freeing what is left after each pass, and reports the nanoseconds on
 *            CLOCK_MONOTONIC around the loop: the first, cold pass, and the fastest warm one.
 *
 * A request the allocator refuses (NULL) is counted and its operation number reported (the
 * first five); the block stays unallocated and the replay goes on, as in memlab's own replay
 * (malloclab's driver would stop the trace there). Transparent huge pages are off for the process (prctl), so that the resident set
 * counts 4 KiB pages whatever the system's setting. Linux only (LD_PRELOAD, dladdr, /proc).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

enum { OP_ALLOC = 0, OP_REALLOC = 1, OP_FREE = 2 };
enum { EXIT_BAD_INPUT = 2, EXIT_NO_LIBRARY = 3 };
#define MAGIC "MLTRACE1"
#define MAX_FAILED 5
#define FILL 0xA5

struct header {
    char magic[8];
    uint64_t ops, ids, census_op, every, write_limit;
};

struct op {
    uint64_t id_kind, size;
};

/* One allocator: three calls, its own footprint statistic, and what to do around each call. */
struct allocator {
    const char *name;
    const char *statistic; /* what footprint() reads, in the allocator's own words */
    void *(*alloc)(size_t);
    void (*release)(void *);
    void *(*resize)(void *, size_t);
    size_t (*footprint)(void);
    void (*born)(uint64_t id, void *p);  /* a block was handed out (glibc's chunk map) */
    void (*dying)(uint64_t id, void *p); /* a block is about to be given back */
    void (*census)(void);                /* count pages now (mimalloc) */
    void (*settle)(void);                /* after the warm-up: give back what it left behind */
    void *served_by;                     /* an entry point, to ask dladdr which file serves it */
    char version[96];
};

static char *out_buf;
static size_t out_len, out_cap;

static void fail(int status, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    dprintf(2, "%s\n", line);
    exit(status);
}

/* Memory for this program's own tables, straight from the kernel and touched now, so that it is
 * in the baseline and never in the heap under test. */
static void *table(size_t bytes) {
    if (bytes == 0) bytes = 1;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) fail(EXIT_BAD_INPUT, "cannot map %zu bytes for the replay's tables", bytes);
    memset(p, 0, bytes);
    return p;
}

static void emit(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out_buf + out_len, out_cap - out_len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= out_cap - out_len) fail(EXIT_BAD_INPUT, "the report does not fit its buffer");
    out_len += (size_t)n;
}

static void emit_string(const char *s) {
    emit("\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') emit("\\%c", c);
        else if (c < 0x20) emit("\\u%04x", c);
        else emit("%c", c);
    }
    emit("\"");
}

static void flush_out(void) {
    size_t done = 0;
    while (done < out_len) {
        ssize_t n = write(1, out_buf + done, out_len - done);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            exit(EXIT_BAD_INPUT);
        }
        done += (size_t)n;
    }
}

static void read_all(void *dst, size_t bytes) {
    char *p = dst;
    while (bytes) {
        ssize_t n = read(0, p, bytes);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(EXIT_BAD_INPUT, "the trace ended early: %zu bytes missing", bytes);
        p += n;
        bytes -= (size_t)n;
    }
}

/* -- resident set: the method common to every allocator ------------------------------------- */
static int statm = -1;
static long page_size;

static size_t resident(void) {
    char buf[160], *end;
    ssize_t n = pread(statm, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = 0;
    strtoull(buf, &end, 10);                             /* size */
    unsigned long long rss = strtoull(end, &end, 10);    /* resident */
    unsigned long long shared = strtoull(end, &end, 10); /* file-backed and shared */
    return rss > shared ? (size_t)(rss - shared) * (size_t)page_size : 0;
}

/* -- glibc: where the replay's chunks reach (native_chunks.py, in C) -------------------------
 * Each chunk's size word sits just before its payload; bit 1 (IS_MMAPPED) marks a chunk mapped
 * on its own. Arena chunks: from the lowest chunk start to the highest chunk end, holes
 * included (the mark only rises); mapped chunks: their size while they live. This process has
 * one thread, so every arena chunk is the main arena's. */
static uintptr_t reach_low = UINTPTR_MAX, reach_high;
static size_t mapped_bytes;
static uint64_t *mapped_size; /* by block id: its mapped chunk's size, 0 if in the arena */

static void glibc_born(uint64_t id, void *p) {
    size_t word = ((size_t *)p)[-1];
    size_t size = word & ~(size_t)7;
    if (word & 2) {
        mapped_size[id] = size;
        mapped_bytes += size;
        return;
    }
    uintptr_t start = (uintptr_t)p - 2 * sizeof(size_t);
    if (start < reach_low) reach_low = start;
    if (start + size > reach_high) reach_high = start + size;
}

static void glibc_dying(uint64_t id, void *p) {
    (void)p;
    mapped_bytes -= mapped_size[id];
    mapped_size[id] = 0;
}

static size_t glibc_footprint(void) {
    return (reach_high > reach_low ? reach_high - reach_low : 0) + mapped_bytes;
}

static void load_glibc(struct allocator *a, const char *library) {
    (void)library;
    a->alloc = malloc;
    a->release = free;
    a->resize = realloc;
    a->footprint = glibc_footprint;
    a->born = glibc_born;
    a->dying = glibc_dying;
    a->served_by = (void *)malloc;
    a->statistic = "chunk reach (size words before the chunks)";
    snprintf(a->version, sizeof a->version, "%s", gnu_get_libc_version());
}

/* -- jemalloc: preloaded; stats.resident after an epoch ------------------------------------- */
typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef int (*mallctlbymib_fn)(const size_t *, size_t, void *, size_t *, void *, size_t);
static mallctlbymib_fn je_bymib;
static size_t je_epoch[1], je_resident[2], je_epoch_len = 1, je_resident_len = 2;

static size_t jemalloc_footprint(void) {
    uint64_t epoch = 1;
    size_t value = 0, len = sizeof epoch;
    je_bymib(je_epoch, je_epoch_len, &epoch, &len, &epoch, len); /* refresh the statistics */
    len = sizeof value;
    je_bymib(je_resident, je_resident_len, &value, &len, NULL, 0);
    return value;
}

static void load_jemalloc(struct allocator *a, const char *library) {
    mallctl_fn ctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    int (*nametomib)(const char *, size_t *, size_t *) = dlsym(RTLD_DEFAULT, "mallctlnametomib");
    je_bymib = (mallctlbymib_fn)dlsym(RTLD_DEFAULT, "mallctlbymib");
    if (!ctl || !nametomib || !je_bymib)
        fail(EXIT_NO_LIBRARY, "%s is not loaded (LD_PRELOAD found no such library, or it is not jemalloc)", library);
    Dl_info stats_from, malloc_from;
    if (!dladdr((void *)ctl, &stats_from) || !dladdr((void *)malloc, &malloc_from) ||
        strcmp(stats_from.dli_fname, malloc_from.dli_fname) != 0)
        fail(EXIT_NO_LIBRARY, "%s does not serve malloc here (%s does)", library, malloc_from.dli_fname);
    if (nametomib("epoch", je_epoch, &je_epoch_len) || nametomib("stats.resident", je_resident, &je_resident_len))
        fail(EXIT_NO_LIBRARY, "%s has no statistics (built without --enable-stats)", library);
    const char *version = "?";
    size_t len = sizeof version;
    ctl("version", &version, &len, NULL, 0);
    snprintf(a->version, sizeof a->version, "%s", version);
    a->alloc = malloc;
    a->release = free;
    a->resize = realloc;
    a->footprint = jemalloc_footprint;
    a->served_by = (void *)malloc;
    a->statistic = "stats.resident";
}

/* -- mimalloc: a private heap; committed bytes; pages per size class ------------------------ */
typedef struct mi_heap_s mi_heap_t;
typedef struct {
    void *blocks;
    size_t reserved, committed, used, block_size, full_block_size;
} mi_area_t; /* mi_heap_area_t of mimalloc 2.0 */
typedef bool(mi_visit_fn)(const mi_heap_t *, const mi_area_t *, void *, size_t, void *);

static mi_heap_t *mi_heap;
static void *(*mi_heap_malloc_p)(mi_heap_t *, size_t);
static void *(*mi_heap_realloc_p)(mi_heap_t *, void *, size_t);
static void (*mi_free_p)(void *);
static bool (*mi_visit_p)(const mi_heap_t *, bool, mi_visit_fn *, void *);

#define MAX_CLASSES 128
struct page_class {
    size_t block_size, pages, used, committed;
};
static struct page_class classes[MAX_CLASSES];
static int n_classes;

static void (*mi_heap_collect_p)(mi_heap_t *, bool);

static void *mi_alloc(size_t size) { return mi_heap_malloc_p(mi_heap, size); }
static void *mi_resize(void *p, size_t size) { return mi_heap_realloc_p(mi_heap, p, size); }

static bool add_committed(const mi_heap_t *heap, const mi_area_t *area, void *block, size_t size, void *arg) {
    (void)heap, (void)block, (void)size;
    *(size_t *)arg += area->committed;
    return true;
}

static size_t mimalloc_footprint(void) {
    size_t committed = 0;
    mi_visit_p(mi_heap, false, add_committed, &committed);
    return committed;
}

static bool count_page(const mi_heap_t *heap, const mi_area_t *area, void *block, size_t size, void *arg) {
    (void)heap, (void)block, (void)size, (void)arg;
    int i = 0;
    while (i < n_classes && classes[i].block_size != area->block_size) i++;
    if (i == n_classes) {
        if (n_classes == MAX_CLASSES) return true;
        classes[n_classes++].block_size = area->block_size;
    }
    classes[i].pages++;
    classes[i].used += area->used;
    classes[i].committed += area->committed;
    return true;
}

static void mimalloc_settle(void) { mi_heap_collect_p(mi_heap, true); /* frees the warm-up's empty page */ }

static void mimalloc_census(void) {
    n_classes = 0;
    memset(classes, 0, sizeof classes);
    mi_visit_p(mi_heap, false, count_page, NULL);
}

static void *need(void *handle, const char *library, const char *symbol) {
    void *p = dlsym(handle, symbol);
    if (!p) fail(EXIT_NO_LIBRARY, "%s has no %s (is it the right library?)", library, symbol);
    return p;
}

static void *open_library(const char *library) {
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!handle) fail(EXIT_NO_LIBRARY, "%s", dlerror());
    return handle;
}

static void load_mimalloc(struct allocator *a, const char *library) {
    void *h = open_library(library);
    mi_heap_t *(*heap_new)(void) = need(h, library, "mi_heap_new");
    int (*version)(void) = need(h, library, "mi_version");
    mi_heap_malloc_p = need(h, library, "mi_heap_malloc");
    mi_heap_realloc_p = need(h, library, "mi_heap_realloc");
    mi_free_p = need(h, library, "mi_free");
    mi_visit_p = need(h, library, "mi_heap_visit_blocks");
    mi_heap_collect_p = need(h, library, "mi_heap_collect");
    mi_heap = heap_new();
    if (!mi_heap) fail(EXIT_NO_LIBRARY, "%s: mi_heap_new returned NULL", library);
    int v = version();
    snprintf(a->version, sizeof a->version, "%d.%d.%d", v / 100, v / 10 % 10, v % 10);
    a->alloc = mi_alloc;
    a->release = mi_free_p;
    a->resize = mi_resize;
    a->footprint = mimalloc_footprint;
    a->census = mimalloc_census;
    a->settle = mimalloc_settle;
    a->served_by = (void *)mi_heap_malloc_p;
    a->statistic = "mi_heap_visit_blocks: committed bytes of its pages";
}

/* -- tcmalloc (gperftools): tc_* entry points; the bytes of its spans ----------------------
 * generic.heap_size is every byte the page heap took from the system; the pages it holds free
 * (pageheap_free_bytes) or gave back (pageheap_unmapped_bytes) serve no size class and no
 * large block, so they are taken off: what is left is the spans, as jemalloc's active pages. */
static int (*tc_property)(const char *, size_t *);

static size_t tc_read(const char *name) {
    size_t value = 0;
    tc_property(name, &value);
    return value;
}

static size_t tcmalloc_footprint(void) {
    return tc_read("generic.heap_size") - tc_read("tcmalloc.pageheap_free_bytes") -
           tc_read("tcmalloc.pageheap_unmapped_bytes");
}

static void load_tcmalloc(struct allocator *a, const char *library) {
    void *h = open_library(library);
    const char *(*version)(int *, int *, const char **) = need(h, library, "tc_version");
    a->alloc = need(h, library, "tc_malloc");
    a->release = need(h, library, "tc_free");
    a->resize = need(h, library, "tc_realloc");
    tc_property = need(h, library, "MallocExtension_GetNumericProperty");
    size_t probe;
    if (!tc_property("generic.heap_size", &probe) || !tc_property("tcmalloc.pageheap_free_bytes", &probe))
        fail(EXIT_NO_LIBRARY, "%s does not know generic.heap_size (is it gperftools' tcmalloc?)", library);
    int major = 0, minor = 0;
    const char *patch = "";
    version(&major, &minor, &patch);
    snprintf(a->version, sizeof a->version, "%d.%d%s", major, minor, patch ? patch : "");
    a->footprint = tcmalloc_footprint;
    a->served_by = (void *)a->alloc;
    a->statistic = "generic.heap_size - pageheap_free_bytes - pageheap_unmapped_bytes";
}

static void load(struct allocator *a, const char *library) {
    static const struct {
        const char *name;
        void (*load)(struct allocator *, const char *);
    } known[] = {{"glibc", load_glibc}, {"jemalloc", load_jemalloc}, {"mimalloc", load_mimalloc}, {"tcmalloc", load_tcmalloc}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(a->name, known[i].name) == 0) {
            known[i].load(a, library);
            return;
        }
    }
    fail(EXIT_BAD_INPUT, "no allocator named %s (known: glibc, jemalloc, mimalloc, tcmalloc)", a->name);
}

static void emit_served_by(const struct allocator *a) {
    Dl_info info;
    const char *file = dladdr(a->served_by, &info) && info.dli_fname ? info.dli_fname : "?";
    emit("\"allocator\": ");
    emit_string(a->name);
    emit(", \"library\": ");
    emit_string(file);
    emit(", \"version\": ");
    emit_string(a->version);
    emit(", \"statistic\": ");
    emit_string(a->statistic);
}

/* -- the trace -------------------------------------------------------------------------------- */
static struct header hdr;
static struct op *ops;
static void **address;
static uint64_t *sizes;

static void read_trace(void) {
    read_all(&hdr, sizeof hdr);
    if (memcmp(hdr.magic, MAGIC, 8) != 0) fail(EXIT_BAD_INPUT, "standard input is not a memlab binary trace");
    if (hdr.ops > (1ull << 40) || hdr.ids > (1ull << 40)) fail(EXIT_BAD_INPUT, "the trace's header is corrupt");
    if (hdr.every == 0) hdr.every = 1;
    ops = table(hdr.ops * sizeof *ops);
    read_all(ops, hdr.ops * sizeof *ops);
    for (uint64_t i = 0; i < hdr.ops; i++) {
        if ((ops[i].id_kind >> 2) >= hdr.ids || (ops[i].id_kind & 3) > OP_FREE)
            fail(EXIT_BAD_INPUT, "operation %llu is corrupt", (unsigned long long)i);
    }
    address = table(hdr.ids * sizeof *address);
    sizes = table(hdr.ids * sizeof *sizes);
    mapped_size = table(hdr.ids * sizeof *mapped_size);
}

/* -- measure ---------------------------------------------------------------------------------- */
struct sample {
    uint64_t op, live, own, rss;
};

/* How far a footprint has grown over its baseline (an allocator may drop below it). */
static size_t grown(size_t now, size_t baseline) { return now > baseline ? now - baseline : 0; }

/* The allocator sets itself up (thread cache, first page) before the baseline is read. */
static void warm_up(struct allocator *a) {
    a->release(a->alloc(1));
    if (a->settle) a->settle();
}

static void measure(struct allocator *a) {
    uint64_t n_samples = hdr.ops / hdr.every + 2, taken = 0, failures = 0, failed[MAX_FAILED];
    struct sample *timeline = table(n_samples * sizeof *timeline);
    statm = open("/proc/self/statm", O_RDONLY);
    bool rss_ok = statm >= 0;
    uint64_t live = 0, peak = 0, unwritten = 0;
    size_t own0, rss0, own_peak = 0, rss_peak = 0, own_at = 0, rss_at = 0;
    warm_up(a);
    own0 = a->born ? 0 : a->footprint();
    rss0 = resident();
    for (uint64_t i = 0; i < hdr.ops; i++) {
        uint64_t id = ops[i].id_kind >> 2, kind = ops[i].id_kind & 3, size = ops[i].size;
        void *old = address[id];
        if (kind == OP_FREE) {
            if (!old) continue;
            if (a->dying) a->dying(id, old);
            a->release(old);
            address[id] = NULL;
            live -= sizes[id];
            sizes[id] = 0;
        } else {
            if (old && a->dying) a->dying(id, old);
            void *p = kind == OP_ALLOC ? a->alloc(size) : a->resize(old, size);
            if (!p) {
                if (failures < MAX_FAILED) failed[failures] = i;
                failures++;
                if (old && a->born) a->born(id, old); /* a failed realloc keeps the old block */
            } else {
                if (a->born) a->born(id, p);
                uint64_t before = kind == OP_ALLOC ? 0 : sizes[id];
                if (size > before && live + size - before <= hdr.write_limit) {
                    memset((char *)p + before, FILL, size - before); /* the program writes its data */
                } else if (size > before) {
                    unwritten = 1; /* a block left unwritten: the resident set no longer tells */
                }
                address[id] = p;
                live += size - before;
                sizes[id] = size;
            }
        }
        if (live > peak || i == hdr.census_op) {
            size_t own = grown(a->footprint(), own0), rss = grown(resident(), rss0);
            if (own > own_peak) own_peak = own;
            if (rss > rss_peak) rss_peak = rss;
            if (live > peak) {
                peak = live;
                own_at = own, rss_at = rss;
            }
            if (i == hdr.census_op && a->census) a->census();
        }
        if ((i + 1) % hdr.every == 0 || i + 1 == hdr.ops) {
            size_t own = grown(a->footprint(), own0), rss = grown(resident(), rss0);
            if (own > own_peak) own_peak = own;
            if (rss > rss_peak) rss_peak = rss;
            timeline[taken++] = (struct sample){i + 1, live, own, rss};
        }
    }
    rss_ok = rss_ok && !unwritten;
    emit("{");
    emit_served_by(a);
    emit(", \"ops\": %llu, \"peak_live\": %llu, \"failures\": %llu, \"failed\": [", (unsigned long long)hdr.ops,
         (unsigned long long)peak, (unsigned long long)failures);
    for (uint64_t k = 0; k < failures && k < MAX_FAILED; k++) emit("%s%llu", k ? ", " : "", (unsigned long long)failed[k]);
    emit("], \"own\": {\"baseline\": %zu, \"peak\": %zu, \"at_peak\": %zu}", own0, own_peak, own_at);
    if (rss_ok) emit(", \"rss\": {\"baseline\": %zu, \"peak\": %zu, \"at_peak\": %zu}", rss0, rss_peak, rss_at);
    else emit(", \"rss\": null");
    emit(", \"timeline\": [");
    for (uint64_t k = 0; k < taken; k++) {
        emit("%s[%llu, %llu, %llu, %llu]", k ? ", " : "", (unsigned long long)timeline[k].op,
             (unsigned long long)timeline[k].live, (unsigned long long)timeline[k].own, (unsigned long long)timeline[k].rss);
    }
    emit("]");
    if (a->census) {
        emit(", \"pages\": [");
        for (int k = 0; k < n_classes; k++) {
            emit("%s[%zu, %zu, %zu, %zu]", k ? ", " : "", classes[k].block_size, classes[k].pages, classes[k].used,
                 classes[k].committed);
        }
        emit("]");
    }
    emit("}\n");
}

/* -- time ------------------------------------------------------------------------------------- */
#define WARM_PASSES 2

/* One pass over the trace with nothing but the allocator's calls in the loop; then every block
 * still held is freed, outside the clock, so the next pass starts from an empty heap. */
static uint64_t timed_pass(struct allocator *a, uint64_t *failures) {
    void *(*alloc)(size_t) = a->alloc, *(*resize)(void *, size_t) = a->resize;
    void (*release)(void *) = a->release;
    uint64_t n = hdr.ops, failed = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t id = ops[i].id_kind >> 2, kind = ops[i].id_kind & 3;
        if (kind == OP_FREE) {
            if (address[id]) release(address[id]);
            address[id] = NULL;
            continue;
        }
        void *p = kind == OP_ALLOC ? alloc(ops[i].size) : resize(address[id], ops[i].size);
        if (p) address[id] = p;
        else failed++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (uint64_t id = 0; id < hdr.ids; id++) {
        if (address[id]) release(address[id]);
        address[id] = NULL;
    }
    *failures = failed;
    return (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
}

/* The first pass is cold: the allocator takes its memory from the OS and the kernel maps each
 * page at its first touch. The later passes find that memory in the allocator's hands: they time
 * the allocator alone, and the fastest of them counts. */
static void timed(struct allocator *a) {
    uint64_t failures, again, cold, warm = UINT64_MAX;
    warm_up(a);
    cold = timed_pass(a, &failures);
    for (int k = 0; k < WARM_PASSES; k++) {
        uint64_t ns = timed_pass(a, &again);
        if (ns < warm) warm = ns;
    }
    emit("{");
    emit_served_by(a);
    emit(", \"ops\": %llu, \"ns_cold\": %llu, \"ns\": %llu, \"failures\": %llu}\n", (unsigned long long)hdr.ops,
         (unsigned long long)cold, (unsigned long long)warm, (unsigned long long)failures);
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) fail(EXIT_BAD_INPUT, "usage: replayer ALLOCATOR probe|measure|time [LIBRARY]");
    page_size = sysconf(_SC_PAGESIZE);
    /* No transparent huge pages: where the system turns them on for every mapping, one touched
     * byte could make 2 MiB resident, and the resident set would measure the kernel's policy. */
    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
    out_cap = 1 << 20;
    out_buf = table(out_cap);
    struct allocator a = {.name = argv[1]};
    const char *task = argv[2], *library = argc == 4 ? argv[3] : "libc.so.6";
    if (strcmp(task, "probe") && strcmp(task, "measure") && strcmp(task, "time"))
        fail(EXIT_BAD_INPUT, "no task named %s (known: probe, measure, time)", task);
    load(&a, library);
    if (strcmp(task, "probe") == 0) {
        emit("{");
        emit_served_by(&a);
        emit("}\n");
    } else {
        read_trace();
        if (strcmp(task, "measure") == 0) measure(&a);
        else timed(&a);
    }
    flush_out();
    return 0;
}
