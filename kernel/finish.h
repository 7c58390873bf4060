/* How a keel run ends (kernel/finish.c): one final sentinel line, then what
 * the onexit= boot option asks for. */
#ifndef KEEL_KERNEL_FINISH_H
#define KEEL_KERNEL_FINISH_H

#include <stdbool.h>
#include <stdint.h>

/* Prints "keel-result: PASS" or "keel-result: FAIL <reason>" and applies
 * onexit= (halt, poweroff or reboot).  Test runners key on that line. */
_Noreturn void keel_finish(bool pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Set once VMs ran: with onexit=halt keel_finish() calls it instead of
 * halting (it polls keel's console forever). */
extern void (*finish_idle_hook)(void);

/* Walks the frame-pointer chain from rbp and prints return addresses. */
void print_backtrace(uint64_t rbp);

#endif
