/*
 * printf for test guests, to COM1.  Conversions: %d %i %u %x %X %p %s %c %%;
 * flags '-' and '0'; a field width (digits or '*'); a precision for %s
 * ("%.*s"); length modifiers hh, h, l (32 bits here), ll (64 bits), z.
 * 64-bit values need no libgcc: decimal digits are produced by 16-bit long
 * division.  Anything else prints as itself.
 */
#ifndef GUEST_LIB_PRINTF_H
#define GUEST_LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

#define GUEST_PRINTF(fmt_index, first_arg) \
    __attribute__((format(printf, fmt_index, first_arg)))

int printf(const char *fmt, ...) GUEST_PRINTF(1, 2);
int vprintf(const char *fmt, va_list ap);
/* Writes at most size-1 characters and a NUL (when size > 0); returns the
 * length the whole output would have had, like C's snprintf. */
int snprintf(char *buf, size_t size, const char *fmt, ...) GUEST_PRINTF(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
