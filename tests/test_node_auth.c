/*  test_node_auth.c - only the node's own keys get in: a node assembled by
 *  hand over tcp://127.0.0.1 with CURVE keys (storage, mempool, gateway, the
 *  metrics sidecar as processes), and strangers trying every door
 *
 *  - a fake validator with a key of its own gets no job from storage or the
 *    mempool, so it cannot approve a block or a transaction signed with the
 *    wrong key (on the code before CURVE it approved both: a theft);
 *  - storage's api refuses a client with no key, an unknown key, and a
 *    role's key its api does not admit;
 *  - forged snapshots (an unknown key, no key, a miner's key speaking for
 *    the gateway) do not make the sidecar's /readyz answer 200;
 *  - at the gateway's client api any key may ask, but only the operator's
 *    may give operator commands (P2P_CONTROL, GET_TEMPLATE);
 *  - a service refuses to start with a tcp:// endpoint and no keys, or
 *    with a secret others can read;
 *  - zchain up runs a whole node with CURVE over ipc:// and its own keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testnode.h"
#include "testproc.h"
#include "zc_auth.h"
#include "zc_block.h"
#include "zc_metrics.h"
#include "zc_params.h"
#include "zc_time.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"
#include "gateway.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"
#include "work.pb-c.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 60000                   //  generous: the machine may be busy

typedef enum { EP_STORAGE_API, EP_STORAGE_EVENTS, EP_STORAGE_WORK, EP_MEMPOOL_API,
               EP_MEMPOOL_EVENTS, EP_MEMPOOL_WORK, EP_GATEWAY_API, EP_GATEWAY_NOTIFY,
               EP_INGEST, EP_COUNT } s_ep_t;

static const zc_params_t *s_params;
static char s_dir [128];
static char s_keys_dir [200];
static char s_ep [EP_COUNT] [64];
static int s_metrics_http;
static pid_t s_storage, s_mempool, s_gateway, s_metrics, s_validator;
static zc_keys_t *s_operator;
static zc_seckey_t s_key, s_thief;      //  coinbases pay s_key; the thief signs with his own
static uint8_t s_pub [32], s_thief_pub [32];
static zc_tx_t *s_coinbase [16];        //  of the blocks the setup mined
static uint32_t s_coinbase_height [16];
static int s_monitors;

// ---------------------------------------------------------------------------
//  sockets that say how their handshake went

typedef struct {
    zsock_t *sock;
    zsock_t *monitor;                   //  PAIR: the socket's handshake events
} s_probe_t;

//  A socket connected to endpoint as cert (NULL: no CURVE at all) expecting
//  server_key, with a monitor attached before it connects
static s_probe_t
s_probe (int type, const char *endpoint, zcert_t *cert, const uint8_t *server_key)
{
    s_probe_t p = { zsock_new (type), zsock_new (ZMQ_PAIR) };
    assert_non_null (p.sock);
    zsock_set_linger (p.sock, 0);
    if (cert) {
        zcert_apply (cert, p.sock);
        zsock_set_curve_serverkey_bin (p.sock, server_key);
    }
    char mon [64];
    snprintf (mon, sizeof mon, "inproc://probe-%d", ++s_monitors);
    assert_int_equal (zmq_socket_monitor (zsock_resolve (p.sock), mon,
                                          ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                          | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                          | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                          | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL), 0);
    assert_int_equal (zsock_connect (p.monitor, "%s", mon), 0);
    assert_int_equal (zsock_connect (p.sock, "%s", endpoint), 0);
    return p;
}

#define HANDSHAKE_FAILED (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL \
                          | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

//  The first handshake event (ZMQ_EVENT_HANDSHAKE_*), 0 when none came
static int
s_handshake (s_probe_t *p)
{
    zsock_set_rcvtimeo (p->monitor, WAIT_MS);
    zmsg_t *msg = zmsg_recv (p->monitor);
    if (!msg)
        return 0;
    zframe_t *head = zmsg_first (msg);
    uint16_t event = 0;
    if (head && zframe_size (head) >= 2)
        memcpy (&event, zframe_data (head), 2);
    zmsg_destroy (&msg);
    return event;
}

static void
s_probe_close (s_probe_t *p)
{
    if (p->sock)
        zmq_socket_monitor (zsock_resolve (p->sock), NULL, 0);
    zsock_destroy (&p->sock);
    zsock_destroy (&p->monitor);
}

// ---------------------------------------------------------------------------
//  a fake validator: answers every job "ok"

typedef struct {
    s_probe_t owner [2];                //  storage work, mempool work
    _Atomic int jobs;
    _Atomic bool stop;
    pthread_t thread;
    bool running;
} s_fake_t;

static s_fake_t s_fake;                 //  stopped by the teardown when a test fails

static void
s_fake_answer (s_fake_t *f, zsock_t *owner)
{
    zc_frames_t frames;
    if (zc_frames_recv (owner, &frames, ZMQ_DONTWAIT))
        return;
    zc_env_t env;
    Zc__VerifyJob *job = NULL;
    if (zc_frames_envelope (&frames, &env) == ZC_OK && env.type == ZC__MSG_TYPE__VERIFY_JOB
    &&  (job = zc__verify_job__unpack (NULL, env.body_size, env.body))) {
        f->jobs++;
        Zc__Verdict *verdicts = calloc (job->n_items + 1, sizeof *verdicts);
        Zc__Verdict **ptrs = calloc (job->n_items + 1, sizeof *ptrs);
        for (size_t k = 0; k < job->n_items; k++) {
            zc__verdict__init (&verdicts [k]);      //  reason 0: "ok", whatever it is
            ptrs [k] = &verdicts [k];
        }
        Zc__VerifyReply reply = ZC__VERIFY_REPLY__INIT;
        reply.job_id = job->job_id;
        reply.n_verdicts = job->n_items;
        reply.verdicts = ptrs;
        zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__VERIFY_REPLY,
                            .request_id = env.request_id };
        zc_zmq_send (owner, NULL, 0, &header, &reply.base, 0);
        free (verdicts);
        free (ptrs);
        zc__verify_job__free_unpacked (job, NULL);
    }
    zc_frames_close (&frames);
}

static void *
s_fake_run (void *arg)
{
    s_fake_t *f = arg;
    int64_t next_ready = 0;
    while (!f->stop) {
        if (zc_mono_ms () >= next_ready) {
            for (int i = 0; i < 2; i++) {
                Zc__WorkerReady ready = ZC__WORKER_READY__INIT;
                ready.credits = 4;
                ready.instance = (char *) "validator-fake";
                zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__WORKER_READY };
                zc_zmq_send (f->owner [i].sock, NULL, 0, &header, &ready.base, ZMQ_DONTWAIT);
            }
            next_ready = zc_mono_ms () + 300;
        }
        zmq_pollitem_t items [2] = { { zsock_resolve (f->owner [0].sock), 0, ZMQ_POLLIN, 0 },
                                     { zsock_resolve (f->owner [1].sock), 0, ZMQ_POLLIN, 0 } };
        if (zmq_poll (items, 2, 100) <= 0)
            continue;
        for (int i = 0; i < 2; i++)
            if (items [i].revents & ZMQ_POLLIN)
                s_fake_answer (f, f->owner [i].sock);
    }
    return NULL;
}

// ---------------------------------------------------------------------------
//  requests, blocks and stolen coins

//  A DEALER to sock at endpoint as keys (the node's own way of connecting)
static zsock_t *
s_dealer (const char *endpoint, const zc_keys_t *keys, zc_sock_t sock)
{
    char err [700];
    zsock_t *s = zc_zmq_open_auth (ZMQ_DEALER, endpoint, false, 1000, keys, sock, err, sizeof err);
    if (!s)
        fail_msg ("%s", err);
    return s;
}

static void
s_send (zsock_t *sock, uint32_t type, const ProtobufCMessage *body)
{
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = type, .request_id = 7,
                        .deadline_ms = (uint64_t) (zc_now_ms () + 5 * WAIT_MS) };
    assert_int_equal (zc_zmq_send (sock, NULL, 0, &header, body, 0), 0);
}

//  Wait for the reply on sock: its type, the body into *body_p (malloc'd)
static uint32_t
s_reply (zsock_t *sock, uint8_t **body_p, size_t *size_p)
{
    *body_p = NULL;
    *size_p = 0;
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, 2 * WAIT_MS) != 1)
        return 0;
    zc_frames_t frames;
    assert_int_equal (zc_frames_recv (sock, &frames, 0), 0);
    zc_env_t env;
    assert_int_equal (zc_frames_envelope (&frames, &env), ZC_OK);
    *body_p = malloc (env.body_size + 1);
    memcpy (*body_p, env.body, env.body_size);
    *size_p = env.body_size;
    zc_frames_close (&frames);
    return env.type;
}

static Zc__TipReply *
s_tip (zc_client_t *storage)
{
    Zc__GetTip req = ZC__GET_TIP__INIT;
    uint32_t type;
    const uint8_t *body;
    size_t size;
    if (zc_client_call (storage, ZC__MSG_TYPE__GET_TIP, &req.base, 2000, &type, &body, &size,
                        NULL) != ZC_OK || type != ZC__MSG_TYPE__TIP_REPLY)
        return NULL;
    return zc__tip_reply__unpack (NULL, size, body);
}

//  A block on tip paying s_key, with tx when not NULL
static zc_block_t *
s_block_on (const Zc__TipReply *tip, const zc_tx_t *tx)
{
    zc_block_t *block = zc_block_new (tx ? 2 : 1);
    uint32_t height = tip->height + 1;
    block->tx [0] = zc_coinbase_new (height, (uint64_t) random (),
                                     zc_params_subsidy (s_params, height) + (tx ? 10000 : 0), s_pub);
    if (tx)
        block->tx [1] = zc_tx_dup (tx);
    block->header.version = ZC_BLOCK_VERSION;
    memcpy (block->header.prev.b, tip->hash.data, 32);
    uint32_t now = (uint32_t) (zc_now_ms () / 1000);
    block->header.time = now > tip->median_time ? now : tip->median_time + 1;
    block->header.bits = tip->next_bits;
    zc_block_finalize (block);
    zc_block_solve (block, tip->next_bits);
    return block;
}

static Zc__SubmitBlock *
s_submit_block_new (const zc_block_t *block)
{
    Zc__SubmitBlock *req = calloc (1, sizeof *req);
    zc__submit_block__init (req);
    req->raw.data = zc_block_encode (block, &req->raw.len);
    return req;
}

static void
s_submit_block_free (Zc__SubmitBlock **req_p)
{
    free ((*req_p)->raw.data);
    free (*req_p);
    *req_p = NULL;
}

//  A spend of coinbase (which pays s_key) to the thief, signed with the
//  thief's key: a bad signature that only a validator's check catches
static zc_tx_t *
s_theft (const zc_tx_t *coinbase, uint32_t height)
{
    zc_tx_t *tx = zc_tx_new (1, 1);
    tx->in [0].prevout.txid = coinbase->txid;
    tx->in [0].prevout.index = 0;
    tx->out [0].amount = coinbase->out [0].amount - 10000;
    memcpy (tx->out [0].pubkey, s_thief_pub, 32);
    zc_tx_finalize (tx);
    zc_coin_t coin = { .amount = coinbase->out [0].amount, .height = height, .coinbase = true };
    memcpy (coin.pubkey, coinbase->out [0].pubkey, 32);
    zc_sighash_t sighash;
    zc_sighash_init (&sighash, tx, &coin, zc_params_genesis_hash (s_params));
    uint8_t msg [32];
    zc_sighash_input (&sighash, 0, msg);
    assert_int_equal (zc_sign (&s_thief, msg, tx->in [0].sig), 0);
    zc_tx_finalize (tx);
    return tx;
}

//  GET /path on the sidecar at port: the status, the body into out
static int
s_http_get (int port, const char *path, char *out, size_t out_size)
{
    return testnode_http (NULL, port, "GET", path, NULL, out, out_size);
}

//  The value of the first /metrics line starting with prefix, -1 if none
static double
s_metric (int port, const char *prefix)
{
    static char text [1 << 20];
    if (s_http_get (port, "/metrics", text, sizeof text) != 200)
        return -1;
    for (char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
        if (!strncmp (line, prefix, strlen (prefix))) {
            char *space = strchr (line, ' ');
            return space ? atof (space + 1) : -1;
        }
    return -1;
}

//  Wait until the series named by prefix reaches at least value
static bool
s_wait_metric (int port, const char *prefix, double value)
{
    for (int64_t deadline = zc_mono_ms () + WAIT_MS; zc_mono_ms () < deadline; usleep (100000))
        if (s_metric (port, prefix) >= value)
            return true;
    return false;
}

// ---------------------------------------------------------------------------
//  the node

static pid_t
s_start (const char *name, const char *const *argv)
{
    pid_t pid = testproc_start (s_dir, name, argv);
    assert_true (pid > 0);
    return pid;
}

static void
s_fake_stop (s_fake_t *f)
{
    if (f->running) {
        f->stop = true;
        pthread_join (f->thread, NULL);
        f->running = false;
    }
    for (int i = 0; i < 2; i++)
        s_probe_close (&f->owner [i]);
}

static void
s_start_validator (void)
{
    const char *argv [] = { "zchain-validator", "--keys", s_keys_dir, "--instance", "validator-1",
                            "--storage-work", s_ep [EP_STORAGE_WORK], "--mempool-work",
                            s_ep [EP_MEMPOOL_WORK], "--metrics", s_ep [EP_INGEST], NULL };
    s_validator = s_start ("validator", argv);
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_by_name ("regtest");
    srandom ((unsigned) getpid ());
    zc_seckey_generate (&s_key);
    zc_seckey_pubkey (&s_key, s_pub);
    zc_seckey_generate (&s_thief);
    zc_seckey_pubkey (&s_thief, s_thief_pub);
    snprintf (s_dir, sizeof s_dir, "/tmp/zc-auth-XXXXXX");
    assert_non_null (mkdtemp (s_dir));
    snprintf (s_keys_dir, sizeof s_keys_dir, "%s/keys", s_dir);
    assert_int_equal (testproc_cli (s_dir, NULL, 0, "keys init %s", s_keys_dir), 0);
    char err [700];
    s_operator = zc_keys_load (s_keys_dir, ZC_ROLE_OPERATOR, err, sizeof err);
    assert_non_null (s_operator);
    for (int i = 0; i < EP_COUNT; i++)
        snprintf (s_ep [i], sizeof s_ep [i], "tcp://127.0.0.1:%d", testproc_port ());
    s_metrics_http = testproc_port ();
    char http [32], chain [200], pool [200];
    snprintf (http, sizeof http, "127.0.0.1:%d", s_metrics_http);
    snprintf (chain, sizeof chain, "%s/chain", s_dir);
    snprintf (pool, sizeof pool, "%s/mempool", s_dir);
    const char *metrics [] = { "zchain-metrics", "--keys", s_keys_dir, "--ingest", s_ep [EP_INGEST],
                               "--http", http, NULL };
    s_metrics = s_start ("metrics", metrics);
    const char *storage [] = { "zchain-storage", "--keys", s_keys_dir, "--db", chain, "--instance",
                               "storage", "--metrics", s_ep [EP_INGEST],
                               "--api", s_ep [EP_STORAGE_API], "--events", s_ep [EP_STORAGE_EVENTS],
                               "--work", s_ep [EP_STORAGE_WORK],
                               "--mempool-events", s_ep [EP_MEMPOOL_EVENTS], NULL };
    s_storage = s_start ("storage", storage);
    const char *mempool [] = { "zchain-mempool", "--keys", s_keys_dir, "--db", pool, "--instance",
                               "mempool", "--metrics", s_ep [EP_INGEST],
                               "--api", s_ep [EP_MEMPOOL_API], "--events", s_ep [EP_MEMPOOL_EVENTS],
                               "--work", s_ep [EP_MEMPOOL_WORK],
                               "--storage-api", s_ep [EP_STORAGE_API],
                               "--storage-events", s_ep [EP_STORAGE_EVENTS], NULL };
    s_mempool = s_start ("mempool", mempool);
    const char *gateway [] = { "zchain-gateway", "--keys", s_keys_dir, "--instance", "gateway",
                               "--metrics", s_ep [EP_INGEST], "--http", "",
                               "--api", s_ep [EP_GATEWAY_API], "--notify", s_ep [EP_GATEWAY_NOTIFY],
                               "--storage-api", s_ep [EP_STORAGE_API],
                               "--storage-events", s_ep [EP_STORAGE_EVENTS],
                               "--mempool-api", s_ep [EP_MEMPOOL_API],
                               "--mempool-events", s_ep [EP_MEMPOOL_EVENTS], NULL };
    s_gateway = s_start ("gateway", gateway);

    //  coinbases to spend: maturity + 2 blocks paying s_key, mined here
    //  (coinbase-only blocks need no validator)
    zc_client_t *storage_api = zc_client_new_auth (s_ep [EP_STORAGE_API], s_operator,
                                                   ZC_SOCK_STORAGE_API, err, sizeof err);
    assert_non_null (storage_api);
    Zc__TipReply *tip = NULL;
    for (int64_t deadline = zc_mono_ms () + WAIT_MS; !tip && zc_mono_ms () < deadline; )
        tip = s_tip (storage_api);
    assert_non_null (tip);
    for (uint32_t i = 0; i < s_params->coinbase_maturity + 2; i++) {
        zc_block_t *block = s_block_on (tip, NULL);
        Zc__SubmitBlock *req = s_submit_block_new (block);
        uint32_t type;
        const uint8_t *body;
        size_t size;
        assert_int_equal (zc_client_call (storage_api, ZC__MSG_TYPE__SUBMIT_BLOCK, &req->base, WAIT_MS,
                                          &type, &body, &size, NULL), ZC_OK);
        Zc__SubmitBlockReply *r = zc__submit_block_reply__unpack (NULL, size, body);
        assert_non_null (r);
        assert_int_equal (r->reason, ZC_OK);
        zc__submit_block_reply__free_unpacked (r, NULL);
        s_coinbase [i] = zc_tx_dup (block->tx [0]);
        s_coinbase_height [i] = tip->height + 1;
        s_submit_block_free (&req);
        zc_block_destroy (&block);
        zc__tip_reply__free_unpacked (tip, NULL);
        tip = s_tip (storage_api);
        assert_non_null (tip);
    }
    //  the mempool judges maturity by the tip it has seen: wait until it has
    //  seen this one (a template is built on it)
    uint32_t next = tip->height + 1;
    zc__tip_reply__free_unpacked (tip, NULL);
    zc_client_destroy (&storage_api);
    zc_client_t *mempool_api = zc_client_new_auth (s_ep [EP_MEMPOOL_API], s_operator,
                                                   ZC_SOCK_MEMPOOL_API, err, sizeof err);
    assert_non_null (mempool_api);
    bool caught_up = false;
    for (int64_t deadline = zc_mono_ms () + WAIT_MS; !caught_up && zc_mono_ms () < deadline; ) {
        Zc__GetTemplate req = ZC__GET_TEMPLATE__INIT;
        uint32_t type;
        const uint8_t *body;
        size_t size;
        if (zc_client_call (mempool_api, ZC__MSG_TYPE__GET_TEMPLATE, &req.base, 2000, &type, &body,
                            &size, NULL) == ZC_OK && type == ZC__MSG_TYPE__TEMPLATE_REPLY) {
            Zc__TemplateReply *t = zc__template_reply__unpack (NULL, size, body);
            caught_up = t && t->height == next;
            if (t)
                zc__template_reply__free_unpacked (t, NULL);
        }
        if (!caught_up)
            usleep (100000);
    }
    zc_client_destroy (&mempool_api);
    assert_true (caught_up);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    s_fake_stop (&s_fake);
    pid_t *procs [] = { &s_validator, &s_gateway, &s_mempool, &s_storage, &s_metrics };
    for (size_t i = 0; i < sizeof procs / sizeof procs [0]; i++)
        testproc_stop (procs [i]);
    for (size_t i = 0; i < sizeof s_coinbase / sizeof s_coinbase [0]; i++)
        zc_tx_destroy (&s_coinbase [i]);
    zc_keys_destroy (&s_operator);
    const char *keep = getenv ("ZC_TEST_KEEP");
    if (keep && *keep == '1')
        fprintf (stderr, "kept %s\n", s_dir);
    else {
        char cmd [256];
        snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
        if (system (cmd) != 0)
            fprintf (stderr, "cannot remove %s\n", s_dir);
    }
    return 0;
}

// ---------------------------------------------------------------------------
//  the tests

//  A validator with a key of its own connects to both work sockets and would
//  answer "ok" to anything; a block and a transaction that spend s_key's
//  coins with the thief's signature go in before any real validator is
//  there. The fake's handshakes are refused, it gets no job, and when the
//  node's own validator starts both are rejected bad_sig.
static void
test_fake_validator_gets_no_work (void **state)
{
    (void) state;
    zcert_t *stranger = zcert_new ();
    s_fake.owner [0] = s_probe (ZMQ_DEALER, s_ep [EP_STORAGE_WORK], stranger,
                              zc_keys_public (s_operator, ZC_ROLE_STORAGE));
    s_fake.owner [1] = s_probe (ZMQ_DEALER, s_ep [EP_MEMPOOL_WORK], stranger,
                              zc_keys_public (s_operator, ZC_ROLE_MEMPOOL));
    assert_int_equal (pthread_create (&s_fake.thread, NULL, s_fake_run, &s_fake), 0);
    s_fake.running = true;
    int storage_handshake = s_handshake (&s_fake.owner [0]);
    int mempool_handshake = s_handshake (&s_fake.owner [1]);

    //  the stolen coins, offered while the fake is the only validator around
    zc_client_t *storage_api = zc_client_new_auth (s_ep [EP_STORAGE_API], s_operator,
                                                   ZC_SOCK_STORAGE_API, NULL, 0);
    Zc__TipReply *tip = s_tip (storage_api);
    assert_non_null (tip);
    zc_tx_t *in_block = s_theft (s_coinbase [0], s_coinbase_height [0]);
    zc_block_t *block = s_block_on (tip, in_block);
    Zc__SubmitBlock *submit_block = s_submit_block_new (block);
    zsock_t *to_storage = s_dealer (s_ep [EP_STORAGE_API], s_operator, ZC_SOCK_STORAGE_API);
    s_send (to_storage, ZC__MSG_TYPE__SUBMIT_BLOCK, &submit_block->base);

    zc_tx_t *loose = s_theft (s_coinbase [1], s_coinbase_height [1]);
    size_t raw_size;
    uint8_t *raw = zc_tx_encode (loose, &raw_size);
    ProtobufCBinaryData bin = { raw_size, raw };
    Zc__SubmitTxs submit_txs = ZC__SUBMIT_TXS__INIT;
    submit_txs.n_txs = 1;
    submit_txs.txs = &bin;
    zsock_t *to_mempool = s_dealer (s_ep [EP_MEMPOOL_API], s_operator, ZC_SOCK_MEMPOOL_API);
    s_send (to_mempool, ZC__MSG_TYPE__SUBMIT_TXS, &submit_txs.base);

    //  now the node's own validator
    s_start_validator ();
    uint8_t *body;
    size_t size;
    assert_int_equal (s_reply (to_storage, &body, &size), ZC__MSG_TYPE__SUBMIT_BLOCK_REPLY);
    Zc__SubmitBlockReply *block_reply = zc__submit_block_reply__unpack (NULL, size, body);
    assert_non_null (block_reply);
    print_message ("a block spending with the wrong key: %s\n", zc_err_name (block_reply->reason));
    //  storage logs the validator's bad_sig and answers that the block is invalid
    assert_int_equal (block_reply->reason, ZC_ERR_INVALID_CHAIN);
    assert_false (block_reply->connected);
    zc__submit_block_reply__free_unpacked (block_reply, NULL);
    free (body);
    body = NULL;
    assert_int_equal (s_reply (to_mempool, &body, &size), ZC__MSG_TYPE__SUBMIT_TXS_REPLY);
    Zc__SubmitTxsReply *txs_reply = zc__submit_txs_reply__unpack (NULL, size, body);
    assert_non_null (txs_reply);
    assert_int_equal (txs_reply->n_results, 1);
    print_message ("a transaction spending with the wrong key: %s\n",
                   zc_err_name (txs_reply->results [0]->reason));
    assert_int_equal (txs_reply->results [0]->reason, ZC_ERR_BAD_SIG);
    zc__submit_txs_reply__free_unpacked (txs_reply, NULL);
    free (body);

    Zc__TipReply *after = s_tip (storage_api);
    assert_non_null (after);
    if (after) {                        //  cmocka's asserts are not noreturn to gcc -O3
        assert_int_equal (after->height, tip->height);
        zc__tip_reply__free_unpacked (after, NULL);
    }

    //  the fake never got in, so never got work
    s_fake.stop = true;
    pthread_join (s_fake.thread, NULL);
    s_fake.running = false;
    assert_int_equal (s_fake.jobs, 0);
    assert_int_equal (storage_handshake, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    assert_int_equal (mempool_handshake, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    //  and the refusals are counted where an operator looks
    assert_true (s_wait_metric (s_metrics_http,
                                "zchain_auth_refused_total{service=\"storage\",instance=\"storage\","
                                "socket=\"storage_work\"}", 1));
    assert_true (s_wait_metric (s_metrics_http,
                                "zchain_auth_refused_total{service=\"mempool\",instance=\"mempool\","
                                "socket=\"mempool_work\"}", 1));
    s_fake_stop (&s_fake);
    zsock_destroy (&to_storage);
    zsock_destroy (&to_mempool);
    free (raw);
    zc_tx_destroy (&loose);
    zc_tx_destroy (&in_block);
    s_submit_block_free (&submit_block);
    zc_block_destroy (&block);
    zc__tip_reply__free_unpacked (tip, NULL);
    zc_client_destroy (&storage_api);
    zcert_destroy (&stranger);
}

//  Storage's api: no key, an unknown key, and the validator's key (a role
//  the api does not admit) fail the handshake; the operator's and the
//  mempool's get a pong
static void
test_storage_api_refuses_strangers (void **state)
{
    (void) state;
    const uint8_t *server = zc_keys_public (s_operator, ZC_ROLE_STORAGE);
    s_probe_t plain = s_probe (ZMQ_DEALER, s_ep [EP_STORAGE_API], NULL, NULL);
    assert_true (s_handshake (&plain) & HANDSHAKE_FAILED);
    zcert_t *stranger = zcert_new ();
    s_probe_t unknown = s_probe (ZMQ_DEALER, s_ep [EP_STORAGE_API], stranger, server);
    assert_int_equal (s_handshake (&unknown), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    char err [700];
    zc_keys_t *validator = zc_keys_load (s_keys_dir, ZC_ROLE_VALIDATOR, err, sizeof err);
    assert_non_null (validator);
    s_probe_t wrong_role = s_probe (ZMQ_DEALER, s_ep [EP_STORAGE_API], zc_keys_cert (validator), server);
    assert_int_equal (s_handshake (&wrong_role), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);

    zc_keys_t *mempool = zc_keys_load (s_keys_dir, ZC_ROLE_MEMPOOL, err, sizeof err);
    assert_non_null (mempool);
    const zc_keys_t *welcome [] = { s_operator, mempool };
    for (int i = 0; i < 2; i++) {
        zc_client_t *client = zc_client_new_auth (s_ep [EP_STORAGE_API], welcome [i],
                                                  ZC_SOCK_STORAGE_API, err, sizeof err);
        assert_non_null (client);
        uint32_t type = 0;
        const uint8_t *body;
        size_t size;
        assert_int_equal (zc_client_call (client, ZC__MSG_TYPE__PING, NULL, WAIT_MS, &type, &body,
                                          &size, NULL), ZC_OK);
        assert_int_equal (type, ZC__MSG_TYPE__PONG);
        zc_client_destroy (&client);
    }
    //  the refused ones never had a message through: nothing came back
    zmq_pollitem_t items [3] = { { zsock_resolve (plain.sock), 0, ZMQ_POLLIN, 0 },
                                 { zsock_resolve (unknown.sock), 0, ZMQ_POLLIN, 0 },
                                 { zsock_resolve (wrong_role.sock), 0, ZMQ_POLLIN, 0 } };
    assert_int_equal (zmq_poll (items, 3, 0), 0);
    s_probe_close (&plain);
    s_probe_close (&unknown);
    s_probe_close (&wrong_role);
    zc_keys_destroy (&validator);
    zc_keys_destroy (&mempool);
    zcert_destroy (&stranger);
}

//  Push a ready snapshot of service (instance NAME) at height on a PUSH socket
static void
s_push_snapshot (zsock_t *push, const char *service, const char *instance, double height)
{
    zc_metrics_t *m = zc_metrics_new (service, instance);
    zc_metric_set (zc_metrics_gauge (m, "zchain_chain_height", "height", NULL, NULL), height);
    zc_metrics_set_ready (m, true);
    zc_metrics_push (m, push);
    zc_metrics_destroy (&m);
}

//  A sidecar of its own: storage, mempool and validator report with their
//  keys; "gateway" comes only forged (an unknown key, no key, the miner's
//  key). /readyz stays 503 missing the gateway, no forged instance shows,
//  and the real gateway's key makes it 200.
static void
test_forged_snapshots_do_not_make_ready (void **state)
{
    (void) state;
    char ingest [64], http [32], err [700];
    snprintf (ingest, sizeof ingest, "tcp://127.0.0.1:%d", testproc_port ());
    int port = testproc_port ();
    snprintf (http, sizeof http, "127.0.0.1:%d", port);
    const char *argv [] = { "zchain-metrics", "--keys", s_keys_dir, "--ingest", ingest,
                            "--http", http, "--instance", "metrics-forgery", NULL };
    pid_t sidecar = s_start ("metrics-forgery", argv);

    const zc_role_t honest [] = { ZC_ROLE_STORAGE, ZC_ROLE_MEMPOOL, ZC_ROLE_VALIDATOR };
    zc_keys_t *keys [3];
    zsock_t *push [3];
    for (int i = 0; i < 3; i++) {
        keys [i] = zc_keys_load (s_keys_dir, honest [i], err, sizeof err);
        assert_non_null (keys [i]);
        push [i] = zc_zmq_open_auth (ZMQ_PUSH, ingest, false, 10, keys [i], ZC_SOCK_METRICS_INGEST,
                                     err, sizeof err);
        assert_non_null (push [i]);
    }
    zc_keys_t *miner = zc_keys_load (s_keys_dir, ZC_ROLE_MINER, err, sizeof err);
    assert_non_null (miner);
    zsock_t *as_miner = zc_zmq_open_auth (ZMQ_PUSH, ingest, false, 10, miner, ZC_SOCK_METRICS_INGEST,
                                          err, sizeof err);
    zcert_t *stranger = zcert_new ();
    s_probe_t unknown = s_probe (ZMQ_PUSH, ingest, stranger,
                                 zc_keys_public (s_operator, ZC_ROLE_METRICS));
    s_probe_t plain = s_probe (ZMQ_PUSH, ingest, NULL, NULL);
    char body [65536];
    bool seen = false;
    for (int64_t deadline = zc_mono_ms () + WAIT_MS; !seen && zc_mono_ms () < deadline; ) {
        for (int i = 0; i < 3; i++)
            s_push_snapshot (push [i], zc_role_name (honest [i]), "honest", 12);
        //  the fake height a forged snapshot showed before
        s_push_snapshot (as_miner, "gateway", "gateway", 999999);
        s_push_snapshot (unknown.sock, "gateway", "gateway", 999999);
        s_push_snapshot (plain.sock, "gateway", "gateway", 999999);
        usleep (200000);
        //  every honest one in, and the miner's forgery counted as refused
        seen = s_http_get (port, "/healthz", body, sizeof body) == 200
            && strstr (body, "\"service\":\"storage\"") && strstr (body, "\"service\":\"mempool\"")
            && strstr (body, "\"service\":\"validator\"")
            && s_metric (port, "zchain_metrics_unauthorized_total") >= 1
            && s_metric (port, "zchain_metrics_ingest_refused_total") >= 1;
    }
    assert_true (seen);
    assert_int_equal (s_handshake (&unknown), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    assert_true (s_handshake (&plain) & HANDSHAKE_FAILED);
    assert_int_equal (s_http_get (port, "/readyz", body, sizeof body), 503);
    assert_non_null (strstr (body, "\"missing\":[\"gateway\"]"));
    assert_null (strstr (body, "\"service\":\"gateway\""));
    s_http_get (port, "/metrics", body, sizeof body);
    assert_null (strstr (body, "999999"));
    print_message ("forged snapshots refused: %.0f by label, %.0f at the handshake\n",
                   s_metric (port, "zchain_metrics_unauthorized_total"),
                   s_metric (port, "zchain_metrics_ingest_refused_total"));

    //  the gateway's own key is what makes the node ready
    zc_keys_t *gateway = zc_keys_load (s_keys_dir, ZC_ROLE_GATEWAY, err, sizeof err);
    assert_non_null (gateway);
    zsock_t *as_gateway = zc_zmq_open_auth (ZMQ_PUSH, ingest, false, 10, gateway,
                                            ZC_SOCK_METRICS_INGEST, err, sizeof err);
    int status = 0;
    for (int64_t deadline = zc_mono_ms () + WAIT_MS; status != 200 && zc_mono_ms () < deadline; ) {
        for (int i = 0; i < 3; i++)
            s_push_snapshot (push [i], zc_role_name (honest [i]), "honest", 12);
        s_push_snapshot (as_gateway, "gateway", "gateway", 12);
        usleep (200000);
        status = s_http_get (port, "/readyz", body, sizeof body);
    }
    assert_int_equal (status, 200);

    zsock_destroy (&as_gateway);
    zc_keys_destroy (&gateway);
    s_probe_close (&unknown);
    s_probe_close (&plain);
    zcert_destroy (&stranger);
    zsock_destroy (&as_miner);
    zc_keys_destroy (&miner);
    for (int i = 0; i < 3; i++) {
        zsock_destroy (&push [i]);
        zc_keys_destroy (&keys [i]);
    }
    assert_int_equal (testproc_stop (&sidecar), 0);
}

//  Call the gateway as keys: the reply type, and the reason of an error
static uint32_t
s_gateway_call (const zc_keys_t *keys, uint32_t type, const ProtobufCMessage *body, zc_err_t *reason)
{
    char err [700];
    zc_client_t *client = zc_client_new_auth (s_ep [EP_GATEWAY_API], keys, ZC_SOCK_GATEWAY_API,
                                              err, sizeof err);
    assert_non_null (client);
    uint32_t got = 0;
    const uint8_t *reply;
    size_t size;
    *reason = zc_client_call (client, type, body, WAIT_MS, &got, &reply, &size, NULL);
    zc_client_destroy (&client);
    return got;
}

//  Any key may use the client api; operator commands need the operator's
static void
test_operator_commands_need_the_operator (void **state)
{
    (void) state;
    char err [700];
    zc_keys_t *anonymous = zc_keys_load (s_keys_dir, ZC_ROLE_NONE, err, sizeof err);
    assert_non_null (anonymous);
    zc_err_t reason;
    Zc__GetStatus status = ZC__GET_STATUS__INIT;
    assert_int_equal (s_gateway_call (anonymous, ZC__MSG_TYPE__GET_STATUS, &status.base, &reason),
                      ZC__MSG_TYPE__STATUS_REPLY);
    char *deny [] = { (char *) "tcp://127.0.0.1:1" };
    Zc__P2pControl control = ZC__P2P_CONTROL__INIT;
    control.n_deny = 1;
    control.deny = deny;
    assert_int_equal (s_gateway_call (anonymous, ZC__MSG_TYPE__P2P_CONTROL, &control.base, &reason),
                      ZC__MSG_TYPE__ERROR_REPLY);
    assert_int_equal (reason, ZC_ERR_UNAUTHORIZED);
    Zc__GetTemplate tmpl = ZC__GET_TEMPLATE__INIT;
    assert_int_equal (s_gateway_call (anonymous, ZC__MSG_TYPE__GET_TEMPLATE, &tmpl.base, &reason),
                      ZC__MSG_TYPE__ERROR_REPLY);
    assert_int_equal (reason, ZC_ERR_UNAUTHORIZED);

    assert_int_equal (s_gateway_call (s_operator, ZC__MSG_TYPE__P2P_CONTROL, &control.base, &reason),
                      ZC__MSG_TYPE__PEERS_REPLY);
    assert_int_equal (s_gateway_call (s_operator, ZC__MSG_TYPE__GET_TEMPLATE, &tmpl.base, &reason),
                      ZC__MSG_TYPE__TEMPLATE_REPLY);
    //  a client without CURVE does not get in at all
    s_probe_t plain = s_probe (ZMQ_DEALER, s_ep [EP_GATEWAY_API], NULL, NULL);
    assert_true (s_handshake (&plain) & HANDSHAKE_FAILED);
    s_probe_close (&plain);
    assert_true (s_wait_metric (s_metrics_http,
                                "zchain_gateway_unauthorized_total{service=\"gateway\",instance=\"gateway\"}", 2));
    zc_keys_destroy (&anonymous);
}

//  The setup's CLI and services against their own keys: a PING through
//  every api with zchain ping (which finds out which service it is)
static void
test_ping_with_keys (void **state)
{
    (void) state;
    const s_ep_t apis [] = { EP_STORAGE_API, EP_MEMPOOL_API, EP_GATEWAY_API };
    char out [1024];
    for (int i = 0; i < 3; i++) {
        assert_int_equal (testproc_cli (s_dir, out, sizeof out, "--keys %s --json ping %s",
                                        s_keys_dir, s_ep [apis [i]]), 0);
        assert_non_null (strstr (out, "\"alive\":true"));
    }
    //  without the node's keys the same ping fails
    char other [256];
    snprintf (other, sizeof other, "%s/other-keys", s_dir);
    assert_int_equal (testproc_cli (s_dir, NULL, 0, "keys init %s", other), 0);
    assert_int_equal (testproc_cli (s_dir, out, sizeof out, "--keys %s --json ping --timeout 1000 %s",
                                    other, s_ep [EP_STORAGE_API]), 1);
    assert_non_null (strstr (out, "\"alive\":false"));
}

//  A service with a tcp:// endpoint and no keys does not start; --insecure
//  makes it; a secret others can read is refused; keys init keeps keys
static void
test_tcp_needs_keys (void **state)
{
    (void) state;
    char api [64], events [64], work [64], pool [64], db [200], log [300], text [8192];
    snprintf (api, sizeof api, "tcp://127.0.0.1:%d", testproc_port ());
    snprintf (pool, sizeof pool, "tcp://127.0.0.1:%d", testproc_port ());
    snprintf (events, sizeof events, "tcp://127.0.0.1:%d", testproc_port ());
    snprintf (work, sizeof work, "tcp://127.0.0.1:%d", testproc_port ());
    snprintf (db, sizeof db, "%s/chain-plain", s_dir);
    const char *plain [] = { "zchain-storage", "--db", db, "--api", api, "--events", events,
                             "--work", work, "--mempool-events", pool, NULL };
    pid_t pid = s_start ("storage-plain", plain);
    assert_int_equal (testproc_wait_exit (pid, 60), 1);
    snprintf (log, sizeof log, "%s/storage-plain.log", s_dir);
    FILE *f = fopen (log, "r");
    assert_non_null (f);
    size_t n = fread (text, 1, sizeof text - 1, f);
    text [n] = 0;
    fclose (f);
    assert_non_null (strstr (text, "needs CURVE keys: give --keys DIR"));

    const char *insecure [] = { "zchain-storage", "--insecure", "--db", db, "--api", api,
                                "--events", events, "--work", work, "--mempool-events", pool, NULL };
    pid = s_start ("storage-insecure", insecure);
    char err [256];
    zc_client_t *client = zc_client_new (api, err, sizeof err);
    uint32_t type = 0;
    const uint8_t *body;
    size_t size;
    zc_err_t rc = ZC_ERR_TIMEOUT;
    for (int64_t deadline = zc_mono_ms () + WAIT_MS; rc != ZC_OK && zc_mono_ms () < deadline; )
        rc = zc_client_call (client, ZC__MSG_TYPE__PING, NULL, 1000, &type, &body, &size, NULL);
    assert_int_equal (rc, ZC_OK);
    zc_client_destroy (&client);
    assert_int_equal (testproc_stop (&pid), 0);

    const char *both [] = { "zchain-storage", "--insecure", "--keys", s_keys_dir, "--db", db, NULL };
    pid = s_start ("storage-both", both);
    assert_int_equal (testproc_wait_exit (pid, 60), 2);

    //  a copy of the keys with the storage secret open to everyone
    char loose [256], secret [300];
    snprintf (loose, sizeof loose, "%s/loose-keys", s_dir);
    assert_int_equal (testproc_cli (s_dir, NULL, 0, "keys export %s %s storage", s_keys_dir, loose), 0);
    snprintf (secret, sizeof secret, "%s/storage.key_secret", loose);
    struct stat st;
    assert_int_equal (stat (secret, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    assert_int_equal (chmod (secret, 0644), 0);
    const char *open_secret [] = { "zchain-storage", "--keys", loose, "--db", db, "--api", api,
                                   "--events", events, "--work", work, NULL };
    pid = s_start ("storage-loose", open_secret);
    assert_int_equal (testproc_wait_exit (pid, 60), 1);

    //  init again: every key kept, none replaced
    char before [2048], after [2048];
    assert_int_equal (testproc_cli (s_dir, before, sizeof before, "keys show %s", s_keys_dir), 0);
    assert_int_equal (testproc_cli (s_dir, text, sizeof text, "keys init %s", s_keys_dir), 0);
    assert_null (strstr (text, "created"));
    assert_int_equal (testproc_cli (s_dir, after, sizeof after, "keys show %s", s_keys_dir), 0);
    assert_string_equal (before, after);
}

//  zchain up: keys made in DATADIR/keys (secrets 0600), every service
//  CURVE over ipc://, the CLI the operator; a client without keys gets
//  nothing from the node's ipc sockets
static void
test_up_runs_on_its_keys (void **state)
{
    (void) state;
    testnode_t *node = testnode_start (NULL, "--validators 1 --miners 1 --block-interval 300");
    assert_non_null (node);
    assert_true (testnode_wait_height (node, 3, 300));
    const char *roles [] = { "storage", "mempool", "validator", "miner", "gateway", "metrics", "operator" };
    for (size_t i = 0; i < sizeof roles / sizeof roles [0]; i++) {
        char path [300];
        struct stat st;
        snprintf (path, sizeof path, "%s/keys/%s.key_secret", node->dir, roles [i]);
        assert_int_equal (stat (path, &st), 0);
        assert_int_equal (st.st_mode & 0777, 0600);
    }
    char endpoint [300];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/run/storage-api.sock", node->dir);
    s_probe_t plain = s_probe (ZMQ_DEALER, endpoint, NULL, NULL);
    assert_true (s_handshake (&plain) & HANDSHAKE_FAILED);
    s_probe_close (&plain);
    char out [256];
    assert_int_equal (testnode_cli (node, out, sizeof out, "--json ping"), 0);
    testnode_stop (&node, false);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_fake_validator_gets_no_work),
        cmocka_unit_test (test_storage_api_refuses_strangers),
        cmocka_unit_test (test_forged_snapshots_do_not_make_ready),
        cmocka_unit_test (test_operator_commands_need_the_operator),
        cmocka_unit_test (test_ping_with_keys),
        cmocka_unit_test (test_tcp_needs_keys),
        cmocka_unit_test (test_up_runs_on_its_keys),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
