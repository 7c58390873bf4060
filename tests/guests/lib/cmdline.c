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
