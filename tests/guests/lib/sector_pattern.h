/*
 * A 512-byte pattern that names its own sector: the disk guests write it
 * and read it back, so a sector that comes back from the wrong LBA, from
 * another run (another seed) or half-written is told apart from the right
 * one.  Layout, as little-endian dwords:
 *   0  SECTOR_PATTERN_MAGIC
 *   1  LBA bits 31:0
 *   2  LBA bits 63:32
 *   3  seed
 *   4..127  a hash of (LBA, seed, dword index)
 */
#ifndef GUEST_LIB_SECTOR_PATTERN_H
#define GUEST_LIB_SECTOR_PATTERN_H

#include <stdbool.h>
#include <stdint.h>

#define SECTOR_SIZE 512u
#define SECTOR_DWORDS (SECTOR_SIZE / 4u)
#define SECTOR_PATTERN_MAGIC 0x4B454C53u        /* "SLEK" in memory */

/* Fills 'count' consecutive sectors at 'buf' with the patterns of LBAs
 * lba, lba + 1, ... under 'seed'. */
void sector_pattern_fill(void *buf, uint64_t lba, uint32_t count, uint32_t seed);

/* Compares 'count' sectors at 'buf' with their patterns.  Returns the index
 * of the first sector that differs (count when all match); *bad_dword and
 * *found then say where and what. */
uint32_t sector_pattern_first_mismatch(const void *buf, uint64_t lba, uint32_t count,
                                       uint32_t seed, uint32_t *bad_dword, uint32_t *found,
                                       uint32_t *expected);

/* The sector_pattern_first_mismatch() check that prints the first
 * difference as "NAME: LBA n dword d is 0x..., expected 0x..." and returns
 * whether all 'count' sectors match. */
bool sector_pattern_check(const char *name, const void *buf, uint64_t lba, uint32_t count,
                          uint32_t seed);

#endif
