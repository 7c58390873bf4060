/*
 * A per-vCPU cache of decoded MMIO instructions (guest/insn_cache.c): pure
 * logic, host-tested.
 *
 * Emulating an MMIO access starts with the instruction at CS:RIP: a page
 * walk through the guest's tables to find its bytes, then a decode
 * (guest/insn_decode.c).  A driver touches its device from a handful of
 * instructions over and over, so keel remembers, per instruction address,
 * the bytes, where they were found and what they decoded to, and on the next
 * exit from the same place checks that all of it still holds instead of
 * doing it again.
 *
 * Why a hit is exactly what a fresh fetch and decode would give:
 *
 *  1. The decode is a function of the bytes and the CPU mode alone
 *     (insn_decode()).  The mode is part of the key, and a hit requires the
 *     bytes now in guest memory at the remembered guest-physical address to
 *     equal the remembered ones.  So code patched in place (self-modifying
 *     code; SDM vol. 3A 11.6) is a miss: the bytes differ.
 *
 *  2. The remembered guest-physical address must still be where RIP's
 *     linear address leads.  Comparing bytes alone does not show that: the
 *     guest may have pointed the page at another frame while the old frame
 *     still holds the old code.  keel cannot rely on seeing such a change:
 *     with EPT neither MOV to CR3 nor INVLPG exits, so there is no event to
 *     invalidate on.  Instead the key holds CR3 and every paging control the
 *     walk depends on (the caller's insn_cache_key.paging), and the entry
 *     holds each paging-structure entry the walk read, where it lies and its
 *     value after the walk's accessed-flag updates.  A hit requires each of
 *     them to hold that value now.  By induction from CR3, the same root
 *     and the same entries make a walk read the same addresses, reach the
 *     same frame with the same rights and (the accessed flags being set
 *     already) write nothing: the walk that is skipped would have given the
 *     same answer.  With paging off there is nothing to walk: the linear
 *     address is the physical one.
 *
 *     This is a property of the walk, not of the CPU's TLB: keel always
 *     emulates what is at RIP's translation now, with or without this cache.
 *     (After a change to the tables that the guest has not yet invalidated
 *     the CPU may still use the old translation, SDM vol. 3A 5.10.4.2; that
 *     window exists without the cache too.)
 *
 *  3. An instruction that crosses a page boundary is not cached: its bytes
 *     come from two translations.
 *
 * Nothing ever needs flushing for correctness, so a VM restart or a new VM
 * in the same slot may find entries of the old one: they are checked like
 * any other.  A cache belongs to one vCPU and is used only by the CPU
 * running that vCPU.
 */
#ifndef KEEL_GUEST_INSN_CACHE_H
#define KEEL_GUEST_INSN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/insn_decode.h"
#include "mm/pt_format.h"

/*
 * 2^INSN_CACHE_SET_BITS sets of INSN_CACHE_WAYS entries, 512 bytes each
 * (16 KiB a vCPU).  Two ways, so that two instructions a driver runs in
 * turn keep each other's entries even when they hash to one set; a third
 * replaces the older of the two.
 */
#define INSN_CACHE_SET_BITS     4
#define INSN_CACHE_SETS         (1u << INSN_CACHE_SET_BITS)
#define INSN_CACHE_WAYS         2u

/* The page size of a guest's instruction fetch as far as crossing goes: a
 * boundary of the smallest page is a possible change of translation. */
#define INSN_CACHE_PAGE_SIZE    4096u

/*
 * What the fetch and decode of the instruction at RIP depend on besides the
 * paging-structure entries and the bytes.
 *   rip_linear  CS.base + RIP (RIP cut to 16 or 32 bits outside 64-bit mode)
 *   mode        the code segment's default sizes (insn_decode()'s mode)
 *   cr3         CR3 as the guest loaded it; 0 with paging off
 *   paging      every other control the walk for a fetch depends on (the
 *               table format, what the XD bit means, SMEP, user or
 *               supervisor access ...), in any encoding the caller likes as
 *               long as a change of any of them changes the word and paging
 *               off is 0
 */
struct insn_cache_key {
    uint64_t rip_linear;
    uint64_t cr3;
    uint32_t paging;
    enum cpu_mode mode;
};

/* The paging-structure entries the walk that translated RIP read, root
 * first, as mm/pt_walk.h's pt_walk_result lists them (values after the
 * walk's accessed-flag updates).  nr_entries 0 with paging off. */
struct insn_cache_walk {
    unsigned nr_entries;
    unsigned entry_size;                /* 4 or 8 bytes */
    uint64_t entry_addr[PT_MAX_LEVELS];
    uint64_t entry[PT_MAX_LEVELS];
};

/* Aligned to a power of two, so that an entry's address is a shift away
 * on the MMIO exit path.  traits: bits the caller worked out from insn when
 * it inserted it (guest/mmio.c: which registers in the VMCS the instruction
 * uses), kept so that a hit need not work them out again. */
struct insn_cache_entry {
    bool valid;
    struct insn_cache_key key;
    uint64_t gpa;                       /* of the instruction's first byte */
    uint8_t bytes[INSN_MAX_LENGTH];     /* insn.length of them */
    struct insn insn;
    uint32_t traits;
    struct insn_cache_walk walk;
} __attribute__((aligned(256)));

/* way[0] holds the entry inserted last (unless an older one was refreshed
 * in place). */
struct insn_cache_set {
    struct insn_cache_entry way[INSN_CACHE_WAYS];
};

struct insn_cache {
    struct insn_cache_set set[INSN_CACHE_SETS];
};

/*
 * Guest RAM as keel maps it (guest/vm.h): guest-physical [0, size) is at
 * base.  The cache reads paging-structure entries and instruction bytes
 * there, never anything outside it.
 */
struct insn_cache_ram {
    const uint8_t *base;
    uint64_t size;
};

/* Empties c (every entry invalid). */
void insn_cache_clear(struct insn_cache *c);

/*
 * The entry for key if c has one whose translation and bytes still hold
 * (see the top of this file): each remembered paging-structure entry and
 * then the instruction's bytes are read from ram and compared (an entry or
 * a byte outside ram is a miss); its insn and traits are the caller's.
 * NULL otherwise (nothing is changed: a stale entry stays until replaced).
 * The pointer is into c and valid until the next insn_cache_insert().
 */
const struct insn_cache_entry *insn_cache_lookup(const struct insn_cache *c,
                                                 const struct insn_cache_key *key,
                                                 const struct insn_cache_ram *ram);

/*
 * Remembers that the instruction at key, whose first byte is at
 * guest-physical gpa, is in->length bytes long, bytes[0..in->length), and
 * decodes to *in (with the caller's traits for it), its address having
 * been translated by walk (NULL or nr_entries 0 only with paging off, i.e.
 * key->paging == 0 and key->cr3 == 0).
 * It replaces the entry with the same key if there is one (a stale one),
 * else the older entry of its set.  Returns false and stores nothing
 * for what cannot be cached: an instruction crossing a page boundary, a
 * length of 0 or more than INSN_MAX_LENGTH, a walk that does not fit, or a
 * paging key without a walk.
 */
bool insn_cache_insert(struct insn_cache *c, const struct insn_cache_key *key, uint64_t gpa,
                       const uint8_t *bytes, const struct insn *in, uint32_t traits,
                       const struct insn_cache_walk *walk);

#endif
