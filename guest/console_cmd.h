/*
 * keel's console command interpreter (guest/console_cmd.c): pure logic,
 * host-tested.
 *
 * When keel's console has the keyboard (rather than a guest), each byte the
 * user types goes to console_cmd_feed().  A line editor collects the line and
 * echoes it through the write callback; Enter runs it as a command.  The
 * commands act on VMs only through struct console_ops, which the VM code
 * implements, so nothing here knows what a VM is made of.
 *
 * Line editing (bytes as a terminal or keel's keyboard driver sends them):
 *   0x20-0x7e      added to the line and echoed, up to CONSOLE_CMD_LINE_MAX
 *                  characters; further ones are dropped unechoed, and the
 *                  line is then refused at Enter (running a cut-off command
 *                  line could act on another VM than the one typed)
 *   0x08, 0x7f     backspace / DEL: remove the last character ("\b \b");
 *                  nothing on an empty line
 *   CR or LF       Enter; the LF of a CR LF pair is one Enter, not two
 *   Ctrl-U (0x15)  erase the whole line
 *   Ctrl-C (0x03)  abandon the line: "^C", a new prompt
 *   ESC sequences  (ECMA-48 CSI "ESC [ ... final" and SS3 "ESC O x", which
 *                  arrow and function keys send) are swallowed whole
 *   anything else  ignored
 * Output uses "\n" for a new line: keel's consoles turn it into CR LF.
 *
 * Commands (words separated by blanks; `help` lists them):
 *   help [COMMAND]      vms               stats [VM] [hist]   trace VM
 *   regs VM             reset-stats [VM]  pause VM            resume VM
 *   stop VM
 * An unknown command prints its name and the list of commands; a bad
 * argument (wrong count, no such VM, a word that is not `hist`) prints what
 * is wrong and the command's usage line.  Nothing is run in either case.
 */
#ifndef KEEL_GUEST_CONSOLE_CMD_H
#define KEEL_GUEST_CONSOLE_CMD_H

#include <stdbool.h>
#include <stddef.h>

/* Characters a command line holds: with the prompt it fits one 80-column
 * text row, so the editor never has to deal with a wrapped line. */
#define CONSOLE_CMD_LINE_MAX    72
#define CONSOLE_CMD_PROMPT      "keel> "
/* Words a line may have (the command and its arguments). */
#define CONSOLE_CMD_MAX_WORDS   8
/* The longest line console_cmd_printf() writes, with its NUL. */
#define CONSOLE_CMD_OUTPUT_MAX  256

struct vm;
struct console_cmd;

/*
 * What the interpreter needs from the VM code.  Every callback gets the ctx
 * given to console_cmd_init().  Printing callbacks write their lines with
 * console_cmd_print_line(text, con) or console_cmd_printf(con, ...), so
 * renderers that take a line callback (exit_stats_render, exit_trace_dump)
 * can be handed console_cmd_print_line and con directly.  A NULL callback
 * makes its command answer "not available".
 */
struct console_ops {
    /* The VM with this name, or NULL. */
    struct vm *(*find_vm)(const char *name, void *ctx);
    /* One line per VM: its name and state. */
    void (*list_vms)(struct console_cmd *con, void *ctx);
    /* The exit statistics table of vm, or of every VM when vm is NULL;
     * histograms as well when asked. */
    void (*print_stats)(struct console_cmd *con, struct vm *vm, bool histograms, void *ctx);
    /* The exit trace ring of each of vm's vCPUs. */
    void (*print_trace)(struct console_cmd *con, struct vm *vm, void *ctx);
    /* vm's registers, as of its last exit. */
    void (*print_regs)(struct console_cmd *con, struct vm *vm, void *ctx);
    /* Empties the exit statistics (not the trace) of vm, or of every VM
     * when vm is NULL. */
    void (*reset_stats)(struct vm *vm, void *ctx);
    /* Change vm's run state.  Each returns 0, or -1 after writing why not
     * into why ("it has stopped", "it is not paused") for the user. */
    int (*pause_vm)(struct vm *vm, char *why, size_t whylen, void *ctx);
    int (*resume_vm)(struct vm *vm, char *why, size_t whylen, void *ctx);
    int (*stop_vm)(struct vm *vm, char *why, size_t whylen, void *ctx);
};

/* Writes n bytes to keel's console (no NUL; "\n" for a new line). */
typedef void (*console_write_fn)(const char *s, size_t n, void *ctx);

enum console_cmd_result {
    CONSOLE_CMD_PENDING,        /* console_cmd_feed(): no line was ended */
    CONSOLE_CMD_OK,             /* the command ran */
    CONSOLE_CMD_EMPTY,          /* a blank line: nothing to run */
    CONSOLE_CMD_UNKNOWN,        /* no such command */
    CONSOLE_CMD_BAD_ARGS,       /* wrong arguments: usage printed */
    CONSOLE_CMD_REFUSED,        /* the VM code said no (pause of a stopped VM...) */
    CONSOLE_CMD_UNAVAILABLE,    /* its console_ops callback is NULL */
    CONSOLE_CMD_TOO_LONG,       /* the line overflowed CONSOLE_CMD_LINE_MAX: not run */
    CONSOLE_CMD_CANCELLED,      /* Ctrl-C */
};

enum console_escape_state {
    CONSOLE_ESC_NONE,
    CONSOLE_ESC_START,          /* after ESC */
    CONSOLE_ESC_CSI,            /* after ESC [: parameters until a final byte */
    CONSOLE_ESC_SS3,            /* after ESC O: one more byte */
};

/* The interpreter's state; fields are private to console_cmd.c. */
struct console_cmd {
    const struct console_ops *ops;
    void *ops_ctx;
    console_write_fn write;
    void *write_ctx;
    char line[CONSOLE_CMD_LINE_MAX + 1];
    size_t len;
    bool overflowed;            /* characters were dropped from this line */
    bool after_cr;              /* the last byte was CR: a LF now is part of it */
    enum console_escape_state escape;
};

/* Sets con up with an empty line; prints nothing. */
void console_cmd_init(struct console_cmd *con, const struct console_ops *ops, void *ops_ctx,
                      console_write_fn write, void *write_ctx);

/* Prints the prompt followed by the line typed so far: when the console
 * gets the keyboard, and by the editor after each command. */
void console_cmd_prompt(struct console_cmd *con);

/* Takes one byte typed by the user (see the table above).  Returns
 * CONSOLE_CMD_PENDING, or how the line it ended went. */
enum console_cmd_result console_cmd_feed(struct console_cmd *con, char c);

/* Runs one command line as if typed, without echo or prompt (the line is
 * not modified).  A line longer than CONSOLE_CMD_LINE_MAX is refused, as the
 * editor refuses one: CONSOLE_CMD_TOO_LONG. */
enum console_cmd_result console_cmd_execute(struct console_cmd *con, const char *line);

/* Writes text and a new line.  con is a struct console_cmd *: the signature
 * is that of the renderers' line callbacks. */
void console_cmd_print_line(const char *text, void *con);

/* Formats one line (cut at CONSOLE_CMD_OUTPUT_MAX - 1 characters) and
 * writes it with a new line. */
void console_cmd_printf(struct console_cmd *con, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
