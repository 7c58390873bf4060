/* keel's log: formats into a line buffer and hands it to every console. */
#include "kernel/log.h"

#include "drivers/console.h"
#include "lib/format.h"

#define LOG_LINE_MAX 512

static enum log_level current_level = LOG_INFO;

static const char *const level_prefix[] = {
    [LOG_ERROR] = "keel: error: ",
    [LOG_WARN] = "keel: warning: ",
    [LOG_INFO] = "keel: ",
    [LOG_DEBUG] = "keel: debug: ",
};

void log_set_level(enum log_level level)
{
    current_level = level;
}

enum log_level log_get_level(void)
{
    return current_level;
}

void kvprintf(const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    int n = kvsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {
        /* Keep the line's end visible: a cut line says so. */
        static const char cut[] = "...[cut]\n";
        n = (int)(sizeof(line) - sizeof(cut));
        for (size_t i = 0; i < sizeof(cut); i++)
            line[(size_t)n + i] = cut[i];
        n += (int)sizeof(cut) - 1;
    }
    console_write(line, (size_t)n);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void klog(enum log_level level, const char *fmt, ...)
{
    if (level > current_level)
        return;
    kprintf("%s", level_prefix[level]);
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
}
