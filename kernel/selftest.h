/* Self-tests run at boot when asked by `selftest=NAME` (kernel/selftest.c):
 * they check keel's own machinery on the real (or emulated) CPU, and the
 * deliberate-crash ones show what a keel bug looks like. */
#ifndef KEEL_KERNEL_SELFTEST_H
#define KEEL_KERNEL_SELFTEST_H

#include <stddef.h>

/* Checks a selftest name; returns 0 or -1 with the known names in err. */
int selftest_check_name(const char *name, char *err, size_t errlen);
/* Runs the selftest named by keel_options.selftest, if any: selftest_run()
 * those that run early, selftest_run_in_vmx() those that need VMX
 * operation.  Returns the number of failed checks (crash tests do not
 * return). */
int selftest_run(void);
int selftest_run_in_vmx(void);

#endif
