#version 450
// pad: one invocation per output element. The output is seen as 8 axes
// (D0 outermost .. D7 innermost; unused ones are 1 and skipped); for each
// axis the host table maps the output coordinate to its source offset
// (coordinate times input stride), or -1 for the pad value. Axis K's
// entries follow those of axes 0..K-1. Axes the host folded away add the
// constant `base`.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(constant_id = 0) const uint D0 = 1;
layout(constant_id = 1) const uint D1 = 1;
layout(constant_id = 2) const uint D2 = 1;
layout(constant_id = 3) const uint D3 = 1;
layout(constant_id = 4) const uint D4 = 1;
layout(constant_id = 5) const uint D5 = 1;
layout(constant_id = 6) const uint D6 = 1;
layout(constant_id = 7) const uint D7 = 1;

// Start of each axis's entries (unused axes have none).
const uint T0 = 0u;
const uint T1 = T0 + (D0 == 1u ? 0u : D0);
const uint T2 = T1 + (D1 == 1u ? 0u : D1);
const uint T3 = T2 + (D2 == 1u ? 0u : D2);
const uint T4 = T3 + (D3 == 1u ? 0u : D3);
const uint T5 = T4 + (D4 == 1u ? 0u : D4);
const uint T6 = T5 + (D5 == 1u ? 0u : D5);
const uint T7 = T6 + (D6 == 1u ? 0u : D6);

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) writeonly buffer Y { SFLOAT y[]; };
layout(std430, binding = 2) readonly buffer T { int map[]; };

layout(push_constant) uniform Push { uint n; float value; int base; };

// Peels the coordinate on axis K off r and adds its source offset.
#define AXIS(DK, TK) if (DK != 1u) { uint q = r / DK; int s = map[TK + (r - q * DK)]; \
                                     pad = pad || s < 0; src += s; r = q; }

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += step) {
        uint r = i;
        int src = base;
        bool pad = false;
        AXIS(D7, T7) AXIS(D6, T6) AXIS(D5, T5) AXIS(D4, T4)
        AXIS(D3, T3) AXIS(D2, T2) AXIS(D1, T1) AXIS(D0, T0)
        y[i] = SFLOAT(pad ? value : float(x[src]));  // select in fp32: fp16 storage only
    }
}
