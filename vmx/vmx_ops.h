/*
 * One inline per VMX instruction (SDM vol. 3C chapter 31 "VMX Instruction
 * Reference").  Each returns how it ended, from RFLAGS as SDM 31.2 defines:
 * CF=1 VMfailInvalid (no current VMCS), ZF=1 VMfailValid (the reason is in
 * the VM-instruction error field), both clear VMsucceed.
 */
#ifndef KEEL_VMX_VMX_OPS_H
#define KEEL_VMX_VMX_OPS_H

#include <stdint.h>

#include "vmx/vmcs_fields.h"

enum vmx_status {
    VMX_SUCCEED = 0,
    VMX_FAIL_INVALID = 1,
    VMX_FAIL_VALID = 2,
};

/* Turns the CF/ZF pair captured after a VMX instruction into a status. */
#define VMX_STATUS_FROM_FLAGS(cf, zf) \
    ((cf) ? VMX_FAIL_INVALID : (zf) ? VMX_FAIL_VALID : VMX_SUCCEED)

static inline enum vmx_status vmxon(uint64_t phys)
{
    uint8_t cf, zf;
    __asm__ __volatile__("vmxon %[p]; setc %[cf]; setz %[zf]"
                         : [cf] "=rm"(cf), [zf] "=rm"(zf)
                         : [p] "m"(phys)
                         : "cc", "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline enum vmx_status vmxoff(void)
{
    uint8_t cf, zf;
    __asm__ __volatile__("vmxoff; setc %[cf]; setz %[zf]"
                         : [cf] "=rm"(cf), [zf] "=rm"(zf)
                         :
                         : "cc", "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline enum vmx_status vmclear(uint64_t phys)
{
    uint8_t cf, zf;
    __asm__ __volatile__("vmclear %[p]; setc %[cf]; setz %[zf]"
                         : [cf] "=rm"(cf), [zf] "=rm"(zf)
                         : [p] "m"(phys)
                         : "cc", "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline enum vmx_status vmptrld(uint64_t phys)
{
    uint8_t cf, zf;
    __asm__ __volatile__("vmptrld %[p]; setc %[cf]; setz %[zf]"
                         : [cf] "=rm"(cf), [zf] "=rm"(zf)
                         : [p] "m"(phys)
                         : "cc", "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline enum vmx_status vmread(enum vmcs_field field, uint64_t *value)
{
    uint8_t cf, zf;
    __asm__ __volatile__("vmread %[f], %[v]; setc %[cf]; setz %[zf]"
                         : [v] "=rm"(*value), [cf] "=rm"(cf), [zf] "=rm"(zf)
                         : [f] "r"((uint64_t)field)
                         : "cc");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline enum vmx_status vmwrite(enum vmcs_field field, uint64_t value)
{
    uint8_t cf, zf;
    __asm__ __volatile__("vmwrite %[v], %[f]; setc %[cf]; setz %[zf]"
                         : [cf] "=rm"(cf), [zf] "=rm"(zf)
                         : [f] "r"((uint64_t)field), [v] "rm"(value)
                         : "cc");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

/* INVEPT/INVVPID types, SDM vol. 3C 31.3 ("INVEPT", "INVVPID"). */
enum invept_type {
    INVEPT_SINGLE_CONTEXT = 1,
    INVEPT_ALL_CONTEXT = 2,
};

enum invvpid_type {
    INVVPID_INDIVIDUAL_ADDRESS = 0,
    INVVPID_SINGLE_CONTEXT = 1,
    INVVPID_ALL_CONTEXT = 2,
    INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS = 3,
};

static inline enum vmx_status invept(enum invept_type type, uint64_t eptp)
{
    struct { uint64_t eptp, reserved; } desc = { eptp, 0 };
    uint8_t cf, zf;
    __asm__ __volatile__("invept %[d], %[t]; setc %[cf]; setz %[zf]"
                         : [cf] "=rm"(cf), [zf] "=rm"(zf)
                         : [d] "m"(desc), [t] "r"((uint64_t)type)
                         : "cc", "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline enum vmx_status invvpid(enum invvpid_type type, uint16_t vpid, uint64_t gla)
{
    struct { uint64_t vpid, gla; } desc = { vpid, gla };
    uint8_t cf, zf;
    __asm__ __volatile__("invvpid %[d], %[t]; setc %[cf]; setz %[zf]"
                         : [cf] "=rm"(cf), [zf] "=rm"(zf)
                         : [d] "m"(desc), [t] "r"((uint64_t)type)
                         : "cc", "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

#endif
