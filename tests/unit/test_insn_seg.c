/*
 * Host tests for the emulated instructions that load segment registers and
 * the other forms added for kvm-unit-tests' emulator test: MOV to and from
 * a segment register (guest/insn_emulate_sreg.c), far JMP and CALL through
 * memory and far RET (guest/insn_emulate_far.c), ENTER with a nesting
 * level, the shifts and rotates of group 2 on memory, and MOVSS/MOVSD.
 *
 * The fake machine is flat: linear = guest-physical = an offset into a
 * 64 KiB buffer, which holds a GDT at 0x1000, an LDT at 0x1800, the memory
 * operands at 0x2000 and a stack below 0x4000.  Every expectation comes
 * from the SDM's Operation sections (vol. 2A/2B "MOV", "JMP", "CALL",
 * "ENTER", "MOVSS", "MOVSD"), not from keel's code.
 */
#include "tests/unit/unit.h"

#include "guest/insn_arith.c"
#include "guest/insn_decode.c"
#include "guest/insn_emulate.c"
#include "guest/insn_emulate_desc.c"
#include "guest/insn_emulate_far.c"
#include "guest/insn_emulate_ltr.c"
#include "guest/insn_emulate_sreg.c"
#include "guest/insn_emulate_stack.c"
#include "guest/insn_emulate_string.c"

#define M16 CPU_MODE_16
#define M32 CPU_MODE_32
#define M64 CPU_MODE_64

#define MEM_SIZE    0x10000u
#define GDT_BASE    0x1000u
#define LDT_BASE    0x1800u
#define OPERAND     0x2000u
#define STACK_TOP   0x4000u

#define CR0_PE      1ull
#define CR0_TS      (1ull << 3)
#define CR4_OSFXSR  (1ull << 9)
#define EFER_LMA    (1ull << 10)
#define RFLAGS_VM   (1ull << 17)
#define NO_VECTOR   (-1)

/* Exception vectors (SDM vol. 3A table 6-1). */
#define NM 7
#define NP 11
#define SS 12
#define GP 13

/* GDT selectors and the descriptors behind them. */
enum {
    SEL_CODE32 = 0x08,          /* flat 32-bit code, DPL 0 */
    SEL_DATA = 0x10,            /* flat read/write data, DPL 0 */
    SEL_DATA_UNACCESSED = 0x18, /* data, base 0x12345678, limit 0xfff, A = 0 */
    SEL_DATA_DPL3 = 0x20,
    SEL_CODE64 = 0x28,          /* L = 1, DPL 0 */
    SEL_DATA_ABSENT = 0x30,     /* P = 0 */
    SEL_DATA_READ_ONLY = 0x38,
    SEL_CODE_EXEC_ONLY = 0x40,  /* not readable */
    SEL_CODE_CONFORMING = 0x48, /* conforming, readable, DPL 0 */
    SEL_CALL_GATE = 0x50,
    SEL_CODE_L_AND_D = 0x58,    /* L = 1 and D = 1: invalid in IA-32e mode */
    SEL_CODE32_DPL3 = 0x60,
    SEL_CODE_SMALL = 0x68,      /* 32-bit code, limit 0xfff, A = 0 */
    SEL_CODE_ABSENT = 0x70,
    SEL_TSS_BUSY = 0x78,
    SEL_CODE_CONFORMING_DPL3 = 0x80,
    GDT_LIMIT = 0x87,
    SEL_BEYOND_GDT = 0x88,
    SEL_LDT0 = 0x04,            /* TI = 1, index 0: a data segment in the LDT */
};

/* A code or data descriptor (SDM vol. 3A figure 3-8): type (with S and P
 * in bits 4 and 7 of access), flags = AVL, L, D/B, G in bits 0-3. */
static uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
           ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

#define FLAG_L  0x2
#define FLAG_DB 0x4
#define FLAG_G  0x8

struct machine {
    uint8_t mem[MEM_SIZE];
    struct x86_segment seg[NR_SEGS], ldtr;
    uint64_t cr0, cr4, efer, rip, new_rip;
    unsigned cpl, stack_addr_size, seg_loads, writes;
    bool branched, fail_translate;
    int vector;
    uint32_t error;
    uint8_t xmm[16][16];
};

static struct machine m;

static uint64_t mem_get(unsigned off, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)m.mem[off + i] << (8 * i);
    return v;
}

static void mem_put(unsigned off, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size; i++)
        m.mem[off + i] = (uint8_t)(v >> (8 * i));
}

static int f_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    (void)ctx;
    if (gpa + size > MEM_SIZE)
        return -1;
    *val = mem_get((unsigned)gpa, size);
    return 0;
}

static int f_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    (void)ctx;
    if (gpa + size > MEM_SIZE)
        return -1;
    mem_put((unsigned)gpa, size, val);
    m.writes++;
    return 0;
}

/* Identity paging over the buffer; anything beyond it "page faults". */
static int f_translate(void *ctx, uint64_t linear, bool write, uint64_t *gpa)
{
    (void)ctx, (void)write;
    if (m.fail_translate || linear >= MEM_SIZE)
        return -1;
    *gpa = linear;
    return 0;
}

static uint64_t f_seg_base(void *ctx, enum x86_seg seg)
{
    (void)ctx;
    return m.seg[seg].base;
}

static uint64_t f_get_rip(void *ctx)
{
    (void)ctx;
    return m.rip;
}

static void f_set_rip(void *ctx, uint64_t rip)
{
    (void)ctx;
    m.new_rip = rip;
    m.branched = true;
}

static uint64_t f_get_cr(void *ctx, unsigned cr)
{
    (void)ctx;
    return cr == 4 ? m.cr4 : m.cr0;
}

static unsigned f_stack_addr_size(void *ctx)
{
    (void)ctx;
    return m.stack_addr_size;
}

static void f_raise(void *ctx, uint8_t vector, bool has_error, uint32_t error)
{
    (void)ctx, (void)has_error;
    m.vector = vector;
    m.error = error;
}

static int f_vec_access(void *ctx, enum vec_file file, unsigned reg, bool write, uint8_t *bytes)
{
    (void)ctx;
    unsigned n = file == VEC_MMX ? 8 : 16;
    if (write)
        memcpy(m.xmm[reg], bytes, n);
    else
        memcpy(bytes, m.xmm[reg], n);
    return 0;
}

static void f_get_gdtr(void *ctx, uint64_t *base, uint32_t *limit)
{
    (void)ctx;
    *base = GDT_BASE;
    *limit = GDT_LIMIT;
}

static unsigned f_get_cpl(void *ctx)
{
    (void)ctx;
    return m.cpl;
}

static uint64_t f_get_efer(void *ctx)
{
    (void)ctx;
    return m.efer;
}

static void f_get_seg(void *ctx, enum x86_seg seg, struct x86_segment *s)
{
    (void)ctx;
    *s = m.seg[seg];
}

static void f_set_seg(void *ctx, enum x86_seg seg, const struct x86_segment *s)
{
    (void)ctx;
    m.seg[seg] = *s;
    m.seg_loads++;
}

static void f_get_ldtr(void *ctx, struct x86_segment *s)
{
    (void)ctx;
    *s = m.ldtr;
}

static const struct mmio_ops ops = {
    .read = f_read, .write = f_write, .translate = f_translate, .seg_base = f_seg_base,
    .get_rip = f_get_rip, .set_rip = f_set_rip, .get_cr = f_get_cr,
    .stack_addr_size = f_stack_addr_size, .raise = f_raise, .vec_access = f_vec_access,
    .get_gdtr = f_get_gdtr, .get_cpl = f_get_cpl, .get_efer = f_get_efer,
    .get_seg = f_get_seg, .set_seg = f_set_seg, .get_ldtr = f_get_ldtr,
};

/* VMX access rights of the flat segments, accessed. */
#define AR_CODE32   0xc09bu
#define AR_DATA     0xc093u
#define AR_CODE64   0xa09bu

/* A protected-mode machine at CPL 0 with flat CS (32-bit), SS and DS, an
 * LDT with one data segment, and the GDT above. */
static void machine_reset(void)
{
    memset(&m, 0, sizeof(m));
    m.cr0 = CR0_PE;
    m.cr4 = CR4_OSFXSR;
    m.rip = 0x100;
    m.stack_addr_size = 4;
    m.vector = NO_VECTOR;
    m.seg[SEG_CS] = (struct x86_segment){ SEL_CODE32, 0, 0xffffffff, AR_CODE32 };
    for (unsigned s = 0; s < NR_SEGS; s++)
        if (s != SEG_CS)
            m.seg[s] = (struct x86_segment){ SEL_DATA, 0, 0xffffffff, AR_DATA };
    m.ldtr = (struct x86_segment){ 0x88, LDT_BASE, 0x7, 0x82 };

    uint64_t gdt[GDT_LIMIT / 8 + 1] = { 0 };
    gdt[SEL_CODE32 / 8] = descriptor(0, 0xfffff, 0x9b, FLAG_DB | FLAG_G);
    gdt[SEL_DATA / 8] = descriptor(0, 0xfffff, 0x93, FLAG_DB | FLAG_G);
    gdt[SEL_DATA_UNACCESSED / 8] = descriptor(0x12345678, 0xfff, 0x92, FLAG_DB);
    gdt[SEL_DATA_DPL3 / 8] = descriptor(0, 0xfffff, 0xf3, FLAG_DB | FLAG_G);
    gdt[SEL_CODE64 / 8] = descriptor(0, 0xfffff, 0x9b, FLAG_L | FLAG_G);
    gdt[SEL_DATA_ABSENT / 8] = descriptor(0, 0xfffff, 0x13, FLAG_DB | FLAG_G);
    gdt[SEL_DATA_READ_ONLY / 8] = descriptor(0, 0xfffff, 0x91, FLAG_DB | FLAG_G);
    gdt[SEL_CODE_EXEC_ONLY / 8] = descriptor(0, 0xfffff, 0x99, FLAG_DB | FLAG_G);
    gdt[SEL_CODE_CONFORMING / 8] = descriptor(0, 0xfffff, 0x9f, FLAG_DB | FLAG_G);
    gdt[SEL_CALL_GATE / 8] = descriptor(0, 0, 0x8c, 0);
    gdt[SEL_CODE_L_AND_D / 8] = descriptor(0, 0xfffff, 0x9b, FLAG_L | FLAG_DB | FLAG_G);
    gdt[SEL_CODE32_DPL3 / 8] = descriptor(0, 0xfffff, 0xfb, FLAG_DB | FLAG_G);
    gdt[SEL_CODE_SMALL / 8] = descriptor(0x10000, 0xfff, 0x9a, FLAG_DB);
    gdt[SEL_CODE_ABSENT / 8] = descriptor(0, 0xfffff, 0x1b, FLAG_DB | FLAG_G);
    gdt[SEL_TSS_BUSY / 8] = descriptor(0x3000, 0x67, 0x8b, 0);
    gdt[SEL_CODE_CONFORMING_DPL3 / 8] = descriptor(0, 0xfffff, 0xff, FLAG_DB | FLAG_G);
    for (unsigned i = 0; i < sizeof(gdt) / 8; i++)
        mem_put(GDT_BASE + 8 * i, 8, gdt[i]);
    mem_put(LDT_BASE, 8, descriptor(0xabc000, 0xffff, 0x93, FLAG_DB));
}

/* Decodes bytes in mode and emulates them with gpa as the exit's
 * guest-physical address. */
static int emulate(enum cpu_mode mode, const uint8_t *bytes, size_t len, struct guest_regs *regs,
                   uint64_t *rflags, uint64_t gpa)
{
    struct insn in;
    int err = insn_decode(bytes, len, mode, &in);
    CHECK_EQ_I(err, 0);
    if (err)
        return -100;
    CHECK_EQ_U(in.length, len);
    return insn_emulate_mmio(&in, regs, rflags, gpa, &ops, NULL);
}

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define EMULATE(mode, regs, rflags, gpa, ...) \
    emulate(mode, BYTES(__VA_ARGS__), regs, rflags, gpa)

static bool segment_is(enum x86_seg seg, uint16_t selector, uint64_t base, uint32_t limit,
                       uint32_t ar)
{
    const struct x86_segment *s = &m.seg[seg];
    if (s->selector == selector && s->base == base && s->limit == limit && s->ar == ar)
        return true;
    printf("    segment %d: %04x %" PRIx64 " %x %x, want %04x %" PRIx64 " %x %x\n", seg,
           s->selector, s->base, s->limit, s->ar, selector, base, limit, ar);
    return false;
}

/* ---- MOV m16, Sreg ---------------------------------------------------------- */

/* The selector goes to memory as 16 bits whatever the operand size: the
 * bytes after it are left alone (kvm-unit-tests' ljmp test stores CS so). */
TEST(mov_from_sreg_stores_the_selector)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    m.seg[SEG_CS].selector = SEL_CODE64;
    mem_put(OPERAND + 8, 4, 0xdddddddd);
    regs.gpr[GPR_R12] = OPERAND - 0x1000;
    /* data16 mov word ptr [r12+0x1008], cs */
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND + 8, 0x66, 0x41, 0x8c, 0x8c, 0x24, 0x08,
                       0x10, 0x00, 0x00), INSN_EMU_DONE);
    CHECK_EQ_U(mem_get(OPERAND + 8, 4), 0xdddd0000u | SEL_CODE64);

    /* rex.w mov word ptr [rbx], ss: still 16 bits */
    m.seg[SEG_SS].selector = 0x1234;
    regs.gpr[GPR_RBX] = OPERAND;
    mem_put(OPERAND, 8, ~0ull);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND, 0x48, 0x8c, 0x13), INSN_EMU_DONE);
    CHECK_EQ_U(mem_get(OPERAND, 8), 0xffffffffffff1234ull);
    CHECK_EQ_U(m.seg_loads, 0);
}

/* ---- MOV Sreg, m16 ---------------------------------------------------------- */

/* A data segment: the descriptor's base, limit (byte granular here) and
 * access rights, its accessed bit set in the GDT as well. */
TEST(mov_to_ds_loads_the_descriptor)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    regs.gpr[GPR_RBX] = OPERAND;
    mem_put(OPERAND, 2, SEL_DATA_UNACCESSED);
    /* mov ds, word ptr [ebx] */
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0x8e, 0x1b), INSN_EMU_DONE);
    CHECK(segment_is(SEG_DS, SEL_DATA_UNACCESSED, 0x12345678, 0xfff, 0x4093));
    CHECK_EQ_U(m.mem[GDT_BASE + SEL_DATA_UNACCESSED + 5], 0x93);
    CHECK_EQ_I(m.vector, NO_VECTOR);

    /* A selector with TI = 1 names the LDT. */
    m.seg[SEG_DS].base = 0;     /* the operand's segment */
    mem_put(OPERAND, 2, SEL_LDT0);
    /* mov gs, word ptr [ebx] */
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0x8e, 0x2b), INSN_EMU_DONE);
    CHECK(segment_is(SEG_GS, SEL_LDT0, 0xabc000, 0xffff, 0x4093));

    /* A readable conforming code segment is taken whatever RPL and CPL. */
    m.cpl = 3;
    m.seg[SEG_SS].ar = 0xc0f3;
    mem_put(OPERAND, 2, SEL_CODE_CONFORMING | 3);
    /* mov es, word ptr [ebx] */
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0x8e, 0x03), INSN_EMU_DONE);
    CHECK(segment_is(SEG_ES, SEL_CODE_CONFORMING | 3, 0, 0xffffffff, 0xc09f));
}

/* SS: loaded, and the result asks for the MOV SS interrupt shadow. */
TEST(mov_to_ss_blocks_interrupts)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    m.seg[SEG_SS] = (struct x86_segment){ 0, 0, 0, X86_SEG_AR_UNUSABLE };
    regs.gpr[GPR_RAX] = OPERAND;
    mem_put(OPERAND, 2, SEL_DATA);
    /* mov ss, word ptr [eax] */
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0x8e, 0x10), INSN_EMU_DONE_MOV_SS);
    CHECK(segment_is(SEG_SS, SEL_DATA, 0, 0xffffffff, AR_DATA));
}

/* Null selectors: DS becomes unusable; SS takes one only in 64-bit mode,
 * below CPL 3, with RPL = CPL, and keeps the CPL as its DPL. */
TEST(mov_sreg_null_selectors)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    regs.gpr[GPR_RBX] = OPERAND;
    mem_put(OPERAND, 2, 3);
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0x8e, 0x1b), INSN_EMU_DONE);
    CHECK(segment_is(SEG_DS, 3, 0, 0, X86_SEG_AR_UNUSABLE));

    m.efer = EFER_LMA;
    m.cpl = 2;
    mem_put(OPERAND, 2, 2);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND, 0x8e, 0x13), INSN_EMU_DONE_MOV_SS);
    CHECK(segment_is(SEG_SS, 2, 0, 0, X86_SEG_AR_UNUSABLE | (2u << 5)));
}

struct sreg_fault_case {
    const char *what;
    enum cpu_mode mode;
    unsigned cpl;
    uint8_t modrm;              /* 8E /r [rbx]: 0x13 SS, 0x1b DS */
    uint16_t selector;
    bool ldtr_unusable;
    int vector;
    uint32_t error;
};

static const struct sreg_fault_case sreg_faults[] = {
    { "SS: RPL != CPL", M32, 0, 0x13, SEL_DATA | 3, false, GP, SEL_DATA },
    { "SS: read-only data", M32, 0, 0x13, SEL_DATA_READ_ONLY, false, GP, SEL_DATA_READ_ONLY },
    { "SS: code", M32, 0, 0x13, SEL_CODE32, false, GP, SEL_CODE32 },
    { "SS: DPL != CPL", M32, 0, 0x13, SEL_DATA_DPL3, false, GP, SEL_DATA_DPL3 },
    { "SS: not present", M32, 0, 0x13, SEL_DATA_ABSENT, false, SS, SEL_DATA_ABSENT },
    { "SS: null outside 64-bit mode", M32, 0, 0x13, 0, false, GP, 0 },
    { "SS: null with RPL != CPL", M64, 0, 0x13, 3, false, GP, 0 },
    { "SS: null at CPL 3", M64, 3, 0x13, 3, false, GP, 0 },
    { "SS: beyond the GDT limit", M32, 0, 0x13, SEL_BEYOND_GDT, false, GP, SEL_BEYOND_GDT },
    { "DS: not present", M32, 0, 0x1b, SEL_DATA_ABSENT, false, NP, SEL_DATA_ABSENT },
    { "DS: execute-only code", M32, 0, 0x1b, SEL_CODE_EXEC_ONLY, false, GP, SEL_CODE_EXEC_ONLY },
    { "DS: RPL > DPL", M32, 0, 0x1b, SEL_DATA | 3, false, GP, SEL_DATA },
    { "DS: CPL > DPL", M32, 3, 0x1b, SEL_DATA | 3, false, GP, SEL_DATA },
    { "DS: nonconforming code, CPL > DPL", M32, 3, 0x1b, SEL_CODE32 | 3, false, GP,
      SEL_CODE32 },
    { "DS: a call gate", M32, 0, 0x1b, SEL_CALL_GATE, false, GP, SEL_CALL_GATE },
    { "DS: beyond the GDT limit", M32, 0, 0x1b, SEL_BEYOND_GDT, false, GP, SEL_BEYOND_GDT },
    { "DS: beyond the LDT limit", M32, 0, 0x1b, 0x0c, false, GP, 0x0c },
    { "DS: the LDT, LDTR unusable", M32, 0, 0x1b, SEL_LDT0 | 3, true, GP, SEL_LDT0 },
};

/* Each check of SDM vol. 2B "MOV" raises its exception with its error code
 * and loads nothing. */
TEST(mov_sreg_faults)
{
    for (size_t i = 0; i < sizeof(sreg_faults) / sizeof(sreg_faults[0]); i++) {
        const struct sreg_fault_case *c = &sreg_faults[i];
        struct guest_regs regs = { 0 };
        uint64_t rflags = 2;
        machine_reset();
        m.cpl = c->cpl;
        m.efer = c->mode == M64 ? EFER_LMA : 0;
        if (c->ldtr_unusable)
            m.ldtr.ar = X86_SEG_AR_UNUSABLE;
        regs.gpr[GPR_RBX] = OPERAND;
        mem_put(OPERAND, 2, c->selector);
        int res = EMULATE(c->mode, &regs, &rflags, OPERAND, 0x8e, c->modrm);
        if (res != INSN_EMU_FAULT || m.vector != c->vector || m.error != c->error ||
            m.seg_loads != 0)
            UNIT_FAIL("%s: result %d, vector %d error 0x%x, %u loads; want #%d(0x%x)", c->what,
                      res, m.vector, m.error, m.seg_loads, c->vector, c->error);
    }
}

/* Real mode: base = selector * 16, limit and attributes kept (an unusable
 * register becomes a 64 KiB data segment); virtual-8086 mode: its fixed
 * limit and attributes. */
TEST(mov_sreg_real_and_virtual_8086_mode)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    m.cr0 = 0;
    m.seg[SEG_DS] = (struct x86_segment){ 0, 0, 0xfffff, 0x8093 };
    m.seg[SEG_ES] = (struct x86_segment){ 0, 0, 0, X86_SEG_AR_UNUSABLE };
    regs.gpr[GPR_RBX] = OPERAND;
    mem_put(OPERAND, 2, 0x1234);
    /* mov ds, word ptr [bx]; mov es, word ptr [bx] */
    CHECK_EQ_I(EMULATE(M16, &regs, &rflags, OPERAND, 0x8e, 0x1f), INSN_EMU_DONE);
    CHECK(segment_is(SEG_DS, 0x1234, 0x12340, 0xfffff, 0x8093));
    m.seg[SEG_DS].base = 0;     /* the operand's segment */
    CHECK_EQ_I(EMULATE(M16, &regs, &rflags, OPERAND, 0x8e, 0x07), INSN_EMU_DONE);
    CHECK(segment_is(SEG_ES, 0x1234, 0x12340, 0xffff, 0x93));

    m.cr0 = CR0_PE;
    rflags = 2 | RFLAGS_VM;
    mem_put(OPERAND, 2, 0xb800);
    CHECK_EQ_I(EMULATE(M16, &regs, &rflags, OPERAND, 0x8e, 0x07), INSN_EMU_DONE);
    CHECK(segment_is(SEG_ES, 0xb800, 0xb8000, 0xffff, 0xf3));
    CHECK_EQ_I(m.vector, NO_VECTOR);
}

/* ---- Far JMP and CALL --------------------------------------------------------- */

/* kvm-unit-tests' "rex64 ljmp *(%r13)": an m16:64 pointer to a 64-bit code
 * segment; CS gets the descriptor. */
TEST(far_jmp_m16_64)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    m.efer = EFER_LMA;
    m.seg[SEG_CS] = (struct x86_segment){ SEL_CODE64, 0, 0xffffffff, AR_CODE64 };
    regs.gpr[GPR_R13] = OPERAND;
    mem_put(OPERAND, 8, 0x00007fff12345678ull);
    mem_put(OPERAND + 8, 2, SEL_CODE64);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND, 0x49, 0xff, 0x6d, 0x00), INSN_EMU_BRANCH);
    CHECK(m.branched && m.new_rip == 0x00007fff12345678ull);
    CHECK(segment_is(SEG_CS, SEL_CODE64, 0, 0xffffffff, AR_CODE64));

    /* Without REX.W the offset is 32 bits: m16:32, into a 32-bit segment. */
    mem_put(OPERAND, 4, 0x87654321);
    mem_put(OPERAND + 4, 2, SEL_CODE32);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND, 0x41, 0xff, 0x6d, 0x00), INSN_EMU_BRANCH);
    CHECK_EQ_U(m.new_rip, 0x87654321);
    CHECK(segment_is(SEG_CS, SEL_CODE32, 0, 0xffffffff, AR_CODE32));
}

/* 32-bit mode, CPL 3 into a DPL 3 segment named with RPL 0, then into a
 * conforming DPL 0 one: CS's RPL is the CPL either way.  The accessed bit
 * gets set, and 66 makes the pointer m16:16 (IP cut to 16 bits). */
TEST(far_jmp_m16_32_and_m16_16)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    m.cpl = 3;
    regs.gpr[GPR_RBX] = OPERAND;
    mem_put(OPERAND, 4, 0x00401000);
    mem_put(OPERAND + 4, 2, SEL_CODE32_DPL3);
    /* jmp fword ptr [ebx] */
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0xff, 0x2b), INSN_EMU_BRANCH);
    CHECK_EQ_U(m.new_rip, 0x00401000);
    CHECK(segment_is(SEG_CS, SEL_CODE32_DPL3 | 3, 0, 0xffffffff, 0xc0fb));
    mem_put(OPERAND + 4, 2, SEL_CODE_CONFORMING);
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0xff, 0x2b), INSN_EMU_BRANCH);
    CHECK(segment_is(SEG_CS, SEL_CODE_CONFORMING | 3, 0, 0xffffffff, 0xc09f));

    m.cpl = 0;
    mem_put(OPERAND, 2, 0x0ffe);
    mem_put(OPERAND + 2, 2, SEL_CODE_SMALL);
    /* ljmpw *(%ebx) */
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0x66, 0xff, 0x2b), INSN_EMU_BRANCH);
    CHECK_EQ_U(m.new_rip, 0x0ffe);
    CHECK(segment_is(SEG_CS, SEL_CODE_SMALL, 0x10000, 0xfff, 0x409b));
    CHECK_EQ_U(m.mem[GDT_BASE + SEL_CODE_SMALL + 5], 0x9b);
}

/* CALL pushes CS (zero-extended to the operand size) and the next
 * instruction's offset: 4 + 4 bytes, 8 + 8 with REX.W, 2 + 2 with 66. */
TEST(far_call_pushes_cs_and_the_return_offset)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    regs.gpr[GPR_RBX] = OPERAND;
    regs.gpr[GPR_RSP] = STACK_TOP;
    mem_put(OPERAND, 4, 0x00402000);
    mem_put(OPERAND + 4, 2, SEL_CODE32);
    mem_put(STACK_TOP - 8, 8, ~0ull);
    /* lcall *(%ebx) at EIP 0x100 */
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0xff, 0x1b), INSN_EMU_BRANCH);
    CHECK_EQ_U(regs.gpr[GPR_RSP], STACK_TOP - 8);
    CHECK_EQ_U(mem_get(STACK_TOP - 8, 4), 0x102);
    CHECK_EQ_U(mem_get(STACK_TOP - 4, 4), SEL_CODE32);
    CHECK_EQ_U(m.new_rip, 0x00402000);

    /* 66: m16:16, 2-byte pushes */
    regs.gpr[GPR_RSP] = STACK_TOP;
    mem_put(OPERAND, 2, 0x3000);
    mem_put(OPERAND + 2, 2, SEL_CODE32);
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0x66, 0xff, 0x1b), INSN_EMU_BRANCH);
    CHECK_EQ_U(regs.gpr[GPR_RSP], STACK_TOP - 4);
    CHECK_EQ_U(mem_get(STACK_TOP - 4, 4), ((uint64_t)SEL_CODE32 << 16) | 0x103);
    CHECK_EQ_U(m.new_rip, 0x3000);

    /* 64-bit mode, REX.W: m16:64, 8-byte pushes */
    machine_reset();
    m.efer = EFER_LMA;
    m.seg[SEG_CS] = (struct x86_segment){ SEL_CODE64, 0, 0xffffffff, AR_CODE64 };
    m.rip = 0xffffffff80001000ull;
    regs.gpr[GPR_RSP] = STACK_TOP;
    mem_put(OPERAND, 8, 0xffffffff80002000ull);
    mem_put(OPERAND + 8, 2, SEL_CODE64);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND, 0x48, 0xff, 0x1b), INSN_EMU_BRANCH);
    CHECK_EQ_U(regs.gpr[GPR_RSP], STACK_TOP - 16);
    CHECK_EQ_U(mem_get(STACK_TOP - 16, 8), 0xffffffff80001003ull);
    CHECK_EQ_U(mem_get(STACK_TOP - 8, 8), SEL_CODE64);
    CHECK_EQ_U(m.new_rip, 0xffffffff80002000ull);
}

struct far_fault_case {
    const char *what;
    enum cpu_mode mode;
    unsigned cpl;
    uint64_t offset;
    uint16_t selector;
    int vector;                 /* NO_VECTOR: not emulated */
    uint32_t error;
};

static const struct far_fault_case far_faults[] = {
    { "null selector", M32, 0, 0x1000, 3, GP, 0 },
    { "a data segment", M32, 0, 0x1000, SEL_DATA, GP, SEL_DATA },
    { "beyond the GDT limit", M32, 0, 0x1000, SEL_BEYOND_GDT, GP, SEL_BEYOND_GDT },
    { "nonconforming, DPL != CPL", M32, 3, 0x1000, SEL_CODE32 | 3, GP, SEL_CODE32 },
    { "nonconforming, RPL > CPL", M32, 0, 0x1000, SEL_CODE32 | 3, GP, SEL_CODE32 },
    { "conforming, DPL > CPL", M32, 0, 0x1000, SEL_CODE_CONFORMING_DPL3, GP,
      SEL_CODE_CONFORMING_DPL3 },
    { "not present", M32, 0, 0x1000, SEL_CODE_ABSENT, NP, SEL_CODE_ABSENT },
    { "offset beyond the limit", M32, 0, 0x1000, SEL_CODE_SMALL, GP, 0 },
    { "L = D = 1 in IA-32e mode", M64, 0, 0x1000, SEL_CODE_L_AND_D, GP, SEL_CODE_L_AND_D },
    { "non-canonical 64-bit offset", M64, 0, 0x0000800000000000ull, SEL_CODE64, GP, 0 },
    { "a busy TSS", M32, 0, 0, SEL_TSS_BUSY, GP, SEL_TSS_BUSY },
    { "a call gate (not emulated)", M32, 0, 0, SEL_CALL_GATE, NO_VECTOR, 0 },
};

/* Each check of the SDM's far JMP steps: the exception, with nothing
 * loaded and RIP unmoved; gates stop the VM (unsupported). */
TEST(far_jmp_faults)
{
    for (size_t i = 0; i < sizeof(far_faults) / sizeof(far_faults[0]); i++) {
        const struct far_fault_case *c = &far_faults[i];
        struct guest_regs regs = { 0 };
        uint64_t rflags = 2;
        machine_reset();
        m.cpl = c->cpl;
        m.efer = c->mode == M64 ? EFER_LMA : 0;
        regs.gpr[GPR_RBX] = OPERAND;
        int res;
        if (c->mode == M64) {
            /* rex64 ljmp *(%rbx): m16:64 */
            mem_put(OPERAND, 8, c->offset);
            mem_put(OPERAND + 8, 2, c->selector);
            res = EMULATE(M64, &regs, &rflags, OPERAND, 0x48, 0xff, 0x2b);
        } else {
            /* ljmp *(%ebx): m16:32 */
            mem_put(OPERAND, 4, c->offset);
            mem_put(OPERAND + 4, 2, c->selector);
            res = EMULATE(M32, &regs, &rflags, OPERAND, 0xff, 0x2b);
        }
        int want = c->vector == NO_VECTOR ? INSN_EMU_ERR_UNSUPPORTED : INSN_EMU_FAULT;
        if (res != want || m.vector != c->vector || m.error != c->error || m.seg_loads != 0 ||
            m.branched)
            UNIT_FAIL("%s: result %d, vector %d error 0x%x, %u loads; want %d #%d(0x%x)",
                      c->what, res, m.vector, m.error, m.seg_loads, want, c->vector, c->error);
    }
}

/* A CALL whose push cannot be translated changes nothing: not RSP, not CS. */
TEST(far_call_stack_fault_changes_nothing)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    regs.gpr[GPR_RBX] = OPERAND;
    regs.gpr[GPR_RSP] = 4;      /* the pushes wrap below 0: beyond the fake memory */
    mem_put(OPERAND, 4, 0x1000);
    mem_put(OPERAND + 4, 2, SEL_CODE32);
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0xff, 0x1b), INSN_EMU_ERR_ACCESS);
    CHECK_EQ_U(regs.gpr[GPR_RSP], 4);
    CHECK(m.seg_loads == 0 && !m.branched);
}

/* Real mode: CS = the selector with base selector * 16; CALL pushes CS and
 * IP (2 bytes each). */
TEST(far_branches_in_real_mode)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    m.cr0 = 0;
    m.stack_addr_size = 2;
    m.seg[SEG_CS] = (struct x86_segment){ 0, 0, 0xffff, 0x9b };
    m.seg[SEG_SS] = (struct x86_segment){ 0, 0, 0xffff, 0x93 };
    regs.gpr[GPR_RBX] = OPERAND;
    regs.gpr[GPR_RSP] = 0xffff0000u | STACK_TOP;
    mem_put(OPERAND, 2, 0x0010);
    mem_put(OPERAND + 2, 2, 0xf000);
    /* lcall *(%bx) */
    CHECK_EQ_I(EMULATE(M16, &regs, &rflags, OPERAND, 0xff, 0x1f), INSN_EMU_BRANCH);
    CHECK_EQ_U(regs.gpr[GPR_RSP], 0xffff0000u | (STACK_TOP - 4));
    CHECK_EQ_U(mem_get(STACK_TOP - 4, 4), 0x102);
    CHECK(segment_is(SEG_CS, 0xf000, 0xf0000, 0xffff, 0x9b));
    CHECK_EQ_U(m.new_rip, 0x10);

    /* ljmp *(%bx) beyond CS's limit: #GP(0) */
    m.seg[SEG_CS].limit = 0xf;
    m.seg_loads = 0;
    CHECK_EQ_I(EMULATE(M16, &regs, &rflags, OPERAND, 0xff, 0x2f), INSN_EMU_FAULT);
    CHECK(m.vector == GP && m.error == 0 && m.seg_loads == 0);
}

/* RET far pops the offset and CS (each in an operand-sized slot), then
 * the immediate's bytes; to the same privilege level only. */
TEST(far_ret)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    m.cpl = 3;
    regs.gpr[GPR_RSP] = STACK_TOP - 8;
    mem_put(STACK_TOP - 8, 4, 0x00405000);
    mem_put(STACK_TOP - 4, 4, 0xffff0000u | SEL_CODE32_DPL3 | 3);
    /* lret $0x8 */
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, STACK_TOP - 8, 0xca, 0x08, 0x00), INSN_EMU_BRANCH);
    CHECK_EQ_U(m.new_rip, 0x00405000);
    CHECK_EQ_U(regs.gpr[GPR_RSP], STACK_TOP + 8);
    CHECK(segment_is(SEG_CS, SEL_CODE32_DPL3 | 3, 0, 0xffffffff, 0xc0fb));

    /* lretq in 64-bit mode */
    machine_reset();
    m.efer = EFER_LMA;
    m.seg[SEG_CS] = (struct x86_segment){ SEL_CODE64, 0, 0xffffffff, AR_CODE64 };
    regs.gpr[GPR_RSP] = STACK_TOP - 16;
    mem_put(STACK_TOP - 16, 8, 0xffffffff80001234ull);
    mem_put(STACK_TOP - 8, 8, SEL_CODE64);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, STACK_TOP - 16, 0x48, 0xcb), INSN_EMU_BRANCH);
    CHECK_EQ_U(m.new_rip, 0xffffffff80001234ull);
    CHECK_EQ_U(regs.gpr[GPR_RSP], STACK_TOP);

    /* RPL below the CPL: #GP(selector); above it (an outer level): not
     * emulated; a null selector: #GP(0).  RSP stays. */
    static const struct { unsigned cpl; uint16_t selector; int result, vector; uint32_t error; }
        bad[] = {
            { 3, SEL_CODE32_DPL3, INSN_EMU_FAULT, GP, SEL_CODE32_DPL3 },
            { 0, SEL_CODE32_DPL3 | 3, INSN_EMU_ERR_UNSUPPORTED, NO_VECTOR, 0 },
            { 0, 0, INSN_EMU_FAULT, GP, 0 },
            { 0, SEL_CODE_ABSENT, INSN_EMU_FAULT, NP, SEL_CODE_ABSENT },
        };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        machine_reset();
        m.cpl = bad[i].cpl;
        regs.gpr[GPR_RSP] = STACK_TOP - 8;
        mem_put(STACK_TOP - 8, 4, 0x1000);
        mem_put(STACK_TOP - 4, 4, bad[i].selector);
        int res = EMULATE(M32, &regs, &rflags, STACK_TOP - 8, 0xcb);
        if (res != bad[i].result || m.vector != bad[i].vector || m.error != bad[i].error ||
            regs.gpr[GPR_RSP] != STACK_TOP - 8 || m.seg_loads || m.branched)
            UNIT_FAIL("lret to 0x%x at CPL %u: %d #%d(0x%x)", bad[i].selector, bad[i].cpl, res,
                      m.vector, m.error);
    }

    /* Real mode: CS = the selector, base selector * 16; 2-byte slots. */
    machine_reset();
    m.cr0 = 0;
    m.stack_addr_size = 2;
    m.seg[SEG_CS] = (struct x86_segment){ 0, 0, 0xffff, 0x9b };
    m.seg[SEG_SS] = (struct x86_segment){ 0, 0, 0xffff, 0x93 };
    regs.gpr[GPR_RSP] = STACK_TOP - 4;
    mem_put(STACK_TOP - 4, 4, 0x12340100);
    CHECK_EQ_I(EMULATE(M16, &regs, &rflags, STACK_TOP - 4, 0xcb), INSN_EMU_BRANCH);
    CHECK_EQ_U(m.new_rip, 0x100);
    CHECK_EQ_U(regs.gpr[GPR_RSP], STACK_TOP);
    CHECK(segment_is(SEG_CS, 0x1234, 0x12340, 0xffff, 0x9b));
}

/* ---- ENTER with a nesting level --------------------------------------------- */

/* ENTER 0x10, 3 (SDM vol. 2A "ENTER"): push EBP, copy the two frame
 * pointers below the old EBP, push the new frame pointer; EBP <- frame,
 * ESP <- ESP - 0x10. */
TEST(enter_copies_outer_frame_pointers)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    regs.gpr[GPR_RSP] = STACK_TOP;
    regs.gpr[GPR_RBP] = 0x5000;
    mem_put(0x5000 - 4, 4, 0xaaaa0001);
    mem_put(0x5000 - 8, 4, 0xaaaa0002);
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, STACK_TOP - 4, 0xc8, 0x10, 0x00, 0x03),
               INSN_EMU_DONE);
    CHECK_EQ_U(mem_get(STACK_TOP - 4, 4), 0x5000);
    CHECK_EQ_U(mem_get(STACK_TOP - 8, 4), 0xaaaa0001);
    CHECK_EQ_U(mem_get(STACK_TOP - 12, 4), 0xaaaa0002);
    CHECK_EQ_U(mem_get(STACK_TOP - 16, 4), STACK_TOP - 4);
    CHECK_EQ_U(regs.gpr[GPR_RBP], STACK_TOP - 4);
    CHECK_EQ_U(regs.gpr[GPR_RSP], STACK_TOP - 16 - 0x10);

    /* Level 33 is level 1: push RBP and the frame pointer (64-bit). */
    machine_reset();
    regs.gpr[GPR_RSP] = STACK_TOP;
    regs.gpr[GPR_RBP] = 0x1122334455667788ull;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, STACK_TOP - 8, 0xc8, 0x08, 0x00, 0x21),
               INSN_EMU_DONE);
    CHECK_EQ_U(mem_get(STACK_TOP - 8, 8), 0x1122334455667788ull);
    CHECK_EQ_U(mem_get(STACK_TOP - 16, 8), STACK_TOP - 8);
    CHECK_EQ_U(regs.gpr[GPR_RBP], STACK_TOP - 8);
    CHECK_EQ_U(regs.gpr[GPR_RSP], STACK_TOP - 16 - 8);

    /* 66 in 64-bit mode: 2-byte frame pointers, read at RBP - 2. */
    machine_reset();
    regs.gpr[GPR_RSP] = STACK_TOP;
    regs.gpr[GPR_RBP] = 0x5000;
    mem_put(0x5000 - 2, 2, 0xbeef);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, STACK_TOP - 2, 0x66, 0xc8, 0x00, 0x00, 0x02),
               INSN_EMU_DONE);
    CHECK_EQ_U(mem_get(STACK_TOP - 6, 6), (0x5000ull << 32) | (0xbeefull << 16) |
                                          (STACK_TOP - 2));
    CHECK_EQ_U(regs.gpr[GPR_RBP], STACK_TOP - 2);
    CHECK_EQ_U(regs.gpr[GPR_RSP], STACK_TOP - 6);
}

/* A frame whose pushes cannot all be translated: nothing written, the
 * registers as they were. */
TEST(enter_fault_changes_nothing)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    regs.gpr[GPR_RSP] = 8;
    regs.gpr[GPR_RBP] = 0x5000;
    mem_put(0, 8, 0x0102030405060708ull);
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, 4, 0xc8, 0x10, 0x00, 0x04), INSN_EMU_ERR_ACCESS);
    CHECK_EQ_U(mem_get(0, 8), 0x0102030405060708ull);
    CHECK_EQ_U(m.writes, 0);
    CHECK(regs.gpr[GPR_RSP] == 8 && regs.gpr[GPR_RBP] == 0x5000);
}

/* ---- Group 2 on memory ------------------------------------------------------- */

/* The count is masked (5 bits, 6 with REX.W); a masked count of 0 neither
 * writes nor changes a flag.  (The arithmetic itself is checked against
 * the host CPU in test_insn_arith.c.) */
TEST(shift_memory_operands)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    regs.gpr[GPR_RBX] = OPERAND;
    mem_put(OPERAND, 4, 0xc0000001);
    /* shl dword ptr [ebx], 1: CF = 1, OF = 1 ^ 1 = 0 */
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0xd1, 0x23), INSN_EMU_DONE);
    CHECK_EQ_U(mem_get(OPERAND, 4), 0x80000002);
    CHECK_EQ_U(rflags & (RFLAGS_CF | RFLAGS_OF | RFLAGS_SF | RFLAGS_ZF),
               RFLAGS_CF | RFLAGS_SF);

    /* shr dword ptr [ebx], cl with CL = 32: masked to 0 */
    regs.gpr[GPR_RCX] = 32;
    unsigned writes = m.writes;
    rflags = 2 | RFLAGS_ZF;
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0xd3, 0x2b), INSN_EMU_DONE);
    CHECK_EQ_U(m.writes, writes);
    CHECK_EQ_U(rflags, 2 | RFLAGS_ZF);

    /* rex.w rol qword ptr [rbx], 0x44: masked to 4 */
    mem_put(OPERAND, 8, 0xf000000000000001ull);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND, 0x48, 0xc1, 0x03, 0x44), INSN_EMU_DONE);
    CHECK_EQ_U(mem_get(OPERAND, 8), 0x000000000000001full);
    CHECK(rflags & RFLAGS_CF);

    /* rcr byte ptr [ebx], 1 with CF = 1: the carry comes in at the top */
    mem_put(OPERAND, 1, 0x02);
    rflags = 2 | RFLAGS_CF;
    CHECK_EQ_I(EMULATE(M32, &regs, &rflags, OPERAND, 0xd0, 0x1b), INSN_EMU_DONE);
    CHECK_EQ_U(mem_get(OPERAND, 1), 0x81);
    CHECK_EQ_U(rflags & (RFLAGS_CF | RFLAGS_OF), RFLAGS_OF);
}

/* ---- MOVSS and MOVSD ---------------------------------------------------------- */

/* A load fills the low 4 or 8 bytes of the register and clears the rest;
 * a store writes only those bytes.  CR0.TS = 1 is #NM first. */
TEST(movss_movsd)
{
    struct guest_regs regs = { 0 };
    uint64_t rflags = 2;
    machine_reset();
    regs.gpr[GPR_RBX] = OPERAND;
    memset(m.xmm[1], 0xee, 16);
    mem_put(OPERAND, 8, 0x1122334455667788ull);
    /* movss xmm1, dword ptr [rbx] */
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND, 0xf3, 0x0f, 0x10, 0x0b), INSN_EMU_DONE);
    CHECK(m.xmm[1][0] == 0x88 && m.xmm[1][3] == 0x55 && m.xmm[1][4] == 0 && m.xmm[1][15] == 0);
    /* movsd xmm1, qword ptr [rbx] */
    memset(m.xmm[1], 0xee, 16);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND, 0xf2, 0x0f, 0x10, 0x0b), INSN_EMU_DONE);
    CHECK(m.xmm[1][7] == 0x11 && m.xmm[1][8] == 0 && m.xmm[1][15] == 0);

    /* movss dword ptr [rbx+4], xmm9: 4 bytes, the rest of memory kept */
    for (unsigned i = 0; i < 16; i++)
        m.xmm[9][i] = (uint8_t)(0xa0 + i);
    mem_put(OPERAND, 8, ~0ull);
    mem_put(OPERAND + 8, 8, ~0ull);
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND + 4, 0xf3, 0x44, 0x0f, 0x11, 0x4b, 0x04),
               INSN_EMU_DONE);
    CHECK_EQ_U(mem_get(OPERAND, 8), 0xa3a2a1a0ffffffffull);
    CHECK_EQ_U(mem_get(OPERAND + 8, 8), ~0ull);
    /* movsd qword ptr [rbx], xmm9 (F2 44 0F 11 0B) */
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND, 0xf2, 0x44, 0x0f, 0x11, 0x0b),
               INSN_EMU_DONE);
    CHECK_EQ_U(mem_get(OPERAND, 8), 0xa7a6a5a4a3a2a1a0ull);
    CHECK_EQ_U(mem_get(OPERAND + 8, 8), ~0ull);

    m.cr0 |= CR0_TS;
    unsigned writes = m.writes;
    CHECK_EQ_I(EMULATE(M64, &regs, &rflags, OPERAND, 0xf2, 0x44, 0x0f, 0x11, 0x0b),
               INSN_EMU_FAULT);
    CHECK(m.vector == NM && m.writes == writes);
}
