/* Runtime version queries, so FFI callers can check the loaded library. */
#include "internal.h"

uint32_t emb_version_number(void)
{
    return EMB_VERSION_NUMBER;
}

const char *emb_version_string(void)
{
    return EMB_VERSION_STRING;
}

uint32_t emb_abi_version(void)
{
    return EMB_ABI_VERSION;
}
