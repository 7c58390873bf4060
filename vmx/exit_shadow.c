/* The exits shadow paging needs (no EPT): #PF, INVLPG.  MOV to/from CR3
 * arrive as CR-access exits and reach vcpu_load_cr3()/vcpu_cr3(). */
#include "arch/x86/traps.h"
#include "guest/mmio.h"
#include "guest/shadow_mmu.h"
#include "guest/vcpu.h"
#include "kernel/log.h"
#include "vmx/vcpu_vmx.h"
#include "vmx/vmcs.h"

/* A #PF on guest-physical memory that is not RAM: an MMIO access where a
 * device is, the VM stopped where none is. */
static void not_ram(struct vcpu *v, uint64_t gla, uint32_t error, uint64_t gpa)
{
    const struct mmio_region *region = vm_find_mmio(v->vm, gpa);
    if (region)
        mmio_emulate(v, region, gpa);
    else
        vmx_stop_bad_access(v, gpa, true, gla, error & PF_ERR_WRITE, error & PF_ERR_FETCH);
}

enum exit_action vmx_exit_shadow_page_fault(struct vcpu *v, uint64_t gla, uint32_t error)
{
    uint32_t guest_error = 0;
    uint64_t gpa = 0;
    switch (shadow_page_fault(v, gla, error, &guest_error, &gpa)) {
    case SHADOW_FIXED:
        break;
    case SHADOW_GUEST_FAULT:
        vcpu_set_cr2(v, gla);
        vcpu_inject_exception(v, EXC_PF, true, guest_error);
        break;
    case SHADOW_NOT_RAM:
        not_ram(v, gla, error, gpa);
        break;
    case SHADOW_BAD_TABLES:
        kprintf("keel: vm %s: its page tables for %lx lie outside its RAM\n", v->vm->name, gla);
        vmx_report_vcpu(v);
        vm_stop(v->vm, VM_STOP_BAD_ACCESS, 0, "page tables outside RAM for linear %lx", gla);
        break;
    }
    return EXIT_RESUME;
}

/* INVLPG drops one address from the guest's TLB, and so from the shadows
 * (exit qualification = the linear address: SDM vol. 3C 28.2.1). */
enum exit_action vmx_exit_invlpg(struct vcpu *v)
{
    if (v->shadow)
        shadow_invlpg(v, vmx_exit_qualification(v));
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}
