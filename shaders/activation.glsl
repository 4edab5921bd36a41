// Activations with the numbering of lk_act in lookout.h; ops that fuse an
// activation take (kind, alpha, beta) as specialization constants so the
// compiler folds the switch away.
// erfc for z >= 0 with relative error below 1.2e-7 everywhere (Numerical
// Recipes' erfcc); GLSL has no erf, and computing 1 - erf would lose all
// precision in the tail that GELU needs for negative inputs.
float lk_erfc(float z)
{
    float t = 1.0 / (1.0 + 0.5 * z);
    return t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
           t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
           t * (-0.82215223 + t * 0.17087277)))))))));
}

// GELU(x) = x/2 · (1 + erf(x/√2)), written with erfc on the side that would
// cancel.
float lk_gelu(float x)
{
    float z = abs(x) * 0.70710678118654752;
    return x >= 0.0 ? 0.5 * x * (2.0 - lk_erfc(z)) : 0.5 * x * lk_erfc(z);
}

// Mish(x) = x · tanh(softplus(x)), with series where log(1+u) and
// tanh(s) would cancel for small arguments.
float lk_mish(float x)
{
    float u = exp(min(x, 20.0));
    float sp = x > 20.0 ? x : (u < 1e-3 ? u * (1.0 - 0.5 * u) : log(1.0 + u));
    float e = exp(-2.0 * sp);
    return x * (sp < 1e-3 ? sp * (1.0 - sp * sp / 3.0) : (1.0 - e) / (1.0 + e));
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
    case 8u: return lk_gelu(x);                                    // GELU (erf)
    case 9u: return lk_mish(x);                                    // Mish
    case 10u: return clamp(x, alpha, beta);                        // Clip
    default: return x;
    }
}
