/*  test_hash.c - SHA-256 known answers, double and tagged hashes, header midstate */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_hash.h"
#include "zc_hex.h"

#include <stdlib.h>
#include <string.h>

static void
s_assert_hex (const uint8_t *digest, const char *expect)
{
    char hex [65];
    zc_hex_encode (digest, 32, hex);
    assert_string_equal (hex, expect);
}

//  Usage: hash once, twice, or incrementally
static void
test_usage (void **state)
{
    (void) state;
    uint8_t out [32];
    zc_sha256 ("abc", 3, out);
    s_assert_hex (out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    zc_sha256d ("abc", 3, out);
    s_assert_hex (out, "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358");
}

//  FIPS 180-2 known answers
static void
test_sha256_vectors (void **state)
{
    (void) state;
    uint8_t out [32];
    zc_sha256 ("", 0, out);
    s_assert_hex (out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    zc_sha256 (two_blocks, strlen (two_blocks), out);
    s_assert_hex (out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

    //  a million 'a', fed in uneven pieces through the incremental api
    char *million = malloc (1000000);
    assert_non_null (million);
    memset (million, 'a', 1000000);
    zc_sha256_t ctx;
    zc_sha256_init (&ctx);
    size_t done = 0, piece = 1;
    while (done < 1000000) {
        size_t n = piece < 1000000 - done ? piece : 1000000 - done;
        zc_sha256_update (&ctx, million + done, n);
        done += n;
        piece = piece * 3 + 1;
    }
    zc_sha256_final (&ctx, out);
    s_assert_hex (out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free (million);
}

static void
test_tagged (void **state)
{
    (void) state;
    //  tagged hash = SHA256 (SHA256 (tag) || SHA256 (tag) || msg), built by hand
    uint8_t tag_hash [32], manual [96], expect [32], got [32];
    zc_sha256 ("ZChain/SigHash", 14, tag_hash);
    memcpy (manual, tag_hash, 32);
    memcpy (manual + 32, tag_hash, 32);
    memset (manual + 64, 0x5a, 32);
    zc_sha256 (manual, sizeof manual, expect);

    zc_sha256_t ctx;
    zc_sha256_tagged_init (&ctx, "ZChain/SigHash");
    zc_sha256_update (&ctx, manual + 64, 32);
    zc_sha256_final (&ctx, got);
    assert_memory_equal (got, expect, 32);
}

static void
test_header_midstate (void **state)
{
    (void) state;
    uint8_t header [80];
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < 80; i++)
            header [i] = (uint8_t) (rand () >> 7);
        zc_header_hasher_t hasher;
        zc_header_hasher_init (&hasher, header);
        uint8_t fast [32], slow [32];
        zc_header_hasher_hash (&hasher, header + 64, fast);
        zc_sha256d (header, 80, slow);
        assert_memory_equal (fast, slow, 32);
        //  a second nonce from the same midstate
        header [79] ^= 1;
        zc_header_hasher_hash (&hasher, header + 64, fast);
        zc_sha256d (header, 80, slow);
        assert_memory_equal (fast, slow, 32);
    }
}

static void
test_hash_helpers (void **state)
{
    (void) state;
    zc_hash_t a, b;
    memset (&a, 0, sizeof a);
    assert_true (zc_hash_is_zero (&a));
    assert_int_equal (zc_hash_from_hex ("00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF", &b), 0);
    assert_false (zc_hash_is_zero (&b));
    char hex [65];
    assert_string_equal (zc_hash_hex (&b, hex),
                         "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    assert_int_equal (zc_hash_from_hex ("0011", &a), -1);
    assert_int_equal (zc_hash_from_hex ("zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", &a), -1);
    assert_false (zc_hash_eq (&a, &b));
    a = b;
    assert_true (zc_hash_eq (&a, &b));

    size_t size;
    uint8_t *bytes = zc_hex_decode_alloc ("0aff", 16, &size);
    assert_non_null (bytes);
    assert_int_equal (size, 2);
    assert_int_equal (bytes [1], 0xff);
    free (bytes);
    assert_null (zc_hex_decode_alloc ("0af", 16, &size));
    assert_null (zc_hex_decode_alloc ("0aff", 1, &size));
    assert_null (zc_hex_decode_alloc ("0g", 16, &size));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_sha256_vectors),
        cmocka_unit_test (test_tagged),
        cmocka_unit_test (test_header_midstate),
        cmocka_unit_test (test_hash_helpers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
