#include <stdbool.h>
#include <stdint.h>

#include "lib/printf.h"
#include "lib/serial.h"
#include "lib/string.h"

/* Where formatted characters go: COM1, or a bounded buffer. */
struct sink {
    bool to_serial;
    char *buf;          /* when not to_serial: size bytes at buf */
    size_t size;
    size_t len;         /* characters produced so far */
};

static void sink_put(struct sink *s, char c)
{
    if (s->to_serial)
        serial_putc(c);
    else if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}

static void sink_repeat(struct sink *s, char c, int n)
{
    while (n-- > 0)
        sink_put(s, c);
}

/* One conversion's flags, width and precision. */
struct spec {
    bool left;          /* '-' */
    bool zero;          /* '0' */
    int width;
    int precision;      /* -1: none */
};

/* Divides *v by 10 in place and returns the remainder, using only 32-bit
 * divisions (16 bits at a time), so that no libgcc helper is needed. */
static unsigned divide_by_10(uint64_t *v)
{
    uint64_t q = 0;
    uint32_t r = 0;
    for (int shift = 48; shift >= 0; shift -= 16) {
        uint32_t cur = (r << 16) | (uint32_t)((*v >> shift) & 0xFFFF);
        q |= (uint64_t)(cur / 10) << shift;
        r = cur % 10;
    }
    *v = q;
    return r;
}

/* Writes 'digits' (most significant first) with sign/prefix, padded to the
 * field width.  Zero padding goes between the sign and the digits. */
static void put_padded(struct sink *s, const struct spec *sp, const char *prefix,
                       const char *digits, int ndigits)
{
    int plen = (int)strlen(prefix);
    int pad = sp->width - plen - ndigits;
    if (!sp->left && !sp->zero)
        sink_repeat(s, ' ', pad);
    for (int i = 0; i < plen; i++)
        sink_put(s, prefix[i]);
    if (!sp->left && sp->zero)
        sink_repeat(s, '0', pad);
    for (int i = 0; i < ndigits; i++)
        sink_put(s, digits[i]);
    if (sp->left)
        sink_repeat(s, ' ', pad);
}

static void put_unsigned(struct sink *s, const struct spec *sp, uint64_t v,
                         unsigned base, bool upper, const char *prefix)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        unsigned digit;
        if (base == 16) {
            digit = (unsigned)(v & 0xF);
            v >>= 4;
        } else {
            digit = divide_by_10(&v);
        }
        tmp[n++] = set[digit];
    } while (v);
    char digits[24];
    for (int i = 0; i < n; i++)
        digits[i] = tmp[n - 1 - i];
    put_padded(s, sp, prefix, digits, n);
}

static void put_signed(struct sink *s, const struct spec *sp, int64_t v)
{
    uint64_t magnitude = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    put_unsigned(s, sp, magnitude, 10, false, v < 0 ? "-" : "");
}

static void put_string(struct sink *s, const struct spec *sp, const char *str)
{
    if (!str)
        str = "(null)";
    int n = 0;
    while (str[n] && (sp->precision < 0 || n < sp->precision))
        n++;
    struct spec plain = *sp;
    plain.zero = false;
    put_padded(s, &plain, "", str, n);
}

/* Length modifiers, reduced to the argument width they imply on i386. */
enum arg_size { ARG_INT, ARG_LONG_LONG };

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){ .precision = -1 };
    for (;; f++) {
        if (*f == '-')
            sp->left = true;
        else if (*f == '0')
            sp->zero = true;
        else
            break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = true;
            sp->width = -sp->width;
        }
        f++;
    }
    while (*f >= '0' && *f <= '9')
        sp->width = sp->width * 10 + (*f++ - '0');
    if (*f == '.') {
        f++;
        sp->precision = 0;
        if (*f == '*') {
            sp->precision = va_arg(*ap, int);
            f++;
        }
        while (*f >= '0' && *f <= '9')
            sp->precision = sp->precision * 10 + (*f++ - '0');
    }
    return f;
}

static const char *parse_size(const char *f, enum arg_size *size)
{
    *size = ARG_INT;
    while (*f == 'h' || *f == 'l' || *f == 'z') {
        if (f[0] == 'l' && f[1] == 'l') {
            *size = ARG_LONG_LONG;
            f++;
        }
        f++;
    }
    return f;
}

static void format(struct sink *s, const char *fmt, va_list ap_in)
{
    va_list ap;
    va_copy(ap, ap_in);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            sink_put(s, *f);
            continue;
        }
        struct spec sp;
        enum arg_size size;
        f = parse_spec(f + 1, &sp, &ap);
        f = parse_size(f, &size);
        switch (*f) {
        case 'd':
        case 'i':
            put_signed(s, &sp, size == ARG_LONG_LONG ? va_arg(ap, long long)
                                                     : va_arg(ap, int));
            break;
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = size == ARG_LONG_LONG ? va_arg(ap, unsigned long long)
                                               : va_arg(ap, unsigned int);
            put_unsigned(s, &sp, v, *f == 'u' ? 10 : 16, *f == 'X', "");
            break;
        }
        case 'p':
            put_unsigned(s, &sp, (uintptr_t)va_arg(ap, void *), 16, false, "0x");
            break;
        case 's':
            put_string(s, &sp, va_arg(ap, const char *));
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            struct spec plain = sp;
            plain.zero = false;
            put_padded(s, &plain, "", &c, 1);
            break;
        }
        case '\0':
            f--;            /* a lone '%' at the end: stop at the NUL */
            break;
        default:
            sink_put(s, *f);
            break;
        }
    }
    va_end(ap);
}

int vprintf(const char *fmt, va_list ap)
{
    struct sink s = { .to_serial = true };
    format(&s, fmt, ap);
    return (int)s.len;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s = { .buf = buf, .size = size };
    format(&s, fmt, ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = '\0';
    return (int)s.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
