#include "lib/cmdline.h"
#include "lib/string.h"

const char *cmdline_value(const char *cmdline, const char *key, size_t *len)
{
    size_t key_len = strlen(key);
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        size_t word_len = (size_t)(p - word);
        if (word_len > key_len && word[key_len] == '=' && !strncmp(word, key, key_len)) {
            *len = word_len - key_len - 1;
            return word + key_len + 1;
        }
    }
    return NULL;
}

bool cmdline_has_word(const char *cmdline, const char *word)
{
    size_t word_len = strlen(word);
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - start) == word_len && !strncmp(start, word, word_len))
            return true;
    }
    return false;
}

bool cmdline_decimal(const char *cmdline, const char *key, uint64_t *value)
{
    size_t len;
    const char *digits = cmdline_value(cmdline, key, &len);
    if (!digits || len == 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (digits[i] < '0' || digits[i] > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(digits[i] - '0');
    }
    *value = v;
    return true;
}
