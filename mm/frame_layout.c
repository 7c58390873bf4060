/*
 * Usable physical memory from struct boot_info: pure logic, host-tested
 * (tests/unit/test_frame_layout.c).
 */
#include "mm/frame_layout.h"

#include <stdbool.h>

/* The loader filled these; clamping the counts keeps a bad one from walking
 * off the arrays. */
static size_t mmap_entries(const struct boot_info *bi)
{
    return bi->mmap_count < BOOT_MAX_MMAP ? bi->mmap_count : BOOT_MAX_MMAP;
}

static size_t module_entries(const struct boot_info *bi)
{
    return bi->module_count < BOOT_MAX_MODULES ? bi->module_count : BOOT_MAX_MODULES;
}

static size_t reserved_entries(const struct boot_info *bi)
{
    return bi->reserved_count < BOOT_MAX_RESERVED ? bi->reserved_count : BOOT_MAX_RESERVED;
}

static uint64_t clamp_phys(uint64_t addr)
{
    return addr < FRAME_PHYS_LIMIT ? addr : FRAME_PHYS_LIMIT;
}

static struct boot_range clamped(struct boot_range r)
{
    return (struct boot_range){ clamp_phys(r.start), clamp_phys(r.end) };
}

/* An entry's [base, base + length), cut at FRAME_PHYS_LIMIT without overflow. */
static struct boot_range mmap_entry_range(const struct boot_mmap_entry *e)
{
    uint64_t start = clamp_phys(e->base);
    uint64_t room = FRAME_PHYS_LIMIT - start;

    return (struct boot_range){ start, start + (e->length < room ? e->length : room) };
}

static bool is_available(const struct boot_mmap_entry *e)
{
    return e->type == BOOT_MEM_AVAILABLE;
}

static bool ranges_overlap(struct boot_range a, struct boot_range b)
{
    return a.start < b.end && b.start < a.end;
}

/*
 * The ranges no frame may come from, numbered so that placing the bitmap and
 * filling the pool walk the same list: the first MiB, keel's image, each
 * module, each reserved[] range, then each memory map entry (an empty range
 * for an available one).
 */
enum { FORBIDDEN_LOW_MEMORY, FORBIDDEN_KERNEL, FORBIDDEN_FIRST_LISTED };

static size_t forbidden_count(const struct boot_info *bi)
{
    return FORBIDDEN_FIRST_LISTED + module_entries(bi) + reserved_entries(bi) +
           mmap_entries(bi);
}

static struct boot_range forbidden_range(const struct boot_info *bi, struct boot_range kernel,
                                         size_t i)
{
    static const struct boot_range nothing = { 0, 0 };

    if (i == FORBIDDEN_LOW_MEMORY)
        return (struct boot_range){ 0, FRAME_LOW_MEMORY_END };
    if (i == FORBIDDEN_KERNEL)
        return clamped(kernel);
    i -= FORBIDDEN_FIRST_LISTED;

    if (i < module_entries(bi))
        return clamped((struct boot_range){ bi->modules[i].start, bi->modules[i].end });
    i -= module_entries(bi);

    if (i < reserved_entries(bi))
        return clamped(bi->reserved[i]);
    i -= reserved_entries(bi);

    const struct boot_mmap_entry *e = &bi->mmap[i];
    return is_available(e) ? nothing : mmap_entry_range(e);
}

/* The highest end of the forbidden ranges overlapping spot, or 0 if none does. */
static uint64_t forbidden_overlap_end(const struct boot_info *bi, struct boot_range kernel,
                                      struct boot_range spot)
{
    uint64_t past = 0;

    for (size_t i = 0; i < forbidden_count(bi); i++) {
        struct boot_range r = forbidden_range(bi, kernel, i);
        if (ranges_overlap(r, spot) && r.end > past)
            past = r.end;
    }
    return past;
}

/* The lowest page-aligned spot of size bytes in region (below the bitmap
 * limit) clear of every forbidden range, or 0.  Each step jumps past a range
 * that was in the way, so the loop ends. */
static uint64_t lowest_spot_in(const struct boot_info *bi, struct boot_range kernel,
                               struct boot_range region, uint64_t size)
{
    uint64_t limit = region.end < FRAME_BITMAP_LIMIT ? region.end : FRAME_BITMAP_LIMIT;
    uint64_t start = PAGE_ALIGN_UP(region.start);
    uint64_t end = PAGE_ALIGN_DOWN(limit);

    while (start < end && end - start >= size) {
        struct boot_range spot = { start, start + size };
        uint64_t past = forbidden_overlap_end(bi, kernel, spot);
        if (past == 0)
            return start;
        start = PAGE_ALIGN_UP(past);
    }
    return 0;
}

size_t frame_layout_frame_count(const struct boot_info *bi)
{
    uint64_t top = 0;

    for (size_t i = 0; i < mmap_entries(bi); i++) {
        struct boot_range r = mmap_entry_range(&bi->mmap[i]);
        if (is_available(&bi->mmap[i]) && r.end > r.start && r.end > top)
            top = r.end;
    }
    return (size_t)(top >> PAGE_SHIFT);
}

uint64_t frame_layout_place_bitmap(const struct boot_info *bi, struct boot_range kernel,
                                   size_t bytes)
{
    if (bytes > FRAME_BITMAP_LIMIT)
        return 0;

    uint64_t size = PAGE_ALIGN_UP((uint64_t)bytes);
    uint64_t best = 0;

    /* Memory maps are not sorted, so every available entry is tried. */
    for (size_t i = 0; i < mmap_entries(bi); i++) {
        if (!is_available(&bi->mmap[i]))
            continue;
        uint64_t spot = lowest_spot_in(bi, kernel, mmap_entry_range(&bi->mmap[i]), size);
        if (spot != 0 && (best == 0 || spot < best))
            best = spot;
    }
    return best;
}

void frame_layout_fill_pool(struct frame_pool *pool, const struct boot_info *bi,
                            struct boot_range kernel, struct boot_range bitmap)
{
    for (size_t i = 0; i < mmap_entries(bi); i++) {
        if (is_available(&bi->mmap[i])) {
            struct boot_range r = mmap_entry_range(&bi->mmap[i]);
            frame_pool_add_free_range(pool, r.start, r.end);
        }
    }
    for (size_t i = 0; i < forbidden_count(bi); i++) {
        struct boot_range r = forbidden_range(bi, kernel, i);
        frame_pool_reserve_range(pool, r.start, r.end);
    }
    frame_pool_reserve_range(pool, bitmap.start, bitmap.end);
}
