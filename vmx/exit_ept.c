/* EPT violations (accesses to guest-physical addresses that are not RAM:
 * MMIO is emulated, anything else stops the VM with a report) and EPT
 * misconfigurations (keel's own tables are wrong: a keel bug). */
#include "guest/mmio.h"
#include "guest/vcpu.h"
#include "kernel/log.h"
#include "vmx/exit_qual.h"
#include "vmx/vcpu_vmx.h"
#include "vmx/vmcs.h"

static void report_bad_access(struct vcpu *v, const struct gpa_fault *f)
{
    kprintf("keel: vm %s: %s of guest-physical %lx, which is neither RAM nor a device\n",
            v->vm->name, f->fetch ? "instruction fetch" : f->write ? "write" : "read", f->gpa);
    if (f->gla_valid)
        kprintf("  guest-linear address %lx (%s)\n", f->gla,
                f->during_walk ? "during the guest's page walk" : "the access itself");
    vmx_report_vcpu(v);
}

enum exit_action vmx_exit_ept_violation(struct vcpu *v)
{
    struct gpa_fault f;
    uint64_t qual = to_vmx(v)->exit_qualification;
    uint64_t gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
    uint64_t gla = vmcs_read(GUEST_LINEAR_ADDRESS);
    vmx_decode_ept_violation(qual, gpa, gla, &f);

    const struct mmio_region *region = vm_find_mmio(v->vm, gpa);
    if (region && !f.fetch) {
        mmio_emulate(v, region, gpa);
        return EXIT_RESUME;
    }
    report_bad_access(v, &f);
    vm_stop(v->vm, VM_STOP_BAD_ACCESS, 0, "%s of guest-physical %lx at RIP %lx",
            f.fetch ? "fetch" : f.write ? "write" : "read", gpa, vcpu_rip(v));
    return EXIT_RESUME;
}

enum exit_action vmx_exit_ept_misconfig(struct vcpu *v)
{
    uint64_t gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
    vmx_report_vcpu(v);
    panic("EPT misconfiguration for guest-physical %lx of vm %s (EPTP %lx): keel built a bad "
          "EPT entry", gpa, v->vm->name, to_vmx(v)->eptp);
}
