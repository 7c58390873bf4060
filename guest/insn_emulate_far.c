/*
 * Far JMP and CALL through a memory pointer, m16:16, m16:32 or m16:64, and
 * far RET (SDM vol. 2A "JMP", "CALL", vol. 2B "RET", whose Operation
 * sections give the checks and their order; vol. 3A 5.8 privilege checks
 * for control transfers).
 *
 * In real and virtual-8086 mode the selector becomes CS with base =
 * selector << 4.  In protected mode keel emulates transfers to a code
 * segment at the current privilege level: JMP and CALL to a conforming one
 * with DPL <= CPL or a nonconforming one with DPL = CPL and RPL <= CPL (CS
 * then takes the descriptor with RPL = CPL), CALL pushing CS and the return
 * offset on the current stack; RET to a selector with RPL = CPL.  Call
 * gates, task gates and TSSs (a task switch, or a change of privilege
 * level) and RET to an outer privilege level are not emulated: the VM is
 * stopped, naming the instruction.
 */
#include "guest/insn_emu.h"

#define VECTOR_NP           11
#define VECTOR_GP           13

#define EFER_LMA            (1ull << 10)
#define SELECTOR_SIZE       2u

struct far_pointer {
    uint64_t offset;
    uint16_t selector;
};

/* The pointer: offset of the operand size, then the selector.  Translated
 * rather than taken from the exit, which may have been CALL's push. */
static int read_pointer(struct emu *e, struct far_pointer *p)
{
    unsigned size = e->in->op_size;
    uint8_t bytes[EMU_MAX_BYTES];
    struct emu_span span;
    uint64_t offset;
    int err = emu_mem_offset(e, &e->in->mem, &offset);
    if (!err)
        err = emu_prepare(e, e->in->mem.seg, offset, size + SELECTOR_SIZE, false, false, &span);
    if (!err)
        err = emu_span_read(e, &span, bytes);
    if (err)
        return err;
    p->offset = emu_bytes_to_int(bytes, size);
    p->selector = (uint16_t)emu_bytes_to_int(bytes + size, SELECTOR_SIZE);
    return 0;
}

/* RET: the offset and then CS, each in an operand-sized slot, at SS:rSP;
 * *new_sp is rSP after them and the immediate. */
static int pop_pointer(struct emu *e, struct far_pointer *p, uint64_t *new_sp)
{
    unsigned size = e->in->op_size, ssize;
    int err = emu_stack_size(e, &ssize);
    if (err)
        return err;
    uint64_t sp = emu_get_gpr(e->regs, GPR_RSP, false, ssize);
    uint8_t bytes[EMU_MAX_BYTES];
    struct emu_span span;
    err = emu_prepare(e, SEG_SS, sp, 2 * size, false, false, &span);
    if (!err)
        err = emu_span_read(e, &span, bytes);
    if (err)
        return err;
    p->offset = emu_bytes_to_int(bytes, size);
    p->selector = (uint16_t)emu_bytes_to_int(bytes + size, SELECTOR_SIZE);
    *new_sp = (sp + 2 * size + (uint64_t)(e->in->has_imm ? e->in->imm : 0)) &
              arith_mask(ssize);
    return 0;
}

static void set_stack_pointer(struct emu *e, uint64_t sp)
{
    unsigned ssize;
    if (emu_stack_size(e, &ssize) == 0)
        emu_set_gpr(e->regs, GPR_RSP, false, ssize, sp);
}

/* CALL: CS (zero-extended to the operand size) and then the offset of the
 * next instruction go on the stack, written as one area. */
static int push_return(struct emu *e, uint16_t cs)
{
    unsigned size = e->in->op_size, ssize;
    int err = emu_stack_size(e, &ssize);
    if (err)
        return err;
    uint64_t next = (e->ops->get_rip(e->ctx) + e->in->length) & arith_mask(size);
    uint64_t sp = (emu_get_gpr(e->regs, GPR_RSP, false, ssize) - 2 * size) & arith_mask(ssize);
    uint8_t bytes[EMU_MAX_BYTES];
    emu_int_to_bytes(next, size, bytes);
    emu_int_to_bytes(cs, size, bytes + size);

    struct emu_span span;
    err = emu_prepare(e, SEG_SS, sp, 2 * size, true, false, &span);
    if (!err)
        err = emu_span_write(e, &span, bytes);
    if (!err)
        emu_set_gpr(e->regs, GPR_RSP, false, ssize, sp);
    return err;
}

/* Real and virtual-8086 mode: the offset must lie within CS's limit. */
static int far_real(struct emu *e, const struct far_pointer *p, uint64_t new_sp)
{
    struct x86_segment cs;
    e->ops->get_seg(e->ctx, SEG_CS, &cs);
    uint64_t target = p->offset & arith_mask(e->in->op_size);
    if (target > cs.limit)
        return emu_raise(e, VECTOR_GP, true, 0);
    if (e->in->op == INSN_CALL_FAR) {
        int err = push_return(e, cs.selector);
        if (err)
            return err;
    } else if (e->in->op == INSN_RET_FAR) {
        set_stack_pointer(e, new_sp);
    }
    cs.selector = p->selector;
    cs.base = (uint64_t)p->selector << REAL_MODE_BASE_SHIFT;
    e->ops->set_seg(e->ctx, SEG_CS, &cs);
    e->ops->set_rip(e->ctx, target);
    return INSN_EMU_BRANCH;
}

/* A system descriptor: the gates and TSSs are valid targets that keel does
 * not emulate; any other type is #GP(selector).  IA-32e mode knows only the
 * 64-bit call gate. */
static int system_target(struct emu *e, uint16_t selector, uint32_t ar, bool ia32e)
{
    unsigned type = ar & X86_SEG_AR_TYPE_MASK;
    bool valid = ia32e ? type == SYS_TYPE_CALL_GATE
                       : type == SYS_TYPE_CALL_GATE || type == SYS_TYPE_CALL_GATE16 ||
                         type == SYS_TYPE_TASK_GATE || type == SYS_TYPE_TSS_AVAILABLE ||
                         type == SYS_TYPE_TSS16_AVAILABLE;
    return valid ? INSN_EMU_ERR_UNSUPPORTED : emu_raise_selector(e, VECTOR_GP, selector);
}

/* JMP and CALL to a code segment at the same privilege level, in the order
 * of the SDM's CONFORMING- and NONCONFORMING-CODE-SEGMENT steps. */
static int check_code_segment(struct emu *e, uint16_t selector, uint32_t ar, unsigned cpl,
                              bool ia32e)
{
    if (ia32e && (ar & X86_SEG_AR_L) && (ar & X86_SEG_AR_DB))
        return emu_raise_selector(e, VECTOR_GP, selector);
    unsigned dpl = emu_ar_dpl(ar), rpl = selector & SELECTOR_RPL_MASK;
    bool ok = (ar & X86_SEG_TYPE_CONFORMING) ? dpl <= cpl : rpl <= cpl && dpl == cpl;
    if (!ok)
        return emu_raise_selector(e, VECTOR_GP, selector);
    if (!(ar & X86_SEG_AR_P))
        return emu_raise_selector(e, VECTOR_NP, selector);
    return 0;
}

/* RET: the selector's RPL is the privilege level returned to; below the
 * CPL, or a DPL that does not fit it, is #GP(selector); above the CPL is a
 * return to an outer level, which keel does not emulate. */
static int check_return_segment(struct emu *e, uint16_t selector, uint32_t ar, unsigned cpl,
                                bool ia32e)
{
    unsigned dpl = emu_ar_dpl(ar), rpl = selector & SELECTOR_RPL_MASK;
    bool dpl_ok = (ar & X86_SEG_TYPE_CONFORMING) ? dpl <= rpl : dpl == rpl;
    if (rpl < cpl || !dpl_ok || (ia32e && (ar & X86_SEG_AR_L) && (ar & X86_SEG_AR_DB)))
        return emu_raise_selector(e, VECTOR_GP, selector);
    if (!(ar & X86_SEG_AR_P))
        return emu_raise_selector(e, VECTOR_NP, selector);
    return rpl > cpl ? INSN_EMU_ERR_UNSUPPORTED : 0;
}

static int far_protected(struct emu *e, const struct far_pointer *p, uint64_t new_sp)
{
    bool ret = e->in->op == INSN_RET_FAR;
    const struct mmio_ops *ops = e->ops;
    if (!ops->get_efer)
        return INSN_EMU_ERR_UNSUPPORTED;
    if ((p->selector & (uint16_t)~SELECTOR_RPL_MASK) == 0)
        return emu_raise(e, VECTOR_GP, true, 0);

    bool ia32e = (ops->get_efer(e->ctx) & EFER_LMA) != 0;
    unsigned cpl = emu_cpl(e);
    struct emu_descriptor d;
    int err = emu_fetch_descriptor(e, p->selector, &d);
    if (err)
        return err;
    uint32_t ar = emu_desc_ar(d.raw);
    if (!(ar & X86_SEG_AR_S) && !ret)
        return system_target(e, p->selector, ar, ia32e);
    if (!(ar & X86_SEG_AR_S) || !(ar & X86_SEG_TYPE_CODE))
        return emu_raise_selector(e, VECTOR_GP, p->selector);
    err = ret ? check_return_segment(e, p->selector, ar, cpl, ia32e)
              : check_code_segment(e, p->selector, ar, cpl, ia32e);
    if (err)
        return err;

    /* 64-bit code takes any canonical offset; elsewhere the offset must lie
     * within the new segment's limit (#GP(0) for both). */
    bool to_64bit = ia32e && (ar & X86_SEG_AR_L);
    uint64_t target = p->offset & arith_mask(e->in->op_size);
    if (to_64bit ? !emu_canonical(target) : target > emu_desc_limit(d.raw))
        return emu_raise(e, VECTOR_GP, true, 0);

    err = emu_set_accessed(e, &d);
    if (!err && e->in->op == INSN_CALL_FAR) {
        struct x86_segment old_cs;
        ops->get_seg(e->ctx, SEG_CS, &old_cs);
        err = push_return(e, old_cs.selector);
    }
    if (err)
        return err;
    if (ret)
        set_stack_pointer(e, new_sp);
    struct x86_segment cs = {
        .selector = (uint16_t)((p->selector & ~SELECTOR_RPL_MASK) | cpl),
        .base = emu_desc_base(d.raw),
        .limit = emu_desc_limit(d.raw),
        .ar = emu_desc_ar(d.raw),
    };
    ops->set_seg(e->ctx, SEG_CS, &cs);
    ops->set_rip(e->ctx, target);
    return INSN_EMU_BRANCH;
}

int emu_far_branch(struct emu *e)
{
    const struct mmio_ops *ops = e->ops;
    if (!ops->get_cr || !ops->get_cpl || !ops->get_seg || !ops->set_seg || !ops->get_rip ||
        !ops->set_rip)
        return INSN_EMU_ERR_UNSUPPORTED;
    struct far_pointer p;
    uint64_t new_sp = 0;
    int err = e->in->op == INSN_RET_FAR ? pop_pointer(e, &p, &new_sp) : read_pointer(e, &p);
    if (err)
        return err;
    return emu_protected_mode(e) ? far_protected(e, &p, new_sp) : far_real(e, &p, new_sp);
}
