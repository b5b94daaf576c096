/*  test_watchdog.c - a process whose loop stops kicking ends itself; one
 *  that keeps kicking lives on (each in a child process of the test)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_log.h"
#include "zc_time.h"
#include "zc_watchdog.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

//  Usage: none wanted, none made; kicking and destroying NULL are harmless
static void
test_usage (void **state)
{
    (void) state;
    zc_watchdog_t *none = zc_watchdog_new ("test", 0);
    assert_null (none);
    zc_watchdog_kick (none);
    zc_watchdog_destroy (&none);
    zc_watchdog_t *dog = zc_watchdog_new ("test", 60000);
    assert_non_null (dog);
    zc_watchdog_kick (dog);
    zc_watchdog_destroy (&dog);
    assert_null (dog);
}

//  Run body in a child with its stderr into a pipe; wait up to 20 s for it
//  to end: its status (-1 if it did not end), its stderr in out, and how
//  long it lived
static int
s_child (void (*body) (void), char *out, size_t out_size, int64_t *lived_ms)
{
    int fds [2];
    assert_int_equal (pipe (fds), 0);
    int64_t start = zc_mono_ms ();
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        close (fds [0]);
        dup2 (fds [1], STDERR_FILENO);
        body ();
        _exit (0);
    }
    close (fds [1]);
    int status = 0;
    pid_t done = 0;
    while (done == 0 && zc_mono_ms () - start < 20000) {
        done = waitpid (pid, &status, WNOHANG);
        if (done == 0)
            usleep (10000);
    }
    *lived_ms = zc_mono_ms () - start;
    if (done == 0) {
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
    }
    ssize_t n = read (fds [0], out, out_size - 1);
    out [n > 0 ? n : 0] = 0;
    close (fds [0]);
    if (done != pid || !WIFEXITED (status))
        return -1;
    return WEXITSTATUS (status);
}

static void
s_stuck (void)
{
    zc_log_set_name ("test");
    zc_watchdog_t *dog = zc_watchdog_new ("stuck", 300);
    zc_watchdog_kick (dog);             //  the loop ran once, then stuck
    for (int i = 0; i < 200; i++)
        usleep (100000);                //  20 s of no progress: never reached
}

//  No kick for 300 ms after one: the process ends itself, with status 70
//  and one line
static void
test_ends_a_stuck_process (void **state)
{
    (void) state;
    char out [1024];
    int64_t lived;
    int status = s_child (s_stuck, out, sizeof out, &lived);
    print_message ("stuck child ended after %lld ms: %s", (long long) lived, out);
    assert_int_equal (status, ZC_WATCHDOG_EXIT);
    assert_true (lived >= 300);
    assert_non_null (strstr (out, "watchdog: the stuck loop made no progress"));
}

static void
s_starting (void)
{
    zc_watchdog_t *dog = zc_watchdog_new ("starting", 300);
    usleep (1500000);                   //  a long start-up, before any loop turn
    zc_watchdog_destroy (&dog);
}

//  No kick yet is a start-up, not a stuck loop: a process that takes five
//  timeouts to start lives on
static void
test_spares_a_long_start (void **state)
{
    (void) state;
    char out [1024];
    int64_t lived;
    assert_int_equal (s_child (s_starting, out, sizeof out, &lived), 0);
    assert_null (strstr (out, "watchdog"));
}

static void
s_busy (void)
{
    zc_watchdog_t *dog = zc_watchdog_new ("busy", 1000);
    int64_t until = zc_mono_ms () + 3000;
    while (zc_mono_ms () < until) {
        zc_watchdog_kick (dog);
        usleep (10000);
    }
    zc_watchdog_destroy (&dog);
}

//  Kicked every 10 ms for three times its timeout: it lives on and ends as
//  it wants to
static void
test_spares_a_busy_process (void **state)
{
    (void) state;
    char out [1024];
    int64_t lived;
    assert_int_equal (s_child (s_busy, out, sizeof out, &lived), 0);
    assert_true (lived >= 3000);
    assert_null (strstr (out, "watchdog"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_ends_a_stuck_process),
        cmocka_unit_test (test_spares_a_busy_process),
        cmocka_unit_test (test_spares_a_long_start),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
