/*  zc_bech32.c - bech32m checksums and addresses, from BIP173 and BIP350 */
#include "zc_bech32.h"
#include "zc_key.h"

#include <string.h>

static const char s_charset [] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
s_polymod_step (uint32_t pre)
{
    uint8_t b = (uint8_t) (pre >> 25);
    return ((pre & 0x1ffffff) << 5)
         ^ (-((b >> 0) & 1) & 0x3b6a57b2u)
         ^ (-((b >> 1) & 1) & 0x26508e6du)
         ^ (-((b >> 2) & 1) & 0x1ea119fau)
         ^ (-((b >> 3) & 1) & 0x3d4233ddu)
         ^ (-((b >> 4) & 1) & 0x2a1462b3u);
}

static uint32_t
s_constant (zc_bech32_variant_t variant)
{
    return variant == ZC_BECH32M ? 0x2bc830a3u : 1u;
}

//  Checksum state after the expanded hrp and the data
static uint32_t
s_polymod (const char *hrp, size_t hrp_len, const uint8_t *data5, size_t len)
{
    uint32_t chk = 1;
    for (size_t i = 0; i < hrp_len; i++)
        chk = s_polymod_step (chk) ^ ((uint8_t) hrp [i] >> 5);
    chk = s_polymod_step (chk);
    for (size_t i = 0; i < hrp_len; i++)
        chk = s_polymod_step (chk) ^ ((uint8_t) hrp [i] & 0x1f);
    for (size_t i = 0; i < len; i++)
        chk = s_polymod_step (chk) ^ data5 [i];
    return chk;
}

int
zc_bech32_encode (char *out, size_t out_size, const char *hrp, const uint8_t *data5,
                  size_t len, zc_bech32_variant_t variant)
{
    size_t hrp_len = strlen (hrp);
    if (hrp_len == 0 || hrp_len + 1 + len + 6 > ZC_BECH32_MAX || hrp_len + 1 + len + 6 + 1 > out_size)
        return -1;
    uint32_t chk = s_polymod (hrp, hrp_len, data5, len);
    for (int i = 0; i < 6; i++)
        chk = s_polymod_step (chk);
    chk ^= s_constant (variant);
    size_t pos = 0;
    for (size_t i = 0; i < hrp_len; i++) {
        char c = hrp [i];
        if (c < 33 || c > 126 || (c >= 'A' && c <= 'Z'))
            return -1;
        out [pos++] = c;
    }
    out [pos++] = '1';
    for (size_t i = 0; i < len; i++) {
        if (data5 [i] >> 5)
            return -1;
        out [pos++] = s_charset [data5 [i]];
    }
    for (int i = 0; i < 6; i++)
        out [pos++] = s_charset [(chk >> (5 * (5 - i))) & 31];
    out [pos] = 0;
    return 0;
}

zc_bech32_variant_t
zc_bech32_decode (char *hrp_out, size_t hrp_size, uint8_t *data5, size_t *len, const char *str)
{
    *len = 0;
    size_t n = str ? strlen (str) : 0;
    if (n < 8 || n > ZC_BECH32_MAX)
        return ZC_BECH32_INVALID;
    bool lower = false, upper = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) str [i];
        if (c < 33 || c > 126)
            return ZC_BECH32_INVALID;
        if (c >= 'a' && c <= 'z')
            lower = true;
        if (c >= 'A' && c <= 'Z')
            upper = true;
    }
    if (lower && upper)
        return ZC_BECH32_INVALID;
    const char *sep = strrchr (str, '1');
    if (!sep)
        return ZC_BECH32_INVALID;
    size_t hrp_len = (size_t) (sep - str);
    size_t data_len = n - hrp_len - 1;
    if (hrp_len == 0 || data_len < 6 || hrp_len + 1 > hrp_size)
        return ZC_BECH32_INVALID;
    for (size_t i = 0; i < hrp_len; i++) {
        char c = str [i];
        hrp_out [i] = (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
    }
    hrp_out [hrp_len] = 0;
    uint8_t values [ZC_BECH32_MAX];
    for (size_t i = 0; i < data_len; i++) {
        char c = sep [1 + i];
        if (c >= 'A' && c <= 'Z')
            c = (char) (c - 'A' + 'a');
        const char *at = strchr (s_charset, c);
        if (!at || c == 0)
            return ZC_BECH32_INVALID;
        values [i] = (uint8_t) (at - s_charset);
    }
    uint32_t chk = s_polymod (hrp_out, hrp_len, values, data_len);
    zc_bech32_variant_t variant = chk == s_constant (ZC_BECH32) ? ZC_BECH32
                                : chk == s_constant (ZC_BECH32M) ? ZC_BECH32M
                                : ZC_BECH32_INVALID;
    if (variant != ZC_BECH32_INVALID) {
        memcpy (data5, values, data_len - 6);
        *len = data_len - 6;
    }
    return variant;
}

int
zc_bech32_convert_bits (uint8_t *out, size_t *out_len, int to, const uint8_t *in,
                        size_t in_len, int from, int pad)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    uint32_t max = (1u << to) - 1;
    for (size_t i = 0; i < in_len; i++) {
        if (in [i] >> from)
            return -1;
        acc = (acc << from) | in [i];
        bits += from;
        while (bits >= to) {
            bits -= to;
            out [n++] = (uint8_t) ((acc >> bits) & max);
        }
    }
    if (pad) {
        if (bits)
            out [n++] = (uint8_t) ((acc << (to - bits)) & max);
    }
    else
    if (bits >= from || ((acc << (to - bits)) & max))
        return -1;
    *out_len = n;
    return 0;
}

int
zc_address_encode (const uint8_t pubkey [32], const char *hrp, char out [ZC_ADDRESS_MAX])
{
    uint8_t data5 [1 + 52];
    size_t n;
    out [0] = 0;
    //  no address its own decoder would refuse (coins there cannot be spent)
    if (!zc_pubkey_is_valid (pubkey))
        return -1;
    data5 [0] = 1;                      //  witness version 1: 'p'
    if (zc_bech32_convert_bits (data5 + 1, &n, 5, pubkey, 32, 8, 1))
        return -1;
    return zc_bech32_encode (out, ZC_ADDRESS_MAX, hrp, data5, n + 1, ZC_BECH32M);
}

zc_err_t
zc_address_decode (const char *addr, const char *hrp, uint8_t pubkey [32])
{
    char got_hrp [ZC_BECH32_MAX];
    uint8_t data5 [ZC_BECH32_MAX], program [64];
    size_t len, prog_len;
    memset (pubkey, 0, 32);
    zc_bech32_variant_t variant = zc_bech32_decode (got_hrp, sizeof got_hrp, data5, &len, addr);
    if (variant != ZC_BECH32M || len < 1 || data5 [0] != 1
    ||  zc_bech32_convert_bits (program, &prog_len, 8, data5 + 1, len - 1, 5, 0)
    ||  prog_len != 32 || !zc_pubkey_is_valid (program))
        return ZC_ERR_MALFORMED;
    if (strcmp (got_hrp, hrp) != 0)
        return ZC_ERR_WRONG_NETWORK;
    memcpy (pubkey, program, 32);
    return ZC_OK;
}
