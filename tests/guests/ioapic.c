/*
 * ioapic: what kvm-unit-tests' ioapic test holds the I/O APIC to on one CPU,
 * beyond intr.c's checks, with interrupts enabled throughout as that test
 * runs them, and through the x2APIC when the CPU has one (so EOIs reach the
 * I/O APIC from the x2APIC EOI MSR).  Interrupt lines: keel's testdev (the
 * VM option `testdev`), ports 0x2000 + GSI.
 *
 * 82093AA data sheet (the registers at IOREGSEL/IOWIN):
 *   - IOAPICVER is read-only; of IOAPICID only bits 27:24 are writable;
 *     IOAPICARB (register 2) takes the ID when the ID is written and is
 *     read-only itself;
 *   - two edge pins raised while IF = 0: both delivered in the next window,
 *     the higher vector first, the lower one right after its IRET (so both
 *     handlers see the same return address);
 *   - level pins: a line dropped and raised again inside the handler, before
 *     the EOI, gives no second interrupt (Remote IRR holds it: the edge is
 *     coalesced); a line raised twice, each dropped by its handler, gives
 *     two; a pin the handler masks, its line still high, interrupts again
 *     once unmasked;
 *   - writing a redirection entry while its Remote IRR is set keeps Remote
 *     IRR until the EOI;
 *   - the local APIC's TMR for the vector: clear for an edge interrupt, set
 *     for a level one, and it keeps its value after the EOI until the next
 *     interrupt of that vector (SDM vol. 3A 11.8.4).
 *
 * Expected under keel (VM option testdev): pass.  Bare (QEMU 7.2 TCG with
 * -device pc-testdev): pass, in xAPIC mode (TCG offers no x2APIC).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/apic.h"
#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/irq.h"
#include "lib/keel.h"
#include "lib/pic.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/x86.h"

#define IOAPIC_REG_ARBITRATION  0x02u
#define IOAPIC_ID_BITS          0x0F000000u     /* IOAPICID bits 27:24 */
#define PIN_A                   14u
#define PIN_B                   15u
#define V_HIGH                  0x78u
#define V_LOW                   0x66u
#define V_LEVEL                 0x98u
#define V_TMR                   0x79u
#define SPURIOUS_VECTOR         0xFFu

static bool x2apic;

/* ---- the local APIC in either mode ----------------------------------------- */

static void eoi(void)
{
    if (x2apic)
        wrmsr(X2APIC_MSR(APIC_EOI), 0);
    else
        lapic_eoi();
}

static bool tmr_bit(unsigned vector)
{
    unsigned offset = APIC_TMR + (vector / APIC_VECTORS_PER_REG) * APIC_VECTOR_REG_STRIDE;
    uint32_t reg = x2apic ? (uint32_t)rdmsr(X2APIC_MSR(offset)) : xapic_read(offset);
    return (reg >> (vector % APIC_VECTORS_PER_REG)) & 1;
}

static void enter_x2apic_mode(void)
{
    x2apic = cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_1_ECX_X2APIC;
    if (x2apic)
        wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EXTD);
}

/* ---- handlers -------------------------------------------------------------- */

static volatile unsigned count;
static volatile bool tmr_in_handler;
static volatile uint64_t entry_in_handler;

static void plain_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    eoi();
}

static void spurious_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
}

static void quiesce(void)
{
    cli();
    irq_line_set(PIN_A, false);
    irq_line_set(PIN_B, false);
    ioapic_mask_all();
    for (unsigned v = NR_EXCEPTION_VECTORS; v < NR_IDT_VECTORS; v++)
        idt_set_handler(v, plain_handler);
    idt_set_handler(SPURIOUS_VECTOR, spurious_handler);
    irq_log_reset();
    count = 0;
}

static uint64_t redirection(uint8_t vector, bool level)
{
    /* Fixed delivery, physical destination APIC ID 0, active high. */
    return vector | (level ? IOAPIC_REDIR_LEVEL : 0);
}

static void print_log(const char *what)
{
    char buf[96];
    printf("ioapic: %s: %u interrupts: %s\n", what, irq_log_count,
           irq_log_vectors(buf, sizeof(buf)));
}

/* ---- registers ----------------------------------------------------------------- */

static bool version_read_only(void)
{
    uint32_t before = ioapic_read(IOAPIC_REG_VERSION);
    ioapic_write(IOAPIC_REG_VERSION, before ^ 0xFFFFFFFFu);
    uint32_t after = ioapic_read(IOAPIC_REG_VERSION);
    printf("ioapic: IOAPICVER 0x%08x, after writing its complement 0x%08x\n", before, after);
    return after == before;
}

static bool only_id_bits_writable(void)
{
    uint32_t before = ioapic_read(IOAPIC_REG_ID);
    ioapic_write(IOAPIC_REG_ID, before ^ 0xFFFFFFFFu);
    uint32_t after = ioapic_read(IOAPIC_REG_ID);
    ioapic_write(IOAPIC_REG_ID, before);
    printf("ioapic: IOAPICID 0x%08x, after writing its complement 0x%08x\n", before, after);
    return (before ^ after) == IOAPIC_ID_BITS && ioapic_read(IOAPIC_REG_ID) == before;
}

static bool arbitration_takes_id(void)
{
    uint32_t id = ioapic_read(IOAPIC_REG_ID);
    ioapic_write(IOAPIC_REG_ID, IOAPIC_ID_BITS);
    uint32_t loaded = ioapic_read(IOAPIC_REG_ARBITRATION);
    ioapic_write(IOAPIC_REG_ARBITRATION, 0);
    uint32_t kept = ioapic_read(IOAPIC_REG_ARBITRATION);
    ioapic_write(IOAPIC_REG_ID, id);
    printf("ioapic: IOAPICARB after ID 0x%08x: 0x%08x; after writing 0: 0x%08x\n",
           IOAPIC_ID_BITS, loaded, kept);
    return loaded == IOAPIC_ID_BITS && kept == IOAPIC_ID_BITS;
}

/* ---- edge pins ------------------------------------------------------------------- */

static bool two_edges_higher_first_same_return(void)
{
    quiesce();
    ioapic_write_redirection(PIN_A, redirection(V_HIGH, false));
    ioapic_write_redirection(PIN_B, redirection(V_LOW, false));
    irq_line_set(PIN_B, true);
    irq_line_set(PIN_B, false);
    irq_line_set(PIN_A, true);
    irq_line_set(PIN_A, false);
    irq_window();
    print_log("two edges while IF=0");
    bool ok = irq_log_count == 2 && irq_log[0].vector == V_HIGH && irq_log[1].vector == V_LOW &&
              irq_log[0].eip == irq_log[1].eip;
    quiesce();
    return ok;
}

/* ---- level pins ------------------------------------------------------------------- */

static void coalescing_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    if (irq_log_count == 1) {
        irq_line_set(PIN_A, false);
        irq_line_set(PIN_A, true);
    }
    irq_line_set(PIN_A, false);
    eoi();
}

static bool level_edges_before_eoi_coalesce(void)
{
    quiesce();
    idt_set_handler(V_LEVEL, coalescing_handler);
    ioapic_write_redirection(PIN_A, redirection(V_LEVEL, true));
    sti();
    irq_line_set(PIN_A, true);
    irq_wait_for(1);
    irq_spin(IRQ_HOLD_POLLS);
    cli();
    print_log("line dropped and raised again before the EOI");
    bool ok = irq_log_count == 1 && !(ioapic_read_redirection(PIN_A) & IOAPIC_REDIR_REMOTE_IRR);
    quiesce();
    return ok;
}

static void dropping_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    irq_line_set(PIN_A, false);
    eoi();
}

static bool level_raised_twice_interrupts_twice(void)
{
    quiesce();
    idt_set_handler(V_LEVEL, dropping_handler);
    ioapic_write_redirection(PIN_A, redirection(V_LEVEL, true));
    sti();
    irq_line_set(PIN_A, true);
    irq_wait_for(1);
    irq_line_set(PIN_A, true);
    irq_wait_for(2);
    irq_spin(IRQ_HOLD_POLLS);
    cli();
    print_log("line raised twice, dropped by each handler");
    bool ok = irq_log_count == 2;
    quiesce();
    return ok;
}

static void masking_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    ioapic_write_redirection(PIN_A, redirection(V_LEVEL, true) | IOAPIC_REDIR_MASKED);
    eoi();
}

static bool level_masked_in_handler_comes_again(void)
{
    quiesce();
    idt_set_handler(V_LEVEL, masking_handler);
    ioapic_write_redirection(PIN_A, redirection(V_LEVEL, true));
    sti();
    irq_line_set(PIN_A, true);
    irq_wait_for(1);
    irq_spin(IRQ_HOLD_POLLS);
    unsigned while_masked = irq_log_count;
    ioapic_write_redirection(PIN_A, redirection(V_LEVEL, true));
    irq_wait_for(2);
    cli();
    irq_line_set(PIN_A, false);
    print_log("masked by its handler, unmasked with the line high");
    bool ok = while_masked == 1 && irq_log_count == 2;
    quiesce();
    return ok;
}

/* The handler drops the line and rewrites the entry's destination half
 * before its EOI: Remote IRR stays set until then. */
static volatile bool remote_irr_after_rewrite;

static void rewriting_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    irq_line_set(PIN_A, false);
    uint64_t entry = ioapic_read_redirection(PIN_A);
    ioapic_write(IOAPIC_REG_REDTBL(PIN_A) + 1, (uint32_t)(entry >> 32));
    ioapic_write(IOAPIC_REG_REDTBL(PIN_A), (uint32_t)entry);
    remote_irr_after_rewrite = ioapic_read_redirection(PIN_A) & IOAPIC_REDIR_REMOTE_IRR;
    eoi();
}

static bool rewrite_keeps_remote_irr(void)
{
    quiesce();
    remote_irr_after_rewrite = false;
    idt_set_handler(V_LEVEL, rewriting_handler);
    ioapic_write_redirection(PIN_A, redirection(V_LEVEL, true));
    sti();
    irq_line_set(PIN_A, true);
    irq_wait_for(1);
    irq_spin(IRQ_HOLD_POLLS);
    cli();
    uint64_t after = ioapic_read_redirection(PIN_A);
    printf("ioapic: Remote IRR after rewriting the entry in the handler: %d; after the EOI: %d\n",
           remote_irr_after_rewrite, !!(after & IOAPIC_REDIR_REMOTE_IRR));
    bool ok = irq_log_count == 1 && remote_irr_after_rewrite &&
              !(after & IOAPIC_REDIR_REMOTE_IRR);
    quiesce();
    return ok;
}

/* ---- TMR ------------------------------------------------------------------------- */

static void tmr_handler(struct exception_frame *frame)
{
    irq_log_event(frame);
    tmr_in_handler = tmr_bit(V_TMR);
    irq_line_set(PIN_A, false);
    eoi();
}

/* One interrupt of V_TMR from PIN_A, edge or level: whether TMR was set
 * before it and in its handler. */
static bool tmr_step(bool level, bool want_before, bool want_in_handler)
{
    quiesce();
    idt_set_handler(V_TMR, tmr_handler);
    tmr_in_handler = !want_in_handler;
    ioapic_write_redirection(PIN_A, redirection(V_TMR, level));
    bool before = tmr_bit(V_TMR);
    sti();
    irq_line_set(PIN_A, true);
    irq_wait_for(1);
    cli();
    irq_line_set(PIN_A, false);
    printf("ioapic: %s interrupt: TMR %d before, %d in the handler\n", level ? "level" : "edge",
           before, tmr_in_handler);
    bool ok = irq_log_count == 1 && before == want_before && tmr_in_handler == want_in_handler;
    quiesce();
    return ok;
}

static bool tmr_follows_trigger_mode(void)
{
    bool ok = tmr_step(false, false, false);
    ok = tmr_step(true, false, true) && ok;
    ok = tmr_step(true, true, true) && ok;      /* kept after the EOI */
    ok = tmr_step(false, true, false) && ok;
    return ok;
}

static const struct named_test tests[] = {
    { "ioapic: IOAPICVER is read-only", NEEDS_NOTHING, version_read_only },
    { "ioapic: only IOAPICID bits 27:24 are writable", NEEDS_NOTHING, only_id_bits_writable },
    { "ioapic: IOAPICARB takes the ID and is read-only", NEEDS_NOTHING, arbitration_takes_id },
    { "ioapic: two edges while IF=0: higher vector first, both at one return address",
      NEEDS_TESTDEV, two_edges_higher_first_same_return },
    { "ioapic: level line dropped and raised before the EOI: one interrupt", NEEDS_TESTDEV,
      level_edges_before_eoi_coalesce },
    { "ioapic: level line raised twice, dropped by each handler: two interrupts",
      NEEDS_TESTDEV, level_raised_twice_interrupts_twice },
    { "ioapic: level pin masked by its handler interrupts again once unmasked", NEEDS_TESTDEV,
      level_masked_in_handler_comes_again },
    { "ioapic: rewriting an entry keeps its Remote IRR until the EOI", NEEDS_TESTDEV,
      rewrite_keeps_remote_irr },
    { "ioapic: TMR clear for edge, set for level, kept after the EOI", NEEDS_TESTDEV,
      tmr_follows_trigger_mode },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    pic_init_all_masked();
    lapic_setup(SPURIOUS_VECTOR);
    enter_x2apic_mode();
    printf("ioapic: local APIC in %s mode\n", x2apic ? "x2APIC" : "xAPIC");
    quiesce();
    run_tests(tests, ARRAY_SIZE(tests));
    quiesce();
}
