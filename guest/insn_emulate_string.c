/*
 * The string instructions MOVS, CMPS, STOS, LODS and SCAS, one element per
 * call (SDM vol. 2 pages of each, and "REP/REPE/REPZ/REPNE/REPNZ").
 */
#include "guest/insn_emu.h"

/* rCX, rSI and rDI as string instructions use them: at the address size,
 * written back with the usual partial-register rule (SDM vol. 1 3.6). */
static uint64_t string_reg(const struct emu *e, enum x86_gpr reg)
{
    return emu_get_gpr(e->regs, reg, false, e->in->mem.addr_size);
}

static void advance(struct emu *e, enum x86_gpr reg, int64_t step)
{
    emu_set_gpr(e->regs, reg, false, e->in->mem.addr_size, string_reg(e, reg) + (uint64_t)step);
}

static bool reads_source(enum insn_op op)
{
    return op == INSN_MOVS || op == INSN_CMPS || op == INSN_LODS;
}

static bool uses_destination(enum insn_op op)
{
    return op != INSN_LODS;
}

/* CMPS and SCAS under REPE stop when ZF = 0, under REPNE when ZF = 1. */
static bool condition_ends(const struct insn *in, uint64_t rflags)
{
    if (in->op != INSN_CMPS && in->op != INSN_SCAS)
        return false;
    bool zf = (rflags & RFLAGS_ZF) != 0;
    return in->rep == INSN_REP_E ? !zf : zf;
}

/* After one element: move rDI and/or rSI, count rCX down under REP, and say
 * whether the instruction has finished. */
static int finish_element(struct emu *e)
{
    const struct insn *in = e->in;
    int64_t step = insn_string_step(in, *e->rflags);

    if (uses_destination(in->op))
        advance(e, GPR_RDI, step);
    if (reads_source(in->op))
        advance(e, GPR_RSI, step);
    if (in->rep == INSN_REP_NONE)
        return INSN_EMU_DONE;
    advance(e, GPR_RCX, -1);
    if (string_reg(e, GPR_RCX) == 0 || condition_ends(in, *e->rflags))
        return INSN_EMU_DONE;
    return INSN_EMU_REPEAT;
}

/*
 * One element.  Both addresses are translated before either access, so a
 * page fault on one leaves everything as it was.  An instruction with two
 * memory operands (MOVS, CMPS) translates both; the others have one, which
 * is the access that exited.
 */
int emu_string(struct emu *e)
{
    const struct insn *in = e->in;
    unsigned size = in->op_size;
    bool two = reads_source(in->op) && uses_destination(in->op);
    bool dst_write = in->op == INSN_MOVS || in->op == INSN_STOS;
    struct emu_span src, dst;
    uint8_t bytes[EMU_MAX_BYTES];
    uint64_t a = 0, b = 0;
    int err;

    if (in->rep != INSN_REP_NONE && string_reg(e, GPR_RCX) == 0)
        return INSN_EMU_DONE;
    if (reads_source(in->op)) {
        err = emu_prepare(e, in->src.seg, string_reg(e, GPR_RSI), size, false, !two, &src);
        if (err)
            return err;
    }
    if (uses_destination(in->op)) {
        err = emu_prepare(e, SEG_ES, string_reg(e, GPR_RDI), size, dst_write, !two, &dst);
        if (err)
            return err;
    }
    if (reads_source(in->op)) {
        err = emu_span_read(e, &src, bytes);
        if (err)
            return err;
        a = emu_bytes_to_int(bytes, size);
    }
    uint64_t rax = emu_get_gpr(e->regs, GPR_RAX, false, size);
    switch (in->op) {
    case INSN_MOVS:
        err = emu_span_write(e, &dst, bytes);
        break;
    case INSN_STOS:
        emu_int_to_bytes(rax, size, bytes);
        err = emu_span_write(e, &dst, bytes);
        break;
    case INSN_LODS:
        emu_set_gpr(e->regs, GPR_RAX, false, size, a);
        err = 0;
        break;
    default:                    /* CMPS: source - destination; SCAS: rAX - destination */
        err = emu_span_read(e, &dst, bytes);
        if (err)
            break;
        b = emu_bytes_to_int(bytes, size);
        arith_alu(ALU_SUB, in->op == INSN_CMPS ? a : rax, b, size, e->rflags);
        break;
    }
    if (err)
        return err;
    return finish_element(e);
}
