#version 450
// matmul / gemm: Y[z] = act(ALPHA · A[z]·B[z] + BETA · C), A [M,K], B [K,N],
// every operand addressed through strides so that transposes, broadcast
// batches and the host's M↔N swap (Yᵀ = Bᵀ·Aᵀ) need no data movement.
//
// Register blocking across a subgroup: a workgroup is one subgroup of S
// lanes and computes a (TM·S) × TN block. Lane l owns rows l, l+S, ...
// (TM of them) and all TN columns; per k it loads its TM values of A and
// one B value per S columns, and the B row is handed round the subgroup
// with subgroupShuffle (a register move), so every loaded value feeds TN
// (A) or TM·S (B) multiply-adds. On lavapipe, where each memory access is
// a per-lane scalar loop while arithmetic is 8-wide SIMD, this beats
// staging tiles in shared memory, which only adds a second per-lane access
// (a 64×64-tile, 4×4-per-invocation shared-memory kernel ran 1024³ at 2.5
// GFLOP/s there, this one at about 19); on GPUs it is the usual register
// tiling with shuffles. S is the device's subgroup size as reported; a
// driver that splits such a workgroup into smaller subgroups would need
// VK_EXT_subgroup_size_control's required size.
//
// Loads are clamped to the matrix and stores masked, so no branch depends
// on the lane inside the k loop; k runs in steps of 4 (vec4 loads where
// the host found the operand k-contiguous and aligned), then a scalar tail.
#include "common.glsl"
#include "activation.glsl"
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_EXT_control_flow_attributes : require

layout(local_size_x_id = 0) in;                 // S: the subgroup size
layout(constant_id = 1) const uint TM = 4;      // rows per lane
layout(constant_id = 2) const uint TN = 8;      // columns per workgroup
layout(constant_id = 3) const bool A_VEC = false; // A rows k-contiguous, 4-aligned
layout(constant_id = 4) const bool B_VEC = false; // B columns k-contiguous, 4-aligned
layout(constant_id = 5) const bool HAS_C = false;
layout(constant_id = 6) const float ALPHA = 1.0;
layout(constant_id = 7) const float BETA = 1.0;
layout(constant_id = 8) const uint ACT = 0;
layout(constant_id = 9) const float ACT_ALPHA = 0.0;
layout(constant_id = 10) const float ACT_BETA = 0.0;

const uint S = gl_WorkGroupSize.x;
const uint NB = (TN + S - 1) / S;               // B loads per lane per k

layout(std430, binding = 0) readonly buffer A { SFLOAT a[]; };
layout(std430, binding = 0) readonly buffer A4 { SVEC4 a4[]; };
layout(std430, binding = 1) readonly buffer B { SFLOAT b[]; };
layout(std430, binding = 1) readonly buffer B4 { SVEC4 b4[]; };
layout(std430, binding = 2) readonly buffer Batch { int batch_off[]; }; // (A, B) per z
layout(std430, binding = 3) readonly buffer C { SFLOAT c[]; };
layout(std430, binding = 4) writeonly buffer Y { SFLOAT y[]; };

layout(push_constant) uniform Push {
    uint M, N, K;
    uint a_sm, a_sk;      // A(m, k) = a[base + m·a_sm + k·a_sk]
    uint b_sk, b_sn;
    uint c_sm, c_sn;      // 0 on broadcast axes of C
    uint y_sm, y_sn, y_sz;
};

float acc[TM][TN];

// One k step: row values av (this lane's TM rows), bl[s] = B(k, column
// s·S + lane) of this workgroup's columns.
void step(float av[TM], float bl[NB])
{
    [[unroll]] for (uint j = 0; j < TN; j++) {
        float bv = subgroupShuffle(bl[j / S], j % S);
        [[unroll]] for (uint i = 0; i < TM; i++)
            acc[i][j] = fma(av[i], bv, acc[i][j]);
    }
}

void main()
{
    uint lane = gl_SubgroupInvocationID;
    uint z = gl_WorkGroupID.z;
    uint m0 = gl_WorkGroupID.y * TM * S + lane;
    uint n0 = gl_WorkGroupID.x * TN;

    uint ar[TM], bc[NB];
    [[unroll]] for (uint i = 0; i < TM; i++)
        ar[i] = uint(batch_off[2 * z]) + min(m0 + i * S, M - 1) * a_sm;
    [[unroll]] for (uint s = 0; s < NB; s++)
        bc[s] = uint(batch_off[2 * z + 1]) + min(n0 + s * S + lane, N - 1) * b_sn;
    [[unroll]] for (uint i = 0; i < TM; i++)
        [[unroll]] for (uint j = 0; j < TN; j++)
            acc[i][j] = 0.0;

    uint k = 0;
    for (; k + 4 <= K; k += 4) {
        vec4 av4[TM], bl4[NB];
        [[unroll]] for (uint i = 0; i < TM; i++) {
            uint o = ar[i] + k * a_sk;
            av4[i] = A_VEC ? vec4(a4[o / 4]) : vec4(float(a[o]), float(a[o + a_sk]),
                                                    float(a[o + 2 * a_sk]), float(a[o + 3 * a_sk]));
        }
        [[unroll]] for (uint s = 0; s < NB; s++) {
            uint o = bc[s] + k * b_sk;
            bl4[s] = B_VEC ? vec4(b4[o / 4]) : vec4(float(b[o]), float(b[o + b_sk]),
                                                    float(b[o + 2 * b_sk]), float(b[o + 3 * b_sk]));
        }
        [[unroll]] for (uint t = 0; t < 4; t++) {
            float av[TM], bl[NB];
            [[unroll]] for (uint i = 0; i < TM; i++)
                av[i] = av4[i][t];
            [[unroll]] for (uint s = 0; s < NB; s++)
                bl[s] = bl4[s][t];
            step(av, bl);
        }
    }
    for (; k < K; k++) {
        float av[TM], bl[NB];
        [[unroll]] for (uint i = 0; i < TM; i++)
            av[i] = float(a[ar[i] + k * a_sk]);
        [[unroll]] for (uint s = 0; s < NB; s++)
            bl[s] = float(b[bc[s] + k * b_sk]);
        step(av, bl);
    }

    [[unroll]] for (uint i = 0; i < TM; i++) {
        uint m = m0 + i * S;
        [[unroll]] for (uint j = 0; j < TN; j++) {
            uint n = n0 + j;
            if (m < M && n < N) {
                float v = ALPHA * acc[i][j];
                if (HAS_C)
                    v += BETA * float(c[m * c_sm + n * c_sn]);
                y[z * y_sz + m * y_sm + n * y_sn] = SFLOAT(lk_activation(ACT, v, ACT_ALPHA, ACT_BETA));
            }
        }
    }
}
