/* The VM side of keel's console commands (guest/console_ops.c). */
#ifndef KEEL_GUEST_CONSOLE_OPS_H
#define KEEL_GUEST_CONSOLE_OPS_H

#include "guest/console_cmd.h"

extern const struct console_ops keel_console_ops;

#endif
