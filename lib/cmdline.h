/*
 * Table-driven command-line parsing (lib/cmdline.c): pure logic, host-tested.
 * Used for keel's own boot options and for each GRUB module line.
 *
 * A command line is words separated by blanks.  A word is `name` or
 * `name=value`; a value may be double-quoted to hold blanks (`a="x y"`).
 * The word `--` ends option parsing: what follows is returned untouched in
 * *rest (a guest's own command line).  Each word is looked up in the table;
 * an unknown name, a missing or unexpected value, or a value the option's
 * apply() refuses is passed to report() with a reason, and parsing goes on,
 * so one boot shows every mistake.
 */
#ifndef KEEL_LIB_CMDLINE_H
#define KEEL_LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_WORD_MAX 256

enum cmdline_arg {
    CMDLINE_NO_VALUE,           /* `noept`; `noept=1` is an error */
    CMDLINE_VALUE_REQUIRED,     /* `loglevel=debug`; bare `loglevel` is an error */
    CMDLINE_VALUE_OPTIONAL,     /* `disk` or `disk=rw`; value is NULL when absent */
};

struct cmdline_option {
    const char *name;
    enum cmdline_arg arg;
    /* Applies the option; returns 0, or -1 after writing the reason into err.
     * value is NUL-terminated with quotes removed, or NULL. */
    int (*apply)(const char *value, void *ctx, char *err, size_t errlen);
    const char *help;           /* one line, shown when listing options */
};

/* Called once per rejected word: word as written, reason in plain words. */
typedef void (*cmdline_report_fn)(const char *word, const char *why, void *ctx);

/* Returns the number of rejected words (0 = all applied).  rest may be NULL;
 * otherwise it is set to the text after a `--` word (leading blanks skipped),
 * or to NULL when there was none. */
int cmdline_parse(const char *cmdline, const struct cmdline_option *opts, size_t nopts,
                  void *ctx, cmdline_report_fn report, const char **rest);

/* Calls fn on each element of a comma-separated list ("com1,vga"); stops at and
 * returns the first non-zero result of fn.  An empty element is -1 with a reason. */
int cmdline_for_each_item(const char *list, int (*fn)(const char *item, void *ctx, char *err,
                                                      size_t errlen),
                          void *ctx, char *err, size_t errlen);

/* "123", "0x7b", "32K", "16M", "1G" (binary units) -> *out.  Returns 0 or -1
 * on junk or overflow. */
int cmdline_parse_size(const char *s, uint64_t *out);
/* Decimal or 0x-hex unsigned number, no suffix.  Returns 0 or -1. */
int cmdline_parse_u64(const char *s, uint64_t *out);

#endif
