/*
 * Running a function at CPL 3, for tests of user-mode accesses.
 *
 * usermode_call(fn, arg) enters ring 3 with IRET (user code and data
 * segments, a user stack of USERMODE_STACK_SIZE bytes, EFLAGS with IF = 0,
 * IOPL = 0, AC = 0), calls fn(arg) there, and comes back to ring 0 through a
 * call gate, returning fn's result.  It works in 32-bit protected mode
 * (32-bit TSS and gate) and in IA-32e mode (fn then runs in compatibility
 * mode; the gate and the TSS are 64-bit).
 *
 * What fn may do: touch memory the current page tables make user-accessible
 * (its code, its stack, the variables ASM_TRY writes), and nothing
 * privileged: no port I/O (so no printf), no CR or MSR access.  An exception
 * at CPL 3 goes to the ring-0 handlers (on the stack usermode_call left in
 * the TSS) and, inside ASM_TRY, resumes fn at its recovery label, so fn can
 * expect faults exactly like ring-0 code.  Not reentrant.
 */
#ifndef GUEST_LIB_USERMODE_H
#define GUEST_LIB_USERMODE_H

#include <stdint.h>

#define USERMODE_STACK_SIZE 4096u

typedef uint32_t usermode_fn(uint32_t arg);

uint32_t usermode_call(usermode_fn *fn, uint32_t arg);

/* The user stack's lowest byte and size (a test must map it user-accessible). */
uint32_t usermode_stack_base(void);

#endif
