/*  zc_amount.c - amounts */
#include "zc_amount.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool
zc_amount_valid (uint64_t a)
{
    return a <= ZC_MAX_MONEY;
}

bool
zc_amount_add (uint64_t *sum, uint64_t a)
{
    if (a > ZC_MAX_MONEY || *sum > ZC_MAX_MONEY - a)
        return false;
    *sum += a;
    return true;
}

zc_err_t
zc_amount_parse (const char *s, uint64_t *out)
{
    *out = 0;
    if (!s || !*s)
        return ZC_ERR_BAD_AMOUNT;
    uint64_t whole = 0, frac = 0;
    size_t i = 0, int_digits = 0, frac_digits = 0;
    for (; s [i] >= '0' && s [i] <= '9'; i++, int_digits++) {
        if (whole > ZC_MAX_MONEY / ZC_COIN)
            return ZC_ERR_BAD_AMOUNT;   //  already too big: stop before overflow
        whole = whole * 10 + (uint64_t) (s [i] - '0');
    }
    if (s [i] == '.') {
        for (i++; s [i] >= '0' && s [i] <= '9'; i++, frac_digits++) {
            if (frac_digits == 8)
                return ZC_ERR_BAD_AMOUNT;
            frac = frac * 10 + (uint64_t) (s [i] - '0');
        }
        if (frac_digits == 0)
            return ZC_ERR_BAD_AMOUNT;   //  "1." is a typo, not an amount
    }
    if (s [i] != 0 || int_digits == 0)
        return ZC_ERR_BAD_AMOUNT;
    for (size_t k = frac_digits; k < 8; k++)
        frac *= 10;
    if (whole > ZC_MAX_MONEY / ZC_COIN)
        return ZC_ERR_BAD_AMOUNT;
    uint64_t total = whole * ZC_COIN + frac;
    if (total > ZC_MAX_MONEY)
        return ZC_ERR_BAD_AMOUNT;
    *out = total;
    return ZC_OK;
}

char *
zc_amount_format (uint64_t a, char out [ZC_AMOUNT_STR_MAX])
{
    uint64_t frac = a % ZC_COIN;
    if (frac == 0) {
        snprintf (out, ZC_AMOUNT_STR_MAX, "%" PRIu64, a / ZC_COIN);
        return out;
    }
    snprintf (out, ZC_AMOUNT_STR_MAX, "%" PRIu64 ".%08" PRIu64, a / ZC_COIN, frac);
    size_t n = strlen (out);
    while (out [n - 1] == '0')
        out [--n] = 0;
    return out;
}
