/*
 * Host tests for guest/dev/lapic.c, the guests' local APIC.
 *
 * Expected values are written out as numbers from the Intel SDM vol. 3A
 * chapter 11 (register map table 11-1, x2APIC MSR table 11-6, figures of
 * each register, the power-up state in 11.4.7.1), not with the model's own
 * constants, so a wrong constant in the model shows up here.  Each APIC
 * under test records its outputs: EOI broadcasts, NMIs and dropped IPIs.
 * Time is the bench's: `now` in ns and a guest TSC running at 2 GHz.
 */
#include "tests/unit/unit.h"

#include "guest/dev/lapic.c"

/* xAPIC register offsets (SDM table 11-1). */
enum {
    ID = 0x20, VER = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0, RRD = 0xc0,
    LDR = 0xd0, DFR = 0xe0, SVR = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280,
    LVTCMCI = 0x2f0, ICR_LO = 0x300, ICR_HI = 0x310, LVTT = 0x320, LVTTHERM = 0x330,
    LVTPC = 0x340, LVTLINT0 = 0x350, LVTLINT1 = 0x360, LVTERR = 0x370, TMICT = 0x380,
    TMCCT = 0x390, TDCR = 0x3e0,
};

/* IA32_APIC_BASE bits (SDM figure 11-5) and MSR numbers. */
#define BSP             0x100u
#define EXTD            0x400u
#define EN              0x800u
#define APIC_BASE_MSR   0x1bu
#define TSC_DEADLINE    0x6e0u
#define X2(offset)      (0x800u + (offset) / 16)

/* LVT fields (SDM figure 11-8). */
#define MASKED          0x10000u
#define PERIODIC        0x20000u
#define TSC_DEADLINE_MODE 0x40000u

/* ICR fields (SDM figure 11-12). */
#define DM_NMI          0x400u
#define DM_INIT         0x500u
#define DM_STARTUP      0x600u
#define DM_LOWEST       0x100u
#define LOGICAL         0x800u
#define SH_SELF         0x40000u
#define SH_ALL_INCL     0x80000u
#define SH_ALL_EXCL     0xc0000u

/* ESR bits (SDM figure 11-9). */
#define ESR_SEND_ILLEGAL        0x20u
#define ESR_RECEIVE_ILLEGAL     0x40u
#define ESR_ILLEGAL_REGISTER    0x80u

#define GUEST_TSC_KHZ   2000000u        /* 2 GHz: tsc = 2 * ns */

/* ------------------------------------------------------------------------ */
/* An APIC on the test bench                                                */

struct bench {
    struct lapic a;
    uint8_t eois[64];
    size_t neois;
    unsigned nmis;
    uint32_t dropped_icr[16], dropped_dest[16];
    size_t ndropped;
    uint64_t now;               /* ns */
    /* Called from the EOI broadcast, as an IOAPIC whose pin is still
     * asserted would: 0 for none. */
    uint8_t redeliver_on_eoi;
    unsigned copy_stales;       /* ops.copy_stale calls */
};

static void bench_eoi(void *ctx, uint8_t vector)
{
    struct bench *b = ctx;
    if (b->neois < sizeof(b->eois))
        b->eois[b->neois++] = vector;
    if (b->redeliver_on_eoi == vector)
        lapic_accept(&b->a, vector, true);
}

static void bench_nmi(void *ctx)
{
    struct bench *b = ctx;
    b->nmis++;
}

static void bench_dropped(void *ctx, uint32_t icr_low, uint32_t destination)
{
    struct bench *b = ctx;
    if (b->ndropped < 16) {
        b->dropped_icr[b->ndropped] = icr_low;
        b->dropped_dest[b->ndropped] = destination;
    }
    b->ndropped++;
}

static void bench_copy_stale(void *ctx)
{
    struct bench *b = ctx;
    b->copy_stales++;
}

static void bench_init_with(struct bench *b, const struct lapic_config *config)
{
    *b = (struct bench){ 0 };
    struct lapic_ops ops = {
        .eoi_broadcast = bench_eoi,
        .nmi = bench_nmi,
        .ipi_dropped = bench_dropped,
        .copy_stale = bench_copy_stale,
        .ctx = b,
    };
    lapic_init(&b->a, config, &ops);
}

/* APIC ID 0, the BSP, x2APIC supported, MAXPHYADDR 39. */
static void bench_init(struct bench *b)
{
    struct lapic_config config = {
        .apic_id = 0, .bsp = true, .x2apic = true, .maxphyaddr = 39,
        .tsc_khz = GUEST_TSC_KHZ,
    };
    bench_init_with(b, &config);
}

static uint64_t tsc_of(const struct bench *b)
{
    return b->now * 2;
}

static uint32_t rd(struct bench *b, unsigned offset)
{
    return (uint32_t)lapic_mmio_read(&b->a, offset, 4, b->now);
}

static void wr(struct bench *b, unsigned offset, uint32_t value)
{
    lapic_mmio_write(&b->a, offset, 4, value, b->now);
}

static enum lapic_status msr_rd(struct bench *b, uint32_t msr, uint64_t *value)
{
    return lapic_msr_read(&b->a, msr, value, b->now, tsc_of(b));
}

static enum lapic_status msr_wr(struct bench *b, uint32_t msr, uint64_t value)
{
    return lapic_msr_write(&b->a, msr, value, b->now, tsc_of(b));
}

/* Reads an x2APIC MSR expected to be readable. */
static uint64_t x2rd(struct bench *b, uint32_t msr)
{
    uint64_t value = 0xdeadbeef;
    CHECK_EQ_I(msr_rd(b, msr, &value), LAPIC_OK);
    return value;
}

static void advance(struct bench *b, uint64_t ns)
{
    b->now += ns;
    lapic_update(&b->a, b->now, tsc_of(b));
}

static void software_enable(struct bench *b)
{
    wr(b, SVR, 0x1ff);
}

static void enter_x2apic(struct bench *b)
{
    CHECK_EQ_I(msr_wr(b, APIC_BASE_MSR, 0xfee00000u | BSP | EN | EXTD), LAPIC_OK);
}

static bool irr_has(struct bench *b, unsigned vector)
{
    return b->a.irr[vector / 32] & (1u << (vector % 32));
}

static bool isr_has(struct bench *b, unsigned vector)
{
    return b->a.isr[vector / 32] & (1u << (vector % 32));
}

/* ESR as software reads it: write, then read (SDM 11.5.3). */
static uint32_t read_esr(struct bench *b)
{
    wr(b, ESR, 0);
    return rd(b, ESR);
}

/* Takes the pending interrupt as the vCPU would; returns its vector or -1. */
static int take_interrupt(struct bench *b)
{
    int vector = lapic_pending_vector(&b->a);
    if (vector >= 0)
        CHECK(lapic_ack(&b->a, (uint8_t)vector));
    return vector;
}

/* ------------------------------------------------------------------------ */
/* Reset values and the xAPIC page                                          */

TEST(power_up_state_matches_sdm_11_4_7_1)
{
    static struct bench b;
    struct lapic_config config = { .apic_id = 5, .bsp = true, .x2apic = true, .maxphyaddr = 39 };
    bench_init_with(&b, &config);
    CHECK_EQ_U(lapic_apic_base(&b.a), 0xfee00900);
    CHECK(lapic_mmio_decoded(&b.a));
    CHECK_EQ_U(lapic_mmio_base(&b.a), 0xfee00000);
    CHECK_EQ_U(rd(&b, ID), 0x05000000);
    CHECK_EQ_U(rd(&b, VER), 0x00060014);
    CHECK_EQ_U(rd(&b, TPR), 0);
    CHECK_EQ_U(rd(&b, APR), 0);
    CHECK_EQ_U(rd(&b, PPR), 0);
    CHECK_EQ_U(rd(&b, RRD), 0);
    CHECK_EQ_U(rd(&b, LDR), 0);
    CHECK_EQ_U(rd(&b, DFR), 0xffffffff);
    CHECK_EQ_U(rd(&b, SVR), 0xff);
    for (unsigned i = 0; i < 8; i++) {
        CHECK_EQ_U(rd(&b, ISR + 16 * i), 0);
        CHECK_EQ_U(rd(&b, TMR + 16 * i), 0);
        CHECK_EQ_U(rd(&b, IRR + 16 * i), 0);
    }
    CHECK_EQ_U(rd(&b, ESR), 0);
    CHECK_EQ_U(rd(&b, ICR_LO), 0);
    CHECK_EQ_U(rd(&b, ICR_HI), 0);
    static const unsigned lvts[] = { LVTCMCI, LVTT, LVTTHERM, LVTPC,
                                     LVTLINT0, LVTLINT1, LVTERR };
    for (unsigned i = 0; i < sizeof(lvts) / sizeof(lvts[0]); i++)
        CHECK_EQ_U(rd(&b, lvts[i]), 0x00010000);
    CHECK_EQ_U(rd(&b, TMICT), 0);
    CHECK_EQ_U(rd(&b, TMCCT), 0);
    CHECK_EQ_U(rd(&b, TDCR), 0);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    CHECK_EQ_U(lapic_read_cr8(&b.a), 0);
}

TEST(non_bsp_and_defaults_of_a_zero_config)
{
    static struct bench b;
    struct lapic_config config = { 0 };
    bench_init_with(&b, &config);
    CHECK_EQ_U(lapic_apic_base(&b.a), 0xfee00800);
    /* x2APIC unsupported: EXTD is a reserved bit. */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, 0xfee00000u | EN | EXTD), LAPIC_GP);
    /* MAXPHYADDR defaults to 36: bit 35 is an address bit, bit 36 is not. */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, UINT64_C(0x800000000) | EN), LAPIC_OK);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, UINT64_C(0x1000000000) | EN), LAPIC_GP);
}

TEST(xapic_writable_bits)
{
    static struct bench b;
    bench_init(&b);
    wr(&b, ID, 0xffffffff);
    CHECK_EQ_U(rd(&b, ID), 0xff000000);
    wr(&b, LDR, 0xffffffff);
    CHECK_EQ_U(rd(&b, LDR), 0xff000000);
    wr(&b, DFR, 0);
    CHECK_EQ_U(rd(&b, DFR), 0x0fffffff);
    wr(&b, TPR, 0xffffffff);
    CHECK_EQ_U(rd(&b, TPR), 0xff);
    wr(&b, TPR, 0);
    wr(&b, SVR, 0xffffffff);
    CHECK_EQ_U(rd(&b, SVR), 0x3ff);         /* no EOI-broadcast suppression */
    wr(&b, TDCR, 0xffffffff);
    CHECK_EQ_U(rd(&b, TDCR), 0xb);
    wr(&b, ICR_HI, 0xffffffff);
    CHECK_EQ_U(rd(&b, ICR_HI), 0xff000000);
    wr(&b, ICR_LO, 0xffffffff);             /* all excluding self: to no one */
    CHECK_EQ_U(rd(&b, ICR_LO), 0x000ccfff);     /* delivery status reads idle */
    /* LVT entries, software-enabled (SDM figure 11-8). */
    wr(&b, LVTT, 0xffffffff);
    CHECK_EQ_U(rd(&b, LVTT), 0x000700ff);
    wr(&b, LVTTHERM, 0xffffffff);
    CHECK_EQ_U(rd(&b, LVTTHERM), 0x000107ff);
    wr(&b, LVTPC, 0xffffffff);
    CHECK_EQ_U(rd(&b, LVTPC), 0x000107ff);
    wr(&b, LVTLINT0, 0xffffffff);
    CHECK_EQ_U(rd(&b, LVTLINT0), 0x0001a7ff);
    wr(&b, LVTLINT1, 0xffffffff);
    CHECK_EQ_U(rd(&b, LVTLINT1), 0x0001a7ff);
    wr(&b, LVTERR, 0xffffffff);
    CHECK_EQ_U(rd(&b, LVTERR), 0x000100ff);
    wr(&b, LVTCMCI, 0xffffffff);
    CHECK_EQ_U(rd(&b, LVTCMCI), 0x000107ff);
    wr(&b, LVTLINT0, 0x00000700);
    CHECK_EQ_U(rd(&b, LVTLINT0), 0x00000700);
}

TEST(xapic_read_only_registers_ignore_writes)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    CHECK(lapic_accept(&b.a, 0x40, true));
    wr(&b, VER, 0);
    wr(&b, PPR, 0xff);
    wr(&b, APR, 0xff);
    wr(&b, IRR + 0x20, 0);
    wr(&b, TMR + 0x20, 0);
    wr(&b, ISR + 0x20, 0xffffffff);
    wr(&b, TMCCT, 0x1234);
    CHECK_EQ_U(rd(&b, VER), 0x00060014);
    CHECK_EQ_U(rd(&b, PPR), 0);
    CHECK_EQ_U(rd(&b, IRR + 0x20), 1);
    CHECK_EQ_U(rd(&b, TMR + 0x20), 1);
    CHECK_EQ_U(rd(&b, ISR + 0x20), 0);
    CHECK_EQ_U(rd(&b, TMCCT), 0);
    CHECK_EQ_U(read_esr(&b), 0);            /* none of these is an illegal address */
}

TEST(xapic_access_sizes)
{
    static struct bench b;
    bench_init(&b);
    CHECK_EQ_U(lapic_mmio_read(&b.a, VER, 1, 0), 0x14);
    CHECK_EQ_U(lapic_mmio_read(&b.a, VER + 2, 1, 0), 0x06);
    CHECK_EQ_U(lapic_mmio_read(&b.a, VER + 2, 2, 0), 0x0006);
    CHECK_EQ_U(lapic_mmio_read(&b.a, VER, 8, 0), 0x00060014);
    CHECK_EQ_U(lapic_mmio_read(&b.a, VER + 4, 4, 0), 0);        /* bytes 4-15 of a slot */
    CHECK_EQ_U(lapic_mmio_read(&b.a, VER + 14, 4, 0), 0);       /* crosses into 0x40 */
    CHECK_EQ_U(lapic_mmio_read(&b.a, VER, 3, 0), 0);
    /* Writes: 4 bytes at a slot's start only. */
    lapic_mmio_write(&b.a, TPR, 1, 0x30, 0);
    lapic_mmio_write(&b.a, TPR, 2, 0x30, 0);
    lapic_mmio_write(&b.a, TPR, 8, 0x30, 0);
    lapic_mmio_write(&b.a, TPR + 4, 4, 0x30, 0);
    CHECK_EQ_U(rd(&b, TPR), 0);
    lapic_mmio_write(&b.a, TPR, 4, UINT64_C(0xffffffff00000030), 0);
    CHECK_EQ_U(rd(&b, TPR), 0x30);
    CHECK_EQ_U(read_esr(&b), 0);
}

TEST(reserved_offsets_log_illegal_register_address)
{
    static struct bench b;
    bench_init(&b);
    static const unsigned reserved[] = { 0x00, 0x10, 0x40, 0x50, 0x60, 0x70, 0x290, 0x2e0,
                                         0x3a0, 0x3d0, 0x3f0, 0x400, 0xff0 };
    for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        CHECK_EQ_U(rd(&b, reserved[i]), 0);
        CHECK_EQ_U(read_esr(&b), ESR_ILLEGAL_REGISTER);
        CHECK_EQ_U(read_esr(&b), 0);        /* the write cleared it */
        wr(&b, reserved[i], 0x12345678);
        CHECK_EQ_U(read_esr(&b), ESR_ILLEGAL_REGISTER);
    }
    /* Self IPI is x2APIC only: nothing was sent. */
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
}

TEST(esr_shows_errors_only_after_a_write)
{
    static struct bench b;
    bench_init(&b);
    rd(&b, 0x40);
    CHECK_EQ_U(rd(&b, ESR), 0);
    wr(&b, ESR, 0xffffffff);
    CHECK_EQ_U(rd(&b, ESR), ESR_ILLEGAL_REGISTER);
    CHECK_EQ_U(rd(&b, ESR), ESR_ILLEGAL_REGISTER);      /* reading does not clear */
    wr(&b, ESR, 0);
    CHECK_EQ_U(rd(&b, ESR), 0);
}

TEST(error_interrupt_when_lvt_error_unmasked)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, LVTERR, 0xfe);
    rd(&b, 0x60);
    CHECK_EQ_I(take_interrupt(&b), 0xfe);
    /* An illegal vector in the error entry itself is logged, not looped. */
    wr(&b, LVTERR, 0x05);
    rd(&b, 0x60);
    CHECK_EQ_U(read_esr(&b), ESR_ILLEGAL_REGISTER | ESR_RECEIVE_ILLEGAL);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    /* Masked: logged only. */
    wr(&b, LVTERR, MASKED | 0xfe);
    rd(&b, 0x60);
    CHECK_EQ_U(read_esr(&b), ESR_ILLEGAL_REGISTER);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
}

/* ------------------------------------------------------------------------ */
/* IA32_APIC_BASE                                                           */

TEST(apic_base_mode_transitions)
{
    static struct bench b;
    bench_init(&b);
    const uint64_t base = 0xfee00000u | BSP;
    /* xAPIC -> x2APIC -> disabled -> xAPIC are legal ... */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, base | EN | EXTD), LAPIC_OK);
    CHECK_EQ_U(lapic_apic_base(&b.a), base | EN | EXTD);
    /* ... x2APIC -> xAPIC and -> EXTD alone are not */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, base | EN), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, base | EXTD), LAPIC_GP);
    CHECK_EQ_U(lapic_apic_base(&b.a), base | EN | EXTD);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, base | EN | EXTD), LAPIC_OK);     /* staying */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, base), LAPIC_OK);
    CHECK_EQ_U(lapic_apic_base(&b.a), base);
    /* disabled -> EXTD alone, disabled -> x2APIC: #GP */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, base | EXTD), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, base | EN | EXTD), LAPIC_GP);
    CHECK_EQ_U(lapic_apic_base(&b.a), base);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, base), LAPIC_OK);                 /* staying */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, base | EN), LAPIC_OK);
    CHECK_EQ_U(lapic_apic_base(&b.a), base | EN);
    /* xAPIC -> EXTD alone: #GP; xAPIC -> disabled: fine */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, base | EXTD), LAPIC_GP);
    CHECK_EQ_I(lapic_write_apic_base(&b.a, base), LAPIC_OK);
    CHECK_EQ_I(lapic_write_apic_base(&b.a, base | EN), LAPIC_OK);
    uint64_t value = 0;
    CHECK_EQ_I(msr_rd(&b, APIC_BASE_MSR, &value), LAPIC_OK);
    CHECK_EQ_U(value, base | EN);
}

TEST(apic_base_reserved_bits_and_relocation)
{
    static struct bench b;
    bench_init(&b);
    const uint64_t now = 0xfee00000u | BSP | EN;
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, now | 1), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, now | 0x80), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, now | 0x200), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, now | UINT64_C(1) << 39), LAPIC_GP);   /* MAXPHYADDR */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, now | UINT64_C(1) << 63), LAPIC_GP);
    CHECK_EQ_U(lapic_apic_base(&b.a), now);
    /* Bit 38 is an address bit; the base moves with the APIC enabled. */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, UINT64_C(0x4000000000) | BSP | EN), LAPIC_OK);
    CHECK_EQ_U(lapic_mmio_base(&b.a), UINT64_C(0x4000000000));
    /* kvm-unit-tests' relocation: disable, then enable elsewhere. */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, 0xfee00000u | BSP), LAPIC_OK);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, 0xfed40000u | BSP | EN), LAPIC_OK);
    CHECK_EQ_U(lapic_mmio_base(&b.a), 0xfed40000);
    CHECK_EQ_U(rd(&b, VER), 0x00060014);
    /* BSP is read-only. */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, 0xfee00000u | EN), LAPIC_OK);
    CHECK_EQ_U(lapic_apic_base(&b.a), 0xfee00000u | BSP | EN);
}

TEST(disabled_apic_decodes_no_page_and_takes_no_interrupts)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, 0xfee00000u | BSP), LAPIC_OK);
    CHECK(!lapic_mmio_decoded(&b.a));
    CHECK_EQ_U(rd(&b, VER), 0xffffffff);
    CHECK_EQ_U(lapic_mmio_read(&b.a, TPR, 1, 0), 0xff);
    CHECK_EQ_U(lapic_mmio_read(&b.a, TPR, 8, 0), UINT64_MAX);
    wr(&b, SVR, 0x1ff);
    CHECK(!lapic_accept(&b.a, 0x40, false));
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    uint64_t value = 1;
    CHECK_EQ_I(msr_rd(&b, X2(VER), &value), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, X2(TPR), 0), LAPIC_GP);
    /* CR8 still works (kvm-unit-tests' apic test checks this). */
    lapic_write_cr8(&b.a, 0xf);
    CHECK_EQ_U(lapic_read_cr8(&b.a), 0xf);
    CHECK(lapic_accepts_extint(&b.a));      /* LINT0 is the INTR pin */
}

TEST(disable_then_reenable_restores_power_up_registers)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, ID, 0x07000000);
    wr(&b, TPR, 0x20);
    wr(&b, LDR, 0x01000000);
    wr(&b, DFR, 0x0fffffff);
    wr(&b, LVTT, PERIODIC | 0x40);
    wr(&b, TDCR, 0xb);
    wr(&b, TMICT, 1000);
    wr(&b, ICR_HI, 0x05000000);
    CHECK(lapic_accept(&b.a, 0x50, true));
    CHECK(lapic_accept(&b.a, 0x60, false));
    CHECK_EQ_I(take_interrupt(&b), 0x60);
    rd(&b, 0x40);
    wr(&b, ESR, 0);
    CHECK_EQ_U(rd(&b, ESR), ESR_ILLEGAL_REGISTER);

    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, 0xfee00000u | BSP), LAPIC_OK);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, 0xfee00000u | BSP | EN), LAPIC_OK);
    CHECK_EQ_U(rd(&b, ID), 0);
    CHECK_EQ_U(rd(&b, TPR), 0);
    CHECK_EQ_U(rd(&b, LDR), 0);
    CHECK_EQ_U(rd(&b, DFR), 0xffffffff);
    CHECK_EQ_U(rd(&b, SVR), 0xff);
    CHECK_EQ_U(rd(&b, LVTT), 0x10000);
    CHECK_EQ_U(rd(&b, TDCR), 0);
    CHECK_EQ_U(rd(&b, TMICT), 0);
    CHECK_EQ_U(rd(&b, TMCCT), 0);
    CHECK_EQ_U(rd(&b, ICR_HI), 0);
    CHECK_EQ_U(rd(&b, IRR + 0x20), 0);
    CHECK_EQ_U(rd(&b, TMR + 0x20), 0);
    CHECK_EQ_U(rd(&b, ISR + 0x30), 0);
    CHECK_EQ_U(rd(&b, ESR), 0);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), LAPIC_NO_EVENT);
    advance(&b, 5000);
    CHECK_EQ_U(rd(&b, IRR + 0x20), 0);      /* the timer stopped */
    /* And it works again once software-enabled. */
    software_enable(&b);
    CHECK(lapic_accept(&b.a, 0x50, false));
    CHECK_EQ_I(take_interrupt(&b), 0x50);
}

/* ------------------------------------------------------------------------ */
/* x2APIC                                                                   */

TEST(x2apic_msr_map)
{
    static struct bench b;
    struct lapic_config config = { .apic_id = 0x25, .bsp = true, .x2apic = true,
                                   .maxphyaddr = 39, .tsc_khz = GUEST_TSC_KHZ };
    bench_init_with(&b, &config);
    enter_x2apic(&b);
    CHECK(!lapic_mmio_decoded(&b.a));
    CHECK_EQ_U(x2rd(&b, 0x802), 0x25);
    CHECK_EQ_U(x2rd(&b, 0x803), 0x00060014);
    /* Logical x2APIC ID: cluster 0x25 >> 4 = 2, member bit 0x25 & 0xf = 5. */
    CHECK_EQ_U(x2rd(&b, 0x80d), 0x00020020);
    CHECK_EQ_U(x2rd(&b, 0x80f), 0xff);
    CHECK_EQ_I(msr_wr(&b, 0x80f, 0x1ff), LAPIC_OK);
    CHECK_EQ_U(x2rd(&b, 0x80f), 0x1ff);
    CHECK_EQ_I(msr_wr(&b, 0x808, 0x35), LAPIC_OK);
    CHECK_EQ_U(x2rd(&b, 0x808), 0x35);
    CHECK_EQ_U(lapic_read_cr8(&b.a), 3);
    CHECK_EQ_U(x2rd(&b, 0x80a), 0x35);
    CHECK(lapic_accept(&b.a, 0x61, true));
    CHECK_EQ_U(x2rd(&b, 0x823), 0x2);       /* IRR: vector 0x61 is bit 1 of IRR3 */
    CHECK_EQ_U(x2rd(&b, 0x81b), 0x2);       /* TMR */
    CHECK_EQ_I(take_interrupt(&b), 0x61);
    CHECK_EQ_U(x2rd(&b, 0x813), 0x2);       /* ISR */
    CHECK_EQ_U(x2rd(&b, 0x80a), 0x60);      /* PPR: the in-service class */
    CHECK_EQ_I(msr_wr(&b, 0x80b, 0), LAPIC_OK);     /* EOI */
    CHECK_EQ_U(x2rd(&b, 0x813), 0);
    CHECK_EQ_U(b.neois, 1);
    CHECK_EQ_U(x2rd(&b, 0x828), 0);
    CHECK_EQ_I(msr_wr(&b, 0x828, 0), LAPIC_OK);
    /* LVTs and the timer registers. */
    static const uint32_t lvt_msrs[] = { 0x82f, 0x832, 0x833, 0x834, 0x835, 0x836, 0x837 };
    for (unsigned i = 0; i < sizeof(lvt_msrs) / sizeof(lvt_msrs[0]); i++) {
        CHECK_EQ_I(msr_wr(&b, lvt_msrs[i], 0x10000 | (0x40 + i)), LAPIC_OK);
        CHECK_EQ_U(x2rd(&b, lvt_msrs[i]), 0x10000 | (0x40 + i));
    }
    CHECK_EQ_U(rd(&b, LVTT), 0xffffffff);      /* the page is gone */
    CHECK_EQ_U(b.a.lvt[LVT_TIMER], 0x10041);
    CHECK_EQ_I(msr_wr(&b, 0x83e, 0xb), LAPIC_OK);
    CHECK_EQ_U(x2rd(&b, 0x83e), 0xb);
    CHECK_EQ_I(msr_wr(&b, 0x838, 100), LAPIC_OK);
    CHECK_EQ_U(x2rd(&b, 0x838), 100);
    b.now += 30;
    CHECK_EQ_U(x2rd(&b, 0x839), 70);
}

TEST(x2apic_msr_faults)
{
    static struct bench b;
    bench_init(&b);
    uint64_t value;
    /* Not in x2APIC mode: every x2APIC MSR faults. */
    CHECK_EQ_I(msr_rd(&b, 0x803, &value), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x808, 0), LAPIC_GP);
    enter_x2apic(&b);
    /* Registers that do not exist in x2APIC mode (SDM table 11-6). */
    static const uint32_t absent[] = { 0x800, 0x801, 0x804, 0x807, 0x809, 0x80c, 0x80e,
                                       0x829, 0x82e, 0x831, 0x83a, 0x83d, 0x840, 0x8ff };
    for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        CHECK_EQ_I(msr_rd(&b, absent[i], &value), LAPIC_GP);
        CHECK_EQ_I(msr_wr(&b, absent[i], 0), LAPIC_GP);
    }
    /* Write-only registers cannot be read ... */
    CHECK_EQ_I(msr_rd(&b, 0x80b, &value), LAPIC_GP);
    CHECK_EQ_I(msr_rd(&b, 0x83f, &value), LAPIC_GP);
    /* ... read-only ones cannot be written, not even with 0 */
    static const uint32_t read_only[] = { 0x802, 0x803, 0x80a, 0x80d, 0x810, 0x817, 0x818,
                                          0x81f, 0x820, 0x827, 0x839 };
    for (unsigned i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
        CHECK_EQ_I(msr_wr(&b, read_only[i], 0), LAPIC_GP);
    /* EOI and ESR take only 0. */
    CHECK_EQ_I(msr_wr(&b, 0x80b, 1), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x828, 1), LAPIC_GP);
    /* Reserved bits fault (SDM 11.12.1.3), bits 63:32 everywhere but ICR. */
    CHECK_EQ_I(msr_wr(&b, 0x808, 0x100), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x808, UINT64_C(1) << 32), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x80f, 0x1000), LAPIC_GP);       /* no directed EOI */
    CHECK_EQ_I(msr_wr(&b, 0x80f, UINT64_MAX), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x832, 0x80000), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x837, 0x700), LAPIC_GP);        /* error LVT: no delivery mode */
    CHECK_EQ_I(msr_wr(&b, 0x838, UINT64_C(1) << 32), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x83e, 0x4), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x83f, 0x100), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x83f, 0xff000000), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x830, 0x2000), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x830, 0x10000), LAPIC_GP);
    CHECK_EQ_I(msr_wr(&b, 0x830, 0x100000), LAPIC_GP);
    CHECK_EQ_U(lapic_tpr(&b.a), 0);
    CHECK_EQ_U(b.a.svr, 0xff);
    /* Read-only bits of an LVT entry may be written (delivery status, remote IRR). */
    CHECK_EQ_I(msr_wr(&b, 0x835, 0x15700), LAPIC_OK);
    CHECK_EQ_U(x2rd(&b, 0x835), 0x10700);
    /* Bits 63:32 of read-only registers read 0. */
    CHECK_EQ_U(x2rd(&b, 0x803) >> 32, 0);
    /* Other MSRs are not the APIC's. */
    CHECK(!lapic_owns_msr(0x1a));
    CHECK(!lapic_owns_msr(0x900));
    CHECK(lapic_owns_msr(0x1b) && lapic_owns_msr(0x6e0) && lapic_owns_msr(0x800) &&
          lapic_owns_msr(0x8ff));
    CHECK_EQ_I(msr_rd(&b, 0x10, &value), LAPIC_GP);
}

TEST(xapic_to_x2apic_keeps_state_but_id_ldr_and_icr_destination)
{
    static struct bench b;
    struct lapic_config config = { .apic_id = 3, .bsp = true, .x2apic = true, .maxphyaddr = 39 };
    bench_init_with(&b, &config);
    software_enable(&b);
    wr(&b, ID, 0x09000000);
    wr(&b, LDR, 0x80000000);
    wr(&b, TPR, 0x20);
    wr(&b, ICR_HI, 0x12000000);
    wr(&b, LVTLINT1, 0x400);
    CHECK(lapic_accept(&b.a, 0x70, false));
    enter_x2apic(&b);
    CHECK_EQ_U(x2rd(&b, 0x802), 3);
    CHECK_EQ_U(x2rd(&b, 0x80d), 0x00000008);
    CHECK_EQ_U(x2rd(&b, 0x830), 0);
    CHECK_EQ_U(x2rd(&b, 0x808), 0x20);
    CHECK_EQ_U(x2rd(&b, 0x80f), 0x1ff);
    CHECK_EQ_U(x2rd(&b, 0x836), 0x400);
    CHECK_EQ_U(x2rd(&b, 0x823), 0x10000);
    /* Leaving x2APIC goes through disabled, which resets everything. */
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, 0xfee00000u | BSP), LAPIC_OK);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, 0xfee00000u | BSP | EN), LAPIC_OK);
    CHECK_EQ_U(rd(&b, ID), 0x03000000);
    CHECK_EQ_U(rd(&b, SVR), 0xff);
    CHECK_EQ_U(rd(&b, IRR + 0x30), 0);
}

/* ------------------------------------------------------------------------ */
/* Priorities, IRR, ISR, EOI                                                */

TEST(tpr_ppr_and_the_pending_vector)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    CHECK(lapic_accept(&b.a, 0x45, false));
    wr(&b, TPR, 0x40);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);         /* class 4 is not above 4 */
    CHECK_EQ_U(rd(&b, PPR), 0x40);
    wr(&b, TPR, 0x3f);
    CHECK_EQ_U(rd(&b, PPR), 0x3f);
    CHECK_EQ_I(lapic_pending_vector(&b.a), 0x45);
    CHECK_EQ_I(take_interrupt(&b), 0x45);
    /* TPR class below the in-service class: PPR is that class. */
    CHECK_EQ_U(rd(&b, PPR), 0x40);
    CHECK(lapic_accept(&b.a, 0x4f, false));
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);         /* same class as in service */
    CHECK(lapic_accept(&b.a, 0x51, false));
    CHECK_EQ_I(lapic_pending_vector(&b.a), 0x51);
    /* TPR class equal to the in-service class: PPR is TPR. */
    wr(&b, TPR, 0x4c);
    CHECK_EQ_U(rd(&b, PPR), 0x4c);
    wr(&b, TPR, 0x60);
    CHECK_EQ_U(rd(&b, PPR), 0x60);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    /* CR8 is TPR[7:4]; writing it clears TPR[3:0]. */
    CHECK_EQ_U(lapic_read_cr8(&b.a), 6);
    wr(&b, TPR, 0x6f);
    lapic_write_cr8(&b.a, 0x2);
    CHECK_EQ_U(rd(&b, TPR), 0x20);
    lapic_write_cr8(&b.a, 0x13);                        /* bits above 3 are the caller's */
    CHECK_EQ_U(rd(&b, TPR), 0x30);
    CHECK_EQ_U(rd(&b, PPR), 0x40);
    CHECK_EQ_I(lapic_pending_vector(&b.a), 0x51);
}

TEST(irr_isr_and_eoi_nest_by_priority)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    CHECK(lapic_accept(&b.a, 0x30, false));
    CHECK(lapic_accept(&b.a, 0x80, false));
    CHECK(lapic_accept(&b.a, 0x55, false));
    CHECK_EQ_U(rd(&b, IRR + 0x10), 0x00010000);         /* 0x30 = 32 + 16 */
    CHECK_EQ_I(take_interrupt(&b), 0x80);
    CHECK_EQ_U(rd(&b, ISR + 0x40), 1);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);         /* 0x55 waits for 0x80's EOI */
    wr(&b, EOI, 0);
    CHECK_EQ_U(rd(&b, ISR + 0x40), 0);
    CHECK_EQ_I(take_interrupt(&b), 0x55);
    /* A higher vector arriving now nests. */
    CHECK(lapic_accept(&b.a, 0x90, false));
    CHECK_EQ_I(take_interrupt(&b), 0x90);
    CHECK(isr_has(&b, 0x55) && isr_has(&b, 0x90));
    wr(&b, EOI, 0x12345678);                            /* the value does not matter */
    CHECK(isr_has(&b, 0x55) && !isr_has(&b, 0x90));
    wr(&b, EOI, 0);
    CHECK_EQ_I(take_interrupt(&b), 0x30);
    wr(&b, EOI, 0);
    wr(&b, EOI, 0);                                     /* nothing in service: harmless */
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    CHECK_EQ_U(b.neois, 0);                             /* all edge-triggered */
    /* One IRR bit per vector: two arrivals before delivery are one. */
    CHECK(lapic_accept(&b.a, 0x70, false));
    CHECK(lapic_accept(&b.a, 0x70, false));
    CHECK_EQ_I(take_interrupt(&b), 0x70);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    /* But one in service and one pending is possible. */
    CHECK(lapic_accept(&b.a, 0x70, false));
    CHECK(irr_has(&b, 0x70) && isr_has(&b, 0x70));
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    wr(&b, EOI, 0);
    CHECK_EQ_I(take_interrupt(&b), 0x70);
}

TEST(ack_refuses_a_vector_not_in_irr)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    CHECK(!lapic_ack(&b.a, 0x40));
    CHECK_EQ_U(rd(&b, ISR + 0x20), 0);
    CHECK(lapic_accept(&b.a, 0x41, false));
    CHECK(!lapic_ack(&b.a, 0x40));
    CHECK(lapic_ack(&b.a, 0x41));
    CHECK(!lapic_ack(&b.a, 0x41));
    CHECK_EQ_U(rd(&b, ISR + 0x20), 0x2);
}

TEST(accept_needs_software_enable_and_a_legal_vector)
{
    static struct bench b;
    bench_init(&b);
    CHECK(!lapic_accept(&b.a, 0x40, false));            /* SVR 0xFF after reset */
    CHECK_EQ_U(rd(&b, IRR + 0x20), 0);
    software_enable(&b);
    CHECK(!lapic_accept(&b.a, 0x0f, false));
    CHECK(!lapic_accept(&b.a, 0x00, true));
    CHECK_EQ_U(rd(&b, IRR), 0);
    CHECK_EQ_U(read_esr(&b), ESR_RECEIVE_ILLEGAL);
    CHECK(lapic_accept(&b.a, 0x10, false));
    CHECK_EQ_I(lapic_pending_vector(&b.a), 0x10);
    /* Software-disabled again: what IRR holds is still delivered. */
    wr(&b, SVR, 0xff);
    CHECK(!lapic_accept(&b.a, 0x20, false));
    CHECK_EQ_I(take_interrupt(&b), 0x10);
}

TEST(tmr_follows_the_trigger_mode_of_the_last_acceptance)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    CHECK(lapic_accept(&b.a, 0x79, false));
    CHECK_EQ_U(rd(&b, TMR + 0x30), 0);
    CHECK_EQ_I(take_interrupt(&b), 0x79);
    wr(&b, EOI, 0);
    CHECK(lapic_accept(&b.a, 0x79, true));
    CHECK_EQ_U(rd(&b, TMR + 0x30), 0x02000000);
    CHECK_EQ_I(take_interrupt(&b), 0x79);
    wr(&b, EOI, 0);
    CHECK_EQ_U(rd(&b, TMR + 0x30), 0x02000000);         /* EOI leaves TMR alone */
    CHECK(lapic_accept(&b.a, 0x79, false));
    CHECK_EQ_U(rd(&b, TMR + 0x30), 0);
}

TEST(eoi_of_a_level_vector_is_broadcast)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    CHECK(lapic_accept(&b.a, 0x61, true));
    CHECK(lapic_accept(&b.a, 0x62, false));
    CHECK_EQ_I(take_interrupt(&b), 0x62);
    wr(&b, EOI, 0);
    CHECK_EQ_U(b.neois, 0);
    CHECK_EQ_I(take_interrupt(&b), 0x61);
    wr(&b, EOI, 0);
    CHECK_EQ_U(b.neois, 1);
    CHECK_EQ_U(b.eois[0], 0x61);
    /* The broadcast may deliver again at once (a pin still asserted). */
    b.redeliver_on_eoi = 0x61;
    CHECK(lapic_accept(&b.a, 0x61, true));
    CHECK_EQ_I(take_interrupt(&b), 0x61);
    wr(&b, EOI, 0);
    CHECK_EQ_U(b.neois, 2);
    CHECK(!isr_has(&b, 0x61));
    CHECK(irr_has(&b, 0x61));
    CHECK_EQ_I(lapic_pending_vector(&b.a), 0x61);
}

/* ------------------------------------------------------------------------ */
/* IPIs                                                                     */

TEST(self_ipi_with_the_self_shorthand)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, ICR_HI, 0x07000000);                         /* ignored with a shorthand */
    wr(&b, ICR_LO, SH_SELF | 0xf1);
    CHECK_EQ_U(rd(&b, ICR_LO), 0x000400f1);             /* delivery status idle */
    CHECK_EQ_I(take_interrupt(&b), 0xf1);
    CHECK_EQ_U(rd(&b, TMR + 0x70), 0);
    wr(&b, EOI, 0);
    /* Level and trigger bits make no level-triggered IPI. */
    wr(&b, ICR_LO, SH_SELF | 0xc000 | 0xf2);
    CHECK_EQ_I(take_interrupt(&b), 0xf2);
    CHECK_EQ_U(rd(&b, TMR + 0x70), 0);
    CHECK_EQ_U(b.ndropped, 0);
    /* All including self reaches this APIC. */
    wr(&b, ICR_LO, SH_ALL_INCL | 0xf3);
    CHECK(irr_has(&b, 0xf3));
    CHECK_EQ_U(b.ndropped, 0);
}

TEST(ipis_to_others_are_dropped_and_reported)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, ICR_LO, SH_ALL_EXCL | 0x40);
    CHECK_EQ_U(b.ndropped, 1);
    CHECK_EQ_U(b.dropped_icr[0], SH_ALL_EXCL | 0x40);
    wr(&b, ICR_HI, 0x01000000);
    wr(&b, ICR_LO, 0x41);                               /* physical ID 1: not us */
    CHECK_EQ_U(b.ndropped, 2);
    CHECK_EQ_U(b.dropped_icr[1], 0x41);
    CHECK_EQ_U(b.dropped_dest[1], 0x01);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    /* INIT and start-up to everyone else: how guests start APs. */
    wr(&b, ICR_LO, SH_ALL_EXCL | DM_INIT | 0x4000);
    wr(&b, ICR_LO, SH_ALL_EXCL | DM_STARTUP | 0x08);
    CHECK_EQ_U(b.ndropped, 4);
    /* INIT to this APIC is reported too: not modelled. */
    wr(&b, ICR_LO, SH_SELF | DM_INIT);
    CHECK_EQ_U(b.ndropped, 5);
    CHECK_EQ_U(b.a.ipis_dropped, 5);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
}

TEST(physical_and_logical_destinations)
{
    static struct bench b;
    struct lapic_config config = { .apic_id = 2, .bsp = true, .x2apic = true, .maxphyaddr = 39 };
    bench_init_with(&b, &config);
    software_enable(&b);
    /* Physical: own ID and broadcast 0xFF. */
    wr(&b, ICR_HI, 0x02000000);
    wr(&b, ICR_LO, 0x50);
    wr(&b, ICR_HI, 0xff000000);
    wr(&b, ICR_LO, 0x51);
    CHECK(irr_has(&b, 0x50) && irr_has(&b, 0x51));
    /* After an ID write the new ID is the destination. */
    wr(&b, ID, 0x06000000);
    wr(&b, ICR_HI, 0x02000000);
    wr(&b, ICR_LO, 0x52);
    wr(&b, ICR_HI, 0x06000000);
    wr(&b, ICR_LO, 0x53);
    CHECK(!irr_has(&b, 0x52) && irr_has(&b, 0x53));
    /* Logical, flat model: any common bit. */
    wr(&b, LDR, 0x05000000);
    wr(&b, ICR_HI, 0x03000000);
    wr(&b, ICR_LO, LOGICAL | 0x54);
    wr(&b, ICR_HI, 0x0a000000);
    wr(&b, ICR_LO, LOGICAL | 0x55);
    CHECK(irr_has(&b, 0x54) && !irr_has(&b, 0x55));
    /* Logical, cluster model: cluster 2, member bit 1. */
    wr(&b, DFR, 0x0fffffff);
    wr(&b, LDR, 0x21000000);
    static const struct { uint8_t dest; bool hit; } cluster[] = {
        { 0x21, true }, { 0x23, true }, { 0x31, false }, { 0x22, false }, { 0xf1, true },
        { 0xff, true }, { 0x01, false },
    };
    for (unsigned i = 0; i < sizeof(cluster) / sizeof(cluster[0]); i++) {
        wr(&b, ICR_HI, (uint32_t)cluster[i].dest << 24);
        wr(&b, ICR_LO, LOGICAL | (0x60 + i));
        CHECK_EQ_U(irr_has(&b, 0x60 + i), cluster[i].hit);
    }
    /* Lowest priority is fixed delivery here. */
    wr(&b, ICR_HI, 0x06000000);
    wr(&b, ICR_LO, DM_LOWEST | 0x70);
    CHECK(irr_has(&b, 0x70));
    CHECK_EQ_U(b.ndropped, 5);      /* 0x52, 0x55 and three cluster misses */
}

TEST(nmi_ipi_to_self_goes_to_the_nmi_output)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, ICR_HI, 0);
    wr(&b, ICR_LO, DM_NMI | 0x4000);        /* kvm-unit-tests' apic_self_nmi() */
    CHECK_EQ_U(b.nmis, 1);
    wr(&b, ICR_LO, SH_SELF | DM_NMI);
    CHECK_EQ_U(b.nmis, 2);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    /* NMIs reach a software-disabled APIC (SDM 11.4.7.2). */
    wr(&b, SVR, 0xff);
    wr(&b, ICR_LO, DM_NMI);
    CHECK_EQ_U(b.nmis, 3);
    /* A fixed self-IPI does not. */
    wr(&b, ICR_LO, SH_SELF | 0x40);
    CHECK(!irr_has(&b, 0x40));
}

TEST(illegal_vector_ipis_are_not_sent)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, ICR_LO, SH_SELF | 0x0f);
    CHECK_EQ_U(rd(&b, IRR), 0);
    CHECK_EQ_U(read_esr(&b), ESR_SEND_ILLEGAL);
    wr(&b, ICR_LO, SH_ALL_EXCL | 0x03);
    CHECK_EQ_U(read_esr(&b), ESR_SEND_ILLEGAL);
    CHECK_EQ_U(b.ndropped, 0);
    /* The vector of an NMI is ignored. */
    wr(&b, ICR_LO, SH_SELF | DM_NMI | 0x02);
    CHECK_EQ_U(b.nmis, 1);
    CHECK_EQ_U(read_esr(&b), 0);
}

/* The receiving half alone, as a paravirtual IPI hypercall uses it. */
TEST(receive_ipi_takes_fixed_and_nmi_refuses_the_rest)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    CHECK(lapic_receive_ipi(&b.a, 0xc000 | 0x51));             /* level bits: still edge */
    CHECK(irr_has(&b, 0x51));
    CHECK_EQ_U(rd(&b, TMR + 0x50), 0);
    CHECK(lapic_receive_ipi(&b.a, DM_LOWEST | 0x52));
    CHECK(irr_has(&b, 0x52));
    CHECK(lapic_receive_ipi(&b.a, DM_NMI));
    CHECK_EQ_U(b.nmis, 1);
    CHECK(!lapic_receive_ipi(&b.a, DM_INIT));
    CHECK(!lapic_receive_ipi(&b.a, 0x0e));                     /* illegal vector */
    CHECK_EQ_U(read_esr(&b), ESR_RECEIVE_ILLEGAL);
    CHECK_EQ_U(b.ndropped, 0);                                 /* no sender-side drop */
    wr(&b, SVR, 0xff);                                         /* software-disabled */
    CHECK(!lapic_receive_ipi(&b.a, 0x53));
    CHECK(!irr_has(&b, 0x53));
}

TEST(x2apic_icr_and_self_ipi_register)
{
    static struct bench b;
    struct lapic_config config = { .apic_id = 0x25, .bsp = true, .x2apic = true,
                                   .maxphyaddr = 39 };
    bench_init_with(&b, &config);
    enter_x2apic(&b);
    CHECK_EQ_I(msr_wr(&b, 0x80f, 0x1ff), LAPIC_OK);
    CHECK_EQ_I(msr_wr(&b, 0x830, UINT64_C(0x25) << 32 | 0xf2), LAPIC_OK);
    CHECK(irr_has(&b, 0xf2));
    CHECK_EQ_U(x2rd(&b, 0x830), UINT64_C(0x25) << 32 | 0xf2);
    /* Delivery status written as 1 is ignored, not faulted. */
    CHECK_EQ_I(msr_wr(&b, 0x830, UINT64_C(0x25) << 32 | 0x1000 | 0xf4), LAPIC_OK);
    CHECK(irr_has(&b, 0xf4));
    CHECK_EQ_U(x2rd(&b, 0x830), UINT64_C(0x25) << 32 | 0xf4);
    /* An x2APIC ID above 255 is not aliased by its low byte. */
    CHECK_EQ_I(msr_wr(&b, 0x830, UINT64_C(0x125) << 32 | 0xf5), LAPIC_OK);
    CHECK(!irr_has(&b, 0xf5));
    CHECK_EQ_U(b.dropped_dest[0], 0x125);
    CHECK_EQ_I(msr_wr(&b, 0x830, UINT64_C(0xffffffff) << 32 | 0xf6), LAPIC_OK);
    CHECK(irr_has(&b, 0xf6));
    /* Logical: cluster 2, member bit 5. */
    CHECK_EQ_I(msr_wr(&b, 0x830, UINT64_C(0x00020030) << 32 | LOGICAL | 0xe0), LAPIC_OK);
    CHECK_EQ_I(msr_wr(&b, 0x830, UINT64_C(0x00010020) << 32 | LOGICAL | 0xe1), LAPIC_OK);
    CHECK_EQ_I(msr_wr(&b, 0x830, UINT64_C(0x00020010) << 32 | LOGICAL | 0xe2), LAPIC_OK);
    CHECK(irr_has(&b, 0xe0) && !irr_has(&b, 0xe1) && !irr_has(&b, 0xe2));
    /* SELF IPI: vector only. */
    CHECK_EQ_I(msr_wr(&b, 0x83f, 0xd3), LAPIC_OK);
    CHECK(irr_has(&b, 0xd3));
    CHECK_EQ_I(msr_wr(&b, 0x83f, 0x05), LAPIC_OK);
    CHECK_EQ_U(b.a.irr[0], 0);
    CHECK_EQ_I(msr_wr(&b, 0x828, 0), LAPIC_OK);
    CHECK_EQ_U(x2rd(&b, 0x828), 0x20);
}

/* ------------------------------------------------------------------------ */
/* The timer                                                                */

TEST(one_shot_timer)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, TDCR, 0xb);                      /* divide by 1: one count per ns */
    wr(&b, LVTT, 0xee);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), LAPIC_NO_EVENT);
    b.now = 5000;
    wr(&b, TMICT, 1000);
    CHECK_EQ_U(rd(&b, TMCCT), 1000);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), 6000);
    advance(&b, 400);
    CHECK_EQ_U(rd(&b, TMCCT), 600);
    advance(&b, 599);
    CHECK_EQ_U(rd(&b, TMCCT), 1);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    advance(&b, 1);
    CHECK_EQ_I(take_interrupt(&b), 0xee);
    CHECK_EQ_U(rd(&b, TMCCT), 0);
    CHECK_EQ_U(rd(&b, TMICT), 1000);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), LAPIC_NO_EVENT);
    wr(&b, EOI, 0);
    advance(&b, 100000);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    /* A register access at a time past the expiry sees it, update or not. */
    wr(&b, TMICT, 50);
    b.now += 80;
    CHECK_EQ_U(rd(&b, TMCCT), 0);
    CHECK(irr_has(&b, 0xee));
    /* Writing 0 stops the count. */
    wr(&b, EOI, 0);
    CHECK(lapic_ack(&b.a, 0xee));
    wr(&b, EOI, 0);
    wr(&b, TMICT, 50);
    wr(&b, TMICT, 0);
    advance(&b, 1000);
    CHECK(!irr_has(&b, 0xee));
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), LAPIC_NO_EVENT);
}

TEST(timer_divide_values)
{
    /* SDM figure 11-10: bits 3, 1:0. */
    static const struct { uint32_t dcr; unsigned divisor; } table[] = {
        { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
        { 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
    };
    for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        static struct bench b;
        bench_init(&b);
        software_enable(&b);
        wr(&b, LVTT, 0xe0);
        wr(&b, TDCR, table[i].dcr | 0x4);           /* bit 2 is not part of it */
        wr(&b, TMICT, 10);
        uint64_t period = 10u * table[i].divisor;
        CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), period);
        advance(&b, table[i].divisor * 3);
        CHECK_EQ_U(rd(&b, TMCCT), 7);
        advance(&b, table[i].divisor - 1);
        CHECK_EQ_U(rd(&b, TMCCT), 7);
        advance(&b, period - table[i].divisor * 4);     /* 1 ns before the end */
        CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
        advance(&b, 1);
        CHECK_EQ_I(lapic_pending_vector(&b.a), 0xe0);
    }
}

TEST(timer_counts_the_configured_bus_clock)
{
    static struct bench b;
    struct lapic_config config = { .bsp = true, .bus_cycle_ns = 10, .tsc_khz = GUEST_TSC_KHZ };
    bench_init_with(&b, &config);
    software_enable(&b);
    wr(&b, LVTT, 0xe0);
    wr(&b, TDCR, 0x1);                      /* divide by 4: 40 ns per count */
    wr(&b, TMICT, 100);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), 4000);
    advance(&b, 1000);
    CHECK_EQ_U(rd(&b, TMCCT), 75);
}

TEST(periodic_timer_reloads)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, TDCR, 0xb);
    wr(&b, LVTT, PERIODIC | 0xe5);
    wr(&b, TMICT, 100);
    for (unsigned i = 1; i <= 3; i++) {
        advance(&b, 99);
        CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
        CHECK_EQ_U(rd(&b, TMCCT), 1);
        advance(&b, 1);
        CHECK_EQ_I(take_interrupt(&b), 0xe5);
        wr(&b, EOI, 0);
        CHECK_EQ_U(rd(&b, TMCCT), 100);
        CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), 100 * (i + 1));
    }
    /* Missed periods raise one interrupt; the count stays in phase. */
    advance(&b, 1050);
    CHECK_EQ_I(take_interrupt(&b), 0xe5);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    CHECK_EQ_U(rd(&b, TMCCT), 50);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), 1400);
    /* Rewriting the initial count restarts the period now. */
    wr(&b, EOI, 0);
    wr(&b, TMICT, 30);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), b.now + 30);
}

/* The sequence of kvm-unit-tests' test_apic_change_mode. */
TEST(mode_changes_between_one_shot_and_periodic_keep_the_count)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, TDCR, 0xb);
    wr(&b, LVTT, MASKED | 0xe6);
    wr(&b, TMICT, 1000);
    wr(&b, LVTT, MASKED | PERIODIC | 0xe6);
    CHECK_EQ_U(rd(&b, TMICT), 1000);
    wr(&b, LVTT, MASKED | 0xe6);
    wr(&b, TMICT, 1000);
    b.now += 1000;
    CHECK_EQ_U(rd(&b, TMCCT), 0);
    /* One-shot, half-way: switching to periodic keeps counting down ... */
    wr(&b, TMICT, 1000);
    b.now += 600;
    wr(&b, LVTT, MASKED | PERIODIC | 0xe6);
    CHECK_EQ_U(rd(&b, TMCCT), 400);
    /* ... and reloads at 0. */
    b.now += 500;
    CHECK_EQ_U(rd(&b, TMCCT), 900);
    /* Periodic, half-way: to one-shot, it counts down to 0 and stays. */
    b.now += 500;
    wr(&b, LVTT, MASKED | 0xe6);
    CHECK_EQ_U(rd(&b, TMCCT), 400);
    b.now += 400;
    CHECK_EQ_U(rd(&b, TMCCT), 0);
    b.now += 5000;
    CHECK_EQ_U(rd(&b, TMCCT), 0);
    /* Expired one-shot to periodic: stays at 0. */
    wr(&b, LVTT, MASKED | PERIODIC | 0xe6);
    b.now += 5000;
    CHECK_EQ_U(rd(&b, TMCCT), 0);
    CHECK_EQ_U(rd(&b, TMICT), 1000);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);         /* masked all along */
}

TEST(masked_timer_counts_but_raises_nothing)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, TDCR, 0xb);
    wr(&b, LVTT, MASKED | PERIODIC | 0xe7);
    wr(&b, TMICT, 100);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), LAPIC_NO_EVENT);
    advance(&b, 250);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    CHECK_EQ_U(rd(&b, TMCCT), 50);
    /* Unmasked, the next expiry raises it (not the missed ones). */
    wr(&b, LVTT, PERIODIC | 0xe7);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), 300);
    advance(&b, 49);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    advance(&b, 1);
    CHECK_EQ_I(lapic_pending_vector(&b.a), 0xe7);
}

TEST(divide_change_while_counting_keeps_the_count)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, TDCR, 0xb);
    wr(&b, LVTT, 0xe8);
    wr(&b, TMICT, 1000);
    advance(&b, 500);
    wr(&b, TDCR, 0x0);                      /* divide by 2 from now on */
    CHECK_EQ_U(rd(&b, TMCCT), 500);
    advance(&b, 400);
    CHECK_EQ_U(rd(&b, TMCCT), 300);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), 1500);
    advance(&b, 600);
    CHECK_EQ_I(lapic_pending_vector(&b.a), 0xe8);
}

TEST(tsc_deadline_timer)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    b.now = 1000;                           /* tsc 2000 */
    uint64_t value = 1;
    /* Outside TSC-deadline mode the MSR reads 0 and ignores writes. */
    CHECK_EQ_I(msr_wr(&b, TSC_DEADLINE, 5000), LAPIC_OK);
    CHECK_EQ_I(msr_rd(&b, TSC_DEADLINE, &value), LAPIC_OK);
    CHECK_EQ_U(value, 0);
    wr(&b, LVTT, TSC_DEADLINE_MODE | 0xef);
    CHECK_EQ_U(rd(&b, LVTT), 0x000400ef);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), LAPIC_NO_EVENT);
    /* The initial count is ignored, the current count reads 0. */
    wr(&b, TMICT, 100);
    CHECK_EQ_U(rd(&b, TMICT), 0);
    CHECK_EQ_U(rd(&b, TMCCT), 0);
    CHECK_EQ_I(msr_wr(&b, TSC_DEADLINE, 4001), LAPIC_OK);
    CHECK_EQ_I(msr_rd(&b, TSC_DEADLINE, &value), LAPIC_OK);
    CHECK_EQ_U(value, 4001);
    /* 2001 ticks at 2 GHz: 1000.5 ns, rounded up. */
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), 2001);
    advance(&b, 1000);                      /* tsc 4000 */
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), 2001);
    lapic_update(&b.a, b.now, 4001);
    CHECK_EQ_I(take_interrupt(&b), 0xef);
    CHECK_EQ_I(msr_rd(&b, TSC_DEADLINE, &value), LAPIC_OK);
    CHECK_EQ_U(value, 0);                   /* disarmed */
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), LAPIC_NO_EVENT);
    wr(&b, EOI, 0);
    /* kvm-unit-tests: a deadline already passed fires during the WRMSR. */
    CHECK_EQ_I(msr_wr(&b, TSC_DEADLINE, tsc_of(&b)), LAPIC_OK);
    CHECK_EQ_I(take_interrupt(&b), 0xef);
    CHECK_EQ_I(msr_rd(&b, TSC_DEADLINE, &value), LAPIC_OK);
    CHECK_EQ_U(value, 0);
    wr(&b, EOI, 0);
    /* Writing 0 disarms. */
    CHECK_EQ_I(msr_wr(&b, TSC_DEADLINE, tsc_of(&b) + 10), LAPIC_OK);
    CHECK_EQ_I(msr_wr(&b, TSC_DEADLINE, 0), LAPIC_OK);
    advance(&b, 100);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    /* Leaving TSC-deadline mode disarms it too. */
    CHECK_EQ_I(msr_wr(&b, TSC_DEADLINE, tsc_of(&b) + 10), LAPIC_OK);
    wr(&b, LVTT, 0xef);
    wr(&b, LVTT, TSC_DEADLINE_MODE | 0xef);
    CHECK_EQ_I(msr_rd(&b, TSC_DEADLINE, &value), LAPIC_OK);
    CHECK_EQ_U(value, 0);
    advance(&b, 100);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    /* A masked deadline expires without an interrupt. */
    wr(&b, LVTT, MASKED | TSC_DEADLINE_MODE | 0xef);
    CHECK_EQ_I(msr_wr(&b, TSC_DEADLINE, tsc_of(&b) + 10), LAPIC_OK);
    CHECK_EQ_U(lapic_next_event(&b.a, b.now, tsc_of(&b)), LAPIC_NO_EVENT);
    advance(&b, 100);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    CHECK_EQ_I(msr_rd(&b, TSC_DEADLINE, &value), LAPIC_OK);
    CHECK_EQ_U(value, 0);
}

TEST(entering_tsc_deadline_mode_stops_the_count_down)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, TDCR, 0xb);
    wr(&b, LVTT, 0xe9);
    wr(&b, TMICT, 100);
    wr(&b, LVTT, TSC_DEADLINE_MODE | 0xe9);
    CHECK_EQ_U(rd(&b, TMICT), 0);
    wr(&b, LVTT, 0xe9);
    advance(&b, 1000);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);
    CHECK_EQ_U(rd(&b, TMCCT), 0);
}

TEST(tsc_deadline_conversion_rounds_up_and_saturates)
{
    CHECK_EQ_U(tsc_ticks_to_ns(1, 3000000), 1);
    CHECK_EQ_U(tsc_ticks_to_ns(3000, 3000000), 1000);
    CHECK_EQ_U(tsc_ticks_to_ns(3001, 3000000), 1001);
    CHECK_EQ_U(tsc_ticks_to_ns(UINT64_C(3000000000), 3000000), UINT64_C(1000000000));
    CHECK_EQ_U(tsc_ticks_to_ns(UINT64_MAX, 1000), UINT64_MAX);
    CHECK_EQ_U(tsc_ticks_to_ns(UINT64_MAX, 4000000000u), UINT64_C(4611686018427388));
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, LVTT, TSC_DEADLINE_MODE | 0xef);
    CHECK_EQ_I(msr_wr(&b, TSC_DEADLINE, UINT64_MAX), LAPIC_OK);
    CHECK_EQ_U(lapic_next_event(&b.a, UINT64_MAX - 10, 0), UINT64_MAX);
}

/* ------------------------------------------------------------------------ */
/* SVR, LINT0 and CR8                                                       */

TEST(software_disable_masks_every_lvt_entry)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    wr(&b, LVTT, 0xe0);
    wr(&b, LVTLINT0, 0x700);
    wr(&b, LVTERR, 0xe1);
    wr(&b, SVR, 0x0ff);
    CHECK_EQ_U(rd(&b, LVTT), 0x100e0);
    CHECK_EQ_U(rd(&b, LVTLINT0), 0x10700);
    CHECK_EQ_U(rd(&b, LVTERR), 0x100e1);
    wr(&b, LVTT, 0xe2);                /* the mask cannot be cleared */
    CHECK_EQ_U(rd(&b, LVTT), 0x100e2);
    software_enable(&b);
    CHECK_EQ_U(rd(&b, LVTT), 0x100e2);  /* nor comes off by itself */
    wr(&b, LVTT, 0xe2);
    CHECK_EQ_U(rd(&b, LVTT), 0xe2);
}

TEST(virtual_wire_mode_and_extint)
{
    static struct bench b;
    bench_init(&b);
    CHECK(!lapic_accepts_extint(&b.a));     /* LINT0 masked after reset */
    lapic_enter_virtual_wire_mode(&b.a);
    CHECK_EQ_U(rd(&b, SVR), 0x1ff);
    CHECK_EQ_U(rd(&b, LVTLINT0), 0x700);
    CHECK_EQ_U(rd(&b, LVTLINT1), 0x400);
    CHECK(lapic_accepts_extint(&b.a));
    wr(&b, LVTLINT0, 0x10700);
    CHECK(!lapic_accepts_extint(&b.a));
    wr(&b, LVTLINT0, 0x00030);             /* fixed, not ExtINT */
    CHECK(!lapic_accepts_extint(&b.a));
    wr(&b, LVTLINT0, 0x00700);
    wr(&b, SVR, 0xff);                      /* software disable masks it */
    CHECK(!lapic_accepts_extint(&b.a));
}

TEST(null_ops_are_allowed)
{
    static struct lapic a;
    struct lapic_config config = { .bsp = true };
    lapic_init(&a, &config, NULL);
    lapic_mmio_write(&a, SVR, 4, 0x1ff, 0);
    CHECK(lapic_accept(&a, 0x61, true));
    CHECK(lapic_ack(&a, 0x61));
    lapic_mmio_write(&a, EOI, 4, 0, 0);
    lapic_mmio_write(&a, ICR_LO, 4, SH_SELF | DM_NMI, 0);
    lapic_mmio_write(&a, ICR_LO, 4, SH_ALL_EXCL | 0x40, 0);
    CHECK_EQ_U(a.ipis_dropped, 1);
    CHECK_EQ_U(a.isr[3], 0);
}

/* ------------------------------------------------------------------------ */
/* Copies of the registers (a virtual-APIC page)                            */

static uint32_t page_at(const uint32_t *page, unsigned offset)
{
    return page[offset / 4];
}

TEST(register_page_matches_the_reads)
{
    static struct bench b;
    static uint32_t page[LAPIC_PAGE_WORDS];
    bench_init(&b);
    software_enable(&b);
    wr(&b, TPR, 0x35);
    wr(&b, LDR, 0x03000000);
    wr(&b, DFR, 0x0fffffff);
    wr(&b, ICR_HI, 0x07000000);
    wr(&b, ICR_LO, 0x000040f1);             /* fixed 0xf1 to ID 7: dropped */
    wr(&b, LVTT, 0x20032);
    wr(&b, LVTERR, 0x33);
    wr(&b, TMICT, 1000);
    wr(&b, TDCR, 0xb);
    CHECK(lapic_accept(&b.a, 0x41, true));
    CHECK(lapic_accept(&b.a, 0x92, false));
    CHECK_EQ_I(take_interrupt(&b), 0x92);
    for (unsigned i = 0; i < LAPIC_PAGE_WORDS; i++)
        page[i] = 0xa5a5a5a5u;
    lapic_page_fill(&b.a, page);
    CHECK_EQ_U(b.a.page_changes, 0);
    static const unsigned offsets[] = {
        ID, VER, TPR, PPR, LDR, DFR, SVR, ESR, LVTCMCI, ICR_LO, ICR_HI, LVTT, LVTTHERM, LVTPC,
        LVTLINT0, LVTLINT1, LVTERR, TMICT, TDCR,
    };
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
        CHECK_EQ_U(page_at(page, offsets[i]), rd(&b, offsets[i]));
    for (unsigned i = 0; i < 8; i++) {
        CHECK_EQ_U(page_at(page, ISR + i * 0x10), rd(&b, ISR + i * 0x10));
        CHECK_EQ_U(page_at(page, TMR + i * 0x10), rd(&b, TMR + i * 0x10));
        CHECK_EQ_U(page_at(page, IRR + i * 0x10), rd(&b, IRR + i * 0x10));
    }
    CHECK_EQ_U(page_at(page, IRR + 0x20), 1u << 1);        /* 0x41: IRR word 2 */
    CHECK_EQ_U(page_at(page, TMR + 0x20), 1u << 1);        /* level-triggered */
    CHECK_EQ_U(page_at(page, ISR + 0x40), 1u << 18);       /* 0x92: ISR word 4 */
    /* The current count moves with time, EOI and reserved offsets read 0,
     * and so do bytes 4-15 of each register. */
    CHECK_EQ_U(page_at(page, TMCCT), 0);
    CHECK_EQ_U(page_at(page, EOI), 0);
    CHECK_EQ_U(page_at(page, 0x000), 0);
    CHECK_EQ_U(page_at(page, ICR_LO + 4), 0);
    CHECK_EQ_U(page_at(page, ID + 4), 0xa5a5a5a5u);
}

TEST(register_page_in_x2apic_mode)
{
    static struct bench b;
    static uint32_t page[LAPIC_PAGE_WORDS];
    struct lapic_config config = {
        .apic_id = 0x23, .bsp = true, .x2apic = true, .tsc_khz = GUEST_TSC_KHZ,
    };
    bench_init_with(&b, &config);
    enter_x2apic(&b);
    CHECK(lapic_x2apic_mode(&b.a));
    CHECK_EQ_I(msr_wr(&b, X2(ICR_LO), UINT64_C(0x0000001700000000) | 0x4030), LAPIC_OK);
    lapic_page_fill(&b.a, page);
    CHECK_EQ_U(page_at(page, ID), 0x23);                     /* the x2APIC ID */
    CHECK_EQ_U(page_at(page, LDR), (0x2u << 16) | (1u << 3));  /* cluster 2, member 3 */
    CHECK_EQ_U(page_at(page, ICR_LO), 0x4030);
    CHECK_EQ_U(page_at(page, ICR_LO + 4), 0x17);             /* destination: ICR[63:32] */
    CHECK_EQ_U(page_at(page, ICR_HI), 0);
    CHECK_EQ_U(page_at(page, DFR), 0);
    CHECK_EQ_U((uint64_t)page_at(page, ICR_LO + 4) << 32 | page_at(page, ICR_LO),
               x2rd(&b, X2(ICR_LO)));
    /* A new ICR: only ICR is written again. */
    page[ID / 4] = 0xdead;
    CHECK_EQ_I(msr_wr(&b, X2(ICR_LO), UINT64_C(0x0000002900000000) | 0x4031), LAPIC_OK);
    CHECK_EQ_U(lapic_page_update(&b.a, page), LAPIC_PAGE_SLOT(ICR_LO));
    CHECK_EQ_U(page_at(page, ICR_LO), 0x4031);
    CHECK_EQ_U(page_at(page, ICR_LO + 4), 0x29);
    CHECK_EQ_U(page_at(page, ID), 0xdead);
}

/* Which registers each kind of event marks for lapic_page_update(). */
TEST(page_changes_name_what_changed)
{
    static struct bench b;
    static uint32_t page[LAPIC_PAGE_WORDS];
    bench_init(&b);
    CHECK_EQ_U(b.a.page_changes, ~UINT64_C(0));             /* reset: everything */
    software_enable(&b);
    lapic_page_fill(&b.a, page);
    CHECK(lapic_accept(&b.a, 0x41, true));
    CHECK_EQ_U(lapic_page_update(&b.a, page), LAPIC_PAGE_SLOT(IRR + 0x20) |
                                               LAPIC_PAGE_SLOT(TMR + 0x20));
    CHECK_EQ_U(page_at(page, IRR + 0x20), 1u << 1);
    CHECK_EQ_I(take_interrupt(&b), 0x41);
    CHECK_EQ_U(lapic_page_update(&b.a, page), LAPIC_PAGE_SLOT(IRR + 0x20) |
                                               LAPIC_PAGE_SLOT(ISR + 0x20) |
                                               LAPIC_PAGE_SLOT(PPR));
    CHECK_EQ_U(page_at(page, PPR), 0x40);
    /* Reads change nothing. */
    (void)rd(&b, PPR);
    (void)rd(&b, TMCCT);
    CHECK_EQ_U(b.a.page_changes, 0);
    wr(&b, EOI, 0);
    CHECK_EQ_U(lapic_page_update(&b.a, page), LAPIC_PAGE_SLOT(EOI) |
                                               LAPIC_PAGE_SLOT(ISR + 0x20) |
                                               LAPIC_PAGE_SLOT(PPR));
    wr(&b, TPR, 0x10);
    CHECK_EQ_U(lapic_page_update(&b.a, page), LAPIC_PAGE_SLOT(TPR) | LAPIC_PAGE_SLOT(PPR));
    lapic_write_cr8(&b.a, 2);
    CHECK_EQ_U(lapic_page_update(&b.a, page), LAPIC_PAGE_SLOT(TPR) | LAPIC_PAGE_SLOT(PPR));
    CHECK_EQ_U(page_at(page, TPR), 0x20);
    /* Software disable masks every LVT entry. */
    wr(&b, SVR, 0xff);
    CHECK_EQ_U(lapic_page_update(&b.a, page),
               LAPIC_PAGE_SLOT(SVR) | LAPIC_PAGE_SLOT(LVTCMCI) | LAPIC_PAGE_SLOT(LVTT) |
               LAPIC_PAGE_SLOT(LVTTHERM) | LAPIC_PAGE_SLOT(LVTPC) | LAPIC_PAGE_SLOT(LVTLINT0) |
               LAPIC_PAGE_SLOT(LVTLINT1) | LAPIC_PAGE_SLOT(LVTERR));
    CHECK_EQ_U(page_at(page, LVTLINT0), 0x10000);
    software_enable(&b);
    /* Entering TSC-deadline mode disarms the count-down: initial count 0. */
    wr(&b, TMICT, 500);
    (void)lapic_page_update(&b.a, page);
    wr(&b, LVTT, TSC_DEADLINE_MODE | 0x51);
    CHECK_EQ_U(lapic_page_update(&b.a, page), LAPIC_PAGE_SLOT(LVTT) |
                                               LAPIC_PAGE_SLOT(TMICT));
    CHECK_EQ_U(page_at(page, TMICT), 0);
    /* A timer expiry puts its vector in IRR; TMR stays clear (edge). */
    wr(&b, LVTT, 0x51);
    wr(&b, TMICT, 10);
    (void)lapic_page_update(&b.a, page);
    advance(&b, 1000);
    CHECK(irr_has(&b, 0x51));
    CHECK_EQ_U(lapic_page_update(&b.a, page), LAPIC_PAGE_SLOT(IRR + 0x20));
    /* Accepted again while still in IRR: nothing changes. */
    CHECK(lapic_accept(&b.a, 0x51, false));
    CHECK_EQ_U(b.a.page_changes, 0);
    /* The same vector level-triggered: TMR changes. */
    CHECK(lapic_accept(&b.a, 0x51, true));
    CHECK_EQ_U(lapic_page_update(&b.a, page), LAPIC_PAGE_SLOT(TMR + 0x20));
    /* Someone else wrote the copy: that register is written again. */
    page[LVTERR / 4] = 0x1234;
    lapic_page_stale(&b.a, LVTERR + 2);
    CHECK_EQ_U(lapic_page_update(&b.a, page), LAPIC_PAGE_SLOT(LVTERR));
    CHECK_EQ_U(page_at(page, LVTERR), rd(&b, LVTERR));
    /* The mode changes every register. */
    enter_x2apic(&b);
    CHECK_EQ_U(b.a.page_changes, ~UINT64_C(0));
}

/* What VT-x's virtual-interrupt delivery does to VIRR and VISR while the
 * guest runs (SDM vol. 3C 29.2.2, 29.1.3, 29.1.4), done to a page by hand. */
static void page_set(uint32_t *page, unsigned base, unsigned vector, bool on)
{
    uint32_t *word = &page[(base + vector / 32 * 0x10) / 4];
    *word = on ? *word | 1u << (vector % 32) : *word & ~(1u << (vector % 32));
}

/* A copy the CPU writes IRR and ISR in, brought up to date and handed to
 * the guest as a backend does before an entry. */
static void share_and_run(struct bench *b, uint32_t *page, unsigned writes)
{
    lapic_copy_shared(&b->a, page, writes);
    lapic_page_fill(&b->a, page);
    lapic_copy_running(&b->a);
}

TEST(copy_is_taken_at_the_first_look_after_the_guest_ran)
{
    static struct bench b;
    static uint32_t page[LAPIC_PAGE_WORDS];
    bench_init(&b);
    software_enable(&b);
    CHECK(lapic_accept(&b.a, 0x61, true));          /* level, from an I/O APIC */
    CHECK(lapic_accept(&b.a, 0x40, false));
    CHECK(lapic_accept(&b.a, 0x38, true));
    share_and_run(&b, page, LAPIC_COPY_VECTORS);
    b.copy_stales = 0;
    /* The CPU delivers 0x61 and 0x40, the guest EOIs 0x61 (the bitmap
     * makes that exit later), and self-IPIs 0x38, which was level. */
    page_set(page, IRR, 0x61, false);
    page_set(page, ISR, 0x61, true);
    page_set(page, IRR, 0x40, false);
    page_set(page, ISR, 0x40, true);
    page_set(page, ISR, 0x61, false);
    page_set(page, IRR, 0x38, false);               /* delivered... */
    page_set(page, ISR, 0x38, true);
    page_set(page, ISR, 0x38, false);               /* ...EOId... */
    page_set(page, IRR, 0x38, true);                /* ...and self-IPIed again */
    page_set(page, IRR, 0x22, true);                /* a new self-IPI */
    /* Nothing is taken until the model is asked. */
    CHECK(irr_has(&b, 0x61) && irr_has(&b, 0x40) && !irr_has(&b, 0x22));
    CHECK_EQ_U(b.copy_stales, 0);
    CHECK_EQ_I(lapic_highest_request(&b.a), 0x38);
    CHECK_EQ_U(b.copy_stales, 1);
    CHECK(!b.a.copy_ahead);
    CHECK(!irr_has(&b, 0x61) && !isr_has(&b, 0x61));
    CHECK(!irr_has(&b, 0x40) && isr_has(&b, 0x40));
    CHECK(irr_has(&b, 0x38) && irr_has(&b, 0x22));
    CHECK_EQ_U(b.neois, 0);                         /* lapic_virtual_eoi() broadcasts */
    /* 0x38 was in IRR before: its TMR bit stays (the model cannot tell a
     * self-IPI from the interrupt it already had). 0x22 is edge. */
    CHECK(b.a.tmr[1] & (1u << (0x38 - 32)));
    CHECK_EQ_U(b.a.tmr[1] & (1u << (0x22 - 32)), 0);
    CHECK_EQ_U(b.a.page_changes, 0);                /* the page has all of it already */
    /* Once taken, the page is not looked at again before the guest runs
     * again: what the model sees is its own. */
    page_set(page, IRR, 0x23, true);
    CHECK_EQ_I(lapic_highest_request(&b.a), 0x38);
    CHECK(!irr_has(&b, 0x23));
    CHECK_EQ_U(b.copy_stales, 1);
    page_set(page, IRR, 0x23, false);
    /* A self-IPI of a vector whose TMR bit was set clears it, which the
     * page must be told: a change. */
    CHECK(lapic_accept(&b.a, 0x70, true));
    CHECK_EQ_I(take_interrupt(&b), 0x70);
    (void)lapic_page_update(&b.a, page);
    lapic_copy_running(&b.a);
    page_set(page, IRR, 0x70, true);
    CHECK_EQ_I(lapic_pending_vector(&b.a), -1);     /* 0x70 is in service too */
    CHECK_EQ_U(b.a.tmr[3] & (1u << (0x70 - 96)), 0);
    CHECK_EQ_U(b.a.page_changes, LAPIC_PAGE_SLOT(TMR + 0x30));
}

/* Every way into the model that reads or changes the vectors takes the
 * copy first: what the CPU did is never lost, nor overwritten. */
TEST(every_look_at_the_vectors_takes_the_copy)
{
    static struct bench b;
    static uint32_t page[LAPIC_PAGE_WORDS];
    bench_init(&b);
    software_enable(&b);
    /* An interrupt accepted while the guest ran: the CPU's delivery of
     * 0x50 is taken before 0x51 enters IRR, and both reach the copy. */
    CHECK(lapic_accept(&b.a, 0x50, false));
    share_and_run(&b, page, LAPIC_COPY_VECTORS);
    page_set(page, IRR, 0x50, false);
    page_set(page, ISR, 0x50, true);
    CHECK(lapic_accept(&b.a, 0x51, false));
    CHECK(isr_has(&b, 0x50) && !irr_has(&b, 0x50) && irr_has(&b, 0x51));
    (void)lapic_page_update(&b.a, page);
    CHECK_EQ_U(page[(IRR + 0x20) / 4], 1u << (0x51 - 64));
    CHECK_EQ_U(page[(ISR + 0x20) / 4], 1u << (0x50 - 64));
    /* A register read (PPR: the class of what the CPU put in service). */
    lapic_copy_running(&b.a);
    page_set(page, IRR, 0x51, false);
    page_set(page, ISR, 0x51, true);
    CHECK_EQ_U(rd(&b, PPR), 0x50);
    CHECK(isr_has(&b, 0x51));
    /* An x2APIC MSR read of ISR. */
    enter_x2apic(&b);
    share_and_run(&b, page, LAPIC_COPY_VECTORS);
    page_set(page, ISR, 0x51, false);               /* the guest's EOI */
    uint64_t value = 0;
    CHECK_EQ_I(msr_rd(&b, X2(ISR + 0x20), &value), LAPIC_OK);
    CHECK_EQ_U(value, 1u << (0x50 - 64));
    /* A timer expiry: the vector goes in beside what the CPU did. */
    share_and_run(&b, page, LAPIC_COPY_VECTORS);
    CHECK_EQ_I(msr_wr(&b, X2(LVTT), 0x60), LAPIC_OK);
    CHECK_EQ_I(msr_wr(&b, X2(TMICT), 10), LAPIC_OK);
    share_and_run(&b, page, LAPIC_COPY_VECTORS);
    page_set(page, ISR, 0x50, false);
    b.now += 1000;
    lapic_update(&b.a, b.now, tsc_of(&b));
    CHECK(irr_has(&b, 0x60) && !isr_has(&b, 0x50));
    /* An ack (the CPU EOId 0x60's predecessor, keel injects 0x60). */
    share_and_run(&b, page, LAPIC_COPY_VECTORS);
    page_set(page, IRR, 0x21, true);                /* a self-IPI */
    CHECK(lapic_ack(&b.a, 0x60));
    CHECK(irr_has(&b, 0x21) && isr_has(&b, 0x60));
    /* The highest in-service vector (for SVI). */
    share_and_run(&b, page, LAPIC_COPY_VECTORS);
    page_set(page, ISR, 0x60, false);
    CHECK_EQ_I(lapic_highest_in_service(&b.a), -1);
    /* A virtual EOI of a vector the CPU had made level by a self-IPI over
     * it: TMR is taken first, so no broadcast. */
    CHECK(lapic_accept(&b.a, 0x65, true));
    CHECK_EQ_I(take_interrupt(&b), 0x65);
    share_and_run(&b, page, LAPIC_COPY_VECTORS);
    page_set(page, IRR, 0x65, true);
    lapic_virtual_eoi(&b.a, 0x65);
    CHECK_EQ_U(b.neois, 0);
    /* Leaving x2APIC mode (disable) resets the registers after the take:
     * nothing the CPU left comes back. */
    share_and_run(&b, page, LAPIC_COPY_VECTORS);
    page_set(page, IRR, 0x66, true);
    CHECK_EQ_I(msr_wr(&b, APIC_BASE_MSR, 0xfee00000u | BSP), LAPIC_OK);
    CHECK_EQ_I(lapic_highest_request(&b.a), -1);
    (void)lapic_page_update(&b.a, page);
    CHECK_EQ_U(page[(IRR + 0x30) / 4], 0);
}

TEST(copy_not_ahead_is_never_read)
{
    static struct bench b;
    static uint32_t page[LAPIC_PAGE_WORDS];
    bench_init(&b);
    software_enable(&b);
    CHECK(lapic_accept(&b.a, 0x40, false));
    /* Shared but the guest has not run (no lapic_copy_running()). */
    lapic_copy_shared(&b.a, page, LAPIC_COPY_VECTORS);
    CHECK_EQ_I(lapic_highest_request(&b.a), 0x40);
    /* Running with a copy the CPU writes nothing in: never ahead. */
    lapic_copy_shared(&b.a, page, 0);
    lapic_page_fill(&b.a, page);
    lapic_copy_running(&b.a);
    CHECK(!b.a.copy_ahead);
    page_set(page, IRR, 0x40, false);
    CHECK_EQ_I(lapic_highest_request(&b.a), 0x40);
    /* No copy at all. */
    lapic_copy_shared(&b.a, NULL, LAPIC_COPY_VECTORS);
    lapic_copy_running(&b.a);
    CHECK(!b.a.copy_ahead);
    CHECK_EQ_I(lapic_highest_request(&b.a), 0x40);
    /* lapic_init() forgets the copy. */
    share_and_run(&b, page, LAPIC_COPY_VECTORS);
    bench_init(&b);
    CHECK(b.a.copy == NULL && !b.a.copy_ahead);
}

/* ICR high, which APIC-register virtualization lets the guest write in the
 * copy: the ICR low write that sends the IPI uses it. */
TEST(copy_icr_high_is_taken_in_xapic_mode)
{
    static struct bench b;
    static uint32_t page[LAPIC_PAGE_WORDS];
    bench_init(&b);
    software_enable(&b);
    share_and_run(&b, page, LAPIC_COPY_VECTORS | LAPIC_COPY_ICR_HIGH);
    page[ICR_HI / 4] = 0x05000000;                  /* to APIC ID 5: nobody here */
    wr(&b, ICR_LO, 0x41);
    CHECK_EQ_U(b.ndropped, 1);
    CHECK_EQ_U(b.dropped_dest[0], 5);
    CHECK_EQ_U(rd(&b, ICR_HI), 0x05000000);
    CHECK_EQ_U(b.a.page_changes & LAPIC_PAGE_SLOT(ICR_HI), 0);  /* the copy has it */
    (void)lapic_page_update(&b.a, page);
    lapic_copy_running(&b.a);
    page[ICR_HI / 4] = 0x00ffffff;                  /* reserved bits only: ID 0, us */
    wr(&b, ICR_LO, 0x42);
    CHECK(irr_has(&b, 0x42));
    CHECK_EQ_U(rd(&b, ICR_HI), 0);
    CHECK(b.a.page_changes & LAPIC_PAGE_SLOT(ICR_HI));       /* the copy reads 0 again */
    (void)lapic_page_update(&b.a, page);
    CHECK_EQ_U(page[ICR_HI / 4], 0);
    /* x2APIC mode has no ICR high: the word is not looked at. */
    enter_x2apic(&b);
    share_and_run(&b, page, LAPIC_COPY_VECTORS | LAPIC_COPY_ICR_HIGH);
    page[ICR_HI / 4] = 0x07000000;
    CHECK_EQ_I(msr_wr(&b, X2(ICR_LO), 0x43), LAPIC_OK);    /* destination 0: us */
    CHECK(irr_has(&b, 0x43));
    CHECK_EQ_U(b.ndropped, 1);
}

/* ops.copy_stale: once per parting, so that the backend brings the copy
 * up to date before the guest runs again. */
TEST(copy_stale_says_when_model_and_copy_part)
{
    static struct bench b;
    static uint32_t page[LAPIC_PAGE_WORDS];
    bench_init(&b);
    software_enable(&b);
    share_and_run(&b, page, LAPIC_COPY_VECTORS);
    b.copy_stales = 0;
    CHECK(lapic_accept(&b.a, 0x40, false));         /* a take, then a change */
    CHECK_EQ_U(b.copy_stales, 2);
    CHECK(lapic_accept(&b.a, 0x41, false));         /* still parted: no more */
    wr(&b, LVTT, 0x30);
    CHECK_EQ_U(b.copy_stales, 2);
    (void)lapic_page_update(&b.a, page);
    wr(&b, LVTT, 0x31);                             /* up to date, then a change */
    CHECK_EQ_U(b.copy_stales, 3);
    (void)lapic_page_update(&b.a, page);
    (void)rd(&b, LVTT);                             /* reads change nothing */
    CHECK_EQ_U(b.copy_stales, 3);
}

TEST(virtual_eoi_broadcasts_only_level_vectors)
{
    static struct bench b;
    bench_init(&b);
    software_enable(&b);
    CHECK(lapic_accept(&b.a, 0x61, true));
    CHECK(lapic_accept(&b.a, 0x62, false));
    lapic_virtual_eoi(&b.a, 0x62);
    CHECK_EQ_U(b.neois, 0);
    b.redeliver_on_eoi = 0x61;
    lapic_virtual_eoi(&b.a, 0x61);
    CHECK_EQ_U(b.neois, 1);
    CHECK_EQ_U(b.eois[0], 0x61);
    CHECK(irr_has(&b, 0x61));       /* the I/O APIC delivered it again */
}
