/* Interrupt and exception entry (arch/x86/traps.asm, idt.c, traps.c). */
#ifndef KEEL_ARCH_X86_TRAPS_H
#define KEEL_ARCH_X86_TRAPS_H

#include <stddef.h>
#include <stdint.h>

/* Exception vectors, SDM vol. 3A table 7-1. */
enum exception_vector {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
    EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
    EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
    EXC_VE = 20, EXC_CP = 21,
};

#define NR_EXCEPTIONS 32
#define NR_VECTORS    256

/* What the entry stubs save, lowest address first.  traps.asm pushes it in
 * the reverse order; the offsets are checked below. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code;        /* 0 for vectors without one */
    /* pushed by the CPU (SDM vol. 3A 7.14.2) */
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(offsetof(struct trap_frame, rax) == 14 * 8, "traps.asm pushes rax first");
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "traps.asm vector slot");
_Static_assert(offsetof(struct trap_frame, rip) == 17 * 8, "CPU frame follows error code");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame size");

typedef void (*trap_handler_fn)(struct trap_frame *frame);

void idt_init(void);
/* Routes a vector (>= 32) to a handler instead of the fatal report. */
void trap_register(unsigned vector, trap_handler_fn fn);

/* Called by traps.asm for every vector. */
void trap_dispatch(struct trap_frame *frame);

/*
 * A deliberate UD2 with its own report: TRAP_REPORT_UD2(fn) puts a UD2 in
 * the code and records (its address, fn) in the section .trap_reports, so
 * that the fatal #UD report calls fn(frame) to say what went wrong (from
 * the registers the code set up for it) and goes on as for any crash,
 * with fn's summary in keel's result line.  A check whose failure path is only this, and no call, lets the
 * compiler leave a function without a stack frame (the VMCS accessors use
 * it on the exit path).  Use it in an asm statement as its text.
 */
struct trap_report {
    uint64_t rip;
    /* Prints the details; returns what keel's result line says. */
    const char *(*report)(const struct trap_frame *frame);
};

#define TRAP_REPORT_UD2(fn_operand)                                  \
    "1: ud2\n\t"                                                      \
    ".pushsection .trap_reports, \"a\"\n\t"                          \
    ".balign 8\n\t"                                                   \
    ".quad 1b, " fn_operand "\n\t"                                    \
    ".popsection"

/* Human name of an exception vector ("#GP general protection"), or "interrupt". */
const char *exception_name(unsigned vector);
/* Decodes a #PF error code into text ("write, supervisor, present"). */
void page_fault_error_text(uint64_t error_code, char *buf, size_t len);

#endif
