/* Op registry, parameter defaults and the dispatch-description helpers. */
#include <math.h>
#include <string.h>

#include "op.h"

static const lk_op_class *const classes[LK_OP_COUNT] = {
    [LK_OP_CONV2D] = &lk_op_conv2d,
    [LK_OP_CONV_TRANSPOSE2D] = &lk_op_conv_transpose2d,
    [LK_OP_POOL2D] = &lk_op_pool2d,
    [LK_OP_GLOBAL_POOL] = &lk_op_global_pool,
    [LK_OP_UNARY] = &lk_op_unary,
    [LK_OP_BINARY] = &lk_op_binary,
    [LK_OP_CONCAT] = &lk_op_concat,
    [LK_OP_SPLIT] = &lk_op_split,
    [LK_OP_SLICE] = &lk_op_slice,
    [LK_OP_GATHER] = &lk_op_gather,
    [LK_OP_TRANSPOSE] = &lk_op_transpose,
    [LK_OP_RESHAPE] = &lk_op_reshape,
    [LK_OP_RESIZE] = &lk_op_resize,
    [LK_OP_MATMUL] = &lk_op_matmul,
    [LK_OP_GEMM] = &lk_op_gemm,
    [LK_OP_SOFTMAX] = &lk_op_softmax,
    [LK_OP_LAYERNORM] = &lk_op_layernorm,
    [LK_OP_BATCHNORM] = &lk_op_batchnorm,
    [LK_OP_PAD] = &lk_op_pad,
    [LK_OP_YOLO_DECODE] = &lk_op_yolo_decode,
    [LK_OP_NMS] = &lk_op_nms,
    [LK_OP_AREA_ATTENTION] = &lk_op_area_attention,
    [LK_OP_PREPROCESS] = &lk_op_preprocess,
};

const lk_op_class *lk_op_class_get(lk_op op)
{
    return (unsigned)op < LK_OP_COUNT ? classes[op] : NULL;
}

const char *lk_op_name(lk_op op)
{
    const lk_op_class *c = lk_op_class_get(op);
    return c ? c->name : "unknown";
}

const char *lk_act_name(lk_act a)
{
    static const char *const names[LK_ACT_COUNT] = {
        "none", "relu", "leaky_relu", "silu", "sigmoid", "tanh",
        "hardswish", "hardsigmoid", "gelu", "mish", "clip",
    };
    return (unsigned)a < LK_ACT_COUNT ? names[a] : "unknown";
}

void lk_params_init(lk_op op, lk_params *p)
{
    memset(p, 0, sizeof *p);
    switch (op) {
    case LK_OP_CONV2D:
        p->conv2d.kernel[0] = p->conv2d.kernel[1] = 1;
        p->conv2d.stride[0] = p->conv2d.stride[1] = 1;
        p->conv2d.dilation[0] = p->conv2d.dilation[1] = 1;
        p->conv2d.groups = 1;
        break;
    case LK_OP_CONV_TRANSPOSE2D:
        p->conv_transpose2d.kernel[0] = p->conv_transpose2d.kernel[1] = 1;
        p->conv_transpose2d.stride[0] = p->conv_transpose2d.stride[1] = 1;
        p->conv_transpose2d.dilation[0] = p->conv_transpose2d.dilation[1] = 1;
        p->conv_transpose2d.groups = 1;
        break;
    case LK_OP_POOL2D:
        p->pool2d.kernel[0] = p->pool2d.kernel[1] = 1;
        p->pool2d.stride[0] = p->pool2d.stride[1] = 1;
        p->pool2d.dilation[0] = p->pool2d.dilation[1] = 1;
        break;
    case LK_OP_GEMM:
        p->gemm.alpha = p->gemm.beta = 1.0f;
        break;
    case LK_OP_SOFTMAX:
        p->axis.axis = -1;
        break;
    case LK_OP_LAYERNORM:
        p->norm.axis = -1;
        p->norm.epsilon = 1e-5f;
        break;
    case LK_OP_BATCHNORM:
        p->norm.axis = 1;
        p->norm.epsilon = 1e-5f;
        break;
    case LK_OP_SLICE:
        for (int i = 0; i < LK_MAX_DIMS; i++)
            p->slice.steps[i] = 1;
        break;
    case LK_OP_YOLO_DECODE:
        p->yolo_decode.scale_x_y = 1.0f;
        break;
    case LK_OP_NMS:
        p->nms.max_det = 100;
        p->nms.pre_nms_topk = 1000;
        break;
    case LK_OP_PREPROCESS:
        p->preprocess.scale = 1.0f;
        p->preprocess.std[0] = p->preprocess.std[1] = p->preprocess.std[2] = 1.0f;
        p->preprocess.pad = 114.0f;
        break;
    default:
        break;
    }
}

float lk_activation_apply(const lk_activation *a, float x)
{
    switch (a->kind) {
    case LK_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case LK_ACT_LEAKY_RELU: return x >= 0.0f ? x : a->alpha * x;
    case LK_ACT_SILU: return x / (1.0f + expf(-x));
    case LK_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case LK_ACT_TANH: return tanhf(x);
    case LK_ACT_HARDSWISH: return x * fminf(fmaxf(x / 6.0f + 0.5f, 0.0f), 1.0f);
    case LK_ACT_HARDSIGMOID: return fminf(fmaxf(a->alpha * x + a->beta, 0.0f), 1.0f);
    case LK_ACT_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case LK_ACT_MISH: return x * tanhf(log1pf(expf(x)));
    case LK_ACT_CLIP: return fminf(fmaxf(x, a->alpha), a->beta);
    default: return x;
    }
}

void lk_dispatch_init(lk_dispatch *d, lk_shader_id shader)
{
    memset(d, 0, sizeof *d);
    d->shader = shader;
    d->groups[0] = d->groups[1] = d->groups[2] = 1;
}

/* Overflowing the fixed arrays is a programming error in an op; the
 * backend rejects the dispatch (n_* beyond the limit) with a message. */
void lk_dispatch_spec(lk_dispatch *d, uint32_t v)
{
    if (d->n_spec < LK_MAX_SPEC)
        d->spec[d->n_spec] = v;
    d->n_spec++;
}

void lk_dispatch_specf(lk_dispatch *d, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    lk_dispatch_spec(d, u);
}

void lk_dispatch_push(lk_dispatch *d, uint32_t v)
{
    if (d->n_push < LK_MAX_PUSH_WORDS)
        d->push[d->n_push] = v;
    d->n_push++;
}

void lk_dispatch_pushf(lk_dispatch *d, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    lk_dispatch_push(d, u);
}

void lk_dispatch_bind(lk_dispatch *d, int ref)
{
    if (d->n_bind < LK_MAX_BINDINGS)
        d->bind[d->n_bind] = ref;
    d->n_bind++;
}

void lk_dispatch_grid(lk_dispatch *d, uint64_t groups)
{
    d->groups[0] = groups < LK_MAX_GROUPS ? (uint32_t)groups : LK_MAX_GROUPS;
}
