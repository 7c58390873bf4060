/*
 * The MMU tests that paging32, paging_pae and paging64 share: one suite of
 * checks written once against lib/pagetable.h and run in each paging mode,
 * plus the helpers those guests use for their mode's own checks.
 *
 * Each guest #includes "paging/suite.c" (the guest build links every
 * lib/ object into every guest, and this is test code only three guests
 * want), calls paging_suite_start() with its mode, then paging_suite_run()
 * with paging_common_tests and with its own table.
 *
 * Layout every check relies on: RAM from 0 up to ram_end() is identity-mapped
 * in every hierarchy, with large pages where the mode has them, by entries
 * shared with one of two template hierarchies (supervisor-only or
 * user-accessible).  Each check builds fresh hierarchies from those, maps
 * what it tests at TEST_VA (1 GiB, beyond the identity map: an entry of its
 * own at every level below the root, and in 4-level paging below PML4E 0),
 * switches to them with MOV CR3 and back to the base hierarchy when done.
 * CR0.WP is 1 between checks, and EFER.NXE is 1 in PAE and 4-level paging
 * when CPUID has NX.
 */
#ifndef GUESTS_PAGING_SUITE_H
#define GUESTS_PAGING_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/pagetable.h"

#define TEST_VA 0x40000000u

/* What a check needs beyond its paging mode; without it the check SKIPs. */
enum paging_needs {
    PAGING_NEEDS_NOTHING,
    PAGING_NEEDS_LARGE_PAGES,   /* 32-bit paging: CPUID PSE; always there otherwise */
    PAGING_NEEDS_XD,            /* PAE or 4-level paging, and CPUID NX */
    PAGING_NEEDS_SMEP,
    PAGING_NEEDS_SMAP,
    PAGING_NEEDS_PGE,
    PAGING_NEEDS_1G_PAGES,
    PAGING_NEEDS_KEEL_WITHOUT_1G_PAGES,    /* keel, CPUID without Page1GB */
    PAGING_NEEDS_RESERVED_ADDRESS_BITS,    /* PAE/4-level, MAXPHYADDR < 52 */
    PAGING_NEEDS_KEEL,
};

struct paging_test {
    const char *name;           /* printed after "<guest>: " */
    enum paging_needs needs;
    bool (*run)(void);
};

extern const struct paging_test paging_common_tests[];
extern const size_t paging_common_test_count;

/* Builds the template and base hierarchies and turns paging on in 'mode'
 * ('guest' prefixes every line).  When the CPU lacks the mode (PAE, long
 * mode), paging stays off and paging_suite_run() SKIPs every check. */
void paging_suite_start(enum pt_mode mode, const char *guest);

/* Runs the checks of a table that the only= argument selects. */
void paging_suite_run(const struct paging_test *tests, size_t count);

/* The guest's name, for detail lines. */
const char *paging_guest(void);

/* A fresh hierarchy sharing the identity map: supervisor-only, or
 * user-accessible (for code that runs at CPL 3). */
struct pt_space paging_new_space(bool user_identity);
/* MOV CR3 to the hierarchy; paging_leave() returns to the base one. */
void paging_enter(const struct pt_space *space);
void paging_leave(void);
/* A new zeroed 4 KiB frame whose first word is 'signature'. */
uint32_t paging_new_frame(uint32_t signature);
/* One of two large-page frames (index 0 or 1), allocated on first use. */
uint32_t paging_large_frame(unsigned index);
/* The mode's large page size (4 MiB or 2 MiB). */
uint32_t paging_large_size(void);
/* The word at physical (identity-mapped) address 'phys'. */
volatile uint32_t *paging_phys_word(uint32_t phys);
/* A frame of RET instructions, for fetches. */
uint32_t paging_new_ret_frame(void);

/* One access and what it raised. */
struct access {
    int vector;             /* NO_FAULT or the vector */
    uint32_t error_code;
    uint32_t cr2;           /* CR2 after the access (set to 0 before it) */
    uint32_t fault_eip;     /* where the fault was reported */
    uint32_t fault_site;    /* where it should be reported: the accessing
                               instruction, or the target of a fetch */
    uint32_t value;         /* a read's result */
};

struct access paging_read(uint32_t va);
struct access paging_write(uint32_t va, uint32_t value);
/* CALL va: va must hold RET. */
struct access paging_fetch(uint32_t va);
/* At CPL 3 (the hierarchy must be user-accessible for the code). */
struct access paging_user_read(uint32_t va);
struct access paging_user_write(uint32_t va);   /* writes PAGING_USER_WRITE_VALUE */
#define PAGING_USER_WRITE_VALUE 0x05E40000u

/* Pass when the access raised nothing; otherwise print a detail line. */
bool paging_expect_no_fault(const char *what, struct access a);
/* Pass when it raised #PF with exactly 'error_code', CR2 = 'va', reported at
 * its fault site. */
bool paging_expect_page_fault(const char *what, struct access a, uint32_t va,
                              uint32_t error_code);
/* The same for a fault caused by a reserved bit ('error_code' includes
 * PF_ERR_P | PF_ERR_RSVD); bare runs also accept it without P. */
bool paging_expect_reserved_bit_fault(const char *what, struct access a, uint32_t va,
                                      uint32_t error_code);
/* Pass when a read returned 'expected'. */
bool paging_expect_value(const char *what, uint32_t got, uint32_t expected);

/* The error code an instruction fetch adds in this mode right now: I/D with
 * PAE/4-level and EFER.NXE = 1, or with CR4.SMEP = 1 (SDM vol. 3A 4.7). */
uint32_t paging_fetch_error_bit(void);

/* CR0.WP, CR4 bits and EFER bits, for checks that flip them. */
void paging_set_cr0_wp(bool on);
void paging_set_cr4_bits(uint32_t bits, bool on);

#endif
