/* Opens the Vulkan loader at run time, so liblookout links and starts on
 * machines without one and can say what is missing. */
#include <dlfcn.h>
#include <string.h>

#include "vk_internal.h"

lk_status lk_vk_load(lk_vk_fns *f, lk_msg *msg)
{
    static const char *const names[] = {"libvulkan.so.1", "libvulkan.so"};
    void *lib = NULL;

    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !lib; i++)
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return lk_fail(msg, LK_ERR_NO_DEVICE,
                       "no Vulkan loader: libvulkan.so.1 not found (install libvulkan1 "
                       "and a driver such as mesa-vulkan-drivers)");
    /* The handle stays open for the process: function pointers outlive any
     * one context, and dlclose on a loader with live instances is unsafe. */
    *(void **)&f->vkGetInstanceProcAddr = dlsym(lib, "vkGetInstanceProcAddr");
    if (!f->vkGetInstanceProcAddr)
        return lk_fail(msg, LK_ERR_NO_DEVICE, "Vulkan loader has no vkGetInstanceProcAddr");
#define LK_VK_LOAD_GLOBAL(name) f->name = (PFN_##name)f->vkGetInstanceProcAddr(NULL, #name);
    LK_VK_GLOBAL_FNS(LK_VK_LOAD_GLOBAL)
#undef LK_VK_LOAD_GLOBAL
    if (!f->vkCreateInstance || !f->vkEnumerateInstanceExtensionProperties)
        return lk_fail(msg, LK_ERR_NO_DEVICE, "Vulkan loader is incomplete");
    return LK_OK;
}

void lk_vk_load_instance(lk_vk_fns *f, VkInstance inst)
{
#define LK_VK_LOAD_INSTANCE(name) f->name = (PFN_##name)f->vkGetInstanceProcAddr(inst, #name);
    LK_VK_INSTANCE_FNS(LK_VK_LOAD_INSTANCE)
#undef LK_VK_LOAD_INSTANCE
}
