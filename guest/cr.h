/* Guest control-register writes keel emulates (guest/cr.c): the rules of
 * SDM vol. 2A "MOV—Move to/from Control Registers" and vol. 3A 2.5, 10.8.5. */
#ifndef KEEL_GUEST_CR_H
#define KEEL_GUEST_CR_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/vm.h"

/* Emulates MOV to CRn (0, 3, 4, 8).  Returns false after injecting the #GP a
 * CPU would raise; true when the write took effect. */
bool cr_write(struct vcpu *v, unsigned cr, uint64_t value);
/* MOV from CRn for the registers that exit (3 without EPT, 8). */
uint64_t cr_read(struct vcpu *v, unsigned cr);

/* EFER writes (WRMSR): LME may change only with paging off (#GP otherwise);
 * LMA is the CPU's, kept equal to LME && CR0.PG. */
bool efer_write(struct vcpu *v, uint64_t value);

#endif
