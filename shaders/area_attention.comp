#version 450
// Area attention from the qkv projection X [B, 3·heads·D, tokens] to
// Y [B, heads·D, tokens] (see lk_area_attention_params), flash-attention
// style: a workgroup takes WG consecutive queries of one (batch, area,
// head), one query per invocation with q and its output row in registers
// (vec4s, D padded to D4 of them). Keys and values stream through shared
// memory KT at a time; per key each invocation updates a running max and
// sum of its softmax, rescaling the output row when the max grows, so the
// tokens×tokens scores never exist.
//
// The per-key update (rather than a tile of scores) keeps every private
// array indexed only by unrolled loops over D4: lavapipe keeps such arrays
// in registers, while a dynamically indexed one goes to memory that each
// SIMD lane reads on its own (measured 10-20x slower).
// Grid-stride over (batch, head, area, query tile) groups.
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"

layout(local_size_x_id = 0) in;                 // WG
layout(constant_id = 1) const uint KT = 16;     // keys per tile
layout(constant_id = 2) const uint D = 32;      // head dim
layout(constant_id = 3) const float SCALE = 1.0;

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant) uniform Push {
    uint groups;     // batch · heads · areas · tiles
    uint tiles;      // query tiles per area
    uint areas;
    uint heads;
    uint len;        // tokens per area
};

const uint WG = gl_WorkGroupSize.x;
const uint D4 = (D + 3) / 4;
const float LOWEST = -3.402823466e38;           // finite: exp(LOWEST - m) is 0, never NaN

shared vec4 ks[KT * D4];                        // [key][e / 4], zero past D
shared vec4 vs[KT * D4];

void main()
{
    uint lid = gl_LocalInvocationID.x;
    uint tokens = len * areas;
    for (uint g = gl_WorkGroupID.x; g < groups; g += gl_NumWorkGroups.x) {
        uint tile = g % tiles, area = (g / tiles) % areas;
        uint head = (g / (tiles * areas)) % heads, b = g / (tiles * areas * heads);
        uint first = area * len;                // the area's first token
        uint qbase = (b * heads + head) * 3 * D * tokens + first;
        uint kbase = qbase + D * tokens, vbase = kbase + D * tokens;
        uint i = tile * WG + lid;               // query within the area
        bool live = i < len;

        vec4 q[D4], acc[D4];
        [[unroll]] for (uint e4 = 0; e4 < D4; e4++) {
            [[unroll]] for (uint c = 0; c < 4; c++) {
                uint e = e4 * 4 + c;
                q[e4][c] = live && e < D ? float(x[qbase + e * tokens + i]) * SCALE : 0.0;
            }
            acc[e4] = vec4(0.0);
        }
        float m = LOWEST, s = 0.0;
        for (uint k0 = 0; k0 < len; k0 += KT) {
            uint kt = min(KT, len - k0);
            barrier();                          // the previous tile is consumed
            for (uint t = lid; t < kt * D4 * 4; t += WG) {
                uint e = t / kt, j = t % kt;    // neighbouring invocations, neighbouring keys
                bool in_d = e < D;
                ks[j * D4 + e / 4][e % 4] = in_d ? float(x[kbase + e * tokens + k0 + j]) : 0.0;
                vs[j * D4 + e / 4][e % 4] = in_d ? float(x[vbase + e * tokens + k0 + j]) : 0.0;
            }
            barrier();
            for (uint j = 0; j < kt; j++) {
                float v = 0.0;
                [[unroll]] for (uint e4 = 0; e4 < D4; e4++)
                    v += dot(q[e4], ks[j * D4 + e4]);
                float mn = max(m, v);
                float r = exp(m - mn), w = exp(v - mn);
                s = s * r + w;
                [[unroll]] for (uint e4 = 0; e4 < D4; e4++)
                    acc[e4] = acc[e4] * r + w * vs[j * D4 + e4];
                m = mn;
            }
        }
        if (live) {
            uint obase = (b * heads + head) * D * tokens + first + i;
            float inv = 1.0 / s;
            [[unroll]] for (uint e4 = 0; e4 < D4; e4++)
                [[unroll]] for (uint c = 0; c < 4; c++)
                    if (e4 * 4 + c < D)
                        y[obase + (e4 * 4 + c) * tokens] = SFLOAT(acc[e4][c] * inv);
        }
    }
}
