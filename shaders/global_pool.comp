#version 450
// global_pool: each workgroup reduces whole planes of `size` contiguous
// elements (grid-stride over planes), a tree reduction in shared memory.
#include "common.glsl"

layout(local_size_x_id = 0) in;                 // 64, 128 or 256
layout(constant_id = 1) const uint KIND = 0;    // 0 max, 1 average

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant) uniform Push { uint planes; uint size; };

shared float part[gl_WorkGroupSize.x];

float combine(float a, float b) { return KIND == 0u ? max(a, b) : a + b; }

void main()
{
    uint lid = gl_LocalInvocationID.x;
    for (uint p = gl_WorkGroupID.x; p < planes; p += gl_NumWorkGroups.x) {
        uint base = p * size;
        float acc = KIND == 0u ? uintBitsToFloat(0xff800000u) : 0.0;
        for (uint i = lid; i < size; i += gl_WorkGroupSize.x)
            acc = combine(acc, float(x[base + i]));
        part[lid] = acc;
        barrier();
        for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1u) {
            if (lid < s)
                part[lid] = combine(part[lid], part[lid + s]);
            barrier();
        }
        if (lid == 0u)
            y[p] = SFLOAT(KIND == 0u ? part[0] : part[0] / float(size));
        barrier();  // part[0] is read before the next plane overwrites it
    }
}
