/*
 * cpu_state: the CPU state that VM entry and exit do not switch stays each
 * VM's own while keel runs others.
 *
 * keel lets guests use some registers directly: the debug registers (no
 * MOV-DR exiting; VM entry and exit switch DR7 alone, SDM vol. 3C 27.3.1.1,
 * 28.3.1), the SYSCALL MSRs, IA32_KERNEL_GS_BASE and IA32_TSC_AUX (in the
 * MSR bitmap's pass-through list), CR2.  Others it emulates or keeps in the
 * VMCS: the SYSENTER MSRs, FS and GS base, IA32_PAT, the TSC (an offset per
 * VM).  kvm-unit-tests' msr, tsc and vmexit (mov_dr, wr_kernel_gs_base)
 * tests write them and read them back within one VM; keel must also keep
 * them apart between VMs.
 *
 * Run two or more copies in one boot, each with another "seed=N".  Each
 * loads every register with values made from its seed, then sleeps on HLT
 * until its next PIT tick (1 kHz, IRQ 0 through the 8259) while keel runs
 * the others, 20 times, and after every wake-up finds its own values again.
 * DR0-DR3 hold addresses of data that is never executed, and DR7 enables
 * them as execute breakpoints, so a VM that got another's DR7 still takes
 * no #DB.  The TSC is written to seed * 2^40 and must stay above it and
 * below (seed + 1/2) * 2^40.
 *
 * Expected under keel: pass.  Bare: pass (nothing else runs), except the
 * TSC check, keel only (QEMU's TCG reads the TSC MSR write as a no-op: see
 * msr.c).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/irq.h"
#include "lib/keel.h"
#include "lib/paging_arch.h"
#include "lib/pic.h"
#include "lib/pit.h"
#include "lib/report.h"
#include "lib/string.h"
#include "lib/x86.h"

#define ROUNDS          20u
#define TICK_HZ         1000u
#define PIT_VECTOR      PIC_MASTER_VECTOR_BASE      /* IRQ 0 */


#define DR7_FIXED1      0x400u
#define DR7_LOCAL_ALL   0x55u           /* L0-L3, R/W 00 (execute), LEN 00 */
#define DR7_GLOBAL_ALL  0xAAu           /* G0-G3 */
#define DR6_B0_B3       0xFu
#define TSC_SPAN_SHIFT  40

/* MSRs the guest writes and reads back; 'value' is made from the seed. */
struct msr_slot {
    uint32_t msr;
    const char *name;
    uint64_t value;
};

static struct msr_slot msrs[] = {
    { MSR_IA32_SYSENTER_CS, "IA32_SYSENTER_CS", 0 },
    { MSR_IA32_SYSENTER_ESP, "IA32_SYSENTER_ESP", 0 },
    { MSR_IA32_SYSENTER_EIP, "IA32_SYSENTER_EIP", 0 },
    { MSR_IA32_PAT, "IA32_PAT", 0 },
    { MSR_IA32_STAR, "IA32_STAR", 0 },
    { MSR_IA32_LSTAR, "IA32_LSTAR", 0 },
    { MSR_IA32_CSTAR, "IA32_CSTAR", 0 },
    { MSR_IA32_FMASK, "IA32_FMASK", 0 },
    { MSR_IA32_FS_BASE, "IA32_FS_BASE", 0 },
    { MSR_IA32_GS_BASE, "IA32_GS_BASE", 0 },
    { MSR_IA32_KERNEL_GS_BASE, "IA32_KERNEL_GS_BASE", 0 },
    { MSR_IA32_TSC_AUX, "IA32_TSC_AUX", 0 },
};
#define NR_MSRS (sizeof(msrs) / sizeof(msrs[0]))

struct state {
    uint32_t dr[4];
    uint32_t dr6, dr7;
    uint32_t cr2;
    uint64_t msr[NR_MSRS];
    uint32_t rdtscp_aux;
};

static volatile unsigned ticks;
static bool long_mode_msrs, tsc_aux;
static uint8_t breakpoint_targets[4][16];   /* data: never executed */

static void tick_handler(struct exception_frame *frame)
{
    (void)frame;
    ticks++;
    pic_send_eoi(0);
}

static void setup_tick(void)
{
    pic_program(PIC_MASTER_VECTOR_BASE, PIC_SLAVE_VECTOR_BASE, false);
    idt_set_handler(PIT_VECTOR, tick_handler);
    pit_program(0, PIT_MODE_RATE_GENERATOR, pit_count_for_hz(TICK_HZ));
    pic_unmask_irq(0);
}

static void sleep_one_tick(void)
{
    unsigned before = ticks;
    while (ticks == before)
        __asm__ __volatile__("sti\n\thlt\n\tcli" : : : "memory");
}

#define READ_DR(n, out) __asm__ __volatile__("mov %%dr" #n ", %0" : "=r"(out))
#define WRITE_DR(n, in) __asm__ __volatile__("mov %0, %%dr" #n : : "r"(in))

static bool msr_used(unsigned i)
{
    if (msrs[i].msr == MSR_IA32_TSC_AUX)
        return tsc_aux;
    if (msrs[i].msr >= MSR_IA32_STAR)
        return long_mode_msrs;
    return true;
}

/* Canonical 48-bit addresses, distinct per seed and register; PAT entries
 * of valid types (0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-). */
static void make_values(uint32_t seed)
{
    static const uint8_t pat_types[] = { 0, 1, 4, 5, 6, 7 };
    for (unsigned i = 0; i < NR_MSRS; i++) {
        uint64_t v = 0x00007F0000000000ull | (uint64_t)seed << 32 | (uint64_t)(i + 1) << 16 |
                     (seed * 0x1111u & 0xFFF0u);
        switch (msrs[i].msr) {
        case MSR_IA32_SYSENTER_CS:
            v = 0x08 + seed * 8;
            break;
        case MSR_IA32_PAT:
            v = 0;
            for (unsigned e = 0; e < 8; e++)
                v |= (uint64_t)pat_types[(seed + e) % sizeof(pat_types)] << (e * 8);
            break;
        case MSR_IA32_FMASK:
        case MSR_IA32_TSC_AUX:
            v = 0x1000u * seed + 0x47u;
            break;
        case MSR_IA32_STAR:
            v = (uint64_t)(0x0010u + seed * 8) << 48 | (uint64_t)(0x0008u + seed * 8) << 32;
            break;
        case MSR_IA32_FS_BASE:
        case MSR_IA32_GS_BASE:
            /* Outside IA-32e mode a segment base is 32 bits wide. */
            v = 0x10000000u * seed + 0x00ABC000u;
            break;
        default:
            break;
        }
        msrs[i].value = v;
    }
}

static void load_state(uint32_t seed)
{
    for (unsigned i = 0; i < 4; i++) {
        uint32_t target = (uint32_t)(uintptr_t)breakpoint_targets[(i + seed) % 4];
        switch (i) {
        case 0: WRITE_DR(0, target); break;
        case 1: WRITE_DR(1, target); break;
        case 2: WRITE_DR(2, target); break;
        default: WRITE_DR(3, target); break;
        }
    }
    uint32_t dr6 = 0xFFFF0FF0u | (seed & DR6_B0_B3);
    WRITE_DR(6, dr6);
    uint32_t dr7 = DR7_FIXED1 | (seed & 1 ? DR7_LOCAL_ALL : DR7_GLOBAL_ALL);
    WRITE_DR(7, dr7);
    __asm__ __volatile__("mov %0, %%cr2" : : "r"(0xC0000000u + seed * 0x1000u));
    for (unsigned i = 0; i < NR_MSRS; i++)
        if (msr_used(i))
            wrmsr(msrs[i].msr, msrs[i].value);
}

static void store_state(struct state *s)
{
    memset(s, 0, sizeof(*s));
    READ_DR(0, s->dr[0]);
    READ_DR(1, s->dr[1]);
    READ_DR(2, s->dr[2]);
    READ_DR(3, s->dr[3]);
    READ_DR(6, s->dr6);
    READ_DR(7, s->dr7);
    s->cr2 = read_cr2();
    for (unsigned i = 0; i < NR_MSRS; i++)
        if (msr_used(i))
            s->msr[i] = rdmsr(msrs[i].msr);
    if (tsc_aux) {
        uint32_t lo, hi, aux;
        __asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
        s->rdtscp_aux = aux;
    }
}

/* The first difference between two states, printed; true when none. */
static bool same_state(const struct state *want, const struct state *got, unsigned round)
{
    for (unsigned i = 0; i < 4; i++)
        if (want->dr[i] != got->dr[i]) {
            printf("cpu_state: round %u: DR%u 0x%x, was 0x%x\n", round, i, got->dr[i], want->dr[i]);
            return false;
        }
    if (want->dr6 != got->dr6 || want->dr7 != got->dr7 || want->cr2 != got->cr2) {
        printf("cpu_state: round %u: DR6 0x%x DR7 0x%x CR2 0x%x, were 0x%x 0x%x 0x%x\n", round,
               got->dr6, got->dr7, got->cr2, want->dr6, want->dr7, want->cr2);
        return false;
    }
    for (unsigned i = 0; i < NR_MSRS; i++)
        if (want->msr[i] != got->msr[i]) {
            printf("cpu_state: round %u: %s 0x%llx, was 0x%llx\n", round, msrs[i].name,
                   got->msr[i], want->msr[i]);
            return false;
        }
    if (want->rdtscp_aux != got->rdtscp_aux) {
        printf("cpu_state: round %u: RDTSCP ECX 0x%x, was 0x%x\n", round, got->rdtscp_aux,
               want->rdtscp_aux);
        return false;
    }
    return true;
}

static bool tsc_in_own_range(uint32_t seed, uint32_t round)
{
    uint64_t low = (uint64_t)seed << TSC_SPAN_SHIFT, high = low + (1ull << (TSC_SPAN_SHIFT - 1));
    uint64_t now = rdtsc();
    if (now >= low && now < high)
        return true;
    printf("cpu_state: round %u: TSC 0x%llx outside 0x%llx..0x%llx\n", round, now, low, high);
    return false;
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic, (void)mbi;
    uint64_t seed64 = 1;
    cmdline_decimal(guest_cmdline(), "seed", &seed64);
    uint32_t seed = (uint32_t)seed64;
    bool extended = cpuid(CPUID_LEAF_EXTENDED_MAX).eax >= CPUID_LEAF_EXTENDED_FEATURES;
    uint32_t ext_edx = extended ? cpuid(CPUID_LEAF_EXTENDED_FEATURES).edx : 0;
    long_mode_msrs = ext_edx & CPUID_80000001_EDX_LM;
    tsc_aux = ext_edx & CPUID_80000001_EDX_RDTSCP;
    make_values(seed);
    setup_tick();

    bool keel = is_keel();
    if (keel)
        wrmsr(MSR_IA32_TIME_STAMP_COUNTER, (uint64_t)seed << TSC_SPAN_SHIFT);
    load_state(seed);
    static struct state want, got;
    store_state(&want);
    bool loaded = true;
    for (unsigned i = 0; i < NR_MSRS; i++)
        if (msr_used(i) && want.msr[i] != msrs[i].value) {
            printf("cpu_state: %s wrote 0x%llx, read 0x%llx\n", msrs[i].name, msrs[i].value,
                   want.msr[i]);
            loaded = false;
        }
    bool same = true, tsc_ok = true;
    unsigned round;
    for (round = 0; round < ROUNDS && same; round++) {
        sleep_one_tick();
        store_state(&got);
        same = same_state(&want, &got, round);
        if (keel)
            tsc_ok = tsc_in_own_range(seed, round) && tsc_ok;
    }
    printf("cpu_state: seed %u, SYSCALL MSRs %s, TSC_AUX %s, %u rounds, %u ticks\n", seed,
           long_mode_msrs ? "yes" : "no", tsc_aux ? "yes" : "no", round, ticks);
    report(loaded, "cpu_state: MSRs read back what was written (seed %u)", seed);
    report(same, "cpu_state: DR0-3, DR6, DR7, CR2 and MSRs kept across %u sleeps (seed %u)",
           ROUNDS, seed);
    if (keel)
        report(tsc_ok, "cpu_state: the TSC stays this VM's own (seed %u)", seed);
    else
        report_skip("cpu_state: the TSC stays this VM's own (not under keel)");
    WRITE_DR(7, DR7_FIXED1);
}
