/* The free-list heap's fast path in C: freelist_fast.py, statement for statement.
 *
 * CS:APP's mm.c is C, and its find_fit, place and coalesce cost a few loads and stores; the
 * Python fast path pays an interpreter step for each. This module does the same work on the
 * same simulated bytes (the heap's mmap, as 32-bit little-endian words), so a heap runs the
 * same algorithm at C speed. freelist_fast.py stays the readable reference and the fallback
 * where no C compiler was available; the tests check that both leave the same bytes.
 *
 * Every word access is checked against the memory's size, with Python's indexing rules
 * (a negative index counts from the end), and every stored value must fit 32 bits: a corrupt
 * tag then fails here exactly where the Python path fails, with the same exception handed to
 * the heap's _tripped, after the same writes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>

#define ALLOC 1
#define DSIZE 8
#define MIN_BLOCK 16
#define TABLE_MAX 8192

typedef struct {
    PyObject_HEAD
    Py_buffer view;   /* the heap's memory, held for the object's life */
    uint32_t *w;
    int64_t n;        /* words in memory */
    PyObject *heap, *dict, *readable_alloc, *readable_free, *grow_for, *insert, *tripped;
    int64_t *head_of; /* list head (word index) by block size >> 3, up to TABLE_MAX */
    int64_t *asize_of, *head_for; /* by request size, up to small */
    int64_t small, largest, last, exact_end;
    int lifo;
    long long searches, examined;
} FastPath;

static PyObject *recorder_name;

/* 1 if someone records (heap.recorder is not None), 0 if not, -1 on error */
static int recording(FastPath *f) {
    PyObject *r = PyDict_GetItemWithError(f->dict, recorder_name);
    if (r != NULL) return r != Py_None;
    if (PyErr_Occurred()) return -1;
    r = PyObject_GetAttr(f->heap, recorder_name);
    if (r == NULL) return -1;
    int on = r != Py_None;
    Py_DECREF(r);
    return on;
}

/* Hand the failure to heap._tripped(error, what), which raises HeapCorruption. */
static void trip(FastPath *f, PyObject *kind, const char *message, PyObject *what) {
    PyObject *error = PyObject_CallFunction(kind, "s", message);
    if (error != NULL) {
        PyObject *r = PyObject_CallFunctionObjArgs(f->tripped, error, what, NULL);
        Py_XDECREF(r);
        Py_DECREF(error);
    }
}

#define BAD_INDEX 1
#define BAD_VALUE 2
/* word index checks in Python's rules; on failure jump to `fail` with the reason set */
#define IX(i) ((i) >= -f->n && (i) < f->n ? ((i) < 0 ? (i) + f->n : (i)) : (bad = BAD_INDEX, -1))
#define R(dst, i) do { int64_t k_ = IX(i); if (k_ < 0) goto fail; (dst) = f->w[k_]; } while (0)
#define W(i, v) do { int64_t k_ = IX(i), v_ = (v); if (k_ < 0) goto fail; \
                     if (v_ < 0 || v_ > 0xFFFFFFFFLL) { bad = BAD_VALUE; goto fail; } \
                     f->w[k_] = (uint32_t)v_; } while (0)
#define HEAD(size) ((size) <= TABLE_MAX ? f->head_of[(size) >> 3] : f->last)

static PyObject *failed(FastPath *f, int bad, PyObject *what) {
    if (bad == BAD_INDEX) trip(f, PyExc_IndexError, "index out of bounds on dimension 1", what);
    else trip(f, PyExc_ValueError, "memoryview: invalid value for format 'I'", what);
    Py_XDECREF(what);
    return NULL;
}

/* heap._grow_for or heap._insert failed: IndexError and ValueError go to _tripped, as in Python */
static PyObject *python_failed(FastPath *f, PyObject *what) {
    if (PyErr_ExceptionMatches(PyExc_IndexError) || PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        PyObject *r = PyObject_CallFunctionObjArgs(f->tripped, value, what, NULL);
        Py_XDECREF(r);
        Py_XDECREF(type), Py_XDECREF(value), Py_XDECREF(tb);
    }
    Py_XDECREF(what);
    return NULL;
}

/* "free(0x1360)", with Python's hex (a corrupt left tag can make the address negative) */
static PyObject *free_what(int64_t bp) {
    PyObject *n = PyLong_FromLongLong(bp), *hex = n ? PyNumber_ToBase(n, 16) : NULL;
    PyObject *what = hex ? PyUnicode_FromFormat("free(%U)", hex) : NULL;
    Py_XDECREF(n);
    Py_XDECREF(hex);
    return what;
}

static int64_t as_int64(PyObject *o, int *overflow) {
    long long v = PyLong_AsLongLongAndOverflow(o, overflow);
    return (int64_t)v;
}

/* list block bp of `size` bytes at the front of its list (LIFO) */
#define PUSH(bp_, size_) do { \
    int64_t h_ = HEAD(size_), s_; \
    R(s_, h_); W((bp_) >> 2, 0); W(((bp_) >> 2) + 1, s_); W(h_, (bp_)); \
    if (s_) W(s_ >> 2, (bp_)); } while (0)

static PyObject *fast_alloc(FastPath *f, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) return PyErr_Format(PyExc_TypeError, "alloc(size, align)");
    int on = recording(f), big = 0, big_align = 0;
    if (on < 0) return NULL;
    int64_t size = as_int64(args[0], &big), align = as_int64(args[1], &big_align);
    if (PyErr_Occurred()) return NULL;
    if (on || big || big_align || align > DSIZE || size > f->largest)
        return PyObject_Vectorcall(f->readable_alloc, args, 2, NULL);
    int64_t asize, head, bp, i = 0, bsize = 0, examined = 1, pred, succ, rest, rp, j;
    int bad = BAD_INDEX;
    if (size <= f->small) asize = f->asize_of[size], head = f->head_for[size];
    else asize = (size + 15) & ~7LL, head = f->last;
    R(bp, head);
    if (bp && head < f->exact_end) {  /* one size per list: the first block fits exactly */
        f->searches++, f->examined++;
        R(succ, (bp >> 2) + 1);
        W(head, succ);
        if (succ) W(succ >> 2, 0);
        W((bp >> 2) - 1, asize | ALLOC);
        W(((bp + asize) >> 2) - 2, asize | ALLOC);
        return PyLong_FromLongLong(bp);
    }
    for (;;) {  /* first fit along the request's list, then the larger classes' */
        while (bp) {
            i = bp >> 2;
            R(bsize, i - 1);
            if (bsize >= asize) goto found;
            R(bp, i + 1);
            examined++;
        }
        if (head == f->last) { examined--; break; }
        do {
            head++;
            R(bp, head);
        } while (!bp && head != f->last);
        if (!bp) { examined--; break; }
    }
found:
    f->searches++, f->examined += examined;
    if (!bp) {
        PyObject *got = PyObject_CallFunction(f->grow_for, "L", (long long)asize);
        if (got == NULL) return python_failed(f, PyUnicode_FromFormat("alloc(%lld)", (long long)size));
        bp = PyLong_AsLongLong(got);
        Py_DECREF(got);
        if (bp == -1 && PyErr_Occurred()) return NULL;
        i = bp >> 2;
        R(bsize, i - 1);
        head = HEAD(bsize);
    }
    R(pred, i);  /* unlink, through the block's own links */
    R(succ, i + 1);
    if (pred) W((pred >> 2) + 1, succ); else W(head, succ);
    if (succ) W(succ >> 2, pred);
    rest = bsize - asize;
    if (rest < MIN_BLOCK) {  /* too small to split: the whole block is allocated */
        W(i - 1, bsize | ALLOC);
        W(((bp + bsize) >> 2) - 2, bsize | ALLOC);
        return PyLong_FromLongLong(bp);
    }
    rp = bp + asize, j = rp >> 2;
    W(i - 1, asize | ALLOC);
    W(j - 2, asize | ALLOC);
    W(j - 1, rest);
    W(((bp + bsize) >> 2) - 2, rest);
    if (f->lifo) PUSH(rp, rest);
    else {
        PyObject *r = PyObject_CallFunction(f->insert, "LL", (long long)rp, (long long)rest);
        if (r == NULL) return python_failed(f, PyUnicode_FromFormat("alloc(%lld)", (long long)size));
        Py_DECREF(r);
    }
    return PyLong_FromLongLong(bp);
fail:
    return failed(f, bad, PyUnicode_FromFormat("alloc(%lld)", (long long)size));
}

/* unlink the free block at word index k (whose tag says `tag`) from its list, by its own links */
#define UNLINK(k, tag_) do { \
    int64_t p_, s_; R(p_, (k)); R(s_, (k) + 1); \
    if (p_) W((p_ >> 2) + 1, s_); else W(HEAD(tag_), s_); \
    if (s_) W(s_ >> 2, p_); } while (0)

static PyObject *fast_free(FastPath *f, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) return PyErr_Format(PyExc_TypeError, "free(bp, request)");
    int on = recording(f), big = 0;
    if (on < 0) return NULL;
    if (on) return PyObject_Vectorcall(f->readable_free, args, 2, NULL);
    int64_t bp = as_int64(args[0], &big), i = bp >> 2, size, j, right, left, total;
    if (PyErr_Occurred()) return NULL;
    int bad = BAD_INDEX;
    if (big) goto fail;
    R(size, i - 1);
    size &= ~7LL;
    j = (bp + size) >> 2;  /* the right neighbour's payload, as a word index */
    W(i - 1, size);
    W(j - 2, size);
    R(right, j - 1);
    R(left, i - 2);
    total = size;
    if (!(right & ALLOC)) {  /* cases 2 and 4: unlink the right neighbour */
        UNLINK(j, right);
        total += right;
    }
    if (!(left & ALLOC)) {  /* cases 3 and 4: unlink the left neighbour */
        bp -= left;
        i = bp >> 2;
        UNLINK(i, left);
        total += left;
    }
    if (total != size) {
        W(i - 1, total);
        W(((bp + total) >> 2) - 2, total);
    }
    if (f->lifo) PUSH(bp, total);
    else {
        PyObject *r = PyObject_CallFunction(f->insert, "LL", (long long)bp, (long long)total);
        if (r == NULL) return python_failed(f, free_what(bp));
        Py_DECREF(r);
    }
    Py_RETURN_NONE;
fail:
    return failed(f, bad, free_what(bp));
}

/* -- the type ------------------------------------------------------------------------------ */

static int64_t *int_table(PyObject *seq, Py_ssize_t *length) {
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of ints");
    if (fast == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    int64_t *t = PyMem_Malloc(sizeof(int64_t) * (n ? n : 1));
    for (Py_ssize_t k = 0; t != NULL && k < n; k++) {
        t[k] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(fast, k));
        if (t[k] == -1 && PyErr_Occurred()) { PyMem_Free(t); t = NULL; }
    }
    Py_DECREF(fast);
    if (t == NULL && !PyErr_Occurred()) PyErr_NoMemory();
    *length = n;
    return t;
}

static int fp_init(FastPath *f, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"heap", "memory", "head_of", "asize_of", "head_for", "largest", "last",
                            "exact_end", "lifo", "readable_alloc", "readable_free", "grow_for",
                            "insert", "tripped", NULL};
    PyObject *heap, *memory, *head_of, *asize_of, *head_for, *ra, *rf, *grow, *insert, *tripped;
    long long largest, last, exact_end;
    int lifo;
    if (f->w != NULL) { PyErr_SetString(PyExc_RuntimeError, "already initialised"); return -1; }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "$OOOOOLLLpOOOOO", names, &heap, &memory, &head_of,
                                     &asize_of, &head_for, &largest, &last, &exact_end, &lifo, &ra, &rf,
                                     &grow, &insert, &tripped))
        return -1;
    PyObject *dict = PyObject_GenericGetDict(heap, NULL);
    if (dict == NULL) return -1;
    if (PyObject_GetBuffer(memory, &f->view, PyBUF_WRITABLE) < 0) { Py_DECREF(dict); return -1; }
    Py_ssize_t n_head_of, n_asize, n_head_for;
    f->head_of = int_table(head_of, &n_head_of);
    f->asize_of = f->head_of ? int_table(asize_of, &n_asize) : NULL;
    f->head_for = f->asize_of ? int_table(head_for, &n_head_for) : NULL;
    if (f->head_for == NULL || n_head_of != TABLE_MAX / 8 + 1 || n_asize != n_head_for) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "tables of the wrong length");
        PyBuffer_Release(&f->view);
        Py_DECREF(dict);
        return -1;
    }
    f->w = (uint32_t *)f->view.buf;
    f->n = f->view.len / 4;
    f->small = n_asize - 1, f->largest = largest, f->last = last, f->exact_end = exact_end, f->lifo = lifo;
    f->heap = Py_NewRef(heap), f->dict = dict;
    f->readable_alloc = Py_NewRef(ra), f->readable_free = Py_NewRef(rf), f->grow_for = Py_NewRef(grow);
    f->insert = Py_NewRef(insert), f->tripped = Py_NewRef(tripped);
    return 0;
}

static int fp_traverse(FastPath *f, visitproc visit, void *arg) {
    Py_VISIT(f->heap);
    Py_VISIT(f->dict);
    Py_VISIT(f->readable_alloc);
    Py_VISIT(f->readable_free);
    Py_VISIT(f->grow_for);
    Py_VISIT(f->insert);
    Py_VISIT(f->tripped);
    return 0;
}

static int fp_clear(FastPath *f) {
    Py_CLEAR(f->heap);
    Py_CLEAR(f->dict);
    Py_CLEAR(f->readable_alloc);
    Py_CLEAR(f->readable_free);
    Py_CLEAR(f->grow_for);
    Py_CLEAR(f->insert);
    Py_CLEAR(f->tripped);
    return 0;
}

static void fp_dealloc(FastPath *f) {
    PyObject_GC_UnTrack(f);
    fp_clear(f);
    if (f->w != NULL) PyBuffer_Release(&f->view), f->w = NULL;
    PyMem_Free(f->head_of), PyMem_Free(f->asize_of), PyMem_Free(f->head_for);
    Py_TYPE(f)->tp_free((PyObject *)f);
}

static PyMethodDef fp_methods[] = {
    {"alloc", (PyCFunction)(void (*)(void))fast_alloc, METH_FASTCALL,
     "alloc(size, align): first fit over the lists, place, split; as freelist_fast's alloc."},
    {"free", (PyCFunction)(void (*)(void))fast_free, METH_FASTCALL,
     "free(bp, request): clear the tags, coalesce (four cases), list the block."},
    {NULL},
};

static PyMemberDef fp_members[] = {
    {"searches", T_LONGLONG, offsetof(FastPath, searches), READONLY, "searches made here"},
    {"examined", T_LONGLONG, offsetof(FastPath, examined), READONLY, "blocks examined here"},
    {NULL},
};

static PyTypeObject FastPathType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "memlab.allocators.freelist._fast.FastPath",
    .tp_doc = "One free-list heap's fast alloc and free, in C.",
    .tp_basicsize = sizeof(FastPath),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)fp_init,
    .tp_dealloc = (destructor)fp_dealloc,
    .tp_traverse = (traverseproc)fp_traverse,
    .tp_clear = (inquiry)fp_clear,
    .tp_methods = fp_methods,
    .tp_members = fp_members,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_fast",
    .m_doc = "The free-list heap's fast path in C (see freelist_fast.py).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__fast(void) {
    recorder_name = PyUnicode_InternFromString("recorder");
    if (recorder_name == NULL || PyType_Ready(&FastPathType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "FastPath", (PyObject *)&FastPathType) < 0) { Py_DECREF(m); return NULL; }
    return m;
}
