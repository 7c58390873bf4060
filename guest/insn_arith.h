/*
 * The integer arithmetic of emulated instructions (guest/insn_arith.c):
 * results and status flags as the SDM vol. 2 instruction pages define them,
 * pure logic, host-tested against the host CPU.
 *
 * Every function works on `size`-byte operands (1, 2, 4 or 8) held in the
 * low bits of uint64_t values (bits above size are ignored) and returns the
 * result truncated to size.  *rflags is the guest's RFLAGS: a function
 * changes only the flags its instruction defines.  Where the SDM calls a
 * flag undefined, keel leaves it as it was (except AF after the logic
 * instructions, which keel clears as the CPUs in use do); test guests must
 * not compare undefined flags.
 */
#ifndef KEEL_GUEST_INSN_ARITH_H
#define KEEL_GUEST_INSN_ARITH_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/insn_decode.h"

/* RFLAGS bits (SDM vol. 1 3.4.3, figure 3-8). */
#define RFLAGS_CF       (1ull << 0)
#define RFLAGS_PF       (1ull << 2)
#define RFLAGS_AF       (1ull << 4)
#define RFLAGS_ZF       (1ull << 6)
#define RFLAGS_SF       (1ull << 7)
#define RFLAGS_DF       (1ull << 10)
#define RFLAGS_OF       (1ull << 11)
/* The status flags ADD, SUB, CMP, AND, OR, XOR and TEST define. */
#define RFLAGS_ARITH    (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | \
                         RFLAGS_SF | RFLAGS_OF)

/* The low size bytes (size 1, 2, 4 or 8; 8 and above give all 64 bits).
 * Inline: every access and register write of the emulator masks. */
static inline uint64_t arith_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

uint64_t arith_sign_extend(uint64_t v, unsigned size);

/* ADD, OR, ADC, SBB, AND, SUB, XOR: a op b (ADC/SBB add or subtract CF). */
uint64_t arith_alu(enum alu_op op, uint64_t a, uint64_t b, unsigned size, uint64_t *rflags);

/* INC and DEC: as ADD/SUB 1, CF unchanged. */
uint64_t arith_inc_dec(bool dec, uint64_t a, unsigned size, uint64_t *rflags);
/* NEG: 0 - a, CF = (a != 0). */
uint64_t arith_neg(uint64_t a, unsigned size, uint64_t *rflags);

/* MUL/IMUL with one operand: the double-width product of a and b as
 * (*high, low).  CF = OF = the high half is significant (for IMUL: not the
 * sign extension of the low half).  SF, ZF, AF, PF are undefined. */
uint64_t arith_mul(bool is_signed, uint64_t a, uint64_t b, unsigned size, uint64_t *high,
                   uint64_t *rflags);
/* IMUL with two or three operands: the low half; CF = OF as above. */
uint64_t arith_imul_trunc(uint64_t a, uint64_t b, unsigned size, uint64_t *rflags);

/* DIV/IDIV: (high:low) / divisor.  False when the CPU raises #DE (divisor
 * 0, or a quotient that does not fit in size bytes); flags are undefined
 * and left alone. */
bool arith_div(bool is_signed, uint64_t high, uint64_t low, uint64_t divisor, unsigned size,
               uint64_t *quotient, uint64_t *remainder);

/* BT/BTS/BTR/BTC on bit `bit` (< 8 * size) of a: CF = the bit; the new
 * value (a itself for BT).  ZF unchanged; OF, SF, AF, PF undefined. */
uint64_t arith_bit_test(enum bt_op op, uint64_t a, unsigned bit, uint64_t *rflags);

/* BSF/BSR: the index of the lowest/highest set bit of a; when a is 0,
 * ZF = 1 and false is returned (the destination is left unchanged, as the
 * CPUs do).  CF, OF, SF, AF, PF undefined. */
bool arith_bit_scan(bool reverse, uint64_t a, unsigned size, uint64_t *index, uint64_t *rflags);

/* SHLD (dst:src shifted left) and SHRD (src:dst shifted right) by count,
 * already masked to 5 bits (6 for 64-bit operands).  Count 0 changes
 * nothing.  CF = last bit shifted out, SF/ZF/PF from the result, OF only
 * for a count of 1 (sign change); AF undefined.  A count larger than the
 * operand (16-bit forms) is undefined: keel shifts through the 32-bit
 * concatenation as Intel CPUs do. */
uint64_t arith_double_shift(bool right, uint64_t dst, uint64_t src, unsigned count, unsigned size,
                            uint64_t *rflags);

/*
 * The rotates and shifts of group 2 by count, already masked to 5 bits (6
 * for 64-bit operands); count 0 changes nothing.  ROL, ROR, RCL, RCR
 * change only CF (the bit rotated last; RCL/RCR rotate through it, modulo
 * 9 or 17 for byte and word operands) and, for a count of 1, OF.  SHL,
 * SHR, SAR set CF to the last bit shifted out, SF/ZF/PF from the result,
 * and for a count of 1 OF (SHL: the sign changed; SHR: the old sign; SAR:
 * 0); AF is undefined.  CF after SHL/SHR by a count of at least the
 * operand's width (byte and word operands) is undefined: keel gives the
 * bit the loop in the SDM's Operation section would leave.
 */
uint64_t arith_shift(enum shift_op op, uint64_t a, unsigned count, unsigned size,
                     uint64_t *rflags);

/* Condition cc (0-15, the low nibble of Jcc/SETcc/CMOVcc) on rflags
 * (SDM vol. 1 appendix B, table B-1). */
bool arith_condition(uint8_t cc, uint64_t rflags);

#endif
