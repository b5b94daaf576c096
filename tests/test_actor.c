/*  test_actor.c - the actor skeleton every service loop runs on: the pipe
 *  contract (the start-up signals, $TERM, other commands), handlers,
 *  timers, the metrics push, and the ways a loop ends
 *
 *  A test actor reports what happens in it on a PUSH socket the test
 *  reads ("got hello", "tick", "ran 7"), so every check waits for an
 *  event, never for a time; the reads have a long timeout only so that a
 *  broken skeleton fails the test instead of hanging it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_actor.h"
#include "zc_codec.h"
#include "zc_log.h"
#include "envelope.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_TIMEOUT_MS 60000           //  a bound against a hang, not a timing

typedef struct {
    char in [64];                       //  endpoint the actor's PULL binds
    char report [64];                   //  endpoint the test's PULL binds
    char ingest_endpoint [64];          //  and its metrics PULL
    bool fail_init;                     //  the actor's start-up fails
    bool timer;                         //  a 1 ms timer that reports "tick" once
    bool metrics;                       //  pushes its metrics to ingest_endpoint
    bool commands;                      //  answers "PING x" with "PONG x"
    bool wake_stops;                    //  the end-of-turn callback stops the loop
    bool others;                        //  "in" added straight to the poller
    bool wait_to_end;                   //  a start-up that waits until told to end
    //  the test's
    zactor_t *actor;
    zsock_t *reports;                   //  what the actor reports
    zsock_t *ingest;                    //  its metrics
    zsock_t *push;                      //  to its "in"
    //  the actor's, while it runs
    zsock_t *in_sock;
    zsock_t *out;
    int ticks;
    int samples;
} s_test_t;

static s_test_t *
s_test_new (const char *name)
{
    static int n;
    s_test_t *t = calloc (1, sizeof *t);
    assert_non_null (t);
    snprintf (t->in, sizeof t->in, "inproc://test-actor-%s-%d-in", name, n);
    snprintf (t->report, sizeof t->report, "inproc://test-actor-%s-%d-report", name, n);
    snprintf (t->ingest_endpoint, sizeof t->ingest_endpoint, "inproc://test-actor-%s-%d-ingest",
              name, n);
    n++;
    return t;
}

static void s_report (s_test_t *t, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_report (s_test_t *t, const char *format, ...)
{
    char text [128];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    zstr_send (t->out, text);
}

//  "hello": reported; "stop": stop the loop with 7; "close": remove and
//  close this very socket (a handler may)
static void
s_on_in (zc_actor_t *actor, zsock_t *sock, void *arg)
{
    s_test_t *t = arg;
    char *text = zstr_recv (sock);
    if (!text)
        return;
    s_report (t, "got %s", text);
    if (streq (text, "stop"))
        zc_actor_stop (actor, 7);
    else
    if (streq (text, "close")) {
        zc_actor_remove (actor, sock);
        zsock_destroy (&t->in_sock);
    }
    zstr_free (&text);
}

static void
s_tick (zc_actor_t *actor, void *arg)
{
    s_test_t *t = arg;
    if (t->ticks++ == 0)
        s_report (t, "tick");
    else
        zc_actor_remove_timer (actor, s_tick, arg);     //  once is enough
}

static void
s_sample (zc_actor_t *actor, void *arg)
{
    (void) actor;
    s_test_t *t = arg;
    t->samples++;
}

static void
s_command (zc_actor_t *actor, const char *command, zmsg_t *msg, void *arg)
{
    (void) actor;
    s_test_t *t = arg;
    char *word = zmsg_popstr (msg);
    s_report (t, "%s %s", streq (command, "PING") ? "PONG" : "UNKNOWN", word ? word : "-");
    zstr_free (&word);
}

static int64_t
s_wake (zc_actor_t *actor, void *arg)
{
    s_test_t *t = arg;
    if (t->wake_stops)
        zc_actor_stop (actor, 9);
    return -1;
}

static void
s_test_actor (zsock_t *pipe, void *args)
{
    s_test_t *t = args;
    zc_actor_t *actor = zc_actor_new (pipe, NULL);
    if (!actor)
        return;                         //  (both signals sent: the test sees a failed start)
    t->out = zsock_new_push (t->report);
    t->in_sock = zsock_new_pull (t->in);
    zc_metrics_t *metrics = zc_metrics_new ("test", "test-1");
    zsock_t *push = t->metrics ? zsock_new_push (t->ingest_endpoint) : NULL;
    bool ok = t->out && t->in_sock && metrics && (push || !t->metrics) && !t->fail_init;
    if (ok && t->others) {
        zpoller_add (zc_actor_poller (actor), t->in_sock);
        zc_actor_set_others (actor, s_on_in, t);
    }
    else
    if (ok)
        ok = zc_actor_add (actor, t->in_sock, 4, s_on_in, t) == 0;
    if (ok && t->timer)
        ok = zc_actor_add_timer (actor, 1, s_tick, t) == 0;
    if (ok && t->metrics)
        zc_actor_set_metrics (actor, metrics, push, s_sample, t);
    if (ok && t->commands)
        zc_actor_set_commands (actor, s_command, t);
    if (ok)
        zc_actor_set_wake (actor, s_wake, t);
    while (ok && t->wait_to_end && !zc_actor_told_to_end (actor))
        zclock_sleep (1);               //  "waiting for another service"
    if (ok && !t->wait_to_end)
        s_report (t, "ran %d", zc_actor_run (actor));
    zsock_destroy (&t->in_sock);
    zsock_destroy (&t->out);
    zsock_destroy (&push);
    zc_metrics_destroy (&metrics);
    zc_actor_destroy (&actor);
}

//  A PULL socket of the test's, its reads bounded
static zsock_t *
s_pull (const char *endpoint)
{
    zsock_t *sock = zsock_new_pull (endpoint);
    assert_non_null (sock);
    zsock_set_rcvtimeo (sock, READ_TIMEOUT_MS);
    return sock;
}

//  Start the test actor (its first signal taken by zactor_new) and take
//  its second: the start-up's status
static int
s_start (s_test_t *t)
{
    t->reports = s_pull (t->report);
    t->ingest = s_pull (t->ingest_endpoint);
    t->actor = zactor_new (s_test_actor, t);
    assert_non_null (t->actor);
    zsock_set_rcvtimeo (t->actor, READ_TIMEOUT_MS);
    int status = zsock_wait (t->actor);
    t->push = zsock_new_push (t->in);
    assert_non_null (t->push);
    return status;
}

static void
s_test_destroy (s_test_t **t_p)
{
    s_test_t *t = *t_p;
    zactor_destroy (&t->actor);         //  $TERM, and waits for the thread's end
    zsock_destroy (&t->push);
    zsock_destroy (&t->reports);
    zsock_destroy (&t->ingest);
    free (t);
    *t_p = NULL;
}

//  The next report
static char *
s_next (s_test_t *t)
{
    char *text = zstr_recv (t->reports);
    assert_non_null (text);
    return text;
}

static void
s_next_is (s_test_t *t, const char *want)
{
    char *text = s_next (t);
    assert_string_equal (text, want);
    zstr_free (&text);
}

//  Skip reports until one that is want; false if the actor said "ran ..."
//  first (it ended)
static bool
s_expect (s_test_t *t, const char *want)
{
    while (true) {
        char *text = s_next (t);
        bool match = streq (text, want);
        bool ended = !match && strncmp (text, "ran ", 4) == 0;
        zstr_free (&text);
        if (match)
            return true;
        if (ended)
            return false;
    }
}

static void
s_send (s_test_t *t, const char *text)
{
    assert_int_equal (zstr_send (t->push, text), 0);
}

//  Usage: start, wait for up, send it work, stop it
static void
test_usage (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("usage");
    assert_int_equal (s_start (t), 0);                  //  up
    s_send (t, "hello");
    assert_true (s_expect (t, "got hello"));
    zactor_destroy (&t->actor);
    assert_true (s_expect (t, "ran 0"));
    s_test_destroy (&t);
}

//  A failed start-up says so: the second signal is 1, and the loop
//  never ran
static void
test_failed_start (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("fail");
    t->fail_init = true;
    assert_int_equal (s_start (t), 1);
    s_test_destroy (&t);
}

//  $TERM ends the loop: run returns 0
static void
test_term_ends (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("term");
    assert_int_equal (s_start (t), 0);
    assert_int_equal (zstr_send (t->actor, "$TERM"), 0);
    assert_true (s_expect (t, "ran 0"));
    s_test_destroy (&t);
}

//  A handler's stop ends the loop with its code (the rest of the burst is
//  not read), and the parent hears that the actor ended on its own
static void
test_stop_from_handler (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("stop");
    assert_int_equal (s_start (t), 0);
    s_send (t, "stop");
    s_send (t, "after");
    assert_true (s_expect (t, "got stop"));
    s_next_is (t, "ran 7");
    char *said = zstr_recv (t->actor);
    assert_non_null (said);
    assert_string_equal (said, ZC_ACTOR_STOPPED);
    zstr_free (&said);
    s_test_destroy (&t);                //  (zactor_destroy takes CZMQ's last signal)
}

//  The end-of-turn callback may stop the loop too
static void
test_stop_from_wake (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("wake");
    t->wake_stops = true;
    assert_int_equal (s_start (t), 0);
    assert_true (s_expect (t, "ran 9"));
    s_test_destroy (&t);
}

//  A timer runs without any message arriving; it may remove itself
static void
test_timer_runs (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("timer");
    t->timer = true;
    assert_int_equal (s_start (t), 0);
    assert_true (s_expect (t, "tick"));
    zactor_destroy (&t->actor);
    assert_true (s_expect (t, "ran 0"));
    s_test_destroy (&t);
}

//  The metrics go out as snapshots, each after the sample callback
static void
test_metrics_pushed (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("metrics");
    t->metrics = true;
    assert_int_equal (s_start (t), 0);
    zframe_t *frame = zframe_recv (t->ingest);
    assert_non_null (frame);
    zc_env_t env;
    assert_int_equal (zc_env_decode (zframe_data (frame), zframe_size (frame), &env), ZC_OK);
    assert_int_equal (env.type, ZC__MSG_TYPE__METRICS_SNAPSHOT);
    zframe_destroy (&frame);
    zactor_destroy (&t->actor);
    assert_true (t->samples >= 1);
    s_test_destroy (&t);
}

//  Other commands go to the hook, and do not end the loop
static void
test_commands (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("commands");
    t->commands = true;
    assert_int_equal (s_start (t), 0);
    zstr_sendx (t->actor, "PING", "one", NULL);
    s_next_is (t, "PONG one");
    s_send (t, "hello");
    assert_true (s_expect (t, "got hello"));
    s_test_destroy (&t);
}

//  Without a hook a command is dropped, and the loop goes on
static void
test_unknown_command (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("unknown");
    assert_int_equal (s_start (t), 0);
    zstr_send (t->actor, "BOGUS");
    s_send (t, "hello");
    s_next_is (t, "got hello");
    s_test_destroy (&t);
}

//  A handler may remove and close its own socket in the middle of a burst
static void
test_handler_closes_its_socket (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("close");
    assert_int_equal (s_start (t), 0);
    s_send (t, "close");
    s_send (t, "unread");
    s_next_is (t, "got close");
    zstr_send (t->actor, "BOGUS");      //  still turning
    zactor_destroy (&t->actor);
    s_next_is (t, "ran 0");             //  "unread" never was
    s_test_destroy (&t);
}

//  A socket added straight to the poller goes to the others handler
static void
test_others (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("others");
    t->others = true;
    assert_int_equal (s_start (t), 0);
    s_send (t, "hello");
    s_next_is (t, "got hello");
    s_test_destroy (&t);
}

//  A long start-up that asks zc_actor_told_to_end gives up on $TERM, and
//  says it did not start
static void
test_start_told_to_end (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("waiting");
    t->wait_to_end = true;
    t->actor = zactor_new (s_test_actor, t);
    assert_non_null (t->actor);
    zsock_set_rcvtimeo (t->actor, READ_TIMEOUT_MS);
    assert_int_equal (zstr_send (t->actor, "$TERM"), 0);
    assert_int_equal (zsock_wait (t->actor), 1);
    s_test_destroy (&t);
}

//  SIGINT or SIGTERM (zsys_interrupted) ends the loop as $TERM does
static void
test_interrupt_ends (void **state)
{
    (void) state;
    s_test_t *t = s_test_new ("interrupt");
    assert_int_equal (s_start (t), 0);
    s_send (t, "hello");
    s_next_is (t, "got hello");
    zsys_interrupted = 1;               //  what CZMQ's signal handler sets
    char *text = s_next (t);
    zsys_interrupted = 0;
    assert_string_equal (text, "ran 0");
    zstr_free (&text);
    s_test_destroy (&t);
}

int
main (void)
{
    zc_log_set_level (ZC_LOG_ERROR);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_failed_start),
        cmocka_unit_test (test_term_ends),
        cmocka_unit_test (test_stop_from_handler),
        cmocka_unit_test (test_stop_from_wake),
        cmocka_unit_test (test_timer_runs),
        cmocka_unit_test (test_metrics_pushed),
        cmocka_unit_test (test_commands),
        cmocka_unit_test (test_unknown_command),
        cmocka_unit_test (test_handler_closes_its_socket),
        cmocka_unit_test (test_others),
        cmocka_unit_test (test_start_told_to_end),
        cmocka_unit_test (test_interrupt_ends),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
