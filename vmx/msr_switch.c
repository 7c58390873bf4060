/*
 * Switching IA32_EFER and IA32_PAT between keel and its guests.  Where the
 * CPU has the "load IA32_EFER/PAT" entry and exit controls, the VMCS fields
 * do it; where it lacks them (Bochs's Penryn model, older CPUs) the VM-entry
 * and VM-exit MSR-load areas do (SDM vol. 3C 25.7.2, 25.8.2, 26.4, 27.6).
 * Guests cannot change either MSR without an exit (neither is in the MSR
 * bitmap's pass-through list), so keel's copy is always the guest's value
 * and no MSR-store area is needed.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "mm/paging.h"
#include "vmx/vcpu_vmx.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_controls.h"

/* An MSR-load area entry (SDM vol. 3C 25.7.2, table 25-15). */
struct vmx_msr_entry {
    uint32_t index;
    uint32_t reserved;
    uint64_t value;
};
_Static_assert(sizeof(struct vmx_msr_entry) == 16, "MSR-load entries are 16 bytes");

#define MSR_AREA_ENTRY_OFFSET 0
#define MSR_AREA_EXIT_OFFSET  2048

static struct vmx_msr_entry *area_entry(const struct vcpu_vmx *x, unsigned offset, unsigned i)
{
    return (struct vmx_msr_entry *)((uint8_t *)phys_to_virt(x->msr_area) + offset) + i;
}

/* Adds an MSR to the entry- or exit-load area and returns its slot. */
static int add_to_area(struct vcpu_vmx *x, bool entry, uint32_t msr, uint64_t value)
{
    unsigned *count = entry ? &x->entry_msr_count : &x->exit_msr_count;
    unsigned slot = (*count)++;
    *area_entry(x, entry ? MSR_AREA_ENTRY_OFFSET : MSR_AREA_EXIT_OFFSET, slot) =
        (struct vmx_msr_entry){ .index = msr, .value = value };
    vmcs_write(entry ? VM_ENTRY_MSR_LOAD_COUNT : VM_EXIT_MSR_LOAD_COUNT, *count);
    return (int)slot;
}

void vmx_msr_switch_init(struct vcpu_vmx *x, uint32_t entry_ctls, uint32_t exit_ctls)
{
    x->entry_msr_count = x->exit_msr_count = 0;
    x->efer_slot = x->pat_slot = -1;
    vmcs_write(VM_ENTRY_MSR_LOAD_ADDR, x->msr_area + MSR_AREA_ENTRY_OFFSET);
    vmcs_write(VM_EXIT_MSR_LOAD_ADDR, x->msr_area + MSR_AREA_EXIT_OFFSET);
    vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);

    uint64_t host_efer = rdmsr(MSR_IA32_EFER), host_pat = rdmsr(MSR_IA32_PAT);
    if (exit_ctls & VM_EXIT_LOAD_IA32_EFER)
        vmcs_write(HOST_IA32_EFER, host_efer);
    else
        add_to_area(x, false, MSR_IA32_EFER, host_efer);
    if (exit_ctls & VM_EXIT_LOAD_IA32_PAT)
        vmcs_write(HOST_IA32_PAT, host_pat);
    else
        add_to_area(x, false, MSR_IA32_PAT, host_pat);
    if (!(entry_ctls & VM_ENTRY_LOAD_IA32_EFER))
        x->efer_slot = add_to_area(x, true, MSR_IA32_EFER, 0);
    if (!(entry_ctls & VM_ENTRY_LOAD_IA32_PAT))
        x->pat_slot = add_to_area(x, true, MSR_IA32_PAT, 0);
}

void vmx_set_guest_efer(struct vcpu_vmx *x, uint64_t efer)
{
    if (x->efer_slot >= 0)
        area_entry(x, MSR_AREA_ENTRY_OFFSET, (unsigned)x->efer_slot)->value = efer;
    else
        vmcs_write(GUEST_IA32_EFER, efer);
}

void vmx_set_guest_pat(struct vcpu_vmx *x, uint64_t pat)
{
    if (x->pat_slot >= 0)
        area_entry(x, MSR_AREA_ENTRY_OFFSET, (unsigned)x->pat_slot)->value = pat;
    else
        vmcs_write(GUEST_IA32_PAT, pat);
}
