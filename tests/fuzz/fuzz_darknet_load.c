/* libFuzzer target: darknet .cfg and .weights files are untrusted input, so
 * lk_darknet_load_buffer must refuse any pair cleanly — no crash, leak,
 * overflow or undefined behaviour. One fuzz input holds both: the cfg text
 * up to the first NUL byte (a cfg never contains one), the weights after
 * it; without a NUL the whole input is the cfg and the weights are empty.
 * Seeds: tools/fuzz-ci.sh joins the shared Yolo-Fastest models and the
 * synthetic net of tools/reference/darknet_raw_outputs.py that way. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lookout/darknet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t cfg_size = nul ? (size_t)(nul - data) : size;
    const uint8_t *w = nul ? nul + 1 : NULL;
    size_t w_size = nul ? size - cfg_size - 1 : 0;
    lk_darknet_opts o;
    lk_darknet_info info;
    lk_graph *g = NULL;
    lk_msg msg;
    lk_darknet_opts_init(&o);
    if (lk_darknet_load_buffer((const char *)data, cfg_size, w, w_size, &o, &g, &info,
                               &msg) == LK_OK) {
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
