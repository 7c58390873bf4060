/*
 * Where typed input goes (guest/focus.c).  Bytes typed on keel's COM1 (and
 * on the PC keyboard when keel's log is on the screen) go to the VM in
 * focus, as if received by its COM1, or to keel's own console.  Ctrl-A
 * pressed three times in a row moves the focus on: keel's console, then each
 * VM in turn, then keel's console again (Xen's console does the same).
 */
#ifndef KEEL_GUEST_FOCUS_H
#define KEEL_GUEST_FOCUS_H

#include <stdbool.h>
#include <stdint.h>

#define FOCUS_SWITCH_KEY   0x01        /* Ctrl-A */
#define FOCUS_SWITCH_COUNT 3

/* Starts with keel's console in focus and prints how to switch. */
void focus_init(void);
/* Reads whatever input is waiting and routes it; cheap when there is none.
 * The scheduler calls it between time slices. */
void focus_poll(void);
/* A guest's output line is about to be printed: ends keel's prompt line
 * first, and shows the prompt again after it. */
void focus_before_guest_line(void);

/* Routes one typed byte (exposed for the input sources and tests). */
void focus_input(uint8_t byte);

#endif
