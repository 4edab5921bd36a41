/* The `lookout` command's subcommands; each returns the process exit code. */
#ifndef LK_CLI_H
#define LK_CLI_H

int cmd_devices(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_bench(int argc, char **argv);
/* bench_detector.c: `lookout bench --model M`, whole-detector phases. */
int cmd_bench_detector(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Monotonic clock in milliseconds. */
double cli_now_ms(void);

#endif
