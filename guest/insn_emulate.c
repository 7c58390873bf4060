/*
 * Emulation of one decoded instruction that touched MMIO: memory access by
 * segment and offset (split at page boundaries), register writes with the
 * partial-register rules, and the instructions with one ModRM memory
 * operand.  The stack and string instructions are in
 * guest/insn_emulate_stack.c and guest/insn_emulate_string.c, the
 * arithmetic in guest/insn_arith.c.
 */
#include "guest/insn_emu.h"

/* The steps of every access (see "Memory" below) are inlined wherever they
 * are used, whatever the compiler's size heuristics would choose. */
#define EMU_STEP        static inline __attribute__((always_inline))

#define PAGE_SIZE_4K    4096u
#define PAGE_OFFSET(a)  ((a) & (PAGE_SIZE_4K - 1))

/* Exception vectors (SDM vol. 3A table 6-1). */
#define VECTOR_DE       0
#define VECTOR_UD       6
#define VECTOR_NM       7
#define VECTOR_SS       12
#define VECTOR_GP       13

/* The control-register bits the MMX/SSE moves check (SDM vol. 2A 2.5 table
 * 2-... "exception conditions": EM -> #UD, TS -> #NM, OSFXSR = 0 -> #UD). */
#define CR0_EM          (1ull << 2)
#define CR0_TS          (1ull << 3)
#define CR4_OSFXSR      (1ull << 9)
/* Canonical addresses: bits 63:47 equal with 4-level paging (SDM vol. 1
 * 3.3.7.1); keel does not offer 5-level paging to guests. */
#define CANONICAL_BITS  48

/* ---- Exceptions ------------------------------------------------------------ */

int emu_raise(struct emu *e, uint8_t vector, bool has_error, uint32_t error)
{
    if (!e->ops->raise)
        return INSN_EMU_ERR_UNSUPPORTED;
    e->ops->raise(e->ctx, vector, has_error, error);
    return INSN_EMU_FAULT;
}

/* ---- Memory ----------------------------------------------------------------- */

/*
 * Every MMIO exit goes through the offset, the linear address, the
 * translation and the access below.  Each step is an EMU_STEP function that
 * the instruction emulations in this file inline, with its emu_*() twin for
 * the other files (guest/insn_emu.h): so that a plain MOV is one function
 * and a callback or two, and only what the common case does not need (the
 * page walk, a split or odd-sized access) is a call of its own.
 */

EMU_STEP uint64_t mem_offset(const struct insn_mem *m, const struct guest_regs *regs,
                             uint64_t next_rip)
{
    uint64_t addr = (uint64_t)m->disp;

    if (m->has_base)
        addr += regs->gpr[m->base];
    if (m->has_index)
        addr += regs->gpr[m->index] * m->scale;
    if (m->rip_relative)
        addr += next_rip;
    return addr & arith_mask(m->addr_size);
}

uint64_t insn_mem_offset(const struct insn_mem *m, const struct guest_regs *regs,
                         uint64_t next_rip)
{
    return mem_offset(m, regs, next_rip);
}

EMU_STEP int operand_offset(struct emu *e, const struct insn_mem *m, uint64_t *offset)
{
    uint64_t next_rip = 0;
    if (m->rip_relative) {
        if (!e->ops->get_rip)
            return INSN_EMU_ERR_UNSUPPORTED;
        next_rip = e->ops->get_rip(e->ctx) + e->in->length;
    }
    *offset = mem_offset(m, e->regs, next_rip);
    return 0;
}

int emu_mem_offset(struct emu *e, const struct insn_mem *m, uint64_t *offset)
{
    return operand_offset(e, m, offset);
}

EMU_STEP int linear_address(struct emu *e, enum x86_seg seg, uint64_t offset,
                            uint64_t *linear)
{
    /* 64-bit mode: CS, DS, ES and SS have base 0 (SDM vol. 3A 3.4.4). */
    bool flat = e->in->mode == CPU_MODE_64 && seg != SEG_FS && seg != SEG_GS;
    uint64_t base = 0;

    if (!flat) {
        if (!e->ops->seg_base)
            return INSN_EMU_ERR_UNSUPPORTED;
        base = e->ops->seg_base(e->ctx, seg);
    }
    *linear = base + offset;
    if (e->in->mode != CPU_MODE_64)
        *linear &= arith_mask(4);
    return 0;
}

int emu_linear(struct emu *e, enum x86_seg seg, uint64_t offset, uint64_t *linear)
{
    return linear_address(e, seg, offset, linear);
}

bool emu_canonical(uint64_t a)
{
    int64_t s = (int64_t)(a << (64 - CANONICAL_BITS)) >> (64 - CANONICAL_BITS);
    return (uint64_t)s == a;
}

/* prepare_linear() for all but an exited access in one page: the page
 * walk, a page at a time. */
static __attribute__((noinline)) int prepare_by_walk(struct emu *e, uint64_t linear,
                                                     unsigned size, bool write,
                                                     enum x86_seg fault_seg,
                                                     struct emu_span *span)
{
    unsigned first = PAGE_SIZE_4K - (unsigned)PAGE_OFFSET(linear);
    if (first >= size) {
        span->nparts = 1;
        span->len[0] = size;
    } else {
        span->nparts = 2;
        span->len[0] = first;
        span->len[1] = size - first;
    }
    if (e->in->mode == CPU_MODE_64 && (!emu_canonical(linear) || !emu_canonical(linear + size - 1)))
        return emu_raise(e, fault_seg == SEG_SS ? VECTOR_SS : VECTOR_GP, true, 0);
    if (!e->ops->translate)
        return INSN_EMU_ERR_UNSUPPORTED;
    for (unsigned i = 0; i < span->nparts; i++) {
        uint64_t part = linear + (i ? span->len[0] : 0);
        if (e->in->mode != CPU_MODE_64)
            part &= arith_mask(4);
        if (e->ops->translate(e->ctx, part, write, &span->gpa[i]) != 0)
            return INSN_EMU_ERR_ACCESS;
    }
    return 0;
}

EMU_STEP int prepare_linear(struct emu *e, uint64_t linear, unsigned size, bool write,
                            bool exited, enum x86_seg fault_seg, struct emu_span *span)
{
    /* The access that exited passed the CPU's own checks and, lying in one
     * page, is at the exit's gpa: no walk (nearly every MMIO exit). */
    if (exited && PAGE_OFFSET(linear) + size <= PAGE_SIZE_4K) {
        span->nparts = 1;
        span->len[0] = size;
        span->gpa[0] = e->gpa;
        return 0;
    }
    return prepare_by_walk(e, linear, size, write, fault_seg, span);
}

int emu_prepare_linear(struct emu *e, uint64_t linear, unsigned size, bool write, bool exited,
                       enum x86_seg fault_seg, struct emu_span *span)
{
    return prepare_linear(e, linear, size, write, exited, fault_seg, span);
}

EMU_STEP int prepare(struct emu *e, enum x86_seg seg, uint64_t offset, unsigned size,
                     bool write, bool exited, struct emu_span *span)
{
    uint64_t linear;
    int err = linear_address(e, seg, offset, &linear);
    if (err)
        return err;
    return prepare_linear(e, linear, size, write, exited, seg, span);
}

int emu_prepare(struct emu *e, enum x86_seg seg, uint64_t offset, unsigned size, bool write,
                bool exited, struct emu_span *span)
{
    return prepare(e, seg, offset, size, write, exited, span);
}

uint64_t emu_bytes_to_int(const uint8_t *bytes, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size && i < sizeof(v); i++)
        v |= (uint64_t)bytes[i] << (8 * i);
    return v;
}

void emu_int_to_bytes(uint64_t v, unsigned size, uint8_t *bytes)
{
    for (unsigned i = 0; i < size; i++)
        bytes[i] = i < sizeof(v) ? (uint8_t)(v >> (8 * i)) : 0;
}

/* The largest naturally sized access (8, 4, 2 or 1 bytes) that fits in n:
 * a device sees the accesses a CPU could make. */
static unsigned chunk_size(unsigned n)
{
    return n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
}

static int access_part(struct emu *e, uint64_t gpa, unsigned len, bool write, uint8_t *bytes)
{
    while (len) {
        unsigned c = chunk_size(len);
        uint64_t v = 0;
        if (write) {
            v = emu_bytes_to_int(bytes, c);
            if (e->ops->write(e->ctx, gpa, c, v & arith_mask(c)) != 0)
                return INSN_EMU_ERR_ACCESS;
        } else {
            if (e->ops->read(e->ctx, gpa, c, &v) != 0)
                return INSN_EMU_ERR_ACCESS;
            emu_int_to_bytes(v & arith_mask(c), c, bytes);
        }
        gpa += c;
        bytes += c;
        len -= c;
    }
    return 0;
}

static int access_span(struct emu *e, const struct emu_span *span, bool write, uint8_t *bytes)
{
    for (unsigned i = 0; i < span->nparts; i++) {
        int err = access_part(e, span->gpa[i], span->len[i], write, bytes);
        if (err)
            return err;
        bytes += span->len[i];
    }
    return 0;
}

int emu_span_read(struct emu *e, const struct emu_span *span, uint8_t *bytes)
{
    return access_span(e, span, false, bytes);
}

int emu_span_write(struct emu *e, const struct emu_span *span, const uint8_t *bytes)
{
    uint8_t copy[EMU_MAX_BYTES];
    unsigned total = 0;
    for (unsigned i = 0; i < span->nparts; i++)
        total += span->len[i];
    for (unsigned i = 0; i < total && i < EMU_MAX_BYTES; i++)
        copy[i] = bytes[i];
    return access_span(e, span, true, copy);
}

/* An integer through a byte buffer: an operand split at a page boundary,
 * whose parts access_part() cuts into naturally sized accesses. */
static __attribute__((noinline)) int read_int_by_parts(struct emu *e,
                                                       const struct emu_span *span,
                                                       unsigned size, uint64_t *v)
{
    uint8_t bytes[EMU_MAX_BYTES];
    int err = emu_span_read(e, span, bytes);
    if (!err)
        *v = emu_bytes_to_int(bytes, size);
    return err;
}

static __attribute__((noinline)) int write_int_by_parts(struct emu *e,
                                                        const struct emu_span *span,
                                                        unsigned size, uint64_t v)
{
    uint8_t bytes[EMU_MAX_BYTES];
    emu_int_to_bytes(v, size, bytes);
    return emu_span_write(e, span, bytes);
}

/* A span of one part of a natural size (1, 2, 4 or 8 bytes) is one access of
 * the device, the same access_part() would make: no byte buffer. */
EMU_STEP bool single_access(const struct emu_span *span)
{
    unsigned len = span->len[0];
    return span->nparts == 1 && (len == 1 || len == 2 || len == 4 || len == 8);
}

EMU_STEP int read_int(struct emu *e, const struct emu_span *span, unsigned size, uint64_t *v)
{
    if (!single_access(span))
        return read_int_by_parts(e, span, size, v);
    uint64_t x = 0;
    if (e->ops->read(e->ctx, span->gpa[0], span->len[0], &x) != 0)
        return INSN_EMU_ERR_ACCESS;
    *v = x & arith_mask(size);
    return 0;
}

EMU_STEP int write_int(struct emu *e, const struct emu_span *span, unsigned size, uint64_t v)
{
    if (!single_access(span))
        return write_int_by_parts(e, span, size, v);
    return e->ops->write(e->ctx, span->gpa[0], span->len[0], v & arith_mask(size)) != 0
               ? INSN_EMU_ERR_ACCESS : 0;
}

int emu_read_int(struct emu *e, enum x86_seg seg, uint64_t offset, unsigned size, bool exited,
                 uint64_t *v)
{
    struct emu_span span;
    int err = prepare(e, seg, offset, size, false, exited, &span);
    return err ? err : read_int(e, &span, size, v);
}

int emu_write_int(struct emu *e, enum x86_seg seg, uint64_t offset, unsigned size, bool exited,
                  uint64_t v)
{
    struct emu_span span;
    int err = prepare(e, seg, offset, size, true, exited, &span);
    return err ? err : write_int(e, &span, size, v);
}

/* ---- The ModRM memory operand ---------------------------------------------- */

/* The instruction's memory operand as an integer of `size` bytes at
 * `offset` (the operand's own offset, or a bit string's element): a
 * read-modify-write prepares it for writing, and the span is kept for the
 * write. */
struct operand {
    uint64_t offset;
    struct emu_span span;
};

static inline int operand_read(struct emu *e, struct operand *o, unsigned size, bool rmw,
                               uint64_t *v)
{
    int err = prepare(e, e->in->mem.seg, o->offset, size, rmw, true, &o->span);
    return err ? err : read_int(e, &o->span, size, v);
}

static inline int operand_write(struct emu *e, const struct operand *o, unsigned size,
                                uint64_t v)
{
    return write_int(e, &o->span, size, v);
}

static inline int operand_at_mem(struct emu *e, struct operand *o)
{
    return operand_offset(e, &e->in->mem, &o->offset);
}

/* The non-memory source operand: the immediate or the register. */
EMU_STEP uint64_t reg_or_imm(const struct insn *in, const struct guest_regs *regs)
{
    if (in->has_imm)
        return (uint64_t)in->imm & arith_mask(in->op_size);
    return emu_get_gpr(regs, in->reg, in->reg_high_byte, in->op_size);
}

static uint64_t reg_value(const struct emu *e)
{
    return emu_get_gpr(e->regs, e->in->reg, e->in->reg_high_byte, e->in->op_size);
}

EMU_STEP void set_reg(struct emu *e, unsigned size, uint64_t v)
{
    emu_set_gpr(e->regs, e->in->reg, e->in->reg_high_byte, size, v);
}

/* MOV to memory, SETcc and SMSW: a store of a value.  Inlined: MOV to
 * memory is half of all MMIO exits. */
EMU_STEP int store(struct emu *e, uint64_t v)
{
    struct emu_span span;
    uint64_t offset;
    int err = operand_offset(e, &e->in->mem, &offset);
    if (!err)
        err = prepare(e, e->in->mem.seg, offset, e->in->mem_size, true, true, &span);
    return err ? err : write_int(e, &span, e->in->mem_size, v);
}

static int load_operand(struct emu *e, uint64_t *v)
{
    struct operand o;
    int err = operand_at_mem(e, &o);
    if (!err)
        err = operand_read(e, &o, e->in->mem_size, false, v);
    return err;
}

/* MOV, MOVZX, MOVSX into a register: the other half, inlined too. */
EMU_STEP int emulate_load(struct emu *e)
{
    const struct insn *in = e->in;
    struct emu_span span;
    uint64_t offset, v;
    int err = operand_offset(e, &in->mem, &offset);
    if (!err)
        err = prepare(e, in->mem.seg, offset, in->mem_size, false, true, &span);
    if (!err)
        err = read_int(e, &span, in->mem_size, &v);
    if (err)
        return err;
    if (in->op == INSN_MOVSX)
        v = arith_sign_extend(v, in->mem_size);
    set_reg(e, in->op_size, v);
    return 0;
}

/*
 * ALU, CMP and TEST: the memory operand is the first operand when
 * dst_is_mem ("SUB m, r" computes m - r), the second otherwise.  CMP is SUB
 * and TEST is AND, each without writing the result.
 */
static int emulate_arith(struct emu *e)
{
    const struct insn *in = e->in;
    enum alu_op op = in->op == INSN_CMP ? ALU_SUB : in->op == INSN_TEST ? ALU_AND : in->alu;
    bool writes_mem = in->op == INSN_ALU && in->dst_is_mem;
    struct operand o;
    uint64_t m, flags = *e->rflags;

    int err = operand_at_mem(e, &o);
    if (!err)
        err = operand_read(e, &o, in->op_size, writes_mem, &m);
    if (err)
        return err;
    uint64_t other = reg_or_imm(in, e->regs);
    uint64_t r = arith_alu(op, in->dst_is_mem ? m : other, in->dst_is_mem ? other : m,
                           in->op_size, &flags);
    if (writes_mem) {
        err = operand_write(e, &o, in->op_size, r);
        if (err)
            return err;
    } else if (in->op == INSN_ALU) {
        set_reg(e, in->op_size, r);
    }
    *e->rflags = flags;
    return 0;
}

/* INC, DEC, NOT, NEG: read-modify-write of the memory operand. */
static int emulate_unary(struct emu *e)
{
    const struct insn *in = e->in;
    struct operand o;
    uint64_t m, r, flags = *e->rflags;

    int err = operand_at_mem(e, &o);
    if (!err)
        err = operand_read(e, &o, in->op_size, true, &m);
    if (err)
        return err;
    switch (in->op) {
    case INSN_INC:
    case INSN_DEC:
        r = arith_inc_dec(in->op == INSN_DEC, m, in->op_size, &flags);
        break;
    case INSN_NEG:
        r = arith_neg(m, in->op_size, &flags);
        break;
    default:
        r = ~m & arith_mask(in->op_size);       /* NOT: no flags */
        break;
    }
    err = operand_write(e, &o, in->op_size, r);
    if (err)
        return err;
    *e->rflags = flags;
    return 0;
}

static int emulate_xchg(struct emu *e)
{
    struct operand o;
    uint64_t old;
    int err = operand_at_mem(e, &o);
    if (!err)
        err = operand_read(e, &o, e->in->op_size, true, &old);
    if (!err)
        err = operand_write(e, &o, e->in->op_size, reg_value(e));
    if (err)
        return err;
    set_reg(e, e->in->op_size, old);
    return 0;
}

/* XADD: memory <- memory + reg, reg <- the old memory, flags of the ADD. */
static int emulate_xadd(struct emu *e)
{
    struct operand o;
    uint64_t old, flags = *e->rflags;
    int err = operand_at_mem(e, &o);
    if (!err)
        err = operand_read(e, &o, e->in->op_size, true, &old);
    if (err)
        return err;
    uint64_t sum = arith_alu(ALU_ADD, old, reg_value(e), e->in->op_size, &flags);
    err = operand_write(e, &o, e->in->op_size, sum);
    if (err)
        return err;
    set_reg(e, e->in->op_size, old);
    *e->rflags = flags;
    return 0;
}

/*
 * CMPXCHG (SDM vol. 2A "CMPXCHG"): flags of rAX - memory; when equal the
 * register goes to memory, otherwise memory goes to rAX and is written back
 * unchanged ("the processor never produces a locked read without also
 * producing a locked write").
 */
static int emulate_cmpxchg(struct emu *e)
{
    unsigned size = e->in->op_size;
    struct operand o;
    uint64_t old, flags = *e->rflags;
    int err = operand_at_mem(e, &o);
    if (!err)
        err = operand_read(e, &o, size, true, &old);
    if (err)
        return err;
    uint64_t acc = emu_get_gpr(e->regs, GPR_RAX, false, size);
    arith_alu(ALU_SUB, acc, old, size, &flags);
    bool equal = (flags & RFLAGS_ZF) != 0;
    err = operand_write(e, &o, size, equal ? reg_value(e) : old);
    if (err)
        return err;
    if (!equal)
        emu_set_gpr(e->regs, GPR_RAX, false, size, old);
    *e->rflags = flags;
    return 0;
}

/* MUL, IMUL, DIV, IDIV with one operand: rAX (AL with AH for bytes) and
 * rDX hold the double-width value (SDM vol. 2A "MUL", "DIV"). */
static int emulate_mul_div(struct emu *e)
{
    const struct insn *in = e->in;
    unsigned size = in->op_size;
    uint64_t m, flags = *e->rflags;
    int err = load_operand(e, &m);
    if (err)
        return err;

    bool byte = size == 1;
    uint64_t low = emu_get_gpr(e->regs, GPR_RAX, false, size);
    uint64_t high = byte ? emu_get_gpr(e->regs, GPR_RAX, true, 1)
                         : emu_get_gpr(e->regs, GPR_RDX, false, size);
    if (in->op == INSN_MUL || in->op == INSN_IMUL1) {
        low = arith_mul(in->op == INSN_IMUL1, low, m, size, &high, &flags);
        *e->rflags = flags;
    } else {
        uint64_t q, r;
        if (!arith_div(in->op == INSN_IDIV, high, low, m, size, &q, &r))
            return emu_raise(e, VECTOR_DE, false, 0);
        low = q;
        high = r;
    }
    emu_set_gpr(e->regs, GPR_RAX, false, size, low);
    if (byte)
        emu_set_gpr(e->regs, GPR_RAX, true, 1, high);
    else
        emu_set_gpr(e->regs, GPR_RDX, false, size, high);
    return 0;
}

/* IMUL r, m (, imm): the truncated signed product. */
static int emulate_imul(struct emu *e)
{
    uint64_t m, flags = *e->rflags;
    int err = load_operand(e, &m);
    if (err)
        return err;
    uint64_t other = e->in->has_imm ? (uint64_t)e->in->imm : reg_value(e);
    uint64_t r = arith_imul_trunc(m, other, e->in->op_size, &flags);
    set_reg(e, e->in->op_size, r);
    *e->rflags = flags;
    return 0;
}

/*
 * BT, BTS, BTR, BTC (SDM vol. 2A "BT"): an immediate bit offset is taken
 * modulo the operand size; a register one is signed and may select a bit
 * outside the operand, in the operand-sized element at offset
 * (bit offset >> log2(bits)) * size.
 */
static int emulate_bit_test(struct emu *e)
{
    const struct insn *in = e->in;
    unsigned size = in->op_size, bits = 8 * size;
    struct operand o;
    uint64_t m, flags = *e->rflags;
    unsigned bit;

    int err = operand_at_mem(e, &o);
    if (err)
        return err;
    if (in->has_imm) {
        bit = (unsigned)in->imm & (bits - 1);
    } else {
        int64_t offset = (int64_t)arith_sign_extend(reg_value(e), size);
        bit = (unsigned)(offset & (bits - 1));
        int64_t element = offset >= 0 ? offset / bits : -((-(offset + 1)) / bits) - 1;
        o.offset = (o.offset + (uint64_t)element * size) & arith_mask(in->mem.addr_size);
    }
    err = operand_read(e, &o, size, in->bt != BT_TEST, &m);
    if (err)
        return err;
    uint64_t r = arith_bit_test(in->bt, m, bit, &flags);
    if (in->bt != BT_TEST) {
        err = operand_write(e, &o, size, r);
        if (err)
            return err;
    }
    *e->rflags = flags;
    return 0;
}

static int emulate_bit_scan(struct emu *e)
{
    uint64_t m, index, flags = *e->rflags;
    int err = load_operand(e, &m);
    if (err)
        return err;
    if (arith_bit_scan(e->in->op == INSN_BSR, m, e->in->op_size, &index, &flags))
        set_reg(e, e->in->op_size, index);
    *e->rflags = flags;
    return 0;
}

/* A shift's or rotate's count, from CL or the immediate, masked to 5 bits
 * (6 for 64-bit operands) as the CPU masks it (SDM vol. 2B "SAL/SAR/SHL/
 * SHR", "SHLD"). */
static unsigned shift_count(const struct emu *e)
{
    const struct insn *in = e->in;
    unsigned mask = in->op_size == 8 ? 63 : 31;
    uint64_t raw = in->count_cl ? emu_get_gpr(e->regs, GPR_RCX, false, 1) : (uint64_t)in->imm;
    return (unsigned)raw & mask;
}

/* SHLD/SHRD: the count is masked to 5 bits, 6 for 64-bit operands (SDM
 * vol. 2B "SHLD"); a count of 0 changes nothing, so nothing is written. */
static int emulate_double_shift(struct emu *e)
{
    const struct insn *in = e->in;
    unsigned count = shift_count(e);
    struct operand o;
    uint64_t m, flags = *e->rflags;

    int err = operand_at_mem(e, &o);
    if (!err)
        err = operand_read(e, &o, in->op_size, true, &m);
    if (err || count == 0)
        return err;
    uint64_t r = arith_double_shift(in->op == INSN_SHRD, m, reg_value(e), count, in->op_size,
                                    &flags);
    err = operand_write(e, &o, in->op_size, r);
    if (err)
        return err;
    *e->rflags = flags;
    return 0;
}

/* CMOVcc reads its source whatever the condition; a 32-bit destination is
 * zero-extended even when the condition is false (SDM vol. 2A "CMOVcc"). */
static int emulate_cmov(struct emu *e)
{
    uint64_t m;
    int err = load_operand(e, &m);
    if (err)
        return err;
    if (arith_condition(e->in->cond, *e->rflags))
        set_reg(e, e->in->op_size, m);
    else if (e->in->op_size == 4)
        set_reg(e, 4, reg_value(e));
    return 0;
}

/* Rotates and shifts (group 2): the count is masked to 5 bits, 6 for
 * 64-bit operands (SDM vol. 2B "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR"); a
 * masked count of 0 changes nothing, so nothing is written. */
static int emulate_shift(struct emu *e)
{
    const struct insn *in = e->in;
    unsigned count = shift_count(e);
    struct operand o;
    uint64_t m, flags = *e->rflags;

    int err = operand_at_mem(e, &o);
    if (!err)
        err = operand_read(e, &o, in->op_size, true, &m);
    if (err || count == 0)
        return err;
    uint64_t r = arith_shift(in->shift, m, count, in->op_size, &flags);
    err = operand_write(e, &o, in->op_size, r);
    if (err)
        return err;
    *e->rflags = flags;
    return 0;
}

/* SMSW m16: the low 16 bits of CR0 as the guest sees it. */
static int emulate_smsw(struct emu *e)
{
    if (!e->ops->get_cr)
        return INSN_EMU_ERR_UNSUPPORTED;
    return store(e, e->ops->get_cr(e->ctx, 0));
}

/*
 * The MMX and SSE register moves.  Their exceptions come in the order of
 * SDM vol. 2A 2.5 ("exception classes", types 4 and 5, and the MMX table
 * 22-... of vol. 3A): CR0.EM = 1 -> #UD, CR4.OSFXSR = 0 -> #UD (SSE only),
 * CR0.TS = 1 -> #NM, then #GP(0) for a misaligned MOVAPS/MOVDQA operand.
 * The register itself is reached through ops->vec_access.
 */
static int emulate_vector_move(struct emu *e)
{
    const struct insn *in = e->in;
    const struct mmio_ops *ops = e->ops;
    uint8_t bytes[EMU_MAX_BYTES];
    struct emu_span span;
    uint64_t offset, linear;

    if (!ops->get_cr || !ops->vec_access)
        return INSN_EMU_ERR_UNSUPPORTED;
    uint64_t cr0 = ops->get_cr(e->ctx, 0);
    if ((cr0 & CR0_EM) || (in->vec == VEC_XMM && !(ops->get_cr(e->ctx, 4) & CR4_OSFXSR)))
        return emu_raise(e, VECTOR_UD, false, 0);
    if (cr0 & CR0_TS)
        return emu_raise(e, VECTOR_NM, false, 0);
    int err = operand_offset(e, &in->mem, &offset);
    if (!err)
        err = linear_address(e, in->mem.seg, offset, &linear);
    if (err)
        return err;
    if (in->vec_aligned && (linear & (in->mem_size - 1u)))
        return emu_raise(e, VECTOR_GP, true, 0);

    /* A scalar move (mem_size < op_size) stores the register's low bytes
     * and loads into them, clearing the rest (SDM vol. 2B "MOVSS", "MOVSD":
     * DEST[127:32] or DEST[127:64] <- 0). */
    bool store_op = in->op == INSN_VEC_STORE;
    err = prepare(e, in->mem.seg, offset, in->mem_size, store_op, true, &span);
    if (err)
        return err;
    if (store_op) {
        if (ops->vec_access(e->ctx, in->vec, in->reg, false, bytes) != 0)
            return INSN_EMU_ERR_ACCESS;
        return emu_span_write(e, &span, bytes);
    }
    for (unsigned i = 0; i < sizeof(bytes); i++)
        bytes[i] = 0;
    err = emu_span_read(e, &span, bytes);
    if (err)
        return err;
    return ops->vec_access(e->ctx, in->vec, in->reg, true, bytes) ? INSN_EMU_ERR_ACCESS : 0;
}

/* ---- Checks and dispatch ------------------------------------------------------ */

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
    case INSN_NOT:
    case INSN_DIV:
    case INSN_IDIV:
    case INSN_SMSW:
    case INSN_PUSH:
    case INSN_POP:
    case INSN_RET:
    case INSN_LEAVE:
    case INSN_ENTER:
    case INSN_JMP_NEAR:
    case INSN_CALL_NEAR:
    case INSN_VEC_LOAD:
    case INSN_VEC_STORE:
    case INSN_LTR:
    case INSN_MOV_FROM_SREG:
        return false;
    default:
        return true;            /* MOV to Sreg and the far branches read VM */
    }
}

static bool mem_uses_rsp(const struct insn_mem *m)
{
    return (m->has_base && m->base == GPR_RSP) || (m->has_index && m->index == GPR_RSP);
}

bool insn_uses_rsp(const struct insn *in)
{
    switch (in->op) {
    case INSN_PUSH:
    case INSN_POP:
    case INSN_RET:
    case INSN_LEAVE:
    case INSN_ENTER:
    case INSN_CALL_NEAR:
    case INSN_CALL_FAR:
    case INSN_RET_FAR:
        return true;
    case INSN_VEC_LOAD:
    case INSN_VEC_STORE:
        break;                  /* reg is an MMX/XMM register */
    default:
        if (in->has_reg && in->reg == GPR_RSP)
            return true;
        break;
    }
    return mem_uses_rsp(&in->mem) || mem_uses_rsp(&in->src);
}

static bool valid_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

/* The register operand names a GPR (an MMX or XMM register for the vector
 * moves), and AH..BH only at byte size. */
static bool reg_operand_valid(const struct insn *in)
{
    if (!in->has_reg)
        return true;
    if (in->op == INSN_VEC_LOAD || in->op == INSN_VEC_STORE)
        return in->vec == VEC_MMX ? in->reg < 8 && in->op_size == 8
                                  : in->reg < 16 && in->op_size == 16;
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
    if ((m->has_base && m->base >= NR_GPRS) || (m->has_index && m->index >= NR_GPRS) ||
        (unsigned)m->seg >= NR_SEGS)
        return false;
    return valid_size(m->scale) && valid_address_size(m->addr_size);
}

static bool valid_alu_op(enum alu_op op)
{
    return op == ALU_ADD || op == ALU_OR || op == ALU_ADC || op == ALU_SBB ||
           op == ALU_AND || op == ALU_SUB || op == ALU_XOR;
}

static bool valid_shift_op(enum shift_op op)
{
    return op == SHIFT_ROL || op == SHIFT_ROR || op == SHIFT_RCL || op == SHIFT_RCR ||
           op == SHIFT_SHL || op == SHIFT_SHR || op == SHIFT_SAR;
}

bool insn_well_formed(const struct insn *in)
{
    bool vec = in->op == INSN_VEC_LOAD || in->op == INSN_VEC_STORE;
    if (vec ? (in->op_size != 8 && in->op_size != 16) ||
                  (in->mem_size != 4 && in->mem_size != 8 && in->mem_size != 16)
            : !valid_size(in->op_size) || !valid_size(in->mem_size))
        return false;
    if (in->op != INSN_SMSW && in->op != INSN_LTR && in->mem_size > in->op_size)
        return false;
    if ((in->op == INSN_MOV_FROM_SREG || in->op == INSN_MOV_TO_SREG) &&
        ((unsigned)in->sreg >= NR_SEGS || in->mem_size != 2))
        return false;
    if ((in->op == INSN_JMP_FAR || in->op == INSN_CALL_FAR || in->op == INSN_RET_FAR) &&
        in->op_size == 1)
        return false;
    if (in->op == INSN_SHIFT && !valid_shift_op(in->shift))
        return false;
    if (!reg_operand_valid(in))
        return false;
    if (in->op == INSN_ALU && !valid_alu_op(in->alu))
        return false;
    if (in->op == INSN_BT && (in->bt < BT_TEST || in->bt > BT_COMPLEMENT))
        return false;
    if (in->mode != CPU_MODE_16 && in->mode != CPU_MODE_32 && in->mode != CPU_MODE_64)
        return false;
    if (!mem_operand_valid(&in->src) &&
        (in->op == INSN_MOVS || in->op == INSN_CMPS || in->op == INSN_LODS))
        return false;
    return !in->has_mem || mem_operand_valid(&in->mem);
}

/* The instructions with a ModRM memory operand, but the moves. */
static int emulate_modrm(struct emu *e)
{
    switch (e->in->op) {
    case INSN_ALU:
    case INSN_CMP:
    case INSN_TEST:
        return emulate_arith(e);
    case INSN_INC:
    case INSN_DEC:
    case INSN_NOT:
    case INSN_NEG:
        return emulate_unary(e);
    case INSN_XCHG:
        return emulate_xchg(e);
    case INSN_XADD:
        return emulate_xadd(e);
    case INSN_CMPXCHG:
        return emulate_cmpxchg(e);
    case INSN_MUL:
    case INSN_IMUL1:
    case INSN_DIV:
    case INSN_IDIV:
        return emulate_mul_div(e);
    case INSN_IMUL:
        return emulate_imul(e);
    case INSN_BT:
        return emulate_bit_test(e);
    case INSN_BSF:
    case INSN_BSR:
        return emulate_bit_scan(e);
    case INSN_SHLD:
    case INSN_SHRD:
        return emulate_double_shift(e);
    case INSN_CMOV:
        return emulate_cmov(e);
    case INSN_SETCC:
        return store(e, arith_condition(e->in->cond, *e->rflags) ? 1 : 0);
    case INSN_SMSW:
        return emulate_smsw(e);
    case INSN_VEC_LOAD:
    case INSN_VEC_STORE:
        return emulate_vector_move(e);
    case INSN_LTR:
        return emu_ltr(e);
    case INSN_SHIFT:
        return emulate_shift(e);
    default:
        return INSN_EMU_ERR_UNSUPPORTED;
    }
}

/* Everything but the moves, a call away from insn_emulate_well_formed() so
 * that the moves' path does not pay for their registers and stack. */
static __attribute__((noinline)) int emulate_other(const struct insn *in,
                                                   struct guest_regs *regs, uint64_t *rflags,
                                                   uint64_t gpa, const struct mmio_ops *ops,
                                                   void *ctx)
{
    struct emu emu = { in, regs, rflags, gpa, ops, ctx }, *e = &emu;

    switch (in->op) {
    case INSN_MOVS:
    case INSN_CMPS:
    case INSN_STOS:
    case INSN_LODS:
    case INSN_SCAS:
        return emu_string(e);
    case INSN_PUSH:
    case INSN_POP:
    case INSN_RET:
    case INSN_LEAVE:
    case INSN_ENTER:
    case INSN_JMP_NEAR:
    case INSN_CALL_NEAR:
        return emu_stack(e);
    case INSN_MOV_FROM_SREG:
    case INSN_MOV_TO_SREG:
        return emu_mov_sreg(e);
    case INSN_JMP_FAR:
    case INSN_CALL_FAR:
    case INSN_RET_FAR:
        return emu_far_branch(e);
    default:
        return emulate_modrm(e);
    }
}

int insn_emulate_well_formed(const struct insn *in, struct guest_regs *regs, uint64_t *rflags,
                             uint64_t gpa, const struct mmio_ops *ops, void *ctx)
{
    struct emu e = { in, regs, rflags, gpa, ops, ctx };

    switch (in->op) {
    case INSN_MOV_TO_MEM:
        return store(&e, reg_or_imm(in, regs));
    case INSN_MOV_FROM_MEM:
    case INSN_MOVZX:
    case INSN_MOVSX:
        return emulate_load(&e);
    default:
        return emulate_other(in, regs, rflags, gpa, ops, ctx);
    }
}

int insn_emulate_mmio(const struct insn *in, struct guest_regs *regs, uint64_t *rflags,
                      uint64_t gpa, const struct mmio_ops *ops, void *ctx)
{
    if (!insn_well_formed(in))
        return INSN_EMU_ERR_UNSUPPORTED;
    return insn_emulate_well_formed(in, regs, rflags, gpa, ops, ctx);
}
