#include "guest/hypercall.h"

#include "guest/vcpu.h"

#define HC_ERROR (~UINT64_C(0))

/* Prints guest bytes through the VM's console, as if written to its UART.
 * Each byte is translated on its own page walk only once per page. */
static uint64_t hc_print(struct vcpu *v, uint64_t gla, uint64_t len)
{
    if (len > KEEL_HYPERCALL_PRINT_MAX)
        return HC_ERROR;
    for (uint64_t done = 0; done < len;) {
        uint64_t gpa;
        if (!vcpu_translate(v, gla + done, false, false, &gpa))
            return HC_ERROR;     /* #PF injected: the guest sees its own bug */
        uint64_t chunk = 4096 - ((gla + done) & 4095);
        if (chunk > len - done)
            chunk = len - done;
        char buf[256];
        for (uint64_t off = 0; off < chunk;) {
            uint64_t n = chunk - off < sizeof(buf) ? chunk - off : sizeof(buf);
            if (!vm_ram_read(v->vm, gpa + off, buf, n))
                return HC_ERROR;
            for (uint64_t i = 0; i < n; i++)
                vm_console_putc(v->vm, buf[i]);
            off += n;
        }
        done += chunk;
    }
    return len;
}

void hypercall_dispatch(struct vcpu *v)
{
    uint64_t nr = v->regs.gpr[GPR_RAX];
    uint64_t a1 = v->regs.gpr[GPR_RBX], a2 = v->regs.gpr[GPR_RCX];
    uint64_t ret;

    switch (nr) {
    case KEEL_HC_VERSION:
        ret = KEEL_HYPERCALL_ABI_VERSION;
        v->regs.gpr[GPR_RBX] = KEEL_HYPERCALL_SIGNATURE;
        break;
    case KEEL_HC_PRINT:
        ret = hc_print(v, a1, a2);
        break;
    case KEEL_HC_EXIT_COUNT:
        ret = a1 < NR_EXIT_REASONS ? v->stats.reason[a1].count : HC_ERROR;
        break;
    default:
        ret = HC_ERROR;
        break;
    }
    v->regs.gpr[GPR_RAX] = ret;
}
