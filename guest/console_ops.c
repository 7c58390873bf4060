/*
 * What keel's console commands (guest/console_cmd.c) do to the VMs: the
 * struct console_ops the interpreter calls through.
 */
#include "guest/console_ops.h"

#include "guest/vcpu.h"
#include "guest/vm_table.h"
#include "lib/string.h"

static const char *const state_names[] = {
    [VM_STATE_NOT_STARTED] = "not started",
    [VM_STATE_RUNNABLE] = "running",
    [VM_STATE_WAITING] = "waiting (HLT)",
    [VM_STATE_RESETTING] = "resetting",
    [VM_STATE_PAUSED] = "paused",
    [VM_STATE_STOPPED] = "stopped",
};

static struct vm *find_vm(const char *name, void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < nr_vms; i++)
        if (strcmp(vms[i].name, name) == 0)
            return &vms[i];
    return NULL;
}

static uint64_t total_exits(const struct vcpu *v)
{
    uint64_t total = 0;
    for (unsigned r = 0; r < NR_EXIT_REASONS; r++)
        total += v->stats.reason[r].count;
    return total;
}

static void list_vms(struct console_cmd *con, void *ctx)
{
    (void)ctx;
    console_cmd_printf(con, "%-16s %-14s %8s %10s  %s", "name", "state", "memory", "exits",
                       "stopped because");
    for (size_t i = 0; i < nr_vms; i++) {
        const struct vm *vm = &vms[i];
        console_cmd_printf(con, "%-16s %-14s %5lu MiB %10lu  %s", vm->name,
                           state_names[vm->state], vm->ram_size >> 20,
                           total_exits(&vm->vcpu),
                           vm->state == VM_STATE_STOPPED ? vm->stop_detail : "");
    }
}

static void print_stats_of(struct console_cmd *con, const struct vm *vm, bool histograms)
{
    console_cmd_printf(con, "vm %s:", vm->name);
    exit_stats_render(&vm->vcpu.stats, EXIT_TICKS_UNIT, histograms ? 40 : 0,
                      console_cmd_print_line, con);
}

static void print_stats(struct console_cmd *con, struct vm *vm, bool histograms, void *ctx)
{
    (void)ctx;
    if (vm) {
        print_stats_of(con, vm, histograms);
        return;
    }
    for (size_t i = 0; i < nr_vms; i++)
        if (vms[i].state != VM_STATE_NOT_STARTED)
            print_stats_of(con, &vms[i], histograms);
}

static void print_trace(struct console_cmd *con, struct vm *vm, void *ctx)
{
    (void)ctx;
    exit_trace_dump(&vm->vcpu.trace, EXIT_TICKS_UNIT, console_cmd_print_line, con);
}

static void print_regs(struct console_cmd *con, struct vm *vm, void *ctx)
{
    (void)ctx;
    if (vm->state == VM_STATE_NOT_STARTED) {
        console_cmd_printf(con, "vm %s never ran", vm->name);
        return;
    }
    vcpu_dump(&vm->vcpu);
}

static void reset_stats(struct vm *vm, void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < nr_vms; i++)
        if (!vm || vm == &vms[i])
            exit_stats_reset(&vms[i].vcpu.stats);
}

static int refuse(char *why, size_t len, const char *text)
{
    kstrlcpy(why, text, len);
    return -1;
}

static int pause_vm(struct vm *vm, char *why, size_t len, void *ctx)
{
    (void)ctx;
    if (vm->state == VM_STATE_STOPPED || vm->state == VM_STATE_NOT_STARTED)
        return refuse(why, len, "it is not running");
    if (vm->state == VM_STATE_PAUSED)
        return refuse(why, len, "it is paused already");
    vm->paused_from = vm->state;
    vm->state = VM_STATE_PAUSED;
    return 0;
}

static int resume_vm(struct vm *vm, char *why, size_t len, void *ctx)
{
    (void)ctx;
    if (vm->state != VM_STATE_PAUSED)
        return refuse(why, len, "it is not paused");
    vm->state = vm->paused_from;
    return 0;
}

static int stop_vm(struct vm *vm, char *why, size_t len, void *ctx)
{
    (void)ctx;
    if (vm->state == VM_STATE_STOPPED || vm->state == VM_STATE_NOT_STARTED)
        return refuse(why, len, "it is not running");
    vm_stop(vm, VM_STOP_CONSOLE, 0, "stopped from keel's console");
    return 0;
}

const struct console_ops keel_console_ops = {
    .find_vm = find_vm,
    .list_vms = list_vms,
    .print_stats = print_stats,
    .print_trace = print_trace,
    .print_regs = print_regs,
    .reset_stats = reset_stats,
    .pause_vm = pause_vm,
    .resume_vm = resume_vm,
    .stop_vm = stop_vm,
};
