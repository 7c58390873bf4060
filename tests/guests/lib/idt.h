/*
 * Exception handling for test guests: an IDT whose vectors 0-31 all go to
 * one dispatcher (vectors.asm builds the frame), and a way to expect a fault
 * around one instruction.
 *
 * Expecting a fault (the idea of kvm-unit-tests' ASM_TRY, written anew):
 *
 *     fault_reset();
 *     __asm__ __volatile__(ASM_TRY("rdmsr") : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
 *     if (last_fault.vector == GP_VECTOR && last_fault.error_code == 0) ...
 *
 * ASM_TRY(insn) arms a recovery address just past insn.  If insn faults, the
 * dispatcher records (vector, error code, EIP) in last_fault, disarms, and
 * resumes at the recovery address with every general register as it was at
 * the fault.  If it does not fault, the code after insn disarms.  Any
 * exception while nothing is armed is a test failure: the dispatcher prints
 * it and ends the guest.  insn must be one instruction: fault_try_eip holds
 * its address, so a test can check that a fault was reported at it (a fault
 * pushes the faulting instruction's EIP; SDM vol. 3A 6.5 "Exception
 * classifications").  Every ASM_TRY must carry a "memory" clobber.
 */
#ifndef GUEST_LIB_IDT_H
#define GUEST_LIB_IDT_H

#include <stdbool.h>
#include <stdint.h>

/* Exception vectors (SDM vol. 3A 6.3.1, table 6-1). */
enum exception_vector {
    DE_VECTOR = 0,
    DB_VECTOR = 1,
    NMI_VECTOR = 2,
    BP_VECTOR = 3,
    OF_VECTOR = 4,
    BR_VECTOR = 5,
    UD_VECTOR = 6,
    NM_VECTOR = 7,
    DF_VECTOR = 8,
    TS_VECTOR = 10,
    NP_VECTOR = 11,
    SS_VECTOR = 12,
    GP_VECTOR = 13,
    PF_VECTOR = 14,
    MF_VECTOR = 16,
    AC_VECTOR = 17,
    MC_VECTOR = 18,
    XM_VECTOR = 19,
    VE_VECTOR = 20,
    CP_VECTOR = 21,
    NR_EXCEPTION_VECTORS = 32,
};

/* No fault was taken (last_fault.vector). */
#define NO_FAULT (-1)

struct fault_record {
    int vector;                 /* NO_FAULT, or the vector taken */
    uint32_t error_code;        /* 0 for vectors that push none */
    uint32_t eip;               /* EIP the CPU pushed */
    uint32_t eflags;            /* EFLAGS the CPU pushed (RF shows a fault) */
};

extern volatile struct fault_record last_fault;
/* Set by ASM_TRY: where the tried instruction starts, and where to resume. */
extern volatile uint32_t fault_try_eip;
extern volatile uint32_t fault_recovery_eip;

/* Local labels 1728/1729 are used so that they cannot clash with the 1:/2:
 * labels tests write around ASM_TRY. */
#define ASM_TRY(insn)                               \
    "movl $1728f, fault_try_eip\n\t"                \
    "movl $1729f, fault_recovery_eip\n\t"           \
    "1728:\n\t" insn "\n\t"                         \
    "1729:\n\t"                                     \
    "movl $0, fault_recovery_eip\n\t"

#define NR_IDT_VECTORS 256

/* Loads the IDT with a 32-bit interrupt gate for each of the 256 vectors. */
void idt_install(void);

/* A handler for one vector (an external interrupt, an NMI, INT n, or an
 * exception a test wants to see itself).  It runs with IF = 0 (interrupt
 * gates) on the interrupted code's stack and may change frame->eip; IRET
 * follows.  A vector with no handler and no armed ASM_TRY ends the guest
 * with a report, so a stray interrupt is never silent. */
struct exception_frame;
typedef void (*intr_handler_fn)(struct exception_frame *frame);

/* Installs fn for vector (NULL removes it).  A handler takes precedence
 * over ASM_TRY recovery for its vector. */
void idt_set_handler(unsigned vector, intr_handler_fn fn);

/* Forgets the last fault: last_fault.vector = NO_FAULT. */
void fault_reset(void);

/* True when the last ASM_TRY faulted with 'vector' at its own instruction. */
bool fault_at_try(int vector);

/* "#GP", "#UD", ... for vector; "#??" for one without a name. */
const char *exception_name(int vector);

/* The frame vectors.asm builds: PUSHAD's registers, the vector, the error
 * code (0 when the CPU pushes none), then what the CPU pushed for a
 * same-privilege exception (SDM vol. 3A 6.12.1, figure 6-4).  The
 * dispatcher may change eip: IRET resumes there. */
struct exception_frame {
    uint32_t edi, esi, ebp, esp_at_pushad, ebx, edx, ecx, eax;
    uint32_t vector;
    uint32_t error_code;
    uint32_t eip;
    uint32_t cs;
    uint32_t eflags;
};

/* Called by vectors.asm only. */
void exception_dispatch(struct exception_frame *frame);

#endif
