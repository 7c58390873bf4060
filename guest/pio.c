/* Port I/O dispatch: each VM has a small table of port ranges, each owned by
 * one device behind the one pio_handler_fn signature.  A port nobody claims
 * reads as all ones and ignores writes, as an empty ISA bus does. */
#include "guest/vm.h"
#include "kernel/log.h"

void vm_register_pio(struct vm *vm, uint16_t first, uint16_t last, pio_handler_fn fn,
                     void *dev, const char *name)
{
    BUG_ON(last < first);
    for (size_t i = 0; i < vm->npio; i++)
        if (first <= vm->pio[i].last && vm->pio[i].first <= last)
            panic("vm %s: ports %x-%x of %s overlap %s", vm->name, first, last, name,
                  vm->pio[i].name);
    if (vm->npio == VM_MAX_PIO)
        panic("vm %s: more than %d port devices", vm->name, VM_MAX_PIO);
    vm->pio[vm->npio++] = (struct pio_range){ first, last, fn, dev, name };
}

static const struct pio_range *find_pio(const struct vm *vm, uint16_t port)
{
    for (size_t i = 0; i < vm->npio; i++)
        if (port >= vm->pio[i].first && port <= vm->pio[i].last)
            return &vm->pio[i];
    return NULL;
}

void vm_pio_access(struct vm *vm, uint16_t port, unsigned size, bool in, uint32_t *value)
{
    const struct pio_range *r = find_pio(vm, port);
    if (!r) {
        if (in) {
            *value = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
            vm->pio_unclaimed_in++;
        } else {
            vm->pio_unclaimed_out++;
        }
        return;
    }
    if (r->handler(vm, r->dev, port, size, in, value) < 0 && vm->state != VM_STATE_STOPPED)
        vm_stop(vm, VM_STOP_UNHANDLED, 0, "device %s refused %s of %u bytes at port %x", r->name,
                in ? "IN" : "OUT", size, port);
}

void vm_register_mmio(struct vm *vm, uint64_t gpa, uint64_t size, mmio_handler_fn fn, void *dev,
                      const char *name)
{
    if (vm->nmmio == VM_MAX_MMIO)
        panic("vm %s: more than %d MMIO regions", vm->name, VM_MAX_MMIO);
    vm->mmio[vm->nmmio++] = (struct mmio_region){ gpa, size, fn, dev, name };
}

const struct mmio_region *vm_find_mmio(const struct vm *vm, uint64_t gpa)
{
    for (size_t i = 0; i < vm->nmmio; i++)
        if (gpa >= vm->mmio[i].gpa && gpa - vm->mmio[i].gpa < vm->mmio[i].size)
            return &vm->mmio[i];
    return NULL;
}
