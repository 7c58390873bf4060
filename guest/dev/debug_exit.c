/* QEMU's isa-debug-exit device at port 0xf4, as kvm-unit-tests use it. */
#include "guest/dev/devices.h"

#define DEBUG_EXIT_PORT 0xf4

static int debug_exit_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                         uint32_t *value)
{
    (void)dev, (void)port, (void)size;
    if (in) {
        *value = 0xffffffffu;
        return 0;
    }
    uint64_t status = ((uint64_t)*value << 1) | 1;
    vm_stop(vm, VM_STOP_DEBUG_EXIT, status, "debug-exit port written with 0x%x", *value);
    return 0;
}

void debug_exit_attach(struct vm *vm)
{
    vm_register_pio(vm, DEBUG_EXIT_PORT, DEBUG_EXIT_PORT + 3, debug_exit_io, NULL,
                    "debug-exit");
}
