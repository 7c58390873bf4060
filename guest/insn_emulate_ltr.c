/*
 * LTR with its selector in MMIO (SDM vol. 2A "LTR", vol. 3A 7.2.2-7.2.4 on
 * TSS descriptors and the task register).  The checks come in the SDM's
 * order; the descriptor is read from the GDT through the guest's paging, its
 * busy flag set there, and TR loaded through ops->set_tr.
 */
#include "guest/insn_emu.h"

#define VECTOR_UD           6
#define VECTOR_NP           11
#define VECTOR_GP           13

#define CR0_PE              1ull
#define EFER_LMA_BIT        (1ull << 10)

/* A segment descriptor (SDM vol. 3A 3.4.5, figure 3-8). */
#define DESC_TYPE_SHIFT     40
#define DESC_TYPE_MASK      0xfull
#define DESC_S              (1ull << 44)
#define DESC_P              (1ull << 47)
#define DESC_BUSY           (2ull << DESC_TYPE_SHIFT)
/* The upper half of a 16-byte system descriptor: bits 12:8 of its second
 * dword must be 0 (SDM vol. 3A 7.2.3, figure 7-4). */
#define DESC_HIGH_TYPE_MASK (0x1full << 40)

static int gp_selector(struct emu *e, uint64_t selector)
{
    return emu_raise_selector(e, VECTOR_GP, (uint16_t)selector);
}

static int read_linear(struct emu *e, uint64_t linear, uint64_t *v, struct emu_span *span)
{
    uint8_t bytes[8];
    int err = emu_prepare_linear(e, linear, 8, true, false, SEG_DS, span);
    if (!err)
        err = emu_span_read(e, span, bytes);
    if (!err)
        *v = emu_bytes_to_int(bytes, 8);
    return err;
}

int emu_ltr(struct emu *e)
{
    const struct mmio_ops *ops = e->ops;
    if (!ops->get_cr || !ops->get_gdtr || !ops->get_cpl || !ops->get_efer || !ops->set_tr)
        return INSN_EMU_ERR_UNSUPPORTED;
    if (!(ops->get_cr(e->ctx, 0) & CR0_PE))
        return emu_raise(e, VECTOR_UD, false, 0);     /* real mode */
    if (ops->get_cpl(e->ctx) != 0)
        return emu_raise(e, VECTOR_GP, true, 0);

    uint64_t offset, selector;
    int err = emu_mem_offset(e, &e->in->mem, &offset);
    if (!err)
        err = emu_read_int(e, e->in->mem.seg, offset, 2, true, &selector);
    if (err)
        return err;
    if ((selector & ~(uint64_t)SELECTOR_RPL_MASK) == 0)
        return emu_raise(e, VECTOR_GP, true, 0);
    if (selector & SELECTOR_TI)
        return gp_selector(e, selector);

    bool ia32e = (ops->get_efer(e->ctx) & EFER_LMA_BIT) != 0;
    unsigned desc_size = ia32e ? 16 : 8;
    uint64_t gdt_base;
    uint32_t gdt_limit;
    ops->get_gdtr(e->ctx, &gdt_base, &gdt_limit);
    uint64_t index = selector & SELECTOR_INDEX_MASK;
    if (index + desc_size - 1 > gdt_limit)
        return gp_selector(e, selector);

    struct emu_span low_span, high_span;
    uint64_t low, high = 0;
    err = read_linear(e, gdt_base + index, &low, &low_span);
    if (err)
        return err;
    unsigned type = (unsigned)((low >> DESC_TYPE_SHIFT) & DESC_TYPE_MASK);
    bool type_ok = ia32e ? type == SYS_TYPE_TSS_AVAILABLE
                         : type == SYS_TYPE_TSS_AVAILABLE || type == SYS_TYPE_TSS16_AVAILABLE;
    if ((low & DESC_S) || !type_ok)
        return gp_selector(e, selector);
    if (!(low & DESC_P))
        return emu_raise_selector(e, VECTOR_NP, (uint16_t)selector);

    uint64_t base = emu_desc_base(low);
    if (ia32e) {
        err = read_linear(e, gdt_base + index + 8, &high, &high_span);
        if (err)
            return err;
        if (high & DESC_HIGH_TYPE_MASK)
            return gp_selector(e, selector);
        base |= (high & 0xffffffffull) << 32;
        if (!emu_canonical(base))
            return gp_selector(e, selector);
    }
    uint32_t limit = emu_desc_limit(low);

    /* The busy flag is set in memory, then TR loaded (SDM: "the TSS is
     * marked busy" as part of the load). */
    low |= DESC_BUSY;
    uint8_t bytes[8];
    emu_int_to_bytes(low, 8, bytes);
    err = emu_span_write(e, &low_span, bytes);
    if (err)
        return err;
    ops->set_tr(e->ctx, (uint16_t)selector, base, limit, emu_desc_ar(low));
    return INSN_EMU_DONE;
}
