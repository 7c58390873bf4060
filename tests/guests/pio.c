/*
 * pio: port I/O as keel emulates it.
 *
 *   - IN from a port nobody claims returns all ones for sizes 1, 2 and 4;
 *     OUT to one is dropped without a fault.
 *   - Port 0xE0 echoes the last value OUT to it (keel only).
 *   - String I/O (REP INS/OUTS, SDM vol. 2B) with paging on, through a
 *     two-page window whose pages are virtually adjacent but physically
 *     apart: window page 0 maps frame A, window page 1 maps frame C, and
 *     frame B, the one physically after A and before C, belongs to neither.
 *     A keel that translates only the first element's address and then
 *     walks guest-physical memory linearly writes (or reads) frame B.
 *     Elements are placed so that one of them straddles the boundary; DF=1
 *     variants walk the window backwards.  With the VM option testdev the
 *     data comes from port 0xE4's sequence (and goes into port 0xE8's
 *     FNV-1a hash), so the order and the position of every byte is checked;
 *     without it an unclaimed port still shows where bytes landed (all ones)
 *     and that the index registers advanced.
 *   - REP with ECX = 0 does nothing at all.
 *
 * Expected under keel (with testdev): pass.  Bare: the echo and testdev
 * checks SKIP.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/keel.h"
#include "lib/paging.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/testdev.h"
#include "lib/x86.h"

/* Ports no keel device claims: COM2, COM3, LPT2 and 0x2A0, which no PC
 * device uses.  They read all ones bare as well, on QEMU (only COM1 and LPT1
 * there) and on Bochs.  Not COM4 (0x2E8, Bochs reads 0) nor the game port
 * (0x201, QEMU reads 0 for word accesses). */
static const uint16_t unclaimed_ports[] = { 0x2F8, 0x3E8, 0x278, 0x2A0 };
#define UNCLAIMED_STRING_PORT 0x2F8

/* The window: linear WINDOW_BASE .. +2 pages, far from any RAM so that a
 * keel that used the linear address as a physical one would hit unbacked
 * memory instead of passing by luck. */
#define WINDOW_BASE 0x40000000u
#define WINDOW_SIZE (2 * PAGE_SIZE)

enum frame_index { FRAME_A, FRAME_B, FRAME_C, NR_FRAMES };
static uint8_t frames[NR_FRAMES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* What the window should hold after a string IN. */
static uint8_t expected[WINDOW_SIZE];

#define CANARY 0xC5u        /* fills the frames before a string IN */
#define FRAME_B_FILL 0x5Au  /* frame B's bytes before a string OUT */

static uint8_t *window(uint32_t offset)
{
    return (uint8_t *)(uintptr_t)(WINDOW_BASE + offset);
}

/* The frame byte behind window offset 'offset', read through the identity
 * map, not the window. */
static uint8_t frame_byte(uint32_t offset)
{
    return offset < PAGE_SIZE ? frames[FRAME_A][offset] : frames[FRAME_C][offset - PAGE_SIZE];
}

static void map_window(void)
{
    paging_map_page(WINDOW_BASE, (uint32_t)(uintptr_t)frames[FRAME_A]);
    paging_map_page(WINDOW_BASE + PAGE_SIZE, (uint32_t)(uintptr_t)frames[FRAME_C]);
}

/* ---- plain port I/O ---------------------------------------------------- */

static bool unclaimed_in_reads_all_ones(void)
{
    bool ok = true;
    for (size_t i = 0; i < ARRAY_SIZE(unclaimed_ports); i++) {
        uint16_t port = unclaimed_ports[i];
        uint8_t b = inb(port);
        uint16_t w = inw(port);
        uint32_t l = inl(port);
        if (b != 0xFF || w != 0xFFFF || l != 0xFFFFFFFFu) {
            printf("pio: port 0x%x read 0x%02x / 0x%04x / 0x%08x\n", port, b, w, l);
            ok = false;
        }
    }
    return ok;
}

static bool unclaimed_out_does_not_fault(void)
{
    bool ok = true;
    for (size_t i = 0; i < ARRAY_SIZE(unclaimed_ports); i++) {
        uint16_t port = unclaimed_ports[i];
        fault_reset();
        __asm__ __volatile__(ASM_TRY("outb %%al, %%dx") : : "a"(0x12), "d"(port) : "memory");
        __asm__ __volatile__(ASM_TRY("outw %%ax, %%dx") : : "a"(0x1234), "d"(port) : "memory");
        __asm__ __volatile__(ASM_TRY("outl %%eax, %%dx") : : "a"(0x12345678), "d"(port)
                             : "memory");
        if (last_fault.vector != NO_FAULT) {
            printf("pio: OUT to 0x%x raised %s\n", port, exception_name(last_fault.vector));
            ok = false;
        }
    }
    return ok;
}

static bool echo_round_trips(void)
{
    outb(0xA5, ECHO_PORT);
    uint8_t b = inb(ECHO_PORT);
    outw(0xBEEF, ECHO_PORT);
    uint16_t w = inw(ECHO_PORT);
    outl(0xDEADC0DEu, ECHO_PORT);
    uint32_t l = inl(ECHO_PORT);
    outl(0x12345678u, ECHO_PORT);
    uint8_t low = inb(ECHO_PORT);
    printf("pio: echo read 0x%02x, 0x%04x, 0x%08x; IN 1 after OUT 4: 0x%02x\n", b, w, l, low);
    return b == 0xA5 && w == 0xBEEF && l == 0xDEADC0DEu && low == 0x78;
}

static bool sequence_in_sizes(void)
{
    const uint32_t k = 5;
    outl(k, TESTDEV_SEQUENCE_PORT);
    uint8_t b = inb(TESTDEV_SEQUENCE_PORT);
    uint16_t w = inw(TESTDEV_SEQUENCE_PORT);
    uint32_t l = inl(TESTDEV_SEQUENCE_PORT);
    uint16_t want_w = (uint16_t)(testdev_sequence_byte(k + 1) |
                                 testdev_sequence_byte(k + 2) << 8);
    uint32_t want_l = 0;
    for (uint32_t i = 0; i < 4; i++)
        want_l |= (uint32_t)testdev_sequence_byte(k + 3 + i) << (8 * i);
    printf("pio: sequence from k=%u: 0x%02x 0x%04x 0x%08x\n", k, b, w, l);
    return b == testdev_sequence_byte(k) && w == want_w && l == want_l;
}

static bool hash_out_sizes(void)
{
    outb(0, TESTDEV_HASH_PORT);
    outb(0x11, TESTDEV_HASH_FEED_PORT);
    outw(0x3322, TESTDEV_HASH_FEED_PORT);
    outl(0x77665544u, TESTDEV_HASH_FEED_PORT);
    uint32_t count = inl(TESTDEV_HASH_FEED_PORT);
    uint32_t hash = inl(TESTDEV_HASH_PORT);
    uint32_t want = FNV1A32_OFFSET_BASIS;
    for (uint8_t byte = 0x11; byte <= 0x77; byte += 0x11)
        want = fnv1a32_add(want, byte);
    printf("pio: hash of 7 bytes: count %u hash 0x%08x, expected 0x%08x\n", count, hash, want);
    return count == 7 && hash == want;
}

static bool window_maps_frames_apart(void)
{
    memset(frames, CANARY, sizeof(frames));
    *window(PAGE_SIZE - 1) = 0x11;
    *window(PAGE_SIZE) = 0x22;
    bool b_untouched = true;
    for (uint32_t i = 0; i < PAGE_SIZE; i++)
        b_untouched = b_untouched && frames[FRAME_B][i] == CANARY;
    return frames[FRAME_A][PAGE_SIZE - 1] == 0x11 && frames[FRAME_C][0] == 0x22 &&
           b_untouched;
}

/* ---- string I/O ---------------------------------------------------------- */

/* REP INS/OUTS with the direction flag set as asked and cleared again in
 * the same asm statement (the C ABI wants DF=0 everywhere else).  *index
 * is EDI (INS) or ESI (OUTS), *count ECX; both come back as the CPU (or
 * keel) left them. */
#define DEFINE_REP_STRING_IO(fn, insn, index_reg)                              \
    static void fn(uint16_t port, bool backwards, uint32_t *index, uint32_t *count) \
    {                                                                          \
        __asm__ __volatile__("testl %[back], %[back]\n\t"                      \
                             "jz 1f\n\t"                                       \
                             "std\n"                                           \
                             "1:\n\t"                                          \
                             "rep " insn "\n\t"                                \
                             "cld"                                             \
                             : index_reg(*index), "+c"(*count)                 \
                             : "d"(port), [back] "r"((uint32_t)backwards)      \
                             : "memory", "cc");                                \
    }

DEFINE_REP_STRING_IO(rep_insb, "insb", "+D")
DEFINE_REP_STRING_IO(rep_insw, "insw", "+D")
DEFINE_REP_STRING_IO(rep_insl, "insl", "+D")
DEFINE_REP_STRING_IO(rep_outsb, "outsb", "+S")
DEFINE_REP_STRING_IO(rep_outsw, "outsw", "+S")
DEFINE_REP_STRING_IO(rep_outsl, "outsl", "+S")

typedef void rep_string_io_fn(uint16_t port, bool backwards, uint32_t *index, uint32_t *count);

static rep_string_io_fn *rep_ins_of_size(uint8_t size)
{
    return size == 1 ? rep_insb : size == 2 ? rep_insw : rep_insl;
}

static rep_string_io_fn *rep_outs_of_size(uint8_t size)
{
    return size == 1 ? rep_outsb : size == 2 ? rep_outsw : rep_outsl;
}

static const char *suffix_of_size(uint8_t size)
{
    return size == 1 ? "b" : size == 2 ? "w" : "d";
}

struct string_case {
    const char *what;
    uint8_t size;           /* bytes per element */
    bool backwards;         /* DF = 1 */
    uint32_t start;         /* window offset of the first element */
    uint32_t count;         /* ECX */
};

/* Each case crosses the window's page boundary at PAGE_SIZE; the odd starts
 * make one element straddle it. */
static const struct string_case string_cases[] = {
    { "forward across the page boundary", 1, false, PAGE_SIZE - 29, 64 },
    { "forward, one element split by the boundary", 2, false, PAGE_SIZE - 21, 33 },
    { "forward, one element split by the boundary", 4, false, PAGE_SIZE - 30, 20 },
    { "forward, 4 KiB across the boundary", 4, false, PAGE_SIZE / 2, 1024 },
    { "backward (DF=1) across the page boundary", 1, true, PAGE_SIZE + 30, 64 },
    { "backward (DF=1), one element split by the boundary", 2, true, PAGE_SIZE + 9, 33 },
    { "backward (DF=1), one element split by the boundary", 4, true, PAGE_SIZE + 14, 20 },
};

/* Window offset of element i. */
static uint32_t element_offset(const struct string_case *c, uint32_t i)
{
    return c->backwards ? c->start - i * c->size : c->start + i * c->size;
}

static uint32_t final_index(const struct string_case *c)
{
    return WINDOW_BASE + element_offset(c, c->count);
}

/* The source of a string IN: the testdev sequence from k, or all ones. */
struct in_source {
    bool testdev;
    uint32_t k;
};

static uint8_t source_byte(const struct in_source *src, uint32_t n)
{
    return src->testdev ? testdev_sequence_byte(src->k + n) : 0xFF;
}

static void expect_string_in(const struct string_case *c, const struct in_source *src)
{
    memset(expected, CANARY, sizeof(expected));
    for (uint32_t i = 0; i < c->count; i++) {
        if (element_offset(c, i) + c->size > WINDOW_SIZE)
            report_abort("pio: string case \"%s\" leaves the window", c->what);
        for (uint32_t j = 0; j < c->size; j++)
            expected[element_offset(c, i) + j] = source_byte(src, i * c->size + j);
    }
}

/* Compares both frames with 'expected' and frame B with the canary. */
static bool frames_hold_expected(void)
{
    for (uint32_t off = 0; off < WINDOW_SIZE; off++) {
        if (frame_byte(off) != expected[off]) {
            printf("pio: window offset 0x%x holds 0x%02x, expected 0x%02x\n", off,
                   frame_byte(off), expected[off]);
            return false;
        }
    }
    for (uint32_t off = 0; off < PAGE_SIZE; off++) {
        if (frames[FRAME_B][off] != CANARY) {
            printf("pio: frame B (not mapped) offset 0x%x was written: 0x%02x\n", off,
                   frames[FRAME_B][off]);
            return false;
        }
    }
    return true;
}

static bool registers_advanced(const struct string_case *c, uint32_t index, uint32_t count)
{
    bool ok = index == final_index(c) && count == 0;
    if (!ok)
        printf("pio: index register 0x%08x (expected 0x%08x), ECX %u\n", index,
               final_index(c), count);
    return ok;
}

static bool string_in_case(const struct string_case *c, bool testdev)
{
    struct in_source src = { .testdev = testdev, .k = 17 };
    uint16_t port = testdev ? TESTDEV_SEQUENCE_PORT : UNCLAIMED_STRING_PORT;
    memset(frames, CANARY, sizeof(frames));
    expect_string_in(c, &src);
    if (testdev)
        outl(src.k, TESTDEV_SEQUENCE_PORT);

    uint32_t index = WINDOW_BASE + c->start, count = c->count;
    rep_ins_of_size(c->size)(port, c->backwards, &index, &count);
    bool regs = registers_advanced(c, index, count);
    return frames_hold_expected() && regs;
}

/* Pattern a string OUT sends: a function of the window offset. */
static uint8_t out_pattern(uint32_t offset)
{
    return (uint8_t)(offset * 13 + 0x41);
}

static void fill_out_pattern(void)
{
    for (uint32_t off = 0; off < PAGE_SIZE; off++) {
        frames[FRAME_A][off] = out_pattern(off);
        frames[FRAME_C][off] = out_pattern(PAGE_SIZE + off);
    }
    memset(frames[FRAME_B], FRAME_B_FILL, PAGE_SIZE);
}

static bool string_out_case(const struct string_case *c, bool testdev)
{
    uint16_t port = testdev ? TESTDEV_HASH_FEED_PORT : UNCLAIMED_STRING_PORT;
    fill_out_pattern();
    uint32_t want_hash = FNV1A32_OFFSET_BASIS;
    for (uint32_t i = 0; i < c->count; i++) {
        for (uint32_t j = 0; j < c->size; j++)
            want_hash = fnv1a32_add(want_hash, out_pattern(element_offset(c, i) + j));
    }
    if (testdev)
        outb(0, TESTDEV_HASH_PORT);

    uint32_t index = WINDOW_BASE + c->start, count = c->count;
    rep_outs_of_size(c->size)(port, c->backwards, &index, &count);
    bool ok = registers_advanced(c, index, count);
    if (testdev) {
        uint32_t bytes = inl(TESTDEV_HASH_FEED_PORT);
        uint32_t hash = inl(TESTDEV_HASH_PORT);
        if (bytes != c->count * c->size || hash != want_hash) {
            printf("pio: port 0xE8 got %u bytes hash 0x%08x, expected %u bytes hash 0x%08x\n",
                   bytes, hash, c->count * c->size, want_hash);
            ok = false;
        }
    }
    return ok;
}

/* REP INSB and REP OUTSB with ECX = 0: no element moves, EDI/ESI stay, and
 * (testdev) the sequence index and the hash count do not move either. */
static bool zero_count_does_nothing(bool testdev)
{
    const uint32_t start = PAGE_SIZE - 8, k = 40;
    memset(frames, CANARY, sizeof(frames));
    memset(expected, CANARY, sizeof(expected));
    if (testdev) {
        outl(k, TESTDEV_SEQUENCE_PORT);
        outb(0, TESTDEV_HASH_PORT);
    }
    uint16_t in_port = testdev ? TESTDEV_SEQUENCE_PORT : UNCLAIMED_STRING_PORT;
    uint16_t out_port = testdev ? TESTDEV_HASH_FEED_PORT : UNCLAIMED_STRING_PORT;

    uint32_t edi = WINDOW_BASE + start, ecx = 0;
    rep_insb(in_port, false, &edi, &ecx);
    uint32_t esi = WINDOW_BASE + start, ecx2 = 0;
    rep_outsb(out_port, false, &esi, &ecx2);

    bool ok = frames_hold_expected() && edi == WINDOW_BASE + start &&
              esi == WINDOW_BASE + start && ecx == 0 && ecx2 == 0;
    if (testdev) {
        uint8_t next = inb(TESTDEV_SEQUENCE_PORT);
        uint32_t bytes = inl(TESTDEV_HASH_FEED_PORT);
        uint32_t hash = inl(TESTDEV_HASH_PORT);
        printf("pio: after ECX=0: next sequence byte 0x%02x, hash count %u hash 0x%08x\n",
               next, bytes, hash);
        ok = ok && next == testdev_sequence_byte(k) && bytes == 0 &&
             hash == FNV1A32_OFFSET_BASIS;
    }
    return ok;
}

static bool zero_count_unclaimed(void)
{
    return zero_count_does_nothing(false);
}

static bool zero_count_testdev(void)
{
    return zero_count_does_nothing(true);
}

/* Runs every string case against one source, under names like
 * "pio: rep insw from unclaimed port, forward, ...". */
static void run_string_cases(bool testdev)
{
    const char *in_source = testdev ? "testdev 0xE4" : "unclaimed port";
    const char *out_sink = testdev ? "testdev 0xE8" : "unclaimed port";
    enum test_needs needs = testdev ? NEEDS_TESTDEV : NEEDS_NOTHING;
    char name[120];
    for (size_t i = 0; i < ARRAY_SIZE(string_cases); i++) {
        const struct string_case *c = &string_cases[i];
        snprintf(name, sizeof(name), "pio: rep ins%s from %s, %s", suffix_of_size(c->size),
                 in_source, c->what);
        if (test_selected(name) && test_needs_met(name, needs))
            report(string_in_case(c, testdev), "%s", name);
    }
    for (size_t i = 0; i < ARRAY_SIZE(string_cases); i++) {
        const struct string_case *c = &string_cases[i];
        snprintf(name, sizeof(name), "pio: rep outs%s to %s, %s", suffix_of_size(c->size),
                 out_sink, c->what);
        if (test_selected(name) && test_needs_met(name, needs))
            report(string_out_case(c, testdev), "%s", name);
    }
}

static const struct named_test port_tests[] = {
    { "pio: IN from unclaimed ports reads all ones (sizes 1/2/4)", NEEDS_NOTHING,
      unclaimed_in_reads_all_ones },
    { "pio: OUT to unclaimed ports does not fault (sizes 1/2/4)", NEEDS_NOTHING,
      unclaimed_out_does_not_fault },
    { "pio: echo port 0xE0 round trip (sizes 1/2/4)", NEEDS_KEEL, echo_round_trips },
    { "pio: IN 0xE4 sizes 1/2/4 follow the sequence", NEEDS_TESTDEV, sequence_in_sizes },
    { "pio: OUT 0xE8 sizes 1/2/4 feed count and FNV-1a hash", NEEDS_TESTDEV, hash_out_sizes },
    { "pio: paging window maps two frames that are not adjacent", NEEDS_NOTHING,
      window_maps_frames_apart },
};

static const struct named_test zero_count_tests[] = {
    { "pio: rep insb/outsb with ECX=0 on an unclaimed port do nothing", NEEDS_NOTHING,
      zero_count_unclaimed },
    { "pio: rep insb/outsb with ECX=0 on testdev do nothing", NEEDS_TESTDEV,
      zero_count_testdev },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    if (is_keel())
        report(testdev_present(), "pio: testdev present (the VM needs the option testdev)");

    map_window();
    paging_enable_identity();
    printf("pio: paging on (%s pages), window 0x%08x -> frames 0x%08x and 0x%08x "
           "(0x%08x between)\n", paging_uses_large_pages() ? "4 MiB" : "4 KiB",
           WINDOW_BASE, (uint32_t)(uintptr_t)frames[FRAME_A],
           (uint32_t)(uintptr_t)frames[FRAME_C], (uint32_t)(uintptr_t)frames[FRAME_B]);

    run_tests(port_tests, ARRAY_SIZE(port_tests));
    run_string_cases(false);
    run_string_cases(true);
    run_tests(zero_count_tests, ARRAY_SIZE(zero_count_tests));
    paging_disable();
}
