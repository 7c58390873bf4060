/*
 * Checked access to the current VMCS (vmx/vmcs.c).  A failed VMREAD/VMWRITE
 * is a keel bug (a field the CPU does not have, a read-only field written), so
 * it panics naming the field, the VM-instruction error and the caller.
 */
#ifndef KEEL_VMX_VMCS_H
#define KEEL_VMX_VMCS_H

#include <stdint.h>

#include "vmx/vmcs_fields.h"

uint64_t vmcs_read(enum vmcs_field field);
void vmcs_write(enum vmcs_field field, uint64_t value);

static inline uint32_t vmcs_read32(enum vmcs_field field)
{
    return (uint32_t)vmcs_read(field);
}

/* Sets or clears bits of a control field. */
void vmcs_set_bits(enum vmcs_field field, uint64_t bits);
void vmcs_clear_bits(enum vmcs_field field, uint64_t bits);

/* The VM-instruction error of the current VMCS, by name. */
const char *vmcs_instruction_error_text(void);

/* VMCLEAR / VMPTRLD of a VMCS region; panic on failure. */
void vmcs_clear(uint64_t phys);
void vmcs_load(uint64_t phys);

#endif
