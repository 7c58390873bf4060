/*
 * Host tests for lib/string.c.
 *
 * The host build of string.c holds only kstrlcpy (the rest is the C library's).
 * So that the kernel's own memcpy, strcmp, ... are tested too, string.c is
 * included a second time as the kernel sees it, with every function renamed
 * kernel_*; those are then checked against the host's C library.
 */
#include "tests/unit/unit.h"

#include <limits.h>

#include "lib/string.c"

#undef KEEL_HOST_TEST
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#define memcpy   kernel_memcpy
#define memmove  kernel_memmove
#define memset   kernel_memset
#define memcmp   kernel_memcmp
#define strlen   kernel_strlen
#define strnlen  kernel_strnlen
#define strcmp   kernel_strcmp
#define strncmp  kernel_strncmp
#define strchr   kernel_strchr
#define kstrlcpy kernel_kstrlcpy
#include "lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef kstrlcpy
#define KEEL_HOST_TEST 1

#define SENTINEL 0x5a
#define BUF_LEN 64

static int sign_of(int v)
{
    return (v > 0) - (v < 0);
}

/* ---- kstrlcpy ------------------------------------------------------------ */

struct strlcpy_case {
    const char *src;
    size_t size;
    const char *want;      /* dst afterwards; NULL = untouched (size 0) */
};

static const struct strlcpy_case strlcpy_cases[] = {
    { "", 0, NULL },
    { "hello", 0, NULL },
    { "", 1, "" },
    { "hello", 1, "" },
    { "hello", 2, "h" },
    { "hello", 5, "hell" },         /* one short: the terminator wins */
    { "hello", 6, "hello" },        /* exact fit */
    { "hello", 7, "hello" },
    { "hello", BUF_LEN, "hello" },
    { "", BUF_LEN, "" },
    { "a b\tc", 4, "a b" },
    { "\xff\x80z", 3, "\xff\x80" },
};

/* Runs one case through fn (the host build's kstrlcpy or the kernel's) and
 * checks the result, the copy, its terminator and that nothing past size moved. */
static void check_strlcpy(size_t (*fn)(char *, const char *, size_t), const struct strlcpy_case *c)
{
    char dst[BUF_LEN + 8];
    memset(dst, SENTINEL, sizeof(dst));

    size_t ret = fn(dst, c->src, c->size);
    CHECK_EQ_U(ret, strlen(c->src));
    if (c->want != NULL) {
        CHECK_STR(dst, c->want);
        CHECK((ret >= c->size) == (strlen(c->want) < strlen(c->src)));
    }
    for (size_t i = c->size; i < sizeof(dst); i++) {
        if ((unsigned char)dst[i] != SENTINEL) {
            UNIT_FAIL("src \"%s\" size %zu: byte %zu past size written", c->src, c->size, i);
            break;
        }
    }
}

TEST(kstrlcpy_table)
{
    for (size_t i = 0; i < sizeof(strlcpy_cases) / sizeof(strlcpy_cases[0]); i++)
        check_strlcpy(kstrlcpy, &strlcpy_cases[i]);
}

TEST(kstrlcpy_kernel_build_table)
{
    for (size_t i = 0; i < sizeof(strlcpy_cases) / sizeof(strlcpy_cases[0]); i++)
        check_strlcpy(kernel_kstrlcpy, &strlcpy_cases[i]);
}

/* Every size from 0 to past the end: truncation is detectable as ret >= size. */
TEST(kstrlcpy_every_size)
{
    const char *src = "0123456789abcdef";
    size_t len = strlen(src);

    for (size_t size = 0; size <= len + 2; size++) {
        char *dst = malloc(size > 0 ? size : 1);   /* exact size: ASan sees any overrun */
        size_t ret = kstrlcpy(dst, src, size);
        CHECK_EQ_U(ret, len);
        if (size > 0) {
            size_t copied = len < size - 1 ? len : size - 1;
            CHECK_EQ_U(strlen(dst), copied);
            CHECK(memcmp(dst, src, copied) == 0);
            CHECK_EQ_U(ret >= size, size <= len);
        }
        free(dst);
    }
}

/* ---- the kernel's standard functions against the host's ----------------- */

TEST(kernel_memcpy)
{
    unsigned char src[BUF_LEN], dst[BUF_LEN + 8], want[BUF_LEN + 8];

    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (unsigned char)(i * 37 + 11);
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n + off <= BUF_LEN; n += (n < 24 ? 1 : 5)) {
            memset(dst, SENTINEL, sizeof(dst));
            memset(want, SENTINEL, sizeof(want));
            CHECK(kernel_memcpy(dst + off, src, n) == dst + off);
            memcpy(want + off, src, n);
            CHECK(memcmp(dst, want, sizeof(dst)) == 0);
        }
    }
}

/* Overlap in both directions, at every distance, against the host's memmove. */
TEST(kernel_memmove_overlapping)
{
    unsigned char mine[BUF_LEN], host[BUF_LEN];

    for (size_t dst = 0; dst < 24; dst++) {
        for (size_t src = 0; src < 24; src++) {
            for (size_t n = 0; n <= 24; n += 3) {
                for (size_t i = 0; i < BUF_LEN; i++)
                    mine[i] = host[i] = (unsigned char)i;
                CHECK(kernel_memmove(mine + dst, mine + src, n) == mine + dst);
                memmove(host + dst, host + src, n);
                if (memcmp(mine, host, BUF_LEN) != 0)
                    UNIT_FAIL("memmove dst %zu src %zu n %zu differs", dst, src, n);
            }
        }
    }
}

TEST(kernel_memset)
{
    unsigned char buf[BUF_LEN];
    /* Only the low byte of c is stored (C11 7.24.6.1). */
    const int values[] = { 0, 1, 0x7f, 0x80, 0xff, 0x1ab, -1 };

    for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
        memset(buf, SENTINEL, sizeof(buf));
        CHECK(kernel_memset(buf + 3, values[v], 20) == buf + 3);
        for (size_t i = 0; i < sizeof(buf); i++) {
            unsigned char want = i >= 3 && i < 23 ? (unsigned char)values[v] : SENTINEL;
            if (buf[i] != want)
                UNIT_FAIL("memset value 0x%x: byte %zu is 0x%x", values[v], i, buf[i]);
        }
    }
    CHECK(kernel_memset(buf, 0, 0) == buf);
    /* Every length and alignment the word steps and the 4-, 2-, 1-byte
     * tail can meet, and nothing written past the end. */
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n + off + 1 < BUF_LEN && n <= 40; n++) {
            memset(buf, SENTINEL, sizeof(buf));
            CHECK(kernel_memset(buf + off, 0x5a, n) == buf + off);
            for (size_t i = 0; i < sizeof(buf); i++) {
                unsigned char want = i >= off && i < off + n ? 0x5a : SENTINEL;
                if (buf[i] != want)
                    UNIT_FAIL("memset off %zu n %zu: byte %zu is 0x%x", off, n, i, buf[i]);
            }
        }
    }
}

struct compare_case {
    const char *a, *b;
    size_t n;       /* for memcmp and strncmp */
};

/* High-bit bytes must compare as unsigned char: "\x80" > "a". */
static const struct compare_case compare_cases[] = {
    { "", "", 0 },
    { "", "", 1 },
    { "a", "a", 2 },
    { "a", "b", 2 },
    { "b", "a", 2 },
    { "abc", "abd", 3 },
    { "abc", "abd", 2 },
    { "abc", "ab", 3 },
    { "ab", "abc", 3 },
    { "ab", "abc", 2 },
    { "\x80", "a", 2 },
    { "a", "\xff", 2 },
    { "\xff", "\xfe", 1 },
    { "same", "same", 5 },
    { "same", "same", 100 },    /* strncmp must stop at the terminator */
    { "abcdefgh", "abcdefgX", 8 },
    { "abcdefgh", "abcdefgX", 7 },
};

TEST(kernel_strcmp_and_strncmp)
{
    for (size_t i = 0; i < sizeof(compare_cases) / sizeof(compare_cases[0]); i++) {
        const struct compare_case *c = &compare_cases[i];
        if (sign_of(kernel_strcmp(c->a, c->b)) != sign_of(strcmp(c->a, c->b)))
            UNIT_FAIL("strcmp(\"%s\", \"%s\") sign differs", c->a, c->b);
        if (sign_of(kernel_strncmp(c->a, c->b, c->n)) != sign_of(strncmp(c->a, c->b, c->n)))
            UNIT_FAIL("strncmp(\"%s\", \"%s\", %zu) sign differs", c->a, c->b, c->n);
    }
    CHECK_EQ_I(kernel_strncmp("abc", "xyz", 0), 0);
}

TEST(kernel_memcmp)
{
    for (size_t i = 0; i < sizeof(compare_cases) / sizeof(compare_cases[0]); i++) {
        const struct compare_case *c = &compare_cases[i];
        /* memcmp may read n bytes of each, so stay within both arrays. */
        size_t n = c->n;
        if (n > strlen(c->a) + 1)
            n = strlen(c->a) + 1;
        if (n > strlen(c->b) + 1)
            n = strlen(c->b) + 1;
        if (sign_of(kernel_memcmp(c->a, c->b, n)) != sign_of(memcmp(c->a, c->b, n)))
            UNIT_FAIL("memcmp(\"%s\", \"%s\", %zu) sign differs", c->a, c->b, n);
    }
    /* memcmp does not stop at a zero byte. */
    CHECK(kernel_memcmp("a\0b", "a\0c", 3) < 0);
    CHECK_EQ_I(kernel_memcmp("x", "y", 0), 0);
}

TEST(kernel_strlen_and_strnlen)
{
    const char *strings[] = { "", "a", "hello", "with\tblank and \xff", "0123456789012345678901234567890" };

    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        size_t len = strlen(strings[i]);
        CHECK_EQ_U(kernel_strlen(strings[i]), len);
        CHECK_EQ_U(kernel_strnlen(strings[i], 0), 0);
        CHECK_EQ_U(kernel_strnlen(strings[i], len), len);
        CHECK_EQ_U(kernel_strnlen(strings[i], len + 1), len);
        CHECK_EQ_U(kernel_strnlen(strings[i], SIZE_MAX), len);
        if (len > 0)
            CHECK_EQ_U(kernel_strnlen(strings[i], len - 1), len - 1);
    }

    /* An unterminated array: strnlen must not look past max (ASan would tell). */
    char *raw = malloc(4);
    memcpy(raw, "abcd", 4);
    CHECK_EQ_U(kernel_strnlen(raw, 4), 4);
    CHECK_EQ_U(kernel_strnlen(raw, 2), 2);
    free(raw);
}

TEST(kernel_strchr)
{
    const char *s = "keel=x86,vmx\xe9";
    /* c is converted to char: 'v' + 256 still finds 'v' (C11 7.24.5.2). */
    const int wanted[] = { 'k', 'l', '=', ',', 'x', 'v' + 256, 0xe9, 'q', '\0' };

    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        if (kernel_strchr(s, wanted[i]) != strchr(s, (char)wanted[i]))
            UNIT_FAIL("strchr(s, 0x%x) differs", wanted[i]);
    }
    CHECK(kernel_strchr(s, '\0') == s + strlen(s));
    CHECK(kernel_strchr("", 'a') == NULL);
    CHECK(kernel_strchr(s, 'e') == s + 1);      /* the first one */
}
