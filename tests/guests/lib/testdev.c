#include "lib/testdev.h"
#include "lib/x86.h"

uint8_t testdev_sequence_byte(uint32_t k)
{
    return (uint8_t)(k * 7 + 3);
}

uint32_t fnv1a32_add(uint32_t hash, uint8_t byte)
{
    return (hash ^ byte) * FNV1A32_PRIME;
}

bool testdev_present(void)
{
    /* An unclaimed port reads 0xff; the sequence starts 3, 10. */
    outl(0, TESTDEV_SEQUENCE_PORT);
    uint8_t first = inb(TESTDEV_SEQUENCE_PORT);
    uint8_t second = inb(TESTDEV_SEQUENCE_PORT);
    return first == testdev_sequence_byte(0) && second == testdev_sequence_byte(1);
}
