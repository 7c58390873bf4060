/*
 * Running VMs: round robin on the one CPU keel uses.  A vCPU runs until it
 * stops, waits (HLT with interrupts on) or its time slice ends (the VMX
 * preemption timer, where the CPU has one).  A VM waiting for an interrupt
 * no device can raise yet would wait forever: once nothing else can run,
 * such VMs are stopped as "idle forever".
 */
#include "arch/x86/cpu.h"
#include "guest/focus.h"
#include "guest/vcpu.h"
#include "guest/vm_table.h"
#include "kernel/log.h"

/* One pass over the VMs; input is routed between time slices.  A VM that
 * went idle gets its partial output line printed: it may be a prompt. */
static bool run_round(void)
{
    bool ran = false;
    for (size_t i = 0; i < nr_vms; i++) {
        focus_poll();
        if (vms[i].state == VM_STATE_RESETTING)
            vm_restart(&vms[i]);
        if (vms[i].state != VM_STATE_RUNNABLE)
            continue;
        vcpu_run(&vms[i].vcpu);
        if (vms[i].state == VM_STATE_WAITING)
            vm_console_flush(&vms[i]);
        ran = true;
    }
    return ran;
}

static bool any_paused(void)
{
    for (size_t i = 0; i < nr_vms; i++)
        if (vms[i].state == VM_STATE_PAUSED)
            return true;
    return false;
}

static void stop_idle_vms(void)
{
    for (size_t i = 0; i < nr_vms; i++)
        if (vms[i].state == VM_STATE_WAITING)
            vm_stop(&vms[i], VM_STOP_IDLE_FOREVER, 0,
                    "HLT with interrupts enabled, and no device can interrupt it");
}

size_t vms_run(void)
{
    focus_init();
    for (;;) {
        if (run_round())
            continue;
        /* Nothing can run: a paused VM may still be resumed from the
         * console, so keep listening while there is one. */
        if (!any_paused())
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
