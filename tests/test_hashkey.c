/*  test_hashkey.c - hash tables of binary keys: SipHash-2-4 against its
 *  published vectors, and keys chosen to collide under a fixed hash
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_hashkey.h"
#include "zc_time.h"

#include <stdlib.h>
#include <string.h>

//  Usage: a table of outpoint keys, insert and look up
static void
test_usage (void **state)
{
    (void) state;
    zhashx_t *table = zc_hashkey_table (ZC_HASHKEY_OUTPOINT, false);
    assert_non_null (table);
    uint8_t key [36] = { 1, 2, 3 };
    assert_int_equal (zhashx_insert (table, key, (void *) 1), 0);
    assert_ptr_equal (zhashx_lookup (table, key), (void *) 1);
    key [35] = 1;
    assert_null (zhashx_lookup (table, key));
    zhashx_destroy (&table);
    assert_null (zc_hashkey_table (20, false));
}

//  The reference vectors: key 00..0f, message 00..(len - 1)
static void
test_siphash_vectors (void **state)
{
    (void) state;
    uint8_t key [16], msg [16];
    for (int i = 0; i < 16; i++)
        key [i] = msg [i] = (uint8_t) i;
    assert_true (zc_hashkey_siphash (key, msg, 0) == 0x726fdb47dd0e0e31ULL);
    assert_true (zc_hashkey_siphash (key, msg, 1) == 0x74f839c593dc67fdULL);
    assert_true (zc_hashkey_siphash (key, msg, 2) == 0x0d6c8009d9a94f5aULL);
    assert_true (zc_hashkey_siphash (key, msg, 3) == 0x85676696d7fb7e2dULL);
    assert_true (zc_hashkey_siphash (key, msg, 8) == 0x93f5f5799a932462ULL);
    assert_true (zc_hashkey_siphash (key, msg, 15) == 0xa129ca6149be45e5ULL);
}

//  50,000 outpoints a stranger may name (their first 16 bytes alike: one
//  chain under the old hash, where zhashx grew its table until malloc
//  failed and CZMQ aborted) and 50,000 ids alike in their first 8 bytes
static void
test_chosen_keys (void **state)
{
    (void) state;
    int64_t start = zc_mono_ms ();
    zhashx_t *outpoints = zc_hashkey_table (ZC_HASHKEY_OUTPOINT, false);
    zhashx_t *ids = zc_hashkey_table (ZC_HASHKEY_HASH, false);
    for (uint32_t i = 0; i < 50000; i++) {
        uint8_t key [36] = { 0 };
        memcpy (key + 16, &i, 4);
        assert_int_equal (zhashx_insert (outpoints, key, (void *) 1), 0);
        assert_int_equal (zhashx_insert (ids, key, (void *) 1), 0);
    }
    assert_int_equal (zhashx_size (outpoints), 50000);
    assert_int_equal (zhashx_size (ids), 50000);
    print_message ("100,000 chosen keys in %lld ms\n", (long long) (zc_mono_ms () - start));
    zhashx_destroy (&outpoints);
    zhashx_destroy (&ids);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_siphash_vectors),
        cmocka_unit_test (test_chosen_keys),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
