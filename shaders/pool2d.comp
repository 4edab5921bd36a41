#version 450
// pool2d: one invocation per output element of [N,C,OH,OW]; the whole
// geometry is specialised, so the window loops have constant bounds.
#include "common.glsl"

layout(local_size_x = 256) in;

layout(constant_id = 0) const uint KIND = 0;          // 0 max, 1 average
layout(constant_id = 1) const bool INCLUDE_PAD = false;
layout(constant_id = 2) const int KH = 1;
layout(constant_id = 3) const int SH = 1;
layout(constant_id = 4) const int DH = 1;
layout(constant_id = 5) const int PT = 0;             // pad top
layout(constant_id = 6) const int PB = 0;             // pad bottom
layout(constant_id = 7) const int H = 1;
layout(constant_id = 8) const int OH = 1;
layout(constant_id = 9) const int KW = 1;
layout(constant_id = 10) const int SW = 1;
layout(constant_id = 11) const int DW = 1;
layout(constant_id = 12) const int PL = 0;            // pad left
layout(constant_id = 13) const int PR = 0;            // pad right
layout(constant_id = 14) const int W = 1;
layout(constant_id = 15) const int OW = 1;

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant) uniform Push { uint n; };

void main()
{
    uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += step) {
        int ow = int(i % uint(OW));
        uint t = i / uint(OW);
        int oh = int(t % uint(OH));
        uint base = (t / uint(OH)) * uint(H * W);
        int h0 = oh * SH - PT, w0 = ow * SW - PL;

        float mx = uintBitsToFloat(0xff800000u);      // -inf
        float sum = 0.0;
        int inside = 0;
        for (int kh = 0; kh < KH; kh++) {
            int h = h0 + kh * DH;
            if (h < 0 || h >= H)
                continue;
            for (int kw = 0; kw < KW; kw++) {
                int w = w0 + kw * DW;
                if (w < 0 || w >= W)
                    continue;
                float v = float(x[base + uint(h * W + w)]);
                mx = max(mx, v);
                sum += v;
                inside++;
            }
        }
        float r = 0.0;
        if (inside > 0 && KIND == 0u) {
            r = mx;
        } else if (inside > 0) {
            int count = inside;
            if (INCLUDE_PAD) {
                // Taps inside the padded extent, per axis.
                int ch = 0, cw = 0;
                for (int kh = 0; kh < KH; kh++)
                    ch += int(h0 + kh * DH >= -PT && h0 + kh * DH < H + PB);
                for (int kw = 0; kw < KW; kw++)
                    cw += int(w0 + kw * DW >= -PL && w0 + kw * DW < W + PR);
                count = ch * cw;
            }
            r = sum / float(count);
        }
        y[i] = SFLOAT(r);
    }
}
