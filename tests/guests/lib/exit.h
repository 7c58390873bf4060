/*
 * Ending a guest with a status, the way keel and QEMU's isa-debug-exit both
 * read it: outl(code, 0xf4) stops the VM with status (code << 1) | 1, so
 * exit(0) gives status 1, "pass".
 */
#ifndef GUEST_LIB_EXIT_H
#define GUEST_LIB_EXIT_H

#define DEBUG_EXIT_PORT 0xF4

_Noreturn void exit(int code);

#endif
