/*
 * The local APIC of a guest's one vCPU (guest/dev/lapic.c), modelled on the
 * Intel SDM vol. 3A chapter 11, "Advanced Programmable Interrupt Controller
 * (APIC)" ("the SDM" below; section numbers are that chapter's).  Register,
 * field and bit names are the SDM's.
 *
 * A pure register model: no CPU access and no clock of its own, so it builds
 * and is tested on the host.  Time enters as arguments: `now_ns`, a
 * monotonic host time in nanoseconds, and `tsc`, the guest's time-stamp
 * counter at that same moment.  keel's glue (another file) connects it:
 *
 *   - register accesses: lapic_mmio_read/write() for the xAPIC page,
 *     lapic_msr_read/write() for IA32_APIC_BASE, IA32_TSC_DEADLINE and the
 *     x2APIC MSRs; lapic_read_cr8()/lapic_write_cr8() for MOV to/from CR8;
 *   - interrupts in: lapic_accept() for messages from the IOAPIC (or any
 *     other external source that sends a vector);
 *   - interrupts out: lapic_pending_vector() gives the vector to inject,
 *     lapic_ack() moves it from IRR to ISR once injected; NMIs go out through
 *     lapic_ops.nmi;
 *   - the timer: lapic_next_event() says when to arm a host timer,
 *     lapic_update() makes expired timers raise their interrupts;
 *   - a copy of the registers: lapic_page_fill()/lapic_page_update() lay
 *     them out as the xAPIC page for an agent that serves reads itself
 *     (VT-x's virtual-APIC page), page_changes says which changed since;
 *     where that agent also changes some of them itself (VT-x's
 *     virtual-interrupt delivery: IRR and ISR), lapic_copy_shared() tells
 *     the model, which then takes them back lazily, the first time it
 *     looks after lapic_copy_running(); lapic_virtual_eoi() hears of the
 *     agent's EOIs of level-triggered vectors.
 *
 * The glue is expected to call lapic_update(now_ns, tsc) on every VM exit
 * before it emulates anything or asks for lapic_pending_vector(), and to
 * re-arm its host timer from lapic_next_event() before every VM entry.
 *
 * What the model does and where it departs from silicon, in short:
 * - One vCPU.  IPIs reach this APIC when their destination (shorthand,
 *   physical ID, logical ID per LDR/DFR, or broadcast) includes it; any IPI
 *   that reaches no one, or whose delivery mode needs another processor
 *   (INIT, start-up, SMI, the reserved modes), is dropped, counted in
 *   `ipis_dropped` and reported through lapic_ops.ipi_dropped.  Lowest
 *   priority delivery is fixed delivery (one candidate: focus checking and
 *   arbitration are moot).  Delivery status always reads 0 (idle): an IPI
 *   is delivered during the ICR write.
 * - Fixed interrupts are accepted into IRR only while the APIC is enabled in
 *   IA32_APIC_BASE and software-enabled in SVR (SDM 11.4.7.2: a software-
 *   disabled APIC still takes NMIs); what IRR and ISR already hold is still
 *   delivered while software-disabled.  No spurious interrupt is ever
 *   generated: lapic_pending_vector() and lapic_ack() happen in one step.
 * - The TSC-deadline timer is always present (CPUID.01H:ECX[24] should be
 *   set); LVT timer mode 11b (reserved) is stored and counts like one-shot.
 * - The timer counts a bus clock of period `bus_cycle_ns` (default 1 ns, a
 *   1 GHz clock, which is also KVM's default), divided per the divide
 *   configuration register.
 * - LINT0/LINT1, thermal, performance-counter and CMCI inputs are not
 *   modelled: their LVT entries are registers only.  ExtINT (the 8259's
 *   vectors through LINT0) bypasses IRR/ISR, so the caller handles it: it
 *   asks lapic_accepts_extint() and injects the 8259's vector itself.
 * - Errors (SDM 11.5.3): send illegal vector, receive illegal vector and
 *   illegal register address (xAPIC reserved offsets) are logged in ESR
 *   and raise the LVT error interrupt; the bus-level errors of P6/Pentium
 *   processors never happen.
 * - No directed EOI: Version[24] is 0, so every EOI of a level-triggered
 *   vector is broadcast (lapic_ops.eoi_broadcast).
 */
#ifndef KEEL_GUEST_DEV_LAPIC_H
#define KEEL_GUEST_DEV_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/msr.h"

/* IA32_TSC_DEADLINE (SDM vol. 4, table 2-2); arch/x86/msr.h lacks it so far. */
#ifndef MSR_IA32_TSC_DEADLINE
#define MSR_IA32_TSC_DEADLINE           0x000006e0
#endif

/* The x2APIC registers are MSRs 0x800 + (xAPIC offset >> 4) (SDM 11.12.1.2). */
#define LAPIC_X2APIC_MSR_FIRST          0x00000800u
#define LAPIC_X2APIC_MSR_LAST           0x000008ffu
#define LAPIC_X2APIC_MSR(offset)        (LAPIC_X2APIC_MSR_FIRST + ((offset) >> 4))

/* Where the xAPIC page is after reset, and its size (SDM 11.4.1). */
#define LAPIC_DEFAULT_BASE              UINT64_C(0xfee00000)
#define LAPIC_MMIO_SIZE                 0x1000u

/* IA32_APIC_BASE fields (SDM 11.4.4, figure 11-5; 11.12.1 for EXTD). */
#define IA32_APIC_BASE_BSP              (UINT64_C(1) << 8)
#define IA32_APIC_BASE_EXTD             (UINT64_C(1) << 10)
#define IA32_APIC_BASE_EN               (UINT64_C(1) << 11)
#define IA32_APIC_BASE_ADDRESS_SHIFT    12

/* Register offsets in the xAPIC page (SDM 11.4.1, table 11-1).  ISR, TMR
 * and IRR are eight registers each, 0x10 apart, vectors 32n..32n+31 in
 * register n. */
enum lapic_reg {
    LAPIC_ID                = 0x020,
    LAPIC_VERSION           = 0x030,
    LAPIC_TPR               = 0x080,
    LAPIC_APR               = 0x090,
    LAPIC_PPR               = 0x0a0,
    LAPIC_EOI               = 0x0b0,
    LAPIC_RRD               = 0x0c0,
    LAPIC_LDR               = 0x0d0,
    LAPIC_DFR               = 0x0e0,
    LAPIC_SVR               = 0x0f0,
    LAPIC_ISR               = 0x100,
    LAPIC_TMR               = 0x180,
    LAPIC_IRR               = 0x200,
    LAPIC_ESR               = 0x280,
    LAPIC_LVT_CMCI          = 0x2f0,
    LAPIC_ICR_LOW           = 0x300,
    LAPIC_ICR_HIGH          = 0x310,
    LAPIC_LVT_TIMER         = 0x320,
    LAPIC_LVT_THERMAL       = 0x330,
    LAPIC_LVT_PMC           = 0x340,
    LAPIC_LVT_LINT0         = 0x350,
    LAPIC_LVT_LINT1         = 0x360,
    LAPIC_LVT_ERROR         = 0x370,
    LAPIC_INITIAL_COUNT     = 0x380,
    LAPIC_CURRENT_COUNT     = 0x390,
    LAPIC_DIVIDE_CONFIG     = 0x3e0,
    LAPIC_SELF_IPI          = 0x3f0,    /* x2APIC only */
};

/* Version register: version 0x14 (an xAPIC), max LVT entry 6 (seven LVT
 * entries, CMCI included), no EOI-broadcast suppression (SDM 11.4.8). */
#define LAPIC_VERSION_VALUE             0x00060014u
#define LAPIC_NR_LVT                    7

/* The bus clock of the APIC timer unless configured: 1 ns per cycle. */
#define LAPIC_DEFAULT_BUS_CYCLE_NS      1u
#define LAPIC_MAX_BUS_CYCLE_NS          1000000u
#define LAPIC_DEFAULT_TSC_KHZ           1000000u
#define LAPIC_DEFAULT_MAXPHYADDR        36u

/* lapic_next_event(): no timer will raise an interrupt. */
#define LAPIC_NO_EVENT                  UINT64_MAX

/* What a register access reports: LAPIC_GP means the instruction faults
 * with #GP(0) (WRMSR/RDMSR only; memory accesses never fault). */
enum lapic_status {
    LAPIC_OK = 0,
    LAPIC_GP = -1,
};

/* The vCPU the APIC belongs to, as its CPUID tells the guest. */
struct lapic_config {
    uint32_t apic_id;           /* initial APIC ID: CPUID.01H:EBX[31:24] (low 8 bits),
                                   CPUID.0BH:EDX (all 32) */
    bool bsp;                   /* IA32_APIC_BASE.BSP */
    bool x2apic;                /* CPUID.01H:ECX.x2APIC[21]: EXTD may be set */
    unsigned maxphyaddr;        /* CPUID.80000008H:EAX[7:0]; base bits from here up are
                                   reserved.  0 means LAPIC_DEFAULT_MAXPHYADDR; above 52
                                   means 52 */
    uint32_t bus_cycle_ns;      /* timer clock period; 0 means LAPIC_DEFAULT_BUS_CYCLE_NS,
                                   above LAPIC_MAX_BUS_CYCLE_NS means that */
    uint32_t tsc_khz;           /* guest TSC rate, to turn TSC deadlines into ns;
                                   0 means LAPIC_DEFAULT_TSC_KHZ */
};

/* The model's outputs.  Each may be NULL (the event is then dropped); each
 * is called at most once per event, after the model's state is consistent,
 * so it may call back into the model (an EOI broadcast typically makes the
 * IOAPIC deliver again through lapic_accept()). */
struct lapic_ops {
    /* EOI of a vector whose TMR bit was set (level-triggered): the IOAPIC
     * clears Remote IRR of the pins using it (ioapic_eoi()).  SDM 11.8.5. */
    void (*eoi_broadcast)(void *ctx, uint8_t vector);
    /* An NMI for this vCPU: an IPI with delivery mode NMI that reaches it. */
    void (*nmi)(void *ctx);
    /* An IPI that was not delivered (see the top of the file): icr_low is
     * ICR bits 31:0 as written, destination the ICR's destination field
     * (8 bits in xAPIC mode, 32 in x2APIC mode). */
    void (*ipi_dropped)(void *ctx, uint32_t icr_low, uint32_t destination);
    /* The copy of the registers (below, "a copy of the registers") and the
     * model parted: the model changed a register while none was marked in
     * page_changes, or it took what the CPU had written in the copy (which
     * may then get ahead again only after lapic_copy_running()).  Either
     * way the copy needs the caller before the guest runs again.  Called in
     * the middle of the change: it must not call into the model. */
    void (*copy_stale)(void *ctx);
    void *ctx;
};

/* One local APIC.  The fields are the model's state, public only so it can
 * be allocated statically and inspected by tests; use the functions below. */
struct lapic {
    struct lapic_config config;
    struct lapic_ops ops;

    uint64_t apic_base;         /* IA32_APIC_BASE */
    uint32_t xapic_id;          /* ID register in xAPIC mode (bits 31:24) */
    /* TPR: where it is kept.  tpr_storage, unless a backend moved it with
     * lapic_move_tpr() to where the CPU keeps the guest's TPR while the
     * guest runs (VT-x's TPR shadow: the virtual-APIC page). */
    uint8_t *tpr;
    uint8_t tpr_storage;
    uint32_t ldr;               /* xAPIC mode; x2APIC mode derives it from the ID */
    uint32_t dfr;
    uint32_t svr;
    uint32_t isr[8], tmr[8], irr[8];    /* bit v % 32 of word v / 32 is vector v */
    uint32_t esr;               /* ESR as read: errors latched by the last ESR write */
    uint32_t esr_pending;       /* errors since the last ESR write */
    uint32_t icr_low;
    uint32_t icr_destination;   /* xAPIC: ICR bits 63:56; x2APIC: bits 63:32 */
    uint32_t lvt[LAPIC_NR_LVT];
    uint32_t initial_count;
    uint32_t divide_config;

    /* The count-down (one-shot and periodic modes): while running, the
     * current count was `anchor_count` at `anchor_ns` and drops by one every
     * bus_cycle_ns * divisor ns. */
    bool countdown_running;
    uint64_t countdown_anchor_ns;
    uint32_t countdown_anchor_count;
    uint64_t tsc_deadline;      /* IA32_TSC_DEADLINE; 0 = disarmed */

    uint64_t ipis_dropped;

    /* The registers whose value as read changed since a copy of them was
     * last brought up to date (lapic_page_fill(), lapic_page_update()):
     * bit n for the register at offset n * 16.  The current count, which
     * follows time, never counts. */
    uint64_t page_changes;
    /* The copy the guest's CPU writes in itself (lapic_copy_shared()):
     * where, what it writes there (enum lapic_copy_writes), and whether it
     * may be ahead of the model: set by lapic_copy_running(), cleared when
     * the model takes what the CPU wrote. */
    const uint32_t *copy;
    unsigned copy_writes;
    bool copy_ahead;
};

/* Puts `a` in its power-up state (SDM 11.4.7.1: IRR, ISR, TMR, ICR, LDR,
 * TPR, ESR, the timer's counts and divide configuration 0; DFR all 1s; LVT
 * entries masked; SVR 0xFF, so software-disabled; ID from `config`) with
 * IA32_APIC_BASE = 0xFEE00000 | EN | (BSP if config->bsp): xAPIC mode.
 * `config` is copied (see struct lapic_config for its zero defaults);
 * `ops` is copied and may be NULL (no outputs). */
void lapic_init(struct lapic *a, const struct lapic_config *config, const struct lapic_ops *ops);

/* Moves the TPR to *home (its value goes along): from then on the model
 * reads and writes it there, and so does whoever else writes *home (a CPU
 * running the guest with a TPR shadow).  lapic_init() moves it back into
 * the model. */
void lapic_move_tpr(struct lapic *a, uint8_t *home);

/* The TPR as it is now. */
static inline uint8_t lapic_tpr(const struct lapic *a)
{
    return *a->tpr;
}

/* What a PC BIOS leaves behind for an operating system that never
 * programs the APIC (MultiProcessor Specification 1.4, 3.6.2.2 "Virtual
 * Wire Mode"): SVR software-enabled, LINT0 = ExtINT unmasked, LINT1 = NMI.
 * keel loads guests without firmware, so its glue may call this once
 * after lapic_init(). */
void lapic_enter_virtual_wire_mode(struct lapic *a);

/* ---- the xAPIC page ---- */

/* True while the xAPIC page decodes: the APIC is enabled in xAPIC mode.
 * Disabled or in x2APIC mode it does not (SDM 11.4.3, 11.12.1.2), and the
 * accessors below then read all-ones and drop writes, as an unclaimed bus
 * cycle would. */
bool lapic_mmio_decoded(const struct lapic *a);
/* The page's guest-physical address: IA32_APIC_BASE[MAXPHYADDR-1:12]. */
uint64_t lapic_mmio_base(const struct lapic *a);

/* A guest read of `size` (1, 2, 4 or 8) bytes at `offset` (0..0xFFF) in
 * the page.  Each register is 32 bits at the start of a 16-byte slot
 * (SDM 11.4.1); a read that stays within one slot returns the bytes it
 * covers, bytes 4-15 of a slot reading 0.  A read of a reserved slot
 * returns 0 and logs "illegal register address" in ESR.  Reads crossing
 * slots or of other sizes return 0.  EOI (write-only) reads 0. */
uint64_t lapic_mmio_read(struct lapic *a, uint64_t offset, unsigned size, uint64_t now_ns);

/* A guest write.  Only 4-byte writes at a slot's start reach a register
 * (the SDM asks for 32-bit accesses; KVM too drops the others); others are
 * ignored.  Reserved bits are dropped; writes to read-only registers are
 * ignored; writes to reserved slots log "illegal register address". */
void lapic_mmio_write(struct lapic *a, uint64_t offset, unsigned size, uint64_t value,
                      uint64_t now_ns);

/* ---- MSRs ---- */

/* True for the MSRs this model owns: IA32_APIC_BASE, IA32_TSC_DEADLINE and
 * the x2APIC range 0x800-0x8FF. */
bool lapic_owns_msr(uint32_t msr);

/* RDMSR and WRMSR of an MSR lapic_owns_msr() accepts (others: LAPIC_GP).
 * x2APIC MSRs (SDM 11.12.1.2, table 11-6) fault unless the APIC is in
 * x2APIC mode; in that mode they fault for registers that do not exist
 * there (DFR, ICR high, APR, RRD, the reserved ones), for reads of EOI and
 * SELF IPI, for writes of read-only registers, for non-zero writes of EOI
 * and ESR, and for writes setting reserved bits (SDM 11.12.1.3; bits 63:32
 * are reserved in all but ICR).  ICR is one 64-bit register: destination
 * in bits 63:32; writing it sends the IPI.  IA32_TSC_DEADLINE reads 0 and
 * ignores writes outside TSC-deadline mode (SDM 11.5.4.1). */
enum lapic_status lapic_msr_read(struct lapic *a, uint32_t msr, uint64_t *value, uint64_t now_ns,
                                 uint64_t tsc);
enum lapic_status lapic_msr_write(struct lapic *a, uint32_t msr, uint64_t value, uint64_t now_ns,
                                  uint64_t tsc);

/* IA32_APIC_BASE, as RDMSR reads it. */
uint64_t lapic_apic_base(const struct lapic *a);

/* WRMSR IA32_APIC_BASE (SDM 11.4.4, 11.12.5).  #GP for reserved bits (7:0,
 * 9, EXTD without x2APIC support, MAXPHYADDR and up), for EN = 0 with
 * EXTD = 1, and for the two illegal mode transitions: x2APIC -> xAPIC and
 * disabled -> x2APIC.  Legal: xAPIC <-> disabled, xAPIC -> x2APIC,
 * x2APIC -> disabled, and staying put (which may move the base).  BSP is
 * read-only: the written bit is ignored.  Going to disabled puts every
 * register in its power-up state (SDM 11.12.5.1: register state is not
 * preserved across that transition), timer stopped, interrupts dropped;
 * xAPIC -> x2APIC keeps all state but the xAPIC ID, LDR (now derived from
 * the x2APIC ID) and the ICR destination (SDM 11.12.5.1). */
enum lapic_status lapic_write_apic_base(struct lapic *a, uint64_t value);

/* ---- CR8 ---- */

/* MOV from CR8: TPR[7:4] (SDM 11.8.6.1, "Interaction of Task Priorities
 * between CR8 and APIC").  Works whatever the APIC's state. */
uint8_t lapic_read_cr8(const struct lapic *a);
/* MOV to CR8: TPR = cr8[3:0] << 4.  The caller #GPs on bits 63:4 first. */
void lapic_write_cr8(struct lapic *a, uint64_t cr8);

/* ---- interrupts ---- */

/* A fixed (or lowest-priority) interrupt message for this APIC, from the
 * IOAPIC: vector into IRR, TMR bit set for level-triggered, cleared for
 * edge (SDM 11.8.4).  Returns false when not accepted: APIC disabled or
 * software-disabled, or vector 0-15 (logged as "receive illegal vector"). */
bool lapic_accept(struct lapic *a, uint8_t vector, bool level_triggered);

/* An IPI whose destination the sender already resolved to this APIC (a
 * paravirtual IPI hypercall): icr_low is ICR bits 31:0, of which the
 * delivery mode and vector count.  Fixed and lowest-priority IPIs are
 * accepted as lapic_accept() does (edge-triggered; an illegal vector logs
 * "receive illegal vector" and is not delivered), NMIs go to ops.nmi.
 * Returns whether the IPI was delivered: false for a disabled APIC, an
 * illegal vector, or INIT, SIPI, SMI and the reserved delivery modes. */
bool lapic_receive_ipi(struct lapic *a, uint32_t icr_low);

/* The vector to deliver next: the highest vector in IRR whose priority
 * class (bits 7:4) is above PPR's (SDM 11.8.3.1, 11.8.4), or -1 for none
 * (also when the APIC is disabled).  Call lapic_update() first. */
int lapic_pending_vector(struct lapic *a);

/* The highest vector in IRR whatever the priorities, or -1: what a TPR
 * drop could let through (VT-x's TPR threshold follows it). */
int lapic_highest_request(struct lapic *a);

/* The vCPU took `vector` (the one lapic_pending_vector() returned, once
 * injected): IRR bit -> ISR bit.  Returns false, changing nothing, when
 * `vector` is not in IRR. */
bool lapic_ack(struct lapic *a, uint8_t vector);

/* True when the 8259's INTR reaches the vCPU directly as ExtINT: the APIC
 * is disabled (its LINT0 is then the processor's INTR pin, SDM 11.4.3) or
 * LVT LINT0 is unmasked with delivery mode ExtINT.  The caller then
 * injects the 8259's vector itself; IRR, ISR and PPR are not involved. */
bool lapic_accepts_extint(const struct lapic *a);

/* ---- the timer (SDM 11.5.4) ---- */

/* Makes every timer expiry up to `now_ns` (one-shot, periodic) or `tsc`
 * (TSC deadline) raise its interrupt.  A periodic timer that missed
 * several periods raises one. */
void lapic_update(struct lapic *a, uint64_t now_ns, uint64_t tsc);

/* When the timer next raises an interrupt, in the `now_ns` timeline:
 * `now_ns` itself when that is already due (call lapic_update()), or
 * LAPIC_NO_EVENT when no timer is armed or its LVT entry is masked.  A
 * TSC deadline is converted with config.tsc_khz, rounded up. */
uint64_t lapic_next_event(const struct lapic *a, uint64_t now_ns, uint64_t tsc);

/* ---- a copy of the registers ---- */

/* The words of a register page that hold registers: offsets 0-3FFH. */
#define LAPIC_PAGE_WORDS                (0x400u / 4u)

/* True in x2APIC mode: enabled with IA32_APIC_BASE.EXTD set. */
bool lapic_x2apic_mode(const struct lapic *a);

/* The highest vector in ISR, or -1. */
int lapic_highest_in_service(struct lapic *a);

/* One copy of the registers, as an agent that serves reads itself (VT-x's
 * virtual-APIC page) keeps it: `page` is LAPIC_PAGE_WORDS 32-bit words, the
 * register at offset n * 16 in word n * 4 as the xAPIC page lays them out
 * (SDM 11.4.1), what a read returns (0 for the current count, the EOI
 * register and reserved offsets); the other three words of each 16 bytes
 * are not written (but the one at 304H), so the caller keeps them 0.  In
 * x2APIC mode ID and LDR are the x2APIC ones, and ICR is one 64-bit
 * register at 300H (destination in the word at 304H), the layout VT-x's
 * virtual-APIC page gives the x2APIC MSRs (SDM vol. 3C 29.5); DFR and ICR
 * high, which x2APIC mode lacks, are 0.  lapic_page_fill() writes every
 * register, lapic_page_update() those in page_changes and returns that
 * mask; both clear it. */
#define LAPIC_PAGE_SLOTS                64u
#define LAPIC_PAGE_SLOT(offset)         (UINT64_C(1) << ((offset) / 16u))
void lapic_page_fill(struct lapic *a, uint32_t *page);
uint64_t lapic_page_update(struct lapic *a, uint32_t *page);
/* Someone else wrote the copy's register at `offset` (any offset in it):
 * the next lapic_page_update() writes it again. */
void lapic_page_stale(struct lapic *a, unsigned offset);

/* What the CPU running the guest writes in the copy by itself. */
enum lapic_copy_writes {
    /* IRR and ISR: VT-x virtual-interrupt delivery delivers, EOIs and
     * accepts self-IPIs there (SDM vol. 3C 29.1.3, 29.2). */
    LAPIC_COPY_VECTORS = 1u << 0,
    /* ICR high, in xAPIC mode: VT-x APIC-register virtualization lets the
     * guest write it without an exit (SDM vol. 3C 29.4.3.2). */
    LAPIC_COPY_ICR_HIGH = 1u << 1,
};

/* `page`, laid out as above, is a copy in which the CPU running the guest
 * writes the registers `writes` names (0, or page NULL: none) by itself.
 * The model takes them back lazily: after lapic_copy_running(), the first
 * of its functions that reads or changes IRR, ISR, TMR, PPR or ICR (every
 * function here but the IA32_APIC_BASE, CR8, LVT and timer ones) first
 * takes IRR and ISR, and ICR high, from the copy, and calls
 * ops.copy_stale.  Taken IRR and ISR do not count as changes (the copy has
 * them); vectors new in IRR can only be self-IPIs the CPU accepted, which
 * are edge-triggered: their TMR bits are cleared (SDM 11.8.4), a change.
 * EOIs the CPU performed are not broadcast then: see lapic_virtual_eoi().
 * A reserved bit the guest set in ICR high is a change too (the copy gets
 * the register as a read returns it).  lapic_init() forgets the copy. */
void lapic_copy_shared(struct lapic *a, const uint32_t *page, unsigned writes);

/* The guest is about to run with the copy up to date (lapic_page_fill()
 * or lapic_page_update() since the model last changed): until the model
 * next looks, the copy may be ahead of it. */
static inline void lapic_copy_running(struct lapic *a)
{
    a->copy_ahead = a->copy_writes != 0;
}

/* The agent already took `vector` out of ISR for an EOI (VT-x EOI
 * virtualization, SDM vol. 3C 29.1.3): if TMR says it is level-triggered,
 * the EOI is broadcast as an EOI register write would (ops.eoi_broadcast). */
void lapic_virtual_eoi(struct lapic *a, uint8_t vector);

#endif
