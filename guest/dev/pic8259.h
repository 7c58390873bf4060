/*
 * The PC's two cascaded 8259A interrupt controllers and the PIIX edge/level
 * control register (guest/dev/pic8259.c), modelled on the Intel 8259A
 * Programmable Interrupt Controller data sheet ("the data sheet") and the
 * Intel 82371AB PIIX4 data sheet for the ELCR.  Names are the data sheet's:
 * IRR (interrupt request), ISR (in service), IMR (interrupt mask), ICW1-4,
 * OCW1-3, IR0-7 (a chip's inputs), INT (a chip's output), INTA.
 *
 * Two layers in one file:
 * - a pure model, struct pic8259: no CPU access, no time.  Inputs: the
 *   sixteen ISA IRQ lines (pic_set_irq), guest port accesses (pic_read,
 *   pic_write) and the CPU's interrupt acknowledge (pic_acknowledge).
 *   Output: the master's INT, i.e. the CPU's INTR pin (pic_has_interrupt),
 *   reported on every change through a callback.
 * - pic8259_attach(): one model per VM on ports 0x20-0x21 (master),
 *   0xA0-0xA1 (slave) and 0x4D0-0x4D1 (ELCR).
 *
 * Wiring (fixed, as on every PC): the master takes IRQ 0-7 on IR0-7, the
 * slave IRQ 8-15 on IR0-7, and the slave's INT drives the master's IR2.
 * Which chip is the master is this wiring, not ICW4's M/S bit (kept, no
 * effect).  IRQ 2 is the cascade and takes no device: pic_set_irq(pic, 2, ...)
 * is ignored (an ISA card's IRQ2 pin reaches the PC as IRQ 9).
 *
 * What the model does, and where it departs from the data sheet:
 * - Edge-triggered inputs latch: a low-to-high transition sets the IRR bit,
 *   which stays set until the request is acknowledged (or ICW1 resets the
 *   chip), even if the line goes low first.  The data sheet asks the line to
 *   stay high until the first INTA and withdraws the request otherwise; in
 *   keel a device may raise and lower a line between two guest instructions
 *   and the interrupt reaches the vCPU only at its next entry, so
 *   withdrawing would lose real edges.  (KVM and QEMU latch the same way.)
 * - Level-triggered inputs (ELCR bit set): IRR follows the line at all
 *   times; after the EOI a line still high is delivered again.
 * - The master's IR2 follows the slave's INT as a level, whatever the
 *   (fixed 0) ELCR bit says: the master requests IR2 exactly while the
 *   slave has a request to present, and stops when that request goes (the
 *   slave's line fell, it was masked, or the slave was polled).  The real
 *   pair behaves so too, since an 8259A input must stay high until INTA;
 *   latching IR2 would leave stale cascade requests that end as spurious
 *   IRQ 15s silicon does not produce.
 * - Spurious interrupts: pic_acknowledge() with no request to deliver
 *   returns the master's IR7 vector and sets no ISR bit.  A request that
 *   went away between pic_has_interrupt() and pic_acknowledge() (its level
 *   line fell, or it was masked) gives it, a slave request too: the
 *   master's IR2 goes with it, as on the real pair.  The slave's IR7 vector
 *   (spurious IRQ 15) needs the slave's request to vanish inside one INTA
 *   cycle, which a single call cannot see; the slave would still answer IR7
 *   if it ever had nothing when named.
 * - ICW1's LTIM bit is ignored, as on PIIX: the ELCR decides.  ICW1 clears
 *   IRR (edge latches; level inputs and IR2 keep following), ISR, IMR, the
 *   special mask mode, poll, rotate-in-AEOI and the priority rotation (IR7
 *   lowest), and selects IRR for reads.  Without IC4, ICW4's functions are
 *   cleared.
 * - 8080/85 mode (ICW4 uPM = 0) is not emulated: vectors are formed as in
 *   8086 mode from ICW2 bits 7:3 whatever uPM says.  ADI, BUF and M/S are
 *   kept and have no effect.
 * - Cascade acknowledge: the master puts the IR number on its CAS lines when
 *   its ICW3 marks that IR as having a slave (and ICW1 said cascade mode);
 *   the slave answers when that number is its ICW3 ID.  If no slave answers
 *   (a guest programmed mismatching ICW3s) nobody drives the data bus and
 *   the vector reads 0xFF.
 * - Special fully nested mode (ICW4 SFNM) on the master: a request on a
 *   cascade input is accepted while that input is in service (a higher
 *   slave request), lower master inputs stay blocked.
 * - Poll (OCW3 P): the next read of either port of that chip is an
 *   acknowledge of that chip alone: 0x80 | IR, with ISR and IRR updated as
 *   by INTA (auto-EOI applies), or 0x00 when nothing is requested.
 *
 * Reset state (pic_init): the state a PC BIOS hands over, because keel starts
 * guests without firmware: both chips initialised (edge, cascade on IR2,
 * 8086 mode, normal EOI), master vectors 0x08-0x0F, slave 0x70-0x77, every
 * input masked except the master's cascade IR2 (IMR 0xFB and 0xFF), IRR
 * selected for reads, ELCR all edge.
 */
#ifndef KEEL_GUEST_DEV_PIC8259_H
#define KEEL_GUEST_DEV_PIC8259_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/irq.h"

#define PIC_MASTER_COMMAND_PORT 0x20    /* A0 = 0: ICW1, OCW2, OCW3; reads IRR/ISR */
#define PIC_MASTER_DATA_PORT    0x21    /* A0 = 1: ICW2-4, OCW1; reads IMR */
#define PIC_SLAVE_COMMAND_PORT  0xa0
#define PIC_SLAVE_DATA_PORT     0xa1
#define PIC_ELCR_MASTER_PORT    0x4d0   /* ELCR1: IRQ 0-7, bit n = IRQ n */
#define PIC_ELCR_SLAVE_PORT     0x4d1   /* ELCR2: IRQ 8-15, bit n = IRQ 8+n */

#define PIC_NR_IRQS     16
#define PIC_CASCADE_IR  2               /* the master input the slave's INT drives */

/* ELCR bits that can be set: IRQ 0, 1, 2 (ELCR1) and 8, 13 (ELCR2) are
 * always edge-triggered on PIIX. */
#define PIC_ELCR_MASTER_WRITABLE 0xf8
#define PIC_ELCR_SLAVE_WRITABLE  0xde

/* Called with the new level of the master's INT (the CPU's INTR) on every
 * change, i.e. whenever pic_has_interrupt() changes. */
typedef void (*pic_output_fn)(void *ctx, bool intr);

/* The ICW sequence a chip expects next on its data port. */
enum pic_init_step {
    PIC_READY,                  /* initialised: data port writes are OCW1 */
    PIC_AWAIT_ICW2,
    PIC_AWAIT_ICW3,
    PIC_AWAIT_ICW4,
};

/* One 8259A.  Public only for static allocation and for tests to inspect. */
struct pic8259_chip {
    uint8_t irr, isr, imr;
    uint8_t lines;              /* input levels as last set: edge detection, level IRR */
    uint8_t elcr;               /* level-triggered inputs */
    enum pic_init_step init_step;
    bool single;                /* ICW1 SNGL */
    bool icw4_needed;           /* ICW1 IC4 */
    uint8_t vector_base;        /* ICW2 bits 7:3 */
    uint8_t icw3;               /* master: inputs with a slave; slave: its ID (bits 2:0) */
    uint8_t icw4;               /* as written (0 when ICW1 had no IC4) */
    bool auto_eoi;              /* ICW4 AEOI */
    bool special_fully_nested;  /* ICW4 SFNM */
    bool rotate_on_auto_eoi;    /* OCW2 "rotate in automatic EOI mode" */
    bool special_mask;          /* OCW3 SMM */
    bool read_isr;              /* OCW3 RIS: the command port reads ISR, else IRR */
    bool poll;                  /* OCW3 P: the next read is a poll */
    uint8_t lowest_priority;    /* the IR with the lowest priority (7 after ICW1) */
};

struct pic8259 {
    struct pic8259_chip master, slave;
    bool intr;                  /* the master's INT as last reported */
    pic_output_fn output;
    void *output_ctx;
};

/* Puts `pic` in the reset state above, INT deasserted, and connects its
 * output: `output(output_ctx, intr)` is called on every change of INT
 * (`output` may be NULL).  Input lines start low. */
void pic_init(struct pic8259 *pic, pic_output_fn output, void *output_ctx);

/* Sets input line `irq` (0-15) to `level` (true = asserted).  IRQ 2 and
 * numbers above 15 are ignored.  May call the output callback. */
void pic_set_irq(struct pic8259 *pic, unsigned irq, bool level);

/* Connects a device's interrupt line: its `set` hook now calls
 * pic_set_irq(pic, line->irq, level), and its current level is applied at
 * once.  `line->irq` is the ISA IRQ (0-15).  An irq_line has one hook, so
 * this replaces any other listener: a line that must also reach an I/O
 * APIC needs a hook of its own that calls pic_set_irq() and the other. */
void pic_connect_irq_line(struct pic8259 *pic, struct irq_line *line);

/* The master's INT output: true when an unmasked request outranks every
 * level in service, i.e. the CPU would be interrupted if its IF were 1. */
bool pic_has_interrupt(const struct pic8259 *pic);

/* The INTA cycle: resolves the highest-priority request (through the slave
 * for a cascade input), sets its ISR bit (unless auto-EOI), clears an
 * edge-triggered request from IRR, and returns the vector, 0-255: ICW2's
 * bits 7:3 | IR.  Always returns a vector: a spurious one when nothing is
 * requested (see above), 0xFF when no slave answers a cascade.  Call it when
 * the vCPU takes the interrupt, normally just after pic_has_interrupt()
 * said true.  May call the output callback. */
int pic_acknowledge(struct pic8259 *pic);

/* One guest byte read of `port`: 0x20/0x21/0xA0/0xA1 (IRR or ISR per
 * OCW3, IMR, or a poll result) and 0x4D0/0x4D1 (ELCR).  Any other port
 * reads 0xFF.  A poll read acknowledges and may call the output callback. */
uint8_t pic_read(struct pic8259 *pic, uint16_t port);

/* One guest byte write of `value` to `port` (the ports above); others are
 * ignored.  May call the output callback. */
void pic_write(struct pic8259 *pic, uint16_t port, uint8_t value);

struct vm;

/* Emulates the 8259A pair and ELCR on `vm`'s ports 0x20-0x21, 0xA0-0xA1 and
 * 0x4D0-0x4D1 (three port ranges), reset by every attach, with INT
 * reported to `output(output_ctx, intr)` (may be NULL).  Accesses of 2 or
 * 4 bytes are split into byte accesses at port, port+1, ... as the ISA bus
 * does; bytes outside the range read 0xFF and are not written.  Devices'
 * lines are connected afterwards with pic_connect_irq_line(pic8259_of(vm),
 * line). */
void pic8259_attach(struct vm *vm, pic_output_fn output, void *output_ctx);

/* The model attached to `vm`, or NULL when none is. */
struct pic8259 *pic8259_of(struct vm *vm);

#endif
