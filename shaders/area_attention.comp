#version 450
// Area attention from the qkv projection X [B, 3·heads·D, tokens] to
// Y [B, heads·D, tokens] (see lk_area_attention_params), flash-attention
// style: a workgroup is one subgroup of S lanes and takes S consecutive
// queries of one (batch, area, head), one per lane, with q and the output
// row in registers (vec4s, D padded to D4 of them). Keys go S at a time:
// lane l loads key l's k and v, and every lane takes each of the S keys
// from its owner with subgroupShuffle (a register move); per key a lane
// updates the running max and sum of its softmax, rescaling its output
// row when the max grows, so the tokens×tokens scores never exist.
//
// As in matmul.comp: on lavapipe every memory access (shared memory too)
// is a per-lane scalar loop while arithmetic is 8-wide SIMD, so values
// are loaded once and handed round by shuffles; private arrays are only
// indexed by unrolled loops, so they stay in registers (a dynamically
// indexed one goes to per-lane memory, 10-20x slower there). Measured on
// lavapipe for YOLOv12-N's P4 block: shared-memory k/v tiles 110-220 ms,
// this 10x less. Grid-stride over (batch, head, area, query tile) groups.
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#include "common.glsl"

layout(local_size_x_id = 0) in;                 // S: the subgroup size
layout(constant_id = 1) const uint D = 32;      // head dim
layout(constant_id = 2) const float SCALE = 1.0;

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant) uniform Push {
    uint groups;     // batch · heads · areas · tiles
    uint tiles;      // query tiles per area
    uint areas;
    uint heads;
    uint len;        // tokens per area
};

const uint S = gl_WorkGroupSize.x;
const uint D4 = (D + 3) / 4;
const float LOWEST = -3.402823466e38;           // finite: exp(LOWEST - m) is 0, never NaN

// Element e of the D-vector at base with stride tokens, 0 past D.
vec4 load4(uint base, uint tokens, uint e4)
{
    vec4 r = vec4(0.0);
    [[unroll]] for (uint c = 0; c < 4; c++)
        if (e4 * 4 + c < D)
            r[c] = float(x[base + (e4 * 4 + c) * tokens]);
    return r;
}

void main()
{
    uint lane = gl_SubgroupInvocationID;
    uint tokens = len * areas;
    for (uint g = gl_WorkGroupID.x; g < groups; g += gl_NumWorkGroups.x) {
        uint tile = g % tiles, area = (g / tiles) % areas;
        uint head = (g / (tiles * areas)) % heads, b = g / (tiles * areas * heads);
        uint first = area * len;                // the area's first token
        uint qbase = (b * heads + head) * 3 * D * tokens + first;
        uint kbase = qbase + D * tokens, vbase = kbase + D * tokens;
        uint i = tile * S + lane;               // query within the area
        uint iq = min(i, len - 1);              // lanes past the area read a real query

        vec4 q[D4], acc[D4];
        [[unroll]] for (uint e4 = 0; e4 < D4; e4++) {
            q[e4] = load4(qbase + iq, tokens, e4) * SCALE;
            acc[e4] = vec4(0.0);
        }
        float m = LOWEST, s = 0.0;
        for (uint k0 = 0; k0 < len; k0 += S) {
            uint jk = min(k0 + lane, len - 1);  // this lane's key
            vec4 kr[D4], vr[D4];
            [[unroll]] for (uint e4 = 0; e4 < D4; e4++) {
                kr[e4] = load4(kbase + jk, tokens, e4);
                vr[e4] = load4(vbase + jk, tokens, e4);
            }
            [[unroll]] for (uint j = 0; j < S; j++) {
                if (k0 + j < len) {             // uniform
                    float v = 0.0;
                    [[unroll]] for (uint e4 = 0; e4 < D4; e4++)
                        v += dot(q[e4], subgroupShuffle(kr[e4], j));
                    float mn = max(m, v);
                    float r = exp(m - mn), w = exp(v - mn);
                    s = s * r + w;
                    [[unroll]] for (uint e4 = 0; e4 < D4; e4++)
                        acc[e4] = acc[e4] * r + w * subgroupShuffle(vr[e4], j);
                    m = mn;
                }
            }
        }
        if (i < len) {
            uint obase = (b * heads + head) * D * tokens + first + i;
            float inv = 1.0 / s;
            [[unroll]] for (uint e4 = 0; e4 < D4; e4++)
                [[unroll]] for (uint c = 0; c < 4; c++)
                    if (e4 * 4 + c < D)
                        y[obase + (e4 * 4 + c) * tokens] = SFLOAT(acc[e4][c] * inv);
        }
    }
}
