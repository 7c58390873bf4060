/* keel's consoles: every registered console receives all of keel's output
 * (drivers/console.c).  Drivers register from their init function. */
#ifndef KEEL_DRIVERS_CONSOLE_H
#define KEEL_DRIVERS_CONSOLE_H

#include <stddef.h>

struct console {
    const char *name;                           /* "com1", "vga", "fb" */
    void (*write)(const char *s, size_t n);     /* must handle '\n' itself */
    struct console *next;                       /* owned by console.c */
};

void console_register(struct console *c);
void console_write(const char *s, size_t n);

#endif
