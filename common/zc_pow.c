/*  zc_pow.c - 256-bit arithmetic for targets and work */
#include "zc_pow.h"
#include "zc_buf.h"
#include "zc_hex.h"

#include <string.h>

void
zc_u256_from_bytes (zc_u256_t *v, const uint8_t be [32])
{
    for (int i = 0; i < 4; i++)
        v->limb [i] = zc_be64 (be + 8 * (3 - i));
}

void
zc_u256_to_bytes (const zc_u256_t *v, uint8_t be [32])
{
    for (int i = 0; i < 4; i++)
        zc_put_be64 (be + 8 * (3 - i), v->limb [i]);
}

void
zc_u256_set_u64 (zc_u256_t *v, uint64_t x)
{
    memset (v, 0, sizeof *v);
    v->limb [0] = x;
}

int
zc_u256_cmp (const zc_u256_t *a, const zc_u256_t *b)
{
    for (int i = 3; i >= 0; i--)
        if (a->limb [i] != b->limb [i])
            return a->limb [i] < b->limb [i] ? -1 : 1;
    return 0;
}

bool
zc_u256_is_zero (const zc_u256_t *v)
{
    return (v->limb [0] | v->limb [1] | v->limb [2] | v->limb [3]) == 0;
}

int
zc_u256_add (zc_u256_t *a, const zc_u256_t *b)
{
    unsigned __int128 carry = 0;
    for (int i = 0; i < 4; i++) {
        carry += (unsigned __int128) a->limb [i] + b->limb [i];
        a->limb [i] = (uint64_t) carry;
        carry >>= 64;
    }
    return (int) carry;
}

void
zc_u256_sub (zc_u256_t *a, const zc_u256_t *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t x = a->limb [i], y = b->limb [i];
        uint64_t d = x - y - borrow;
        borrow = (x < y) || (x - y < borrow);
        a->limb [i] = d;
    }
}

void
zc_u256_shl (zc_u256_t *v, unsigned bits)
{
    zc_u256_t r = { { 0 } };
    unsigned words = bits / 64, shift = bits % 64;
    for (int i = 3; i >= 0; i--) {
        if ((unsigned) i < words)
            break;
        unsigned src = (unsigned) i - words;
        r.limb [i] = v->limb [src] << shift;
        if (shift && src > 0)
            r.limb [i] |= v->limb [src - 1] >> (64 - shift);
    }
    *v = r;
}

void
zc_u256_shr (zc_u256_t *v, unsigned bits)
{
    zc_u256_t r = { { 0 } };
    unsigned words = bits / 64, shift = bits % 64;
    for (unsigned i = 0; i < 4; i++) {
        unsigned src = i + words;
        if (src > 3)
            break;
        r.limb [i] = v->limb [src] >> shift;
        if (shift && src < 3)
            r.limb [i] |= v->limb [src + 1] << (64 - shift);
    }
    *v = r;
}

uint64_t
zc_u256_mul_u64 (zc_u256_t *v, uint64_t m)
{
    unsigned __int128 carry = 0;
    for (int i = 0; i < 4; i++) {
        carry += (unsigned __int128) v->limb [i] * m;
        v->limb [i] = (uint64_t) carry;
        carry >>= 64;
    }
    return (uint64_t) carry;
}

uint64_t
zc_u256_div_u64 (zc_u256_t *v, uint64_t d)
{
    unsigned __int128 rem = 0;
    for (int i = 3; i >= 0; i--) {
        rem = (rem << 64) | v->limb [i];
        v->limb [i] = (uint64_t) (rem / d);
        rem %= d;
    }
    return (uint64_t) rem;
}

unsigned
zc_u256_bits (const zc_u256_t *v)
{
    for (int i = 3; i >= 0; i--)
        if (v->limb [i])
            return (unsigned) (64 * i + 64 - __builtin_clzll (v->limb [i]));
    return 0;
}

void
zc_u256_div (const zc_u256_t *a, const zc_u256_t *b, zc_u256_t *q)
{
    zc_u256_t num = *a, div = *b;
    memset (q, 0, sizeof *q);
    unsigned na = zc_u256_bits (&num), nb = zc_u256_bits (&div);
    if (nb == 0 || na < nb)
        return;
    unsigned shift = na - nb;
    zc_u256_shl (&div, shift);
    for (int s = (int) shift; s >= 0; s--) {
        if (zc_u256_cmp (&num, &div) >= 0) {
            zc_u256_sub (&num, &div);
            q->limb [s / 64] |= 1ULL << (s % 64);
        }
        zc_u256_shr (&div, 1);
    }
}

double
zc_u256_to_double (const zc_u256_t *v)
{
    double r = 0;
    for (int i = 3; i >= 0; i--)
        r = r * 18446744073709551616.0 + (double) v->limb [i];
    return r;
}

char *
zc_u256_hex (const zc_u256_t *v, char out [65])
{
    uint8_t be [32];
    zc_u256_to_bytes (v, be);
    return zc_hex_encode (be, 32, out);
}

int
zc_bits_to_target (uint32_t bits, zc_u256_t *target)
{
    unsigned exponent = bits >> 24;
    uint32_t mantissa = bits & 0x007fffff;
    zc_u256_set_u64 (target, 0);
    if (bits & 0x00800000)
        return -1;                      //  negative
    if (exponent <= 3)
        zc_u256_set_u64 (target, mantissa >> (8 * (3 - exponent)));
    else {
        //  overflow: the mantissa's top byte would land beyond bit 255
        if (mantissa && (exponent > 34 || (mantissa > 0xff && exponent > 33)
                         || (mantissa > 0xffff && exponent > 32)))
            return -1;
        zc_u256_set_u64 (target, mantissa);
        zc_u256_shl (target, 8 * (exponent - 3));
    }
    return zc_u256_is_zero (target) ? -1 : 0;
}

uint32_t
zc_target_to_bits (const zc_u256_t *target)
{
    unsigned size = (zc_u256_bits (target) + 7) / 8;
    uint32_t mantissa;
    if (size <= 3)
        mantissa = (uint32_t) (target->limb [0] << (8 * (3 - size)));
    else {
        zc_u256_t t = *target;
        zc_u256_shr (&t, 8 * (size - 3));
        mantissa = (uint32_t) t.limb [0];
    }
    //  a set top bit would read as negative: use one more byte
    if (mantissa & 0x00800000) {
        mantissa >>= 8;
        size++;
    }
    return (uint32_t) size << 24 | mantissa;
}

bool
zc_pow_check (const zc_hash_t *hash, uint32_t bits, uint32_t pow_limit_bits)
{
    zc_u256_t target, limit, value;
    if (zc_bits_to_target (bits, &target) || zc_bits_to_target (pow_limit_bits, &limit)
    ||  zc_u256_cmp (&target, &limit) > 0)
        return false;
    zc_u256_from_bytes (&value, hash->b);
    return zc_u256_cmp (&value, &target) <= 0;
}

void
zc_pow_block_work (uint32_t bits, zc_u256_t *work)
{
    zc_u256_t target;
    if (zc_bits_to_target (bits, &target)) {
        zc_u256_set_u64 (work, 0);
        return;
    }
    //  2^256 / (t + 1) = (2^256 - t - 1) / (t + 1) + 1 = ~t / (t + 1) + 1
    zc_u256_t not_t, t1, one;
    for (int i = 0; i < 4; i++)
        not_t.limb [i] = ~target.limb [i];
    t1 = target;
    zc_u256_set_u64 (&one, 1);
    zc_u256_add (&t1, &one);
    zc_u256_div (&not_t, &t1, work);
    zc_u256_add (work, &one);
}

uint32_t
zc_pow_retarget (uint32_t last_bits, int64_t actual_timespan, int64_t target_timespan,
                 uint32_t pow_limit_bits)
{
    zc_u256_t target, limit;
    if (target_timespan <= 0 || zc_bits_to_target (pow_limit_bits, &limit))
        return pow_limit_bits;
    if (zc_bits_to_target (last_bits, &target))
        return pow_limit_bits;
    if (actual_timespan < target_timespan / 4)
        actual_timespan = target_timespan / 4;
    if (actual_timespan > target_timespan * 4)
        actual_timespan = target_timespan * 4;
    //  the limit stays far below 2^256 / 2^3, so the product cannot overflow
    //  for any target at or under it
    if (zc_u256_mul_u64 (&target, (uint64_t) actual_timespan) != 0)
        return pow_limit_bits;
    zc_u256_div_u64 (&target, (uint64_t) target_timespan);
    if (zc_u256_cmp (&target, &limit) > 0 || zc_u256_is_zero (&target))
        return pow_limit_bits;
    return zc_target_to_bits (&target);
}
