/* Bochs's shutdown port 0x8900: writing the bytes of "Shutdown" in order
 * powers the machine off.  Any other byte starts the match over. */
#include "guest/dev/devices.h"

#define SHUTDOWN_PORT 0x8900

static const char shutdown_word[] = "Shutdown";

struct shutdown_port {
    unsigned matched;
};

static struct shutdown_port shutdown_ports[VM_MAX_VMS];

static int shutdown_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                       uint32_t *value)
{
    struct shutdown_port *s = dev;
    (void)port, (void)size;
    if (in) {
        *value = 0xffffffffu;
        return 0;
    }
    char c = (char)*value;
    if (c == shutdown_word[s->matched])
        s->matched++;
    else
        s->matched = c == shutdown_word[0] ? 1 : 0;
    if (s->matched == sizeof(shutdown_word) - 1)
        vm_stop(vm, VM_STOP_SHUTDOWN_PORT, 0, "\"Shutdown\" written to port 0x8900");
    return 0;
}

void bochs_shutdown_attach(struct vm *vm)
{
    shutdown_ports[vm->index].matched = 0;
    vm_register_pio(vm, SHUTDOWN_PORT, SHUTDOWN_PORT, shutdown_io, &shutdown_ports[vm->index],
                    "shutdown-port");
}
