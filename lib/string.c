/*
 * keel's C string and memory functions (contract in lib/string.h).
 *
 * The standard ones exist only in the kernel build: on the host (KEEL_HOST_TEST)
 * the C library provides them, and defining them again would clash with it.
 * kstrlcpy has no standard counterpart, so it is always built.
 */
#include "lib/string.h"

#include <stdint.h>

#ifndef KEEL_HOST_TEST

/*
 * gcc's loop-distribution pass recognises a byte-fill, byte-copy or
 * find-the-terminator loop and replaces it with a call to memset, memcpy,
 * memmove or strlen, even under -ffreestanding.  Inside those very functions
 * that call is infinite recursion, so the pass's pattern replacement is turned
 * off for every function here.
 */
#define NO_LIBCALL_PATTERNS __attribute__((optimize("no-tree-loop-distribute-patterns")))

NO_LIBCALL_PATTERNS void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
    return dst;
}

/* Copies front to back unless dst starts inside [src, src+n), where that
 * would overwrite source bytes before they are read. */
NO_LIBCALL_PATTERNS void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    uintptr_t d_addr = (uintptr_t)dst, s_addr = (uintptr_t)src;

    if (d_addr - s_addr >= n) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        for (size_t i = n; i > 0; i--)
            d[i - 1] = s[i - 1];
    }
    return dst;
}

NO_LIBCALL_PATTERNS void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;

    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)c;
    return dst;
}

/* Bytes compare as unsigned char (C11 7.24.4). */
NO_LIBCALL_PATTERNS int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *pa = a, *pb = b;

    for (size_t i = 0; i < n; i++) {
        if (pa[i] != pb[i])
            return pa[i] < pb[i] ? -1 : 1;
    }
    return 0;
}

NO_LIBCALL_PATTERNS size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0')
        n++;
    return n;
}

NO_LIBCALL_PATTERNS size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0')
        n++;
    return n;
}

/* Characters compare as unsigned char (C11 7.24.4). */
NO_LIBCALL_PATTERNS int strcmp(const char *a, const char *b)
{
    const unsigned char *pa = (const unsigned char *)a;
    const unsigned char *pb = (const unsigned char *)b;

    while (*pa != '\0' && *pa == *pb) {
        pa++;
        pb++;
    }
    if (*pa == *pb)
        return 0;
    return *pa < *pb ? -1 : 1;
}

NO_LIBCALL_PATTERNS int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *pa = (const unsigned char *)a;
    const unsigned char *pb = (const unsigned char *)b;

    for (size_t i = 0; i < n; i++) {
        if (pa[i] != pb[i])
            return pa[i] < pb[i] ? -1 : 1;
        if (pa[i] == '\0')
            break;
    }
    return 0;
}

/* The terminator counts as part of the string, so strchr(s, '\0') finds it
 * (C11 7.24.5.2). */
NO_LIBCALL_PATTERNS char *strchr(const char *s, int c)
{
    const char wanted = (char)c;

    for (;; s++) {
        if (*s == wanted)
            return (char *)s;
        if (*s == '\0')
            return NULL;
    }
}

#endif /* !KEEL_HOST_TEST */

size_t kstrlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);

    if (size > 0) {
        size_t copied = len < size - 1 ? len : size - 1;
        memcpy(dst, src, copied);
        dst[copied] = '\0';
    }
    return len;
}
