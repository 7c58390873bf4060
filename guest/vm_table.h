/* The VMs of this keel run (guest/vm.c) and running them (guest/sched.c). */
#ifndef KEEL_GUEST_VM_TABLE_H
#define KEEL_GUEST_VM_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "guest/vm.h"

struct boot_info;

/* What exit latencies are counted in: the TSC.  Under Bochs the TSC counts
 * emulated instructions, so there these are path lengths, not time. */
#define EXIT_TICKS_UNIT "TSC ticks"

extern struct vm vms[VM_MAX_VMS];
extern size_t nr_vms;

/* Parses the module lines, prints the VM table, and builds every VM whose
 * configuration is valid.  Returns how many VMs were configured. */
size_t vms_create(const struct boot_info *bi);

/* Starts a VM whose guest reset itself again (guest/vm.c). */
void vm_restart(struct vm *vm);

/* Runs the VMs round robin until all have stopped.  Returns how many ended
 * other than as their expect= said, after printing the summary. */
size_t vms_run(void);

/* Backend: second-level address translation for vm->gpa_map (EPT); fills
 * vm->eptp.  Returns 0, or -1 with the reason in vm->stop_detail. */
int vm_arch_build_address_space(struct vm *vm);

#endif
