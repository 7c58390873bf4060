/*
 * The host's local APIC timer as keel's turn timer where VT-x has no
 * preemption timer (arch/x86/host_lapic.h).  Registers and timer modes are
 * SDM vol. 3A chapter 11: the xAPIC page at IA32_APIC_BASE (11.4.1), or the
 * x2APIC MSRs 800H + offset/16 when the firmware left x2APIC mode on
 * (11.12.1); the timer's one-shot mode counts the initial count down at the
 * bus clock divided by the divide configuration and interrupts at 0
 * (11.5.4).  The bus clock's rate is not architectural: it is measured
 * against the TSC.
 */
#include "arch/x86/host_lapic.h"

#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/tsc.h"
#include "kernel/log.h"
#include "mm/paging.h"

#define CPUID_1_EDX_APIC            (1u << 9)
#define APIC_BASE_ENABLE            (1ull << 11)
#define APIC_BASE_EXTD              (1ull << 10)
#define APIC_BASE_ADDRESS_MASK      0x000ffffffffff000ull
#define X2APIC_MSR_BASE             0x800u

#define REG_TPR                     0x080u
#define REG_EOI                     0x0b0u
#define REG_SVR                     0x0f0u
#define REG_LVT_TIMER               0x320u
#define REG_INITIAL_COUNT           0x380u
#define REG_CURRENT_COUNT           0x390u
#define REG_DIVIDE_CONFIG           0x3e0u

#define SVR_APIC_ENABLE             (1u << 8)
#define LVT_MASKED                  (1u << 16)
#define LVT_TIMER_ONE_SHOT          0u          /* bits 18:17 = 00 */
#define DIVIDE_BY_1                 0xbu        /* bits 3,1:0 = 1,11 */

/* 10 ms of TSC for the measurement: the bus clock would need more than
 * 400 GHz to run the 32-bit count out in that time. */
#define CALIBRATION_MS              10u
/* Longest span armed at once, so that span * rate stays within 64 bits for
 * bus clocks up to 16 times the TSC.  A longer wait fires early and is
 * armed again. */
#define MAX_ARM_TICKS               (1ull << 27)

static struct {
    bool x2apic;
    volatile uint32_t *mmio;
    uint64_t counts_per_tsc_q32;
} host;

static void reg_write(uint32_t offset, uint32_t value)
{
    if (host.x2apic)
        wrmsr(X2APIC_MSR_BASE + offset / 16, value);
    else
        host.mmio[offset / sizeof(uint32_t)] = value;
}

static uint32_t reg_read(uint32_t offset)
{
    if (host.x2apic)
        return (uint32_t)rdmsr(X2APIC_MSR_BASE + offset / 16);
    return host.mmio[offset / sizeof(uint32_t)];
}

/* Runs the timer down from its largest count for CALIBRATION_MS of TSC. */
static uint64_t measure_counts_per_tsc_q32(void)
{
    uint64_t span = (uint64_t)tsc_khz() * CALIBRATION_MS;
    reg_write(REG_LVT_TIMER, LVT_MASKED | HOST_LAPIC_TIMER_VECTOR);
    reg_write(REG_DIVIDE_CONFIG, DIVIDE_BY_1);
    uint64_t start = rdtsc();
    reg_write(REG_INITIAL_COUNT, UINT32_MAX);
    while (rdtsc() - start < span)
        cpu_relax();
    uint32_t left = reg_read(REG_CURRENT_COUNT);
    uint64_t elapsed = rdtsc() - start;
    reg_write(REG_INITIAL_COUNT, 0);
    return ((uint64_t)(UINT32_MAX - left) << 32) / elapsed;
}

bool host_lapic_timer_init(void)
{
    if (!(cpuid(1, 0).edx & CPUID_1_EDX_APIC)) {
        pr_warn("host local APIC: none (CPUID.1:EDX.APIC clear)");
        return false;
    }
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (!(base & APIC_BASE_ENABLE)) {
        pr_warn("host local APIC: disabled in IA32_APIC_BASE");
        return false;
    }
    host.x2apic = base & APIC_BASE_EXTD;
    host.mmio = phys_to_virt(base & APIC_BASE_ADDRESS_MASK);
    reg_write(REG_SVR, SVR_APIC_ENABLE | HOST_LAPIC_SPURIOUS_VECTOR);
    reg_write(REG_TPR, 0);
    host.counts_per_tsc_q32 = measure_counts_per_tsc_q32();
    if (host.counts_per_tsc_q32 == 0) {
        pr_warn("host local APIC: its timer did not count");
        return false;
    }
    pr_info("host local APIC timer: %lu counts per 1000 TSC ticks (%s)",
            (unsigned long)((host.counts_per_tsc_q32 * 1000) >> 32),
            host.x2apic ? "x2APIC" : "xAPIC");
    /* Unmasked from now on; an initial count of 0 keeps it still. */
    reg_write(REG_LVT_TIMER, LVT_TIMER_ONE_SHOT | HOST_LAPIC_TIMER_VECTOR);
    return true;
}

void host_lapic_timer_arm(uint64_t deadline, uint64_t now)
{
    uint64_t ticks = deadline > now ? deadline - now : 0;
    if (ticks > MAX_ARM_TICKS)
        ticks = MAX_ARM_TICKS;
    uint64_t counts = (ticks * host.counts_per_tsc_q32) >> 32;
    if (counts == 0)
        counts = 1;                     /* 0 would stop the timer */
    if (counts > UINT32_MAX)
        counts = UINT32_MAX;
    reg_write(REG_INITIAL_COUNT, (uint32_t)counts);
}

void host_lapic_timer_stop(void)
{
    reg_write(REG_INITIAL_COUNT, 0);
}

void host_lapic_eoi(void)
{
    reg_write(REG_EOI, 0);
}
