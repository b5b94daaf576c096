/*  test_auth.c - role keys, the admission table and the ZAP handler, in one
 *  process over tcp://127.0.0.1
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_auth.h"
#include "zc_time.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir [64];

static void
s_path (char *out, size_t size, const char *dir, const char *file)
{
    snprintf (out, size, "%s/%s", dir, file);
}

//  A fresh keys directory with every role
static void
s_make_keys (char *dir, size_t size, const char *name)
{
    snprintf (dir, size, "%s/%s", s_dir, name);
    char err [700];
    for (int r = ZC_ROLE_STORAGE; r <= ZC_ROLE_OPERATOR; r++)
        assert_int_equal (zc_keys_generate (dir, (zc_role_t) r, false, err, sizeof err), 1);
}

static zc_keys_t *
s_load (const char *dir, zc_role_t role)
{
    char err [700];
    zc_keys_t *keys = zc_keys_load (dir, role, err, sizeof err);
    if (!keys)
        fail_msg ("%s", err);
    return keys;
}

//  The endpoint a socket bound to tcp://127.0.0.1:* got
static void
s_endpoint (zsock_t *sock, char *out, size_t size)
{
    snprintf (out, size, "%s", zsock_endpoint (sock));
}

//  Send a PING from client, wait for it at server (bounded): the sender's
//  role as the server saw it, or -1 when nothing arrived
static int
s_ping_through (zsock_t *client, zsock_t *server, const char *server_endpoint, int wait_ms)
{
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__PING, .request_id = 1 };
    zc_zmq_send (client, NULL, 0, &header, NULL, ZMQ_DONTWAIT);
    zmq_pollitem_t item = { zsock_resolve (server), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, wait_ms) != 1)
        return -1;
    zc_frames_t frames;
    assert_int_equal (zc_frames_recv (server, &frames, 0), 0);
    int role = (int) zc_frames_sender (&frames, server_endpoint);
    zc_frames_close (&frames);
    return role;
}

//  Wait until this process has counted more than before refusals on sock
static bool
s_wait_refused (zc_sock_t sock, uint64_t before)
{
    for (int64_t deadline = zc_mono_ms () + 30000; zc_mono_ms () < deadline; usleep (10000))
        if (zc_auth_refused (sock) > before)
            return true;
    return false;
}

//  The usage example: storage's work socket lets the validator in, under
//  its role's name, and nobody else
static void
test_work_socket_admits_the_validator (void **state)
{
    (void) state;
    char dir [128], err [700], ep [128];
    s_make_keys (dir, sizeof dir, "node");
    zc_keys_t *storage = s_load (dir, ZC_ROLE_STORAGE);
    zc_keys_t *validator = s_load (dir, ZC_ROLE_VALIDATOR);
    zc_keys_t *miner = s_load (dir, ZC_ROLE_MINER);
    zsock_t *work = zc_zmq_open_auth (ZMQ_ROUTER, "tcp://127.0.0.1:*", true, 100, storage,
                                      ZC_SOCK_STORAGE_WORK, err, sizeof err);
    assert_non_null (work);
    assert_true (zc_auth_bound (ZC_SOCK_STORAGE_WORK));
    s_endpoint (work, ep, sizeof ep);

    zsock_t *good = zc_zmq_open_auth (ZMQ_DEALER, ep, false, 100, validator, ZC_SOCK_STORAGE_WORK,
                                      err, sizeof err);
    assert_non_null (good);
    assert_int_equal (s_ping_through (good, work, ep, 30000), ZC_ROLE_VALIDATOR);

    uint64_t refused = zc_auth_refused (ZC_SOCK_STORAGE_WORK);
    zsock_t *bad = zc_zmq_open_auth (ZMQ_DEALER, ep, false, 100, miner, ZC_SOCK_STORAGE_WORK,
                                     err, sizeof err);
    assert_non_null (bad);
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__PING };
    zc_zmq_send (bad, NULL, 0, &header, NULL, ZMQ_DONTWAIT);
    assert_true (s_wait_refused (ZC_SOCK_STORAGE_WORK, refused));
    //  the good one still gets through after the refusal: only the bad one is cut
    assert_int_equal (s_ping_through (good, work, ep, 30000), ZC_ROLE_VALIDATOR);
    assert_int_equal (zsock_events (work) & ZMQ_POLLIN, 0);

    zsock_destroy (&bad);
    zsock_destroy (&good);
    zsock_destroy (&work);
    zc_keys_destroy (&miner);
    zc_keys_destroy (&validator);
    zc_keys_destroy (&storage);
}

//  The table, role by role
static void
test_admission_table (void **state)
{
    (void) state;
    assert_true (zc_sock_admits (ZC_SOCK_STORAGE_WORK, ZC_ROLE_VALIDATOR));
    assert_true (zc_sock_admits (ZC_SOCK_STORAGE_WORK, ZC_ROLE_STORAGE));   //  its own healthcheck
    assert_false (zc_sock_admits (ZC_SOCK_STORAGE_WORK, ZC_ROLE_MEMPOOL));
    assert_false (zc_sock_admits (ZC_SOCK_MEMPOOL_WORK, ZC_ROLE_OPERATOR));
    assert_false (zc_sock_admits (ZC_SOCK_MEMPOOL_WORK, ZC_ROLE_NONE));
    assert_true (zc_sock_admits (ZC_SOCK_STORAGE_API, ZC_ROLE_OPERATOR));
    assert_false (zc_sock_admits (ZC_SOCK_STORAGE_API, ZC_ROLE_VALIDATOR));
    assert_true (zc_sock_admits (ZC_SOCK_MEMPOOL_EVENTS, ZC_ROLE_STORAGE));
    assert_false (zc_sock_admits (ZC_SOCK_STORAGE_EVENTS, ZC_ROLE_VALIDATOR));
    assert_true (zc_sock_admits (ZC_SOCK_METRICS_INGEST, ZC_ROLE_MINER));
    assert_false (zc_sock_admits (ZC_SOCK_METRICS_INGEST, ZC_ROLE_OPERATOR));
    assert_false (zc_sock_admits (ZC_SOCK_METRICS_INGEST, ZC_ROLE_NONE));
    assert_true (zc_sock_admits (ZC_SOCK_GATEWAY_API, ZC_ROLE_NONE));
    assert_true (zc_sock_admits (ZC_SOCK_GATEWAY_NOTIFY, ZC_ROLE_NONE));
    assert_true (zc_role_is_operator (ZC_ROLE_OPERATOR));
    assert_true (zc_role_is_operator (ZC_ROLE_LOCAL));
    assert_false (zc_role_is_operator (ZC_ROLE_NONE));
    assert_false (zc_role_is_operator (ZC_ROLE_GATEWAY));
    assert_true (zc_role_speaks_for (ZC_ROLE_STORAGE, "storage"));
    assert_false (zc_role_speaks_for (ZC_ROLE_MINER, "storage"));
    assert_true (zc_role_speaks_for (ZC_ROLE_LOCAL, "storage"));
    for (int r = 0; r < ZC_ROLE_COUNT_; r++)
        assert_int_equal (zc_role_by_name (zc_role_name ((zc_role_t) r)), r);
    assert_int_equal (zc_role_by_name ("root"), -1);
    assert_int_equal (zc_role_by_name (NULL), -1);
}

//  At the client api any key comes in, as "client" unless it is a role's
static void
test_client_api_takes_any_key (void **state)
{
    (void) state;
    char dir [128], err [700], ep [128];
    s_make_keys (dir, sizeof dir, "clients");
    zc_keys_t *gateway = s_load (dir, ZC_ROLE_GATEWAY);
    zc_keys_t *operator = s_load (dir, ZC_ROLE_OPERATOR);
    zc_keys_t *anonymous = s_load (dir, ZC_ROLE_NONE);
    zsock_t *api = zc_zmq_open_auth (ZMQ_ROUTER, "tcp://127.0.0.1:*", true, 100, gateway,
                                     ZC_SOCK_GATEWAY_API, err, sizeof err);
    assert_non_null (api);
    s_endpoint (api, ep, sizeof ep);
    zsock_t *a = zc_zmq_open_auth (ZMQ_DEALER, ep, false, 100, anonymous, ZC_SOCK_GATEWAY_API,
                                   err, sizeof err);
    zsock_t *o = zc_zmq_open_auth (ZMQ_DEALER, ep, false, 100, operator, ZC_SOCK_GATEWAY_API,
                                   err, sizeof err);
    assert_int_equal (s_ping_through (a, api, ep, 30000), ZC_ROLE_NONE);
    assert_int_equal (s_ping_through (o, api, ep, 30000), ZC_ROLE_OPERATOR);
    zsock_destroy (&a);
    zsock_destroy (&o);
    zsock_destroy (&api);
    zc_keys_destroy (&anonymous);
    zc_keys_destroy (&operator);
    zc_keys_destroy (&gateway);
}

//  Two nodes in one process (as tests run them): each socket knows only its
//  own node's keys, so node B's validator is a stranger to node A
static void
test_two_nodes_one_process (void **state)
{
    (void) state;
    char a_dir [128], b_dir [128], err [700], ep [128];
    s_make_keys (a_dir, sizeof a_dir, "node-a");
    s_make_keys (b_dir, sizeof b_dir, "node-b");
    zc_keys_t *a_mempool = s_load (a_dir, ZC_ROLE_MEMPOOL);
    zc_keys_t *b_mempool = s_load (b_dir, ZC_ROLE_MEMPOOL);
    zc_keys_t *b_validator = s_load (b_dir, ZC_ROLE_VALIDATOR);
    zsock_t *a_work = zc_zmq_open_auth (ZMQ_ROUTER, "tcp://127.0.0.1:*", true, 100, a_mempool,
                                        ZC_SOCK_MEMPOOL_WORK, err, sizeof err);
    zsock_t *b_work = zc_zmq_open_auth (ZMQ_ROUTER, "tcp://127.0.0.1:*", true, 100, b_mempool,
                                        ZC_SOCK_MEMPOOL_WORK, err, sizeof err);
    assert_non_null (a_work);
    assert_non_null (b_work);
    char b_ep [128];
    s_endpoint (a_work, ep, sizeof ep);
    s_endpoint (b_work, b_ep, sizeof b_ep);
    //  B's validator, told A's server key (public, so anyone may know it)
    zsock_t *stray = zsock_new (ZMQ_DEALER);
    zcert_apply (zc_keys_cert (b_validator), stray);
    zsock_set_curve_serverkey_bin (stray, zc_keys_public (a_mempool, ZC_ROLE_MEMPOOL));
    //  counted before the connection: its handshake may be over by the next line
    uint64_t refused = zc_auth_refused (ZC_SOCK_MEMPOOL_WORK);
    assert_int_equal (zsock_connect (stray, "%s", ep), 0);
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__PING };
    zc_zmq_send (stray, NULL, 0, &header, NULL, ZMQ_DONTWAIT);
    assert_true (s_wait_refused (ZC_SOCK_MEMPOOL_WORK, refused));
    assert_int_equal (zsock_events (a_work) & ZMQ_POLLIN, 0);
    //  at its own node it is welcome
    zsock_t *home = zc_zmq_open_auth (ZMQ_DEALER, b_ep, false, 100, b_validator,
                                      ZC_SOCK_MEMPOOL_WORK, err, sizeof err);
    assert_int_equal (s_ping_through (home, b_work, b_ep, 30000), ZC_ROLE_VALIDATOR);
    zsock_destroy (&home);
    zsock_destroy (&stray);
    zsock_destroy (&a_work);
    zsock_destroy (&b_work);
    zc_keys_destroy (&b_validator);
    zc_keys_destroy (&b_mempool);
    zc_keys_destroy (&a_mempool);
}

//  A socket of ours outliving its key set lets nobody in, not even the
//  key that bound it: the handler knows no set for its domain any more
static void
test_outlived_keys_fail_closed (void **state)
{
    (void) state;
    char dir [128], err [700], ep [128];
    s_make_keys (dir, sizeof dir, "closed");
    zc_keys_t *storage = s_load (dir, ZC_ROLE_STORAGE);
    zsock_t *work = zc_zmq_open_auth (ZMQ_ROUTER, "tcp://127.0.0.1:*", true, 100, storage,
                                      ZC_SOCK_STORAGE_WORK, err, sizeof err);
    assert_non_null (work);
    s_endpoint (work, ep, sizeof ep);
    zcert_t *cert = zcert_dup (zc_keys_cert (storage));
    uint8_t server [32];
    memcpy (server, zc_keys_public (storage, ZC_ROLE_STORAGE), 32);
    zc_keys_destroy (&storage);         //  its set is gone; the handler stays
    //  even storage's own key gets nowhere now: the server says how its
    //  handshake went
    assert_int_equal (zmq_socket_monitor (zsock_resolve (work), "inproc://closed-monitor",
                                          ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                          | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                                          | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 0);
    zsock_t *monitor = zsock_new (ZMQ_PAIR);
    assert_int_equal (zsock_connect (monitor, "inproc://closed-monitor"), 0);
    zsock_t *client = zsock_new (ZMQ_DEALER);
    zcert_apply (cert, client);
    zsock_set_curve_serverkey_bin (client, server);
    zsock_set_linger (client, 0);
    assert_int_equal (zsock_connect (client, "%s", ep), 0);
    zsock_set_rcvtimeo (monitor, 30000);
    zmsg_t *event = zmsg_recv (monitor);
    assert_non_null (event);
    uint16_t id = 0;
    memcpy (&id, zframe_data (zmsg_first (event)), 2);
    //  refused by the handler, which knows no key for that domain any more
    assert_int_equal (id, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    zmsg_destroy (&event);
    assert_int_equal (zsock_events (work) & ZMQ_POLLIN, 0);
    zmq_socket_monitor (zsock_resolve (work), NULL, 0);
    zsock_destroy (&monitor);
    zsock_destroy (&client);
    zsock_destroy (&work);
    zcert_destroy (&cert);
}

//  Secrets that cannot be used are refused with the reason
static void
test_unusable_keys (void **state)
{
    (void) state;
    char dir [128], err [700], path [256];
    s_make_keys (dir, sizeof dir, "bad");
    //  missing
    snprintf (path, sizeof path, "%s/nothing", s_dir);
    assert_null (zc_keys_load (path, ZC_ROLE_STORAGE, err, sizeof err));
    assert_non_null (strstr (err, "zchain keys init"));
    assert_null (zc_keys_load ("", ZC_ROLE_STORAGE, err, sizeof err));
    //  readable by others
    s_path (path, sizeof path, dir, "miner.key_secret");
    assert_int_equal (chmod (path, 0640), 0);
    assert_null (zc_keys_load (dir, ZC_ROLE_MINER, err, sizeof err));
    assert_non_null (strstr (err, "chmod 600"));
    //  not a certificate
    s_path (path, sizeof path, dir, "metrics.key_secret");
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fprintf (f, "this is not a key\n");
    fclose (f);
    assert_null (zc_keys_load (dir, ZC_ROLE_METRICS, err, sizeof err));
    //  and init does not quietly replace it
    assert_int_equal (zc_keys_generate (dir, ZC_ROLE_METRICS, false, err, sizeof err), -1);
    assert_non_null (strstr (err, "--force replaces it"));
    assert_int_equal (zc_keys_generate (dir, ZC_ROLE_METRICS, true, err, sizeof err), 1);
    //  the public half of another key: half replaced
    char other [128], from [256];
    s_make_keys (other, sizeof other, "other");
    s_path (from, sizeof from, other, "gateway.key");
    s_path (path, sizeof path, dir, "gateway.key");
    assert_int_equal (rename (from, path), 0);
    assert_null (zc_keys_load (dir, ZC_ROLE_GATEWAY, err, sizeof err));
    assert_non_null (strstr (err, "does not match"));
    //  a public key missing: connecting to that role says so
    zc_keys_t *miner = NULL;
    s_path (path, sizeof path, other, "storage.key");
    assert_int_equal (unlink (path), 0);
    miner = s_load (other, ZC_ROLE_MINER);
    assert_null (zc_keys_public (miner, ZC_ROLE_STORAGE));
    assert_null (zc_zmq_open_auth (ZMQ_DEALER, "tcp://127.0.0.1:1", false, 10, miner,
                                   ZC_SOCK_STORAGE_API, err, sizeof err));
    assert_non_null (strstr (err, "no storage public key"));
    zc_keys_destroy (&miner);
}

//  tcp:// needs keys, or an insecure set; ipc:// and inproc:// do not
static void
test_tcp_without_keys (void **state)
{
    (void) state;
    char err [700], ipc [128];
    assert_null (zc_zmq_open_auth (ZMQ_ROUTER, "tcp://127.0.0.1:*", true, 10, NULL,
                                   ZC_SOCK_STORAGE_API, err, sizeof err));
    assert_non_null (strstr (err, "--keys DIR"));
    zc_keys_t *insecure = zc_keys_insecure (ZC_ROLE_STORAGE);
    zsock_t *sock = zc_zmq_open_auth (ZMQ_ROUTER, "tcp://127.0.0.1:*", true, 10, insecure,
                                      ZC_SOCK_STORAGE_API, err, sizeof err);
    assert_non_null (sock);
    zsock_destroy (&sock);
    zc_keys_destroy (&insecure);
    snprintf (ipc, sizeof ipc, "ipc://%s/run/x.sock", s_dir);
    sock = zc_zmq_open_auth (ZMQ_ROUTER, ipc, true, 10, NULL, ZC_SOCK_STORAGE_API, err, sizeof err);
    assert_non_null (sock);
    zsock_destroy (&sock);
    sock = zc_zmq_open_auth (ZMQ_ROUTER, "inproc://auth-x", true, 10, NULL, ZC_SOCK_STORAGE_API,
                             err, sizeof err);
    assert_non_null (sock);
    zsock_destroy (&sock);
}

//  zc_keys_generate keeps what is there, replaces on force, rebuilds a
//  missing public half; the default role of a directory
static void
test_generate_and_default_role (void **state)
{
    (void) state;
    char dir [128], err [700], path [256];
    snprintf (dir, sizeof dir, "%s/gen", s_dir);
    assert_int_equal (zc_keys_generate (dir, ZC_ROLE_STORAGE, false, err, sizeof err), 1);
    struct stat st;
    assert_int_equal (stat (dir, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    s_path (path, sizeof path, dir, "storage.key_secret");
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    zc_keys_t *first = s_load (dir, ZC_ROLE_STORAGE);
    uint8_t key [32];
    memcpy (key, zc_keys_public (first, ZC_ROLE_STORAGE), 32);
    zc_keys_destroy (&first);
    assert_int_equal (zc_keys_generate (dir, ZC_ROLE_STORAGE, false, err, sizeof err), 0);
    s_path (path, sizeof path, dir, "storage.key");
    assert_int_equal (unlink (path), 0);
    assert_int_equal (zc_keys_generate (dir, ZC_ROLE_STORAGE, false, err, sizeof err), 0);
    zc_keys_t *kept = s_load (dir, ZC_ROLE_STORAGE);
    assert_memory_equal (zc_keys_public (kept, ZC_ROLE_STORAGE), key, 32);
    zc_keys_destroy (&kept);
    assert_int_equal (zc_keys_generate (dir, ZC_ROLE_STORAGE, true, err, sizeof err), 1);
    zc_keys_t *fresh = s_load (dir, ZC_ROLE_STORAGE);
    assert_memory_not_equal (zc_keys_public (fresh, ZC_ROLE_STORAGE), key, 32);
    zc_keys_destroy (&fresh);

    assert_int_equal (zc_keys_default_role (dir), ZC_ROLE_STORAGE);
    assert_int_equal (zc_keys_generate (dir, ZC_ROLE_MINER, false, err, sizeof err), 1);
    assert_int_equal (zc_keys_default_role (dir), ZC_ROLE_NONE);      //  two, neither the operator
    assert_int_equal (zc_keys_generate (dir, ZC_ROLE_OPERATOR, false, err, sizeof err), 1);
    assert_int_equal (zc_keys_default_role (dir), ZC_ROLE_OPERATOR);
}

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/zc-test-auth-XXXXXX");
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    zc_auth_stop ();
    char cmd [128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system (cmd) == 0 ? 0 : -1;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_work_socket_admits_the_validator),
        cmocka_unit_test (test_admission_table),
        cmocka_unit_test (test_client_api_takes_any_key),
        cmocka_unit_test (test_two_nodes_one_process),
        cmocka_unit_test (test_outlived_keys_fail_closed),
        cmocka_unit_test (test_unusable_keys),
        cmocka_unit_test (test_tcp_without_keys),
        cmocka_unit_test (test_generate_and_default_role),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
