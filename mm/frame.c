/*
 * The physical frame allocator: keel's one struct frame_pool, its bitmap in
 * physical memory reached through the direct map, and panics for the failures
 * mm/frame.h promises callers never see.  The bookkeeping is mm/frame_pool.c,
 * the choice of usable memory mm/frame_layout.c.
 */
#include "mm/frame.h"

#include <stdbool.h>

#include "boot/boot_info.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/frame_layout.h"
#include "mm/frame_pool.h"
#include "mm/paging.h"

/* Absolute symbols from linker.ld: their addresses are the physical bounds of
 * keel's image. */
extern char _kernel_phys_start[], _kernel_phys_end[];

#define FRAMES_PER_MIB ((size_t)((1ull << 20) / PAGE_SIZE))

static struct frame_pool pool;

static void require_pool(void)
{
    if (pool.bitmap == NULL)
        panic("frame allocator used before frame_init()");
}

static struct boot_range kernel_image(void)
{
    return (struct boot_range){ (uint64_t)(uintptr_t)_kernel_phys_start,
                                (uint64_t)(uintptr_t)_kernel_phys_end };
}

static bool is_power_of_two(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

static void zero_frames(uint64_t phys, size_t count)
{
    memset(phys_to_virt(phys), 0, count * PAGE_SIZE);
}

void frame_init(const struct boot_info *bi)
{
    if (pool.bitmap != NULL)
        panic("frame_init() called twice");

    struct boot_range kernel = kernel_image();
    size_t frames = frame_layout_frame_count(bi);
    if (frames == 0)
        panic("frame_init: the memory map lists no available memory");

    size_t bytes = frame_pool_bitmap_bytes(frames);
    uint64_t bitmap_phys = frame_layout_place_bitmap(bi, kernel, bytes);
    if (bitmap_phys == 0)
        panic("frame_init: no room below 4 GiB for the %zu KiB frame bitmap", bytes >> 10);
    struct boot_range bitmap = { bitmap_phys, bitmap_phys + PAGE_ALIGN_UP((uint64_t)bytes) };

    frame_pool_init(&pool, phys_to_virt(bitmap_phys), frames);
    frame_layout_fill_pool(&pool, bi, kernel, bitmap);
    if (frame_pool_free_count(&pool) == 0)
        panic("frame_init: no usable memory left after keel, modules and loader data");

    pr_info("frame: %zu MiB usable, %zu MiB free, bitmap %zu KiB at %#llx",
            frame_pool_total_count(&pool) / FRAMES_PER_MIB,
            frame_pool_free_count(&pool) / FRAMES_PER_MIB, bytes >> 10,
            (unsigned long long)bitmap_phys);
}

uint64_t frame_alloc(void)
{
    require_pool();
    uint64_t phys = frame_pool_alloc(&pool);
    if (phys == 0)
        panic("out of memory: 1 frame asked, %zu of %zu free",
              frame_pool_free_count(&pool), frame_pool_total_count(&pool));
    zero_frames(phys, 1);
    return phys;
}

uint64_t frame_try_alloc_contig(size_t count, size_t align_frames)
{
    require_pool();
    if (count == 0 || !is_power_of_two(align_frames))
        panic("frame_alloc_contig: bad request of %zu frames aligned to %zu", count,
              align_frames);

    uint64_t phys = frame_pool_alloc_contig(&pool, count, align_frames);
    if (phys != 0)
        zero_frames(phys, count);
    return phys;
}

uint64_t frame_alloc_contig(size_t count, size_t align_frames)
{
    uint64_t phys = frame_try_alloc_contig(count, align_frames);
    if (phys == 0)
        panic("out of memory: %zu contiguous frames aligned to %zu asked, %zu of %zu free",
              count, align_frames, frame_pool_free_count(&pool), frame_pool_total_count(&pool));
    return phys;
}

void frame_free(uint64_t phys)
{
    frame_free_contig(phys, 1);
}

void frame_free_contig(uint64_t phys, size_t count)
{
    require_pool();
    switch (frame_pool_free_contig(&pool, phys, count)) {
    case FRAME_POOL_OK:
        return;
    case FRAME_POOL_DOUBLE_FREE:
        panic("double free of frames %#llx (%zu frames)", (unsigned long long)phys, count);
    default:
        panic("free of %#llx (%zu frames): not frames of the pool", (unsigned long long)phys,
              count);
    }
}

size_t frame_free_count(void)
{
    return frame_pool_free_count(&pool);
}

size_t frame_total_count(void)
{
    return frame_pool_total_count(&pool);
}
