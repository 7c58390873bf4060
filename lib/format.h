/* printf-style formatting into a buffer (lib/format.c): pure logic, host-tested.
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %%, length modifiers hh h l ll z t j,
 * flags '-' '0' '+' ' ' '#', field width and precision (also as '*').
 * %p prints 0x followed by 16 hex digits.  %s of NULL prints "(null)".
 * An unknown conversion is printed literally ("%q" stays "%q") so a typo is visible.
 * Like C99 vsnprintf: always NUL-terminates when size > 0 and returns the length
 * the full output would have had. */
#ifndef KEEL_LIB_FORMAT_H
#define KEEL_LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
