/*
 * Host tests for guest/insn_arith.c: every operation is run on the host
 * CPU for edge values of each size, and the result and the flags the SDM
 * defines must match keel's.  Undefined flags are not compared.
 */
#include "tests/unit/unit.h"

#include "guest/insn_arith.c"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const uint64_t values[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x12345678, 0x7fffffff,
    0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
    0xfffffffffffffffeull, 0xffffffffffffffffull, 0x0123456789abcdefull,
};
static const unsigned sizes[] = { 1, 2, 4, 8 };

#define HOST_FLAGS (RFLAGS_ARITH)

/* Runs "insn a, b" (AT&T: b op= a) at one size with CF = carry_in; returns
 * the destination and the host RFLAGS after it. */
#define HOST_BINARY(sfx, reg, insn, size_t_)                                          \
    static uint64_t host_##insn##sfx(uint64_t dst, uint64_t src, bool carry,          \
                                     uint64_t *flags)                                 \
    {                                                                                 \
        size_t_ d = (size_t_)dst, s = (size_t_)src;                                   \
        uint64_t f;                                                                   \
        __asm__("bt $0, %[c]\n\t" #insn #sfx " %" reg "[s], %" reg "[d]\n\t"          \
                "pushfq\n\tpopq %[f]"                                                 \
                : [d] "+r"(d), [f] "=r"(f) : [s] "r"(s), [c] "r"((uint64_t)carry)     \
                : "cc");                                                              \
        *flags = f;                                                                   \
        return (uint64_t)d;                                                           \
    }

#define HOST_BINARY_ALL(insn)                                                         \
    HOST_BINARY(b, "b", insn, uint8_t)                                                \
    HOST_BINARY(w, "w", insn, uint16_t)                                               \
    HOST_BINARY(l, "k", insn, uint32_t)                                               \
    HOST_BINARY(q, "q", insn, uint64_t)

HOST_BINARY_ALL(adc)
HOST_BINARY_ALL(sbb)
HOST_BINARY_ALL(add)
HOST_BINARY_ALL(sub)
HOST_BINARY_ALL(and)
HOST_BINARY_ALL(or)
HOST_BINARY_ALL(xor)

typedef uint64_t (*host_binary_fn)(uint64_t, uint64_t, bool, uint64_t *);

struct binary_op {
    const char *name;
    enum alu_op op;
    host_binary_fn host[4];
    uint64_t defined;
};

static const struct binary_op binary_ops[] = {
    { "add", ALU_ADD, { host_addb, host_addw, host_addl, host_addq }, RFLAGS_ARITH },
    { "adc", ALU_ADC, { host_adcb, host_adcw, host_adcl, host_adcq }, RFLAGS_ARITH },
    { "sub", ALU_SUB, { host_subb, host_subw, host_subl, host_subq }, RFLAGS_ARITH },
    { "sbb", ALU_SBB, { host_sbbb, host_sbbw, host_sbbl, host_sbbq }, RFLAGS_ARITH },
    { "and", ALU_AND, { host_andb, host_andw, host_andl, host_andq }, RFLAGS_ARITH & ~RFLAGS_AF },
    { "or", ALU_OR, { host_orb, host_orw, host_orl, host_orq }, RFLAGS_ARITH & ~RFLAGS_AF },
    { "xor", ALU_XOR, { host_xorb, host_xorw, host_xorl, host_xorq }, RFLAGS_ARITH & ~RFLAGS_AF },
};

TEST(alu_matches_host_cpu)
{
    unsigned failures = 0;
    for (size_t o = 0; o < ARRAY_SIZE(binary_ops); o++)
        for (unsigned si = 0; si < 4; si++)
            for (size_t i = 0; i < ARRAY_SIZE(values); i++)
                for (size_t j = 0; j < ARRAY_SIZE(values); j++)
                    for (unsigned carry = 0; carry < 2; carry++) {
                        const struct binary_op *op = &binary_ops[o];
                        unsigned size = sizes[si];
                        uint64_t hf, kf = carry ? RFLAGS_CF : 0;
                        uint64_t want = op->host[si](values[i], values[j], carry, &hf);
                        uint64_t got = arith_alu(op->op, values[i], values[j], size, &kf);
                        if ((got != (want & arith_mask(size)) ||
                             (kf & op->defined) != (hf & op->defined)) && failures++ < 5)
                            UNIT_FAIL("%s%u 0x%" PRIx64 ", 0x%" PRIx64 " CF=%u: 0x%" PRIx64
                                      " flags 0x%" PRIx64 ", host 0x%" PRIx64 " 0x%" PRIx64,
                                      op->name, size * 8, values[i], values[j], carry, got,
                                      kf & op->defined, want, hf & op->defined);
                    }
}

/* INC, DEC, NEG on the host: CF comes in set so that INC/DEC keep it. */
#define HOST_UNARY(insn, sfx, size_t_)                                                \
    static uint64_t host_##insn##sfx(uint64_t a, uint64_t *flags)                     \
    {                                                                                 \
        size_t_ d = (size_t_)a;                                                       \
        uint64_t f;                                                                   \
        __asm__("stc\n\t" #insn #sfx " %[d]\n\tpushfq\n\tpopq %[f]"                   \
                : [d] "+rm"(d), [f] "=r"(f) : : "cc");                                \
        *flags = f;                                                                   \
        return (uint64_t)d;                                                           \
    }
#define HOST_UNARY_ALL(insn)                                                          \
    HOST_UNARY(insn, b, uint8_t) HOST_UNARY(insn, w, uint16_t)                        \
    HOST_UNARY(insn, l, uint32_t) HOST_UNARY(insn, q, uint64_t)
HOST_UNARY_ALL(inc)
HOST_UNARY_ALL(dec)
HOST_UNARY_ALL(neg)

TEST(inc_dec_neg_match_host_cpu)
{
    uint64_t (*const host[3][4])(uint64_t, uint64_t *) = {
        { host_incb, host_incw, host_incl, host_incq },
        { host_decb, host_decw, host_decl, host_decq },
        { host_negb, host_negw, host_negl, host_negq },
    };
    unsigned failures = 0;
    for (unsigned op = 0; op < 3; op++)
        for (unsigned si = 0; si < 4; si++)
            for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
                unsigned size = sizes[si];
                uint64_t hf, kf = RFLAGS_CF;
                uint64_t want = host[op][si](values[i], &hf) & arith_mask(size);
                uint64_t got = op == 2 ? arith_neg(values[i], size, &kf)
                                       : arith_inc_dec(op == 1, values[i], size, &kf);
                if ((got != want || (kf & RFLAGS_ARITH) != (hf & RFLAGS_ARITH)) &&
                    failures++ < 5)
                    UNIT_FAIL("op %u size %u 0x%" PRIx64 ": 0x%" PRIx64 " 0x%" PRIx64
                              ", host 0x%" PRIx64 " 0x%" PRIx64, op, size, values[i], got,
                              (uint64_t)(kf & RFLAGS_ARITH), want, (uint64_t)(hf & RFLAGS_ARITH));
            }
}

/* One-operand MUL/IMUL at 32 and 64 bits: EDX:EAX / RDX:RAX and CF/OF. */
static void host_mul(bool is_signed, unsigned size, uint64_t a, uint64_t b, uint64_t *hi,
                     uint64_t *lo, uint64_t *flags)
{
    uint64_t rax = a, rdx = 0, f;
    if (size == 8 && is_signed)
        __asm__("imulq %[b]\n\tpushfq\n\tpopq %[f]" : "+a"(rax), "=d"(rdx), [f] "=r"(f)
                : [b] "r"(b) : "cc");
    else if (size == 8)
        __asm__("mulq %[b]\n\tpushfq\n\tpopq %[f]" : "+a"(rax), "=d"(rdx), [f] "=r"(f)
                : [b] "r"(b) : "cc");
    else if (is_signed)
        __asm__("imull %k[b]\n\tpushfq\n\tpopq %[f]" : "+a"(rax), "=d"(rdx), [f] "=r"(f)
                : [b] "r"(b) : "cc");
    else
        __asm__("mull %k[b]\n\tpushfq\n\tpopq %[f]" : "+a"(rax), "=d"(rdx), [f] "=r"(f)
                : [b] "r"(b) : "cc");
    *hi = rdx & arith_mask(size);
    *lo = rax & arith_mask(size);
    *flags = f;
}

TEST(mul_matches_host_cpu)
{
    unsigned failures = 0;
    for (unsigned s = 0; s < 2; s++)
        for (unsigned sg = 0; sg < 2; sg++)
            for (size_t i = 0; i < ARRAY_SIZE(values); i++)
                for (size_t j = 0; j < ARRAY_SIZE(values); j++) {
                    unsigned size = s ? 8 : 4;
                    uint64_t hhi, hlo, hf, khi, kf = 0;
                    host_mul(sg, size, values[i], values[j], &hhi, &hlo, &hf);
                    uint64_t klo = arith_mul(sg, values[i], values[j], size, &khi, &kf);
                    uint64_t def = RFLAGS_CF | RFLAGS_OF;
                    if ((klo != hlo || khi != hhi || (kf & def) != (hf & def)) &&
                        failures++ < 5)
                        UNIT_FAIL("%smul%u 0x%" PRIx64 " * 0x%" PRIx64 ": 0x%" PRIx64
                                  ":0x%" PRIx64 ", host 0x%" PRIx64 ":0x%" PRIx64,
                                  sg ? "i" : "", size * 8, values[i], values[j], khi, klo,
                                  hhi, hlo);
                }
}

/* DIV/IDIV at 64 bits: the host faults where keel says #DE, so only the
 * cases keel accepts run on the host; the refusals are checked by value. */
TEST(div_matches_host_cpu_or_refuses)
{
    unsigned failures = 0;
    for (unsigned sg = 0; sg < 2; sg++)
        for (size_t h = 0; h < ARRAY_SIZE(values); h++)
            for (size_t l = 0; l < ARRAY_SIZE(values); l++)
                for (size_t d = 0; d < ARRAY_SIZE(values); d++) {
                    uint64_t q, r;
                    bool ok = arith_div(sg, values[h], values[l], values[d], 8, &q, &r);
                    if (sg) {
                        __int128 n = (__int128)(((unsigned __int128)values[h] << 64) |
                                                values[l]);
                        int64_t dv = (int64_t)values[d];
                        __int128 qq = 0, rr = 0;
                        bool fits;
                        if (dv == 0) {
                            fits = false;
                        } else if (dv == -1) {  /* n / -1 overflows __int128 for its minimum */
                            fits = n >= -(__int128)INT64_MAX && n <= (__int128)INT64_MAX + 1;
                            qq = fits ? -n : 0;
                        } else {
                            qq = n / dv;
                            rr = n % dv;
                            fits = qq >= INT64_MIN && qq <= INT64_MAX;
                        }
                        if (ok != fits || (ok && ((int64_t)q != (int64_t)qq ||
                                                  (int64_t)r != (int64_t)rr))) {
                            if (failures++ < 5)
                                UNIT_FAIL("idiv 0x%" PRIx64 ":%" PRIx64 " / 0x%" PRIx64,
                                          values[h], values[l], values[d]);
                        }
                    } else {
                        unsigned __int128 n = ((unsigned __int128)values[h] << 64) | values[l];
                        bool fits = values[d] != 0 && n / values[d] <= UINT64_MAX;
                        if (ok != fits || (ok && (q != (uint64_t)(n / values[d]) ||
                                                  r != (uint64_t)(n % values[d])))) {
                            if (failures++ < 5)
                                UNIT_FAIL("div 0x%" PRIx64 ":%" PRIx64 " / 0x%" PRIx64,
                                          values[h], values[l], values[d]);
                        }
                    }
                }
    /* Narrow sizes: AX / r8 and DX:AX / r16. */
    uint64_t q, r;
    CHECK(arith_div(false, 0x12, 0x34, 0x40, 1, &q, &r) && q == 0x48 && r == 0x34);
    CHECK(!arith_div(false, 0x40, 0x00, 0x40, 1, &q, &r));
    CHECK(!arith_div(true, 0xff, 0x80, 0xff, 1, &q, &r));        /* -128 / -1 */
    CHECK(arith_div(true, 0xff, 0x80, 0x01, 1, &q, &r) && q == 0x80 && r == 0);
    CHECK(arith_div(true, 0xfff0, 0x5678, 0x1234, 2, &q, &r));
}

/* SHLD/SHRD at 32 and 64 bits, counts 1..bits-1. */
static uint64_t host_shift(bool right, unsigned size, uint64_t dst, uint64_t src, unsigned count,
                           uint64_t *flags)
{
    uint64_t f;
    uint8_t c = (uint8_t)count;
    if (size == 8 && right)
        __asm__("shrdq %%cl, %[s], %[d]\n\tpushfq\n\tpopq %[f]" : [d] "+r"(dst), [f] "=r"(f)
                : [s] "r"(src), "c"(c) : "cc");
    else if (size == 8)
        __asm__("shldq %%cl, %[s], %[d]\n\tpushfq\n\tpopq %[f]" : [d] "+r"(dst), [f] "=r"(f)
                : [s] "r"(src), "c"(c) : "cc");
    else if (right)
        __asm__("shrdl %%cl, %k[s], %k[d]\n\tpushfq\n\tpopq %[f]" : [d] "+r"(dst), [f] "=r"(f)
                : [s] "r"(src), "c"(c) : "cc");
    else
        __asm__("shldl %%cl, %k[s], %k[d]\n\tpushfq\n\tpopq %[f]" : [d] "+r"(dst), [f] "=r"(f)
                : [s] "r"(src), "c"(c) : "cc");
    *flags = f;
    return dst & arith_mask(size);
}

TEST(double_shift_matches_host_cpu)
{
    unsigned failures = 0;
    for (unsigned s = 0; s < 2; s++)
        for (unsigned right = 0; right < 2; right++)
            for (size_t i = 0; i < ARRAY_SIZE(values); i++)
                for (unsigned count = 1; count < (s ? 64u : 32u); count += 3) {
                    unsigned size = s ? 8 : 4;
                    uint64_t src = values[(i + 7) % ARRAY_SIZE(values)];
                    uint64_t hf, kf = 0;
                    uint64_t want = host_shift(right, size, values[i], src, count, &hf);
                    uint64_t got = arith_double_shift(right, values[i], src, count, size, &kf);
                    uint64_t def = RFLAGS_CF | RFLAGS_PF | RFLAGS_ZF | RFLAGS_SF |
                                   (count == 1 ? RFLAGS_OF : 0);
                    if ((got != want || (kf & def) != (hf & def)) && failures++ < 5)
                        UNIT_FAIL("sh%sd%u 0x%" PRIx64 ", 0x%" PRIx64 ", %u: 0x%" PRIx64
                                  " 0x%" PRIx64 ", host 0x%" PRIx64 " 0x%" PRIx64,
                                  right ? "r" : "l", size * 8, values[i], src, count, got,
                                  kf & def, want, hf & def);
                }
    uint64_t f = RFLAGS_CF;
    CHECK_EQ_U(arith_double_shift(false, 0x1234, 0xffff, 0, 2, &f), 0x1234);
    CHECK_EQ_U(f, RFLAGS_CF);           /* count 0: flags kept */
}

/* Group 2 on the host: "op %cl, dst" with CF = carry_in. */
#define HOST_GROUP2(insn, sfx, size_t_)                                                \
    static uint64_t host_##insn##sfx(uint64_t a, unsigned count, bool carry,          \
                                     uint64_t *flags)                                 \
    {                                                                                 \
        size_t_ d = (size_t_)a;                                                       \
        uint64_t f;                                                                   \
        __asm__("bt $0, %[c]\n\t" #insn #sfx " %%cl, %[d]\n\tpushfq\n\tpopq %[f]"      \
                : [d] "+r"(d), [f] "=r"(f)                                            \
                : "c"((uint8_t)count), [c] "r"((uint64_t)carry) : "cc");              \
        *flags = f;                                                                   \
        return (uint64_t)d;                                                           \
    }
#define HOST_GROUP2_ALL(insn)                                                         \
    HOST_GROUP2(insn, b, uint8_t) HOST_GROUP2(insn, w, uint16_t)                      \
    HOST_GROUP2(insn, l, uint32_t) HOST_GROUP2(insn, q, uint64_t)
HOST_GROUP2_ALL(rol)
HOST_GROUP2_ALL(ror)
HOST_GROUP2_ALL(rcl)
HOST_GROUP2_ALL(rcr)
HOST_GROUP2_ALL(shl)
HOST_GROUP2_ALL(shr)
HOST_GROUP2_ALL(sar)

typedef uint64_t (*host_group2_fn)(uint64_t, unsigned, bool, uint64_t *);

static const struct {
    const char *name;
    enum shift_op op;
    host_group2_fn host[4];
} group2_ops[] = {
    { "rol", SHIFT_ROL, { host_rolb, host_rolw, host_roll, host_rolq } },
    { "ror", SHIFT_ROR, { host_rorb, host_rorw, host_rorl, host_rorq } },
    { "rcl", SHIFT_RCL, { host_rclb, host_rclw, host_rcll, host_rclq } },
    { "rcr", SHIFT_RCR, { host_rcrb, host_rcrw, host_rcrl, host_rcrq } },
    { "shl", SHIFT_SHL, { host_shlb, host_shlw, host_shll, host_shlq } },
    { "shr", SHIFT_SHR, { host_shrb, host_shrw, host_shrl, host_shrq } },
    { "sar", SHIFT_SAR, { host_sarb, host_sarw, host_sarl, host_sarq } },
};

/* The flags the SDM defines after op by a masked count: rotates CF (and
 * OF for 1), shifts CF, SF, ZF, PF (and OF for 1) but not CF of SHL/SHR
 * once the count reaches the width; count 0 keeps everything (CF is the
 * one flag the harness sets before). */
static uint64_t group2_defined(enum shift_op op, unsigned count, unsigned size)
{
    bool rotate = op == SHIFT_ROL || op == SHIFT_ROR || op == SHIFT_RCL || op == SHIFT_RCR;
    uint64_t f = rotate ? RFLAGS_CF : RFLAGS_CF | RFLAGS_PF | RFLAGS_ZF | RFLAGS_SF;
    if (count == 0)
        return RFLAGS_CF;
    if (count == 1)
        f |= RFLAGS_OF;
    if ((op == SHIFT_SHL || op == SHIFT_SHR) && count >= 8 * size)
        f &= ~RFLAGS_CF;
    return f;
}

TEST(group2_matches_host_cpu)
{
    unsigned failures = 0;
    for (size_t o = 0; o < ARRAY_SIZE(group2_ops); o++)
        for (unsigned si = 0; si < 4; si++)
            for (size_t i = 0; i < ARRAY_SIZE(values); i++)
                for (unsigned count = 0; count < 64; count++)
                    for (unsigned carry = 0; carry < 2; carry++) {
                        unsigned size = sizes[si];
                        unsigned masked = count & (size == 8 ? 63u : 31u);
                        uint64_t hf, kf = carry ? RFLAGS_CF : 0;
                        uint64_t want = group2_ops[o].host[si](values[i], count, carry, &hf);
                        uint64_t got = arith_shift(group2_ops[o].op, values[i], masked, size,
                                                   &kf);
                        uint64_t def = group2_defined(group2_ops[o].op, masked, size);
                        if ((got != (want & arith_mask(size)) || (kf & def) != (hf & def)) &&
                            failures++ < 5)
                            UNIT_FAIL("%s%u 0x%" PRIx64 ", %u CF=%u: 0x%" PRIx64
                                      " flags 0x%" PRIx64 ", host 0x%" PRIx64 " 0x%" PRIx64,
                                      group2_ops[o].name, size * 8, values[i], count, carry,
                                      got, kf & def, want, hf & def);
                    }
}

/* Undefined flags are left as they were: AF always, OF after a count
 * above 1. */
TEST(group2_keeps_undefined_flags)
{
    uint64_t f = RFLAGS_AF | RFLAGS_OF;
    CHECK_EQ_U(arith_shift(SHIFT_SHL, 0x40, 2, 1, &f), 0x00);
    CHECK_EQ_U(f, RFLAGS_AF | RFLAGS_OF | RFLAGS_CF | RFLAGS_ZF | RFLAGS_PF);
    f = RFLAGS_AF;
    CHECK_EQ_U(arith_shift(SHIFT_ROR, 0x1, 1, 4, &f), 0x80000000u);
    CHECK_EQ_U(f, RFLAGS_AF | RFLAGS_CF | RFLAGS_OF);
}

TEST(bit_test_scan_and_conditions)
{
    uint64_t f = 0;
    CHECK_EQ_U(arith_bit_test(BT_SET, 0x10, 0, &f), 0x11);
    CHECK_EQ_U(f & RFLAGS_CF, 0);
    CHECK_EQ_U(arith_bit_test(BT_RESET, 0x10, 4, &f), 0);
    CHECK_EQ_U(f & RFLAGS_CF, RFLAGS_CF);
    CHECK_EQ_U(arith_bit_test(BT_COMPLEMENT, 0, 63, &f), 0x8000000000000000ull);
    CHECK_EQ_U(arith_bit_test(BT_TEST, 0x8000000000000000ull, 63, &f), 0x8000000000000000ull);
    CHECK_EQ_U(f & RFLAGS_CF, RFLAGS_CF);

    uint64_t index = 99;
    f = 0;
    CHECK(!arith_bit_scan(false, 0xff00, 1, &index, &f));        /* byte 0 of it is 0 */
    CHECK_EQ_U(f & RFLAGS_ZF, RFLAGS_ZF);
    CHECK_EQ_U(index, 99);
    CHECK(arith_bit_scan(false, 0xc000, 2, &index, &f) && index == 14);
    CHECK_EQ_U(f & RFLAGS_ZF, 0);
    CHECK(arith_bit_scan(true, 0xc000, 2, &index, &f) && index == 15);
    CHECK(arith_bit_scan(true, 0xc00000000000ull, 8, &index, &f) && index == 47);

    /* Each condition against the host's SETcc for every status-flag set. */
    for (unsigned flags = 0; flags < 64; flags++) {
        uint64_t rf = ((flags & 1) ? RFLAGS_CF : 0) | ((flags & 2) ? RFLAGS_PF : 0) |
                      ((flags & 4) ? RFLAGS_ZF : 0) | ((flags & 8) ? RFLAGS_SF : 0) |
                      ((flags & 16) ? RFLAGS_OF : 0) | ((flags & 32) ? RFLAGS_AF : 0) | 2;
        uint8_t host[16];
        __asm__("pushq %[rf]\n\tpopfq\n\t"
                "seto 0(%[h])\n\tsetno 1(%[h])\n\tsetb 2(%[h])\n\tsetae 3(%[h])\n\t"
                "sete 4(%[h])\n\tsetne 5(%[h])\n\tsetbe 6(%[h])\n\tseta 7(%[h])\n\t"
                "sets 8(%[h])\n\tsetns 9(%[h])\n\tsetp 10(%[h])\n\tsetnp 11(%[h])\n\t"
                "setl 12(%[h])\n\tsetge 13(%[h])\n\tsetle 14(%[h])\n\tsetg 15(%[h])"
                : : [rf] "r"(rf), [h] "r"(host) : "memory", "cc");
        for (uint8_t cc = 0; cc < 16; cc++)
            if (arith_condition(cc, rf) != (host[cc] != 0))
                UNIT_FAIL("condition %u with RFLAGS 0x%" PRIx64, cc, rf);
    }
}
