/*
 * A guest's MMX and XMM registers (guest/fpu_regs.c).  keel itself never
 * uses the x87, MMX or SSE state (it is built with -mno-sse and has no
 * FPU code), so while a vCPU's exit is handled the CPU's registers are
 * still the guest's: emulating a register move means doing the same move
 * on the CPU, with its side effects on the x87 state.
 */
#ifndef KEEL_GUEST_FPU_REGS_H
#define KEEL_GUEST_FPU_REGS_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/insn_decode.h"

enum fpu_access_result {
    FPU_ACCESS_OK = 0,
    /* An unmasked x87 exception is pending (FSW.ES = 1): an MMX instruction
     * raises #MF before it does anything (SDM vol. 3A 12.5). */
    FPU_ACCESS_X87_PENDING = -1,
    FPU_ACCESS_BAD_REGISTER = -2,
};

/* Copies MMX register reg (8 bytes) or XMM register reg (16 bytes) to
 * bytes (write = false) or from bytes into it, as MOVQ/MOVDQU would. */
int fpu_vec_access(enum vec_file file, unsigned reg, bool write, uint8_t *bytes);

#endif
