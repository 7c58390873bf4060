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

/*
 * The copies and fills go a word at a time (x86 allows unaligned accesses),
 * then a 4-, 2- and 1-byte step for the rest: the VM-exit path copies and
 * clears small things (a device register, a decoded access), where a byte
 * loop costs four instructions a byte.  The word types may alias anything.
 */
typedef uint64_t __attribute__((may_alias, aligned(1))) any_u64;
typedef uint32_t __attribute__((may_alias, aligned(1))) any_u32;
typedef uint16_t __attribute__((may_alias, aligned(1))) any_u16;

/* Copies n bytes forward: each word is read before it is written, so an
 * overlap with dst below src is safe (memmove relies on that). */
static inline void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    for (; n >= 8; n -= 8, d += 8, s += 8)
        *(any_u64 *)d = *(const any_u64 *)s;
    if (n & 4) {
        *(any_u32 *)d = *(const any_u32 *)s;
        d += 4;
        s += 4;
    }
    if (n & 2) {
        *(any_u16 *)d = *(const any_u16 *)s;
        d += 2;
        s += 2;
    }
    if (n & 1)
        *d = *s;
}

NO_LIBCALL_PATTERNS void *memcpy(void *dst, const void *src, size_t n)
{
    copy_forward(dst, src, n);
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
        copy_forward(d, s, n);
    } else {
        for (size_t i = n; i > 0; i--)
            d[i - 1] = s[i - 1];
    }
    return dst;
}

NO_LIBCALL_PATTERNS void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t word = UINT64_C(0x0101010101010101) * (unsigned char)c;

    for (; n >= 8; n -= 8, d += 8)
        *(any_u64 *)d = word;
    if (n & 4) {
        *(any_u32 *)d = (uint32_t)word;
        d += 4;
    }
    if (n & 2) {
        *(any_u16 *)d = (uint16_t)word;
        d += 2;
    }
    if (n & 1)
        *d = (unsigned char)word;
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
