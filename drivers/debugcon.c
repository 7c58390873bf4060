#include "drivers/debugcon.h"

#include "arch/x86/cpu.h"
#include "drivers/console.h"

#define DEBUGCON_PORT 0xe9

static void debugcon_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        outb(DEBUGCON_PORT, (uint8_t)s[i]);
}

static struct console debugcon = {
    .name = "e9",
    .write = debugcon_write,
};

bool debugcon_init(void)
{
    /* Both Bochs and QEMU read back 0xE9 from the port when it is enabled. */
    if (inb(DEBUGCON_PORT) != DEBUGCON_PORT)
        return false;
    console_register(&debugcon);
    return true;
}
