/*  test_keycache.c - the cache of lifted keys answers what zc_verify_msg
 *  and zc_pubkey_is_valid answer, uses a slot's point only for its own
 *  key, and stays within its slots
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_key.h"
#include "zc_keycache.h"

#include <string.h>

typedef struct {
    zc_seckey_t key;
    uint8_t pubkey [ZC_PUBKEY_SIZE];
} s_signer_t;

static void
s_signer (s_signer_t *self)
{
    assert_int_equal (zc_seckey_generate (&self->key), 0);
    assert_int_equal (zc_seckey_pubkey (&self->key, self->pubkey), 0);
}

static void
s_sign (const s_signer_t *self, const uint8_t msg [32], uint8_t sig [ZC_SIG_SIZE])
{
    assert_int_equal (zc_sign (&self->key, msg, sig), 0);
}

//  32 random bytes that are not the x coordinate of a point
static void
s_off_curve (uint8_t x [ZC_PUBKEY_SIZE])
{
    do
        assert_int_equal (zc_random_bytes (x, ZC_PUBKEY_SIZE), 0);
    while (zc_pubkey_is_valid (x));
}

//  One key, three messages: lifted once, then every answer from its slot;
//  a bad signature is still bad with the point at hand
static void
test_hits (void **state)
{
    (void) state;
    zc_keycache_t *cache = zc_keycache_new (ZC_KEYCACHE_SLOTS);
    assert_non_null (cache);
    s_signer_t a;
    s_signer (&a);
    uint8_t msg [32] = { 7 }, sig [ZC_SIG_SIZE];
    for (int i = 0; i < 3; i++) {
        msg [31] = (uint8_t) i;
        s_sign (&a, msg, sig);
        assert_true (zc_keycache_verify (cache, a.pubkey, msg, sizeof msg, sig));
    }
    sig [10] ^= 1;
    assert_false (zc_keycache_verify (cache, a.pubkey, msg, sizeof msg, sig));
    zc_keycache_stats_t stats;
    zc_keycache_stats (cache, &stats);
    assert_int_equal (stats.misses, 1);
    assert_int_equal (stats.hits, 3);
    zc_keycache_destroy (&cache);
    assert_null (cache);
    zc_keycache_destroy (&cache);       //  twice is harmless
}

//  One slot, two keys: B presented with A's signature while A's point is in
//  the slot must fail (a cache that trusted the slot without comparing the
//  key would verify A's signature for B), and each key evicts the other
//  without changing an answer
static void
test_one_slot_two_keys (void **state)
{
    (void) state;
    zc_keycache_t *cache = zc_keycache_new (1);
    assert_non_null (cache);
    s_signer_t a, b;
    s_signer (&a);
    s_signer (&b);
    uint8_t msg [32] = { 1, 2, 3 }, sig_a [ZC_SIG_SIZE], sig_b [ZC_SIG_SIZE];
    s_sign (&a, msg, sig_a);
    s_sign (&b, msg, sig_b);
    for (int round = 0; round < 4; round++) {
        assert_true (zc_keycache_verify (cache, a.pubkey, msg, sizeof msg, sig_a));
        assert_false (zc_keycache_verify (cache, b.pubkey, msg, sizeof msg, sig_a));
        assert_true (zc_keycache_verify (cache, b.pubkey, msg, sizeof msg, sig_b));
        assert_false (zc_keycache_verify (cache, a.pubkey, msg, sizeof msg, sig_b));
    }
    zc_keycache_stats_t stats;
    zc_keycache_stats (cache, &stats);
    //  a call hits where the call before it named the same key: b's
    //  second in every round, a's first in every round after the first
    assert_int_equal (stats.hits, 7);
    assert_int_equal (stats.misses, 9);
    zc_keycache_destroy (&cache);
}

//  The point check: a point's key is kept (the second ask is a hit), bytes
//  that are no point never are; a key kept by the check is lifted by its
//  first verification, then verified from the slot
static void
test_is_valid (void **state)
{
    (void) state;
    zc_keycache_t *cache = zc_keycache_new (64);
    assert_non_null (cache);
    uint8_t off [ZC_PUBKEY_SIZE];
    s_off_curve (off);
    for (int i = 0; i < 3; i++)
        assert_false (zc_keycache_is_valid (cache, off));
    s_signer_t a;
    s_signer (&a);
    assert_true (zc_keycache_is_valid (cache, a.pubkey));
    assert_true (zc_keycache_is_valid (cache, a.pubkey));
    zc_keycache_stats_t stats;
    zc_keycache_stats (cache, &stats);
    assert_int_equal (stats.misses, 4);
    assert_int_equal (stats.hits, 1);

    uint8_t msg [32] = { 9 }, sig [ZC_SIG_SIZE];
    s_sign (&a, msg, sig);
    assert_true (zc_keycache_verify (cache, a.pubkey, msg, sizeof msg, sig));     //  lifts
    assert_true (zc_keycache_verify (cache, a.pubkey, msg, sizeof msg, sig));     //  from the slot
    assert_true (zc_keycache_is_valid (cache, a.pubkey));                         //  still a point
    zc_keycache_stats (cache, &stats);
    assert_int_equal (stats.misses, 5);
    assert_int_equal (stats.hits, 3);

    //  no point, no signature: the bytes of a valid one do not help
    assert_false (zc_keycache_verify (cache, off, msg, sizeof msg, sig));
    assert_false (zc_keycache_verify (cache, off, msg, sizeof msg, sig));
    zc_keycache_destroy (&cache);
}

//  Many keys through a small cache: every answer is the uncached answer
static void
test_churn (void **state)
{
    (void) state;
    zc_keycache_t *cache = zc_keycache_new (8);
    assert_non_null (cache);
    enum { KEYS = 24 };
    s_signer_t signer [KEYS];
    uint8_t msg [32] = { 4 }, sig [KEYS][ZC_SIG_SIZE];
    for (int k = 0; k < KEYS; k++) {
        s_signer (&signer [k]);
        s_sign (&signer [k], msg, sig [k]);
    }
    for (int i = 0; i < 400; i++) {
        int k = (i * 7) % KEYS, j = (i * 5 + 3) % KEYS;
        assert_true (zc_keycache_verify (cache, signer [k].pubkey, msg, sizeof msg, sig [k]));
        assert_int_equal (zc_keycache_verify (cache, signer [k].pubkey, msg, sizeof msg, sig [j]),
                          k == j);
        assert_true (zc_keycache_is_valid (cache, signer [j].pubkey));
    }
    zc_keycache_stats_t stats;
    zc_keycache_stats (cache, &stats);
    assert_int_equal (stats.hits + stats.misses, 3 * 400);
    assert_true (stats.hits > 0 && stats.misses > 0);
    zc_keycache_destroy (&cache);
}

//  Sizes: bounded, and a cache of no slots is one of one slot (a key
//  evicts another); no cache still answers
static void
test_sizes_and_no_cache (void **state)
{
    (void) state;
    assert_null (zc_keycache_new (((size_t) 1 << 24) + 1));
    zc_keycache_t *one = zc_keycache_new (0);
    assert_non_null (one);
    s_signer_t b;
    s_signer (&b);
    assert_true (zc_keycache_is_valid (one, b.pubkey));
    assert_true (zc_keycache_is_valid (one, b.pubkey));
    zc_keycache_stats_t counts;
    zc_keycache_stats (one, &counts);
    assert_int_equal (counts.hits, 1);
    zc_keycache_destroy (&one);

    s_signer_t a;
    s_signer (&a);
    uint8_t msg [32] = { 5 }, sig [ZC_SIG_SIZE], off [ZC_PUBKEY_SIZE];
    s_sign (&a, msg, sig);
    s_off_curve (off);
    assert_true (zc_keycache_verify (NULL, a.pubkey, msg, sizeof msg, sig));
    assert_false (zc_keycache_verify (NULL, off, msg, sizeof msg, sig));
    assert_true (zc_keycache_is_valid (NULL, a.pubkey));
    assert_false (zc_keycache_is_valid (NULL, off));
    zc_keycache_stats_t stats = { 1, 1 };
    zc_keycache_stats (NULL, &stats);
    assert_int_equal (stats.hits + stats.misses, 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_hits),
        cmocka_unit_test (test_one_slot_two_keys),
        cmocka_unit_test (test_is_valid),
        cmocka_unit_test (test_churn),
        cmocka_unit_test (test_sizes_and_no_cache),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
