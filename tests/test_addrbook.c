/*  test_addrbook.c - which peer addresses are well formed, and the book's
 *  backoff, bans and persistence */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "addrbook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
test_valid (void **state)
{
    (void) state;
    assert_true (addrbook_valid ("tcp://127.0.0.1:7770"));
    assert_true (addrbook_valid ("tcp://node-1.example:7770"));
    assert_true (addrbook_valid ("tcp://10.0.0.2:7770#"
                                 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    //  the nodes of one process (zchain propagate)
    assert_true (addrbook_valid ("inproc://zc-propagate-12"));
    assert_true (addrbook_valid ("inproc://a_b.c"));

    assert_false (addrbook_valid (NULL));
    assert_false (addrbook_valid (""));
    assert_false (addrbook_valid ("tcp://127.0.0.1"));
    assert_false (addrbook_valid ("tcp://127.0.0.1:0"));
    assert_false (addrbook_valid ("tcp://127.0.0.1:65536"));
    assert_false (addrbook_valid ("tcp://0.0.0.0:7770"));
    assert_false (addrbook_valid ("tcp://host name:7770"));
    assert_false (addrbook_valid ("tcp://10.0.0.2:7770#abc"));
    assert_false (addrbook_valid ("ipc:///tmp/x"));
    assert_false (addrbook_valid ("udp://127.0.0.1:7770"));
    assert_false (addrbook_valid ("inproc://"));
    assert_false (addrbook_valid ("inproc://a b"));
    assert_false (addrbook_valid ("inproc://a/b"));
    char longer [ADDRBOOK_ADDRESS_MAX + 16];
    memset (longer, 'a', sizeof longer);
    memcpy (longer, "inproc://", 9);
    longer [sizeof longer - 1] = 0;
    assert_false (addrbook_valid (longer));
}

//  What is added is found; a malformed address is not added; the book
//  survives a restart through its file
static void
test_persist (void **state)
{
    (void) state;
    char path [] = "/tmp/zc-addrbook-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    close (fd);
    addrbook_t *book = addrbook_new (path);
    assert_non_null (book);
    assert_non_null (addrbook_add (book, "tcp://127.0.0.1:7001", false));
    assert_non_null (addrbook_add (book, "inproc://node-2", false));
    assert_null (addrbook_add (book, "tcp://nowhere", false));
    assert_non_null (addrbook_find (book, "tcp://127.0.0.1:7001"));
    assert_null (addrbook_find (book, "tcp://nowhere"));
    assert_int_equal (addrbook_save (book), 0);
    addrbook_destroy (&book);

    book = addrbook_new (path);
    assert_non_null (book);
    assert_non_null (addrbook_find (book, "tcp://127.0.0.1:7001"));
    assert_non_null (addrbook_find (book, "inproc://node-2"));
    addrbook_destroy (&book);
    unlink (path);
}

//  Each failure doubles the wait (with a quarter of jitter) up to the
//  most; a good handshake starts again from half a second
static void
test_backoff (void **state)
{
    (void) state;
    addrbook_t *book = addrbook_new (NULL);
    assert_non_null (book);
    addrbook_entry_t *e = addrbook_add (book, "tcp://127.0.0.1:7002", false);
    assert_non_null (e);
    int64_t now = 1000000;
    addrbook_failed (book, e, now, 4000);
    assert_int_equal (e->failures, 1);
    assert_in_range (e->next_attempt_ms, now + 375, now + 625);
    addrbook_failed (book, e, now, 4000);
    assert_in_range (e->next_attempt_ms, now + 750, now + 1250);
    for (int i = 0; i < 5; i++)
        addrbook_failed (book, e, now, 4000);
    assert_int_equal (e->backoff_ms, 4000);
    assert_in_range (e->next_attempt_ms, now + 3000, now + 5000);
    addrbook_good (book, e, now);
    assert_int_equal (e->failures, 0);
    assert_int_equal (e->backoff_ms, 500);
    assert_int_equal (e->next_attempt_ms, now);
    addrbook_destroy (&book);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_valid),
        cmocka_unit_test (test_persist),
        cmocka_unit_test (test_backoff),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
