/*
 * Running VMs: round robin on the one CPU keel uses.  A vCPU runs until it
 * stops, waits (HLT with interrupts on) or its time slice ends (the VMX
 * preemption timer, or the host's local APIC timer where VT-x has none).
 * A waiting VM becomes runnable when an interrupt becomes deliverable to
 * it: a timer fired, a device raised a line.  When nothing can run, keel
 * spins until the earliest virtual timer is due.  A VM that waits with no
 * timer armed would wait forever: once nothing else can run, such VMs are
 * stopped as "idle forever".
 */
#include "arch/x86/cpu.h"
#include "guest/focus.h"
#include "guest/pc_machine.h"
#include "guest/vcpu_intr.h"
#include "guest/vcpu.h"
#include "guest/vm_table.h"
#include "kernel/log.h"

/* A waiting VM's timers are brought up to date when due; it runs again
 * once something can interrupt its HLT. */
static void wake_if_interrupted(struct vm *vm)
{
    if (pc_timers_due(vm, rdtsc()))
        pc_update_timers(vm);
    if (vcpu_intr_any_pending(&vm->vcpu))
        vm->state = VM_STATE_RUNNABLE;
}

/* One pass over the VMs; input is routed between time slices.  A VM that
 * went idle gets its partial output line printed: it may be a prompt. */
static bool run_round(void)
{
    bool ran = false;
    for (size_t i = 0; i < nr_vms; i++) {
        focus_poll();
        if (vms[i].state == VM_STATE_RESETTING)
            vm_restart(&vms[i]);
        if (vms[i].state == VM_STATE_WAITING)
            wake_if_interrupted(&vms[i]);
        if (vms[i].state != VM_STATE_RUNNABLE)
            continue;
        vcpu_run(&vms[i].vcpu);
        if (vms[i].state == VM_STATE_WAITING)
            vm_console_flush(&vms[i]);
        ran = true;
    }
    return ran;
}

/* Something may still happen: a paused VM can be resumed from the
 * console, a waiting VM's timer will fire. */
static bool anything_to_wait_for(void)
{
    for (size_t i = 0; i < nr_vms; i++) {
        if (vms[i].state == VM_STATE_PAUSED)
            return true;
        if (vms[i].state == VM_STATE_WAITING && vms[i].timer_deadline != UINT64_MAX)
            return true;
    }
    return false;
}

static void stop_idle_vms(void)
{
    for (size_t i = 0; i < nr_vms; i++)
        if (vms[i].state == VM_STATE_WAITING)
            vm_stop(&vms[i], VM_STOP_IDLE_FOREVER, 0,
                    "HLT with interrupts enabled, no timer armed and nothing pending");
}

size_t vms_run(void)
{
    focus_init();
    for (;;) {
        if (run_round())
            continue;
        /* Nothing can run now: keep listening while something may. */
        if (!anything_to_wait_for())
            break;
        focus_poll();
        cpu_relax();
    }
    stop_idle_vms();

    size_t unexpected = 0;
    kprintf("keel: results:\n");
    for (size_t i = 0; i < nr_vms; i++) {
        const struct vm *vm = &vms[i];
        bool ok = vm_outcome_as_expected(vm);
        unexpected += !ok;
        kprintf("  %-16s %-16s status=%-4lu expected %-14s %s\n", vm->name,
                vm_stop_reason_name(vm->stop_reason), vm->stop_status,
                vm_expect_name(vm->config->expect), ok ? "ok" : "UNEXPECTED");
    }
    return unexpected;
}
