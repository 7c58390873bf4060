/*
 * libFuzzer target for the multiboot guest loader (guest/mb_loader.c): an
 * untrusted kernel image is loaded into guest RAM, then the multiboot
 * information is built for it.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *         -DKEEL_HOST_TEST -I. tests/fuzz/fuzz_mb_loader.c -o /tmp/fuzz_mb_loader
 *   /tmp/fuzz_mb_loader -max_total_time=60 CORPUS_DIR
 *
 * Random bytes almost never make a multiboot header with a good checksum
 * and an ELF header, so the image is a well-formed template XORed with the
 * input: the empty input loads, and every mutation is damage to a good
 * image.  Input byte 0 chooses the template (ELF32 at 1 MiB, ELF32 at
 * 32 KiB as a real-mode test is, ELF64, a.out kludge) and whether the
 * header's checksum is made right again after the damage, so damaged flags
 * and address fields get past the checksum; the rest is XORed into the
 * image, which grows with the input.
 *
 * The image is handed over in a heap block of exactly its length and guest
 * RAM is a static buffer of exactly RAM_SIZE bytes, so ASan sees any access
 * outside either.  Checked after every input:
 * - refused: a message, and RAM untouched;
 * - accepted: the image span lies inside RAM above the IVT's page, holds
 *   the entry point, and the reserved ranges [0, 0x1000) and [0x9FC00,
 *   0x100000) are untouched;
 * - the information then built for it (or refused, with a message and the
 *   image left alone) lies in [0x1000, 0x9FC00) outside the image, the
 *   module lies page-aligned after both the image and 1 MiB, intact, and
 *   the image is intact.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/mb_loader.c"
#include "lib/format.c"
#include "lib/string.c"

#define RAM_SIZE        (2u << 20)
#define RAM_FILL        0xCC
#define TEMPLATE_LEN    0x2000u
#define IMAGE_MAX       0x4000u
#define MB_OFFSET       0x100u
#define MB_MAGIC        0x1BADB002u
#define INFO_START      0x1000u
#define INFO_END        0x9FC00u

#define REQUIRE(cond)                                                     \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "invariant broken: %s (line %d)\n", #cond,   \
                    __LINE__);                                            \
            abort();                                                      \
        }                                                                 \
    } while (0)

static void put(uint8_t *b, size_t off, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++, v >>= 8)
        b[off + i] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *b, uint64_t off)
{
    return (uint32_t)(b[off] | b[off + 1] << 8 | b[off + 2] << 16 | (uint32_t)b[off + 3] << 24);
}

/* An ELF executable with two PT_LOAD segments: text from file offset 0x1000
 * at paddr, data + bss from 0x1800 at paddr + 0x2000. */
static void put_elf(uint8_t *b, bool is64, uint64_t paddr)
{
    unsigned addr = is64 ? 8 : 4, phent = is64 ? 56 : 32, phoff = 0x40;

    b[0] = 0x7f, b[1] = 'E', b[2] = 'L', b[3] = 'F';
    b[4] = is64 ? 2 : 1, b[5] = 1, b[6] = 1;
    put(b, 16, 2, 2);                                   /* ET_EXEC */
    put(b, 18, is64 ? 62 : 3, 2);
    put(b, 24, paddr + 0x10, addr);                     /* e_entry */
    put(b, is64 ? 32 : 28, phoff, addr);                /* e_phoff */
    put(b, is64 ? 54 : 42, phent, 2);
    put(b, is64 ? 56 : 44, 2, 2);
    for (unsigned i = 0; i < 2; i++) {
        size_t ph = phoff + i * phent;
        uint64_t off = 0x1000 + i * 0x800, pa = paddr + i * 0x2000, mem = i ? 0x1800 : 0x800;
        put(b, ph, 1, 4);                               /* PT_LOAD */
        put(b, ph + (is64 ? 8 : 4), off, addr);
        put(b, ph + (is64 ? 24 : 12), pa, addr);
        put(b, ph + (is64 ? 32 : 16), 0x800, addr);
        put(b, ph + (is64 ? 40 : 20), mem, addr);
    }
}

static void put_mb_header(uint8_t *b, uint32_t flags)
{
    put(b, MB_OFFSET, MB_MAGIC, 4);
    put(b, MB_OFFSET + 4, flags, 4);
    put(b, MB_OFFSET + 8, (uint32_t)-(MB_MAGIC + flags), 4);
}

static void build_template(uint8_t *b, unsigned kind)
{
    memset(b, 0, TEMPLATE_LEN);
    for (size_t i = 0x1000; i < TEMPLATE_LEN; i++)
        b[i] = (uint8_t)(i * 31 + 7);
    switch (kind) {
    case 0: put_elf(b, false, 0x100000); put_mb_header(b, 0x3); break;
    case 1: put_elf(b, false, 0x8000); put_mb_header(b, 0); break;
    case 2: put_elf(b, true, 0x100000); put_mb_header(b, 0x3); break;
    default:
        /* a.out kludge: the file from offset 0 at 0x100000, bss to 0x104000. */
        put_mb_header(b, (1u << 16) | 0x3);
        put(b, MB_OFFSET + 12, 0x100000 + MB_OFFSET, 4);
        put(b, MB_OFFSET + 16, 0x100000, 4);
        put(b, MB_OFFSET + 20, 0x100000 + TEMPLATE_LEN, 4);
        put(b, MB_OFFSET + 24, 0x104000, 4);
        put(b, MB_OFFSET + 28, 0x100000 + 0x1000, 4);
        break;
    }
}

/* Does ram[start, end) still hold RAM_FILL?  memcmp, which is fast under
 * ASan, against a buffer of it. */
static bool all_fill(const uint8_t *ram, uint64_t start, uint64_t end)
{
    static uint8_t pristine[RAM_SIZE];

    if (pristine[0] != RAM_FILL)
        memset(pristine, RAM_FILL, sizeof(pristine));
    return memcmp(ram + start, pristine, end - start) == 0;
}

/* Does [gpa, gpa + n) lie in conventional memory and outside the image? */
static bool info_may_hold(const struct mb_load_result *res, uint64_t gpa, uint64_t n)
{
    return gpa >= INFO_START && gpa + n <= INFO_END &&
           !(gpa < res->image_end && gpa + n > res->image_start);
}

static void check_string(const uint8_t *ram, const struct mb_load_result *res, uint32_t gpa,
                         const char *want)
{
    size_t len = strlen(want) + 1;
    REQUIRE(info_may_hold(res, gpa, len));
    REQUIRE(memcmp(ram + gpa, want, len) == 0);
}

static void check_info(uint8_t *ram, const struct mb_load_result *res)
{
    static const uint8_t module[] = "NR_CPUS=1\n";
    static uint8_t image_copy[RAM_SIZE];
    static const char cmdline[] = "guest.flat arg";
    struct mb_module_src mods[] = { { module, sizeof(module), "env" } };
    struct mb_info_src src = { .cmdline = cmdline, .loader_name = "keel",
                               .image_start = res->image_start, .image_end = res->image_end,
                               .modules = mods, .nmodules = 1 };
    uint64_t span = res->image_end - res->image_start;
    char err[160] = "";
    uint32_t mbi;

    memcpy(image_copy, ram + res->image_start, span);
    int r = mb_guest_build_info(ram, RAM_SIZE, &src, &mbi, err, sizeof(err));
    REQUIRE(memcmp(image_copy, ram + res->image_start, span) == 0);
    if (r != 0) {
        REQUIRE(err[0] != '\0');
        return;
    }
    REQUIRE(info_may_hold(res, mbi, 120));
    check_string(ram, res, get32(ram, mbi + 16), cmdline);
    check_string(ram, res, get32(ram, mbi + 64), "keel");
    REQUIRE(get32(ram, mbi + 20) == 1);
    uint32_t mods_addr = get32(ram, mbi + 24);
    REQUIRE(info_may_hold(res, mods_addr, 16));
    uint32_t start = get32(ram, mods_addr), end = get32(ram, mods_addr + 4);
    uint64_t first_free = res->image_end > 0x100000 ? res->image_end : 0x100000;
    REQUIRE(start >= first_free && start % 0x1000 == 0);
    REQUIRE(end == start + sizeof(module) && end <= RAM_SIZE);
    REQUIRE(memcmp(ram + start, module, sizeof(module)) == 0);
    check_string(ram, res, get32(ram, mods_addr + 8), "env");
    uint32_t mmap = get32(ram, mbi + 48), mmap_len = get32(ram, mbi + 44);
    REQUIRE(info_may_hold(res, mmap, mmap_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t template[TEMPLATE_LEN], ram[RAM_SIZE];
    unsigned kind = size > 0 ? data[0] & 3 : 0;
    bool fix_checksum = size > 0 && (data[0] & 4);
    const uint8_t *xor_bytes = size > 0 ? data + 1 : data;
    size_t nxor = size > 0 ? size - 1 : 0;

    if (nxor > IMAGE_MAX)
        return 0;
    size_t len = nxor > TEMPLATE_LEN ? nxor : TEMPLATE_LEN;
    uint8_t *image = malloc(len);
    build_template(template, kind);
    memset(image, 0, len);
    memcpy(image, template, TEMPLATE_LEN);
    for (size_t i = 0; i < nxor; i++)
        image[i] ^= xor_bytes[i];
    if (fix_checksum) {
        uint32_t flags = get32(image, MB_OFFSET + 4);
        put(image, MB_OFFSET, MB_MAGIC, 4);
        put(image, MB_OFFSET + 8, (uint32_t)-(MB_MAGIC + flags), 4);
    }

    memset(ram, RAM_FILL, RAM_SIZE);
    struct mb_load_result res;
    char err[160] = "";
    if (mb_guest_load(image, len, ram, RAM_SIZE, &res, err, sizeof(err)) != 0) {
        REQUIRE(err[0] != '\0');
        REQUIRE(all_fill(ram, 0, RAM_SIZE));
    } else {
        REQUIRE(res.image_start >= INFO_START && res.image_start < res.image_end);
        REQUIRE(res.image_end <= RAM_SIZE);
        REQUIRE(res.entry >= res.image_start && res.entry < res.image_end);
        REQUIRE(all_fill(ram, 0, 0x1000) && all_fill(ram, 0x9FC00, 0x100000));
        check_info(ram, &res);
    }
    free(image);
    return 0;
}
