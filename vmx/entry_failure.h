/*
 * Why did VM entry fail?  (vmx/entry_failure.c): pure logic, host-tested.
 *
 * When VMLAUNCH/VMRESUME "exits" with bit 31 of the exit reason set (SDM
 * vol. 3C 27.8), the CPU says only which class of check failed.  The VMCS
 * code reads the fields below into a struct vm_entry_state and hands it to
 * vm_entry_failure_explain(), which names the exit reason, lists every check
 * of SDM 27.3.1 "Checks on the Guest State Area" that these values fail, and
 * dumps the decoded guest state.
 *
 * The checks follow the SDM text one rule at a time.  Not checked: the
 * PDPTEs (27.3.1.6), reserved bits of IA32_DEBUGCTL, IA32_PERF_GLOBAL_CTRL,
 * IA32_BNDCFGS, IA32_RTIT_CTL, CET, PKRS and LBR state, SMBASE, and whatever
 * needs memory (the VMCS the link pointer names): keel loads none of those.
 */
#ifndef KEEL_VMX_ENTRY_FAILURE_H
#define KEEL_VMX_ENTRY_FAILURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/x86.h"

/* Guest segment access rights, as the VMCS stores them (SDM 25.4.1, table
 * "Format of Access Rights"): the descriptor's type..G bits plus "unusable". */
#define VMX_AR_TYPE_MASK            0xfu            /* 3:0 */
#define VMX_AR_TYPE_ACCESSED        0x1u            /* type bit 0 (code/data) */
#define VMX_AR_TYPE_READABLE        0x2u            /* type bit 1 for code segments */
#define VMX_AR_TYPE_CONFORMING      0x4u            /* type bit 2 for code segments */
#define VMX_AR_TYPE_CODE            0x8u            /* type bit 3 */
#define VMX_AR_S                    (1u << 4)       /* code/data, not system */
#define VMX_AR_DPL_SHIFT            5               /* 6:5 */
#define VMX_AR_DPL_MASK             0x3u
#define VMX_AR_P                    (1u << 7)
#define VMX_AR_RESERVED_11_8        0x00000f00u
#define VMX_AR_AVL                  (1u << 12)
#define VMX_AR_L                    (1u << 13)      /* 64-bit code (CS only) */
#define VMX_AR_DB                   (1u << 14)
#define VMX_AR_G                    (1u << 15)
#define VMX_AR_UNUSABLE             (1u << 16)
#define VMX_AR_RESERVED_31_17       0xfffe0000u

/* Segment types the checks name (SDM vol. 3A 3.4.5.1, table "Code- and
 * Data-Segment Types"; 3.5, table "System-Segment and Gate-Descriptor Types"). */
#define SEG_TYPE_DATA_RW_ACCESSED           0x3u
#define SEG_TYPE_DATA_RW_DOWN_ACCESSED      0x7u
#define SEG_TYPE_LDT                        0x2u
#define SEG_TYPE_TSS16_BUSY                 0x3u
#define SEG_TYPE_TSS_BUSY                   0xbu    /* 32-bit, or 64-bit in IA-32e mode */
/* The whole AR value of every segment register in virtual-8086 mode. */
#define VMX_AR_VIRTUAL_8086                 0xf3u

/* GUEST_ACTIVITY_STATE values (SDM 25.4.2). */
enum vmx_activity_state {
    ACTIVITY_STATE_ACTIVE = 0,
    ACTIVITY_STATE_HLT = 1,
    ACTIVITY_STATE_SHUTDOWN = 2,
    ACTIVITY_STATE_WAIT_FOR_SIPI = 3,
};

/* GUEST_INTERRUPTIBILITY_INFO bits (SDM 25.4.2, table "Format of
 * Interruptibility State"). */
#define INTERRUPTIBILITY_BLOCKING_BY_STI        (1u << 0)
#define INTERRUPTIBILITY_BLOCKING_BY_MOV_SS     (1u << 1)
#define INTERRUPTIBILITY_BLOCKING_BY_SMI        (1u << 2)
#define INTERRUPTIBILITY_BLOCKING_BY_NMI        (1u << 3)
#define INTERRUPTIBILITY_ENCLAVE_INTERRUPTION   (1u << 4)
#define INTERRUPTIBILITY_RESERVED               0xffffffe0u

/* GUEST_PENDING_DBG_EXCEPTIONS bits (SDM 25.4.2, table "Format of
 * Pending-Debug-Exceptions"). */
#define PENDING_DBG_B0_B3                       0xfull
#define PENDING_DBG_ENABLED_BREAKPOINT          (1ull << 12)
#define PENDING_DBG_BS                          (1ull << 14)
#define PENDING_DBG_RTM                         (1ull << 16)

/* One segment register as the guest-state area holds it. */
struct vmx_segment_state {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;
    uint32_t ar;                /* VMX_AR_* */
};

/* Everything the checks look at, already read with VMREAD/RDMSR. */
struct vm_entry_state {
    /* Guest-state area (SDM 25.4). */
    uint64_t cr0, cr3, cr4, dr7;
    uint64_t rip, rflags;
    uint64_t ia32_efer, ia32_pat, ia32_debugctl;
    uint64_t ia32_sysenter_esp, ia32_sysenter_eip;
    struct vmx_segment_state seg[NR_SEGS];      /* indexed by enum x86_seg */
    struct vmx_segment_state tr, ldtr;
    uint64_t gdtr_base, idtr_base;
    uint32_t gdtr_limit, idtr_limit;
    uint32_t activity_state;                    /* enum vmx_activity_state */
    uint32_t interruptibility;                  /* INTERRUPTIBILITY_* */
    uint64_t pending_dbg_exceptions;            /* PENDING_DBG_* */
    uint64_t vmcs_link_pointer;

    /* Control fields (SDM 25.6, 25.8); secondary_controls only counts when
     * cpu_based_controls activates them. */
    uint32_t pin_based_controls;
    uint32_t cpu_based_controls;
    uint32_t secondary_controls;
    uint32_t entry_controls;
    uint32_t entry_intr_info;                   /* VM_ENTRY_INTR_INFO_FIELD */

    /* Capability MSRs (SDM A.6-A.8). */
    uint64_t cr0_fixed0, cr0_fixed1;
    uint64_t cr4_fixed0, cr4_fixed1;
    uint64_t vmx_misc;                          /* supported activity states */
    /* CPUID.80000008H:EAX[7:0] and [15:8]; 0 means unknown (then 52 and 48). */
    uint8_t phys_addr_bits, linear_addr_bits;

    /* What the failed entry reported: VM_EXIT_REASON, EXIT_QUALIFICATION. */
    uint32_t exit_reason;
    uint64_t exit_qualification;
};

/*
 * Runs the SDM 27.3.1 checks on *s and calls line() once per failed check
 * with one sentence naming the field, its value and the rule, e.g.
 *   "GUEST_RFLAGS 0x00000000: reserved bit 1 must be 1".
 * Returns how many checks failed: 0 means these values pass every check here.
 */
unsigned vmx_check_guest_state(const struct vm_entry_state *s,
                               void (*line)(const char *text, void *ctx), void *ctx);

/*
 * The whole report, one line() call per line (no trailing newline):
 *   "VM entry failed: exit reason 0x80000021 = INVALID_GUEST_STATE ..."
 *   what the exit qualification says,
 *   for reason 33 the failed checks ("  " + sentence each, or a line saying
 *   none was found), then "Guest state:" and the decoded values.
 * Returns the number of failed checks (0 for reasons other than 33).
 */
unsigned vm_entry_failure_explain(const struct vm_entry_state *s,
                                  void (*line)(const char *text, void *ctx), void *ctx);

/* Only the "Guest state:" part of the report. */
void vm_entry_state_dump(const struct vm_entry_state *s,
                         void (*line)(const char *text, void *ctx), void *ctx);

/* "type=0xb S=1 DPL=0 P=1 L=1 D=0 G=1 usable" (or "... unusable"). */
void vmx_describe_segment_ar(uint32_t ar, char *buf, size_t size);

#endif
