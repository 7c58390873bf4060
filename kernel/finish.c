#include "kernel/finish.h"

#include <stdarg.h>

#include "drivers/uart16550.h"
#include "kernel/log.h"
#include "kernel/options.h"
#include "kernel/poweroff.h"
#include "lib/format.h"
#include "mm/paging.h"

void (*finish_idle_hook)(void);

void print_backtrace(uint64_t rbp)
{
    kprintf("  backtrace:");
    /* Only follow frames that lie inside keel's own image or direct map, and
     * stop after a sane depth: a corrupted chain must not fault again. */
    for (int depth = 0; depth < 16 && rbp >= DIRECT_MAP_BASE && (rbp & 7) == 0; depth++) {
        const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
        uint64_t ret = frame[1];
        if (ret < KERNEL_VMA)
            break;
        kprintf(" %016lx", ret);
        rbp = frame[0];
    }
    kprintf("\n");
}

_Noreturn void keel_finish(bool pass, const char *fmt, ...)
{
    static bool finishing;
    char reason[160] = "";

    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        kvsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
    }
    if (finishing) {
        /* A fault while finishing: do not loop through here again. */
        kprintf("keel: fault while finishing; halted\n");
        machine_halt();
    }
    finishing = true;
    if (pass)
        kprintf("keel-result: PASS%s%s\n", reason[0] ? " " : "", reason);
    else
        kprintf("keel-result: FAIL %s\n", reason[0] ? reason : "(no reason given)");

    uart_drain();
    if (keel_options.onexit == ONEXIT_HALT && finish_idle_hook) {
        /* Nothing left to run, but the console still answers (stats, trace). */
        kprintf("keel: everything has stopped; keel's console still takes commands\n");
        finish_idle_hook();
    }
    switch (keel_options.onexit) {
    case ONEXIT_POWEROFF:
        machine_poweroff(pass ? 0 : 1);
    case ONEXIT_REBOOT:
        machine_reboot();
    case ONEXIT_HALT:
    default:
        machine_halt();
    }
}
