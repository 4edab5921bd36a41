#version 450
// Net inputs and outputs: fp32 staging ↔ storage type (a copy at fp32,
// a conversion under -DFP16). Grid-stride loop: any count fits.
#include "common.glsl"
layout(local_size_x = 256) in;

#ifdef TO_STORAGE
layout(std430, binding = 0) readonly buffer Src { float src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SFLOAT dst[]; };
#else
layout(std430, binding = 0) readonly buffer Src { SFLOAT src[]; };
layout(std430, binding = 1) writeonly buffer Dst { float dst[]; };
#endif
layout(push_constant) uniform Push { uint count; } p;

void main()
{
    uint stride = gl_NumWorkGroups.x * 256u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
#ifdef TO_STORAGE
        dst[i] = SFLOAT(src[i]);
#else
        dst[i] = float(src[i]);
#endif
    }
}
