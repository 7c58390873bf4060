/*
 * hypercall: keel's VMCALL interface (keel.h): version, print, exit count,
 * exit cost, reset of the statistics, and unknown numbers.
 *
 * The print hypercall is also made with paging on, from a string that
 * straddles two virtually adjacent pages mapped to frames that are not
 * adjacent (as in pio.c): keel must translate every page of the buffer.
 * keel prints these lines as "(VMNAME) hypercall: ...", so a boot test can
 * expect them; a keel that read the wrong frame prints garbage instead.
 *
 * The exit-cost record is likewise written across two such pages, and
 * where the guest could not write (a page that is not present, memory that
 * is not RAM) keel must answer all ones without a fault and write nothing,
 * not even the part of the record that would have fitted.
 *
 * An instruction that exits at the very top of the 32-bit address space
 * (CPUID and VMCALL ending at 0xFFFFFFFF, and a CPUID whose second byte is
 * at 0): outside 64-bit mode EIP wraps to 0 after it (SDM vol. 1 3.5
 * "Instruction Pointer" is 32 bits wide; vol. 3C 27.3.1.4: bits 63:32 of a
 * guest RIP must be 0 outside 64-bit mode), so keel's RIP + instruction
 * length must wrap too, and the guest goes on at linear 0.  kvm-unit-tests'
 * hypercall test runs VMCALL at the top of the canonical space for the
 * same reason in 64-bit mode (exits64.c has that one).
 *
 * Expected under keel: pass (17 checks).  Bare: the CPUID wrap checks pass,
 * every other test SKIPs (VMCALL would #UD).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/keel.h"
#include "lib/page_alloc.h"
#include "lib/pagetable.h"
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

static bool version_is_2_keel(void)
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
    static const uint32_t unknown[] = { 5, 0x100, 0x7FFFFFFF, 0xFFFFFFFF };
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

/* ---- exit cost and reset ------------------------------------------------------ */

/* Guest-physical addresses no VM of the boot tests has RAM at. */
#define NOT_RAM_ADDRESS 0xC0000000u
/* A reason beyond every table: basic exit reasons are 16 bits. */
#define REASON_BEYOND_16_BITS 0x10000u
#define RECORD_PATTERN 0xA5u
/* Where the record starts before a page boundary: it spans the boundary. */
#define RECORD_BEFORE_BOUNDARY 16u

static bool record_unchanged(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != RECORD_PATTERN)
            return false;
    return true;
}

/* The record's own arithmetic: min <= mean <= max, mean = total / count
 * rounded down; all 0 without exits. */
static bool cost_is_consistent(const struct keel_exit_cost *c)
{
    if (c->count == 0)
        return c->total_ticks == 0 && c->min == 0 && c->max == 0 && c->mean == 0;
    return c->min <= c->mean && c->mean <= c->max && c->mean * c->count <= c->total_ticks &&
           c->total_ticks - c->mean * c->count < c->count;
}

static void print_cost(const char *what, const struct keel_exit_cost *c)
{
    printf("hypercall: %s: count %llu total %llu min %llu max %llu mean %llu\n", what,
           (unsigned long long)c->count, (unsigned long long)c->total_ticks,
           (unsigned long long)c->min, (unsigned long long)c->max,
           (unsigned long long)c->mean);
}

/* Ten CPUID exits add 10 to the count and between 10 * min and 10 * max to
 * the total; the count is the one hypercall 2 gives. */
static bool exit_cost_follows_10_cpuids(void)
{
    struct keel_exit_cost before, after;
    uint32_t rc_before = keel_exit_cost(EXIT_REASON_CPUID, &before);
    ten_cpuids();
    uint32_t rc_after = keel_exit_cost(EXIT_REASON_CPUID, &after);
    uint32_t counted = keel_exit_count(EXIT_REASON_CPUID);
    print_cost("CPUID before", &before);
    print_cost("CPUID after", &after);
    uint64_t added = after.total_ticks - before.total_ticks;
    return rc_before == 0 && rc_after == 0 && after.count - before.count == MEASURED_EXITS &&
           counted == after.count && added > 0 && added >= MEASURED_EXITS * after.min &&
           added <= MEASURED_EXITS * after.max && cost_is_consistent(&after);
}

static bool exit_cost_of_unknown_reason_is_refused(void)
{
    static const uint32_t reasons[] = { REASON_BEYOND_16_BITS, 0xFFFFFFFFu };
    struct keel_exit_cost rec;
    bool ok = true;
    for (size_t i = 0; i < ARRAY_SIZE(reasons); i++) {
        memset(&rec, RECORD_PATTERN, sizeof(rec));
        uint32_t eax = keel_exit_cost(reasons[i], &rec);
        if (eax != KEEL_HC_UNKNOWN || !record_unchanged((const uint8_t *)&rec, sizeof(rec))) {
            printf("hypercall: exit cost of reason 0x%x returned 0x%08x\n", reasons[i], eax);
            ok = false;
        }
    }
    return ok;
}

/* Hypercall 3 with a fault expected nowhere: EAX, and in last_fault
 * whatever fault there was. */
static uint32_t exit_cost_trying(uint32_t reason, uint32_t address)
{
    uint32_t eax = KEEL_HC_EXIT_COST, ebx = reason, ecx = address;
    fault_reset();
    __asm__ __volatile__(ASM_TRY("vmcall") : "+a"(eax), "+b"(ebx), "+c"(ecx) : : "memory");
    return eax;
}

static bool refused_without_fault(const char *what, uint32_t eax)
{
    printf("hypercall: exit cost into %s: EAX 0x%08x, %s\n", what, eax,
           last_fault.vector == NO_FAULT ? "no fault" : exception_name(last_fault.vector));
    return eax == KEEL_HC_UNKNOWN && last_fault.vector == NO_FAULT;
}

static bool exit_cost_to_non_ram_is_refused(void)
{
    return refused_without_fault("memory that is not RAM",
                                 exit_cost_trying(EXIT_REASON_CPUID, NOT_RAM_ADDRESS));
}

/*
 * Paging on, with a hierarchy of its own: RAM identity-mapped, and at
 * WINDOW_BASE frame A, then frame C (frame B, physically between them, is
 * not mapped there), then nothing.  A record across A and C is written
 * whole and B untouched; one across C and the page that is not present is
 * refused, and the part in C stays as it was.
 */
static bool exit_cost_across_pages(void)
{
    struct pt_space s;
    pt_init(&s, PT_MODE_32BIT);
    pt_map_range(&s, 0, 0, ram_end(), PT_PTE, PTE_P | PTE_RW);
    pt_map(&s, WINDOW_BASE, (uint32_t)(uintptr_t)frames[FRAME_A], PT_PTE, PTE_P | PTE_RW);
    pt_map(&s, WINDOW_BASE + PAGE_SIZE, (uint32_t)(uintptr_t)frames[FRAME_C], PT_PTE,
           PTE_P | PTE_RW);
    memset(frames, RECORD_PATTERN, sizeof(frames));
    pt_enable(&s);

    uint32_t split = WINDOW_BASE + PAGE_SIZE - RECORD_BEFORE_BOUNDARY;
    uint32_t written = exit_cost_trying(EXIT_REASON_CPUID, split);
    struct keel_exit_cost rec;
    memcpy(&rec, (const void *)(uintptr_t)split, sizeof(rec));
    uint32_t counted = keel_exit_count(EXIT_REASON_CPUID);

    uint32_t unmapped_split = WINDOW_BASE + 2 * PAGE_SIZE - RECORD_BEFORE_BOUNDARY;
    uint32_t refused = exit_cost_trying(EXIT_REASON_CPUID, unmapped_split);
    bool refused_ok = refused_without_fault("a page that is not present", refused);
    bool kept = record_unchanged((const uint8_t *)(uintptr_t)unmapped_split,
                                 RECORD_BEFORE_BOUNDARY);
    paging_disable();

    print_cost("CPUID across two pages", &rec);
    bool b_untouched = record_unchanged(frames[FRAME_B], PAGE_SIZE);
    if (!b_untouched)
        printf("hypercall: the frame between the two was written\n");
    if (!kept)
        printf("hypercall: part of a refused record was written\n");
    return written == 0 && rec.count == counted && cost_is_consistent(&rec) && b_untouched &&
           refused_ok && kept;
}

/* After a reset every figure is 0 but the VMCALL count, which holds the
 * reset call itself; CPUID counts again from there. */
static bool reset_starts_the_figures_again(void)
{
    ten_cpuids();
    uint32_t rc = keel_reset_exit_stats();
    uint32_t vmcalls = keel_exit_count(EXIT_REASON_VMCALL);
    uint32_t ios = keel_exit_count(EXIT_REASON_IO_INSTRUCTION);
    struct keel_exit_cost cleared;
    uint32_t rc_cost = keel_exit_cost(EXIT_REASON_CPUID, &cleared);
    cpuid(CPUID_LEAF_VENDOR);
    cpuid(CPUID_LEAF_VENDOR);
    cpuid(CPUID_LEAF_VENDOR);
    uint32_t cpuids = keel_exit_count(EXIT_REASON_CPUID);
    printf("hypercall: reset returned %u; then VMCALL %u, I/O %u, CPUID %u after 3 CPUIDs\n",
           rc, vmcalls, ios, cpuids);
    print_cost("CPUID after the reset", &cleared);
    return rc == 0 && vmcalls == 1 && ios == 0 && rc_cost == 0 && cleared.count == 0 &&
           cost_is_consistent(&cleared) && cpuids == 3;
}

/* ---- an exit at the top of the 32-bit address space --------------------------- */

#define TOP_PAGE 0xFFFFF000u
#define JMP_ESI_0 0xFFu                 /* JMP ESI: FF /4, ModRM 0xE6 */
#define JMP_ESI_1 0xE6u
#define INT3 0xCCu

/* The frames mapped at TOP_PAGE and at linear 0 while a wrap check runs. */
static uint8_t wrap_top[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t wrap_bottom[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static void wrap_put(uint32_t linear, uint8_t byte)
{
    if (linear >= TOP_PAGE)
        wrap_top[linear - TOP_PAGE] = byte;
    else
        wrap_bottom[linear] = byte;
}

struct wrap_result {
    uint32_t eax, ebx;
    int vector;                 /* a fault on the way, or NO_FAULT */
};

/*
 * Runs 'insn' from linear 'start' with EAX = eax; JMP ESI follows it, the
 * address arithmetic wrapping at 4 GiB as the CPU's does, and brings the
 * guest back.  Everything else in both pages is INT3, so an EIP that goes
 * astray ends in a #BP.
 */
static struct wrap_result wrap_run(uint32_t start, const uint8_t *insn, uint32_t len,
                                   uint32_t eax)
{
    memset(wrap_top, INT3, sizeof(wrap_top));
    memset(wrap_bottom, INT3, sizeof(wrap_bottom));
    for (uint32_t i = 0; i < len; i++)
        wrap_put(start + i, insn[i]);
    wrap_put(start + len, JMP_ESI_0);
    wrap_put(start + len + 1, JMP_ESI_1);
    paging_map_page(TOP_PAGE, (uint32_t)(uintptr_t)wrap_top);
    paging_map_page(0, (uint32_t)(uintptr_t)wrap_bottom);
    paging_enable_identity();

    uint32_t ebx = 0, ecx = 0, edx = 0;
    fault_reset();
    __asm__ __volatile__("mov $1729f, %%esi\n\t" ASM_TRY("jmp *%%edi")
                         : "+a"(eax), "+b"(ebx), "+c"(ecx), "+d"(edx)
                         : "D"(start)
                         : "esi", "memory");
    paging_disable();
    return (struct wrap_result){ .eax = eax, .ebx = ebx, .vector = last_fault.vector };
}

static bool cpuid_wraps(uint32_t start)
{
    static const uint8_t cpuid_insn[] = { 0x0F, 0xA2 };
    struct cpuid_regs want = cpuid(CPUID_LEAF_VENDOR);
    struct wrap_result r = wrap_run(start, cpuid_insn, sizeof(cpuid_insn), CPUID_LEAF_VENDOR);
    printf("hypercall: CPUID at 0x%08x: EAX 0x%x EBX 0x%08x, vector %d\n", start, r.eax, r.ebx,
           r.vector);
    return r.vector == NO_FAULT && r.eax == want.eax && r.ebx == want.ebx;
}

static bool cpuid_at_top_wraps_to_0(void)
{
    return cpuid_wraps(0xFFFFFFFEu);
}

static bool cpuid_across_top_wraps(void)
{
    return cpuid_wraps(0xFFFFFFFFu);
}

static bool vmcall_at_top_wraps_to_0(void)
{
    static const uint8_t vmcall_insn[] = { 0x0F, 0x01, 0xC1 };
    struct wrap_result r = wrap_run(0xFFFFFFFDu, vmcall_insn, sizeof(vmcall_insn),
                                    KEEL_HC_VERSION);
    printf("hypercall: VMCALL at 0xfffffffd: EAX %u EBX 0x%08x, vector %d\n", r.eax, r.ebx,
           r.vector);
    return r.vector == NO_FAULT && r.eax == KEEL_HC_ABI_VERSION && r.ebx == KEEL_SIGNATURE_EBX;
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
    { "hypercall: version returns 2 and 'keel'", NEEDS_KEEL, version_is_2_keel },
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
    { "hypercall: exit cost follows 10 CPUIDs (count +10, min <= mean <= max)", NEEDS_KEEL,
      exit_cost_follows_10_cpuids },
    { "hypercall: exit cost of an unknown reason returns all ones", NEEDS_KEEL,
      exit_cost_of_unknown_reason_is_refused },
    { "hypercall: exit cost into memory that is not RAM returns all ones, no fault",
      NEEDS_KEEL, exit_cost_to_non_ram_is_refused },
    { "hypercall: exit cost across pages: written whole, or refused whole without a fault",
      NEEDS_KEEL, exit_cost_across_pages },
    { "hypercall: reset statistics starts every count again", NEEDS_KEEL,
      reset_starts_the_figures_again },
    { "hypercall: unknown numbers return all ones", NEEDS_KEEL,
      unknown_numbers_return_all_ones },
    { "hypercall: EDX, ESI and EDI survive a hypercall", NEEDS_KEEL,
      other_registers_preserved },
    { "hypercall: CPUID ending at 0xFFFFFFFF goes on at linear 0", NEEDS_NOTHING,
      cpuid_at_top_wraps_to_0 },
    { "hypercall: CPUID across the 4 GiB wrap goes on at linear 1", NEEDS_NOTHING,
      cpuid_across_top_wraps },
    { "hypercall: VMCALL ending at 0xFFFFFFFF goes on at linear 0", NEEDS_KEEL,
      vmcall_at_top_wraps_to_0 },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    run_tests(tests, ARRAY_SIZE(tests));
}
