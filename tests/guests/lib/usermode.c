#include <stdbool.h>

#include "lib/descriptors.h"
#include "lib/longmode.h"
#include "lib/usermode.h"

/* usermode.asm: the switch itself. */
uint32_t usermode_switch(usermode_fn *fn, uint32_t arg, uint32_t through_64bit_gate);
extern char usermode_stack[];

uint32_t usermode_call(usermode_fn *fn, uint32_t arg)
{
    descriptors_install();
    return usermode_switch(fn, arg, longmode_active());
}

uint32_t usermode_stack_base(void)
{
    return (uint32_t)(uintptr_t)usermode_stack;
}
