/*
 * A device's interrupt line (guest/irq.h): devices raise and lower it; the
 * VM's interrupt controller (the interrupt issue) listens through `set`.
 * Until one is connected the line's level is simply kept, so device models
 * and their tests can check it.
 */
#ifndef KEEL_GUEST_IRQ_H
#define KEEL_GUEST_IRQ_H

#include <stdbool.h>
#include <stddef.h>

struct irq_line {
    unsigned irq;               /* ISA IRQ number: 4 for COM1, 14 for the primary ATA channel */
    bool level;                 /* true = asserted */
    /* Called on every change of level; NULL while nothing is connected. */
    void (*set)(void *ctx, unsigned irq, bool level);
    void *ctx;
};

static inline void irq_line_init(struct irq_line *line, unsigned irq)
{
    line->irq = irq;
    line->level = false;
    line->set = NULL;
    line->ctx = NULL;
}

static inline void irq_line_set(struct irq_line *line, bool level)
{
    if (line->level == level)
        return;
    line->level = level;
    if (line->set)
        line->set(line->ctx, line->irq, level);
}

#endif
