/*
 * The few C string and memory functions the guests use.  gcc may also emit
 * calls to memcpy/memset/memmove/memcmp on its own (struct copies, zeroing),
 * even with -ffreestanding, so these must exist under their standard names.
 */
#ifndef GUEST_LIB_STRING_H
#define GUEST_LIB_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strstr(const char *haystack, const char *needle);

#endif
