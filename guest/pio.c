/* Port I/O dispatch: each VM has a small table of port ranges, each owned by
 * one device behind the one pio_handler_fn signature, and a map from each of
 * the 65536 ports to its range, so an I/O exit finds its device with one
 * load however many devices there are.  A port nobody claims reads as all
 * ones and ignores writes, as an empty ISA bus does. */
#include "guest/vm.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define NR_PORTS 65536u

_Static_assert(VM_MAX_PIO < 256, "pio_owner holds 1 + an index in a byte");

void vm_clear_pio(struct vm *vm)
{
    if (!vm->pio_owner)
        vm->pio_owner = kzalloc(NR_PORTS);
    else
        memset(vm->pio_owner, 0, NR_PORTS);
    vm->npio = 0;
}

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
    if (!vm->pio_owner)
        vm_clear_pio(vm);
    vm->pio[vm->npio++] = (struct pio_range){ first, last, fn, dev, name };
    for (unsigned port = first; port <= last; port++)
        vm->pio_owner[port] = (uint8_t)vm->npio;
}

static const struct pio_range *find_pio(const struct vm *vm, uint16_t port)
{
    unsigned owner = vm->pio_owner ? vm->pio_owner[port] : 0;
    return owner ? &vm->pio[owner - 1] : NULL;
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
