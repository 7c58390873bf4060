/* RDMSR/WRMSR exits: the MSR bitmap lets the guest's own MSRs through; the
 * rest come here and follow keel's policy (guest/msr_emul.c). */
#include "arch/x86/traps.h"
#include "guest/msr_emul.h"
#include "guest/vcpu.h"
#include "kernel/log.h"
#include "vmx/exit_qual.h"
#include "vmx/vcpu_vmx.h"

enum exit_action vmx_exit_msr_read(struct vcpu *v)
{
    uint32_t msr = vmx_decode_msr_index(&v->regs);
    uint64_t value;
    if (!msr_emul_read(v, msr, &value)) {
        pr_debug("vm %s: RDMSR 0x%x: unknown MSR, #GP", v->vm->name, msr);
        vcpu_inject_exception(v, EXC_GP, true, 0);
        return EXIT_RESUME;
    }
    v->regs.gpr[GPR_RAX] = value & 0xffffffffu;
    v->regs.gpr[GPR_RDX] = value >> 32;
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

enum exit_action vmx_exit_msr_write(struct vcpu *v)
{
    uint32_t msr = vmx_decode_msr_index(&v->regs);
    uint64_t value = vmx_decode_msr_write_value(&v->regs);
    if (!msr_emul_write(v, msr, value)) {
        pr_debug("vm %s: WRMSR 0x%x <- %lx refused, #GP", v->vm->name, msr, value);
        vcpu_inject_exception(v, EXC_GP, true, 0);
        return EXIT_RESUME;
    }
    vcpu_skip_instruction(v);
    return EXIT_RESUME;
}
