/*
 * Host tests for guest/event_combine.c: SDM vol. 3A table 6-5, "Conditions
 * for Generating a Double Fault", with vectors written out as numbers
 * (table 6-1) rather than with keel's constants.
 */
#include "tests/unit/unit.h"

#include "guest/event_combine.c"

static struct x86_event exception(uint8_t vector)
{
    return (struct x86_event){ .valid = true, .type = EVENT_HARDWARE_EXCEPTION, .vector = vector };
}

static const uint8_t contributory[] = { 0, 10, 11, 12, 13, 21 };
static const uint8_t page_faults[] = { 14, 20 };
static const uint8_t benign[] = { 1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 18, 19 };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

TEST(contributory_then_contributory_is_double_fault)
{
    for (unsigned i = 0; i < COUNT(contributory); i++)
        for (unsigned j = 0; j < COUNT(contributory); j++) {
            struct x86_event first = exception(contributory[i]);
            CHECK_EQ_U(event_combine(&first, contributory[j]), EVENT_DOUBLE_FAULT);
        }
}

TEST(contributory_then_page_fault_is_serial)
{
    for (unsigned i = 0; i < COUNT(contributory); i++) {
        struct x86_event first = exception(contributory[i]);
        CHECK_EQ_U(event_combine(&first, 14), EVENT_DELIVER_SECOND);
    }
}

TEST(page_fault_then_page_fault_or_contributory_is_double_fault)
{
    for (unsigned i = 0; i < COUNT(page_faults); i++) {
        struct x86_event first = exception(page_faults[i]);
        CHECK_EQ_U(event_combine(&first, 14), EVENT_DOUBLE_FAULT);
        for (unsigned j = 0; j < COUNT(contributory); j++)
            CHECK_EQ_U(event_combine(&first, contributory[j]), EVENT_DOUBLE_FAULT);
    }
}

TEST(benign_on_either_side_is_serial)
{
    for (unsigned i = 0; i < COUNT(benign); i++) {
        struct x86_event first = exception(benign[i]);
        CHECK_EQ_U(event_combine(&first, 14), EVENT_DELIVER_SECOND);
        CHECK_EQ_U(event_combine(&first, 13), EVENT_DELIVER_SECOND);
        struct x86_event pf = exception(14), gp = exception(13);
        CHECK_EQ_U(event_combine(&pf, benign[i]), EVENT_DELIVER_SECOND);
        CHECK_EQ_U(event_combine(&gp, benign[i]), EVENT_DELIVER_SECOND);
    }
}

TEST(anything_during_double_fault_is_triple_fault)
{
    struct x86_event df = exception(8);
    CHECK_EQ_U(event_combine(&df, 14), EVENT_TRIPLE_FAULT);
    CHECK_EQ_U(event_combine(&df, 13), EVENT_TRIPLE_FAULT);
    CHECK_EQ_U(event_combine(&df, 6), EVENT_TRIPLE_FAULT);
}

/* Interrupts, NMIs and software interrupts and exceptions are benign as
 * the first event, whatever their vector. */
TEST(non_exception_events_are_serial)
{
    static const enum x86_event_type types[] = {
        EVENT_EXTERNAL_INTERRUPT, EVENT_NMI, EVENT_SOFTWARE_INTERRUPT,
        EVENT_PRIVILEGED_SOFTWARE_EXCEPTION, EVENT_SOFTWARE_EXCEPTION,
    };
    for (unsigned i = 0; i < COUNT(types); i++) {
        struct x86_event first = { .valid = true, .type = types[i], .vector = 14 };
        CHECK_EQ_U(event_combine(&first, 14), EVENT_DELIVER_SECOND);
        first.vector = 8;
        CHECK_EQ_U(event_combine(&first, 13), EVENT_DELIVER_SECOND);
    }
}
