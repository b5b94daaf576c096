/*  test_buf.c - bounded reader, writer and canonical CompactSize */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_buf.h"

#include <string.h>

//  Usage: write fields, read them back, check once at the end
static void
test_usage (void **state)
{
    (void) state;
    zc_writer_t w;
    zc_writer_init (&w, 4);             //  forces growth
    zc_writer_u32 (&w, 0x01020304);
    zc_writer_varint (&w, 300);
    zc_writer_u64 (&w, 0x1122334455667788ULL);
    zc_writer_bytes (&w, "xyz", 3);
    assert_false (w.bad);
    assert_int_equal (w.size, 4 + 3 + 8 + 3);
    assert_int_equal (w.data [0], 0x04);

    zc_reader_t r;
    zc_reader_init (&r, w.data, w.size);
    assert_int_equal (zc_reader_u32 (&r), 0x01020304);
    assert_int_equal (zc_reader_varint (&r, 1000), 300);
    assert_true (zc_reader_u64 (&r) == 0x1122334455667788ULL);
    char xyz [3];
    zc_reader_bytes (&r, xyz, 3);
    assert_memory_equal (xyz, "xyz", 3);
    assert_false (r.bad);
    assert_int_equal (zc_reader_left (&r), 0);
    zc_writer_free (&w);
}

static void
test_varint_boundaries (void **state)
{
    (void) state;
    const uint64_t values [] = { 0, 1, 0xfc, 0xfd, 0xffff, 0x10000, 0xffffffffULL,
                                 0x100000000ULL, UINT64_MAX };
    const size_t sizes [] = { 1, 1, 1, 3, 3, 5, 5, 9, 9 };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++) {
        uint8_t buf [9];
        zc_writer_t w;
        zc_writer_init_fixed (&w, buf, sizeof buf);
        zc_writer_varint (&w, values [i]);
        assert_false (w.bad);
        assert_int_equal (w.size, sizes [i]);
        assert_int_equal (zc_varint_size (values [i]), sizes [i]);
        zc_reader_t r;
        zc_reader_init (&r, buf, w.size);
        assert_true (zc_reader_varint (&r, UINT64_MAX) == values [i]);
        assert_false (r.bad);
        //  every truncation fails
        for (size_t cut = 0; cut < w.size; cut++) {
            zc_reader_init (&r, buf, cut);
            zc_reader_varint (&r, UINT64_MAX);
            assert_true (r.bad);
        }
    }
}

static void
test_varint_not_minimal (void **state)
{
    (void) state;
    const uint8_t cases [][9] = {
        { 0xfd, 0xfc, 0x00 },                                   //  252 in 3 bytes
        { 0xfe, 0xff, 0xff, 0x00, 0x00 },                       //  0xffff in 5
        { 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00 } //  0xffffffff in 9
    };
    const size_t sizes [] = { 3, 5, 9 };
    for (size_t i = 0; i < 3; i++) {
        zc_reader_t r;
        zc_reader_init (&r, cases [i], sizes [i]);
        assert_int_equal (zc_reader_varint (&r, UINT64_MAX), 0);
        assert_true (r.bad);
    }
    //  above the caller's maximum
    uint8_t big [] = { 0xfd, 0x00, 0x01 };
    zc_reader_t r;
    zc_reader_init (&r, big, sizeof big);
    zc_reader_varint (&r, 255);
    assert_true (r.bad);
}

static void
test_reader_is_sticky (void **state)
{
    (void) state;
    uint8_t data [5] = { 1, 2, 3, 4, 5 };
    zc_reader_t r;
    zc_reader_init (&r, data, sizeof data);
    assert_int_equal (zc_reader_u32 (&r), 0x04030201);
    assert_int_equal (zc_reader_u32 (&r), 0);       //  short: zero and bad
    assert_true (r.bad);
    assert_int_equal (zc_reader_u8 (&r), 0);        //  stays bad
    assert_null (zc_reader_skip (&r, 0));
    assert_int_equal (zc_reader_left (&r), 0);
    zc_reader_init (&r, NULL, 10);
    zc_reader_u8 (&r);
    assert_true (r.bad);
    //  a huge skip must not wrap around
    zc_reader_init (&r, data, sizeof data);
    assert_null (zc_reader_skip (&r, SIZE_MAX));
    assert_true (r.bad);
}

static void
test_fixed_writer_overflow (void **state)
{
    (void) state;
    uint8_t buf [6];
    zc_writer_t w;
    zc_writer_init_fixed (&w, buf, sizeof buf);
    zc_writer_u32 (&w, 7);
    assert_false (w.bad);
    zc_writer_u32 (&w, 8);
    assert_true (w.bad);
    assert_int_equal (w.size, 4);
    zc_writer_free (&w);                //  does not free the caller's buffer
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_varint_boundaries),
        cmocka_unit_test (test_varint_not_minimal),
        cmocka_unit_test (test_reader_is_sticky),
        cmocka_unit_test (test_fixed_writer_overflow),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
