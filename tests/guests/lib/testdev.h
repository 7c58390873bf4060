/*
 * keel's test devices.  Port 0xE0 is always there under keel; the rest
 * exist when the VM has the option `testdev`.
 *
 *   0xE0  echo: IN of any size returns the last value OUT to it
 *   0xE4  IN of size s returns the next s bytes of the sequence
 *         byte[k] = (k * 7 + 3) & 0xff, little-endian; OUT sets k
 *   0xE8  OUT (size 1/2/4) feeds its bytes into a running byte count and
 *         FNV-1a-32 hash; IN (4 bytes) returns the byte count
 *   0xEC  IN (4 bytes) returns the hash; OUT resets count and hash
 *   MMIO  guest-physical 0xD0000000, 4 KiB of scratch memory kept by keel:
 *         every access exits and is emulated.  The 8 bytes at offset 0xFF8
 *         are a read-only count of the accesses keel emulated in the region
 *         and in IOMEM (writes there are ignored).  One access is one read or one write,
 *         so a read-modify-write instruction (ADD to memory, XCHG) is two and
 *         REP STOSD with ECX = 16 is sixteen.
 *   IOMEM guest-physical 0xFF000000, 64 KiB of plain memory kept by keel, as
 *         QEMU's pc-testdev has it: every access exits and is emulated.
 */
#ifndef GUEST_LIB_TESTDEV_H
#define GUEST_LIB_TESTDEV_H

#include <stdbool.h>
#include <stdint.h>

#define ECHO_PORT               0xE0
#define TESTDEV_SEQUENCE_PORT   0xE4
#define TESTDEV_HASH_FEED_PORT  0xE8
#define TESTDEV_HASH_PORT       0xEC

#define TESTDEV_MMIO_BASE         0xD0000000u
#define TESTDEV_MMIO_SIZE         0x1000u
#define TESTDEV_MMIO_ACCESS_COUNT 0xFF8u      /* offset of the access counter */
#define TESTDEV_IOMEM_BASE        0xFF000000u
#define TESTDEV_IOMEM_SIZE        0x10000u

/* FNV-1a, 32-bit (Fowler/Noll/Vo; IETF draft-eastlake-fnv). */
#define FNV1A32_OFFSET_BASIS 0x811C9DC5u
#define FNV1A32_PRIME        0x01000193u

/* Byte k of port 0xE4's sequence. */
uint8_t testdev_sequence_byte(uint32_t k);

/* The running FNV-1a-32 hash after one more byte. */
uint32_t fnv1a32_add(uint32_t hash, uint8_t byte);

/* True when port 0xE4 answers with its sequence (the VM has `testdev`).
 * Leaves the sequence index k at 2. */
bool testdev_present(void);

#endif
