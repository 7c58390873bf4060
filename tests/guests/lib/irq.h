/*
 * Interrupt plumbing for the guests that take interrupts (apic, intr): the
 * 8259 pair programmed for delivery (pic.h covers polled guests), the
 * local APIC and I/O APIC operations every test repeats, the interrupt
 * lines behind ports 0x2000-0x2017, and a log that handlers fill and tests
 * wait on.
 *
 * Handlers are installed with idt_set_handler() (idt.h) and run with IF = 0
 * on the interrupted code's stack.  A test that expects an interrupt waits
 * for the log to grow with irq_wait_for(), which gives up after a bounded
 * number of polls, so a lost interrupt is a FAIL line rather than a hang.
 */
#ifndef GUEST_LIB_IRQ_H
#define GUEST_LIB_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/apic.h"
#include "lib/idt.h"
#include "lib/pic.h"

static inline void sti(void)
{
    __asm__ __volatile__("sti" : : : "memory");
}

/* STI, one NOP (the instruction STI's shadow covers), CLI: every interrupt
 * that is pending and deliverable is taken between the NOP and the CLI. */
static inline void irq_window(void)
{
    __asm__ __volatile__("sti\n\tnop\n\tcli" : : : "memory");
}

/* ---- waiting ------------------------------------------------------------- */

/* Polls before irq_wait_for() gives up: far more than any emulator or keel
 * needs to deliver an interrupt that is already pending (one exit), and
 * on Bochs (100 M instructions per emulated second) about 30 ms. */
#define IRQ_WAIT_POLLS 1000000u
/* Polls a test spends making sure an interrupt that must not come does not
 * come: enough for keel to have taken several exits in between. */
#define IRQ_HOLD_POLLS 20000u

/* Spins 'polls' times (PAUSE), with IF as the caller left it. */
void irq_spin(unsigned polls);

/* ---- the log handlers fill ----------------------------------------------- */

#define IRQ_LOG_SIZE 16u

struct irq_event {
    uint8_t vector;
    uint32_t eip;               /* where the interrupted code resumes */
};

/* Events in the order they were taken; irq_log_count keeps counting past
 * IRQ_LOG_SIZE (the extra events are not stored). */
extern volatile struct irq_event irq_log[IRQ_LOG_SIZE];
extern volatile unsigned irq_log_count;

void irq_log_reset(void);
/* Appends frame's vector and EIP; for handlers. */
void irq_log_event(const struct exception_frame *frame);
/* Polls until irq_log_count >= count or IRQ_WAIT_POLLS pass; true when
 * reached. */
bool irq_wait_for(unsigned count);
/* "0x41 0x71" (the logged vectors) into buf, for FAIL detail lines. */
const char *irq_log_vectors(char *buf, unsigned size);

/* ---- the local APIC, xAPIC mode ------------------------------------------ */

/* Software-enables the APIC with 'spurious_vector', TPR 0, the timer,
 * thermal, performance-counter, error and CMCI entries masked, LINT0
 * ExtINT (the 8259's INTR, virtual wire mode) and LINT1 NMI, and writes ESR
 * twice so it reads 0.  Anything in ISR is ended with EOIs. */
void lapic_setup(uint8_t spurious_vector);

/* Bit 'vector' of ISR, TMR or IRR ('first' = APIC_ISR, APIC_TMR, APIC_IRR). */
bool lapic_vector_bit(enum apic_reg first, unsigned vector);

void lapic_eoi(void);

/* A fixed IPI of 'vector' with the destination shorthand self (SDM 11.6.1). */
void lapic_self_ipi(uint8_t vector);

/* The timer counting 'count' bus clocks (divide by 1) once, then raising
 * 'vector'; lapic_timer_stop() disarms it. */
void lapic_timer_one_shot(uint8_t vector, uint32_t count);
void lapic_timer_stop(void);

/* ---- the 8259 pair, interrupt-driven ------------------------------------- */

#define PIC_IRQS_PER_CHIP   8u
#define PIC_ELCR_MASTER     0x4D0   /* ELCR1: bit n = IRQ n level-triggered */
#define PIC_ELCR_SLAVE      0x4D1   /* ELCR2: bit n = IRQ 8 + n */

/* Command words (Intel 8259A data sheet, "Programming the 8259A"). */
#define PIC_ICW1_INIT       0x10u   /* with A0 = 0: starts the ICW sequence */
#define PIC_ICW1_ICW4       0x01u   /* an ICW4 follows */
#define PIC_ICW4_8086       0x01u
#define PIC_ICW4_AUTO_EOI   0x02u
#define PIC_OCW2_EOI        0x20u   /* non-specific EOI */
#define PIC_OCW2_SPECIFIC   0x40u   /* SL: L2-L0 name the IR */
#define PIC_OCW3            0x08u   /* D3 = 1 with A0 = 0 */
#define PIC_OCW3_READ_IRR   (PIC_OCW3 | 0x02u)
#define PIC_OCW3_READ_ISR   (PIC_OCW3 | 0x03u)
#define PIC_OCW3_POLL       (PIC_OCW3 | 0x04u)
#define PIC_POLL_REQUEST    0x80u   /* poll answer: I = 1, W2-W0 = the IR */
#define PIC_POLL_IR_MASK    0x07u

/* ICW1-ICW4 on both chips (edge, cascade on IR2, 8086 mode, auto-EOI as
 * asked), the vectors 'master_base' and 'slave_base' (multiples of 8), then
 * every input masked but the master's cascade input IR2.  ELCR is left
 * alone. */
void pic_program(uint8_t master_base, uint8_t slave_base, bool auto_eoi);

void pic_unmask_irq(unsigned irq);
/* IMR of both chips: bit n = IRQ n. */
uint16_t pic_read_imr(void);
/* ISR of both chips (OCW3 RIS), leaving IRR selected for reads again. */
uint16_t pic_read_isr(void);
/* A non-specific EOI to the chip serving 'irq' (both chips for 8-15). */
void pic_send_eoi(unsigned irq);
/* ELCR of both chips: bit n = IRQ n. */
uint16_t pic_read_elcr(void);
void pic_write_elcr(uint16_t elcr);

/* ---- the I/O APIC -------------------------------------------------------- */

uint64_t ioapic_read_redirection(unsigned pin);
/* Writes the high half first, so an unmasked low half takes effect with
 * its destination in place. */
void ioapic_write_redirection(unsigned pin, uint64_t entry);
/* Pins the version register reports (Max Redirection Entry + 1). */
unsigned ioapic_pin_count(void);
/* Every pin masked, edge, vector 0. */
void ioapic_mask_all(void);

/* ---- interrupt lines driven by the guest --------------------------------- */

/* keel's testdev (and QEMU's pc-testdev): an OUT of a byte to port
 * 0x2000 + n drives GSI n to (byte != 0).  GSIs 0-15 are the ISA IRQs,
 * reaching 8259 input n and I/O APIC pin n; 16-23 reach the I/O APIC alone. */
#define IRQ_LINE_PORT       0x2000
#define IRQ_LINE_COUNT      24u
#define IRQ_LINE_FIRST_PCI  16u

void irq_line_set(unsigned gsi, bool asserted);

/* Whether the lines exist.  Under keel: the VM has `testdev` (port 0xE4
 * answers).  Bare: a pulse on line 'probe_irq' (an ISA IRQ no device
 * uses) reaches the 8259's IRR; this re-programs the 8259 pair (all masked,
 * vectors 0x20/0x28) to clear what the probe left. */
bool irq_lines_present(unsigned probe_irq);

#endif
