/*  zc_bech32.h - bech32 and bech32m (BIP173, BIP350) and zchain addresses
 *
 *  An address is bech32m of witness version 1 and the 32-byte x-only key,
 *  under the network's human-readable part: "zcrt1p..." on regtest,
 *  "zc1p..." on devnet. bech32m detects every error of up to 4 characters,
 *  so a mistyped address is refused, never paid to.
 */
#ifndef ZC_BECH32_H_INCLUDED
#define ZC_BECH32_H_INCLUDED

#include "zc_err.h"

#include <stddef.h>
#include <stdint.h>

#define ZC_HRP_REGTEST "zcrt"
#define ZC_HRP_DEVNET "zc"
#define ZC_BECH32_MAX 90                //  longest string, BIP173
#define ZC_ADDRESS_MAX 91               //  a zchain address and its NUL

typedef enum {
    ZC_BECH32_INVALID = 0,
    ZC_BECH32 = 1,                      //  BIP173 checksum constant 1
    ZC_BECH32M = 2                      //  BIP350 checksum constant 0x2bc830a3
} zc_bech32_variant_t;

//  Encode hrp and 5-bit values into out (NUL-terminated, lowercase).
//  0, or -1 when it would not fit in out_size or exceed 90 characters.
int
    zc_bech32_encode (char *out, size_t out_size, const char *hrp, const uint8_t *data5,
                      size_t len, zc_bech32_variant_t variant);

//  Decode str: the hrp (lowercase) into hrp_out, the 5-bit values without
//  the checksum into data5 (room for 90) and *len. Returns the variant
//  whose checksum matches, or ZC_BECH32_INVALID (bad character, mixed
//  case, no separator, empty hrp, too long, checksum).
zc_bech32_variant_t
    zc_bech32_decode (char *hrp_out, size_t hrp_size, uint8_t *data5, size_t *len,
                      const char *str);

//  Regroup bits: from groups of `from` bits to groups of `to`, padding
//  the last group with zeros when pad. 0, or -1 for leftover non-zero
//  bits (or a whole leftover group) when not padding.
int
    zc_bech32_convert_bits (uint8_t *out, size_t *out_len, int to, const uint8_t *in,
                            size_t in_len, int from, int pad);

//  The address of pubkey under hrp: 0, or -1 (out "") when pubkey is not
//  the x coordinate of a curve point, so that every address printed is
//  one zc_address_decode accepts.
int
    zc_address_encode (const uint8_t pubkey [32], const char *hrp, char out [ZC_ADDRESS_MAX]);

//  The key an address pays. ZC_OK; ZC_ERR_WRONG_NETWORK for a well-formed
//  address with another hrp; ZC_ERR_MALFORMED for anything else (bad
//  checksum, bech32 instead of bech32m, another version or length, a key
//  that is not a curve point).
zc_err_t
    zc_address_decode (const char *addr, const char *hrp, uint8_t pubkey [32]);

#endif
