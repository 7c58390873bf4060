/* Polled driver for the host's COM1.  Register names and bits as in the
 * National Semiconductor PC16550D data sheet. */
#include "drivers/uart16550.h"

#include "arch/x86/cpu.h"
#include "drivers/console.h"

enum uart_reg {
    UART_RBR_THR = 0,   /* receive buffer / transmit holding (DLAB=0) */
    UART_IER = 1,
    UART_DLL = 0,       /* divisor latch (DLAB=1) */
    UART_DLM = 1,
    UART_FCR = 2,
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_SCR = 7,
};

#define LCR_8N1        0x03
#define LCR_DLAB       0x80
#define FCR_ENABLE     0x01
#define FCR_CLEAR_RX   0x02
#define FCR_CLEAR_TX   0x04
#define MCR_DTR        0x01
#define MCR_RTS        0x02
#define MCR_OUT2       0x08
#define LSR_DR         0x01
#define LSR_THRE       0x20
#define LSR_TEMT       0x40

#define UART_CLOCK_DIVISOR_115200 1     /* 1.8432 MHz / 16 / 115200 */
/* A UART that never empties its holding register (absent, or stuck) must not
 * hang keel: give up on a byte after this many polls. */
#define TX_SPIN_LIMIT 100000

static bool uart_present;

static void uart_out(enum uart_reg reg, uint8_t v)
{
    outb((uint16_t)(COM1_PORT + reg), v);
}

static uint8_t uart_in(enum uart_reg reg)
{
    return inb((uint16_t)(COM1_PORT + reg));
}

static bool uart_probe(void)
{
    uart_out(UART_SCR, 0x5a);
    if (uart_in(UART_SCR) != 0x5a)
        return false;
    uart_out(UART_SCR, 0xa5);
    return uart_in(UART_SCR) == 0xa5;
}

static void uart_putc(char c)
{
    for (int i = 0; i < TX_SPIN_LIMIT; i++) {
        if (uart_in(UART_LSR) & LSR_THRE)
            break;
        cpu_relax();
    }
    uart_out(UART_RBR_THR, (uint8_t)c);
}

static void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            uart_putc('\r');
        uart_putc(s[i]);
    }
}

void uart_emergency_write(const char *s, size_t n)
{
    uart_write(s, n);
}

void uart_drain(void)
{
    for (int i = 0; uart_present && i < TX_SPIN_LIMIT; i++) {
        if (uart_in(UART_LSR) & LSR_TEMT)
            return;
        cpu_relax();
    }
}

int uart_try_getc(void)
{
    if (!uart_present || !(uart_in(UART_LSR) & LSR_DR))
        return -1;
    return uart_in(UART_RBR_THR);
}

static struct console com1_console = {
    .name = "com1",
    .write = uart_write,
};

bool uart_console_init(void)
{
    if (!uart_probe())
        return false;
    uart_out(UART_IER, 0);
    uart_out(UART_LCR, LCR_DLAB);
    uart_out(UART_DLL, UART_CLOCK_DIVISOR_115200);
    uart_out(UART_DLM, 0);
    uart_out(UART_LCR, LCR_8N1);
    uart_out(UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX);
    uart_out(UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
    uart_present = true;
    console_register(&com1_console);
    return true;
}
