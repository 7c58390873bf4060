/*
 * The guests' I/O APIC: a register model of the Intel 82093AA (its data
 * sheet's register descriptions are cited below as "the data sheet") with
 * the EOI register of the version 0x20 parts.  Pure logic; see
 * guest/dev/ioapic.h for the interface and what is and is not emulated.
 *
 * Remote IRR.  The data sheet sets it when a local APIC accepts a
 * level-triggered interrupt and clears it when that APIC's EOI for the
 * entry's vector arrives; while it is set the pin sends nothing more, so a
 * level interrupt is delivered once per EOI however often its line
 * toggles.  An edge-triggered entry never uses it, so the model clears it
 * whenever an entry becomes edge-triggered, rather than leave a stale bit
 * that no EOI would ever match.
 */
#include "guest/dev/ioapic.h"

/* IOREGSEL, ID and ARB (the data sheet's register descriptions). */
#define IOREGSEL_MASK               0xffu
#define IOAPIC_ID_MASK              0x0f000000u
#define IOAPIC_ID_SHIFT             24
#define IOAPIC_ID_BITS              0x0fu
#define EOI_VECTOR_MASK             0xffu

/* Redirection table entry fields (the data sheet's IOREDTBL description). */
#define RTE_VECTOR_MASK             UINT64_C(0xff)
#define RTE_DELIVERY_MODE_MASK      UINT64_C(0x700)
#define RTE_DELIVERY_MODE_SHIFT     8
#define RTE_DESTINATION_LOGICAL     (UINT64_C(1) << 11)
#define RTE_DELIVERY_STATUS         (UINT64_C(1) << 12)
#define RTE_POLARITY_LOW            (UINT64_C(1) << 13)
#define RTE_REMOTE_IRR              (UINT64_C(1) << 14)
#define RTE_TRIGGER_LEVEL           (UINT64_C(1) << 15)
#define RTE_MASKED                  (UINT64_C(1) << 16)
#define RTE_DESTINATION_MASK        (UINT64_C(0xff) << 56)
#define RTE_WRITABLE                (RTE_VECTOR_MASK | RTE_DELIVERY_MODE_MASK | \
                                     RTE_DESTINATION_LOGICAL | RTE_POLARITY_LOW | \
                                     RTE_TRIGGER_LEVEL | RTE_MASKED | RTE_DESTINATION_MASK)
#define RTE_RESET                   RTE_MASKED
#define RTE_HALF_SHIFT              32
#define RTE_LOW_HALF                UINT64_C(0xffffffff)

enum rte_delivery_mode {
    RTE_DELIVERY_FIXED = 0,
    RTE_DELIVERY_LOWEST_PRIORITY = 1,
    RTE_DELIVERY_SMI = 2,
    RTE_DELIVERY_NMI = 4,
    RTE_DELIVERY_INIT = 5,
    RTE_DELIVERY_EXTINT = 7,
};

static unsigned rte_delivery_mode(uint64_t rte)
{
    return (unsigned)((rte & RTE_DELIVERY_MODE_MASK) >> RTE_DELIVERY_MODE_SHIFT);
}

static bool is_fixed_delivery(uint64_t rte)
{
    unsigned mode = rte_delivery_mode(rte);
    return mode == RTE_DELIVERY_FIXED || mode == RTE_DELIVERY_LOWEST_PRIORITY;
}

/* NMI, INIT and ExtINT are edge-triggered whatever bit 15 says (the data
 * sheet's delivery mode descriptions). */
static bool is_level_triggered(uint64_t rte)
{
    return (rte & RTE_TRIGGER_LEVEL) && is_fixed_delivery(rte);
}

static bool pin_asserted(const struct ioapic *io, unsigned pin)
{
    return io->asserted & (1u << pin);
}

/* Sends entry `rte`'s message; returns whether a local APIC accepted it
 * (always true for NMI, INIT and ExtINT, which nothing can refuse). */
static bool send_rte_message(struct ioapic *io, uint64_t rte)
{
    void *ctx = io->ops.ctx;
    switch (rte_delivery_mode(rte)) {
    case RTE_DELIVERY_FIXED:
    case RTE_DELIVERY_LOWEST_PRIORITY:
        if (io->ops.deliver)
            return io->ops.deliver(ctx, (uint8_t)(rte & RTE_VECTOR_MASK), is_level_triggered(rte));
        break;
    case RTE_DELIVERY_NMI:
        if (io->ops.nmi) {
            io->ops.nmi(ctx);
            return true;
        }
        break;
    case RTE_DELIVERY_INIT:
        if (io->ops.init) {
            io->ops.init(ctx);
            return true;
        }
        break;
    case RTE_DELIVERY_EXTINT:
        if (io->ops.extint) {
            io->ops.extint(ctx);
            return true;
        }
        break;
    default:
        break;
    }
    io->dropped++;
    return false;
}

/* A level-triggered pin sends while asserted, unmasked and not awaiting
 * an EOI (see "Remote IRR" at the top of the file). */
static void service_level_pin(struct ioapic *io, unsigned pin)
{
    uint64_t rte = io->redirection[pin];
    if (!is_level_triggered(rte) || (rte & (RTE_MASKED | RTE_REMOTE_IRR)) || !pin_asserted(io, pin))
        return;
    if (send_rte_message(io, rte))
        io->redirection[pin] |= RTE_REMOTE_IRR;
}

/* ---- registers ---- */

static bool is_redirection_reg(unsigned reg)
{
    return reg >= IOAPIC_REDTBL && reg < IOAPIC_REDTBL + 2 * IOAPIC_NR_PINS;
}

static uint32_t read_ioapic_register(const struct ioapic *io, unsigned reg)
{
    if (is_redirection_reg(reg)) {
        unsigned n = reg - IOAPIC_REDTBL;
        uint64_t rte = io->redirection[n / 2];
        return (uint32_t)(n % 2 ? rte >> RTE_HALF_SHIFT : rte & RTE_LOW_HALF);
    }
    switch (reg) {
    case IOAPIC_ID:
        return io->id;
    case IOAPIC_VER:
        return IOAPIC_VERSION_VALUE;
    case IOAPIC_ARB:
        return io->arbitration_id;
    default:
        return 0;
    }
}

/* One half of entry `pin`; the read-only bits keep their state. */
static void write_redirection_half(struct ioapic *io, unsigned pin, bool high, uint32_t value)
{
    uint64_t old = io->redirection[pin];
    uint64_t half_mask = high ? RTE_LOW_HALF << RTE_HALF_SHIFT : RTE_LOW_HALF;
    uint64_t written = high ? (uint64_t)value << RTE_HALF_SHIFT : value;
    uint64_t rte = (old & ~(half_mask & RTE_WRITABLE)) | (written & half_mask & RTE_WRITABLE);
    if (!is_level_triggered(rte))
        rte &= ~RTE_REMOTE_IRR;
    io->redirection[pin] = rte;
    service_level_pin(io, pin);
}

static void write_ioapic_register(struct ioapic *io, unsigned reg, uint32_t value)
{
    if (is_redirection_reg(reg)) {
        unsigned n = reg - IOAPIC_REDTBL;
        write_redirection_half(io, n / 2, n % 2, value);
        return;
    }
    if (reg == IOAPIC_ID) {
        /* The data sheet: the arbitration ID is loaded with the ID. */
        io->id = value & IOAPIC_ID_MASK;
        io->arbitration_id = io->id;
    }
}

static bool is_byte_word_or_dword(unsigned size)
{
    return size == 1 || size == 2 || size == 4;
}

/* ---- the interface ---- */

void ioapic_init(struct ioapic *io, uint8_t id, const struct ioapic_ops *ops)
{
    *io = (struct ioapic){ .id = (uint32_t)(id & IOAPIC_ID_BITS) << IOAPIC_ID_SHIFT };
    io->arbitration_id = io->id;
    if (ops)
        io->ops = *ops;
    for (unsigned pin = 0; pin < IOAPIC_NR_PINS; pin++)
        io->redirection[pin] = RTE_RESET;
}

uint32_t ioapic_mmio_read(struct ioapic *io, uint64_t offset, unsigned size)
{
    if (offset == IOAPIC_IOREGSEL && is_byte_word_or_dword(size))
        return io->ioregsel;
    if (offset == IOAPIC_IOWIN && size == 4)
        return read_ioapic_register(io, io->ioregsel);
    return 0;
}

void ioapic_mmio_write(struct ioapic *io, uint64_t offset, unsigned size, uint32_t value)
{
    if (offset == IOAPIC_IOREGSEL && is_byte_word_or_dword(size))
        io->ioregsel = (uint8_t)(value & IOREGSEL_MASK);
    else if (offset == IOAPIC_IOWIN && size == 4)
        write_ioapic_register(io, io->ioregsel, value);
    else if (offset == IOAPIC_EOI && is_byte_word_or_dword(size))
        ioapic_eoi(io, (uint8_t)(value & EOI_VECTOR_MASK));
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
    if (pin >= IOAPIC_NR_PINS)
        return;
    bool was_asserted = pin_asserted(io, pin);
    if (level)
        io->asserted |= 1u << pin;
    else
        io->asserted &= ~(1u << pin);

    uint64_t rte = io->redirection[pin];
    if (is_level_triggered(rte))
        service_level_pin(io, pin);
    else if (level && !was_asserted && !(rte & RTE_MASKED))
        send_rte_message(io, rte);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
    for (unsigned pin = 0; pin < IOAPIC_NR_PINS; pin++) {
        uint64_t rte = io->redirection[pin];
        if (!(rte & RTE_REMOTE_IRR) || (rte & RTE_VECTOR_MASK) != vector)
            continue;
        io->redirection[pin] = rte & ~RTE_REMOTE_IRR;
        service_level_pin(io, pin);
    }
}

static void line_changed(void *ctx, unsigned irq, bool level)
{
    ioapic_set_irq(ctx, irq, level);
}

void ioapic_connect(struct ioapic *io, struct irq_line *line)
{
    line->set = line_changed;
    line->ctx = io;
    ioapic_set_irq(io, line->irq, line->level);
}
