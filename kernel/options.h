/* keel's own boot options, from the multiboot2 command line (kernel/options.c).
 * The table of options is the documentation: `help` on the command line
 * prints it. */
#ifndef KEEL_KERNEL_OPTIONS_H
#define KEEL_KERNEL_OPTIONS_H

#include <stdbool.h>

#include "kernel/log.h"

enum onexit_action {
    ONEXIT_HALT,
    ONEXIT_POWEROFF,
    ONEXIT_REBOOT,
};

#define CONSOLE_COM1 (1u << 0)
#define CONSOLE_VGA  (1u << 1)      /* the screen: VGA text or a framebuffer */
#define CONSOLE_E9   (1u << 2)      /* emulator debug port */

struct keel_options {
    unsigned consoles;
    enum log_level loglevel;
    enum onexit_action onexit;
    bool noept;
    bool novpid;
    bool notprshadow;
    bool noapicv;
    bool nounrestricted;
    bool help;
    char selftest[16];          /* kernel/selftest.c; empty = none */
};

extern struct keel_options keel_options;

/* Parses keel's command line into keel_options (defaults first).  Problems are
 * kept, to be printed by options_report_problems() once a console is up.
 * Returns the number of rejected words. */
int options_parse(const char *cmdline);
void options_report_problems(void);
void options_print_help(void);

#endif
