/*
 * An exception that arises while the CPU delivers another event: which of
 * the two the guest gets (SDM vol. 3A 6.15, "Interrupt 8—Double Fault
 * Exception (#DF)", tables 6-4 and 6-5).  keel needs it where it raises an
 * exception itself in an exit that interrupted a delivery: under shadow
 * paging, a #PF that the guest's own tables call for while the CPU was
 * delivering an exception.
 */
#ifndef KEEL_GUEST_EVENT_COMBINE_H
#define KEEL_GUEST_EVENT_COMBINE_H

#include <stdint.h>

#include "guest/x86.h"

enum event_outcome {
    EVENT_DELIVER_SECOND,       /* "handle exceptions serially": the new one */
    EVENT_DOUBLE_FAULT,         /* #DF with error code 0 instead */
    EVENT_TRIPLE_FAULT,         /* the first was #DF: shutdown */
};

/* 'first' is the event being delivered (valid), 'second' the vector of the
 * exception its delivery raised. */
enum event_outcome event_combine(const struct x86_event *first, uint8_t second);

#endif
