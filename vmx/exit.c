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
 * decoded report, and keel goes on.  The dispatch itself is in the exit
 * path (vmx_exit_begin(), vmx/run.c), which also reads what the
 * flags below ask for.
 */
#include "vmx/vcpu_vmx.h"

#include "guest/vcpu.h"
#include "kernel/log.h"
#include "vmx/exit_qual.h"
#include "vmx/vmcs.h"

/*
 * What the exit path reads before the handler runs follows the flags:
 *   EXIT_NO_QUALIFICATION   the exit qualification is undefined or 0 (SDM
 *                           vol. 3C 28.2.1, table 28-1 lists the exits that
 *                           have one): it is not read, and nothing else is
 *                           (so such a reason has neither flag below: the
 *                           exit path tests this one alone)
 *   EXIT_DURING_DELIVERY    the exit can happen while the CPU delivers an
 *                           event through the IDT (SDM vol. 3C 28.2.4), so
 *                           the IDT-vectoring information is read; an
 *                           instruction exit (CPUID, I/O, ...) cannot
 *   EXIT_HAS_GPA            GUEST_PHYSICAL_ADDRESS is valid (EPT violations
 *                           and misconfigurations, SDM 28.2.1)
 * A reason keel does not expect goes to vmx_exit_unhandled(), its
 * qualification read for the report.
 */
#define NO_QUAL EXIT_NO_QUALIFICATION
#define DELIVERY EXIT_DURING_DELIVERY

/* Every slot starts as vmx_exit_unhandled (a GNU range designator), so the
 * exit path calls what it finds without a test; the entries below replace
 * it, which -Woverride-init would warn about. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
const struct vmx_exit_kind vmx_exits[VMX_EXIT_KINDS] = {
    [0 ... VMX_EXIT_KINDS - 1] = { vmx_exit_unhandled, 0 },
    [EXIT_REASON_EXCEPTION_NMI] = { vmx_exit_exception_nmi, DELIVERY },
    [EXIT_REASON_EXTERNAL_INTERRUPT] = { vmx_exit_external_interrupt, NO_QUAL },
    [EXIT_REASON_TRIPLE_FAULT] = { vmx_exit_triple_fault, DELIVERY },
    [EXIT_REASON_INTERRUPT_WINDOW] = { vmx_exit_interrupt_window, NO_QUAL },
    [EXIT_REASON_NMI_WINDOW] = { vmx_exit_nmi_window, NO_QUAL },
    [EXIT_REASON_INIT_SIGNAL] = { vmx_exit_init_signal, 0 },
    [EXIT_REASON_SIPI] = { vmx_exit_sipi, 0 },
    [EXIT_REASON_TASK_SWITCH] = { vmx_exit_unhandled, DELIVERY },
    [EXIT_REASON_CPUID] = { vmx_exit_cpuid, NO_QUAL },
    [EXIT_REASON_HLT] = { vmx_exit_hlt, NO_QUAL },
    [EXIT_REASON_INVLPG] = { vmx_exit_invlpg, 0 },
    [EXIT_REASON_INVD] = { vmx_exit_cache_flush, NO_QUAL },
    [EXIT_REASON_WBINVD] = { vmx_exit_cache_flush, NO_QUAL },
    [EXIT_REASON_RDPMC] = { vmx_exit_rdpmc, NO_QUAL },
    [EXIT_REASON_VMCALL] = { vmx_exit_vmcall, NO_QUAL },
    [EXIT_REASON_VMCLEAR] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_VMLAUNCH] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_VMPTRLD] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_VMPTRST] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_VMREAD] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_VMRESUME] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_VMWRITE] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_VMXOFF] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_VMXON] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_INVEPT] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_INVVPID] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_VMFUNC] = { vmx_exit_vmx_instruction, 0 },
    [EXIT_REASON_CR_ACCESS] = { vmx_exit_cr_access, 0 },
    [EXIT_REASON_IO_INSTRUCTION] = { vmx_exit_io, 0 },
    [EXIT_REASON_MSR_READ] = { vmx_exit_msr_read, NO_QUAL },
    [EXIT_REASON_MSR_WRITE] = { vmx_exit_msr_write, NO_QUAL },
    [EXIT_REASON_MWAIT] = { vmx_exit_monitor_mwait, 0 },
    [EXIT_REASON_MONITOR] = { vmx_exit_monitor_mwait, 0 },
    [EXIT_REASON_TPR_BELOW_THRESHOLD] = { vmx_exit_tpr_below_threshold, NO_QUAL },
    [EXIT_REASON_APIC_ACCESS] = { vmx_exit_apic_access, DELIVERY },
    [EXIT_REASON_VIRTUALIZED_EOI] = { vmx_exit_virtualized_eoi, 0 },
    [EXIT_REASON_EPT_VIOLATION] = { vmx_exit_ept_violation, DELIVERY | EXIT_HAS_GPA },
    [EXIT_REASON_EPT_MISCONFIG] = { vmx_exit_ept_misconfig, DELIVERY | EXIT_HAS_GPA },
    [EXIT_REASON_PREEMPTION_TIMER] = { vmx_exit_preemption_timer, NO_QUAL },
    [EXIT_REASON_XSETBV] = { vmx_exit_xsetbv, NO_QUAL },
    [EXIT_REASON_APIC_WRITE] = { vmx_exit_apic_write, 0 },
    [EXIT_REASON_PML_FULL] = { vmx_exit_unhandled, DELIVERY },
    [EXIT_REASON_SPP] = { vmx_exit_unhandled, DELIVERY },
};
#pragma GCC diagnostic pop

/* The console may ask for any VM's registers: its VMCS must be the
 * current one before anything is read from it. */
void vcpu_dump(struct vcpu *v)
{
    vmx_vcpu_activate(v);
    vmx_report_vcpu(v);
}

void vmx_report_vcpu(struct vcpu *v)
{
    const struct guest_regs *r = &v->regs;
    kprintf("  exit reason %u (%s), qualification 0x%lx\n",
            v->exit_reason & EXIT_REASON_BASIC_MASK,
            exit_reason_name(v->exit_reason & EXIT_REASON_BASIC_MASK), vmx_exit_qualification(v));
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

enum exit_action vmx_exit_unhandled(struct vcpu *v)
{
    unsigned reason = v->exit_reason & EXIT_REASON_BASIC_MASK;
    kprintf("keel: vm %s: unexpected VM exit %u (%s)\n", v->vm->name, reason,
            exit_reason_name(reason));
    vmx_report_vcpu(v);
    vm_stop(v->vm, VM_STOP_UNHANDLED, 0, "unexpected exit %s", exit_reason_name(reason));
    return EXIT_RESUME;
}
