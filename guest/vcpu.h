/*
 * What generic emulation code may ask of a vCPU.  vmx/vcpu_vmx.c implements
 * these for VT-x; the values are the guest-visible ones (CR0/CR4 as the
 * guest wrote them, not as the CPU runs them).
 */
#ifndef KEEL_GUEST_VCPU_H
#define KEEL_GUEST_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/vm.h"
#include "guest/x86.h"

enum vcpu_mode {
    VCPU_MODE_REAL,
    VCPU_MODE_PROTECTED_16,
    VCPU_MODE_PROTECTED_32,
    VCPU_MODE_LONG_64,
    VCPU_MODE_COMPAT_32,        /* IA-32e mode, 32-bit code segment */
    VCPU_MODE_COMPAT_16,
};

struct cpuid_result;
/* CPUID as this guest sees it: the host's values through keel's policy
 * (guest/cpuid_policy.c) for this vCPU's set-up. */
void vcpu_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf, struct cpuid_result *res);

/* The backend's half (vmx/): create the vCPU's hardware state for a guest
 * entering 32-bit protected mode at eip (EAX = multiboot magic); run it
 * until its VM stops or it yields; print its state for a report. */
int vcpu_arch_create(struct vcpu *v, uint32_t eip);
/* Puts the vCPU back in its start state (for a VM restart). */
int vcpu_arch_reset(struct vcpu *v, uint32_t eip);
void vcpu_run(struct vcpu *v);
void vcpu_dump(struct vcpu *v);

uint64_t vcpu_gpr(struct vcpu *v, enum x86_gpr r);
void vcpu_set_gpr(struct vcpu *v, enum x86_gpr r, uint64_t value);
uint64_t vcpu_rip(struct vcpu *v);
/* Sets RIP (wrapped at 4 GiB outside 64-bit mode, as the CPU wraps EIP) and,
 * like completing an instruction, ends STI/MOV SS blocking. */
void vcpu_set_rip(struct vcpu *v, uint64_t rip);
uint64_t vcpu_rflags(struct vcpu *v);
void vcpu_set_rflags(struct vcpu *v, uint64_t rflags);
uint64_t vcpu_cr0(struct vcpu *v);
uint64_t vcpu_cr3(struct vcpu *v);
uint64_t vcpu_cr4(struct vcpu *v);
uint64_t vcpu_efer(struct vcpu *v);
uint64_t vcpu_seg_base(struct vcpu *v, enum x86_seg seg);
unsigned vcpu_cpl(struct vcpu *v);
/* The stack's address size outside 64-bit mode: 4 when SS.B = 1, else 2
 * (SDM vol. 3A 3.4.5, the D/B flag of a stack segment). */
unsigned vcpu_stack_addr_size(struct vcpu *v);
/* GDTR's base and limit. */
void vcpu_gdtr(struct vcpu *v, uint64_t *base, uint32_t *limit);
/* Loads TR (LTR): selector, base, limit in bytes, access rights in the VMX
 * format (SDM vol. 3C 25.4.1). */
void vcpu_set_tr(struct vcpu *v, uint16_t selector, uint64_t base, uint32_t limit, uint32_t ar);
/* A segment register, LDTR, and loading a segment register (MOV Sreg,
 * far JMP/CALL: the caller has done the descriptor checks). */
void vcpu_segment(struct vcpu *v, enum x86_seg seg, struct x86_segment *s);
void vcpu_ldtr(struct vcpu *v, struct x86_segment *s);
void vcpu_set_segment(struct vcpu *v, enum x86_seg seg, const struct x86_segment *s);
/* Blocks interrupts and debug exceptions until the next instruction is
 * done, as a completed MOV SS or POP SS does (SDM vol. 3A 6.8.3); call it
 * after moving RIP past the instruction. */
void vcpu_block_by_mov_ss(struct vcpu *v);
enum vcpu_mode vcpu_mode(struct vcpu *v);

/* Where the instruction at CS:RIP is, for fetching it: the mode, CS's
 * base, RIP and the guest-visible CR0, read together (the MMIO path needs
 * all four on every exit; vcpu_mode() and vcpu_cr0() would read CR0 twice). */
struct vcpu_code_position {
    enum vcpu_mode mode;
    uint64_t cs_base;
    uint64_t rip;
    uint64_t cr0;
};
void vcpu_code_position(struct vcpu *v, struct vcpu_code_position *out);

/* Moves RIP past the instruction that caused the current exit and clears
 * blocking by STI and MOV SS, as completing an instruction does. */
void vcpu_skip_instruction(struct vcpu *v);

/* CR2 as the guest will see it (set before injecting a #PF). */
void vcpu_set_cr2(struct vcpu *v, uint64_t cr2);

/* Queues an exception for delivery at the next entry (replaces any queued
 * event: the caller decides priority). */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);

/* Translates a guest linear address for an access of the given kind, through
 * the guest's own page tables when paging is on.  On a fault, injects #PF
 * (with CR2 and error code) and returns false. */
bool vcpu_translate(struct vcpu *v, uint64_t gla, bool write, bool fetch, uint64_t *gpa);

#include "mm/pt_walk.h"

/* Walks the guest's own page tables (paging must be on) for an access of
 * the given type at privilege level cpl, setting accessed/dirty flags as the
 * CPU would.  Returns an enum pt_walk_status; nothing is injected. */
int vcpu_walk(struct vcpu *v, uint64_t gla, enum pt_access_type type, unsigned cpl,
              struct pt_walk_result *res);

#endif
