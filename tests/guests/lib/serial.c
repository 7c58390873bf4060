#include "lib/serial.h"
#include "lib/x86.h"

/* 8250/16550 register offsets from the base port. */
#define COM1_BASE      0x3F8
#define UART_THR       0           /* transmit holding register (write) */
#define UART_LSR       5           /* line status register */
#define UART_LSR_THRE  (1u << 5)   /* THR empty: the next byte may be written */
#define UART_LSR_TEMT  (1u << 6)   /* THR and shift register empty: all sent */

/* Enough polls for a 16-byte FIFO at 9600 baud on any emulator seen. */
#define DRAIN_MAX_POLLS 1000000u

void serial_putc(char c)
{
    /* keel's contract: poll LSR bit 5, then write THR.  An absent UART reads
     * all ones, so this never spins forever on a machine without COM1. */
    while (!(inb(COM1_BASE + UART_LSR) & UART_LSR_THRE))
        ;
    outb((uint8_t)c, COM1_BASE + UART_THR);
}

void serial_write(const char *s, size_t n)
{
    while (n--)
        serial_putc(*s++);
}

void serial_drain(void)
{
    for (uint32_t i = 0; i < DRAIN_MAX_POLLS; i++) {
        if (inb(COM1_BASE + UART_LSR) & UART_LSR_TEMT)
            return;
    }
}
