/*  test_workpool.c - the work pool over real sockets: its scaling signal,
 *  and a worker that leaves handing its jobs to another at once
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_codec.h"
#include "zc_metrics.h"
#include "zc_time.h"
#include "zc_workpool.h"
#include "envelope.pb-c.h"
#include "work.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    zsock_t *router;
    zc_workpool_t *pool;
    int done;                           //  jobs the owner saw answered
    uint64_t last_done;
    char endpoint [64];
} s_owner_t;

static void
s_done (void *arg, uint64_t job_id, void *job_arg, const uint8_t *reply, size_t reply_size)
{
    (void) job_arg;
    (void) reply;
    (void) reply_size;
    s_owner_t *owner = arg;
    owner->done++;
    owner->last_done = job_id;
}

static int
s_setup (void **state)
{
    static int n;
    s_owner_t *owner = calloc (1, sizeof *owner);
    snprintf (owner->endpoint, sizeof owner->endpoint, "inproc://workpool-%d", n++);
    char err [256];
    owner->router = zc_zmq_open (ZMQ_ROUTER, owner->endpoint, true, 1000, err, sizeof err);
    assert_non_null (owner->router);
    //  a long expiry: only a worker that says it leaves is forgotten here
    owner->pool = zc_workpool_new (owner->router, 100, 600000, s_done, owner);
    assert_non_null (owner->pool);
    *state = owner;
    return 0;
}

static int
s_teardown (void **state)
{
    s_owner_t *owner = *state;
    zc_workpool_destroy (&owner->pool);
    zsock_destroy (&owner->router);
    free (owner);
    return 0;
}

static void
s_submit (s_owner_t *owner)
{
    Zc__VerifyJob job = ZC__VERIFY_JOB__INIT;
    job.job_id = zc_workpool_next_id (owner->pool);
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__VERIFY_JOB };
    size_t size;
    uint8_t *packed = zc_env_pack (&header, &job.base, &size);
    assert_non_null (packed);
    assert_int_equal (zc_workpool_submit (owner->pool, job.job_id, packed, size, NULL), 0);
}

//  Hand the owner whatever reached its router within a moment
static void
s_pump (s_owner_t *owner)
{
    for (int i = 0; i < 50; i++) {
        while (zsock_events (owner->router) & ZMQ_POLLIN) {
            zc_frames_t frames;
            if (zc_frames_recv (owner->router, &frames, ZMQ_DONTWAIT))
                break;
            zc_env_t env;
            if (zc_frames_envelope (&frames, &env) == ZC_OK)
                zc_workpool_on_message (owner->pool, &frames, &env);
            zc_frames_close (&frames);
        }
        usleep (2000);
    }
}

static zsock_t *
s_worker (s_owner_t *owner, uint32_t credits, bool leaving)
{
    char err [256];
    zsock_t *w = zc_zmq_open (ZMQ_DEALER, owner->endpoint, false, 1000, err, sizeof err);
    assert_non_null (w);
    Zc__WorkerReady ready = ZC__WORKER_READY__INIT;
    ready.credits = credits;
    ready.instance = (char *) "test-worker";
    ready.leaving = leaving;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__WORKER_READY };
    assert_int_equal (zc_zmq_send (w, NULL, 0, &header, &ready.base, 0), 0);
    return w;
}

static void
s_say_leaving (zsock_t *w)
{
    Zc__WorkerReady ready = ZC__WORKER_READY__INIT;
    ready.leaving = true;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__WORKER_READY };
    assert_int_equal (zc_zmq_send (w, NULL, 0, &header, &ready.base, 0), 0);
}

//  The job ids a worker has been sent (at most max)
static int
s_jobs (zsock_t *w, uint64_t *ids, int max)
{
    int n = 0;
    for (int i = 0; i < 50 && n < max; i++) {
        while (n < max && (zsock_events (w) & ZMQ_POLLIN)) {
            zc_frames_t frames;
            if (zc_frames_recv (w, &frames, ZMQ_DONTWAIT))
                break;
            zc_env_t env;
            assert_int_equal (zc_frames_envelope (&frames, &env), ZC_OK);
            Zc__VerifyJob *job = zc__verify_job__unpack (NULL, env.body_size, env.body);
            assert_non_null (job);
            ids [n++] = job->job_id;
            zc__verify_job__free_unpacked (job, NULL);
            zc_frames_close (&frames);
        }
        usleep (2000);
    }
    return n;
}

static void
s_answer (zsock_t *w, uint64_t job_id)
{
    Zc__VerifyReply reply = ZC__VERIFY_REPLY__INIT;
    reply.job_id = job_id;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__VERIFY_REPLY };
    assert_int_equal (zc_zmq_send (w, NULL, 0, &header, &reply.base, 0), 0);
}

static double
s_metric (zc_metrics_t *m, const char *name)
{
    zc_metric_t *metric = strstr (name, "_total") ? zc_metrics_counter (m, name, "", NULL, NULL)
                                                  : zc_metrics_gauge (m, name, "", NULL, NULL);
    assert_non_null (metric);
    return metric->value;
}

//  With no worker at all the signal is there: jobs wait, and how long
static void
test_signal_without_workers (void **state)
{
    s_owner_t *owner = *state;
    zc_metrics_t *m = zc_metrics_new ("test", "test-1");
    zc_workpool_metrics (owner->pool, m);
    assert_int_equal ((int) s_metric (m, "zchain_work_queue_depth"), 0);
    assert_int_equal (zc_workpool_oldest_ms (owner->pool), 0);
    for (int i = 0; i < 3; i++)
        s_submit (owner);
    usleep (30000);
    zc_workpool_sample (owner->pool);
    assert_int_equal ((int) s_metric (m, "zchain_work_queue_depth"), 3);
    assert_int_equal ((int) s_metric (m, "zchain_work_in_flight"), 0);
    assert_int_equal ((int) s_metric (m, "zchain_work_workers"), 0);
    assert_int_equal ((int) s_metric (m, "zchain_work_completed_total"), 0);
    //  at least the 30 ms slept since the first was queued
    assert_true (s_metric (m, "zchain_work_oldest_seconds") >= 0.030);
    zc_metrics_destroy (&m);
}

//  A worker takes as many as its credits; an answer completes one and
//  lets the next go; the figures follow
static void
test_signal_follows_the_work (void **state)
{
    s_owner_t *owner = *state;
    zc_metrics_t *m = zc_metrics_new ("test", "test-1");
    zc_workpool_metrics (owner->pool, m);
    for (int i = 0; i < 3; i++)
        s_submit (owner);
    zsock_t *w = s_worker (owner, 2, false);
    s_pump (owner);
    uint64_t ids [4];
    assert_int_equal (s_jobs (w, ids, 4), 2);
    zc_workpool_sample (owner->pool);
    assert_int_equal ((int) s_metric (m, "zchain_work_queue_depth"), 1);
    assert_int_equal ((int) s_metric (m, "zchain_work_in_flight"), 2);
    assert_int_equal ((int) s_metric (m, "zchain_work_workers"), 1);
    assert_int_equal ((int) s_metric (m, "zchain_work_busy_workers"), 1);
    s_answer (w, ids [0]);
    s_pump (owner);
    assert_int_equal (owner->done, 1);
    assert_int_equal (s_jobs (w, ids + 2, 2), 1);   //  the third went out
    zc_workpool_sample (owner->pool);
    assert_int_equal ((int) s_metric (m, "zchain_work_queue_depth"), 0);
    assert_int_equal ((int) s_metric (m, "zchain_work_in_flight"), 2);
    assert_int_equal ((int) s_metric (m, "zchain_work_completed_total"), 1);
    assert_int_equal (zc_workpool_oldest_ms (owner->pool), 0);
    zsock_destroy (&w);
    zc_metrics_destroy (&m);
}

//  A worker that leaves hands back what it holds: another gets it at
//  once (not after the expiry, a minute here), and a late answer from the
//  one that left counts once
static void
test_leaving_hands_back (void **state)
{
    s_owner_t *owner = *state;
    for (int i = 0; i < 2; i++)
        s_submit (owner);
    zsock_t *first = s_worker (owner, 2, false);
    s_pump (owner);
    uint64_t ids [4];
    assert_int_equal (s_jobs (first, ids, 4), 2);
    s_say_leaving (first);
    s_pump (owner);
    assert_int_equal (zc_workpool_workers (owner->pool), 0);
    assert_int_equal (zc_workpool_queued (owner->pool), 2);
    assert_int_equal (zc_workpool_in_flight (owner->pool), 0);
    assert_int_equal (zc_workpool_retried (owner->pool), 2);
    zsock_t *second = s_worker (owner, 2, false);
    s_pump (owner);
    uint64_t again [4];
    assert_int_equal (s_jobs (second, again, 4), 2);
    assert_true ((again [0] == ids [0] && again [1] == ids [1])
              || (again [0] == ids [1] && again [1] == ids [0]));
    //  the one that left answers anyway: counted, and the second's answer
    //  to the same job is a duplicate
    s_answer (first, ids [0]);
    s_pump (owner);
    assert_int_equal (owner->done, 1);
    s_answer (second, ids [0]);
    s_answer (second, ids [1]);
    s_pump (owner);
    assert_int_equal (owner->done, 2);
    assert_int_equal (zc_workpool_completed (owner->pool), 2);
    assert_int_equal (zc_workpool_in_flight (owner->pool), 0);
    zsock_destroy (&first);
    zsock_destroy (&second);
}

//  A worker that says it leaves before it ever said hello is not added
static void
test_leaving_unknown (void **state)
{
    s_owner_t *owner = *state;
    zsock_t *w = s_worker (owner, 2, true);
    s_pump (owner);
    assert_int_equal (zc_workpool_workers (owner->pool), 0);
    zsock_destroy (&w);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_signal_without_workers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_signal_follows_the_work, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_leaving_hands_back, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_leaving_unknown, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
