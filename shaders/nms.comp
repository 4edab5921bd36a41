#version 450
// nms: greedy class-aware NMS in six dispatches, one -D stage each
// (engine/ops/nms.c records them in this order):
//   NMS_CLEAR    zero the candidate counter
//   NMS_COMPACT  append the rows with score > threshold (atomic counter)
//   NMS_TOPK     one workgroup: when M > TOPK, radix-selects the TOPK-th
//                largest score (4 passes of 8-bit digits over order-preserving
//                keys), then among rows at that score the lowest rows needed
//                (4 more passes), and keeps exactly those TOPK rows;
//                otherwise keeps all M
//   NMS_RANK     exact rank of each kept row by (score desc, row asc),
//                counted against every other kept one through shared-memory
//                tiles; the first K = min(M, TOPK) are copied in rank order
//   NMS_MASK     bit j of word (i, j / 32): box i suppresses box j > i
//   NMS_SELECT   one workgroup walks the mask 32 boxes at a time: one
//                invocation settles the block, all OR the kept rows into
//                the removed set (shared memory), then write the output
// Candidates, parameters, scratch and output are 32-bit at every precision.
// Suppression arithmetic is `precise` (no contraction) and avoids division,
// so it matches the C reference bit for bit.
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint N = 1;        // candidate rows
layout(constant_id = 2) const uint TOPK = 1;     // kept for NMS, <= N
layout(constant_id = 3) const uint WCAP = 1;     // mask words per row, ceil(TOPK / 32)
layout(constant_id = 4) const uint MAXDET = 1;   // output capacity
layout(constant_id = 5) const uint AGNOSTIC = 0;

const uint WG = gl_WorkGroupSize.x;
const uint STRIDE = 8;                           // sorted row: x1 y1 x2 y2 score class row -

#if defined(NMS_CLEAR)
layout(std430, binding = 0) writeonly buffer L { uint list[]; };

void main()
{
    if (gl_GlobalInvocationID.x == 0)
        list[0] = 0;
}

#elif defined(NMS_COMPACT)
layout(std430, binding = 0) readonly buffer C { float cand[]; };
layout(std430, binding = 1) readonly buffer P { float prm[]; };
layout(std430, binding = 2) buffer L { uint list[]; };   // [0] count, then rows

void main()
{
    float thr = prm[0];
    for (uint i = gl_GlobalInvocationID.x; i < N; i += gl_NumWorkGroups.x * WG)
        if (cand[i * 6 + 4] > thr)
            list[1 + atomicAdd(list[0], 1)] = i;
}

#elif defined(NMS_TOPK)
layout(std430, binding = 0) readonly buffer C { float cand[]; };
layout(std430, binding = 1) readonly buffer L { uint list[]; };
layout(std430, binding = 2) buffer T { uint top[]; };    // [0] count, then rows

shared uint hist[256];
shared uint prefix, digit_mask, remaining, n_top;

// Unsigned key in the order of the float (no NaN here), -0 as +0.
uint key_of(float s)
{
    uint u = floatBitsToUint(s);
    u = u == 0x80000000u ? 0u : u;
    return (u & 0x80000000u) != 0 ? ~u : u | 0x80000000u;
}

// One 8-bit radix step over the values v (pass 0..7: keys, then rows at
// key == cut) matching the prefix so far: picks the digit holding the
// remaining-th value, largest first for keys, smallest first for rows.
void radix_step(uint pass, uint m, uint cut)
{
    uint lid = gl_LocalInvocationID.x, shift = 24 - 8 * (pass % 4);
    for (uint b = lid; b < 256; b += WG)
        hist[b] = 0;
    barrier();
    uint pre = prefix, msk = digit_mask;
    for (uint e = lid; e < m; e += WG) {
        uint row = list[1 + e], key = key_of(cand[row * 6 + 4]);
        uint v = pass < 4 ? key : row;
        if ((pass < 4 || key == cut) && (v & msk) == pre)
            atomicAdd(hist[(v >> shift) & 255u], 1);
    }
    barrier();
    if (gl_LocalInvocationID.x == 0) {
        uint acc = 0, b = pass < 4 ? 255 : 0;
        while (acc + hist[b] < remaining) {
            acc += hist[b];
            b = pass < 4 ? b - 1 : b + 1;
        }
        remaining -= acc;
        prefix = pre | (b << shift);
        digit_mask = msk | (255u << shift);
    }
    barrier();
}

void main()
{
    // clamped: a counter that is not what COMPACT wrote must not hang the GPU
    uint lid = gl_LocalInvocationID.x, m = min(list[0], N), cut = 0, row_cut = 0xffffffffu;
    if (lid == 0) {
        prefix = 0;
        digit_mask = 0;
        remaining = TOPK;
        n_top = 0;
    }
    barrier();
    if (m > TOPK) {
        // the TOPK-th largest key, then among rows with that key the
        // lowest ones still needed, so exactly TOPK rows stay
        for (uint pass = 0; pass < 4; pass++)
            radix_step(pass, m, 0);
        cut = prefix;
        barrier();
        if (lid == 0) {
            prefix = 0;
            digit_mask = 0;
        }
        barrier();
        for (uint pass = 4; pass < 8; pass++)
            radix_step(pass, m, cut);
        row_cut = prefix;
    }
    for (uint e = lid; e < m; e += WG) {
        uint row = list[1 + e], key = key_of(cand[row * 6 + 4]);
        if (key > cut || (key == cut && row <= row_cut))
            top[1 + atomicAdd(n_top, 1)] = row;
    }
    barrier();
    if (lid == 0)
        top[0] = n_top;
}

#elif defined(NMS_RANK)
layout(std430, binding = 0) readonly buffer C { float cand[]; };
layout(std430, binding = 1) readonly buffer L { uint list[]; };  // the NMS_TOPK rows
layout(std430, binding = 2) writeonly buffer S { float sorted[]; };

shared float tile_s[WG];
shared uint tile_i[WG];

void main()
{
    uint lid = gl_LocalInvocationID.x, m = min(list[0], N), k = min(m, TOPK);
    for (uint base = gl_WorkGroupID.x * WG; base < m; base += gl_NumWorkGroups.x * WG) {
        uint j = base + lid, row = 0, rank = 0;
        float s = 0.0;
        if (j < m) {
            row = list[1 + j];
            s = cand[row * 6 + 4];
        }
        for (uint t = 0; t < m; t += WG) {
            if (t + lid < m) {
                uint q = list[1 + t + lid];
                tile_i[lid] = q;
                tile_s[lid] = cand[q * 6 + 4];
            }
            barrier();
            uint n = min(WG, m - t);
            if (j < m)
                for (uint q = 0; q < n; q++)
                    rank += (tile_s[q] > s || (tile_s[q] == s && tile_i[q] < row)) ? 1 : 0;
            barrier();
        }
        if (j < m && rank < k) {
            for (uint c = 0; c < 6; c++)
                sorted[rank * STRIDE + c] = cand[row * 6 + c];
            sorted[rank * STRIDE + 6] = uintBitsToFloat(row);
        }
    }
}

#elif defined(NMS_MASK)
layout(std430, binding = 0) readonly buffer L { uint list[]; };
layout(std430, binding = 1) readonly buffer S { float sorted[]; };
layout(std430, binding = 2) readonly buffer P { float prm[]; };
layout(std430, binding = 3) writeonly buffer M { uint mask[]; };

void corners(uint i, out vec4 b, out float area, out float cls)
{
    vec4 v = vec4(sorted[i * STRIDE], sorted[i * STRIDE + 1], sorted[i * STRIDE + 2],
                  sorted[i * STRIDE + 3]);
    b = vec4(min(v.x, v.z), min(v.y, v.w), max(v.x, v.z), max(v.y, v.w));
    precise float a = (b.z - b.x) * (b.w - b.y);
    area = a;
    cls = sorted[i * STRIDE + 5];
}

void main()
{
    uint k = min(list[0], TOPK), wk = (k + 31) / 32;
    float thr = prm[1];
    for (uint e = gl_GlobalInvocationID.x; e < k * WCAP; e += gl_NumWorkGroups.x * WG) {
        uint i = e / WCAP, u = e % WCAP;
        if (u >= wk || u < i / 32)
            continue;                            // never read by NMS_SELECT
        vec4 a;
        float area_a, cls_a;
        corners(i, a, area_a, cls_a);
        uint bits = 0;
        for (uint b = 0; b < 32; b++) {
            uint j = u * 32 + b;
            if (j <= i || j >= k)
                continue;
            vec4 o;
            float area_o, cls_o;
            corners(j, o, area_o, cls_o);
            if ((AGNOSTIC == 0 && cls_o != cls_a) || !(area_a > 0.0) || !(area_o > 0.0))
                continue;
            precise float iw = max(min(a.z, o.z) - max(a.x, o.x), 0.0);
            precise float ih = max(min(a.w, o.w) - max(a.y, o.y), 0.0);
            precise float inter = iw * ih;
            precise float uni = area_a + area_o - inter;
            if (inter > thr * uni)
                bits |= 1u << b;
        }
        mask[i * WCAP + u] = bits;
    }
}

#elif defined(NMS_SELECT)
layout(std430, binding = 0) readonly buffer L { uint list[]; };
layout(std430, binding = 1) readonly buffer S { float sorted[]; };
layout(std430, binding = 2) readonly buffer M { uint mask[]; };
layout(std430, binding = 3) readonly buffer P { float prm[]; };
layout(std430, binding = 4) writeonly buffer O { float y[]; };  // [1 + MAXDET, 6]

shared uint removed[WCAP];
shared uint keep_bits, kept, stop;

void main()
{
    uint lid = gl_LocalInvocationID.x, m = min(list[0], N), k = min(m, TOPK), wk = (k + 31) / 32;
    uint maxd = prm[2] >= 1.0 ? uint(min(prm[2], float(MAXDET))) : 0;  // NaN → 0
    for (uint u = lid; u < wk; u += WG)
        removed[u] = 0;
    if (lid == 0)
        kept = 0;
    barrier();
    for (uint w = 0; w < wk; w++) {
        if (lid == 0) {
            uint r = removed[w], bits = 0, c = kept;
            for (uint b = 0; b < 32 && w * 32 + b < k && c < maxd; b++) {
                if ((r & (1u << b)) != 0)
                    continue;
                uint i = w * 32 + b;
                bits |= 1u << b;
                r |= mask[i * WCAP + w];
                c++;
                for (uint q = 0; q < 6; q++)
                    y[c * 6 + q] = sorted[i * STRIDE + q];
            }
            removed[w] = r;
            keep_bits = bits;
            kept = c;
            stop = c >= maxd ? 1 : 0;
        }
        barrier();
        uint bits = keep_bits;
        bool done = stop != 0;
        if (!done)
            for (uint u = w + 1 + lid; u < wk; u += WG) {
                uint acc = removed[u];
                for (uint b = 0; b < 32; b++)
                    if ((bits & (1u << b)) != 0)
                        acc |= mask[(w * 32 + b) * WCAP + u];
                removed[u] = acc;
            }
        barrier();
        if (done)
            break;
    }
    uint c = kept;
    if (lid == 0) {
        y[0] = float(c);
        y[1] = float(m);
        for (uint q = 2; q < 6; q++)
            y[q] = 0.0;
    }
    for (uint e = (c + 1) * 6 + lid; e < (MAXDET + 1) * 6; e += WG)
        y[e] = 0.0;
}
#endif
