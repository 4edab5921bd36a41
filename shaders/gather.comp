#version 450
// Gather along one axis: with the data viewed as [outer, dim, inner] and
// the indices flattened to n entries (already wrapped to 0..dim-1),
//   y[(o*n + j)*inner + i] = x[(o*dim + idx[j])*inner + i].
// Each invocation handles ELEMS outputs one workgroup apart (coalesced).
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint ELEMS = 4u;

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) readonly buffer I { int idx[]; };
layout(std430, binding = 2) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant, std430) uniform P {
    uint total;
    uint n;       // number of indices
    uint inner;
    uint dim;     // size of the gathered axis
} p;

void main()
{
    uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    uint first = group * gl_WorkGroupSize.x * ELEMS + gl_LocalInvocationID.x;
    for (uint e = 0u; e < ELEMS; e++) {
        uint o = first + e * gl_WorkGroupSize.x;
        if (o >= p.total)
            return;
        uint i = o % p.inner;
        uint t = o / p.inner;
        uint j = t % p.n;
        uint outer = t / p.n;
        y[o] = x[(outer * p.dim + uint(idx[j])) * p.inner + i];
    }
}
