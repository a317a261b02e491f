/* Record every call CPython makes to its object allocator (pymalloc), from the very start.

   A tiny program that embeds Python: it pre-initializes the interpreter with pymalloc, wraps the
   MEM and OBJ domains and the arena allocator with hooks that log each call, then initializes
   Python, runs one script, stops logging, puts the original allocators back and writes pymalloc's
   own report (what sys._debugmallocstats() prints). So the log and the report describe the same
   process at the same moment.

   Usage: pyrecord LOG STATS PROGRAM SCRIPT [SITE]
     LOG      binary log, one 25-byte record per call: op, pointer, size, result (little-endian)
     STATS    the report of _PyObject_DebugMallocStats
     PROGRAM  the python executable whose installation (and virtual environment) to use
     SCRIPT   the Python file to run
     SITE     "nosite" to skip the site module (like python -S)

   Ops: 'm' malloc(size) = result, 'c' calloc (size = nelem * elsize) = result,
        'r' realloc(pointer, size) = result, 'f' free(pointer),
        'A' arena alloc(size) = result, 'F' arena free(pointer, size).

   Built by memlab on first use (see memlab/traces/cpython.py); needs Python's headers and libpython. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* exported by libpython (declared in CPython's internal headers) */
extern int _PyObject_DebugMallocStats(FILE *out);

static FILE *log_file = NULL;
static int logging = 0;
static PyMemAllocatorEx mem_alloc, obj_alloc;
static PyObjectArenaAllocator arena_alloc;

static void put(char op, const void *pointer, size_t size, const void *result)
{
    unsigned char record[25];
    uint64_t fields[3] = {(uint64_t)(uintptr_t)pointer, (uint64_t)size, (uint64_t)(uintptr_t)result};
    if (!logging) {
        return;
    }
    record[0] = (unsigned char)op;
    for (int f = 0; f < 3; f++) {
        for (int i = 0; i < 8; i++) {
            record[1 + 8 * f + i] = (unsigned char)(fields[f] >> (8 * i));
        }
    }
    fwrite(record, sizeof(record), 1, log_file);
}

static void *hook_malloc(void *ctx, size_t size)
{
    PyMemAllocatorEx *real = (PyMemAllocatorEx *)ctx;
    void *result = real->malloc(real->ctx, size);
    put('m', NULL, size, result);
    return result;
}

static void *hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
    PyMemAllocatorEx *real = (PyMemAllocatorEx *)ctx;
    void *result = real->calloc(real->ctx, nelem, elsize);
    put('c', NULL, nelem * elsize, result);
    return result;
}

static void *hook_realloc(void *ctx, void *pointer, size_t size)
{
    PyMemAllocatorEx *real = (PyMemAllocatorEx *)ctx;
    void *result = real->realloc(real->ctx, pointer, size);
    put('r', pointer, size, result);
    return result;
}

static void hook_free(void *ctx, void *pointer)
{
    PyMemAllocatorEx *real = (PyMemAllocatorEx *)ctx;
    real->free(real->ctx, pointer);
    put('f', pointer, 0, NULL);
}

static void *hook_arena_alloc(void *ctx, size_t size)
{
    void *result = arena_alloc.alloc(arena_alloc.ctx, size);
    (void)ctx;
    put('A', NULL, size, result);
    return result;
}

static void hook_arena_free(void *ctx, void *pointer, size_t size)
{
    (void)ctx;
    arena_alloc.free(arena_alloc.ctx, pointer, size);
    put('F', pointer, size, NULL);
}

static int fail(const char *what, PyStatus status)
{
    fprintf(stderr, "pyrecord: %s: %s\n", what, status.err_msg ? status.err_msg : "failed");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: pyrecord LOG STATS PROGRAM SCRIPT [nosite]\n");
        return 2;
    }
    PyPreConfig preconfig;
    PyPreConfig_InitPythonConfig(&preconfig);
    preconfig.allocator = PYMEM_ALLOCATOR_PYMALLOC; /* whatever PYTHONMALLOC says */
    PyStatus status = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(status)) {
        return fail("pre-initialization", status);
    }

    log_file = fopen(argv[1], "wb");
    if (log_file == NULL) {
        perror(argv[1]);
        return 2;
    }
    setvbuf(log_file, NULL, _IOFBF, 1 << 20);
    PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &mem_alloc);
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &obj_alloc);
    PyObject_GetArenaAllocator(&arena_alloc);
    PyMemAllocatorEx mem_hook = {&mem_alloc, hook_malloc, hook_calloc, hook_realloc, hook_free};
    PyMemAllocatorEx obj_hook = {&obj_alloc, hook_malloc, hook_calloc, hook_realloc, hook_free};
    PyObjectArenaAllocator arena_hook = {NULL, hook_arena_alloc, hook_arena_free};
    PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &mem_hook);
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &obj_hook);
    PyObject_SetArenaAllocator(&arena_hook);
    logging = 1;

    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;
    config.use_hash_seed = 1; /* the same run every time */
    config.hash_seed = 0;
    if (argc > 5 && strcmp(argv[5], "nosite") == 0) {
        config.site_import = 0;
    }
    status = PyConfig_SetBytesString(&config, &config.program_name, argv[3]);
    if (!PyStatus_Exception(status)) {
        status = PyConfig_SetBytesArgv(&config, 1, &argv[4]);
    }
    if (!PyStatus_Exception(status)) {
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        return fail("initialization", status);
    }

    FILE *script = fopen(argv[4], "r");
    if (script == NULL) {
        perror(argv[4]);
        return 2;
    }
    int failed = PyRun_SimpleFileExFlags(script, argv[4], 1, NULL);

    logging = 0;
    PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &mem_alloc);
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &obj_alloc);
    PyObject_SetArenaAllocator(&arena_alloc);
    fflush(stdout);
    fflush(stderr);
    FILE *stats = fopen(argv[2], "w");
    if (stats == NULL) {
        perror(argv[2]);
        return 2;
    }
    int printed = _PyObject_DebugMallocStats(stats);
    fclose(stats);
    fclose(log_file);
    /* no finalization: the interpreter's memory stays as the report saw it */
    _exit(failed ? 1 : (printed ? 0 : 3));
}
