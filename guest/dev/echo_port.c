/* Port 0xe0: an IN returns the last value an OUT wrote, in any size. */
#include "guest/dev/devices.h"

#define ECHO_PORT 0xe0

static uint32_t echo_values[VM_MAX_VMS];

static int echo_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                   uint32_t *value)
{
    uint32_t *last = dev;
    (void)vm, (void)port, (void)size;
    if (in)
        *value = *last;
    else
        *last = *value;
    return 0;
}

void echo_port_attach(struct vm *vm)
{
    echo_values[vm->index] = 0;
    vm_register_pio(vm, ECHO_PORT, ECHO_PORT + 3, echo_io, &echo_values[vm->index], "echo");
}
