/*
 * hypercall: keel's VMCALL interface (keel.h): version, print, exit count,
 * and unknown numbers.
 *
 * The print hypercall is also made with paging on, from a string that
 * straddles two virtually adjacent pages mapped to frames that are not
 * adjacent (as in pio.c): keel must translate every page of the buffer.
 * keel prints these lines as "(VMNAME) hypercall: ...", so a boot test can
 * expect them; a keel that read the wrong frame prints garbage instead.
 *
 * Expected under keel: pass.  Bare: every test SKIPs (VMCALL would #UD).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/keel.h"
#include "lib/paging.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/testdev.h"
#include "lib/x86.h"

#define MEASURED_EXITS 10u

#define WINDOW_BASE 0x40000000u
enum frame_index { FRAME_A, FRAME_B, FRAME_C, NR_FRAMES };
static uint8_t frames[NR_FRAMES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static const char plain_line[] = "hypercall: print from one page\n";
static const char split_line[] = "hypercall: print across two pages that are not adjacent\n";
/* Where split_line starts in the window: this many bytes before the boundary. */
#define SPLIT_BEFORE_BOUNDARY 20u

static bool version_is_1_keel(void)
{
    uint32_t signature = 0;
    uint32_t version = keel_version(&signature);
    printf("hypercall: version %u, signature 0x%08x\n", version, signature);
    return version == KEEL_HC_ABI_VERSION && signature == KEEL_SIGNATURE_EBX;
}

static bool print_returns_length(void)
{
    uint32_t n = keel_print(plain_line, sizeof(plain_line) - 1);
    return n == sizeof(plain_line) - 1;
}

static bool print_nothing_returns_0(void)
{
    return keel_print(plain_line, 0) == 0;
}

static bool print_across_pages(void)
{
    /* Frame B, between A and C, holds a line of its own: a keel that reads
     * it prints "WRONG FRAME" instead of the rest of the line. */
    static const char wrong[] = "WRONG FRAME ";
    for (uint32_t i = 0; i < PAGE_SIZE; i++)
        frames[FRAME_B][i] = (uint8_t)wrong[i % (sizeof(wrong) - 1)];
    paging_map_page(WINDOW_BASE, (uint32_t)(uintptr_t)frames[FRAME_A]);
    paging_map_page(WINDOW_BASE + PAGE_SIZE, (uint32_t)(uintptr_t)frames[FRAME_C]);
    paging_enable_identity();

    char *start = (char *)(uintptr_t)(WINDOW_BASE + PAGE_SIZE - SPLIT_BEFORE_BOUNDARY);
    memcpy(start, split_line, sizeof(split_line) - 1);
    uint32_t n = keel_print(start, sizeof(split_line) - 1);

    paging_disable();
    return n == sizeof(split_line) - 1;
}

static bool count_rises_by(const char *what, uint32_t reason, void (*action)(void),
                           uint32_t expected)
{
    uint32_t before = keel_exit_count(reason);
    action();
    uint32_t after = keel_exit_count(reason);
    printf("hypercall: %s exits %u, then %u\n", what, before, after);
    return after - before == expected;
}

static void ten_cpuids(void)
{
    for (uint32_t i = 0; i < MEASURED_EXITS; i++)
        cpuid(CPUID_LEAF_VENDOR);
}

static void ten_outs(void)
{
    for (uint32_t i = 0; i < MEASURED_EXITS; i++)
        outb((uint8_t)i, ECHO_PORT);
}

static void nothing(void)
{
}

static bool cpuid_count_rises_by_10(void)
{
    return count_rises_by("CPUID", EXIT_REASON_CPUID, ten_cpuids, MEASURED_EXITS);
}

static bool io_count_rises_by_10(void)
{
    return count_rises_by("I/O", EXIT_REASON_IO_INSTRUCTION, ten_outs, MEASURED_EXITS);
}

/* Between two exit-count hypercalls for VMCALL lies exactly one VMCALL exit
 * (the second call), whether or not keel counts the current exit. */
static bool vmcall_count_rises_by_1(void)
{
    return count_rises_by("VMCALL", EXIT_REASON_VMCALL, nothing, 1);
}

static bool unknown_numbers_return_all_ones(void)
{
    static const uint32_t unknown[] = { 3, 0x100, 0x7FFFFFFF, 0xFFFFFFFF };
    bool ok = true;
    for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
        uint32_t eax = keel_hypercall(unknown[i], 0, 0).eax;
        if (eax != KEEL_HC_UNKNOWN) {
            printf("hypercall: number 0x%x returned 0x%08x\n", unknown[i], eax);
            ok = false;
        }
    }
    return ok;
}

/* The ABI uses EAX, EBX and ECX: EDX, ESI and EDI must come back as they
 * went in. */
static bool other_registers_preserved(void)
{
    uint32_t eax = KEEL_HC_VERSION, ebx = 0, ecx = 0;
    uint32_t edx = 0xD0D0D0D0, esi = 0x51515151, edi = 0xD1D1D1D1;
    __asm__ __volatile__("vmcall"
                         : "+a"(eax), "+b"(ebx), "+c"(ecx), "+d"(edx), "+S"(esi), "+D"(edi)
                         :
                         : "memory");
    printf("hypercall: after VMCALL EDX 0x%08x ESI 0x%08x EDI 0x%08x\n", edx, esi, edi);
    return edx == 0xD0D0D0D0 && esi == 0x51515151 && edi == 0xD1D1D1D1;
}

static const struct named_test tests[] = {
    { "hypercall: version returns 1 and 'keel'", NEEDS_KEEL, version_is_1_keel },
    { "hypercall: print returns the length", NEEDS_KEEL, print_returns_length },
    { "hypercall: print of 0 bytes returns 0", NEEDS_KEEL, print_nothing_returns_0 },
    { "hypercall: print reads a buffer across non-adjacent pages", NEEDS_KEEL,
      print_across_pages },
    { "hypercall: CPUID exit count rises by exactly 10 over 10 CPUIDs", NEEDS_KEEL,
      cpuid_count_rises_by_10 },
    { "hypercall: I/O exit count rises by exactly 10 over 10 OUTs", NEEDS_KEEL,
      io_count_rises_by_10 },
    { "hypercall: VMCALL exit count rises by 1 per hypercall", NEEDS_KEEL,
      vmcall_count_rises_by_1 },
    { "hypercall: unknown numbers return all ones", NEEDS_KEEL,
      unknown_numbers_return_all_ones },
    { "hypercall: EDX, ESI and EDI survive a hypercall", NEEDS_KEEL,
      other_registers_preserved },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    run_tests(tests, ARRAY_SIZE(tests));
}
