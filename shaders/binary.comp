#version 450
// binary: y = a op b with broadcasting. The host collapses the broadcast
// to at most 8 axes (D0 outermost .. D7 innermost; unused axes are 1) and
// passes each input's stride per axis (0 where it repeats).
#include "common.glsl"

layout(local_size_x = 256) in;

layout(constant_id = 0) const uint OP = 0;   // lk_binary_kind
layout(constant_id = 1) const bool VEC = false; // one axis, strides 0 or 1
layout(constant_id = 2) const uint D0 = 1;
layout(constant_id = 3) const uint D1 = 1;
layout(constant_id = 4) const uint D2 = 1;
layout(constant_id = 5) const uint D3 = 1;
layout(constant_id = 6) const uint D4 = 1;
layout(constant_id = 7) const uint D5 = 1;
layout(constant_id = 8) const uint D6 = 1;
layout(constant_id = 9) const uint D7 = 1;

layout(std430, binding = 0) readonly buffer A4 { SVEC4 a4[]; };
layout(std430, binding = 0) readonly buffer A { SFLOAT a[]; };
layout(std430, binding = 1) readonly buffer B4 { SVEC4 b4[]; };
layout(std430, binding = 1) readonly buffer B { SFLOAT b[]; };
layout(std430, binding = 2) writeonly buffer Y4 { SVEC4 y4[]; };
layout(std430, binding = 2) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant) uniform Push {
    uint n;
    uint sa[8];
    uint sb[8];
};

// C powf semantics: GLSL pow() is undefined for x < 0 and for x = 0, y <= 0.
float pow_c(float x, float e)
{
    if (e == 0.0)
        return 1.0;
    if (x < 0.0 && fract(e) != 0.0)
        return uintBitsToFloat(0x7fc00000u);               // NaN
    float m = x == 0.0 ? (e > 0.0 ? 0.0 : uintBitsToFloat(0x7f800000u))
                       : pow(abs(x), e);
    bool odd = fract(e * 0.5) == 0.5;                       // e an odd integer
    bool neg = (floatBitsToUint(x) & 0x80000000u) != 0u;    // -0 included
    return neg && odd ? -m : m;
}

float op(float x, float z)
{
    switch (OP) {
    case 0u: return x + z;
    case 1u: return x - z;
    case 2u: return x * z;
    case 3u: return x / z;
    default: return pow_c(x, z);
    }
}

vec4 op4(vec4 x, vec4 z) { return vec4(op(x.x, z.x), op(x.y, z.y), op(x.z, z.z), op(x.w, z.w)); }

// Peels the coordinate on axis K (size DK) off r and adds its offsets.
#define AXIS(K, DK) { uint q = r / DK; uint c = r - q * DK; ia += c * sa[K]; ib += c * sb[K]; r = q; }

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    if (VEC) {
        uint n4 = n / 4u;
        bool va = sa[7] != 0u, vb = sb[7] != 0u;
        for (uint i = gl_GlobalInvocationID.x; i < n4; i += step) {
            vec4 x = va ? vec4(a4[i]) : vec4(float(a[0]));
            vec4 z = vb ? vec4(b4[i]) : vec4(float(b[0]));
            y4[i] = SVEC4(op4(x, z));
        }
        uint t = n4 * 4u + gl_GlobalInvocationID.x;
        if (t < n)
            y[t] = SFLOAT(op(float(a[va ? t : 0u]), float(b[vb ? t : 0u])));
        return;
    }
    for (uint i = gl_GlobalInvocationID.x; i < n; i += step) {
        uint r = i, ia = 0u, ib = 0u;
        AXIS(7, D7) AXIS(6, D6) AXIS(5, D5) AXIS(4, D4)
        AXIS(3, D3) AXIS(2, D2) AXIS(1, D1)
        ia += r * sa[0];
        ib += r * sb[0];
        y[i] = SFLOAT(op(float(a[ia]), float(b[ib])));
    }
}
