/*
 * The I/O APIC guests see at 0xFEC00000 (guest/dev/ioapic.c), modelled on
 * the Intel 82093AA I/O APIC data sheet ("the data sheet") with the
 * additions of the version 0x20 I/O APICs in Intel's I/O controller hubs
 * (their data sheets' "Advanced Programmable Interrupt Controller" chapter:
 * the EOI register at offset 0x40).  Register and field names are theirs.
 *
 * A pure register model: no CPU access, so it builds and is tested on the
 * host.  Inputs are 24 interrupt pins, driven with ioapic_set_irq() (or by
 * a struct irq_line connected with ioapic_connect()); outputs are the
 * callbacks of struct ioapic_ops; the local APIC's EOI broadcast comes back
 * in through ioapic_eoi().
 *
 * What the model does and where it departs from silicon, in short:
 * - Edge-triggered pins send one message per rising edge while unmasked;
 *   an edge while masked is lost.  Level-triggered pins send whenever the
 *   pin is asserted, unmasked and Remote IRR is 0, and set Remote IRR when
 *   the local APIC accepted the message; an EOI for the entry's vector
 *   clears Remote IRR, after which a still-asserted pin sends again.  So
 *   does unmasking an asserted level pin.
 * - NMI, INIT and ExtINT messages are edge-triggered whatever the trigger
 *   mode bit says (the data sheet's delivery mode table); SMI and the two
 *   reserved modes reach no one and are counted in `dropped`.  Lowest
 *   priority is fixed delivery: there is one local APIC.
 * - The destination and destination mode are stored but do not route: every
 *   message goes to the one vCPU.
 * - `level` in ioapic_set_irq() is whether the pin is asserted, after the
 *   board's wiring: the polarity bit is stored but does not invert it (the
 *   devices' struct irq_line already says "asserted").
 * - Delivery is instantaneous, so Delivery Status always reads 0 (idle).
 * - Only IOREGSEL, IOWIN and EOI exist in the register window; the version
 *   0x20 IRQ Pin Assertion register is not implemented (Version[15] = 0).
 */
#ifndef KEEL_GUEST_DEV_IOAPIC_H
#define KEEL_GUEST_DEV_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/irq.h"

#define IOAPIC_DEFAULT_BASE     UINT64_C(0xfec00000)
#define IOAPIC_MMIO_SIZE        0x1000u

/* The memory-mapped registers, as offsets from the base. */
enum ioapic_mmio_reg {
    IOAPIC_IOREGSEL = 0x00,     /* selects the register IOWIN reaches (bits 7:0) */
    IOAPIC_IOWIN = 0x10,
    IOAPIC_EOI = 0x40,          /* version 0x20: write a vector = its EOI */
};

/* The registers behind IOWIN, by IOREGSEL value.  Redirection table entry
 * n is IOAPIC_REDTBL + 2n (bits 31:0) and IOAPIC_REDTBL + 2n + 1 (63:32). */
enum ioapic_reg {
    IOAPIC_ID = 0x00,
    IOAPIC_VER = 0x01,
    IOAPIC_ARB = 0x02,
    IOAPIC_REDTBL = 0x10,
};

#define IOAPIC_NR_PINS          24
/* Version 0x20, maximum redirection entry 23 (bits 23:16). */
#define IOAPIC_VERSION_VALUE    0x00170020u

/* The model's outputs; each may be NULL (the message then reaches no one).
 * Called during the ioapic_* call that caused the message. */
struct ioapic_ops {
    /* A fixed or lowest-priority message.  Returns whether the local APIC
     * accepted it (lapic_accept()); a level-triggered pin sets Remote IRR
     * only then. */
    bool (*deliver)(void *ctx, uint8_t vector, bool level_triggered);
    void (*nmi)(void *ctx);
    void (*init)(void *ctx);
    /* ExtINT: the vCPU is to take the 8259's vector, as if from INTR. */
    void (*extint)(void *ctx);
    void *ctx;
};

/* One I/O APIC.  The fields are the model's state, public only so it can be
 * allocated statically and inspected by tests; use the functions below. */
struct ioapic {
    struct ioapic_ops ops;
    uint8_t ioregsel;
    uint32_t id;                /* IOAPICID: ID in bits 27:24 */
    uint32_t arbitration_id;    /* IOAPICARB: bits 27:24 */
    uint64_t redirection[IOAPIC_NR_PINS];
    uint32_t asserted;          /* bit n: pin n is asserted */
    uint64_t dropped;           /* messages that reached no one */
};

/* Puts `io` in its reset state (the data sheet: every redirection entry
 * masked with all other fields 0, IOREGSEL 0) with ID and arbitration ID
 * `id` (bits 3:0; the firmware's assignment, which the ACPI MADT must
 * repeat) and no pin asserted.  `ops` is copied and may be NULL. */
void ioapic_init(struct ioapic *io, uint8_t id, const struct ioapic_ops *ops);

/* A guest read of `size` bytes at `offset` from the base.  IOREGSEL
 * (offset 0, size 1, 2 or 4) reads the selector; IOWIN (offset 0x10,
 * size 4) reads the selected register, 0 for an unimplemented one.  Every
 * other access, EOI included, reads 0. */
uint32_t ioapic_mmio_read(struct ioapic *io, uint64_t offset, unsigned size);

/* A guest write.  IOREGSEL takes bits 7:0 (size 1, 2 or 4); IOWIN (size 4)
 * writes the selected register: ID bits 27:24 (also loading the
 * arbitration ID, as the data sheet says), the writable fields of a
 * redirection entry (Delivery Status and Remote IRR are read-only);
 * VER and ARB are read-only.  EOI (offset 0x40, size 1, 2 or 4) is
 * ioapic_eoi(value & 0xFF).  Other accesses are ignored. */
void ioapic_mmio_write(struct ioapic *io, uint64_t offset, unsigned size, uint32_t value);

/* Pin `pin` (0-23; others are ignored) is now asserted (`level`) or not. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);

/* The local APIC's EOI broadcast for `vector` (lapic_ops.eoi_broadcast):
 * clears Remote IRR of every entry with that vector; pins still asserted
 * send again. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

/* Makes `line` drive pin line->irq (ISA IRQ n on pin n; a board that wires
 * IRQ 0 to pin 2 must say so in the MADT and connect accordingly) and
 * passes on its current level.  This takes the line's only listener slot:
 * a line that also feeds an 8259 needs a listener that calls both. */
void ioapic_connect(struct ioapic *io, struct irq_line *line);

#endif
