#version 450
// conv2d. Default: implicit GEMM per group — rows are output channels,
// columns output pixels of the whole batch, K = C/groups·KH·KW walked in
// BK chunks staged through shared memory (weights and an im2col tile);
// each invocation accumulates an RM x RN register block.
// -DDEPTHWISE: one input channel per group; a workgroup stages the input
// window of a TH x TW output tile in shared memory, each invocation
// computes RX neighbouring outputs of a row.
// Padding is resolved while addressing the input, so borders cost a clamp
// and a select, never a branch.
#include "common.glsl"
#include "activation.glsl"

layout(constant_id = 0) const int IH = 1;
layout(constant_id = 1) const int IW = 1;
layout(constant_id = 2) const uint OH = 1;
layout(constant_id = 3) const uint OW = 1;
layout(constant_id = 4) const int KH = 1;
layout(constant_id = 5) const int SH = 1;
layout(constant_id = 6) const int DH = 1;
layout(constant_id = 7) const int PT = 0;
layout(constant_id = 8) const int KW = 1;
layout(constant_id = 9) const int SW = 1;
layout(constant_id = 10) const int DW = 1;
layout(constant_id = 11) const int PL = 0;
layout(constant_id = 12) const uint PAD_MODE = 0;   // lk_pad_mode
layout(constant_id = 13) const float PAD_VALUE = 0.0;
layout(constant_id = 14) const bool HAS_BIAS = false;
layout(constant_id = 15) const uint ACT = 0;
layout(constant_id = 16) const float ALPHA = 0.0;
layout(constant_id = 17) const float BETA = 0.0;

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) readonly buffer Wt { SFLOAT w[]; };
layout(std430, binding = 2) readonly buffer B { SFLOAT bias[]; };
layout(std430, binding = 3) writeonly buffer Y { SFLOAT y[]; };

// Input element at padded coordinates (iy, ix) of the plane at `base`.
// Every mode reads an in-bounds address; constant padding then swaps in
// PAD_VALUE. Reflect and circular pads are < size (checked on the host),
// so one mirror or wrap suffices.
float fetch(uint base, int iy, int ix)
{
    bool inside = uint(iy) < uint(IH) && uint(ix) < uint(IW);
    if (PAD_MODE == 1u) {
        iy = abs(iy);
        iy = iy >= IH ? 2 * IH - 2 - iy : iy;
        ix = abs(ix);
        ix = ix >= IW ? 2 * IW - 2 - ix : ix;
    } else if (PAD_MODE == 3u) {
        iy += iy < 0 ? IH : (iy >= IH ? -IH : 0);
        ix += ix < 0 ? IW : (ix >= IW ? -IW : 0);
    }
    // Taps past the last output (tile overhang) may lie beyond the pads.
    iy = clamp(iy, 0, IH - 1);
    ix = clamp(ix, 0, IW - 1);
    float v = float(x[base + uint(iy * IW + ix)]);
    return PAD_MODE != 0u || inside ? v : PAD_VALUE;
}

float epilogue(float acc, uint channel)
{
    if (HAS_BIAS)
        acc += float(bias[channel]);
    return lk_activation(ACT, acc, ALPHA, BETA);
}

#ifdef DEPTHWISE

layout(local_size_x_id = 18, local_size_y_id = 19) in;
layout(constant_id = 20) const uint RX = 4;     // outputs per invocation along a row
layout(constant_id = 21) const uint MULT = 1;   // channel multiplier: output m reads input m / MULT

const uint TW = gl_WorkGroupSize.x * RX;
const uint TH = gl_WorkGroupSize.y;
const uint NT = gl_WorkGroupSize.x * gl_WorkGroupSize.y;
const int WIN_W = int(TW - 1u) * SW + (KW - 1) * DW + 1;
const int WIN_H = int(TH - 1u) * SH + (KH - 1) * DH + 1;
const int SEG = int(RX - 1u) * SW + (KW - 1) * DW + 1;  // window columns one invocation reads per row

shared float win[WIN_H * WIN_W];
shared float wk[KH * KW];

layout(push_constant) uniform Push { uint C; uint M; };

void main()
{
    uint plane = gl_WorkGroupID.z;              // b * M + m
    uint m = plane % M;
    uint xbase = (plane / M * C + m / MULT) * uint(IH * IW);
    uint ox0 = gl_WorkGroupID.x * TW, oy0 = gl_WorkGroupID.y * TH;
    int wy0 = int(oy0) * SH - PT, wx0 = int(ox0) * SW - PL;
    uint tid = gl_LocalInvocationIndex;

    for (uint e = tid; e < uint(WIN_H * WIN_W); e += NT)
        win[e] = fetch(xbase, wy0 + int(e / uint(WIN_W)), wx0 + int(e % uint(WIN_W)));
    for (uint e = tid; e < uint(KH * KW); e += NT)
        wk[e] = float(w[m * uint(KH * KW) + e]);
    barrier();

    uint ty = gl_LocalInvocationID.y, tx = gl_LocalInvocationID.x;
    float acc[RX];
    for (uint s = 0; s < RX; s++)
        acc[s] = 0.0;
    for (int ky = 0; ky < KH; ky++) {
        // The row segment goes to registers once, then serves all taps.
        int row = (int(ty) * SH + ky * DH) * WIN_W + int(tx * RX) * SW;
        float seg[SEG];
        for (int i = 0; i < SEG; i++)
            seg[i] = win[row + i];
        for (int kx = 0; kx < KW; kx++) {
            float wv = wk[ky * KW + kx];
            for (uint s = 0; s < RX; s++)
                acc[s] += wv * seg[int(s) * SW + kx * DW];
        }
    }

    uint oy = oy0 + ty;
    for (uint s = 0; s < RX; s++) {
        uint ox = ox0 + tx * RX + s;
        if (oy < OH && ox < OW)
            y[(plane * OH + oy) * OW + ox] = SFLOAT(epilogue(acc[s], m));
    }
}

#else

#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_shuffle : enable
#extension GL_EXT_control_flow_attributes : enable

layout(local_size_x_id = 18) in;
layout(constant_id = 19) const uint SG = 8;     // subgroup lanes relied on (<= the device's)
layout(constant_id = 20) const uint RM = 16;    // channels of the tile, a multiple of 4
layout(constant_id = 21) const uint RN = 4;     // neighbouring pixels of a row per invocation
layout(constant_id = 22) const uint BR = 4;     // kernel rows (c, ky) staged per pass

const uint WG = gl_WorkGroupSize.x;
const uint Q = RM / 4;                          // vec4s of one weight tap across the tile
const uint TAPS = BR * uint(KW);                // weight taps per pass
const uint READS = TAPS * Q / SG;               // subgroup-wide vec4 reads per pass
// Input columns one invocation reads per kernel row: its RN outputs
// share them, so a 3-wide kernel costs RN + 2 loads instead of 3·RN.
const int SEG = int(RN - 1u) * SW + (KW - 1) * DW + 1;

shared vec4 As[TAPS * Q];                       // weight tile, [row][kx][channel / 4]

layout(push_constant) uniform Push {
    uint CG;        // input channels per group
    uint MG;        // output channels per group
    uint BLOCKS;    // row blocks of RN pixels in the batch, N·OH·ceil(OW / RN)
    uint C;
    uint M;
};

void main()
{
    const uint NB = (OW + RN - 1u) / RN;        // row blocks per output row
    uint tid = gl_LocalInvocationID.x;
    uint lane = min(gl_SubgroupInvocationID, SG - 1u);
    uint g = gl_WorkGroupID.z;
    uint m0 = gl_WorkGroupID.y * RM;
    uint q = gl_WorkGroupID.x * WG + tid;
    bool live = q < BLOCKS;
    q = min(q, BLOCKS - 1u);
    uint ox0 = q % NB * RN, t = q / NB, oy = t % OH, b = t / OH;
    uint xb = (b * C + g * CG) * uint(IH * IW);
    int iy0 = int(oy) * SH - PT, ix0 = int(ox0) * SW - PL;
    uint rows = CG * uint(KH);
    uint K = rows * uint(KW);
    uint wbase = (g * MG + m0) * K;

    float acc[RM * RN];
    [[unroll]] for (uint i = 0; i < RM * RN; i++)
        acc[i] = 0.0;

    for (uint r0 = 0; r0 < rows; r0 += BR) {
        for (uint e = tid; e < TAPS * RM; e += WG) {
            uint tap = e % TAPS, i = e / TAPS;  // taps fastest: coalesced weight reads
            bool ok = m0 + i < MG && r0 * uint(KW) + tap < K;
            float v = float(w[ok ? wbase + i * K + r0 * uint(KW) + tap : 0u]);
            As[tap * Q + i / 4u][i % 4u] = ok ? v : 0.0;
        }
        barrier();
        // Every invocation needs the same weights: each lane reads vec4s,
        // shuffles hand them round.
        vec4 wl[READS];
        [[unroll]] for (uint n = 0; n < READS; n++)
            wl[n] = As[n * SG + lane];
        float seg[BR * uint(SEG)];
        [[unroll]] for (uint rr = 0; rr < BR; rr++) {
            uint row = min(r0 + rr, rows - 1u);
            uint xrow = xb + row / uint(KH) * uint(IH * IW);
            int iy = iy0 + int(row % uint(KH)) * DH;
            [[unroll]] for (int s = 0; s < SEG; s++)
                seg[rr * uint(SEG) + uint(s)] = fetch(xrow, iy, ix0 + s);
        }
        // Channel by channel, so one channel's accumulators stay in
        // registers across all taps of the pass.
        [[unroll]] for (uint i = 0; i < RM; i++) {
            [[unroll]] for (uint rr = 0; rr < BR; rr++) {
                [[unroll]] for (int kx = 0; kx < KW; kx++) {
                    uint v = (rr * uint(KW) + uint(kx)) * Q + i / 4u;
                    float a = subgroupShuffle(wl[v / SG][i % 4u], v % SG);
                    [[unroll]] for (uint j = 0; j < RN; j++)
                        acc[i * RN + j] += a * seg[rr * uint(SEG) + j * uint(SW) + uint(kx * DW)];
                }
            }
        }
        barrier();
    }

    uint ybase = ((b * M + g * MG + m0) * OH + oy) * OW + ox0;
    [[unroll]] for (uint i = 0; i < RM; i++)
        [[unroll]] for (uint j = 0; j < RN; j++)
            if (live && m0 + i < MG && ox0 + j < OW)
                y[ybase + i * OH * OW + j] = SFLOAT(epilogue(acc[i * RN + j], g * MG + m0 + i));
}

#endif
