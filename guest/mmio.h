/* Emulating a guest's access to an MMIO region (guest/mmio.c): fetch the
 * instruction at RIP, decode it, perform it against the region's device. */
#ifndef KEEL_GUEST_MMIO_H
#define KEEL_GUEST_MMIO_H

#include <stdint.h>

#include "guest/vm.h"

/* Returns true when the instruction completed (RIP was advanced); false when
 * it must run again (a REP run in progress, or an exception was injected) or
 * the VM was stopped (an instruction keel cannot emulate). */
bool mmio_emulate(struct vcpu *v, const struct mmio_region *region, uint64_t gpa);

#endif
