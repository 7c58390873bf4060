/* The boot-time VT-x probe (vmx/probe.c): reads CPUID and the VMX capability
 * MSRs of the CPU keel runs on and prints what it found. */
#ifndef KEEL_VMX_PROBE_H
#define KEEL_VMX_PROBE_H

#include <stdbool.h>

#include "vmx/vmx_caps.h"

/* Fills *out, prints the "VT-x:" report with kprintf and returns whether keel
 * can use VT-x (vmx_unsupported_reason() is NULL).  Reads only the MSRs the
 * CPU says exist, so it never faults; changes no CPU state (in particular it
 * does not write IA32_FEATURE_CONTROL: out->feature_control_can_enable says
 * whether VMXON setup has to). */
bool vmx_probe(struct vmx_caps *out);

#endif
