/*  test_zmq.c - sockets and envelopes over real ipc:// and inproc:// sockets */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_zmq.h"
#include "envelope.pb-c.h"
#include "storage.pb-c.h"

#include <stdlib.h>
#include <string.h>

static char s_dir [128];

//  A ROUTER that answers each GET_TIP with a TIP_REPLY of height 7, and
//  each other type with an error
static void
s_serve_one (zsock_t *router)
{
    zc_frames_t frames;
    assert_int_equal (zc_frames_recv (router, &frames, 0), 0);
    assert_int_equal (frames.count, 2);
    zc_env_t env;
    assert_int_equal (zc_frames_envelope (&frames, &env), ZC_OK);
    if (env.type == ZC__MSG_TYPE__GET_TIP) {
        Zc__TipReply reply = ZC__TIP_REPLY__INIT;
        reply.height = 7;
        zc_env_t header = { .version = 1, .type = ZC__MSG_TYPE__TIP_REPLY,
                            .request_id = env.request_id };
        assert_int_equal (zc_zmq_send (router, zc_frame_data (&frames, 0), zc_frame_size (&frames, 0),
                                       &header, &reply.base, 0), 0);
    }
    else
        assert_int_equal (zc_zmq_send_error (router, zc_frame_data (&frames, 0),
                                             zc_frame_size (&frames, 0), env.request_id,
                                             ZC_ERR_BAD_REQUEST, "not a tip request"), 0);
    zc_frames_close (&frames);
}

static void *
s_server (void *arg)
{
    zsock_t *router = arg;
    s_serve_one (router);
    s_serve_one (router);
    return NULL;
}

//  Usage: bind a ROUTER on ipc, call it with the request client
static void
test_usage (void **state)
{
    (void) state;
    char endpoint [256], err [256];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/run/api.sock", s_dir);
    zsock_t *router = zc_zmq_open (ZMQ_ROUTER, endpoint, true, 1000, err, sizeof err);
    assert_non_null (router);
    zc_client_t *client = zc_client_new (endpoint, err, sizeof err);
    assert_non_null (client);
    pthread_t thread;
    pthread_create (&thread, NULL, s_server, router);

    Zc__GetTip get = ZC__GET_TIP__INIT;
    uint32_t type;
    const uint8_t *body;
    size_t size;
    assert_int_equal (zc_client_call (client, ZC__MSG_TYPE__GET_TIP, &get.base, 5000, &type,
                                      &body, &size, NULL), ZC_OK);
    assert_int_equal (type, ZC__MSG_TYPE__TIP_REPLY);
    Zc__TipReply *tip = zc__tip_reply__unpack (NULL, size, body);
    assert_int_equal (tip->height, 7);
    zc__tip_reply__free_unpacked (tip, NULL);

    const char *detail = NULL;
    assert_int_equal (zc_client_call (client, ZC__MSG_TYPE__GET_BLOCK, NULL, 5000, &type,
                                      &body, &size, &detail), ZC_ERR_BAD_REQUEST);
    assert_string_equal (detail, "not a tip request");
    pthread_join (thread, NULL);

    //  nobody answers: a timeout, not a hang
    assert_int_equal (zc_client_call (client, ZC__MSG_TYPE__GET_TIP, &get.base, 100, &type,
                                      &body, &size, NULL), ZC_ERR_TIMEOUT);
    zc_client_destroy (&client);
    zsock_destroy (&router);

    //  a stale socket file from a dead process does not stop a new bind
    router = zc_zmq_open (ZMQ_ROUTER, endpoint, true, 1000, err, sizeof err);
    assert_non_null (router);
    zsock_destroy (&router);
}

static void
test_pubsub_and_frames (void **state)
{
    (void) state;
    char err [256];
    zsock_t *pub = zc_zmq_open (ZMQ_PUB, "inproc://events", true, 1000, err, sizeof err);
    zsock_t *sub = zc_zmq_open (ZMQ_SUB, "inproc://events", false, 1000, err, sizeof err);
    assert_non_null (pub);
    assert_non_null (sub);
    zclock_sleep (50);                  //  let the subscription reach the publisher
    zc_env_t header = { .version = 1, .type = ZC__MSG_TYPE__CHAIN_EVENT, .seq = 9 };
    assert_int_equal (zc_zmq_send_raw (pub, "chain", 5, &header, "xyz", 3, 0), 0);
    zc_frames_t frames;
    assert_int_equal (zc_frames_recv (sub, &frames, 0), 0);
    assert_int_equal (frames.count, 2);
    assert_memory_equal (zc_frame_data (&frames, 0), "chain", 5);
    zc_env_t env;
    assert_int_equal (zc_frames_envelope (&frames, &env), ZC_OK);
    assert_true (env.seq == 9);
    assert_int_equal (env.body_size, 3);
    zc_frames_close (&frames);

    //  a message of many frames is kept bounded and flagged
    zsock_t *push = zc_zmq_open (ZMQ_PUSH, "inproc://frames", true, 1000, err, sizeof err);
    zsock_t *pull = zc_zmq_open (ZMQ_PULL, "inproc://frames", false, 1000, err, sizeof err);
    for (int i = 0; i < 9; i++)
        zmq_send (zsock_resolve (push), "f", 1, i < 8 ? ZMQ_SNDMORE : 0);
    assert_int_equal (zc_frames_recv (pull, &frames, 0), 0);
    assert_int_equal (frames.count, ZC_FRAMES_MAX);
    assert_true (frames.overflow);
    assert_int_equal (zc_frames_envelope (&frames, &env), ZC_ERR_MALFORMED);
    zc_frames_close (&frames);
    //  nothing left behind: the next receive would block
    assert_int_equal (zc_frames_recv (pull, &frames, ZMQ_DONTWAIT), -1);

    //  a message over the limit never arrives: the sender is cut off
    //  (over ipc: inproc has no wire and no limit)
    char big_ep [256];
    snprintf (big_ep, sizeof big_ep, "ipc://%s/big.sock", s_dir);
    zsock_t *big_pull = zc_zmq_open (ZMQ_PULL, big_ep, true, 10, err, sizeof err);
    zsock_t *big_push = zc_zmq_open (ZMQ_PUSH, big_ep, false, 10, err, sizeof err);
    assert_non_null (big_pull);
    assert_non_null (big_push);
    zmq_msg_t huge;
    zmq_msg_init_size (&huge, ZC_MSG_MAX + 8192);
    memset (zmq_msg_data (&huge), 0, zmq_msg_size (&huge));
    zmq_msg_send (&huge, zsock_resolve (big_push), 0);
    zmq_send (zsock_resolve (big_push), "ok", 2, 0);
    char small [8];
    zmq_pollitem_t item = { zsock_resolve (big_pull), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, 500) > 0) {
        int n = zmq_recv (zsock_resolve (big_pull), small, sizeof small, ZMQ_DONTWAIT);
        assert_true (n < 0 || n <= 8);       //  never the huge one
    }
    zmq_msg_close (&huge);
    zsock_destroy (&big_push);
    zsock_destroy (&big_pull);

    char bad [256];
    assert_null (zc_zmq_open (ZMQ_ROUTER, "tcp://256.0.0.1:1", true, 10, bad, sizeof bad));
    assert_non_null (strstr (bad, "cannot bind"));
    zsock_destroy (&push);
    zsock_destroy (&pull);
    zsock_destroy (&sub);
    zsock_destroy (&pub);
}

//  A client that claims the routing id of another (ZMQ_ROUTING_ID) cannot
//  take its replies: the first connection keeps them
static void
test_identity_theft (void **state)
{
    (void) state;
    char endpoint [256], err [256];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/run/ids.sock", s_dir);
    zsock_t *router = zc_zmq_open (ZMQ_ROUTER, endpoint, true, 1000, err, sizeof err);
    assert_non_null (router);
    zsock_t *first = zsock_new (ZMQ_DEALER);
    zsock_set_identity (first, "victim");
    assert_int_equal (zsock_connect (first, "%s", endpoint), 0);
    zc_env_t ping = { .version = 1, .type = ZC__MSG_TYPE__PING, .request_id = 1 };
    assert_int_equal (zc_zmq_send (first, NULL, 0, &ping, NULL, 0), 0);
    zc_frames_t frames;
    assert_int_equal (zc_frames_recv (router, &frames, 0), 0);
    assert_int_equal (zc_frame_size (&frames, 0), 6);
    zc_frames_close (&frames);
    //  the thief connects with the same id and speaks
    zsock_t *thief = zsock_new (ZMQ_DEALER);
    zsock_set_identity (thief, "victim");
    assert_int_equal (zsock_connect (thief, "%s", endpoint), 0);
    ping.request_id = 2;
    zc_zmq_send (thief, NULL, 0, &ping, NULL, 0);
    zclock_sleep (200);                 //  its connection is made (and refused) by now
    //  the reply to "victim" reaches the first client
    assert_int_equal (zc_zmq_send_pong (router, "victim", 6, 1), 0);
    zmq_pollitem_t items [2] = { { zsock_resolve (first), 0, ZMQ_POLLIN, 0 },
                                 { zsock_resolve (thief), 0, ZMQ_POLLIN, 0 } };
    assert_true (zmq_poll (items, 2, 5000) > 0);
    assert_true (items [0].revents & ZMQ_POLLIN);
    assert_false (items [1].revents & ZMQ_POLLIN);
    zc_env_t env;
    assert_int_equal (zc_frames_recv (first, &frames, 0), 0);
    assert_int_equal (zc_frames_envelope (&frames, &env), ZC_OK);
    assert_int_equal (env.type, ZC__MSG_TYPE__PONG);
    zc_frames_close (&frames);
    //  and the router never heard the thief's request
    assert_int_equal (zc_frames_recv (router, &frames, ZMQ_DONTWAIT), -1);
    zsock_destroy (&thief);
    zsock_destroy (&first);
    zsock_destroy (&router);
}

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/zc-zmq-XXXXXX");
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    char cmd [200];
    snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system (cmd) == 0 ? 0 : -1;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_pubsub_and_frames),
        cmocka_unit_test (test_identity_theft),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
