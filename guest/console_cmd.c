/*
 * keel's console command interpreter: the line editor, the command table
 * and the commands (contract in guest/console_cmd.h).
 */
#include "guest/console_cmd.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/format.h"
#include "lib/string.h"

/* The bytes the editor acts on (ASCII control characters). */
#define KEY_CTRL_C          0x03
#define KEY_BACKSPACE       0x08
#define KEY_LF              0x0a
#define KEY_CR              0x0d
#define KEY_CTRL_U          0x15
#define KEY_ESC             0x1b
#define KEY_DEL             0x7f
#define PRINTABLE_FIRST     0x20
#define PRINTABLE_LAST      0x7e

/* ECMA-48 5.4: a control sequence is CSI, parameter bytes 0x30-0x3f,
 * intermediate bytes 0x20-0x2f, then one final byte 0x40-0x7e.  SS3 (8.3.143)
 * takes one byte after it. */
#define ESC_CSI_INTRODUCER  '['
#define ESC_SS3_INTRODUCER  'O'
#define CSI_MIDDLE_FIRST    0x20
#define CSI_MIDDLE_LAST     0x3f

#define ERASE_ONE_CHAR      "\b \b"     /* back, blank it, back again */
#define HIST_WORD           "hist"
#define WHY_MAX             128

/* ---- Output ------------------------------------------------------------- */

static void out(struct console_cmd *con, const char *s, size_t n)
{
    if (n)
        con->write(s, n, con->write_ctx);
}

static void out_str(struct console_cmd *con, const char *s)
{
    out(con, s, strlen(s));
}

void console_cmd_print_line(const char *text, void *con)
{
    out_str(con, text);
    out_str(con, "\n");
}

void console_cmd_printf(struct console_cmd *con, const char *fmt, ...)
{
    char text[CONSOLE_CMD_OUTPUT_MAX];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    console_cmd_print_line(text, con);
}

/* ---- The command table -------------------------------------------------- */

struct console_command {
    const char *name;
    const char *args;           /* the arguments as the usage line shows them */
    const char *help;           /* one line */
    unsigned min_args, max_args;
    /* args[0..nargs) are the words after the command.  A handler that finds
     * an argument wrong prints why and returns CONSOLE_CMD_BAD_ARGS; the
     * dispatcher then prints the usage line. */
    enum console_cmd_result (*run)(struct console_cmd *con, unsigned nargs, char **args);
};

/* Defined after the table, which needs the handlers first. */
static const struct console_command *find_command(const char *name);
static void print_usage(struct console_cmd *con, const struct console_command *cmd);
static void print_command_list(struct console_cmd *con);
static void print_command_names(struct console_cmd *con);

/* ---- Command helpers ---------------------------------------------------- */

static enum console_cmd_result unavailable(struct console_cmd *con, const char *command)
{
    console_cmd_printf(con, "'%s' is not available in this keel", command);
    return CONSOLE_CMD_UNAVAILABLE;
}

/* The VM an argument names, or NULL after saying there is none. */
static struct vm *vm_argument(struct console_cmd *con, const char *name)
{
    struct vm *vm = con->ops->find_vm(name, con->ops_ctx);
    if (!vm)
        console_cmd_printf(con, "no VM named '%s' ('vms' lists them)", name);
    return vm;
}

typedef int (*run_state_op)(struct vm *vm, char *why, size_t whylen, void *ctx);

/* pause, resume and stop: one VM argument, an op that may refuse. */
static enum console_cmd_result change_run_state(struct console_cmd *con, const char *command,
                                                run_state_op op, const char *done,
                                                const char *name)
{
    if (!con->ops->find_vm || !op)
        return unavailable(con, command);
    struct vm *vm = vm_argument(con, name);
    if (!vm)
        return CONSOLE_CMD_BAD_ARGS;
    char why[WHY_MAX];
    why[0] = '\0';
    if (op(vm, why, sizeof(why), con->ops_ctx) != 0) {
        console_cmd_printf(con, "cannot %s VM '%s': %s", command, name,
                           why[0] ? why : "refused");
        return CONSOLE_CMD_REFUSED;
    }
    console_cmd_printf(con, "VM '%s' %s", name, done);
    return CONSOLE_CMD_OK;
}

/* ---- The commands ------------------------------------------------------- */

static enum console_cmd_result cmd_help(struct console_cmd *con, unsigned nargs, char **args)
{
    if (nargs == 0) {
        print_command_list(con);
        return CONSOLE_CMD_OK;
    }
    const struct console_command *cmd = find_command(args[0]);
    if (!cmd) {
        console_cmd_printf(con, "no command '%s'", args[0]);
        return CONSOLE_CMD_BAD_ARGS;
    }
    print_usage(con, cmd);
    return CONSOLE_CMD_OK;
}

static enum console_cmd_result cmd_vms(struct console_cmd *con, unsigned nargs, char **args)
{
    (void)nargs;
    (void)args;
    if (!con->ops->list_vms)
        return unavailable(con, "vms");
    con->ops->list_vms(con, con->ops_ctx);
    return CONSOLE_CMD_OK;
}

/* stats [VM] [hist]: a lone word is `hist` or a VM name; of two words the
 * second must be `hist`.  (A VM called "hist" is `stats hist hist`.) */
static enum console_cmd_result cmd_stats(struct console_cmd *con, unsigned nargs, char **args)
{
    const char *vm_name = NULL;
    bool histograms = false;
    if (nargs == 2) {
        if (strcmp(args[1], HIST_WORD) != 0) {
            console_cmd_printf(con, "'%s' is not '%s'", args[1], HIST_WORD);
            return CONSOLE_CMD_BAD_ARGS;
        }
        vm_name = args[0];
        histograms = true;
    } else if (nargs == 1) {
        if (strcmp(args[0], HIST_WORD) == 0)
            histograms = true;
        else
            vm_name = args[0];
    }

    if (!con->ops->print_stats || (vm_name && !con->ops->find_vm))
        return unavailable(con, "stats");
    struct vm *vm = NULL;
    if (vm_name && !(vm = vm_argument(con, vm_name)))
        return CONSOLE_CMD_BAD_ARGS;
    con->ops->print_stats(con, vm, histograms, con->ops_ctx);
    return CONSOLE_CMD_OK;
}

static enum console_cmd_result cmd_trace(struct console_cmd *con, unsigned nargs, char **args)
{
    (void)nargs;
    if (!con->ops->find_vm || !con->ops->print_trace)
        return unavailable(con, "trace");
    struct vm *vm = vm_argument(con, args[0]);
    if (!vm)
        return CONSOLE_CMD_BAD_ARGS;
    con->ops->print_trace(con, vm, con->ops_ctx);
    return CONSOLE_CMD_OK;
}

static enum console_cmd_result cmd_regs(struct console_cmd *con, unsigned nargs, char **args)
{
    (void)nargs;
    if (!con->ops->find_vm || !con->ops->print_regs)
        return unavailable(con, "regs");
    struct vm *vm = vm_argument(con, args[0]);
    if (!vm)
        return CONSOLE_CMD_BAD_ARGS;
    con->ops->print_regs(con, vm, con->ops_ctx);
    return CONSOLE_CMD_OK;
}

static enum console_cmd_result cmd_reset_stats(struct console_cmd *con, unsigned nargs,
                                               char **args)
{
    if (!con->ops->reset_stats || (nargs && !con->ops->find_vm))
        return unavailable(con, "reset-stats");
    struct vm *vm = NULL;
    if (nargs && !(vm = vm_argument(con, args[0])))
        return CONSOLE_CMD_BAD_ARGS;
    con->ops->reset_stats(vm, con->ops_ctx);
    if (vm)
        console_cmd_printf(con, "exit statistics of VM '%s' reset", args[0]);
    else
        console_cmd_printf(con, "exit statistics of every VM reset");
    return CONSOLE_CMD_OK;
}

static enum console_cmd_result cmd_pause(struct console_cmd *con, unsigned nargs, char **args)
{
    (void)nargs;
    return change_run_state(con, "pause", con->ops->pause_vm, "paused", args[0]);
}

static enum console_cmd_result cmd_resume(struct console_cmd *con, unsigned nargs, char **args)
{
    (void)nargs;
    return change_run_state(con, "resume", con->ops->resume_vm, "resumed", args[0]);
}

static enum console_cmd_result cmd_stop(struct console_cmd *con, unsigned nargs, char **args)
{
    (void)nargs;
    return change_run_state(con, "stop", con->ops->stop_vm, "stopped", args[0]);
}

static const struct console_command commands[] = {
    { "help", "[COMMAND]", "list the commands, or explain one", 0, 1, cmd_help },
    { "vms", "", "list the VMs and their state", 0, 0, cmd_vms },
    { "stats", "[VM] [hist]", "exit statistics of VM or of every VM; hist adds histograms",
      0, 2, cmd_stats },
    { "trace", "VM", "the last exits of VM, oldest first", 1, 1, cmd_trace },
    { "regs", "VM", "the registers of VM at its last exit", 1, 1, cmd_regs },
    { "reset-stats", "[VM]", "empty the exit statistics of VM or of every VM", 0, 1,
      cmd_reset_stats },
    { "pause", "VM", "stop entering VM until resume", 1, 1, cmd_pause },
    { "resume", "VM", "enter a paused VM again", 1, 1, cmd_resume },
    { "stop", "VM", "stop VM for good, as if it had ended", 1, 1, cmd_stop },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct console_command *find_command(const char *name)
{
    for (size_t i = 0; i < NR_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* "stats [VM] [hist]" */
static void command_synopsis(const struct console_command *cmd, char *buf, size_t size)
{
    ksnprintf(buf, size, "%s%s%s", cmd->name, cmd->args[0] ? " " : "", cmd->args);
}

static void print_usage(struct console_cmd *con, const struct console_command *cmd)
{
    char synopsis[CONSOLE_CMD_OUTPUT_MAX];
    command_synopsis(cmd, synopsis, sizeof(synopsis));
    console_cmd_printf(con, "usage: %s -- %s", synopsis, cmd->help);
}

static void print_command_list(struct console_cmd *con)
{
    char synopsis[CONSOLE_CMD_OUTPUT_MAX];
    int width = 0;
    for (size_t i = 0; i < NR_COMMANDS; i++) {
        command_synopsis(&commands[i], synopsis, sizeof(synopsis));
        if ((int)strlen(synopsis) > width)
            width = (int)strlen(synopsis);
    }
    console_cmd_print_line("commands:", con);
    for (size_t i = 0; i < NR_COMMANDS; i++) {
        command_synopsis(&commands[i], synopsis, sizeof(synopsis));
        console_cmd_printf(con, "  %-*s  %s", width, synopsis, commands[i].help);
    }
    console_cmd_print_line("editing: Backspace, Ctrl-U erases the line, Ctrl-C abandons it",
                           con);
}

/* "commands: help vms stats ... ('help' explains them)" */
static void print_command_names(struct console_cmd *con)
{
    char text[CONSOLE_CMD_OUTPUT_MAX];
    int len = ksnprintf(text, sizeof(text), "commands:");
    for (size_t i = 0; i < NR_COMMANDS && (size_t)len < sizeof(text); i++)
        len += ksnprintf(text + len, sizeof(text) - (size_t)len, " %s", commands[i].name);
    if ((size_t)len < sizeof(text))
        ksnprintf(text + len, sizeof(text) - (size_t)len, " ('help' explains them)");
    console_cmd_print_line(text, con);
}

/* ---- Running a line ----------------------------------------------------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Splits words in place; returns how many there are, of which at most max
 * are stored. */
static unsigned split_words(char *s, char **words, unsigned max)
{
    unsigned n = 0;
    for (;;) {
        while (is_blank(*s))
            s++;
        if (!*s)
            return n;
        if (n < max)
            words[n] = s;
        n++;
        while (*s && !is_blank(*s))
            s++;
        if (!*s)
            return n;
        *s++ = '\0';
    }
}

enum console_cmd_result console_cmd_execute(struct console_cmd *con, const char *line)
{
    char copy[CONSOLE_CMD_LINE_MAX + 1];
    if (strlen(line) > CONSOLE_CMD_LINE_MAX) {
        console_cmd_printf(con, "line too long: at most %d characters; nothing was run",
                           CONSOLE_CMD_LINE_MAX);
        return CONSOLE_CMD_TOO_LONG;
    }
    memcpy(copy, line, strlen(line) + 1);

    char *words[CONSOLE_CMD_MAX_WORDS];
    unsigned nwords = split_words(copy, words, CONSOLE_CMD_MAX_WORDS);
    if (nwords == 0)
        return CONSOLE_CMD_EMPTY;

    const struct console_command *cmd = find_command(words[0]);
    if (!cmd) {
        console_cmd_printf(con, "unknown command '%s'", words[0]);
        print_command_names(con);
        return CONSOLE_CMD_UNKNOWN;
    }

    unsigned nargs = nwords - 1;
    enum console_cmd_result result;
    if (nargs < cmd->min_args) {
        console_cmd_printf(con, "missing argument");
        result = CONSOLE_CMD_BAD_ARGS;
    } else if (nargs > cmd->max_args) {
        console_cmd_printf(con, "too many arguments");
        result = CONSOLE_CMD_BAD_ARGS;
    } else {
        result = cmd->run(con, nargs, words + 1);
    }
    if (result == CONSOLE_CMD_BAD_ARGS)
        print_usage(con, cmd);
    return result;
}

/* ---- The line editor ---------------------------------------------------- */

void console_cmd_init(struct console_cmd *con, const struct console_ops *ops, void *ops_ctx,
                      console_write_fn write, void *write_ctx)
{
    memset(con, 0, sizeof(*con));
    con->ops = ops;
    con->ops_ctx = ops_ctx;
    con->write = write;
    con->write_ctx = write_ctx;
    con->escape = CONSOLE_ESC_NONE;
}

void console_cmd_prompt(struct console_cmd *con)
{
    out_str(con, CONSOLE_CMD_PROMPT);
    out(con, con->line, con->len);
}

static void clear_line(struct console_cmd *con)
{
    con->len = 0;
    con->line[0] = '\0';
    con->overflowed = false;
}

static void insert_char(struct console_cmd *con, char c)
{
    if (con->len == CONSOLE_CMD_LINE_MAX) {
        con->overflowed = true;
        return;
    }
    con->line[con->len++] = c;
    con->line[con->len] = '\0';
    out(con, &c, 1);
}

static void erase_last_char(struct console_cmd *con)
{
    if (con->len == 0)
        return;
    con->line[--con->len] = '\0';
    out_str(con, ERASE_ONE_CHAR);
}

static void erase_line(struct console_cmd *con)
{
    while (con->len)
        erase_last_char(con);
    clear_line(con);
}

static enum console_cmd_result cancel_line(struct console_cmd *con)
{
    out_str(con, "^C\n");
    clear_line(con);
    console_cmd_prompt(con);
    return CONSOLE_CMD_CANCELLED;
}

static enum console_cmd_result end_line(struct console_cmd *con)
{
    enum console_cmd_result result;
    out_str(con, "\n");
    if (con->overflowed) {
        console_cmd_printf(con, "line too long: at most %d characters; nothing was run",
                           CONSOLE_CMD_LINE_MAX);
        result = CONSOLE_CMD_TOO_LONG;
    } else {
        result = console_cmd_execute(con, con->line);
    }
    clear_line(con);
    console_cmd_prompt(con);
    return result;
}

/* One byte inside an escape sequence.  Returns false when the byte is not
 * part of it (a control character cuts a sequence short): the caller then
 * handles it as typed. */
static bool escape_byte(struct console_cmd *con, unsigned char c)
{
    if (c < PRINTABLE_FIRST) {
        con->escape = CONSOLE_ESC_NONE;
        return false;
    }
    switch (con->escape) {
    case CONSOLE_ESC_START:
        if (c == ESC_CSI_INTRODUCER)
            con->escape = CONSOLE_ESC_CSI;
        else if (c == ESC_SS3_INTRODUCER)
            con->escape = CONSOLE_ESC_SS3;
        else
            con->escape = CONSOLE_ESC_NONE;     /* Alt+key: ESC and the key */
        break;
    case CONSOLE_ESC_CSI:
        if (c < CSI_MIDDLE_FIRST || c > CSI_MIDDLE_LAST)
            con->escape = CONSOLE_ESC_NONE;     /* the final byte */
        break;
    case CONSOLE_ESC_SS3:
    case CONSOLE_ESC_NONE:
        con->escape = CONSOLE_ESC_NONE;
        break;
    }
    return true;
}

enum console_cmd_result console_cmd_feed(struct console_cmd *con, char ch)
{
    unsigned char c = (unsigned char)ch;
    bool after_cr = con->after_cr;
    con->after_cr = false;

    if (con->escape != CONSOLE_ESC_NONE && escape_byte(con, c))
        return CONSOLE_CMD_PENDING;

    switch (c) {
    case KEY_CR:
        con->after_cr = true;
        return end_line(con);
    case KEY_LF:
        return after_cr ? CONSOLE_CMD_PENDING : end_line(con);
    case KEY_BACKSPACE:
    case KEY_DEL:
        erase_last_char(con);
        return CONSOLE_CMD_PENDING;
    case KEY_CTRL_U:
        erase_line(con);
        return CONSOLE_CMD_PENDING;
    case KEY_CTRL_C:
        return cancel_line(con);
    case KEY_ESC:
        con->escape = CONSOLE_ESC_START;
        return CONSOLE_CMD_PENDING;
    default:
        if (c >= PRINTABLE_FIRST && c <= PRINTABLE_LAST)
            insert_char(con, (char)c);
        return CONSOLE_CMD_PENDING;
    }
}
