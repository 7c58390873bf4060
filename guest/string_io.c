/*
 * INS/OUTS and their REP forms (SDM vol. 2A "INS", "OUTS", "REP").  Each
 * element's address is segment base + RSI/RDI (masked to the address size),
 * translated through the guest's paging; RSI/RDI move by the element size in
 * the direction RFLAGS.DF says and RCX counts down, so a fault part-way
 * leaves the registers exactly where a CPU would.
 */
#include "guest/string_io.h"

#include "arch/x86/traps.h"
#include "guest/vcpu.h"
#include "lib/string.h"

#define RFLAGS_DF (UINT64_C(1) << 10)
/* A REP run longer than this is finished over several exits (the guest
 * re-executes the instruction), so one exit never holds keel for long. */
#define STRING_IO_MAX_ELEMENTS 65536

static uint64_t addr_mask(uint8_t addr_size)
{
    return addr_size == 8 ? ~UINT64_C(0) : (UINT64_C(1) << (addr_size * 8)) - 1;
}

/* An element's bytes at gpa in an MMIO region (INS into a device's memory,
 * OUTS from it), in naturally sized accesses as a CPU would make them. */
static bool device_access(struct vm *vm, uint64_t gpa, uint8_t *bytes, unsigned len, bool write)
{
    const struct mmio_region *r = vm_find_mmio(vm, gpa);
    if (!r || gpa + len - r->gpa > r->size)
        return false;
    while (len) {
        unsigned n = len >= 4 ? 4 : len >= 2 ? 2 : 1;
        uint64_t val = 0;
        if (write)
            memcpy(&val, bytes, n);
        if (r->handler(vm, r->dev, gpa - r->gpa, n, write, &val) < 0)
            return false;
        if (!write)
            memcpy(bytes, &val, n);
        gpa += n;
        bytes += n;
        len -= n;
    }
    return true;
}

/* Reads or writes one element of guest memory at a linear address; an
 * element may straddle two pages, which are translated separately, and
 * either may be RAM or a device's MMIO. */
static bool access_element(struct vcpu *v, uint64_t gla, void *buf, unsigned size, bool write)
{
    uint8_t *bytes = buf;
    for (unsigned done = 0; done < size;) {
        uint64_t addr = gla + done;
        unsigned chunk = (unsigned)(4096 - (addr & 4095));
        if (chunk > size - done)
            chunk = size - done;
        uint64_t gpa;
        if (!vcpu_translate(v, addr, write, false, &gpa))
            return false;
        bool ok = write ? vm_ram_write(v->vm, gpa, bytes + done, chunk)
                        : vm_ram_read(v->vm, gpa, bytes + done, chunk);
        if (!ok)
            ok = device_access(v->vm, gpa, bytes + done, chunk, write);
        if (!ok) {
            if (v->vm->state == VM_STATE_STOPPED)
                return false;
            vm_stop(v->vm, VM_STOP_BAD_ACCESS, 0,
                    "string I/O at guest-physical %lx, which is neither RAM nor a device", gpa);
            return false;
        }
        done += chunk;
    }
    return true;
}

bool string_io_emulate(struct vcpu *v, const struct pio_access *acc)
{
    uint64_t mask = addr_mask(acc->addr_size);
    enum x86_gpr index = acc->in ? GPR_RDI : GPR_RSI;
    enum x86_seg seg = acc->in ? SEG_ES : acc->seg;
    uint64_t base = vcpu_seg_base(v, seg);
    int64_t step = (vcpu_rflags(v) & RFLAGS_DF) ? -(int64_t)acc->size : acc->size;
    uint64_t count = acc->rep ? vcpu_gpr(v, GPR_RCX) & mask : 1;

    for (uint64_t n = 0; n < count; n++) {
        if (n == STRING_IO_MAX_ELEMENTS)
            return false;
        uint64_t off = vcpu_gpr(v, index);
        uint64_t gla = base + (off & mask);
        if (acc->addr_size != 8)
            gla &= 0xffffffffu;
        uint32_t value = 0;
        if (!acc->in && !access_element(v, gla, &value, acc->size, false))
            return false;
        vm_pio_access(v->vm, acc->port, acc->size, acc->in, &value);
        if (acc->in && !access_element(v, gla, &value, acc->size, true))
            return false;
        vcpu_set_gpr(v, index, (off & ~mask) | ((off + (uint64_t)step) & mask));
        if (acc->rep) {
            uint64_t rcx = vcpu_gpr(v, GPR_RCX);
            vcpu_set_gpr(v, GPR_RCX, (rcx & ~mask) | ((rcx - 1) & mask));
        }
        if (v->vm->state == VM_STATE_STOPPED)
            return true;
    }
    return true;
}
