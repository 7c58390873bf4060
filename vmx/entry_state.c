/* Feeding the VM-entry failure explainer (vmx/entry_failure.c) from the
 * current VMCS: the reads live here so the explainer stays pure. */
#include "arch/x86/cpu.h"
#include "vmx/entry_failure.h"
#include "vmx/vcpu_vmx.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_controls.h"

static void read_segment(struct vmx_segment_state *s, enum vmcs_field sel,
                         enum vmcs_field base, enum vmcs_field limit, enum vmcs_field ar)
{
    s->selector = (uint16_t)vmcs_read(sel);
    s->base = vmcs_read(base);
    s->limit = vmcs_read32(limit);
    s->ar = vmcs_read32(ar);
}

static void read_entry_state(struct vm_entry_state *s)
{
    s->cr0 = vmcs_read(GUEST_CR0);
    s->cr3 = vmcs_read(GUEST_CR3);
    s->cr4 = vmcs_read(GUEST_CR4);
    s->dr7 = vmcs_read(GUEST_DR7);
    s->rip = vmcs_read(GUEST_RIP);
    s->rflags = vmcs_read(GUEST_RFLAGS);
    s->ia32_efer = vmcs_read(GUEST_IA32_EFER);
    s->ia32_pat = vmcs_read(GUEST_IA32_PAT);
    s->ia32_debugctl = vmcs_read(GUEST_IA32_DEBUGCTL);
    s->ia32_sysenter_esp = vmcs_read(GUEST_SYSENTER_ESP);
    s->ia32_sysenter_eip = vmcs_read(GUEST_SYSENTER_EIP);
    for (int seg = 0; seg < NR_SEGS; seg++)
        read_segment(&s->seg[seg], (enum vmcs_field)(GUEST_ES_SELECTOR + 2 * seg),
                     (enum vmcs_field)(GUEST_ES_BASE + 2 * seg),
                     (enum vmcs_field)(GUEST_ES_LIMIT + 2 * seg),
                     (enum vmcs_field)(GUEST_ES_AR_BYTES + 2 * seg));
    read_segment(&s->tr, GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES);
    read_segment(&s->ldtr, GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT,
                 GUEST_LDTR_AR_BYTES);
    s->gdtr_base = vmcs_read(GUEST_GDTR_BASE);
    s->idtr_base = vmcs_read(GUEST_IDTR_BASE);
    s->gdtr_limit = vmcs_read32(GUEST_GDTR_LIMIT);
    s->idtr_limit = vmcs_read32(GUEST_IDTR_LIMIT);
    s->activity_state = vmcs_read32(GUEST_ACTIVITY_STATE);
    s->interruptibility = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
    s->pending_dbg_exceptions = vmcs_read(GUEST_PENDING_DBG_EXCEPTIONS);
    s->vmcs_link_pointer = vmcs_read(VMCS_LINK_POINTER);
    s->pin_based_controls = vmcs_read32(PIN_BASED_VM_EXEC_CONTROL);
    s->cpu_based_controls = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);
    if (s->cpu_based_controls & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
        s->secondary_controls = vmcs_read32(SECONDARY_VM_EXEC_CONTROL);
    s->entry_controls = vmcs_read32(VM_ENTRY_CONTROLS);
    s->entry_intr_info = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);
    s->cr0_fixed0 = vmx_caps.raw.cr0_fixed0;
    s->cr0_fixed1 = vmx_caps.raw.cr0_fixed1;
    s->cr4_fixed0 = vmx_caps.raw.cr4_fixed0;
    s->cr4_fixed1 = vmx_caps.raw.cr4_fixed1;
    s->vmx_misc = vmx_caps.raw.misc;
    struct cpuid_regs sizes = cpuid(0x80000008, 0);
    s->phys_addr_bits = (uint8_t)sizes.eax;
    s->linear_addr_bits = (uint8_t)(sizes.eax >> 8);
}

void entry_failure_explain_current(uint32_t exit_reason, uint64_t exit_qualification,
                                   void (*line)(const char *text, void *ctx), void *ctx)
{
    struct vm_entry_state s = { 0 };
    read_entry_state(&s);
    s.exit_reason = exit_reason;
    s.exit_qualification = exit_qualification;
    if (exit_reason)
        vm_entry_failure_explain(&s, line, ctx);
    else
        vm_entry_state_dump(&s, line, ctx);
}
