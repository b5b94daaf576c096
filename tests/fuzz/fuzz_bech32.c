/*  fuzz_bech32.c - libFuzzer: bech32 and address decoders on any string */
#include "zc_bech32.h"

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
    char hrp [ZC_BECH32_MAX + 1];
    uint8_t data5 [ZC_BECH32_MAX], pubkey [32];
    size_t len;
    zc_bech32_variant_t v = zc_bech32_decode (hrp, sizeof hrp, data5, &len, str);
    if (v != ZC_BECH32_INVALID) {
        //  a valid string encodes back to itself, in lowercase
        char again [ZC_BECH32_MAX + 1];
        if (zc_bech32_encode (again, sizeof again, hrp, data5, len, v) || strcasecmp (again, str))
            abort ();
    }
    if (zc_address_decode (str, ZC_HRP_REGTEST, pubkey) == ZC_OK) {
        char address [ZC_ADDRESS_MAX];
        if (zc_address_encode (pubkey, ZC_HRP_REGTEST, address) || strcasecmp (address, str))
            abort ();
    }
    free (str);
    return 0;
}
