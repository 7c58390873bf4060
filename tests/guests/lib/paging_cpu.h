/*
 * What the CPU offers for paging, from CPUID, and the IA32_EFER switches the
 * paging tests flip.  Every answer is computed when asked (CPUID is cheap
 * bare; under keel each call is one exit, and tests ask outside their timed
 * loops).
 */
#ifndef GUEST_LIB_PAGING_CPU_H
#define GUEST_LIB_PAGING_CPU_H

#include <stdbool.h>
#include <stdint.h>

bool cpu_has_pse(void);         /* 4 MiB pages in 32-bit paging (CR4.PSE) */
bool cpu_has_pae(void);
bool cpu_has_pge(void);         /* global pages (CR4.PGE) */
bool cpu_has_nx(void);          /* IA32_EFER.NXE and the XD bit */
bool cpu_has_1g_pages(void);    /* PDPTE.PS in 4-level paging */
bool cpu_has_long_mode(void);   /* IA-32e mode */
bool cpu_has_smep(void);
bool cpu_has_smap(void);

/* MAXPHYADDR: CPUID.80000008H:EAX[7:0], or 36 when that leaf is missing
 * (SDM vol. 3A 4.1.4). */
unsigned cpu_maxphyaddr(void);

/* IA32_EFER exists when CPUID reports NX or long mode (SDM vol. 4 table
 * 2-2); these must not be called otherwise. */
uint32_t efer_read(void);
void efer_set(uint32_t bits);
void efer_clear(uint32_t bits);

#endif
