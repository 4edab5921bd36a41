#version 450
// conv_transpose2d (ONNX ConvTranspose), gathered per output phase.
//
// Output (oy, ox) collects x[c, iy, ix]·W[c, m, ky, kx] over the taps with
// oy = iy·SH - PT + ky·DH (and the same along x). Outputs of one phase
// (py, px) = (oy mod SH, ox mod SW) share their contributing taps: ky runs
// through KY0 + u·STY, u < NVY, reading input row jy + OY0 - u·DYS for
// output row oy = py + SH·jy (jx, OX0, STX, DXS, NVX likewise along x).
// So each phase is a plain stride-1 correlation with a sub-kernel; a
// workgroup covers one phase, invocations RM channels x RN neighbouring
// outputs of the phase, as in conv2d's GEMM kernel: input row segments in
// registers serve every tap along x, the weights (the same for every
// invocation) are read once per subgroup and handed round with shuffles.
#include "common.glsl"
#include "activation.glsl"

#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_shuffle : enable
#extension GL_EXT_control_flow_attributes : enable

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint SG = 8;      // subgroup lanes relied on (<= the device's)
layout(constant_id = 2) const uint RM = 16;     // output channels per invocation
layout(constant_id = 3) const uint RN = 4;      // neighbouring outputs of a phase row
layout(constant_id = 4) const int IH = 1;
layout(constant_id = 5) const int IW = 1;
layout(constant_id = 6) const uint OH = 1;
layout(constant_id = 7) const uint OW = 1;
layout(constant_id = 8) const int KH = 1;
layout(constant_id = 9) const int SH = 1;
layout(constant_id = 10) const int DH = 1;
layout(constant_id = 11) const int PT = 0;
layout(constant_id = 12) const int KW = 1;
layout(constant_id = 13) const int SW = 1;
layout(constant_id = 14) const int DW = 1;
layout(constant_id = 15) const int PL = 0;
layout(constant_id = 16) const int STY = 1;     // SH / gcd(SH, DH): step between a phase's ky
layout(constant_id = 17) const int STX = 1;
layout(constant_id = 18) const bool HAS_BIAS = false;
layout(constant_id = 19) const uint ACT = 0;
layout(constant_id = 20) const float ALPHA = 0.0;
layout(constant_id = 21) const float BETA = 0.0;

const uint WG = gl_WorkGroupSize.x;
const int DYS = STY * DH / SH;                  // input rows between a phase's taps
const int DXS = STX * DW / SW;
const int NVXM = (KW + STX - 1) / STX;          // most taps along x of any phase
const uint NJX = (OW + uint(SW) - 1u) / uint(SW);   // most outputs in a phase row
const uint NB = (NJX + RN - 1u) / RN;           // row blocks of a phase row
const int SEG = int(RN) + (NVXM - 1) * DXS;     // input columns per kernel row
const uint WREADS = (RM * uint(NVXM) + SG - 1u) / SG;

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) readonly buffer Wt { SFLOAT w[]; };
layout(std430, binding = 2) readonly buffer B { SFLOAT bias[]; };
layout(std430, binding = 3) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant) uniform Push {
    uint CG;        // input channels per group
    uint MG;        // output channels per group
    uint BLOCKS;    // row blocks of a phase in the batch, N·ceil(OH / SH)·NB
    uint C;
    uint M;
};

// First tap k of a phase p along an axis, and how many there are (0 when
// none reaches it): k·D ≡ p + P (mod S). The offset keeps % operands
// non-negative.
void phase_taps(int p, int P, int K, int S, int D, int ST, out int k0, out int count)
{
    k0 = K;
    for (int k = ST - 1; k >= 0; k--)
        if ((p + P - k * D + S * K * D) % S == 0)
            k0 = k;
    count = k0 < K ? (K - k0 + ST - 1) / ST : 0;
}

void main()
{
    uint tid = gl_LocalInvocationID.x;
    uint lane = min(gl_SubgroupInvocationID, SG - 1u);
    uint z = gl_WorkGroupID.z;                  // (g·SH + py)·SW + px
    int px = int(z % uint(SW));
    z /= uint(SW);
    int py = int(z % uint(SH));
    uint g = z / uint(SH);
    uint m0 = gl_WorkGroupID.y * RM;
    uint q = gl_WorkGroupID.x * WG + tid;
    bool live = q < BLOCKS;
    q = min(q, BLOCKS - 1u);
    uint njy = (OH + uint(SH) - 1u) / uint(SH);
    uint jx0 = q % NB * RN, t = q / NB, jy = t % njy, b = t / njy;

    int ky0, nvy, kx0, nvx;
    phase_taps(py, PT, KH, SH, DH, STY, ky0, nvy);
    phase_taps(px, PL, KW, SW, DW, STX, kx0, nvx);
    // Input row and column of the first tap; exact divisions of values
    // made non-negative by the added multiple of the stride.
    int oy0 = (py + PT - ky0 * DH + SH * KH * DH) / SH - KH * DH;
    int ox0 = (px + PL - kx0 * DW + SW * KW * DW) / SW - KW * DW;
    int col0 = int(jx0) + ox0 - (NVXM - 1) * DXS;   // column of seg[0]

    float acc[RM * RN];
    [[unroll]] for (uint i = 0; i < RM * RN; i++)
        acc[i] = 0.0;
    for (uint c = 0; c < CG; c++) {
        uint xplane = (b * C + g * CG + c) * uint(IH * IW);
        uint wplane = ((g * CG + c) * MG + m0) * uint(KH * KW);
        for (int u = 0; u < nvy; u++) {
            int ky = ky0 + u * STY, iy = int(jy) + oy0 - u * DYS;
            bool row_in = uint(iy) < uint(IH);
            uint xrow = xplane + uint(clamp(iy, 0, IH - 1) * IW);
            float seg[SEG];
            [[unroll]] for (int s = 0; s < SEG; s++) {
                int ix = col0 + s;
                float v = float(x[xrow + uint(clamp(ix, 0, IW - 1))]);
                seg[s] = row_in && uint(ix) < uint(IW) ? v : 0.0;
            }
            // Weight f = i·NVXM + v of this kernel row, from lane f mod SG.
            float wl[WREADS];
            [[unroll]] for (uint n = 0; n < WREADS; n++) {
                uint f = n * SG + lane, i = f / uint(NVXM);
                int v = int(f % uint(NVXM));
                bool ok = i < RM && m0 + i < MG && v < nvx;
                uint idx = wplane + i * uint(KH * KW) + uint(ky * KW + kx0 + v * STX);
                float wv = float(w[ok ? idx : 0u]);
                wl[n] = ok ? wv : 0.0;
            }
            [[unroll]] for (uint i = 0; i < RM; i++) {
                [[unroll]] for (int v = 0; v < NVXM; v++) {
                    uint f = i * uint(NVXM) + uint(v);
                    float a = subgroupShuffle(wl[f / SG], f % SG);
                    [[unroll]] for (uint j = 0; j < RN; j++)
                        acc[i * RN + j] += a * seg[int(j) + (NVXM - 1 - v) * DXS];
                }
            }
        }
    }

    // The write-back is a loop, not unrolled: unrolled it would be most of
    // the shader's code, and lavapipe compiles at first use.
    float res[RM * RN];
    [[unroll]] for (uint e = 0; e < RM * RN; e++)
        res[e] = acc[e];
    uint oy = uint(py) + uint(SH) * jy;
    [[dont_unroll]] for (uint i = 0; i < RM; i++) {
        uint m = g * MG + m0 + i;
        float bm = HAS_BIAS ? float(bias[min(m, M - 1u)]) : 0.0;
        uint ybase = ((b * M + m) * OH + oy) * OW;
        [[unroll]] for (uint j = 0; j < RN; j++) {
            uint ox = uint(px) + uint(SW) * (jx0 + j);
            if (live && m0 + i < MG && oy < OH && ox < OW)
                y[ybase + ox] = SFLOAT(lk_activation(ACT, res[i * RN + j] + bm, ALPHA, BETA));
        }
    }
}
