/* EPT violations (accesses to guest-physical addresses that are not RAM:
 * MMIO is emulated, anything else stops the VM with a report) and EPT
 * misconfigurations (keel's own tables are wrong: a keel bug). */
#include "guest/mmio.h"
#include "guest/vcpu.h"
#include "kernel/log.h"
#include "vmx/exit_qual.h"
#include "vmx/vcpu_vmx.h"
#include "vmx/vmcs.h"

void vmx_stop_bad_access(struct vcpu *v, uint64_t gpa, bool gla_valid, uint64_t gla,
                         bool write, bool fetch)
{
    const char *what = fetch ? "fetch" : write ? "write" : "read";
    kprintf("keel: vm %s: %s of guest-physical %lx, which is neither RAM nor a device\n",
            v->vm->name, what, gpa);
    if (gla_valid)
        kprintf("  guest-linear address %lx\n", gla);
    vmx_report_vcpu(v);
    vm_stop(v->vm, VM_STOP_BAD_ACCESS, 0, "%s of guest-physical %lx at RIP %lx", what, gpa,
            vcpu_rip(v));
}

/* Anything but a data access to MMIO: the report. */
static __attribute__((noinline)) enum exit_action bad_access(struct vcpu *v, uint64_t qual,
                                                             uint64_t gpa)
{
    struct gpa_fault f;
    vmx_decode_ept_violation(qual, gpa, vmcs_read(GUEST_LINEAR_ADDRESS), &f);
    if (f.gla_valid && f.during_walk)
        kprintf("keel: vm %s: the guest's page walk for %lx touched it\n", v->vm->name, f.gla);
    vmx_stop_bad_access(v, gpa, f.gla_valid, f.gla, f.write, f.fetch);
    return EXIT_RESUME;
}

/* A data access to an MMIO region is emulated; only then is the whole
 * qualification (and the guest-linear address) decoded, for the report. */
enum exit_action vmx_exit_ept_violation(struct vcpu *v)
{
    uint64_t qual = vmx_exit_qualification(v);
    uint64_t gpa = vmx_exit_gpa(v);
    const struct mmio_region *region = vm_find_mmio(v->vm, gpa);
    if (!region || vmx_ept_qual_fetch(qual))
        return bad_access(v, qual, gpa);
    mmio_emulate(v, region, gpa);
    return EXIT_RESUME;
}

enum exit_action vmx_exit_ept_misconfig(struct vcpu *v)
{
    uint64_t gpa = vmx_exit_gpa(v);
    vmx_report_vcpu(v);
    panic("EPT misconfiguration for guest-physical %lx of vm %s (EPTP %lx): keel built a bad "
          "EPT entry", gpa, v->vm->name, to_vmx(v)->eptp);
}
