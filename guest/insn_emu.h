/*
 * What the parts of keel's instruction emulator share (guest/insn_emulate.c,
 * guest/insn_emulate_stack.c, guest/insn_emulate_string.c): the state of one
 * emulation, register access with the x86 write rules, and memory access by
 * segment and offset, split at page boundaries.  Not for other callers:
 * guest/insn_emulate.h is the emulator's interface.
 */
#ifndef KEEL_GUEST_INSN_EMU_H
#define KEEL_GUEST_INSN_EMU_H

#include "guest/insn_emulate.h"

/* An access reaches at most two pages: the largest operand (16 bytes) is
 * smaller than a page. */
#define EMU_MAX_PARTS   2
#define EMU_MAX_BYTES   16

/* One instruction being emulated. */
struct emu {
    const struct insn *in;
    struct guest_regs *regs;
    uint64_t *rflags;
    uint64_t gpa;               /* where the exit was */
    const struct mmio_ops *ops;
    void *ctx;
};

/* An access that has been translated: part i is len[i] bytes at gpa[i]. */
struct emu_span {
    unsigned nparts;
    uint64_t gpa[EMU_MAX_PARTS];
    unsigned len[EMU_MAX_PARTS];
};

/* Bits 15:8 of RAX..RBX hold AH..BH (SDM vol. 1 3.4.1, figure 3-5). */
#define EMU_HIGH_BYTE_SHIFT 8

/* Register operands, inline: nearly every instruction reads or writes one. */
static inline uint64_t emu_get_gpr(const struct guest_regs *regs, enum x86_gpr reg,
                                   bool high_byte, unsigned size)
{
    uint64_t v = regs->gpr[reg];
    if (high_byte)
        v >>= EMU_HIGH_BYTE_SHIFT;
    return v & arith_mask(size);
}

/*
 * The x86 register-write rule (SDM vol. 1 3.4.1.1): a 32-bit result is
 * zero-extended to 64 bits; an 8- or 16-bit one replaces only its own bits.
 */
static inline void emu_set_gpr(struct guest_regs *regs, enum x86_gpr reg, bool high_byte,
                               unsigned size, uint64_t v)
{
    uint64_t *r = &regs->gpr[reg];

    if (size == 4) {
        *r = v & arith_mask(4);
    } else if (size == 8) {
        *r = v;
    } else {
        unsigned shift = high_byte ? EMU_HIGH_BYTE_SHIFT : 0;
        uint64_t mask = arith_mask(size) << shift;
        *r = (*r & ~mask) | ((v << shift) & mask);
    }
}

/* Queues exception `vector` (with error code `error` when it has one:
 * #GP, #SS) and returns INSN_EMU_FAULT, or INSN_EMU_ERR_UNSUPPORTED without
 * ops->raise. */
int emu_raise(struct emu *e, uint8_t vector, bool has_error, uint32_t error);

/* A canonical address: bits 63:47 all equal (SDM vol. 1 3.3.7.1; keel
 * offers no 5-level paging). */
bool emu_canonical(uint64_t a);

/* The linear address of seg:offset (offset already cut to its address
 * size), cut to 32 bits outside 64-bit mode.  Fails without seg_base when a
 * base other than 0 is possible. */
int emu_linear(struct emu *e, enum x86_seg seg, uint64_t offset, uint64_t *linear);

/*
 * Translates the size-byte access at seg:offset for reading or writing.
 * exited: this is the access that exited (the instruction's only one), so
 * that when it lies in one page, gpa is it (no walk).  An access that
 * crosses a page is translated page by page whatever exited says: the exit
 * may have been for either page.  Raises #GP(0) (#SS(0) for SS) for a
 * non-canonical address in 64-bit mode.
 */
int emu_prepare(struct emu *e, enum x86_seg seg, uint64_t offset, unsigned size, bool write,
                bool exited, struct emu_span *span);
/* The same for an access at a linear address (a descriptor table's);
 * fault_seg picks #SS or #GP for a non-canonical address. */
int emu_prepare_linear(struct emu *e, uint64_t linear, unsigned size, bool write, bool exited,
                       enum x86_seg fault_seg, struct emu_span *span);
int emu_span_read(struct emu *e, const struct emu_span *span, uint8_t *bytes);
int emu_span_write(struct emu *e, const struct emu_span *span, const uint8_t *bytes);

/* Little-endian integers of size bytes in a byte buffer. */
uint64_t emu_bytes_to_int(const uint8_t *bytes, unsigned size);
void emu_int_to_bytes(uint64_t v, unsigned size, uint8_t *bytes);

/* The same for whole integer operands: prepare, then read or write (a
 * naturally sized one in one page is a single callback, no byte buffer). */
int emu_read_int(struct emu *e, enum x86_seg seg, uint64_t offset, unsigned size, bool exited,
                 uint64_t *v);
int emu_write_int(struct emu *e, enum x86_seg seg, uint64_t offset, unsigned size, bool exited,
                  uint64_t v);

/* The offset of a decoded memory operand (RIP from ops->get_rip when it is
 * RIP-relative). */
int emu_mem_offset(struct emu *e, const struct insn_mem *m, uint64_t *offset);

/* ---- Descriptors (guest/insn_emulate_desc.c) ---------------------------- */

/* Selector fields (SDM vol. 3A 3.4.2). */
#define SELECTOR_RPL_MASK   3u
#define SELECTOR_TI         4u          /* the LDT rather than the GDT */
#define SELECTOR_INDEX_MASK 0xfff8u

/* System-segment and gate types (SDM vol. 3A 3.5, table 3-2). */
#define SYS_TYPE_TSS16_AVAILABLE    0x1u
#define SYS_TYPE_CALL_GATE16        0x4u
#define SYS_TYPE_TASK_GATE          0x5u
#define SYS_TYPE_TSS_AVAILABLE      0x9u    /* 32-bit, or 64-bit in IA-32e mode */
#define SYS_TYPE_CALL_GATE          0xcu    /* 32-bit, or 64-bit in IA-32e mode */

/* Real and virtual-8086 mode: a segment's base is its selector * 16 (SDM
 * vol. 3A 20.1.1). */
#define REAL_MODE_BASE_SHIFT        4

static inline unsigned emu_ar_dpl(uint32_t ar)
{
    return (ar >> X86_SEG_AR_DPL_SHIFT) & X86_SEG_AR_DPL_MASK;
}

/* A descriptor's 8 bytes as read from the GDT or LDT, and where they were. */
struct emu_descriptor {
    uint64_t raw;
    uint64_t linear;
};

/* Base, limit in bytes (scaled by G) and VMX-format access rights (struct
 * x86_segment) of a code, data or system descriptor (SDM vol. 3A 3.4.5). */
uint64_t emu_desc_base(uint64_t raw);
uint32_t emu_desc_limit(uint64_t raw);
uint32_t emu_desc_ar(uint64_t raw);

/* Queues vector with the selector as its error code (RPL dropped: SDM
 * vol. 3A 6.13, the EXT and IDT bits 0) and returns INSN_EMU_FAULT. */
int emu_raise_selector(struct emu *e, uint8_t vector, uint16_t selector);

/* The protection-mode state segment loads look at: CR0.PE, RFLAGS.VM
 * (virtual-8086 mode loads as real mode does) and the CPL. */
bool emu_protected_mode(struct emu *e);
bool emu_virtual_8086_mode(struct emu *e);
unsigned emu_cpl(struct emu *e);

/* Reads the descriptor a non-null selector names from the GDT or (TI = 1)
 * the LDT, through the guest's paging.  An index beyond the table's limit,
 * or TI = 1 with LDTR unusable, raises #GP(selector). */
int emu_fetch_descriptor(struct emu *e, uint16_t selector, struct emu_descriptor *d);

/* Sets the descriptor's accessed bit in memory when it is clear, as loading
 * a segment register does (SDM vol. 3A 3.4.5.1). */
int emu_set_accessed(struct emu *e, struct emu_descriptor *d);

/* ---- The instruction groups ------------------------------------------------ */

/* The stack instructions (guest/insn_emulate_stack.c), the string ones
 * (guest/insn_emulate_string.c), LTR (guest/insn_emulate_ltr.c), the
 * segment-register moves (guest/insn_emulate_sreg.c) and the far branches
 * (guest/insn_emulate_far.c). */
int emu_stack(struct emu *e);
int emu_string(struct emu *e);
int emu_ltr(struct emu *e);
int emu_mov_sreg(struct emu *e);
int emu_far_branch(struct emu *e);

/* Pushes v of size bytes on the stack (ssize: the stack's address size) and
 * moves rSP down; exited: the push is the instruction's only access. */
int emu_push(struct emu *e, unsigned ssize, unsigned size, uint64_t v, bool exited);
/* The stack's address size: 8 in 64-bit mode, else SS.B's 4 or 2. */
int emu_stack_size(struct emu *e, unsigned *ssize);

#endif
