/*  test_key.c - BIP340 keys and signatures against the official vectors */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_hex.h"
#include "zc_key.h"
#include "zc_keycache.h"
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Usage: a fresh key signs, its public key verifies
static void
test_usage (void **state)
{
    (void) state;
    zc_seckey_t key;
    uint8_t pubkey [32], msg [32], sig [64];
    assert_int_equal (zc_seckey_generate (&key), 0);
    assert_true (zc_seckey_is_valid (&key));
    assert_int_equal (zc_seckey_pubkey (&key, pubkey), 0);
    memset (msg, 0x42, sizeof msg);
    assert_int_equal (zc_sign (&key, msg, sig), 0);
    assert_true (zc_verify (pubkey, msg, sig));
    sig [63] ^= 1;
    assert_false (zc_verify (pubkey, msg, sig));
    sig [63] ^= 1;
    msg [0] ^= 1;
    assert_false (zc_verify (pubkey, msg, sig));
    //  fresh auxiliary randomness: signing twice gives two signatures
    uint8_t sig2 [64];
    msg [0] ^= 1;
    assert_int_equal (zc_sign (&key, msg, sig2), 0);
    assert_memory_not_equal (sig, sig2, 64);
    assert_true (zc_verify (pubkey, msg, sig2));
    zc_seckey_wipe (&key);
    uint8_t zero [32] = { 0 };
    assert_memory_equal (key.b, zero, 32);
    assert_false (zc_seckey_is_valid (&key));
    assert_int_equal (zc_seckey_pubkey (&key, pubkey), -1);
    assert_int_equal (zc_sign (&key, msg, sig), -1);
}

//  Split a CSV line in place into at most max fields
static int
s_fields (char *line, char **field, int max)
{
    int n = 0;
    field [n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == ',') {
            *p = 0;
            field [n++] = p + 1;
        }
    return n;
}

//  Every vector of bip340-test-vectors.csv: each row with a secret key is
//  a signing vector (key derivation and the exact signature); every row is
//  a verification vector
static void
test_bip340_vectors (void **state)
{
    (void) state;
    FILE *f = fopen (ZC_SOURCE_DIR "/tests/vectors/bip340-test-vectors.csv", "r");
    assert_non_null (f);
    char line [2048];
    assert_non_null (fgets (line, sizeof line, f));     //  header
    int signing = 0, verifying = 0;
    zc_keycache_t *cache = zc_keycache_new (16);
    assert_non_null (cache);
    while (fgets (line, sizeof line, f)) {
        line [strcspn (line, "\r\n")] = 0;
        char *field [8];
        if (s_fields (line, field, 8) < 7)
            continue;
        uint8_t pubkey [32], sig [64], aux [32];
        size_t msg_size;
        uint8_t *msg = zc_hex_decode_alloc (field [4], 1024, &msg_size);
        assert_non_null (msg);
        assert_int_equal (zc_hex_decode (field [2], pubkey, 32), 0);
        assert_int_equal (zc_hex_decode (field [5], sig, 64), 0);
        bool expect = strcmp (field [6], "TRUE") == 0;
        if (*field [1]) {
            zc_seckey_t key;
            uint8_t derived [32], made [64];
            assert_int_equal (zc_hex_decode (field [1], key.b, 32), 0);
            assert_int_equal (zc_hex_decode (field [3], aux, 32), 0);
            assert_int_equal (zc_seckey_pubkey (&key, derived), 0);
            assert_memory_equal (derived, pubkey, 32);
            if (msg_size == 32) {
                assert_int_equal (zc_sign_aux (&key, msg, aux, made), 0);
                assert_memory_equal (made, sig, 64);
                signing++;
            }
        }
        if (zc_verify_msg (pubkey, msg, msg_size, sig) != expect)
            fail_msg ("vector %s: verification gave %d, expected %d (%s)", field [0], !expect,
                      expect, field [7] ? field [7] : "");
        //  the same answer through a cache: the first time lifts the key,
        //  the second takes its point from the slot
        for (int pass = 0; pass < 2; pass++)
            if (zc_keycache_verify (cache, pubkey, msg, msg_size, sig) != expect)
                fail_msg ("vector %s: cached verification (pass %d) gave %d", field [0], pass,
                          !expect);
        verifying++;
        free (msg);
    }
    fclose (f);
    zc_keycache_stats_t stats;
    zc_keycache_stats (cache, &stats);
    assert_true (stats.hits > 0);       //  the second passes did come from slots
    zc_keycache_destroy (&cache);
    print_message ("%d signing and %d verification vectors\n", signing, verifying);
    assert_true (signing >= 4);
    assert_true (verifying >= 15);
}

//  The 2019 draft's vectors (square-y R): a different scheme; its
//  "valid" signatures must not verify here
static void
test_draft_vectors_refused (void **state)
{
    (void) state;
    FILE *f = fopen (ZC_SOURCE_DIR "/tests/vectors/bip340-draft-2019-test-vectors.csv", "r");
    assert_non_null (f);
    char line [2048];
    assert_non_null (fgets (line, sizeof line, f));
    int checked = 0;
    while (fgets (line, sizeof line, f)) {
        line [strcspn (line, "\r\n")] = 0;
        char *field [8];
        if (s_fields (line, field, 8) < 7 || strcmp (field [6], "TRUE"))
            continue;
        uint8_t pubkey [32], sig [64];
        size_t msg_size;
        uint8_t *msg = zc_hex_decode_alloc (field [4], 1024, &msg_size);
        assert_int_equal (zc_hex_decode (field [2], pubkey, 32), 0);
        assert_int_equal (zc_hex_decode (field [5], sig, 64), 0);
        assert_false (zc_verify_msg (pubkey, msg, msg_size, sig));
        free (msg);
        checked++;
    }
    fclose (f);
    assert_int_equal (checked, 5);
}

static void
test_pubkey_validity (void **state)
{
    (void) state;
    uint8_t x [32];
    //  x = p - 1... not on the curve is vector 5's key; 0 is never a point
    memset (x, 0, sizeof x);
    assert_false (zc_pubkey_is_valid (x));
    memset (x, 0xff, sizeof x);          //  above the field size
    assert_false (zc_pubkey_is_valid (x));
    assert_int_equal (zc_hex_decode ("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", x, 32), 0);
    assert_true (zc_pubkey_is_valid (x));
}

//  The fast check agrees with libsecp256k1's parse: on random bytes (about
//  half are points), at and around the field size, and on small values
static void
test_pubkey_validity_agrees (void **state)
{
    (void) state;
    secp256k1_context *ctx = secp256k1_context_create (SECP256K1_CONTEXT_NONE);
    uint8_t x [32];
    int points = 0;
    for (int i = 0; i < 20000; i++) {
        if (i < 256) {                  //  0..255 in the last byte
            memset (x, 0, sizeof x);
            x [31] = (uint8_t) i;
        }
        else if (i < 512) {             //  p - 128 .. p + 127
            assert_int_equal (zc_hex_decode ("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", x, 32), 0);
            int delta = i - 384;
            int carry = delta;
            for (int b = 31; b >= 0 && carry != 0; b--) {
                int v = x [b] + carry;
                x [b] = (uint8_t) (v & 0xff);
                carry = v >> 8;         //  arithmetic: -1 borrows
            }
        }
        else
            assert_int_equal (zc_random_bytes (x, sizeof x), 0);
        secp256k1_xonly_pubkey parsed;
        bool expect = secp256k1_xonly_pubkey_parse (ctx, &parsed, x) == 1;
        assert_int_equal (zc_pubkey_is_valid (x), expect);
        points += expect;
    }
    assert_true (points > 8000 && points < 12000);
    secp256k1_context_destroy (ctx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_bip340_vectors),
        cmocka_unit_test (test_draft_vectors_refused),
        cmocka_unit_test (test_pubkey_validity),
        cmocka_unit_test (test_pubkey_validity_agrees),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
