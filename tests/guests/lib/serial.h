/*
 * COM1 output, as keel's contract offers it: poll the line status register
 * until the transmit holding register is empty, then write the byte.  No
 * UART setup: keel's COM1 needs none, and QEMU's works without it.
 */
#ifndef GUEST_LIB_SERIAL_H
#define GUEST_LIB_SERIAL_H

#include <stddef.h>

void serial_putc(char c);
void serial_write(const char *s, size_t n);

/* Waits (a bounded time) until the UART has sent every byte: LSR bit 6,
 * transmitter empty.  For bare runs only: Bochs drops what the transmitter
 * still holds when it powers off.  Under keel it is not needed, and keel's
 * contract does not promise that bit. */
void serial_drain(void);

#endif
