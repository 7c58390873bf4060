/*
 * A transmit-only stand-in for a 16550 at COM1, enough for polled output:
 * THR writes go to the VM's console line by line, LSR always says the
 * transmitter is empty, IIR says no interrupt, everything else reads 0.
 * The devices issue replaces it with the full 16550A model.
 */
#include "guest/dev/devices.h"

#define COM1_BASE 0x3f8
#define UART_THR 0
#define UART_IIR 2
#define UART_LCR 3
#define UART_LSR 5
#define UART_SCR 7
#define LCR_DLAB 0x80
#define LSR_THRE_TEMT 0x60
#define IIR_NO_INTERRUPT 0x01

struct uart_min {
    uint8_t lcr, scr;
};

static struct uart_min uarts[VM_MAX_VMS];

static int uart_min_io(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                       uint32_t *value)
{
    struct uart_min *u = dev;
    unsigned reg = port - COM1_BASE;
    (void)size;
    if (!in) {
        if (reg == UART_THR && !(u->lcr & LCR_DLAB))
            vm_console_putc(vm, (char)*value);
        else if (reg == UART_LCR)
            u->lcr = (uint8_t)*value;
        else if (reg == UART_SCR)
            u->scr = (uint8_t)*value;
        return 0;
    }
    switch (reg) {
    case UART_LSR: *value = LSR_THRE_TEMT; break;
    case UART_IIR: *value = IIR_NO_INTERRUPT; break;
    case UART_LCR: *value = u->lcr; break;
    case UART_SCR: *value = u->scr; break;
    default: *value = 0; break;
    }
    return 0;
}

void uart_min_attach(struct vm *vm)
{
    uarts[vm->index] = (struct uart_min){ 0, 0 };
    vm_register_pio(vm, COM1_BASE, COM1_BASE + 7, uart_min_io, &uarts[vm->index], "com1");
}
