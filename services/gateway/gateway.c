/*  gateway.c - relay of client requests, notifications, status */
#include "gateway.h"
#include "http.h"
#include "zc_actor.h"
#include "zc_block.h"
#include "zc_follow.h"
#include "zc_log.h"
#include "zc_metrics.h"
#include "zc_params.h"
#include "zc_time.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"
#include "events.pb-c.h"
#include "gateway.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <stdlib.h>
#include <string.h>

const zc_option_t gateway_options [] = {
    ZC_SERVICE_OPTIONS ("gateway"),
    { "api", "ZC_API", ZC_OPT_STRING, "tcp://0.0.0.0:7781", "client api endpoint (bound)",
      offsetof (gateway_cfg_t, api), 0, 0 },
    { "notify", "ZC_NOTIFY", ZC_OPT_STRING, "tcp://0.0.0.0:7782", "notifications endpoint (bound)",
      offsetof (gateway_cfg_t, notify), 0, 0 },
    { "http", "ZC_HTTP", ZC_OPT_STRING, "127.0.0.1:7780", "HTTP api IPV4:PORT (empty: none)",
      offsetof (gateway_cfg_t, http), 0, 0 },
    ZC_HTTP_OPTIONS ("ZC_HTTP", gateway_cfg_t, http_limits),
    { "explorer", "ZC_EXPLORER", ZC_OPT_BOOL, "true",
      "serve the block explorer at / of --http (--explorer=false: the api only)",
      offsetof (gateway_cfg_t, explorer), 0, 0 },
    { "storage-api", "ZC_STORAGE_API", ZC_OPT_STRING, "tcp://127.0.0.1:7801",
      "storage's request endpoint", offsetof (gateway_cfg_t, storage_api), 0, 0 },
    { "storage-events", "ZC_STORAGE_EVENTS", ZC_OPT_STRING, "tcp://127.0.0.1:7802",
      "storage's chain events", offsetof (gateway_cfg_t, storage_events), 0, 0 },
    { "mempool-api", "ZC_MEMPOOL_API", ZC_OPT_STRING, "tcp://127.0.0.1:7811",
      "mempool's request endpoint", offsetof (gateway_cfg_t, mempool_api), 0, 0 },
    { "mempool-events", "ZC_MEMPOOL_EVENTS", ZC_OPT_STRING, "tcp://127.0.0.1:7812",
      "mempool's transaction events", offsetof (gateway_cfg_t, mempool_events), 0, 0 },
    { "client-in-flight", "ZC_CLIENT_IN_FLIGHT", ZC_OPT_INT, "64",
      "requests one api client may have waiting for the node; beyond, busy",
      offsetof (gateway_cfg_t, clients.in_flight), 1, 100000 },
    { "client-reply-bytes", "ZC_CLIENT_REPLY_BYTES", ZC_OPT_INT, "33554432",
      "reply bytes one api client may have on their way (sent lately, queued, or due); beyond, busy",
      offsetof (gateway_cfg_t, clients.queue_bytes), 17000000, 100000000000LL },
    { "clients-total-bytes", "ZC_CLIENTS_TOTAL_BYTES", ZC_OPT_INT, "268435456",
      "reply bytes queued or due to all api clients together; beyond, busy",
      offsetof (gateway_cfg_t, clients.total_bytes), 17000000, 1000000000000LL },
    { "p2p", "ZC_P2P", ZC_OPT_STRING, "", "p2p endpoint tcp://HOST:PORT (bound; empty: no peers)",
      offsetof (gateway_cfg_t, p2p.bind), 0, 0 },
    { "p2p-advertise", "ZC_P2P_ADVERTISE", ZC_OPT_STRING, "",
      "the address peers dial (default: --p2p, 0.0.0.0 as 127.0.0.1)",
      offsetof (gateway_cfg_t, p2p.advertise), 0, 0 },
    { "bootstrap", "ZC_BOOTSTRAP", ZC_OPT_LIST, "", "a node to ask for peers (repeatable)",
      offsetof (gateway_cfg_t, p2p.bootstrap), 0, 0 },
    { "peers-file", "ZC_PEERS_FILE", ZC_OPT_STRING, "",
      "known peers, kept across restarts (and FILE.id, the node id)",
      offsetof (gateway_cfg_t, p2p.peers_file), 0, 0 },
    { "max-inbound", "ZC_MAX_INBOUND", ZC_OPT_INT, "32", "most inbound peers",
      offsetof (gateway_cfg_t, p2p.max_inbound), 0, 200 },
    { "max-outbound", "ZC_MAX_OUTBOUND", ZC_OPT_INT, "8", "most outbound peers",
      offsetof (gateway_cfg_t, p2p.max_outbound), 0, 50 },
    { "ping-interval", "ZC_PING_INTERVAL", ZC_OPT_INT, "2000", "ms between pings to a peer",
      offsetof (gateway_cfg_t, p2p.ping_interval_ms), 100, 600000 },
    { "ping-timeout", "ZC_PING_TIMEOUT", ZC_OPT_INT, "10000",
      "ms of silence after which a peer is disconnected", offsetof (gateway_cfg_t, p2p.ping_timeout_ms),
      200, 3600000 },
    { "p2p-curve", "ZC_P2P_CURVE", ZC_OPT_BOOL, "false",
      "encrypt every peer link (CURVE); our address then ends in #PUBLICKEY",
      offsetof (gateway_cfg_t, p2p.curve), 0, 0 },
    { "relay-only", "ZC_RELAY_ONLY", ZC_OPT_BOOL, "false",
      "p2p relay with no storage or mempool (propagation measurements; no api)",
      offsetof (gateway_cfg_t, p2p.relay_only), 0, 0 },
    { "p2p-trace", "ZC_P2P_TRACE", ZC_OPT_BOOL, "false",
      "log when each block and transaction first arrived (propagation measurements)",
      offsetof (gateway_cfg_t, p2p.trace), 0, 0 },
    { "allow-private-peers", "ZC_ALLOW_PRIVATE_PEERS", ZC_OPT_BOOL, "false",
      "dial loopback, private and named hosts that peers announce even when we listen elsewhere",
      offsetof (gateway_cfg_t, p2p.allow_private), 0, 0 },
    { "ban-time", "ZC_BAN_TIME", ZC_OPT_INT, "600", "seconds a misbehaving peer stays banned",
      offsetof (gateway_cfg_t, p2p.ban_seconds), 1, 86400 * 30 },
    { NULL, NULL, 0, NULL, NULL, 0, 0, 0 }
};

#define MAX_RELAYED 100000              //  requests waiting for a backend
#define RELAY_TIMEOUT_MS 60000

typedef enum {
    TOPIC_BLOCK_CONNECTED,
    TOPIC_BLOCK_DISCONNECTED,
    TOPIC_TX_ACCEPTED,
    TOPIC_TX_REMOVED,
    TOPIC_COUNT
} s_topic_t;

static const char *s_topics [TOPIC_COUNT] = {
    "block.connected", "block.disconnected", "tx.accepted", "tx.removed"
};

typedef struct {
    uint8_t identity [256];
    size_t identity_size;
    uint64_t client_id;                 //  the caller's request id
    size_t reserve;                     //  what its reply may be (clients_admit)
    uint32_t type;                      //  the request (GET_TX goes to two places)
    int64_t expires;
    uint8_t *request;                   //  GET_TX: the body, to ask storage next
    size_t request_size;
} s_relay_t;

typedef struct {
    gateway_cfg_t *cfg;
    const zc_params_t *params;
    zsock_t *api;
    zsock_t *notify;
    zsock_t *storage;
    zsock_t *mempool;
    zsock_t *chain_sub;
    zsock_t *tx_sub;
    zsock_t *metrics_sock;
    http_t *http;
    clients_t *clients;                 //  per-client bounds on the api
    p2p_t *p2p;
    zhashx_t *relayed;                  //  our request id (text) -> s_relay_t
    uint64_t next_id;
    uint64_t topic_seq [TOPIC_COUNT];
    zc_follow_t follow;                 //  storage's chain events, in order
    //  status, from events
    uint32_t height;
    zc_hash_t tip;
    uint8_t work [32];
    uint32_t tip_time;
    uint64_t mempool_txs;
    uint64_t mempool_bytes;
    uint64_t status_id;                 //  our periodic GET_MEMPOOL
    zc_metrics_t *metrics;
    zc_metric_t *m_requests;
    zc_metric_t *m_bad;
    zc_metric_t *m_busy;
    zc_metric_t *m_unauthorized;
    zc_metric_t *m_notified [TOPIC_COUNT];
    zc_metric_t *m_drops;
    zc_metric_t *m_gaps;
    zc_metric_t *m_http;
    zc_metric_t *m_http_errors;
    zc_metric_t *m_height;
} self_t;

static void
s_relay_free (void **item_p)
{
    s_relay_t *r = *item_p;
    if (r) {
        free (r->request);
        free (r);
        *item_p = NULL;
    }
}

//  Forward a request to a backend under our own request id
static int
s_forward (self_t *self, zsock_t *backend, s_relay_t *relay, const zc_env_t *env)
{
    if (zhashx_size (self->relayed) >= MAX_RELAYED)
        return -1;
    uint64_t id = ++self->next_id;
    zc_env_t out = *env;
    out.request_id = id;
    if (!out.deadline_ms)
        out.deadline_ms = (uint64_t) (zc_now_ms () + RELAY_TIMEOUT_MS);
    if (zc_zmq_send_raw (backend, NULL, 0, &out, env->body, env->body_size, ZMQ_DONTWAIT))
        return -1;
    char key [24];
    snprintf (key, sizeof key, "%llu", (unsigned long long) id);
    relay->expires = zc_mono_ms () + RELAY_TIMEOUT_MS;
    zhashx_insert (self->relayed, key, relay);
    return 0;
}

static void
s_status (self_t *self, const uint8_t *id, size_t id_size, uint64_t request_id)
{
    Zc__StatusReply reply = ZC__STATUS_REPLY__INIT;
    reply.height = self->height;
    reply.tip.data = self->tip.b;
    reply.tip.len = 32;
    reply.mempool_txs = self->mempool_txs;
    reply.mempool_bytes = self->mempool_bytes;
    reply.network = (char *) self->params->name;
    reply.chain_work.data = self->work;
    reply.chain_work.len = 32;
    reply.tip_time = self->tip_time;
    reply.peers = p2p_peer_count (self->p2p);
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__STATUS_REPLY,
                        .request_id = request_id };
    zc_zmq_send (self->api, id, id_size, &header, &reply.base, ZMQ_DONTWAIT);
}

//  What only the operator may ask: P2P_CONTROL cuts the node off from its
//  peers, GET_TEMPLATE costs the mempool a pass over every transaction
static bool
s_operator_only (uint32_t type)
{
    return type == ZC__MSG_TYPE__P2P_CONTROL || type == ZC__MSG_TYPE__GET_TEMPLATE;
}

//  True when a GET_OUTSPEND or GET_ADDRESS_TXS asks for the chain's answer
//  (a request that does not decode goes to the mempool, which refuses it)
static bool
s_asks_chain (const zc_env_t *env)
{
    bool chain = false;
    if (env->type == ZC__MSG_TYPE__GET_OUTSPEND) {
        Zc__GetOutspend *req = zc__get_outspend__unpack (NULL, env->body_size, env->body);
        chain = req && req->chain;
        if (req)
            zc__get_outspend__free_unpacked (req, NULL);
    }
    else {
        Zc__GetAddressTxs *req = zc__get_address_txs__unpack (NULL, env->body_size, env->body);
        chain = req && req->chain;
        if (req)
            zc__get_address_txs__free_unpacked (req, NULL);
    }
    return chain;
}

static void
s_on_api (zc_actor_t *actor, zsock_t *sock, void *arg)
{
    (void) actor;
    (void) sock;
    self_t *self = arg;
    zc_frames_t frames;
    if (zc_frames_recv (self->api, &frames, ZMQ_DONTWAIT))
        return;
    zc_metric_inc (self->m_requests, 1);
    if (frames.count != 2) {
        zc_metric_inc (self->m_bad, 1);
        zc_frames_close (&frames);
        return;
    }
    zc_env_t env;
    zc_err_t rc = zc_frames_envelope (&frames, &env);
    const uint8_t *id = zc_frame_data (&frames, 0);
    size_t id_size = zc_frame_size (&frames, 0);
    if (rc == ZC_OK)
        rc = zc_env_check (&env, zc_now_ms ());
    if (rc == ZC_OK && s_operator_only (env.type)
    &&  !zc_role_is_operator (zc_frames_sender (&frames, self->cfg->api))) {
        zc_debug ("refused message type %u to a client without the operator's key", env.type);
        zc_metric_inc (self->m_unauthorized, 1);
        rc = ZC_ERR_UNAUTHORIZED;
    }
    zsock_t *backend = NULL;
    if (rc == ZC_OK)
        switch (env.type) {
            case ZC__MSG_TYPE__GET_STATUS:
                s_status (self, id, id_size, env.request_id);
                zc_frames_close (&frames);
                return;
            case ZC__MSG_TYPE__PING:
                zc_zmq_send_pong (self->api, id, id_size, env.request_id);
                zc_frames_close (&frames);
                return;
            case ZC__MSG_TYPE__GET_PEERS:
                p2p_peers_reply (self->p2p, self->api, id, id_size, env.request_id);
                zc_frames_close (&frames);
                return;
            case ZC__MSG_TYPE__P2P_CONTROL: {
                Zc__P2pControl *control = NULL;
                rc = zc_codec_unpack (&zc__p2p_control__descriptor, env.body, env.body_size, 65536,
                                      (ProtobufCMessage **) &control);
                if (rc == ZC_OK) {
                    p2p_deny (self->p2p, (const char *const *) control->deny, control->n_deny);
                    zc__p2p_control__free_unpacked (control, NULL);
                    p2p_peers_reply (self->p2p, self->api, id, id_size, env.request_id);
                    zc_frames_close (&frames);
                    return;
                }
                break;
            }
            case ZC__MSG_TYPE__GET_OUTSPEND:
            case ZC__MSG_TYPE__GET_ADDRESS_TXS:
                //  both answer these: unconfirmed from the mempool, the chain's
                //  from storage, as the request's chain flag says
                backend = s_asks_chain (&env) ? self->storage : self->mempool;
                break;
            case ZC__MSG_TYPE__GET_TIP:
            case ZC__MSG_TYPE__GET_BLOCKS:
            case ZC__MSG_TYPE__GET_BLOCK:
            case ZC__MSG_TYPE__GET_HEADER:
            case ZC__MSG_TYPE__GET_UTXOS:
            case ZC__MSG_TYPE__GET_ADDRESS:
            case ZC__MSG_TYPE__GET_EVENTS:
            case ZC__MSG_TYPE__GET_HEADERS:
            case ZC__MSG_TYPE__SUBMIT_BLOCK:
            case ZC__MSG_TYPE__GET_TX:      //  storage first, then the mempool
                backend = self->storage;
                break;
            case ZC__MSG_TYPE__SUBMIT_TXS:
            case ZC__MSG_TYPE__GET_TEMPLATE:
            case ZC__MSG_TYPE__GET_MEMPOOL:
                backend = self->mempool;
                break;
            default:
                rc = ZC_ERR_BAD_PROTOCOL;
        }
    size_t reserve = 0;
    if (rc == ZC_OK && (id_size > sizeof ((s_relay_t *) 0)->identity
    ||  clients_admit (self->clients, id, id_size, env.type, env.body_size, &reserve) != ZC_OK)) {
        zc_metric_inc (self->m_busy, 1);
        clients_error (self->clients, id, id_size, env.request_id, ZC_ERR_BUSY,
                       "this client's requests in flight or replies unread are at their bound: "
                       "read the replies, then retry");
        zc_frames_close (&frames);
        return;
    }
    s_relay_t *relay = rc == ZC_OK ? calloc (1, sizeof *relay) : NULL;
    if (relay) {
        memcpy (relay->identity, id, id_size);
        relay->identity_size = id_size;
        relay->client_id = env.request_id;
        relay->reserve = reserve;
        relay->type = env.type;
        if (env.type == ZC__MSG_TYPE__GET_TX && env.body_size <= 1024) {
            relay->request = malloc (env.body_size ? env.body_size : 1);
            if (relay->request) {
                memcpy (relay->request, env.body, env.body_size);
                relay->request_size = env.body_size;
            }
        }
        if (s_forward (self, backend, relay, &env)) {
            s_relay_free ((void **) &relay);
            clients_fail (self->clients, id, id_size, reserve, env.request_id, ZC_ERR_BUSY, NULL);
            zc_metric_inc (self->m_busy, 1);
            zc_frames_close (&frames);
            return;
        }
    }
    else
    if (rc == ZC_OK) {
        clients_fail (self->clients, id, id_size, reserve, env.request_id, ZC_ERR_INTERNAL, NULL);
        zc_frames_close (&frames);
        return;
    }
    if (rc != ZC_OK) {
        zc_metric_inc (self->m_bad, 1);
        clients_error (self->clients, id, id_size, env.request_id, rc, NULL);
    }
    zc_frames_close (&frames);
}

//  A backend answered: back to the caller under its own request id
static void
s_on_backend (zc_actor_t *actor, zsock_t *backend, void *arg)
{
    (void) actor;
    self_t *self = arg;
    zc_frames_t frames;
    if (zc_frames_recv (backend, &frames, ZMQ_DONTWAIT))
        return;
    zc_env_t env;
    if (zc_frames_envelope (&frames, &env) != ZC_OK) {
        zc_frames_close (&frames);
        return;
    }
    if (backend == self->mempool && env.request_id == self->status_id
    &&  env.type == ZC__MSG_TYPE__MEMPOOL_REPLY) {
        Zc__MempoolReply *m = zc__mempool_reply__unpack (NULL, env.body_size, env.body);
        if (m) {
            self->mempool_txs = m->count;
            self->mempool_bytes = m->bytes;
            zc__mempool_reply__free_unpacked (m, NULL);
        }
        zc_frames_close (&frames);
        return;
    }
    char key [24];
    snprintf (key, sizeof key, "%llu", (unsigned long long) env.request_id);
    s_relay_t *relay = zhashx_lookup (self->relayed, key);
    if (!relay) {
        zc_frames_close (&frames);      //  expired already
        return;
    }
    zhashx_delete (self->relayed, key);     //  no destructor: the relay is ours now
    //  not confirmed: ask the mempool. Storage is asked first because it
    //  connects a block before the mempool hears of it: the other order
    //  would call a transaction unconfirmed after its block is the tip
    if (relay->type == ZC__MSG_TYPE__GET_TX && backend == self->storage
    &&  env.type == ZC__MSG_TYPE__ERROR_REPLY && relay->request) {
        zc_env_t again = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__GET_TX,
                           .body = relay->request, .body_size = relay->request_size };
        if (s_forward (self, self->mempool, relay, &again) == 0) {
            zc_frames_close (&frames);
            return;
        }
    }
    zc_env_t out = env;
    out.request_id = relay->client_id;
    clients_reply (self->clients, relay->identity, relay->identity_size, relay->reserve, &out,
                   env.body, env.body_size);
    s_relay_free ((void **) &relay);
    zc_frames_close (&frames);
}

static void
s_notify (self_t *self, s_topic_t topic, const ProtobufCMessage *body)
{
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION,
                        .type = topic <= TOPIC_BLOCK_DISCONNECTED ? ZC__MSG_TYPE__CHAIN_EVENT
                                                                  : ZC__MSG_TYPE__TX_EVENTS,
                        .seq = ++self->topic_seq [topic] };
    if (zc_zmq_send (self->notify, s_topics [topic], strlen (s_topics [topic]), &header, body,
                     ZMQ_DONTWAIT))
        zc_metric_inc (self->m_drops, 1);
    else
        zc_metric_inc (self->m_notified [topic], 1);
}

//  One chain event: keep the status; notify with txids instead of the block
static void
s_apply_chain_event (void *arg, Zc__ChainEvent *ev)
{
    self_t *self = arg;
    zc_block_t *block = NULL;
    if (ev->raw.len)
        zc_block_decode (ev->raw.data, ev->raw.len, &block);
    bool connected = ev->type == ZC__CHAIN_EVENT_TYPE__CONNECTED;
    if (connected) {
        self->height = ev->height;
        if (ev->hash.len == 32)
            memcpy (self->tip.b, ev->hash.data, 32);
        if (block)
            self->tip_time = block->header.time;
    }
    else {
        self->height = ev->height ? ev->height - 1 : 0;
        if (block)
            self->tip = block->header.prev;
    }
    if (ev->chain_work.len == 32)
        memcpy (self->work, ev->chain_work.data, 32);
    zc_metric_set (self->m_height, self->height);
    p2p_on_tip (self->p2p, self->height, self->tip.b, self->work);
    p2p_on_chain (self->p2p, ev);
    ProtobufCBinaryData *txids = NULL;
    if (block) {
        txids = calloc (block->n_tx ? block->n_tx : 1, sizeof *txids);
        for (uint32_t i = 0; txids && i < block->n_tx; i++) {
            txids [i].data = block->tx [i]->txid.b;
            txids [i].len = 32;
        }
        ev->n_txids = txids ? block->n_tx : 0;
        ev->txids = txids;
    }
    //  the raw block stays with storage's subscribers; ours get txids
    ProtobufCBinaryData raw = ev->raw;
    ev->raw.len = 0;
    ev->raw.data = NULL;
    s_notify (self, connected ? TOPIC_BLOCK_CONNECTED : TOPIC_BLOCK_DISCONNECTED, &ev->base);
    ev->raw = raw;
    ev->n_txids = 0;
    ev->txids = NULL;
    free (txids);
    zc_block_destroy (&block);
}


static void
s_on_chain (zc_actor_t *actor, zsock_t *sock, void *arg)
{
    (void) actor;
    (void) sock;
    self_t *self = arg;
    zc_follow_receive (&self->follow, self->chain_sub);
}

//  Mempool events: split into accepted and removed
static void
s_on_tx (zc_actor_t *actor, zsock_t *sock, void *arg)
{
    (void) actor;
    (void) sock;
    self_t *self = arg;
    zc_frames_t frames;
    if (zc_frames_recv (self->tx_sub, &frames, ZMQ_DONTWAIT))
        return;
    zc_env_t env;
    Zc__TxEvents *events = NULL;
    if (zc_frames_envelope (&frames, &env) == ZC_OK && env.type == ZC__MSG_TYPE__TX_EVENTS)
        zc_codec_unpack (&zc__tx_events__descriptor, env.body, env.body_size, ZC_MSG_MAX,
                         (ProtobufCMessage **) &events);
    if (events) {
        for (size_t i = 0; i < events->n_events; i++)
            p2p_on_tx (self->p2p, events->events [i]);
        Zc__TxEvent **split = calloc (events->n_events ? events->n_events : 1, sizeof *split);
        for (int pass = 0; split && pass < 2; pass++) {
            size_t n = 0;
            for (size_t i = 0; i < events->n_events; i++)
                if ((events->events [i]->type == ZC__TX_EVENT_TYPE__REMOVED) == (pass == 1))
                    split [n++] = events->events [i];
            if (n == 0)
                continue;
            Zc__TxEvents msg = ZC__TX_EVENTS__INIT;
            msg.n_events = n;
            msg.events = split;
            s_notify (self, pass ? TOPIC_TX_REMOVED : TOPIC_TX_ACCEPTED, &msg.base);
        }
        free (split);
        zc__tx_events__free_unpacked (events, NULL);
    }
    zc_frames_close (&frames);
}

static void
s_tick (zc_actor_t *actor, void *arg)
{
    (void) actor;
    self_t *self = arg;
    //  expire relays a backend never answered
    int64_t now = zc_mono_ms ();
    zlistx_t *expired = zlistx_new ();
    for (s_relay_t *r = zhashx_first (self->relayed); r; r = zhashx_next (self->relayed))
        if (r->expires < now)
            zlistx_add_end (expired, (void *) zhashx_cursor (self->relayed));
    for (const char *key = zlistx_first (expired); key; key = zlistx_next (expired)) {
        s_relay_t *r = zhashx_lookup (self->relayed, key);
        if (r)
            clients_fail (self->clients, r->identity, r->identity_size, r->reserve, r->client_id,
                          ZC_ERR_TIMEOUT, "the node did not answer in time");
        zhashx_delete (self->relayed, key);
        s_relay_free ((void **) &r);
    }
    zlistx_destroy (&expired);
    if (self->clients)
        clients_tick (self->clients);
    if (!self->mempool)
        return;                         //  relay only
    //  the mempool's size for the status line
    Zc__GetMempool req = ZC__GET_MEMPOOL__INIT;
    self->status_id = ++self->next_id;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__GET_MEMPOOL,
                        .request_id = self->status_id,
                        .deadline_ms = (uint64_t) (zc_now_ms () + 2000) };
    zc_zmq_send (self->mempool, NULL, 0, &header, &req.base, ZMQ_DONTWAIT);
    if (self->http) {
        uint64_t served, errors;
        http_counts (self->http, &served, &errors);
        zc_metric_set (self->m_http, (double) served);
        zc_metric_set (self->m_http_errors, (double) errors);
        http_report (self->http, self->metrics);
    }
}

static void
s_first_status (self_t *self)
{
    char err [256];
    zc_client_t *client = zc_client_new_auth (self->cfg->storage_api, self->cfg->common.keyset,
                                              ZC_SOCK_STORAGE_API, err, sizeof err);
    Zc__GetTip req = ZC__GET_TIP__INIT;
    uint32_t type;
    const uint8_t *body;
    size_t size;
    if (client && zc_client_call (client, ZC__MSG_TYPE__GET_TIP, &req.base, 2000, &type, &body,
                                  &size, NULL) == ZC_OK) {
        Zc__TipReply *tip = zc__tip_reply__unpack (NULL, size, body);
        if (tip && tip->hash.len == 32) {
            self->height = tip->height;
            memcpy (self->tip.b, tip->hash.data, 32);
            if (tip->chain_work.len == 32)
                memcpy (self->work, tip->chain_work.data, 32);
            zc_header_t h;
            if (zc_header_decode (tip->header.data, tip->header.len, &h) == ZC_OK)
                self->tip_time = h.time;
            p2p_on_tip (self->p2p, self->height, self->tip.b, self->work);
        }
        if (tip)
            zc__tip_reply__free_unpacked (tip, NULL);
    }
    zc_client_destroy (&client);
}

static void
s_metrics_init (self_t *self)
{
    zc_metrics_t *m = self->metrics = zc_metrics_new ("gateway", self->cfg->common.instance);
    self->m_requests = zc_metrics_counter (m, "zchain_gateway_requests_total", "client api requests", NULL, NULL);
    self->m_bad = zc_metrics_counter (m, "zchain_gateway_bad_requests_total", "client api requests refused", NULL, NULL);
    self->m_busy = zc_metrics_counter (m, "zchain_busy_total", "requests refused busy at a queue limit", NULL, NULL);
    self->m_unauthorized = zc_metrics_counter (m, "zchain_gateway_unauthorized_total",
                                               "operator commands refused to a client without the operator's key",
                                               NULL, NULL);
    for (int i = 0; i < TOPIC_COUNT; i++)
        self->m_notified [i] = zc_metrics_counter (m, "zchain_notifications_total",
                                                   "notifications published", "topic", s_topics [i]);
    self->m_drops = zc_metrics_counter (m, "zchain_hwm_drops_total", "messages dropped at a high-water mark", "socket", "notify");
    self->m_gaps = zc_metrics_counter (m, "zchain_event_gaps_total", "gaps in storage's events, replayed", NULL, NULL);
    self->m_http = zc_metrics_counter (m, "zchain_http_requests_total", "HTTP requests served", NULL, NULL);
    self->m_http_errors = zc_metrics_counter (m, "zchain_http_errors_total", "HTTP requests answered with an error", NULL, NULL);
    self->m_height = zc_metrics_gauge (m, "zchain_chain_height", "height of the best chain, as the gateway sees it", NULL, NULL);
}

// ---------------------------------------------------------------------------
//  the loop's callbacks





//  The p2p side's own sockets (its router, backends and a dealer a peer)
static void
s_on_p2p_ready (zc_actor_t *actor, zsock_t *sock, void *arg)
{
    (void) actor;
    self_t *self = arg;
    p2p_on_socket (self->p2p, sock);
}


//  After every turn: the p2p timers, and replies waiting for a client
static int64_t
s_wake (zc_actor_t *actor, void *arg)
{
    (void) actor;
    self_t *self = arg;
    int64_t wake = self->p2p ? p2p_tick (self->p2p) : 500;
    //  replies a client's ZeroMQ queue could not take: again soon
    if (self->clients && clients_flush (self->clients) && wake > 2)
        wake = 2;
    return self->p2p || self->clients ? wake : -1;
}

//  What the loop reads and runs (the sockets this gateway has: a
//  relay-only one has none but its peers'), then the p2p side on the
//  loop's poller. 0, or -1 with err set
static int
s_serve (self_t *self, zc_actor_t *actor, char *err, size_t err_size)
{
    gateway_cfg_t *cfg = self->cfg;
    int rc = zc_actor_add_timer (actor, 500, s_tick, self);
    if (self->api)
        rc |= zc_actor_add (actor, self->api, 64, s_on_api, self);
    if (self->storage)
        rc |= zc_actor_add (actor, self->storage, 64, s_on_backend, self);
    if (self->mempool)
        rc |= zc_actor_add (actor, self->mempool, 64, s_on_backend, self);
    if (self->chain_sub)
        rc |= zc_actor_add (actor, self->chain_sub, 1, s_on_chain, self);
    if (self->tx_sub)
        rc |= zc_actor_add (actor, self->tx_sub, 64, s_on_tx, self);
    if (rc) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    zc_actor_set_metrics (actor, self->metrics, self->metrics_sock, NULL, NULL);
    zc_actor_set_wake (actor, s_wake, self);
    if (cfg->p2p.bind && *cfg->p2p.bind) {
        cfg->p2p.storage_api = cfg->storage_api;
        cfg->p2p.mempool_api = cfg->mempool_api;
        cfg->p2p.keys = cfg->common.keyset;
        char p2p_err [448];
        self->p2p = p2p_new (&cfg->p2p, self->params, zc_actor_poller (actor), self->metrics,
                             p2p_err, sizeof p2p_err);
        if (!self->p2p) {
            snprintf (err, err_size, "p2p: %s", p2p_err);
            return -1;
        }
        zc_actor_set_others (actor, s_on_p2p_ready, self);
    }
    return 0;
}

void
gateway_actor (zsock_t *pipe, void *args)
{
    gateway_cfg_t *cfg = args;
    zc_actor_t *actor = zc_actor_new (pipe, cfg->common.watchdog);
    self_t *self = actor ? calloc (1, sizeof *self) : NULL;
    if (!self) {
        zc_actor_destroy (&actor);
        return;
    }
    self->cfg = cfg;
    self->params = zc_params_by_name (self->cfg->common.network);
    s_metrics_init (self);
    self->relayed = zhashx_new ();
    self->next_id = (uint64_t) zc_now_ms () << 16;
    char err [512] = "";
    //  a relay-only gateway has peers and nothing else: no api, no backends
    bool relay = cfg->p2p.relay_only;
    const zc_keys_t *keys = cfg->common.keyset;
    bool ok = relay
           || ((self->api = zc_zmq_open_auth (ZMQ_ROUTER, cfg->api, true, CLIENTS_HWM, keys,
                                              ZC_SOCK_GATEWAY_API, err, sizeof err))
           && (self->clients = clients_new (self->api, &cfg->clients, self->metrics))
           && (self->notify = zc_zmq_open_auth (ZMQ_PUB, cfg->notify, true, 50000, keys,
                                                ZC_SOCK_GATEWAY_NOTIFY, err, sizeof err))
           && (self->storage = zc_zmq_open_auth (ZMQ_DEALER, cfg->storage_api, false, 50000, keys,
                                                 ZC_SOCK_STORAGE_API, err, sizeof err))
           && (self->mempool = zc_zmq_open_auth (ZMQ_DEALER, cfg->mempool_api, false, 50000, keys,
                                                 ZC_SOCK_MEMPOOL_API, err, sizeof err))
           && (self->chain_sub = zc_zmq_open_auth (ZMQ_SUB, cfg->storage_events, false, 100000,
                                                   keys, ZC_SOCK_STORAGE_EVENTS, err, sizeof err))
           && (self->tx_sub = zc_zmq_open_auth (ZMQ_SUB, cfg->mempool_events, false, 100000, keys,
                                                ZC_SOCK_MEMPOOL_EVENTS, err, sizeof err)));
    if (ok && !relay) {
        //  the blocks and the transactions, not the lighter feeds beside them
        zc_zmq_subscribe_only (self->chain_sub, "chain");
        zc_zmq_subscribe_only (self->tx_sub, "tx");
    }
    self->follow = (zc_follow_t) { .storage_api = cfg->storage_api, .keys = keys,
                                   .watchdog = cfg->common.watchdog, .gaps = self->m_gaps,
                                   .timeout_ms = 2000, .take_first = true,
                                   .apply = s_apply_chain_event, .arg = self };
    if (relay && !(cfg->p2p.bind && *cfg->p2p.bind)) {
        snprintf (err, sizeof err, "--relay-only needs --p2p");
        ok = false;
    }
    if (ok && cfg->common.metrics && *cfg->common.metrics)
        ok = (self->metrics_sock = zc_zmq_open_auth (ZMQ_PUSH, cfg->common.metrics, false, 10, keys,
                                                     ZC_SOCK_METRICS_INGEST, err, sizeof err));
    if (ok && !relay && cfg->http && *cfg->http) {
        //  one front door: the HTTP server asks this actor's own api, over
        //  an inproc endpoint of the same socket, so its requests meet the
        //  same per-client bounds, deadlines and metrics as any client's
        char front [64];
        snprintf (front, sizeof front, "inproc://zc-gateway-http-%p", (void *) self);
        ok = zsock_bind (self->api, "%s", front) == 0;
        if (!ok)
            snprintf (err, sizeof err, "cannot bind %s", front);
        else
            ok = (self->http = http_start (cfg->http, &cfg->http_limits, front, self->params,
                                           cfg->explorer, err, sizeof err));
    }
    if (ok)
        ok = s_serve (self, actor, err, sizeof err) == 0;
    if (!ok)
        zc_error ("%s", err [0] ? err : "out of memory");
    else {
        if (relay)
            zc_info ("gateway up: relay only, p2p %s", cfg->p2p.bind);
        else {
            s_first_status (self);
            zc_info ("gateway up: api %s, notify %s, http %s", cfg->api, cfg->notify,
                     cfg->http && *cfg->http ? cfg->http : "(none)");
        }
        zc_metrics_set_ready (self->metrics, true);
        zc_actor_run (actor);
    }
    //  before the loop's poller goes, which holds its sockets
    p2p_destroy (&self->p2p);
    http_stop (&self->http);
    for (s_relay_t *r = zhashx_first (self->relayed); r; r = zhashx_next (self->relayed)) {
        s_relay_t *doomed = r;
        s_relay_free ((void **) &doomed);
    }
    zhashx_destroy (&self->relayed);
    clients_destroy (&self->clients);
    zsock_destroy (&self->api);
    zsock_destroy (&self->notify);
    zsock_destroy (&self->storage);
    zsock_destroy (&self->mempool);
    zsock_destroy (&self->chain_sub);
    zsock_destroy (&self->tx_sub);
    zsock_destroy (&self->metrics_sock);
    zc_metrics_destroy (&self->metrics);
    free (self);
    zc_actor_destroy (&actor);
}
