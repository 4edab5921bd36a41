/* Parsing: protobuf-c under a memory cap and a nesting limit, TensorProto
 * decoding into host tensors, attribute access, reading files. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ONNX raw_data is little-endian; this loader reads it in place"
#endif

/* Deeper than any real model: a subgraph level is three messages deep. */
#define MAX_DEPTH 64

/* ------------------------------------------------------ capped allocator */

/* A 16-byte header keeps the size (for free) and the payload aligned for
 * the int64 and float arrays read in place. */
#define HDR 16

static void *pb_alloc(void *data, size_t size)
{
    ox_pbmem *m = data;
    if (size > m->cap - m->used || size > SIZE_MAX - HDR) {
        m->exceeded = 1;
        return NULL;
    }
    char *p = malloc(size + HDR);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    m->used += size;
    return p + HDR;
}

static void pb_free(void *data, void *ptr)
{
    ox_pbmem *m = data;
    size_t size;
    if (!ptr)
        return;
    memcpy(&size, (char *)ptr - HDR, sizeof size);
    m->used -= size;
    free((char *)ptr - HDR);
}

void ox_pbmem_init(ox_pbmem *m, uint64_t cap)
{
    memset(m, 0, sizeof *m);
    m->a.alloc = pb_alloc;
    m->a.free = pb_free;
    m->a.allocator_data = m;
    m->cap = cap;
}

/* -------------------------------------------------- nesting depth check */

static int varint(const uint8_t *p, size_t len, size_t *i, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *i < len; shift += 7) {
        uint8_t b = p[(*i)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 1;
    }
    return 0;
}

/* Walks the wire format along the schema's message fields only; anything
 * malformed is left for protobuf-c to reject. Returns 0 when too deep. */
static int depth_ok(const uint8_t *p, size_t len, const ProtobufCMessageDescriptor *d, int depth)
{
    size_t i = 0;
    if (depth > MAX_DEPTH)
        return 0;
    while (i < len) {
        uint64_t key, l;
        if (!varint(p, len, &i, &key))
            return 1;
        switch (key & 7) {
        case 0:
            if (!varint(p, len, &i, &l))
                return 1;
            break;
        case 1:
            i += 8;
            break;
        case 5:
            i += 4;
            break;
        case 2: {
            if (!varint(p, len, &i, &l) || l > len - i)
                return 1;
            unsigned field = key >> 3 <= UINT32_MAX ? (unsigned)(key >> 3) : 0;
            const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, field);
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
                !depth_ok(p + i, (size_t)l, f->descriptor, depth + 1))
                return 0;
            i += (size_t)l;
            break;
        }
        default:
            return 1;
        }
    }
    return 1;
}

lk_status ox_unpack(const ProtobufCMessageDescriptor *d, const void *data, size_t size,
                    ox_pbmem *mem, ProtobufCMessage **out, const char *what, lk_msg *msg)
{
    *out = NULL;
    if (!depth_ok(data, size, d, 0))
        return lk_fail(msg, LK_ERR_FORMAT, "%s: messages nested deeper than %d levels", what,
                       MAX_DEPTH);
    *out = protobuf_c_message_unpack(d, &mem->a, size, data);
    if (*out)
        return LK_OK;
    if (mem->exceeded)
        return lk_fail(msg, LK_ERR_NO_MEMORY,
                       "%s: parsing needs more than %llu bytes (lk_onnx_opts.max_bytes)", what,
                       (unsigned long long)mem->cap);
    return lk_fail(msg, LK_ERR_FORMAT, "%s: not a valid %s message (truncated or corrupt)", what,
                   d->short_name);
}

/* ------------------------------------------------------------- tensors */

lk_status ox_tensor_alloc(ox_ctx *c, ox_tensor *t, ox_dtype dtype, int rank, const int64_t *d)
{
    int64_t n = 1;
    memset(t, 0, sizeof *t);
    if (rank < 0 || rank > LK_MAX_DIMS)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "tensor rank %d exceeds %d", rank, LK_MAX_DIMS);
    for (int i = 0; i < rank; i++) {
        if (d[i] < 0)
            return ox_fail(c, LK_ERR_FORMAT, "negative dimension %lld", (long long)d[i]);
        if (d[i] > 0 && n > INT64_MAX / 8 / d[i])
            return ox_fail(c, LK_ERR_NO_MEMORY, "tensor of more than 2^60 elements");
        n *= d[i];
        t->d[i] = d[i];
    }
    uint64_t bytes = (uint64_t)(n ? n : 1) * (dtype == OX_F32 ? 4 : 8);
    if (bytes > c->host_cap - c->host_bytes || c->host_bytes > c->host_cap)
        return ox_fail(c, LK_ERR_NO_MEMORY,
                       "constants need more than %llu bytes (8 x the model file + 64 MiB, "
                       "at most lk_onnx_opts.max_bytes)", (unsigned long long)c->host_cap);
    t->v.p = malloc((size_t)bytes);
    if (!t->v.p)
        return ox_fail(c, LK_ERR_NO_MEMORY, "out of memory for a %llu-byte constant",
                       (unsigned long long)bytes);
    c->host_bytes += bytes;
    t->dtype = dtype;
    t->rank = rank;
    t->n = n;
    t->owned = 1;
    return LK_OK;
}

void ox_tensor_free(ox_tensor *t)
{
    if (t->owned)
        free(t->v.p);
    t->v.p = NULL;
    t->owned = 0;
}

double ox_tensor_get(const ox_tensor *t, int64_t i)
{
    return t->dtype == OX_F32 ? (double)t->v.f[i] : (double)t->v.i[i];
}

const char *ox_dims_str(int rank, const int64_t *d, char *buf, size_t n)
{
    lk_shape s;
    s.rank = rank;
    if (rank)
        memcpy(s.d, d, (size_t)rank * sizeof *d);
    return lk_shape_str(&s, buf, n);
}

static float half_to_float(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    float v = e == 0 ? ldexpf((float)m, -24)
              : e == 31 ? (m ? NAN : INFINITY)
                        : ldexpf((float)(m | 0x400), e - 25);
    return h & 0x8000 ? -v : v;
}

/* How one ONNX data type is stored: bytes per element in raw_data and the
 * typed field otherwise. */
enum field { F_FLOAT, F_DOUBLE, F_INT32, F_INT64, F_UINT64 };
typedef struct dtype_info {
    int size;
    enum field field;
    int is_float;
} dtype_info;

static int dtype_of(int32_t t, dtype_info *di)
{
    switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: *di = (dtype_info){4, F_FLOAT, 1}; return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: *di = (dtype_info){8, F_DOUBLE, 1}; return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: *di = (dtype_info){2, F_INT32, 1}; return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: *di = (dtype_info){8, F_INT64, 0}; return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: *di = (dtype_info){4, F_INT32, 0}; return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: *di = (dtype_info){2, F_INT32, 0}; return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: *di = (dtype_info){1, F_INT32, 0}; return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: *di = (dtype_info){4, F_UINT64, 0}; return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: *di = (dtype_info){8, F_UINT64, 0}; return 1;
    default: return 0;
    }
}

/* Element i of raw little-endian data of type t, as a double or int64. */
static double raw_float(int32_t t, const uint8_t *p, int64_t i)
{
    uint16_t h;
    uint32_t u;
    float f;
    double d;
    switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: memcpy(&d, p + 8 * i, 8); return d;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: memcpy(&h, p + 2 * i, 2); return half_to_float(h);
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
        memcpy(&h, p + 2 * i, 2);
        u = (uint32_t)h << 16;
        memcpy(&f, &u, 4);
        return f;
    default: memcpy(&f, p + 4 * i, 4); return f;
    }
}

static int64_t raw_int(int32_t t, const uint8_t *p, int64_t i)
{
    int64_t v = 0;
    uint64_t u = 0;
    switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: { int32_t x; memcpy(&x, p + 4 * i, 4); return x; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: { int16_t x; memcpy(&x, p + 2 * i, 2); return x; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: { uint16_t x; memcpy(&x, p + 2 * i, 2); return x; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return (int8_t)p[i];
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return p[i];
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return p[i] != 0;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: { uint32_t x; memcpy(&x, p + 4 * i, 4); return x; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
        memcpy(&u, p + 8 * i, 8);
        return u > INT64_MAX ? INT64_MAX : (int64_t)u;
    default: memcpy(&v, p + 8 * i, 8); return v;
    }
}

/* Converts the typed-field element i (fields already checked for size). */
static double typed_float(const Onnx__TensorProto *tp, int64_t i)
{
    uint32_t u;
    float f;
    switch (tp->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return tp->double_data[i];
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return half_to_float((uint16_t)tp->int32_data[i]);
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
        u = (uint32_t)(uint16_t)tp->int32_data[i] << 16;
        memcpy(&f, &u, 4);
        return f;
    default: return tp->float_data[i];
    }
}

static int64_t typed_int(const Onnx__TensorProto *tp, enum field field, int64_t i)
{
    switch (field) {
    case F_INT64: return tp->int64_data[i];
    case F_UINT64: return tp->uint64_data[i] > INT64_MAX ? INT64_MAX : (int64_t)tp->uint64_data[i];
    default:
        return tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL ? tp->int32_data[i] != 0
                                                                   : tp->int32_data[i];
    }
}

static size_t typed_count(const Onnx__TensorProto *tp, enum field f)
{
    switch (f) {
    case F_FLOAT: return tp->n_float_data;
    case F_DOUBLE: return tp->n_double_data;
    case F_INT32: return tp->n_int32_data;
    case F_INT64: return tp->n_int64_data;
    default: return tp->n_uint64_data;
    }
}

lk_status ox_tensor_decode(ox_ctx *c, const Onnx__TensorProto *tp, ox_tensor *out, const char *what)
{
    const char *name = tp->name && *tp->name ? tp->name : what;
    dtype_info di;
    int64_t n = 1;
    lk_status st;

    memset(out, 0, sizeof *out);
    if ((tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
        tp->n_external_data) {
        const char *file = "?";
        for (size_t i = 0; i < tp->n_external_data; i++)
            if (tp->external_data[i]->key && !strcmp(tp->external_data[i]->key, "location") &&
                tp->external_data[i]->value)
                file = tp->external_data[i]->value;
        return ox_fail(c, LK_ERR_UNSUPPORTED,
                       "tensor '%.100s' keeps its data in an external file ('%.100s'): only "
                       "self-contained models are supported (re-export with the weights inside)",
                       name, file);
    }
    if (tp->segment)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "tensor '%.100s' is segmented", name);
    if (!dtype_of(tp->data_type, &di))
        return ox_fail(c, LK_ERR_UNSUPPORTED, "tensor '%.100s' has data type %d (supported: "
                       "float, double, float16, bfloat16, integers, bool)", name, tp->data_type);
    if (tp->n_dims > LK_MAX_DIMS)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "tensor '%.100s' has rank %zu (at most %d)", name,
                       tp->n_dims, LK_MAX_DIMS);
    for (size_t i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0)
            return ox_fail(c, LK_ERR_FORMAT, "tensor '%.100s' has dimension %zu = %lld", name, i,
                           (long long)tp->dims[i]);
        if (tp->dims[i] > 0 && n > INT64_MAX / 16 / tp->dims[i])
            return ox_fail(c, LK_ERR_FORMAT, "tensor '%.100s' has too many elements", name);
        n *= tp->dims[i];
    }
    int rank = (int)tp->n_dims;
    ox_dtype dt = di.is_float ? OX_F32 : OX_I64;
    int raw = tp->has_raw_data;
    uint64_t have = raw ? tp->raw_data.len : typed_count(tp, di.field);
    uint64_t want = raw ? (uint64_t)n * (uint64_t)di.size : (uint64_t)n;
    if (have != want)
        return ox_fail(c, LK_ERR_FORMAT, "tensor '%.100s' %s holds %llu %s, its dims %s need %llu",
                       name, raw ? "raw_data" : "data field", (unsigned long long)have,
                       raw ? "bytes" : "values", ox_dims_str(rank, tp->dims, (char[160]){0}, 160),
                       (unsigned long long)want);
    /* fp32 and int64 are read in place (the allocator aligns them). */
    int32_t t = tp->data_type;
    if (n > 0 && t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        out->v.f = raw ? (float *)tp->raw_data.data : tp->float_data;
    } else if (n > 0 && t == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        out->v.i = raw ? (int64_t *)tp->raw_data.data : tp->int64_data;
    } else {
        if ((st = ox_tensor_alloc(c, out, dt, rank, tp->dims)))
            return st;
        for (int64_t i = 0; i < n; i++) {
            if (dt == OX_F32)
                out->v.f[i] = (float)(raw ? raw_float(t, tp->raw_data.data, i) : typed_float(tp, i));
            else
                out->v.i[i] = raw ? raw_int(t, tp->raw_data.data, i) : typed_int(tp, di.field, i);
        }
        return LK_OK;
    }
    out->dtype = dt;
    out->rank = rank;
    if (rank)
        memcpy(out->d, tp->dims, (size_t)rank * sizeof *out->d);
    out->n = n;
    return LK_OK;
}

/* ---------------------------------------------------------- attributes */

const Onnx__AttributeProto *ox_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

int64_t ox_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    return a && a->has_i ? a->i : def;
}

float ox_attr_float(const Onnx__NodeProto *n, const char *name, float def)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    return a && a->has_f ? a->f : def;
}

const char *ox_attr_str(const Onnx__NodeProto *n, const char *name, const char *def, char *buf,
                        size_t cap)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    if (!a || !a->has_s) {
        snprintf(buf, cap, "%s", def);
        return buf;
    }
    size_t len = a->s.len < cap - 1 ? a->s.len : cap - 1;
    if (len)
        memcpy(buf, a->s.data, len);
    buf[len] = 0;
    return buf;
}

int ox_attr_ints(const Onnx__NodeProto *n, const char *name, const int64_t **v)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    if (!a || (!a->n_ints && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS))
        return -1;
    *v = a->ints;
    return a->n_ints > INT32_MAX ? INT32_MAX : (int)a->n_ints;
}

int ox_attr_floats(const Onnx__NodeProto *n, const char *name, const float **v)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    if (!a || (!a->n_floats && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS))
        return -1;
    *v = a->floats;
    return a->n_floats > INT32_MAX ? INT32_MAX : (int)a->n_floats;
}

/* ------------------------------------------------------------ tensors on disk */

lk_status ox_read_file(const char *path, uint64_t max, void **data, size_t *size, lk_msg *msg)
{
    FILE *f = fopen(path, "rb");
    long len;
    *data = NULL;
    if (!f)
        return lk_fail(msg, LK_ERR_IO, "%s: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return lk_fail(msg, LK_ERR_IO, "%s: cannot determine the size", path);
    }
    if ((uint64_t)len > max) {
        fclose(f);
        return lk_fail(msg, LK_ERR_NO_MEMORY, "%s: %ld bytes exceed the limit of %llu "
                       "(lk_onnx_opts.max_bytes)", path, len, (unsigned long long)max);
    }
    *data = malloc(len ? (size_t)len : 1);
    if (!*data) {
        fclose(f);
        return lk_fail(msg, LK_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    *size = fread(*data, 1, (size_t)len, f);
    int bad = ferror(f) || *size != (size_t)len;
    fclose(f);
    if (bad) {
        free(*data);
        *data = NULL;
        return lk_fail(msg, LK_ERR_IO, "%s: read error", path);
    }
    return LK_OK;
}

lk_status lk_onnx_read_tensor(const char *path, float **data, lk_shape *shape, char *name,
                              size_t name_cap, lk_msg *msg)
{
    lk_onnx_opts opts;
    ox_ctx c;
    ox_pbmem mem;
    ox_tensor t;
    void *buf = NULL;
    size_t size = 0;
    Onnx__TensorProto *tp = NULL;
    lk_status st;

    *data = NULL;
    lk_onnx_opts_init(&opts);
    memset(&c, 0, sizeof c);
    c.opts = &opts;
    c.msg = msg ? msg : &c.local;
    c.node_index = -1;
    c.host_cap = opts.max_bytes;
    if ((st = ox_read_file(path, opts.max_bytes, &buf, &size, c.msg)))
        return st;
    ox_pbmem_init(&mem, opts.max_bytes);
    st = ox_unpack(&onnx__tensor_proto__descriptor, buf, size, &mem, (ProtobufCMessage **)&tp,
                   path, c.msg);
    free(buf);
    if (st)
        return st;
    if (!(st = ox_tensor_decode(&c, tp, &t, path))) {
        *data = malloc((size_t)(t.n ? t.n : 1) * sizeof **data);
        if (!*data)
            st = lk_fail(c.msg, LK_ERR_NO_MEMORY, "%s: out of memory", path);
        for (int64_t i = 0; *data && i < t.n; i++)
            (*data)[i] = (float)ox_tensor_get(&t, i);
        *shape = lk_shape_make(t.rank, t.d);
        if (name && name_cap)
            snprintf(name, name_cap, "%s", tp->name ? tp->name : "");
        ox_tensor_free(&t);
    }
    protobuf_c_message_free_unpacked(&tp->base, &mem.a);
    return st;
}
