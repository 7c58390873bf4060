/*
 * Table-driven command-line parsing (contract in lib/cmdline.h).
 *
 * Splitting rules, in the order they are applied to the line:
 *  - blanks (space, tab, CR, LF) separate words, except between double quotes;
 *  - a word that is exactly `--` ends option parsing;
 *  - a word whose quotes do not pair up, or that is CMDLINE_WORD_MAX bytes or
 *    longer, is reported and skipped (an unpaired quote runs to the end of the line);
 *  - the name is the text before the word's first '=', taken as written;
 *  - the value is the text after that '=', with the double quotes removed.
 *    There is no escape character, so a value cannot contain a double quote.
 *    `name=` gives the empty value "", which apply() may refuse.
 */
#include "lib/cmdline.h"

#include "lib/string.h"

#define CMDLINE_QUOTE '"'
#define CMDLINE_LIST_SEPARATOR ','
/* Room for an apply() function's reason. */
#define CMDLINE_ERR_MAX 128
/* A word too long to report whole is cut and marked with this. */
#define CMDLINE_ELLIPSIS "..."

/* One word of the line, as found by next_word(). */
struct cmdline_word {
    const char *start;
    size_t len;
    bool unpaired_quote;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *skip_blanks(const char *p)
{
    while (is_blank(*p))
        p++;
    return p;
}

/* Finds the word starting at p (not a blank, not the terminator); returns
 * where scanning stopped, just past the word. */
static const char *next_word(const char *p, struct cmdline_word *word)
{
    bool quoted = false;

    word->start = p;
    while (*p != '\0' && (quoted || !is_blank(*p))) {
        if (*p == CMDLINE_QUOTE)
            quoted = !quoted;
        p++;
    }
    word->len = (size_t)(p - word->start);
    word->unpaired_quote = quoted;
    return p;
}

static bool is_end_of_options(const struct cmdline_word *word)
{
    return word->len == 2 && word->start[0] == '-' && word->start[1] == '-';
}

/* The word as written, NUL-terminated in out[CMDLINE_WORD_MAX]; a word too
 * long for that is cut and ends in "...". */
static void copy_word_as_written(const struct cmdline_word *word, char *out)
{
    if (word->len < CMDLINE_WORD_MAX) {
        memcpy(out, word->start, word->len);
        out[word->len] = '\0';
        return;
    }
    size_t kept = CMDLINE_WORD_MAX - sizeof(CMDLINE_ELLIPSIS);
    memcpy(out, word->start, kept);
    memcpy(out + kept, CMDLINE_ELLIPSIS, sizeof(CMDLINE_ELLIPSIS));
}

/* Copies src[0..len) to out without its double quotes and terminates it;
 * out must hold len + 1 bytes. */
static void copy_unquoted(const char *src, size_t len, char *out)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (src[i] != CMDLINE_QUOTE)
            out[n++] = src[i];
    }
    out[n] = '\0';
}

static const struct cmdline_option *find_option(const char *name, size_t name_len,
                                                const struct cmdline_option *opts, size_t nopts)
{
    for (size_t i = 0; i < nopts; i++) {
        if (strncmp(opts[i].name, name, name_len) == 0 && opts[i].name[name_len] == '\0')
            return &opts[i];
    }
    return NULL;
}

/* Looks the word up and applies it.  Returns NULL when applied, or the reason
 * it was rejected (which may be err, filled by the option's apply()). */
static const char *apply_word(const struct cmdline_word *word, const struct cmdline_option *opts,
                              size_t nopts, void *ctx, char *err, size_t errlen)
{
    const char *eq = word->start;
    const char *end = word->start + word->len;

    while (eq < end && *eq != '=')
        eq++;
    bool has_value = eq < end;

    const struct cmdline_option *opt = find_option(word->start, (size_t)(eq - word->start),
                                                   opts, nopts);
    if (opt == NULL)
        return "unknown option";
    if (opt->arg == CMDLINE_NO_VALUE && has_value)
        return "takes no value";
    if (opt->arg == CMDLINE_VALUE_REQUIRED && !has_value)
        return "needs a value";
    if (opt->apply == NULL)
        return NULL;

    char value[CMDLINE_WORD_MAX];
    if (has_value)
        copy_unquoted(eq + 1, (size_t)(end - (eq + 1)), value);

    err[0] = '\0';
    if (opt->apply(has_value ? value : NULL, ctx, err, errlen) == 0)
        return NULL;
    return err[0] != '\0' ? err : "value refused";
}

/* Why a word cannot even be looked up, or NULL when it can. */
static const char *malformed_word(const struct cmdline_word *word)
{
    if (word->unpaired_quote)
        return "unterminated quote";
    if (word->len >= CMDLINE_WORD_MAX)
        return "word too long";
    return NULL;
}

int cmdline_parse(const char *cmdline, const struct cmdline_option *opts, size_t nopts,
                  void *ctx, cmdline_report_fn report, const char **rest)
{
    int rejected = 0;
    const char *p = cmdline != NULL ? cmdline : "";

    if (rest != NULL)
        *rest = NULL;
    for (;;) {
        p = skip_blanks(p);
        if (*p == '\0')
            break;

        struct cmdline_word word;
        p = next_word(p, &word);
        if (is_end_of_options(&word)) {
            if (rest != NULL)
                *rest = skip_blanks(p);
            break;
        }

        char err[CMDLINE_ERR_MAX];
        const char *why = malformed_word(&word);
        if (why == NULL)
            why = apply_word(&word, opts, nopts, ctx, err, sizeof(err));
        if (why == NULL)
            continue;

        rejected++;
        if (report != NULL) {
            char as_written[CMDLINE_WORD_MAX];
            copy_word_as_written(&word, as_written);
            report(as_written, why, ctx);
        }
    }
    return rejected;
}

static void set_reason(char *err, size_t errlen, const char *why)
{
    if (err != NULL && errlen > 0)
        kstrlcpy(err, why, errlen);
}

int cmdline_for_each_item(const char *list, int (*fn)(const char *item, void *ctx, char *err,
                                                      size_t errlen),
                          void *ctx, char *err, size_t errlen)
{
    const char *p = list != NULL ? list : "";

    for (;;) {
        const char *start = p;
        while (*p != '\0' && *p != CMDLINE_LIST_SEPARATOR)
            p++;
        size_t len = (size_t)(p - start);

        if (len == 0) {
            set_reason(err, errlen, "empty item in list");
            return -1;
        }
        if (len >= CMDLINE_WORD_MAX) {
            set_reason(err, errlen, "list item too long");
            return -1;
        }

        char item[CMDLINE_WORD_MAX];
        memcpy(item, start, len);
        item[len] = '\0';
        int r = fn(item, ctx, err, errlen);
        if (r != 0)
            return r;

        if (*p == '\0')
            return 0;
        p++;    /* past the separator; an item must follow it */
    }
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads a decimal or 0x-prefixed hex number from the start of s, at least one
 * digit.  *end is left past the last digit.  Returns 0, or -1 on no digits or
 * overflow. */
static int parse_number(const char *s, uint64_t *out, const char **end)
{
    unsigned base = 10;
    uint64_t v = 0;
    const char *p = s;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    const char *digits = p;
    for (int d; (d = digit_value(*p)) >= 0 && (unsigned)d < base; p++) {
        if (v > (UINT64_MAX - (unsigned)d) / base)
            return -1;
        v = v * base + (unsigned)d;
    }
    if (p == digits)
        return -1;
    *out = v;
    *end = p;
    return 0;
}

int cmdline_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v;
    const char *end;

    if (s == NULL || parse_number(s, &v, &end) != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Binary unit suffixes: how far each shifts the number.  0 = not a suffix. */
static unsigned size_suffix_shift(char c)
{
    switch (c) {
    case 'K': case 'k': return 10;
    case 'M': case 'm': return 20;
    case 'G': case 'g': return 30;
    case 'T': case 't': return 40;
    case 'P': case 'p': return 50;
    case 'E': case 'e': return 60;
    default: return 0;
    }
}

/* A hex number takes every hex digit it can, so "0x1E" is 30, not 1 EiB. */
int cmdline_parse_size(const char *s, uint64_t *out)
{
    uint64_t v;
    const char *end;

    if (s == NULL || parse_number(s, &v, &end) != 0)
        return -1;
    if (*end != '\0') {
        unsigned shift = size_suffix_shift(*end);
        if (shift == 0 || end[1] != '\0' || v > (UINT64_MAX >> shift))
            return -1;
        v <<= shift;
    }
    *out = v;
    return 0;
}
