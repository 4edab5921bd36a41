#version 450
// layernorm: each of `rows` contiguous rows of `len` elements is
// normalised, (x - mean) / sqrt(var + EPS), then scaled and shifted
// elementwise. T invocations share a row, WG / T rows per workgroup,
// grid-stride over row groups. Mean and variance come from sums of x - x0
// and (x - x0)², x0 the row's first element (a shift that keeps the
// one-pass variance accurate), merged in shared memory.
//
// Scale and Bias are indexed by the position in the row, or through an
// index table when they broadcast over the normalised dims.
#include "common.glsl"

layout(local_size_x_id = 0) in;                 // WG
layout(constant_id = 1) const uint T = 1;       // invocations per row, a power of two
layout(constant_id = 2) const bool HAS_BIAS = false;
layout(constant_id = 3) const bool SCALE_IDX = false; // scale read through scale_idx
layout(constant_id = 4) const bool BIAS_IDX = false;
layout(constant_id = 5) const float EPS = 1e-5;

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) readonly buffer Scale { SFLOAT scale[]; };
layout(std430, binding = 2) readonly buffer Bias { SFLOAT bias[]; };
layout(std430, binding = 3) readonly buffer ScaleIdx { int scale_idx[]; };
layout(std430, binding = 4) readonly buffer BiasIdx { int bias_idx[]; };
layout(std430, binding = 5) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant) uniform Push { uint rows; uint len; };

const uint WG = gl_WorkGroupSize.x;
const uint R = WG / T;                          // rows per workgroup

shared float part_1[WG];
shared float part_2[WG];

void main()
{
    uint lid = gl_LocalInvocationID.x;
    uint t = lid % T, r = lid / T;
    uint groups = (rows + R - 1) / R;
    for (uint g = gl_WorkGroupID.x; g < groups; g += gl_NumWorkGroups.x) {
        uint row = g * R + r;
        uint n = row < rows ? len : 0;          // masked rows walk nothing
        uint base = min(row, rows - 1) * len;

        float x0 = float(x[base]);
        float s1 = 0.0, s2 = 0.0;
        for (uint i = t; i < n; i += T) {
            float d = float(x[base + i]) - x0;
            s1 += d;
            s2 += d * d;
        }
        if (T > 1) {
            part_1[lid] = s1;
            part_2[lid] = s2;
            for (uint h = T / 2; h > 0; h /= 2) {
                barrier();
                if (t < h) {
                    s1 += part_1[lid + h];
                    s2 += part_2[lid + h];
                    part_1[lid] = s1;
                    part_2[lid] = s2;
                }
            }
            barrier();
            s1 = part_1[r * T];
            s2 = part_2[r * T];
            barrier();  // read before the next row group overwrites
        }
        float d1 = s1 / float(len);
        float mean = x0 + d1;
        float rstd = inversesqrt(max(s2 / float(len) - d1 * d1, 0.0) + EPS);
        for (uint i = t; i < n; i += T) {
            float v = (float(x[base + i]) - mean) * rstd * float(scale[SCALE_IDX ? uint(scale_idx[i]) : i]);
            if (HAS_BIAS)
                v += float(bias[BIAS_IDX ? uint(bias_idx[i]) : i]);
            y[base + i] = SFLOAT(v);
        }
    }
}
