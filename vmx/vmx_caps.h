/*
 * What VT-x this CPU offers (vmx/vmx_caps.c): pure logic, host-tested.
 *
 * vmx/probe.c reads CPUID and the VMX capability MSRs into a struct vmx_msrs;
 * vmx_caps_decode() turns those raw values into a struct vmx_caps that the
 * rest of keel asks questions of ("is EPT there?", "which control bits must
 * be 1?"); vmx_unsupported_reason() says whether keel can use VT-x at all and,
 * if not, exactly why; vmx_caps_report() prints the boot-time summary.
 */
#ifndef KEEL_VMX_VMX_CAPS_H
#define KEEL_VMX_VMX_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/vmx_controls.h"

/* CPUID.01H:ECX.VMX[bit 5] (SDM vol. 3C 24.6 "Discovering support for VMX"). */
#define CPUID_1_ECX_VMX (1u << 5)

/*
 * Raw values, exactly as read.  A have_* flag is false when the value was not
 * read because the CPU said it does not exist (the MSR would #GP); the value
 * is then 0 and must not be looked at.
 */
struct vmx_msrs {
    uint32_t cpuid1_ecx;

    /* Read only when CPUID says VMX: IA32_FEATURE_CONTROL, IA32_VMX_BASIC,
     * the four non-TRUE control MSRs, MISC and the CR0/CR4 FIXED MSRs. */
    bool have_basic;
    uint64_t feature_control;
    uint64_t basic;
    uint64_t pinbased_ctls;
    uint64_t procbased_ctls;
    uint64_t exit_ctls;
    uint64_t entry_ctls;
    uint64_t misc;
    uint64_t cr0_fixed0, cr0_fixed1;
    uint64_t cr4_fixed0, cr4_fixed1;

    /* Exist when IA32_VMX_BASIC[55] = 1 (SDM A.1). */
    bool have_true_ctls;
    uint64_t true_pinbased_ctls;
    uint64_t true_procbased_ctls;
    uint64_t true_exit_ctls;
    uint64_t true_entry_ctls;

    /* Exists when the primary controls allow "activate secondary controls". */
    bool have_procbased_ctls2;
    uint64_t procbased_ctls2;

    /* Exists when the secondary controls allow "enable EPT" or "enable VPID". */
    bool have_ept_vpid_cap;
    uint64_t ept_vpid_cap;

    /* Exists when the secondary controls allow "enable VM functions". */
    bool have_vmfunc;
    uint64_t vmfunc;
};

/*
 * One 32-bit control field's allowed settings (SDM A.3):
 *   allowed0 = MSR bits 31:0;  a bit set here must be 1 in the control;
 *   allowed1 = MSR bits 63:32; a bit clear here must be 0 in the control.
 * A control bit is free to choose when allowed0 has it clear and allowed1
 * has it set.
 */
struct vmx_ctl {
    uint32_t allowed0;
    uint32_t allowed1;
};

struct vmx_ept_caps {
    bool execute_only;
    bool walk_4level, walk_5level;
    bool memtype_uc, memtype_wb;        /* for the EPT paging structures */
    bool pages_2m, pages_1g;
    bool invept, invept_single, invept_all;
    bool accessed_dirty;
};

struct vmx_vpid_caps {
    bool invvpid;
    bool invvpid_individual, invvpid_single, invvpid_all, invvpid_single_globals;
};

struct vmx_caps {
    struct vmx_msrs raw;

    bool vmx_supported;                 /* CPUID.1:ECX.VMX */

    /* IA32_FEATURE_CONTROL (SDM 24.7). */
    uint64_t feature_control;
    bool feature_control_locked;
    bool vmxon_outside_smx;             /* bit 2 already set */
    bool feature_control_can_enable;    /* not locked: keel may set bits 2 and 0 itself */

    /* IA32_VMX_BASIC (SDM A.1). */
    uint32_t vmcs_revision_id;
    uint32_t vmcs_region_size;          /* bytes for VMXON and VMCS regions */
    uint32_t vmcs_memory_type;          /* VMX_MEMORY_TYPE_* */
    bool phys_addr_32bit;               /* VMX structures must lie below 4 GiB */
    bool dual_monitor_smm;
    bool ins_outs_info;                 /* exit instruction info for INS/OUTS */
    bool has_true_msrs;                 /* IA32_VMX_TRUE_*_CTLS exist */

    /* Effective allowed settings: from the TRUE_* MSR when it exists (it may
     * allow 0 for default-1 bits, SDM A.3.1), else from the plain MSR.
     * procbased2 is all-zero when there are no secondary controls. */
    struct vmx_ctl pinbased, procbased, procbased2, exit, entry;

    bool secondary_controls;
    bool ept, vpid, unrestricted_guest;
    bool preemption_timer;
    uint32_t preemption_timer_rate;     /* timer ticks when TSC bit <rate> changes */
    bool preemption_timer_save;         /* VM-exit control "save VMX-preemption timer value" */
    bool io_bitmaps, msr_bitmaps;
    /* APIC virtualization (SDM vol. 3C chapter 29): the TPR shadow, the
     * APIC-access page, APIC-register virtualization, virtualize x2APIC
     * mode, virtual-interrupt delivery, posted interrupts. */
    bool tpr_shadow, apic_access, apic_register_virtualization, virtualize_x2apic;
    bool virtual_interrupt_delivery, posted_interrupts;
    bool vmfunc, eptp_switching;
    bool host_64bit;                    /* VM-exit "host address-space size" can be 1 */

    struct vmx_ept_caps ept_caps;       /* all false unless ept */
    struct vmx_vpid_caps vpid_caps;     /* all false unless vpid */
};

static inline uint32_t vmx_msr_allowed0(uint64_t msr)
{
    return (uint32_t)(msr & VMX_CTLS_ALLOWED0_MASK);
}

static inline uint32_t vmx_msr_allowed1(uint64_t msr)
{
    return (uint32_t)(msr >> VMX_CTLS_ALLOWED1_SHIFT);
}

static inline struct vmx_ctl vmx_ctl_from_msr(uint64_t msr)
{
    struct vmx_ctl c = { vmx_msr_allowed0(msr), vmx_msr_allowed1(msr) };
    return c;
}

/* True when every bit in bits may be 1. */
static inline bool vmx_ctl_allows(const struct vmx_ctl *c, uint32_t bits)
{
    return (c->allowed1 & bits) == bits;
}

/* True when every bit in bits must be 1. */
static inline bool vmx_ctl_requires(const struct vmx_ctl *c, uint32_t bits)
{
    return (c->allowed0 & bits) == bits;
}

/* The control value to write for the wanted bits: must-be-one bits added,
 * not-allowed bits dropped (SDM A.3.1).  Compare with wanted to find out
 * what the CPU refused. */
static inline uint32_t vmx_ctl_adjust(const struct vmx_ctl *c, uint32_t wanted)
{
    return (wanted | c->allowed0) & c->allowed1;
}

/* Fills *caps from *msrs.  Never fails: what is absent decodes as "no". */
void vmx_caps_decode(const struct vmx_msrs *msrs, struct vmx_caps *caps);

/* NULL when keel can run VMXON and 64-bit-host VMCSs with these capabilities;
 * otherwise a sentence naming the first check that failed.  EPT, VPID and
 * unrestricted guest are reported, not required here: which guest needs what
 * is the VMCS code's decision. */
const char *vmx_unsupported_reason(const struct vmx_caps *caps);

/* Produces the boot-time summary, one call of line() per line (no trailing
 * newline): "VT-x:" then "  <label padded to 17> <value>" lines, where value
 * starts with yes/no for the features, and a last "Usable" line. */
void vmx_caps_report(const struct vmx_caps *caps, void (*line)(const char *text, void *ctx),
                     void *ctx);

#endif
