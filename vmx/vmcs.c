#include "vmx/vmcs.h"

#include "kernel/log.h"
#include "vmx/exit_reasons.h"
#include "vmx/vmx_ops.h"

const char *vmcs_instruction_error_text(void)
{
    uint64_t err = 0;
    if (vmread(VM_INSTRUCTION_ERROR, &err) != VMX_SUCCEED)
        return "(no current VMCS)";
    return vm_instruction_error_name((unsigned)err);
}

static const char *report_access(const char *what, enum vmcs_field field, enum vmx_status st)
{
    kprintf("  %s of VMCS field 0x%x failed (%s)\n", what, (unsigned)field,
            st == VMX_FAIL_INVALID ? "VMfailInvalid: no current VMCS"
                                   : vmcs_instruction_error_text());
    return st == VMX_FAIL_INVALID ? "VMCS access with no current VMCS" : "VMCS access failed";
}

const char *vmcs_read_failure_report(const struct trap_frame *frame)
{
    enum vmcs_field field = (enum vmcs_field)frame->rdi;
    uint64_t value;
    return report_access("VMREAD", field, vmread(field, &value));
}

const char *vmcs_write_failure_report(const struct trap_frame *frame)
{
    enum vmcs_field field = (enum vmcs_field)frame->rdi;
    return report_access("VMWRITE", field, vmwrite(field, frame->rsi));
}

void vmcs_set_bits(enum vmcs_field field, uint64_t bits)
{
    vmcs_write(field, vmcs_read(field) | bits);
}

void vmcs_clear_bits(enum vmcs_field field, uint64_t bits)
{
    vmcs_write(field, vmcs_read(field) & ~bits);
}

void vmcs_clear(uint64_t phys)
{
    enum vmx_status st = vmclear(phys);
    if (st != VMX_SUCCEED)
        panic("VMCLEAR of %lx failed (%s)", phys,
              st == VMX_FAIL_INVALID ? "VMfailInvalid" : vmcs_instruction_error_text());
}

void vmcs_load(uint64_t phys)
{
    enum vmx_status st = vmptrld(phys);
    if (st != VMX_SUCCEED)
        panic("VMPTRLD of %lx failed (%s)", phys,
              st == VMX_FAIL_INVALID ? "VMfailInvalid" : vmcs_instruction_error_text());
}
