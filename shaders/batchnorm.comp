#version 450
// batchnorm (inference): y = (x - mean[c]) / sqrt(var[c] + EPS) · scale[c]
// + bias[c], c the channel of the element: (i / inner) % C. With constant
// parameters the host folds them into y = x · a[c] + b[c] (binding 1 then
// holds a[0..C) and b[0..C)). Grid-stride; vec4 when inner is a multiple
// of 4 (a vec4 never straddles channels). INNER and C are specialization
// constants so that the channel's division and modulo compile to
// multiply-shifts instead of a division per lane.
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const bool FOLDED = false;
layout(constant_id = 1) const bool VEC = false;
layout(constant_id = 2) const float EPS = 1e-5;
layout(constant_id = 3) const uint INNER = 1;
layout(constant_id = 4) const uint C = 1;

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 0) readonly buffer X4 { SVEC4 x4[]; };
layout(std430, binding = 1) readonly buffer Scale { SFLOAT scale[]; };
layout(std430, binding = 2) readonly buffer Bias { SFLOAT bias[]; };
layout(std430, binding = 3) readonly buffer Mean { SFLOAT mean[]; };
layout(std430, binding = 4) readonly buffer Var { SFLOAT var[]; };
layout(std430, binding = 5) writeonly buffer Y { SFLOAT y[]; };
layout(std430, binding = 5) writeonly buffer Y4 { SVEC4 y4[]; };

layout(push_constant) uniform Push { uint count; };

// y = x · a + b for channel c
vec2 affine(uint c)
{
    if (FOLDED)
        return vec2(float(scale[c]), float(scale[C + c]));
    float a = float(scale[c]) * inversesqrt(float(var[c]) + EPS);
    return vec2(a, float(bias[c]) - float(mean[c]) * a);
}

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (VEC) {
        for (uint i = gl_GlobalInvocationID.x; i < count / 4; i += step) {
            vec2 ab = affine((4 * i / INNER) % C);
            y4[i] = SVEC4(vec4(x4[i]) * ab.x + ab.y);
        }
        return;
    }
    for (uint i = gl_GlobalInvocationID.x; i < count; i += step) {
        vec2 ab = affine((i / INNER) % C);
        y[i] = SFLOAT(float(x[i]) * ab.x + ab.y);
    }
}
