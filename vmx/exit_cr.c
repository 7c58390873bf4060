/* Control-register access exits: decoded here, emulated by guest/cr.c. */
#include "guest/cr.h"
#include "guest/vcpu.h"
#include "guest/vcpu_state.h"
#include "vmx/exit_qual.h"
#include "vmx/vcpu_vmx.h"

#define CR0_PE (UINT64_C(1) << 0)
#define CR0_TS (UINT64_C(1) << 3)
#define CR0_LMSW_BITS UINT64_C(0xf)     /* PE MP EM TS */

enum exit_action vmx_exit_cr_access(struct vcpu *v)
{
    struct cr_access acc;
    vmx_decode_cr_qual(vmx_exit_qualification(v), &acc);
    bool done = true;

    switch (acc.type) {
    case CR_ACCESS_MOV_TO_CR:
        done = cr_write(v, acc.cr, vcpu_gpr(v, acc.gpr));
        break;
    case CR_ACCESS_MOV_FROM_CR:
        vcpu_set_gpr(v, acc.gpr, cr_read(v, acc.cr));
        break;
    case CR_ACCESS_CLTS:
        done = cr_write(v, 0, vcpu_cr0(v) & ~CR0_TS);   /* CLTS */
        break;
    case CR_ACCESS_LMSW: {
        /* LMSW sets PE but never clears it (SDM vol. 2A "LMSW"). */
        uint64_t cr0 = vcpu_cr0(v);
        uint64_t msw = acc.lmsw_source & CR0_LMSW_BITS;
        done = cr_write(v, 0, (cr0 & ~(CR0_LMSW_BITS & ~CR0_PE)) | msw);
        break;
    }
    }
    if (done)
        vcpu_skip_instruction(v);
    return EXIT_RESUME;
}
