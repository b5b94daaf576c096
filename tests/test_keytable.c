/*  test_keytable.c - open-addressing key tables: usage, and a long run of
 *  random inserts, updates and deletes checked against a plain array
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_hashkey.h"
#include "zc_keytable.h"

#include <stdlib.h>
#include <string.h>

//  Usage: an outpoint table, insert, look up, replace, delete
static void
test_usage (void **state)
{
    (void) state;
    zc_keytable_t *table = zc_keytable_new (ZC_HASHKEY_OUTPOINT);
    assert_non_null (table);
    uint8_t key [36] = { 1, 2, 3 };
    assert_int_equal (zc_keytable_insert (table, key, (void *) 1), 0);
    assert_int_equal (zc_keytable_insert (table, key, (void *) 2), -1);     //  there already
    assert_ptr_equal (zc_keytable_lookup (table, key), (void *) 1);
    assert_int_equal (zc_keytable_update (table, key, (void *) 3), 0);
    assert_ptr_equal (zc_keytable_lookup (table, key), (void *) 3);
    assert_int_equal (zc_keytable_update (table, key, NULL), -1);           //  NULL is "absent"
    key [35] = 1;                                                           //  the last byte counts
    assert_null (zc_keytable_lookup (table, key));
    assert_null (zc_keytable_delete (table, key));
    key [35] = 0;
    assert_int_equal (zc_keytable_size (table), 1);
    assert_false (zc_keytable_remove (table, key, (void *) 1));             //  holds another
    assert_ptr_equal (zc_keytable_lookup (table, key), (void *) 3);
    assert_true (zc_keytable_remove (table, key, (void *) 3));
    assert_false (zc_keytable_remove (table, key, (void *) 3));             //  gone
    assert_int_equal (zc_keytable_insert (table, key, (void *) 3), 0);
    assert_ptr_equal (zc_keytable_delete (table, key), (void *) 3);
    assert_int_equal (zc_keytable_size (table), 0);
    assert_null (zc_keytable_lookup (table, key));
    zc_keytable_destroy (&table);
    assert_null (table);
    assert_null (zc_keytable_new (20));
}

#define S_KEYS 3000                     //  the universe of keys
#define S_OPS 200000

static uint64_t s_rng = 0x243f6a8885a308d3ULL;

static uint64_t
s_next (void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

//  Key k of a 32-byte table: k in the first bytes, the rest equal
static void
s_key (uint8_t key [32], uint32_t k)
{
    memset (key, 0xab, 32);
    memcpy (key, &k, sizeof k);
}

//  A walk visits every value the model holds, each once, and nothing else
static void
s_walk_matches (const zc_keytable_t *table, const uintptr_t *model, size_t size)
{
    static bool seen [S_KEYS];
    memset (seen, 0, sizeof seen);
    size_t cursor = 0, visited = 0;
    for (void *value; (value = zc_keytable_next (table, &cursor)); visited++) {
        uint32_t k = 0;
        while (k < S_KEYS && model [k] != (uintptr_t) value)
            k++;
        assert_true (k < S_KEYS);
        assert_false (seen [k]);
        seen [k] = true;
    }
    assert_int_equal (visited, size);
    assert_null (zc_keytable_next (table, &cursor));
}

//  Random operations over a small universe keep runs long and deletes
//  shifting; after each, the table agrees with the array on the key
//  touched, and every so often on every key
static void
test_against_array (void **state)
{
    (void) state;
    zc_keytable_t *table = zc_keytable_new (ZC_HASHKEY_HASH);
    assert_non_null (table);
    static uintptr_t model [S_KEYS];
    memset (model, 0, sizeof model);
    size_t size = 0;
    uint8_t key [32];
    for (int op = 0; op < S_OPS; op++) {
        uint32_t k = (uint32_t) (s_next () % S_KEYS);
        s_key (key, k);
        uintptr_t value = (uintptr_t) op + 1;
        switch (s_next () % 5) {
            case 0:
                assert_int_equal (zc_keytable_insert (table, key, (void *) value), model [k] ? -1 : 0);
                if (!model [k]) {
                    model [k] = value;
                    size++;
                }
                break;
            case 1:
                assert_int_equal (zc_keytable_update (table, key, (void *) value), 0);
                size += model [k] == 0;
                model [k] = value;
                break;
            case 2: {
                //  removes only what holds the value asked for
                uintptr_t asked = s_next () % 2 ? model [k] : value;
                bool removed = model [k] && asked == model [k];
                assert_int_equal (zc_keytable_remove (table, key, (void *) asked), removed);
                if (removed) {
                    model [k] = 0;
                    size--;
                }
                break;
            }
            default:
                assert_ptr_equal (zc_keytable_delete (table, key), (void *) model [k]);
                size -= model [k] != 0;
                model [k] = 0;
                break;
        }
        assert_ptr_equal (zc_keytable_lookup (table, key), (void *) model [k]);
        assert_int_equal (zc_keytable_size (table), size);
        if (op % 20000 == 0) {
            for (uint32_t j = 0; j < S_KEYS; j++) {
                s_key (key, j);
                assert_ptr_equal (zc_keytable_lookup (table, key), (void *) model [j]);
            }
            s_walk_matches (table, model, size);
        }
    }
    //  it grew for the peak and stays at most three quarters full
    assert_true (zc_keytable_bytes (table) >= size * 4 / 3 * 48);
    s_walk_matches (table, model, size);
    zc_keytable_purge (table);
    assert_int_equal (zc_keytable_size (table), 0);
    size_t cursor = 0;
    assert_null (zc_keytable_next (table, &cursor));
    for (uint32_t j = 0; j < S_KEYS; j++) {
        s_key (key, j);
        assert_null (zc_keytable_lookup (table, key));
    }
    zc_keytable_destroy (&table);
}

//  Growing from empty to many keys keeps every one
static void
test_growth (void **state)
{
    (void) state;
    zc_keytable_t *table = zc_keytable_new (ZC_HASHKEY_HASH);
    assert_non_null (table);
    uint8_t key [32];
    for (uint32_t k = 0; k < 100000; k++) {
        s_key (key, k);
        assert_int_equal (zc_keytable_insert (table, key, (void *) (uintptr_t) (k + 1)), 0);
    }
    assert_int_equal (zc_keytable_size (table), 100000);
    for (uint32_t k = 0; k < 100000; k++) {
        s_key (key, k);
        assert_ptr_equal (zc_keytable_lookup (table, key), (void *) (uintptr_t) (k + 1));
    }
    zc_keytable_destroy (&table);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_against_array),
        cmocka_unit_test (test_growth),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
