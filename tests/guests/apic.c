/*
 * apic: the local APIC as the Intel SDM vol. 3A chapter 11 describes it
 * (section numbers below are that chapter's), through the xAPIC page, the
 * x2APIC MSRs and CR8.
 *
 *   - IA32_APIC_BASE: reset value (base 0xFEE00000, EN, BSP), reserved bits
 *     #GP(0) (11.4.4); EN = 0 disables the APIC (CPUID.1:EDX.APIC reads 0,
 *     the page no longer decodes: 11.4.3) and EN = 1 brings it back in its
 *     power-up state (11.4.7.1; 11.4.3 says the state "may" be lost on a
 *     processor with FSB interrupt delivery: keel's model always resets it,
 *     and that is what the check holds it to).
 *   - ID, version (integrated, Max LVT Entry), SVR software disable: every
 *     LVT entry masked and unmasking ignored while disabled (11.4.7.2).
 *   - TPR and PPR (11.8.3.1: PPR = TPR when TPR's class is at least the
 *     highest in-service class, else that class with 3:0 = 0).
 *   - Self-IPIs (fixed, shorthand self): taken at once with IF = 1; with
 *     IF = 0 held in IRR and taken after the instruction that follows STI;
 *     one sent with IF = 0 ends the HLT after STI at once, in service in
 *     its handler (PPR its class) until its EOI; ISR/IRR/TMR while the
 *     handler runs; EOI ends the highest ISR bit;
 *     two pending vectors taken highest class first; inside a handler only a
 *     higher class nests; TPR holds vectors of its class and below.
 *   - ICR reads back, delivery status idle; ICR high keeps what was written
 *     across other writes and an interrupt; ESR "send illegal vector" for a
 *     fixed IPI of vector 2 and the LVT error interrupt (11.5.3).
 *   - IA32_APIC_BASE moves the xAPIC page (11.4.4): ID, version, TPR, PPR,
 *     a self-IPI and its EOI through the new page, then back.
 *   - NMI by IPI to the APIC's own ID: a second NMI during the handler waits
 *     for its IRET (SDM 6.7.1).
 *   - x2APIC (11.12), when CPUID.1:ECX[21] says it exists: ID, version and
 *     LDR MSRs, self IPI and EOI MSRs, the TPR MSR holding its class (and
 *     #GP for its reserved bits), EOI and SELF IPI reads #GP, ICR and the
 *     current count read back, the xAPIC page gone, the legal and illegal
 *     mode transitions (11.12.5).
 *
 * Under keel each of these runs on whichever path keel's VMs take to the
 * APIC (docs/interrupts.md): checks such as the ICR high one and the
 * x2APIC reads are there because VT-x's APIC virtualization serves those
 * registers without keel, from a copy keel must keep right.
 *   - Last, because IA-32e mode is one-way for a guest: CR8 is TPR[7:4]
 *     (11.8.6, "Task Priority in IA-32e Mode"); bits 63:4 are reserved.
 *
 * Interrupts come from self-IPIs only: the 8259s and every I/O APIC pin are
 * masked first.  Handlers record into lib/irq's log; checks wait for it
 * with a bound, so a lost interrupt is a FAIL, not a hang.
 *
 * Expected under keel: pass.  Bare (QEMU 7.2 TCG, -cpu max): pass, with
 * SKIPs where QEMU departs from the SDM (each SKIP names how) and for x2APIC,
 * which QEMU 7.2 does not offer under TCG.  The guest argument `strict`
 * runs the QEMU-skipped checks bare as well, for emulators that follow the
 * SDM there (Bochs).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/apic.h"
#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/irq.h"
#include "lib/keel.h"
#include "lib/longmode.h"
#include "lib/pagetable.h"
#include "lib/paging_cpu.h"
#include "lib/pic.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/x86.h"

#define SPURIOUS_VECTOR     0xFFu
#define ERROR_VECTOR        0xEEu
#define ILLEGAL_VECTOR      2u          /* below 16: illegal for fixed delivery */

/* Vectors of the delivery checks; the high nibble is the priority class. */
#define V_BASIC             0x41u
#define V_CLASS7            0x71u
#define V_CLASS4_LOW        0x45u
#define V_CLASS4_HIGH       0x4Au
#define V_PPR               0x52u
#define V_NEST_OUTER        0x52u
#define V_NEST_SAME         0x5Au
#define V_NEST_LOWER        0x48u
#define V_NEST_HIGHER       0x68u
#define V_EOI_OUTER         0x42u
#define V_EOI_INNER         0x62u
#define V_TPR_AT            0x55u
#define V_TPR_BELOW         0x45u
#define V_TPR_ABOVE         0x65u
#define TPR_CLASS5          0x50u
#define TPR_CLASS4          0x40u
#define V_X2APIC            0x61u
#define V_MOVED             0x43u       /* self-IPIs through a moved xAPIC page */
#define V_HLT               0x74u
#define V_X2APIC_TPR        0x56u
/* Where the relocation check moves the xAPIC page: above the guest's RAM,
 * clear of keel's I/O APIC and test device and of what QEMU and Bochs put
 * near the top of the 4 GiB (I/O APIC, HPET, the APIC's own page). */
#define XAPIC_MOVED_BASE    0xFEF00000u
#define TIMER_COUNT_LONG    0x10000000u /* far more than a check takes */

#define APIC_LVT_RESET      APIC_LVT_MASKED     /* SDM 11.4.7.1 */
/* What a read of an address nothing decodes returns. */
#define UNCLAIMED_READ      0xFFFFFFFFu

/* x2APIC MSRs (SDM 11.12.1.2, table 11-6). */
#define MSR_X2APIC_ID       X2APIC_MSR(APIC_ID)
#define MSR_X2APIC_VERSION  X2APIC_MSR(APIC_VERSION)
#define MSR_X2APIC_TPR      X2APIC_MSR(APIC_TPR)
#define MSR_X2APIC_EOI      X2APIC_MSR(APIC_EOI)
#define MSR_X2APIC_LDR      X2APIC_MSR(APIC_LDR)
#define MSR_X2APIC_SVR      X2APIC_MSR(APIC_SVR)
#define MSR_X2APIC_ISR      X2APIC_MSR(APIC_ISR)
#define MSR_X2APIC_PPR      X2APIC_MSR(APIC_PPR)
#define MSR_X2APIC_IRR      X2APIC_MSR(APIC_IRR)
#define MSR_X2APIC_ICR      X2APIC_MSR(APIC_ICR_LOW)
#define MSR_X2APIC_LVT_TIMER X2APIC_MSR(APIC_LVT_TIMER)
#define MSR_X2APIC_INITIAL_COUNT X2APIC_MSR(APIC_TIMER_INITIAL_COUNT)
#define MSR_X2APIC_CURRENT_COUNT X2APIC_MSR(APIC_TIMER_CURRENT_COUNT)
#define MSR_X2APIC_DIVIDE   X2APIC_MSR(APIC_TIMER_DIVIDE)

static uint32_t version_at_start;       /* the version register as first read */

/* ---- where a check can run ----------------------------------------------- */

/* A check QEMU 7.2 TCG (the bare reference) cannot pass because it departs
 * from the SDM: it runs under keel, or bare with `strict` on the guest's
 * command line; otherwise *why says what QEMU does. */
static bool sdm_strict_here(const char **why, const char *qemu_departure)
{
    if (is_keel() || cmdline_has_word(guest_cmdline(), "strict"))
        return true;
    *why = qemu_departure;
    return false;
}

static bool cpu_has_x2apic(void)
{
    return cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_1_ECX_X2APIC;
}

static bool cpuid_says_apic(void)
{
    return cpuid(CPUID_LEAF_FEATURES).edx & CPUID_1_EDX_APIC;
}

static uint32_t initial_apic_id(void)
{
    return cpuid(CPUID_LEAF_FEATURES).ebx >> CPUID_1_EBX_APIC_ID_SHIFT;
}

/* ---- MSR accesses that may fault ----------------------------------------- */

static int rdmsr_try(uint32_t msr, uint64_t *value)
{
    uint32_t lo = 0, hi = 0;
    fault_reset();
    __asm__ __volatile__(ASM_TRY("rdmsr") : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *value = (uint64_t)hi << 32 | lo;
    return last_fault.vector;
}

static int wrmsr_try(uint32_t msr, uint64_t value)
{
    fault_reset();
    __asm__ __volatile__(ASM_TRY("wrmsr")
                         : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                         : "memory");
    return last_fault.vector;
}

static bool gp0_at_try(void)
{
    return fault_at_try(GP_VECTOR) && last_fault.error_code == 0;
}

static void print_fault(const char *what)
{
    printf("apic: %s: vector %d (%s) error 0x%x at 0x%08x, instruction at 0x%08x\n", what,
           last_fault.vector, exception_name(last_fault.vector), last_fault.error_code,
           last_fault.eip, fault_try_eip);
}

/* ---- handlers ------------------------------------------------------------ */

/* What a handler saw of its own vector when it started. */
struct vector_state {
    bool isr, irr, tmr;
    uint32_t ppr;
};

static volatile struct vector_state seen[IRQ_LOG_SIZE];

/* Logs the event and the APIC's view of it, then ends it with an EOI. */
static void logging_handler(struct exception_frame *frame)
{
    unsigned n = irq_log_count;
    if (n < IRQ_LOG_SIZE) {
        seen[n].isr = lapic_vector_bit(APIC_ISR, frame->vector);
        seen[n].irr = lapic_vector_bit(APIC_IRR, frame->vector);
        seen[n].tmr = lapic_vector_bit(APIC_TMR, frame->vector);
        seen[n].ppr = xapic_read(APIC_PPR);
    }
    irq_log_event(frame);
    lapic_eoi();
}

static unsigned spurious_count;

/* The spurious-interrupt vector takes no EOI (SDM 11.9). */
static void spurious_handler(struct exception_frame *frame)
{
    (void)frame;
    spurious_count++;
}

static void install_logging_handler(unsigned vector)
{
    idt_set_handler(vector, logging_handler);
}

static bool log_is(const uint8_t *vectors, unsigned n)
{
    if (irq_log_count != n)
        return false;
    for (unsigned i = 0; i < n; i++) {
        if (irq_log[i].vector != vectors[i])
            return false;
    }
    return true;
}

static void print_log(const char *check)
{
    char buf[96];
    printf("apic: %s: vectors taken: %s\n", check, irq_log_vectors(buf, sizeof(buf)));
}

/* Clean state for a delivery check: IF = 0, empty log, TPR 0, nothing in
 * service. */
static void delivery_reset(void)
{
    cli();
    irq_log_reset();
    lapic_setup(SPURIOUS_VECTOR);
}

/* ---- IA32_APIC_BASE ------------------------------------------------------ */

static uint64_t apic_base_address_mask(void)
{
    uint64_t below_maxphyaddr = (UINT64_C(1) << cpu_maxphyaddr()) - 1;
    return below_maxphyaddr & ~((UINT64_C(1) << APIC_BASE_ADDRESS_SHIFT) - 1);
}

static enum check_result apic_base_reset_value(const char **why)
{
    (void)why;
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    printf("apic: IA32_APIC_BASE 0x%llx, CPUID.1:EDX.APIC %d\n", base, cpuid_says_apic());
    return check_result_of((base & apic_base_address_mask()) == XAPIC_DEFAULT_BASE &&
                           (base & APIC_BASE_EN) && (base & APIC_BASE_BSP) &&
                           !(base & APIC_BASE_EXTD) && cpuid_says_apic());
}

/* Bits 7:0, 9, EXTD without x2APIC support, and MAXPHYADDR up (SDM 11.4.4,
 * figure 11-5). */
static enum check_result apic_base_reserved_bits(const char **why)
{
    if (!sdm_strict_here(why, "not under keel: QEMU 7.2 TCG ignores reserved bits of "
                              "IA32_APIC_BASE without a #GP"))
        return CHECK_SKIPPED;
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    uint64_t bits[4] = { 1u << 0, 1u << 9, UINT64_C(1) << cpu_maxphyaddr(), 0 };
    unsigned n = 3;
    if (!cpu_has_x2apic())
        bits[n++] = APIC_BASE_EXTD;
    bool ok = true;
    for (unsigned i = 0; i < n; i++) {
        bool gp = wrmsr_try(MSR_IA32_APIC_BASE, base | bits[i]) != NO_FAULT && gp0_at_try();
        if (!gp) {
            printf("apic: IA32_APIC_BASE | 0x%llx: ", bits[i]);
            print_fault("no #GP(0)");
            ok = false;
        }
        if (rdmsr(MSR_IA32_APIC_BASE) != base) {
            printf("apic: IA32_APIC_BASE changed to 0x%llx\n", rdmsr(MSR_IA32_APIC_BASE));
            wrmsr(MSR_IA32_APIC_BASE, base);
            ok = false;
        }
    }
    return check_result_of(ok);
}

/* ---- ID, version, SVR ---------------------------------------------------- */

static enum check_result id_is_initial_apic_id(const char **why)
{
    (void)why;
    uint32_t id = xapic_read(APIC_ID) >> APIC_ID_SHIFT;
    printf("apic: ID register 0x%08x, CPUID initial APIC ID %u\n", xapic_read(APIC_ID),
           initial_apic_id());
    return check_result_of(id == initial_apic_id());
}

/* SDM 11.4.8: version 1XH for an integrated APIC; Max LVT Entry 3 (Pentium)
 * to 6 (Nehalem on, CMCI).  The register is read-only. */
static enum check_result version_register(const char **why)
{
    (void)why;
    uint32_t v = xapic_read(APIC_VERSION);
    uint32_t max_lvt = (v >> APIC_MAX_LVT_SHIFT) & APIC_MAX_LVT_MASK;
    xapic_write(APIC_VERSION, 0);
    uint32_t after_write = xapic_read(APIC_VERSION);
    xapic_write(APIC_ESR, 0);           /* whatever that write logged */
    xapic_write(APIC_ESR, 0);
    printf("apic: version register 0x%08x (max LVT entry %u), after writing 0: 0x%08x\n", v,
           max_lvt, after_write);
    return check_result_of((v & APIC_VERSION_FAMILY_MASK) == APIC_VERSION_INTEGRATED &&
                           max_lvt >= APIC_MAX_LVT_FEWEST && max_lvt <= APIC_MAX_LVT_WITH_CMCI &&
                           after_write == v);
}

/* SDM 11.4.7.2: while software-disabled every LVT mask bit is set and
 * clearing one is ignored; once enabled again the entries stay masked until
 * software unmasks them. */
static enum check_result svr_disable_masks_lvt(const char **why)
{
    if (!sdm_strict_here(why, "not under keel: QEMU 7.2 TCG leaves LVT entries unmasked "
                              "when SVR disables the APIC"))
        return CHECK_SKIPPED;
    delivery_reset();
    xapic_write(APIC_LVT_ERROR, ERROR_VECTOR);
    xapic_write(APIC_SVR, SPURIOUS_VECTOR);                 /* software-disabled */
    uint32_t masked_by_disable = xapic_read(APIC_LVT_ERROR);
    uint32_t lint0 = xapic_read(APIC_LVT_LINT0);
    xapic_write(APIC_LVT_ERROR, ERROR_VECTOR);
    uint32_t unmask_while_disabled = xapic_read(APIC_LVT_ERROR);
    xapic_write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_VECTOR);
    uint32_t after_enable = xapic_read(APIC_LVT_ERROR);
    xapic_write(APIC_LVT_ERROR, ERROR_VECTOR);
    uint32_t unmask_while_enabled = xapic_read(APIC_LVT_ERROR);
    printf("apic: LVT error 0x%x: disabled 0x%x (LINT0 0x%x), unmask written 0x%x, enabled "
           "0x%x, unmask written 0x%x\n", ERROR_VECTOR, masked_by_disable, lint0,
           unmask_while_disabled, after_enable, unmask_while_enabled);
    delivery_reset();
    return check_result_of(masked_by_disable == (APIC_LVT_MASKED | ERROR_VECTOR) &&
                           (lint0 & APIC_LVT_MASKED) &&
                           unmask_while_disabled == (APIC_LVT_MASKED | ERROR_VECTOR) &&
                           after_enable == (APIC_LVT_MASKED | ERROR_VECTOR) &&
                           unmask_while_enabled == ERROR_VECTOR);
}

/* ---- TPR and PPR --------------------------------------------------------- */

static enum check_result tpr_and_ppr_idle(const char **why)
{
    (void)why;
    static const uint32_t values[] = { 0xA5, 0x5A, 0xFF, 0x10, 0x00 };
    bool ok = true;
    delivery_reset();
    for (unsigned i = 0; i < ARRAY_SIZE(values); i++) {
        xapic_write(APIC_TPR, values[i]);
        uint32_t tpr = xapic_read(APIC_TPR), ppr = xapic_read(APIC_PPR);
        if (tpr != values[i] || ppr != values[i]) {
            printf("apic: TPR 0x%02x written: TPR reads 0x%x, PPR 0x%x\n", values[i], tpr, ppr);
            ok = false;
        }
    }
    return check_result_of(ok);
}

/* TPR values tried inside the handler of V_PPR (class 5), and the PPR the
 * SDM's rule gives for each (11.8.3.1). */
static const struct {
    uint32_t tpr, ppr;
} ppr_cases[] = {
    { 0x00, 0x50 },     /* ISR class above TPR: class, 3:0 = 0 */
    { 0x35, 0x50 },
    { 0x5A, 0x5A },     /* same class: TPR */
    { 0x65, 0x65 },     /* TPR above: TPR */
    { 0x4F, 0x50 },
};

static volatile uint32_t ppr_seen[ARRAY_SIZE(ppr_cases)];

static void ppr_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    for (unsigned i = 0; i < ARRAY_SIZE(ppr_cases); i++) {
        xapic_write(APIC_TPR, ppr_cases[i].tpr);
        ppr_seen[i] = xapic_read(APIC_PPR);
    }
    xapic_write(APIC_TPR, 0);
    lapic_eoi();
}

static enum check_result ppr_in_handler(const char **why)
{
    (void)why;
    delivery_reset();
    idt_set_handler(V_PPR, ppr_handler);
    sti();
    lapic_self_ipi(V_PPR);
    bool taken = irq_wait_for(1);
    cli();
    uint32_t ppr_after = xapic_read(APIC_PPR);
    install_logging_handler(V_PPR);
    bool ok = taken;
    for (unsigned i = 0; taken && i < ARRAY_SIZE(ppr_cases); i++) {
        if (ppr_seen[i] != ppr_cases[i].ppr) {
            printf("apic: in service 0x%x, TPR 0x%02x: PPR 0x%x, expected 0x%x\n", V_PPR,
                   ppr_cases[i].tpr, ppr_seen[i], ppr_cases[i].ppr);
            ok = false;
        }
    }
    if (ppr_after != 0) {
        printf("apic: PPR 0x%x after the EOI\n", ppr_after);
        ok = false;
    }
    return check_result_of(ok);
}

/* ---- self-IPIs ----------------------------------------------------------- */

static enum check_result self_ipi_with_if_set(const char **why)
{
    (void)why;
    delivery_reset();
    sti();
    lapic_self_ipi(V_BASIC);
    bool taken = irq_wait_for(1);
    irq_spin(IRQ_HOLD_POLLS);           /* a duplicate would show up now */
    cli();
    static const uint8_t expected[] = { V_BASIC };
    if (!taken || !log_is(expected, 1))
        print_log("self-IPI with IF=1");
    return check_result_of(taken && log_is(expected, 1));
}

/* keel's hypercall 10, KVM's paravirtual IPI: a bitmap of APIC IDs from a
 * base.  The bit of this vCPU's ID delivers (once, as a fixed IPI would);
 * a base above the ID or a bitmap without its bit reaches nobody, and
 * the hypercall says how many vCPUs it reached. */
static enum check_result pv_send_ipi(const char **why)
{
    delivery_reset();
    uint32_t id = xapic_read(APIC_ID) >> APIC_ID_SHIFT;
    uint32_t base = id - id % 32;
    uint32_t reached_self = keel_kvm_send_ipi(1u << (id % 32), 0, base, V_BASIC);
    uint32_t reached_base_above = keel_kvm_send_ipi(~0u, ~0u, id + 1, V_BASIC);
    uint32_t reached_other_bits = keel_kvm_send_ipi(~(1u << (id % 32)), ~0u, base, V_BASIC);
    sti();
    bool taken = irq_wait_for(1);
    irq_spin(IRQ_HOLD_POLLS);           /* a second delivery would show up now */
    cli();
    printf("apic: PV IPI reached %u (own bit), %u (base above), %u (other bits); "
           "%u interrupts\n", reached_self, reached_base_above, reached_other_bits,
           irq_log_count);
    if (reached_self != 1 || reached_base_above || reached_other_bits)
        *why = "wrong count of vCPUs reached";
    static const uint8_t expected[] = { V_BASIC };
    return check_result_of(taken && log_is(expected, 1) && reached_self == 1 &&
                           !reached_base_above && !reached_other_bits);
}

/* In the handler: the vector in service, no longer requested, and edge
 * (an IPI is edge-triggered: SDM 11.6.1, trigger mode); after the EOI
 * nothing is in service. */
static enum check_result isr_irr_tmr_in_handler(const char **why)
{
    (void)why;
    delivery_reset();
    sti();
    lapic_self_ipi(V_BASIC);
    bool taken = irq_wait_for(1);
    cli();
    bool isr_after = lapic_vector_bit(APIC_ISR, V_BASIC);
    printf("apic: in the handler of 0x%x: ISR %d IRR %d TMR %d PPR 0x%x; after EOI ISR %d\n",
           V_BASIC, seen[0].isr, seen[0].irr, seen[0].tmr, seen[0].ppr, isr_after);
    return check_result_of(taken && seen[0].isr && !seen[0].irr && !seen[0].tmr &&
                           seen[0].ppr == (V_BASIC & APIC_PRIORITY_CLASS_MASK) && !isr_after);
}

static volatile uint32_t shadow_marker;
static volatile uint32_t shadow_marker_in_handler;

static void shadow_handler(struct exception_frame *frame)
{
    shadow_marker_in_handler = shadow_marker;
    irq_log_event(frame);
    lapic_eoi();
}

/* STI; MOV marker; <- the interrupt comes here, not before the MOV (SDM
 * vol. 2B, STI: "the processor ... does not recognize maskable interrupts
 * until the instruction after STI has executed").  Returns the address the
 * interrupt must interrupt. */
static uint32_t sti_then_one_instruction(void)
{
    uint32_t boundary;
    shadow_marker = 0;
    __asm__ __volatile__("movl $1f, %[boundary]\n\t"
                         "sti\n\t"
                         "movl $1, %[marker]\n"
                         "1:\n\t"
                         "nop\n\t"
                         "cli"
                         : [boundary] "=&r"(boundary), [marker] "=m"(shadow_marker)
                         : : "memory");
    return boundary;
}

static enum check_result self_ipi_held_until_sti(const char **why)
{
    (void)why;
    delivery_reset();
    idt_set_handler(V_BASIC, shadow_handler);
    lapic_self_ipi(V_BASIC);
    irq_spin(IRQ_HOLD_POLLS);
    unsigned taken_with_if_clear = irq_log_count;
    bool in_irr = lapic_vector_bit(APIC_IRR, V_BASIC);
    bool in_isr = lapic_vector_bit(APIC_ISR, V_BASIC);
    uint32_t boundary = sti_then_one_instruction();
    install_logging_handler(V_BASIC);
    printf("apic: IF=0: taken %u, IRR %d, ISR %d; after STI: taken %u at 0x%08x (expected "
           "0x%08x), marker %u\n", taken_with_if_clear, in_irr, in_isr, irq_log_count,
           irq_log[0].eip, boundary, shadow_marker_in_handler);
    return check_result_of(taken_with_if_clear == 0 && in_irr && !in_isr &&
                           irq_log_count == 1 && irq_log[0].vector == V_BASIC &&
                           irq_log[0].eip == boundary && shadow_marker_in_handler == 1);
}

/* A self-IPI sent with IF = 0, then STI; HLT: the HLT (in STI's shadow, so
 * it runs first) ends at once with the interrupt, whose handler finds it
 * in service, PPR its class (SDM 11.8.3.1), until its EOI.  Under keel
 * with virtual-interrupt delivery the self-IPI, the delivery and the EOI
 * happen in the CPU's copy of the APIC registers: the HLT exit must look
 * there to find the request, and the handler's PPR read (an exit) must
 * find what the CPU delivered after keel's look at the HLT. */
static enum check_result hlt_with_self_ipi_pending(const char **why)
{
    (void)why;
    delivery_reset();
    install_logging_handler(V_HLT);
    lapic_self_ipi(V_HLT);
    __asm__ __volatile__("sti\n\thlt\n\tcli" : : : "memory");
    unsigned taken = irq_log_count;
    uint32_t ppr_after = xapic_read(APIC_PPR);
    bool isr_after = lapic_vector_bit(APIC_ISR, V_HLT);
    printf("apic: self-IPI 0x%x with IF=0, then STI; HLT: taken %u, in the handler ISR %d IRR "
           "%d PPR 0x%x; after EOI ISR %d PPR 0x%x\n", V_HLT, taken, seen[0].isr, seen[0].irr,
           seen[0].ppr, isr_after, ppr_after);
    return check_result_of(taken == 1 && irq_log[0].vector == V_HLT && seen[0].isr &&
                           !seen[0].irr && seen[0].ppr == (V_HLT & APIC_PRIORITY_CLASS_MASK) &&
                           !isr_after && ppr_after == 0);
}

/* Both requested while IF = 0, then one window: the higher class first,
 * and within a class the higher vector (SDM 11.8.3). */
static bool two_pending_taken_in_order(uint8_t first_sent, uint8_t second_sent,
                                       const char *what)
{
    delivery_reset();
    lapic_self_ipi(first_sent);
    lapic_self_ipi(second_sent);
    sti();
    bool taken = irq_wait_for(2);
    cli();
    uint8_t expected[2] = { first_sent > second_sent ? first_sent : second_sent,
                            first_sent > second_sent ? second_sent : first_sent };
    bool ok = taken && log_is(expected, 2);
    if (!ok)
        print_log(what);
    return ok;
}

static enum check_result priority_between_classes(const char **why)
{
    (void)why;
    return check_result_of(two_pending_taken_in_order(V_BASIC, V_CLASS7, "classes 4 and 7"));
}

static enum check_result priority_within_class(const char **why)
{
    (void)why;
    return check_result_of(two_pending_taken_in_order(V_CLASS4_LOW, V_CLASS4_HIGH,
                                                      "0x45 and 0x4a"));
}

/* The outer handler opens IF and asks for a vector of its own class, a
 * lower one and a higher one: only the higher one interrupts it (PPR is the
 * in-service class); the other two follow its EOI, higher first. */
static volatile unsigned nest_held_count;

static void nest_outer_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    unsigned logged = irq_log_count;
    sti();
    lapic_self_ipi(V_NEST_SAME);
    lapic_self_ipi(V_NEST_LOWER);
    irq_spin(IRQ_HOLD_POLLS);
    nest_held_count = irq_log_count - logged;
    lapic_self_ipi(V_NEST_HIGHER);
    irq_wait_for(logged + 1);
    cli();
    lapic_eoi();
}

static enum check_result nesting_only_for_higher_class(const char **why)
{
    (void)why;
    delivery_reset();
    idt_set_handler(V_NEST_OUTER, nest_outer_handler);
    sti();
    lapic_self_ipi(V_NEST_OUTER);
    bool taken = irq_wait_for(4);
    cli();
    install_logging_handler(V_NEST_OUTER);
    static const uint8_t expected[] = { V_NEST_OUTER, V_NEST_HIGHER, V_NEST_SAME, V_NEST_LOWER };
    bool ok = taken && nest_held_count == 0 && log_is(expected, ARRAY_SIZE(expected));
    if (!ok) {
        print_log("nesting");
        printf("apic: taken while the same and lower class waited: %u\n", nest_held_count);
    }
    return check_result_of(ok);
}

/* The inner handler (a higher class, nested) looks at ISR before and after
 * its EOI: the EOI must end its own vector, the highest in service, and
 * leave the outer one in service (SDM 11.8.5). */
static volatile bool eoi_both_in_service, eoi_inner_cleared, eoi_outer_kept;

static void eoi_inner_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    eoi_both_in_service = lapic_vector_bit(APIC_ISR, V_EOI_OUTER) &&
                          lapic_vector_bit(APIC_ISR, V_EOI_INNER);
    lapic_eoi();
    eoi_inner_cleared = !lapic_vector_bit(APIC_ISR, V_EOI_INNER);
    eoi_outer_kept = lapic_vector_bit(APIC_ISR, V_EOI_OUTER);
}

static void eoi_outer_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    sti();
    lapic_self_ipi(V_EOI_INNER);
    irq_wait_for(2);
    cli();
    lapic_eoi();
}

static enum check_result eoi_ends_highest_in_service(const char **why)
{
    (void)why;
    delivery_reset();
    eoi_both_in_service = eoi_inner_cleared = eoi_outer_kept = false;
    idt_set_handler(V_EOI_OUTER, eoi_outer_handler);
    idt_set_handler(V_EOI_INNER, eoi_inner_handler);
    sti();
    lapic_self_ipi(V_EOI_OUTER);
    bool taken = irq_wait_for(2);
    cli();
    bool none_after = !lapic_vector_bit(APIC_ISR, V_EOI_OUTER);
    install_logging_handler(V_EOI_OUTER);
    install_logging_handler(V_EOI_INNER);
    printf("apic: nested 0x%x in 0x%x: both in service %d; after one EOI: inner ended %d, "
           "outer still in service %d; after the second: outer ended %d\n", V_EOI_INNER,
           V_EOI_OUTER, eoi_both_in_service, eoi_inner_cleared, eoi_outer_kept, none_after);
    return check_result_of(taken && eoi_both_in_service && eoi_inner_cleared &&
                           eoi_outer_kept && none_after);
}

/* TPR class 5 holds 0x55 (its class) and 0x45 (below) with IF = 1 and lets
 * 0x65 through; TPR class 4 releases 0x55; TPR 0 releases 0x45 (SDM
 * 11.8.3.1: a vector is delivered only when its class is above PPR's). */
static enum check_result tpr_holds_its_class_and_below(const char **why)
{
    (void)why;
    delivery_reset();
    xapic_write(APIC_TPR, TPR_CLASS5);
    sti();
    lapic_self_ipi(V_TPR_AT);
    lapic_self_ipi(V_TPR_BELOW);
    irq_spin(IRQ_HOLD_POLLS);
    unsigned held = irq_log_count;
    bool in_irr = lapic_vector_bit(APIC_IRR, V_TPR_AT) && lapic_vector_bit(APIC_IRR, V_TPR_BELOW);
    lapic_self_ipi(V_TPR_ABOVE);
    bool above_taken = irq_wait_for(1);
    xapic_write(APIC_TPR, TPR_CLASS4);
    bool at_taken = irq_wait_for(2);
    irq_spin(IRQ_HOLD_POLLS);
    unsigned after_class4 = irq_log_count;
    xapic_write(APIC_TPR, 0);
    bool below_taken = irq_wait_for(3);
    cli();
    static const uint8_t expected[] = { V_TPR_ABOVE, V_TPR_AT, V_TPR_BELOW };
    bool ok = held == 0 && in_irr && above_taken && at_taken && after_class4 == 2 &&
              below_taken && log_is(expected, ARRAY_SIZE(expected));
    if (!ok) {
        print_log("TPR");
        printf("apic: taken under TPR 0x50: %u (both in IRR: %d); under TPR 0x40: %u\n", held,
               in_irr, after_class4);
    }
    return check_result_of(ok);
}

/* ---- ICR, ESR, LVT error ------------------------------------------------- */

static enum check_result icr_reads_back_idle(const char **why)
{
    (void)why;
    delivery_reset();
    xapic_write(APIC_ICR_HIGH, 0);
    uint32_t written = APIC_ICR_DEST_SELF | APIC_ICR_DELIVERY_FIXED | V_BASIC;
    sti();
    xapic_write(APIC_ICR_LOW, written);
    bool taken = irq_wait_for(1);
    cli();
    uint32_t icr = xapic_read(APIC_ICR_LOW);
    printf("apic: ICR low written 0x%x, reads 0x%x\n", written, icr);
    return check_result_of(taken && (icr & APIC_VECTOR_MASK) == V_BASIC &&
                           (icr & APIC_ICR_DEST_SHORTHAND_MASK) == APIC_ICR_DEST_SELF &&
                           !(icr & APIC_ICR_SEND_PENDING));
}

/* ICR high is only a register until ICR low sends the IPI: what was written
 * there must read back after other registers were written and an interrupt
 * came and went (under keel with APIC-register virtualization the write
 * stays in the CPU's copy of the page, and keel must take it from there
 * before it writes the page again). */
static enum check_result icr_high_kept(const char **why)
{
    (void)why;
    delivery_reset();
    uint32_t written = 5u << APIC_ID_SHIFT;
    xapic_write(APIC_ICR_HIGH, written);
    xapic_write(APIC_LVT_ERROR, APIC_LVT_MASKED | ERROR_VECTOR);
    sti();
    lapic_self_ipi(V_BASIC);
    bool taken = irq_wait_for(1);
    cli();
    xapic_write(APIC_TIMER_DIVIDE, APIC_TIMER_DIVIDE_BY_1);
    uint32_t icr_high = xapic_read(APIC_ICR_HIGH);
    xapic_write(APIC_ICR_HIGH, 0);
    xapic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
    printf("apic: ICR high written 0x%x, reads 0x%x after other writes and a self-IPI\n",
           written, icr_high);
    return check_result_of(taken && icr_high == written);
}

/* ---- a moved xAPIC page (SDM 11.4.4: IA32_APIC_BASE bits 35:12) ---------- */

static volatile uint32_t *moved_apic;

static uint32_t moved_read(uint32_t offset)
{
    return moved_apic[offset / sizeof(uint32_t)];
}

static void moved_write(uint32_t offset, uint32_t value)
{
    moved_apic[offset / sizeof(uint32_t)] = value;
}

/* Logs the event and ends it through the moved page. */
static void moved_handler(struct exception_frame *frame)
{
    seen[0].isr = (moved_read(APIC_ISR + frame->vector / APIC_VECTORS_PER_REG *
                              APIC_VECTOR_REG_STRIDE) >> (frame->vector % APIC_VECTORS_PER_REG)) &
                  1;
    irq_log_event(frame);
    moved_write(APIC_EOI, 0);
}

/* The registers follow the page: ID and version read there, TPR written
 * there holds a self-IPI sent there until it drops, PPR follows, the
 * handler's EOI there ends it; moved back, the page at 0xFEE00000 is the
 * APIC again.  The old page is left alone while moved (nothing decodes it:
 * keel stops a VM that touches guest-physical memory nothing is at). */
static enum check_result moved_apic_page(const char **why)
{
    (void)why;
    delivery_reset();
    uint32_t id = xapic_read(APIC_ID);
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    uint64_t moved = (base & ~apic_base_address_mask()) | XAPIC_MOVED_BASE;
    int v = wrmsr_try(MSR_IA32_APIC_BASE, moved);
    uint64_t after = rdmsr(MSR_IA32_APIC_BASE);
    moved_apic = (volatile uint32_t *)(uintptr_t)XAPIC_MOVED_BASE;
    uint32_t moved_id = moved_read(APIC_ID), moved_version = moved_read(APIC_VERSION);
    idt_set_handler(V_MOVED, moved_handler);
    seen[0].isr = false;
    moved_write(APIC_TPR, TPR_CLASS5);
    sti();
    moved_write(APIC_ICR_LOW, APIC_ICR_DEST_SELF | APIC_ICR_DELIVERY_FIXED | V_MOVED);
    irq_spin(IRQ_HOLD_POLLS);
    unsigned held = irq_log_count;
    uint32_t tpr = moved_read(APIC_TPR), ppr = moved_read(APIC_PPR);
    moved_write(APIC_TPR, 0);
    bool taken = irq_wait_for(1);
    cli();
    uint32_t ppr_after = moved_read(APIC_PPR);
    wrmsr(MSR_IA32_APIC_BASE, base);
    uint32_t version_back = xapic_read(APIC_VERSION);
    install_logging_handler(V_MOVED);
    printf("apic: IA32_APIC_BASE 0x%llx -> 0x%llx (vector %d): ID 0x%x (0x%x at 0xFEE00000), "
           "version 0x%x; TPR 0x%x PPR 0x%x held %u, then taken %d, in service %d, PPR 0x%x; "
           "moved back: version 0x%x\n", base, after, v, moved_id, id, moved_version, tpr, ppr,
           held, taken, seen[0].isr, ppr_after, version_back);
    return check_result_of(v == NO_FAULT && after == moved && moved_id == id &&
                           moved_version == version_at_start && tpr == TPR_CLASS5 &&
                           ppr == TPR_CLASS5 && held == 0 && taken && irq_log_count == 1 &&
                           irq_log[0].vector == V_MOVED && seen[0].isr && ppr_after == 0 &&
                           version_back == version_at_start);
}

/* A fixed IPI of vector 2 is illegal: it must not reach IDT entry 2.  The
 * checks that send one log whatever arrives there as an interrupt, so a
 * wrong delivery is a FAIL line and not an unexpected NMI. */
static void send_illegal_vector(void)
{
    install_logging_handler(ILLEGAL_VECTOR);
    lapic_self_ipi(ILLEGAL_VECTOR);
}

/* Lets in anything the illegal IPI left in IRR, then puts IDT entry 2 back
 * to the unexpected-exception report. */
static void flush_illegal_vector(void)
{
    irq_window();
    idt_set_handler(ILLEGAL_VECTOR, NULL);
}

#define ILLEGAL_VECTOR_QEMU "not under keel: QEMU 7.2 TCG delivers a fixed IPI of vector 2 " \
                            "through IDT entry 2 and logs nothing in ESR"

/* SDM 11.5.3: ESR shows the errors since the previous ESR write, latched by
 * a write; a fixed IPI of a vector below 16 is a send illegal vector. */
static enum check_result esr_send_illegal_vector(const char **why)
{
    if (!sdm_strict_here(why, ILLEGAL_VECTOR_QEMU))
        return CHECK_SKIPPED;
    delivery_reset();
    send_illegal_vector();
    uint32_t before_latch = xapic_read(APIC_ESR);
    xapic_write(APIC_ESR, 0);
    uint32_t esr = xapic_read(APIC_ESR);
    xapic_write(APIC_ESR, 0);
    uint32_t esr_again = xapic_read(APIC_ESR);
    flush_illegal_vector();
    printf("apic: ESR before the write 0x%x, after 0x%x, after another write 0x%x\n",
           before_latch, esr, esr_again);
    if (irq_log_count)
        print_log("illegal vector");
    return check_result_of(before_latch == 0 && (esr & APIC_ESR_SEND_ILLEGAL_VECTOR) &&
                           esr_again == 0 && irq_log_count == 0);
}

static enum check_result lvt_error_interrupt(const char **why)
{
    if (!sdm_strict_here(why, ILLEGAL_VECTOR_QEMU))
        return CHECK_SKIPPED;
    delivery_reset();
    xapic_write(APIC_LVT_ERROR, ERROR_VECTOR);
    sti();
    send_illegal_vector();
    bool taken = irq_wait_for(1);
    cli();
    flush_illegal_vector();
    xapic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
    static const uint8_t expected[] = { ERROR_VECTOR };
    bool ok = taken && log_is(expected, 1);
    if (!ok)
        print_log("LVT error");
    delivery_reset();
    return check_result_of(ok);
}

/* ---- NMI ----------------------------------------------------------------- */

static volatile unsigned nmi_count, nmi_depth, nmi_max_depth, nmi_count_in_first;

/* An NMI IPI to this APIC's own ID.  The self shorthand allows only fixed
 * delivery (SDM 11.6.1, table 11-3 "valid combinations"): NMI needs the
 * physical destination. */
static void send_nmi_to_self(void)
{
    xapic_write(APIC_ICR_HIGH, (xapic_read(APIC_ID) >> APIC_ID_SHIFT) << APIC_ICR_DEST_SHIFT);
    xapic_write(APIC_ICR_LOW, APIC_ICR_DELIVERY_NMI);
}

static void nmi_handler(struct exception_frame *frame)
{
    (void)frame;
    nmi_depth++;
    if (nmi_depth > nmi_max_depth)
        nmi_max_depth = nmi_depth;
    nmi_count++;
    if (nmi_count == 1) {
        /* SDM 6.7.1: NMIs are blocked from this handler's start to its IRET. */
        send_nmi_to_self();
        irq_spin(IRQ_HOLD_POLLS);
        nmi_count_in_first = nmi_count;
    }
    nmi_depth--;
}

static enum check_result nmi_by_ipi(const char **why)
{
    (void)why;
    delivery_reset();
    nmi_count = nmi_depth = nmi_max_depth = nmi_count_in_first = 0;
    idt_set_handler(NMI_VECTOR, nmi_handler);
    send_nmi_to_self();
    for (unsigned i = 0; i < IRQ_WAIT_POLLS && nmi_count < 2; i++)
        __asm__ __volatile__("pause" : : : "memory");
    printf("apic: NMIs taken %u, during the first handler %u, deepest nesting %u\n", nmi_count,
           nmi_count_in_first, nmi_max_depth);
    return check_result_of(nmi_count >= 1);
}

static enum check_result nmi_blocked_until_iret(const char **why)
{
    (void)why;
    /* nmi_by_ipi() ran both NMIs; this check judges the second. */
    return check_result_of(nmi_count == 2 && nmi_count_in_first == 1 && nmi_max_depth == 1);
}

/* ---- x2APIC (SDM 11.12) -------------------------------------------------- */

static bool x2apic_entered;

static bool x2apic_here(const char **why)
{
    if (cpu_has_x2apic())
        return true;
    *why = "CPUID.1:ECX.x2APIC[21] = 0; QEMU 7.2 offers no x2APIC under TCG";
    return false;
}

static enum check_result x2apic_msrs_fault_in_xapic_mode(const char **why)
{
    if (!x2apic_here(why))
        return CHECK_SKIPPED;
    uint64_t value;
    bool ok = rdmsr_try(MSR_X2APIC_VERSION, &value) != NO_FAULT && gp0_at_try();
    if (!ok)
        print_fault("rdmsr 0x803 in xAPIC mode");
    return check_result_of(ok);
}

static enum check_result x2apic_enable(const char **why)
{
    if (!x2apic_here(why))
        return CHECK_SKIPPED;
    delivery_reset();
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    int v = wrmsr_try(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
    uint64_t after = rdmsr(MSR_IA32_APIC_BASE);
    x2apic_entered = v == NO_FAULT && (after & APIC_BASE_EXTD);
    uint64_t id = 0, version = 0;
    bool read = x2apic_entered && rdmsr_try(MSR_X2APIC_ID, &id) == NO_FAULT &&
                rdmsr_try(MSR_X2APIC_VERSION, &version) == NO_FAULT;
    uint32_t expected_id = initial_apic_id();
    if (cpuid(CPUID_LEAF_VENDOR).eax >= CPUID_LEAF_TOPOLOGY)
        expected_id = cpuid(CPUID_LEAF_TOPOLOGY).edx;
    printf("apic: IA32_APIC_BASE 0x%llx (vector %d); x2APIC ID 0x%llx (CPUID 0x%x), version "
           "0x%llx (xAPIC 0x%x)\n", after, v, id, expected_id, version, version_at_start);
    return check_result_of(read && id == expected_id && version == version_at_start);
}

/* The checks after x2apic_enable() need x2APIC mode: SKIP without x2APIC,
 * FAIL when it could not be entered. */
static enum check_result x2apic_ready(const char **why)
{
    if (!x2apic_here(why))
        return CHECK_SKIPPED;
    if (!x2apic_entered) {
        printf("apic: not in x2APIC mode\n");
        return CHECK_FAILED;
    }
    return CHECK_PASSED;
}

/* SDM 11.12.10.2: logical x2APIC ID = (ID[19:4] << 16) | (1 << ID[3:0]). */
static enum check_result x2apic_ldr_from_id(const char **why)
{
    enum check_result ready = x2apic_ready(why);
    if (ready != CHECK_PASSED)
        return ready;
    uint64_t id = 0, ldr = 0;
    rdmsr_try(MSR_X2APIC_ID, &id);
    bool read = rdmsr_try(MSR_X2APIC_LDR, &ldr) == NO_FAULT;
    uint64_t expected = (id >> X2APIC_ID_CLUSTER_SHIFT) << X2APIC_LDR_CLUSTER_SHIFT |
                        1u << (id & X2APIC_ID_LOGICAL_MASK);
    printf("apic: x2APIC LDR 0x%llx, expected 0x%llx\n", ldr, expected);
    return check_result_of(read && ldr == expected);
}

static void x2apic_handler(struct exception_frame *frame)
{
    uint64_t isr = rdmsr(MSR_X2APIC_ISR + frame->vector / APIC_VECTORS_PER_REG);
    seen[0].isr = (isr >> (frame->vector % APIC_VECTORS_PER_REG)) & 1;
    irq_log_event(frame);
    wrmsr(MSR_X2APIC_EOI, 0);
}

static enum check_result x2apic_self_ipi_and_eoi(const char **why)
{
    enum check_result ready = x2apic_ready(why);
    if (ready != CHECK_PASSED)
        return ready;
    cli();
    irq_log_reset();
    seen[0].isr = false;
    wrmsr(MSR_X2APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_VECTOR);
    idt_set_handler(V_X2APIC, x2apic_handler);
    sti();
    int v = wrmsr_try(X2APIC_SELF_IPI_MSR, V_X2APIC);
    bool taken = irq_wait_for(1);
    cli();
    uint64_t isr = 0;
    rdmsr_try(MSR_X2APIC_ISR + V_X2APIC / APIC_VECTORS_PER_REG, &isr);
    bool ended = !((isr >> (V_X2APIC % APIC_VECTORS_PER_REG)) & 1);
    install_logging_handler(V_X2APIC);
    printf("apic: x2APIC self IPI (vector %d): taken %u, in service in the handler %d, ended "
           "by the EOI MSR %d\n", v, irq_log_count, seen[0].isr, ended);
    return check_result_of(v == NO_FAULT && taken && irq_log_count == 1 &&
                           irq_log[0].vector == V_X2APIC && seen[0].isr && ended);
}

/* TPR through its MSR: class 5 holds a self-IPI of class 5, PPR reads the
 * TPR, the vector waits in IRR; TPR 0 lets it through.  Bits 63:8 of a TPR
 * write are reserved: #GP(0) (SDM 11.12.1.3). */
static enum check_result x2apic_tpr_holds(const char **why)
{
    enum check_result ready = x2apic_ready(why);
    if (ready != CHECK_PASSED)
        return ready;
    cli();
    irq_log_reset();
    idt_set_handler(V_X2APIC_TPR, x2apic_handler);
    wrmsr(MSR_X2APIC_TPR, TPR_CLASS5);
    sti();
    wrmsr(X2APIC_SELF_IPI_MSR, V_X2APIC_TPR);
    irq_spin(IRQ_HOLD_POLLS);
    unsigned held = irq_log_count;
    uint64_t tpr = rdmsr(MSR_X2APIC_TPR), ppr = rdmsr(MSR_X2APIC_PPR);
    uint64_t irr = rdmsr(MSR_X2APIC_IRR + V_X2APIC_TPR / APIC_VECTORS_PER_REG);
    bool in_irr = (irr >> (V_X2APIC_TPR % APIC_VECTORS_PER_REG)) & 1;
    wrmsr(MSR_X2APIC_TPR, 0);
    bool taken = irq_wait_for(1);
    cli();
    int reserved = wrmsr_try(MSR_X2APIC_TPR, 0x100);
    bool reserved_gp = reserved != NO_FAULT && gp0_at_try();
    uint64_t tpr_after = rdmsr(MSR_X2APIC_TPR);
    install_logging_handler(V_X2APIC_TPR);
    printf("apic: x2APIC TPR 0x%llx PPR 0x%llx: held %u, in IRR %d; TPR 0: taken %d; TPR "
           "0x100: vector %d, TPR then 0x%llx\n", tpr, ppr, held, in_irr, taken, reserved,
           tpr_after);
    return check_result_of(tpr == TPR_CLASS5 && ppr == TPR_CLASS5 && held == 0 && in_irr &&
                           taken && irq_log_count == 1 && irq_log[0].vector == V_X2APIC_TPR &&
                           reserved_gp && tpr_after == 0);
}

/* EOI and SELF IPI are write-only (reads #GP(0), SDM table 11-6); ICR is one
 * 64-bit register that reads back; the current count counts down from the
 * initial count. */
static enum check_result x2apic_registers_read(const char **why)
{
    enum check_result ready = x2apic_ready(why);
    if (ready != CHECK_PASSED)
        return ready;
    cli();
    uint64_t value;
    bool eoi_gp = rdmsr_try(MSR_X2APIC_EOI, &value) != NO_FAULT && gp0_at_try();
    bool self_ipi_gp = rdmsr_try(X2APIC_SELF_IPI_MSR, &value) != NO_FAULT && gp0_at_try();
    uint64_t icr = (uint64_t)7 << 32 | APIC_ICR_DELIVERY_FIXED | V_X2APIC;
    wrmsr(MSR_X2APIC_ICR, icr);                 /* to x2APIC ID 7: nobody here */
    uint64_t icr_read = rdmsr(MSR_X2APIC_ICR);
    wrmsr(MSR_X2APIC_DIVIDE, APIC_TIMER_DIVIDE_BY_1);
    wrmsr(MSR_X2APIC_LVT_TIMER, APIC_LVT_MASKED | APIC_LVT_TIMER_ONESHOT);
    wrmsr(MSR_X2APIC_INITIAL_COUNT, TIMER_COUNT_LONG);
    uint64_t first = rdmsr(MSR_X2APIC_CURRENT_COUNT);
    irq_spin(IRQ_HOLD_POLLS);
    uint64_t second = rdmsr(MSR_X2APIC_CURRENT_COUNT);
    wrmsr(MSR_X2APIC_INITIAL_COUNT, 0);
    printf("apic: x2APIC: EOI read #GP %d, SELF IPI read #GP %d; ICR 0x%llx reads 0x%llx; "
           "current count 0x%llx then 0x%llx (initial 0x%x)\n", eoi_gp, self_ipi_gp, icr,
           icr_read, first, second, TIMER_COUNT_LONG);
    return check_result_of(eoi_gp && self_ipi_gp && icr_read == icr && first != 0 &&
                           first <= TIMER_COUNT_LONG && second < first && second != 0);
}

/* SDM 11.12.1.2: in x2APIC mode the xAPIC page behaves as with the APIC
 * globally disabled: it is not the APIC.  A write there must not reach
 * TPR, and a read is not the version register. */
static enum check_result x2apic_page_gone(const char **why)
{
    enum check_result ready = x2apic_ready(why);
    if (ready != CHECK_PASSED)
        return ready;
    wrmsr(MSR_X2APIC_TPR, 0);
    xapic_write(APIC_TPR, 0x70);
    uint64_t tpr = rdmsr(MSR_X2APIC_TPR);
    uint32_t version = xapic_read(APIC_VERSION);
    printf("apic: x2APIC mode: page version reads 0x%x; TPR after a page write 0x%llx\n",
           version, tpr);
    return check_result_of(tpr == 0 && version != version_at_start);
}

static enum check_result x2apic_to_xapic_faults(const char **why)
{
    enum check_result ready = x2apic_ready(why);
    if (ready != CHECK_PASSED)
        return ready;
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    bool gp = wrmsr_try(MSR_IA32_APIC_BASE, base & ~(uint64_t)APIC_BASE_EXTD) != NO_FAULT &&
              gp0_at_try();
    if (!gp)
        print_fault("x2APIC -> xAPIC");
    uint64_t after = rdmsr(MSR_IA32_APIC_BASE);
    return check_result_of(gp && after == base);
}

static bool xapic_registers_in_reset_state(void);

/* x2APIC -> disabled -> xAPIC (SDM 11.12.5, figure 11-28): both legal; the
 * APIC comes back in its power-up state (11.12.5.1).  Disabled -> x2APIC
 * directly is not. */
static enum check_result x2apic_through_disabled(const char **why)
{
    enum check_result ready = x2apic_ready(why);
    if (ready != CHECK_PASSED)
        return ready;
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    uint64_t disabled = base & ~(uint64_t)(APIC_BASE_EN | APIC_BASE_EXTD);
    bool to_disabled = wrmsr_try(MSR_IA32_APIC_BASE, disabled) == NO_FAULT;
    bool straight_to_x2apic_gp = wrmsr_try(MSR_IA32_APIC_BASE, disabled | APIC_BASE_EN |
                                           APIC_BASE_EXTD) != NO_FAULT && gp0_at_try();
    bool to_xapic = wrmsr_try(MSR_IA32_APIC_BASE, disabled | APIC_BASE_EN) == NO_FAULT;
    uint64_t after = rdmsr(MSR_IA32_APIC_BASE);
    bool reset = to_xapic && xapic_registers_in_reset_state();
    printf("apic: x2APIC -> disabled %d, disabled -> x2APIC #GP %d, -> xAPIC %d "
           "(IA32_APIC_BASE 0x%llx), registers in reset state %d\n", to_disabled,
           straight_to_x2apic_gp, to_xapic, after, reset);
    x2apic_entered = false;
    delivery_reset();
    return check_result_of(to_disabled && straight_to_x2apic_gp && to_xapic &&
                           (after & APIC_BASE_EN) && !(after & APIC_BASE_EXTD) && reset);
}

/* ---- disabling in IA32_APIC_BASE (SDM 11.4.3) ---------------------------- */

/* SDM 11.4.7.1, the power-up state: IRR, ISR, TMR, ICR, LDR, TPR 0; the
 * timer's counts and divide configuration 0; DFR all ones; every LVT entry
 * masked (only the mask bit set); SVR 0xFF; ID and version as before. */
static bool xapic_registers_in_reset_state(void)
{
    static const struct {
        enum apic_reg reg;
        uint32_t value;
    } expected[] = {
        { APIC_TPR, 0 }, { APIC_PPR, 0 }, { APIC_LDR, 0 }, { APIC_DFR, APIC_DFR_RESET },
        { APIC_SVR, APIC_SVR_RESET }, { APIC_ICR_LOW, 0 }, { APIC_ICR_HIGH, 0 },
        { APIC_LVT_TIMER, APIC_LVT_RESET }, { APIC_LVT_LINT0, APIC_LVT_RESET },
        { APIC_LVT_LINT1, APIC_LVT_RESET }, { APIC_LVT_ERROR, APIC_LVT_RESET },
        { APIC_TIMER_INITIAL_COUNT, 0 }, { APIC_TIMER_CURRENT_COUNT, 0 },
        { APIC_TIMER_DIVIDE, 0 },
    };
    bool ok = true;
    for (unsigned i = 0; i < ARRAY_SIZE(expected); i++) {
        uint32_t v = xapic_read(expected[i].reg);
        if (v != expected[i].value) {
            printf("apic: register 0x%03x reads 0x%x, power-up value 0x%x\n", expected[i].reg,
                   v, expected[i].value);
            ok = false;
        }
    }
    for (unsigned r = 0; r < APIC_VECTOR_REGS; r++) {
        uint32_t offset = r * APIC_VECTOR_REG_STRIDE;
        uint32_t isr = xapic_read(APIC_ISR + offset), tmr = xapic_read(APIC_TMR + offset);
        uint32_t irr = xapic_read(APIC_IRR + offset);
        if (isr | tmr | irr) {
            printf("apic: vectors %u-%u: ISR 0x%x TMR 0x%x IRR 0x%x\n",
                   r * APIC_VECTORS_PER_REG, (r + 1) * APIC_VECTORS_PER_REG - 1, isr, tmr, irr);
            ok = false;
        }
    }
    if (xapic_read(APIC_ID) >> APIC_ID_SHIFT != initial_apic_id() ||
        xapic_read(APIC_VERSION) != version_at_start) {
        printf("apic: ID 0x%x, version 0x%x after the reset\n", xapic_read(APIC_ID),
               xapic_read(APIC_VERSION));
        ok = false;
    }
    return ok;
}

/* Leaves a mark in registers the reset must clear. */
static void dirty_registers(void)
{
    xapic_write(APIC_TPR, 0x20);
    xapic_write(APIC_LDR, 0x01000000);                 /* logical APIC ID 1 */
    xapic_write(APIC_DFR, APIC_DFR_CLUSTER);
    xapic_write(APIC_LVT_TIMER, V_BASIC);              /* unmasked, count 0: never fires */
    xapic_write(APIC_TIMER_DIVIDE, APIC_TIMER_DIVIDE_BY_1);
    xapic_write(APIC_ICR_HIGH, 0x0Fu << APIC_ICR_DEST_SHIFT);  /* no IPI: ICR low sends */
    /* Requested and not taken (IF = 0): IRR must not survive the disable. */
    lapic_self_ipi(V_BASIC);
}

static bool apic_disabled;

static enum check_result disable_in_apic_base(const char **why)
{
    if (!sdm_strict_here(why, "not under keel: QEMU 7.2 TCG keeps decoding the xAPIC page "
                              "while disabled and cannot enable the APIC again"))
        return CHECK_SKIPPED;
    delivery_reset();
    dirty_registers();
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    int v = wrmsr_try(MSR_IA32_APIC_BASE, base & ~(uint64_t)APIC_BASE_EN);
    uint64_t after = rdmsr(MSR_IA32_APIC_BASE);
    apic_disabled = v == NO_FAULT && !(after & APIC_BASE_EN);
    bool cpuid_apic = cpuid_says_apic();
    /* Nothing answers at the page now (keel: an unclaimed read, all ones). */
    uint32_t version = xapic_read(APIC_VERSION);
    uint32_t id = xapic_read(APIC_ID);
    printf("apic: EN = 0: IA32_APIC_BASE 0x%llx (vector %d), CPUID.1:EDX.APIC %d, page reads "
           "version 0x%x ID 0x%x\n", after, v, cpuid_apic, version, id);
    return check_result_of(apic_disabled && !cpuid_apic && version == UNCLAIMED_READ &&
                           id == UNCLAIMED_READ);
}

static enum check_result reenable_gives_reset_state(const char **why)
{
    if (!sdm_strict_here(why, "not under keel: QEMU 7.2 TCG ignores EN = 1 once the APIC "
                              "was disabled"))
        return CHECK_SKIPPED;
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    int v = wrmsr_try(MSR_IA32_APIC_BASE, base | APIC_BASE_EN);
    uint64_t after = rdmsr(MSR_IA32_APIC_BASE);
    bool enabled = v == NO_FAULT && (after & APIC_BASE_EN);
    bool reset = enabled && xapic_registers_in_reset_state();
    bool cpuid_apic = cpuid_says_apic();
    printf("apic: EN = 1 again: IA32_APIC_BASE 0x%llx (vector %d), CPUID.1:EDX.APIC %d\n",
           after, v, cpuid_apic);
    if (enabled) {
        apic_disabled = false;
        delivery_reset();
        /* And it works: a self-IPI is taken. */
        sti();
        lapic_self_ipi(V_BASIC);
        irq_wait_for(1);
        cli();
    }
    return check_result_of(enabled && reset && cpuid_apic && irq_log_count == 1 &&
                           irq_log[0].vector == V_BASIC);
}

/* ---- CR8 in 64-bit mode (SDM vol. 3A 11.8.6) ----------------------------- */

/* 64-bit code the compatibility-mode C calls through longmode_call():
 * MOV from CR8 into cr8_read_value, MOV to CR8 of cr8_write_value, and a
 * MOV to CR8 of a value with bit 4 set (bits 63:4 are reserved) under fault
 * recovery, as ASM_TRY arms it.  Memory operands are RIP-relative: an ELF32
 * object cannot carry the sign-extended 32-bit absolute relocations of
 * 64-bit code. */
static volatile uint32_t cr8_write_value __attribute__((used));
static volatile uint32_t cr8_read_value __attribute__((used));
extern const char cr8_read_64[], cr8_write_64[], cr8_write_reserved_64[];

__asm__(".pushsection .text\n"
        ".code64\n"
        "cr8_read_64:\n\t"
        "movq %cr8, %rax\n\t"
        "movl %eax, cr8_read_value(%rip)\n\t"
        "ret\n"
        "cr8_write_64:\n\t"
        "movl cr8_write_value(%rip), %eax\n\t"
        "movq %rax, %cr8\n\t"
        "ret\n"
        "cr8_write_reserved_64:\n\t"
        "leaq 1f(%rip), %rcx\n\t"
        "movl %ecx, fault_try_eip(%rip)\n\t"
        "leaq 2f(%rip), %rcx\n\t"
        "movl %ecx, fault_recovery_eip(%rip)\n\t"
        "movl $0x10, %eax\n"
        "1:\n\t"
        "movq %rax, %cr8\n"
        "2:\n\t"
        "movl $0, fault_recovery_eip(%rip)\n\t"
        "ret\n"
        ".code32\n"
        ".popsection\n");

static bool in_long_mode;

/* IA-32e mode with every address below 4 GiB identity-mapped by 2 MiB
 * pages, the APIC's uncached. */
static bool enter_long_mode(const char **why)
{
    if (in_long_mode)
        return true;
    if (!cpu_has_long_mode()) {
        *why = "no IA-32e mode: CPUID.80000001H:EDX.LM = 0";
        return false;
    }
    struct pt_space space;
    uint64_t apic_large_page = XAPIC_DEFAULT_BASE &
                               ~(pt_level_span(PT_MODE_4LEVEL, PT_PDE) - 1);
    pt_init(&space, PT_MODE_4LEVEL);
    pt_map_range(&space, 0, 0, UINT64_C(1) << 32, PT_PDE, PTE_P | PTE_RW);
    pt_map(&space, apic_large_page, apic_large_page, PT_PDE,
           PTE_P | PTE_RW | PTE_PCD | PTE_PWT);
    pt_enable(&space);
    in_long_mode = longmode_active() && longmode_64bit_code_ran();
    if (!in_long_mode)
        *why = "IA-32e mode did not start";
    return in_long_mode;
}

static uint32_t read_cr8(void)
{
    longmode_call((uint64_t)(uintptr_t)cr8_read_64);
    return cr8_read_value;
}

static void write_cr8(uint32_t value)
{
    cr8_write_value = value;
    longmode_call((uint64_t)(uintptr_t)cr8_write_64);
}

/* SDM 11.8.6.1: CR8[3:0] is TPR[7:4]; a write clears TPR[3:0]. */
static enum check_result cr8_is_tpr_class(const char **why)
{
    if (apic_disabled) {
        *why = "the APIC stayed disabled";
        return CHECK_SKIPPED;
    }
    if (!enter_long_mode(why))
        return CHECK_SKIPPED;
    xapic_write(APIC_TPR, 0x7A);
    uint32_t cr8_of_7a = read_cr8();
    xapic_write(APIC_TPR, 0xC5);
    uint32_t cr8_of_c5 = read_cr8();
    write_cr8(0x3);
    uint32_t tpr = xapic_read(APIC_TPR), ppr = xapic_read(APIC_PPR);
    uint32_t cr8 = read_cr8();
    write_cr8(0);
    uint32_t tpr_zero = xapic_read(APIC_TPR);
    printf("apic: CR8 with TPR 0x7a: 0x%x, with TPR 0xc5: 0x%x; CR8 = 3: TPR 0x%x, PPR 0x%x, "
           "CR8 0x%x; CR8 = 0: TPR 0x%x\n", cr8_of_7a, cr8_of_c5, tpr, ppr, cr8, tpr_zero);
    return check_result_of(cr8_of_7a == 0x7 && cr8_of_c5 == 0xC && tpr == 0x30 &&
                           ppr == 0x30 && cr8 == 0x3 && tpr_zero == 0);
}

static enum check_result cr8_reserved_bits_fault(const char **why)
{
    if (apic_disabled) {
        *why = "the APIC stayed disabled";
        return CHECK_SKIPPED;
    }
    if (!sdm_strict_here(why, "not under keel: QEMU 7.2 TCG takes CR8 bits 63:4 without a "
                              "#GP"))
        return CHECK_SKIPPED;
    if (!enter_long_mode(why))
        return CHECK_SKIPPED;
    xapic_write(APIC_TPR, 0x20);
    fault_reset();
    longmode_call((uint64_t)(uintptr_t)cr8_write_reserved_64);
    bool gp = gp0_at_try();
    if (!gp)
        print_fault("mov cr8, 0x10");
    uint32_t tpr = xapic_read(APIC_TPR);
    xapic_write(APIC_TPR, 0);
    return check_result_of(gp && tpr == 0x20);
}

/* ---- the table ----------------------------------------------------------- */

static const struct named_check checks[] = {
    { "apic: IA32_APIC_BASE after reset: base 0xFEE00000, EN, BSP, xAPIC mode", NEEDS_NOTHING,
      apic_base_reset_value },
    { "apic: IA32_APIC_BASE reserved bits raise #GP(0)", NEEDS_NOTHING, apic_base_reserved_bits },
    { "apic: ID register is the initial APIC ID", NEEDS_NOTHING, id_is_initial_apic_id },
    { "apic: version register: integrated APIC, max LVT entry, read-only", NEEDS_NOTHING,
      version_register },
    { "apic: SVR software disable masks every LVT entry and keeps them masked", NEEDS_NOTHING,
      svr_disable_masks_lvt },
    { "apic: TPR reads back, PPR = TPR with nothing in service", NEEDS_NOTHING,
      tpr_and_ppr_idle },
    { "apic: PPR in a handler is max(TPR, in-service class)", NEEDS_NOTHING, ppr_in_handler },
    { "apic: self-IPI with IF=1 is taken once", NEEDS_NOTHING, self_ipi_with_if_set },
    { "apic: KVM's PV send-IPI hypercall reaches the IDs its bitmap names", NEEDS_KEEL,
      pv_send_ipi },
    { "apic: handler sees its vector in ISR, not IRR or TMR; EOI ends it", NEEDS_NOTHING,
      isr_irr_tmr_in_handler },
    { "apic: self-IPI with IF=0 waits in IRR, taken after the instruction after STI",
      NEEDS_NOTHING, self_ipi_held_until_sti },
    { "apic: self-IPI with IF=0 ends STI; HLT, in service in its handler until EOI",
      NEEDS_NOTHING, hlt_with_self_ipi_pending },
    { "apic: two pending vectors: higher priority class first", NEEDS_NOTHING,
      priority_between_classes },
    { "apic: two pending vectors of one class: higher vector first", NEEDS_NOTHING,
      priority_within_class },
    { "apic: in a handler only a higher class nests", NEEDS_NOTHING,
      nesting_only_for_higher_class },
    { "apic: EOI ends the highest vector in service", NEEDS_NOTHING,
      eoi_ends_highest_in_service },
    { "apic: TPR holds vectors of its class and below until it drops", NEEDS_NOTHING,
      tpr_holds_its_class_and_below },
    { "apic: ICR reads back with delivery status idle", NEEDS_NOTHING, icr_reads_back_idle },
    { "apic: ICR high reads back after other writes and an interrupt", NEEDS_NOTHING,
      icr_high_kept },
    { "apic: a moved xAPIC page is the APIC: ID, TPR, PPR, self-IPI and EOI there", NEEDS_NOTHING,
      moved_apic_page },
    { "apic: ESR reports send illegal vector after an ESR write", NEEDS_NOTHING,
      esr_send_illegal_vector },
    { "apic: LVT error interrupt for an illegal vector", NEEDS_NOTHING, lvt_error_interrupt },
    { "apic: NMI by IPI to the own APIC ID runs the NMI handler", NEEDS_NOTHING, nmi_by_ipi },
    { "apic: a second NMI during the NMI handler waits for its IRET", NEEDS_NOTHING,
      nmi_blocked_until_iret },
    { "apic: x2APIC MSRs raise #GP(0) in xAPIC mode", NEEDS_NOTHING,
      x2apic_msrs_fault_in_xapic_mode },
    { "apic: x2APIC mode: ID and version MSRs", NEEDS_NOTHING, x2apic_enable },
    { "apic: x2APIC LDR is derived from the x2APIC ID", NEEDS_NOTHING, x2apic_ldr_from_id },
    { "apic: x2APIC self IPI MSR and EOI MSR", NEEDS_NOTHING, x2apic_self_ipi_and_eoi },
    { "apic: x2APIC TPR MSR holds its class, PPR follows; reserved bits #GP(0)", NEEDS_NOTHING,
      x2apic_tpr_holds },
    { "apic: x2APIC EOI and SELF IPI read #GP(0); ICR and current count read", NEEDS_NOTHING,
      x2apic_registers_read },
    { "apic: x2APIC mode: the xAPIC page is not the APIC", NEEDS_NOTHING, x2apic_page_gone },
    { "apic: x2APIC -> xAPIC directly raises #GP(0)", NEEDS_NOTHING, x2apic_to_xapic_faults },
    { "apic: x2APIC -> disabled -> xAPIC, registers in reset state", NEEDS_NOTHING,
      x2apic_through_disabled },
    { "apic: EN=0 disables: CPUID.1:EDX.APIC clear, page not decoded", NEEDS_NOTHING,
      disable_in_apic_base },
    { "apic: EN=1 again: the APIC is back in its power-up state", NEEDS_NOTHING,
      reenable_gives_reset_state },
    { "apic: CR8 is TPR[7:4] in 64-bit mode", NEEDS_NOTHING, cr8_is_tpr_class },
    { "apic: MOV to CR8 with bits 63:4 set raises #GP(0)", NEEDS_NOTHING,
      cr8_reserved_bits_fault },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    /* Only self-IPIs in this guest: the 8259s (moved off the exception
     * vectors) and the I/O APIC stay masked. */
    pic_init_all_masked();
    ioapic_mask_all();
    version_at_start = xapic_read(APIC_VERSION);
    for (unsigned v = NR_EXCEPTION_VECTORS; v < NR_IDT_VECTORS; v++)
        install_logging_handler(v);
    idt_set_handler(SPURIOUS_VECTOR, spurious_handler);
    lapic_setup(SPURIOUS_VECTOR);
    run_checks(checks, ARRAY_SIZE(checks));
    if (spurious_count)
        printf("apic: %u spurious interrupts (vector 0x%x)\n", spurious_count, SPURIOUS_VECTOR);
}
