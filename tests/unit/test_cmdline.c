/*
 * Host tests for lib/cmdline.c.
 *
 * cmdline_parse is driven by a table of lines; each row says which options
 * must have been applied (in order, with the value they saw), which words must
 * have been reported (in order, with the reason), the count returned and the
 * text left after `--`.  The options below are a small imitation of keel's own.
 */
#include "tests/unit/unit.h"

#include "lib/cmdline.c"
#include "lib/string.c"

#define LOG_MAX 2048

struct parse_log {
    char applied[LOG_MAX];      /* "name=value;" per applied option */
    char reported[LOG_MAX];     /* "[word|why]" per rejected word */
};

static void append(char *log, const char *text)
{
    size_t len = strlen(log);
    snprintf(log + len, LOG_MAX - len, "%s", text);
}

static void log_applied(void *ctx, const char *name, const char *value)
{
    struct parse_log *log = ctx;
    char entry[CMDLINE_WORD_MAX + 64];

    snprintf(entry, sizeof(entry), "%s=%s;", name, value != NULL ? value : "(none)");
    append(log->applied, entry);
}

static void record_report(const char *word, const char *why, void *ctx)
{
    struct parse_log *log = ctx;
    char entry[CMDLINE_WORD_MAX + 200];

    snprintf(entry, sizeof(entry), "[%s|%s]", word, why);
    append(log->reported, entry);
}

static int apply_noept(const char *value, void *ctx, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    log_applied(ctx, "noept", value);
    return 0;
}

static int apply_loglevel(const char *value, void *ctx, char *err, size_t errlen)
{
    const char *levels[] = { "error", "warn", "info", "debug" };

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (strcmp(value, levels[i]) == 0) {
            log_applied(ctx, "loglevel", value);
            return 0;
        }
    }
    snprintf(err, errlen, "unknown level '%s'", value);
    return -1;
}

static int apply_disk(const char *value, void *ctx, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    log_applied(ctx, "disk", value);
    return 0;
}

static int apply_name(const char *value, void *ctx, char *err, size_t errlen)
{
    char quoted[CMDLINE_WORD_MAX + 2];

    (void)err;
    (void)errlen;
    snprintf(quoted, sizeof(quoted), "<%s>", value);
    log_applied(ctx, "name", quoted);
    return 0;
}

static int apply_mem(const char *value, void *ctx, char *err, size_t errlen)
{
    uint64_t bytes;
    char text[32];

    if (cmdline_parse_size(value, &bytes) != 0) {
        snprintf(err, errlen, "bad size");
        return -1;
    }
    snprintf(text, sizeof(text), "%" PRIu64, bytes);
    log_applied(ctx, "mem", text);
    return 0;
}

static int check_port(const char *item, void *ctx, char *err, size_t errlen)
{
    (void)ctx;
    if (strcmp(item, "com1") == 0 || strcmp(item, "com2") == 0 || strcmp(item, "vga") == 0)
        return 0;
    snprintf(err, errlen, "unknown port '%s'", item);
    return -1;
}

static int apply_console(const char *value, void *ctx, char *err, size_t errlen)
{
    if (cmdline_for_each_item(value, check_port, NULL, err, errlen) != 0)
        return -1;
    log_applied(ctx, "console", value);
    return 0;
}

/* Refuses without saying why. */
static int apply_mute(const char *value, void *ctx, char *err, size_t errlen)
{
    (void)value;
    (void)ctx;
    (void)err;
    (void)errlen;
    return -1;
}

static const struct cmdline_option options[] = {
    { "noept", CMDLINE_NO_VALUE, apply_noept, "do not use EPT" },
    { "loglevel", CMDLINE_VALUE_REQUIRED, apply_loglevel, "error|warn|info|debug" },
    { "disk", CMDLINE_VALUE_OPTIONAL, apply_disk, "pass a disk through, optionally =ro" },
    { "name", CMDLINE_VALUE_REQUIRED, apply_name, "guest name" },
    { "mem", CMDLINE_VALUE_REQUIRED, apply_mem, "guest memory size" },
    { "console", CMDLINE_VALUE_REQUIRED, apply_console, "comma-separated consoles" },
    { "mute", CMDLINE_VALUE_OPTIONAL, apply_mute, "always refuses" },
    { "ignored", CMDLINE_NO_VALUE, NULL, "recognised, nothing to apply" },
};
#define NOPTS (sizeof(options) / sizeof(options[0]))

#define NO_REST ((const char *)-1)  /* `rest` must come back NULL */

struct parse_case {
    const char *line;
    const char *applied;
    const char *reported;
    int rejected;
    const char *rest;               /* text after `--`, or NO_REST */
};

static const struct parse_case parse_cases[] = {
    /* empty lines */
    { "", "", "", 0, NO_REST },
    { "  \t\r\n ", "", "", 0, NO_REST },

    /* the three kinds of argument */
    { "noept", "noept=(none);", "", 0, NO_REST },
    { "noept=1", "", "[noept=1|takes no value]", 1, NO_REST },
    { "noept=", "", "[noept=|takes no value]", 1, NO_REST },
    { "loglevel=debug", "loglevel=debug;", "", 0, NO_REST },
    { "loglevel", "", "[loglevel|needs a value]", 1, NO_REST },
    { "loglevel=", "", "[loglevel=|unknown level '']", 1, NO_REST },
    { "loglevel=loud", "", "[loglevel=loud|unknown level 'loud']", 1, NO_REST },
    { "disk", "disk=(none);", "", 0, NO_REST },
    { "disk=ro", "disk=ro;", "", 0, NO_REST },
    { "disk=", "disk=;", "", 0, NO_REST },
    { "ignored", "", "", 0, NO_REST },
    { "ignored=1", "", "[ignored=1|takes no value]", 1, NO_REST },

    /* apply() refusing, with and without a reason */
    { "mute", "", "[mute|value refused]", 1, NO_REST },
    { "mute=x", "", "[mute=x|value refused]", 1, NO_REST },
    { "mem=16M", "mem=16777216;", "", 0, NO_REST },
    { "mem=16E", "", "[mem=16E|bad size]", 1, NO_REST },
    { "console=com1,vga", "console=com1,vga;", "", 0, NO_REST },
    { "console=com1,,vga", "", "[console=com1,,vga|empty item in list]", 1, NO_REST },
    { "console=com1,", "", "[console=com1,|empty item in list]", 1, NO_REST },
    { "console=com9", "", "[console=com9|unknown port 'com9']", 1, NO_REST },

    /* names are matched whole and exactly */
    { "bogus", "", "[bogus|unknown option]", 1, NO_REST },
    { "noep", "", "[noep|unknown option]", 1, NO_REST },
    { "noeptx", "", "[noeptx|unknown option]", 1, NO_REST },
    { "NOEPT", "", "[NOEPT|unknown option]", 1, NO_REST },
    { "=x", "", "[=x|unknown option]", 1, NO_REST },
    { "=", "", "[=|unknown option]", 1, NO_REST },
    { "-", "", "[-|unknown option]", 1, NO_REST },
    { "---", "", "[---|unknown option]", 1, NO_REST },

    /* quoting: quotes are removed from the value, blanks inside them kept */
    { "name=\"x y\"", "name=<x y>;", "", 0, NO_REST },
    { "name=\"\"", "name=<>;", "", 0, NO_REST },
    { "name=a\"b c\"d", "name=<ab cd>;", "", 0, NO_REST },
    { "name=\"a=b\" noept", "name=<a=b>;noept=(none);", "", 0, NO_REST },
    { "name=\"x\ty  z\"", "name=<x\ty  z>;", "", 0, NO_REST },
    { "name=\"a\"\"b\"", "name=<ab>;", "", 0, NO_REST },
    { "name=a=b", "name=<a=b>;", "", 0, NO_REST },
    { "name=\"-- x\"", "name=<-- x>;", "", 0, NO_REST },
    { "\"noept\"", "", "[\"noept\"|unknown option]", 1, NO_REST },
    /* an unpaired quote runs to the end of the line, `--` included */
    { "name=\"x y", "", "[name=\"x y|unterminated quote]", 1, NO_REST },
    { "noept name=\"x -- guest", "noept=(none);", "[name=\"x -- guest|unterminated quote]", 1,
      NO_REST },
    { "\"", "", "[\"|unterminated quote]", 1, NO_REST },

    /* `--` ends option parsing; what follows is untouched */
    { "noept -- console=ttyS0 quiet", "noept=(none);", "", 0, "console=ttyS0 quiet" },
    { "noept --   a  \"b  ", "noept=(none);", "", 0, "a  \"b  " },
    { "noept --", "noept=(none);", "", 0, "" },
    { "noept --  \t", "noept=(none);", "", 0, "" },
    { "-- noept", "", "", 0, "noept" },
    { "--", "", "", 0, "" },
    { "a -- b -- c", "", "[a|unknown option]", 1, "b -- c" },
    { "noept --x", "noept=(none);", "[--x|unknown option]", 1, NO_REST },
    { "noept\t--\tbogus=1", "noept=(none);", "", 0, "bogus=1" },

    /* blanks of every kind separate words */
    { "  noept\tdisk\nloglevel=info\r\n", "noept=(none);disk=(none);loglevel=info;", "", 0,
      NO_REST },

    /* every mistake of a line is reported, the good words still applied */
    { "bogus noept=1 loglevel loglevel=info mem=12Q console=com1,,vga disk",
      "loglevel=info;disk=(none);",
      "[bogus|unknown option][noept=1|takes no value][loglevel|needs a value]"
      "[mem=12Q|bad size][console=com1,,vga|empty item in list]",
      5, NO_REST },
    { "x y z -- w", "", "[x|unknown option][y|unknown option][z|unknown option]", 3, "w" },

    /* a repeated option is applied each time, in order: the last one wins */
    { "loglevel=debug loglevel=info", "loglevel=debug;loglevel=info;", "", 0, NO_REST },
    { "noept noept", "noept=(none);noept=(none);", "", 0, NO_REST },
};

static void check_parse_case(const struct parse_case *c)
{
    struct parse_log log = { "", "" };
    const char *rest = NO_REST;

    int rejected = cmdline_parse(c->line, options, NOPTS, &log, record_report, &rest);
    if (rejected != c->rejected || strcmp(log.applied, c->applied) != 0 ||
        strcmp(log.reported, c->reported) != 0) {
        UNIT_FAIL("line \"%s\": returned %d applied \"%s\" reported \"%s\"; want %d \"%s\" \"%s\"",
                  c->line, rejected, log.applied, log.reported, c->rejected, c->applied,
                  c->reported);
    }
    if (c->rest == NO_REST) {
        if (rest != NULL)
            UNIT_FAIL("line \"%s\": rest should be NULL", c->line);
        return;
    }
    if (rest == NULL || rest == NO_REST) {
        UNIT_FAIL("line \"%s\": rest not set", c->line);
        return;
    }
    /* rest points into the caller's line, not at a copy. */
    CHECK(rest >= c->line && rest <= c->line + strlen(c->line));
    if (strcmp(rest, c->rest) != 0)
        UNIT_FAIL("line \"%s\": rest \"%s\", want \"%s\"", c->line, rest, c->rest);
}

TEST(parse_table)
{
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
        check_parse_case(&parse_cases[i]);
}

TEST(parse_null_line_rest_report)
{
    struct parse_log log = { "", "" };
    const char *rest = NO_REST;

    CHECK_EQ_I(cmdline_parse(NULL, options, NOPTS, &log, record_report, &rest), 0);
    CHECK(rest == NULL);
    /* No report function: mistakes are still counted. */
    CHECK_EQ_I(cmdline_parse("bogus noept=1 noept", options, NOPTS, &log, NULL, &rest), 2);
    CHECK_STR(log.applied, "noept=(none);");
    /* No rest wanted. */
    CHECK_EQ_I(cmdline_parse("noept -- x", options, NOPTS, &log, record_report, NULL), 0);
    /* No options at all: every word is unknown. */
    CHECK_EQ_I(cmdline_parse("a b", NULL, 0, &log, record_report, NULL), 2);
    CHECK_STR(log.reported, "[a|unknown option][b|unknown option]");
}

static char *repeated(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* The longest word is CMDLINE_WORD_MAX-1 bytes as written; a longer one is
 * reported (cut short, marked "...") and parsing goes on. */
TEST(parse_word_length_limit)
{
    struct parse_log log = { "", "" };
    char line[4 * CMDLINE_WORD_MAX];
    char want[CMDLINE_WORD_MAX + 16];

    /* "name=" + 248 'v' + 2 quotes = 255 bytes: accepted, value 248 bytes. */
    char *v = repeated('v', CMDLINE_WORD_MAX - 1 - 5 - 2);
    snprintf(line, sizeof(line), "name=\"%s\" noept", v);
    CHECK_EQ_I(cmdline_parse(line, options, NOPTS, &log, record_report, NULL), 0);
    snprintf(want, sizeof(want), "name=<%s>;noept=(none);", v);
    CHECK_STR(log.applied, want);
    free(v);

    /* One byte more: too long, whatever it is; the next word still counts. */
    memset(&log, 0, sizeof(log));
    v = repeated('v', CMDLINE_WORD_MAX - 5 - 2);
    snprintf(line, sizeof(line), "name=\"%s\" noept", v);
    CHECK_EQ_I(cmdline_parse(line, options, NOPTS, &log, record_report, NULL), 1);
    CHECK_STR(log.applied, "noept=(none);");
    snprintf(want, sizeof(want), "[name=\"%.*s...|word too long]", CMDLINE_WORD_MAX - 4 - 6, v);
    CHECK_STR(log.reported, want);
    free(v);

    /* Far too long, unknown, with nothing after it. */
    memset(&log, 0, sizeof(log));
    v = repeated('z', 3 * CMDLINE_WORD_MAX);
    CHECK_EQ_I(cmdline_parse(v, options, NOPTS, &log, record_report, NULL), 1);
    CHECK_EQ_U(strlen(log.reported), strlen("[|word too long]") + CMDLINE_WORD_MAX - 1);
    free(v);

    /* An unpaired quote in a long word: the quote is what gets reported. */
    memset(&log, 0, sizeof(log));
    v = repeated('q', 2 * CMDLINE_WORD_MAX);
    snprintf(line, sizeof(line), "name=\"%s", v);
    CHECK_EQ_I(cmdline_parse(line, options, NOPTS, &log, record_report, NULL), 1);
    CHECK(strstr(log.reported, "|unterminated quote]") != NULL);
    free(v);
}

/* ---- cmdline_for_each_item ------------------------------------------------- */

static int record_item(const char *item, void *ctx, char *err, size_t errlen)
{
    char entry[CMDLINE_WORD_MAX + 2];

    snprintf(entry, sizeof(entry), "[%s]", item);
    append(ctx, entry);
    if (strcmp(item, "stop") == 0) {
        snprintf(err, errlen, "stopped");
        return 7;
    }
    return 0;
}

struct list_case {
    const char *list;
    int ret;
    const char *items;      /* what fn saw, in order */
    const char *err;        /* reason after a failure */
};

static const struct list_case list_cases[] = {
    { "a", 0, "[a]", "" },
    { "com1,vga", 0, "[com1][vga]", "" },
    { "a,b,c,d", 0, "[a][b][c][d]", "" },
    { "a, b", 0, "[a][ b]", "" },           /* blanks are part of an item */
    { "x=1,y", 0, "[x=1][y]", "" },
    { "", -1, "", "empty item in list" },
    { ",", -1, "", "empty item in list" },
    { ",a", -1, "", "empty item in list" },
    { "a,", -1, "[a]", "empty item in list" },
    { "a,,b", -1, "[a]", "empty item in list" },
    { "a,stop,b", 7, "[a][stop]", "stopped" },   /* fn's own result and reason */
    { "stop,,", 7, "[stop]", "stopped" },
};

TEST(for_each_item_table)
{
    for (size_t i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
        const struct list_case *c = &list_cases[i];
        char items[LOG_MAX] = "";
        char err[64] = "";

        int ret = cmdline_for_each_item(c->list, record_item, items, err, sizeof(err));
        if (ret != c->ret || strcmp(items, c->items) != 0 || strcmp(err, c->err) != 0)
            UNIT_FAIL("list \"%s\": %d \"%s\" \"%s\"; want %d \"%s\" \"%s\"", c->list, ret,
                      items, err, c->ret, c->items, c->err);
    }
}

TEST(for_each_item_edges)
{
    char items[LOG_MAX] = "";
    char err[8];

    /* NULL list (an optional value left out) is an empty list. */
    CHECK_EQ_I(cmdline_for_each_item(NULL, record_item, items, err, sizeof(err)), -1);
    CHECK_STR(items, "");
    /* The reason is cut to fit; no err buffer at all is fine too. */
    CHECK_EQ_I(cmdline_for_each_item("a,,b", record_item, items, err, sizeof(err)), -1);
    CHECK_STR(err, "empty i");
    CHECK_EQ_I(cmdline_for_each_item(",", record_item, items, NULL, 0), -1);

    /* Items up to CMDLINE_WORD_MAX-1 bytes pass; longer ones are refused. */
    char *longest = repeated('i', CMDLINE_WORD_MAX - 1);
    items[0] = '\0';
    CHECK_EQ_I(cmdline_for_each_item(longest, record_item, items, err, sizeof(err)), 0);
    CHECK_EQ_U(strlen(items), CMDLINE_WORD_MAX - 1 + 2);
    free(longest);
    char *too_long = repeated('i', CMDLINE_WORD_MAX);
    items[0] = '\0';
    CHECK_EQ_I(cmdline_for_each_item(too_long, record_item, items, err, sizeof(err)), -1);
    CHECK_STR(items, "");
    free(too_long);
}

/* ---- numbers ---------------------------------------------------------------- */

struct number_case {
    const char *text;
    int ret;
    uint64_t value;         /* when ret is 0 */
};

static const struct number_case u64_cases[] = {
    { "0", 0, 0 },
    { "7", 0, 7 },
    { "123", 0, 123 },
    { "007", 0, 7 },                        /* leading zeros are decimal, not octal */
    { "0000000000000000000000000001", 0, 1 },
    { "0x7b", 0, 0x7b },
    { "0X7B", 0, 0x7b },
    { "0xdeadBEEF", 0, 0xdeadbeef },
    { "0x0", 0, 0 },
    { "0x00000000000000000000ff", 0, 0xff },
    { "18446744073709551615", 0, UINT64_MAX },
    { "0xffffffffffffffff", 0, UINT64_MAX },
    { "18446744073709551616", -1, 0 },      /* UINT64_MAX + 1 */
    { "18446744073709551620", -1, 0 },
    { "99999999999999999999", -1, 0 },
    { "184467440737095516150", -1, 0 },
    { "0x10000000000000000", -1, 0 },
    { "", -1, 0 },
    { "0x", -1, 0 },
    { "x1", -1, 0 },
    { "12a", -1, 0 },
    { "0x12g", -1, 0 },
    { " 1", -1, 0 },
    { "1 ", -1, 0 },
    { "-1", -1, 0 },
    { "+1", -1, 0 },
    { "1K", -1, 0 },                        /* no suffixes here */
    { "0b101", -1, 0 },
};

static const struct number_case size_cases[] = {
    { "0", 0, 0 },
    { "123", 0, 123 },
    { "0x7b", 0, 0x7b },
    { "32K", 0, 32ULL << 10 },
    { "4k", 0, 4096 },
    { "16M", 0, 16ULL << 20 },
    { "16m", 0, 16ULL << 20 },
    { "1G", 0, 1ULL << 30 },
    { "3g", 0, 3ULL << 30 },
    { "2T", 0, 2ULL << 40 },
    { "5P", 0, 5ULL << 50 },
    { "1E", 0, 1ULL << 60 },
    { "15E", 0, 15ULL << 60 },
    { "0K", 0, 0 },
    { "0x10M", 0, 16ULL << 20 },
    { "0x1E", 0, 0x1e },                    /* hex digits first: 30, not 1 EiB */
    { "17179869183G", 0, UINT64_MAX - ((1ULL << 30) - 1) },
    { "18446744073709551615", 0, UINT64_MAX },
    { "16E", -1, 0 },                       /* 2^64 */
    { "17179869184G", -1, 0 },              /* 2^64 */
    { "16777216T", -1, 0 },                 /* 2^64 */
    { "18014398509481984K", -1, 0 },        /* 2^64 */
    { "18014398509481983K", 0, UINT64_MAX - 1023 },
    { "18446744073709551616", -1, 0 },
    { "99999999999999999999K", -1, 0 },
    { "", -1, 0 },
    { "K", -1, 0 },
    { "0x", -1, 0 },
    { "0xK", -1, 0 },
    { "1KB", -1, 0 },
    { "1KK", -1, 0 },
    { "1Ki", -1, 0 },
    { "1Q", -1, 0 },
    { "1 K", -1, 0 },
    { " 1K", -1, 0 },
    { "-1K", -1, 0 },
    { "1.5G", -1, 0 },
};

/* On failure *out keeps whatever it held. */
static void check_numbers(const char *what, int (*parse)(const char *, uint64_t *),
                          const struct number_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t out = 0x5a5a5a5a5a5a5a5aULL;
        int ret = parse(cases[i].text, &out);
        uint64_t want = cases[i].ret == 0 ? cases[i].value : 0x5a5a5a5a5a5a5a5aULL;
        if (ret != cases[i].ret || out != want)
            UNIT_FAIL("%s(\"%s\"): %d 0x%" PRIx64 ", want %d 0x%" PRIx64, what, cases[i].text,
                      ret, out, cases[i].ret, want);
    }
}

TEST(parse_u64_table)
{
    check_numbers("cmdline_parse_u64", cmdline_parse_u64, u64_cases,
                  sizeof(u64_cases) / sizeof(u64_cases[0]));
    uint64_t out;
    CHECK_EQ_I(cmdline_parse_u64(NULL, &out), -1);
}

TEST(parse_size_table)
{
    check_numbers("cmdline_parse_size", cmdline_parse_size, size_cases,
                  sizeof(size_cases) / sizeof(size_cases[0]));
    uint64_t out;
    CHECK_EQ_I(cmdline_parse_size(NULL, &out), -1);
}

/* Every power of ten up to the limit, and one past it, in both parsers. */
TEST(parse_decimal_overflow_boundary)
{
    char text[32];
    uint64_t v = 1, out;

    for (int digits = 1; digits <= 20; digits++) {
        snprintf(text, sizeof(text), "%" PRIu64, v);
        CHECK_EQ_I(cmdline_parse_u64(text, &out), 0);
        CHECK_EQ_U(out, v);
        if (digits < 20)
            v *= 10;
    }
    snprintf(text, sizeof(text), "%" PRIu64 "0", v);    /* 10^20 */
    CHECK_EQ_I(cmdline_parse_u64(text, &out), -1);
    CHECK_EQ_I(cmdline_parse_size(text, &out), -1);
}
