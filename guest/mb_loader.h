/*
 * Loading a multiboot (spec 0.6.96) guest kernel into a VM's RAM and writing
 * the multiboot information it is started with (guest/mb_loader.c): pure
 * logic, host-tested.
 *
 * Guest RAM is one contiguous host buffer, ram[0..ram_size), standing for
 * guest-physical [0, ram_size), laid out as a PC's:
 *
 *   [0, 0x1000)            the page of the real-mode interrupt vector table,
 *                          which keel writes at every start (guest/pc_machine.c)
 *   [0x1000, 0x9FC00)      conventional memory: free for the image; the
 *                          multiboot information goes in the first part of it
 *                          the image leaves free
 *   [0x9FC00, 0x100000)    the EBDA, video memory and the BIOS area, where
 *                          keel puts the ACPI tables (0xE0000) and its BIOS
 *                          stubs (0xFFF00)
 *   [0x100000, ram_size)   free for the image; modules go page-aligned after
 *                          both the image and 1 MiB
 *
 * An image may load anywhere in the two free ranges (a segment across the
 * reserved one is refused), e.g. at 1 MiB or more as most kernels do, or at
 * 0x8000 as a real-mode test does.
 */
#ifndef KEEL_GUEST_MB_LOADER_H
#define KEEL_GUEST_MB_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define MB_GUEST_IVT_END        0x1000u     /* [0, IVT_END): never loaded into */
#define MB_GUEST_LOW_MEM_END    0x9FC00u    /* conventional memory ends at the EBDA */
#define MB_GUEST_HIGH_MEM_START 0x100000u   /* [LOW_MEM_END, HIGH_MEM_START): reserved */
#define MB_GUEST_PAGE_SIZE      0x1000u

/* The kind of image mb_guest_load() found. */
enum mb_image_format {
    MB_IMAGE_ELF32,
    MB_IMAGE_ELF64,
    MB_IMAGE_AOUT_KLUDGE,       /* multiboot header flag 16: load addresses in the header */
};

struct mb_load_result {
    enum mb_image_format format;
    uint32_t entry;             /* guest-physical, where EIP starts (32-bit protected mode) */
    uint64_t image_start;       /* lowest guest-physical address loaded or zeroed */
    uint64_t image_end;         /* exclusive end of the highest one, bss included */
    uint32_t header_flags;      /* the multiboot header's flags word */
};

/*
 * Loads image[0..len) into ram: finds its multiboot header (in the first
 * 8 KiB, 4-byte aligned, with a good checksum), refuses required feature bits
 * keel does not offer, then loads the ELF32 (EM_386) or ELF64 (EM_X86_64)
 * PT_LOAD segments at their physical addresses, or, when the header sets
 * flag 16, the a.out-kludge range the header gives; bss is zeroed.  Every
 * check is done before any byte of ram is written.  Returns 0, or -1 with a
 * message in err.  Never reads outside image[0..len) nor writes outside ram.
 */
int mb_guest_load(const void *image, size_t len, uint8_t *ram, uint64_t ram_size,
                  struct mb_load_result *out, char *err, size_t errlen);

/* A module handed to the guest. */
struct mb_module_src {
    const void *bytes;
    size_t len;
    const char *string;         /* its multiboot string; NULL = "" */
};

struct mb_info_src {
    const char *cmdline;        /* NULL = "" */
    const char *loader_name;    /* "keel" */
    uint64_t image_start;       /* mb_load_result.image_start */
    uint64_t image_end;         /* mb_load_result.image_end; start >= end: no image */
    const struct mb_module_src *modules;
    size_t nmodules;
};

/*
 * Copies the modules into ram, each at the next page boundary after both
 * the image and 1 MiB, and writes the multiboot information (the memory
 * sizes and map, the command line, the modules, the loader's name) into
 * conventional memory [0x1000, 0x9FC00) where the image [image_start,
 * image_end) is not: at 0x1000 when it fits below the image, else just after
 * the image.  *mbi_gpa is set to its guest-physical address (the guest's
 * EBX).  Returns 0, or -1 with a message in err, having written nothing,
 * when the modules do not fit in RAM or the information fits on neither
 * side of the image.
 */
int mb_guest_build_info(uint8_t *ram, uint64_t ram_size, const struct mb_info_src *src,
                        uint32_t *mbi_gpa, char *err, size_t errlen);

#endif
