/* REP INS/OUTS emulation (guest/string_io.c), for any backend. */
#ifndef KEEL_GUEST_STRING_IO_H
#define KEEL_GUEST_STRING_IO_H

#include <stdbool.h>

#include "guest/vm.h"
#include "guest/x86.h"

/* Emulates a string I/O instruction: a whole REP run in one exit, element by
 * element, each guest address translated through the guest's page tables.
 * Returns true when the instruction completed (the caller advances RIP);
 * false when it must be executed again (a fault was injected, or a long REP
 * run was split and RCX/RSI/RDI say where to go on). */
bool string_io_emulate(struct vcpu *v, const struct pio_access *acc);

#endif
