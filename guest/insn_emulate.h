/*
 * Carrying out a decoded instruction whose memory operand is MMIO
 * (guest/insn_emulate.c): pure logic, host-tested.
 *
 * After an EPT violation on an MMIO page keel decodes the instruction at
 * guest RIP (guest/insn_decode.h) and calls insn_emulate_mmio() with the
 * faulting guest-physical address.  The emulator does what the CPU would
 * have done: the device access through mmio_ops, the register write with the
 * x86 partial-register rules, the arithmetic flags, and the rSI/rDI/rCX
 * updates of string instructions.  It never touches RIP: the caller adds
 * in->length when the result says the instruction is done.
 */
#ifndef KEEL_GUEST_INSN_EMULATE_H
#define KEEL_GUEST_INSN_EMULATE_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/insn_decode.h"
#include "guest/x86.h"

/* RFLAGS bits the emulator reads or writes (SDM vol. 1 3.4.3, figure 3-8). */
#define RFLAGS_CF       (1ull << 0)
#define RFLAGS_PF       (1ull << 2)
#define RFLAGS_AF       (1ull << 4)
#define RFLAGS_ZF       (1ull << 6)
#define RFLAGS_SF       (1ull << 7)
#define RFLAGS_DF       (1ull << 10)
#define RFLAGS_OF       (1ull << 11)
/* The status flags ADD, SUB, CMP, AND, OR, XOR and TEST define. */
#define RFLAGS_ARITH    (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | \
                         RFLAGS_SF | RFLAGS_OF)

/*
 * How the emulator reaches guest memory.  Every callback returns 0 on
 * success and nonzero on failure; ctx is passed through untouched.
 *
 * read/write access `size` (1, 2, 4 or 8) bytes at a guest-physical address,
 * little-endian in *val / val (bits above size are ignored on write and
 * discarded on read).  They normally reach a device model; for MOVS one side
 * may be ordinary guest RAM, so they must route any gpa the guest can use.
 *
 * translate is needed only by MOVS, whose two addresses the EPT violation
 * does not both give: it turns seg:offset (offset already truncated to the
 * address size) into the guest-physical address of a `size`-byte access,
 * applying the segment base and the guest's paging as a read (write = false)
 * or a write would.  It may be NULL when MOVS need not be emulated.
 */
struct mmio_ops {
    int (*read)(void *ctx, uint64_t gpa, unsigned size, uint64_t *val);
    int (*write)(void *ctx, uint64_t gpa, unsigned size, uint64_t val);
    int (*translate)(void *ctx, enum x86_seg seg, uint64_t offset, unsigned size,
                     bool write, uint64_t *gpa);
};

/* insn_emulate_mmio() results. */
enum insn_emulate_result {
    /* The instruction is complete: the caller advances RIP by in->length. */
    INSN_EMU_DONE = 0,
    /*
     * REP STOS/MOVS only: one element was moved and rDI (rSI for MOVS) and
     * rCX were updated, but rCX has not reached 0.  RIP must stay where it is
     * so that the instruction restarts (SDM vol. 2A "REP": the registers are
     * kept current between iterations, which is what makes that restart
     * exact).  The caller either resumes the guest, which re-executes the
     * instruction and faults again on the next MMIO element, or calls again
     * at once with the next element's gpa: gpa + insn_string_step() while the
     * element stays in the same guest page, else a fresh translation of
     * ES:rDI.  A caller that loops should bound the iterations and resume the
     * guest in between, as the CPU lets interrupts in between iterations.
     */
    INSN_EMU_REPEAT = 1,
    /* A callback failed.  Registers and flags are as they were, except that
     * a failed write after a successful read (MOVS, XCHG, ALU to memory)
     * leaves a device that has seen the read. */
    INSN_EMU_ERR_ACCESS = -1,
    /* Not something this emulator can do: MOVS without ops->translate, or a
     * struct insn that insn_decode() would not have produced. */
    INSN_EMU_ERR_UNSUPPORTED = -2,
};

/*
 * Performs `in` with its memory operand at guest-physical address gpa (for
 * MOVS, gpa is unused: both addresses come from ops->translate).
 *
 * regs holds the guest's registers.  Under VT-x the guest's RSP lives in the
 * VMCS: the caller copies it into gpr[GPR_RSP] and back when in->has_reg and
 * in->reg is GPR_RSP (nothing else here touches RSP).  Register results
 * follow the x86 rules: 32-bit writes zero-extend, 8- and 16-bit writes
 * (AH..BH included) keep the other bits.  STOS and MOVS move rDI (and rSI) by
 * insn_string_step() after each element and, under REP, count rCX down, all
 * within the address size; a REP string instruction with rCX = 0 does nothing
 * and returns INSN_EMU_DONE.
 *
 * *rflags is the guest's RFLAGS: DF is read by STOS and MOVS; ADD, OR, AND,
 * SUB, XOR, CMP and TEST set CF, PF, AF, ZF, SF and OF as the SDM defines
 * them (AND, OR, XOR and TEST clear CF and OF and, AF being undefined there,
 * clear AF too).  Every other bit is preserved.
 *
 * Returns an enum insn_emulate_result.
 */
int insn_emulate_mmio(const struct insn *in, struct guest_regs *regs, uint64_t *rflags,
                      uint64_t gpa, const struct mmio_ops *ops, void *ctx);

/*
 * The offset of a memory operand (as insn_decode() filled it in) within its
 * segment: base + index * scale + disp, plus next_rip (the RIP after the
 * instruction) when rip_relative, truncated to the operand's address size.
 * Adding the segment base and walking the guest's page tables is the
 * caller's business.
 */
uint64_t insn_mem_offset(const struct insn_mem *m, const struct guest_regs *regs,
                         uint64_t next_rip);

/*
 * Whether insn_emulate_mmio() reads or changes *rflags for in: ADD, OR,
 * AND, SUB, XOR, CMP and TEST set the status flags, STOS and MOVS read DF.
 * For every other form *rflags is neither read nor written, so a caller
 * that has to fetch RFLAGS from somewhere costly (the VMCS) may pass any
 * value and skip writing it back.
 */
bool insn_uses_rflags(const struct insn *in);

/* How far one STOS/MOVS iteration moves rDI and rSI: +op_size, or -op_size
 * when RFLAGS.DF = 1 (SDM vol. 1 3.4.3.2). */
int64_t insn_string_step(const struct insn *in, uint64_t rflags);

#endif
