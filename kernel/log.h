/* keel's own log: levelled messages to every enabled console (kernel/log.c). */
#ifndef KEEL_KERNEL_LOG_H
#define KEEL_KERNEL_LOG_H

#include <stdarg.h>

enum log_level {
    LOG_ERROR,
    LOG_WARN,
    LOG_INFO,
    LOG_DEBUG,
};

/* Messages above this level are dropped; set by the loglevel= boot option. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void klog(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Unconditional output, no prefix: for reports and tables. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#define pr_err(...)   klog(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

/* A keel invariant is broken: print file, line and reason, then stop the machine
 * (kernel/panic.c).  Guest misbehaviour never calls this. */
_Noreturn void panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

#define BUG_ON(cond)                                                  \
    do {                                                              \
        if (cond)                                                     \
            panic("BUG_ON(%s)", #cond);                               \
    } while (0)

#endif
