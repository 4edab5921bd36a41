#version 450
// yolo_decode: one invocation per candidate row (grid stride). Reads one
// raw detector output (net precision), writes {x1, y1, x2, y2, score,
// class} as fp32 at every precision. The family is a specialization
// constant, so each pipeline keeps only its own branch. Layouts and
// formulas: lk_yolo_decode_params in lookout.h; the C reference is
// engine/ops/yolo_decode.c and must stay in step with this file.
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint FAMILY = 1;  // lk_yolo_family
layout(constant_id = 2) const uint NC = 1;      // classes
layout(constant_id = 3) const uint N = 1;       // rows
layout(constant_id = 4) const float IN_W = 1.0;
layout(constant_id = 5) const float IN_H = 1.0;
layout(constant_id = 6) const uint GW = 1;      // grid (fastestdet, darknet; yolov1: S)
layout(constant_id = 7) const uint GH = 1;
layout(constant_id = 8) const uint NA = 1;      // darknet anchors; yolov1: B
layout(constant_id = 9) const float SXY = 1.0;  // darknet scale_x_y
layout(constant_id = 10) const uint KW = 0;     // class keep-mask words (0: no filter)
layout(constant_id = 11) const uint W0 = 1;     // yolox level widths and row offsets
layout(constant_id = 12) const uint W1 = 1;
layout(constant_id = 13) const uint W2 = 1;
layout(constant_id = 14) const uint O1 = 0;
layout(constant_id = 15) const uint O2 = 0;

layout(std430, binding = 0) readonly buffer X { SFLOAT x[]; };
layout(std430, binding = 1) readonly buffer P { float prm[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
// the class keep mask (KW words), then darknet's anchors (w, h float bits)
layout(std430, binding = 3) readonly buffer T { uint tab[]; };

const uint YOLOX = 1, ULTRALYTICS = 2, FASTESTDET = 3, DARKNET = 4, YOLOV1 = 5;

float sigm(float v) { return 1.0 / (1.0 + exp(-v)); }

// Best class of the C values first, first + step, ...: first maximum wins.
void best_class(uint first, uint step, out float best, out uint cls)
{
    best = float(x[first]);
    cls = 0;
    for (uint c = 1; c < NC; c++) {
        float v = float(x[first + c * step]);
        if (v > best) {
            best = v;
            cls = c;
        }
    }
}

void main()
{
    float thr = prm[0];
    for (uint r = gl_GlobalInvocationID.x; r < N; r += gl_NumWorkGroups.x * gl_WorkGroupSize.x) {
        float cx, cy, w, h, score, best;
        uint cls;
        if (FAMILY == YOLOX) {
            uint local = r, gw = W0;
            float s = 8.0;
            if (r >= O2) {
                local = r - O2;
                gw = W2;
                s = 32.0;
            } else if (r >= O1) {
                local = r - O1;
                gw = W1;
                s = 16.0;
            }
            uint b = r * (5 + NC);
            cx = (float(x[b]) + float(local % gw)) * s;
            cy = (float(x[b + 1]) + float(local / gw)) * s;
            w = exp(float(x[b + 2])) * s;
            h = exp(float(x[b + 3])) * s;
            best_class(b + 5, 1, best, cls);
            score = float(x[b + 4]) * best;
        } else if (FAMILY == ULTRALYTICS) {
            cx = float(x[r]);
            cy = float(x[N + r]);
            w = float(x[2 * N + r]);
            h = float(x[3 * N + r]);
            best_class(4 * N + r, N, best, cls);
            score = best;
        } else if (FAMILY == FASTESTDET) {
            uint hw = GH * GW;
            cx = (float(r % GW) + tanh(float(x[hw + r]))) / float(GW) * IN_W;
            cy = (float(r / GW) + tanh(float(x[2 * hw + r]))) / float(GH) * IN_H;
            w = sigm(float(x[3 * hw + r])) * IN_W;
            h = sigm(float(x[4 * hw + r])) * IN_H;
            best_class(5 * hw + r, hw, best, cls);
            score = pow(max(float(x[r]), 0.0), 0.6) * pow(max(best, 0.0), 0.4);
        } else if (FAMILY == DARKNET) {
            uint hw = GH * GW, a = r / hw, cell = r % hw;
            uint b = a * (5 + NC) * hw + cell;
            float off = (SXY - 1.0) * 0.5;
            cx = (sigm(float(x[b])) * SXY - off + float(cell % GW)) / float(GW) * IN_W;
            cy = (sigm(float(x[b + hw])) * SXY - off + float(cell / GW)) / float(GH) * IN_H;
            w = exp(float(x[b + 2 * hw])) * uintBitsToFloat(tab[KW + 2 * a]);
            h = exp(float(x[b + 3 * hw])) * uintBitsToFloat(tab[KW + 2 * a + 1]);
            best_class(b + 5 * hw, hw, best, cls);
            score = sigm(float(x[b + 4 * hw])) * sigm(best);
        } else {
            uint cell = r / NA, b = cell * (5 * NA + NC) + (r % NA) * 5;
            cx = (float(cell % GW) + float(x[b])) / float(GW) * IN_W;
            cy = (float(cell / GW) + float(x[b + 1])) / float(GH) * IN_H;
            w = float(x[b + 2]) * IN_W;
            h = float(x[b + 3]) * IN_H;
            best_class(cell * (5 * NA + NC) + 5 * NA, 1, best, cls);
            score = float(x[b + 4]) * best;
        }
        bool kept = score > thr;
        if (KW != 0)
            kept = kept && (tab[cls / 32] & (1u << (cls % 32))) != 0;
        uint o = r * 6;
        y[o] = cx - 0.5 * w;
        y[o + 1] = cy - 0.5 * h;
        y[o + 2] = cx + 0.5 * w;
        y[o + 3] = cy + 0.5 * h;
        y[o + 4] = kept ? score : -1.0;
        y[o + 5] = float(cls);
    }
}
