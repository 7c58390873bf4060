/* panic(): a keel invariant is broken.  Guest misbehaviour never comes here. */
#include <stdarg.h>

#include "arch/x86/cpu.h"
#include "kernel/finish.h"
#include "kernel/log.h"

_Noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    static int depth;
    va_list ap;

    cli();
    if (depth++ > 0) {
        kprintf("keel: PANIC inside panic at %s:%d\n", file, line);
        cpu_halt_forever();
    }
    kprintf("\nkeel: PANIC at %s:%d: ", file, line);
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    print_backtrace((uint64_t)(uintptr_t)__builtin_frame_address(0));
    keel_finish(false, "panic at %s:%d", file, line);
}
