#version 450
// Strided copy (concat, split, slice, transpose): for each coordinate c of
// the iteration space,
//   y[out_base + sum c_d*out_stride_d] = x[in_base + sum c_d*in_stride_d].
// Invocations take consecutive flat indices so neighbouring lanes write
// neighbouring outputs when the output side is contiguous; each handles
// ELEMS indices one workgroup apart. Values are copied in the storage type.
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int RANK = 1;      // dims after simplification
layout(constant_id = 2) const uint ELEMS = 4u;

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant, std430) uniform P {
    int size[8];
    int in_stride[8];
    int out_stride[8];
    int in_base;
    int out_base;
    uint total;
} p;

void main()
{
    uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    uint first = group * gl_WorkGroupSize.x * ELEMS + gl_LocalInvocationID.x;
    for (uint e = 0u; e < ELEMS; e++) {
        uint i = first + e * gl_WorkGroupSize.x;
        if (i >= p.total)
            return;
        int src = p.in_base, dst = p.out_base;
        uint rest = i;
        for (int d = RANK - 1; d > 0; d--) {
            uint n = uint(p.size[d]);
            int c = int(rest % n);
            rest /= n;
            src += c * p.in_stride[d];
            dst += c * p.out_stride[d];
        }
        src += int(rest) * p.in_stride[0];
        dst += int(rest) * p.out_stride[0];
        y[dst] = x[src];
    }
}
