/* Parse a piece of a delimited text file that holds only plain decimal numbers, straight into column buffers.
 *
 * The compiled half of visualnn.services.datasets.fast_numbers (read that module first). It reads exactly one
 * grammar per field, ``-? digits ( <decimal> digits )? ( [eE] [+-]? digits )?`` or nothing (a missing value),
 * every line holding the same number of fields (empty lines skipped, LF or CRLF endings), and gives up on
 * anything else: a quote, a space, a missing-value word (NA), any other word, a value beyond float32 in a
 * float32 column. Giving up costs nothing but the time spent: the caller then parses the file with Arrow,
 * which knows every other case and reports errors.
 *
 * Each value is the correctly rounded float64 of its decimal text, as Arrow's parser gives, narrowed to float32
 * (round to nearest) in float32 columns, as Arrow's cast does; a missing value is 0 with its validity bit 0,
 * as in Arrow's arrays. Decimals of at most 19 digits whose significand fits 53 bits and whose power of ten is
 * at most 22 take one exact IEEE operation (Clinger's fast path: both operands exact, so one rounding); all
 * others go through the C library's strtod in the "C" locale, which rounds correctly.
 *
 * The GIL is released while parsing, so the caller parses two pieces at a time on two threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(_WIN32) /* the same calls under the names Microsoft's C library gives them */
typedef _locale_t locale_t;
#define newlocale(mask, name, base) _create_locale(LC_ALL, name)
#define strtod_l _strtod_l
#elif defined(__APPLE__)
#include <xlocale.h>
#endif

/* Per-column flags returned to the caller. */
#define FRACTION 1 /* some value has a decimal point or an exponent: the column is a float column */
#define LONG_INT 2 /* some integer is not exact in the column's buffer (the caller gives up if all are integers) */
#define MISSING 4  /* some value is missing (an empty field): its validity bit is 0 and its value 0, as Arrow has it */

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static locale_t c_locale = (locale_t)0;

#define MAX_FIELD 96 /* longer numbers are left to Arrow */

#define IS_DIGIT(c) ((unsigned)((c) - '0') < 10)

/* Parse one field at *pp (not past end) into *value; 0 on success (*pp then at the byte after the field),
 * -1 when the field is not a plain number. *significand is the decimal significand (UINT64_MAX when it has
 * more than 19 digits), *is_int whether the text is an integer (no point, no exponent). */
static int parse_field(const char **pp, const char *end, char decimal, double *value, int *is_int,
                       uint64_t *significand) {
    const char *p = *pp;
    const char *start = p;
    int negative = p < end && *p == '-';
    p += negative;
    const char *digits = p;
    uint64_t mant = 0; /* wraps past 19 digits: such fields take the slow path */
    while (p < end && IS_DIGIT(*p)) mant = mant * 10 + (uint64_t)(*p++ - '0');
    int ndigits = (int)(p - digits);
    if (!ndigits) return -1;
    int exp10 = 0;
    *is_int = 1;
    if (p < end && *p == decimal) {
        const char *fraction = ++p;
        while (p < end && IS_DIGIT(*p)) mant = mant * 10 + (uint64_t)(*p++ - '0');
        if (p == fraction) return -1; /* "1." is left to Arrow */
        exp10 = -(int)(p - fraction);
        ndigits += (int)(p - fraction);
        *is_int = 0;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int exp_negative = 0;
        if (p < end && (*p == '+' || *p == '-')) exp_negative = *p++ == '-';
        const char *exp_digits = p;
        int e = 0;
        while (p < end && IS_DIGIT(*p)) {
            if (e < 100000) e = e * 10 + (*p - '0');
            p++;
        }
        if (p == exp_digits) return -1;
        exp10 += exp_negative ? -e : e;
        *is_int = 0;
    }
    int exact = ndigits <= 19; /* leading zeros count too: 0.000...1 with many zeros takes the slow path */
    *significand = exact ? mant : UINT64_MAX;
    double v;
    if (exact && mant <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        v = (double)mant; /* exact, and so is the power of ten: one rounding */
        if (exp10 < 0)
            v /= POW10[-exp10];
        else
            v *= POW10[exp10];
        if (negative) v = -v;
    } else {
        char buf[MAX_FIELD + 1];
        size_t n = (size_t)(p - start);
        if (n > MAX_FIELD || c_locale == (locale_t)0) return -1;
        memcpy(buf, start, n);
        buf[n] = 0;
        if (decimal != '.') {
            for (size_t i = 0; i < n; i++)
                if (buf[i] == decimal) buf[i] = '.';
        }
        char *stop;
        errno = 0;
        v = strtod_l(buf, &stop, c_locale); /* reads the sign itself */
        if (stop != buf + n || errno || !isfinite(v)) return -1; /* overflow or underflow: Arrow reports it */
    }
    *value = v;
    *pp = p;
    return 0;
}

typedef struct {
    const char *data;
    Py_ssize_t size;
    char delimiter;
    char decimal;
    Py_ssize_t ncols;
    Py_ssize_t capacity;
    const char *kinds;      /* per column: 'f' float32, 'd' float64 */
    char **out;             /* per column: its buffer */
    unsigned char **valid;  /* per column: its validity bitmap (bit i of byte i / 8: row i holds a value) */
    unsigned char *flags;   /* per column */
    Py_ssize_t rows;        /* parsed */
    Py_ssize_t failed_line; /* 1-based line of the piece where parsing gave up, 0 when it did not */
} Job;

static int run(Job *job) {
    const char *p = job->data;
    const char *end = p + job->size;
    Py_ssize_t row = 0, line = 1;
    while (p < end) {
        if (*p == '\n') { /* an empty line */
            p++;
            line++;
            continue;
        }
        if (*p == '\r' && p + 1 < end && p[1] == '\n') {
            p += 2;
            line++;
            continue;
        }
        if (row >= job->capacity) goto fail;
        for (Py_ssize_t j = 0; j < job->ncols; j++) {
            double v = 0;
            int is_int = 1;
            uint64_t mant = 0;
            if (p >= end || *p == job->delimiter || *p == '\n' || *p == '\r') {
                job->flags[j] |= MISSING; /* an empty field (a lone \r fails at the line's end below) */
            } else {
                if (parse_field(&p, end, job->decimal, &v, &is_int, &mant)) goto fail;
                job->valid[j][row >> 3] |= (unsigned char)(1u << (row & 7));
            }
            char *column = job->out[j];
            if (job->kinds[j] == 'f') {
                float f = (float)v;
                if (isinf(f)) goto fail; /* beyond float32: Arrow's path reads the column as float64 */
                ((float *)column)[row] = f;
                if (is_int && mant > (UINT64_C(1) << 24)) job->flags[j] |= LONG_INT;
            } else {
                ((double *)column)[row] = v;
                if (is_int && mant > (UINT64_C(1) << 53)) job->flags[j] |= LONG_INT;
            }
            if (!is_int) job->flags[j] |= FRACTION;
            if (j + 1 < job->ncols) {
                if (p >= end || *p != job->delimiter) goto fail;
                p++;
            }
        }
        if (p < end) {
            if (*p == '\r' && p + 1 < end && p[1] == '\n')
                p += 2;
            else if (*p == '\n')
                p++;
            else
                goto fail;
        }
        row++;
        line++;
    }
    job->rows = row;
    return 0;
fail:
    job->rows = row;
    job->failed_line = line;
    return -1;
}

PyDoc_STRVAR(lines_doc, "lines(data) -> the number of lines of data (a last line without a line break counts).");

static PyObject *lines(PyObject *self, PyObject *arg) {
    Py_buffer in;
    if (PyObject_GetBuffer(arg, &in, PyBUF_SIMPLE)) return NULL;
    Py_ssize_t count = 0;
    Py_BEGIN_ALLOW_THREADS;
    const char *p = in.buf;
    const char *end = p + in.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        count++;
        if (!nl) break;
        p = nl + 1;
    }
    Py_END_ALLOW_THREADS;
    PyBuffer_Release(&in);
    return PyLong_FromSsize_t(count);
}

PyDoc_STRVAR(parse_doc,
             "parse(data, delimiter, decimal, kinds, outs, valid, capacity) -> (rows, flags, failed_line)\n\n"
             "Parse ``data`` (whole lines of plain numbers) into the writable buffers ``outs``, one per column:\n"
             "column j (kind 'f' float32 or 'd' float64 in the bytes ``kinds``) holds at most ``capacity`` rows;\n"
             "``valid`` holds a validity bitmap per column (capacity bits, cleared here first).\n"
             "``flags`` holds one byte per column (1: a value with a fraction or exponent, 2: an integer not exact\n"
             "in the column's type, 4: an empty field). ``failed_line`` is the 1-based line of ``data`` where parsing gave up (the\n"
             "text is then not plain numbers, or a value does not fit its column), else 0.");

/* Take a writable buffer of at least ``size`` bytes, aligned for ``align``, from item j of ``seq``. */
static int take_buffer(PyObject *seq, Py_ssize_t j, Py_buffer *view, Py_ssize_t size, Py_ssize_t align) {
    PyObject *item = PySequence_GetItem(seq, j);
    if (!item) return -1;
    int bad = PyObject_GetBuffer(item, view, PyBUF_WRITABLE);
    Py_DECREF(item);
    if (bad) return -1;
    if (view->len < size || (uintptr_t)view->buf % (uintptr_t)align) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "a column's buffer is too small or not aligned for its values");
        return -1;
    }
    return 0;
}

static PyObject *parse(PyObject *self, PyObject *args) {
    Py_buffer in;
    int delimiter, decimal;
    const char *kinds;
    Py_ssize_t ncols;
    PyObject *outs_obj, *valid_obj;
    Py_ssize_t capacity;
    if (!PyArg_ParseTuple(args, "y*CCy#OOn", &in, &delimiter, &decimal, &kinds, &ncols, &outs_obj, &valid_obj,
                          &capacity))
        return NULL;
    PyObject *result = NULL;
    Py_buffer *views = NULL; /* outs, then valid */
    char **columns = NULL;
    unsigned char **valid = NULL;
    unsigned char *flags = NULL;
    Py_ssize_t held = 0; /* views taken so far */
    if (ncols < 1 || capacity < 0 || !PySequence_Check(outs_obj) || PySequence_Size(outs_obj) != ncols ||
        !PySequence_Check(valid_obj) || PySequence_Size(valid_obj) != ncols) {
        PyErr_SetString(PyExc_ValueError, "outs and valid must hold one writable buffer per column");
        goto done;
    }
    views = PyMem_Calloc((size_t)(2 * ncols), sizeof(Py_buffer));
    columns = PyMem_Calloc((size_t)ncols, sizeof(char *));
    valid = PyMem_Calloc((size_t)ncols, sizeof(unsigned char *));
    flags = PyMem_Calloc((size_t)ncols, 1);
    if (!views || !columns || !valid || !flags) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < ncols; j++) {
        Py_ssize_t width = kinds[j] == 'f' ? 4 : kinds[j] == 'd' ? 8 : 0;
        if (!width) {
            PyErr_SetString(PyExc_ValueError, "kinds must be 'f' (float32) or 'd' (float64) per column");
            goto done;
        }
        if (take_buffer(outs_obj, j, &views[held], capacity * width, width)) goto done;
        columns[j] = views[held++].buf;
        if (take_buffer(valid_obj, j, &views[held], (capacity + 7) / 8, 1)) goto done;
        valid[j] = views[held++].buf;
        memset(valid[j], 0, (size_t)((capacity + 7) / 8));
    }
    Job job = {in.buf, in.len, (char)delimiter, (char)decimal, ncols, capacity, kinds, columns, valid, flags, 0, 0};
    Py_BEGIN_ALLOW_THREADS;
    run(&job);
    Py_END_ALLOW_THREADS;
    result = Py_BuildValue("ny#n", job.rows, (const char *)flags, ncols, job.failed_line);
done:
    for (Py_ssize_t j = 0; j < held; j++) PyBuffer_Release(&views[j]);
    PyMem_Free(views);
    PyMem_Free(columns);
    PyMem_Free(valid);
    PyMem_Free(flags);
    PyBuffer_Release(&in);
    return result;
}

static PyMethodDef methods[] = {
    {"lines", lines, METH_O, lines_doc},
    {"parse", (PyCFunction)parse, METH_VARARGS, parse_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fast_numbers",
                                    "The compiled parser of numbers-only delimited text (see fast_numbers.py).", -1,
                                    methods};

PyMODINIT_FUNC PyInit__fast_numbers(void) {
    if (c_locale == (locale_t)0) c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    PyObject *m = PyModule_Create(&module);
    if (m && (PyModule_AddIntConstant(m, "FRACTION", FRACTION) || PyModule_AddIntConstant(m, "LONG_INT", LONG_INT) ||
              PyModule_AddIntConstant(m, "MISSING", MISSING))) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
