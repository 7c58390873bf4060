/*
 * Host tests for lib/format.c.
 *
 * Everything keel formats the way C99 does is compared byte for byte, return
 * value included, with the host's vsnprintf over large tables of formats and
 * values, at several buffer sizes.  Keel's own rules (%p, NULL %s, unknown
 * conversions, lengths past INT_MAX) are checked against fixed expectations.
 *
 * Formats are built at run time or come from tables, so gcc's format checking
 * does not see them; that is also how the tests reach conversions gcc would
 * refuse at compile time (%q).
 */
#include "tests/unit/unit.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/format.c"

#define BUF_MAX 1024
#define SENTINEL 0x5a
/* Enough lines to see a pattern when something breaks, not a flood. */
#define MAX_REPORTED_MISMATCHES 20

static int mismatches_reported;

/* Formats with kvsnprintf and with the host's vsnprintf into size bytes of
 * buffers pre-filled alike; both the return values and every byte of the
 * buffers (terminator and untouched tail included) must agree. */
static bool same_as_host_at(size_t size, const char *fmt, va_list ap)
{
    char mine[BUF_MAX], host[BUF_MAX];
    va_list a_mine, a_host;

    memset(mine, SENTINEL, sizeof(mine));
    memset(host, SENTINEL, sizeof(host));
    va_copy(a_mine, ap);
    va_copy(a_host, ap);
    int r_mine = kvsnprintf(mine, size, fmt, a_mine);
    int r_host = vsnprintf(host, size, fmt, a_host);
    va_end(a_mine);
    va_end(a_host);

    if (r_mine == r_host && memcmp(mine, host, sizeof(mine)) == 0)
        return true;
    if (mismatches_reported++ < MAX_REPORTED_MISMATCHES)
        UNIT_FAIL("format \"%s\" size %zu: keel %d \"%.*s\", host %d \"%.*s\"", fmt, size,
                  r_mine, (int)(size > 0 ? size : 0), mine, r_host, (int)(size > 0 ? size : 0),
                  host);
    else
        unit_current_failed = 1;
    return false;
}

/* Compares at size 0 (count only, NULL buffer too), cut in half, exactly the
 * length (one byte lost to the terminator), and with room to spare. */
static bool same_as_host(const char *fmt, ...)
{
    va_list ap, measure;
    bool same = true;

    va_start(ap, fmt);
    va_copy(measure, ap);
    int n = vsnprintf(NULL, 0, fmt, measure);
    va_end(measure);
    if (n < 0 || n >= BUF_MAX) {
        UNIT_FAIL("test bug: \"%s\" gives %d bytes", fmt, n);
        va_end(ap);
        return false;
    }

    va_copy(measure, ap);
    int r_null = kvsnprintf(NULL, 0, fmt, measure);
    va_end(measure);
    if (r_null != n) {
        UNIT_FAIL("format \"%s\" with NULL buffer: keel %d, host %d", fmt, r_null, n);
        same = false;
    }

    const size_t sizes[] = { 0, (size_t)n / 2, (size_t)n, (size_t)n + 1, BUF_MAX };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        same &= same_as_host_at(sizes[i], fmt, ap);
    va_end(ap);
    return same;
}

/* Calls kvsnprintf with a format gcc cannot check, and returns the text. */
static const char *keel_format(int *ret, const char *fmt, ...)
{
    static char buf[BUF_MAX];
    va_list ap;

    va_start(ap, fmt);
    *ret = kvsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return buf;
}

/* The same into a caller's buffer of the given size: for cases gcc's own
 * checks would refuse at compile time (NULL %s, output past INT_MAX). */
static int keel_format_into(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return ret;
}

/* ---- integers: every flag, width, precision, length and conversion ------- */

enum arg_type { ARG_INT, ARG_LONG, ARG_LLONG, ARG_SIZE, ARG_PTRDIFF, ARG_INTMAX };

struct length_modifier {
    const char *text;
    enum arg_type type;     /* what the caller passes (after promotion) */
};

static const char *const int_flags[] = {
    "", "-", "0", "+", " ", "#", "-0", "+ ", "0+", "- ", "-#", "0#", "#+0", "-+ #0",
};
static const char *const int_widths[] = { "", "1", "3", "9", "24", "*" };
static const char *const int_precisions[] = { "", ".", ".0", ".1", ".4", ".21", ".*" };
static const int star_widths[] = { -13, -1, 0, 6 };
static const int star_precisions[] = { -3, 0, 2, 23 };
static const char int_conversions[] = "diuxXo";
static const uint64_t int_values[] = {
    0, 1, 2, 7, 8, 10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x12345,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x123456789abcdef0,
    0x7fffffffffffffff, 0x8000000000000000 /* INT64_MIN */, 0xffffffffffffffff,
    0xfffffffffffffffe, (uint64_t)-1000,
};

/* The value passed as the type the length modifier names, signed or not;
 * stars are the '*' arguments that come before it. */
#define SAME_WITH_STARS(fmt, stars, nstars, value)                                  \
    ((nstars) == 0   ? same_as_host(fmt, value)                                      \
     : (nstars) == 1 ? same_as_host(fmt, (stars)[0], value)                          \
                     : same_as_host(fmt, (stars)[0], (stars)[1], value))

static void check_integer(const char *fmt, const int *stars, int nstars, enum arg_type type,
                          bool is_signed, uint64_t v)
{
    switch (type) {
    case ARG_INT:
        if (is_signed)
            SAME_WITH_STARS(fmt, stars, nstars, (int)v);
        else
            SAME_WITH_STARS(fmt, stars, nstars, (unsigned int)v);
        break;
    case ARG_LONG:
        if (is_signed)
            SAME_WITH_STARS(fmt, stars, nstars, (long)v);
        else
            SAME_WITH_STARS(fmt, stars, nstars, (unsigned long)v);
        break;
    case ARG_LLONG:
        if (is_signed)
            SAME_WITH_STARS(fmt, stars, nstars, (long long)v);
        else
            SAME_WITH_STARS(fmt, stars, nstars, (unsigned long long)v);
        break;
    case ARG_SIZE:
    case ARG_PTRDIFF:
        if (is_signed)
            SAME_WITH_STARS(fmt, stars, nstars, (ptrdiff_t)v);
        else
            SAME_WITH_STARS(fmt, stars, nstars, (size_t)v);
        break;
    case ARG_INTMAX:
        if (is_signed)
            SAME_WITH_STARS(fmt, stars, nstars, (intmax_t)v);
        else
            SAME_WITH_STARS(fmt, stars, nstars, (uintmax_t)v);
        break;
    }
}

/* One format with every value, and with every '*' value it asks for. */
static void check_integer_format(const char *fmt, bool width_star, bool precision_star,
                                 enum arg_type type, bool is_signed)
{
    size_t nw = width_star ? sizeof(star_widths) / sizeof(star_widths[0]) : 1;
    size_t np = precision_star ? sizeof(star_precisions) / sizeof(star_precisions[0]) : 1;

    for (size_t w = 0; w < nw; w++) {
        for (size_t p = 0; p < np; p++) {
            int stars[2];
            int nstars = 0;
            if (width_star)
                stars[nstars++] = star_widths[w];
            if (precision_star)
                stars[nstars++] = star_precisions[p];
            for (size_t v = 0; v < sizeof(int_values) / sizeof(int_values[0]); v++)
                check_integer(fmt, stars, nstars, type, is_signed, int_values[v]);
        }
    }
}

/* '#' with d, i or u is undefined in C11 (7.21.6.1p6), so it is not compared. */
static void check_integers_with_length(const struct length_modifier *len)
{
    mismatches_reported = 0;
    for (size_t f = 0; f < sizeof(int_flags) / sizeof(int_flags[0]); f++) {
        for (size_t w = 0; w < sizeof(int_widths) / sizeof(int_widths[0]); w++) {
            for (size_t p = 0; p < sizeof(int_precisions) / sizeof(int_precisions[0]); p++) {
                for (const char *conv = int_conversions; *conv != '\0'; conv++) {
                    bool is_signed = *conv == 'd' || *conv == 'i';
                    if (strchr(int_flags[f], '#') && (is_signed || *conv == 'u'))
                        continue;
                    char fmt[64];
                    snprintf(fmt, sizeof(fmt), "<%%%s%s%s%s%c>", int_flags[f], int_widths[w],
                             int_precisions[p], len->text, *conv);
                    check_integer_format(fmt, strchr(int_widths[w], '*') != NULL,
                                         strchr(int_precisions[p], '*') != NULL, len->type,
                                         is_signed);
                }
            }
        }
    }
}

TEST(integers_int_match_host)
{
    check_integers_with_length(&(struct length_modifier){ "", ARG_INT });
}

/* hh and h take an int and print it converted to char or short (C11 7.21.6.1p7). */
TEST(integers_hh_match_host)
{
    check_integers_with_length(&(struct length_modifier){ "hh", ARG_INT });
}

TEST(integers_h_match_host)
{
    check_integers_with_length(&(struct length_modifier){ "h", ARG_INT });
}

TEST(integers_l_match_host)
{
    check_integers_with_length(&(struct length_modifier){ "l", ARG_LONG });
}

TEST(integers_ll_match_host)
{
    check_integers_with_length(&(struct length_modifier){ "ll", ARG_LLONG });
}

TEST(integers_z_match_host)
{
    check_integers_with_length(&(struct length_modifier){ "z", ARG_SIZE });
}

TEST(integers_t_match_host)
{
    check_integers_with_length(&(struct length_modifier){ "t", ARG_PTRDIFF });
}

TEST(integers_j_match_host)
{
    check_integers_with_length(&(struct length_modifier){ "j", ARG_INTMAX });
}

/* ---- %c, %s and %% against the host ---------------------------------------- */

static const char *const text_flags[] = { "", "-" };
static const char *const text_widths[] = { "", "1", "5", "40", "*" };
static const int text_star_widths[] = { -7, -1, 0, 3, 12 };

TEST(chars_match_host)
{
    /* Zero is stored like any other character (and counted). */
    const int chars[] = { 'A', ' ', '%', 0, 0x7f, 0xe9, -1 };

    mismatches_reported = 0;
    for (size_t f = 0; f < sizeof(text_flags) / sizeof(text_flags[0]); f++) {
        for (size_t w = 0; w < sizeof(text_widths) / sizeof(text_widths[0]); w++) {
            char fmt[32];
            snprintf(fmt, sizeof(fmt), "[%%%s%sc]", text_flags[f], text_widths[w]);
            for (size_t c = 0; c < sizeof(chars) / sizeof(chars[0]); c++) {
                if (strchr(text_widths[w], '*') == NULL) {
                    same_as_host(fmt, chars[c]);
                    continue;
                }
                for (size_t s = 0; s < sizeof(text_star_widths) / sizeof(text_star_widths[0]); s++)
                    same_as_host(fmt, text_star_widths[s], chars[c]);
            }
        }
    }
}

TEST(strings_match_host)
{
    char long_string[301];
    for (size_t i = 0; i < sizeof(long_string) - 1; i++)
        long_string[i] = (char)('a' + i % 26);
    long_string[sizeof(long_string) - 1] = '\0';

    const char *strings[] = { "", "a", "keel", "hello, world", "tab\there", long_string };
    const char *precisions[] = { "", ".", ".0", ".2", ".5", ".100", ".*" };
    const int star_precs[] = { -1, 0, 3, 400 };

    mismatches_reported = 0;
    for (size_t f = 0; f < sizeof(text_flags) / sizeof(text_flags[0]); f++) {
        for (size_t w = 0; w < sizeof(text_widths) / sizeof(text_widths[0]); w++) {
            for (size_t p = 0; p < sizeof(precisions) / sizeof(precisions[0]); p++) {
                char fmt[32];
                bool ws = strchr(text_widths[w], '*') != NULL;
                bool ps = strchr(precisions[p], '*') != NULL;
                snprintf(fmt, sizeof(fmt), "[%%%s%s%ss]", text_flags[f], text_widths[w],
                         precisions[p]);
                for (size_t s = 0; s < sizeof(strings) / sizeof(strings[0]); s++) {
                    for (size_t a = 0; a < (ws ? 5u : 1u); a++) {
                        for (size_t b = 0; b < (ps ? 4u : 1u); b++) {
                            if (ws && ps)
                                same_as_host(fmt, text_star_widths[a], star_precs[b], strings[s]);
                            else if (ws)
                                same_as_host(fmt, text_star_widths[a], strings[s]);
                            else if (ps)
                                same_as_host(fmt, star_precs[b], strings[s]);
                            else
                                same_as_host(fmt, strings[s]);
                        }
                    }
                }
            }
        }
    }
}

/* With a precision, the array need not be terminated: exactly that many bytes
 * may be read (C11 7.21.6.1p8).  ASan fails the test on any read past them. */
TEST(string_precision_reads_no_further)
{
    char *raw = malloc(5);
    memcpy(raw, "abcde", 5);
    CHECK(same_as_host("%.5s|", raw));
    CHECK(same_as_host("%.3s|", raw));
    CHECK(same_as_host("%-8.5s|", raw));
    CHECK(same_as_host("%.*s|", 5, raw));
    free(raw);
}

/* Several conversions in one format: arguments must be taken in order. */
TEST(mixed_formats_match_host)
{
    CHECK(same_as_host("plain text, no conversions", 0));
    CHECK(same_as_host("%%", 0));
    CHECK(same_as_host("100%% sure, %d%%", 42));
    CHECK(same_as_host("%%%d%%", -7));
    CHECK(same_as_host("x=%d y=%5s z=%-#8x|", -3, "ab", 0xbeefu));
    CHECK(same_as_host("%c%c%c", 'k', 'e', 'l'));
    CHECK(same_as_host("%s=%llu (%#llx) at %zu", "cr0", 0x80000011ULL, 0x80000011ULL,
                       (size_t)4096));
    CHECK(same_as_host("%*d|%-*d|%.*d", 5, 1, 5, 2, 3, 3));
    CHECK(same_as_host("%hhd %hd %d %ld %lld %jd %zd %td", 200, 70000, -1, -2L, -3LL,
                       (intmax_t)-4, (ptrdiff_t)-5, (ptrdiff_t)-6));
    CHECK(same_as_host("%hhu %hu %u %lu %llu %ju %zu %tu", 300, 70000, 3u, 4UL, 5ULL,
                       (uintmax_t)6, (size_t)7, (size_t)8));
    CHECK(same_as_host("%i|%5i|%-5i|%05i", 1, 2, 3, -4));
    CHECK(same_as_host("[%08.3d] [%-08d] [%+ d] [% +d]", 5, 5, 5, 5));
    CHECK(same_as_host("%#o %#.0o %#5o %#x %#X %#.0x", 0u, 0u, 8u, 0u, 255u, 0u));
    CHECK(same_as_host("%.0d|%5.0d|%+.0d|% .0d|%-3.0u|", 0, 0, 0, 0, 0u));
    CHECK(same_as_host("%--5d|%00005d|%++d|%  d", 1, 2, 3, 4));
    CHECK(same_as_host("%lld %lld %llx", (long long)INT64_MIN, (long long)INT64_MAX,
                       (unsigned long long)INT64_MIN));
    CHECK(same_as_host("%d %d %x %o", INT_MIN, INT_MAX, UINT_MAX, UINT_MAX));
    CHECK(same_as_host("%*s|%-*s|", -20, "neg", 20, "pos"));
}

/* Every buffer size from 0 to past the end, for a format with several parts. */
TEST(every_buffer_size_matches_host)
{
    const char *fmt = "%s:%08x:%-6d:%c:%.2s!";
    char fmt_args_check[BUF_MAX];
    int n = snprintf(fmt_args_check, sizeof(fmt_args_check), fmt, "vmx", 0xdeadu, -12, 'z',
                     "ept");

    mismatches_reported = 0;
    for (size_t size = 0; size <= (size_t)n + 2; size++) {
        char *mine = malloc(size > 0 ? size : 1);   /* exact size: ASan sees overruns */
        int r = ksnprintf(mine, size, "%s:%08x:%-6d:%c:%.2s!", "vmx", 0xdeadu, -12, 'z', "ept");
        CHECK_EQ_I(r, n);
        if (size > 0) {
            size_t kept = (size_t)n < size ? (size_t)n : size - 1;
            CHECK_EQ_U(strlen(mine), kept);
            CHECK(memcmp(mine, fmt_args_check, kept) == 0);
        }
        free(mine);
    }
}

/* ---- keel's own rules -------------------------------------------------------- */

TEST(int64_min_and_max)
{
    char buf[64];

    CHECK_EQ_I(ksnprintf(buf, sizeof(buf), "%lld", (long long)INT64_MIN), 20);
    CHECK_STR(buf, "-9223372036854775808");
    ksnprintf(buf, sizeof(buf), "%jd", (intmax_t)INT64_MIN);
    CHECK_STR(buf, "-9223372036854775808");
    ksnprintf(buf, sizeof(buf), "%+025lld", (long long)INT64_MIN);
    CHECK_STR(buf, "-000009223372036854775808");
    ksnprintf(buf, sizeof(buf), "%lld", (long long)INT64_MAX);
    CHECK_STR(buf, "9223372036854775807");
    ksnprintf(buf, sizeof(buf), "%llu", (unsigned long long)UINT64_MAX);
    CHECK_STR(buf, "18446744073709551615");
    ksnprintf(buf, sizeof(buf), "%llo", (unsigned long long)UINT64_MAX);
    CHECK_STR(buf, "1777777777777777777777");
    ksnprintf(buf, sizeof(buf), "%#llX", (unsigned long long)UINT64_MAX);
    CHECK_STR(buf, "0XFFFFFFFFFFFFFFFF");
}

TEST(pointer_is_0x_and_16_digits)
{
    char buf[64];

    CHECK_EQ_I(ksnprintf(buf, sizeof(buf), "%p", (void *)0), 18);
    CHECK_STR(buf, "0x0000000000000000");
    ksnprintf(buf, sizeof(buf), "%p", (void *)0x1000);
    CHECK_STR(buf, "0x0000000000001000");
    ksnprintf(buf, sizeof(buf), "%p", (void *)(uintptr_t)0xffffffff80001000ULL);
    CHECK_STR(buf, "0xffffffff80001000");
    ksnprintf(buf, sizeof(buf), "[%20p]", (void *)0xabc);
    CHECK_STR(buf, "[  0x0000000000000abc]");
    ksnprintf(buf, sizeof(buf), "[%-20p]", (void *)0xabc);
    CHECK_STR(buf, "[0x0000000000000abc  ]");
    ksnprintf(buf, sizeof(buf), "[%4p]", (void *)0xabc);
    CHECK_STR(buf, "[0x0000000000000abc]");
    CHECK_EQ_I(ksnprintf(buf, 5, "%p", (void *)0xabc), 18);
    CHECK_STR(buf, "0x00");
}

TEST(null_string_prints_null)
{
    char buf[64];
    const char *null = NULL;
    int r;

    CHECK_STR(keel_format(&r, "%s", null), "(null)");
    CHECK_EQ_I(r, 6);
    CHECK_STR(keel_format(&r, "[%8s]", null), "[  (null)]");
    CHECK_STR(keel_format(&r, "[%-8s]", null), "[(null)  ]");
    /* A precision cuts "(null)" like any other string. */
    CHECK_STR(keel_format(&r, "[%.3s]", null), "[(nu]");
    CHECK_STR(keel_format(&r, "[%.0s]", null), "[]");
    CHECK_EQ_I(keel_format_into(buf, 4, "%s", null), 6);
    CHECK_STR(buf, "(nu");
}

struct literal_case {
    const char *fmt;
    const char *want;
};

/* Unknown conversions come out as written and take no argument, so the
 * conversions after them still get the right ones.  %n is one of them: keel
 * never writes through an argument. */
static const struct literal_case literal_cases[] = {
    { "%q", "%q" },
    { "a%qb", "a%qb" },
    { "%-5q|", "%-5q|" },
    { "%#08.3lq", "%#08.3lq" },
    { "%f %e %g %a", "%f %e %g %a" },
    { "%n", "%n" },
    { "%lc %ls %hs %lp %l%", "%lc %ls %hs %lp %l%" },
    { "%L", "%L" },
    { "%", "%" },                   /* the format ends inside a specification */
    { "abc%", "abc%" },
    { "abc%5", "abc%5" },
    { "abc%-08.", "abc%-08." },
    { "abc%ll", "abc%ll" },
};

TEST(unknown_conversion_printed_literally)
{
    for (size_t i = 0; i < sizeof(literal_cases) / sizeof(literal_cases[0]); i++) {
        int r;
        const char *got = keel_format(&r, literal_cases[i].fmt, 11, 22);
        CHECK_STR(got, literal_cases[i].want);
        CHECK_EQ_I(r, (int)strlen(literal_cases[i].want));
    }
}

TEST(unknown_conversion_takes_no_argument)
{
    int r;

    CHECK_STR(keel_format(&r, "%q%d %s", 5, "five"), "%q5 five");
    CHECK_STR(keel_format(&r, "%d%f%d", 1, 2), "1%f2");
    CHECK_STR(keel_format(&r, "%y|%5.2s|%v", "abc"), "%y|   ab|%v");
}

/* A '*' is an argument even in a specification that turns out to be unknown. */
TEST(star_in_unknown_conversion_still_consumed)
{
    int r;

    CHECK_STR(keel_format(&r, "%*q%d", 9, 4), "%*q4");
}

TEST(negative_star_width_is_left_aligned)
{
    int r;

    CHECK_STR(keel_format(&r, "[%*d]", -6, 42), "[42    ]");
    CHECK_STR(keel_format(&r, "[%*s]", -6, "ab"), "[ab    ]");
    CHECK_STR(keel_format(&r, "[%0*d]", -6, 42), "[42    ]");   /* '-' beats '0' */
    CHECK_STR(keel_format(&r, "[%.*d]", -6, 42), "[42]");       /* negative precision: none */
    CHECK_STR(keel_format(&r, "[%.*s]", -1, "abc"), "[abc]");
}

TEST(zero_size_writes_nothing)
{
    char buf[8];

    memset(buf, SENTINEL, sizeof(buf));
    CHECK_EQ_I(ksnprintf(buf, 0, "hello %d", 12345), 11);
    for (size_t i = 0; i < sizeof(buf); i++)
        CHECK_EQ_U((unsigned char)buf[i], SENTINEL);
    CHECK_EQ_I(ksnprintf(NULL, 0, "%s-%s", "abc", "de"), 6);
    CHECK_EQ_I(keel_format_into(NULL, 0, ""), 0);
}

TEST(truncation_terminates_and_counts)
{
    char buf[8];

    memset(buf, SENTINEL, sizeof(buf));
    CHECK_EQ_I(ksnprintf(buf, 4, "%d", 123456), 6);
    CHECK_STR(buf, "123");
    CHECK_EQ_U((unsigned char)buf[4], SENTINEL);
    CHECK_EQ_I(ksnprintf(buf, 1, "%s", "anything"), 8);
    CHECK_STR(buf, "");
    CHECK_EQ_I(ksnprintf(buf, sizeof(buf), "%s", "1234567"), 7);
    CHECK_STR(buf, "1234567");
    CHECK_EQ_I(ksnprintf(buf, sizeof(buf), "%s", "12345678"), 8);
    CHECK_STR(buf, "1234567");
    CHECK_EQ_I(ksnprintf(buf, 3, "%10d", 1), 10);
    CHECK_STR(buf, "  ");
}

/* Output longer than INT_MAX cannot be reported: -1, as POSIX's EOVERFLOW.
 * Padding is counted, not written, so none of this is slow. */
TEST(length_past_int_max_is_minus_one)
{
    char buf[16];
    int r;

    CHECK_EQ_I(ksnprintf(buf, sizeof(buf), "%*d", INT_MAX, 7), INT_MAX);
    CHECK_STR(buf, "               ");
    CHECK_EQ_I(keel_format_into(buf, sizeof(buf), "x%*d", INT_MAX, 7), -1);
    CHECK_STR(buf, "x              ");
    CHECK_EQ_I(keel_format_into(buf, sizeof(buf), "%*d", INT_MIN, 7), -1);
    CHECK_STR(buf, "7              ");
    (void)keel_format(&r, "%2147483647d", 1);
    CHECK_EQ_I(r, INT_MAX);
    (void)keel_format(&r, "%2147483648d", 1);
    CHECK_EQ_I(r, -1);
    (void)keel_format(&r, "%99999999999999999999999d", 1);
    CHECK_EQ_I(r, -1);
    (void)keel_format(&r, "%.99999999999999999999999d", 1);
    CHECK_EQ_I(r, -1);
    (void)keel_format(&r, "%.2147483647s", "short");
    CHECK_EQ_I(r, 5);
}

TEST(alternate_forms)
{
    char buf[64];

    ksnprintf(buf, sizeof(buf), "%#x %#X %#o %#x %#o", 0x1fu, 0x1fu, 8u, 0u, 0u);
    CHECK_STR(buf, "0x1f 0X1F 010 0 0");
    ksnprintf(buf, sizeof(buf), "[%#010x] [%#-10x] [%#.5o] [%#.0o]", 0xabu, 0xabu, 8u, 0u);
    CHECK_STR(buf, "[0x000000ab] [0xab      ] [00010] [0]");
}
