/* The ONNX loader:
 *   - YOLOX-nano and FastestDet (../shared/assets/models): shapes, op
 *     counts after rewriting, device against the reference on random input;
 *   - ONNX's own backend node tests (libonnx-dev): the loaded graph's
 *     reference output against the expected output, parameters frozen;
 *   - models written here with the protobuf-c structs: every rewrite
 *     (the rewritten graph computes what the unrewritten one does), opset
 *     differences, shape-arithmetic folding, and malformed or unsupported
 *     files refused with status and message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lookout/onnx.h"
#include "onnx.pb-c.h"

/* ------------------------------------------------------------ helpers */

/* Without the data the test is skipped, except under CI=true. */
static void need_data(const char *path)
{
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (f) {
        fclose(f);
        return;
    }
    const char *ci = getenv("CI");
    print_message("missing %s\n", path ? path : "(path not set)");
    if (ci && !strcmp(ci, "true"))
        fail_msg("CI=true requires %s", path ? path : "the test data");
    skip();
}

static char *data_path(const char *env, const char *rel)
{
    static char buf[4][1024];
    static int k;
    const char *root = getenv(env);
    if (!root)
        return NULL;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
    return buf[k];
}

static size_t numel(const lk_shape *s)
{
    return (size_t)lk_shape_numel(s);
}

static void expect_shape(const lk_graph *g, lk_tensor t, int rank, const int64_t *d)
{
    lk_shape s, want = lk_shape_make(rank, d);
    char a[128], b[128];
    assert_int_equal(lk_graph_shape(g, t, &s), LK_OK);
    if (!lk_shape_eq(&s, &want))
        fail_msg("shape %s, expected %s", lk_shape_str(&s, a, sizeof a),
                 lk_shape_str(&want, b, sizeof b));
}

/* Random inputs in [lo, hi]; runs the reference of g (and of `other`, a
 * graph with the same inputs and outputs, when given) and, when on_device,
 * g on the device. Returns the worst normalised error. */
static double compare_runs(const lk_graph *g, const lk_graph *other, int on_device, float lo,
                           float hi)
{
    int ni = lk_graph_n_inputs(g), no = lk_graph_n_outputs(g);
    float *in[8], *ref[8], *got[8];
    double worst = 0.0;
    assert_true(ni <= 8 && no <= 8);
    for (int i = 0; i < ni; i++) {
        lk_shape s;
        lk_graph_shape(g, lk_graph_input_tensor(g, i), &s);
        in[i] = malloc(numel(&s) * sizeof(float));
        assert_non_null(in[i]);
        lkt_fill(in[i], numel(&s), lo, hi);
    }
    for (int i = 0; i < no; i++) {
        lk_shape s;
        lk_graph_shape(g, lk_graph_output_tensor(g, i), &s);
        ref[i] = malloc(numel(&s) * sizeof(float));
        got[i] = malloc(numel(&s) * sizeof(float));
        assert_non_null(ref[i]);
        assert_non_null(got[i]);
    }
    lk_msg msg = {{0}};
    if (lk_graph_run_reference(g, (const float *const *)in, ref, &msg))
        fail_msg("reference: %s", msg.text);
    if (other) {
        if (lk_graph_run_reference(other, (const float *const *)in, got, &msg))
            fail_msg("reference of the unrewritten graph: %s", msg.text);
        for (int i = 0; i < no; i++) {
            lk_shape s;
            lk_graph_shape(g, lk_graph_output_tensor(g, i), &s);
            double e = lkt_error(got[i], ref[i], numel(&s));
            print_message("rewritten vs unrewritten reference, output %d: %.2e\n", i, e);
            assert_true(e <= 1e-5);
        }
    }
    if (on_device) {
        lk_context *ctx = lkt_context();
        lk_net *net;
        lk_net_opts o;
        lk_net_opts_init(&o);
        o.poison = 1;
        if (lk_net_new(ctx, g, &o, &net, &msg) || lk_net_run(net, (const float *const *)in, got, &msg))
            fail_msg("device: %s", msg.text);
        for (int i = 0; i < no; i++) {
            lk_shape s;
            lk_graph_shape(g, lk_graph_output_tensor(g, i), &s);
            double e = lkt_error(got[i], ref[i], numel(&s));
            print_message("device vs reference, output %d: %.2e\n", i, e);
            worst = e > worst ? e : worst;
            assert_true(e <= LKT_TOL_FP32);
        }
        lk_net_free(net);
    }
    for (int i = 0; i < ni; i++)
        free(in[i]);
    for (int i = 0; i < no; i++) {
        free(ref[i]);
        free(got[i]);
    }
    return worst;
}

static int onnx_count(const lk_onnx_info *info, const char *op)
{
    for (int i = 0; i < info->n_onnx_ops; i++)
        if (!strcmp(info->onnx_ops[i].op, op))
            return info->onnx_ops[i].count;
    return 0;
}

/* ------------------------------------------------------- shared models */

static void test_yolox(void **state)
{
    (void)state;
    const char *path = data_path("LOOKOUT_SHARED", "assets/models/yolox_nano/yolox_nano.onnx");
    lk_graph *g;
    lk_onnx_info info;
    lk_msg msg = {{0}};
    need_data(path);
    if (lk_onnx_load(path, NULL, &g, &info, &msg))
        fail_msg("%s", msg.text);
    assert_int_equal(lk_graph_n_inputs(g), 1);
    assert_int_equal(lk_graph_n_outputs(g), 1);
    expect_shape(g, lk_graph_input_tensor(g, 0), 4, (int64_t[]){1, 3, 416, 416});
    expect_shape(g, lk_graph_output_tensor(g, 0), 3, (int64_t[]){1, 3549, 85});
    assert_string_equal(lk_graph_tensor_name(g, lk_graph_output_tensor(g, 0)), "output");
    assert_int_equal(info.opset, 11);
    assert_int_equal(onnx_count(&info, "Sigmoid"), 110);
    assert_int_equal(onnx_count(&info, "Mul"), 104);
    /* Every SiLU (Sigmoid + Mul) and the head's sigmoids fused into convs:
     * only the residual Adds remain elementwise. */
    assert_int_equal(info.lk_op_count[LK_OP_UNARY], 0);
    assert_int_equal(info.lk_op_count[LK_OP_BINARY], 7);
    assert_int_equal(info.lk_op_count[LK_OP_BATCHNORM], 0);
    assert_int_equal(info.lk_op_count[LK_OP_CONV2D], 113);
    assert_int_equal(info.nodes_before, 369);
    assert_int_equal(info.nodes_after, 155);
    assert_int_equal(info.parameters, 904463);
    lk_graph_free(g);

    /* A smaller input keeps the reference quick; the anchors follow. */
    lk_onnx_opts o;
    lk_onnx_opts_init(&o);
    o.input_hw[0] = 160;
    o.input_hw[1] = 224;
    if (lk_onnx_load(path, &o, &g, NULL, &msg))
        fail_msg("%s", msg.text);
    expect_shape(g, lk_graph_output_tensor(g, 0), 3, (int64_t[]){1, 20 * 28 + 10 * 14 + 5 * 7, 85});
    /* YOLOX takes raw pixel values. */
    compare_runs(g, NULL, 1, 0.0f, 255.0f);
    lk_graph_free(g);
}

static void test_fastestdet(void **state)
{
    (void)state;
    const char *path = data_path("LOOKOUT_SHARED", "assets/models/fastestdet/FastestDet.onnx");
    lk_graph *g;
    lk_onnx_info info;
    lk_msg msg = {{0}};
    need_data(path);
    if (lk_onnx_load(path, NULL, &g, &info, &msg))
        fail_msg("%s", msg.text);
    expect_shape(g, lk_graph_input_tensor(g, 0), 4, (int64_t[]){1, 3, 352, 352});
    expect_shape(g, lk_graph_output_tensor(g, 0), 4, (int64_t[]){1, 85, 22, 22});
    /* Pad merged into the average pool; the transposes around the
     * softmax gone; conv+relu fused (one Relu follows an Add). */
    assert_int_equal(info.lk_op_count[LK_OP_PAD], 0);
    assert_int_equal(info.lk_op_count[LK_OP_POOL2D], 2);
    assert_int_equal(info.lk_op_count[LK_OP_TRANSPOSE], onnx_count(&info, "Transpose") - 2);
    assert_int_equal(info.lk_op_count[LK_OP_UNARY], 1);
    assert_int_equal(info.lk_op_count[LK_OP_SOFTMAX], 1);
    compare_runs(g, NULL, 1, 0.0f, 1.0f); /* pixels / 255 */
    lk_graph_free(g);

    /* The exporter baked 352x352 into its reshapes: another size is refused
     * naming the node. */
    lk_onnx_opts o;
    lk_onnx_opts_init(&o);
    o.input_hw[0] = o.input_hw[1] = 320;
    assert_int_equal(lk_onnx_load(path, &o, &g, NULL, &msg), LK_ERR_SHAPE);
    assert_non_null(strstr(msg.text, "(Reshape, opset 11)"));
    assert_null(g);
}

/* ------------------------------------------------- models built in memory */

typedef struct mb {
    Onnx__ModelProto m;
    Onnx__GraphProto g;
    Onnx__OperatorSetIdProto opset, *opsets[1];
    void *mem[2048];
    int n_mem;
} mb;

static void *mb_new(mb *b, size_t size)
{
    assert_true(b->n_mem < 2048);
    void *p = calloc(1, size);
    assert_non_null(p);
    b->mem[b->n_mem++] = p;
    return p;
}

static char *mb_str(mb *b, const char *s)
{
    return strcpy(mb_new(b, strlen(s) + 1), s);
}

/* "a,b,,c" → {"a","b","","c"}; "" → none. */
static char **mb_names(mb *b, const char *list, size_t *n)
{
    char **v = mb_new(b, 64 * sizeof *v);
    *n = 0;
    if (!*list)
        return v;
    for (const char *p = list;; p++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        v[*n] = mb_new(b, len + 1);
        memcpy(v[(*n)++], p, len);
        if (!e)
            return v;
        p = e;
    }
}

static void mb_init(mb *b, int opset)
{
    memset(b, 0, sizeof *b);
    onnx__model_proto__init(&b->m);
    onnx__graph_proto__init(&b->g);
    onnx__operator_set_id_proto__init(&b->opset);
    b->m.has_ir_version = 1;
    b->m.ir_version = 8;
    b->m.producer_name = "test_onnx_load";
    b->opset.has_version = 1;
    b->opset.version = opset;
    b->opset.domain = "";
    b->opsets[0] = &b->opset;
    b->m.opset_import = b->opsets;
    b->m.n_opset_import = 1;
    b->m.graph = &b->g;
    b->g.name = "test";
    b->g.node = mb_new(b, 256 * sizeof *b->g.node);
    b->g.initializer = mb_new(b, 256 * sizeof *b->g.initializer);
    b->g.input = mb_new(b, 16 * sizeof *b->g.input);
    b->g.output = mb_new(b, 16 * sizeof *b->g.output);
}

static void mb_free(mb *b)
{
    for (int i = 0; i < b->n_mem; i++)
        free(b->mem[i]);
}

static Onnx__NodeProto *mb_node(mb *b, const char *op, const char *name, const char *ins,
                                const char *outs)
{
    Onnx__NodeProto *n = mb_new(b, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = mb_str(b, op);
    n->name = mb_str(b, name);
    n->input = mb_names(b, ins, &n->n_input);
    n->output = mb_names(b, outs, &n->n_output);
    n->attribute = mb_new(b, 16 * sizeof *n->attribute);
    b->g.node[b->g.n_node++] = n;
    return n;
}

static Onnx__AttributeProto *mb_attr(mb *b, Onnx__NodeProto *n, const char *name,
                                     Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = mb_new(b, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = mb_str(b, name);
    a->has_type = 1;
    a->type = type;
    n->attribute[n->n_attribute++] = a;
    return a;
}

static void mb_attr_i(mb *b, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

static void mb_attr_f(mb *b, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

static void mb_attr_s(mb *b, Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.data = (uint8_t *)mb_str(b, v);
    a->s.len = strlen(v);
}

static void mb_attr_ints(mb *b, Onnx__NodeProto *n, const char *name, int count, const int64_t *v)
{
    Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->ints = mb_new(b, (size_t)(count + 1) * sizeof *v);
    for (int i = 0; i < count; i++)
        a->ints[i] = v[i];
    a->n_ints = (size_t)count;
}

static Onnx__TensorProto *mb_tensor(mb *b, const char *name, int rank, const int64_t *dims)
{
    Onnx__TensorProto *t = mb_new(b, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = mb_str(b, name);
    t->dims = mb_new(b, (size_t)(rank + 1) * sizeof *dims);
    if (rank)
        memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
    t->n_dims = (size_t)rank;
    t->has_data_type = 1;
    return t;
}

/* A float initializer in float_data; data NULL: random in [-1, 1]. */
static Onnx__TensorProto *mb_init_f(mb *b, const char *name, int rank, const int64_t *dims,
                                    const float *data)
{
    Onnx__TensorProto *t = mb_tensor(b, name, rank, dims);
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->float_data = mb_new(b, (size_t)(n + 1) * sizeof(float));
    t->n_float_data = (size_t)n;
    if (data)
        memcpy(t->float_data, data, (size_t)n * sizeof(float));
    else
        lkt_fill(t->float_data, (size_t)n, -1.0f, 1.0f);
    b->g.initializer[b->g.n_initializer++] = t;
    return t;
}

/* An int64 initializer in raw_data. */
static Onnx__TensorProto *mb_init_i(mb *b, const char *name, int rank, const int64_t *dims,
                                    const int64_t *data)
{
    Onnx__TensorProto *t = mb_tensor(b, name, rank, dims);
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    t->has_raw_data = 1;
    t->raw_data.len = (size_t)n * 8;
    t->raw_data.data = mb_new(b, t->raw_data.len + 1);
    memcpy(t->raw_data.data, data, t->raw_data.len);
    b->g.initializer[b->g.n_initializer++] = t;
    return t;
}

/* A float tensor value; dims <= 0 are symbolic ("N", "H"...). */
static Onnx__ValueInfoProto *mb_value(mb *b, const char *name, int elem, int rank,
                                      const int64_t *dims)
{
    Onnx__ValueInfoProto *v = mb_new(b, sizeof *v);
    Onnx__TypeProto *tp = mb_new(b, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = mb_new(b, sizeof *tt);
    Onnx__TensorShapeProto *sp = mb_new(b, sizeof *sp);
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sp);
    v->name = mb_str(b, name);
    v->type = tp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    tt->shape = rank >= 0 ? sp : NULL;
    sp->dim = mb_new(b, (size_t)(rank + 1) * sizeof *sp->dim);
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = mb_new(b, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i] > 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = mb_str(b, i ? "H" : "N");
        }
        sp->dim[sp->n_dim++] = d;
    }
    return v;
}

static void mb_input(mb *b, const char *name, int rank, const int64_t *dims)
{
    b->g.input[b->g.n_input++] = mb_value(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims);
}

static void mb_output(mb *b, const char *name)
{
    b->g.output[b->g.n_output++] = mb_value(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, -1, NULL);
}

static uint8_t *mb_pack(mb *b, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(&b->m);
    uint8_t *buf = malloc(*len + 1);
    assert_non_null(buf);
    assert_int_equal(onnx__model_proto__pack(&b->m, buf), *len);
    return buf;
}

static lk_status mb_load(mb *b, const lk_onnx_opts *o, lk_graph **g, lk_onnx_info *info,
                         lk_msg *msg)
{
    size_t len;
    uint8_t *buf = mb_pack(b, &len);
    lk_status st = lk_onnx_load_buffer(buf, len, o, g, info, msg);
    free(buf);
    return st;
}

/* Loads, expects `status` and every needle in the message. */
static void expect_error(mb *b, const lk_onnx_opts *o, lk_status status, const char *n1,
                         const char *n2, const char *n3)
{
    lk_graph *g = (lk_graph *)1;
    lk_msg msg = {{0}};
    lk_status st = mb_load(b, o, &g, NULL, &msg);
    print_message("refused (%s): %s\n", lk_status_str(st), msg.text);
    assert_int_equal(st, status);
    assert_null(g);
    const char *needles[3] = {n1, n2, n3};
    for (int i = 0; i < 3; i++)
        if (needles[i] && !strstr(msg.text, needles[i]))
            fail_msg("message \"%s\" lacks \"%s\"", msg.text, needles[i]);
}

#define D(...) (int64_t[]){__VA_ARGS__}

/* One model with every rewrite in it: Pad→Conv, Conv→BatchNorm→Relu,
 * Conv→Sigmoid·Mul (SiLU), Pad→AveragePool, Pad(-inf)→MaxPool, a
 * cancelling Transpose pair, the GELU and Mish patterns, a Shape →
 * Gather → Unsqueeze → Concat → Reshape chain through Constant nodes, a
 * constant-folded weight (Mul of two constants) and Gemm→Clip. */
static void build_rewrite_model(mb *b)
{
    static const float sqrt2 = 1.41421356f, one = 1.0f, half = 0.5f, two = 2.0f, zero = 0.0f,
                       six = 6.0f;
    float ninf = -INFINITY, var[8];
    lkt_fill(var, 8, 0.5f, 1.5f);
    mb_init(b, 13);
    mb_input(b, "x", 4, D(1, 3, 16, 16));
    mb_init_i(b, "pads1", 1, D(8), D(0, 0, 1, 1, 0, 0, 1, 1));
    mb_node(b, "Pad", "pad_conv", "x,pads1", "p1");
    mb_init_f(b, "w1", 4, D(8, 3, 3, 3), NULL);
    mb_init_f(b, "b1", 1, D(8), NULL);
    mb_node(b, "Conv", "conv1", "p1,w1,b1", "c1");
    mb_init_f(b, "bn_s", 1, D(8), NULL);
    mb_init_f(b, "bn_b", 1, D(8), NULL);
    mb_init_f(b, "bn_m", 1, D(8), NULL);
    mb_init_f(b, "bn_v", 1, D(8), var);
    mb_node(b, "BatchNormalization", "bn1", "c1,bn_s,bn_b,bn_m,bn_v", "n1");
    mb_node(b, "Relu", "relu1", "n1", "r1");
    /* w2 is also listed as a graph input (old exporters): a constant. */
    mb_init_f(b, "w2", 4, D(8, 8, 1, 1), NULL);
    mb_input(b, "w2", 4, D(8, 8, 1, 1));
    Onnx__NodeProto *n = mb_node(b, "Conv", "conv2", "r1,w2", "c2");
    mb_attr_ints(b, n, "kernel_shape", 2, D(1, 1));
    mb_node(b, "Sigmoid", "sig2", "c2", "s2");
    mb_node(b, "Mul", "silu2", "s2,c2", "m2");
    mb_node(b, "Pad", "pad_avg", "m2,pads1", "p2");
    n = mb_node(b, "AveragePool", "avg", "p2", "a2");
    mb_attr_ints(b, n, "kernel_shape", 2, D(3, 3));
    mb_init_f(b, "ninf", 0, NULL, &ninf);
    mb_node(b, "Pad", "pad_max", "a2,pads1,ninf", "p3");
    n = mb_node(b, "MaxPool", "max", "p3", "mp");
    mb_attr_ints(b, n, "kernel_shape", 2, D(3, 3));
    mb_attr_ints(b, n, "strides", 2, D(2, 2));
    n = mb_node(b, "Transpose", "nhwc", "mp", "t1");
    mb_attr_ints(b, n, "perm", 4, D(0, 2, 3, 1));
    n = mb_node(b, "Transpose", "nchw", "t1", "t2");
    mb_attr_ints(b, n, "perm", 4, D(0, 3, 1, 2));
    /* GELU as PyTorch exports it, constants from Constant nodes. */
    n = mb_node(b, "Constant", "k_sqrt2", "", "sqrt2");
    mb_attr_f(b, n, "value_float", sqrt2);
    mb_init_f(b, "one", 0, NULL, &one);
    mb_init_f(b, "half", 0, NULL, &half);
    mb_node(b, "Div", "gelu_div", "t2,sqrt2", "gd");
    mb_node(b, "Erf", "gelu_erf", "gd", "ge");
    mb_node(b, "Add", "gelu_add", "ge,one", "ga");
    mb_node(b, "Mul", "gelu_mul", "t2,ga", "gm");
    mb_node(b, "Mul", "gelu_half", "gm,half", "g");
    mb_node(b, "Softplus", "mish_sp", "g", "msp");
    mb_node(b, "Tanh", "mish_tanh", "msp", "mt");
    mb_node(b, "Mul", "mish_mul", "g,mt", "mish");
    /* Reshape to [N, -1] with N read from the shape. */
    mb_node(b, "Shape", "shape", "mish", "sh");
    n = mb_node(b, "Constant", "k_zero", "", "i0");
    mb_attr_i(b, n, "value_int", 0);
    mb_node(b, "Gather", "batch", "sh,i0", "nb");
    mb_init_i(b, "axes0", 1, D(1), D(0));
    mb_node(b, "Unsqueeze", "batch1", "nb,axes0", "nb1");
    mb_init_i(b, "minus1", 1, D(1), D(-1));
    n = mb_node(b, "Concat", "newshape", "nb1,minus1", "shp");
    mb_attr_i(b, n, "axis", 0);
    mb_node(b, "Reshape", "flatten", "mish,shp", "flat");
    /* Gemm weights computed from constants: folded at load time. */
    mb_init_f(b, "wg0", 2, D(10, 8 * 8 * 8), NULL);
    mb_init_f(b, "two", 0, NULL, &two);
    mb_node(b, "Mul", "wg_scale", "wg0,two", "wg");
    mb_init_f(b, "cg", 1, D(10), NULL);
    n = mb_node(b, "Gemm", "fc", "flat,wg,cg", "gm_out");
    mb_attr_i(b, n, "transB", 1);
    mb_attr_f(b, n, "alpha", 0.125f);
    mb_init_f(b, "zero", 0, NULL, &zero);
    mb_init_f(b, "six", 0, NULL, &six);
    mb_node(b, "Clip", "relu6", "gm_out,zero,six", "y");
    mb_output(b, "y");
}

static void test_rewrites(void **state)
{
    (void)state;
    mb b;
    lk_graph *g, *plain;
    lk_onnx_info info, pinfo;
    lk_onnx_opts o;
    lk_msg msg = {{0}};
    build_rewrite_model(&b);
    lk_onnx_opts_init(&o);
    o.optimize = 0;
    if (mb_load(&b, &o, &plain, &pinfo, &msg))
        fail_msg("%s", msg.text);
    if (mb_load(&b, NULL, &g, &info, &msg))
        fail_msg("%s", msg.text);
    mb_free(&b);
    assert_int_equal(lk_graph_n_inputs(g), 1);
    expect_shape(g, lk_graph_output_tensor(g, 0), 2, D(1, 10));
    assert_int_equal(pinfo.lk_op_count[LK_OP_PAD], 3);
    assert_int_equal(pinfo.lk_op_count[LK_OP_BATCHNORM], 1);
    assert_int_equal(pinfo.lk_op_count[LK_OP_TRANSPOSE], 2);
    /* conv+relu, conv+silu, avg pool, max pool, gelu, mish, reshape, gemm+clip */
    int want[LK_OP_COUNT] = {[LK_OP_CONV2D] = 2, [LK_OP_POOL2D] = 2, [LK_OP_UNARY] = 2,
                             [LK_OP_RESHAPE] = 1, [LK_OP_GEMM] = 1};
    for (int op = 0; op < LK_OP_COUNT; op++)
        if (info.lk_op_count[op] != want[op])
            fail_msg("%d %s nodes after rewriting, expected %d", info.lk_op_count[op],
                     lk_op_name((lk_op)op), want[op]);
    assert_int_equal(info.nodes_before, 31);
    assert_int_equal(info.nodes_after, 8);
    assert_int_equal(info.parameters, 8 * 27 + 8 + 64 + 10 * 512 + 10);
    compare_runs(g, plain, 1, -1.0f, 1.0f);
    lk_graph_free(g);
    lk_graph_free(plain);
}

/* Opset-9 spellings: Upsample with a scales input, Clip with attributes,
 * Softmax over the input flattened at axis 1. Checked against values
 * computed here. */
static void test_old_opsets(void **state)
{
    (void)state;
    mb b;
    lk_graph *g;
    lk_msg msg = {{0}};
    float x[4 * 3 * 5], y[4 * 6 * 10], want[4 * 6 * 10];
    mb_init(&b, 9);
    mb_input(&b, "x", 4, D(1, 4, 3, 5));
    mb_init_f(&b, "scales", 1, D(4), (float[]){1, 1, 2, 2});
    mb_node(&b, "Upsample", "up", "x,scales", "u");
    Onnx__NodeProto *n = mb_node(&b, "Clip", "clip", "u", "cl");
    mb_attr_f(&b, n, "min", -0.5f);
    mb_attr_f(&b, n, "max", 0.5f);
    mb_init_i(&b, "shape", 1, D(3), D(1, 4, 60));
    mb_node(&b, "Reshape", "r", "cl,shape", "rs");
    n = mb_node(&b, "Softmax", "sm", "rs", "y");
    mb_attr_i(&b, n, "axis", 1);
    mb_output(&b, "y");
    if (mb_load(&b, NULL, &g, NULL, &msg))
        fail_msg("%s", msg.text);
    mb_free(&b);
    expect_shape(g, lk_graph_output_tensor(g, 0), 3, D(1, 4, 60));
    lkt_fill(x, 60, -1.0f, 1.0f);
    double sum = 0.0;
    for (int c = 0; c < 4; c++)
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 10; j++) {
                float v = x[(c * 3 + i / 2) * 5 + j / 2];
                v = v < -0.5f ? -0.5f : v > 0.5f ? 0.5f : v;
                want[(c * 6 + i) * 10 + j] = expf(v);
                sum += expf(v);
            }
    for (int i = 0; i < 240; i++)
        want[i] = (float)(want[i] / sum); /* one softmax over all 240 */
    const float *in[1] = {x};
    float *out[1] = {y};
    assert_int_equal(lk_graph_run_reference(g, in, out, NULL), LK_OK);
    double e = lkt_error(y, want, 240);
    print_message("opset 9 model vs expected: %.2e\n", e);
    assert_true(e <= 1e-5);
    compare_runs(g, NULL, 1, -1.0f, 1.0f);
    lk_graph_free(g);
}

/* Opset-9 attributes where later opsets take inputs: Slice, Split,
 * Squeeze and Unsqueeze, and an inference-mode Dropout. */
static void test_old_attributes(void **state)
{
    (void)state;
    mb b;
    lk_graph *g;
    lk_msg msg = {{0}};
    float x[2 * 3 * 4 * 5], y1[2 * 4 * 4], y2[2 * 4 * 4];
    mb_init(&b, 9);
    mb_input(&b, "x", 4, D(2, 3, 4, 5));
    Onnx__NodeProto *n = mb_node(&b, "Slice", "slice", "x", "s");
    mb_attr_ints(&b, n, "starts", 2, D(1, 0));
    mb_attr_ints(&b, n, "ends", 2, D(3, 4));
    mb_attr_ints(&b, n, "axes", 2, D(1, 3));                      /* [2,2,4,4] */
    n = mb_node(&b, "Split", "split", "s", "a,b");
    mb_attr_i(&b, n, "axis", 1);
    mb_attr_ints(&b, n, "split", 2, D(1, 1));
    n = mb_node(&b, "Squeeze", "squeeze", "a", "sq");
    mb_attr_ints(&b, n, "axes", 1, D(1));                         /* [2,4,4] */
    n = mb_node(&b, "Unsqueeze", "unsqueeze", "sq", "y1");
    mb_attr_ints(&b, n, "axes", 1, D(0));                         /* [1,2,4,4] */
    n = mb_node(&b, "Dropout", "dropout", "b", "y2");
    mb_attr_f(&b, n, "ratio", 0.5f);
    mb_output(&b, "y1");
    mb_output(&b, "y2");
    if (mb_load(&b, NULL, &g, NULL, &msg))
        fail_msg("%s", msg.text);
    mb_free(&b);
    expect_shape(g, lk_graph_output_tensor(g, 0), 4, D(1, 2, 4, 4));
    expect_shape(g, lk_graph_output_tensor(g, 1), 4, D(2, 1, 4, 4));
    lkt_fill(x, sizeof x / sizeof x[0], -1.0f, 1.0f);
    const float *in[1] = {x};
    float *out[2] = {y1, y2};
    assert_int_equal(lk_graph_run_reference(g, in, out, NULL), LK_OK);
    for (int i = 0; i < 2; i++)
        for (int h = 0; h < 4; h++)
            for (int w = 0; w < 4; w++) {
                assert_true(y1[(i * 4 + h) * 4 + w] == x[((i * 3 + 1) * 4 + h) * 5 + w]);
                assert_true(y2[(i * 4 + h) * 4 + w] == x[((i * 3 + 2) * 4 + h) * 5 + w]);
            }
    compare_runs(g, NULL, 1, -1.0f, 1.0f);
    lk_graph_free(g);
}

/* ReduceMean / ReduceMax over the spatial axes (global pools) and Sum. */
static void test_reductions(void **state)
{
    (void)state;
    mb b;
    lk_graph *g;
    lk_msg msg = {{0}};
    float x[2 * 3 * 4 * 5], y1[6], y2[6], y3[120];
    mb_init(&b, 13);
    mb_input(&b, "x", 4, D(2, 3, 4, 5));
    Onnx__NodeProto *n = mb_node(&b, "ReduceMean", "mean", "x", "y1");
    mb_attr_ints(&b, n, "axes", 2, D(2, 3));
    mb_attr_i(&b, n, "keepdims", 0);
    n = mb_node(&b, "ReduceMax", "max", "x", "y2");
    mb_attr_ints(&b, n, "axes", 2, D(-1, -2));
    mb_node(&b, "Sum", "sum", "x,x,x", "y3");
    mb_output(&b, "y1");
    mb_output(&b, "y2");
    mb_output(&b, "y3");
    if (mb_load(&b, NULL, &g, NULL, &msg))
        fail_msg("%s", msg.text);
    expect_shape(g, lk_graph_output_tensor(g, 0), 2, D(2, 3));
    expect_shape(g, lk_graph_output_tensor(g, 1), 4, D(2, 3, 1, 1));
    lkt_fill(x, 120, -1.0f, 1.0f);
    const float *in[1] = {x};
    float *out[3] = {y1, y2, y3};
    assert_int_equal(lk_graph_run_reference(g, in, out, NULL), LK_OK);
    for (int p = 0; p < 6; p++) {
        double sum = 0.0;
        float mx = -INFINITY;
        for (int k = 0; k < 20; k++) {
            sum += x[p * 20 + k];
            mx = fmaxf(mx, x[p * 20 + k]);
        }
        assert_true(fabs(y1[p] - sum / 20.0) <= 1e-6 && y2[p] == mx);
    }
    for (int i = 0; i < 120; i++)
        assert_true(fabsf(y3[i] - 3.0f * x[i]) <= 1e-6f);
    compare_runs(g, NULL, 1, -1.0f, 1.0f);
    lk_graph_free(g);
    /* Over the channels too: not a global pool. */
    Onnx__AttributeProto *axes = b.g.node[0]->attribute[0];
    axes->ints = mb_new(&b, 3 * sizeof *axes->ints);
    for (int i = 0; i < 3; i++)
        axes->ints[i] = i + 1;
    axes->n_ints = 3;
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "'mean' (ReduceMean, opset 13)", "axes 2..3", NULL);
    mb_free(&b);
}

/* GELU spelled (x·0.5)·(1 + erf(x·(1/√2))) and Mish: one node each, and
 * the values of the formulas. A near miss (0.6 for 0.5) stays unfused and
 * is refused for its Erf. */
static void test_patterns(void **state)
{
    (void)state;
    mb b;
    lk_graph *g;
    lk_onnx_info info;
    lk_msg msg = {{0}};
    float x[2 * 5], y1[10], y2[10];
    mb_init(&b, 13);
    mb_input(&b, "x", 2, D(2, 5));
    mb_init_f(&b, "r2", 0, NULL, (float[]){0.70710678f});
    mb_init_f(&b, "half", 0, NULL, (float[]){0.5f});
    mb_init_f(&b, "one", 0, NULL, (float[]){1.0f});
    mb_node(&b, "Mul", "h", "half,x", "xh");
    mb_node(&b, "Mul", "s", "x,r2", "xs");
    mb_node(&b, "Erf", "e", "xs", "er");
    mb_node(&b, "Add", "a", "one,er", "ea");
    mb_node(&b, "Mul", "gelu", "ea,xh", "y1");
    mb_node(&b, "Softplus", "sp", "x", "spx");
    mb_node(&b, "Tanh", "th", "spx", "t");
    mb_node(&b, "Mul", "mish", "t,x", "y2");
    mb_output(&b, "y1");
    mb_output(&b, "y2");
    if (mb_load(&b, NULL, &g, &info, &msg))
        fail_msg("%s", msg.text);
    assert_int_equal(info.nodes_after, 2);
    assert_int_equal(info.lk_op_count[LK_OP_UNARY], 2);
    lkt_fill(x, 10, -3.0f, 3.0f);
    const float *in[1] = {x};
    float *out[2] = {y1, y2};
    assert_int_equal(lk_graph_run_reference(g, in, out, NULL), LK_OK);
    for (int i = 0; i < 10; i++) {
        double gelu = 0.5 * x[i] * (1.0 + erf(x[i] / sqrt(2.0)));
        double mish = x[i] * tanh(log1p(exp(x[i])));
        assert_true(fabs(y1[i] - gelu) <= 1e-5 && fabs(y2[i] - mish) <= 1e-5);
    }
    lk_graph_free(g);
    b.g.initializer[1]->float_data[0] = 0.6f;
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "'e' (Erf, opset 13)", NULL, NULL);
    mb_free(&b);
}

/* Symbolic batch and spatial dims, input_hw and batch overrides. */
static void test_input_sizes(void **state)
{
    (void)state;
    mb b;
    lk_graph *g;
    lk_onnx_opts o;
    lk_msg msg = {{0}};
    mb_init(&b, 13);
    mb_input(&b, "x", 4, D(0, 3, 0, 0));
    mb_init_f(&b, "w", 4, D(4, 3, 3, 3), NULL);
    Onnx__NodeProto *n = mb_node(&b, "Conv", "conv", "x,w", "y");
    mb_attr_s(&b, n, "auto_pad", "SAME_UPPER");
    mb_attr_ints(&b, n, "strides", 2, D(2, 2));
    mb_output(&b, "y");
    lk_onnx_opts_init(&o);
    expect_error(&b, &o, LK_ERR_UNSUPPORTED, "input 'x' dimension 2 is symbolic ('H')",
                 "input_hw", NULL);
    o.input_hw[0] = 17;
    o.input_hw[1] = 20;
    if (mb_load(&b, &o, &g, NULL, &msg))
        fail_msg("%s", msg.text);
    expect_shape(g, lk_graph_input_tensor(g, 0), 4, D(1, 3, 17, 20));
    expect_shape(g, lk_graph_output_tensor(g, 0), 4, D(1, 4, 9, 10));
    lk_graph_free(g);
    o.batch = 2;
    if (mb_load(&b, &o, &g, NULL, &msg))
        fail_msg("%s", msg.text);
    expect_shape(g, lk_graph_output_tensor(g, 0), 4, D(2, 4, 9, 10));
    compare_runs(g, NULL, 1, -1.0f, 1.0f);
    lk_graph_free(g);
    mb_free(&b);
}

/* One small model per refusal: status and the words that explain it. */
static void test_refusals(void **state)
{
    (void)state;
    mb b;
    Onnx__NodeProto *n;
    lk_onnx_opts o;
    lk_onnx_opts_init(&o);

    mb_init(&b, 13);
    mb_input(&b, "x", 2, D(4, 5));
    mb_node(&b, "Relu", "r", "x", "a");
    mb_node(&b, "NonMaxSuppression", "my_nms", "a", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "'my_nms'", "NonMaxSuppression", "opset 13");
    mb_free(&b);

    mb_init(&b, 11);
    mb_input(&b, "x", 4, D(1, 2, 4, 4));
    mb_init_f(&b, "roi", 1, D(0), NULL);
    mb_init_f(&b, "sc", 1, D(4), (float[]){1, 1, 2, 2});
    n = mb_node(&b, "Resize", "Resize_12", "x,roi,sc", "y");
    mb_attr_s(&b, n, "mode", "cubic");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED,
                 "node 'Resize_12' (Resize, opset 11): mode 'cubic' is not supported", NULL, NULL);
    mb_free(&b);

    /* External data. */
    mb_init(&b, 13);
    mb_input(&b, "x", 2, D(4, 5));
    Onnx__TensorProto *t = mb_tensor(&b, "w", 2, D(5, 3));
    Onnx__StringStringEntryProto *loc = mb_new(&b, sizeof *loc);
    onnx__string_string_entry_proto__init(loc);
    loc->key = "location";
    loc->value = "weights.bin";
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    t->external_data = mb_new(&b, sizeof *t->external_data);
    t->external_data[0] = loc;
    t->n_external_data = 1;
    b.g.initializer[b.g.n_initializer++] = t;
    mb_node(&b, "MatMul", "mm", "x,w", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "'w'", "external file", "weights.bin");
    mb_free(&b);

    /* A cycle, a missing input, a name produced twice. */
    mb_init(&b, 13);
    mb_input(&b, "x", 1, D(4));
    mb_node(&b, "Add", "first", "x,b", "a");
    mb_node(&b, "Relu", "second", "a", "b");
    mb_output(&b, "b");
    expect_error(&b, NULL, LK_ERR_FORMAT, "cycle", NULL, NULL);
    mb_free(&b);
    mb_init(&b, 13);
    mb_input(&b, "x", 1, D(4));
    mb_node(&b, "Add", "adder", "x,nowhere", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_FORMAT, "'adder'", "'nowhere' is not produced", NULL);
    mb_free(&b);
    mb_init(&b, 13);
    mb_input(&b, "x", 1, D(4));
    mb_node(&b, "Relu", "one", "x", "y");
    mb_node(&b, "Sigmoid", "two", "x", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_FORMAT, "'two'", "also produced by node 'one'", NULL);
    mb_free(&b);

    /* Absurd sizes: a huge input, an initializer whose dims its data
     * does not fill, a rank beyond the engine's. */
    mb_init(&b, 13);
    mb_input(&b, "x", 4, D(1, 3, 1000000000, 1000000000));
    mb_node(&b, "Relu", "r", "x", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_SHAPE, "'x'", "elements", NULL);
    mb_free(&b);
    mb_init(&b, 13);
    mb_input(&b, "x", 1, D(4));
    t = mb_init_f(&b, "w", 1, D(4), NULL);
    t->dims[0] = (int64_t)1 << 40;
    mb_node(&b, "Add", "add", "x,w", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_FORMAT, "'w'", "holds 4 values", NULL);
    mb_free(&b);
    mb_init(&b, 13);
    mb_input(&b, "x", 9, D(1, 1, 1, 1, 1, 1, 1, 1, 2));
    mb_node(&b, "Relu", "r", "x", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "rank 9", NULL, NULL);
    mb_free(&b);

    /* A Reshape whose shape is computed at run time. */
    mb_init(&b, 13);
    mb_input(&b, "x", 2, D(4, 6));
    mb_input(&b, "s", 1, D(2));
    mb_node(&b, "Reshape", "dyn", "x,s", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "node 'dyn' (Reshape, opset 13)",
                 "computed at run time", NULL);
    mb_free(&b);

    /* Pad with wrap, Split sizes that do not add up, an int64 input,
     * an output that is a constant, an opset out of range. */
    mb_init(&b, 13);
    mb_input(&b, "x", 2, D(4, 6));
    mb_init_i(&b, "p", 1, D(4), D(1, 1, 1, 1));
    n = mb_node(&b, "Pad", "wrap", "x,p", "y");
    mb_attr_s(&b, n, "mode", "wrap");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "mode 'wrap'", NULL, NULL);
    mb_free(&b);
    mb_init(&b, 13);
    mb_input(&b, "x", 2, D(4, 6));
    mb_init_i(&b, "sp", 1, D(2), D(2, 3));
    mb_node(&b, "Split", "split", "x,sp", "y,z");
    mb_output(&b, "y");
    mb_output(&b, "z");
    expect_error(&b, NULL, LK_ERR_SHAPE, "'split'", "sum to 5", NULL);
    mb_free(&b);
    mb_init(&b, 13);
    b.g.input[b.g.n_input++] = mb_value(&b, "ids", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, D(4));
    mb_node(&b, "Relu", "r", "ids", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "'ids'", "only float", NULL);
    mb_free(&b);
    mb_init(&b, 13);
    mb_input(&b, "x", 1, D(4));
    mb_init_f(&b, "k", 1, D(4), NULL);
    mb_node(&b, "Relu", "r", "k", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "output 'y' is a constant", NULL, NULL);
    mb_free(&b);
    mb_init(&b, 18);
    mb_input(&b, "x", 1, D(4));
    mb_node(&b, "Relu", "r", "x", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "opset 18", NULL, NULL);
    mb_free(&b);
    /* Constants whose evaluation at load time would take too long. */
    mb_init(&b, 13);
    mb_input(&b, "x", 2, D(2048, 2048));
    mb_init_i(&b, "big", 1, D(2), D(2048, 2048));
    mb_node(&b, "ConstantOfShape", "c", "big", "k");
    mb_node(&b, "MatMul", "kk", "k,k", "k2");
    mb_node(&b, "Add", "add", "x,k2", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "'kk' (MatMul, opset 13)", "GFLOP at load time",
                 NULL);
    mb_free(&b);
    /* Opset 6's BatchNormalization trains unless is_test is set; before
     * opset 6 it also had consumed_inputs. */
    mb_init(&b, 6);
    mb_input(&b, "x", 2, D(2, 3));
    for (int i = 0; i < 4; i++)
        mb_init_f(&b, (const char *[]){"s", "b", "m", "v"}[i], 1, D(3), (float[]){1, 1, 1});
    mb_node(&b, "BatchNormalization", "bn", "x,s,b,m,v", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "'bn' (BatchNormalization, opset 6)",
                 "is_test = 0", NULL);
    b.opset.version = 5;
    expect_error(&b, NULL, LK_ERR_UNSUPPORTED, "'bn' (BatchNormalization, opset 5)",
                 "before opset 6", NULL);
    mb_free(&b);
}

/* Bytes that are not a model: truncated, garbage, nested without end,
 * larger than allowed; and random corruption never crashes. */
/* A few hundred bytes must not cost gigabytes: a ConstantOfShape that would
 * fold to 2^26 floats is refused at once under the default options (the
 * cap on constants is 8 x the file + 64 MiB). */
static void test_constant_amplification(void **state)
{
    (void)state;
    mb b;
    mb_init(&b, 13);
    mb_input(&b, "x", 1, D(1));
    mb_init_i(&b, "shape", 1, D(1), D(67108864));
    mb_node(&b, "ConstantOfShape", "big", "shape", "c");
    mb_node(&b, "Add", "add", "x,c", "y");
    mb_output(&b, "y");
    expect_error(&b, NULL, LK_ERR_NO_MEMORY, "ConstantOfShape", "big", "constants need more");
    mb_free(&b);
}

static void test_malformed(void **state)
{
    (void)state;
    mb b;
    size_t len;
    lk_graph *g;
    lk_msg msg = {{0}};
    lk_onnx_opts o;
    build_rewrite_model(&b);
    uint8_t *buf = mb_pack(&b, &len);
    mb_free(&b);

    assert_int_equal(lk_onnx_load_buffer(buf, len / 2, NULL, &g, NULL, &msg), LK_ERR_FORMAT);
    print_message("truncated: %s\n", msg.text);
    assert_non_null(strstr(msg.text, "truncated or corrupt"));
    assert_int_equal(lk_onnx_load_buffer(buf, 0, NULL, &g, NULL, &msg), LK_ERR_FORMAT);
    assert_non_null(strstr(msg.text, "no graph"));
    uint8_t garbage[4096];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (uint8_t)lkt_rand();
    assert_int_not_equal(lk_onnx_load_buffer(garbage, sizeof garbage, NULL, &g, NULL, &msg), LK_OK);
    print_message("garbage: %s\n", msg.text);
    assert_null(g);

    lk_onnx_opts_init(&o);
    o.max_bytes = len - 1;
    assert_int_equal(lk_onnx_load_buffer(buf, len, &o, &g, NULL, &msg), LK_ERR_NO_MEMORY);
    o.max_bytes = len + 4096; /* the file fits, its parse does not */
    assert_int_equal(lk_onnx_load_buffer(buf, len, &o, &g, NULL, &msg), LK_ERR_NO_MEMORY);
    print_message("capped: %s\n", msg.text);
    assert_non_null(strstr(msg.text, "max_bytes"));

    int corrupted_ok = 0;
    for (int i = 0; i < 300; i++) {
        uint8_t *c = malloc(len);
        assert_non_null(c);
        memcpy(c, buf, len);
        for (int k = 0; k < 1 + i % 4; k++)
            c[lkt_rand() % len] = (uint8_t)lkt_rand();
        if (!lk_onnx_load_buffer(c, len, NULL, &g, NULL, &msg)) {
            corrupted_ok++;
            lk_graph_free(g);
        }
        free(c);
    }
    print_message("corrupted copies loaded: %d of 300 (the rest refused)\n", corrupted_ok);
    free(buf);

    /* Subgraphs nested 200 deep (If → then_branch → If ...). */
    mb_init(&b, 13);
    mb_input(&b, "x", 1, D(4));
    Onnx__NodeProto *n = mb_node(&b, "Relu", "r", "x", "y");
    mb_output(&b, "y");
    for (int d = 0; d < 200; d++) {
        Onnx__AttributeProto *a =
            mb_attr(&b, n, "then_branch", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
        Onnx__GraphProto *sub = mb_new(&b, sizeof *sub);
        onnx__graph_proto__init(sub);
        sub->node = mb_new(&b, sizeof *sub->node);
        n = sub->node[0] = mb_new(&b, sizeof *n);
        onnx__node_proto__init(n);
        n->op_type = "If";
        n->attribute = mb_new(&b, 16 * sizeof *n->attribute);
        sub->n_node = 1;
        a->g = sub;
    }
    expect_error(&b, NULL, LK_ERR_FORMAT, "nested deeper", NULL, NULL);
    mb_free(&b);
}

/* Constant subgraphs the exporters write: Range, ConstantOfShape, Where,
 * Equal, Cast, Slice and Expand on shapes, folded on the host. */
static void test_shape_folding(void **state)
{
    (void)state;
    mb b;
    lk_graph *g;
    lk_onnx_info info;
    lk_msg msg = {{0}};
    Onnx__NodeProto *n;
    mb_init(&b, 13);
    mb_input(&b, "x", 4, D(2, 6, 4, 5));
    mb_node(&b, "Shape", "s", "x", "sh");                         /* [2,6,4,5] */
    mb_init_i(&b, "st", 1, D(1), D(2));
    mb_init_i(&b, "en", 1, D(1), D(INT64_MAX));
    mb_node(&b, "Slice", "hw", "sh,st,en", "hw");                  /* [4,5] */
    n = mb_node(&b, "Cast", "hwf", "hw", "hwf");
    mb_attr_i(&b, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    mb_init_f(&b, "k2", 0, NULL, (float[]){2.0f});
    mb_node(&b, "Mul", "hw2", "hwf,k2", "hw2f");                   /* [8,10] */
    n = mb_node(&b, "Cast", "hw2i", "hw2f", "hw2i");
    mb_attr_i(&b, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    mb_init_i(&b, "nc", 1, D(2), D(2, 6));
    n = mb_node(&b, "Concat", "sizes", "nc,hw2i", "sizes");
    mb_attr_i(&b, n, "axis", 0);
    n = mb_node(&b, "Resize", "up", "x,,,sizes", "u");
    mb_attr_s(&b, n, "mode", "linear");
    mb_attr_s(&b, n, "coordinate_transformation_mode", "align_corners");
    /* mask = (Range(0, 6) == 3) → a per-channel factor 2 where set, 1 else */
    mb_init_i(&b, "r0", 0, NULL, D(0));
    mb_init_i(&b, "r6", 0, NULL, D(6));
    mb_init_i(&b, "r1", 0, NULL, D(1));
    mb_node(&b, "Range", "range", "r0,r6,r1", "ch");
    mb_init_i(&b, "three", 0, NULL, D(3));
    mb_node(&b, "Equal", "eq", "ch,three", "mask");
    mb_init_i(&b, "one_shape", 1, D(1), D(6));
    n = mb_node(&b, "ConstantOfShape", "ones", "one_shape", "ones");
    Onnx__AttributeProto *a = mb_attr(&b, n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    a->t = mb_tensor(&b, "", 1, D(1));
    a->t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    a->t->float_data = mb_new(&b, sizeof(float));
    a->t->float_data[0] = 1.0f;
    a->t->n_float_data = 1;
    mb_init_f(&b, "twos", 1, D(6), (float[]){2, 2, 2, 2, 2, 2});
    mb_node(&b, "Where", "where", "mask,twos,ones", "f");
    mb_init_i(&b, "fshape", 1, D(3), D(6, 1, 1));
    mb_node(&b, "Reshape", "f3", "f,fshape", "f3");
    mb_init_i(&b, "eshape", 1, D(4), D(1, 6, 1, 1));
    mb_node(&b, "Expand", "f4", "f3,eshape", "f4");
    mb_node(&b, "Mul", "scale", "u,f4", "y");
    mb_output(&b, "y");
    if (mb_load(&b, NULL, &g, &info, &msg))
        fail_msg("%s", msg.text);
    mb_free(&b);
    expect_shape(g, lk_graph_output_tensor(g, 0), 4, D(2, 6, 8, 10));
    assert_int_equal(info.nodes_after, 2); /* resize, mul */
    /* Bilinear with aligned corners, channel 3 doubled. */
    float x[2 * 6 * 4 * 5], y[2 * 6 * 8 * 10], want[2 * 6 * 8 * 10];
    lkt_fill(x, sizeof x / sizeof x[0], -1.0f, 1.0f);
    for (int p = 0; p < 12; p++)
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 10; j++) {
                double sy = i * 3.0 / 7.0, sx = j * 4.0 / 9.0;
                int y0 = (int)sy, x0 = (int)sx, y1 = y0 < 3 ? y0 + 1 : 3, x1 = x0 < 4 ? x0 + 1 : 4;
                double fy = sy - y0, fx = sx - x0;
                const float *src = x + p * 20;
                double v = (src[y0 * 5 + x0] * (1 - fx) + src[y0 * 5 + x1] * fx) * (1 - fy) +
                           (src[y1 * 5 + x0] * (1 - fx) + src[y1 * 5 + x1] * fx) * fy;
                want[(p * 8 + i) * 10 + j] = (float)(v * (p % 6 == 3 ? 2.0 : 1.0));
            }
    const float *in[1] = {x};
    float *out[1] = {y};
    assert_int_equal(lk_graph_run_reference(g, in, out, NULL), LK_OK);
    double e = lkt_error(y, want, sizeof y / sizeof y[0]);
    print_message("folded shape arithmetic model vs expected: %.2e\n", e);
    assert_true(e <= 1e-5);
    compare_runs(g, NULL, 1, -1.0f, 1.0f);
    lk_graph_free(g);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* TensorProto files: one of the backend tests', float16 raw data, int64
 * typed data, and files that are missing or not tensors. */
static void test_read_tensor(void **state)
{
    (void)state;
    float *data;
    lk_shape s;
    char name[64], tmp[] = "/tmp/lk_onnx_tensor_XXXXXX";
    lk_msg msg = {{0}};
    const char *path = data_path("LOOKOUT_ONNX_NODE_TESTS", "test_relu/test_data_set_0/input_0.pb");
    need_data(path);
    if (lk_onnx_read_tensor(path, &data, &s, name, sizeof name, &msg))
        fail_msg("%s", msg.text);
    assert_string_equal(name, "x");
    lk_shape want = lk_shape_make(3, D(3, 4, 5));
    assert_true(lk_shape_eq(&s, &want));
    free(data);

    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    close(fd);
    Onnx__TensorProto t;
    onnx__tensor_proto__init(&t);
    uint16_t halves[6] = {0x3c00, 0xc000, 0x3800, 0x0000, 0x7bff, 0x0001}; /* 1 -2 .5 0 65504 2^-24 */
    t.name = "h";
    t.dims = D(2, 3);
    t.n_dims = 2;
    t.has_data_type = 1;
    t.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
    t.has_raw_data = 1;
    t.raw_data.data = (uint8_t *)halves;
    t.raw_data.len = sizeof halves;
    uint8_t buf[256];
    write_file(tmp, buf, onnx__tensor_proto__pack(&t, buf));
    assert_int_equal(lk_onnx_read_tensor(tmp, &data, &s, NULL, 0, &msg), LK_OK);
    const float hv[6] = {1.0f, -2.0f, 0.5f, 0.0f, 65504.0f, 5.9604644775390625e-8f};
    for (int i = 0; i < 6; i++)
        assert_true(data[i] == hv[i]);
    free(data);

    onnx__tensor_proto__init(&t);
    t.dims = D(3);
    t.n_dims = 1;
    t.has_data_type = 1;
    t.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    t.int64_data = D(7, -3, 1 << 20);
    t.n_int64_data = 3;
    write_file(tmp, buf, onnx__tensor_proto__pack(&t, buf));
    assert_int_equal(lk_onnx_read_tensor(tmp, &data, &s, NULL, 0, &msg), LK_OK);
    assert_true(data[0] == 7.0f && data[1] == -3.0f && data[2] == 1048576.0f);
    free(data);
    t.n_int64_data = 2; /* fewer values than the dims say */
    write_file(tmp, buf, onnx__tensor_proto__pack(&t, buf));
    assert_int_equal(lk_onnx_read_tensor(tmp, &data, &s, NULL, 0, &msg), LK_ERR_FORMAT);
    print_message("short tensor: %s\n", msg.text);
    write_file(tmp, "\xff\xff\xff", 3);
    assert_int_equal(lk_onnx_read_tensor(tmp, &data, &s, NULL, 0, &msg), LK_ERR_FORMAT);
    remove(tmp);
    assert_int_equal(lk_onnx_read_tensor(tmp, &data, &s, NULL, 0, &msg), LK_ERR_IO);
    assert_null(data);
}

/* --------------------------------------------- ONNX backend node tests */

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A backend test's model with every graph input but the first frozen as
 * an initializer (its test data), so parameters are constants as in real
 * models; first_output_only drops optional extra outputs (Mean...). */
static uint8_t *frozen_model(const char *name, int first_output_only, size_t *len, size_t *n_out)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s/model.onnx", getenv("LOOKOUT_ONNX_NODE_TESTS"), name);
    uint8_t *buf = read_all(path, len);
    if (!buf)
        fail_msg("%s: cannot read", path);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, *len, buf);
    free(buf);
    assert_non_null(m);
    Onnx__GraphProto *gp = m->graph;
    Onnx__TensorProto **inits = malloc((gp->n_initializer + gp->n_input) * sizeof *inits);
    assert_non_null(inits);
    for (size_t i = 0; i < gp->n_initializer; i++)
        inits[i] = gp->initializer[i];
    for (size_t i = 1; i < gp->n_input; i++) {
        snprintf(path, sizeof path, "%s/%s/test_data_set_0/input_%zu.pb",
                 getenv("LOOKOUT_ONNX_NODE_TESTS"), name, i);
        buf = read_all(path, len);
        assert_non_null(buf);
        Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, *len, buf);
        free(buf);
        assert_non_null(t);
        free(t->name);
        t->name = strdup(gp->input[i]->name);
        inits[gp->n_initializer++] = t;
        onnx__value_info_proto__free_unpacked(gp->input[i], NULL);
    }
    free(gp->initializer);
    gp->initializer = inits;
    gp->n_input = 1;
    *n_out = first_output_only ? 1 : gp->n_output;
    for (size_t i = *n_out; i < gp->n_output; i++)
        onnx__value_info_proto__free_unpacked(gp->output[i], NULL);
    gp->n_output = *n_out;
    *len = onnx__model_proto__get_packed_size(m);
    buf = malloc(*len);
    assert_non_null(buf);
    onnx__model_proto__pack(m, buf);
    onnx__model_proto__free_unpacked(m, NULL);
    return buf;
}

/* Runs one backend test on the reference; 1 when it does not match. */
static int run_node_test(const char *name, int first_output_only)
{
    char path[1200];
    size_t len, n_out;
    uint8_t *buf = frozen_model(name, first_output_only, &len, &n_out);
    lk_graph *g;
    lk_msg msg = {{0}};
    lk_status st = lk_onnx_load_buffer(buf, len, NULL, &g, NULL, &msg);
    free(buf);
    if (st) {
        print_message("%s: %s\n", name, msg.text);
        return 1;
    }
    float *in, *out[8], *want[8];
    lk_shape s;
    snprintf(path, sizeof path, "%s/%s/test_data_set_0/input_0.pb",
             getenv("LOOKOUT_ONNX_NODE_TESTS"), name);
    assert_int_equal(lk_onnx_read_tensor(path, &in, &s, NULL, 0, &msg), LK_OK);
    assert_true(n_out <= 8 && (size_t)lk_graph_n_outputs(g) == n_out);
    for (size_t i = 0; i < n_out; i++) {
        lk_shape ws, gs;
        snprintf(path, sizeof path, "%s/%s/test_data_set_0/output_%zu.pb",
                 getenv("LOOKOUT_ONNX_NODE_TESTS"), name, i);
        assert_int_equal(lk_onnx_read_tensor(path, &want[i], &ws, NULL, 0, &msg), LK_OK);
        lk_graph_shape(g, lk_graph_output_tensor(g, (int)i), &gs);
        if (!lk_shape_eq(&gs, &ws)) {
            char a[128], b2[128];
            fail_msg("%s: output %zu is %s, expected %s", name, i, lk_shape_str(&gs, a, sizeof a),
                     lk_shape_str(&ws, b2, sizeof b2));
        }
        out[i] = malloc(numel(&gs) * sizeof(float));
    }
    const float *ins[1] = {in};
    int bad = 0;
    assert_int_equal(lk_graph_run_reference(g, ins, out, &msg), LK_OK);
    for (size_t i = 0; i < n_out; i++) {
        lk_shape gs;
        lk_graph_shape(g, lk_graph_output_tensor(g, (int)i), &gs);
        double e = lkt_error(out[i], want[i], numel(&gs));
        if (!(e <= 1e-5)) {
            print_message("%s: output %zu differs from ONNX's by %.2e\n", name, i, e);
            bad = 1;
        }
        free(out[i]);
        free(want[i]);
    }
    free(in);
    lk_graph_free(g);
    return bad;
}

static void test_node_conformance(void **state)
{
    (void)state;
    static const char *const tests[] = {
        "test_basic_conv_with_padding", "test_basic_conv_without_padding",
        "test_conv_with_autopad_same", "test_conv_with_strides_and_asymmetric_padding",
        "test_conv_with_strides_no_padding", "test_conv_with_strides_padding",
        "test_convtranspose", "test_convtranspose_autopad_same", "test_convtranspose_dilations",
        "test_convtranspose_kernel_shape", "test_convtranspose_output_shape",
        "test_convtranspose_pad", "test_convtranspose_pads", "test_convtranspose_with_kernel",
        "test_averagepool_2d_ceil", "test_averagepool_2d_default", "test_averagepool_2d_pads",
        "test_averagepool_2d_pads_count_include_pad", "test_averagepool_2d_precomputed_pads",
        "test_averagepool_2d_precomputed_pads_count_include_pad",
        "test_averagepool_2d_precomputed_same_upper", "test_averagepool_2d_precomputed_strides",
        "test_averagepool_2d_same_lower", "test_averagepool_2d_same_upper",
        "test_averagepool_2d_strides", "test_maxpool_2d_ceil", "test_maxpool_2d_default",
        "test_maxpool_2d_dilations", "test_maxpool_2d_pads", "test_maxpool_2d_precomputed_pads",
        "test_maxpool_2d_precomputed_same_upper", "test_maxpool_2d_precomputed_strides",
        "test_maxpool_2d_same_lower", "test_maxpool_2d_same_upper", "test_maxpool_2d_strides",
        "test_globalaveragepool", "test_globalaveragepool_precomputed", "test_globalmaxpool",
        "test_globalmaxpool_precomputed", "test_relu", "test_leakyrelu", "test_leakyrelu_default",
        "test_leakyrelu_example", "test_sigmoid", "test_tanh", "test_hardswish",
        "test_hardswish_expanded", "test_hardsigmoid", "test_hardsigmoid_default",
        "test_hardsigmoid_example", "test_clip",
        "test_clip_default_inbounds", "test_clip_default_max", "test_clip_default_min",
        "test_clip_example", "test_clip_inbounds", "test_clip_outbounds", "test_clip_splitbounds",
        "test_add", "test_add_bcast", "test_sub", "test_sub_bcast", "test_mul", "test_mul_bcast",
        "test_div", "test_div_bcast", "test_pow", "test_pow_bcast_array", "test_pow_bcast_scalar",
        "test_concat_2d_axis_0", "test_concat_2d_axis_negative_1", "test_concat_3d_axis_1",
        "test_concat_3d_axis_negative_3", "test_split_equal_parts_1d",
        "test_split_equal_parts_2d", "test_split_equal_parts_default_axis",
        "test_split_variable_parts_1d", "test_split_variable_parts_2d",
        "test_split_variable_parts_default_axis", "test_slice", "test_slice_default_axes",
        "test_slice_default_steps", "test_slice_end_out_of_bounds", "test_slice_neg",
        "test_slice_neg_steps", "test_slice_negative_axes",
        "test_gather_0", "test_gather_1", "test_gather_2d_indices", "test_gather_negative_indices",
        "test_transpose_default", "test_transpose_all_permutations_0",
        "test_transpose_all_permutations_3", "test_transpose_all_permutations_5",
        "test_reshape_extended_dims", "test_reshape_negative_dim",
        "test_reshape_negative_extended_dims", "test_reshape_one_dim", "test_reshape_reduced_dims",
        "test_reshape_reordered_all_dims", "test_reshape_reordered_last_dims",
        "test_reshape_zero_and_negative_dim", "test_reshape_zero_dim", "test_flatten_axis0",
        "test_flatten_axis2", "test_flatten_default_axis", "test_flatten_negative_axis1",
        "test_squeeze", "test_squeeze_negative_axes", "test_unsqueeze_axis_0",
        "test_unsqueeze_axis_3", "test_unsqueeze_negative_axes", "test_unsqueeze_three_axes",
        "test_unsqueeze_two_axes", "test_unsqueeze_unsorted_axes", "test_identity",
        "test_dropout_default", "test_resize_upsample_scales_nearest",
        "test_resize_downsample_scales_nearest", "test_resize_upsample_scales_linear",
        "test_resize_upsample_scales_linear_align_corners", "test_resize_downsample_scales_linear",
        "test_resize_upsample_sizes_nearest",
        "test_resize_downsample_sizes_nearest", "test_resize_upsample_sizes_nearest_ceil_half_pixel",
        "test_resize_upsample_sizes_nearest_floor_align_corners",
        "test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric",
        "test_resize_downsample_sizes_linear_pytorch_half_pixel",
        "test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn", "test_upsample_nearest",
        "test_matmul_2d", "test_matmul_3d", "test_matmul_4d", "test_gemm_all_attributes",
        "test_gemm_alpha", "test_gemm_beta", "test_gemm_default_matrix_bias",
        "test_gemm_default_no_bias", "test_gemm_default_scalar_bias",
        "test_gemm_default_single_elem_vector_bias", "test_gemm_default_vector_bias",
        "test_gemm_default_zero_bias", "test_gemm_transposeA", "test_gemm_transposeB",
        "test_softmax_axis_0", "test_softmax_axis_1", "test_softmax_axis_2",
        "test_softmax_default_axis", "test_softmax_example", "test_softmax_large_number",
        "test_softmax_negative_axis", "test_batchnorm_epsilon", "test_batchnorm_example",
        "test_constant_pad",
    };
    static const char *const first_only[] = {
        "test_layer_normalization_2d_axis0", "test_layer_normalization_3d_axis1_epsilon",
        "test_layer_normalization_4d_axis_negative_2", "test_layer_normalization_default_axis",
    };
    int failed = 0;
    need_data(data_path("LOOKOUT_ONNX_NODE_TESTS", "test_relu/model.onnx"));
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        failed += run_node_test(tests[i], 0);
    for (size_t i = 0; i < sizeof first_only / sizeof first_only[0]; i++)
        failed += run_node_test(first_only[i], 1);
    size_t total = sizeof tests / sizeof tests[0] + sizeof first_only / sizeof first_only[0];
    print_message("%zu of %zu ONNX node tests match\n", total - (size_t)failed, total);
    assert_int_equal(failed, 0);

    /* What the engine cannot compute as defined is refused, not approximated. */
    static const struct { const char *name; lk_status st; const char *why; } refused[] = {
        {"test_resize_upsample_scales_cubic", LK_ERR_UNSUPPORTED, "mode 'cubic'"},
        {"test_resize_tf_crop_and_resize", LK_ERR_UNSUPPORTED, "tf_crop_and_resize"},
        {"test_resize_downsample_scales_linear_align_corners", LK_ERR_UNSUPPORTED, "fractional"},
        {"test_maxpool_with_argmax_2d_precomputed_pads", LK_ERR_UNSUPPORTED, "output 1"},
        {"test_slice_start_out_of_bounds", LK_ERR_UNSUPPORTED, "empty"},
        {"test_dropout_default_mask", LK_ERR_UNSUPPORTED, "output 1"},
        {"test_batchnorm_example_training_mode", LK_ERR_UNSUPPORTED, "training"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        size_t len, n_out;
        lk_graph *g;
        lk_msg msg = {{0}};
        uint8_t *buf = frozen_model(refused[i].name, 0, &len, &n_out);
        lk_status st = lk_onnx_load_buffer(buf, len, NULL, &g, NULL, &msg);
        free(buf);
        print_message("%s: %s\n", refused[i].name, msg.text);
        assert_int_equal(st, refused[i].st);
        assert_non_null(strstr(msg.text, refused[i].why));
    }
}

/* The models compile dozens of pipelines each, slow on a cold lavapipe
 * cache: meson runs them as tests of their own (argument yolox or
 * fastestdet); "loader" runs the rest, no argument everything. */
int main(int argc, char **argv)
{
    const struct CMUnitTest loader[] = {
        cmocka_unit_test(test_rewrites),
        cmocka_unit_test(test_old_opsets),
        cmocka_unit_test(test_old_attributes),
        cmocka_unit_test(test_reductions),
        cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_input_sizes),
        cmocka_unit_test(test_shape_folding),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_constant_amplification),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_read_tensor),
        cmocka_unit_test(test_node_conformance),
    };
    const struct CMUnitTest yolox[] = {cmocka_unit_test(test_yolox)};
    const struct CMUnitTest fastestdet[] = {cmocka_unit_test(test_fastestdet)};
    const char *group = argc > 1 ? argv[1] : "";
    int failed = 0;
    if (!*group || !strcmp(group, "loader"))
        failed += cmocka_run_group_tests_name("loader", loader, NULL, NULL);
    if (!*group || !strcmp(group, "yolox"))
        failed += cmocka_run_group_tests_name("yolox", yolox, NULL, NULL);
    if (!*group || !strcmp(group, "fastestdet"))
        failed += cmocka_run_group_tests_name("fastestdet", fastestdet, NULL, NULL);
    return failed;
}
