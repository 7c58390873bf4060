/*
 * The physical frame allocator (mm/frame.c, over the pure bookkeeping in
 * mm/frame_pool.c).  Built from the multiboot memory map, minus keel's image,
 * the modules, the loader's data and the first MiB (BIOS data, real-mode IVT).
 */
#ifndef KEEL_MM_FRAME_H
#define KEEL_MM_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct boot_info;

void frame_init(const struct boot_info *bi);

/* One zeroed 4 KiB frame; panics with "out of memory" when none is left. */
uint64_t frame_alloc(void);
/* count contiguous zeroed frames aligned to align_frames frames (a power of
 * two); panics when impossible. */
uint64_t frame_alloc_contig(size_t count, size_t align_frames);
/* As above, but returns 0 instead of panicking (frame 0 is never handed out),
 * for callers that report the failure themselves (a guest's mem=). */
uint64_t frame_try_alloc_contig(size_t count, size_t align_frames);
void frame_free(uint64_t phys);
void frame_free_contig(uint64_t phys, size_t count);

size_t frame_free_count(void);
size_t frame_total_count(void);

#endif
