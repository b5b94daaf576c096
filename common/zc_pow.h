/*  zc_pow.h - proof of work: 256-bit targets, compact bits, work, retargeting
 *
 *  A block hash is read as a big-endian 256-bit number (byte 0 most
 *  significant) and must not exceed the target its header's bits encode.
 */
#ifndef ZC_POW_H_INCLUDED
#define ZC_POW_H_INCLUDED

#include "zc_hash.h"

#include <stdbool.h>
#include <stdint.h>

//  Unsigned 256-bit integer, limb 0 least significant
typedef struct {
    uint64_t limb [4];
} zc_u256_t;

void
    zc_u256_from_bytes (zc_u256_t *v, const uint8_t be [32]);
void
    zc_u256_to_bytes (const zc_u256_t *v, uint8_t be [32]);
void
    zc_u256_set_u64 (zc_u256_t *v, uint64_t x);
int
    zc_u256_cmp (const zc_u256_t *a, const zc_u256_t *b);
bool
    zc_u256_is_zero (const zc_u256_t *v);
//  a += b; returns the carry out (1 on overflow)
int
    zc_u256_add (zc_u256_t *a, const zc_u256_t *b);
//  a -= b (b <= a)
void
    zc_u256_sub (zc_u256_t *a, const zc_u256_t *b);
void
    zc_u256_shl (zc_u256_t *v, unsigned bits);
void
    zc_u256_shr (zc_u256_t *v, unsigned bits);
//  v *= m; returns the part that overflowed 256 bits (0 if none)
uint64_t
    zc_u256_mul_u64 (zc_u256_t *v, uint64_t m);
//  v /= d (d > 0); returns the remainder
uint64_t
    zc_u256_div_u64 (zc_u256_t *v, uint64_t d);
//  q = a / b (b != 0), by shift and subtract
void
    zc_u256_div (const zc_u256_t *a, const zc_u256_t *b, zc_u256_t *q);
//  Number of significant bits (0 for zero)
unsigned
    zc_u256_bits (const zc_u256_t *v);
//  Approximate value as a double (display of work and difficulty)
double
    zc_u256_to_double (const zc_u256_t *v);
//  64 lowercase hex digits, big-endian, into out (65 bytes); returns out
char *
    zc_u256_hex (const zc_u256_t *v, char out [65]);

//  Decode compact bits into target: 0, or -1 when negative, zero or
//  over 256 bits.
int
    zc_bits_to_target (uint32_t bits, zc_u256_t *target);

//  The canonical compact form of target.
uint32_t
    zc_target_to_bits (const zc_u256_t *target);

//  True when bits is a valid target no easier than pow_limit_bits and the
//  hash does not exceed it.
bool
    zc_pow_check (const zc_hash_t *hash, uint32_t bits, uint32_t pow_limit_bits);

//  Expected hashes to meet bits: floor (2^256 / (target + 1)); zero for
//  invalid bits.
void
    zc_pow_block_work (uint32_t bits, zc_u256_t *work);

//  New bits after a period that took actual seconds where target were
//  wanted: actual clamped to [target/4, target*4], new = old * actual /
//  target, never easier than the limit.
uint32_t
    zc_pow_retarget (uint32_t last_bits, int64_t actual_timespan, int64_t target_timespan,
                     uint32_t pow_limit_bits);

#endif
