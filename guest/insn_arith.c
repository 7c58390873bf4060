/*
 * Integer arithmetic and status flags of emulated instructions (contract in
 * guest/insn_arith.h).  Formulas from the SDM vol. 2 pages of each
 * instruction and vol. 1 3.4.3.1 (status flags).
 */
#include "guest/insn_arith.h"

/* AF reports the carry or borrow between bits 3 and 4: it is bit 4 of
 * a ^ b ^ result (SDM vol. 1 3.4.3.1). */
#define AUX_CARRY_BIT   0x10
/* An odd condition code is the negation of the even one below it. */
#define CONDITION_NEGATE 1u

static uint64_t sign_bit(unsigned size)
{
    return 1ull << (8 * size - 1);
}

uint64_t arith_sign_extend(uint64_t v, unsigned size)
{
    uint64_t sign = sign_bit(size);
    return ((v & arith_mask(size)) ^ sign) - sign;
}

/* PF: set when the low byte of the result has an even number of 1 bits. */
static bool parity_even(uint64_t v)
{
    uint8_t b = (uint8_t)v;
    b ^= b >> 4;
    b ^= b >> 2;
    b ^= b >> 1;
    return !(b & 1);
}

/* PF, ZF and SF, which every arithmetic and logic instruction derives from
 * its result alone. */
static uint64_t result_flags(uint64_t r, unsigned size)
{
    uint64_t f = 0;

    if (parity_even(r))
        f |= RFLAGS_PF;
    if ((r & arith_mask(size)) == 0)
        f |= RFLAGS_ZF;
    if (r & sign_bit(size))
        f |= RFLAGS_SF;
    return f;
}

static void set_flags(uint64_t *rflags, uint64_t which, uint64_t values)
{
    *rflags = (*rflags & ~which) | (values & which);
}

/* a + b + carry: CF is the carry out of the top bit, AF the carry out of
 * bit 3, OF set when both inputs have the same sign and the result the
 * other (SDM vol. 2A "ADD", "ADC"). */
static uint64_t add_with_carry(uint64_t a, uint64_t b, unsigned carry, unsigned size,
                               uint64_t *flags)
{
    uint64_t m = arith_mask(size);
    a &= m;
    b &= m;
    uint64_t r = (a + b + carry) & m;
    uint64_t f = result_flags(r, size);

    if (r < a || (carry && r == a))
        f |= RFLAGS_CF;
    if ((a ^ b ^ r) & AUX_CARRY_BIT)
        f |= RFLAGS_AF;
    if ((a ^ r) & (b ^ r) & sign_bit(size))
        f |= RFLAGS_OF;
    *flags = f;
    return r;
}

/* a - b - borrow: CF is the borrow into the top bit, AF the borrow into
 * bit 3, OF set when the inputs differ in sign and the result's sign
 * differs from the minuend's (SDM vol. 2A "SUB", "SBB", "CMP"). */
static uint64_t sub_with_borrow(uint64_t a, uint64_t b, unsigned borrow, unsigned size,
                                uint64_t *flags)
{
    uint64_t m = arith_mask(size);
    a &= m;
    b &= m;
    uint64_t r = (a - b - borrow) & m;
    uint64_t f = result_flags(r, size);

    if (a < b || (borrow && a == b))
        f |= RFLAGS_CF;
    if ((a ^ b ^ r) & AUX_CARRY_BIT)
        f |= RFLAGS_AF;
    if ((a ^ b) & (a ^ r) & sign_bit(size))
        f |= RFLAGS_OF;
    *flags = f;
    return r;
}

uint64_t arith_alu(enum alu_op op, uint64_t a, uint64_t b, unsigned size, uint64_t *rflags)
{
    unsigned carry = (*rflags & RFLAGS_CF) ? 1 : 0;
    uint64_t r, f;

    switch (op) {
    case ALU_ADD:
        r = add_with_carry(a, b, 0, size, &f);
        break;
    case ALU_ADC:
        r = add_with_carry(a, b, carry, size, &f);
        break;
    case ALU_SUB:
        r = sub_with_borrow(a, b, 0, size, &f);
        break;
    case ALU_SBB:
        r = sub_with_borrow(a, b, carry, size, &f);
        break;
    /* AND, OR, XOR: CF = OF = 0; AF is undefined and keel clears it. */
    case ALU_AND:
        r = a & b & arith_mask(size);
        f = result_flags(r, size);
        break;
    case ALU_OR:
        r = (a | b) & arith_mask(size);
        f = result_flags(r, size);
        break;
    case ALU_XOR:
    default:
        r = (a ^ b) & arith_mask(size);
        f = result_flags(r, size);
        break;
    }
    set_flags(rflags, RFLAGS_ARITH, f);
    return r;
}

uint64_t arith_inc_dec(bool dec, uint64_t a, unsigned size, uint64_t *rflags)
{
    uint64_t f;
    uint64_t r = dec ? sub_with_borrow(a, 1, 0, size, &f) : add_with_carry(a, 1, 0, size, &f);
    set_flags(rflags, RFLAGS_ARITH & ~RFLAGS_CF, f);
    return r;
}

uint64_t arith_neg(uint64_t a, unsigned size, uint64_t *rflags)
{
    uint64_t f;
    uint64_t r = sub_with_borrow(0, a, 0, size, &f);
    set_flags(rflags, RFLAGS_ARITH, f);
    return r;
}

/* The full 128-bit product of two 64-bit values. */
static void mul_64x64(uint64_t a, uint64_t b, uint64_t *high, uint64_t *low)
{
    unsigned __int128 p = (unsigned __int128)a * b;
    *high = (uint64_t)(p >> 64);
    *low = (uint64_t)p;
}

uint64_t arith_mul(bool is_signed, uint64_t a, uint64_t b, unsigned size, uint64_t *high,
                   uint64_t *rflags)
{
    uint64_t m = arith_mask(size);
    uint64_t hi, lo;
    bool significant;

    if (is_signed) {
        int64_t sa = (int64_t)arith_sign_extend(a, size);
        int64_t sb = (int64_t)arith_sign_extend(b, size);
        __int128 p = (__int128)sa * sb;
        lo = (uint64_t)p & m;
        hi = size == 8 ? (uint64_t)(p >> 64) : (uint64_t)(p >> (8 * size)) & m;
        significant = p != (__int128)(int64_t)arith_sign_extend(lo, size);
    } else {
        mul_64x64(a & m, b & m, &hi, &lo);
        if (size < 8) {
            hi = (lo >> (8 * size)) & m;
            lo &= m;
        }
        significant = hi != 0;
    }
    set_flags(rflags, RFLAGS_CF | RFLAGS_OF, significant ? RFLAGS_CF | RFLAGS_OF : 0);
    *high = hi;
    return lo;
}

uint64_t arith_imul_trunc(uint64_t a, uint64_t b, unsigned size, uint64_t *rflags)
{
    uint64_t high;
    return arith_mul(true, a, b, size, &high, rflags);
}

/* Unsigned (high:low) / d for d != 0 and high < d, so that the quotient
 * fits in 64 bits: schoolbook division a bit at a time (keel has no
 * 128-bit division routine). */
static uint64_t div_128_by_64(uint64_t high, uint64_t low, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0;

    for (int i = 63; i >= 0; i--) {
        bool top = (high >> 63) != 0;
        high = (high << 1) | (low >> 63);
        low <<= 1;
        q <<= 1;
        if (top || high >= d) {
            high -= d;
            q |= 1;
        }
    }
    *rem = high;
    return q;
}

static bool div_unsigned(uint64_t high, uint64_t low, uint64_t d, unsigned size, uint64_t *q,
                         uint64_t *r)
{
    uint64_t m = arith_mask(size);
    d &= m;
    if (d == 0)
        return false;
    if (size == 8) {
        if (high >= d)
            return false;           /* the quotient needs more than 64 bits */
        *q = div_128_by_64(high, low, d, r);
        return true;
    }
    uint64_t n = ((high & m) << (8 * size)) | (low & m);
    if (n / d > m)
        return false;
    *q = n / d;
    *r = n % d;
    return true;
}

/* Signed division truncates toward zero; the remainder has the dividend's
 * sign (SDM vol. 2A "IDIV"). */
static bool div_signed(uint64_t high, uint64_t low, uint64_t d, unsigned size, uint64_t *q,
                       uint64_t *r)
{
    uint64_t m = arith_mask(size);
    bool dividend_negative, divisor_negative;
    uint64_t mag_high, mag_low, mag_d;

    if (size == 8) {
        dividend_negative = (high >> 63) != 0;
        mag_high = high;
        mag_low = low;
        if (dividend_negative) {        /* two's complement of the 128-bit value */
            mag_low = ~low + 1;
            mag_high = ~high + (mag_low == 0);
        }
    } else {
        int64_t n = (int64_t)arith_sign_extend(((high & m) << (8 * size)) | (low & m),
                                               2 * size);
        dividend_negative = n < 0;
        mag_high = 0;
        mag_low = dividend_negative ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    }
    int64_t sd = (int64_t)arith_sign_extend(d, size);
    divisor_negative = sd < 0;
    mag_d = divisor_negative ? (uint64_t)0 - (uint64_t)sd : (uint64_t)sd;
    if (mag_d == 0 || mag_high >= mag_d)
        return false;

    uint64_t mq, mr;
    if (size == 8) {
        mq = div_128_by_64(mag_high, mag_low, mag_d, &mr);
    } else {
        mq = mag_low / mag_d;
        mr = mag_low % mag_d;
    }
    bool negative = dividend_negative != divisor_negative;
    /* The quotient must fit: up to 2^(n-1) - 1, or 2^(n-1) when negative. */
    if (mq > sign_bit(size) - 1 + (negative ? 1 : 0))
        return false;
    *q = (negative ? (uint64_t)0 - mq : mq) & m;
    *r = (dividend_negative ? (uint64_t)0 - mr : mr) & m;
    return true;
}

bool arith_div(bool is_signed, uint64_t high, uint64_t low, uint64_t divisor, unsigned size,
               uint64_t *quotient, uint64_t *remainder)
{
    if (is_signed)
        return div_signed(high, low, divisor, size, quotient, remainder);
    return div_unsigned(high, low, divisor, size, quotient, remainder);
}

uint64_t arith_bit_test(enum bt_op op, uint64_t a, unsigned bit, uint64_t *rflags)
{
    uint64_t mask = 1ull << (bit & 63);
    set_flags(rflags, RFLAGS_CF, (a & mask) ? RFLAGS_CF : 0);
    switch (op) {
    case BT_SET:
        return a | mask;
    case BT_RESET:
        return a & ~mask;
    case BT_COMPLEMENT:
        return a ^ mask;
    default:
        return a;
    }
}

bool arith_bit_scan(bool reverse, uint64_t a, unsigned size, uint64_t *index, uint64_t *rflags)
{
    a &= arith_mask(size);
    if (a == 0) {
        set_flags(rflags, RFLAGS_ZF, RFLAGS_ZF);
        return false;
    }
    set_flags(rflags, RFLAGS_ZF, 0);
    *index = reverse ? 63u - (unsigned)__builtin_clzll(a) : (unsigned)__builtin_ctzll(a);
    return true;
}

uint64_t arith_double_shift(bool right, uint64_t dst, uint64_t src, unsigned count, unsigned size,
                            uint64_t *rflags)
{
    unsigned bits = 8 * size;
    uint64_t m = arith_mask(size);
    uint64_t r;
    bool cf;

    dst &= m;
    src &= m;
    if (count == 0)
        return dst;
    if (size == 8) {
        if (right) {
            r = (dst >> count) | (src << (64 - count));
            cf = (dst >> (count - 1)) & 1;
        } else {
            r = (dst << count) | (src >> (64 - count));
            cf = (dst >> (64 - count)) & 1;
        }
    } else {
        /* Through a 2 * bits wide value (64 bits at most); a 16-bit count
         * above 16 shifts src back in (Intel CPUs; undefined in the SDM). */
        uint64_t wide = right ? (src << bits) | dst : (dst << bits) | src;
        unsigned width = 2 * bits;
        unsigned c = count % width;
        if (c == 0)
            c = width;
        if (right) {
            uint64_t rot = (wide >> c) | (wide << (width - c));
            if (width < 64)
                rot &= (1ull << width) - 1;
            r = rot & m;
            cf = (wide >> (c - 1)) & 1;
        } else {
            uint64_t rot = (wide << c) | (wide >> (width - c));
            if (width < 64)
                rot &= (1ull << width) - 1;
            r = (rot >> bits) & m;
            cf = (wide >> (width - c)) & 1;
        }
    }
    r &= m;
    uint64_t f = result_flags(r, size);
    uint64_t which = RFLAGS_CF | RFLAGS_PF | RFLAGS_ZF | RFLAGS_SF;
    if (cf)
        f |= RFLAGS_CF;
    if (count == 1) {
        which |= RFLAGS_OF;
        if ((r ^ dst) & sign_bit(size))
            f |= RFLAGS_OF;
    }
    set_flags(rflags, which, f);
    return r;
}

/* ROL/ROR by count modulo the width: CF is the bit that went round last,
 * OF (count 1) the XOR of the result's two top bits for ROR, of its top
 * bit and CF for ROL (SDM vol. 2B "RCL/RCR/ROL/ROR"). */
static uint64_t rotate(bool right, uint64_t a, unsigned count, unsigned size, uint64_t *rflags)
{
    unsigned bits = 8 * size, c = count % bits;
    uint64_t m = arith_mask(size), top = sign_bit(size);
    uint64_t r = a;
    if (c != 0)
        r = right ? ((a >> c) | (a << (bits - c))) & m : ((a << c) | (a >> (bits - c))) & m;
    bool cf = right ? (r & top) != 0 : (r & 1) != 0;
    bool of = right ? ((r & top) != 0) != ((r & (top >> 1)) != 0) : ((r & top) != 0) != cf;
    set_flags(rflags, RFLAGS_CF | (count == 1 ? RFLAGS_OF : 0),
              (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0));
    return r;
}

/* RCL/RCR: a rotate of the (width + 1)-bit value CF:a, one bit at a time
 * as the SDM's Operation section does it; byte and word counts are taken
 * modulo 9 and 17.  OF (count 1): the top bit XOR CF after RCL, the
 * result's two top bits XORed after RCR. */
static uint64_t rotate_through_carry(bool right, uint64_t a, unsigned count, unsigned size,
                                     uint64_t *rflags)
{
    unsigned c = size == 1 ? count % 9 : size == 2 ? count % 17 : count;
    uint64_t top = sign_bit(size), r = a;
    bool cf = (*rflags & RFLAGS_CF) != 0;
    for (unsigned i = 0; i < c; i++) {
        bool out = right ? (r & 1) != 0 : (r & top) != 0;
        r = right ? (r >> 1) | (cf ? top : 0) : ((r << 1) & arith_mask(size)) | (cf ? 1 : 0);
        cf = out;
    }
    bool of = right ? ((r & top) != 0) != ((r & (top >> 1)) != 0) : ((r & top) != 0) != cf;
    set_flags(rflags, RFLAGS_CF | (count == 1 ? RFLAGS_OF : 0),
              (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0));
    return r;
}

/* SHL, SHR, SAR: CF is the last bit shifted out (0 once the count passes
 * the width, or the sign for SAR). */
static uint64_t shift(enum shift_op op, uint64_t a, unsigned count, unsigned size,
                      uint64_t *rflags)
{
    unsigned bits = 8 * size;
    uint64_t m = arith_mask(size), top = sign_bit(size), r;
    bool cf, of;
    switch (op) {
    case SHIFT_SHL:
        r = (a << count) & m;
        cf = count <= bits && ((a >> (bits - count)) & 1);
        of = ((r & top) != 0) != cf;
        break;
    case SHIFT_SHR:
        r = a >> count;
        cf = (a >> (count - 1)) & 1;
        of = (a & top) != 0;
        break;
    default: {                                          /* SAR */
        int64_t s = (int64_t)arith_sign_extend(a, size);
        r = (uint64_t)(s >> count) & m;
        cf = ((uint64_t)(s >> (count - 1)) & 1) != 0;
        of = false;
        break;
    }
    }
    uint64_t f = result_flags(r, size) | (cf ? RFLAGS_CF : 0) | (of ? RFLAGS_OF : 0);
    set_flags(rflags, RFLAGS_CF | RFLAGS_PF | RFLAGS_ZF | RFLAGS_SF |
              (count == 1 ? RFLAGS_OF : 0), f);
    return r;
}

uint64_t arith_shift(enum shift_op op, uint64_t a, unsigned count, unsigned size,
                     uint64_t *rflags)
{
    a &= arith_mask(size);
    if (count == 0)
        return a;
    switch (op) {
    case SHIFT_ROL:
    case SHIFT_ROR:
        return rotate(op == SHIFT_ROR, a, count, size, rflags);
    case SHIFT_RCL:
    case SHIFT_RCR:
        return rotate_through_carry(op == SHIFT_RCR, a, count, size, rflags);
    default:
        return shift(op, a, count, size, rflags);
    }
}

bool arith_condition(uint8_t cc, uint64_t rflags)
{
    bool cf = rflags & RFLAGS_CF, zf = rflags & RFLAGS_ZF, sf = rflags & RFLAGS_SF;
    bool of = rflags & RFLAGS_OF, pf = rflags & RFLAGS_PF;
    bool v;

    switch (cc >> 1) {
    case 0: v = of; break;                      /* O */
    case 1: v = cf; break;                      /* B, C */
    case 2: v = zf; break;                      /* E, Z */
    case 3: v = cf || zf; break;                /* BE */
    case 4: v = sf; break;                      /* S */
    case 5: v = pf; break;                      /* P */
    case 6: v = sf != of; break;                /* L */
    default: v = zf || sf != of; break;         /* LE */
    }
    return (cc & CONDITION_NEGATE) ? !v : v;
}
