/*
 * Reading words of a guest's command line (space-separated, no quoting).
 */
#ifndef GUEST_LIB_CMDLINE_H
#define GUEST_LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of the first word "key=value" in cmdline: a pointer into
 * cmdline, its length in *len; NULL when there is no such word. */
const char *cmdline_value(const char *cmdline, const char *key, size_t *len);

/* True when 'word' is one of cmdline's words, exactly (a flag such as
 * "reboot-test"; "key=value" words never match a bare key). */
bool cmdline_has_word(const char *cmdline, const char *word);

/* The value of "key=N" as a decimal number: false when the word is absent
 * or its value is not all digits (or overflows 64 bits). */
bool cmdline_decimal(const char *cmdline, const char *key, uint64_t *value);

#endif
