// Shared by every compute shader. Storage type and arithmetic type are
// separate (ncnn style): tensors are stored as SFLOAT (float, or float16_t
// when compiled with -DFP16), all arithmetic is fp32.
#extension GL_EXT_shader_16bit_storage : enable
#ifdef FP16
#define SFLOAT float16_t
#define SVEC4 f16vec4
#else
#define SFLOAT float
#define SVEC4 vec4
#endif

// Bindings are declared by each shader as
//   layout(std430, binding = N) readonly buffer X { SFLOAT x[]; };
// and tensors are contiguous row-major (NCHW for images).
