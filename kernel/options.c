/* The table of keel's boot options and what each one does. */
#include "kernel/options.h"

#include "kernel/selftest.h"
#include "lib/cmdline.h"
#include "lib/format.h"
#include "lib/string.h"

#define MAX_PROBLEMS 16
#define PROBLEM_LEN  192

struct keel_options keel_options;

static char problems[MAX_PROBLEMS][PROBLEM_LEN];
static int nproblems, nproblems_dropped;

struct name_value {
    const char *name;
    unsigned value;
};

static const struct name_value console_names[] = {
    { "com1", CONSOLE_COM1 },
    { "vga", CONSOLE_VGA },
    { "e9", CONSOLE_E9 },
};

static const struct name_value loglevel_names[] = {
    { "error", LOG_ERROR },
    { "warn", LOG_WARN },
    { "info", LOG_INFO },
    { "debug", LOG_DEBUG },
};

static const struct name_value onexit_names[] = {
    { "halt", ONEXIT_HALT },
    { "poweroff", ONEXIT_POWEROFF },
    { "reboot", ONEXIT_REBOOT },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Looks name up in a table; on failure writes "unknown KIND 'x' (known: a, b)". */
static int lookup(const struct name_value *table, size_t n, const char *kind, const char *name,
                  unsigned *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].name, name) == 0) {
            *out = table[i].value;
            return 0;
        }
    }
    int len = ksnprintf(err, errlen, "unknown %s '%s' (known:", kind, name);
    for (size_t i = 0; i < n && len > 0 && (size_t)len < errlen; i++)
        len += ksnprintf(err + len, errlen - (size_t)len, "%s %s", i ? "," : "", table[i].name);
    if (len > 0 && (size_t)len < errlen)
        ksnprintf(err + len, errlen - (size_t)len, ")");
    return -1;
}

static int add_console(const char *item, void *ctx, char *err, size_t errlen)
{
    unsigned *mask = ctx;
    unsigned bit;
    if (lookup(console_names, ARRAY_SIZE(console_names), "console", item, &bit, err, errlen))
        return -1;
    *mask |= bit;
    return 0;
}

static int apply_console(const char *value, void *ctx, char *err, size_t errlen)
{
    (void)ctx;
    unsigned mask = 0;
    if (cmdline_for_each_item(value, add_console, &mask, err, errlen))
        return -1;
    keel_options.consoles = mask;
    return 0;
}

static int apply_loglevel(const char *value, void *ctx, char *err, size_t errlen)
{
    (void)ctx;
    unsigned level;
    if (lookup(loglevel_names, ARRAY_SIZE(loglevel_names), "log level", value, &level, err,
               errlen))
        return -1;
    keel_options.loglevel = (enum log_level)level;
    return 0;
}

static int apply_onexit(const char *value, void *ctx, char *err, size_t errlen)
{
    (void)ctx;
    unsigned action;
    if (lookup(onexit_names, ARRAY_SIZE(onexit_names), "onexit action", value, &action, err,
               errlen))
        return -1;
    keel_options.onexit = (enum onexit_action)action;
    return 0;
}

#define DEFINE_FLAG_OPTION(field)                                                       \
    static int apply_##field(const char *value, void *ctx, char *err, size_t errlen)   \
    {                                                                                   \
        (void)value, (void)ctx, (void)err, (void)errlen;                                \
        keel_options.field = true;                                                      \
        return 0;                                                                       \
    }
DEFINE_FLAG_OPTION(noept)
DEFINE_FLAG_OPTION(novpid)
DEFINE_FLAG_OPTION(notprshadow)
DEFINE_FLAG_OPTION(noapicv)
DEFINE_FLAG_OPTION(nounrestricted)
DEFINE_FLAG_OPTION(help)
#undef DEFINE_FLAG_OPTION

static int apply_selftest(const char *value, void *ctx, char *err, size_t errlen)
{
    (void)ctx;
    if (selftest_check_name(value, err, errlen))
        return -1;
    kstrlcpy(keel_options.selftest, value, sizeof(keel_options.selftest));
    return 0;
}

static const struct cmdline_option keel_option_table[] = {
    { "console", CMDLINE_VALUE_REQUIRED, apply_console,
      "where keel's log goes: a list of com1, vga (the screen), e9 (default com1,vga)" },
    { "loglevel", CMDLINE_VALUE_REQUIRED, apply_loglevel,
      "error, warn, info or debug (default info)" },
    { "onexit", CMDLINE_VALUE_REQUIRED, apply_onexit,
      "what to do when keel is done: halt, poweroff or reboot (default halt)" },
    { "noept", CMDLINE_NO_VALUE, apply_noept, "do not use EPT even where the CPU has it" },
    { "novpid", CMDLINE_NO_VALUE, apply_novpid, "do not use VPID even where the CPU has it" },
    { "notprshadow", CMDLINE_NO_VALUE, apply_notprshadow,
      "do not use the TPR shadow even where the CPU has it: every CR8 access exits" },
    { "noapicv", CMDLINE_NO_VALUE, apply_noapicv,
      "do not use the APIC-access page, APIC-register virtualization, virtual x2APIC or "
      "virtual-interrupt delivery even where the CPU has them: keel emulates every access" },
    { "nounrestricted", CMDLINE_NO_VALUE, apply_nounrestricted,
      "do not use unrestricted guest even where the CPU has it" },
    { "help", CMDLINE_NO_VALUE, apply_help, "list these options at boot" },
    { "selftest", CMDLINE_VALUE_REQUIRED, apply_selftest,
      "run a self-test of keel at boot: mm, or a deliberate crash: pagefault, ud, panic, oom" },
};

static void keep_problem(const char *word, const char *why, void *ctx)
{
    (void)ctx;
    if (nproblems == MAX_PROBLEMS) {
        nproblems_dropped++;
        return;
    }
    char *out = problems[nproblems++];
    int len = ksnprintf(out, PROBLEM_LEN, "boot option '%s' rejected: %s", word, why);
    if (strcmp(why, "unknown option") != 0)
        return;
    /* Say what would have been understood: the table is the reference. */
    for (size_t i = 0; i < ARRAY_SIZE(keel_option_table) && len > 0 && len < PROBLEM_LEN; i++)
        len += ksnprintf(out + len, PROBLEM_LEN - (size_t)len, "%s%s", i ? ", " : " (known: ",
                         keel_option_table[i].name);
    if (len > 0 && len < PROBLEM_LEN)
        ksnprintf(out + len, PROBLEM_LEN - (size_t)len, ")");
}

int options_parse(const char *cmdline)
{
    keel_options = (struct keel_options){
        .consoles = CONSOLE_COM1 | CONSOLE_VGA,
        .loglevel = LOG_INFO,
        .onexit = ONEXIT_HALT,
    };
    nproblems = nproblems_dropped = 0;
    const char *rest = NULL;
    int bad = cmdline_parse(cmdline, keel_option_table, ARRAY_SIZE(keel_option_table), NULL,
                            keep_problem, &rest);
    if (rest) {
        keep_problem("--", "keel's own command line takes no '--' part", NULL);
        bad++;
    }
    return bad;
}

void options_report_problems(void)
{
    for (int i = 0; i < nproblems; i++)
        pr_err("%s", problems[i]);
    if (nproblems_dropped)
        pr_err("%d more boot option problems not shown", nproblems_dropped);
}

void options_print_help(void)
{
    kprintf("keel boot options (on the multiboot2 line):\n");
    for (size_t i = 0; i < ARRAY_SIZE(keel_option_table); i++) {
        const struct cmdline_option *o = &keel_option_table[i];
        char word[32];
        ksnprintf(word, sizeof(word), "%s%s", o->name, o->arg == CMDLINE_NO_VALUE ? "" : "=...");
        kprintf("  %-16s %s\n", word, o->help);
    }
}
