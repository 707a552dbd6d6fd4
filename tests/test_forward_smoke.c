/* Forward pass on the exact fixture: the smallest end-to-end check. */
#include "helpers.h"

static void forward_fixture_values(void **state)
{
    (void)state;
    emb_model *model = fixture_model(EMB_KERNEL_AUTO, 1);
    int32_t ids[3] = {1, 2, 3};
    float out[9];
    const float expected[9] = {10, 11, 12, 120, 121, 122, 230, 231, 232};

    assert_int_equal(emb_forward_i32(model, ids, 1, 3, 0, out, 9, NULL),
                     EMB_OK);
    assert_floats_identical(expected, out, 9);
    emb_model_destroy(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forward_fixture_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
