/* Status messages and the caller-owned emb_error detail struct, including
 * callers built against an older, shorter emb_error. */
#include <string.h>

#include "helpers.h"

#define FILL_BYTE 0xCC

static const emb_status known_statuses[] = {
    EMB_OK,
    EMB_ERR_INVALID_ARGUMENT,
    EMB_ERR_ID_OUT_OF_RANGE,
    EMB_ERR_POSITION_OUT_OF_RANGE,
    EMB_ERR_OUT_OF_MEMORY,
    EMB_ERR_UNSUPPORTED,
    EMB_ERR_READ_ONLY,
    EMB_ERR_IO,
    EMB_ERR_FORMAT,
    EMB_ERR_NOT_FOUND,
    EMB_ERR_SHAPE_MISMATCH,
};
#define KNOWN_COUNT (sizeof(known_statuses) / sizeof(known_statuses[0]))

static void status_values_are_stable(void **state)
{
    (void)state;
    for (size_t i = 0; i < KNOWN_COUNT; i++)
        assert_int_equal(known_statuses[i], (emb_status)i);
}

static void status_message_names_every_code(void **state)
{
    (void)state;
    for (size_t i = 0; i < KNOWN_COUNT; i++) {
        const char *message = emb_status_message(known_statuses[i]);

        assert_non_null(message);
        assert_true(strlen(message) > 0);
        assert_string_not_equal(message, "unknown status");
    }
}

static void status_message_differs_per_code(void **state)
{
    (void)state;
    for (size_t i = 0; i < KNOWN_COUNT; i++)
        for (size_t j = i + 1; j < KNOWN_COUNT; j++)
            assert_string_not_equal(emb_status_message(known_statuses[i]),
                                    emb_status_message(known_statuses[j]));
}

static void status_message_unknown_code(void **state)
{
    const emb_status unknown[] = {(emb_status)KNOWN_COUNT, -1, 1000,
                                  INT32_MAX, INT32_MIN};

    (void)state;
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_non_null(emb_status_message(unknown[i]));
        assert_string_equal(emb_status_message(unknown[i]), "unknown status");
    }
}

static void error_init_sets_size_and_clears(void **state)
{
    emb_error err;
    emb_error zero;

    (void)state;
    memset(&err, FILL_BYTE, sizeof(err));
    memset(&zero, 0, sizeof(zero));
    emb_error_init(&err);
    assert_int_equal(err.struct_size, sizeof(emb_error));
    assert_int_equal(err.status, EMB_OK);
    assert_int_equal(err.fields, 0);
    assert_int_equal(err.os_error, 0);
    assert_int_equal(err.index, 0);
    assert_int_equal(err.value, 0);
    assert_string_equal(err.message, "");
    /* Every byte after struct_size is zero, padding included. */
    assert_memory_equal((const char *)&err + sizeof(err.struct_size),
                        (const char *)&zero + sizeof(zero.struct_size),
                        sizeof(err) - sizeof(err.struct_size));
}

static void error_init_accepts_null(void **state)
{
    (void)state;
    emb_error_init(NULL);
}

/* A forward call that fails on token id -2 at flat index 1. */
static emb_status fail_forward(const emb_model *model, emb_error *err)
{
    const int32_t ids[3] = {2, -2, 1};
    float out[9];

    return emb_forward_i32(model, ids, 1, 3, 0, out, 9, err);
}

static void error_reports_element_details(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    emb_error err;
    const expected_element_error expected = {
        EMB_ERR_ID_OUT_OF_RANGE, 1, 0, 1, -2, 0, FIXTURE_VOCAB};

    (void)state;
    emb_error_init(&err);
    assert_int_equal(fail_forward(model, &err), EMB_ERR_ID_OUT_OF_RANGE);
    assert_element_error(&err, &expected);
    assert_int_equal(err.fields & EMB_ERROR_HAS_OS_ERROR, 0);
    assert_non_null(strstr(err.message, "-2"));
    assert_non_null(strstr(err.message, "[0, 4)"));
    emb_model_destroy(model);
}

static void error_cleared_by_later_success(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    const int32_t ids[1] = {1};
    float out[3];
    emb_error err;

    (void)state;
    emb_error_init(&err);
    assert_int_equal(fail_forward(model, &err), EMB_ERR_ID_OUT_OF_RANGE);
    assert_int_equal(emb_forward_i32(model, ids, 1, 1, 0, out, 3, &err),
                     EMB_OK);
    assert_int_equal(err.status, EMB_OK);
    assert_int_equal(err.fields, 0);
    assert_string_equal(err.message, "");
    /* No value of the earlier failure survives. */
    assert_int_equal(err.index, 0);
    assert_int_equal(err.batch_index, 0);
    assert_int_equal(err.seq_index, 0);
    assert_int_equal(err.value, 0);
    assert_int_equal(err.range_begin, 0);
    assert_int_equal(err.range_end, 0);
    emb_model_destroy(model);
}

static void error_null_is_accepted(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);

    (void)state;
    assert_int_equal(fail_forward(model, NULL), EMB_ERR_ID_OUT_OF_RANGE);
    emb_model_destroy(model);
}

static void error_older_struct_keeps_tail(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    size_t known = offsetof(emb_error, index);
    unsigned char expected_tail[sizeof(emb_error)];
    emb_error err;

    (void)state;
    memset(&err, FILL_BYTE, sizeof(err));
    memset(expected_tail, FILL_BYTE, sizeof(expected_tail));
    err.struct_size = (uint32_t)known;
    assert_int_equal(fail_forward(model, &err), EMB_ERR_ID_OUT_OF_RANGE);
    assert_int_equal(err.status, EMB_ERR_ID_OUT_OF_RANGE);
    assert_int_equal(err.struct_size, known);
    /* Nothing at or past the caller's struct_size is written. */
    assert_memory_equal((const unsigned char *)&err + known, expected_tail,
                        sizeof(err) - known);
    emb_model_destroy(model);
}

static void error_zero_size_untouched(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    unsigned char expected[sizeof(emb_error)];
    emb_error err;

    (void)state;
    memset(&err, FILL_BYTE, sizeof(err));
    err.struct_size = 0;
    memcpy(expected, &err, sizeof(err));
    assert_int_equal(fail_forward(model, &err), EMB_ERR_ID_OUT_OF_RANGE);
    assert_memory_equal(&err, expected, sizeof(err));
    emb_model_destroy(model);
}

static void error_message_is_terminated(void **state)
{
    emb_model *model = fixture_model(EMB_KERNEL_REFERENCE, 1);
    emb_error err;

    (void)state;
    memset(&err, FILL_BYTE, sizeof(err));
    err.struct_size = (uint32_t)sizeof(err);
    assert_int_equal(fail_forward(model, &err), EMB_ERR_ID_OUT_OF_RANGE);
    assert_non_null(memchr(err.message, '\0', sizeof(err.message)));
    emb_model_destroy(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_values_are_stable),
        cmocka_unit_test(status_message_names_every_code),
        cmocka_unit_test(status_message_differs_per_code),
        cmocka_unit_test(status_message_unknown_code),
        cmocka_unit_test(error_init_sets_size_and_clears),
        cmocka_unit_test(error_init_accepts_null),
        cmocka_unit_test(error_reports_element_details),
        cmocka_unit_test(error_cleared_by_later_success),
        cmocka_unit_test(error_null_is_accepted),
        cmocka_unit_test(error_older_struct_keeps_tail),
        cmocka_unit_test(error_zero_size_untouched),
        cmocka_unit_test(error_message_is_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
