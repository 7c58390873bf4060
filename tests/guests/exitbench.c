/*
 * exitbench: what one VM exit costs, operation by operation, and what keel
 * costs a guest that does not exit at all.
 *
 * Each exit benchmark brackets one instruction with RDTSC and runs it
 * `iterations` times (after a warm-up of iterations/10 + 1 untimed rounds),
 * then prints the fastest and the median bracket:
 *
 *   BENCH name=cpuid min=N median=N iterations=N unit=ticks \
 *         exits_per_iter=1.00 exit_reason=CPUID other_exits=0    (one line)
 *
 * The bracket is "LFENCE; RDTSC; LFENCE" before and "LFENCE; RDTSC" after:
 * LFENCE waits for everything before it to finish and keeps later
 * instructions from starting (SDM vol. 2A, LFENCE and RDTSC), and it does
 * not exit, whereas CPUID, the usual serializing choice, exits under keel.
 * Figures include the bracket; `rdtsc` (an empty bracket) measures it.
 * Under Bochs the TSC advances by one per emulated instruction, so there a
 * figure is a path length in instructions, guest and keel together, not a
 * time; LFENCE is one more instruction there.
 *
 * The median is the sample at index n/2 once sorted (the upper one of the
 * two middle samples when n is even).
 *
 * Operations (each prints a BENCH line; one that cannot run here prints
 * min=na median=na iterations=0 and why=REASON, plus a SKIP line):
 *   rdtsc          the empty bracket                     baseline
 *   ram_read       MOV load from an ordinary RAM word    baseline, and the bare
 *   ram_write      MOV store to it                       reference for MMIO
 *   cpuid          CPUID leaf 0
 *   vmcall         hypercall 0 (version)                 keel only (#UD bare)
 *   out_uart_scr   OUT to COM1's scratch register 0x3FF
 *   in_uart_lsr    IN from COM1's line status register 0x3FD
 *   in_unclaimed   IN from port 0x2A0, which no device claims
 *   mmio_read      MOV load from testdev's MMIO page     keel with testdev
 *   mmio_write     MOV store to it                       keel with testdev
 *   cr3_reload     MOV CR3 with its own value, paging on
 *   rep_insw       REP INSW of one sector from the primary ATA disk, after
 *                  READ SECTORS and DRQ (only the REP INSW is timed; runs
 *                  disk_iterations times)                needs a disk
 *   hlt_wakeup     `sti; hlt` ended by the local APIC timer in TSC-deadline
 *                  mode: the sample is the handler's first RDTSC less the
 *                  deadline (the 8259s masked, so nothing else ends the
 *                  HLT); the deadline is WAKE_DELAY_TICKS after the WRMSR
 *                  that sets it                          needs TSC-deadline
 * Under keel every line also says how many exits the timed iterations took:
 * keel's figures (hypercall 3: count and total ticks) of every basic exit
 * reason are read before and after; exits_per_iter is all of them per iteration (two decimals),
 * exit_reason the reason with the most, other_exits how many were of other
 * reasons (a preemption-timer exit at the end of a time slice, or the
 * CR_ACCESS exits of cr3_reload under shadow paging, where the #PF exits
 * that follow each reload outnumber them).  These count whole iterations,
 * so two operations whose iterations also exit outside the bracket add
 * bracket_exits_per_iter, the exits inside it, counted over up to 16 more,
 * untimed iterations: rep_insw (issuing READ SECTORS and polling Status are
 * I/O exits too), cr3_reload (under shadow paging the store of the sample
 * after the bracket faults) and hlt_wakeup (the WRMSR before the HLT
 * exits too, and so does the EOI after it unless virtual-interrupt
 * delivery completes it in the CPU: only the HLT exit is the wake-up's).  Bare the line ends with
 * exits_per_iter=na.
 *
 * Under keel a second line follows each BENCH line of an operation that
 * ran, with keel's own side of the same exits, from the same two readings:
 *
 *   KEEL_COST name=cpuid exit_reason=CPUID exits=1000 mean=214
 *
 * mean is the ticks keel spent on one exit of exit_reason (from the exit
 * to the next entry, as keel times it), averaged over the exits of that
 * reason in the timed iterations: the guest's bracket less this is the
 * VM-exit and VM-entry transitions and keel's entry and exit code outside
 * its own timing.  rep_insw adds bracket_exits=N bracket_mean=N, the same
 * for the I/O exits inside its bracket alone, hlt_wakeup the same for the
 * HLT exits (keel's time on such an exit ends when the vCPU gives up the
 * CPU to wait; the wait and the wake-up are in the sample, not in keel's
 * mean).  With no exits: exits=0
 * mean=na.  (A separate line, so that the BENCH lines keep their form.)
 *
 * Two whole loops, each run once untimed (which also builds whatever
 * translations they need) and then timed, with paging on:
 *   BENCH name=compute_cpu ticks=N [exits=N]   4 Mi rounds of a linear
 *       congruential generator in registers (IMUL, ADD, DEC, JNZ)
 *   BENCH name=compute_mem ticks=N [exits=N]   8 passes over an 8 MiB
 *       buffer, one load per 64-byte line, 4160 bytes (a page and a line)
 *       apart, so every load is to another page and another line
 * exits is every exit the timed loop took (keel only).
 *
 * Every benchmark is also a check that the operation did what it should
 * (the scratch register holds the last value written, the unclaimed port
 * read all ones, testdev counted one access per MMIO iteration, the sector
 * came back intact, the LCG loop's result matches the generator jumped
 * ahead by squaring, the memory walk's sum its closed form) and, under
 * keel, that CPUID, VMCALL, IN and OUT took exactly one exit each.
 *
 * Command line: iterations=N (1..MAX_ITERATIONS, default 1000),
 * disk_iterations=N (default min(iterations, 100)), only=TEXT.
 * Expected: pass, under keel (testdev and a disk of at least one sector give
 * the full set) and bare.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/ata.h"
#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/irq.h"
#include "lib/keel.h"
#include "lib/paging.h"
#include "lib/pic.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/sector_pattern.h"
#include "lib/serial.h"
#include "lib/string.h"
#include "lib/testdev.h"
#include "lib/uart.h"
#include "lib/x86.h"

#define DEFAULT_ITERATIONS      1000u
#define MAX_ITERATIONS          100000u
#define DEFAULT_DISK_ITERATIONS 100u

/* Basic exit reasons (SDM vol. 3D appendix C) keel.h does not name. */
#define EXIT_REASON_EXCEPTION_NMI      0u
#define EXIT_REASON_EXTERNAL_INTERRUPT 1u
#define EXIT_REASON_EPT_VIOLATION      48u
#define EXIT_REASON_EPT_MISCONFIG      49u
#define EXIT_REASON_PREEMPTION_TIMER   52u
/* Every basic exit reason the SDM defines is below this; keel answers
 * hypercalls 2 and 3 with all ones for a reason beyond its table. */
#define SWEPT_EXIT_REASONS 80u

#define UNCLAIMED_PORT      0x2A0u
#define ALL_ONES_BYTE       0xFFu
#define SCRATCH_PATTERN     0x5Au
#define MMIO_BENCH_OFFSET   0x100u
#define MMIO_PATTERN        0xC0FFEE00u
#define RAM_PATTERN         0x600DF00Du
#define BENCH_LBA           0u

/* compute_cpu: x <- a*x + c (mod 2^32), Numerical Recipes' constants. */
#define LCG_MULTIPLIER 1664525u
#define LCG_INCREMENT  1013904223u
#define LCG_SEED       12345u
#define LCG_ROUNDS     (4u << 20)

/* compute_mem: the buffer, its lines, and the step between loads. */
#define MEM_BUFFER_BYTES (8u << 20)
#define MEM_LINE_BYTES   64u
#define MEM_STEP_BYTES   (PAGE_SIZE + MEM_LINE_BYTES)
#define MEM_LINES        (MEM_BUFFER_BYTES / MEM_LINE_BYTES)
#define MEM_PASSES       8u
#define MEM_LINE_WORDS   (MEM_LINE_BYTES / sizeof(uint32_t))
_Static_assert((MEM_BUFFER_BYTES & (MEM_BUFFER_BYTES - 1)) == 0,
               "the offset wraps with a mask");
/* 4160 / 64 = 65 lines per step, odd, and MEM_LINES is a power of two: the
 * walk visits every line exactly once per MEM_LINES loads. */
_Static_assert((MEM_STEP_BYTES / MEM_LINE_BYTES) % 2 == 1, "the step visits every line");

static uint32_t mem_buffer[MEM_BUFFER_BYTES / sizeof(uint32_t)]
    __attribute__((aligned(PAGE_SIZE)));
static uint32_t samples[MAX_ITERATIONS];
static uint16_t sector[SECTOR_SIZE / sizeof(uint16_t)] __attribute__((aligned(4)));
static volatile uint32_t ram_word;

static uint32_t iterations;
static uint32_t disk_iterations;

/* ---- the bracket ----------------------------------------------------------------- */

static inline __attribute__((always_inline)) uint64_t tsc_begin(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

static inline __attribute__((always_inline)) uint64_t tsc_end(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

/* Times OP n times into samples[].  A macro, not a function taking OP as a
 * callback: the bracket must hold OP's instructions and nothing else (no
 * call, no return). */
#define TIME_EACH(n, OP)                                            \
    do {                                                            \
        for (uint32_t i_ = 0; i_ < (n); i_++) {                     \
            uint64_t start_ = tsc_begin();                          \
            OP;                                                     \
            samples[i_] = (uint32_t)(tsc_end() - start_);           \
        }                                                           \
    } while (0)

/* ---- the timed operations, one loop each ----------------------------------------------- */

static uint32_t last_vendor_ebx;
static struct hypercall_result last_hypercall;
static uint8_t last_in;
static uint32_t last_read;

static void loop_rdtsc(uint32_t n)
{
    TIME_EACH(n, (void)0);
}

static void loop_ram_read(uint32_t n)
{
    uint32_t v = 0;
    TIME_EACH(n, v = ram_word);
    last_read = v;
}

static void loop_ram_write(uint32_t n)
{
    TIME_EACH(n, ram_word = RAM_PATTERN);
}

static void loop_cpuid(uint32_t n)
{
    struct cpuid_regs r = { 0 };
    TIME_EACH(n, r = cpuid(CPUID_LEAF_VENDOR));
    last_vendor_ebx = r.ebx;
}

static void loop_vmcall(uint32_t n)
{
    struct hypercall_result r = { 0 };
    TIME_EACH(n, {
        r.eax = KEEL_HC_VERSION;
        uint32_t ecx = 0;
        __asm__ __volatile__("vmcall" : "+a"(r.eax), "=b"(r.ebx), "+c"(ecx) : : "memory");
    });
    last_hypercall = r;
}

static void loop_out_uart_scr(uint32_t n)
{
    TIME_EACH(n, outb(SCRATCH_PATTERN, UART_COM1_BASE + UART_SCR));
}

static void loop_in_uart_lsr(uint32_t n)
{
    uint8_t v = 0;
    TIME_EACH(n, v = inb(UART_COM1_BASE + UART_LSR));
    last_in = v;
}

static void loop_in_unclaimed(uint32_t n)
{
    uint8_t v = 0;
    TIME_EACH(n, v = inb(UNCLAIMED_PORT));
    last_in = v;
}

static volatile uint32_t *mmio_word(void)
{
    return (volatile uint32_t *)(uintptr_t)(TESTDEV_MMIO_BASE + MMIO_BENCH_OFFSET);
}

static void loop_mmio_read(uint32_t n)
{
    volatile uint32_t *p = mmio_word();
    uint32_t v = 0;
    TIME_EACH(n, v = *p);
    last_read = v;
}

static void loop_mmio_write(uint32_t n)
{
    volatile uint32_t *p = mmio_word();
    TIME_EACH(n, *p = MMIO_PATTERN);
}

/* Aligned to more than its length, so that it never straddles two pages:
 * under shadow paging the first fetch after the reload faults once per
 * page, and that count must not depend on where the linker put it. */
static __attribute__((noinline, aligned(128))) void loop_cr3_reload(uint32_t n)
{
    uint32_t cr3 = read_cr3();
    TIME_EACH(n, __asm__ __volatile__("mov %0, %%cr3" : : "r"(cr3) : "memory"));
}

/* ---- statistics ------------------------------------------------------------------ */

/* Shell sort with Ciura's gaps: a few hundred thousand instructions for
 * 1000 samples, which matters under Bochs. */
static void sort_samples(uint32_t n)
{
    static const uint32_t gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };
    for (size_t g = 0; g < ARRAY_SIZE(gaps); g++) {
        uint32_t gap = gaps[g];
        for (uint32_t i = gap; i < n; i++) {
            uint32_t v = samples[i];
            uint32_t j = i;
            for (; j >= gap && samples[j - gap] > v; j -= gap)
                samples[j] = samples[j - gap];
            samples[j] = v;
        }
    }
}

/* ---- exit counts ------------------------------------------------------------------- */

/* keel's figures for every reason: exits, and the ticks keel spent on them. */
struct exit_counts {
    uint32_t count[SWEPT_EXIT_REASONS];
    uint64_t ticks[SWEPT_EXIT_REASONS];
};

/* What the timed iterations cost in exits: the reason with the most, and
 * the rest together, and keel's ticks for the reason with the most. */
struct exit_delta {
    uint32_t top_reason;
    uint32_t top_count;     /* 0: no exits at all */
    uint32_t others;
    uint64_t top_ticks;
};

/* How many VMCALL exits one read_exit_counts() adds to the VMCALL count
 * the next one sees, and their ticks: found once at start from two
 * readings with nothing between them, rather than assumed (each reading is
 * SWEPT_EXIT_REASONS VMCALLs, and each counts in the readings after it). */
static uint32_t vmcall_exits_per_read;
static uint64_t vmcall_ticks_per_read;

/* Writes every page of c once.  Under shadow paging the first write to a
 * page after a MOV CR3 takes a #PF exit: done to both structs before the
 * first reading, it is not counted against what is measured between two. */
static void touch_exit_counts(struct exit_counts *c)
{
    memset(c, 0, sizeof(*c));
}

static void read_exit_counts(struct exit_counts *c)
{
    for (uint32_t r = 0; r < SWEPT_EXIT_REASONS; r++) {
        struct keel_exit_cost cost;
        bool known = keel_exit_cost(r, &cost) == 0;
        c->count[r] = known ? (uint32_t)cost.count : 0;
        c->ticks[r] = known ? cost.total_ticks : 0;
    }
}

static void calibrate_exit_reads(void)
{
    static struct exit_counts first, second;
    read_exit_counts(&first);
    read_exit_counts(&second);
    vmcall_exits_per_read = second.count[EXIT_REASON_VMCALL] - first.count[EXIT_REASON_VMCALL];
    vmcall_ticks_per_read = second.ticks[EXIT_REASON_VMCALL] - first.ticks[EXIT_REASON_VMCALL];
}

static struct exit_delta exit_delta_between(const struct exit_counts *before,
                                            const struct exit_counts *after)
{
    struct exit_delta d = { 0 };
    uint32_t total = 0;
    for (uint32_t r = 0; r < SWEPT_EXIT_REASONS; r++) {
        uint32_t n = after->count[r] - before->count[r];
        uint64_t ticks = after->ticks[r] - before->ticks[r];
        if (r == EXIT_REASON_VMCALL) {
            n -= vmcall_exits_per_read;
            ticks -= vmcall_ticks_per_read;
        }
        total += n;
        if (n > d.top_count) {
            d.top_count = n;
            d.top_reason = r;
            d.top_ticks = ticks;
        }
    }
    d.others = total - d.top_count;
    return d;
}

static const char *exit_reason_name(uint32_t reason)
{
    static const struct {
        uint32_t reason;
        const char *name;
    } names[] = {
        { EXIT_REASON_EXCEPTION_NMI, "EXCEPTION_NMI" },
        { EXIT_REASON_EXTERNAL_INTERRUPT, "EXTERNAL_INTERRUPT" },
        { EXIT_REASON_CPUID, "CPUID" },
        { EXIT_REASON_HLT, "HLT" },
        { EXIT_REASON_VMCALL, "VMCALL" },
        { EXIT_REASON_CR_ACCESS, "CR_ACCESS" },
        { EXIT_REASON_IO_INSTRUCTION, "IO_INSTRUCTION" },
        { EXIT_REASON_EPT_VIOLATION, "EPT_VIOLATION" },
        { EXIT_REASON_EPT_MISCONFIG, "EPT_MISCONFIG" },
        { EXIT_REASON_PREEMPTION_TIMER, "PREEMPTION_TIMER" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (names[i].reason == reason)
            return names[i].name;
    return "other";
}

/* ---- running one operation --------------------------------------------------------------- */

struct op_result {
    uint32_t min;
    uint32_t median;
    uint32_t iterations;
    struct exit_delta exits;
    /* Where an iteration also exits outside the bracket: the exits inside
     * it, counted over bracket_iterations untimed iterations (keel only). */
    uint32_t bracket_exits;
    uint32_t bracket_iterations;    /* 0: not counted */
    /* keel's ticks for the exits inside the bracket, where they were
     * counted together with them (rep_insw). */
    bool bracket_ticks_known;
    uint64_t bracket_ticks;
};

/* Untimed iterations before the timed ones: caches, TLBs and keel's
 * first-time paths (a shadow page table, say) are warm when timing starts. */
static uint32_t warmup_iterations(uint32_t n)
{
    return n / 10 + 1;
}

/* Warm-up, then the timed iterations between two readings of keel's exit
 * counters; min and median of the samples. */
static struct op_result time_operation(void (*loop)(uint32_t n), uint32_t n)
{
    static struct exit_counts before, after;
    struct op_result res = { .iterations = n };
    loop(warmup_iterations(n));
    if (is_keel()) {
        touch_exit_counts(&before);
        touch_exit_counts(&after);
        read_exit_counts(&before);
    }
    loop(n);
    if (is_keel()) {
        read_exit_counts(&after);
        res.exits = exit_delta_between(&before, &after);
    }
    sort_samples(n);
    res.min = samples[0];
    res.median = samples[n / 2];
    return res;
}

/* count / n with two decimals, rounded; 32-bit arithmetic only (a 64-bit
 * division would need libgcc): rem < n <= MAX_ITERATIONS, so rem * 100
 * cannot overflow. */
static void print_hundredths(const char *key, uint32_t count, uint32_t n)
{
    uint32_t whole = count / n;
    uint32_t hundredths = ((count % n) * 100u + n / 2) / n;
    if (hundredths == 100) {
        whole++;
        hundredths = 0;
    }
    printf(" %s=%u.%02u", key, whole, hundredths);
}

/* a / b, rounded down, for b > 0: shift and subtract, since a 64-bit
 * division would need libgcc in this 32-bit guest. */
static uint64_t divide_u64(uint64_t a, uint64_t b)
{
    uint64_t quotient = 0, rest = 0;
    for (int bit = 63; bit >= 0; bit--) {
        rest = (rest << 1) | ((a >> bit) & 1u);
        if (rest >= b) {
            rest -= b;
            quotient |= UINT64_C(1) << bit;
        }
    }
    return quotient;
}

static void print_mean(const char *key, uint64_t ticks, uint32_t exits)
{
    if (exits)
        printf(" %s=%llu", key, (unsigned long long)divide_u64(ticks, exits));
    else
        printf(" %s=na", key);
}

/* keel's side of the operation's exits: the KEEL_COST line (keel only). */
static void print_keel_cost(const char *name, const struct op_result *r)
{
    printf("KEEL_COST name=%s exit_reason=%s exits=%u", name,
           r->exits.top_count ? exit_reason_name(r->exits.top_reason) : "none",
           r->exits.top_count);
    print_mean("mean", r->exits.top_ticks, r->exits.top_count);
    if (r->bracket_ticks_known) {
        printf(" bracket_exits=%u", r->bracket_exits);
        print_mean("bracket_mean", r->bracket_ticks, r->bracket_exits);
    }
    printf("\n");
}

static void print_result(const char *name, const struct op_result *r)
{
    printf("BENCH name=%s min=%u median=%u iterations=%u unit=ticks", name, r->min, r->median,
           r->iterations);
    if (!is_keel()) {
        printf(" exits_per_iter=na\n");
        return;
    }
    print_hundredths("exits_per_iter", r->exits.top_count + r->exits.others, r->iterations);
    printf(" exit_reason=%s other_exits=%u",
           r->exits.top_count ? exit_reason_name(r->exits.top_reason) : "none",
           r->exits.others);
    if (r->bracket_iterations)
        print_hundredths("bracket_exits_per_iter", r->bracket_exits, r->bracket_iterations);
    printf("\n");
    print_keel_cost(name, r);
}

static void print_not_run(const char *name, const char *why)
{
    printf("BENCH name=%s min=na median=na iterations=0 unit=ticks why=%s\n", name, why);
}

/* Under keel: exactly one exit of 'reason' per iteration, nothing else. */
static bool one_exit_each(const struct op_result *r, uint32_t reason)
{
    if (!is_keel())
        return true;
    bool ok = r->exits.top_reason == reason && r->exits.top_count == r->iterations;
    if (!ok)
        printf("exitbench: expected %u %s exits, got %u %s exits (and %u others)\n",
               r->iterations, exit_reason_name(reason), r->exits.top_count,
               exit_reason_name(r->exits.top_reason), r->exits.others);
    return ok;
}

/* ---- the operations' checks ---------------------------------------------------------------- */

static bool bench_rdtsc(void)
{
    struct op_result r = time_operation(loop_rdtsc, iterations);
    print_result("rdtsc", &r);
    /* A TSC that went backwards shows up as a huge unsigned difference. */
    return r.median < 0x80000000u;
}

static bool bench_ram_read(void)
{
    ram_word = RAM_PATTERN;
    struct op_result r = time_operation(loop_ram_read, iterations);
    print_result("ram_read", &r);
    return last_read == RAM_PATTERN;
}

static bool bench_ram_write(void)
{
    ram_word = 0;
    struct op_result r = time_operation(loop_ram_write, iterations);
    print_result("ram_write", &r);
    return ram_word == RAM_PATTERN;
}

static bool bench_cpuid(void)
{
    struct op_result r = time_operation(loop_cpuid, iterations);
    print_result("cpuid", &r);
    return last_vendor_ebx != 0 && one_exit_each(&r, EXIT_REASON_CPUID);
}

static bool bench_vmcall(void)
{
    struct op_result r = time_operation(loop_vmcall, iterations);
    print_result("vmcall", &r);
    return last_hypercall.eax == KEEL_HC_ABI_VERSION &&
           last_hypercall.ebx == KEEL_SIGNATURE_EBX && one_exit_each(&r, EXIT_REASON_VMCALL);
}

static bool bench_out_uart_scr(void)
{
    outb(0, UART_COM1_BASE + UART_SCR);
    struct op_result r = time_operation(loop_out_uart_scr, iterations);
    print_result("out_uart_scr", &r);
    return inb(UART_COM1_BASE + UART_SCR) == SCRATCH_PATTERN &&
           one_exit_each(&r, EXIT_REASON_IO_INSTRUCTION);
}

static bool bench_in_uart_lsr(void)
{
    serial_drain();
    struct op_result r = time_operation(loop_in_uart_lsr, iterations);
    print_result("in_uart_lsr", &r);
    /* Nothing was sent meanwhile: the transmitter is empty. */
    return (last_in & UART_LSR_THRE) && one_exit_each(&r, EXIT_REASON_IO_INSTRUCTION);
}

static bool bench_in_unclaimed(void)
{
    struct op_result r = time_operation(loop_in_unclaimed, iterations);
    print_result("in_unclaimed", &r);
    return last_in == ALL_ONES_BYTE && one_exit_each(&r, EXIT_REASON_IO_INSTRUCTION);
}

static uint64_t testdev_access_count(void)
{
    return *(volatile uint64_t *)(uintptr_t)(TESTDEV_MMIO_BASE + TESTDEV_MMIO_ACCESS_COUNT);
}

/* keel counts every emulated access in the region, including the reads of
 * the counter itself and the warm-up; what a reading of the counter adds
 * is measured as in mmio.c, so either way of counting it passes. */
static bool testdev_counted(void (*loop)(uint32_t n), const char *name)
{
    uint64_t a = testdev_access_count();
    uint64_t b = testdev_access_count();
    uint64_t per_read = b - a;
    uint64_t start = testdev_access_count();
    struct op_result r = time_operation(loop, iterations);
    uint64_t end = testdev_access_count();
    print_result(name, &r);
    uint64_t expected = iterations + warmup_iterations(iterations) + per_read;
    if (end - start != expected)
        printf("exitbench: %s: testdev counted %llu accesses, expected %llu\n", name,
               (unsigned long long)(end - start), (unsigned long long)expected);
    return end - start == expected;
}

static bool bench_mmio_write(void)
{
    *mmio_word() = 0;
    return testdev_counted(loop_mmio_write, "mmio_write") && *mmio_word() == MMIO_PATTERN;
}

static bool bench_mmio_read(void)
{
    *mmio_word() = MMIO_PATTERN ^ 1u;
    return testdev_counted(loop_mmio_read, "mmio_read") && last_read == (MMIO_PATTERN ^ 1u);
}

/* The #PF and CR-access exits one MOV CR3 takes, with nothing else between
 * the counter readings: hypercalls and reload are one asm block, which
 * touches no memory, so under shadow paging the only fault it can add is
 * the first fetch after the reload, as in the bracket (where the sample's
 * store after the bracket faults as well, and is counted in exits_per_iter).
 * Aligned like loop_cr3_reload, for the same reason. */
static __attribute__((noinline, aligned(128))) uint32_t exits_across_cr3_reload(uint32_t cr3)
{
    uint32_t exits;
    __asm__ __volatile__("mov %[hc], %%eax\n\t"
                         "mov %[pf], %%ebx\n\t"
                         "xor %%ecx, %%ecx\n\t"
                         "vmcall\n\t"
                         "mov %%eax, %%esi\n\t"
                         "mov %[hc], %%eax\n\t"
                         "mov %[cr], %%ebx\n\t"
                         "vmcall\n\t"
                         "mov %%eax, %%edi\n\t"
                         "mov %%edx, %%cr3\n\t"
                         "mov %[hc], %%eax\n\t"
                         "mov %[pf], %%ebx\n\t"
                         "vmcall\n\t"
                         "sub %%esi, %%eax\n\t"
                         "mov %%eax, %%esi\n\t"
                         "mov %[hc], %%eax\n\t"
                         "mov %[cr], %%ebx\n\t"
                         "vmcall\n\t"
                         "sub %%edi, %%eax\n\t"
                         "add %%eax, %%esi"
                         : "=S"(exits)
                         : "d"(cr3), [hc] "i"(KEEL_HC_EXIT_COUNT),
                           [pf] "i"(EXIT_REASON_EXCEPTION_NMI), [cr] "i"(EXIT_REASON_CR_ACCESS)
                         : "eax", "ebx", "ecx", "edi", "memory", "cc");
    return exits;
}

/* Bracket exits are counted over this many untimed iterations at most. */
#define BRACKET_COUNT_ITERATIONS 16u

static bool bench_cr3_reload(void)
{
    paging_enable_identity();
    uint32_t cr3 = read_cr3();
    struct op_result r = time_operation(loop_cr3_reload, iterations);
    if (is_keel()) {
        r.bracket_iterations = iterations < BRACKET_COUNT_ITERATIONS ? iterations
                                                                      : BRACKET_COUNT_ITERATIONS;
        for (uint32_t i = 0; i < r.bracket_iterations; i++)
            r.bracket_exits += exits_across_cr3_reload(cr3);
    }
    print_result("cr3_reload", &r);
    bool ok = read_cr3() == cr3 && (read_cr0() & CR0_PG);
    paging_disable();
    return ok;
}

/* ---- rep_insw ----------------------------------------------------------------------- */

static uint32_t sector_seed;

/* Device 0 answers IDENTIFY DEVICE and LBA BENCH_LBA holds a fresh
 * pattern; *why says what is missing otherwise. */
static bool set_up_disk(const char **why)
{
    uint16_t id[ATA_ID_WORDS];
    struct ata_outcome o = { 0 };
    ata_select(0);
    uint8_t status = inb(ATA_STATUS);
    if (status == ATA_STATUS_ABSENT_BUS || status == 0) {
        *why = "no-disk";
        return false;
    }
    if (!ata_soft_reset(ATA_CONTROL_NIEN) || !ata_identify(ATA_CMD_IDENTIFY_DEVICE, 0, id, &o) ||
        ata_id_lba28_sectors(id) <= BENCH_LBA) {
        *why = "no-ata-disk";
        return false;
    }
    sector_seed = (uint32_t)rdtsc() | 1u;
    sector_pattern_fill(sector, BENCH_LBA, 1, sector_seed);
    struct ata_taskfile tf = { .command = ATA_CMD_WRITE_SECTORS, .count = 1, .lba = BENCH_LBA };
    if (!ata_pio_out(&tf, sector, 1, 1, ATA_PIO_16, &o)) {
        *why = "write-failed";
        return false;
    }
    return true;
}

static bool disk_reads_clean;

/* Each iteration: READ SECTORS of one sector, wait for DRQ, then the timed
 * REP INSW of its 256 words, then the command's end. */
static void loop_rep_insw(uint32_t n)
{
    const struct ata_taskfile tf = { .command = ATA_CMD_READ_SECTORS, .count = 1,
                                     .lba = BENCH_LBA };
    for (uint32_t i = 0; i < n; i++) {
        struct ata_outcome o = { 0 };
        uint8_t status;
        memset(sector, 0, sizeof(sector));
        ata_issue(&tf);
        if (!ata_wait_not_busy(&status) || !(status & ATA_STATUS_DRQ)) {
            printf("exitbench: rep_insw: no DRQ (status 0x%02x)\n", status);
            disk_reads_clean = false;
            samples[i] = 0;
            continue;
        }
        void *dst = sector;
        uint32_t words = ATA_SECTOR_WORDS;
        uint64_t start = tsc_begin();
        __asm__ __volatile__("rep insw" : "+D"(dst), "+c"(words) : "d"(ATA_DATA) : "memory");
        samples[i] = (uint32_t)(tsc_end() - start);
        ata_finish(&o);
        if (!ata_outcome_clean(&o)) {
            printf("exitbench: rep_insw: READ SECTORS ended with status 0x%02x error 0x%02x\n",
                   o.status, o.error);
            disk_reads_clean = false;
        }
    }
}

/* The I/O exits of the REP INSW alone, and keel's ticks for them, over n
 * untimed commands (the command's register writes and Status polls are I/O
 * exits too). */
static void io_exits_of_rep_insw(uint32_t n, struct op_result *r)
{
    const struct ata_taskfile tf = { .command = ATA_CMD_READ_SECTORS, .count = 1,
                                     .lba = BENCH_LBA };
    uint32_t exits = 0;
    uint64_t ticks = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct ata_outcome o = { 0 };
        uint8_t status;
        ata_issue(&tf);
        if (!ata_wait_not_busy(&status) || !(status & ATA_STATUS_DRQ)) {
            disk_reads_clean = false;
            continue;
        }
        void *dst = sector;
        uint32_t words = ATA_SECTOR_WORDS;
        struct keel_exit_cost before, after;
        keel_exit_cost(EXIT_REASON_IO_INSTRUCTION, &before);
        __asm__ __volatile__("rep insw" : "+D"(dst), "+c"(words) : "d"(ATA_DATA) : "memory");
        keel_exit_cost(EXIT_REASON_IO_INSTRUCTION, &after);
        exits += (uint32_t)(after.count - before.count);
        ticks += after.total_ticks - before.total_ticks;
        ata_finish(&o);
        if (!ata_outcome_clean(&o))
            disk_reads_clean = false;
    }
    r->bracket_exits = exits;
    r->bracket_ticks = ticks;
    r->bracket_ticks_known = true;
}

static enum check_result bench_rep_insw(const char **why)
{
    if (!set_up_disk(why)) {
        print_not_run("rep_insw", *why);
        return CHECK_SKIPPED;
    }
    disk_reads_clean = true;
    struct op_result r = time_operation(loop_rep_insw, disk_iterations);
    if (is_keel()) {
        r.bracket_iterations = disk_iterations < BRACKET_COUNT_ITERATIONS
                                   ? disk_iterations : BRACKET_COUNT_ITERATIONS;
        io_exits_of_rep_insw(r.bracket_iterations, &r);
    }
    print_result("rep_insw", &r);
    return check_result_of(disk_reads_clean &&
                           sector_pattern_check("exitbench: rep_insw", sector, BENCH_LBA, 1,
                                                sector_seed));
}

/* ---- the compute loops --------------------------------------------------------------------- */

/* rounds rounds of x <- a*x + c, in registers: four instructions a round. */
static uint32_t lcg_loop(uint32_t x, uint32_t rounds)
{
    __asm__ __volatile__("1:\n\t"
                         "imul %[a], %[x]\n\t"
                         "add %[c], %[x]\n\t"
                         "dec %[n]\n\t"
                         "jnz 1b"
                         : [x] "+r"(x), [n] "+r"(rounds)
                         : [a] "r"(LCG_MULTIPLIER), [c] "r"(LCG_INCREMENT)
                         : "cc");
    return x;
}

/* The same generator jumped ahead: x -> a*x + c composed with itself by
 * squaring, (a, c) then (a', c') being (a*a', a'*c + c'). */
static uint32_t lcg_jump(uint32_t x, uint32_t rounds)
{
    uint32_t step_a = LCG_MULTIPLIER, step_c = LCG_INCREMENT;
    uint32_t total_a = 1, total_c = 0;
    for (; rounds; rounds >>= 1) {
        if (rounds & 1u) {
            total_c = step_a * total_c + step_c;
            total_a *= step_a;
        }
        step_c = step_a * step_c + step_c;
        step_a *= step_a;
    }
    return total_a * x + total_c;
}

/* loads loads, MEM_STEP_BYTES apart modulo the buffer, summed: five
 * instructions a load. */
static uint32_t mem_walk(uint32_t loads)
{
    uint32_t sum = 0, offset = 0;
    const uint8_t *base = (const uint8_t *)mem_buffer;
    __asm__ __volatile__("1:\n\t"
                         "add (%[base], %[off]), %[sum]\n\t"
                         "add %[step], %[off]\n\t"
                         "and %[mask], %[off]\n\t"
                         "dec %[n]\n\t"
                         "jnz 1b"
                         : [sum] "+r"(sum), [off] "+r"(offset), [n] "+r"(loads)
                         : [base] "r"(base), [step] "i"(MEM_STEP_BYTES),
                           [mask] "i"(MEM_BUFFER_BYTES - 1), "m"(mem_buffer)
                         : "cc");
    return sum;
}

static uint32_t total_exits(const struct exit_counts *before, const struct exit_counts *after)
{
    struct exit_delta d = exit_delta_between(before, after);
    return d.top_count + d.others;
}

static void print_loop(const char *name, uint64_t ticks, const struct exit_counts *before,
                       const struct exit_counts *after)
{
    printf("BENCH name=%s ticks=%llu", name, (unsigned long long)ticks);
    if (is_keel())
        printf(" exits=%u", total_exits(before, after));
    printf("\n");
}

static bool compute_cpu(void)
{
    static struct exit_counts before, after;
    paging_enable_identity();
    (void)lcg_loop(LCG_SEED, LCG_ROUNDS / 16);
    if (is_keel()) {
        touch_exit_counts(&before);
        touch_exit_counts(&after);
        read_exit_counts(&before);
    }
    uint64_t start = tsc_begin();
    uint32_t x = lcg_loop(LCG_SEED, LCG_ROUNDS);
    uint64_t ticks = tsc_end() - start;
    if (is_keel())
        read_exit_counts(&after);
    paging_disable();
    print_loop("compute_cpu", ticks, &before, &after);
    return x == lcg_jump(LCG_SEED, LCG_ROUNDS);
}

static bool compute_mem(void)
{
    static struct exit_counts before, after;
    /* Word i of each line's first word holds the line's first word index. */
    for (uint32_t line = 0; line < MEM_LINES; line++)
        mem_buffer[line * MEM_LINE_WORDS] = line * MEM_LINE_WORDS;
    paging_enable_identity();
    (void)mem_walk(MEM_LINES);
    if (is_keel()) {
        touch_exit_counts(&before);
        touch_exit_counts(&after);
        read_exit_counts(&before);
    }
    uint64_t start = tsc_begin();
    uint32_t sum = mem_walk(MEM_LINES * MEM_PASSES);
    uint64_t ticks = tsc_end() - start;
    if (is_keel())
        read_exit_counts(&after);
    paging_disable();
    print_loop("compute_mem", ticks, &before, &after);
    /* Each pass reads every line once: the sum of line * MEM_LINE_WORDS. */
    uint32_t per_pass = MEM_LINE_WORDS * (MEM_LINES / 2) * (MEM_LINES - 1);
    return sum == per_pass * MEM_PASSES;
}

/* ---- the table ----------------------------------------------------------------------- */

/* ---- hlt_wakeup --------------------------------------------------------------------------- */

/* The local APIC timer in TSC-deadline mode (SDM vol. 3A 11.5.4.1) wakes
 * `sti; hlt`: the deadline is a TSC value, so the guest knows to the tick
 * when the interrupt was due, under keel and bare alike.  Each sample is
 * the handler's first RDTSC less the deadline.  The 8259s are masked, so
 * nothing else can end the HLT. */
#define WAKE_VECTOR         0x40u
#define WAKE_SPURIOUS       0xFFu
/* Far enough ahead that the guest is in HLT before it (under keel the
 * WRMSR is an exit of its own), near enough to keep the run short. */
#define WAKE_DELAY_TICKS    20000u
#define IA32_APIC_BASE_ADDRESS_MASK (~0xFFFull)

static volatile uint64_t woke_tsc;
static volatile uint32_t wake_interrupts;
static uint32_t wakes_early, wakes_missed;

static void wake_handler(struct exception_frame *frame)
{
    woke_tsc = rdtsc();
    (void)frame;
    wake_interrupts++;
    lapic_eoi();
}

static void loop_hlt_wakeup(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t before = wake_interrupts;
        uint64_t deadline = rdtsc() + WAKE_DELAY_TICKS;
        wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
        __asm__ __volatile__("sti\n\thlt\n\tcli" : : : "memory");
        if (wake_interrupts != before + 1 || woke_tsc < deadline) {
            wakes_missed += wake_interrupts != before + 1;
            wakes_early += woke_tsc < deadline;
            samples[i] = 0;
            continue;
        }
        samples[i] = (uint32_t)(woke_tsc - deadline);
    }
}

/* The HLT exits that the wake-ups end, and keel's ticks for them, over n
 * more, untimed wake-ups: the WRMSR before the HLT (and, without
 * virtual-interrupt delivery, the EOI after it) exit too, outside the
 * measured span. */
static void hlt_exits_of_wakeups(uint32_t n, struct op_result *r)
{
    uint32_t exits = 0;
    uint64_t ticks = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct keel_exit_cost before, after;
        wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + WAKE_DELAY_TICKS);
        keel_exit_cost(EXIT_REASON_HLT, &before);
        __asm__ __volatile__("sti\n\thlt\n\tcli" : : : "memory");
        keel_exit_cost(EXIT_REASON_HLT, &after);
        exits += (uint32_t)(after.count - before.count);
        ticks += after.total_ticks - before.total_ticks;
    }
    r->bracket_exits = exits;
    r->bracket_ticks = ticks;
    r->bracket_ticks_known = true;
}

/* The xAPIC where a PC has it, with TSC-deadline mode; *why otherwise. */
static bool tsc_deadline_timer_usable(const char **why)
{
    struct cpuid_regs r = cpuid(CPUID_LEAF_FEATURES);
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (!(r.edx & CPUID_1_EDX_APIC) || !(base & APIC_BASE_EN) || (base & APIC_BASE_EXTD) ||
        (base & IA32_APIC_BASE_ADDRESS_MASK) != XAPIC_DEFAULT_BASE) {
        *why = "no-xapic";
        return false;
    }
    if (!(r.ecx & CPUID_1_ECX_TSC_DEADLINE)) {
        *why = "no-tsc-deadline";
        return false;
    }
    return true;
}

static enum check_result bench_hlt_wakeup(const char **why)
{
    if (!tsc_deadline_timer_usable(why)) {
        print_not_run("hlt_wakeup", *why);
        return CHECK_SKIPPED;
    }
    idt_install();
    pic_init_all_masked();
    lapic_setup(WAKE_SPURIOUS);
    idt_set_handler(WAKE_VECTOR, wake_handler);
    xapic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_TSC_DEADLINE | WAKE_VECTOR);
    /* The SDM's advice: the LVT write ordered before the first WRMSR. */
    __asm__ __volatile__("mfence" : : : "memory");
    wakes_early = wakes_missed = 0;
    struct op_result r = time_operation(loop_hlt_wakeup, iterations);
    if (is_keel()) {
        r.bracket_iterations = iterations < BRACKET_COUNT_ITERATIONS ? iterations
                                                                      : BRACKET_COUNT_ITERATIONS;
        hlt_exits_of_wakeups(r.bracket_iterations, &r);
    }
    lapic_timer_stop();
    print_result("hlt_wakeup", &r);
    if (wakes_early || wakes_missed)
        printf("exitbench: hlt_wakeup: %u wake-ups before the deadline, %u HLTs not ended by "
               "exactly one interrupt\n", wakes_early, wakes_missed);
    return check_result_of(!wakes_early && !wakes_missed);
}

struct exit_bench {
    const char *name;           /* as in the BENCH line */
    enum test_needs needs;
    const char *why_not;        /* the BENCH line's why= when needs are not met */
    bool (*run)(void);
};

static const struct exit_bench benches[] = {
    { "rdtsc", NEEDS_NOTHING, NULL, bench_rdtsc },
    { "ram_read", NEEDS_NOTHING, NULL, bench_ram_read },
    { "ram_write", NEEDS_NOTHING, NULL, bench_ram_write },
    { "cpuid", NEEDS_NOTHING, NULL, bench_cpuid },
    { "vmcall", NEEDS_KEEL, "not-under-keel", bench_vmcall },
    { "out_uart_scr", NEEDS_NOTHING, NULL, bench_out_uart_scr },
    { "in_uart_lsr", NEEDS_NOTHING, NULL, bench_in_uart_lsr },
    { "in_unclaimed", NEEDS_NOTHING, NULL, bench_in_unclaimed },
    { "mmio_read", NEEDS_TESTDEV, "no-testdev", bench_mmio_read },
    { "mmio_write", NEEDS_TESTDEV, "no-testdev", bench_mmio_write },
    { "cr3_reload", NEEDS_NOTHING, NULL, bench_cr3_reload },
    { "compute_cpu", NEEDS_NOTHING, NULL, compute_cpu },
    { "compute_mem", NEEDS_NOTHING, NULL, compute_mem },
};

static const struct named_check late_checks[] = {
    { "exitbench: rep_insw", NEEDS_NOTHING, bench_rep_insw },
    { "exitbench: hlt_wakeup", NEEDS_NOTHING, bench_hlt_wakeup },
};

static void run_benches(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(benches); i++) {
        const struct exit_bench *b = &benches[i];
        char label[48];
        snprintf(label, sizeof(label), "exitbench: %s", b->name);
        if (!test_selected(b->name))
            continue;
        if (!test_needs_met(label, b->needs)) {
            print_not_run(b->name, b->why_not);
            continue;
        }
        report(b->run(), "%s", label);
    }
    run_checks(late_checks, ARRAY_SIZE(late_checks));
}

static uint32_t decimal_argument(const char *key, uint32_t fallback, uint32_t min, uint32_t max)
{
    uint64_t v;
    if (!cmdline_decimal(guest_cmdline(), key, &v))
        return fallback;
    if (v < min || v > max)
        report_abort("exitbench: %s=%llu outside %u..%u", key, (unsigned long long)v, min, max);
    return (uint32_t)v;
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    iterations = decimal_argument("iterations", DEFAULT_ITERATIONS, 1, MAX_ITERATIONS);
    uint32_t disk_default = iterations < DEFAULT_DISK_ITERATIONS ? iterations
                                                                 : DEFAULT_DISK_ITERATIONS;
    disk_iterations = decimal_argument("disk_iterations", disk_default, 1, MAX_ITERATIONS);
    if (is_keel())
        calibrate_exit_reads();
    printf("exitbench: %u iterations (%u for rep_insw), %s; ticks are RDTSC differences "
           "(Bochs: emulated instructions)\n", iterations, disk_iterations,
           is_keel() ? "under keel: exit counts and keel's ticks from hypercall 3" : "bare");
    run_benches();
}
