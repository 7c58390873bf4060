/*
 * Emulation of one decoded MMIO instruction: operand fetch through the
 * caller's callbacks, register writes with the partial-register rules,
 * status flags, and one iteration of STOS/MOVS.
 */
#include "guest/insn_emulate.h"

/* Bits 15:8 of RAX..RBX hold AH..BH (SDM vol. 1 3.4.1, figure 3-5). */
#define HIGH_BYTE_SHIFT 8

/* AF reports the carry or borrow between bits 3 and 4: it is bit 4 of
 * a ^ b ^ result (SDM vol. 1 3.4.3.1). */
#define AUX_CARRY_BIT   0x10

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t sign_bit(unsigned size)
{
    return 1ull << (8 * size - 1);
}

static uint64_t sign_extend_from(uint64_t v, unsigned size)
{
    uint64_t sign = sign_bit(size);
    return ((v & size_mask(size)) ^ sign) - sign;
}

static uint64_t read_gpr(const struct guest_regs *regs, enum x86_gpr reg, bool high_byte,
                         unsigned size)
{
    uint64_t v = regs->gpr[reg];
    if (high_byte)
        v >>= HIGH_BYTE_SHIFT;
    return v & size_mask(size);
}

/*
 * The x86 register-write rule (SDM vol. 1 3.4.1.1): a 32-bit result is
 * zero-extended to 64 bits; an 8- or 16-bit one replaces only its own bits.
 */
static void write_gpr(struct guest_regs *regs, enum x86_gpr reg, bool high_byte,
                      unsigned size, uint64_t v)
{
    uint64_t *r = &regs->gpr[reg];

    if (size == 4) {
        *r = v & size_mask(4);
    } else if (size == 8) {
        *r = v;
    } else {
        unsigned shift = high_byte ? HIGH_BYTE_SHIFT : 0;
        uint64_t mask = size_mask(size) << shift;
        *r = (*r & ~mask) | ((v << shift) & mask);
    }
}

uint64_t insn_mem_offset(const struct insn_mem *m, const struct guest_regs *regs,
                         uint64_t next_rip)
{
    uint64_t addr = (uint64_t)m->disp;

    if (m->has_base)
        addr += regs->gpr[m->base];
    if (m->has_index)
        addr += regs->gpr[m->index] * m->scale;
    if (m->rip_relative)
        addr += next_rip;
    return addr & size_mask(m->addr_size);
}

int64_t insn_string_step(const struct insn *in, uint64_t rflags)
{
    return (rflags & RFLAGS_DF) ? -(int64_t)in->op_size : (int64_t)in->op_size;
}

/* The forms that leave RFLAGS alone are listed, so that an operation added
 * later counts as using it until someone says otherwise. */
bool insn_uses_rflags(const struct insn *in)
{
    switch (in->op) {
    case INSN_MOV_TO_MEM:
    case INSN_MOV_FROM_MEM:
    case INSN_MOVZX:
    case INSN_MOVSX:
    case INSN_XCHG:
        return false;
    default:
        return true;
    }
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
    if ((r & size_mask(size)) == 0)
        f |= RFLAGS_ZF;
    if (r & sign_bit(size))
        f |= RFLAGS_SF;
    return f;
}

/*
 * ADD (SDM vol. 2A "ADD"): CF is the carry out of the top bit, AF the carry
 * out of bit 3, OF set when both inputs have the same sign and the result
 * the other.
 */
static uint64_t add_flags(uint64_t a, uint64_t b, uint64_t r, unsigned size)
{
    uint64_t f = result_flags(r, size);

    if ((r & size_mask(size)) < (a & size_mask(size)))
        f |= RFLAGS_CF;
    if ((a ^ b ^ r) & AUX_CARRY_BIT)
        f |= RFLAGS_AF;
    if ((a ^ r) & (b ^ r) & sign_bit(size))
        f |= RFLAGS_OF;
    return f;
}

/*
 * SUB and CMP (SDM vol. 2A "SUB"): CF is the borrow into the top bit, AF the
 * borrow into bit 3, OF set when the inputs differ in sign and the result's
 * sign differs from the minuend's.
 */
static uint64_t sub_flags(uint64_t a, uint64_t b, uint64_t r, unsigned size)
{
    uint64_t f = result_flags(r, size);

    if ((a & size_mask(size)) < (b & size_mask(size)))
        f |= RFLAGS_CF;
    if ((a ^ b ^ r) & AUX_CARRY_BIT)
        f |= RFLAGS_AF;
    if ((a ^ b) & (a ^ r) & sign_bit(size))
        f |= RFLAGS_OF;
    return f;
}

/* AND, OR, XOR, TEST: CF = OF = 0; AF is undefined and keel clears it. */
static uint64_t logic_flags(uint64_t r, unsigned size)
{
    return result_flags(r, size);
}

/* a op b in `size` bytes; *flags gets the status flags it defines. */
static uint64_t alu_compute(enum alu_op op, uint64_t a, uint64_t b, unsigned size,
                            uint64_t *flags)
{
    uint64_t r;

    switch (op) {
    case ALU_ADD:
        r = (a + b) & size_mask(size);
        *flags = add_flags(a, b, r, size);
        return r;
    case ALU_SUB:
        r = (a - b) & size_mask(size);
        *flags = sub_flags(a, b, r, size);
        return r;
    case ALU_AND:
        r = a & b & size_mask(size);
        break;
    case ALU_OR:
        r = (a | b) & size_mask(size);
        break;
    case ALU_XOR:
    default:
        r = (a ^ b) & size_mask(size);
        break;
    }
    *flags = logic_flags(r, size);
    return r;
}

static bool valid_alu_op(enum alu_op op)
{
    return op == ALU_ADD || op == ALU_OR || op == ALU_AND || op == ALU_SUB ||
           op == ALU_XOR;
}

static bool valid_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

static void set_arith_flags(uint64_t *rflags, uint64_t flags)
{
    *rflags = (*rflags & ~RFLAGS_ARITH) | flags;
}

static int mem_read(const struct mmio_ops *ops, void *ctx, uint64_t gpa, unsigned size,
                    uint64_t *val)
{
    uint64_t v = 0;
    if (ops->read(ctx, gpa, size, &v) != 0)
        return INSN_EMU_ERR_ACCESS;
    *val = v & size_mask(size);
    return 0;
}

static int mem_write(const struct mmio_ops *ops, void *ctx, uint64_t gpa, unsigned size,
                     uint64_t val)
{
    if (ops->write(ctx, gpa, size, val & size_mask(size)) != 0)
        return INSN_EMU_ERR_ACCESS;
    return 0;
}

/* The non-memory source operand: the immediate or the register. */
static uint64_t reg_or_imm(const struct insn *in, const struct guest_regs *regs)
{
    if (in->has_imm)
        return (uint64_t)in->imm & size_mask(in->op_size);
    return read_gpr(regs, in->reg, in->reg_high_byte, in->op_size);
}

static int emulate_mov_to_mem(const struct insn *in, const struct guest_regs *regs,
                              uint64_t gpa, const struct mmio_ops *ops, void *ctx)
{
    return mem_write(ops, ctx, gpa, in->op_size, reg_or_imm(in, regs));
}

/* MOV, MOVZX and MOVSX into a register. */
static int emulate_load(const struct insn *in, struct guest_regs *regs, uint64_t gpa,
                        const struct mmio_ops *ops, void *ctx)
{
    uint64_t v;
    int err = mem_read(ops, ctx, gpa, in->mem_size, &v);
    if (err)
        return err;
    if (in->op == INSN_MOVSX)
        v = sign_extend_from(v, in->mem_size);
    write_gpr(regs, in->reg, in->reg_high_byte, in->op_size, v);
    return 0;
}

/*
 * ALU, CMP and TEST: the memory operand is the first operand when
 * dst_is_mem ("SUB m, r" computes m - r), the second otherwise.  CMP is SUB
 * and TEST is AND, each without writing the result.
 */
static int emulate_arith(const struct insn *in, struct guest_regs *regs, uint64_t *rflags,
                         uint64_t gpa, const struct mmio_ops *ops, void *ctx)
{
    enum alu_op op = in->op == INSN_CMP ? ALU_SUB : in->op == INSN_TEST ? ALU_AND : in->alu;
    bool writes_result = in->op == INSN_ALU;

    if (!valid_alu_op(op))
        return INSN_EMU_ERR_UNSUPPORTED;

    uint64_t m;
    int err = mem_read(ops, ctx, gpa, in->op_size, &m);
    if (err)
        return err;

    uint64_t other = reg_or_imm(in, regs);
    uint64_t a = in->dst_is_mem ? m : other;
    uint64_t b = in->dst_is_mem ? other : m;
    uint64_t flags;
    uint64_t r = alu_compute(op, a, b, in->op_size, &flags);

    if (writes_result) {
        if (in->dst_is_mem) {
            err = mem_write(ops, ctx, gpa, in->op_size, r);
            if (err)
                return err;
        } else {
            write_gpr(regs, in->reg, in->reg_high_byte, in->op_size, r);
        }
    }
    set_arith_flags(rflags, flags);
    return 0;
}

static int emulate_xchg(const struct insn *in, struct guest_regs *regs, uint64_t gpa,
                        const struct mmio_ops *ops, void *ctx)
{
    uint64_t old;
    int err = mem_read(ops, ctx, gpa, in->op_size, &old);
    if (err)
        return err;
    err = mem_write(ops, ctx, gpa, in->op_size,
                    read_gpr(regs, in->reg, in->reg_high_byte, in->op_size));
    if (err)
        return err;
    write_gpr(regs, in->reg, in->reg_high_byte, in->op_size, old);
    return 0;
}

/* rCX, rSI and rDI as string instructions use them: at the address size,
 * written back with the usual partial-register rule (SDM vol. 1 3.6). */
static uint64_t string_reg(const struct insn *in, const struct guest_regs *regs,
                           enum x86_gpr reg)
{
    return read_gpr(regs, reg, false, in->mem.addr_size);
}

static void advance_string_reg(const struct insn *in, struct guest_regs *regs,
                               enum x86_gpr reg, int64_t step)
{
    write_gpr(regs, reg, false, in->mem.addr_size,
              string_reg(in, regs, reg) + (uint64_t)step);
}

/* After one element: move rDI (and rSI), count rCX down under REP, and say
 * whether the instruction has finished (SDM vol. 2A "REP"). */
static int finish_string_element(const struct insn *in, struct guest_regs *regs,
                                 uint64_t rflags)
{
    int64_t step = insn_string_step(in, rflags);

    advance_string_reg(in, regs, GPR_RDI, step);
    if (in->op == INSN_MOVS)
        advance_string_reg(in, regs, GPR_RSI, step);
    if (in->rep == INSN_REP_NONE)
        return INSN_EMU_DONE;
    advance_string_reg(in, regs, GPR_RCX, -1);
    return string_reg(in, regs, GPR_RCX) == 0 ? INSN_EMU_DONE : INSN_EMU_REPEAT;
}

static bool string_count_exhausted(const struct insn *in, const struct guest_regs *regs)
{
    return in->rep != INSN_REP_NONE && string_reg(in, regs, GPR_RCX) == 0;
}

static int emulate_stos(const struct insn *in, struct guest_regs *regs, uint64_t rflags,
                        uint64_t gpa, const struct mmio_ops *ops, void *ctx)
{
    if (string_count_exhausted(in, regs))
        return INSN_EMU_DONE;
    int err = mem_write(ops, ctx, gpa, in->op_size,
                        read_gpr(regs, GPR_RAX, false, in->op_size));
    if (err)
        return err;
    return finish_string_element(in, regs, rflags);
}

/* One MOVS element: a read from seg:rSI and a write to ES:rDI, each at the
 * guest-physical address ops->translate gives (either may be MMIO or RAM). */
static int emulate_movs(const struct insn *in, struct guest_regs *regs, uint64_t rflags,
                        const struct mmio_ops *ops, void *ctx)
{
    if (!ops->translate)
        return INSN_EMU_ERR_UNSUPPORTED;
    if (string_count_exhausted(in, regs))
        return INSN_EMU_DONE;

    uint64_t src_gpa, dst_gpa, v;
    if (ops->translate(ctx, in->src.seg, insn_mem_offset(&in->src, regs, 0), in->op_size,
                       false, &src_gpa) != 0)
        return INSN_EMU_ERR_ACCESS;
    if (ops->translate(ctx, in->mem.seg, insn_mem_offset(&in->mem, regs, 0), in->op_size,
                       true, &dst_gpa) != 0)
        return INSN_EMU_ERR_ACCESS;
    int err = mem_read(ops, ctx, src_gpa, in->op_size, &v);
    if (err)
        return err;
    err = mem_write(ops, ctx, dst_gpa, in->op_size, v);
    if (err)
        return err;
    return finish_string_element(in, regs, rflags);
}

/* The register operand names a GPR, and AH..BH only at byte size. */
static bool reg_operand_valid(const struct insn *in)
{
    if (!in->has_reg)
        return true;
    if (in->reg >= NR_GPRS)
        return false;
    return !in->reg_high_byte || (in->reg <= GPR_RBX && in->op_size == 1);
}

static bool valid_address_size(unsigned size)
{
    return size == 2 || size == 4 || size == 8;
}

static bool mem_operand_valid(const struct insn_mem *m)
{
    if ((m->has_base && m->base >= NR_GPRS) || (m->has_index && m->index >= NR_GPRS))
        return false;
    return valid_size(m->scale) && valid_address_size(m->addr_size);
}

/* A struct insn insn_decode() could have produced: guards the array indexes
 * and the shifts here against a hand-made or corrupted one. */
static bool insn_well_formed(const struct insn *in)
{
    if (!valid_size(in->op_size) || !valid_size(in->mem_size))
        return false;
    if (in->mem_size > in->op_size || !reg_operand_valid(in))
        return false;
    if (in->op == INSN_MOVS && !mem_operand_valid(&in->src))
        return false;
    return mem_operand_valid(&in->mem);
}

int insn_emulate_mmio(const struct insn *in, struct guest_regs *regs, uint64_t *rflags,
                      uint64_t gpa, const struct mmio_ops *ops, void *ctx)
{
    if (!insn_well_formed(in))
        return INSN_EMU_ERR_UNSUPPORTED;

    int err;
    switch (in->op) {
    case INSN_MOV_TO_MEM:
        err = emulate_mov_to_mem(in, regs, gpa, ops, ctx);
        break;
    case INSN_MOV_FROM_MEM:
    case INSN_MOVZX:
    case INSN_MOVSX:
        err = emulate_load(in, regs, gpa, ops, ctx);
        break;
    case INSN_ALU:
    case INSN_CMP:
    case INSN_TEST:
        err = emulate_arith(in, regs, rflags, gpa, ops, ctx);
        break;
    case INSN_XCHG:
        err = emulate_xchg(in, regs, gpa, ops, ctx);
        break;
    case INSN_STOS:
        return emulate_stos(in, regs, *rflags, gpa, ops, ctx);
    case INSN_MOVS:
        return emulate_movs(in, regs, *rflags, ops, ctx);
    default:
        return INSN_EMU_ERR_UNSUPPORTED;
    }
    return err ? err : INSN_EMU_DONE;
}
