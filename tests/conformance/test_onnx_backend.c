/* ONNX backend conformance: every case of the ONNX backend test data
 * (Debian's libonnx-testdata: node, pytorch-converted, pytorch-operator,
 * simple) that the loader accepts is run on the Vulkan device on each of
 * its data sets and compared with the expected outputs at normalised error
 * ≤ 1e-4. A case the loader refuses with LK_ERR_UNSUPPORTED is skipped and
 * counted under the op its message names; a claimed case that does not
 * match fails the suite, and so does a required op family with no passing
 * case.
 *
 * Graph inputs that are shape-like (integer or bool: Reshape's shape,
 * Slice's starts, Gather's indices) become initializers holding the data
 * set's values before loading, since the loader takes such operands only as
 * constants. When the loader or the compiler refuses a case with its float
 * inputs at run time too (Conv's W, BatchNormalization's statistics, Clip's
 * bounds), the case is tried once more with every input but the first
 * turned into an initializer, as real models carry them. Integer data
 * that only moves through the graph (edge and reflect Pad exist in the test
 * data only as int32) is exact in fp32, so such cases run retyped to float.
 *
 * LOOKOUT_ONNX_TESTDATA names the data directory (set by meson);
 * LOOKOUT_ONNX_CASE=<glob> restricts the run to matching "suite/test_x". */
#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"
#include "lookout/onnx.h"
#include "onnx.pb-c.h"

static const char *const suites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};

typedef enum outcome {
    PASSED = 0,
    FAILED,       /* claimed (loaded) but wrong, or not runnable */
    UNSUPPORTED,  /* refused by the loader with LK_ERR_UNSUPPORTED */
    DTYPE,        /* non-float outputs, or inputs that are neither float nor shape-like */
    REFUSED,      /* refused with another status */
    N_OUTCOMES
} outcome;

static const char *const outcome_names[] = {"passed", "FAILED", "unsupported", "unsupported-dtype",
                                            "refused (other status)"};

typedef struct result {
    char name[320];      /* "node/test_conv_with_strides_padding" */
    outcome kind;
    int all_const;       /* passed only with every input but the first constant */
    int retyped;         /* integer data run as float */
    double err;          /* worst normalised error over outputs and data sets */
    char group[64];      /* UNSUPPORTED: the op the message names */
    char detail[1024];
} result;

typedef struct results {
    result *r;
    int n, cap;
    int count[N_OUTCOMES];
    double ms;
} results;

/* The loader's view of one case: real inputs (not initializers) in model
 * order and whether each becomes a constant. */
typedef struct model_case {
    Onnx__ModelProto *m;
    int n_in;
    int in_index[32];        /* position in graph->input */
    int shape_like[32];      /* integer/bool input: always constant */
    int retype_in[32];       /* integer data input run as float */
    int retype_out[32];      /* integer output compared as float */
} model_case;

/* Ops that only move values: integer data through them stays exact in fp32
 * (the test data's values are far below 2^24). */
static const char *const movement_ops[] = {"Pad", "Transpose", "Reshape", "Flatten", "Concat",
                                           "Split", "Slice", "Gather", "Squeeze", "Unsqueeze",
                                           "Identity"};

static int only_movement(const Onnx__GraphProto *g)
{
    for (size_t i = 0; i < g->n_node; i++) {
        int found = 0;
        for (size_t k = 0; k < sizeof movement_ops / sizeof *movement_ops && !found; k++)
            found = !strcmp(g->node[i]->op_type, movement_ops[k]);
        if (!found)
            return 0;
    }
    return 1;
}

/* Whether the value feeds a data operand (not a shape-like one) of a node:
 * the first input, any of Concat's, Pad's constant value. */
static int feeds_data(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        for (size_t k = 0; k < n->n_input; k++)
            if (!strcmp(n->input[k], name) &&
                (k == 0 || !strcmp(n->op_type, "Concat") || (k == 2 && !strcmp(n->op_type, "Pad"))))
                return 1;
    }
    return 0;
}

static int is_integer_type(int t)
{
    return (t >= ONNX__TENSOR_PROTO__DATA_TYPE__UINT8 && t <= ONNX__TENSOR_PROTO__DATA_TYPE__INT64) ||
           t == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 || t == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64;
}

static int is_float_type(int t)
{
    return t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
}

static int is_shape_like(int t)
{
    return t == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || t == ONNX__TENSOR_PROTO__DATA_TYPE__INT32 ||
           t == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
}

static const char *dtype_name(int t)
{
    static const char *const names[] = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16",
                                        "INT32", "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE",
                                        "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
    return t >= 0 && t < (int)(sizeof names / sizeof *names) ? names[t] : "?";
}

/* The tensor element type of a value, or -1 for sequences, maps, optionals. */
static int elem_type(const Onnx__ValueInfoProto *v)
{
    if (!v->type || v->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return -1;
    return v->type->tensor_type->elem_type;
}

/* Classifies inputs and outputs; returns 0 or fills r with DTYPE. */
static int inspect(model_case *mc, result *r)
{
    const Onnx__GraphProto *g = mc->m->graph;
    int movement = only_movement(g);
    mc->n_in = 0;
    if (g->n_output > 32) {
        r->kind = DTYPE;
        snprintf(r->detail, sizeof r->detail, "more than 32 outputs");
        return -1;
    }
    for (size_t i = 0; i < g->n_input; i++) {
        int init = 0;
        for (size_t j = 0; j < g->n_initializer && !init; j++)
            init = !strcmp(g->initializer[j]->name, g->input[i]->name);
        if (init)
            continue;  /* IR < 4 lists initializers among the inputs */
        int t = elem_type(g->input[i]);
        int retype = movement && is_integer_type(t) && feeds_data(g, g->input[i]->name);
        if (!is_float_type(t) && !is_shape_like(t) && !retype) {
            r->kind = DTYPE;
            snprintf(r->detail, sizeof r->detail, "input '%s' is %s", g->input[i]->name,
                     t < 0 ? "not a tensor" : dtype_name(t));
            return -1;
        }
        if (mc->n_in == 32) {
            r->kind = DTYPE;
            snprintf(r->detail, sizeof r->detail, "more than 32 inputs");
            return -1;
        }
        mc->in_index[mc->n_in] = (int)i;
        mc->retype_in[mc->n_in] = retype;
        mc->shape_like[mc->n_in++] = is_shape_like(t) && !retype;
    }
    for (size_t i = 0; i < g->n_output; i++) {
        int t = elem_type(g->output[i]);
        mc->retype_out[i] = movement && is_integer_type(t);
        r->retyped |= mc->retype_out[i];
        if (!is_float_type(t) && !mc->retype_out[i]) {
            r->kind = DTYPE;
            snprintf(r->detail, sizeof r->detail, "output '%s' is %s", g->output[i]->name,
                     t < 0 ? "not a tensor" : dtype_name(t));
            return -1;
        }
    }
    return 0;
}

/* A float-typed shallow copy of a value's type (for retyped integer data). */
typedef struct float_type {
    Onnx__ValueInfoProto v;
    Onnx__TypeProto t;
    Onnx__TypeProto__Tensor tt;
} float_type;

static Onnx__ValueInfoProto *as_float(const Onnx__ValueInfoProto *v, float_type *f)
{
    f->v = *v;
    f->t = *v->type;
    f->tt = *v->type->tensor_type;
    f->tt.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    f->t.tensor_type = &f->tt;
    f->v.type = &f->t;
    return &f->v;
}

/* Serialises the case's model with the inputs flagged in is_const moved into
 * initializers holding `values` (the data set's tensors), and retyped
 * integer data declared float. */
static uint8_t *rewrite(const model_case *mc, const int *is_const, Onnx__TensorProto *const *values,
                        size_t *size)
{
    const Onnx__GraphProto *g = mc->m->graph;
    Onnx__GraphProto g2 = *g;
    Onnx__ModelProto m2 = *mc->m;
    Onnx__TensorProto copies[32];
    float_type retyped_in[32], retyped_out[32];
    Onnx__ValueInfoProto **inputs = malloc((g->n_input + 1) * sizeof *inputs);
    Onnx__ValueInfoProto **outputs = malloc((g->n_output + 1) * sizeof *outputs);
    Onnx__TensorProto **inits = malloc((g->n_initializer + 32) * sizeof *inits);
    uint8_t *buf = NULL;
    assert_true(inputs && outputs && inits);
    memcpy(inits, g->initializer, g->n_initializer * sizeof *inits);
    g2.n_input = 0;
    g2.n_initializer = g->n_initializer;
    for (size_t i = 0; i < g->n_input; i++) {
        int k = -1;
        for (int j = 0; j < mc->n_in; j++)
            if (mc->in_index[j] == (int)i)
                k = j;
        if (k >= 0 && is_const[k]) {
            copies[k] = *values[k];     /* shallow: only the name differs */
            copies[k].name = g->input[i]->name;
            inits[g2.n_initializer++] = &copies[k];
        } else if (k >= 0 && mc->retype_in[k]) {
            inputs[g2.n_input++] = as_float(g->input[i], &retyped_in[k]);
        } else {
            inputs[g2.n_input++] = g->input[i];
        }
    }
    for (size_t i = 0; i < g->n_output; i++)
        outputs[i] = mc->retype_out[i] ? as_float(g->output[i], &retyped_out[i]) : g->output[i];
    g2.input = inputs;
    g2.output = outputs;
    g2.initializer = inits;
    m2.graph = &g2;
    *size = onnx__model_proto__get_packed_size(&m2);
    buf = malloc(*size + 1);
    assert_non_null(buf);
    onnx__model_proto__pack(&m2, buf);
    free(inputs);
    free(outputs);
    free(inits);
    return buf;
}

/* The longest op type of the model that the message names (the op the
 * loader refused), or NULL. */
static const char *named_op(const Onnx__GraphProto *g, const char *text)
{
    const char *best = NULL;
    for (size_t i = 0; i < g->n_node; i++) {
        const char *op = g->node[i]->op_type;
        const char *p = op && *op ? strstr(text, op) : NULL;
        size_t n = p ? strlen(op) : 0;
        /* whole word only: "Conv" must not match inside "ConvTranspose" */
        while (p && ((p > text && isalnum((unsigned char)p[-1])) || isalnum((unsigned char)p[n])))
            p = strstr(p + 1, op);
        if (p && (!best || strlen(op) > strlen(best)))
            best = op;
    }
    return best;
}

typedef struct data_set {
    int n_in, n_out;
    Onnx__TensorProto *raw[32];   /* inputs as protos (for constants) */
    float *in[32], *out[32];
    lk_shape in_shape[32], out_shape[32];
} data_set;

static void data_set_free(data_set *d)
{
    for (int i = 0; i < d->n_in; i++) {
        if (d->raw[i])
            onnx__tensor_proto__free_unpacked(d->raw[i], NULL);
        free(d->in[i]);
    }
    for (int i = 0; i < d->n_out; i++)
        free(d->out[i]);
    memset(d, 0, sizeof *d);
}

/* Reads test_data_set_<k>; returns 0, 1 when it does not exist, -1 on error. */
static int data_set_read(const char *case_dir, int k, const model_case *mc, data_set *d,
                         char *err, size_t err_cap)
{
    char path[2600];
    lk_msg msg = {{0}};
    memset(d, 0, sizeof *d);
    snprintf(path, sizeof path, "%s/test_data_set_%d", case_dir, k);
    DIR *probe = opendir(path);
    if (!probe)
        return 1;
    closedir(probe);
    for (int i = 0; i < mc->n_in; i++) {
        size_t size;
        snprintf(path, sizeof path, "%s/test_data_set_%d/input_%d.pb", case_dir, k, i);
        uint8_t *bytes = lkc_read_file(path, &size);
        if (!bytes) {
            snprintf(err, err_cap, "missing %s", path);
            return -1;
        }
        d->raw[i] = onnx__tensor_proto__unpack(NULL, size, bytes);
        free(bytes);
        d->n_in = i + 1;
        if (!d->raw[i] ||
            lk_onnx_read_tensor(path, &d->in[i], &d->in_shape[i], NULL, 0, &msg) != LK_OK) {
            snprintf(err, err_cap, "cannot read %s: %s", path, msg.text);
            return -1;
        }
    }
    for (size_t i = 0; i < mc->m->graph->n_output && i < 32; i++) {
        snprintf(path, sizeof path, "%s/test_data_set_%d/output_%zu.pb", case_dir, k, i);
        d->n_out = (int)i + 1;
        if (lk_onnx_read_tensor(path, &d->out[i], &d->out_shape[i], NULL, 0, &msg) != LK_OK) {
            snprintf(err, err_cap, "cannot read %s: %s", path, msg.text);
            return -1;
        }
    }
    return 0;
}

static int shape_equal(const lk_shape *a, const lk_shape *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

/* Loads the case (constants per is_const) and compiles it for the device.
 * Returns the status; *stage says which step failed ("load"/"compile"). */
static lk_status build_net(lk_context *ctx, const model_case *mc, const int *is_const,
                           const data_set *d, lk_net **net, const char **stage, lk_msg *msg)
{
    size_t size;
    uint8_t *buf = rewrite(mc, is_const, d->raw, &size);
    lk_onnx_opts o;
    lk_graph *g = NULL;
    lk_net_opts no;
    lk_onnx_opts_init(&o);
    *stage = "load";
    lk_status st = lk_onnx_load_buffer(buf, size, &o, &g, NULL, msg);
    free(buf);
    if (st)
        return st;
    lk_net_opts_init(&no);
    no.poison = 1;  /* an unwritten output element shows up as NaN */
    *stage = "compile";
    st = lk_net_new(ctx, g, &no, net, msg);
    lk_graph_free(g);
    return st;
}

/* Runs one data set through net; returns 0 or -1 with the reason in r. */
static int run_data_set(lk_net *net, const model_case *mc, const data_set *d, const int *is_const,
                        int k, result *r)
{
    const Onnx__GraphProto *g = mc->m->graph;
    const float *inputs[32];
    float *outputs[32] = {0};
    lk_msg msg = {{0}};
    int n_in = lk_net_n_inputs(net), n_out = lk_net_n_outputs(net), rc = -1;
    if (n_in > 32 || n_out != (int)g->n_output) {
        snprintf(r->detail, sizeof r->detail, "net has %d inputs, %d outputs; model %d outputs",
                 n_in, n_out, (int)g->n_output);
        return -1;
    }
    for (int i = 0; i < n_in; i++) {
        const char *name = lk_net_input_name(net, i);
        lk_shape s = lk_net_input_shape(net, i);
        int k_in = -1;
        for (int j = 0; j < mc->n_in; j++)
            if (!is_const[j] && !strcmp(g->input[mc->in_index[j]]->name, name))
                k_in = j;
        if (k_in < 0 || lk_shape_numel(&s) != lk_shape_numel(&d->in_shape[k_in])) {
            snprintf(r->detail, sizeof r->detail, "net input '%s' has no matching data", name);
            return -1;
        }
        inputs[i] = d->in[k_in];
    }
    for (int i = 0; i < n_out; i++) {
        lk_shape s = lk_net_output_shape(net, i);
        outputs[i] = malloc(((size_t)lk_shape_numel(&s) + 1) * sizeof(float));
        assert_non_null(outputs[i]);
    }
    if (lk_net_run(net, inputs, outputs, &msg) != LK_OK) {
        snprintf(r->detail, sizeof r->detail, "run: %s", msg.text);
        goto out;
    }
    for (int i = 0; i < n_out; i++) {
        const char *name = lk_net_output_name(net, i);
        lk_shape s = lk_net_output_shape(net, i);
        char a[96], b[96];
        int k_out = i;
        for (int j = 0; j < (int)g->n_output; j++)
            if (name && !strcmp(g->output[j]->name, name))
                k_out = j;
        if (!shape_equal(&s, &d->out_shape[k_out])) {
            snprintf(r->detail, sizeof r->detail, "output '%s' shape %s, expected %s",
                     g->output[k_out]->name, lk_shape_str(&s, a, sizeof a),
                     lk_shape_str(&d->out_shape[k_out], b, sizeof b));
            goto out;
        }
        double e = lkt_error(outputs[i], d->out[k_out], (size_t)lk_shape_numel(&s));
        if (e > r->err || e != e)
            r->err = e;
        if (!(e <= LKC_TOL_BACKEND)) {
            snprintf(r->detail, sizeof r->detail, "data set %d output '%s': error %.3g", k,
                     g->output[k_out]->name, e);
            goto out;
        }
    }
    rc = 0;
out:
    for (int i = 0; i < n_out; i++)
        free(outputs[i]);
    return rc;
}

static void run_case(lk_context *ctx, const char *case_dir, result *r)
{
    char path[2600], err[1024] = "";
    size_t size;
    model_case mc = {0};
    data_set d;
    lk_net *net = NULL;
    lk_msg msg = {{0}};
    int is_const[32], all_const[32], have_all = 0;
    const char *stage;
    lk_status st;

    snprintf(path, sizeof path, "%s/model.onnx", case_dir);
    uint8_t *bytes = lkc_read_file(path, &size);
    if (bytes)
        mc.m = onnx__model_proto__unpack(NULL, size, bytes);
    free(bytes);
    if (!mc.m || !mc.m->graph) {
        r->kind = FAILED;
        snprintf(r->detail, sizeof r->detail, "cannot read %s", path);
        goto out;
    }
    if (inspect(&mc, r))
        goto out;
    for (int i = 0; i < mc.n_in; i++) {
        is_const[i] = mc.shape_like[i];
        all_const[i] = (i > 0 && !mc.retype_in[i]) || mc.shape_like[i];
        have_all |= all_const[i] != is_const[i];
    }
    for (int k = 0;; k++) {
        int rd = data_set_read(case_dir, k, &mc, &d, err, sizeof err);
        if (rd == 1 && k > 0)
            break;
        if (rd) {
            r->kind = FAILED;
            snprintf(r->detail, sizeof r->detail, "%s", rd == 1 ? "no test_data_set_0" : err);
            data_set_free(&d);
            goto out;
        }
        /* Shape-like inputs are baked into the model, so every data set is
         * loaded anew; the pipeline cache makes recompiling cheap. */
        st = build_net(ctx, &mc, r->all_const ? all_const : is_const, &d, &net, &stage, &msg);
        if (st && k == 0 && have_all) {
            lk_msg msg2 = {{0}};
            const char *stage2;
            lk_status st2 = build_net(ctx, &mc, all_const, &d, &net, &stage2, &msg2);
            if (st2 == LK_OK || (strcmp(stage2, "load") && !strcmp(stage, "load"))) {
                /* else the first message says best why the case fails */
                st = st2;
                stage = stage2;
                msg = msg2;
                r->all_const = 1;
            }
        }
        if (st) {
            if (!strcmp(stage, "load") && k == 0) {
                const char *op = named_op(mc.m->graph, msg.text);
                r->kind = st == LK_ERR_UNSUPPORTED ? UNSUPPORTED : REFUSED;
                /* no op named: the model as a whole (its opset, say) */
                snprintf(r->group, sizeof r->group, "%.40s", op ? op : msg.text);
                snprintf(r->detail, sizeof r->detail, "%s: %s", lk_status_str(st), msg.text);
            } else {
                r->kind = FAILED;
                snprintf(r->detail, sizeof r->detail, "%s: %s: %s", stage, lk_status_str(st),
                         msg.text);
            }
            data_set_free(&d);
            goto out;
        }
        int rc = run_data_set(net, &mc, &d, r->all_const ? all_const : is_const, k, r);
        lk_net_free(net);
        net = NULL;
        data_set_free(&d);
        if (rc) {
            r->kind = FAILED;
            goto out;
        }
    }
    r->kind = PASSED;
out:
    if (mc.m)
        onnx__model_proto__free_unpacked(mc.m, NULL);
}

static results *run_all(void)
{
    static results res;
    static int done;
    if (done)
        return &res;
    const char *root = lkc_require_dir("LOOKOUT_ONNX_TESTDATA", "the ONNX backend test data "
                                       "(Debian package libonnx-testdata)");
    lk_context *ctx = lkt_context();
    const char *only = getenv("LOOKOUT_ONNX_CASE");
    double t0 = lkc_now_ms();
    for (size_t s = 0; s < sizeof suites / sizeof *suites; s++) {
        char dir[2048];
        struct dirent **names;
        snprintf(dir, sizeof dir, "%s/%s", root, suites[s]);
        int n = scandir(dir, &names, NULL, alphasort);
        for (int i = 0; i < n; i++) {
            char name[320], case_dir[2400], model[2500];
            snprintf(name, sizeof name, "%s/%s", suites[s], names[i]->d_name);
            snprintf(case_dir, sizeof case_dir, "%s/%s", dir, names[i]->d_name);
            snprintf(model, sizeof model, "%s/model.onnx", case_dir);
            free(names[i]);
            FILE *f = fopen(model, "rb");
            if (!f || (only && fnmatch(only, name, 0))) {
                if (f)
                    fclose(f);
                continue;
            }
            fclose(f);
            if (res.n == res.cap) {
                res.cap = res.cap ? 2 * res.cap : 256;
                res.r = realloc(res.r, (size_t)res.cap * sizeof *res.r);
                assert_non_null(res.r);
            }
            result *r = &res.r[res.n++];
            memset(r, 0, sizeof *r);
            snprintf(r->name, sizeof r->name, "%s", name);
            run_case(ctx, case_dir, r);
            res.count[r->kind]++;
        }
        if (n > 0)
            free(names);
    }
    res.ms = lkc_now_ms() - t0;
    done = 1;
    return &res;
}

static int by_group(const void *a, const void *b)
{
    const result *x = *(const result *const *)a, *y = *(const result *const *)b;
    int c = strcmp(x->group, y->group);
    return c ? c : strcmp(x->name, y->name);
}

/* Prints the refused cases of one kind grouped by the op named. */
static void print_groups(const results *res, outcome kind)
{
    const result **v = malloc((size_t)res->n * sizeof *v + 1);
    int n = 0;
    assert_non_null(v);
    for (int i = 0; i < res->n; i++)
        if (res->r[i].kind == kind)
            v[n++] = &res->r[i];
    qsort(v, (size_t)n, sizeof *v, by_group);
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && !strcmp(v[j]->group, v[i]->group))
            j++;
        printf("  %-24s %4d  e.g. %s: %s\n", v[i]->group, j - i, v[i]->name, v[i]->detail);
        i = j;
    }
    free(v);
}

static void test_claimed_cases_pass(void **state)
{
    (void)state;
    results *res = run_all();
    int claimed = res->count[PASSED] + res->count[FAILED];
    printf("ONNX backend test data: %d cases found, %d claimed (loaded), %d passed, %d failed, "
           "%d unsupported, %d unsupported-dtype, %d refused with another status (%.1f s)\n",
           res->n, claimed, res->count[PASSED], res->count[FAILED], res->count[UNSUPPORTED],
           res->count[DTYPE], res->count[REFUSED], res->ms / 1e3);
    printf("skipped as unsupported, by the op the loader names (op, cases, example):\n");
    print_groups(res, UNSUPPORTED);
    if (res->count[REFUSED]) {
        printf("refused with a status other than UNSUPPORTED:\n");
        print_groups(res, REFUSED);
    }
    int n_const = 0, n_retyped = 0;
    for (int i = 0; i < res->n; i++) {
        n_const += res->r[i].kind == PASSED && res->r[i].all_const;
        n_retyped += res->r[i].kind == PASSED && res->r[i].retyped;
    }
    printf("skipped as unsupported-dtype: %d (integer, bool or string outputs and the like)\n",
           res->count[DTYPE]);
    printf("passed with every input but the first as a constant: %d\n", n_const);
    printf("passed with integer data moved as float: %d\n", n_retyped);
    if (getenv("LOOKOUT_ONNX_VERBOSE"))
        for (int i = 0; i < res->n; i++)
            printf("  %-70s %-22s %.2g %s\n", res->r[i].name, outcome_names[res->r[i].kind],
                   res->r[i].err, res->r[i].detail);
    for (int i = 0; i < res->n; i++)
        if (res->r[i].kind == FAILED)
            printf("FAILED %s: %s\n", res->r[i].name, res->r[i].detail);
    if (res->count[FAILED])
        fail_msg("%d claimed case(s) failed (listed above)", res->count[FAILED]);
}

/* A family: cases matching any of the globs (on "suite/test_x"). */
typedef struct family {
    const char *label;
    const char *globs[6];
} family;

static const family required[] = {
    {"conv", {"node/test_conv_*", "node/test_basic_conv_*"}},
    {"maxpool", {"node/test_maxpool_*"}},
    {"averagepool", {"node/test_averagepool_*"}},
    {"globalaveragepool", {"node/test_globalaveragepool*"}},
    {"globalmaxpool", {"node/test_globalmaxpool*"}},
    {"relu", {"node/test_relu"}},
    {"leakyrelu", {"node/test_leakyrelu*"}},
    {"sigmoid", {"node/test_sigmoid*"}},
    {"tanh", {"node/test_tanh*"}},
    {"hardswish", {"node/test_hardswish"}},
    {"hardsigmoid", {"node/test_hardsigmoid*"}},
    {"clip", {"node/test_clip*"}},
    {"softmax", {"node/test_softmax_*"}},
    {"matmul", {"node/test_matmul_*"}},
    {"gemm", {"node/test_gemm_*"}},
    {"add", {"node/test_add"}},
    {"add (broadcast)", {"node/test_add_bcast"}},
    {"sub", {"node/test_sub", "node/test_sub_example"}},
    {"sub (broadcast)", {"node/test_sub_bcast"}},
    {"mul", {"node/test_mul", "node/test_mul_example"}},
    {"mul (broadcast)", {"node/test_mul_bcast"}},
    {"div", {"node/test_div", "node/test_div_example"}},
    {"div (broadcast)", {"node/test_div_bcast"}},
    {"pow", {"node/test_pow", "node/test_pow_example"}},
    {"pow (broadcast)", {"node/test_pow_bcast_*"}},
    {"concat", {"node/test_concat_*"}},
    {"split", {"node/test_split_*"}},
    {"slice", {"node/test_slice*"}},
    {"gather (constant indices)", {"node/test_gather_0", "node/test_gather_1",
                                   "node/test_gather_2d_indices", "node/test_gather_negative_indices"}},
    {"transpose", {"node/test_transpose_*"}},
    {"reshape", {"node/test_reshape_*"}},
    {"flatten", {"node/test_flatten_*"}},
    {"resize (nearest)", {"node/test_resize_*nearest*"}},
    {"resize (linear)", {"node/test_resize_*linear*"}},
    {"pad (constant)", {"node/test_constant_pad"}},
    {"pad (reflect)", {"node/test_reflect_pad"}},
    {"pad (edge)", {"node/test_edge_pad"}},
    {"batchnorm (inference)", {"node/test_batchnorm_epsilon", "node/test_batchnorm_example"}},
    {"pytorch Conv2d", {"pytorch-converted/test_Conv2d*"}},
    {"pytorch MaxPool2d", {"pytorch-converted/test_MaxPool2d*"}},
    {"pytorch AvgPool2d", {"pytorch-converted/test_AvgPool2d*"}},
    {"pytorch BatchNorm2d", {"pytorch-converted/test_BatchNorm2d*"}},
};

static int in_family(const family *f, const char *name)
{
    for (int g = 0; g < 6 && f->globs[g]; g++)
        if (!fnmatch(f->globs[g], name, 0))
            return 1;
    return 0;
}

static void test_required_families_pass(void **state)
{
    (void)state;
    results *res = run_all();
    char missing[2048] = "";
    size_t used = 0;
    if (getenv("LOOKOUT_ONNX_CASE"))
        skip();  /* a restricted run does not see every family */
    printf("required families (passed / claimed / found):\n");
    for (size_t f = 0; f < sizeof required / sizeof *required; f++) {
        int found = 0, claimed = 0, passed = 0;
        for (int i = 0; i < res->n; i++) {
            if (!in_family(&required[f], res->r[i].name))
                continue;
            found++;
            claimed += res->r[i].kind == PASSED || res->r[i].kind == FAILED;
            passed += res->r[i].kind == PASSED;
        }
        printf("  %-26s %3d / %3d / %3d%s\n", required[f].label, passed, claimed, found,
               passed ? "" : "   <-- MISSING");
        if (passed)
            continue;
        used += (size_t)snprintf(missing + used, used < sizeof missing ? sizeof missing - used : 0,
                                 "%s%s", used ? ", " : "", required[f].label);
        for (int i = 0; i < res->n; i++)
            if (in_family(&required[f], res->r[i].name))
                printf("      %s: %s %s\n", res->r[i].name, outcome_names[res->r[i].kind],
                       res->r[i].detail);
    }
    if (used)
        fail_msg("required families with no passing case: %s", missing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claimed_cases_pass),
        cmocka_unit_test(test_required_families_pass),
    };
    return cmocka_run_group_tests_name("onnx_backend", tests, NULL, NULL);
}
