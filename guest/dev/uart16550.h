/*
 * The 16550A UART guests see (guest/dev/uart16550.c), modelled on the
 * National Semiconductor PC16550D data sheet (June 1995), "the data sheet"
 * below.  Register, bit and field names are the data sheet's.
 *
 * Two layers in one file:
 * - a pure register model, struct uart16550: no CPU access, no time, so it
 *   builds and is tested on the host.  Its two outputs are a transmit sink
 *   (called with every byte the guest sends) and an interrupt line.
 * - uart16550_attach(): puts one model on a VM's ports base..base+7, with
 *   the VM's console as the transmit sink.
 *
 * What the model does and where it departs from silicon, in short:
 * - Transmission is instantaneous: a THR write reaches the sink (or, in
 *   loopback, the receiver) at once, so LSR.THRE and LSR.TEMT always read 1
 *   and the transmitter FIFO is always empty.  The THRE interrupt still
 *   behaves as the data sheet's interrupt control table says: it is pending after every
 *   THR write (the byte has already gone) and after IER.ETBEI goes 0 -> 1,
 *   and is cleared by an IIR read that reports it or by a THR write.
 * - Line settings (LCR word length, parity, stop bits, break) and the
 *   divisor latch are stored and read back but change nothing: no parity,
 *   framing or break condition is ever detected (LSR bits 2-4 and 7 stay 0).
 * - No modem is attached: outside loopback CTS, DSR and DCD read 1 and RI
 *   reads 0, as with a null-modem cable that ties them active, so a polled
 *   driver that waits for CTS (or DSR/DCD) before sending never stalls.
 * - Character timeout (IIR = 0xC): see uart16550.c, "Character timeout".
 * - The interrupt output is the data sheet's INTR gated by MCR.OUT2, as PC
 *   serial cards wire it: asserted iff an enabled interrupt is pending and
 *   MCR.OUT2 is 1.  It is re-evaluated after every register access and
 *   every received byte.  (The gate is the MCR bit itself, also in loopback,
 *   where the real OUT2 pin is forced inactive; see uart16550.c.)
 */
#ifndef KEEL_GUEST_DEV_UART16550_H
#define KEEL_GUEST_DEV_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/irq.h"

/* Register offsets from the UART's base port (the data sheet's register summary).  Offsets
 * 0 and 1 are the divisor latch while LCR.DLAB is 1; offset 2 is IIR when
 * read and FCR when written, whatever DLAB says. */
enum uart16550_reg {
    UART16550_RBR = 0,          /* read, DLAB = 0 */
    UART16550_THR = 0,          /* write, DLAB = 0 */
    UART16550_DLL = 0,          /* DLAB = 1 */
    UART16550_IER = 1,          /* DLAB = 0 */
    UART16550_DLM = 1,          /* DLAB = 1 */
    UART16550_IIR = 2,          /* read */
    UART16550_FCR = 2,          /* write */
    UART16550_LCR = 3,
    UART16550_MCR = 4,
    UART16550_LSR = 5,
    UART16550_MSR = 6,
    UART16550_SCR = 7,
    UART16550_NR_REGS = 8,
};

#define UART16550_FIFO_SIZE 16

/* The PC's standard first two serial ports and their ISA IRQs. */
#define UART16550_COM1_BASE 0x3f8
#define UART16550_COM1_IRQ  4
#define UART16550_COM2_BASE 0x2f8
#define UART16550_COM2_IRQ  3
#define UART16550_NR_COM    2

/* Receives each byte the UART transmits, in order. */
typedef void (*uart16550_tx_fn)(void *ctx, uint8_t byte);

/* One UART.  The fields are the model's state, public only so a UART can be
 * allocated statically and inspected by its tests; use the functions below. */
struct uart16550 {
    struct irq_line *irq;
    uart16550_tx_fn tx;
    void *tx_ctx;

    uint8_t ier;                /* ERBFI, ETBEI, ELSI, EDSSI; bits 7:4 read 0 */
    uint8_t lcr;
    uint8_t mcr;                /* DTR, RTS, OUT1, OUT2, LOOP; bits 7:5 read 0 */
    uint8_t msr;                /* status bits 7:4 and delta bits 3:0 */
    uint8_t scr;
    uint8_t dll, dlm;
    bool fifo_enabled;          /* FCR bit 0 as last written */
    uint8_t rx_trigger;         /* FCR bits 7:6 as last written with bit 0 set */
    bool overrun;               /* LSR.OE, until LSR is read */
    bool thre_pending;          /* the THRE interrupt's latch (reported if ETBEI) */

    /* The receiver FIFO, a ring; it holds one byte (RBR) while FIFOs are off. */
    uint8_t rx_fifo[UART16550_FIFO_SIZE];
    uint8_t rx_head;            /* index of the oldest byte */
    uint8_t rx_count;
    uint8_t rbr;                /* the last byte read: RBR keeps it when empty */
};

/* Puts `u` in the data sheet's master-reset state (its reset configuration table: IER, FCR, LCR,
 * MCR = 0, IIR = 0x01, LSR = 0x60, MSR = CTS|DSR|DCD (0xb0) with no deltas,
 * receiver empty) and connects its outputs: `irq` (not NULL, the caller's;
 * its level is set to deasserted) and the transmit sink `tx(tx_ctx, byte)`
 * (not NULL).  The data sheet leaves SCR and the divisor latch undefined at
 * reset: the model starts SCR at 0 and the divisor at 12 (9600 baud from a
 * 1.8432 MHz clock). */
void uart16550_init(struct uart16550 *u, struct irq_line *irq, uart16550_tx_fn tx,
                    void *tx_ctx);

/* One guest read of register `reg` (0-7), with the read's side effects:
 * RBR pops the receiver, IIR clears a THRE interrupt it reports, LSR clears
 * OE, MSR clears the delta bits.  RBR read while empty returns the last byte
 * read (0 before any).  `reg` > 7 is not the UART's: reads 0xff. */
uint8_t uart16550_read(struct uart16550 *u, unsigned reg);

/* One guest write of `value` to register `reg` (0-7).  Writes to LSR and
 * MSR (factory test on the real part) and to `reg` > 7 are ignored. */
void uart16550_write(struct uart16550 *u, unsigned reg, uint8_t value);

/* A byte arriving on the serial input.  Returns true when it was stored.
 * Returns false when the byte cost data: on overrun (receiver full) LSR.OE
 * is set and, as the data sheet says, in FIFO mode the new byte is dropped
 * while with FIFOs off it overwrites the unread RBR (the old byte is lost);
 * in loopback the serial input is disconnected from the receiver and the
 * byte is dropped without setting OE.  Use uart16550_can_receive() first to
 * hold input back instead of losing it. */
bool uart16550_receive(struct uart16550 *u, uint8_t byte);

/* True when uart16550_receive() would store a byte without loss: the
 * receiver has room (fewer than 16 bytes with FIFOs on, RBR empty with them
 * off) and the UART is not in loopback. */
bool uart16550_can_receive(const struct uart16550 *u);

struct vm;

/* Emulates a 16550A at ports base..base+7 of `vm` on ISA IRQ `irq`: every
 * byte the guest transmits goes to vm_console_putc(vm, byte).  `base` must
 * be UART16550_COM1_BASE or UART16550_COM2_BASE; each VM has one model per
 * COM port, reset by every attach.  Accesses of 2 or 4 bytes are split into
 * byte accesses at port, port+1, ... as the ISA bus does; bytes beyond
 * base+7 read 0xff and are not written. */
void uart16550_attach(struct vm *vm, uint16_t base, unsigned irq);

/* The model at COM`com` (1 or 2) of `vm`, or NULL when none is attached
 * there: keel's input path delivers typed bytes with uart16550_receive(),
 * and an interrupt controller connects to its `irq` line. */
struct uart16550 *uart16550_of(struct vm *vm, unsigned com);

#endif
