/*
 * The matcher's inner loops in C: a question's similar examples in one pass over its
 * features' postings (bot/core/intents.py, Matcher._similarities), and their scores per
 * intent in one pass over those examples (Matcher._aggregate).
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

/* Whether the array holds bytes of this kind ('u' unsigned, 'i' signed), else a TypeError. */
static int
check_bytes(const Array *array, const char *name, char kind)
{
    if (kind_of(array) != kind || array->view.itemsize != 1) {
        PyErr_Format(PyExc_TypeError, "%s: unsupported item type '%s'", name,
                     array->view.format);
        return 0;
    }
    return 1;
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

/* Sum the runs of postings into `sums` (one double per example): feature f's entries (a
 * language each) have runs of postings of that language's examples, numbered within it; each
 * posting's weight is the level its 8-bit code names. A language the question's script rules
 * out (factor 0) is skipped. -1 on an index out of range (a corrupt index). Specialised for
 * the examples' item sizes below. */
#define ACCUMULATE(DOC_T)                                                                \
    for (Py_ssize_t f = 0; f < features; f++) {                                          \
        int64_t feature = signed_at(&numbers, f);                                        \
        if (feature < 0 || feature + 1 >= df_bounds.length) {                            \
            goto out_of_range;                                                           \
        }                                                                                \
        uint64_t first = unsigned_at(&df_bounds, feature);                               \
        uint64_t last = unsigned_at(&df_bounds, feature + 1);                            \
        if (last < first || last > (uint64_t)entries) {                                  \
            goto out_of_range;                                                           \
        }                                                                                \
        const DOC_T *doc = (const DOC_T *)docs.view.buf;                                 \
        const uint8_t *code = (const uint8_t *)weights.view.buf;                         \
        double repeat = repeated[f];                                                     \
        for (uint64_t e = first; e < last; e++) {                                        \
            uint8_t language = tongue[e];                                                \
            if (language >= languages) {                                                 \
                goto out_of_range;                                                       \
            }                                                                            \
            if (factor[language] == 0.0) {                                               \
                continue;                                                                \
            }                                                                            \
            uint64_t start = unsigned_at(&runs, e);                                      \
            uint64_t end = unsigned_at(&runs, e + 1);                                    \
            if (end < start || end > (uint64_t)docs.length) {                            \
                goto out_of_range;                                                       \
            }                                                                            \
            double *row = sums + edges[language];                                        \
            uint64_t size = (uint64_t)(edges[language + 1] - edges[language]);           \
            if (repeat == 1.0) {                                                         \
                for (uint64_t i = start; i < end; i++) {                                 \
                    if ((uint64_t)doc[i] >= size) {                                      \
                        goto out_of_range;                                               \
                    }                                                                    \
                    row[doc[i]] += level[code[i]];                                       \
                }                                                                        \
            }                                                                            \
            else {                                                                       \
                for (uint64_t i = start; i < end; i++) {                                 \
                    if ((uint64_t)doc[i] >= size) {                                      \
                        goto out_of_range;                                               \
                    }                                                                    \
                    row[doc[i]] += level[code[i]] * repeat;                              \
                }                                                                        \
            }                                                                            \
        }                                                                                \
    }

PyDoc_STRVAR(close_doc,
"close(docs, weights, levels, runs, df_bounds, df_languages, numbers, repeated, factors,\n"
"      language_starts, floor)\n"
"--\n\n"
"The examples whose similarity to a question is at least `floor`, and those similarities.\n\n"
"Feature n = `numbers[f]` has the entries `df_bounds[n]:df_bounds[n + 1]`, each a language\n"
"(`df_languages[e]`) and a run of postings `runs[e]:runs[e + 1]`: `docs` there are that\n"
"language's examples numbered within it, `weights` 8-bit codes of the 256 `levels`. Each\n"
"example's sum of its postings' levels (times `repeated[f]`, the question's weight of\n"
"feature f) is multiplied by its language's factor (`factors[k]` for the examples\n"
"`language_starts[k]:language_starts[k + 1]`). Returns two bytes objects: the examples\n"
"(native int64, ascending) and their similarities (native double).");

static PyObject *
close_examples(PyObject *self, PyObject *args)
{
    enum { COUNT = 10 };
    PyObject *objects[COUNT];
    double floor;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOd:close", &objects[0], &objects[1], &objects[2],
                          &objects[3], &objects[4], &objects[5], &objects[6], &objects[7],
                          &objects[8], &objects[9], &floor)) {
        return NULL;
    }
    Array docs, weights, levels, runs, df_bounds, df_languages, numbers, repeats, factors, starts;
    Array *arrays[COUNT] = {&docs, &weights, &levels, &runs, &df_bounds, &df_languages,
                            &numbers, &repeats, &factors, &starts};
    static const char *names[COUNT] = {"docs", "weights", "levels", "runs", "df_bounds",
                                       "df_languages", "numbers", "repeated", "factors",
                                       "language_starts"};
    int opened = 0;
    PyObject *result = NULL;
    double *sums = NULL;
    int64_t *found = NULL;
    for (; opened < COUNT; opened++) {
        if (open_array(objects[opened], arrays[opened], names[opened], 0) < 0) {
            goto done;
        }
    }
    /* the examples in 16 bits while they fit, else in 32 (signed, as numpy's int32: read
     * unsigned, a negative one is out of range) */
    int wide_signed = kind_of(&docs) == 'i' && docs.view.itemsize == 4;
    if ((!wide_signed && !check(&docs, "docs", 'u', 1, 1, 0))
        || !check_bytes(&weights, "weights", 'u') || !check(&levels, "levels", 'f', 0, 0, 1)
        || !check(&runs, "runs", 'u', 0, 1, 1) || !check(&df_bounds, "df_bounds", 'u', 0, 1, 1)
        || !check_bytes(&df_languages, "df_languages", 'u')
        || !check(&numbers, "numbers", 'i', 0, 0, 1)
        || !check(&repeats, "repeated", 'f', 0, 0, 1) || !check(&factors, "factors", 'f', 0, 0, 1)
        || !check(&starts, "language_starts", 'i', 0, 0, 1)) {
        goto done;
    }
    if (docs.length != weights.length || levels.length != 256
        || runs.length != df_languages.length + 1 || repeats.length != numbers.length
        || starts.length != factors.length + 1) {
        PyErr_SetString(PyExc_ValueError, "close: the arrays' lengths do not match");
        goto done;
    }
    const int64_t *edges = (const int64_t *)starts.view.buf;
    const double *factor = (const double *)factors.view.buf;
    const double *repeated = (const double *)repeats.view.buf;
    const double *level = (const double *)levels.view.buf;
    const uint8_t *tongue = (const uint8_t *)df_languages.view.buf;
    Py_ssize_t entries = df_languages.length;
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
        ACCUMULATE(uint16_t)
    }
    else {
        ACCUMULATE(uint32_t)
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

PyDoc_STRVAR(aggregate_doc,
"aggregate(close, similarity, doc_intent, neighbour_weights, intents, alpha,\n"
"          language_starts)\n"
"--\n\n"
"From the close examples (ascending) and their similarities, per intent: the weighted sum\n"
"of its best similarities (the k-th best times `neighbour_weights[k]`), its best example\n"
"(-1: none met) and the largest over languages of the ridge score of that language's close\n"
"examples (their similarities times `alpha`'s rows of `intents` columns; `alpha` empty:\n"
"zeros); per language, its best similarity (-1: none). The ranks are those of a stable sort\n"
"by `2 * intent + (1 - similarity)`, as the numpy version sorts. Returns four bytes\n"
"objects: float64, int64 and float32 per intent, float64 per language.");

/* Close a language's run of close examples: its ridge scores (float32, as numpy's float32
 * product gives them) count where they are the largest so far. */
static void
end_span(double *span, float *ridges, Py_ssize_t intents, int first)
{
    for (Py_ssize_t j = 0; j < intents; j++) {
        float score = (float)span[j];
        if (first || score > ridges[j]) {
            ridges[j] = score;
        }
        span[j] = 0.0;
    }
}

static PyObject *
aggregate(PyObject *self, PyObject *args)
{
    PyObject *objects[6];
    Py_ssize_t intents;
    if (!PyArg_ParseTuple(args, "OOOOnOO:aggregate", &objects[0], &objects[1], &objects[2],
                          &objects[3], &intents, &objects[4], &objects[5])) {
        return NULL;
    }
    Array close, similarity, doc_intent, weights, alpha, starts;
    Array *arrays[6] = {&close, &similarity, &doc_intent, &weights, &alpha, &starts};
    static const char *names[6] = {"close", "similarity", "doc_intent", "neighbour_weights",
                                   "alpha", "language_starts"};
    int opened = 0;
    PyObject *result = NULL;
    double *sums = NULL, *keys = NULL, *span = NULL, *top = NULL;
    int64_t *best = NULL;
    Py_ssize_t *ranked = NULL, *met = NULL;
    float *ridges = NULL;
    for (; opened < 6; opened++) {
        if (open_array(objects[opened], arrays[opened], names[opened], 0) < 0) {
            goto done;
        }
    }
    int narrow = kind_of(&doc_intent) == 'u' && doc_intent.view.itemsize == 1;
    if (!check(&close, "close", 'i', 0, 0, 1) || !check(&similarity, "similarity", 'f', 0, 0, 1)
        || !check(&weights, "neighbour_weights", 'f', 0, 0, 1)
        || !check_bytes(&alpha, "alpha", 'i')
        || !check(&starts, "language_starts", 'i', 0, 0, 1)
        || (!narrow && !check(&doc_intent, "doc_intent", 'i', 0, 1, 0))) {
        goto done;
    }
    Py_ssize_t n = close.length, k_best = weights.length, languages = starts.length - 1;
    Py_ssize_t documents = doc_intent.length;
    const int64_t *edges = (const int64_t *)starts.view.buf;
    const int64_t *examples = (const int64_t *)close.view.buf;
    const double *similar = (const double *)similarity.view.buf;
    const double *weight = (const double *)weights.view.buf;
    const int8_t *rows = (const int8_t *)alpha.view.buf;
    int ridge = alpha.length > 0;
    if (similarity.length != n || intents <= 0 || k_best <= 0 || languages < 1
        || edges[0] != 0 || edges[languages] != documents
        || (ridge && alpha.length != documents * intents)) {
        PyErr_SetString(PyExc_ValueError, "aggregate: the arrays' lengths do not match");
        goto done;
    }
    sums = PyMem_RawCalloc((size_t)intents, sizeof(double));
    best = PyMem_RawMalloc((size_t)intents * sizeof(int64_t));
    ridges = PyMem_RawCalloc((size_t)intents, sizeof(float));
    met = PyMem_RawCalloc((size_t)intents, sizeof(Py_ssize_t));
    keys = PyMem_RawMalloc((size_t)(intents * k_best) * sizeof(double));
    ranked = PyMem_RawMalloc((size_t)(intents * k_best) * sizeof(Py_ssize_t));
    span = PyMem_RawCalloc((size_t)intents, sizeof(double));
    top = PyMem_RawMalloc((size_t)languages * sizeof(double));
    if (!sums || !best || !ridges || !met || !keys || !ranked || !span || !top) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < languages; k++) {
        top[k] = -1.0;
    }
    Py_ssize_t language = 0;
    int spans = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t example = examples[i];
        if (example < 0 || example >= documents || (i && example <= examples[i - 1])) {
            PyErr_SetString(PyExc_ValueError, "aggregate: close must ascend within the examples");
            goto done;
        }
        if (example >= edges[language + 1]) {  /* the next language's examples begin */
            if (ridge && i) {
                end_span(span, ridges, intents, spans++ == 0);
            }
            while (example >= edges[language + 1]) {
                language++;
            }
        }
        double value = similar[i];
        if (value > top[language]) {
            top[language] = value;
        }
        Py_ssize_t intent = narrow ? ((const uint8_t *)doc_intent.view.buf)[example]
                                   : ((const int32_t *)doc_intent.view.buf)[example];
        if (intent < 0 || intent >= intents) {
            PyErr_SetString(PyExc_ValueError, "aggregate: an example's intent is out of range");
            goto done;
        }
        /* its place among its intent's best: after every key not larger (a stable sort) */
        double key = (double)intent * 2.0 + (1.0 - value);
        double *mine = keys + intent * k_best;
        Py_ssize_t *where = ranked + intent * k_best, count = met[intent], place = count;
        while (place > 0 && mine[place - 1] > key) {
            place--;
        }
        if (place < k_best) {
            Py_ssize_t last = count < k_best ? count : k_best - 1;
            for (Py_ssize_t r = last; r > place; r--) {
                mine[r] = mine[r - 1];
                where[r] = where[r - 1];
            }
            mine[place] = key;
            where[place] = i;
            met[intent] = last + 1;
        }
        if (ridge) {
            /* numpy multiplies float32 similarities by the rows in float32 */
            double factor = (double)(float)value;
            const int8_t *row = rows + example * intents;
            for (Py_ssize_t j = 0; j < intents; j++) {
                span[j] += factor * (double)row[j];
            }
        }
    }
    if (ridge && n) {
        end_span(span, ridges, intents, spans == 0);
    }
    for (Py_ssize_t t = 0; t < intents; t++) {
        double sum = 0.0;
        for (Py_ssize_t r = 0; r < met[t]; r++) {
            sum += similar[ranked[t * k_best + r]] * weight[r];
        }
        sums[t] = sum;
        best[t] = met[t] ? examples[ranked[t * k_best]] : -1;
    }
    PyObject *parts[4] = {
        PyBytes_FromStringAndSize((const char *)sums, intents * (Py_ssize_t)sizeof(double)),
        PyBytes_FromStringAndSize((const char *)best, intents * (Py_ssize_t)sizeof(int64_t)),
        PyBytes_FromStringAndSize((const char *)ridges, intents * (Py_ssize_t)sizeof(float)),
        PyBytes_FromStringAndSize((const char *)top, languages * (Py_ssize_t)sizeof(double)),
    };
    if (parts[0] && parts[1] && parts[2] && parts[3]) {
        result = PyTuple_Pack(4, parts[0], parts[1], parts[2], parts[3]);
    }
    for (int i = 0; i < 4; i++) {
        Py_XDECREF(parts[i]);
    }
done:
    PyMem_RawFree(sums);
    PyMem_RawFree(best);
    PyMem_RawFree(ridges);
    PyMem_RawFree(met);
    PyMem_RawFree(keys);
    PyMem_RawFree(ranked);
    PyMem_RawFree(span);
    PyMem_RawFree(top);
    for (int i = 0; i < opened; i++) {
        PyBuffer_Release(&arrays[i]->view);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"close", close_examples, METH_VARARGS, close_doc},
    {"aggregate", aggregate, METH_VARARGS, aggregate_doc},
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
