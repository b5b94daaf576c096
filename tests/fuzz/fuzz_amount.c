/*  fuzz_amount.c - libFuzzer: amount parsing; what parses prints back to
 *  a string that parses to the same amount
 */
#include "zc_amount.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *str = malloc (size + 1);
    if (!str)
        return 0;
    memcpy (str, data, size);
    str [size] = 0;
    uint64_t a, back;
    if (zc_amount_parse (str, &a) == ZC_OK) {
        char out [ZC_AMOUNT_STR_MAX];
        if (!zc_amount_valid (a) || zc_amount_parse (zc_amount_format (a, out), &back) || back != a)
            abort ();
    }
    free (str);
    return 0;
}
