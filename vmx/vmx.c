/*
 * VMXON: SDM vol. 3C 24.7 "Enabling and Entering VMX Operation" and 24.8
 * "Restrictions on VMX Operation" (the CR0/CR4 fixed bits).
 */
#include "vmx/vmx.h"

#include "arch/x86/cpu.h"
#include "arch/x86/host_lapic.h"
#include "arch/x86/msr.h"
#include "kernel/log.h"
#include "kernel/options.h"
#include "mm/frame.h"
#include "mm/paging.h"
#include "vmx/vmx_ops.h"

#define CR4_VMXE (UINT64_C(1) << 13)

struct vmx_caps vmx_caps;
struct vmx_policy vmx_policy;

static uint64_t vmxon_region;
static uint16_t next_vpid = 1;

uint16_t vmx_alloc_vpid(void)
{
    if (next_vpid == 0)
        panic("out of VPIDs");
    return next_vpid++;
}

/* Firmware normally locks IA32_FEATURE_CONTROL; where it did not, keel
 * allows VMXON outside SMX and locks the MSR itself, as the SDM expects of
 * system software (24.7). */
static bool feature_control_ready(const struct vmx_caps *caps)
{
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (fc & FEATURE_CONTROL_LOCKED) {
        if (fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)
            return true;
        pr_err("VT-x is disabled by the firmware (IA32_FEATURE_CONTROL = 0x%lx, locked): "
               "enable it in the firmware setup", fc);
        return false;
    }
    (void)caps;
    wrmsr(MSR_IA32_FEATURE_CONTROL,
          fc | FEATURE_CONTROL_VMXON_OUTSIDE_SMX | FEATURE_CONTROL_LOCKED);
    pr_info("IA32_FEATURE_CONTROL was unlocked: enabled VMXON outside SMX and locked it");
    return true;
}

#define CR4_OSXSAVE (UINT64_C(1) << 18)
#define CPUID_1_ECX_XSAVE (1u << 26)

static void apply_fixed_bits(const struct vmx_caps *caps)
{
    uint64_t cr0 = read_cr0();
    uint64_t cr4 = read_cr4() | CR4_VMXE;
    /* Guests' XSETBV is carried out by keel (it always exits), which needs
     * CR4.OSXSAVE itself; keel uses no extended state of its own. */
    if (cpuid(1, 0).ecx & CPUID_1_ECX_XSAVE)
        cr4 |= CR4_OSXSAVE;
    cr0 = (cr0 | caps->raw.cr0_fixed0) & caps->raw.cr0_fixed1;
    cr4 = (cr4 | caps->raw.cr4_fixed0) & caps->raw.cr4_fixed1;
    write_cr0(cr0);
    write_cr4(cr4);
}

/* "yes", "no", or "no (noapicv)" when the option turned off what the CPU has. */
/* "yes", "no", or why not when the CPU has it: "no (noapicv)" when the
 * option turned it off, else `reason` if there is one. */
static const char *apicv_word(bool used, bool offered, const char *reason)
{
    if (used)
        return "yes";
    if (offered && keel_options.noapicv)
        return "no (noapicv)";
    return offered && reason ? reason : "no";
}

/*
 * SDM vol. 3C 26.2.1.1: APIC-register virtualization, virtualize x2APIC
 * mode and virtual-interrupt delivery need the TPR shadow; the APIC-access
 * page does not (every access then exits).
 *
 * Virtual-interrupt delivery is used with EPT only.  With shadow paging an
 * event's delivery often exits half way (a #PF on the IDT or the stack
 * after the guest reloaded CR3), and the exit's IDT-vectoring information
 * must then describe the virtual interrupt, as an external interrupt, for
 * keel to deliver it again.  Bochs does not: its virtual-interrupt
 * delivery does not record the event, so such an exit reports the event
 * delivered before it (an INT n, a #GP), which keel would inject in its
 * place (the events and ioapic guests under exits-shadow.test saw a failed
 * entry and a stray #GP).  A CPU without EPT has no virtual-interrupt
 * delivery anyway; this affects noept only.
 */
static void choose_apicv_policy(const struct vmx_caps *caps)
{
    bool allowed = !keel_options.noapicv;
    bool shadow = vmx_policy.tpr_shadow;
    vmx_policy.apic_access = allowed && caps->apic_access;
    vmx_policy.apic_register_virtualization =
        allowed && shadow && caps->apic_register_virtualization;
    vmx_policy.virtualize_x2apic = allowed && shadow && caps->virtualize_x2apic;
    vmx_policy.virtual_interrupt_delivery =
        allowed && shadow && vmx_policy.ept && caps->virtual_interrupt_delivery;
    pr_info("VT-x: APIC-access page %s, APIC-register virtualization %s, virtual x2APIC %s, "
            "virtual-interrupt delivery %s",
            apicv_word(vmx_policy.apic_access, caps->apic_access, NULL),
            apicv_word(vmx_policy.apic_register_virtualization,
                       caps->apic_register_virtualization, NULL),
            apicv_word(vmx_policy.virtualize_x2apic, caps->virtualize_x2apic, NULL),
            apicv_word(vmx_policy.virtual_interrupt_delivery, caps->virtual_interrupt_delivery,
                       !vmx_policy.ept ? "no (shadow paging)" : NULL));
}

static void choose_policy(const struct vmx_caps *caps)
{
    vmx_policy.ept = caps->ept && caps->ept_caps.walk_4level && caps->ept_caps.memtype_wb &&
                     caps->ept_caps.invept && !keel_options.noept;
    vmx_policy.vpid = caps->vpid && caps->vpid_caps.invvpid && !keel_options.novpid;
    /* Unrestricted guest needs EPT (SDM vol. 3C 26.2.1.1). */
    vmx_policy.unrestricted_guest = vmx_policy.ept && caps->unrestricted_guest &&
                                    !keel_options.nounrestricted;
    vmx_policy.preemption_timer = caps->preemption_timer;
    vmx_policy.host_timer = !caps->preemption_timer && host_lapic_timer_init();
    vmx_policy.tpr_shadow = caps->tpr_shadow && !keel_options.notprshadow;
    pr_info("VT-x: using EPT %s, VPID %s, unrestricted guest %s, preemption timer %s",
            vmx_policy.ept ? "yes" : keel_options.noept && caps->ept ? "no (noept)" : "no",
            vmx_policy.vpid ? "yes" : keel_options.novpid && caps->vpid ? "no (novpid)" : "no",
            vmx_policy.unrestricted_guest ? "yes"
            : keel_options.nounrestricted && caps->unrestricted_guest ? "no (nounrestricted)"
                                                                      : "no",
            vmx_policy.preemption_timer ? "yes"
            : vmx_policy.host_timer     ? "no (turns end by the host's local APIC timer)"
                                        : "no");
    pr_info("VT-x: TPR shadow %s", vmx_policy.tpr_shadow ? "yes"
                                   : keel_options.notprshadow && caps->tpr_shadow
                                       ? "no (notprshadow)" : "no");
    choose_apicv_policy(caps);
}

bool vmx_enable(const struct vmx_caps *caps)
{
    vmx_caps = *caps;
    if (!feature_control_ready(caps))
        return false;
    choose_policy(caps);
    apply_fixed_bits(caps);

    vmxon_region = frame_alloc();
    *(uint32_t *)phys_to_virt(vmxon_region) = caps->vmcs_revision_id;
    enum vmx_status st = vmxon(vmxon_region);
    if (st != VMX_SUCCEED) {
        pr_err("VMXON failed (%s)", st == VMX_FAIL_INVALID ? "VMfailInvalid" : "VMfailValid");
        return false;
    }
    pr_info("VMX operation entered (VMXON region at %lx)", vmxon_region);
    return true;
}
