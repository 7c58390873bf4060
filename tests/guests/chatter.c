/*
 * chatter: writes many long numbered lines to COM1 as fast as it can, so
 * that two or more VMs running it at once show whether keel keeps each line
 * whole and in order.  Every line is
 *   chatter NAME line NNNN: <the alphabet, repeated to 100 characters> end
 * and the last one says how many were written.  A keel test checks that the
 * first and last lines of each VM arrive intact and that no line is cut or
 * carries another VM's text.
 *   lines=N   how many lines (default 200)
 *   name=X    a word printed on each line (default "?")
 *
 * Expected under keel: pass (exit status 1).
 * Bare: qemu-system-x86_64 -kernel build/guests/chatter.elf -append "lines=5 name=a"
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/report.h"

#define DEFAULT_LINES 200
#define FILLER_LEN 100

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic, (void)mbi;
    uint64_t lines = DEFAULT_LINES;
    size_t name_len = 0;
    const char *name = cmdline_value(guest_cmdline(), "name", &name_len);
    cmdline_decimal(guest_cmdline(), "lines", &lines);
    if (!name) {
        name = "?";
        name_len = 1;
    }

    char filler[FILLER_LEN + 1];
    for (unsigned i = 0; i < FILLER_LEN; i++)
        filler[i] = (char)('a' + i % 26);
    filler[FILLER_LEN] = '\0';

    for (uint64_t n = 1; n <= lines; n++)
        printf("chatter %.*s line %04llu: %s end\n", (int)name_len, name, n, filler);
    report(true, "chatter: %llu lines written", lines);
}
