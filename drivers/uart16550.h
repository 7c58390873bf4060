/* The host's own 16550 UART, polled (drivers/uart16550.c).  This is keel's
 * serial console, not the UART guests see (that one is emulated). */
#ifndef KEEL_DRIVERS_UART16550_H
#define KEEL_DRIVERS_UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1_PORT 0x3f8

/* Probes the UART at COM1 (scratch-register test) and, if present, programs
 * 115200 8N1 with FIFOs and registers the "com1" console.  Returns presence. */
bool uart_console_init(void);

/* Writes to COM1 without any set-up or presence check: only for output before
 * any console exists. */
void uart_emergency_write(const char *s, size_t n);

/* Waits (bounded) until the transmitter is empty: before a power-off, so an
 * emulator that exits at once does not drop the last bytes. */
void uart_drain(void);

/* A received byte, or -1 when none is waiting. */
int uart_try_getc(void);

#endif
