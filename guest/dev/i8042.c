/*
 * Just enough of the 8042 keyboard controller for guests to reset
 * themselves the classic way (command 0xFE on port 0x64 pulses the CPU reset
 * line) and for probes to find an idle controller: status reads say the
 * output buffer is empty and the input buffer free, data reads 0.
 * There is no keyboard behind it.
 */
#include "guest/dev/devices.h"

#define I8042_DATA_PORT    0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_PULSE_RESET  0xfe
#define I8042_STATUS_SYS   0x04        /* system flag: the self-test passed */

static int i8042_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                    uint32_t *value)
{
    (void)dev, (void)size;
    if (in) {
        *value = port == I8042_COMMAND_PORT ? I8042_STATUS_SYS : 0;
        return 0;
    }
    if (port == I8042_COMMAND_PORT && (*value & 0xff) == I8042_PULSE_RESET)
        vm_reset(vm, "keyboard controller reset line");
    return 0;
}

void i8042_attach(struct vm *vm)
{
    vm_register_pio(vm, I8042_DATA_PORT, I8042_DATA_PORT, i8042_io, NULL, "i8042");
    vm_register_pio(vm, I8042_COMMAND_PORT, I8042_COMMAND_PORT, i8042_io, NULL, "i8042");
}
