/*
 * IA-32e mode for test guests, entered by the guest itself (SDM vol. 3A
 * 10.8.5 "Initializing IA-32e Mode"): with paging off, CR4.PAE = 1, CR3 = a
 * PML4, IA32_EFER.LME = 1, then CR0.PG = 1, which activates IA-32e mode
 * (EFER.LMA = 1); a far jump to a 64-bit code segment proves 64-bit mode
 * runs.
 *
 * How a 32-bit guest lives there.  The guests are compiled with -m32, so
 * after the switch their C code keeps running in compatibility mode: the
 * sub-mode of IA-32e mode whose code segment has L = 0.  It translates with
 * the same 4-level paging (and its A/D, XD, U/S, reserved-bit rules), so
 * paging tests written in C work unchanged for any linear address below
 * 4 GiB, and printf, report and exit keep working.  Two things must be
 * 64-bit code, written in longmode.asm:
 *   - exception handlers: IA-32e mode delivers every exception through a
 *     64-bit IDT to 64-bit code (SDM vol. 3A 6.14).  Each stub saves the
 *     registers, switches to compatibility mode, calls idt.c's
 *     exception_dispatch() with the usual 32-bit frame, switches back and
 *     IRETQs, so ASM_TRY, last_fault and the "unexpected exception" abort
 *     behave as in 32-bit mode;
 *   - accesses to linear addresses above 4 GiB (other PML4 entries, the
 *     upper canonical half): the longmode_* thunks below far-call into a
 *     64-bit code segment, do one access there and far-return.
 *
 * The hierarchy given to longmode_enter() must identity-map the guest's
 * image, its stack and page tables, and anything else it touches below
 * 4 GiB.  There is no way back to legacy mode.
 */
#ifndef GUEST_LIB_LONGMODE_H
#define GUEST_LIB_LONGMODE_H

#include <stdbool.h>
#include <stdint.h>

/* Enters IA-32e mode with CR3 = pml4 (physical, below 4 GiB), loads the
 * 64-bit IDT and TSS; returns in compatibility mode.  Paging may be on or
 * off at the call (it is turned off first). */
void longmode_enter(uint32_t pml4);

/* True once longmode_enter() has run. */
bool longmode_active(void);

/* True when the far jump into the 64-bit code segment ran its code. */
bool longmode_64bit_code_ran(void);

/*
 * One access in 64-bit mode at a 64-bit linear address.  Each arms fault
 * recovery the way ASM_TRY does (fault_try_eip = the accessing instruction),
 * so after fault_reset() a test reads last_fault and fault_at_try() as
 * usual; a load that faulted returns 0.  longmode_call() calls 'linear'
 * (which should hold a RET): a fault on the fetch is reported at 'linear'
 * itself, not at the CALL.
 */
uint64_t longmode_load(uint64_t linear);
void longmode_store(uint64_t linear, uint64_t value);
void longmode_call(uint64_t linear);
void longmode_invlpg(uint64_t linear);

/* CR2 as 64-bit mode reads it (compatibility mode sees only bits 31:0). */
uint64_t longmode_read_cr2(void);

/* The whole RIP the CPU pushed for the last exception taken in IA-32e mode
 * (last_fault.eip holds its low 32 bits). */
uint64_t longmode_last_exception_rip(void);

#endif
