/*
 * Host tests for guest/dev/ioapic.c, the guests' I/O APIC.
 *
 * Register values are written out as numbers from the 82093AA data sheet
 * (register descriptions and the IOREDTBL layout) and the version 0x20 EOI
 * register, not with the model's constants.  The first tests put the
 * IOAPIC alone on a bench whose outputs record every message; the last ones
 * wire it to a real local APIC (guest/dev/lapic.c) and replay the sequences
 * of kvm-unit-tests' x86/ioapic.c on one vCPU: the interrupt handler there
 * is "take the pending vector, do what the test's ISR does, EOI".
 */
#include "tests/unit/unit.h"

#include "guest/dev/ioapic.c"
#include "guest/dev/lapic.c"

/* Redirection table entry fields (82093AA data sheet, IOREDTBL). */
#define DM_LOWEST       0x100u
#define DM_SMI          0x200u
#define DM_RESERVED3    0x300u
#define DM_NMI          0x400u
#define DM_INIT         0x500u
#define DM_RESERVED6    0x600u
#define DM_EXTINT       0x700u
#define DEST_LOGICAL    0x800u
#define POLARITY_LOW    0x2000u
#define REMOTE_IRR      0x4000u
#define LEVEL           0x8000u
#define MASKED          0x10000u

struct message {
    uint8_t vector;
    bool level;
};

struct bench {
    struct ioapic io;
    struct message sent[64];
    size_t nsent;
    bool refuse;                /* the local APIC does not accept */
    unsigned nmis, inits, extints;
};

static bool bench_deliver(void *ctx, uint8_t vector, bool level_triggered)
{
    struct bench *b = ctx;
    if (b->nsent < 64)
        b->sent[b->nsent] = (struct message){ vector, level_triggered };
    b->nsent++;
    return !b->refuse;
}

static void bench_nmi(void *ctx)
{
    ((struct bench *)ctx)->nmis++;
}

static void bench_init_signal(void *ctx)
{
    ((struct bench *)ctx)->inits++;
}

static void bench_extint(void *ctx)
{
    ((struct bench *)ctx)->extints++;
}

static void bench_init(struct bench *b, uint8_t id)
{
    *b = (struct bench){ 0 };
    struct ioapic_ops ops = {
        .deliver = bench_deliver,
        .nmi = bench_nmi,
        .init = bench_init_signal,
        .extint = bench_extint,
        .ctx = b,
    };
    ioapic_init(&b->io, id, &ops);
}

static uint32_t reg_read(struct ioapic *io, uint8_t reg)
{
    ioapic_mmio_write(io, 0x00, 4, reg);
    return ioapic_mmio_read(io, 0x10, 4);
}

static void reg_write(struct ioapic *io, uint8_t reg, uint32_t value)
{
    ioapic_mmio_write(io, 0x00, 4, reg);
    ioapic_mmio_write(io, 0x10, 4, value);
}

static uint32_t redir_low(struct ioapic *io, unsigned pin)
{
    return reg_read(io, (uint8_t)(0x10 + 2 * pin));
}

static void set_redir(struct ioapic *io, unsigned pin, uint32_t low, uint32_t high)
{
    reg_write(io, (uint8_t)(0x10 + 2 * pin + 1), high);
    reg_write(io, (uint8_t)(0x10 + 2 * pin), low);
}

/* ------------------------------------------------------------------------ */
/* Registers                                                                */

TEST(reset_state)
{
    static struct bench b;
    bench_init(&b, 2);
    CHECK_EQ_U(ioapic_mmio_read(&b.io, 0x00, 4), 0);
    CHECK_EQ_U(reg_read(&b.io, 0x00), 0x02000000);
    CHECK_EQ_U(reg_read(&b.io, 0x01), 0x00170020);
    CHECK_EQ_U(reg_read(&b.io, 0x02), 0x02000000);
    unsigned bad = 0;
    for (unsigned pin = 0; pin < 24; pin++) {
        bad += redir_low(&b.io, pin) != 0x00010000;
        bad += reg_read(&b.io, (uint8_t)(0x11 + 2 * pin)) != 0;
    }
    CHECK_EQ_U(bad, 0);
    /* Only bits 3:0 of the ID given fit the ID field. */
    bench_init(&b, 0x1f);
    CHECK_EQ_U(reg_read(&b.io, 0x00), 0x0f000000);
}

TEST(id_version_and_arbitration_registers)
{
    static struct bench b;
    bench_init(&b, 1);
    /* kvm-unit-tests ioapic_reg_id: only bits 27:24 are writable. */
    uint32_t id = reg_read(&b.io, 0x00);
    reg_write(&b.io, 0x00, id ^ 0xffffffff);
    CHECK_EQ_U(id ^ reg_read(&b.io, 0x00), 0x0f000000);
    /* ioapic_reg_version: read-only. */
    reg_write(&b.io, 0x01, 0);
    CHECK_EQ_U(reg_read(&b.io, 0x01), 0x00170020);
    /* ioapic_arbitration_id: loaded by an ID write, else read-only. */
    reg_write(&b.io, 0x00, 0x0f000000);
    CHECK_EQ_U(reg_read(&b.io, 0x02), 0x0f000000);
    reg_write(&b.io, 0x02, 0);
    CHECK_EQ_U(reg_read(&b.io, 0x02), 0x0f000000);
    reg_write(&b.io, 0x00, 0x03000000);
    CHECK_EQ_U(reg_read(&b.io, 0x02), 0x03000000);
}

TEST(ioregsel_iowin_and_access_sizes)
{
    static struct bench b;
    bench_init(&b, 0);
    ioapic_mmio_write(&b.io, 0x00, 1, 0x01);
    CHECK_EQ_U(ioapic_mmio_read(&b.io, 0x00, 1), 0x01);
    CHECK_EQ_U(ioapic_mmio_read(&b.io, 0x10, 4), 0x00170020);
    ioapic_mmio_write(&b.io, 0x00, 4, 0xffffff10);
    CHECK_EQ_U(ioapic_mmio_read(&b.io, 0x00, 4), 0x10);        /* bits 7:0 only */
    ioapic_mmio_write(&b.io, 0x00, 2, 0x0002);
    CHECK_EQ_U(ioapic_mmio_read(&b.io, 0x00, 2), 0x02);
    /* IOWIN is dword-only; other offsets and sizes do nothing. */
    CHECK_EQ_U(ioapic_mmio_read(&b.io, 0x10, 2), 0);
    CHECK_EQ_U(ioapic_mmio_read(&b.io, 0x10, 8), 0);
    CHECK_EQ_U(ioapic_mmio_read(&b.io, 0x14, 4), 0);
    CHECK_EQ_U(ioapic_mmio_read(&b.io, 0x20, 4), 0);
    ioapic_mmio_write(&b.io, 0x00, 4, 0x00);
    ioapic_mmio_write(&b.io, 0x10, 2, 0x0a000000);
    ioapic_mmio_write(&b.io, 0x14, 4, 0x0a000000);
    ioapic_mmio_write(&b.io, 0x01, 1, 0x05);                   /* not IOREGSEL */
    CHECK_EQ_U(reg_read(&b.io, 0x00), 0);
    /* Unimplemented registers read 0 and ignore writes. */
    CHECK_EQ_U(reg_read(&b.io, 0x03), 0);
    reg_write(&b.io, 0x40, 0xffffffff);                        /* past entry 23 */
    CHECK_EQ_U(reg_read(&b.io, 0x40), 0);
    reg_write(&b.io, 0xff, 0xffffffff);
    CHECK_EQ_U(reg_read(&b.io, 0xff), 0);
    CHECK_EQ_U(b.nsent, 0);
}

TEST(redirection_entry_writable_bits)
{
    static struct bench b;
    bench_init(&b, 0);
    for (unsigned pin = 0; pin < 24; pin += 23) {
        set_redir(&b.io, pin, 0xffffffff, 0xffffffff);
        /* Delivery status (12) and Remote IRR (14) are read-only; 55:17 reserved. */
        CHECK_EQ_U(redir_low(&b.io, pin), 0x0001afff);
        CHECK_EQ_U(reg_read(&b.io, (uint8_t)(0x11 + 2 * pin)), 0xff000000);
    }
    set_redir(&b.io, 5, LEVEL | DEST_LOGICAL | 0x42, 0x03000000);
    CHECK_EQ_U(redir_low(&b.io, 5), 0x00008842);
    CHECK_EQ_U(reg_read(&b.io, 0x1b), 0x03000000);
    /* The halves are independent. */
    reg_write(&b.io, 0x1b, 0x07000000);
    CHECK_EQ_U(redir_low(&b.io, 5), 0x00008842);
    CHECK_EQ_U(b.nsent, 0);
}

/* ------------------------------------------------------------------------ */
/* Edge and level                                                           */

TEST(edge_triggered_pin_sends_on_rising_edges)
{
    static struct bench b;
    bench_init(&b, 0);
    set_redir(&b.io, 14, 0x76, 0);
    ioapic_set_irq(&b.io, 14, true);
    CHECK_EQ_U(b.nsent, 1);
    CHECK_EQ_U(b.sent[0].vector, 0x76);
    CHECK(!b.sent[0].level);
    ioapic_set_irq(&b.io, 14, true);            /* no edge */
    CHECK_EQ_U(b.nsent, 1);
    ioapic_set_irq(&b.io, 14, false);
    CHECK_EQ_U(b.nsent, 1);
    ioapic_set_irq(&b.io, 14, true);
    CHECK_EQ_U(b.nsent, 2);
    CHECK_EQ_U(redir_low(&b.io, 14), 0x76);     /* no Remote IRR, status idle */
    /* An EOI does nothing to an edge pin. */
    ioapic_eoi(&b.io, 0x76);
    CHECK_EQ_U(b.nsent, 2);
}

TEST(edge_while_masked_is_lost)
{
    static struct bench b;
    bench_init(&b, 0);
    set_redir(&b.io, 14, MASKED | 0x81, 0);
    ioapic_set_irq(&b.io, 14, true);
    ioapic_set_irq(&b.io, 14, false);
    set_redir(&b.io, 14, 0x81, 0);
    CHECK_EQ_U(b.nsent, 0);
    /* Unmasking while asserted is no edge either. */
    set_redir(&b.io, 14, MASKED | 0x81, 0);
    ioapic_set_irq(&b.io, 14, true);
    set_redir(&b.io, 14, 0x81, 0);
    CHECK_EQ_U(b.nsent, 0);
    ioapic_set_irq(&b.io, 14, false);
    ioapic_set_irq(&b.io, 14, true);
    CHECK_EQ_U(b.nsent, 1);
}

TEST(level_triggered_pin_and_remote_irr)
{
    static struct bench b;
    bench_init(&b, 0);
    set_redir(&b.io, 14, LEVEL | 0x77, 0);
    ioapic_set_irq(&b.io, 14, true);
    CHECK_EQ_U(b.nsent, 1);
    CHECK_EQ_U(b.sent[0].vector, 0x77);
    CHECK(b.sent[0].level);
    CHECK_EQ_U(redir_low(&b.io, 14), LEVEL | REMOTE_IRR | 0x77);
    /* While Remote IRR is set the pin sends nothing, however it toggles. */
    ioapic_set_irq(&b.io, 14, false);
    ioapic_set_irq(&b.io, 14, true);
    ioapic_set_irq(&b.io, 14, false);
    CHECK_EQ_U(b.nsent, 1);
    /* Remote IRR is read-only. */
    set_redir(&b.io, 14, LEVEL | 0x77, 0);
    CHECK_EQ_U(redir_low(&b.io, 14), LEVEL | REMOTE_IRR | 0x77);
    /* Another vector's EOI does not clear it. */
    ioapic_eoi(&b.io, 0x78);
    CHECK_EQ_U(redir_low(&b.io, 14), LEVEL | REMOTE_IRR | 0x77);
    /* Its own does; the line is low, so nothing is sent. */
    ioapic_eoi(&b.io, 0x77);
    CHECK_EQ_U(redir_low(&b.io, 14), LEVEL | 0x77);
    CHECK_EQ_U(b.nsent, 1);
    ioapic_set_irq(&b.io, 14, true);
    CHECK_EQ_U(b.nsent, 2);
}

TEST(eoi_with_the_pin_still_asserted_sends_again)
{
    static struct bench b;
    bench_init(&b, 0);
    set_redir(&b.io, 3, LEVEL | 0x9a, 0);
    ioapic_set_irq(&b.io, 3, true);
    ioapic_eoi(&b.io, 0x9a);
    CHECK_EQ_U(b.nsent, 2);
    CHECK_EQ_U(redir_low(&b.io, 3), LEVEL | REMOTE_IRR | 0x9a);
    /* One EOI clears every entry with that vector. */
    set_redir(&b.io, 4, LEVEL | 0x9a, 0);
    ioapic_set_irq(&b.io, 4, true);
    CHECK_EQ_U(b.nsent, 3);
    ioapic_set_irq(&b.io, 3, false);
    ioapic_set_irq(&b.io, 4, false);
    ioapic_eoi(&b.io, 0x9a);
    CHECK_EQ_U(redir_low(&b.io, 3), LEVEL | 0x9a);
    CHECK_EQ_U(redir_low(&b.io, 4), LEVEL | 0x9a);
}

TEST(masked_level_pin_sends_when_unmasked)
{
    static struct bench b;
    bench_init(&b, 0);
    set_redir(&b.io, 14, LEVEL | MASKED | 0x82, 0);
    ioapic_set_irq(&b.io, 14, true);
    CHECK_EQ_U(b.nsent, 0);
    set_redir(&b.io, 14, LEVEL | 0x82, 0);
    CHECK_EQ_U(b.nsent, 1);
    /* Masked while awaiting the EOI, the EOI sends nothing ... */
    set_redir(&b.io, 14, LEVEL | MASKED | 0x82, 0);
    ioapic_eoi(&b.io, 0x82);
    CHECK_EQ_U(b.nsent, 1);
    CHECK_EQ_U(redir_low(&b.io, 14), LEVEL | MASKED | 0x82);
    /* ... until the unmask. */
    set_redir(&b.io, 14, LEVEL | 0x82, 0);
    CHECK_EQ_U(b.nsent, 2);
}

TEST(refused_message_leaves_remote_irr_clear)
{
    static struct bench b;
    bench_init(&b, 0);
    b.refuse = true;
    set_redir(&b.io, 9, LEVEL | 0x90, 0);
    ioapic_set_irq(&b.io, 9, true);
    CHECK_EQ_U(b.nsent, 1);
    CHECK_EQ_U(redir_low(&b.io, 9), LEVEL | 0x90);
    /* The next event on the entry tries again. */
    b.refuse = false;
    reg_write(&b.io, 0x10 + 2 * 9 + 1, 0);
    CHECK_EQ_U(b.nsent, 2);
    CHECK_EQ_U(redir_low(&b.io, 9), LEVEL | REMOTE_IRR | 0x90);
}

TEST(an_entry_turned_edge_drops_remote_irr)
{
    static struct bench b;
    bench_init(&b, 0);
    set_redir(&b.io, 6, LEVEL | 0x60, 0);
    ioapic_set_irq(&b.io, 6, true);
    CHECK_EQ_U(redir_low(&b.io, 6), LEVEL | REMOTE_IRR | 0x60);
    set_redir(&b.io, 6, 0x60, 0);
    CHECK_EQ_U(redir_low(&b.io, 6), 0x60);
    CHECK_EQ_U(b.nsent, 1);
    /* Back to level with the pin asserted: it sends at once. */
    set_redir(&b.io, 6, LEVEL | 0x60, 0);
    CHECK_EQ_U(b.nsent, 2);
}

TEST(eoi_register_at_0x40)
{
    static struct bench b;
    bench_init(&b, 0);
    set_redir(&b.io, 2, LEVEL | 0x31, 0);
    ioapic_set_irq(&b.io, 2, true);
    ioapic_set_irq(&b.io, 2, false);
    ioapic_mmio_write(&b.io, 0x40, 4, 0x32);
    CHECK_EQ_U(redir_low(&b.io, 2), LEVEL | REMOTE_IRR | 0x31);
    ioapic_mmio_write(&b.io, 0x40, 4, 0xffffff31);             /* bits 7:0 */
    CHECK_EQ_U(redir_low(&b.io, 2), LEVEL | 0x31);
    CHECK_EQ_U(ioapic_mmio_read(&b.io, 0x40, 4), 0);
}

/* ------------------------------------------------------------------------ */
/* Delivery modes                                                           */

TEST(lowest_priority_is_fixed_delivery)
{
    static struct bench b;
    bench_init(&b, 0);
    set_redir(&b.io, 1, DM_LOWEST | LEVEL | 0x41, 0);
    ioapic_set_irq(&b.io, 1, true);
    CHECK_EQ_U(b.nsent, 1);
    CHECK_EQ_U(b.sent[0].vector, 0x41);
    CHECK(b.sent[0].level);
    CHECK_EQ_U(redir_low(&b.io, 1), DM_LOWEST | LEVEL | REMOTE_IRR | 0x41);
}

TEST(nmi_init_and_extint_are_edge_triggered)
{
    static struct bench b;
    bench_init(&b, 0);
    set_redir(&b.io, 2, DM_NMI | LEVEL, 0);
    set_redir(&b.io, 3, DM_INIT | LEVEL, 0);
    set_redir(&b.io, 0, DM_EXTINT, 0);
    for (unsigned i = 0; i < 2; i++) {
        ioapic_set_irq(&b.io, 2, true);
        ioapic_set_irq(&b.io, 3, true);
        ioapic_set_irq(&b.io, 0, true);
        ioapic_set_irq(&b.io, 2, true);         /* held: no new edge */
        ioapic_eoi(&b.io, 0);
        ioapic_set_irq(&b.io, 2, false);
        ioapic_set_irq(&b.io, 3, false);
        ioapic_set_irq(&b.io, 0, false);
    }
    CHECK_EQ_U(b.nmis, 2);
    CHECK_EQ_U(b.inits, 2);
    CHECK_EQ_U(b.extints, 2);
    CHECK_EQ_U(b.nsent, 0);
    CHECK_EQ_U(redir_low(&b.io, 2), DM_NMI | LEVEL);   /* never Remote IRR */
    /* Masked: nothing. */
    set_redir(&b.io, 2, DM_NMI | MASKED, 0);
    ioapic_set_irq(&b.io, 2, true);
    CHECK_EQ_U(b.nmis, 2);
}

TEST(smi_and_reserved_modes_reach_no_one)
{
    static struct bench b;
    bench_init(&b, 0);
    set_redir(&b.io, 4, DM_SMI | 0x44, 0);
    set_redir(&b.io, 5, DM_RESERVED3 | 0x45, 0);
    set_redir(&b.io, 6, DM_RESERVED6 | LEVEL | 0x46, 0);
    ioapic_set_irq(&b.io, 4, true);
    ioapic_set_irq(&b.io, 5, true);
    ioapic_set_irq(&b.io, 6, true);
    CHECK_EQ_U(b.io.dropped, 3);
    CHECK_EQ_U(b.nsent + b.nmis + b.inits + b.extints, 0);
    CHECK_EQ_U(redir_low(&b.io, 6), DM_RESERVED6 | LEVEL | 0x46);
}

TEST(null_outputs_count_as_dropped)
{
    static struct ioapic io;
    ioapic_init(&io, 0, NULL);
    set_redir(&io, 1, LEVEL | 0x51, 0);
    set_redir(&io, 2, DM_NMI, 0);
    ioapic_set_irq(&io, 1, true);
    ioapic_set_irq(&io, 2, true);
    CHECK_EQ_U(io.dropped, 2);
    CHECK_EQ_U(redir_low(&io, 1), LEVEL | 0x51);
}

TEST(polarity_and_destination_do_not_change_delivery)
{
    static struct bench b;
    bench_init(&b, 0);
    set_redir(&b.io, 10, POLARITY_LOW | LEVEL | 0xa0, 0x0f000000);
    set_redir(&b.io, 11, DEST_LOGICAL | 0xa1, 0x80000000);
    ioapic_set_irq(&b.io, 10, false);
    CHECK_EQ_U(b.nsent, 0);
    ioapic_set_irq(&b.io, 10, true);
    ioapic_set_irq(&b.io, 11, true);
    CHECK_EQ_U(b.nsent, 2);
    CHECK_EQ_U(b.sent[0].vector, 0xa0);
    CHECK_EQ_U(b.sent[1].vector, 0xa1);
}

TEST(pins_out_of_range_are_ignored)
{
    static struct bench b;
    bench_init(&b, 0);
    for (unsigned pin = 0; pin < 24; pin++)
        set_redir(&b.io, pin, 0x30 + pin, 0);
    ioapic_set_irq(&b.io, 24, true);
    ioapic_set_irq(&b.io, 31, true);
    ioapic_set_irq(&b.io, 1000, true);
    CHECK_EQ_U(b.nsent, 0);
    CHECK_EQ_U(b.io.asserted, 0);
    ioapic_set_irq(&b.io, 23, true);
    CHECK_EQ_U(b.nsent, 1);
    CHECK_EQ_U(b.sent[0].vector, 0x47);
}

TEST(irq_line_drives_its_pin)
{
    static struct bench b;
    bench_init(&b, 0);
    struct irq_line com1, ata;
    irq_line_init(&com1, 4);
    irq_line_init(&ata, 14);
    set_redir(&b.io, 4, 0x34, 0);
    set_redir(&b.io, 14, LEVEL | 0x3e, 0);
    irq_line_set(&ata, true);                   /* before connecting */
    ioapic_connect(&b.io, &com1);
    ioapic_connect(&b.io, &ata);
    CHECK_EQ_U(b.nsent, 1);                     /* the asserted level passed on */
    CHECK_EQ_U(b.sent[0].vector, 0x3e);
    irq_line_set(&com1, true);
    CHECK_EQ_U(b.nsent, 2);
    CHECK_EQ_U(b.sent[1].vector, 0x34);
    irq_line_set(&com1, false);
    irq_line_set(&ata, false);
    CHECK_EQ_U(b.io.asserted, 0);
}

/* ------------------------------------------------------------------------ */
/* With a local APIC: kvm-unit-tests' x86/ioapic.c on one vCPU              */

struct system {
    struct ioapic io;
    struct lapic apic;
};

static bool system_deliver(void *ctx, uint8_t vector, bool level_triggered)
{
    struct system *s = ctx;
    return lapic_accept(&s->apic, vector, level_triggered);
}

static void system_eoi_broadcast(void *ctx, uint8_t vector)
{
    struct system *s = ctx;
    ioapic_eoi(&s->io, vector);
}

static void system_init(struct system *s)
{
    struct ioapic_ops io_ops = { .deliver = system_deliver, .ctx = s };
    struct lapic_ops apic_ops = { .eoi_broadcast = system_eoi_broadcast, .ctx = s };
    struct lapic_config config = { .bsp = true, .x2apic = true };
    ioapic_init(&s->io, 1, &io_ops);
    lapic_init(&s->apic, &config, &apic_ops);
    lapic_mmio_write(&s->apic, 0xf0, 4, 0x1ff, 0);     /* SVR: software-enable */
}

/* The vCPU takes its next interrupt: returns its vector or -1. */
static int system_take(struct system *s)
{
    int vector = lapic_pending_vector(&s->apic);
    if (vector >= 0)
        lapic_ack(&s->apic, (uint8_t)vector);
    return vector;
}

static void system_eoi(struct system *s)
{
    lapic_mmio_write(&s->apic, 0xb0, 4, 0, 0);
}

static bool tmr_bit(struct system *s, unsigned vector)
{
    uint32_t reg = (uint32_t)lapic_mmio_read(&s->apic, 0x180 + 0x10 * (vector / 32), 4, 0);
    return reg & (1u << (vector % 32));
}

TEST(system_level_interrupt_handled_and_acknowledged)
{
    static struct system s;
    system_init(&s);
    set_redir(&s.io, 14, LEVEL | 0x77, 0);
    ioapic_set_irq(&s.io, 14, true);
    CHECK_EQ_I(system_take(&s), 0x77);
    CHECK(tmr_bit(&s, 0x77));
    CHECK_EQ_U(redir_low(&s.io, 14), LEVEL | REMOTE_IRR | 0x77);
    ioapic_set_irq(&s.io, 14, false);           /* the ISR quiets the device */
    system_eoi(&s);
    CHECK_EQ_U(redir_low(&s.io, 14), LEVEL | 0x77);
    CHECK_EQ_I(system_take(&s), -1);
}

TEST(system_coalesces_level_toggles_before_the_eoi)
{
    static struct system s;
    system_init(&s);
    set_redir(&s.io, 14, LEVEL | 0x98, 0);
    ioapic_set_irq(&s.io, 14, true);
    CHECK_EQ_I(system_take(&s), 0x98);
    ioapic_set_irq(&s.io, 14, false);
    ioapic_set_irq(&s.io, 14, true);
    ioapic_set_irq(&s.io, 14, false);
    system_eoi(&s);
    CHECK_EQ_I(system_take(&s), -1);
}

TEST(system_retriggers_a_level_pin_still_asserted_at_eoi)
{
    static struct system s;
    system_init(&s);
    set_redir(&s.io, 14, LEVEL | 0x9a, 0);
    ioapic_set_irq(&s.io, 14, true);
    CHECK_EQ_I(system_take(&s), 0x9a);
    system_eoi(&s);                             /* first ISR leaves the line up */
    CHECK_EQ_I(system_take(&s), 0x9a);
    ioapic_set_irq(&s.io, 14, false);           /* second ISR lowers it */
    system_eoi(&s);
    CHECK_EQ_I(system_take(&s), -1);
}

TEST(system_retriggers_after_mask_and_unmask)
{
    static struct system s;
    system_init(&s);
    set_redir(&s.io, 14, LEVEL | 0x83, 0);
    ioapic_set_irq(&s.io, 14, true);
    CHECK_EQ_I(system_take(&s), 0x83);
    set_redir(&s.io, 14, LEVEL | MASKED | 0x83, 0);     /* the ISR masks, then EOIs */
    system_eoi(&s);
    CHECK_EQ_I(system_take(&s), -1);
    set_redir(&s.io, 14, LEVEL | 0x83, 0);
    CHECK_EQ_I(system_take(&s), 0x83);
}

TEST(system_simultaneous_edges_by_priority)
{
    static struct system s;
    system_init(&s);
    set_redir(&s.io, 14, 0x78, 0);
    set_redir(&s.io, 15, 0x66, 0);
    ioapic_set_irq(&s.io, 15, true);            /* with interrupts disabled */
    ioapic_set_irq(&s.io, 15, false);
    ioapic_set_irq(&s.io, 14, true);
    ioapic_set_irq(&s.io, 14, false);
    CHECK_EQ_I(system_take(&s), 0x78);
    system_eoi(&s);
    CHECK_EQ_I(system_take(&s), 0x66);
    system_eoi(&s);
    CHECK_EQ_I(system_take(&s), -1);
}

TEST(system_tmr_tracks_edge_and_level_routes)
{
    static struct system s;
    system_init(&s);
    set_redir(&s.io, 14, 0x79, 0);
    ioapic_set_irq(&s.io, 14, true);
    ioapic_set_irq(&s.io, 14, false);
    CHECK_EQ_I(system_take(&s), 0x79);
    CHECK(!tmr_bit(&s, 0x79));
    system_eoi(&s);
    set_redir(&s.io, 14, LEVEL | 0x79, 0);
    ioapic_set_irq(&s.io, 14, true);
    CHECK_EQ_I(system_take(&s), 0x79);
    CHECK(tmr_bit(&s, 0x79));
    ioapic_set_irq(&s.io, 14, false);
    system_eoi(&s);
    CHECK(tmr_bit(&s, 0x79));                   /* kept until the next edge */
    set_redir(&s.io, 14, 0x79, 0);
    ioapic_set_irq(&s.io, 14, true);
    CHECK(!tmr_bit(&s, 0x79));
}

TEST(system_software_disabled_apic_refuses_and_remote_irr_stays_clear)
{
    static struct system s;
    system_init(&s);
    lapic_mmio_write(&s.apic, 0xf0, 4, 0xff, 0);
    set_redir(&s.io, 14, LEVEL | 0x85, 0);
    ioapic_set_irq(&s.io, 14, true);
    CHECK_EQ_U(redir_low(&s.io, 14), LEVEL | 0x85);
    lapic_mmio_write(&s.apic, 0xf0, 4, 0x1ff, 0);
    set_redir(&s.io, 14, LEVEL | 0x85, 0);      /* any event on the entry retries */
    CHECK_EQ_I(system_take(&s), 0x85);
    CHECK_EQ_U(redir_low(&s.io, 14), LEVEL | REMOTE_IRR | 0x85);
}
