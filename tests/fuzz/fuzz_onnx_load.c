/* libFuzzer target: model files are untrusted input, so lk_onnx_load_buffer
 * must refuse any byte string cleanly — no crash, leak, overflow or
 * undefined behaviour, and no allocation beyond its caps. The size cap is
 * lowered from 1 GiB so that a tiny file folding into a cap-sized constant
 * (ConstantOfShape of 10^8 elements, say) stays within libFuzzer's time and
 * memory limits: the cap is what is checked, not how large it is. Built
 * with -Dfuzz=true (clang; see tools/fuzz-ci.sh). */
#include <stddef.h>
#include <stdint.h>

#include "lookout/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lk_onnx_opts o;
    lk_onnx_info info;
    lk_graph *g = NULL;
    lk_msg msg;
    lk_onnx_opts_init(&o);
    o.max_bytes = 64u << 20;
    if (lk_onnx_load_buffer(data, size, &o, &g, &info, &msg) == LK_OK) {
        /* A loaded graph must be consistent enough to walk. */
        for (int i = 0; i < lk_graph_n_outputs(g); i++) {
            lk_shape s;
            lk_graph_shape(g, lk_graph_output_tensor(g, i), &s);
        }
        lk_graph_flops(g);
        lk_graph_free(g);
    }
    return 0;
}
