/*
 * printf-style formatting into a caller's buffer (contract in lib/format.h).
 *
 * A conversion specification is parsed in the order C11 7.21.6.1p4 gives:
 * '%', flags, field width, precision, length modifier, conversion character.
 * The text each conversion produces is laid out as
 *     [spaces] [prefix] [zeros] body [spaces]
 * where prefix is the sign or "0x", zeros come from the precision (or from the
 * '0' flag), and the spaces from the field width; every conversion goes
 * through emit_field() so the padding rules live in one place.
 *
 * Output that does not fit is counted but not stored, which gives the
 * vsnprintf return value.  Should that count not fit in an int (a huge width
 * or precision), the result is -1, as POSIX specifies (EOVERFLOW).
 */
#include "lib/format.h"

#include <stdbool.h>
#include <stdint.h>

#include "lib/string.h"

/* Largest value an int holds; widths and precisions beyond it saturate just
 * above it, so the total length is then reported as too large. */
#define FORMAT_INT_MAX    ((size_t)__INT_MAX__)
#define FORMAT_NUM_LIMIT  (FORMAT_INT_MAX + 1)

/* Enough for the longest conversion body: a 64-bit value in octal (22 digits). */
#define FORMAT_DIGITS_MAX 24
/* %p always shows every nibble of a 64-bit address. */
#define FORMAT_POINTER_NIBBLES 16

/* The buffer being filled: only the first size-1 bytes are stored, len counts
 * everything that would have been written. */
struct sink {
    char *buf;
    size_t size;
    size_t len;
};

enum format_flag {
    FLAG_LEFT  = 1u << 0,   /* '-': pad on the right */
    FLAG_ZERO  = 1u << 1,   /* '0': pad numbers with zeros */
    FLAG_PLUS  = 1u << 2,   /* '+': always show the sign */
    FLAG_SPACE = 1u << 3,   /* ' ': a blank where '+' would go */
    FLAG_ALT   = 1u << 4,   /* '#': 0x prefix for x/X, leading 0 for o */
};

enum format_length {
    LENGTH_NONE,            /* int */
    LENGTH_HH,              /* char */
    LENGTH_H,               /* short */
    LENGTH_L,               /* long */
    LENGTH_LL,              /* long long */
    LENGTH_Z,               /* size_t */
    LENGTH_T,               /* ptrdiff_t */
    LENGTH_J,               /* intmax_t */
};

struct conversion {
    unsigned flags;
    size_t width;
    bool has_precision;
    size_t precision;
    enum format_length length;
    char conv;
};

/* Bytes still storable before the byte reserved for the terminator. */
static size_t sink_room(const struct sink *out)
{
    return out->len + 1 < out->size ? out->size - 1 - out->len : 0;
}

static void put_bytes(struct sink *out, const char *s, size_t n)
{
    size_t room = sink_room(out);
    size_t stored = n < room ? n : room;

    if (stored > 0)
        memcpy(out->buf + out->len, s, stored);
    out->len += n;
}

static void put_repeated(struct sink *out, char c, size_t n)
{
    size_t room = sink_room(out);
    size_t stored = n < room ? n : room;

    if (stored > 0)
        memset(out->buf + out->len, c, stored);
    out->len += n;
}

/* strnlen without needing POSIX on the host: never reads past s[max-1]. */
static size_t bounded_length(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0')
        n++;
    return n;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Lays out one conversion's text with its field width (C11 7.21.6.1p6). */
static void emit_field(struct sink *out, const struct conversion *spec, bool zero_pad,
                       const char *prefix, size_t prefix_len, size_t zeros,
                       const char *body, size_t body_len)
{
    size_t used = prefix_len + zeros + body_len;
    size_t pad = spec->width > used ? spec->width - used : 0;

    if (spec->flags & FLAG_LEFT) {
        put_bytes(out, prefix, prefix_len);
        put_repeated(out, '0', zeros);
        put_bytes(out, body, body_len);
        put_repeated(out, ' ', pad);
    } else if (zero_pad) {
        put_bytes(out, prefix, prefix_len);
        put_repeated(out, '0', zeros + pad);
        put_bytes(out, body, body_len);
    } else {
        put_repeated(out, ' ', pad);
        put_bytes(out, prefix, prefix_len);
        put_repeated(out, '0', zeros);
        put_bytes(out, body, body_len);
    }
}

static size_t parse_decimal(const char **fmt)
{
    size_t n = 0;

    while (is_digit(**fmt)) {
        if (n < FORMAT_NUM_LIMIT)
            n = n * 10 + (size_t)(**fmt - '0');
        (*fmt)++;
    }
    return n < FORMAT_NUM_LIMIT ? n : FORMAT_NUM_LIMIT;
}

/* Magnitude of an int taken from the argument list, without overflowing on INT_MIN. */
static size_t int_magnitude(int v)
{
    return (size_t)(v < 0 ? -(long long)v : (long long)v);
}

static unsigned parse_flags(const char **fmt)
{
    unsigned flags = 0;

    for (;; (*fmt)++) {
        switch (**fmt) {
        case '-': flags |= FLAG_LEFT; break;
        case '0': flags |= FLAG_ZERO; break;
        case '+': flags |= FLAG_PLUS; break;
        case ' ': flags |= FLAG_SPACE; break;
        case '#': flags |= FLAG_ALT; break;
        default: return flags;
        }
    }
}

/* A negative '*' width means the '-' flag and its absolute value (C11 7.21.6.1p5). */
static void parse_width(const char **fmt, va_list *ap, struct conversion *spec)
{
    if (**fmt == '*') {
        int w = va_arg(*ap, int);
        (*fmt)++;
        if (w < 0)
            spec->flags |= FLAG_LEFT;
        spec->width = int_magnitude(w);
    } else {
        spec->width = parse_decimal(fmt);
    }
}

/* "." alone is precision 0; a negative '*' precision counts as none (C11 7.21.6.1p5). */
static void parse_precision(const char **fmt, va_list *ap, struct conversion *spec)
{
    spec->has_precision = false;
    spec->precision = 0;
    if (**fmt != '.')
        return;
    (*fmt)++;
    if (**fmt == '*') {
        int p = va_arg(*ap, int);
        (*fmt)++;
        if (p >= 0) {
            spec->has_precision = true;
            spec->precision = (size_t)p;
        }
    } else {
        spec->has_precision = true;
        spec->precision = parse_decimal(fmt);
    }
}

static enum format_length parse_length(const char **fmt)
{
    switch (**fmt) {
    case 'h':
        (*fmt)++;
        if (**fmt == 'h') {
            (*fmt)++;
            return LENGTH_HH;
        }
        return LENGTH_H;
    case 'l':
        (*fmt)++;
        if (**fmt == 'l') {
            (*fmt)++;
            return LENGTH_LL;
        }
        return LENGTH_L;
    case 'z': (*fmt)++; return LENGTH_Z;
    case 't': (*fmt)++; return LENGTH_T;
    case 'j': (*fmt)++; return LENGTH_J;
    default: return LENGTH_NONE;
    }
}

/* char and short arguments arrive promoted to int (C11 6.5.2.2p6) and are
 * converted back before printing, as C11 7.21.6.1p7 requires for hh and h. */
static intmax_t fetch_signed(va_list *ap, enum format_length length)
{
    switch (length) {
    case LENGTH_HH: return (signed char)va_arg(*ap, int);
    case LENGTH_H:  return (short)va_arg(*ap, int);
    case LENGTH_L:  return va_arg(*ap, long);
    case LENGTH_LL: return va_arg(*ap, long long);
    case LENGTH_Z:  return va_arg(*ap, ptrdiff_t);   /* the signed type of size_t's width */
    case LENGTH_T:  return va_arg(*ap, ptrdiff_t);
    case LENGTH_J:  return va_arg(*ap, intmax_t);
    case LENGTH_NONE: break;
    }
    return va_arg(*ap, int);
}

static uintmax_t fetch_unsigned(va_list *ap, enum format_length length)
{
    switch (length) {
    case LENGTH_HH: return (unsigned char)va_arg(*ap, unsigned int);
    case LENGTH_H:  return (unsigned short)va_arg(*ap, unsigned int);
    case LENGTH_L:  return va_arg(*ap, unsigned long);
    case LENGTH_LL: return va_arg(*ap, unsigned long long);
    case LENGTH_Z:  return va_arg(*ap, size_t);
    case LENGTH_T:  return va_arg(*ap, size_t);      /* the unsigned type of ptrdiff_t's width */
    case LENGTH_J:  return va_arg(*ap, uintmax_t);
    case LENGTH_NONE: break;
    }
    return va_arg(*ap, unsigned int);
}

/* Writes v's digits at the end of digits[]; returns where they start.
 * Zero gives no digits at all: the precision decides whether a "0" appears. */
static char *digits_of(uintmax_t v, unsigned base, bool upper, char digits[FORMAT_DIGITS_MAX])
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = digits + FORMAT_DIGITS_MAX;

    while (v != 0) {
        *--p = set[v % base];
        v /= base;
    }
    return p;
}

static unsigned base_of(char conv)
{
    switch (conv) {
    case 'o': return 8;
    case 'x':
    case 'X': return 16;
    default: return 10;
    }
}

/* The sign of a signed conversion, or the "0x" that '#' asks for (never for 0). */
static const char *integer_prefix(const struct conversion *spec, bool negative, uintmax_t magnitude)
{
    bool is_signed = spec->conv == 'd' || spec->conv == 'i';

    if (negative)
        return "-";
    if (is_signed && (spec->flags & FLAG_PLUS))
        return "+";
    if (is_signed && (spec->flags & FLAG_SPACE))
        return " ";
    if ((spec->flags & FLAG_ALT) && magnitude != 0 && spec->conv == 'x')
        return "0x";
    if ((spec->flags & FLAG_ALT) && magnitude != 0 && spec->conv == 'X')
        return "0X";
    return "";
}

/* %d %i %u %x %X %o, following C11 7.21.6.1p6 and p8. */
static void format_integer(struct sink *out, const struct conversion *spec, va_list *ap)
{
    bool is_signed = spec->conv == 'd' || spec->conv == 'i';
    bool negative = false;
    uintmax_t magnitude;

    if (is_signed) {
        intmax_t v = fetch_signed(ap, spec->length);
        negative = v < 0;
        magnitude = negative ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
    } else {
        magnitude = fetch_unsigned(ap, spec->length);
    }

    char digits[FORMAT_DIGITS_MAX];
    const char *first = digits_of(magnitude, base_of(spec->conv), spec->conv == 'X', digits);
    size_t ndigits = (size_t)(digits + FORMAT_DIGITS_MAX - first);

    /* The default precision is 1; an explicit one turns off the '0' flag. */
    size_t precision = spec->has_precision ? spec->precision : 1;
    /* '#' with o: raise the precision just enough that the first digit is 0. */
    if (spec->conv == 'o' && (spec->flags & FLAG_ALT) && ndigits >= precision)
        precision = ndigits + 1;
    size_t zeros = precision > ndigits ? precision - ndigits : 0;

    const char *prefix = integer_prefix(spec, negative, magnitude);
    bool zero_pad = (spec->flags & FLAG_ZERO) && !spec->has_precision;
    emit_field(out, spec, zero_pad, prefix, strlen(prefix), zeros, first, ndigits);
}

static void format_char(struct sink *out, const struct conversion *spec, va_list *ap)
{
    char c = (char)(unsigned char)va_arg(*ap, int);

    emit_field(out, spec, false, "", 0, 0, &c, 1);
}

/* With a precision, at most that many bytes are read: the array need not be
 * terminated (C11 7.21.6.1p8).  NULL prints as "(null)", cut like any string. */
static void format_string(struct sink *out, const struct conversion *spec, va_list *ap)
{
    const char *s = va_arg(*ap, const char *);

    if (s == NULL)
        s = "(null)";
    size_t len = bounded_length(s, spec->has_precision ? spec->precision : SIZE_MAX);
    emit_field(out, spec, false, "", 0, 0, s, len);
}

/* keel's own %p: "0x" and all 16 nibbles, so addresses line up in tables. */
static void format_pointer(struct sink *out, const struct conversion *spec, va_list *ap)
{
    uintptr_t v = (uintptr_t)va_arg(*ap, void *);
    char nibbles[FORMAT_POINTER_NIBBLES];

    for (int i = FORMAT_POINTER_NIBBLES - 1; i >= 0; i--) {
        nibbles[i] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    }
    emit_field(out, spec, false, "0x", 2, 0, nibbles, FORMAT_POINTER_NIBBLES);
}

/* Formats one conversion whose character is spec->conv.  Returns false when
 * keel does not support it, so the caller prints the specification as written. */
static bool format_conversion(struct sink *out, const struct conversion *spec, va_list *ap)
{
    switch (spec->conv) {
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o':
        format_integer(out, spec, ap);
        return true;
    case 'c':
    case 's':
    case 'p':
    case '%':
        /* Length modifiers here would mean wide characters, which keel lacks. */
        if (spec->length != LENGTH_NONE)
            return false;
        if (spec->conv == 'c')
            format_char(out, spec, ap);
        else if (spec->conv == 's')
            format_string(out, spec, ap);
        else if (spec->conv == 'p')
            format_pointer(out, spec, ap);
        else
            put_bytes(out, "%", 1);
        return true;
    default:
        return false;
    }
}

/* Parses the specification after '%' up to its conversion character, which
 * *fmt is left pointing at (possibly the terminator of a cut-off format). */
static void parse_conversion(const char **fmt, va_list *ap, struct conversion *spec)
{
    spec->flags = parse_flags(fmt);
    parse_width(fmt, ap, spec);
    parse_precision(fmt, ap, spec);
    spec->length = parse_length(fmt);
    spec->conv = **fmt;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink out = { .buf = buf, .size = size, .len = 0 };
    va_list args;

    /* A va_list parameter may be an array in disguise; a local copy can be
     * handed to the helpers by address portably (C11 7.16p3). */
    va_copy(args, ap);
    while (*fmt != '\0') {
        if (*fmt != '%') {
            const char *start = fmt;
            while (*fmt != '\0' && *fmt != '%')
                fmt++;
            put_bytes(&out, start, (size_t)(fmt - start));
            continue;
        }

        const char *start = fmt++;
        struct conversion spec;
        parse_conversion(&fmt, &args, &spec);
        if (spec.conv == '\0') {
            /* The format ends inside a specification: show what there is. */
            put_bytes(&out, start, (size_t)(fmt - start));
            break;
        }
        fmt++;
        if (!format_conversion(&out, &spec, &args))
            put_bytes(&out, start, (size_t)(fmt - start));
    }
    va_end(args);

    if (size > 0)
        buf[out.len < size ? out.len : size - 1] = '\0';
    return out.len > FORMAT_INT_MAX ? -1 : (int)out.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
