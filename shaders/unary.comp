#version 450
// unary: y = activation(x), elementwise. Four elements per invocation
// through vec4 views of the same buffers; the last n % 4 go through the
// scalar views.
#include "common.glsl"
#include "activation.glsl"

layout(local_size_x = 256) in;

layout(constant_id = 0) const uint KIND = 0;
layout(constant_id = 1) const float ALPHA = 0.0;
layout(constant_id = 2) const float BETA = 0.0;

layout(std430, binding = 0) readonly buffer X4 { SVEC4 x4[]; };
layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) writeonly buffer Y4 { SVEC4 y4[]; };
layout(std430, binding = 1) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant) uniform Push { uint n; };

float act(float v) { return lk_activation(KIND, v, ALPHA, BETA); }

void main()
{
    uint n4 = n / 4u;
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n4; i += step) {
        vec4 v = vec4(x4[i]);
        y4[i] = SVEC4(vec4(act(v.x), act(v.y), act(v.z), act(v.w)));
    }
    uint t = n4 * 4u + gl_GlobalInvocationID.x;
    if (t < n)
        y[t] = SFLOAT(act(float(x[t])));
}
