#include "lib/printf.h"
#include "lib/sector_pattern.h"

enum {
    DWORD_MAGIC,
    DWORD_LBA_LOW,
    DWORD_LBA_HIGH,
    DWORD_SEED,
    FIRST_HASH_DWORD,
};

/* Multiplies by odd constants (2^32 / golden ratio, then an arbitrary one)
 * interleaved with xor-shifts, so that neighbouring LBAs and dword indexes
 * give unrelated values; any bijective scramble would do. */
static uint32_t mix32(uint32_t x)
{
    x ^= x >> 15;
    x *= 0x9E3779B1u;
    x ^= x >> 13;
    x *= 0x6B43A9B5u;
    x ^= x >> 16;
    return x;
}

static uint32_t pattern_dword(uint64_t lba, uint32_t seed, uint32_t index)
{
    switch (index) {
    case DWORD_MAGIC:
        return SECTOR_PATTERN_MAGIC;
    case DWORD_LBA_LOW:
        return (uint32_t)lba;
    case DWORD_LBA_HIGH:
        return (uint32_t)(lba >> 32);
    case DWORD_SEED:
        return seed;
    default:
        return mix32(mix32((uint32_t)lba ^ mix32(seed)) + (uint32_t)(lba >> 32) * 31u + index);
    }
}

void sector_pattern_fill(void *buf, uint64_t lba, uint32_t count, uint32_t seed)
{
    uint32_t *dwords = buf;
    for (uint32_t s = 0; s < count; s++) {
        for (uint32_t i = 0; i < SECTOR_DWORDS; i++)
            dwords[s * SECTOR_DWORDS + i] = pattern_dword(lba + s, seed, i);
    }
}

uint32_t sector_pattern_first_mismatch(const void *buf, uint64_t lba, uint32_t count,
                                       uint32_t seed, uint32_t *bad_dword, uint32_t *found,
                                       uint32_t *expected)
{
    const uint32_t *dwords = buf;
    for (uint32_t s = 0; s < count; s++) {
        for (uint32_t i = 0; i < SECTOR_DWORDS; i++) {
            uint32_t want = pattern_dword(lba + s, seed, i);
            uint32_t have = dwords[s * SECTOR_DWORDS + i];
            if (have != want) {
                *bad_dword = i;
                *found = have;
                *expected = want;
                return s;
            }
        }
    }
    return count;
}

bool sector_pattern_check(const char *name, const void *buf, uint64_t lba, uint32_t count,
                          uint32_t seed)
{
    uint32_t dword, found, expected;
    uint32_t bad = sector_pattern_first_mismatch(buf, lba, count, seed, &dword, &found,
                                                 &expected);
    if (bad == count)
        return true;
    printf("%s: LBA %llu dword %u is 0x%08x, expected 0x%08x\n", name,
           (unsigned long long)(lba + bad), dword, found, expected);
    return false;
}
