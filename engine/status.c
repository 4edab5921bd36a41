#include <stdarg.h>
#include <stdio.h>

#include "graph.h"

const char *lk_status_str(lk_status s)
{
    switch (s) {
    case LK_OK: return "ok";
    case LK_ERR_INVALID_ARG: return "invalid argument";
    case LK_ERR_SHAPE: return "shape mismatch";
    case LK_ERR_UNSUPPORTED: return "unsupported";
    case LK_ERR_NO_DEVICE: return "no device";
    case LK_ERR_BACKEND: return "backend failure";
    case LK_ERR_NO_MEMORY: return "out of memory";
    case LK_ERR_IO: return "i/o error";
    case LK_ERR_FORMAT: return "malformed input";
    case LK_ERR_NOT_READY: return "not ready";
    }
    return "unknown status";
}

lk_status lk_fail(lk_msg *msg, lk_status status, const char *fmt, ...)
{
    if (msg) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg->text, sizeof msg->text, fmt, ap);
        va_end(ap);
    }
    return status;
}
