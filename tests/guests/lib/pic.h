/*
 * The two cascaded 8259A interrupt controllers of a PC, as far as polled
 * test guests use them: masking lines, re-initialising them all masked,
 * and reading the interrupt request register to see whether a device raised
 * its line.  The guests never set EFLAGS.IF, so nothing is ever delivered:
 * the IRR is only looked at.
 *
 * An 8259A latches a request in IRR whether or not the line is masked in
 * IMR (the mask acts between IRR and ISR; Intel 8259A data sheet, "Interrupt
 * Sequence"), and in edge-triggered mode only a low-to-high transition sets
 * the bit.  Initialisation (ICW1) resets the edge detection.
 */
#ifndef GUEST_LIB_PIC_H
#define GUEST_LIB_PIC_H

#include <stdbool.h>
#include <stdint.h>

#define PIC_MASTER_COMMAND 0x20
#define PIC_MASTER_DATA    0x21     /* IMR after initialisation */
#define PIC_SLAVE_COMMAND  0xA0
#define PIC_SLAVE_DATA     0xA1
#define PIC_SLAVE_FIRST_IRQ 8       /* IRQ 8-15 are slave inputs 0-7 */
#define PIC_CASCADE_IRQ    2        /* the slave's INT goes to master input 2 */

/* Vectors the guests program (never delivered: IF stays 0). */
#define PIC_MASTER_VECTOR_BASE 0x20
#define PIC_SLAVE_VECTOR_BASE  0x28

/* Sets IRQ 'irq' (0-15)'s bit in its controller's IMR. */
void pic_mask_irq(unsigned irq);

/* ICW1-ICW4 on both controllers (edge triggered, cascade on IRQ 2, 8086
 * mode), then every line masked.  Clears stale edge state. */
void pic_init_all_masked(void);

/* True when both IMRs hold a written value, i.e. 8259s answer at 0x21 and
 * 0xA1 (an unclaimed port reads 0xFF whatever was written).  Leaves every
 * line masked. */
bool pic_present(void);

/* IRR of both controllers: bit n is IRQ n. */
uint16_t pic_read_irr(void);

#endif
