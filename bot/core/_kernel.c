/*
 * The matcher's inner loop in C: a question's similar examples in one pass over its
 * features' postings (bot/core/intents.py, Matcher._similarities).
 *
 * The numpy version gathers the postings (a slice per feature), weights them, sums them per
 * example with a bincount over every example, scales each language's slice and then looks
 * for the examples above the floor: six passes over arrays of 30,000-50,000 items, each a
 * numpy call. Here it is one loop over the postings into one accumulator and one pass over
 * the allowed languages' examples. The sums are done in the same order and in the same
 * precision (double), so the result is bit for bit the numpy version's (a test checks it).
 *
 * Optional: when it cannot be compiled (no C compiler), bot/core/intents.py uses numpy.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A contiguous buffer of fixed-size items, read as (unsigned) integers or doubles. */
typedef struct {
    Py_buffer view;
    Py_ssize_t length;
} Array;

static int
open_array(PyObject *object, Array *array, const char *name, int writable)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, &array->view, flags) < 0) {
        return -1;
    }
    if (array->view.ndim != 1) {
        PyErr_Format(PyExc_ValueError, "%s: expected a one-dimensional array", name);
        PyBuffer_Release(&array->view);
        return -1;
    }
    array->length = array->view.shape[0];
    return 0;
}

/* The format's kind: 'u' unsigned, 'i' signed, 'f' floating; 0 for anything else. */
static char
kind_of(const Array *array)
{
    const char *format = array->view.format;
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') {
        format++;
    }
    switch (format[0]) {
    case 'B': case 'H': case 'I': case 'L': case 'Q': return 'u';
    case 'b': case 'h': case 'i': case 'l': case 'q': return 'i';
    case 'd': return 'f';
    default: return 0;
    }
}

static int
check(const Array *array, const char *name, char kind, int size2, int size4, int size8)
{
    Py_ssize_t size = array->view.itemsize;
    int ok = kind_of(array) == kind
        && ((size == 2 && size2) || (size == 4 && size4) || (size == 8 && size8));
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s: unsupported item type '%s'", name,
                     array->view.format);
    }
    return ok;
}

static inline uint64_t
unsigned_at(const Array *array, Py_ssize_t i)
{
    const char *base = (const char *)array->view.buf;
    switch (array->view.itemsize) {
    case 2: return ((const uint16_t *)base)[i];
    case 4: return ((const uint32_t *)base)[i];
    default: return ((const uint64_t *)base)[i];
    }
}

static inline int64_t
signed_at(const Array *array, Py_ssize_t i)
{
    const char *base = (const char *)array->view.buf;
    switch (array->view.itemsize) {
    case 2: return ((const int16_t *)base)[i];
    case 4: return ((const int32_t *)base)[i];
    default: return ((const int64_t *)base)[i];
    }
}

/* Sum the runs of postings into `sums` (one double per example); -1 on an index out of
 * range (a corrupt index). Specialised for the common item sizes below. */
#define ACCUMULATE(DOC_T, WEIGHT_T)                                                      \
    for (Py_ssize_t f = 0; f < features; f++) {                                          \
        int64_t feature = signed_at(&numbers, f);                                        \
        if (feature < 0 || feature + 1 >= bounds.length) {                               \
            goto out_of_range;                                                           \
        }                                                                                \
        uint64_t start = unsigned_at(&bounds, feature);                                  \
        uint64_t end = unsigned_at(&bounds, feature + 1);                                \
        if (end < start || end > (uint64_t)docs.length) {                                \
            goto out_of_range;                                                           \
        }                                                                                \
        const DOC_T *doc = (const DOC_T *)docs.view.buf;                                 \
        const WEIGHT_T *weight = (const WEIGHT_T *)weights.view.buf;                     \
        double repeat = repeated[f];                                                     \
        if (repeat == 1.0) {                                                             \
            for (uint64_t i = start; i < end; i++) {                                     \
                if (doc[i] >= (uint64_t)documents) {                                     \
                    goto out_of_range;                                                   \
                }                                                                        \
                sums[doc[i]] += (double)weight[i];                                       \
            }                                                                            \
        }                                                                                \
        else {                                                                           \
            for (uint64_t i = start; i < end; i++) {                                     \
                if (doc[i] >= (uint64_t)documents) {                                     \
                    goto out_of_range;                                                   \
                }                                                                        \
                sums[doc[i]] += (double)weight[i] * repeat;                              \
            }                                                                            \
        }                                                                                \
    }

PyDoc_STRVAR(close_doc,
"close(docs, weights, bounds, numbers, repeated, factors, language_starts, floor)\n"
"--\n\n"
"The examples whose similarity to a question is at least `floor`, and those similarities.\n\n"
"Feature `numbers[f]`'s postings are `docs[bounds[n]:bounds[n + 1]]` with `weights` there;\n"
"each example's sum of its postings' weights (times `repeated[f]`, the question's weight\n"
"of feature f) is multiplied by its language's factor (`factors[k]` for the examples\n"
"`language_starts[k]:language_starts[k + 1]`). Returns two bytes objects: the examples\n"
"(native int64, ascending) and their similarities (native double).");

static PyObject *
close_examples(PyObject *self, PyObject *args)
{
    PyObject *objects[7];
    double floor;
    if (!PyArg_ParseTuple(args, "OOOOOOOd:close", &objects[0], &objects[1], &objects[2],
                          &objects[3], &objects[4], &objects[5], &objects[6], &floor)) {
        return NULL;
    }
    Array docs, weights, bounds, numbers, repeats, factors, starts;
    Array *arrays[7] = {&docs, &weights, &bounds, &numbers, &repeats, &factors, &starts};
    static const char *names[7] = {"docs", "weights", "bounds", "numbers", "repeated",
                                   "factors", "language_starts"};
    int opened = 0;
    PyObject *result = NULL;
    double *sums = NULL;
    int64_t *found = NULL;
    for (; opened < 7; opened++) {
        if (open_array(objects[opened], arrays[opened], names[opened], 0) < 0) {
            goto done;
        }
    }
    if (!check(&docs, "docs", 'u', 1, 1, 0) || !check(&weights, "weights", 'u', 1, 0, 0)
        || !check(&bounds, "bounds", 'u', 0, 1, 1) || !check(&numbers, "numbers", 'i', 0, 0, 1)
        || !check(&repeats, "repeated", 'f', 0, 0, 1) || !check(&factors, "factors", 'f', 0, 0, 1)
        || !check(&starts, "language_starts", 'i', 0, 0, 1)) {
        goto done;
    }
    if (docs.length != weights.length || repeats.length != numbers.length
        || starts.length != factors.length + 1) {
        PyErr_SetString(PyExc_ValueError, "close: the arrays' lengths do not match");
        goto done;
    }
    const int64_t *edges = (const int64_t *)starts.view.buf;
    const double *factor = (const double *)factors.view.buf;
    const double *repeated = (const double *)repeats.view.buf;
    Py_ssize_t languages = factors.length;
    Py_ssize_t features = numbers.length;
    Py_ssize_t documents = languages ? (Py_ssize_t)edges[languages] : 0;
    for (Py_ssize_t k = 0; k < languages; k++) {
        if (edges[k] < 0 || edges[k] > edges[k + 1]) {
            PyErr_SetString(PyExc_ValueError, "close: language_starts must ascend from 0");
            goto done;
        }
    }
    sums = PyMem_RawCalloc(documents ? (size_t)documents : 1, sizeof(double));
    found = PyMem_RawMalloc((documents ? (size_t)documents : 1) * sizeof(int64_t));
    if (sums == NULL || found == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (docs.view.itemsize == 2) {
        ACCUMULATE(uint16_t, uint16_t)
    }
    else {
        ACCUMULATE(uint32_t, uint16_t)
    }
    goto accumulated;
out_of_range:
    documents = -1;
accumulated:
    if (documents < 0) {
        PyErr_SetString(PyExc_ValueError, "close: a posting points outside the examples");
        goto done;
    }
    /* the sums scaled by their language's factor, kept where they reach the floor; the
     * similarities overwrite the sums in place (found[n] >= n) */
    Py_ssize_t count = 0;
    for (Py_ssize_t k = 0; k < languages; k++) {
        double scale = factor[k];
        if (scale == 0.0) {
            continue;  /* a language the question's script rules out: every product is 0 */
        }
        for (int64_t d = edges[k]; d < edges[k + 1]; d++) {
            double similarity = sums[d] * scale;
            if (similarity >= floor) {
                found[count] = d;
                sums[count] = similarity;
                count++;
            }
        }
    }
    PyObject *examples = PyBytes_FromStringAndSize((const char *)found,
                                                   count * (Py_ssize_t)sizeof(int64_t));
    PyObject *similarities = PyBytes_FromStringAndSize((const char *)sums,
                                                       count * (Py_ssize_t)sizeof(double));
    if (examples != NULL && similarities != NULL) {
        result = PyTuple_Pack(2, examples, similarities);
    }
    Py_XDECREF(examples);
    Py_XDECREF(similarities);
done:
    PyMem_RawFree(sums);
    PyMem_RawFree(found);
    for (int i = 0; i < opened; i++) {
        PyBuffer_Release(&arrays[i]->view);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"close", close_examples, METH_VARARGS, close_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "bot.core._kernel",
    .m_doc = "The matcher's inner loop in C (optional; bot/core/intents.py falls back to numpy).",
    .m_size = 0,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__kernel(void)
{
    return PyModule_Create(&module);
}
