/* lookout devices — lists Vulkan devices, marking the one that would be used. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lookout/lookout.h"

int cmd_devices(int argc, char **argv)
{
    const char *select = NULL;
    lk_device_info infos[16];
    int n = 0, chosen = -1;
    lk_msg msg = {{0}};

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            select = argv[++i];
        } else {
            fprintf(stderr, "usage: lookout devices [--device INDEX|NAME]\n");
            return !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    lk_status st = lk_device_list(infos, 16, &n, select, &chosen, &msg);
    if (st && n == 0) {
        fprintf(stderr, "lookout: %s\n", msg.text);
        return 1;
    }
    printf("   %-3s %-40s %-15s %-8s %-9s %-5s %s\n", "#", "name", "type", "vulkan", "subgroup",
           "fp16", "driver");
    for (int i = 0; i < n && i < 16; i++) {
        const lk_device_info *d = &infos[i];
        printf(" %c %-3d %-40.40s %-15s %u.%u.%-4u %-9u %-5s %s\n", i == chosen ? '*' : ' ', i,
               d->name, lk_device_type_str(d->type), d->api_version >> 22,
               (d->api_version >> 12) & 0x3ff, d->api_version & 0xfff, d->subgroup_size,
               d->fp16_storage ? "yes" : "no", d->driver);
    }
    if (st) {
        fprintf(stderr, "lookout: %s\n", msg.text);
        return 1;
    }
    printf("\n* = would be used (LOOKOUT_DEVICE or --device selects by index or name)\n");
    return 0;
}
