#include "tests/unit/unit.h"
#include "vmx/vmx_names.c"

TEST(exit_reason_names_follow_appendix_c)
{
    CHECK_STR(exit_reason_name(EXIT_REASON_CPUID), "CPUID");
    CHECK_STR(exit_reason_name(10), "CPUID");
    CHECK_STR(exit_reason_name(30), "IO_INSTRUCTION");
    CHECK_STR(exit_reason_name(48), "EPT_VIOLATION");
    CHECK_STR(exit_reason_name(52), "PREEMPTION_TIMER");
    CHECK_STR(exit_reason_name(55), "XSETBV");
}

TEST(exit_reason_gaps_and_range_are_unknown)
{
    CHECK_STR(exit_reason_name(35), "unknown");     /* not defined by the SDM */
    CHECK_STR(exit_reason_name(38), "unknown");
    CHECK_STR(exit_reason_name(42), "unknown");
    CHECK_STR(exit_reason_name(NR_EXIT_REASONS), "unknown");
    CHECK_STR(exit_reason_name(0xffffffffu), "unknown");
}

TEST(every_defined_reason_has_a_distinct_name)
{
    for (unsigned a = 0; a < NR_EXIT_REASONS; a++)
        for (unsigned b = a + 1; b < NR_EXIT_REASONS; b++)
            if (strcmp(exit_reason_name(a), "unknown") != 0)
                CHECK(strcmp(exit_reason_name(a), exit_reason_name(b)) != 0);
}

TEST(vm_instruction_errors)
{
    CHECK_STR(vm_instruction_error_name(7), "VM entry with invalid control field(s)");
    CHECK_STR(vm_instruction_error_name(8), "VM entry with invalid host-state field(s)");
    CHECK_STR(vm_instruction_error_name(0), "unknown VM-instruction error");
    CHECK_STR(vm_instruction_error_name(14), "unknown VM-instruction error");
    CHECK_STR(vm_instruction_error_name(1000), "unknown VM-instruction error");
}
