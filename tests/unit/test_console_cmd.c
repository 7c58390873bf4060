/*
 * Host tests for guest/console_cmd.c.
 *
 * A fake set of console_ops stands in for the VM code: three VMs ("a"
 * running, "b" stopped, and one named "hist" to test that word), and every
 * callback records what it was asked.  Output is captured whole, so the
 * tests see the echo, the messages and the prompts exactly as a terminal
 * would receive them.  One test hands exit_stats_render() and
 * exit_trace_dump() console_cmd_print_line, as the VM code will.
 */
#include "tests/unit/unit.h"

#include "guest/console_cmd.c"
#include "guest/exit_stats.c"
#include "guest/exit_trace.c"
#include "lib/format.c"
#include "vmx/vmx_names.c"

/* ---- Captured output --------------------------------------------------- */

static char output[1 << 16];
static size_t output_len;

static void capture_write(const char *s, size_t n, void *ctx)
{
    (void)ctx;
    if (output_len + n >= sizeof(output)) {
        UNIT_FAIL("output buffer full");
        return;
    }
    memcpy(output + output_len, s, n);
    output_len += n;
    output[output_len] = '\0';
}

static void clear_output(void)
{
    output_len = 0;
    output[0] = '\0';
}

static size_t occurrences(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- The fake VM code -------------------------------------------------- */

enum fake_state { FAKE_RUNNING, FAKE_PAUSED, FAKE_STOPPED };

struct vm {
    const char *name;
    enum fake_state state;
};

static struct vm fake_vms[3];

enum fake_call {
    CALL_NONE, CALL_LIST, CALL_STATS, CALL_TRACE, CALL_REGS, CALL_RESET,
    CALL_PAUSE, CALL_RESUME, CALL_STOP,
};

static struct {
    int ncalls;
    enum fake_call last;
    struct vm *vm;
    bool histograms;
    void *ctx;
} calls;

static int ops_ctx_token;

static void called(enum fake_call what, struct vm *vm, void *ctx)
{
    calls.ncalls++;
    calls.last = what;
    calls.vm = vm;
    calls.ctx = ctx;
}

static struct vm *fake_find_vm(const char *name, void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof(fake_vms) / sizeof(fake_vms[0]); i++)
        if (strcmp(fake_vms[i].name, name) == 0)
            return &fake_vms[i];
    return NULL;
}

static void fake_list_vms(struct console_cmd *con, void *ctx)
{
    called(CALL_LIST, NULL, ctx);
    for (size_t i = 0; i < sizeof(fake_vms) / sizeof(fake_vms[0]); i++)
        console_cmd_printf(con, "%s %d", fake_vms[i].name, (int)fake_vms[i].state);
}

static void fake_print_stats(struct console_cmd *con, struct vm *vm, bool histograms, void *ctx)
{
    called(CALL_STATS, vm, ctx);
    calls.histograms = histograms;
    console_cmd_print_line("<stats>", con);
}

static void fake_print_trace(struct console_cmd *con, struct vm *vm, void *ctx)
{
    called(CALL_TRACE, vm, ctx);
    console_cmd_print_line("<trace>", con);
}

static void fake_print_regs(struct console_cmd *con, struct vm *vm, void *ctx)
{
    called(CALL_REGS, vm, ctx);
    console_cmd_print_line("<regs>", con);
}

static void fake_reset_stats(struct vm *vm, void *ctx)
{
    called(CALL_RESET, vm, ctx);
}

static int fake_pause(struct vm *vm, char *why, size_t whylen, void *ctx)
{
    called(CALL_PAUSE, vm, ctx);
    if (vm->state != FAKE_RUNNING) {
        snprintf(why, whylen, "it is not running");
        return -1;
    }
    vm->state = FAKE_PAUSED;
    return 0;
}

static int fake_resume(struct vm *vm, char *why, size_t whylen, void *ctx)
{
    called(CALL_RESUME, vm, ctx);
    if (vm->state != FAKE_PAUSED) {
        snprintf(why, whylen, "it is not paused");
        return -1;
    }
    vm->state = FAKE_RUNNING;
    return 0;
}

/* Refuses without a reason, to see the fallback text. */
static int fake_stop(struct vm *vm, char *why, size_t whylen, void *ctx)
{
    (void)why;
    (void)whylen;
    called(CALL_STOP, vm, ctx);
    if (vm->state == FAKE_STOPPED)
        return -1;
    vm->state = FAKE_STOPPED;
    return 0;
}

static const struct console_ops fake_ops = {
    .find_vm = fake_find_vm,
    .list_vms = fake_list_vms,
    .print_stats = fake_print_stats,
    .print_trace = fake_print_trace,
    .print_regs = fake_print_regs,
    .reset_stats = fake_reset_stats,
    .pause_vm = fake_pause,
    .resume_vm = fake_resume,
    .stop_vm = fake_stop,
};

static struct console_cmd con;

static void setup_with(const struct console_ops *ops)
{
    fake_vms[0] = (struct vm){ "a", FAKE_RUNNING };
    fake_vms[1] = (struct vm){ "b", FAKE_STOPPED };
    fake_vms[2] = (struct vm){ "hist", FAKE_RUNNING };
    memset(&calls, 0, sizeof(calls));
    memset(&con, 0x77, sizeof(con));    /* init must set every field */
    console_cmd_init(&con, ops, &ops_ctx_token, capture_write, NULL);
    clear_output();
}

static void setup(void)
{
    setup_with(&fake_ops);
}

/* Feeds each byte of s; returns the result of the last byte. */
static enum console_cmd_result type(const char *s)
{
    enum console_cmd_result r = CONSOLE_CMD_PENDING;
    for (; *s; s++)
        r = console_cmd_feed(&con, *s);
    return r;
}

static enum console_cmd_result run(const char *line)
{
    clear_output();
    memset(&calls, 0, sizeof(calls));
    return console_cmd_execute(&con, line);
}

/* ---- Line editing ------------------------------------------------------ */

TEST(init_prints_nothing_and_prompt_prints_the_prompt)
{
    setup();
    CHECK_STR(output, "");
    console_cmd_prompt(&con);
    CHECK_STR(output, "keel> ");
}

TEST(typed_line_is_echoed_and_run_on_enter)
{
    setup();
    CHECK_EQ_U(console_cmd_feed(&con, 'v'), CONSOLE_CMD_PENDING);
    CHECK_EQ_U(console_cmd_feed(&con, 'm'), CONSOLE_CMD_PENDING);
    CHECK_EQ_U(console_cmd_feed(&con, 's'), CONSOLE_CMD_PENDING);
    CHECK_STR(output, "vms");
    CHECK_EQ_I(calls.ncalls, 0);
    CHECK_EQ_U(console_cmd_feed(&con, '\r'), CONSOLE_CMD_OK);
    CHECK_EQ_I(calls.ncalls, 1);
    CHECK_EQ_U(calls.last, CALL_LIST);
    CHECK(calls.ctx == &ops_ctx_token);
    CHECK_STR(output, "vms\na 0\nb 2\nhist 0\nkeel> ");
    CHECK_EQ_U(con.len, 0);
}

TEST(lf_alone_is_enter)
{
    setup();
    CHECK_EQ_U(type("vms\n"), CONSOLE_CMD_OK);
    CHECK_EQ_I(calls.ncalls, 1);
}

TEST(cr_lf_is_one_enter)
{
    setup();
    CHECK_EQ_U(type("vms\r"), CONSOLE_CMD_OK);
    CHECK_EQ_U(console_cmd_feed(&con, '\n'), CONSOLE_CMD_PENDING);
    CHECK_EQ_I(calls.ncalls, 1);
    CHECK_EQ_U(occurrences(output, "keel> "), 1);
    /* A second LF is a new (empty) Enter, and so is CR CR. */
    CHECK_EQ_U(console_cmd_feed(&con, '\n'), CONSOLE_CMD_EMPTY);
    CHECK_EQ_U(console_cmd_feed(&con, '\r'), CONSOLE_CMD_EMPTY);
    CHECK_EQ_U(console_cmd_feed(&con, '\r'), CONSOLE_CMD_EMPTY);
    CHECK_EQ_U(occurrences(output, "keel> "), 4);
}

TEST(empty_and_blank_lines_run_nothing)
{
    setup();
    CHECK_EQ_U(type("\r"), CONSOLE_CMD_EMPTY);
    CHECK_STR(output, "\nkeel> ");
    CHECK_EQ_U(type("   \t \r"), CONSOLE_CMD_EMPTY);
    CHECK_EQ_I(calls.ncalls, 0);
}

TEST(backspace_on_an_empty_line_does_nothing)
{
    setup();
    CHECK_EQ_U(console_cmd_feed(&con, '\b'), CONSOLE_CMD_PENDING);
    CHECK_EQ_U(console_cmd_feed(&con, 0x7f), CONSOLE_CMD_PENDING);
    CHECK_STR(output, "");
    CHECK_EQ_U(con.len, 0);
}

TEST(backspace_and_del_remove_the_last_character)
{
    setup();
    type("vmx");
    console_cmd_feed(&con, '\b');
    CHECK_STR(output, "vmx\b \b");
    type("sq");
    console_cmd_feed(&con, 0x7f);
    CHECK_STR(con.line, "vms");
    CHECK_EQ_U(type("\r"), CONSOLE_CMD_OK);
    CHECK_EQ_U(calls.last, CALL_LIST);
    /* More backspaces than characters stop at the empty line. */
    clear_output();
    type("ab\b\b\b\b");
    CHECK_STR(output, "ab\b \b\b \b");
    CHECK_EQ_U(con.len, 0);
}

TEST(ctrl_u_erases_the_line)
{
    setup();
    type("stop a");
    clear_output();
    CHECK_EQ_U(console_cmd_feed(&con, 0x15), CONSOLE_CMD_PENDING);
    CHECK_EQ_U(occurrences(output, "\b \b"), 6);
    CHECK_EQ_U(con.len, 0);
    CHECK_EQ_U(type("\r"), CONSOLE_CMD_EMPTY);
    CHECK_EQ_I(calls.ncalls, 0);
    CHECK_EQ_U(fake_vms[0].state, FAKE_RUNNING);
}

TEST(ctrl_c_abandons_the_line)
{
    setup();
    type("stop a");
    clear_output();
    CHECK_EQ_U(console_cmd_feed(&con, 0x03), CONSOLE_CMD_CANCELLED);
    CHECK_STR(output, "^C\nkeel> ");
    CHECK_EQ_I(calls.ncalls, 0);
    CHECK_EQ_U(type("\r"), CONSOLE_CMD_EMPTY);
}

TEST(other_control_and_high_bytes_are_ignored)
{
    setup();
    type("v\tm\001s");
    console_cmd_feed(&con, (char)0x80);
    console_cmd_feed(&con, (char)0xff);
    CHECK_STR(output, "vms");
    CHECK_EQ_U(type("\r"), CONSOLE_CMD_OK);
}

TEST(escape_sequences_are_swallowed)
{
    setup();
    type("v\x1b[A");            /* up arrow */
    type("m\x1b[1;5C");         /* ctrl + right arrow */
    type("\x1bOP");             /* F1, SS3 form */
    type("\x1b[3~");            /* Delete key */
    type("\x1bx");              /* Alt+x: dropped with its ESC */
    type("s");
    CHECK_STR(output, "vms");
    CHECK_STR(con.line, "vms");
    CHECK_EQ_U(type("\r"), CONSOLE_CMD_OK);
}

TEST(control_byte_cuts_an_escape_sequence_short)
{
    setup();
    type("vms\x1b[1");
    CHECK_EQ_U(console_cmd_feed(&con, '\r'), CONSOLE_CMD_OK);
    CHECK_EQ_U(calls.last, CALL_LIST);
    type("\x1b");
    CHECK_EQ_U(console_cmd_feed(&con, '\b'), CONSOLE_CMD_PENDING);
    CHECK_EQ_U(con.escape, CONSOLE_ESC_NONE);
}

TEST(line_of_exactly_the_limit_runs)
{
    setup();
    char line[CONSOLE_CMD_LINE_MAX + 1];
    memset(line, ' ', CONSOLE_CMD_LINE_MAX);
    memcpy(line, "vms", 3);
    line[CONSOLE_CMD_LINE_MAX] = '\0';
    type(line);
    CHECK_EQ_U(con.len, CONSOLE_CMD_LINE_MAX);
    CHECK_EQ_U(type("\r"), CONSOLE_CMD_OK);
}

TEST(long_line_is_cut_and_refused)
{
    setup();
    char line[CONSOLE_CMD_LINE_MAX + 11];
    memset(line, 'x', sizeof(line) - 1);
    memcpy(line, "stop a ", 7);
    line[sizeof(line) - 1] = '\0';
    type(line);
    CHECK_EQ_U(con.len, CONSOLE_CMD_LINE_MAX);
    CHECK_EQ_U(strlen(output), CONSOLE_CMD_LINE_MAX);       /* the rest was not echoed */
    clear_output();
    CHECK_EQ_U(type("\r"), CONSOLE_CMD_TOO_LONG);
    CHECK_STR(output, "\nline too long: at most 72 characters; nothing was run\nkeel> ");
    CHECK_EQ_I(calls.ncalls, 0);
    CHECK_EQ_U(fake_vms[0].state, FAKE_RUNNING);
    /* The next line is a fresh one. */
    CHECK_EQ_U(type("vms\r"), CONSOLE_CMD_OK);
}

TEST(ctrl_u_forgets_an_overflow)
{
    setup();
    for (int i = 0; i < CONSOLE_CMD_LINE_MAX + 5; i++)
        console_cmd_feed(&con, 'x');
    console_cmd_feed(&con, 0x15);
    CHECK_EQ_U(type("vms\r"), CONSOLE_CMD_OK);
}

TEST(prompt_reprints_the_line_so_far)
{
    setup();
    type("stats a");
    clear_output();
    console_cmd_prompt(&con);
    CHECK_STR(output, "keel> stats a");
}

/* ---- The commands ------------------------------------------------------ */

TEST(help_lists_every_command)
{
    setup();
    CHECK_EQ_U(run("help"), CONSOLE_CMD_OK);
    const char *expected[] = {
        "commands:\n",
        "\n  help [COMMAND]     list the commands, or explain one\n",
        "\n  vms                list the VMs and their state\n",
        "\n  stats [VM] [hist]  exit statistics of VM or of every VM; hist adds histograms\n",
        "\n  trace VM           the last exits of VM, oldest first\n",
        "\n  regs VM            the registers of VM at its last exit\n",
        "\n  reset-stats [VM]   empty the exit statistics of VM or of every VM\n",
        "\n  pause VM           stop entering VM until resume\n",
        "\n  resume VM          enter a paused VM again\n",
        "\n  stop VM            stop VM for good, as if it had ended\n",
    };
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        if (!strstr(output, expected[i]))
            UNIT_FAIL("help lacks \"%s\" in:\n%s", expected[i], output);
    CHECK_EQ_U(occurrences(output, "\n"), 11);
    CHECK_EQ_I(calls.ncalls, 0);
}

TEST(help_of_one_command)
{
    setup();
    CHECK_EQ_U(run("help stats"), CONSOLE_CMD_OK);
    CHECK_STR(output, "usage: stats [VM] [hist] -- exit statistics of VM or of every VM; "
                      "hist adds histograms\n");
    CHECK_EQ_U(run("help nope"), CONSOLE_CMD_BAD_ARGS);
    CHECK_STR(output, "no command 'nope'\n"
                      "usage: help [COMMAND] -- list the commands, or explain one\n");
    CHECK_EQ_U(run("help vms stats"), CONSOLE_CMD_BAD_ARGS);
    CHECK_STR(output, "too many arguments\n"
                      "usage: help [COMMAND] -- list the commands, or explain one\n");
}

TEST(unknown_command)
{
    setup();
    CHECK_EQ_U(run("frobnicate a"), CONSOLE_CMD_UNKNOWN);
    CHECK_STR(output, "unknown command 'frobnicate'\n"
                      "commands: help vms stats trace regs reset-stats pause resume stop "
                      "('help' explains them)\n");
    CHECK_EQ_I(calls.ncalls, 0);
    /* Names are matched whole and case-sensitively. */
    CHECK_EQ_U(run("VMS"), CONSOLE_CMD_UNKNOWN);
    CHECK_EQ_U(run("vm"), CONSOLE_CMD_UNKNOWN);
    CHECK_EQ_U(run("vmss"), CONSOLE_CMD_UNKNOWN);
    CHECK_EQ_U(run("stats-reset"), CONSOLE_CMD_UNKNOWN);
}

TEST(vms_command)
{
    setup();
    CHECK_EQ_U(run("vms"), CONSOLE_CMD_OK);
    CHECK_EQ_U(calls.last, CALL_LIST);
    CHECK_EQ_U(run("vms a"), CONSOLE_CMD_BAD_ARGS);
    CHECK_STR(output, "too many arguments\nusage: vms -- list the VMs and their state\n");
    CHECK_EQ_I(calls.ncalls, 0);
}

TEST(stats_command_forms)
{
    setup();
    CHECK_EQ_U(run("stats"), CONSOLE_CMD_OK);
    CHECK(calls.last == CALL_STATS && calls.vm == NULL && !calls.histograms);
    CHECK_STR(output, "<stats>\n");
    CHECK_EQ_U(run("stats hist"), CONSOLE_CMD_OK);
    CHECK(calls.last == CALL_STATS && calls.vm == NULL && calls.histograms);
    CHECK_EQ_U(run("stats a"), CONSOLE_CMD_OK);
    CHECK(calls.last == CALL_STATS && calls.vm == &fake_vms[0] && !calls.histograms);
    CHECK_EQ_U(run("stats b hist"), CONSOLE_CMD_OK);
    CHECK(calls.last == CALL_STATS && calls.vm == &fake_vms[1] && calls.histograms);
    /* The VM called "hist". */
    CHECK_EQ_U(run("stats hist hist"), CONSOLE_CMD_OK);
    CHECK(calls.last == CALL_STATS && calls.vm == &fake_vms[2] && calls.histograms);
    CHECK_EQ_I(calls.ncalls, 1);
    /* Blanks and tabs anywhere. */
    CHECK_EQ_U(run("  \tstats   a\t hist  "), CONSOLE_CMD_OK);
    CHECK(calls.last == CALL_STATS && calls.vm == &fake_vms[0] && calls.histograms);
}

TEST(stats_command_bad_arguments)
{
    setup();
    CHECK_EQ_U(run("stats nosuch"), CONSOLE_CMD_BAD_ARGS);
    CHECK_STR(output, "no VM named 'nosuch' ('vms' lists them)\n"
                      "usage: stats [VM] [hist] -- exit statistics of VM or of every VM; "
                      "hist adds histograms\n");
    CHECK_EQ_U(run("stats a histogram"), CONSOLE_CMD_BAD_ARGS);
    CHECK(strncmp(output, "'histogram' is not 'hist'\nusage: stats ", 39) == 0);
    CHECK_EQ_U(run("stats nosuch hist"), CONSOLE_CMD_BAD_ARGS);
    CHECK(strncmp(output, "no VM named 'nosuch'", 20) == 0);
    CHECK_EQ_U(run("stats a hist x"), CONSOLE_CMD_BAD_ARGS);
    CHECK(strncmp(output, "too many arguments\nusage: stats ", 32) == 0);
    CHECK_EQ_I(calls.ncalls, 0);
}

TEST(trace_and_regs_commands)
{
    setup();
    CHECK_EQ_U(run("trace a"), CONSOLE_CMD_OK);
    CHECK(calls.last == CALL_TRACE && calls.vm == &fake_vms[0]);
    CHECK_STR(output, "<trace>\n");
    CHECK_EQ_U(run("regs b"), CONSOLE_CMD_OK);
    CHECK(calls.last == CALL_REGS && calls.vm == &fake_vms[1]);
    CHECK_STR(output, "<regs>\n");

    CHECK_EQ_U(run("trace"), CONSOLE_CMD_BAD_ARGS);
    CHECK_STR(output, "missing argument\nusage: trace VM -- the last exits of VM, oldest first\n");
    CHECK_EQ_U(run("trace zz"), CONSOLE_CMD_BAD_ARGS);
    CHECK_STR(output, "no VM named 'zz' ('vms' lists them)\n"
                      "usage: trace VM -- the last exits of VM, oldest first\n");
    CHECK_EQ_U(run("trace a b"), CONSOLE_CMD_BAD_ARGS);
    CHECK_EQ_U(run("regs"), CONSOLE_CMD_BAD_ARGS);
    CHECK_STR(output, "missing argument\n"
                      "usage: regs VM -- the registers of VM at its last exit\n");
    CHECK_EQ_U(run("regs zz"), CONSOLE_CMD_BAD_ARGS);
    CHECK_EQ_U(run("regs a a"), CONSOLE_CMD_BAD_ARGS);
    CHECK_EQ_I(calls.ncalls, 0);
}

TEST(reset_stats_command)
{
    setup();
    CHECK_EQ_U(run("reset-stats"), CONSOLE_CMD_OK);
    CHECK(calls.last == CALL_RESET && calls.vm == NULL);
    CHECK_STR(output, "exit statistics of every VM reset\n");
    CHECK_EQ_U(run("reset-stats a"), CONSOLE_CMD_OK);
    CHECK(calls.last == CALL_RESET && calls.vm == &fake_vms[0]);
    CHECK_STR(output, "exit statistics of VM 'a' reset\n");
    CHECK_EQ_U(run("reset-stats zz"), CONSOLE_CMD_BAD_ARGS);
    CHECK_STR(output, "no VM named 'zz' ('vms' lists them)\n"
                      "usage: reset-stats [VM] -- empty the exit statistics of VM or of "
                      "every VM\n");
    CHECK_EQ_U(run("reset-stats a b"), CONSOLE_CMD_BAD_ARGS);
    CHECK_EQ_I(calls.ncalls, 0);
}

TEST(pause_resume_and_stop_commands)
{
    setup();
    CHECK_EQ_U(run("pause a"), CONSOLE_CMD_OK);
    CHECK(calls.last == CALL_PAUSE && calls.vm == &fake_vms[0]);
    CHECK_STR(output, "VM 'a' paused\n");
    CHECK_EQ_U(fake_vms[0].state, FAKE_PAUSED);

    CHECK_EQ_U(run("pause a"), CONSOLE_CMD_REFUSED);
    CHECK_STR(output, "cannot pause VM 'a': it is not running\n");

    CHECK_EQ_U(run("resume a"), CONSOLE_CMD_OK);
    CHECK_STR(output, "VM 'a' resumed\n");
    CHECK_EQ_U(fake_vms[0].state, FAKE_RUNNING);
    CHECK_EQ_U(run("resume a"), CONSOLE_CMD_REFUSED);
    CHECK_STR(output, "cannot resume VM 'a': it is not paused\n");

    CHECK_EQ_U(run("stop a"), CONSOLE_CMD_OK);
    CHECK_STR(output, "VM 'a' stopped\n");
    CHECK_EQ_U(fake_vms[0].state, FAKE_STOPPED);
    CHECK_EQ_U(run("stop b"), CONSOLE_CMD_REFUSED);
    CHECK_STR(output, "cannot stop VM 'b': refused\n");
}

TEST(pause_resume_and_stop_bad_arguments)
{
    static const char *const lines[] = {
        "pause", "pause zz", "pause a b", "resume", "resume zz", "resume a b",
        "stop", "stop zz", "stop a b",
    };
    setup();
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        if (run(lines[i]) != CONSOLE_CMD_BAD_ARGS || !strstr(output, "\nusage: ") ||
            calls.ncalls != 0)
            UNIT_FAIL("\"%s\" gave \"%s\"", lines[i], output);
    }
    CHECK_EQ_U(run("stop zz"), CONSOLE_CMD_BAD_ARGS);
    CHECK_STR(output, "no VM named 'zz' ('vms' lists them)\n"
                      "usage: stop VM -- stop VM for good, as if it had ended\n");
    for (size_t i = 0; i < sizeof(fake_vms) / sizeof(fake_vms[0]); i++)
        CHECK_EQ_U(fake_vms[i].state, i == 1 ? FAKE_STOPPED : FAKE_RUNNING);
}

TEST(too_many_words)
{
    setup();
    CHECK_EQ_U(run("stats a hist 1 2 3 4 5 6 7 8 9"), CONSOLE_CMD_BAD_ARGS);
    CHECK(strncmp(output, "too many arguments\nusage: stats ", 32) == 0);
    CHECK_EQ_I(calls.ncalls, 0);
}

TEST(execute_refuses_a_line_over_the_limit)
{
    char line[CONSOLE_CMD_LINE_MAX + 2];
    memset(line, ' ', sizeof(line) - 1);
    memcpy(line, "vms", 3);
    line[sizeof(line) - 1] = '\0';
    setup();
    CHECK_EQ_U(run(line), CONSOLE_CMD_TOO_LONG);
    CHECK_EQ_I(calls.ncalls, 0);
    line[CONSOLE_CMD_LINE_MAX] = '\0';
    CHECK_EQ_U(run(line), CONSOLE_CMD_OK);
}

TEST(execute_leaves_the_line_alone)
{
    const char line[] = "stats a hist";
    setup();
    CHECK_EQ_U(console_cmd_execute(&con, line), CONSOLE_CMD_OK);
    CHECK_STR(line, "stats a hist");
}

TEST(missing_callbacks_make_commands_unavailable)
{
    struct console_ops partial = { .find_vm = fake_find_vm, .print_stats = fake_print_stats };
    setup_with(&partial);
    CHECK_EQ_U(run("stats a"), CONSOLE_CMD_OK);
    CHECK_EQ_U(run("trace a"), CONSOLE_CMD_UNAVAILABLE);
    CHECK_STR(output, "'trace' is not available in this keel\n");
    CHECK_EQ_U(run("vms"), CONSOLE_CMD_UNAVAILABLE);
    CHECK_EQ_U(run("regs a"), CONSOLE_CMD_UNAVAILABLE);
    CHECK_EQ_U(run("reset-stats"), CONSOLE_CMD_UNAVAILABLE);
    CHECK_EQ_U(run("pause a"), CONSOLE_CMD_UNAVAILABLE);
    CHECK_EQ_U(run("resume a"), CONSOLE_CMD_UNAVAILABLE);
    CHECK_EQ_U(run("stop a"), CONSOLE_CMD_UNAVAILABLE);
    /* Argument counts are still checked first. */
    CHECK_EQ_U(run("trace"), CONSOLE_CMD_BAD_ARGS);

    struct console_ops no_lookup = { .print_stats = fake_print_stats };
    setup_with(&no_lookup);
    CHECK_EQ_U(run("stats"), CONSOLE_CMD_OK);
    CHECK_EQ_U(run("stats a"), CONSOLE_CMD_UNAVAILABLE);
}

TEST(printf_cuts_long_output)
{
    char big[CONSOLE_CMD_OUTPUT_MAX * 2];
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    setup();
    console_cmd_printf(&con, "%s", big);
    CHECK_EQ_U(output_len, CONSOLE_CMD_OUTPUT_MAX);     /* 255 characters and "\n" */
    CHECK_EQ_U(output[output_len - 1], '\n');
}

/* ---- With the real renderers ------------------------------------------- */

static struct exit_stats render_stats;
static struct exit_trace render_trace;

static void real_print_stats(struct console_cmd *c, struct vm *vm, bool histograms, void *ctx)
{
    (void)vm;
    (void)ctx;
    exit_stats_render(&render_stats, "TSC cycles", histograms ? 8 : 0, console_cmd_print_line,
                      c);
}

static void real_print_trace(struct console_cmd *c, struct vm *vm, void *ctx)
{
    (void)vm;
    (void)ctx;
    exit_trace_dump(&render_trace, "TSC cycles", console_cmd_print_line, c);
}

TEST(renderers_print_through_the_console)
{
    struct console_ops ops = fake_ops;
    ops.print_stats = real_print_stats;
    ops.print_trace = real_print_trace;
    setup_with(&ops);
    exit_stats_reset(&render_stats);
    exit_stats_record(&render_stats, EXIT_REASON_CPUID, 1000);
    exit_trace_reset(&render_trace);
    exit_trace_push(&render_trace, EXIT_REASON_CPUID, 0, 0x1234, 0, false);
    exit_trace_complete(&render_trace, 1000);

    CHECK_EQ_U(type("stats a hist\r"), CONSOLE_CMD_OK);
    CHECK_STR(output, "stats a hist\n"
                      "reason  count   min  mean   max  (TSC cycles)\n"
                      "CPUID       1  1000  1000  1000\n"
                      "    [ 512, 1024) ######## 1\n"
                      "total       1  1000  1000  1000\n"
                      "keel> ");
    clear_output();
    CHECK_EQ_U(type("trace a\r"), CONSOLE_CMD_OK);
    CHECK(strstr(output, "\n1 exit, oldest first (ticks: TSC cycles)\n") != NULL);
    CHECK(strstr(output, "\n  0  CPUID   0x0000000000000000  0x0000000000001234  -    ") != NULL);
}
