#version 450
// resize: one invocation per output element; source rows/columns and
// weights come from the host-built tap table (see engine/ops/resize.c).
#include "common.glsl"

layout(local_size_x = 256) in;

layout(constant_id = 0) const bool LINEAR = false;
layout(constant_id = 1) const uint IW = 1;
layout(constant_id = 2) const uint IPLANE = 1;  // IH * IW
layout(constant_id = 3) const uint OH = 1;
layout(constant_id = 4) const uint OW = 1;

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) writeonly buffer Y { SFLOAT y[]; };
// {i0, i1, float bits of the i1 weight} for each output row, then column.
layout(std430, binding = 2) readonly buffer T { int taps[]; };

layout(push_constant) uniform Push { uint n; };

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += step) {
        uint ox = i % OW;
        uint t = i / OW;
        uint oy = t % OH;
        uint base = (t / OH) * IPLANE;
        uint ry = 3u * oy, rx = 3u * (OH + ox);
        uint y0 = base + uint(taps[ry]) * IW;
        uint x0 = uint(taps[rx]);
        if (!LINEAR) {
            y[i] = x[y0 + x0];
            continue;
        }
        uint y1 = base + uint(taps[ry + 1u]) * IW;
        uint x1 = uint(taps[rx + 1u]);
        float wy = intBitsToFloat(taps[ry + 2u]), wx = intBitsToFloat(taps[rx + 2u]);
        float top = (1.0 - wx) * float(x[y0 + x0]) + wx * float(x[y0 + x1]);
        float bot = (1.0 - wx) * float(x[y1 + x0]) + wx * float(x[y1 + x1]);
        y[i] = SFLOAT((1.0 - wy) * top + wy * bot);
    }
}
