/* Vulkan context: instance (optionally validated), device choice, queue,
 * command pool, on-disk pipeline cache, and buffer helpers. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vk_internal.h"

#ifndef LK_VALIDATION_DEFAULT
#define LK_VALIDATION_DEFAULT 0
#endif

static const char *const VALIDATION_LAYER = "VK_LAYER_KHRONOS_validation";

const char *lk_device_type_str(lk_device_type t)
{
    switch (t) {
    case LK_DEVICE_DISCRETE: return "discrete GPU";
    case LK_DEVICE_INTEGRATED: return "integrated GPU";
    case LK_DEVICE_VIRTUAL: return "virtual GPU";
    case LK_DEVICE_CPU: return "CPU";
    default: return "other";
    }
}

static lk_device_type map_type(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return LK_DEVICE_DISCRETE;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return LK_DEVICE_INTEGRATED;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return LK_DEVICE_VIRTUAL;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return LK_DEVICE_CPU;
    default: return LK_DEVICE_OTHER;
    }
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    (void)types;
    lk_context *ctx = user;
    if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        if (ctx)
            ctx->validation_messages++;
        fprintf(stderr, "lookout: vulkan validation: %s\n", data->pMessage);
    }
    return VK_FALSE;
}

static int want_validation(int opt)
{
    if (opt >= 0)
        return opt;
    const char *env = getenv("LOOKOUT_VALIDATION");
    if (env && *env)
        return strcmp(env, "0") != 0;
    return LK_VALIDATION_DEFAULT;
}

static int has_layer(lk_vk_fns *f, const char *name)
{
    uint32_t n = 0;
    int found = 0;
    if (f->vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || !n)
        return 0;
    VkLayerProperties *props = calloc(n, sizeof *props);
    if (props && f->vkEnumerateInstanceLayerProperties(&n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++)
            found |= strcmp(props[i].layerName, name) == 0;
    free(props);
    return found;
}

static int has_instance_ext(lk_vk_fns *f, const char *name)
{
    uint32_t n = 0;
    int found = 0;
    if (f->vkEnumerateInstanceExtensionProperties(NULL, &n, NULL) != VK_SUCCESS || !n)
        return 0;
    VkExtensionProperties *props = calloc(n, sizeof *props);
    if (props && f->vkEnumerateInstanceExtensionProperties(NULL, &n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++)
            found |= strcmp(props[i].extensionName, name) == 0;
    free(props);
    return found;
}

/* Creates the instance; ctx (may be NULL for listing) receives validation
 * counts through the messenger. */
static lk_status create_instance(lk_vk_fns *f, int validation, lk_context *ctx,
                                 VkInstance *inst, VkDebugUtilsMessengerEXT *messenger,
                                 lk_msg *msg)
{
    lk_status st = LK_OK;
    const char *layers[1] = {VALIDATION_LAYER};
    const char *exts[1] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    int debug_utils = validation && has_instance_ext(f, VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    VkDebugUtilsMessengerCreateInfoEXT dbg = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_debug_message,
        .pUserData = ctx,
    };
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "lookout",
        .pEngineName = "liblookout",
        .apiVersion = VK_API_VERSION_1_2,
    };
    VkInstanceCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pNext = debug_utils ? &dbg : NULL,
        .pApplicationInfo = &app,
        .enabledLayerCount = validation ? 1 : 0,
        .ppEnabledLayerNames = layers,
        .enabledExtensionCount = debug_utils ? 1 : 0,
        .ppEnabledExtensionNames = exts,
    };

    *inst = VK_NULL_HANDLE;
    *messenger = VK_NULL_HANDLE;
    if (validation && !has_layer(f, VALIDATION_LAYER))
        return lk_fail(msg, LK_ERR_UNSUPPORTED,
                       "validation requested but %s is not installed "
                       "(Debian: vulkan-validationlayers)", VALIDATION_LAYER);
    VkResult vr = f->vkCreateInstance(&ci, NULL, inst);
    if (vr == VK_ERROR_INCOMPATIBLE_DRIVER)
        return lk_fail(msg, LK_ERR_NO_DEVICE,
                       "no Vulkan driver: the loader found no installable client driver "
                       "(install mesa-vulkan-drivers or a GPU driver)");
    LK_VK_CHECK(vr, "vkCreateInstance");
    lk_vk_load_instance(f, *inst);
    if (debug_utils && f->vkCreateDebugUtilsMessengerEXT)
        LK_VK_CHECK(f->vkCreateDebugUtilsMessengerEXT(*inst, &dbg, NULL, messenger),
                    "vkCreateDebugUtilsMessengerEXT");
    return LK_OK;

fail:
    if (*inst)
        f->vkDestroyInstance(*inst, NULL);
    *inst = VK_NULL_HANDLE;
    return st;
}

static int has_device_ext(lk_vk_fns *f, VkPhysicalDevice pd, const char *name)
{
    uint32_t n = 0;
    int found = 0;
    if (f->vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL) != VK_SUCCESS || !n)
        return 0;
    VkExtensionProperties *props = calloc(n, sizeof *props);
    if (props && f->vkEnumerateDeviceExtensionProperties(pd, NULL, &n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++)
            found |= strcmp(props[i].extensionName, name) == 0;
    free(props);
    return found;
}

static void describe(lk_vk_fns *f, VkPhysicalDevice pd, int index, lk_device_info *info,
                     int *fp16_storage)
{
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceSubgroupProperties sub = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceDriverProperties drv = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &sub};
    VkPhysicalDeviceSubgroupSizeControlPropertiesEXT ssc_props = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES_EXT};
    VkPhysicalDeviceSubgroupSizeControlFeaturesEXT ssc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT};
    VkPhysicalDevice16BitStorageFeatures s16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
    VkPhysicalDeviceFeatures2 feat = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                      .pNext = &s16};
    VkPhysicalDeviceMemoryProperties mem;
    uint32_t nq = 0;

    memset(info, 0, sizeof *info);
    f->vkGetPhysicalDeviceProperties(pd, &props);
    if (props.apiVersion >= VK_API_VERSION_1_2)
        sub.pNext = &drv;
    /* Core in 1.3, but the instance asks for 1.2, so the extension is used. */
    int ssc_known = has_device_ext(f, pd, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
    if (ssc_known) {
        drv.pNext = &ssc_props;
        if (props.apiVersion < VK_API_VERSION_1_2)
            sub.pNext = &ssc_props;
        s16.pNext = &ssc;
    }
    f->vkGetPhysicalDeviceProperties2(pd, &p2);
    f->vkGetPhysicalDeviceFeatures2(pd, &feat);
    f->vkGetPhysicalDeviceMemoryProperties(pd, &mem);

    info->index = index;
    snprintf(info->name, sizeof info->name, "%s", props.deviceName);
    info->type = map_type(props.deviceType);
    if (props.apiVersion >= VK_API_VERSION_1_2)
        snprintf(info->driver, sizeof info->driver, "%.60s %.60s", drv.driverName, drv.driverInfo);
    else
        snprintf(info->driver, sizeof info->driver, "driver version %u", props.driverVersion);
    info->api_version = props.apiVersion;
    info->subgroup_size = sub.subgroupSize;
    info->subgroup_shuffle = (sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                             (sub.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT);
    info->subgroup_control = ssc_known && ssc.subgroupSizeControl && ssc.computeFullSubgroups &&
                             (ssc_props.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                             sub.subgroupSize >= ssc_props.minSubgroupSize &&
                             sub.subgroupSize <= ssc_props.maxSubgroupSize;
    info->fp16_storage = s16.storageBuffer16BitAccess ? 1 : 0;
    *fp16_storage = info->fp16_storage;

    f->vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, NULL);
    VkQueueFamilyProperties *qf = calloc(nq ? nq : 1, sizeof *qf);
    if (qf) {
        f->vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, qf);
        for (uint32_t i = 0; i < nq; i++)
            if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
                info->timestamps = qf[i].timestampValidBits > 0 && props.limits.timestampPeriod > 0;
                break;
            }
        free(qf);
    }
    for (uint32_t i = 0; i < mem.memoryHeapCount; i++)
        if ((mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
            mem.memoryHeaps[i].size > info->device_memory)
            info->device_memory = mem.memoryHeaps[i].size;
}

static int rank_type(lk_device_type t)
{
    return t == LK_DEVICE_DISCRETE ? 0 : t == LK_DEVICE_INTEGRATED ? 1
         : t == LK_DEVICE_VIRTUAL ? 2 : t == LK_DEVICE_CPU ? 3 : 4;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

/* Picks a device for `select` (index, name substring, or NULL/"" for the
 * environment then type preference); -1 and a message when none fits. */
static int choose(const lk_device_info *infos, int n, const char *select, lk_msg *msg)
{
    if (!select || !*select)
        select = getenv("LOOKOUT_DEVICE");
    if (select && *select) {
        char *end = NULL;
        long idx = strtol(select, &end, 10);
        if (end && *end == '\0') {
            if (idx >= 0 && idx < n)
                return (int)idx;
            lk_fail(msg, LK_ERR_NO_DEVICE, "no Vulkan device with index %ld (%d found)", idx, n);
            return -1;
        }
        for (int i = 0; i < n; i++)
            if (contains_nocase(infos[i].name, select))
                return i;
        lk_fail(msg, LK_ERR_NO_DEVICE, "no Vulkan device matches \"%s\" (%d found%s%s)", select,
                n, n ? ", first: " : "", n ? infos[0].name : "");
        return -1;
    }
    int best = -1;
    for (int i = 0; i < n; i++)
        if (best < 0 || rank_type(infos[i].type) < rank_type(infos[best].type))
            best = i;
    if (best < 0)
        lk_fail(msg, LK_ERR_NO_DEVICE,
                "no Vulkan device: the driver reports none (install mesa-vulkan-drivers "
                "for the CPU device, or a GPU driver)");
    return best;
}

/* Enumerates physical devices into a malloc'd array. */
static lk_status enumerate(lk_vk_fns *f, VkInstance inst, VkPhysicalDevice **pds,
                           lk_device_info **infos, int **fp16, int *n, lk_msg *msg)
{
    uint32_t count = 0;
    lk_status st = LK_OK;
    *pds = NULL;
    *infos = NULL;
    *fp16 = NULL;
    LK_VK_CHECK(f->vkEnumeratePhysicalDevices(inst, &count, NULL), "vkEnumeratePhysicalDevices");
    *pds = calloc(count ? count : 1, sizeof **pds);
    *infos = calloc(count ? count : 1, sizeof **infos);
    *fp16 = calloc(count ? count : 1, sizeof **fp16);
    if (!*pds || !*infos || !*fp16) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "device list: out of memory");
        goto fail;
    }
    VkResult vr = f->vkEnumeratePhysicalDevices(inst, &count, *pds);
    if (vr != VK_SUCCESS && vr != VK_INCOMPLETE)
        LK_VK_CHECK(vr, "vkEnumeratePhysicalDevices");
    for (uint32_t i = 0; i < count; i++)
        describe(f, (*pds)[i], (int)i, &(*infos)[i], &(*fp16)[i]);
    *n = (int)count;
    return LK_OK;

fail:
    free(*pds);
    free(*infos);
    free(*fp16);
    *pds = NULL;
    *infos = NULL;
    *fp16 = NULL;
    return st;
}

lk_status lk_device_list(lk_device_info *out, int cap, int *count, const char *select,
                         int *chosen, lk_msg *msg)
{
    lk_vk_fns f;
    VkInstance inst = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger;
    VkPhysicalDevice *pds = NULL;
    lk_device_info *infos = NULL;
    int *fp16 = NULL, n = 0;
    lk_status st;

    *count = 0;
    if (chosen)
        *chosen = -1;
    st = lk_vk_load(&f, msg);
    if (st)
        return st;
    st = create_instance(&f, 0, NULL, &inst, &messenger, msg);
    if (st)
        return st;
    st = enumerate(&f, inst, &pds, &infos, &fp16, &n, msg);
    if (st)
        goto fail;
    for (int i = 0; i < n && i < cap; i++)
        out[i] = infos[i];
    *count = n;
    if (chosen) {
        *chosen = choose(infos, n, select, msg);
        if (*chosen < 0)
            st = LK_ERR_NO_DEVICE;
    }

fail:
    free(pds);
    free(infos);
    free(fp16);
    f.vkDestroyInstance(inst, NULL);
    return st;
}

void lk_context_opts_init(lk_context_opts *o)
{
    memset(o, 0, sizeof *o);
    o->validation = -1;
}

static int mkdirs(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return (mkdir(tmp, 0755) == 0 || errno == EEXIST) ? 0 : -1;
}

/* The cache file is keyed by the device's pipeline-cache UUID so a driver
 * update or another GPU never loads a foreign cache. */
static char *cache_path(const lk_context_opts *o, const VkPhysicalDeviceProperties *props)
{
    char dir[900], path[1024];
    const char *env;
    if (o->pipeline_cache)
        return *o->pipeline_cache ? strdup(o->pipeline_cache) : NULL;
    if ((env = getenv("LOOKOUT_CACHE_DIR")) && *env)
        snprintf(dir, sizeof dir, "%s", env);
    else if ((env = getenv("XDG_CACHE_HOME")) && *env)
        snprintf(dir, sizeof dir, "%s/lookout", env);
    else if ((env = getenv("HOME")) && *env)
        snprintf(dir, sizeof dir, "%s/.cache/lookout", env);
    else
        return NULL;
    if (mkdirs(dir) != 0)
        return NULL;
    int n = snprintf(path, sizeof path, "%s/pipelines-%04x-%04x-", dir, props->vendorID,
                     props->deviceID);
    for (int i = 0; i < (int)VK_UUID_SIZE && n < (int)sizeof path - 8; i++)
        n += snprintf(path + n, sizeof path - (size_t)n, "%02x", props->pipelineCacheUUID[i]);
    snprintf(path + n, sizeof path - (size_t)n, ".bin");
    return strdup(path);
}

static void *read_file(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    void *data = NULL;
    long len;
    *size = 0;
    if (!fp)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) > 0 && len < (64L << 20) &&
        fseek(fp, 0, SEEK_SET) == 0 && (data = malloc((size_t)len))) {
        if (fread(data, 1, (size_t)len, fp) == (size_t)len) {
            *size = (size_t)len;
        } else {
            free(data);
            data = NULL;
        }
    }
    fclose(fp);
    return data;
}

void lk_vk_cache_save(lk_context *ctx)
{
    size_t size = 0;
    void *data = NULL;
    char tmp[1100];
    if (!ctx->cache_path || !ctx->cache)
        return;
    if (ctx->vk.vkGetPipelineCacheData(ctx->device, ctx->cache, &size, NULL) != VK_SUCCESS ||
        !size || !(data = malloc(size)))
        return;
    if (ctx->vk.vkGetPipelineCacheData(ctx->device, ctx->cache, &size, data) == VK_SUCCESS) {
        /* Write then rename, so a concurrent reader never sees half a file. */
        snprintf(tmp, sizeof tmp, "%s.%ld.tmp", ctx->cache_path, (long)getpid());
        FILE *fp = fopen(tmp, "wb");
        if (fp) {
            int ok = fwrite(data, 1, size, fp) == size;
            ok &= fclose(fp) == 0;
            if (!ok || rename(tmp, ctx->cache_path) != 0)
                remove(tmp);
        }
    }
    free(data);
}

lk_status lk_context_new(const lk_context_opts *opts, lk_context **out, lk_msg *msg)
{
    lk_context_opts defaults;
    lk_context *ctx = NULL;
    VkPhysicalDevice *pds = NULL;
    lk_device_info *infos = NULL;
    int *fp16 = NULL, n = 0, pick;
    lk_status st = LK_OK;
    void *cache_data = NULL;
    size_t cache_size = 0;

    *out = NULL;
    if (!opts) {
        lk_context_opts_init(&defaults);
        opts = &defaults;
    }
    ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "context: out of memory");
    if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
        free(ctx);
        return lk_fail(msg, LK_ERR_NO_MEMORY, "context: cannot create a mutex");
    }
    st = lk_vk_load(&ctx->vk, msg);
    if (st)
        goto fail;
    ctx->validation = want_validation(opts->validation);
    st = create_instance(&ctx->vk, ctx->validation, ctx, &ctx->instance, &ctx->messenger, msg);
    if (st)
        goto fail;
    st = enumerate(&ctx->vk, ctx->instance, &pds, &infos, &fp16, &n, msg);
    if (st)
        goto fail;
    pick = choose(infos, n, opts->device, msg);
    if (pick < 0) {
        st = LK_ERR_NO_DEVICE;
        goto fail;
    }
    ctx->phys = pds[pick];
    ctx->info = infos[pick];
    ctx->fp16_storage = fp16[pick];

    VkPhysicalDeviceProperties props;
    ctx->vk.vkGetPhysicalDeviceProperties(ctx->phys, &props);
    ctx->vk.vkGetPhysicalDeviceMemoryProperties(ctx->phys, &ctx->mem_props);
    ctx->limits = props.limits;
    ctx->timestamp_period = props.limits.timestampPeriod;

    uint32_t nq = 0;
    ctx->vk.vkGetPhysicalDeviceQueueFamilyProperties(ctx->phys, &nq, NULL);
    VkQueueFamilyProperties qf[16];
    nq = nq > 16 ? 16 : nq;
    ctx->vk.vkGetPhysicalDeviceQueueFamilyProperties(ctx->phys, &nq, qf);
    ctx->queue_family = UINT32_MAX;
    /* A compute-only family first: it is the asynchronous compute queue on
     * GPUs that have one. */
    for (uint32_t i = 0; i < nq; i++)
        if ((qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && !(qf[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) {
            ctx->queue_family = i;
            break;
        }
    for (uint32_t i = 0; i < nq && ctx->queue_family == UINT32_MAX; i++)
        if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
            ctx->queue_family = i;
    if (ctx->queue_family == UINT32_MAX) {
        st = lk_fail(msg, LK_ERR_NO_DEVICE, "Vulkan device %s has no compute queue", ctx->info.name);
        goto fail;
    }
    ctx->info.timestamps = qf[ctx->queue_family].timestampValidBits > 0 && ctx->timestamp_period > 0;

    float prio = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = ctx->queue_family,
                                   .queueCount = 1,
                                   .pQueuePriorities = &prio};
    VkPhysicalDeviceSubgroupSizeControlFeaturesEXT ssc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT,
        .subgroupSizeControl = VK_TRUE, .computeFullSubgroups = VK_TRUE};
    VkPhysicalDevice16BitStorageFeatures s16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
        .pNext = ctx->info.subgroup_control ? &ssc : NULL,
        .storageBuffer16BitAccess = ctx->fp16_storage ? VK_TRUE : VK_FALSE};
    const char *ext = VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME;
    int need_ext = ctx->info.subgroup_control;
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .pNext = &s16,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci,
                              .enabledExtensionCount = need_ext ? 1 : 0,
                              .ppEnabledExtensionNames = &ext};
    LK_VK_CHECK(ctx->vk.vkCreateDevice(ctx->phys, &dci, NULL, &ctx->device), "vkCreateDevice");
    ctx->vk.vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);

    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                   .queueFamilyIndex = ctx->queue_family};
    LK_VK_CHECK(ctx->vk.vkCreateCommandPool(ctx->device, &pci, NULL, &ctx->pool),
                "vkCreateCommandPool");

    ctx->cache_path = cache_path(opts, &props);
    if (ctx->cache_path)
        cache_data = read_file(ctx->cache_path, &cache_size);
    VkPipelineCacheCreateInfo cci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                     .initialDataSize = cache_size,
                                     .pInitialData = cache_data};
    /* A stale or corrupt cache file is not an error: start empty. */
    if (ctx->vk.vkCreatePipelineCache(ctx->device, &cci, NULL, &ctx->cache) != VK_SUCCESS) {
        cci.initialDataSize = 0;
        cci.pInitialData = NULL;
        cache_size = 0;
        LK_VK_CHECK(ctx->vk.vkCreatePipelineCache(ctx->device, &cci, NULL, &ctx->cache),
                    "vkCreatePipelineCache");
    }
    ctx->cache_loaded_bytes = cache_size;
    free(cache_data);
    free(pds);
    free(infos);
    free(fp16);
    *out = ctx;
    return LK_OK;

fail:
    free(cache_data);
    free(pds);
    free(infos);
    free(fp16);
    lk_context_free(ctx);
    return st;
}

void lk_context_free(lk_context *ctx)
{
    if (!ctx)
        return;
    if (ctx->device) {
        ctx->vk.vkDeviceWaitIdle(ctx->device);
        if (ctx->cache) {
            lk_vk_cache_save(ctx);
            ctx->vk.vkDestroyPipelineCache(ctx->device, ctx->cache, NULL);
        }
        if (ctx->pool)
            ctx->vk.vkDestroyCommandPool(ctx->device, ctx->pool, NULL);
        ctx->vk.vkDestroyDevice(ctx->device, NULL);
    }
    if (ctx->messenger && ctx->vk.vkDestroyDebugUtilsMessengerEXT)
        ctx->vk.vkDestroyDebugUtilsMessengerEXT(ctx->instance, ctx->messenger, NULL);
    if (ctx->instance)
        ctx->vk.vkDestroyInstance(ctx->instance, NULL);
    free(ctx->cache_path);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
}

const lk_device_info *lk_context_device(const lk_context *ctx)
{
    return &ctx->info;
}

uint64_t lk_context_validation_errors(const lk_context *ctx)
{
    return ctx->validation_messages;
}

static int find_memory(const lk_context *ctx, uint32_t bits, VkMemoryPropertyFlags want)
{
    for (uint32_t i = 0; i < ctx->mem_props.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (ctx->mem_props.memoryTypes[i].propertyFlags & want) == want)
            return (int)i;
    return -1;
}

lk_status lk_vk_buffer_new(lk_context *ctx, VkDeviceSize size, int host_visible,
                           lk_vk_buffer *b, lk_msg *msg)
{
    lk_status st = LK_OK;
    VkMemoryRequirements req;
    int type = -1;

    memset(b, 0, sizeof *b);
    b->size = size ? size : 4;
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = b->size,
                              .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                       VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                       VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    LK_VK_CHECK(ctx->vk.vkCreateBuffer(ctx->device, &bci, NULL, &b->buf), "vkCreateBuffer");
    ctx->vk.vkGetBufferMemoryRequirements(ctx->device, b->buf, &req);
    if (host_visible) {
        type = find_memory(ctx, req.memoryTypeBits,
                           VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT |
                               VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
        if (type < 0)
            type = find_memory(ctx, req.memoryTypeBits,
                               VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
        if (type < 0)
            type = find_memory(ctx, req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
    } else {
        type = find_memory(ctx, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
        if (type < 0)
            type = find_memory(ctx, req.memoryTypeBits, 0);
    }
    if (type < 0) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "no suitable Vulkan memory type for a %s buffer",
                     host_visible ? "host-visible" : "device");
        goto fail;
    }
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size,
                                .memoryTypeIndex = (uint32_t)type};
    LK_VK_CHECK(ctx->vk.vkAllocateMemory(ctx->device, &mai, NULL, &b->mem), "vkAllocateMemory");
    LK_VK_CHECK(ctx->vk.vkBindBufferMemory(ctx->device, b->buf, b->mem, 0), "vkBindBufferMemory");
    if (host_visible) {
        LK_VK_CHECK(ctx->vk.vkMapMemory(ctx->device, b->mem, 0, VK_WHOLE_SIZE, 0, &b->map),
                    "vkMapMemory");
        b->coherent = (ctx->mem_props.memoryTypes[type].propertyFlags &
                       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    }
    return LK_OK;

fail:
    lk_vk_buffer_free(ctx, b);
    return st;
}

void lk_vk_buffer_free(lk_context *ctx, lk_vk_buffer *b)
{
    if (b->buf)
        ctx->vk.vkDestroyBuffer(ctx->device, b->buf, NULL);
    if (b->mem)
        ctx->vk.vkFreeMemory(ctx->device, b->mem, NULL); /* unmaps too */
    memset(b, 0, sizeof *b);
}

void lk_vk_buffer_flush(lk_context *ctx, lk_vk_buffer *b)
{
    if (b->map && !b->coherent) {
        VkMappedMemoryRange r = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                 .memory = b->mem, .size = VK_WHOLE_SIZE};
        ctx->vk.vkFlushMappedMemoryRanges(ctx->device, 1, &r);
    }
}

void lk_vk_buffer_invalidate(lk_context *ctx, lk_vk_buffer *b)
{
    if (b->map && !b->coherent) {
        VkMappedMemoryRange r = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                 .memory = b->mem, .size = VK_WHOLE_SIZE};
        ctx->vk.vkInvalidateMappedMemoryRanges(ctx->device, 1, &r);
    }
}

lk_status lk_vk_copy_now(lk_context *ctx, VkBuffer src, VkBuffer dst, VkDeviceSize bytes,
                         lk_msg *msg)
{
    lk_status st = LK_OK;
    VkCommandBuffer cb = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = ctx->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkBufferCopy region = {.size = bytes};

    LK_VK_CHECK(ctx->vk.vkAllocateCommandBuffers(ctx->device, &ai, &cb), "vkAllocateCommandBuffers");
    LK_VK_CHECK(ctx->vk.vkBeginCommandBuffer(cb, &bi), "vkBeginCommandBuffer");
    ctx->vk.vkCmdCopyBuffer(cb, src, dst, 1, &region);
    LK_VK_CHECK(ctx->vk.vkEndCommandBuffer(cb), "vkEndCommandBuffer");
    LK_VK_CHECK(ctx->vk.vkCreateFence(ctx->device, &fci, NULL, &fence), "vkCreateFence");
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1,
                       .pCommandBuffers = &cb};
    LK_VK_CHECK(ctx->vk.vkQueueSubmit(ctx->queue, 1, &si, fence), "vkQueueSubmit");
    LK_VK_CHECK(ctx->vk.vkWaitForFences(ctx->device, 1, &fence, VK_TRUE, UINT64_MAX),
                "vkWaitForFences");

fail:
    if (fence)
        ctx->vk.vkDestroyFence(ctx->device, fence, NULL);
    if (cb)
        ctx->vk.vkFreeCommandBuffers(ctx->device, ctx->pool, 1, &cb);
    return st;
}
