/*  zc_amount.h - amounts in base units: range checks, parsing and printing
 *
 *  1 coin = 100,000,000 base units; no amount or sum exceeds 21 million
 *  coins. Users write coins with up to 8 decimals ("12.5", "0.00000001");
 *  JSON carries integer base units.
 */
#ifndef ZC_AMOUNT_H_INCLUDED
#define ZC_AMOUNT_H_INCLUDED

#include "zc_err.h"

#include <stdbool.h>
#include <stdint.h>

#define ZC_COIN UINT64_C (100000000)
#define ZC_MAX_MONEY (UINT64_C (21000000) * ZC_COIN)
#define ZC_AMOUNT_STR_MAX 32

//  True when 0 <= a <= ZC_MAX_MONEY.
bool
    zc_amount_valid (uint64_t a);

//  *sum += a; false (and *sum unchanged) when the result would exceed
//  ZC_MAX_MONEY or overflow.
bool
    zc_amount_add (uint64_t *sum, uint64_t a);

//  Parse coins: digits, optionally a point and 1 to 8 more digits ("1",
//  "0.5", "12.34567890"). No sign, exponent, spaces, separators, or more
//  than 8 decimals. ZC_OK or ZC_ERR_BAD_AMOUNT.
zc_err_t
    zc_amount_parse (const char *s, uint64_t *out);

//  Print coins: the integer part, then the decimals without trailing
//  zeros ("12.5", "0.00000001", "3"). Parses back to a. Returns out.
char *
    zc_amount_format (uint64_t a, char out [ZC_AMOUNT_STR_MAX]);

#endif
