/* keel's small kernel allocator (mm/kmalloc.c).  Every failure panics with the
 * size asked for: callers never see NULL. */
#ifndef KEEL_MM_KMALLOC_H
#define KEEL_MM_KMALLOC_H

#include <stddef.h>

void *kmalloc(size_t size);     /* 16-byte aligned; page aligned if size >= 4096 */
void *kzalloc(size_t size);
void kfree(void *p);

#endif
