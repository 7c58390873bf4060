/* I/O instruction exits: decoded into a neutral struct pio_access, then
 * emulated by generic code (guest/pio.c, guest/string_io.c). */
#include "guest/string_io.h"
#include "guest/vcpu.h"
#include "vmx/exit_qual.h"
#include "vmx/vcpu_vmx.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

static uint8_t default_address_size(struct vcpu *v)
{
    switch (vcpu_mode(v)) {
    case VCPU_MODE_LONG_64:
        return 8;
    case VCPU_MODE_PROTECTED_32:
    case VCPU_MODE_COMPAT_32:
        return 4;
    default:
        return 2;
    }
}

/* An IN's result replaces the low `size` bytes of RAX; a 4-byte IN zeroes
 * bits 63:32 as every 32-bit register write does (SDM vol. 1 3.4.1.1). */
static void write_in_result(struct vcpu *v, unsigned size, uint32_t value)
{
    uint64_t rax = v->regs.gpr[GPR_RAX];
    if (size == 4)
        rax = value;
    else if (size == 2)
        rax = (rax & ~UINT64_C(0xffff)) | (value & 0xffff);
    else
        rax = (rax & ~UINT64_C(0xff)) | (value & 0xff);
    v->regs.gpr[GPR_RAX] = rax;
}

/* INS and OUTS: decoded whole (address size, segment) and emulated by
 * guest/string_io.c. */
static __attribute__((noinline)) enum exit_action string_io_exit(struct vcpu *v, uint64_t qual)
{
    struct pio_access acc;
    uint32_t info = vmx_caps.ins_outs_info ? vmcs_read32(VMX_INSTRUCTION_INFO) : 0;
    vmx_decode_io_qual(qual, info, vmx_caps.ins_outs_info, default_address_size(v), &acc);
    if (string_io_emulate(v, &acc))
        vcpu_skip_instruction(v);
    return EXIT_RESUME;
}

/* IN and OUT need the port, the size and the direction alone; INS and
 * OUTS go the long way (a tail call). */
enum exit_action vmx_exit_io(struct vcpu *v)
{
    uint64_t qual = vmx_exit_qualification(v);
    if (vmx_io_qual_string(qual))
        return string_io_exit(v, qual);
    bool in = vmx_io_qual_in(qual);
    unsigned size = vmx_io_qual_size(qual);
    uint32_t value = in ? 0 : (uint32_t)v->regs.gpr[GPR_RAX];
    vm_pio_access(v->vm, vmx_io_qual_port(qual), size, in, &value);
    if (in)
        write_in_result(v, size, value);
    return vmx_instruction_done(v);
}
