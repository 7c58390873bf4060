/*
 * Reading words of a guest's command line (space-separated, no quoting).
 */
#ifndef GUEST_LIB_CMDLINE_H
#define GUEST_LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* The value of the first word "key=value" in cmdline: a pointer into
 * cmdline, its length in *len; NULL when there is no such word. */
const char *cmdline_value(const char *cmdline, const char *key, size_t *len);

#endif
