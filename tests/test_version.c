/* Version macros of the public header against the loaded library. */
#include <stdio.h>
#include <string.h>

#include "helpers.h"

static void version_number_matches_macro(void **state)
{
    (void)state;
    assert_int_equal(emb_version_number(), EMB_VERSION_NUMBER);
}

static void version_number_combines_parts(void **state)
{
    (void)state;
    assert_int_equal(EMB_VERSION_NUMBER, EMB_VERSION_MAJOR * 10000 +
                                             EMB_VERSION_MINOR * 100 +
                                             EMB_VERSION_PATCH);
}

static void version_string_matches_macro(void **state)
{
    (void)state;
    assert_non_null(emb_version_string());
    assert_string_equal(emb_version_string(), EMB_VERSION_STRING);
}

static void version_string_matches_parts(void **state)
{
    char expected[64];

    (void)state;
    snprintf(expected, sizeof(expected), "%d.%d.%d", EMB_VERSION_MAJOR,
             EMB_VERSION_MINOR, EMB_VERSION_PATCH);
    assert_string_equal(emb_version_string(), expected);
}

static void version_abi_matches_macro(void **state)
{
    (void)state;
    assert_int_equal(emb_abi_version(), EMB_ABI_VERSION);
}

static void version_abi_equals_major(void **state)
{
    (void)state;
    assert_int_equal(EMB_ABI_VERSION, EMB_VERSION_MAJOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(version_number_matches_macro),
        cmocka_unit_test(version_number_combines_parts),
        cmocka_unit_test(version_string_matches_macro),
        cmocka_unit_test(version_string_matches_parts),
        cmocka_unit_test(version_abi_matches_macro),
        cmocka_unit_test(version_abi_equals_major),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
