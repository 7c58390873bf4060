/*
 * MOV between a segment register and memory (SDM vol. 2B "MOV", whose
 * Operation section gives the checks and their order; vol. 3A 3.4.3 the
 * hidden part, 5.5-5.7 the privilege checks of data and stack segments).
 *
 * In real and virtual-8086 mode a load sets the selector and base =
 * selector << 4.  In protected mode the selector names a descriptor in the
 * GDT or LDT, checked and then loaded; a null selector leaves DS, ES, FS or
 * GS unusable, and is refused for SS except in 64-bit mode at CPL < 3 with
 * RPL = CPL.  Loading SS blocks interrupts and debug exceptions for one
 * instruction (INSN_EMU_DONE_MOV_SS).
 */
#include "guest/insn_emu.h"

#define VECTOR_NP           11
#define VECTOR_SS           12
#define VECTOR_GP           13

/* A virtual-8086 mode segment: limit 0xffff, read/write data accessed at
 * DPL 3 (the only value VM entry accepts: SDM vol. 3C 26.3.1.2). */
#define V86_LIMIT           0xffffu
#define V86_AR              0xf3u
/* What a real-mode load makes of a register that was unusable: a 64 KiB
 * read/write data segment, as after reset (SDM vol. 3A 10.1.4). */
#define REAL_MODE_LIMIT     0xffffu
#define REAL_MODE_DATA_AR   (X86_SEG_AR_P | X86_SEG_AR_S | X86_SEG_TYPE_WRITABLE | \
                             X86_SEG_TYPE_ACCESSED)
#define CPL_USER            3u

static bool is_null(uint16_t selector)
{
    return (selector & (uint16_t)~SELECTOR_RPL_MASK) == 0;
}

/* Real and virtual-8086 mode: the selector is the base's paragraph; the
 * limit and attributes stay (real mode), or are virtual-8086 mode's. */
static void load_real(struct emu *e, enum x86_seg seg, uint16_t selector, bool v86)
{
    struct x86_segment s;
    e->ops->get_seg(e->ctx, seg, &s);
    s.selector = selector;
    s.base = (uint64_t)selector << REAL_MODE_BASE_SHIFT;
    if (v86) {
        s.limit = V86_LIMIT;
        s.ar = V86_AR;
    } else if (s.ar & X86_SEG_AR_UNUSABLE) {
        s.limit = REAL_MODE_LIMIT;
        s.ar = REAL_MODE_DATA_AR;
    }
    e->ops->set_seg(e->ctx, seg, &s);
}

/* A null selector in DS, ES, FS, GS, or in SS in 64-bit mode: the register
 * is unusable; SS keeps the CPL as its DPL (VMX reads the CPL there: SDM
 * vol. 3C 25.4.1). */
static void load_null(struct emu *e, enum x86_seg seg, uint16_t selector, unsigned cpl)
{
    struct x86_segment s = { .selector = selector, .ar = X86_SEG_AR_UNUSABLE };
    if (seg == SEG_SS)
        s.ar |= cpl << X86_SEG_AR_DPL_SHIFT;
    e->ops->set_seg(e->ctx, seg, &s);
}

/* SS: a writable data segment with RPL = DPL = CPL, else #GP(selector);
 * not present: #SS(selector). */
static int check_stack_segment(struct emu *e, uint16_t selector, uint32_t ar, unsigned cpl)
{
    bool writable_data = (ar & X86_SEG_AR_S) && !(ar & X86_SEG_TYPE_CODE) &&
                         (ar & X86_SEG_TYPE_WRITABLE);
    if ((selector & SELECTOR_RPL_MASK) != cpl || !writable_data || emu_ar_dpl(ar) != cpl)
        return emu_raise_selector(e, VECTOR_GP, selector);
    if (!(ar & X86_SEG_AR_P))
        return emu_raise_selector(e, VECTOR_SS, selector);
    return 0;
}

/* DS, ES, FS, GS: a data or readable code segment; unless it is conforming
 * code, DPL >= both RPL and CPL (else #GP(selector)); not present:
 * #NP(selector). */
static int check_data_segment(struct emu *e, uint16_t selector, uint32_t ar, unsigned cpl)
{
    bool code = (ar & X86_SEG_TYPE_CODE) != 0;
    if (!(ar & X86_SEG_AR_S) || (code && !(ar & X86_SEG_TYPE_READABLE)))
        return emu_raise_selector(e, VECTOR_GP, selector);
    unsigned dpl = emu_ar_dpl(ar), rpl = selector & SELECTOR_RPL_MASK;
    bool conforming = code && (ar & X86_SEG_TYPE_CONFORMING);
    if (!conforming && (rpl > dpl || cpl > dpl))
        return emu_raise_selector(e, VECTOR_GP, selector);
    if (!(ar & X86_SEG_AR_P))
        return emu_raise_selector(e, VECTOR_NP, selector);
    return 0;
}

/* Protected mode: the checks of SDM vol. 2B "MOV" in its order, then the
 * accessed bit, then the load. */
static int load_protected(struct emu *e, enum x86_seg seg, uint16_t selector)
{
    unsigned cpl = emu_cpl(e);
    if (is_null(selector)) {
        if (seg != SEG_SS) {
            load_null(e, seg, selector, cpl);
            return 0;
        }
        /* 64-bit mode takes a null SS below CPL 3 when RPL = CPL (SDM
         * vol. 2B "MOV", 64-bit mode exceptions). */
        if (e->in->mode != CPU_MODE_64 || cpl == CPL_USER ||
            (selector & SELECTOR_RPL_MASK) != cpl)
            return emu_raise(e, VECTOR_GP, true, 0);
        load_null(e, seg, selector, cpl);
        return 0;
    }

    struct emu_descriptor d;
    int err = emu_fetch_descriptor(e, selector, &d);
    if (err)
        return err;
    uint32_t ar = emu_desc_ar(d.raw);
    err = seg == SEG_SS ? check_stack_segment(e, selector, ar, cpl)
                        : check_data_segment(e, selector, ar, cpl);
    if (!err)
        err = emu_set_accessed(e, &d);
    if (err)
        return err;
    struct x86_segment s = {
        .selector = selector,
        .base = emu_desc_base(d.raw),
        .limit = emu_desc_limit(d.raw),
        .ar = emu_desc_ar(d.raw),
    };
    e->ops->set_seg(e->ctx, seg, &s);
    return 0;
}

/* 8E: MOV Sreg, m16. */
static int load_sreg(struct emu *e)
{
    const struct mmio_ops *ops = e->ops;
    if (!ops->get_cr || !ops->get_cpl || !ops->set_seg || !ops->get_seg)
        return INSN_EMU_ERR_UNSUPPORTED;

    uint64_t offset, selector;
    int err = emu_mem_offset(e, &e->in->mem, &offset);
    if (!err)
        err = emu_read_int(e, e->in->mem.seg, offset, 2, false, &selector);
    if (err)
        return err;
    if (emu_protected_mode(e))
        err = load_protected(e, e->in->sreg, (uint16_t)selector);
    else
        load_real(e, e->in->sreg, (uint16_t)selector, emu_virtual_8086_mode(e));
    if (err)
        return err;
    return e->in->sreg == SEG_SS ? INSN_EMU_DONE_MOV_SS : INSN_EMU_DONE;
}

/* 8C: MOV m16, Sreg stores the visible selector. */
static int store_sreg(struct emu *e)
{
    if (!e->ops->get_seg)
        return INSN_EMU_ERR_UNSUPPORTED;
    struct x86_segment s;
    e->ops->get_seg(e->ctx, e->in->sreg, &s);
    uint64_t offset;
    int err = emu_mem_offset(e, &e->in->mem, &offset);
    if (!err)
        err = emu_write_int(e, e->in->mem.seg, offset, 2, true, s.selector);
    return err ? err : INSN_EMU_DONE;
}

int emu_mov_sreg(struct emu *e)
{
    return e->in->op == INSN_MOV_TO_SREG ? load_sreg(e) : store_sreg(e);
}
