#version 450
// preprocess: raw frame bytes → [1, 3, dst_h, dst_w] at storage precision.
// One invocation per output pixel: inside the placement box it samples the
// frame (bilinear with cv2.INTER_LINEAR's half-pixel geometry, or
// cv2.INTER_AREA's pixel-area weights when shrinking), converting each tap
// to RGB; outside it writes the pad value; then channel order and a·v + b.
// The frame arrives as 32-bit words (a wide tensor) at both precisions.
// U8 != 0 resizes as cv2.resize does on uint8 images instead, from the
// C side's coefficient table (engine/ops/preprocess.c: u8_table), in
// integers or exactly ordered float, rounded to 8 bits.
// Coordinates are `precise` so they round exactly like the C reference.
#include "common.glsl"

layout(local_size_x = 16, local_size_y = 16) in;

layout(constant_id = 0) const uint FORMAT = 0;  // lk_pixel_format
layout(constant_id = 1) const uint INTERP = 0;  // 0 bilinear, 1 area
layout(constant_id = 2) const uint BGR = 0;     // output channel order
layout(constant_id = 3) const float A0 = 1.0;   // per output channel a·v + b
layout(constant_id = 4) const float A1 = 1.0;
layout(constant_id = 5) const float A2 = 1.0;
layout(constant_id = 6) const float B0 = 0.0;
layout(constant_id = 7) const float B1 = 0.0;
layout(constant_id = 8) const float B2 = 0.0;
layout(constant_id = 9) const float PAD = 114.0;
layout(constant_id = 10) const float KY = 1.0;  // YUV: ky·(Y − y0) + matrix·(U, V − 128)
layout(constant_id = 11) const float Y0 = 0.0;
layout(constant_id = 12) const float RV = 0.0;
layout(constant_id = 13) const float GU = 0.0;
layout(constant_id = 14) const float GV = 0.0;
layout(constant_id = 15) const float BU = 0.0;
layout(constant_id = 16) const uint U8 = 0;     // 0 float, 1 two-tap, 2 area, 3 box
layout(constant_id = 17) const int IY0 = 16;    // U8 YUV: {y0, cy, rv, gu, gv, bu},
layout(constant_id = 18) const int ICY = 0;     // 20 fraction bits (cv2.cvtColor's)
layout(constant_id = 19) const int IRV = 0;
layout(constant_id = 20) const int IGU = 0;
layout(constant_id = 21) const int IGV = 0;
layout(constant_id = 22) const int IBU = 0;

const uint F_RGB = 0, F_BGR = 1, F_RGBA = 2, F_BGRX = 3, F_NV12 = 4;

layout(std430, binding = 0) readonly buffer R { uint raw[]; };
layout(std430, binding = 1) writeonly buffer Y { SFLOAT y[]; };
layout(std430, binding = 2) readonly buffer T { int tab[]; };

layout(push_constant) uniform Push {
    int src_w, src_h;
    uint off0, off1, off2;
    uint st0, st1, st2;
    int dst_w, dst_h;
    int box_x, box_y, box_w, box_h;
    float sx, sy;   // source pixels per box pixel
};

uint byte_at(uint i)
{
    return (raw[i >> 2] >> ((i & 3u) * 8u)) & 0xffu;
}

// The bytes of pixel (x, y): R, G, B of a packed frame or Y, U, V of a
// 4:2:0 one, chroma from its 2×2 block.
ivec3 pixel_at(int x, int yy)
{
    uint ux = uint(x), uy = uint(yy);
    if (FORMAT <= F_BGRX) {
        uint i = off0 + uy * st0 + ux * (FORMAT <= F_BGR ? 3u : 4u);
        ivec3 c = ivec3(byte_at(i), byte_at(i + 1u), byte_at(i + 2u));
        return (FORMAT == F_BGR || FORMAT == F_BGRX) ? c.zyx : c;
    }
    uint cx = ux / 2u, cy = uy / 2u, l = byte_at(off0 + uy * st0 + ux);
    if (FORMAT == F_NV12)
        return ivec3(l, byte_at(off1 + cy * st1 + 2u * cx), byte_at(off1 + cy * st1 + 2u * cx + 1u));
    return ivec3(l, byte_at(off1 + cy * st1 + cx), byte_at(off2 + cy * st2 + cx));
}

vec3 rgb_at(int x, int yy)
{
    ivec3 q = pixel_at(x, yy);
    if (FORMAT <= F_BGRX)
        return vec3(q);
    precise float k = KY * (float(q.x) - Y0);
    float u = float(q.y) - 128.0, v = float(q.z) - 128.0;
    precise float r = k + RV * v;
    precise float g = k - GU * u - GV * v;
    precise float b = k + BU * u;
    return clamp(vec3(r, g, b), 0.0, 255.0);
}

// cv2's two-tap tables: half-pixel for bilinear, INTER_AREA when enlarging.
void linear_tap(int d, float scale, int size, out int i0, out float f)
{
    precise float t;
    if (INTERP == 0) {
        t = (float(d) + 0.5) * scale - 0.5;
        i0 = int(floor(t));
        t -= float(i0);
    } else {
        i0 = int(floor(float(d) * scale));
        t = float(d + 1) - float(i0 + 1) / scale;
        t = t <= 0.0 ? 0.0 : t - floor(t);
    }
    if (i0 < 0) {
        i0 = 0;
        t = 0.0;
    }
    if (i0 >= size - 1) {
        i0 = size - 1;
        t = 0.0;
    }
    f = t;
}

// cv2's computeResizeAreaTab: source span of output pixel d and weights
// (head for the partial first cell, mid, tail for the partial last cell).
struct span { int first, last, a, b; float head, mid, tail; };

span area_of(int d, float scale, int size)
{
    span s;
    precise float f1 = float(d) * scale;
    precise float f2 = f1 + scale;
    precise float cw = min(scale, float(size) - f1);
    s.a = int(ceil(f1));
    s.b = min(int(floor(f2)), size - 1);
    s.a = min(s.a, s.b);
    s.first = float(s.a) - f1 > 1e-3 ? s.a - 1 : s.a;
    s.last = f2 - float(s.b) > 1e-3 ? s.b : s.b - 1;
    s.head = (float(s.a) - f1) / cw;
    s.mid = 1.0 / cw;
    s.tail = min(min(f2 - float(s.b), 1.0), cw) / cw;
    return s;
}

float weight(span s, int i)
{
    return i < s.a ? s.head : i < s.b ? s.mid : s.tail;
}

vec3 sample_box(int dx, int dy)
{
    if (INTERP == 1 && sx >= 1.0 && sy >= 1.0) {
        span ax = area_of(dx, sx, src_w), ay = area_of(dy, sy, src_h);
        vec3 acc = vec3(0.0);
        for (int j = ay.first; j <= ay.last; j++) {
            vec3 row = vec3(0.0);
            for (int i = ax.first; i <= ax.last; i++)
                row += weight(ax, i) * rgb_at(i, j);
            acc += weight(ay, j) * row;
        }
        return acc;
    }
    int x0, y0;
    float fx, fy;
    linear_tap(dx, sx, src_w, x0, fx);
    linear_tap(dy, sy, src_h, y0, fy);
    int x1 = min(x0 + 1, src_w - 1), y1 = min(y0 + 1, src_h - 1);
    vec3 r0 = (1.0 - fx) * rgb_at(x0, y0) + fx * rgb_at(x1, y0);
    vec3 r1 = (1.0 - fx) * rgb_at(x0, y1) + fx * rgb_at(x1, y1);
    return (1.0 - fy) * r0 + fy * r1;
}

// As rgb_at on 8 bits; YUV in cv2.cvtColor's fixed point.
ivec3 rgb8_at(int x, int yy)
{
    ivec3 q = pixel_at(x, yy);
    if (FORMAT <= F_BGRX)
        return q;
    int k = max(q.x - IY0, 0) * ICY + (1 << 19), u = q.y - 128, v = q.z - 128;
    ivec3 c = ivec3(k + IRV * v, k - IGU * u - IGV * v, k + IBU * u);
    return clamp(c, 0, (256 << 20) - 1) >> 20;
}

vec3 sample8(int dx, int dy)
{
    int ty0 = tab[0];
    if (U8 == 1) {
        int x = 2 + 4 * dx, y = ty0 + 4 * dy;
        int s0 = tab[x], s1 = tab[x + 1], a0 = tab[x + 2], a1 = tab[x + 3];
        ivec3 h0 = rgb8_at(s0, tab[y]) * a0 + rgb8_at(s1, tab[y]) * a1;
        ivec3 h1 = rgb8_at(s0, tab[y + 1]) * a0 + rgb8_at(s1, tab[y + 1]) * a1;
        // OpenCV's SIMD rounding (16-bit high products).
        ivec3 v = ((((h0 >> 4) * tab[y + 2]) >> 16) + (((h1 >> 4) * tab[y + 3]) >> 16) + 2) >> 2;
        return vec3(min(v, 255));
    }
    if (U8 == 3) {
        int kx = src_w / box_w, ky = src_h / box_h;
        ivec3 sum = ivec3(0);
        for (int j = dy * ky; j < (dy + 1) * ky; j++)
            for (int i = dx * kx; i < (dx + 1) * kx; i++)
                sum += rgb8_at(i, j);
        // 2×2 is OpenCV's SIMD (round half up), the rest float, half to even.
        if (kx == 2 && ky == 2)
            return vec3((sum + 2) >> 2);
        precise vec3 m = vec3(sum) * intBitsToFloat(tab[1]);
        return roundEven(m);
    }
    int x = 2 + 3 * dx, y = ty0 + 3 * dy;
    precise vec3 acc = vec3(0.0);
    for (int j = 0; j < tab[y + 1]; j++) {
        precise vec3 row = vec3(0.0);
        for (int i = 0; i < tab[x + 1]; i++)
            row += vec3(rgb8_at(tab[x] + i, tab[y] + j)) * intBitsToFloat(tab[tab[x + 2] + i]);
        acc += intBitsToFloat(tab[tab[y + 2] + j]) * row;
    }
    return clamp(roundEven(acc), 0.0, 255.0);
}

void main()
{
    int ox = int(gl_GlobalInvocationID.x), oy = int(gl_GlobalInvocationID.y);
    if (ox >= dst_w || oy >= dst_h)
        return;
    int dx = ox - box_x, dy = oy - box_y;
    vec3 v = vec3(PAD);
    if (dx >= 0 && dx < box_w && dy >= 0 && dy < box_h)
        v = U8 != 0 ? sample8(dx, dy) : sample_box(dx, dy);
    if (BGR != 0)
        v = v.zyx;
    uint plane = uint(dst_w * dst_h), o = uint(oy * dst_w + ox);
    y[o] = SFLOAT(A0 * v.x + B0);
    y[plane + o] = SFLOAT(A1 * v.y + B1);
    y[2u * plane + o] = SFLOAT(A2 * v.z + B2);
}
