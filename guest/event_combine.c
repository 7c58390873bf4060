/*
 * SDM vol. 3A table 6-4 puts exceptions in three classes: contributory
 * (#DE, #TS, #NP, #SS, #GP, #CP), page faults (#PF, #VE) and benign (all
 * others, and every interrupt, NMI and software interrupt).  Table 6-5: a
 * contributory exception during a contributory one, or a contributory
 * exception or page fault during a page fault, is a double fault; any
 * exception during a double fault's delivery is a triple fault (shutdown);
 * every other pair is handled serially, the second exception first.
 * Software exceptions (INT3, INTO) and INT1 are benign as first events.
 */
#include "guest/event_combine.h"

#include <stdbool.h>

#include "arch/x86/traps.h"

enum exception_class { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PAGE_FAULT };

static enum exception_class class_of(uint8_t vector)
{
    switch (vector) {
    case EXC_DE: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP: case EXC_CP:
        return CLASS_CONTRIBUTORY;
    case EXC_PF: case EXC_VE:
        return CLASS_PAGE_FAULT;
    default:
        return CLASS_BENIGN;
    }
}

enum event_outcome event_combine(const struct x86_event *first, uint8_t second)
{
    if (first->type != EVENT_HARDWARE_EXCEPTION)
        return EVENT_DELIVER_SECOND;
    if (first->vector == EXC_DF)
        return EVENT_TRIPLE_FAULT;
    enum exception_class a = class_of(first->vector), b = class_of(second);
    bool double_fault = (a == CLASS_CONTRIBUTORY && b == CLASS_CONTRIBUTORY) ||
                        (a == CLASS_PAGE_FAULT && b != CLASS_BENIGN);
    return double_fault ? EVENT_DOUBLE_FAULT : EVENT_DELIVER_SECOND;
}
