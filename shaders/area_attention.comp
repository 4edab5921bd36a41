#version 450
// Area attention from the qkv projection X [B, 3·heads·D, tokens] to
// Y [B, heads·D, tokens] (see lk_area_attention_params), flash-attention
// style: a workgroup takes WG consecutive queries of one (batch, area,
// head), one query per invocation with q and the output row in registers.
// Keys and values stream through shared memory KT at a time; each
// invocation keeps a running max and sum of its softmax (rescaling the
// row when the max grows), so the tokens×tokens scores never exist.
// Grid-stride over (batch, head, area, query tile) groups.
#include "common.glsl"

layout(local_size_x_id = 0) in;                 // WG
layout(constant_id = 1) const uint KT = 32;     // keys per tile
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
const float LOWEST = -3.402823466e38;           // finite: exp(LOWEST - m) is 0, never NaN

shared float ks[KT * D];
shared float vs[KT * D];

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

        float q[D], acc[D];
        for (uint e = 0; e < D; e++) {
            q[e] = live ? float(x[qbase + e * tokens + i]) * SCALE : 0.0;
            acc[e] = 0.0;
        }
        float m = LOWEST, s = 0.0;
        for (uint k0 = 0; k0 < len; k0 += KT) {
            uint kt = min(KT, len - k0);
            barrier();                          // the previous tile is consumed
            for (uint t = lid; t < kt * D; t += WG) {
                uint e = t / kt, j = t % kt;    // neighbouring invocations, neighbouring keys
                ks[j * D + e] = float(x[kbase + e * tokens + k0 + j]);
                vs[j * D + e] = float(x[vbase + e * tokens + k0 + j]);
            }
            barrier();
            float sc[KT];
            float mt = m;
            for (uint j = 0; j < kt; j++) {
                float v = 0.0;
                for (uint e = 0; e < D; e++)
                    v += q[e] * ks[j * D + e];
                sc[j] = v;
                mt = max(mt, v);
            }
            float r = exp(m - mt);
            s *= r;
            for (uint e = 0; e < D; e++)
                acc[e] *= r;
            for (uint j = 0; j < kt; j++) {
                float w = exp(sc[j] - mt);
                s += w;
                for (uint e = 0; e < D; e++)
                    acc[e] += w * vs[j * D + e];
            }
            m = mt;
        }
        if (live) {
            uint obase = (b * heads + head) * D * tokens + first + i;
            float inv = 1.0 / s;
            for (uint e = 0; e < D; e++)
                y[obase + e * tokens] = SFLOAT(acc[e] * inv);
        }
    }
}
