/*
 * The stack instructions and indirect near branches when one of their
 * accesses is MMIO: PUSH, POP, RET, LEAVE, ENTER, JMP and CALL through
 * memory (SDM vol. 2 pages of each; vol. 1 6.2 "stacks").
 *
 * The stack is SS:rSP with the stack's address size: 8 bytes in 64-bit mode,
 * else SS.B (ops->stack_addr_size).  rSP is updated within that size, so a
 * 16-bit stack changes only SP.
 */
#include "guest/insn_emu.h"

#define VECTOR_GP           13
/* ENTER's nesting level is taken modulo 32 (SDM vol. 2A "ENTER"). */
#define ENTER_LEVEL_MASK    31u
#define CANONICAL_BITS      48

int emu_stack_size(struct emu *e, unsigned *size)
{
    if (e->in->mode == CPU_MODE_64) {
        *size = 8;
        return 0;
    }
    if (!e->ops->stack_addr_size)
        return INSN_EMU_ERR_UNSUPPORTED;
    *size = e->ops->stack_addr_size(e->ctx) == 2 ? 2 : 4;
    return 0;
}

static uint64_t get_sp(struct emu *e, unsigned ssize)
{
    return emu_get_gpr(e->regs, GPR_RSP, false, ssize);
}

static void set_sp(struct emu *e, unsigned ssize, uint64_t sp)
{
    emu_set_gpr(e->regs, GPR_RSP, false, ssize, sp);
}

/* A branch target: canonical in 64-bit mode (else #GP(0), SDM vol. 2A
 * "JMP"), cut to the operand size elsewhere. */
static int branch(struct emu *e, uint64_t target)
{
    if (!e->ops->set_rip)
        return INSN_EMU_ERR_UNSUPPORTED;
    if (e->in->mode == CPU_MODE_64) {
        int64_t s = (int64_t)(target << (64 - CANONICAL_BITS)) >> (64 - CANONICAL_BITS);
        if ((uint64_t)s != target)
            return emu_raise(e, VECTOR_GP, true, 0);
    } else {
        target &= arith_mask(e->in->op_size);
    }
    e->ops->set_rip(e->ctx, target);
    return INSN_EMU_BRANCH;
}

int emu_push(struct emu *e, unsigned ssize, unsigned size, uint64_t v, bool exited)
{
    uint64_t sp = (get_sp(e, ssize) - size) & arith_mask(ssize);
    int err = emu_write_int(e, SEG_SS, sp, size, exited, v);
    if (err)
        return err;
    set_sp(e, ssize, sp);
    return 0;
}

/* PUSH: the source is read before rSP moves (PUSH RSP pushes the old
 * value; SDM vol. 2B "PUSH"). */
static int emulate_push(struct emu *e, unsigned ssize)
{
    const struct insn *in = e->in;
    uint64_t v;

    if (in->has_imm) {
        v = (uint64_t)in->imm;
    } else if (in->has_reg) {
        v = emu_get_gpr(e->regs, in->reg, false, in->op_size);
    } else {
        uint64_t offset;
        int err = emu_mem_offset(e, &in->mem, &offset);
        if (!err)
            err = emu_read_int(e, in->mem.seg, offset, in->op_size, false, &v);
        if (err)
            return err;
    }
    int err = emu_push(e, ssize, in->op_size, v, in->has_imm || in->has_reg);
    return err ? err : INSN_EMU_DONE;
}

/* POP: rSP moves up before the destination is written, and a memory
 * destination based on rSP is computed with the new rSP (SDM vol. 2B
 * "POP"); POP rSP leaves the popped value in rSP. */
static int emulate_pop(struct emu *e, unsigned ssize)
{
    const struct insn *in = e->in;
    unsigned size = in->op_size;
    uint64_t old_sp = get_sp(e, ssize), v;

    int err = emu_read_int(e, SEG_SS, old_sp, size, !in->has_mem, &v);
    if (err)
        return err;
    uint64_t saved_rsp = e->regs->gpr[GPR_RSP];
    set_sp(e, ssize, old_sp + size);
    if (in->has_mem) {
        uint64_t offset;
        err = emu_mem_offset(e, &in->mem, &offset);
        if (!err)
            err = emu_write_int(e, in->mem.seg, offset, size, false, v);
        if (err) {
            e->regs->gpr[GPR_RSP] = saved_rsp;
            return err;
        }
    } else {
        emu_set_gpr(e->regs, in->reg, false, size, v);
    }
    return INSN_EMU_DONE;
}

/* RET (imm16): pops RIP, then releases imm16 more bytes. */
static int emulate_ret(struct emu *e, unsigned ssize)
{
    unsigned size = e->in->op_size;
    uint64_t sp = get_sp(e, ssize), target;
    int err = emu_read_int(e, SEG_SS, sp, size, true, &target);
    if (err)
        return err;
    uint64_t saved_rsp = e->regs->gpr[GPR_RSP];
    set_sp(e, ssize, sp + size + (uint64_t)e->in->imm);
    err = branch(e, target);
    if (err != INSN_EMU_BRANCH)
        e->regs->gpr[GPR_RSP] = saved_rsp;
    return err;
}

/* LEAVE: rSP <- rBP, then rBP <- pop (SDM vol. 2A "LEAVE"). */
static int emulate_leave(struct emu *e, unsigned ssize)
{
    unsigned size = e->in->op_size;
    uint64_t sp = emu_get_gpr(e->regs, GPR_RBP, false, ssize), v;
    int err = emu_read_int(e, SEG_SS, sp, size, true, &v);
    if (err)
        return err;
    set_sp(e, ssize, sp + size);
    emu_set_gpr(e->regs, GPR_RBP, false, size, v);
    return INSN_EMU_DONE;
}

/*
 * ENTER size, level (SDM vol. 2A "ENTER"): push rBP; with a nesting level
 * above 0, copy level - 1 frame pointers of the enclosing frames (read at
 * rBP - operand size, rBP - 2 * operand size, ...) and push the new frame
 * pointer; then rBP <- the frame, rSP -= size.  Everything is read, and
 * the whole area the pushes write translated, before the first write, so
 * that a fault leaves registers and memory as they were.
 */
static int emulate_enter(struct emu *e, unsigned ssize)
{
    const struct insn *in = e->in;
    unsigned size = in->op_size, level = in->imm2 & ENTER_LEVEL_MASK;
    uint64_t sp = get_sp(e, ssize), saved_rsp = e->regs->gpr[GPR_RSP];
    uint64_t bp = emu_get_gpr(e->regs, GPR_RBP, false, ssize);
    uint64_t outer[ENTER_LEVEL_MASK];
    int err;

    for (unsigned i = 1; i < level; i++) {
        bp = (bp - size) & arith_mask(ssize);
        err = emu_read_int(e, SEG_SS, bp, size, false, &outer[i - 1]);
        if (err)
            return err;
    }
    uint64_t frame = (sp - size) & arith_mask(ssize);
    if (level > 0) {
        struct emu_span area;
        unsigned pushed = size * (level + 1);
        err = emu_prepare(e, SEG_SS, (sp - pushed) & arith_mask(ssize), pushed, true, false,
                          &area);
        if (err)
            return err;
    }
    err = emu_push(e, ssize, size, emu_get_gpr(e->regs, GPR_RBP, false, size), level == 0);
    for (unsigned i = 1; !err && i < level; i++)
        err = emu_push(e, ssize, size, outer[i - 1], false);
    if (!err && level > 0)
        err = emu_push(e, ssize, size, frame, false);
    if (err) {
        e->regs->gpr[GPR_RSP] = saved_rsp;
        return err;
    }
    emu_set_gpr(e->regs, GPR_RBP, false, size, frame);
    set_sp(e, ssize, get_sp(e, ssize) - (uint64_t)in->imm);
    return INSN_EMU_DONE;
}

/* JMP and CALL through memory; CALL pushes the next RIP first. */
static int emulate_branch(struct emu *e, unsigned ssize)
{
    const struct insn *in = e->in;
    bool call = in->op == INSN_CALL_NEAR;
    uint64_t offset, target;

    if (!e->ops->get_rip)
        return INSN_EMU_ERR_UNSUPPORTED;
    int err = emu_mem_offset(e, &in->mem, &offset);
    if (!err)
        err = emu_read_int(e, in->mem.seg, offset, in->op_size, !call, &target);
    if (err)
        return err;
    uint64_t saved_rsp = e->regs->gpr[GPR_RSP];
    if (call) {
        uint64_t next = e->ops->get_rip(e->ctx) + in->length;
        err = emu_push(e, ssize, in->op_size, next & arith_mask(in->op_size), false);
        if (err)
            return err;
    }
    err = branch(e, target);
    if (err != INSN_EMU_BRANCH)
        e->regs->gpr[GPR_RSP] = saved_rsp;
    return err;
}

int emu_stack(struct emu *e)
{
    unsigned ssize;
    int err = emu_stack_size(e, &ssize);
    if (err)
        return err;
    switch (e->in->op) {
    case INSN_PUSH:
        return emulate_push(e, ssize);
    case INSN_POP:
        return emulate_pop(e, ssize);
    case INSN_RET:
        return emulate_ret(e, ssize);
    case INSN_LEAVE:
        return emulate_leave(e, ssize);
    case INSN_ENTER:
        return emulate_enter(e, ssize);
    default:
        return emulate_branch(e, ssize);
    }
}
