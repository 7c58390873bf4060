#include "lib/exit.h"
#include "lib/keel.h"
#include "lib/serial.h"
#include "lib/x86.h"

/* Bochs's shutdown port: writing "Shutdown" byte by byte powers it off. */
#define BOCHS_SHUTDOWN_PORT 0x8900

_Noreturn void exit(int code)
{
    if (!is_keel())
        serial_drain();
    outl((uint32_t)code, DEBUG_EXIT_PORT);

    /* Still running: no debug-exit device here (bare Bochs, say). */
    for (const char *p = "Shutdown"; *p; p++)
        outb((uint8_t)*p, BOCHS_SHUTDOWN_PORT);

    /* Last resort: keel reports HLT with IF=0 as "halted forever". */
    for (;;) {
        cli();
        hlt();
    }
}
