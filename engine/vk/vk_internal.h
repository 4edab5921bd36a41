/* Vulkan backend internals: the function table, the context and helpers.
 * Only engine/vk/ includes Vulkan headers. */
#ifndef LK_VK_INTERNAL_H
#define LK_VK_INTERNAL_H

#include <pthread.h>

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include "graph.h"

/* Functions resolved through vkGetInstanceProcAddr after the loader is
 * opened at run time (no link-time dependency on libvulkan). */
#define LK_VK_GLOBAL_FNS(X) \
    X(vkCreateInstance) X(vkEnumerateInstanceLayerProperties) \
    X(vkEnumerateInstanceExtensionProperties) X(vkEnumerateInstanceVersion)

#define LK_VK_INSTANCE_FNS(X) \
    X(vkDestroyInstance) X(vkEnumeratePhysicalDevices) X(vkGetPhysicalDeviceProperties) \
    X(vkGetPhysicalDeviceProperties2) X(vkGetPhysicalDeviceFeatures2) \
    X(vkGetPhysicalDeviceQueueFamilyProperties) X(vkGetPhysicalDeviceMemoryProperties) \
    X(vkEnumerateDeviceExtensionProperties) X(vkCreateDevice) \
    X(vkCreateDebugUtilsMessengerEXT) X(vkDestroyDebugUtilsMessengerEXT) \
    X(vkDestroyDevice) X(vkGetDeviceQueue) X(vkCreateBuffer) X(vkDestroyBuffer) \
    X(vkGetBufferMemoryRequirements) X(vkAllocateMemory) X(vkFreeMemory) \
    X(vkBindBufferMemory) X(vkMapMemory) X(vkUnmapMemory) X(vkCreateShaderModule) \
    X(vkDestroyShaderModule) X(vkCreatePipelineCache) X(vkDestroyPipelineCache) \
    X(vkGetPipelineCacheData) X(vkCreateComputePipelines) X(vkDestroyPipeline) \
    X(vkCreatePipelineLayout) X(vkDestroyPipelineLayout) X(vkCreateDescriptorSetLayout) \
    X(vkDestroyDescriptorSetLayout) X(vkCreateDescriptorPool) X(vkDestroyDescriptorPool) \
    X(vkAllocateDescriptorSets) X(vkUpdateDescriptorSets) X(vkCreateCommandPool) \
    X(vkDestroyCommandPool) X(vkAllocateCommandBuffers) X(vkFreeCommandBuffers) \
    X(vkBeginCommandBuffer) X(vkEndCommandBuffer) X(vkCmdBindPipeline) \
    X(vkCmdBindDescriptorSets) X(vkCmdPushConstants) X(vkCmdDispatch) \
    X(vkCmdPipelineBarrier) X(vkCmdCopyBuffer) X(vkCmdFillBuffer) X(vkCmdResetQueryPool) \
    X(vkCmdWriteTimestamp) X(vkCreateQueryPool) X(vkDestroyQueryPool) \
    X(vkGetQueryPoolResults) X(vkQueueSubmit) X(vkCreateFence) X(vkDestroyFence) \
    X(vkWaitForFences) X(vkResetFences) X(vkGetFenceStatus) X(vkDeviceWaitIdle) \
    X(vkFlushMappedMemoryRanges) X(vkInvalidateMappedMemoryRanges)

typedef struct lk_vk_fns {
    PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
#define LK_VK_FN_FIELD(name) PFN_##name name;
    LK_VK_GLOBAL_FNS(LK_VK_FN_FIELD)
    LK_VK_INSTANCE_FNS(LK_VK_FN_FIELD)
#undef LK_VK_FN_FIELD
} lk_vk_fns;

/* Opens libvulkan and fills the global functions; a missing loader is
 * reported as LK_ERR_NO_DEVICE naming the library. */
lk_status lk_vk_load(lk_vk_fns *f, lk_msg *msg);
/* Fills the instance-level table after vkCreateInstance. Missing
 * extension functions stay NULL. */
void lk_vk_load_instance(lk_vk_fns *f, VkInstance inst);

typedef struct lk_vk_buffer {
    VkBuffer buf;
    VkDeviceMemory mem;
    VkDeviceSize size;
    void *map;               /* persistently mapped when host-visible */
    int coherent;
} lk_vk_buffer;

struct lk_context {
    lk_vk_fns vk;
    /* The queue and the command pool need external synchronisation: held
     * while a net is built or freed and around each submit, so nets of one
     * context can be used from several threads. */
    pthread_mutex_t lock;
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;    /* owned, when validating */
    VkPhysicalDevice phys;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    VkCommandPool pool;
    VkPipelineCache cache;
    char *cache_path;                      /* owned; NULL: no disk cache */
    size_t cache_loaded_bytes;
    lk_device_info info;
    VkPhysicalDeviceMemoryProperties mem_props;
    VkPhysicalDeviceLimits limits;
    float timestamp_period;                /* ns per tick */
    int fp16_storage;
    int subgroup_control;                  /* required subgroup size usable */
    int validation;
    uint64_t validation_messages;          /* warnings + errors */
};

lk_status lk_vk_buffer_new(lk_context *ctx, VkDeviceSize size, int host_visible,
                           lk_vk_buffer *b, lk_msg *msg);
void lk_vk_buffer_free(lk_context *ctx, lk_vk_buffer *b);
/* Makes host writes visible to the device / device writes to the host for
 * non-coherent memory. */
void lk_vk_buffer_flush(lk_context *ctx, lk_vk_buffer *b);
void lk_vk_buffer_invalidate(lk_context *ctx, lk_vk_buffer *b);
/* One-shot command buffer for uploads at compile time (ctx->lock held). */
lk_status lk_vk_copy_now(lk_context *ctx, VkBuffer src, VkBuffer dst, VkDeviceSize bytes,
                         lk_msg *msg);
/* Writes the pipeline cache to disk (when enabled). */
void lk_vk_cache_save(lk_context *ctx);

#define LK_VK_CHECK(call, what)                                                    \
    do {                                                                          \
        VkResult vr_ = (call);                                                    \
        if (vr_ != VK_SUCCESS) {                                                  \
            st = lk_fail(msg, vr_ == VK_ERROR_OUT_OF_DEVICE_MEMORY ||             \
                                      vr_ == VK_ERROR_OUT_OF_HOST_MEMORY          \
                                  ? LK_ERR_NO_MEMORY : LK_ERR_BACKEND,            \
                         "%s failed: VkResult %d", what, (int)vr_);               \
            goto fail;                                                            \
        }                                                                         \
    } while (0)

#endif
