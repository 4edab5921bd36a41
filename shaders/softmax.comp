#version 450
// softmax along one axis of a tensor seen as [outer, len, inner]: each of
// the outer·inner rows holds len elements `inner` apart. T invocations
// share a row (the host picks T, see lk_row_threads: 1 for short rows or
// when rows are plentiful; then neighbouring rows are neighbouring memory
// if the axis is not the last), WG / T rows per workgroup, grid-stride
// over row groups.
//
// Pass 1 keeps a running (max, sum of exp(x - max)) per invocation and
// merges the T partials in shared memory; pass 2 writes exp(x - max) / sum.
#include "common.glsl"

layout(local_size_x_id = 0) in;                 // WG
layout(constant_id = 1) const uint T = 1;       // invocations per row, a power of two

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant) uniform Push { uint rows; uint len; uint inner; };

const uint WG = gl_WorkGroupSize.x;
const uint R = WG / T;                          // rows per workgroup
const float LOWEST = -3.402823466e38;           // finite, so empty partials merge to sum 0

shared float part_m[WG];
shared float part_s[WG];

void main()
{
    uint lid = gl_LocalInvocationID.x;
    uint t = lid % T, r = lid / T;
    uint groups = (rows + R - 1) / R;
    for (uint g = gl_WorkGroupID.x; g < groups; g += gl_NumWorkGroups.x) {
        uint row = g * R + r;
        uint n = row < rows ? len : 0;          // masked rows walk nothing
        uint base = (row / inner) * len * inner + row % inner;

        float m = LOWEST, s = 0.0;
        for (uint i = t; i < n; i += T) {
            float v = float(x[base + i * inner]);
            float mn = max(m, v);
            s = s * exp(m - mn) + exp(v - mn);
            m = mn;
        }
        if (T > 1) {
            part_m[lid] = m;
            part_s[lid] = s;
            for (uint h = T / 2; h > 0; h /= 2) {
                barrier();
                if (t < h) {
                    float m2 = part_m[lid + h], mn = max(m, m2);
                    s = s * exp(m - mn) + part_s[lid + h] * exp(m2 - mn);
                    m = mn;
                    part_m[lid] = m;
                    part_s[lid] = s;
                }
            }
            barrier();
            m = part_m[r * T];
            s = part_s[r * T];
            barrier();  // read before the next row group overwrites
        }
        float inv = 1.0 / s;
        for (uint i = t; i < n; i += T) {
            uint o = base + i * inner;
            y[o] = SFLOAT(exp(float(x[o]) - m) * inv);
        }
    }
}
