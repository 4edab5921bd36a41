#version 450
// conv2d. Default: implicit GEMM per group — rows are output channels,
// columns output pixels of the whole batch, K = C/groups·KH·KW walked one
// kernel row (c, ky) at a time, BR rows per pass staged through shared
// memory; each invocation accumulates RM channels x RN neighbouring pixels
// of an output row.
// -DDEPTHWISE: one input channel per group; a workgroup stages the input
// window of its output tile in shared memory, each invocation computes
// RY x RX neighbouring outputs.
//
// Both are built for SIMD execution, lavapipe included (there invocations
// are vector lanes and a load whose address varies by lane costs a loop
// over the lanes): every invocation of a workgroup works on the same
// output channels, so weights are read once per subgroup and handed round
// with shuffles, and input values loaded into registers serve every tap
// that needs them. Register blocks are fully unrolled, so their indices
// are constants. Padding is resolved while addressing the input, so
// borders cost a clamp and a select, never a branch.
#include "common.glsl"
#include "activation.glsl"

#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_shuffle : enable
#extension GL_EXT_control_flow_attributes : enable

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
// 18: workgroup size (x), then the variant's tiling constants.

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 0) readonly buffer X4 { SVEC4 x4[]; };   // the same, by fours
layout(std430, binding = 1) readonly buffer Wt { SFLOAT w[]; };
layout(std430, binding = 1) readonly buffer Wt4 { SVEC4 w4[]; };
layout(std430, binding = 2) readonly buffer B { SFLOAT bias[]; };
layout(std430, binding = 3) writeonly buffer Y { SFLOAT y[]; };
layout(std430, binding = 3) writeonly buffer Y4 { SVEC4 y4[]; };

// Maps padded coordinate i into [0, n); `inside` is false where constant
// padding applies. Reflect and circular pads are at most the input size
// (checked on the host), so one mirror or wrap suffices; the final clamp
// also covers taps of tile overhang past the last output.
int pad_coord(int i, int n, out bool inside)
{
    inside = uint(i) < uint(n);
    if (PAD_MODE == 1u) {
        i = abs(i);
        i = i >= n ? 2 * n - 2 - i : i;
    } else if (PAD_MODE == 3u) {
        i += i < 0 ? n : (i >= n ? -n : 0);
    }
    return clamp(i, 0, n - 1);
}

// Input element at padded coordinates (iy, ix) of the plane at `base`:
// every mode reads an in-bounds address, constant padding then swaps in
// PAD_VALUE.
float fetch(uint base, int iy, int ix)
{
    bool in_y, in_x;
    iy = pad_coord(iy, IH, in_y);
    ix = pad_coord(ix, IW, in_x);
    float v = float(x[base + uint(iy * IW + ix)]);
    return PAD_MODE != 0u || (in_y && in_x) ? v : PAD_VALUE;
}

#ifdef DEPTHWISE

// One-dimensional workgroups: lavapipe fills subgroups along x only.
layout(local_size_x_id = 18) in;
layout(constant_id = 19) const uint WG_X = 16;  // invocations along a row of the tile
layout(constant_id = 20) const uint SG = 8;     // subgroup lanes relied on (<= the device's)
layout(constant_id = 21) const uint RX = 4;     // outputs per invocation along a row
layout(constant_id = 22) const uint RY = 2;     // ... and along a column

const uint NT = gl_WorkGroupSize.x;
const uint TW = WG_X * RX;
const uint TH = NT / WG_X * RY;
const int WIN_W = int(TW - 1u) * SW + (KW - 1) * DW + 1;
const int WIN_H = int(TH - 1u) * SH + (KH - 1) * DH + 1;
// Window rows and columns one invocation reads.
const int ROWS = int(RY - 1u) * SH + (KH - 1) * DH + 1;
const int SEG = int(RX - 1u) * SW + (KW - 1) * DW + 1;
const uint TAPS = uint(KH * KW);
const uint WREADS = (TAPS + SG - 1u) / SG;
// Window rows are padded to whole fours, with slack for the last
// invocation's segment, so that with RX a multiple of 4 every segment
// starts on a four and is read by fours.
const int WIN_P = (WIN_W + 6) / 4 * 4;
const bool VEC = RX % 4u == 0u;
const int SEGV = VEC ? (SEG + 3) / 4 * 4 : SEG;

shared vec4 win[WIN_H * WIN_P / 4];

layout(push_constant) uniform Push {
    uint C;
    uint M;
    uint MULT;      // channel multiplier: output m reads input m / MULT
};

void main()
{
    uint plane = gl_WorkGroupID.z;              // b * M + m
    uint m = plane % M;
    uint xbase = (plane / M * C + m / MULT) * uint(IH * IW);
    uint ox0 = gl_WorkGroupID.x * TW, oy0 = gl_WorkGroupID.y * TH;
    int wy0 = int(oy0) * SH - PT, wx0 = int(ox0) * SW - PL;
    uint tid = gl_LocalInvocationIndex;

    for (uint e = tid; e < uint(WIN_H * WIN_P); e += NT)
        win[e / 4u][e % 4u] = fetch(xbase, wy0 + int(e / uint(WIN_P)), wx0 + int(e % uint(WIN_P)));

    // The plane's taps, shared by the whole workgroup: each lane loads a
    // few, shuffles give every lane all of them.
    uint lane = min(gl_SubgroupInvocationID, SG - 1u);
    float wl[WREADS];
    [[unroll]] for (uint n = 0; n < WREADS; n++)
        wl[n] = float(w[m * TAPS + min(n * SG + lane, TAPS - 1u)]);
    float wk[TAPS];
    [[unroll]] for (uint t = 0; t < TAPS; t++)
        wk[t] = subgroupShuffle(wl[t / SG], t % SG);
    barrier();

    uint ty = tid / WG_X, tx = tid % WG_X;
    float acc[RY * RX];
    [[unroll]] for (uint i = 0; i < RY * RX; i++)
        acc[i] = 0.0;
    // Each window row is read once and feeds every output row it reaches.
    [[unroll]] for (int r = 0; r < ROWS; r++) {
        int row = (int(ty * RY) * SH + r) * WIN_P + int(tx * RX) * SW;
        float seg[SEGV];
        if (VEC) {
            [[unroll]] for (int i = 0; i < SEGV; i += 4) {
                vec4 v = win[(row + i) / 4];
                [[unroll]] for (int e = 0; e < 4; e++)
                    seg[i + e] = v[e];
            }
        } else {
            [[unroll]] for (int i = 0; i < SEG; i++)
                seg[i] = win[(row + i) / 4][(row + i) % 4];
        }
        [[unroll]] for (uint ry = 0; ry < RY; ry++) {
            int d = r - int(ry) * SH;           // ky·DH; constant once unrolled
            if (d >= 0 && d % DH == 0 && d / DH < KH) {
                [[unroll]] for (int kx = 0; kx < KW; kx++) {
                    float wv = wk[(d / DH) * KW + kx];
                    [[unroll]] for (uint s = 0; s < RX; s++)
                        acc[ry * RX + s] += wv * seg[int(s) * SW + kx * DW];
                }
            }
        }
    }

    float bm = HAS_BIAS ? float(bias[m]) : 0.0;
    [[unroll]] for (uint ry = 0; ry < RY; ry++) {
        uint oy = oy0 + ty * RY + ry;
        uint ybase = (plane * OH + oy) * OW + ox0 + tx * RX;
        if (VEC && OW % 4u == 0u) {
            // Whole fours of a row: one store each.
            [[unroll]] for (uint s = 0; s < RX; s += 4u) {
                vec4 v;
                [[unroll]] for (uint e = 0; e < 4u; e++)
                    v[e] = lk_activation(ACT, acc[ry * RX + s + e] + bm, ALPHA, BETA);
                if (oy < OH && ox0 + tx * RX + s < OW)
                    y4[(ybase + s) / 4u] = SVEC4(v);
            }
        } else {
            [[unroll]] for (uint s = 0; s < RX; s++)
                if (oy < OH && ox0 + tx * RX + s < OW)
                    y[ybase + s] = SFLOAT(lk_activation(ACT, acc[ry * RX + s] + bm, ALPHA, BETA));
        }
    }
}

#else

layout(local_size_x_id = 18) in;
layout(constant_id = 19) const uint SG = 8;     // subgroup lanes relied on (<= the device's)
layout(constant_id = 20) const uint RM = 16;    // channels of the tile, a multiple of 4
layout(constant_id = 21) const uint RN = 4;     // neighbouring pixels of a row per invocation
layout(constant_id = 22) const uint BR = 4;     // kernel rows (c, ky) staged per pass
layout(constant_id = 23) const uint MODE = 0;   // the two flags below
// Rows are read by fours: no horizontal padding, stride 1, IW and RN
// multiples of 4 (so every row segment starts on a vec4).
const bool VEC = (MODE & 1u) != 0u;
// Weights repacked on the host as the tiles are staged, [group][channel
// block][pass][TAPS][RM], zero past the channels and K; otherwise they are
// read in their graph layout [M][K].
const bool PACKED = (MODE & 2u) != 0u;

const uint WG = gl_WorkGroupSize.x;
const uint Q = RM / 4;                          // vec4s of one weight tap across the tile
const uint TAPS = BR * uint(KW);                // weight taps per pass
const uint READS = TAPS * Q / SG;               // subgroup-wide vec4 reads per pass, whole
// Input columns one invocation reads per kernel row: its RN outputs
// share them, so a 3-wide kernel costs RN + 2 loads instead of 3·RN.
const int SEG1 = int(RN - 1u) * SW + (KW - 1) * DW + 1;
const int SEG = VEC ? (SEG1 + 3) / 4 * 4 : SEG1;

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

    // This tile's packed weights: (group, channel block) in whole passes.
    uint pbase = (g * ((MG + RM - 1u) / RM) + gl_WorkGroupID.y) * ((rows + BR - 1u) / BR) * TAPS * Q;
    for (uint r0 = 0; r0 < rows; r0 += BR) {
        // Stage the weights of BR kernel rows; taps past K and channels
        // past MG are zero.
        if (PACKED) {
            for (uint e = tid; e < TAPS * Q; e += WG)
                As[e] = vec4(w4[pbase + r0 / BR * TAPS * Q + e]);
        } else {
            for (uint e = tid; e < TAPS * RM; e += WG) {
                uint tap = e % TAPS, i = e / TAPS;  // taps fastest: coalesced weight reads
                bool ok = m0 + i < MG && r0 * uint(KW) + tap < K;
                float v = float(w[ok ? wbase + i * K + r0 * uint(KW) + tap : 0u]);
                As[tap * Q + i / 4u][i % 4u] = ok ? v : 0.0;
            }
        }
        barrier();
        vec4 wl[READS];
        [[unroll]] for (uint n = 0; n < READS; n++)
            wl[n] = As[n * SG + lane];
        float seg[BR * uint(SEG)];
        [[unroll]] for (uint rr = 0; rr < BR; rr++) {
            uint row = min(r0 + rr, rows - 1u);
            uint xrow = xb + row / uint(KH) * uint(IH * IW);
            int iy = iy0 + int(row % uint(KH)) * DH;
            if (VEC) {
                // Fours past the row's end only feed outputs past OW.
                bool in_y;
                uint r4 = (xrow + uint(pad_coord(iy, IH, in_y) * IW)) / 4u;
                [[unroll]] for (int s = 0; s < SEG; s += 4) {
                    vec4 v = vec4(x4[r4 + uint(min(ix0 + s, IW - 4)) / 4u]);
                    v = PAD_MODE != 0u || in_y ? v : vec4(PAD_VALUE);
                    [[unroll]] for (int e = 0; e < 4; e++)
                        seg[rr * uint(SEG) + uint(s + e)] = v[e];
                }
            } else {
                [[unroll]] for (int s = 0; s < SEG; s++)
                    seg[rr * uint(SEG) + uint(s)] = fetch(xrow, iy, ix0 + s);
            }
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

    // The write-back is a loop, not unrolled: unrolled it would be most of
    // the shader's code, and lavapipe compiles at first use.
    float res[RM * RN];
    [[unroll]] for (uint e = 0; e < RM * RN; e++)
        res[e] = acc[e];
    uint ybase = ((b * M + g * MG + m0) * OH + oy) * OW + ox0;
    [[dont_unroll]] for (uint i = 0; i < RM; i++) {
        uint m = g * MG + m0 + i;
        float bm = HAS_BIAS ? float(bias[min(m, M - 1u)]) : 0.0;
        bool row_ok = live && m0 + i < MG;
        if (VEC && OW % 4u == 0u) {
            // Whole fours of a row: one store each.
            [[unroll]] for (uint j = 0; j < RN; j += 4u) {
                vec4 v;
                [[unroll]] for (uint e = 0; e < 4u; e++)
                    v[e] = lk_activation(ACT, res[i * RN + j + e] + bm, ALPHA, BETA);
                if (row_ok && ox0 + j < OW)
                    y4[(ybase + i * OH * OW + j) / 4u] = SVEC4(v);
            }
        } else {
            [[unroll]] for (uint j = 0; j < RN; j++)
                if (row_ok && ox0 + j < OW)
                    y[ybase + i * OH * OW + j] =
                        SFLOAT(lk_activation(ACT, res[i * RN + j] + bm, ALPHA, BETA));
        }
    }
}

#endif
