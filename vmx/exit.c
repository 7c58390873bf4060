/*
 * VM-exit dispatch: one table indexed by the basic exit reason (SDM vol. 3D
 * appendix C).
 *
 * Convention: a handler gets the vCPU whose exit it is, with the exit reason
 * and qualification already read (struct vcpu_vmx).  It either emulates the
 * instruction or event and returns EXIT_RESUME (advancing RIP itself, only
 * for instruction exits), or returns EXIT_YIELD to let the scheduler run
 * something else, or stops the VM with vm_stop() (the run loop sees the
 * state and does not enter the guest again).  An empty slot means keel does
 * not expect that exit with the controls it sets: the VM is stopped with a
 * decoded report, and keel goes on.
 */
#include "vmx/vcpu_vmx.h"

#include "guest/vcpu.h"
#include "kernel/log.h"
#include "vmx/exit_qual.h"
#include "vmx/vmcs.h"

typedef enum exit_action (*exit_handler_fn)(struct vcpu *v);

static const exit_handler_fn exit_handlers[NR_EXIT_REASONS] = {
    [EXIT_REASON_EXCEPTION_NMI] = vmx_exit_exception_nmi,
    [EXIT_REASON_EXTERNAL_INTERRUPT] = vmx_exit_external_interrupt,
    [EXIT_REASON_TRIPLE_FAULT] = vmx_exit_triple_fault,
    [EXIT_REASON_INTERRUPT_WINDOW] = vmx_exit_interrupt_window,
    [EXIT_REASON_NMI_WINDOW] = vmx_exit_nmi_window,
    [EXIT_REASON_INIT_SIGNAL] = vmx_exit_init_signal,
    [EXIT_REASON_SIPI] = vmx_exit_sipi,
    [EXIT_REASON_CPUID] = vmx_exit_cpuid,
    [EXIT_REASON_HLT] = vmx_exit_hlt,
    [EXIT_REASON_INVLPG] = vmx_exit_invlpg,
    [EXIT_REASON_INVD] = vmx_exit_cache_flush,
    [EXIT_REASON_WBINVD] = vmx_exit_cache_flush,
    [EXIT_REASON_RDPMC] = vmx_exit_rdpmc,
    [EXIT_REASON_VMCALL] = vmx_exit_vmcall,
    [EXIT_REASON_VMCLEAR] = vmx_exit_vmx_instruction,
    [EXIT_REASON_VMLAUNCH] = vmx_exit_vmx_instruction,
    [EXIT_REASON_VMPTRLD] = vmx_exit_vmx_instruction,
    [EXIT_REASON_VMPTRST] = vmx_exit_vmx_instruction,
    [EXIT_REASON_VMREAD] = vmx_exit_vmx_instruction,
    [EXIT_REASON_VMRESUME] = vmx_exit_vmx_instruction,
    [EXIT_REASON_VMWRITE] = vmx_exit_vmx_instruction,
    [EXIT_REASON_VMXOFF] = vmx_exit_vmx_instruction,
    [EXIT_REASON_VMXON] = vmx_exit_vmx_instruction,
    [EXIT_REASON_INVEPT] = vmx_exit_vmx_instruction,
    [EXIT_REASON_INVVPID] = vmx_exit_vmx_instruction,
    [EXIT_REASON_VMFUNC] = vmx_exit_vmx_instruction,
    [EXIT_REASON_CR_ACCESS] = vmx_exit_cr_access,
    [EXIT_REASON_IO_INSTRUCTION] = vmx_exit_io,
    [EXIT_REASON_MSR_READ] = vmx_exit_msr_read,
    [EXIT_REASON_MSR_WRITE] = vmx_exit_msr_write,
    [EXIT_REASON_MWAIT] = vmx_exit_monitor_mwait,
    [EXIT_REASON_MONITOR] = vmx_exit_monitor_mwait,
    [EXIT_REASON_EPT_VIOLATION] = vmx_exit_ept_violation,
    [EXIT_REASON_EPT_MISCONFIG] = vmx_exit_ept_misconfig,
    [EXIT_REASON_PREEMPTION_TIMER] = vmx_exit_preemption_timer,
    [EXIT_REASON_XSETBV] = vmx_exit_xsetbv,
    [EXIT_REASON_TPR_BELOW_THRESHOLD] = vmx_exit_tpr_below_threshold,
};

/* The console may ask for any VM's registers: its VMCS must be the
 * current one before anything is read from it. */
void vcpu_dump(struct vcpu *v)
{
    vmx_vcpu_activate(v);
    vmx_report_vcpu(v);
}

void vmx_report_vcpu(struct vcpu *v)
{
    struct vcpu_vmx *x = to_vmx(v);
    const struct guest_regs *r = &v->regs;
    kprintf("  exit reason %u (%s), qualification 0x%lx\n",
            x->exit_reason & EXIT_REASON_BASIC_MASK,
            exit_reason_name(x->exit_reason & EXIT_REASON_BASIC_MASK), x->exit_qualification);
    kprintf("  RIP=%016lx RSP=%016lx RFLAGS=%016lx\n", vcpu_rip(v),
            vmcs_read(GUEST_RSP), vmcs_read(GUEST_RFLAGS));
    kprintf("  RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx\n", r->gpr[GPR_RAX],
            r->gpr[GPR_RBX], r->gpr[GPR_RCX], r->gpr[GPR_RDX]);
    kprintf("  RSI=%016lx RDI=%016lx RBP=%016lx\n", r->gpr[GPR_RSI], r->gpr[GPR_RDI],
            r->gpr[GPR_RBP]);
    kprintf("  CR0=%016lx CR3=%016lx CR4=%016lx EFER=%016lx\n", vcpu_cr0(v), vcpu_cr3(v),
            vcpu_cr4(v), vcpu_efer(v));
    kprintf("  IDT-vectoring info 0x%x, interruption info 0x%x\n",
            vmcs_read32(IDT_VECTORING_INFO_FIELD), vmcs_read32(VM_EXIT_INTR_INFO));
}

static enum exit_action exit_unhandled(struct vcpu *v)
{
    unsigned reason = to_vmx(v)->exit_reason & EXIT_REASON_BASIC_MASK;
    kprintf("keel: vm %s: unexpected VM exit %u (%s)\n", v->vm->name, reason,
            exit_reason_name(reason));
    vmx_report_vcpu(v);
    vm_stop(v->vm, VM_STOP_UNHANDLED, 0, "unexpected exit %s", exit_reason_name(reason));
    return EXIT_RESUME;
}

enum exit_action vmx_handle_exit(struct vcpu *v)
{
    unsigned reason = to_vmx(v)->exit_reason & EXIT_REASON_BASIC_MASK;
    if (reason >= NR_EXIT_REASONS || !exit_handlers[reason])
        return exit_unhandled(v);
    return exit_handlers[reason](v);
}
