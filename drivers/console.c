/* The console list: keel's output goes to every registered console. */
#include "drivers/console.h"

#include "drivers/uart16550.h"

static struct console *consoles;

void console_register(struct console *c)
{
    struct console **tail = &consoles;
    while (*tail) {
        if (*tail == c)
            return;
        tail = &(*tail)->next;
    }
    c->next = NULL;
    *tail = c;
}

void console_write(const char *s, size_t n)
{
    if (!consoles) {
        /* Nothing registered yet (a fault very early in boot): COM1 is the
         * best bet for being seen at all. */
        uart_emergency_write(s, n);
        return;
    }
    for (struct console *c = consoles; c; c = c->next)
        c->write(s, n);
}
