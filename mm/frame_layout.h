/*
 * Which physical memory the frame allocator may use, worked out from struct
 * boot_info (mm/frame_layout.c): pure logic, host-tested, so mm/frame.c only
 * has to glue it to the linker symbols and the direct map.
 *
 * A frame is usable when an available memory map entry covers it and none of
 * these does: the first MiB, keel's image, a module, a reserved[] range (the
 * loader's data), a memory map entry of any other type (maps may overlap; the
 * stricter type wins), or the frame pool's own bitmap.
 */
#ifndef KEEL_MM_FRAME_LAYOUT_H
#define KEEL_MM_FRAME_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"
#include "mm/frame_pool.h"

/* The real-mode IVT, the BIOS data area, the EBDA, video memory and option ROMs
 * live below 1 MiB, and an application processor's startup code must too (the
 * start-up IPI's vector names a page below 1 MiB: SDM vol. 3A, "MP
 * Initialization Protocol"), so the allocator never hands that memory out. */
#define FRAME_LOW_MEMORY_END (1ull << 20)

/* frame_init() runs while only the first 4 GiB are in the direct map. */
#define FRAME_BITMAP_LIMIT (4ull << 30)

/* Physical addresses have at most 52 bits (SDM vol. 3A 4.1.4, MAXPHYADDR);
 * memory map entries reaching past that are cut there. */
#define FRAME_PHYS_LIMIT (1ull << 52)

/* Frames a pool needs to cover every available entry: the highest available
 * address, rounded down to a frame, divided by the frame size. */
size_t frame_layout_frame_count(const struct boot_info *bi);

/*
 * The lowest page-aligned physical address where bytes of bitmap fit inside an
 * available entry, below FRAME_BITMAP_LIMIT, overlapping no forbidden range
 * (see above) nor kernel.  0 when there is no such place.
 */
uint64_t frame_layout_place_bitmap(const struct boot_info *bi, struct boot_range kernel,
                                   size_t bytes);

/* Frees every usable frame of an initialised (all used) pool: the available
 * entries minus the forbidden ranges, kernel and bitmap among them. */
void frame_layout_fill_pool(struct frame_pool *pool, const struct boot_info *bi,
                            struct boot_range kernel, struct boot_range bitmap);

#endif
