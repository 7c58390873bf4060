/*
 * echo: reads lines typed on its COM1 (polling LSR.DR, as a simple driver
 * does) and writes each back as "echo: LINE", until it reads "quit".  With
 * keel this shows input focus at work: bytes typed on keel's console reach
 * the VM in focus through its 16550A receive FIFO.
 *   max=N   stop after N lines even without "quit" (default 20)
 *
 * Expected under keel: pass (exit status 1) once "quit" is typed.
 * Bare: qemu-system-x86_64 -kernel build/guests/echo.elf -serial stdio ...
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/report.h"
#include "lib/string.h"
#include "lib/uart.h"

#define LINE_MAX 120

static char read_char(void)
{
    while (!(uart_in(UART_LSR) & UART_LSR_DR))
        ;
    return (char)uart_in(UART_RBR);
}

/* One line, ended by CR or LF; NUL bytes are dropped. */
static size_t read_line(char *buf, size_t max)
{
    size_t len = 0;
    for (;;) {
        char c = read_char();
        if (c == '\r' || c == '\n') {
            if (len)
                break;
            continue;
        }
        if (c && len < max - 1)
            buf[len++] = c;
    }
    buf[len] = '\0';
    return len;
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic, (void)mbi;
    uint64_t max = 20;
    cmdline_decimal(guest_cmdline(), "max", &max);
    printf("echo: ready, type lines; \"quit\" ends\n");
    char line[LINE_MAX];
    for (uint64_t n = 0; n < max; n++) {
        read_line(line, sizeof(line));
        if (strcmp(line, "quit") == 0) {
            report(true, "echo: quit after %llu lines", n);
            return;
        }
        printf("echo: %s\n", line);
    }
    report(true, "echo: %llu lines", max);
}
