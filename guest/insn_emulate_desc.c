/*
 * Segment descriptors for the emulated instructions that load a segment
 * register or TR (SDM vol. 3A 3.4.2 selectors, 3.4.5 descriptors, 3.5.1
 * the GDT and LDT): reading the one a selector names, decoding it into the
 * hidden part of a segment register, and setting its accessed bit.
 */
#include "guest/insn_emu.h"

#define VECTOR_GP           13
#define CR0_PE              1ull
#define RFLAGS_VM           (1ull << 17)
#define DESCRIPTOR_SIZE     8u

/* Descriptor fields (SDM vol. 3A 3.4.5, figure 3-8). */
#define DESC_LIMIT_LOW(raw)     ((raw) & 0xffffull)
#define DESC_LIMIT_HIGH(raw)    (((raw) >> 48) & 0xfull)
#define DESC_BASE_LOW(raw)      (((raw) >> 16) & 0xffffffull)
#define DESC_BASE_HIGH(raw)     (((raw) >> 56) & 0xffull)
#define DESC_G                  (1ull << 55)
/* The access byte (type, S, DPL, P) and flags nibble (AVL, L, D/B, G), and
 * where the VMX format keeps them (SDM vol. 3C 25.4.1). */
#define DESC_ACCESS_SHIFT       40
#define DESC_FLAGS_SHIFT        52
#define AR_FLAGS_SHIFT          12
#define DESC_ACCESS_BYTE        5       /* byte of the descriptor holding type */
#define PAGE_GRANULE_SHIFT      12

uint64_t emu_desc_base(uint64_t raw)
{
    return DESC_BASE_LOW(raw) | (DESC_BASE_HIGH(raw) << 24);
}

/* With G = 1 the limit counts 4 KiB units, the low 12 bits all ones. */
uint32_t emu_desc_limit(uint64_t raw)
{
    uint32_t limit = (uint32_t)(DESC_LIMIT_LOW(raw) | (DESC_LIMIT_HIGH(raw) << 16));
    if (raw & DESC_G)
        limit = (limit << PAGE_GRANULE_SHIFT) | ((1u << PAGE_GRANULE_SHIFT) - 1);
    return limit;
}

uint32_t emu_desc_ar(uint64_t raw)
{
    return (uint32_t)((raw >> DESC_ACCESS_SHIFT) & 0xff) |
           (uint32_t)(((raw >> DESC_FLAGS_SHIFT) & 0xf) << AR_FLAGS_SHIFT);
}

int emu_raise_selector(struct emu *e, uint8_t vector, uint16_t selector)
{
    return emu_raise(e, vector, true, selector & (uint16_t)~SELECTOR_RPL_MASK);
}

bool emu_protected_mode(struct emu *e)
{
    return (e->ops->get_cr(e->ctx, 0) & CR0_PE) && !(*e->rflags & RFLAGS_VM);
}

bool emu_virtual_8086_mode(struct emu *e)
{
    return (e->ops->get_cr(e->ctx, 0) & CR0_PE) && (*e->rflags & RFLAGS_VM);
}

unsigned emu_cpl(struct emu *e)
{
    return e->ops->get_cpl(e->ctx);
}

/* The descriptor table a selector's TI bit names: the GDT, or the LDT
 * when LDTR holds one. */
static int descriptor_table(struct emu *e, uint16_t selector, uint64_t *base, uint32_t *limit,
                            bool *present)
{
    *present = true;
    if (!(selector & SELECTOR_TI)) {
        if (!e->ops->get_gdtr)
            return INSN_EMU_ERR_UNSUPPORTED;
        e->ops->get_gdtr(e->ctx, base, limit);
        return 0;
    }
    if (!e->ops->get_ldtr)
        return INSN_EMU_ERR_UNSUPPORTED;
    struct x86_segment ldtr;
    e->ops->get_ldtr(e->ctx, &ldtr);
    *present = !(ldtr.ar & X86_SEG_AR_UNUSABLE);
    *base = ldtr.base;
    *limit = ldtr.limit;
    return 0;
}

int emu_fetch_descriptor(struct emu *e, uint16_t selector, struct emu_descriptor *d)
{
    uint64_t base;
    uint32_t limit;
    bool present;
    int err = descriptor_table(e, selector, &base, &limit, &present);
    if (err)
        return err;
    uint32_t index = selector & SELECTOR_INDEX_MASK;
    if (!present || index + DESCRIPTOR_SIZE - 1 > limit)
        return emu_raise_selector(e, VECTOR_GP, selector);

    struct emu_span span;
    uint8_t bytes[DESCRIPTOR_SIZE];
    d->linear = base + index;
    err = emu_prepare_linear(e, d->linear, DESCRIPTOR_SIZE, false, false, SEG_DS, &span);
    if (!err)
        err = emu_span_read(e, &span, bytes);
    if (!err)
        d->raw = emu_bytes_to_int(bytes, DESCRIPTOR_SIZE);
    return err;
}

/* The CPU sets the bit with a locked write of the descriptor; keel writes
 * the byte that holds it. */
int emu_set_accessed(struct emu *e, struct emu_descriptor *d)
{
    uint64_t accessed = (uint64_t)X86_SEG_TYPE_ACCESSED << DESC_ACCESS_SHIFT;
    if (d->raw & accessed)
        return 0;
    d->raw |= accessed;

    struct emu_span span;
    uint8_t byte = (uint8_t)(d->raw >> DESC_ACCESS_SHIFT);
    int err = emu_prepare_linear(e, d->linear + DESC_ACCESS_BYTE, 1, true, false, SEG_DS,
                                 &span);
    return err ? err : emu_span_write(e, &span, &byte);
}
