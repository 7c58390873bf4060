/*
 * libFuzzer target for the guests' local APIC model (guest/dev/lapic.c).
 *
 * The first 4 bytes configure the APIC (APIC ID, x2APIC support, bus clock,
 * MAXPHYADDR, whether the EOI broadcast re-delivers its vector as an IOAPIC
 * with a still-asserted pin would).  The rest is a sequence of 8-byte
 * actions (op, a, b, c, d, e, f, g):
 *   op % 13 == 0   MMIO read: slot a % 64 (b & 1: in 0x400-0xFF0), byte c % 16
 *                  when d & 1 (else the slot's start), size {1,2,4,8,3}[e % 5]
 *   op % 13 == 1   MMIO write of d..g: same offsets, size 4 unless b & 0x80
 *   op % 13 == 2   RDMSR: 0x800 + a, or IA32_APIC_BASE / IA32_TSC_DEADLINE (b)
 *   op % 13 == 3   WRMSR of the same, value built from c..g
 *   op % 13 == 4   lapic_accept(a, b & 1)
 *   op % 13 == 5   lapic_ack(): of the pending vector, or of vector a
 *   op % 13 == 6   EOI through the interface of the current mode
 *   op % 13 == 7   time passes: a..c ns, times 2^(d % 24); then lapic_update()
 *   op % 13 == 8   IA32_APIC_BASE write: mode a % 4, base b, reserved bit c
 *   op % 13 == 9   MOV to CR8 of a
 *   op % 13 == 10  timer set-up: LVT timer d..g, divide c, initial count, deadline
 *   op % 13 == 11  the vCPU takes the pending interrupt (pending + ack)
 *   op % 13 == 12  the guest runs with VT-x's virtual-interrupt delivery: the
 *                  model's copy (lapic_copy_shared(), ICR high too when
 *                  a & 1) brought up to date and marked ahead, then six
 *                  steps of the CPU in the copy, one per byte b..g: deliver
 *                  the highest request above the copy's PPR, EOI the
 *                  highest in-service vector (an EOI-induced exit, which
 *                  ends the run, if the copy's TMR bit is set), accept a
 *                  self-IPI, write ICR high (xAPIC mode).  The model takes
 *                  all of it back only when an action next looks.
 * Next to the model runs a reference of what the SDM makes predictable:
 * the in-service vectors (acknowledged and not yet EOI'd: an EOI retires the
 * highest), which EOIs must be broadcast, and the dropped-IPI count.
 * After each action that leaves the model up to date with the copy (not
 * ahead of it) the target checks:
 * - ISR equals the reference's in-service set (so ISR only ever holds
 *   vectors the vCPU took), IRR holds every vector lapic_accept() took
 *   and nobody took into service since (unless the APIC was disabled), and
 *   IRR and ISR never hold vectors 0-15;
 * - lapic_pending_vector() is -1 or the highest IRR vector, whose priority
 *   class is above PPR's; -1 only when there is no such vector;
 * - PPR as read equals the SDM 11.8.3.1 formula applied to TPR and ISR;
 * - every EOI broadcast is of the vector the EOI retired, and only when
 *   its TMR bit was set;
 * - after lapic_update(now), lapic_next_event(now) is later than now;
 * - the current count never exceeds the initial count; LVT, SVR, ESR,
 *   TPR and the divide register hold no bits outside their fields; a
 *   software-disabled APIC has every LVT entry masked;
 * - a disabled or x2APIC-mode APIC's page reads all-ones, and a disabled
 *   APIC has nothing pending;
 * - IPIs reported dropped match the count the model keeps.
 * A failed check aborts, which libFuzzer reports as a crash.
 *
 * Build and run (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DKEEL_HOST_TEST -I. \
 *       tests/fuzz/fuzz_lapic.c -o /tmp/fuzz_lapic
 *   /tmp/fuzz_lapic -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/dev/lapic.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_lapic: check failed at action %zu: %s\n",   \
                    action, #cond);                                           \
            abort();                                                          \
        }                                                                     \
    } while (0)

#define TSC_KHZ         3000000u        /* the guest TSC runs at 3 GHz */

static struct lapic apic;
static size_t action;
static uint64_t now_ns;

/* The copy of the registers the CPU writes in (op 12), and whether it was
 * filled since the model was initialised. */
static uint32_t page[LAPIC_PAGE_WORDS];
static bool page_filled;

/* The reference. */
static uint32_t ref_isr[8];
/* Vectors lapic_accept() took and nobody has taken into service since:
 * nothing but an APIC disable may take them out of IRR. */
static uint32_t ref_requested[8];
static bool redeliver_on_eoi;
static bool eoi_expected;               /* an EOI is being performed */
static int eoi_vector;                  /* the vector it retires, or -1 */
static bool eoi_broadcast_expected;
static unsigned eoi_broadcasts;
static uint64_t dropped_reports;

static bool bit_is_set(const uint32_t *reg, unsigned v)
{
    return reg[v / 32] & (1u << (v % 32));
}

static int highest(const uint32_t *reg)
{
    for (int v = 255; v >= 0; v--) {
        if (bit_is_set(reg, (unsigned)v))
            return v;
    }
    return -1;
}

static uint64_t tsc_now(void)
{
    return now_ns * (TSC_KHZ / 1000000u);
}

static bool in_x2apic_mode(void)
{
    return (apic.apic_base & 0xc00) == 0xc00;
}

static bool hw_enabled(void)
{
    return apic.apic_base & 0x800;
}

static void set_bit(uint32_t *reg, unsigned v, bool on)
{
    reg[v / 32] = on ? reg[v / 32] | 1u << (v % 32) : reg[v / 32] & ~(1u << (v % 32));
}

static void accept(uint8_t vector, bool level)
{
    if (lapic_accept(&apic, vector, level))
        set_bit(ref_requested, vector, true);
}

/* ---- outputs ---- */

static void on_eoi_broadcast(void *ctx, uint8_t vector)
{
    (void)ctx;
    FUZZ_CHECK(eoi_expected);
    FUZZ_CHECK(eoi_broadcast_expected);
    FUZZ_CHECK(vector == eoi_vector);
    eoi_broadcasts++;
    if (redeliver_on_eoi)
        accept(vector, true);
}

static void on_nmi(void *ctx)
{
    (void)ctx;
}

static void on_ipi_dropped(void *ctx, uint32_t icr_low, uint32_t destination)
{
    (void)ctx, (void)icr_low, (void)destination;
    dropped_reports++;
}

/* ---- the reference's view of EOIs and resets ---- */

/* Called before an access that may be an EOI; `is_eoi` says whether the
 * access will reach the EOI register. */
static void expect_eoi(bool is_eoi)
{
    /* What the CPU did in the copy first: a self-IPI may have cleared a
     * TMR bit (lapic.h, lapic_copy_shared()). */
    (void)lapic_highest_in_service(&apic);
    eoi_expected = is_eoi;
    eoi_vector = highest(ref_isr);
    eoi_broadcast_expected =
        is_eoi && eoi_vector >= 0 && bit_is_set(apic.tmr, (unsigned)eoi_vector);
    eoi_broadcasts = 0;
}

static void finish_eoi(void)
{
    if (eoi_expected && eoi_vector >= 0)
        ref_isr[eoi_vector / 32] &= ~(1u << (eoi_vector % 32));
    FUZZ_CHECK(eoi_broadcasts == (eoi_broadcast_expected ? 1u : 0u));
    eoi_expected = false;
    eoi_broadcast_expected = false;
}

static void note_base_change(uint64_t before)
{
    if ((before & 0x800) && !(apic.apic_base & 0x800)) {
        memset(ref_isr, 0, sizeof(ref_isr));
        memset(ref_requested, 0, sizeof(ref_requested));
    }
}

/* ---- actions ---- */

static uint64_t mmio_offset(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    uint64_t offset = (uint64_t)(a % 64) * 16;
    if (b & 1)
        offset += 0x400 + (uint64_t)(b >> 1) % 48 * 0x10;
    if (d & 1)
        offset += c % 16;
    return offset;
}

static uint32_t u32_of(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t msr_of(uint8_t a, uint8_t b)
{
    switch (b % 8) {
    case 0:
        return MSR_IA32_APIC_BASE;
    case 1:
        return MSR_IA32_TSC_DEADLINE;
    default:
        return 0x800 + a;
    }
}

static uint64_t value_of(const uint8_t *p)
{
    /* c..g: small values often, full 64-bit ones sometimes. */
    uint64_t v = u32_of(p + 1);
    switch (p[0] % 4) {
    case 0:
        return v & 0xff;
    case 1:
        return v;
    case 2:
        return (uint64_t)v << 32 | u32_of(p + 1);
    default:
        return (uint64_t)(v & 0xff) << 32 | (v >> 8);
    }
}

static void do_mmio_read(const uint8_t *p)
{
    static const unsigned sizes[] = { 1, 2, 4, 8, 3 };
    unsigned size = sizes[p[5] % 5];
    uint64_t v = lapic_mmio_read(&apic, mmio_offset(p[1], p[2], p[3], p[4]), size, now_ns);
    if (!lapic_mmio_decoded(&apic) && size != 3) {
        uint64_t ones = size == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
        FUZZ_CHECK(v == ones);
    }
}

static void do_mmio_write(const uint8_t *p)
{
    uint64_t offset = mmio_offset(p[1], p[2], p[3], p[4]);
    unsigned size = (p[2] & 0x80) ? 1u + p[3] % 8 : 4;
    bool is_eoi = lapic_mmio_decoded(&apic) && size == 4 && offset == 0xb0;
    expect_eoi(is_eoi);
    lapic_mmio_write(&apic, offset, size, u32_of(p + 4), now_ns);
    finish_eoi();
}

static void do_msr_read(const uint8_t *p)
{
    uint64_t v = 0;
    uint32_t msr = msr_of(p[1], p[2]);
    enum lapic_status st = lapic_msr_read(&apic, msr, &v, now_ns, tsc_now());
    if (msr >= 0x800 && !in_x2apic_mode())
        FUZZ_CHECK(st == LAPIC_GP);
    if (msr == MSR_IA32_APIC_BASE)
        FUZZ_CHECK(st == LAPIC_OK && v == apic.apic_base);
    if (st == LAPIC_OK && msr >= 0x800 && msr != 0x830)
        FUZZ_CHECK(v >> 32 == 0);
}

static void do_msr_write(const uint8_t *p)
{
    uint32_t msr = msr_of(p[1], p[2]);
    uint64_t value = value_of(p + 3);
    uint64_t base_before = apic.apic_base;
    bool maybe_eoi = msr == 0x80b && in_x2apic_mode() && value == 0;
    expect_eoi(maybe_eoi);
    enum lapic_status st = lapic_msr_write(&apic, msr, value, now_ns, tsc_now());
    if (msr >= 0x800 && !in_x2apic_mode() && msr != MSR_IA32_APIC_BASE)
        FUZZ_CHECK(st == LAPIC_GP);
    if (maybe_eoi)
        FUZZ_CHECK(st == LAPIC_OK);
    finish_eoi();
    if (msr == MSR_IA32_APIC_BASE)
        note_base_change(base_before);
    else
        FUZZ_CHECK(apic.apic_base == base_before);
}

static void do_ack(const uint8_t *p)
{
    int pending = lapic_pending_vector(&apic);
    unsigned vector = (p[2] & 1) && pending >= 0 ? (unsigned)pending : p[1];
    bool in_irr = bit_is_set(apic.irr, vector);
    bool acked = lapic_ack(&apic, (uint8_t)vector);
    FUZZ_CHECK(acked == in_irr);
    if (acked) {
        ref_isr[vector / 32] |= 1u << (vector % 32);
        set_bit(ref_requested, vector, false);
    }
}

static void do_eoi(void)
{
    if (in_x2apic_mode()) {
        expect_eoi(true);
        FUZZ_CHECK(lapic_msr_write(&apic, 0x80b, 0, now_ns, tsc_now()) == LAPIC_OK);
    } else {
        expect_eoi(lapic_mmio_decoded(&apic));
        lapic_mmio_write(&apic, 0xb0, 4, 0, now_ns);
    }
    finish_eoi();
}

static void do_time(const uint8_t *p)
{
    uint64_t ns = ((uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3]) << (p[4] % 24);
    /* Keep tsc = 3 * now_ns from overflowing. */
    now_ns = ns > UINT64_MAX / 4 - now_ns ? UINT64_MAX / 4 : now_ns + ns;
    lapic_update(&apic, now_ns, tsc_now());
}

static void do_apic_base(const uint8_t *p)
{
    static const uint64_t bases[] = { 0xfee00000u, 0xfed40000u, UINT64_C(0x7ffffff000), 0 };
    static const uint64_t modes[] = { 0, 0x800, 0xc00, 0x400 };
    uint64_t value = bases[p[2] % 4] | modes[p[1] % 4] | (p[2] & 0x80 ? 0x100 : 0);
    if (p[3] % 4 == 0)
        value |= UINT64_C(1) << (p[3] % 64);
    uint64_t before = apic.apic_base;
    expect_eoi(false);
    enum lapic_status st = lapic_write_apic_base(&apic, value);
    finish_eoi();
    if (st == LAPIC_GP)
        FUZZ_CHECK(apic.apic_base == before);
    note_base_change(before);
}

static void do_timer_setup(const uint8_t *p)
{
    uint32_t lvt = u32_of(p + 4);
    if (in_x2apic_mode()) {
        lapic_msr_write(&apic, 0x83e, p[3] & 0xb, now_ns, tsc_now());
        lapic_msr_write(&apic, 0x832, lvt & 0x700ff, now_ns, tsc_now());
        lapic_msr_write(&apic, 0x838, p[1] * 97u, now_ns, tsc_now());
    } else {
        lapic_mmio_write(&apic, 0x3e0, 4, p[3], now_ns);
        lapic_mmio_write(&apic, 0x320, 4, lvt, now_ns);
        lapic_mmio_write(&apic, 0x380, 4, p[1] * 97u, now_ns);
    }
    lapic_msr_write(&apic, MSR_IA32_TSC_DEADLINE, tsc_now() + p[2] * 1000u, now_ns, tsc_now());
}

static void do_take(void)
{
    int vector = lapic_pending_vector(&apic);
    if (vector < 0)
        return;
    FUZZ_CHECK(lapic_ack(&apic, (uint8_t)vector));
    ref_isr[vector / 32] |= 1u << (vector % 32);
    set_bit(ref_requested, (unsigned)vector, false);
}

/* ---- the CPU's virtual-interrupt delivery in the copy ---- */

static bool page_bit(unsigned base, unsigned v)
{
    return page[(base + v / 32 * 16) / 4] & (1u << (v % 32));
}

static void page_set_bit(unsigned base, unsigned v, bool on)
{
    uint32_t *word = &page[(base + v / 32 * 16) / 4];
    *word = on ? *word | 1u << (v % 32) : *word & ~(1u << (v % 32));
}

static int page_highest(unsigned base)
{
    for (int v = 255; v >= 0; v--) {
        if (page_bit(base, (unsigned)v))
            return v;
    }
    return -1;
}

/* One step of the CPU in the copy (SDM vol. 3C 29.1.2-29.2.2); false when
 * it exits, which ends the run. */
static bool cpu_step(uint8_t b)
{
    int irrv = page_highest(LAPIC_IRR), isrv = page_highest(LAPIC_ISR);
    unsigned tpr = page[LAPIC_TPR / 4] & 0xff;
    unsigned isrv_class = isrv < 0 ? 0u : (unsigned)isrv & 0xf0;
    unsigned vppr = (tpr & 0xf0) >= isrv_class ? tpr : isrv_class;
    switch (b % 4) {
    case 0:     /* virtual-interrupt delivery */
        if (irrv >= 0 && ((unsigned)irrv & 0xf0) > (vppr & 0xf0)) {
            page_set_bit(LAPIC_IRR, (unsigned)irrv, false);
            page_set_bit(LAPIC_ISR, (unsigned)irrv, true);
            ref_isr[irrv / 32] |= 1u << (irrv % 32);
            set_bit(ref_requested, (unsigned)irrv, false);
        }
        return true;
    case 1:     /* EOI virtualization */
        if (isrv < 0)
            return true;
        page_set_bit(LAPIC_ISR, (unsigned)isrv, false);
        if (!page_bit(LAPIC_TMR, (unsigned)isrv)) {
            ref_isr[isrv / 32] &= ~(1u << (isrv % 32));
            return true;
        }
        /* The EOI-exit bitmap (the copy's TMR) names it: keel hears of it,
         * and broadcasts it if the model's TMR still says level. */
        (void)lapic_highest_in_service(&apic);
        eoi_expected = true;
        eoi_vector = isrv;
        eoi_broadcast_expected = bit_is_set(apic.tmr, (unsigned)isrv);
        eoi_broadcasts = 0;
        lapic_virtual_eoi(&apic, (uint8_t)isrv);
        finish_eoi();
        return false;
    case 2:     /* self-IPI virtualization */
        page_set_bit(LAPIC_IRR, 16u + b / 4u % 240u, true);
        return true;
    default:    /* ICR high, virtualized in xAPIC mode; bits 23:0 reserved */
        if (lapic_mmio_decoded(&apic))
            page[LAPIC_ICR_HIGH / 4] = (uint32_t)b << 24 | (b & 4 ? b : 0u);
        return true;
    }
}

static void do_guest_runs(const uint8_t *p)
{
    lapic_copy_shared(&apic, page, LAPIC_COPY_VECTORS | (p[1] & 1 ? LAPIC_COPY_ICR_HIGH : 0));
    if (!page_filled)
        lapic_page_fill(&apic, page);
    else
        (void)lapic_page_update(&apic, page);
    page_filled = true;
    lapic_copy_running(&apic);
    for (unsigned i = 2; i < 8 && cpu_step(p[i]); i++)
        ;
}

/* ---- invariants ---- */

static uint32_t read_register(unsigned offset)
{
    if (in_x2apic_mode()) {
        uint64_t v = 0;
        FUZZ_CHECK(lapic_msr_read(&apic, 0x800 + offset / 16, &v, now_ns, tsc_now()) == LAPIC_OK);
        return (uint32_t)v;
    }
    return (uint32_t)lapic_mmio_read(&apic, offset, 4, now_ns);
}

static void check_invariants(void)
{
    /* The model's fields are its registers once it has taken the copy
     * back: checked after the next action that looks. */
    if (apic.copy_ahead)
        return;
    for (unsigned i = 0; i < 8; i++) {
        FUZZ_CHECK(apic.isr[i] == ref_isr[i]);
        FUZZ_CHECK((apic.irr[i] & ref_requested[i]) == ref_requested[i]);
    }
    FUZZ_CHECK((apic.irr[0] & 0xffff) == 0);
    FUZZ_CHECK((apic.isr[0] & 0xffff) == 0);

    /* PPR per SDM 11.8.3.1. */
    int isrv = highest(apic.isr);
    unsigned isrv_class = isrv < 0 ? 0 : (unsigned)isrv & 0xf0;
    unsigned ppr = (lapic_tpr(&apic) & 0xf0) >= isrv_class ? lapic_tpr(&apic) : isrv_class;
    if (lapic_mmio_decoded(&apic) || in_x2apic_mode())
        FUZZ_CHECK(read_register(0xa0) == ppr);

    int pending = lapic_pending_vector(&apic);
    int irrv = highest(apic.irr);
    if (!hw_enabled()) {
        FUZZ_CHECK(pending == -1);
    } else if (irrv >= 0 && ((unsigned)irrv & 0xf0) > (ppr & 0xf0)) {
        FUZZ_CHECK(pending == irrv);
    } else {
        FUZZ_CHECK(pending == -1);
    }

    lapic_update(&apic, now_ns, tsc_now());
    uint64_t next = lapic_next_event(&apic, now_ns, tsc_now());
    FUZZ_CHECK(next == LAPIC_NO_EVENT || next > now_ns);

    FUZZ_CHECK(current_count(&apic, now_ns) <= apic.initial_count);
    static const uint32_t lvt_fields[LAPIC_NR_LVT] = {
        0x000700ff, 0x000107ff, 0x000107ff, 0x0001a7ff, 0x0001a7ff, 0x000100ff, 0x000107ff,
    };
    for (unsigned i = 0; i < LAPIC_NR_LVT; i++) {
        FUZZ_CHECK((apic.lvt[i] & ~lvt_fields[i]) == 0);
        if (!(apic.svr & 0x100))
            FUZZ_CHECK(apic.lvt[i] & 0x10000);
    }
    FUZZ_CHECK((apic.svr & ~0x3ffu) == 0);
    FUZZ_CHECK((apic.esr & ~0xe0u) == 0 && (apic.esr_pending & ~0xe0u) == 0);
    FUZZ_CHECK((apic.divide_config & ~0xbu) == 0);
    FUZZ_CHECK((apic.apic_base & 0x2ff) == 0);
    if (!lapic_mmio_decoded(&apic))
        FUZZ_CHECK(lapic_mmio_read(&apic, 0x30, 4, now_ns) == 0xffffffff);
    FUZZ_CHECK(apic.ipis_dropped == dropped_reports);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    struct lapic_config config = {
        .apic_id = data[0] & 0x80 ? (uint32_t)data[0] << 4 : data[0] % 4,
        .bsp = data[1] & 1,
        .x2apic = data[1] & 2,
        .maxphyaddr = 32 + data[2] % 21,
        .bus_cycle_ns = 1 + data[3] % 16,
        .tsc_khz = TSC_KHZ,
    };
    struct lapic_ops ops = {
        .eoi_broadcast = on_eoi_broadcast,
        .nmi = on_nmi,
        .ipi_dropped = on_ipi_dropped,
    };
    redeliver_on_eoi = data[1] & 4;
    memset(ref_isr, 0, sizeof(ref_isr));
    memset(ref_requested, 0, sizeof(ref_requested));
    memset(page, 0, sizeof(page));
    page_filled = false;
    dropped_reports = 0;
    action = 0;
    now_ns = 0;
    lapic_init(&apic, &config, &ops);
    if (data[1] & 8)
        lapic_enter_virtual_wire_mode(&apic);
    check_invariants();

    for (size_t i = 4; i + 8 <= size; i += 8, action++) {
        const uint8_t *p = data + i;
        switch (p[0] % 13) {
        case 0: do_mmio_read(p); break;
        case 1: do_mmio_write(p); break;
        case 2: do_msr_read(p); break;
        case 3: do_msr_write(p); break;
        case 4: accept(p[1], p[2] & 1); break;
        case 5: do_ack(p); break;
        case 6: do_eoi(); break;
        case 7: do_time(p); break;
        case 8: do_apic_base(p); break;
        case 9: lapic_write_cr8(&apic, p[1]); break;
        case 10: do_timer_setup(p); break;
        case 11: do_take(); break;
        default: do_guest_runs(p); break;
        }
        check_invariants();
    }
    return 0;
}
