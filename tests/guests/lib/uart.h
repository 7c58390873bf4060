/*
 * The 16550A UART at COM1, register by register, with the names of the
 * National Semiconductor PC16550D data sheet ("Table II. Summary of
 * Registers").  serial.h prints through it; this header is for guests that
 * test the UART itself.
 *
 * Register selection depends on LCR.DLAB: with DLAB = 1, offsets 0 and 1
 * are the divisor latch (DLL, DLM) instead of RBR/THR and IER.  IIR (read)
 * and FCR (write) share offset 2.
 */
#ifndef GUEST_LIB_UART_H
#define GUEST_LIB_UART_H

#include <stdint.h>

#include "lib/x86.h"

#define UART_COM1_BASE 0x3F8
#define UART_COM1_IRQ  4

/* Offsets from the base port. */
#define UART_RBR 0      /* receiver buffer (read, DLAB = 0) */
#define UART_THR 0      /* transmitter holding (write, DLAB = 0) */
#define UART_DLL 0      /* divisor latch, low byte (DLAB = 1) */
#define UART_IER 1      /* interrupt enable (DLAB = 0) */
#define UART_DLM 1      /* divisor latch, high byte (DLAB = 1) */
#define UART_IIR 2      /* interrupt identification (read) */
#define UART_FCR 2      /* FIFO control (write) */
#define UART_LCR 3      /* line control */
#define UART_MCR 4      /* modem control */
#define UART_LSR 5      /* line status */
#define UART_MSR 6      /* modem status */
#define UART_SCR 7      /* scratch */

/* IER: bits 3:0 enable the four interrupt sources; bits 7:4 are always 0. */
#define UART_IER_ERBFI 0x01u    /* received data available (and timeout) */
#define UART_IER_ETBEI 0x02u    /* transmitter holding register empty */
#define UART_IER_ELSI  0x04u    /* receiver line status */
#define UART_IER_EDSSI 0x08u    /* modem status */
#define UART_IER_WRITABLE 0x0Fu

/* IIR: bit 0 is 0 while an interrupt is pending; bits 3:1 name the
 * highest-priority one (data sheet Table IV); bits 7:6 are set when the
 * FIFOs are enabled.  Bits 5:4 are always 0 on a 16550A (a 16750 shows its
 * 64-byte FIFO in bit 5). */
#define UART_IIR_NO_INTERRUPT 0x01u
#define UART_IIR_ID_MASK      0x0Fu     /* bit 0 and the 3-bit identification */
#define UART_IIR_MODEM_STATUS 0x00u     /* priority 4: MSR delta bits */
#define UART_IIR_THRE         0x02u     /* priority 3: THR empty */
#define UART_IIR_RDA          0x04u     /* priority 2: received data available */
#define UART_IIR_RLS          0x06u     /* priority 1: receiver line status */
#define UART_IIR_CTI          0x0Cu     /* priority 2: character timeout (FIFO mode) */
#define UART_IIR_FIFO_BITS    0xC0u     /* both set: FIFOs enabled (16550A) */
#define UART_IIR_RESERVED     0x30u

/* FCR (write only). */
#define UART_FCR_ENABLE     0x01u
#define UART_FCR_RX_RESET   0x02u
#define UART_FCR_TX_RESET   0x04u
#define UART_FCR_DMA_MODE   0x08u
#define UART_FCR_16750_64   0x20u       /* reserved on a 16550A */
#define UART_FCR_TRIGGER_1  0x00u       /* RX trigger level, bits 7:6 */
#define UART_FCR_TRIGGER_4  0x40u
#define UART_FCR_TRIGGER_8  0x80u
#define UART_FCR_TRIGGER_14 0xC0u
#define UART_FIFO_DEPTH     16u

/* LCR: every bit reads back. */
#define UART_LCR_WLS_8   0x03u  /* word length select: 8 bits */
#define UART_LCR_STB     0x04u  /* 2 stop bits (1.5 with 5-bit words) */
#define UART_LCR_PEN     0x08u  /* parity enable */
#define UART_LCR_EPS     0x10u  /* even parity select */
#define UART_LCR_STICK   0x20u  /* stick parity */
#define UART_LCR_BREAK   0x40u  /* set break */
#define UART_LCR_DLAB    0x80u  /* divisor latch access */

/* MCR: bits 4:0 read back, bits 7:5 are always 0. */
#define UART_MCR_DTR  0x01u
#define UART_MCR_RTS  0x02u
#define UART_MCR_OUT1 0x04u
#define UART_MCR_OUT2 0x08u     /* on a PC: gates the IRQ line */
#define UART_MCR_LOOP 0x10u
#define UART_MCR_WRITABLE 0x1Fu

/* LSR. */
#define UART_LSR_DR       0x01u /* data ready */
#define UART_LSR_OE       0x02u /* overrun error */
#define UART_LSR_PE       0x04u /* parity error */
#define UART_LSR_FE       0x08u /* framing error */
#define UART_LSR_BI       0x10u /* break interrupt */
#define UART_LSR_THRE     0x20u /* THR (or TX FIFO) empty */
#define UART_LSR_TEMT     0x40u /* THR and transmitter shift register empty */
#define UART_LSR_RX_ERROR 0x80u /* an error in the RX FIFO (FIFO mode) */
#define UART_LSR_ERRORS   (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

/* MSR: bits 3:0 are deltas since the last read of MSR, bits 7:4 the
 * complemented modem inputs.  In loopback (MCR.LOOP) the inputs are wired
 * to the outputs: CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2. */
#define UART_MSR_DCTS 0x01u
#define UART_MSR_DDSR 0x02u
#define UART_MSR_TERI 0x04u     /* RI went from active to inactive */
#define UART_MSR_DDCD 0x08u
#define UART_MSR_CTS  0x10u
#define UART_MSR_DSR  0x20u
#define UART_MSR_RI   0x40u
#define UART_MSR_DCD  0x80u
#define UART_MSR_DELTAS 0x0Fu
#define UART_MSR_INPUTS 0xF0u

/* Divisor for a baud rate from the PC's 1.8432 MHz clock (16x oversampling). */
#define UART_CLOCK_HZ 1843200u
#define UART_DIVISOR(baud) (UART_CLOCK_HZ / 16u / (baud))

static inline uint8_t uart_in(uint16_t reg)
{
    return inb((uint16_t)(UART_COM1_BASE + reg));
}

static inline void uart_out(uint8_t value, uint16_t reg)
{
    outb(value, (uint16_t)(UART_COM1_BASE + reg));
}

#endif
