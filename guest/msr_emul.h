/* keel's MSR policy for guests (guest/msr_emul.c): which MSRs a guest may
 * read or write and what it sees.  MSRs the guest owns outright go through
 * the MSR bitmap and never reach here (vmx/vmcs_init.c). */
#ifndef KEEL_GUEST_MSR_EMUL_H
#define KEEL_GUEST_MSR_EMUL_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/vm.h"

/* Returns false when the MSR is unknown or the value invalid: the caller
 * injects #GP(0), as a CPU without that MSR would (SDM vol. 4 2.1). */
bool msr_emul_read(struct vcpu *v, uint32_t msr, uint64_t *value);
bool msr_emul_write(struct vcpu *v, uint32_t msr, uint64_t value);

#endif
