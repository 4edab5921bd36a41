/* lookout — the command-line entry point: picks a subcommand. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"devices", cmd_devices, "list Vulkan devices and mark the one that would be used"},
    {"demo", cmd_demo, "run a small CNN end to end on the device and check it against the C reference"},
    {"bench", cmd_bench, "time the engine's kernels on YOLO-typical shapes"},
    {"inspect", cmd_inspect, "load an ONNX model and summarise it: shapes, ops, FLOPs, memory"},
    {"detect", cmd_detect, "detect objects in one image and print them (text or JSON)"},
#ifdef LK_HAVE_RUN
    {"run", cmd_run, "detect objects in a file, camera, RTSP stream or testsrc: JSON, annotated video"},
#endif
};

double cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void usage(FILE *fp)
{
    fprintf(fp, "usage: lookout COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(fp, "\nenvironment: LOOKOUT_DEVICE (index or name substring), "
                "LOOKOUT_VALIDATION=1, LOOKOUT_CACHE_DIR\n"
                "run `lookout COMMAND --help` for a command's options\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "lookout: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
