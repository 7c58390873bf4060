/* The C string and memory functions keel provides to itself (lib/string.c).
 * gcc may emit calls to memcpy/memset/memmove/memcmp on its own, so these keep
 * their standard names and signatures.  On the host, the C library's are used. */
#ifndef KEEL_LIB_STRING_H
#define KEEL_LIB_STRING_H

#include <stddef.h>

#ifdef KEEL_HOST_TEST
#include <string.h>
/* POSIX, so -std=c11 hides glibc's declaration; the function is there. */
size_t strnlen(const char *s, size_t max);
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#endif

/* Copies at most size-1 bytes and always terminates (when size > 0).
 * Returns strlen(src), so truncation is detectable as ret >= size. */
size_t kstrlcpy(char *dst, const char *src, size_t size);

#endif
