/* Taking this CPU into VMX operation (vmx/vmx.c), and the capabilities and
 * policy every vCPU is then set up from. */
#ifndef KEEL_VMX_VMX_H
#define KEEL_VMX_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/vmx_caps.h"

/* What keel will use, after the CPU's capabilities and the boot options. */
struct vmx_policy {
    bool ept;
    bool vpid;
    bool unrestricted_guest;
    bool preemption_timer;
    /* Without a preemption timer, the host's local APIC timer ends turns
     * (arch/x86/host_lapic.c): its interrupt exits, acknowledged on exit. */
    bool host_timer;
    bool tpr_shadow;
    /* APIC virtualization beyond the TPR shadow (vmx/apicv.c), all off with
     * the boot option noapicv.  The last three need the TPR shadow. */
    bool apic_access;                   /* "virtualize APIC accesses" */
    bool apic_register_virtualization;
    bool virtualize_x2apic;
    bool virtual_interrupt_delivery;
};

extern struct vmx_caps vmx_caps;
extern struct vmx_policy vmx_policy;

/* Enables VT-x in IA32_FEATURE_CONTROL where needed, applies the CR0/CR4
 * fixed bits, and executes VMXON.  Returns false, after saying why, when keel
 * cannot enter VMX operation. */
bool vmx_enable(const struct vmx_caps *caps);

/* What the exit statistics and trace add to every exit, in TSC ticks,
 * measured now (vmx/run.c). */
uint64_t vmx_bookkeeping_ticks(void);

/* Hands out VPIDs (never 0, which is the host's: SDM vol. 3C 29.1). */
uint16_t vmx_alloc_vpid(void);

#endif
