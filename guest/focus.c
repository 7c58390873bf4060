#include "guest/focus.h"

#include "drivers/console.h"
#include "drivers/ps2kbd.h"
#include "drivers/uart16550.h"
#include "guest/console_cmd.h"
#include "guest/console_ops.h"
#include "guest/dev/uart16550.h"
#include "guest/vm_table.h"
#include "kernel/finish.h"
#include "kernel/log.h"
#include "arch/x86/cpu.h"

#define KEEL_CONSOLE (-1)
/* Bytes for a VM whose receive FIFO is full wait here (per VM), so typing
 * fast into a busy guest loses nothing keel can keep. */
#define PENDING_MAX 256

struct pending_input {
    uint8_t bytes[PENDING_MAX];
    unsigned head, count;
};

static int focus = KEEL_CONSOLE;
/* keel's console left a line open (its prompt, and what was typed): a
 * guest's output line must start on a line of its own, and the prompt comes
 * back after it. */
static bool prompt_line_open, reprompt;
static unsigned switch_keys;            /* consecutive Ctrl-A seen */
static struct pending_input pending[VM_MAX_VMS];
static struct console_cmd keel_console;

static void console_out(const char *s, size_t n, void *ctx)
{
    (void)ctx;
    if (n)
        prompt_line_open = s[n - 1] != '\n';
    console_write(s, n);
}

void focus_before_guest_line(void)
{
    if (!prompt_line_open)
        return;
    console_write("\n", 1);
    prompt_line_open = false;
    reprompt = focus == KEEL_CONSOLE;
}

static void announce_focus(bool show_prompt)
{
    if (focus == KEEL_CONSOLE) {
        kprintf("\nkeel: input goes to keel's console (help lists its commands; "
                "Ctrl-A three times switches)\n");
        if (show_prompt)
            console_cmd_prompt(&keel_console);
    } else {
        kprintf("\nkeel: input goes to vm %s (Ctrl-A three times switches)\n", vms[focus].name);
    }
}

/* After the run: keel's console keeps answering until the machine is
 * switched off. */
static _Noreturn void console_forever(void)
{
    focus = KEEL_CONSOLE;
    console_cmd_prompt(&keel_console);
    for (;;) {
        focus_poll();
        cpu_relax();
    }
}

void focus_init(void)
{
    finish_idle_hook = console_forever;
    console_cmd_init(&keel_console, &keel_console_ops, NULL, console_out, NULL);
    focus = KEEL_CONSOLE;
    switch_keys = 0;
    announce_focus(false);
}

static void next_focus(void)
{
    do {
        focus = focus + 1 == (int)nr_vms ? KEEL_CONSOLE : focus + 1;
    } while (focus != KEEL_CONSOLE && vms[focus].state == VM_STATE_NOT_STARTED);
    announce_focus(true);
}

/* Hands waiting bytes to the VM's UART while its receive FIFO has room. */
static void drain_pending(struct vm *vm)
{
    struct pending_input *p = &pending[vm->index];
    struct uart16550 *uart = uart16550_of(vm, 1);
    while (p->count && uart && uart16550_can_receive(uart)) {
        uart16550_receive(uart, p->bytes[p->head]);
        p->head = (p->head + 1) % PENDING_MAX;
        p->count--;
    }
}

static void to_vm(struct vm *vm, uint8_t byte)
{
    struct pending_input *p = &pending[vm->index];
    if (vm->state == VM_STATE_STOPPED || p->count == PENDING_MAX)
        return;
    p->bytes[(p->head + p->count) % PENDING_MAX] = byte;
    p->count++;
    drain_pending(vm);
    /* A guest halted waiting for input has nothing to wake it yet (no
     * interrupt controller), so it keeps polling only if it never halted:
     * leave its state alone. */
}

static void deliver(uint8_t byte)
{
    if (focus == KEEL_CONSOLE) {
        /* A NUL is never typed at keel's prompt; some emulated UARTs (Bochs
         * 2.7's FIFO timeout) make them up. */
        if (byte == 0)
            return;
        if (!prompt_line_open && byte != '\r' && byte != '\n')
            console_cmd_prompt(&keel_console);     /* typing where no prompt shows */
        console_cmd_feed(&keel_console, (char)byte);
    }
    else
        to_vm(&vms[focus], byte);
}

void focus_input(uint8_t byte)
{
    if (byte == FOCUS_SWITCH_KEY) {
        if (++switch_keys == FOCUS_SWITCH_COUNT) {
            switch_keys = 0;
            next_focus();
        }
        return;
    }
    /* Fewer than three Ctrl-A were meant for the focus, not for switching. */
    for (; switch_keys; switch_keys--)
        deliver(FOCUS_SWITCH_KEY);
    deliver(byte);
}

void focus_poll(void)
{
    int c;
    if (reprompt) {
        reprompt = false;
        console_cmd_prompt(&keel_console);
    }
    while ((c = uart_try_getc()) >= 0)
        focus_input((uint8_t)c);
    while ((c = ps2kbd_try_getc()) >= 0)
        focus_input((uint8_t)c);
    for (size_t i = 0; i < nr_vms; i++)
        if (pending[i].count)
            drain_pending(&vms[i]);
}
