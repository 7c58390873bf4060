/*
 * MMIO emulation.  The CPU reports only the guest-physical address of an
 * access that EPT (or the shadow tables) refused; which instruction did it,
 * and with which operands, comes from decoding the bytes at CS:RIP
 * (guest/insn_decode.c) and performing them (guest/insn_emulate.c), with the
 * memory side routed to the region's device or to guest RAM.
 */
#include "guest/mmio.h"

#include "arch/x86/traps.h"
#include "guest/insn_decode.h"
#include "guest/insn_emulate.h"
#include "guest/vcpu.h"
#include "kernel/log.h"

struct mmio_ctx {
    struct vcpu *v;
};

static int mmio_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    struct vcpu *v = ((struct mmio_ctx *)ctx)->v;
    const struct mmio_region *r = vm_find_mmio(v->vm, gpa);
    *val = 0;
    if (r)
        return r->handler(v->vm, r->dev, gpa - r->gpa, size, false, val);
    return vm_ram_read(v->vm, gpa, val, size) ? 0 : -1;
}

static int mmio_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    struct vcpu *v = ((struct mmio_ctx *)ctx)->v;
    const struct mmio_region *r = vm_find_mmio(v->vm, gpa);
    if (r)
        return r->handler(v->vm, r->dev, gpa - r->gpa, size, true, &val);
    return vm_ram_write(v->vm, gpa, &val, size) ? 0 : -1;
}

static uint64_t addr_size_mask(unsigned size)
{
    return size >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (size * 8)) - 1;
}

static int mmio_translate(void *ctx, enum x86_seg seg, uint64_t offset, unsigned size,
                          bool write, uint64_t *gpa)
{
    struct vcpu *v = ((struct mmio_ctx *)ctx)->v;
    (void)size;
    return vcpu_translate(v, vcpu_seg_base(v, seg) + offset, write, false, gpa) ? 0 : -1;
}

static const struct mmio_ops mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
    .translate = mmio_translate,
};

static enum cpu_mode decode_mode(struct vcpu *v)
{
    switch (vcpu_mode(v)) {
    case VCPU_MODE_LONG_64:
        return CPU_MODE_64;
    case VCPU_MODE_PROTECTED_32:
    case VCPU_MODE_COMPAT_32:
        return CPU_MODE_32;
    default:
        return CPU_MODE_16;
    }
}

/* Reads the up to 15 bytes at CS:RIP; an instruction may straddle pages. */
static size_t fetch_instruction(struct vcpu *v, uint8_t *buf)
{
    uint64_t rip = vcpu_rip(v);
    if (decode_mode(v) != CPU_MODE_64)
        rip &= addr_size_mask(decode_mode(v) == CPU_MODE_32 ? 4 : 2);
    uint64_t gla = vcpu_seg_base(v, SEG_CS) + rip;
    size_t got = 0;
    while (got < INSN_MAX_LENGTH) {
        uint64_t gpa;
        size_t chunk = 4096 - ((gla + got) & 4095);
        if (chunk > INSN_MAX_LENGTH - got)
            chunk = INSN_MAX_LENGTH - got;
        if (!vcpu_translate(v, gla + got, false, true, &gpa))
            return 0;
        if (!vm_ram_read(v->vm, gpa, buf + got, chunk))
            break;
        got += chunk;
    }
    return got;
}

static void report_undecodable(struct vcpu *v, const uint8_t *bytes, size_t len, int err)
{
    char hex[3 * INSN_MAX_LENGTH + 1];
    size_t pos = 0;
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len && i < INSN_MAX_LENGTH; i++) {
        hex[pos++] = digits[bytes[i] >> 4];
        hex[pos++] = digits[bytes[i] & 15];
        hex[pos++] = ' ';
    }
    hex[pos ? pos - 1 : 0] = '\0';
    vm_stop(v->vm, VM_STOP_UNHANDLED, 0, "cannot emulate the MMIO instruction at RIP %lx (%s): %s",
            vcpu_rip(v), err == INSN_ERR_TRUNCATED ? "truncated" : "unsupported", hex);
}

bool mmio_emulate(struct vcpu *v, const struct mmio_region *region, uint64_t gpa)
{
    (void)region;
    uint8_t bytes[INSN_MAX_LENGTH];
    size_t len = fetch_instruction(v, bytes);
    if (len == 0)
        return false;           /* the fetch faulted: #PF injected */

    struct insn in;
    int err = insn_decode(bytes, len, decode_mode(v), &in);
    if (err == INSN_ERR_LOCK) {
        vcpu_inject_exception(v, EXC_UD, false, 0);
        return false;
    }
    if (err == INSN_ERR_TOO_LONG) {
        vcpu_inject_exception(v, EXC_GP, true, 0);
        return false;
    }
    if (err < 0) {
        report_undecodable(v, bytes, len, err);
        return false;
    }

    struct mmio_ctx ctx = { v };
    uint64_t rflags = vcpu_rflags(v);
    v->regs.gpr[GPR_RSP] = vcpu_gpr(v, GPR_RSP);
    int res = insn_emulate_mmio(&in, &v->regs, &rflags, gpa, &mmio_ops, &ctx);
    vcpu_set_gpr(v, GPR_RSP, v->regs.gpr[GPR_RSP]);
    if (res == INSN_EMU_ERR_ACCESS || res == INSN_EMU_ERR_UNSUPPORTED) {
        if (v->vm->state != VM_STATE_STOPPED && !v->pending_event.valid)
            vm_stop(v->vm, VM_STOP_BAD_ACCESS, 0,
                    "MMIO access at guest-physical %lx failed (RIP %lx)", gpa, vcpu_rip(v));
        return false;
    }
    vcpu_set_rflags(v, rflags);
    if (res == INSN_EMU_REPEAT)
        return false;           /* RIP stays: the next element exits again */
    vcpu_set_rip(v, vcpu_rip(v) + in.length);
    return true;
}
