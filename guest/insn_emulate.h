/*
 * Carrying out a decoded instruction whose memory operand is MMIO
 * (guest/insn_emulate.c): pure logic, host-tested.
 *
 * After an EPT violation on an MMIO page keel decodes the instruction at
 * guest RIP (guest/insn_decode.h) and calls insn_emulate_mmio() with the
 * faulting guest-physical address.  The emulator does what the CPU would
 * have done: the memory accesses through mmio_ops, the register write with
 * the x86 partial-register rules, the arithmetic flags (guest/insn_arith.h),
 * the rSI/rDI/rCX updates of string instructions, the stack, and the
 * exceptions the instruction raises.  It moves RIP only for branches: the
 * caller adds in->length when the result says the instruction is done.
 */
#ifndef KEEL_GUEST_INSN_EMULATE_H
#define KEEL_GUEST_INSN_EMULATE_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/insn_arith.h"
#include "guest/insn_decode.h"
#include "guest/x86.h"

/*
 * How the emulator reaches guest memory and the rest of the vCPU.  Every
 * callback that returns int returns 0 on success and nonzero on failure;
 * ctx is passed through untouched.
 *
 * read/write access `size` (1, 2, 4 or 8) bytes at a guest-physical address,
 * little-endian in *val / val (bits above size are ignored on write and
 * discarded on read).  They normally reach a device model; an instruction's
 * other operand (MOVS, CMPS, PUSH m, POP m) or the part of an operand in
 * another page may be ordinary guest RAM, so they must route any gpa the
 * guest can use.
 *
 * translate turns a linear address into the guest-physical address of a
 * data access through the guest's paging, as a read (write = false) or a
 * write would; on a page fault it queues the #PF itself and fails.
 * seg_base gives a segment's base.  get_rip is the RIP of the instruction;
 * set_rip moves it (the branches).  get_cr returns CR0 or CR4 as the guest
 * sees them (SMSW; the MMX/SSE checks).  stack_addr_size is the stack's
 * address size outside 64-bit mode (SS.B: 4 or 2).  raise queues an
 * exception for the guest.  vec_access copies between bytes[] and MMX or XMM
 * register `reg` (8 or 16 bytes), as the register moves (MOVQ, MOVDQU) do,
 * x87 side effects included; it may raise #MF itself and fail.  get_gdtr,
 * get_cpl, get_efer and set_tr serve LTR: the GDT's base and limit, the
 * current privilege level, IA32_EFER, and TR's new selector, base, limit and
 * access rights (in the VMCS format, SDM vol. 3C 25.4.1).  get_seg, set_seg
 * and get_ldtr serve the segment-register moves and the far branches: a
 * segment register as it is, loading one (after the emulator's descriptor
 * checks), and LDTR (for selectors with TI = 1).
 *
 * Only read and write are needed by every instruction; one that needs a
 * NULL callback is not emulated (INSN_EMU_ERR_UNSUPPORTED).
 */
struct mmio_ops {
    int (*read)(void *ctx, uint64_t gpa, unsigned size, uint64_t *val);
    int (*write)(void *ctx, uint64_t gpa, unsigned size, uint64_t val);
    int (*translate)(void *ctx, uint64_t linear, bool write, uint64_t *gpa);
    uint64_t (*seg_base)(void *ctx, enum x86_seg seg);
    uint64_t (*get_rip)(void *ctx);
    void (*set_rip)(void *ctx, uint64_t rip);
    uint64_t (*get_cr)(void *ctx, unsigned cr);
    unsigned (*stack_addr_size)(void *ctx);
    void (*raise)(void *ctx, uint8_t vector, bool has_error, uint32_t error);
    int (*vec_access)(void *ctx, enum vec_file file, unsigned reg, bool write, uint8_t *bytes);
    void (*get_gdtr)(void *ctx, uint64_t *base, uint32_t *limit);
    unsigned (*get_cpl)(void *ctx);
    uint64_t (*get_efer)(void *ctx);
    void (*set_tr)(void *ctx, uint16_t selector, uint64_t base, uint32_t limit, uint32_t ar);
    void (*get_seg)(void *ctx, enum x86_seg seg, struct x86_segment *s);
    void (*set_seg)(void *ctx, enum x86_seg seg, const struct x86_segment *s);
    void (*get_ldtr)(void *ctx, struct x86_segment *s);
};

/* insn_emulate_mmio() results. */
enum insn_emulate_result {
    /* The instruction is complete: the caller advances RIP by in->length. */
    INSN_EMU_DONE = 0,
    /*
     * A REP string instruction did one element and updated rSI/rDI/rCX, but
     * has not finished.  RIP must stay where it is so that the instruction
     * restarts (SDM vol. 2A "REP": the registers are kept current between
     * iterations, which is what makes that restart exact).  The guest then
     * re-executes it and exits again on the next MMIO element (or runs the
     * RAM ones itself), and interrupts get in between iterations as on the
     * CPU.
     */
    INSN_EMU_REPEAT = 1,
    /* A branch (JMP, CALL, RET): RIP was set through ops->set_rip. */
    INSN_EMU_BRANCH = 2,
    /* The instruction faulted: the exception was queued through ops->raise
     * and nothing else changed (RIP stays). */
    INSN_EMU_FAULT = 3,
    /* As INSN_EMU_DONE, and the instruction loaded SS: interrupts and debug
     * exceptions are blocked until the next instruction completes (SDM
     * vol. 3A 6.8.3), which the caller arranges after advancing RIP. */
    INSN_EMU_DONE_MOV_SS = 4,
    /* A callback failed (translate: a #PF was queued).  Registers and flags
     * are as they were, except that a failed write after a successful read
     * (MOVS, XCHG, ALU to memory) leaves a device that has seen the read. */
    INSN_EMU_ERR_ACCESS = -1,
    /* Not something this emulator can do: a needed callback is NULL, or a
     * struct insn that insn_decode() would not have produced. */
    INSN_EMU_ERR_UNSUPPORTED = -2,
};

/*
 * Performs `in`, one of whose memory accesses is the one that exited, at
 * guest-physical address gpa.  When the instruction has one memory access
 * and it lies wholly in one page, gpa is used as it is (the common case: no
 * page walk); every other access (the second
 * operand of MOVS, CMPS, PUSH m, POP m, the stack of PUSH/POP, an operand
 * crossing a page, the bit string of BT) is translated through
 * ops->translate, each page on its own, and all translations happen before
 * any write.
 *
 * regs holds the guest's registers.  Under VT-x the guest's RSP lives in the
 * VMCS: the caller copies it into gpr[GPR_RSP] and back when
 * insn_uses_rsp(in).  Register results follow the x86 rules: 32-bit writes
 * zero-extend, 8- and 16-bit writes (AH..BH included) keep the other bits.
 * String instructions move rDI (and rSI) by insn_string_step() after each
 * element and, under REP, count rCX down, all within the address size; a
 * REP string instruction with rCX = 0 does nothing and returns
 * INSN_EMU_DONE.
 *
 * *rflags is the guest's RFLAGS: status flags as guest/insn_arith.h says,
 * DF read by the string instructions; every other bit is preserved.
 *
 * Segment limits and the alignment check (AC) are not checked: the access
 * that exited passed the CPU's own checks.  Returns an enum
 * insn_emulate_result; INSN_EMU_ERR_UNSUPPORTED, touching nothing, for an
 * in that is not insn_well_formed().
 */
int insn_emulate_mmio(const struct insn *in, struct guest_regs *regs, uint64_t *rflags,
                      uint64_t gpa, const struct mmio_ops *ops, void *ctx);

/*
 * Whether in is a struct insn insn_decode() could have produced (sizes,
 * register and segment numbers, the ALU, bit and shift operations, the mode
 * in range; an operation that is none of enum insn_op is refused when
 * performed): what
 * guards the emulator's array indexes and shifts against a hand-made or
 * corrupted one.  Every successful insn_decode() result is.
 */
bool insn_well_formed(const struct insn *in);

/*
 * insn_emulate_mmio() without the insn_well_formed() check, for a caller
 * that made it once for an instruction it keeps: guest/mmio.c checks each
 * decode before its cache holds it, instead of on every exit.  in must be
 * well formed.
 */
int insn_emulate_well_formed(const struct insn *in, struct guest_regs *regs, uint64_t *rflags,
                             uint64_t gpa, const struct mmio_ops *ops, void *ctx);

/*
 * The offset of a memory operand (as insn_decode() filled it in) within its
 * segment: base + index * scale + disp, plus next_rip (the RIP after the
 * instruction) when rip_relative, truncated to the operand's address size.
 * Index and base are read at the address size too (SDM vol. 1 3.7.5).
 * Adding the segment base and walking the guest's page tables is the
 * caller's business.
 */
uint64_t insn_mem_offset(const struct insn_mem *m, const struct guest_regs *regs,
                         uint64_t next_rip);

/*
 * Whether insn_emulate_mmio() reads or changes *rflags for in (the
 * arithmetic sets status flags, CMOVcc/SETcc read them, the string
 * instructions read DF).  For the other forms (plain moves, XCHG, PUSH,
 * POP, the branches, SMSW, the register moves) *rflags is neither read nor
 * written, so a caller that has to fetch RFLAGS from somewhere costly (the
 * VMCS) may pass any value and skip writing it back.
 */
bool insn_uses_rflags(const struct insn *in);

/* Whether in reads or writes RSP: as an operand, as a base or index of a
 * memory operand, or as the stack pointer. */
bool insn_uses_rsp(const struct insn *in);

/* How far one string iteration moves rDI and rSI: +op_size, or -op_size
 * when RFLAGS.DF = 1 (SDM vol. 1 3.4.3.2). */
int64_t insn_string_step(const struct insn *in, uint64_t rflags);

#endif
