/*
 * Checked access to the current VMCS (vmx/vmcs.c).  A failed VMREAD/VMWRITE
 * is a keel bug (a field the CPU does not have, a read-only field written), so
 * it panics naming the field, the VM-instruction error and the caller.
 */
#ifndef KEEL_VMX_VMCS_H
#define KEEL_VMX_VMCS_H

#include <stdint.h>

#include "vmx/vmcs_fields.h"
#include "vmx/vmx_ops.h"

#include "arch/x86/traps.h"

/* What a failed access's UD2 (below) is reported with, from the registers:
 * RDI the field, RSI the value a VMWRITE was to write (vmx/vmcs.c). */
const char *vmcs_read_failure_report(const struct trap_frame *frame);
const char *vmcs_write_failure_report(const struct trap_frame *frame);

/* Inline: these run several times on every exit, so the success path is
 * the VMX instruction and one conditional jump (VMfail sets CF or ZF: SDM
 * vol. 3C 31.2).  The failure path is a UD2 (arch/x86/traps.h), not a
 * call, so that a function using them needs no stack frame for it: keel's
 * crash report then names the field and the VM-instruction error (which
 * the report asks for again: nothing changed in between) and where it was. */
static inline __attribute__((always_inline)) uint64_t vmcs_read(enum vmcs_field field)
{
    uint64_t value;
    __asm__ goto("vmread %[f], %[v]\n\tjbe %l[failed]"
                 : [v] "=r"(value)
                 : [f] "r"((uint64_t)field)
                 : "cc"
                 : failed);
    return value;
failed:
    __asm__ __volatile__(TRAP_REPORT_UD2("%c[report]")
                         :
                         : "D"((uint64_t)field), [report] "i"(vmcs_read_failure_report));
    __builtin_unreachable();
}

static inline __attribute__((always_inline)) void vmcs_write(enum vmcs_field field,
                                                             uint64_t value)
{
    __asm__ goto("vmwrite %[v], %[f]\n\tjbe %l[failed]"
                 :
                 : [f] "r"((uint64_t)field), [v] "r"(value)
                 : "cc"
                 : failed);
    return;
failed:
    __asm__ __volatile__(TRAP_REPORT_UD2("%c[report]")
                         :
                         : "D"((uint64_t)field), "S"(value),
                           [report] "i"(vmcs_write_failure_report));
    __builtin_unreachable();
}

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
