/*
 * kmalloc: keel's one struct slab_heap (mm/slab.c) fed with frames through the
 * direct map, and the panics mm/kmalloc.h promises instead of NULL.
 */
#include "mm/kmalloc.h"

#include "kernel/log.h"
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/paging.h"
#include "mm/slab.h"

static struct slab_heap heap;   /* zero-filled: empty */

/* The slab core's page source.  The try variant lets kmalloc() report the size
 * its caller asked for rather than a frame count. */
void *slab_get_pages(size_t count)
{
    uint64_t phys = frame_try_alloc_contig(count, 1);

    return phys != 0 ? phys_to_virt(phys) : NULL;
}

void slab_put_pages(void *pages, size_t count)
{
    frame_free_contig(virt_to_phys(pages), count);
}

void *kmalloc(size_t size)
{
    void *p = slab_alloc(&heap, size);

    if (p == NULL)
        panic("out of memory: kmalloc(%zu), %zu frames free", size, frame_free_count());
    return p;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);

    memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    switch (slab_free(&heap, p)) {
    case SLAB_OK:
        return;
    case SLAB_DOUBLE_FREE:
        panic("kfree(%p): double free", p);
    case SLAB_INTERIOR:
        panic("kfree(%p): points inside an object, not at its start", p);
    default:
        panic("kfree(%p): not allocated by kmalloc (or already freed)", p);
    }
}
