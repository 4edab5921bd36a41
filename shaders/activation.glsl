// Activations with the numbering of lk_act in lookout.h; ops that fuse an
// activation take (kind, alpha, beta) as specialization constants so the
// compiler folds the switch away.
// erf with absolute error below 1.5e-7 (Abramowitz & Stegun 7.1.26);
// GLSL has no erf.
float lk_erf(float x)
{
    float t = 1.0 / (1.0 + 0.3275911 * abs(x));
    float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t
                      - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
    return sign(x) * y;
}

float lk_activation(uint kind, float x, float alpha, float beta)
{
    switch (kind) {
    case 1u: return max(x, 0.0);                                   // ReLU
    case 2u: return x >= 0.0 ? x : alpha * x;                      // LeakyReLU
    case 3u: return x / (1.0 + exp(-x));                           // SiLU
    case 4u: return 1.0 / (1.0 + exp(-x));                         // Sigmoid
    case 5u: { float e = exp(-2.0 * abs(x));                       // Tanh, stable
               return sign(x) * (1.0 - e) / (1.0 + e); }
    case 6u: return x * clamp(x / 6.0 + 0.5, 0.0, 1.0);            // HardSwish
    case 7u: return clamp(alpha * x + beta, 0.0, 1.0);             // HardSigmoid
    case 8u: return 0.5 * x * (1.0 + lk_erf(x * 0.70710678118654752)); // GELU (erf)
    case 9u: { float sp = x > 20.0 ? x : log(1.0 + exp(x));        // Mish
               float e = exp(-2.0 * sp); return x * (1.0 - e) / (1.0 + e); }
    case 10u: return clamp(x, alpha, beta);                        // Clip
    default: return x;
    }
}
