/*
 * The host's PS/2 keyboard behind the 8042 controller, polled
 * (drivers/ps2kbd.c).  Keys typed on it come out as the bytes a serial
 * terminal would send for them, so keel can treat them exactly like bytes
 * read from COM1 (uart_try_getc()).  This is keel's own keyboard, not the
 * 8042 guests see (that one is emulated in guest/dev/i8042.c).
 */
#ifndef KEEL_DRIVERS_PS2KBD_H
#define KEEL_DRIVERS_PS2KBD_H

#include <stdbool.h>

/*
 * Finds the 8042 without hanging (a status port reading 0xFF means there is
 * none; every wait is bounded) and readies the keyboard for polling: pending
 * bytes are thrown away, the keyboard interface is enabled and the
 * controller's translation to scancode set 1 is turned on if the firmware
 * left it off.  Every other bit of the firmware's configuration is kept, and
 * nothing is sent to the keyboard itself.  Returns whether a controller
 * answered; until it has returned true, ps2kbd_try_getc() returns -1.
 * Call on one CPU, before any guest runs.
 */
bool ps2kbd_init(void);

/*
 * The next byte of typed input (0..255), or -1 when none is waiting.  US
 * layout: printable ASCII with Shift and CapsLock; Enter is '\r', Backspace
 * 0x7f, Tab '\t', Escape 0x1b; Ctrl+letter is 0x01..0x1a; Alt+key sends ESC
 * before the key; the arrows send ESC [ A/B/C/D and Home, End, Insert,
 * Delete, Page Up and Page Down their xterm sequences.  Held keys repeat.
 * Mouse bytes and bytes the controller flags as damaged are dropped.
 * Cheap when nothing is waiting: one status read.
 */
int ps2kbd_try_getc(void);

#endif
