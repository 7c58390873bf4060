/*
 * The PC's reset control register at port 0xCF9 (as on Intel PIIX/ICH
 * chipsets): writing a value with RST_CPU (bit 2) set resets the machine;
 * SYS_RST (bit 1) and FULL_RST (bit 3) choose how hard, which makes no
 * difference to a VM.  Reads return the last value written.
 */
#include "guest/dev/devices.h"

#define RESET_CONTROL_PORT 0xcf9
#define RST_CPU            0x04

static uint8_t reset_control_values[VM_MAX_VMS];

static int reset_control_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                            uint32_t *value)
{
    uint8_t *reg = dev;
    (void)port, (void)size;
    if (in) {
        *value = *reg;
        return 0;
    }
    *reg = (uint8_t)*value;
    if (*reg & RST_CPU)
        vm_reset(vm, "port 0xcf9 reset");
    return 0;
}

void reset_control_attach(struct vm *vm)
{
    reset_control_values[vm->index] = 0;
    vm_register_pio(vm, RESET_CONTROL_PORT, RESET_CONTROL_PORT, reset_control_io,
                    &reset_control_values[vm->index], "reset-control");
}
