/* The emulators' debug console on port 0xE9 (Bochs port_e9_hack, QEMU
 * -debugcon), for debugging keel itself.  Off unless console= names "e9". */
#ifndef KEEL_DRIVERS_DEBUGCON_H
#define KEEL_DRIVERS_DEBUGCON_H

#include <stdbool.h>

/* Registers the "e9" console; returns false when no emulator answers at 0xE9. */
bool debugcon_init(void);

#endif
