/*
 * Reads the VT-x capabilities of the boot CPU and reports them (contract in
 * vmx/probe.h).  The decoding is vmx/vmx_caps.c; this file only knows which
 * MSRs exist under which condition, since reading a missing one is a #GP.
 */
#include "vmx/probe.h"

#include <stddef.h>

#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "kernel/log.h"

static void read_basic_msrs(struct vmx_msrs *m)
{
    /* IA32_FEATURE_CONTROL exists when CPUID reports VMX or SMX; the basic
     * VMX capability MSRs when it reports VMX (SDM vol. 4 table 2-2, A.1). */
    m->feature_control = rdmsr(MSR_IA32_FEATURE_CONTROL);
    m->basic = rdmsr(MSR_IA32_VMX_BASIC);
    m->pinbased_ctls = rdmsr(MSR_IA32_VMX_PINBASED_CTLS);
    m->procbased_ctls = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
    m->exit_ctls = rdmsr(MSR_IA32_VMX_EXIT_CTLS);
    m->entry_ctls = rdmsr(MSR_IA32_VMX_ENTRY_CTLS);
    m->misc = rdmsr(MSR_IA32_VMX_MISC);
    m->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    m->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    m->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    m->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    m->have_basic = true;
}

/* SDM A.1: the TRUE_* control MSRs exist only when IA32_VMX_BASIC[55] = 1. */
static void read_true_ctls(struct vmx_msrs *m)
{
    if (!(m->basic & VMX_BASIC_TRUE_CTLS))
        return;
    m->true_pinbased_ctls = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
    m->true_procbased_ctls = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
    m->true_exit_ctls = rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
    m->true_entry_ctls = rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
    m->have_true_ctls = true;
}

/* SDM A.3.3, A.10, A.11: each of these exists only when the control that
 * uses it may be 1. */
static void read_secondary_msrs(struct vmx_msrs *m)
{
    if (!(vmx_msr_allowed1(m->procbased_ctls) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
        return;
    m->procbased_ctls2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
    m->have_procbased_ctls2 = true;

    uint32_t secondary = vmx_msr_allowed1(m->procbased_ctls2);
    if (secondary & (SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID)) {
        m->ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
        m->have_ept_vpid_cap = true;
    }
    if (secondary & SECONDARY_EXEC_ENABLE_VM_FUNCTIONS) {
        m->vmfunc = rdmsr(MSR_IA32_VMX_VMFUNC);
        m->have_vmfunc = true;
    }
}

static void read_vmx_msrs(struct vmx_msrs *m)
{
    *m = (struct vmx_msrs){ 0 };
    m->cpuid1_ecx = cpuid(1, 0).ecx;
    if (!(m->cpuid1_ecx & CPUID_1_ECX_VMX))
        return;
    read_basic_msrs(m);
    read_true_ctls(m);
    read_secondary_msrs(m);
}

static void print_report_line(const char *text, void *ctx)
{
    (void)ctx;
    kprintf("%s\n", text);
}

bool vmx_probe(struct vmx_caps *out)
{
    struct vmx_msrs msrs;

    read_vmx_msrs(&msrs);
    vmx_caps_decode(&msrs, out);
    vmx_caps_report(out, print_report_line, NULL);
    return vmx_unsupported_reason(out) == NULL;
}
