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

/* The failure paths, out of line: they panic, naming where in keel the
 * access was. */
_Noreturn void vmcs_read_failed(enum vmcs_field field, enum vmx_status st, void *where);
_Noreturn void vmcs_write_failed(enum vmcs_field field, enum vmx_status st, void *where);

/* The address of the code that uses it, for those reports.  (Not
 * __builtin_return_address(0): inlined into a function, that makes the
 * function set up a frame pointer on its fast path too.) */
static inline __attribute__((always_inline)) void *vmcs_here(void)
{
    void *pc;
    __asm__("lea 0(%%rip), %0" : "=r"(pc));
    return pc;
}

/* Inline: these run several times on every exit, so the success path is
 * the VMX instruction and one conditional jump (VMfail sets CF or ZF: SDM
 * vol. 3C 31.2); the failure path asks again for the status to report it,
 * which is the same answer since nothing changed in between. */
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
    vmcs_read_failed(field, vmread(field, &value), vmcs_here());
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
    vmcs_write_failed(field, vmwrite(field, value), vmcs_here());
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
