/*
 * The guests' local APIC: a register model of the SDM vol. 3A chapter 11
 * APIC (section numbers below are that chapter's).  Pure logic; see
 * guest/dev/lapic.h for the interface and what is and is not emulated.
 *
 * Both register interfaces, the xAPIC page and the x2APIC MSRs, reach the
 * same registers through register_value() and write_register(), which take
 * the xAPIC offset.  They differ in which registers exist (xapic_access(),
 * x2apic_access()), in ID and LDR (writable in xAPIC mode, derived from the
 * x2APIC ID in x2APIC mode), in ICR (two 32-bit halves vs one 64-bit MSR),
 * and in reserved bits: the xAPIC drops them, the x2APIC faults on them
 * (SDM 11.12.1.3, "Reserved Bit Checking").
 *
 * The timer.  One-shot and periodic modes count down from the initial
 * count at one count per bus_cycle_ns * divisor ns.  Rather than tick, the
 * model remembers the count at one moment (the anchor) and computes the
 * current count and the next expiry from it; every entry point that gets
 * `now_ns` first brings the count-down up to that time (countdown_advance()),
 * so an expiry is acted on before any register access that could see it.
 * A mode change between one-shot and periodic leaves the count running (a
 * one-shot count that already reached 0 stays stopped); a change to or from
 * TSC-deadline mode disarms both timers (SDM 11.5.4.1).  A divide
 * configuration write while counting keeps the current count and goes on
 * at the new rate from then on.
 *
 * Errors (SDM 11.5.3).  Each error detected is logged and raises the LVT
 * error interrupt when that entry is unmasked.  If the error entry's own
 * vector is illegal (0-15), that is logged as "receive illegal vector" and
 * not raised again, so an error cannot cause an endless chain of errors.
 */
#include "guest/dev/lapic.h"

/* ---- vectors and priorities ---- */

#define VECTOR_MASK                 0xffu
#define FIRST_LEGAL_VECTOR          16u     /* 0-15 are illegal (SDM 11.5.2) */
#define PRIORITY_CLASS_MASK         0xf0u   /* vector bits 7:4 (SDM 11.8.3) */
#define VECTORS_PER_REG             32u
#define NR_VECTOR_REGS              8u

/* Registers sit at the start of 16-byte slots (SDM 11.4.1). */
#define REG_STRIDE                  0x10u
#define REG_WIDTH                   4u
#define BITS_PER_BYTE               8u

/* ID (SDM 11.4.6) and logical destination (SDM 11.6.2.2, 11.12.10.2). */
#define XAPIC_ID_SHIFT              24
#define XAPIC_ID_BITS               0xffu
#define XAPIC_BROADCAST             0xffu
#define X2APIC_BROADCAST            0xffffffffu
#define XAPIC_LDR_MASK              0xff000000u
#define XAPIC_LDR_SHIFT             24
#define DFR_MODEL_MASK              0xf0000000u
#define DFR_MODEL_FLAT              0xf0000000u
#define DFR_RESERVED_ONES           0x0fffffffu
#define XAPIC_CLUSTER_SHIFT         4
#define XAPIC_CLUSTER_MEMBERS       0x0fu
#define XAPIC_ALL_CLUSTERS          0x0fu
#define X2APIC_CLUSTER_SHIFT        16
#define X2APIC_ID_CLUSTER_SHIFT     4
#define X2APIC_ID_MEMBER_MASK       0x0fu
#define X2APIC_CLUSTER_MEMBERS      0xffffu

/* TPR (SDM 11.8.3.1) and CR8 (SDM 11.8.6.1). */
#define TPR_MASK                    0xffu
#define CR8_TPR_BITS                0x0fu
#define CR8_TPR_SHIFT               4

/* SVR (SDM 11.9, figure 11-23).  Bit 12 (EOI-broadcast suppression) is
 * reserved: Version[24] says it is not supported. */
#define SVR_APIC_SOFTWARE_ENABLE    (1u << 8)
#define SVR_FOCUS_CHECKING_DISABLE  (1u << 9)
#define SVR_WRITABLE                (VECTOR_MASK | SVR_APIC_SOFTWARE_ENABLE | \
                                     SVR_FOCUS_CHECKING_DISABLE)
#define SVR_RESET                   0xffu

/* ESR (SDM 11.5.3, figure 11-9). */
#define ESR_SEND_ILLEGAL_VECTOR     (1u << 5)
#define ESR_RECEIVE_ILLEGAL_VECTOR  (1u << 6)
#define ESR_ILLEGAL_REGISTER_ADDRESS (1u << 7)

/* LVT entries (SDM 11.5.1, figure 11-8). */
#define LVT_DELIVERY_MODE_MASK      0x700u
#define LVT_DELIVERY_MODE_SHIFT     8
#define LVT_DELIVERY_STATUS         (1u << 12)
#define LVT_INPUT_POLARITY          (1u << 13)
#define LVT_REMOTE_IRR              (1u << 14)
#define LVT_TRIGGER_LEVEL           (1u << 15)
#define LVT_MASKED                  (1u << 16)
#define LVT_TIMER_MODE_MASK         (3u << 17)
#define LVT_TIMER_ONE_SHOT          (0u << 17)
#define LVT_TIMER_PERIODIC          (1u << 17)
#define LVT_TIMER_TSC_DEADLINE      (2u << 17)

/* Delivery modes, as LVT and ICR bits 10:8 encode them (SDM 11.5.1, 11.6.1). */
enum delivery_mode {
    DELIVERY_FIXED = 0,
    DELIVERY_LOWEST_PRIORITY = 1,
    DELIVERY_SMI = 2,
    DELIVERY_NMI = 4,
    DELIVERY_INIT = 5,
    DELIVERY_START_UP = 6,
    DELIVERY_EXTINT = 7,
};

/* ICR (SDM 11.6.1, figures 11-12 and 11-28). */
#define ICR_DELIVERY_MODE_MASK      0x700u
#define ICR_DELIVERY_MODE_SHIFT     8
#define ICR_DESTINATION_LOGICAL     (1u << 11)
#define ICR_DELIVERY_STATUS         (1u << 12)
#define ICR_SHORTHAND_MASK          (3u << 18)
#define ICR_SHORTHAND_NONE          (0u << 18)
#define ICR_SHORTHAND_SELF          (1u << 18)
#define ICR_SHORTHAND_ALL_INCLUDING_SELF (2u << 18)
#define ICR_SHORTHAND_ALL_EXCLUDING_SELF (3u << 18)
/* Vector, delivery mode, destination mode, level, trigger mode, shorthand. */
#define XAPIC_ICR_LOW_WRITABLE      0x000ccfffu
#define X2APIC_ICR_RESERVED         0xfff32000u     /* bits 31:20, 17:16, 13 */
#define X2APIC_ICR_DESTINATION_SHIFT 32

/* Divide configuration (SDM 11.5.4, figure 11-10): bits 3, 1:0 form a
 * 3-bit value v; 111b divides by 1, any other v by 2 << v. */
#define DCR_WRITABLE                0x0bu
#define DCR_VALUE_LOW               0x03u
#define DCR_VALUE_HIGH              0x08u   /* value bit 2, one place up */
#define DCR_DIVIDE_BY_1             0x07u

#define NS_PER_MS                   UINT64_C(1000000)
#define MAXPHYADDR_LIMIT            52u

/* The LVT entries in lapic.lvt[]. */
enum lvt_index {
    LVT_TIMER,
    LVT_THERMAL,
    LVT_PMC,
    LVT_LINT0,
    LVT_LINT1,
    LVT_ERROR,
    LVT_CMCI,
};
_Static_assert(LVT_CMCI + 1 == LAPIC_NR_LVT, "one lapic.lvt[] slot per LVT entry");

/* The bits software can set in each LVT entry, and the read-only ones
 * (delivery status; remote IRR of LINT0/1) that x2APIC writes may carry. */
static const uint32_t lvt_writable[LAPIC_NR_LVT] = {
    [LVT_TIMER] = VECTOR_MASK | LVT_MASKED | LVT_TIMER_MODE_MASK,
    [LVT_THERMAL] = VECTOR_MASK | LVT_DELIVERY_MODE_MASK | LVT_MASKED,
    [LVT_PMC] = VECTOR_MASK | LVT_DELIVERY_MODE_MASK | LVT_MASKED,
    [LVT_LINT0] = VECTOR_MASK | LVT_DELIVERY_MODE_MASK | LVT_INPUT_POLARITY |
                  LVT_TRIGGER_LEVEL | LVT_MASKED,
    [LVT_LINT1] = VECTOR_MASK | LVT_DELIVERY_MODE_MASK | LVT_INPUT_POLARITY |
                  LVT_TRIGGER_LEVEL | LVT_MASKED,
    [LVT_ERROR] = VECTOR_MASK | LVT_MASKED,
    [LVT_CMCI] = VECTOR_MASK | LVT_DELIVERY_MODE_MASK | LVT_MASKED,
};

static uint32_t lvt_read_only(enum lvt_index lvt)
{
    if (lvt == LVT_LINT0 || lvt == LVT_LINT1)
        return LVT_DELIVERY_STATUS | LVT_REMOTE_IRR;
    return LVT_DELIVERY_STATUS;
}

/* The LVT entry at `offset`, or -1. */
static int lvt_at(unsigned offset)
{
    if (offset == LAPIC_LVT_CMCI)
        return LVT_CMCI;
    if (offset >= LAPIC_LVT_TIMER && offset <= LAPIC_LVT_ERROR)
        return (int)((offset - LAPIC_LVT_TIMER) / REG_STRIDE);
    return -1;
}

/* page_changes bits (lapic.h) of the LVT entries: CMCI, timer to error. */
#define LVT_SLOTS   (UINT64_C(1) << (LAPIC_LVT_CMCI / REG_STRIDE) | \
                     UINT64_C(0x3f) << (LAPIC_LVT_TIMER / REG_STRIDE))

static uint64_t saturating_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ---- state ---- */

static bool hardware_enabled(const struct lapic *a)
{
    return a->apic_base & IA32_APIC_BASE_EN;
}

static bool x2apic_mode(const struct lapic *a)
{
    return hardware_enabled(a) && (a->apic_base & IA32_APIC_BASE_EXTD);
}

static bool software_enabled(const struct lapic *a)
{
    return a->svr & SVR_APIC_SOFTWARE_ENABLE;
}

static uint32_t timer_mode(const struct lapic *a)
{
    return a->lvt[LVT_TIMER] & LVT_TIMER_MODE_MASK;
}

/* ---- the 256-bit vector registers ---- */

static bool vector_is_set(const uint32_t *reg, unsigned vector)
{
    return reg[vector / VECTORS_PER_REG] & (1u << (vector % VECTORS_PER_REG));
}

static void set_vector(uint32_t *reg, unsigned vector)
{
    reg[vector / VECTORS_PER_REG] |= 1u << (vector % VECTORS_PER_REG);
}

static void clear_vector(uint32_t *reg, unsigned vector)
{
    reg[vector / VECTORS_PER_REG] &= ~(1u << (vector % VECTORS_PER_REG));
}

static int highest_vector(const uint32_t *reg)
{
    for (int i = NR_VECTOR_REGS - 1; i >= 0; i--) {
        if (reg[i])
            return i * (int)VECTORS_PER_REG + (int)(VECTORS_PER_REG - 1) - __builtin_clz(reg[i]);
    }
    return -1;
}

/* ---- the copy of the registers (lapic.h, "a copy of the registers") ---- */

/* The copy and the model part: ops.copy_stale says so, once per parting. */
static void copy_stale(struct lapic *a)
{
    if (a->ops.copy_stale)
        a->ops.copy_stale(a->ops.ctx);
}

/* A copy of the registers elsewhere refreshes the registers
 * a->page_changes names: bit n for the register at offset n * 16. */
static void changed(struct lapic *a, unsigned offset)
{
    if (!a->page_changes)
        copy_stale(a);
    a->page_changes |= UINT64_C(1) << (offset / REG_STRIDE);
}

static void all_changed(struct lapic *a)
{
    if (!a->page_changes)
        copy_stale(a);
    a->page_changes = ~UINT64_C(0);
}

static void take_copy(struct lapic *a);

/* Before the model reads or changes what the guest's CPU may have changed
 * in the copy since it last ran (IRR, ISR and through them TMR and PPR; ICR
 * high): the model takes it first.  Every public function that reads or
 * changes those starts here, and so does accept_fixed(), through which
 * every interrupt enters IRR.  One test while the copy is not ahead. */
static inline void catch_up(struct lapic *a)
{
    if (__builtin_expect(a->copy_ahead, 0))
        take_copy(a);
}

/* The ISR, TMR or IRR register that holds `vector`. */
static void vector_changed(struct lapic *a, unsigned first, unsigned vector)
{
    changed(a, first + vector / VECTORS_PER_REG * REG_STRIDE);
}

/* PPR (SDM 11.8.3.1): TPR when its class is at least that of the highest
 * in-service vector, else that vector's class with bits 3:0 clear. */
static uint8_t processor_priority(const struct lapic *a)
{
    int isrv = highest_vector(a->isr);
    uint8_t isrv_class = isrv < 0 ? 0 : (uint8_t)((unsigned)isrv & PRIORITY_CLASS_MASK);
    if ((*a->tpr & PRIORITY_CLASS_MASK) >= isrv_class)
        return *a->tpr;
    return isrv_class;
}

/* The logical x2APIC ID (SDM 11.12.10.2): the cluster, ID[19:4], in bits
 * 31:16 and one bit for ID[3:0] in bits 15:0. */
static uint32_t x2apic_ldr(const struct lapic *a)
{
    uint32_t id = a->config.apic_id;
    return (id >> X2APIC_ID_CLUSTER_SHIFT) << X2APIC_CLUSTER_SHIFT |
           1u << (id & X2APIC_ID_MEMBER_MASK);
}

/* ---- interrupt acceptance and errors ---- */

static bool accept_fixed(struct lapic *a, unsigned vector, bool level_triggered);

static void signal_error(struct lapic *a, uint32_t errors)
{
    a->esr_pending |= errors;
    uint32_t entry = a->lvt[LVT_ERROR];
    if (entry & LVT_MASKED)
        return;
    unsigned vector = entry & VECTOR_MASK;
    if (vector < FIRST_LEGAL_VECTOR) {
        /* See "Errors" at the top of the file. */
        a->esr_pending |= ESR_RECEIVE_ILLEGAL_VECTOR;
        return;
    }
    accept_fixed(a, vector, false);
}

/* A fixed interrupt reaching this APIC (SDM 11.8.4), from outside, an IPI
 * or an LVT entry.  A software-disabled APIC takes none (SDM 11.4.7.2). */
static bool accept_fixed(struct lapic *a, unsigned vector, bool level_triggered)
{
    catch_up(a);
    if (!hardware_enabled(a) || !software_enabled(a))
        return false;
    if (vector < FIRST_LEGAL_VECTOR) {
        signal_error(a, ESR_RECEIVE_ILLEGAL_VECTOR);
        return false;
    }
    if (!vector_is_set(a->irr, vector)) {
        set_vector(a->irr, vector);
        vector_changed(a, LAPIC_IRR, vector);
    }
    if (vector_is_set(a->tmr, vector) != level_triggered) {
        if (level_triggered)
            set_vector(a->tmr, vector);
        else
            clear_vector(a->tmr, vector);
        vector_changed(a, LAPIC_TMR, vector);
    }
    return true;
}

/* The timer and error entries have no delivery mode field: fixed, edge. */
static void raise_lvt(struct lapic *a, enum lvt_index lvt)
{
    uint32_t entry = a->lvt[lvt];
    if (!(entry & LVT_MASKED))
        accept_fixed(a, entry & VECTOR_MASK, false);
}

/* EOI (SDM 11.8.5): retires the highest in-service vector; a
 * level-triggered one is broadcast so the IOAPIC can clear Remote IRR. */
static void end_of_interrupt(struct lapic *a)
{
    int vector = highest_vector(a->isr);
    if (vector < 0)
        return;
    clear_vector(a->isr, (unsigned)vector);
    vector_changed(a, LAPIC_ISR, (unsigned)vector);
    changed(a, LAPIC_PPR);
    if (vector_is_set(a->tmr, (unsigned)vector) && a->ops.eoi_broadcast)
        a->ops.eoi_broadcast(a->ops.ctx, (uint8_t)vector);
}

/* ---- IPIs (SDM 11.6) ---- */

static bool physical_destination_is_self(const struct lapic *a, uint32_t destination)
{
    if (x2apic_mode(a))
        return destination == X2APIC_BROADCAST || destination == a->config.apic_id;
    destination &= XAPIC_ID_BITS;
    return destination == XAPIC_BROADCAST || destination == a->xapic_id >> XAPIC_ID_SHIFT;
}

/* SDM 11.6.2.2 (flat and cluster models) and 11.12.10.2 (x2APIC: always
 * clusters of 16). */
static bool logical_destination_is_self(const struct lapic *a, uint32_t destination)
{
    if (x2apic_mode(a)) {
        uint32_t ldr = x2apic_ldr(a);
        return destination == X2APIC_BROADCAST ||
               (destination >> X2APIC_CLUSTER_SHIFT == ldr >> X2APIC_CLUSTER_SHIFT &&
                (destination & ldr & X2APIC_CLUSTER_MEMBERS));
    }
    destination &= XAPIC_ID_BITS;
    if (destination == XAPIC_BROADCAST)
        return true;
    uint32_t logical_id = a->ldr >> XAPIC_LDR_SHIFT;
    if ((a->dfr & DFR_MODEL_MASK) == DFR_MODEL_FLAT)
        return destination & logical_id;
    uint32_t cluster = destination >> XAPIC_CLUSTER_SHIFT;
    return (cluster == logical_id >> XAPIC_CLUSTER_SHIFT || cluster == XAPIC_ALL_CLUSTERS) &&
           (destination & logical_id & XAPIC_CLUSTER_MEMBERS);
}

static bool ipi_reaches_self(const struct lapic *a, uint32_t icr_low, uint32_t destination)
{
    switch (icr_low & ICR_SHORTHAND_MASK) {
    case ICR_SHORTHAND_SELF:
    case ICR_SHORTHAND_ALL_INCLUDING_SELF:
        return true;
    case ICR_SHORTHAND_ALL_EXCLUDING_SELF:
        return false;
    default:
        if (icr_low & ICR_DESTINATION_LOGICAL)
            return logical_destination_is_self(a, destination);
        return physical_destination_is_self(a, destination);
    }
}

static void drop_ipi(struct lapic *a, uint32_t icr_low, uint32_t destination)
{
    a->ipis_dropped++;
    if (a->ops.ipi_dropped)
        a->ops.ipi_dropped(a->ops.ctx, icr_low, destination);
}

/* The receiving side of an IPI that reached this APIC: a fixed or
 * lowest-priority one goes to IRR, edge-triggered (SDM 11.6.1: ICR's
 * trigger mode only qualifies INIT level de-assert); an NMI goes to the NMI
 * output.  INIT, SIPI, SMI and the reserved modes mean nothing to a
 * single-vCPU VM: false, not delivered. */
static bool receive_ipi(struct lapic *a, uint32_t icr_low)
{
    unsigned mode = (icr_low & ICR_DELIVERY_MODE_MASK) >> ICR_DELIVERY_MODE_SHIFT;
    if (mode == DELIVERY_FIXED || mode == DELIVERY_LOWEST_PRIORITY)
        return accept_fixed(a, icr_low & VECTOR_MASK, false);
    if (mode != DELIVERY_NMI)
        return false;
    if (a->ops.nmi)
        a->ops.nmi(a->ops.ctx);
    return true;
}

/* An IPI as ICR describes it.  A fixed or lowest-priority IPI with an
 * illegal vector is not sent (SDM 11.5.3, "Send Illegal Vector").  IPIs are
 * always edge-triggered: ICR's trigger mode only qualifies INIT level
 * de-assert (SDM 11.6.1). */
static void send_ipi(struct lapic *a, uint32_t icr_low, uint32_t destination)
{
    unsigned mode = (icr_low & ICR_DELIVERY_MODE_MASK) >> ICR_DELIVERY_MODE_SHIFT;
    unsigned vector = icr_low & VECTOR_MASK;
    bool fixed = mode == DELIVERY_FIXED || mode == DELIVERY_LOWEST_PRIORITY;

    if (fixed && vector < FIRST_LEGAL_VECTOR) {
        signal_error(a, ESR_SEND_ILLEGAL_VECTOR);
        return;
    }
    if (!ipi_reaches_self(a, icr_low, destination)) {
        drop_ipi(a, icr_low, destination);
        return;
    }
    /* A fixed IPI the APIC could not take (software-disabled) is lost
     * here, not dropped for want of a destination. */
    if (!receive_ipi(a, icr_low) && !fixed)
        drop_ipi(a, icr_low, destination);
}

/* ---- the timer (SDM 11.5.4) ---- */

static unsigned timer_divisor(uint32_t divide_config)
{
    unsigned value = (divide_config & DCR_VALUE_LOW) | (divide_config & DCR_VALUE_HIGH) >> 1;
    return value == DCR_DIVIDE_BY_1 ? 1 : 2u << value;
}

/* Nanoseconds per count: at most 1e6 * 128, so a full 32-bit count fits
 * in 2^59 ns. */
static uint64_t ns_per_count(const struct lapic *a)
{
    return (uint64_t)a->config.bus_cycle_ns * timer_divisor(a->divide_config);
}

static uint64_t countdown_expiry_ns(const struct lapic *a)
{
    return saturating_add(a->countdown_anchor_ns,
                          (uint64_t)a->countdown_anchor_count * ns_per_count(a));
}

static uint32_t current_count(const struct lapic *a, uint64_t now_ns)
{
    if (!a->countdown_running)
        return 0;
    uint64_t elapsed = now_ns > a->countdown_anchor_ns ? now_ns - a->countdown_anchor_ns : 0;
    uint64_t counted = elapsed / ns_per_count(a);
    if (counted >= a->countdown_anchor_count)
        return 0;
    return a->countdown_anchor_count - (uint32_t)counted;
}

static void start_countdown(struct lapic *a, uint32_t count, uint64_t now_ns)
{
    a->countdown_running = count != 0;
    a->countdown_anchor_ns = now_ns;
    a->countdown_anchor_count = count;
}

/* Acts on a count-down that reached 0 by now_ns: a periodic one reloads
 * from the initial count at the last period boundary not after now_ns. */
static void countdown_advance(struct lapic *a, uint64_t now_ns)
{
    if (!a->countdown_running)
        return;
    uint64_t expiry = countdown_expiry_ns(a);
    if (now_ns < expiry)
        return;
    uint64_t period = (uint64_t)a->initial_count * ns_per_count(a);
    if (timer_mode(a) == LVT_TIMER_PERIODIC && period != 0) {
        a->countdown_anchor_ns = expiry + (now_ns - expiry) / period * period;
        a->countdown_anchor_count = a->initial_count;
    } else {
        a->countdown_running = false;
    }
    raise_lvt(a, LVT_TIMER);
}

/* SDM 11.5.4.1: reaching the deadline raises the interrupt and disarms
 * the timer, IA32_TSC_DEADLINE reading 0 again. */
static void tsc_deadline_advance(struct lapic *a, uint64_t tsc)
{
    if (timer_mode(a) != LVT_TIMER_TSC_DEADLINE || a->tsc_deadline == 0 || tsc < a->tsc_deadline)
        return;
    a->tsc_deadline = 0;
    raise_lvt(a, LVT_TIMER);
}

static void disarm_timers(struct lapic *a)
{
    changed(a, LAPIC_INITIAL_COUNT);
    a->initial_count = 0;
    a->countdown_running = false;
    a->tsc_deadline = 0;
}

/* Writes of the initial count are ignored in TSC-deadline mode
 * (SDM 11.5.4.1); 0 stops the count-down. */
static void write_initial_count(struct lapic *a, uint32_t value, uint64_t now_ns)
{
    if (timer_mode(a) == LVT_TIMER_TSC_DEADLINE)
        return;
    a->initial_count = value;
    start_countdown(a, value, now_ns);
}

static void write_divide_config(struct lapic *a, uint32_t value, uint64_t now_ns)
{
    uint32_t count = current_count(a, now_ns);
    a->divide_config = value & DCR_WRITABLE;
    if (a->countdown_running)
        start_countdown(a, count, now_ns);
}

/* TSC deadlines are in guest TSC ticks; khz ticks make a millisecond.
 * Rounded up, so the host timer never fires before the deadline. */
static uint64_t tsc_ticks_to_ns(uint64_t ticks, uint32_t khz)
{
    uint64_t ms = ticks / khz, rest = ticks % khz;
    if (ms > UINT64_MAX / NS_PER_MS)
        return UINT64_MAX;
    return saturating_add(ms * NS_PER_MS, (rest * NS_PER_MS + khz - 1) / khz);
}

/* ---- registers ---- */

static void write_lvt(struct lapic *a, enum lvt_index lvt, uint32_t value)
{
    uint32_t entry = value & lvt_writable[lvt];
    if (!software_enabled(a))
        entry |= LVT_MASKED;    /* SDM 11.4.7.2: masks cannot be cleared */
    if (lvt == LVT_TIMER) {
        bool was_deadline = timer_mode(a) == LVT_TIMER_TSC_DEADLINE;
        bool is_deadline = (entry & LVT_TIMER_MODE_MASK) == LVT_TIMER_TSC_DEADLINE;
        if (was_deadline != is_deadline)
            disarm_timers(a);
    }
    a->lvt[lvt] = entry;
}

/* SDM 11.4.7.2: clearing the software enable masks every LVT entry. */
static void write_svr(struct lapic *a, uint32_t value)
{
    a->svr = value & SVR_WRITABLE;
    if (!software_enabled(a)) {
        for (unsigned i = 0; i < LAPIC_NR_LVT; i++)
            a->lvt[i] |= LVT_MASKED;
        a->page_changes |= LVT_SLOTS;
    }
}

/* SDM 11.5.3: a write makes ESR show the errors logged since the last
 * write and starts logging afresh. */
static void latch_errors(struct lapic *a)
{
    a->esr = a->esr_pending;
    a->esr_pending = 0;
}

enum reg_access {
    REG_RESERVED = 0,
    REG_READ = 1,
    REG_WRITE = 2,
    REG_READ_WRITE = REG_READ | REG_WRITE,
};

static bool in_vector_regs(unsigned offset, unsigned first)
{
    return offset >= first && offset < first + NR_VECTOR_REGS * REG_STRIDE;
}

/* Registers both interfaces have alike (SDM tables 11-1 and 11-6). */
static enum reg_access common_access(unsigned offset)
{
    if (in_vector_regs(offset, LAPIC_ISR) || in_vector_regs(offset, LAPIC_TMR) ||
        in_vector_regs(offset, LAPIC_IRR))
        return REG_READ;
    if (lvt_at(offset) >= 0)
        return REG_READ_WRITE;
    switch (offset) {
    case LAPIC_VERSION:
    case LAPIC_PPR:
    case LAPIC_CURRENT_COUNT:
        return REG_READ;
    case LAPIC_TPR:
    case LAPIC_SVR:
    case LAPIC_ESR:
    case LAPIC_ICR_LOW:
    case LAPIC_INITIAL_COUNT:
    case LAPIC_DIVIDE_CONFIG:
        return REG_READ_WRITE;
    default:
        return REG_RESERVED;
    }
}

/* The xAPIC page (SDM table 11-1).  EOI is write-only there; a read
 * returns 0 rather than counting as an illegal register address. */
static enum reg_access xapic_access(unsigned offset)
{
    switch (offset) {
    case LAPIC_APR:
    case LAPIC_RRD:
        return REG_READ;
    case LAPIC_ID:
    case LAPIC_EOI:
    case LAPIC_LDR:
    case LAPIC_DFR:
    case LAPIC_ICR_HIGH:
        return REG_READ_WRITE;
    default:
        return common_access(offset);
    }
}

/* The x2APIC MSRs (SDM table 11-6): no APR, RRD, DFR or ICR high; ID and
 * LDR read-only; EOI and SELF IPI write-only. */
static enum reg_access x2apic_access(unsigned offset)
{
    switch (offset) {
    case LAPIC_ID:
    case LAPIC_LDR:
        return REG_READ;
    case LAPIC_EOI:
    case LAPIC_SELF_IPI:
        return REG_WRITE;
    default:
        return common_access(offset);
    }
}

/* The bits an x2APIC write may set (SDM 11.12.1.3: others fault). */
static uint32_t x2apic_defined_bits(unsigned offset)
{
    int lvt = lvt_at(offset);
    if (lvt >= 0)
        return lvt_writable[lvt] | lvt_read_only((enum lvt_index)lvt);
    switch (offset) {
    case LAPIC_TPR:
        return TPR_MASK;
    case LAPIC_SVR:
        return SVR_WRITABLE;
    case LAPIC_INITIAL_COUNT:
        return UINT32_MAX;
    case LAPIC_DIVIDE_CONFIG:
        return DCR_WRITABLE;
    case LAPIC_SELF_IPI:
        return VECTOR_MASK;
    default:
        return 0;       /* EOI and ESR: only 0 may be written */
    }
}

/* A register as read (ICR: bits 31:0).  The timer must be up to date. */
static uint32_t register_value(const struct lapic *a, unsigned offset, uint64_t now_ns)
{
    if (in_vector_regs(offset, LAPIC_ISR))
        return a->isr[(offset - LAPIC_ISR) / REG_STRIDE];
    if (in_vector_regs(offset, LAPIC_TMR))
        return a->tmr[(offset - LAPIC_TMR) / REG_STRIDE];
    if (in_vector_regs(offset, LAPIC_IRR))
        return a->irr[(offset - LAPIC_IRR) / REG_STRIDE];
    int lvt = lvt_at(offset);
    if (lvt >= 0)
        return a->lvt[lvt];
    switch (offset) {
    case LAPIC_ID:
        return x2apic_mode(a) ? a->config.apic_id : a->xapic_id;
    case LAPIC_VERSION:
        return LAPIC_VERSION_VALUE;
    case LAPIC_TPR:
        return *a->tpr;
    case LAPIC_PPR:
        return processor_priority(a);
    case LAPIC_LDR:
        return x2apic_mode(a) ? x2apic_ldr(a) : a->ldr;
    case LAPIC_DFR:
        return a->dfr;
    case LAPIC_SVR:
        return a->svr;
    case LAPIC_ESR:
        return a->esr;
    case LAPIC_ICR_LOW:
        return a->icr_low;
    case LAPIC_ICR_HIGH:
        return a->icr_destination << XAPIC_ID_SHIFT;
    case LAPIC_INITIAL_COUNT:
        return a->initial_count;
    case LAPIC_CURRENT_COUNT:
        return current_count(a, now_ns);
    case LAPIC_DIVIDE_CONFIG:
        return a->divide_config;
    default:
        return 0;       /* APR (no arbitration to model), RRD (no remote read), EOI */
    }
}

/* A write of a writable register; reserved bits are dropped here.  The
 * x2APIC ICR does not come here (x2apic_write_icr()). */
static void write_register(struct lapic *a, unsigned offset, uint32_t value, uint64_t now_ns)
{
    changed(a, offset);
    int lvt = lvt_at(offset);
    if (lvt >= 0) {
        write_lvt(a, (enum lvt_index)lvt, value);
        return;
    }
    switch (offset) {
    case LAPIC_ID:
        a->xapic_id = value & (XAPIC_ID_BITS << XAPIC_ID_SHIFT);
        break;
    case LAPIC_TPR:
        *a->tpr = (uint8_t)(value & TPR_MASK);
        changed(a, LAPIC_PPR);
        break;
    case LAPIC_EOI:
        end_of_interrupt(a);
        break;
    case LAPIC_LDR:
        a->ldr = value & XAPIC_LDR_MASK;
        break;
    case LAPIC_DFR:
        a->dfr = (value & DFR_MODEL_MASK) | DFR_RESERVED_ONES;
        break;
    case LAPIC_SVR:
        write_svr(a, value);
        break;
    case LAPIC_ESR:
        latch_errors(a);
        break;
    case LAPIC_ICR_LOW:
        a->icr_low = value & XAPIC_ICR_LOW_WRITABLE;
        send_ipi(a, a->icr_low, a->icr_destination);
        break;
    case LAPIC_ICR_HIGH:
        a->icr_destination = value >> XAPIC_ID_SHIFT;
        break;
    case LAPIC_INITIAL_COUNT:
        write_initial_count(a, value, now_ns);
        break;
    case LAPIC_DIVIDE_CONFIG:
        write_divide_config(a, value, now_ns);
        break;
    case LAPIC_SELF_IPI:
        /* SDM 11.12.11: a fixed, edge-triggered IPI to this APIC. */
        send_ipi(a, ICR_SHORTHAND_SELF | (value & VECTOR_MASK), 0);
        break;
    default:
        break;
    }
}

/* Puts every register in its power-up state (SDM 11.4.7.1). */
static void reset_registers(struct lapic *a)
{
    all_changed(a);
    a->xapic_id = (a->config.apic_id & XAPIC_ID_BITS) << XAPIC_ID_SHIFT;
    *a->tpr = 0;
    a->ldr = 0;
    a->dfr = DFR_MODEL_FLAT | DFR_RESERVED_ONES;
    a->svr = SVR_RESET;
    for (unsigned i = 0; i < NR_VECTOR_REGS; i++)
        a->isr[i] = a->tmr[i] = a->irr[i] = 0;
    a->esr = a->esr_pending = 0;
    a->icr_low = a->icr_destination = 0;
    for (unsigned i = 0; i < LAPIC_NR_LVT; i++)
        a->lvt[i] = LVT_MASKED;
    a->divide_config = 0;
    disarm_timers(a);
    a->countdown_anchor_ns = 0;
    a->countdown_anchor_count = 0;
}

/* ---- x2APIC MSRs ---- */

static bool is_x2apic_msr(uint32_t msr)
{
    return msr >= LAPIC_X2APIC_MSR_FIRST && msr <= LAPIC_X2APIC_MSR_LAST;
}

static unsigned x2apic_msr_offset(uint32_t msr)
{
    return (msr - LAPIC_X2APIC_MSR_FIRST) * REG_STRIDE;
}

static enum lapic_status x2apic_read(struct lapic *a, unsigned offset, uint64_t *value,
                                     uint64_t now_ns)
{
    if (!(x2apic_access(offset) & REG_READ))
        return LAPIC_GP;
    if (offset == LAPIC_ICR_LOW)
        *value = (uint64_t)a->icr_destination << X2APIC_ICR_DESTINATION_SHIFT | a->icr_low;
    else
        *value = register_value(a, offset, now_ns);
    return LAPIC_OK;
}

/* SDM 11.12.9: one 64-bit write sends the IPI.  Delivery status is
 * reserved but ignored (not faulted), as on Intel parts. */
static enum lapic_status x2apic_write_icr(struct lapic *a, uint64_t value)
{
    if (value & X2APIC_ICR_RESERVED)
        return LAPIC_GP;
    changed(a, LAPIC_ICR_LOW);
    a->icr_low = (uint32_t)value & ~ICR_DELIVERY_STATUS;
    a->icr_destination = (uint32_t)(value >> X2APIC_ICR_DESTINATION_SHIFT);
    send_ipi(a, a->icr_low, a->icr_destination);
    return LAPIC_OK;
}

static enum lapic_status x2apic_write(struct lapic *a, unsigned offset, uint64_t value,
                                      uint64_t now_ns)
{
    if (!(x2apic_access(offset) & REG_WRITE))
        return LAPIC_GP;
    if (offset == LAPIC_ICR_LOW)
        return x2apic_write_icr(a, value);
    if (value & ~(uint64_t)x2apic_defined_bits(offset))
        return LAPIC_GP;
    write_register(a, offset, (uint32_t)value, now_ns);
    return LAPIC_OK;
}

/* ---- IA32_APIC_BASE (SDM 11.4.4, 11.12.5) ---- */

enum apic_mode {
    APIC_MODE_DISABLED,
    APIC_MODE_INVALID,          /* EN = 0, EXTD = 1 */
    APIC_MODE_XAPIC,
    APIC_MODE_X2APIC,
};

static enum apic_mode apic_mode_of(uint64_t apic_base)
{
    bool en = apic_base & IA32_APIC_BASE_EN, extd = apic_base & IA32_APIC_BASE_EXTD;
    if (en)
        return extd ? APIC_MODE_X2APIC : APIC_MODE_XAPIC;
    return extd ? APIC_MODE_INVALID : APIC_MODE_DISABLED;
}

/* SDM 11.12.5, figure "Local x2APIC State Transitions". */
static bool mode_transition_allowed(enum apic_mode from, enum apic_mode to)
{
    if (to == APIC_MODE_INVALID)
        return false;
    if (from == to || to == APIC_MODE_DISABLED)
        return true;
    if (to == APIC_MODE_XAPIC)
        return from == APIC_MODE_DISABLED;
    return from == APIC_MODE_XAPIC;     /* to x2APIC */
}

static uint64_t apic_base_address_mask(const struct lapic *a)
{
    uint64_t below_maxphyaddr = (UINT64_C(1) << a->config.maxphyaddr) - 1;
    return below_maxphyaddr & ~((UINT64_C(1) << IA32_APIC_BASE_ADDRESS_SHIFT) - 1);
}

static uint64_t apic_base_reserved(const struct lapic *a)
{
    uint64_t defined = IA32_APIC_BASE_BSP | IA32_APIC_BASE_EN | apic_base_address_mask(a);
    if (a->config.x2apic)
        defined |= IA32_APIC_BASE_EXTD;
    return ~defined;
}

/* ---- the interface ---- */

void lapic_init(struct lapic *a, const struct lapic_config *config, const struct lapic_ops *ops)
{
    *a = (struct lapic){ .config = *config };
    a->tpr = &a->tpr_storage;
    if (ops)
        a->ops = *ops;
    if (a->config.maxphyaddr == 0)
        a->config.maxphyaddr = LAPIC_DEFAULT_MAXPHYADDR;
    if (a->config.maxphyaddr > MAXPHYADDR_LIMIT)
        a->config.maxphyaddr = MAXPHYADDR_LIMIT;
    if (a->config.bus_cycle_ns == 0)
        a->config.bus_cycle_ns = LAPIC_DEFAULT_BUS_CYCLE_NS;
    if (a->config.bus_cycle_ns > LAPIC_MAX_BUS_CYCLE_NS)
        a->config.bus_cycle_ns = LAPIC_MAX_BUS_CYCLE_NS;
    if (a->config.tsc_khz == 0)
        a->config.tsc_khz = LAPIC_DEFAULT_TSC_KHZ;
    a->apic_base = LAPIC_DEFAULT_BASE | IA32_APIC_BASE_EN |
                   (a->config.bsp ? IA32_APIC_BASE_BSP : 0);
    reset_registers(a);
}

void lapic_move_tpr(struct lapic *a, uint8_t *home)
{
    *home = *a->tpr;
    a->tpr = home;
}

void lapic_enter_virtual_wire_mode(struct lapic *a)
{
    all_changed(a);
    write_svr(a, a->svr | SVR_APIC_SOFTWARE_ENABLE);
    a->lvt[LVT_LINT0] = (uint32_t)DELIVERY_EXTINT << LVT_DELIVERY_MODE_SHIFT;
    a->lvt[LVT_LINT1] = (uint32_t)DELIVERY_NMI << LVT_DELIVERY_MODE_SHIFT;
}

bool lapic_mmio_decoded(const struct lapic *a)
{
    return apic_mode_of(a->apic_base) == APIC_MODE_XAPIC;
}

uint64_t lapic_mmio_base(const struct lapic *a)
{
    return a->apic_base & apic_base_address_mask(a);
}

static uint64_t low_bytes_mask(unsigned size)
{
    return size >= sizeof(uint64_t) ? UINT64_MAX : (UINT64_C(1) << (size * BITS_PER_BYTE)) - 1;
}

static bool mmio_size_valid(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

uint64_t lapic_mmio_read(struct lapic *a, uint64_t offset, unsigned size, uint64_t now_ns)
{
    catch_up(a);
    if (!mmio_size_valid(size))
        return 0;
    if (!lapic_mmio_decoded(a))
        return low_bytes_mask(size);
    if (offset >= LAPIC_MMIO_SIZE || offset % REG_STRIDE + size > REG_STRIDE)
        return 0;
    countdown_advance(a, now_ns);
    unsigned slot = (unsigned)offset & ~(REG_STRIDE - 1);
    unsigned byte = (unsigned)offset % REG_STRIDE;
    if (!(xapic_access(slot) & REG_READ)) {
        signal_error(a, ESR_ILLEGAL_REGISTER_ADDRESS);
        return 0;
    }
    if (byte >= REG_WIDTH)
        return 0;
    uint64_t reg = register_value(a, slot, now_ns);
    return (reg >> (byte * BITS_PER_BYTE)) & low_bytes_mask(size);
}

void lapic_mmio_write(struct lapic *a, uint64_t offset, unsigned size, uint64_t value,
                      uint64_t now_ns)
{
    catch_up(a);
    if (!lapic_mmio_decoded(a) || size != REG_WIDTH || offset >= LAPIC_MMIO_SIZE ||
        offset % REG_STRIDE != 0)
        return;
    countdown_advance(a, now_ns);
    enum reg_access access = xapic_access((unsigned)offset);
    if (access == REG_RESERVED)
        signal_error(a, ESR_ILLEGAL_REGISTER_ADDRESS);
    else if (access & REG_WRITE)
        write_register(a, (unsigned)offset, (uint32_t)value, now_ns);
}

bool lapic_owns_msr(uint32_t msr)
{
    return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE || is_x2apic_msr(msr);
}

enum lapic_status lapic_msr_read(struct lapic *a, uint32_t msr, uint64_t *value, uint64_t now_ns,
                                 uint64_t tsc)
{
    *value = 0;
    catch_up(a);
    lapic_update(a, now_ns, tsc);
    if (msr == MSR_IA32_APIC_BASE) {
        *value = a->apic_base;
        return LAPIC_OK;
    }
    if (msr == MSR_IA32_TSC_DEADLINE) {
        if (timer_mode(a) == LVT_TIMER_TSC_DEADLINE)
            *value = a->tsc_deadline;
        return LAPIC_OK;
    }
    if (!is_x2apic_msr(msr) || !x2apic_mode(a))
        return LAPIC_GP;
    return x2apic_read(a, x2apic_msr_offset(msr), value, now_ns);
}

enum lapic_status lapic_msr_write(struct lapic *a, uint32_t msr, uint64_t value, uint64_t now_ns,
                                  uint64_t tsc)
{
    catch_up(a);
    lapic_update(a, now_ns, tsc);
    if (msr == MSR_IA32_APIC_BASE)
        return lapic_write_apic_base(a, value);
    if (msr == MSR_IA32_TSC_DEADLINE) {
        if (timer_mode(a) == LVT_TIMER_TSC_DEADLINE) {
            a->tsc_deadline = value;
            tsc_deadline_advance(a, tsc);
        }
        return LAPIC_OK;
    }
    if (!is_x2apic_msr(msr) || !x2apic_mode(a))
        return LAPIC_GP;
    return x2apic_write(a, x2apic_msr_offset(msr), value, now_ns);
}

uint64_t lapic_apic_base(const struct lapic *a)
{
    return a->apic_base;
}

enum lapic_status lapic_write_apic_base(struct lapic *a, uint64_t value)
{
    catch_up(a);
    if (value & apic_base_reserved(a))
        return LAPIC_GP;
    enum apic_mode from = apic_mode_of(a->apic_base), to = apic_mode_of(value);
    if (!mode_transition_allowed(from, to))
        return LAPIC_GP;
    a->apic_base = (value & ~IA32_APIC_BASE_BSP) | (a->apic_base & IA32_APIC_BASE_BSP);
    all_changed(a);             /* ID, LDR and ICR read differently in x2APIC mode */
    if (from != to && to == APIC_MODE_DISABLED)
        reset_registers(a);
    else if (from != to && to == APIC_MODE_X2APIC)
        a->icr_destination = 0;
    return LAPIC_OK;
}

uint8_t lapic_read_cr8(const struct lapic *a)
{
    return *a->tpr >> CR8_TPR_SHIFT;
}

void lapic_write_cr8(struct lapic *a, uint64_t cr8)
{
    *a->tpr = (uint8_t)((cr8 & CR8_TPR_BITS) << CR8_TPR_SHIFT);
    changed(a, LAPIC_TPR);
    changed(a, LAPIC_PPR);
}

bool lapic_accept(struct lapic *a, uint8_t vector, bool level_triggered)
{
    return accept_fixed(a, vector, level_triggered);
}

bool lapic_receive_ipi(struct lapic *a, uint32_t icr_low)
{
    catch_up(a);
    return receive_ipi(a, icr_low);
}

int lapic_pending_vector(struct lapic *a)
{
    catch_up(a);
    if (!hardware_enabled(a))
        return -1;
    int vector = highest_vector(a->irr);
    if (vector < 0)
        return -1;
    if (((unsigned)vector & PRIORITY_CLASS_MASK) <= (processor_priority(a) & PRIORITY_CLASS_MASK))
        return -1;
    return vector;
}

int lapic_highest_request(struct lapic *a)
{
    catch_up(a);
    return highest_vector(a->irr);
}

bool lapic_ack(struct lapic *a, uint8_t vector)
{
    catch_up(a);
    if (!vector_is_set(a->irr, vector))
        return false;
    clear_vector(a->irr, vector);
    set_vector(a->isr, vector);
    vector_changed(a, LAPIC_IRR, vector);
    vector_changed(a, LAPIC_ISR, vector);
    changed(a, LAPIC_PPR);
    return true;
}

bool lapic_accepts_extint(const struct lapic *a)
{
    if (!hardware_enabled(a))
        return true;
    uint32_t lint0 = a->lvt[LVT_LINT0];
    unsigned mode = (lint0 & LVT_DELIVERY_MODE_MASK) >> LVT_DELIVERY_MODE_SHIFT;
    return !(lint0 & LVT_MASKED) && mode == DELIVERY_EXTINT;
}

void lapic_update(struct lapic *a, uint64_t now_ns, uint64_t tsc)
{
    if (!hardware_enabled(a))
        return;
    countdown_advance(a, now_ns);
    tsc_deadline_advance(a, tsc);
}

uint64_t lapic_next_event(const struct lapic *a, uint64_t now_ns, uint64_t tsc)
{
    if (!hardware_enabled(a) || (a->lvt[LVT_TIMER] & LVT_MASKED))
        return LAPIC_NO_EVENT;
    if (timer_mode(a) == LVT_TIMER_TSC_DEADLINE) {
        if (a->tsc_deadline == 0)
            return LAPIC_NO_EVENT;
        if (tsc >= a->tsc_deadline)
            return now_ns;
        return saturating_add(now_ns, tsc_ticks_to_ns(a->tsc_deadline - tsc, a->config.tsc_khz));
    }
    if (!a->countdown_running)
        return LAPIC_NO_EVENT;
    uint64_t expiry = countdown_expiry_ns(a);
    return expiry < now_ns ? now_ns : expiry;
}

/* ---- a copy of the registers ---- */

bool lapic_x2apic_mode(const struct lapic *a)
{
    return x2apic_mode(a);
}

int lapic_highest_in_service(struct lapic *a)
{
    catch_up(a);
    return highest_vector(a->isr);
}

/* The page's word for the register at `offset`, as a read returns it (the
 * current count excepted: it moves with time, and reads 0 here).  In
 * x2APIC mode ICR is one 64-bit register at 300H, its destination in the
 * word at 304H, and DFR and ICR high do not exist (SDM 11.12.1.2, 11.12.9;
 * SDM vol. 3C 29.5 for the page). */
static uint32_t page_value(const struct lapic *a, unsigned offset)
{
    /* The vector registers first: they change most. */
    if (in_vector_regs(offset, LAPIC_ISR))
        return a->isr[(offset - LAPIC_ISR) / REG_STRIDE];
    if (in_vector_regs(offset, LAPIC_TMR))
        return a->tmr[(offset - LAPIC_TMR) / REG_STRIDE];
    if (in_vector_regs(offset, LAPIC_IRR))
        return a->irr[(offset - LAPIC_IRR) / REG_STRIDE];
    if (offset == LAPIC_CURRENT_COUNT)
        return 0;
    if (x2apic_mode(a) && (offset == LAPIC_DFR || offset == LAPIC_ICR_HIGH))
        return 0;
    return register_value(a, offset, 0);    /* 0 for EOI, SELF IPI and reserved offsets */
}

static void write_page_slot(const struct lapic *a, uint32_t *page, unsigned slot)
{
    unsigned offset = slot * REG_STRIDE;
    page[offset / REG_WIDTH] = page_value(a, offset);
    if (offset == LAPIC_ICR_LOW)
        page[(offset + REG_WIDTH) / REG_WIDTH] = x2apic_mode(a) ? a->icr_destination : 0;
}

void lapic_page_fill(struct lapic *a, uint32_t *page)
{
    catch_up(a);
    for (unsigned slot = 0; slot < LAPIC_PAGE_SLOTS; slot++)
        write_page_slot(a, page, slot);
    a->page_changes = 0;
}

void lapic_page_stale(struct lapic *a, unsigned offset)
{
    if (offset < LAPIC_PAGE_SLOTS * REG_STRIDE)
        changed(a, offset);
}

uint64_t lapic_page_update(struct lapic *a, uint32_t *page)
{
    catch_up(a);
    uint64_t written = a->page_changes;
    for (uint64_t left = written; left; left &= left - 1)
        write_page_slot(a, page, (unsigned)__builtin_ctzll(left));
    a->page_changes = 0;
    return written;
}

/* IRR and ISR as the CPU left them in the copy.  IRR and ISR word i are
 * page words 4 * i from the registers' starts.  Most takes find little
 * new: one compare per word, a store only for what differs. */
static void take_vectors(struct lapic *a, const uint32_t *page)
{
    const uint32_t *irr = page + LAPIC_IRR / REG_WIDTH, *isr = page + LAPIC_ISR / REG_WIDTH;
    const unsigned words_per_reg = REG_STRIDE / REG_WIDTH;
#pragma GCC unroll 8
    for (unsigned i = 0; i < NR_VECTOR_REGS; i++) {
        uint32_t page_irr = irr[i * words_per_reg], page_isr = isr[i * words_per_reg];
        if (page_irr != a->irr[i]) {
            uint32_t self_ipis = page_irr & ~a->irr[i];
            if (a->tmr[i] & self_ipis) {
                a->tmr[i] &= ~self_ipis;
                changed(a, LAPIC_TMR + i * REG_STRIDE);
            }
            a->irr[i] = page_irr;
        }
        if (page_isr != a->isr[i])
            a->isr[i] = page_isr;
    }
}

/* ICR high as the guest wrote it in the copy (xAPIC mode only: x2APIC
 * mode has no ICR high).  Bits 23:0 are reserved: if the guest set any,
 * the copy gets the register as a read returns it at the next update. */
static void take_icr_high(struct lapic *a, const uint32_t *page)
{
    uint32_t written = page[LAPIC_ICR_HIGH / REG_WIDTH];
    a->icr_destination = written >> XAPIC_ID_SHIFT;
    if (written != a->icr_destination << XAPIC_ID_SHIFT)
        changed(a, LAPIC_ICR_HIGH);
}

static void take_copy(struct lapic *a)
{
    a->copy_ahead = false;
    if (a->copy_writes & LAPIC_COPY_VECTORS)
        take_vectors(a, a->copy);
    if ((a->copy_writes & LAPIC_COPY_ICR_HIGH) && !x2apic_mode(a))
        take_icr_high(a, a->copy);
    copy_stale(a);
}

void lapic_copy_shared(struct lapic *a, const uint32_t *page, unsigned writes)
{
    catch_up(a);
    a->copy = page;
    a->copy_writes = page ? writes : 0;
}

void lapic_virtual_eoi(struct lapic *a, uint8_t vector)
{
    catch_up(a);
    if (vector_is_set(a->tmr, vector) && a->ops.eoi_broadcast)
        a->ops.eoi_broadcast(a->ops.ctx, vector);
}
