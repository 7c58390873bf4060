/*
 * libFuzzer target for keel's MMIO instruction decoder and emulator
 * (guest/insn_decode.c, guest/insn_emulate*.c, guest/insn_arith.c).
 *
 * The input is: one byte choosing the mode (% 3) and the RFLAGS status and
 * DF bits, 16 bytes of register seed, then up to 15 instruction bytes.
 * Whatever decodes is emulated against a fake machine: a 64 KiB bus at
 * guest-physical 0 where linear = physical (addresses are taken modulo the
 * bus, so every access lands), every callback present (the GDT and LDT
 * are bus contents; the CPL and IA32_EFER.LMA come from the seed), the
 * exceptions, branches and segment loads recorded.  The target checks:
 * - insn_decode() reads no byte past the input and returns a length between
 *   1 and 15 that is at most the input, and an instruction that
 *   insn_well_formed() accepts (keel's MMIO path checks that once per
 *   decode and then emulates without the check);
 * - the emulator returns one of the enum insn_emulate_result values, and
 *   raises an exception exactly when it says INSN_EMU_FAULT, branches
 *   exactly when it says INSN_EMU_BRANCH;
 * - a fault or an error leaves every register, RFLAGS and the segment
 *   registers (and TR) as they were; only a MOV to SS says it loaded SS;
 * - RFLAGS changes only in the status flags, and only for a form that
 *   insn_uses_rflags() says uses it;
 * - RSP changes only for a form insn_uses_rsp() names.
 * A failed check aborts, which libFuzzer reports as a crash.
 *
 * Build and run (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DKEEL_HOST_TEST -I. \
 *       tests/fuzz/fuzz_insn.c -o /tmp/fuzz_insn
 *   /tmp/fuzz_insn -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/insn_arith.c"
#include "guest/insn_decode.c"
#include "guest/insn_emulate.c"
#include "guest/insn_emulate_desc.c"
#include "guest/insn_emulate_far.c"
#include "guest/insn_emulate_ltr.c"
#include "guest/insn_emulate_sreg.c"
#include "guest/insn_emulate_stack.c"
#include "guest/insn_emulate_string.c"

#define BUS_SIZE 0x10000u
#define SEED_BYTES 16

struct machine {
    uint8_t mem[BUS_SIZE];
    bool raised, branched;
    unsigned cpl;
    uint64_t efer;
    unsigned segment_loads;     /* set_seg and set_tr calls */
};

static int m_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    struct machine *m = ctx;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)m->mem[(gpa + i) % BUS_SIZE] << (8 * i);
    *val = v;
    return 0;
}

static int m_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    struct machine *m = ctx;
    for (unsigned i = 0; i < size; i++)
        m->mem[(gpa + i) % BUS_SIZE] = (uint8_t)(val >> (8 * i));
    return 0;
}

static int m_translate(void *ctx, uint64_t linear, bool write, uint64_t *gpa)
{
    (void)ctx, (void)write;
    *gpa = linear % BUS_SIZE;
    return 0;
}

static uint64_t m_seg_base(void *ctx, enum x86_seg seg)
{
    (void)ctx;
    return (uint64_t)seg * 0x1000;
}

static uint64_t m_get_rip(void *ctx)
{
    (void)ctx;
    return 0x4000;
}

static void m_set_rip(void *ctx, uint64_t rip)
{
    (void)rip;
    ((struct machine *)ctx)->branched = true;
}

static uint64_t m_get_cr(void *ctx, unsigned cr)
{
    (void)ctx;
    return cr == 4 ? (1u << 9) : 0x80000011u;
}

static unsigned m_stack_addr_size(void *ctx)
{
    (void)ctx;
    return 4;
}

static void m_raise(void *ctx, uint8_t vector, bool has_error, uint32_t error)
{
    (void)vector, (void)has_error, (void)error;
    ((struct machine *)ctx)->raised = true;
}

static int m_vec_access(void *ctx, enum vec_file file, unsigned reg, bool write, uint8_t *bytes)
{
    (void)ctx, (void)reg;
    if (!write)
        memset(bytes, 0x5a, file == VEC_MMX ? 8 : 16);
    return 0;
}

/* The GDT and LDT are whatever the bus holds at 0x100 and 0x8000. */
static void m_get_gdtr(void *ctx, uint64_t *base, uint32_t *limit)
{
    (void)ctx;
    *base = 0x100;
    *limit = 0x7fff;
}

static unsigned m_get_cpl(void *ctx)
{
    return ((struct machine *)ctx)->cpl;
}

static uint64_t m_get_efer(void *ctx)
{
    return ((struct machine *)ctx)->efer;
}

static void m_set_tr(void *ctx, uint16_t selector, uint64_t base, uint32_t limit, uint32_t ar)
{
    (void)selector, (void)base, (void)limit, (void)ar;
    ((struct machine *)ctx)->segment_loads++;
}

static void m_get_seg(void *ctx, enum x86_seg seg, struct x86_segment *s)
{
    (void)ctx;
    *s = (struct x86_segment){ .selector = (uint16_t)(seg * 8), .base = (uint64_t)seg * 0x1000,
                               .limit = 0xffff, .ar = 0x93 };
}

static void m_set_seg(void *ctx, enum x86_seg seg, const struct x86_segment *s)
{
    (void)seg, (void)s;
    ((struct machine *)ctx)->segment_loads++;
}

static void m_get_ldtr(void *ctx, struct x86_segment *s)
{
    (void)ctx;
    *s = (struct x86_segment){ .selector = 0x28, .base = 0x8000, .limit = 0xfff, .ar = 0x82 };
}

static const struct mmio_ops ops = {
    .read = m_read, .write = m_write, .translate = m_translate, .seg_base = m_seg_base,
    .get_rip = m_get_rip, .set_rip = m_set_rip, .get_cr = m_get_cr,
    .stack_addr_size = m_stack_addr_size, .raise = m_raise, .vec_access = m_vec_access,
    .get_gdtr = m_get_gdtr, .get_cpl = m_get_cpl, .get_efer = m_get_efer, .set_tr = m_set_tr,
    .get_seg = m_get_seg, .set_seg = m_set_seg, .get_ldtr = m_get_ldtr,
};

static struct machine machine;

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_insn: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 + SEED_BYTES + 1)
        return 0;
    enum cpu_mode mode = (enum cpu_mode)(data[0] % 3);
    uint64_t rflags = 2 | ((data[0] & 0x80) ? RFLAGS_ARITH | RFLAGS_DF : 0);
    struct guest_regs regs;
    for (unsigned r = 0; r < NR_GPRS; r++)
        regs.gpr[r] = (uint64_t)data[1 + r] * 0x0101010101ull + (uint64_t)r * 0x1000;
    const uint8_t *bytes = data + 1 + SEED_BYTES;
    size_t len = size - 1 - SEED_BYTES;
    if (len > INSN_MAX_LENGTH)
        len = INSN_MAX_LENGTH;

    uint8_t *copy = malloc(len);
    check(copy != NULL, "malloc");
    memcpy(copy, bytes, len);
    struct insn in;
    int err = insn_decode(copy, len, mode, &in);
    free(copy);
    if (err)
        return 0;
    check(in.length >= 1 && in.length <= len, "length");
    check(insn_well_formed(&in), "decoded instructions are well formed");

    machine.raised = machine.branched = false;
    machine.segment_loads = 0;
    machine.cpl = data[2] & 3;
    machine.efer = mode == CPU_MODE_64 || (data[3] & 1) ? 1u << 10 : 0;    /* LMA */
    struct guest_regs before = regs;
    uint64_t rflags_before = rflags;
    int res = insn_emulate_mmio(&in, &regs, &rflags, 0x2000 + data[1], &ops, &machine);
    check(res == INSN_EMU_DONE || res == INSN_EMU_REPEAT || res == INSN_EMU_BRANCH ||
              res == INSN_EMU_FAULT || res == INSN_EMU_DONE_MOV_SS ||
              res == INSN_EMU_ERR_ACCESS || res == INSN_EMU_ERR_UNSUPPORTED, "result");
    check(machine.raised == (res == INSN_EMU_FAULT), "raise iff FAULT");
    check(machine.branched == (res == INSN_EMU_BRANCH), "set_rip iff BRANCH");
    check(res != INSN_EMU_DONE_MOV_SS || (in.op == INSN_MOV_TO_SREG && in.sreg == SEG_SS),
          "DONE_MOV_SS only for MOV SS");
    if (res == INSN_EMU_FAULT || res < 0) {
        check(memcmp(&regs, &before, sizeof(regs)) == 0, "registers kept on a fault");
        check(rflags == rflags_before, "RFLAGS kept on a fault");
        check(machine.segment_loads == 0, "segment registers kept on a fault");
        return 0;
    }
    check(((rflags ^ rflags_before) & ~RFLAGS_ARITH) == 0, "only status flags change");
    check(rflags == rflags_before || insn_uses_rflags(&in), "insn_uses_rflags");
    check(regs.gpr[GPR_RSP] == before.gpr[GPR_RSP] || insn_uses_rsp(&in), "insn_uses_rsp");
    return 0;
}
