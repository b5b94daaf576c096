/*  p2p.c - peers, handshake, relay, headers-first sync, misbehaviour */
#include "p2p.h"
#include "addrbook.h"
#include "zc_block.h"
#include "zc_check.h"
#include "zc_hashkey.h"
#include "zc_hex.h"
#include "zc_key.h"
#include "zc_log.h"
#include "zc_time.h"
#include "zc_tx.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"
#include "gateway.pb-c.h"
#include "mempool.pb-c.h"
#include "p2p.pb-c.h"
#include "storage.pb-c.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PEERS 256                   //  inbound + outbound, whatever the flags say
#define NODE_ID_SIZE 16
#define INV_BATCH 1000                  //  items per Inv message
#define INV_LINGER_MS 5                 //  an announcement waits at most this long
#define SEEN_MAX 200000                 //  ids we have or asked for
#define SEEN_EXPIRY_MS (20 * 60 * 1000)
#define TXCACHE_BYTES (32u << 20)       //  transactions kept to answer GetData
#define TXCACHE_MAX 200000
#define ORPHANS_MAX 64                  //  blocks waiting for their parent
#define DOWNLOAD_MAX 2000               //  blocks of one headers reply
#define DOWNLOAD_PER_PEER 16            //  blocks asked from one peer at once
#define DOWNLOAD_WINDOW 64              //  blocks held ahead of the next to submit
#define ORPHANS_BYTES (64u << 20)       //  orphans held, at most
#define SUBMITS_MAX 16                  //  relayed blocks on their way to storage
#define DOWNLOAD_TIMEOUT_MS 10000
#define ASKED_MAX 100000                //  ids asked from peers, per generation
#define ASKED_GENERATION_MS 30000
#define PENDING_MAX 20000               //  backend requests in flight
#define PENDING_TIMEOUT_MS 30000
#define ADDR_MAX 1000                   //  addresses in one Addr message
#define ADDR_REPLY 100                  //  addresses we send
#define RATE_MSGS 2000.0                //  messages per second a peer may send ...
#define RATE_BURST 5000.0               //  ... with this burst (announcements come batched)
#define BAN_SCORE 100
#define MAX_BACKOFF_MS 30000
#define PUSH_BYTES (16u << 10)          //  a new block this small goes whole to peers, unasked
#define KNOWN_MAX 256                   //  recent ids a peer has, per peer
#define SLOW_MS 500                     //  timers, pings, dialling: a node idles at 2 wake-ups a second

typedef enum {
    PEER_CONNECTING, PEER_HANDSHAKING, PEER_ESTABLISHED, PEER_SUSPECT, PEER_DISCONNECTED,
    PEER_BANNED, PEER_STATES
} s_state_t;

static const char *s_state_names [PEER_STATES] = {
    "connecting", "handshaking", "established", "suspect", "disconnected", "banned"
};

//  Misbehaviour, with the score each adds
typedef enum {
    BAD_MALFORMED, BAD_PROTOCOL, BAD_BLOCK, BAD_TX, BAD_UNSOLICITED, BAD_FLOOD, BAD_KINDS
} s_bad_t;

static const char *s_bad_names [BAD_KINDS] = {
    "malformed", "protocol", "invalid_block", "invalid_tx", "unsolicited", "flooding"
};
static const int s_bad_score [BAD_KINDS] = { 20, 10, 100, 10, 5, 20 };

typedef struct {
    uint64_t serial;                    //  never reused: requests name peers by it
    bool inbound;
    zsock_t *dealer;                    //  outbound
    uint8_t identity [256];             //  inbound: the ROUTER's identity
    size_t identity_size;
    char ip [64];                       //  inbound: the remote address
    char address [ADDRBOOK_ADDRESS_MAX];//  dialled, or the listen address it told us
    uint8_t node_id [NODE_ID_SIZE];
    bool has_id;
    s_state_t state;
    int64_t since;
    int64_t last_recv;
    int64_t ping_sent;                  //  of the ping awaiting its pong (0: none)
    int64_t last_ping;
    uint64_t ping_nonce;
    uint32_t latency_ms;
    uint64_t bytes_in;
    uint64_t bytes_out;
    int score;
    uint32_t height;
    uint8_t work [32];
    uint64_t connected_ms;              //  wall clock
    double tokens;
    int64_t tokens_at;
    Zc__InvItem inv [INV_BATCH];        //  announcements waiting for the linger
    Zc__InvItem *inv_ptr [INV_BATCH];
    uint8_t inv_hash [INV_BATCH] [32];
    size_t n_inv;
    int64_t inv_since;                  //  the oldest waiting announcement was queued
    int64_t inv_sent;                   //  the last Inv went out
    int in_flight;                      //  blocks asked from it
    uint64_t known [KNOWN_MAX];         //  ids it announced or sent us, or we it
    size_t known_next;                  //  (8-byte prefixes, a ring): not announced to it
} s_peer_t;

typedef enum {
    PEND_LOCATOR,                       //  our locator, for a headers request to a peer
    PEND_HEADERS,                       //  headers a peer asked for
    PEND_BLOCK,                         //  a block a peer asked for
    PEND_SUBMIT_TXS,                    //  transactions a peer sent
    PEND_SUBMIT_BLOCK,                  //  a block a peer sent
    PEND_MEMPOOL                        //  our mempool, to announce to a new peer
} s_pend_kind_t;

typedef struct {
    s_pend_kind_t kind;
    uint64_t peer;
    int64_t expires;
    bool download;                      //  SUBMIT_BLOCK: from the download queue
    zc_hash_t hash;                     //  SUBMIT_BLOCK: the block
    zc_hash_t prev;
    uint8_t *raw;                       //  SUBMIT_BLOCK: kept, to wait as an orphan
    size_t raw_size;
} s_pend_t;

typedef struct {
    zc_hash_t hash;
    uint64_t peer;                      //  asked from (0: not yet)
    int64_t asked_at;
    uint8_t *raw;                       //  arrived, waiting for its turn
    size_t raw_size;
    uint64_t from;                      //  who delivered it
    uint64_t avoid;                     //  the last peer that did not
} s_download_t;

typedef struct {
    zc_hash_t hash;
    zc_hash_t prev;
    uint8_t *raw;
    size_t raw_size;
    uint64_t from;
} s_orphan_t;

typedef struct {
    zc_hash_t key;                      //  the table borrows it
    uint8_t *raw;
    size_t size;
} s_cached_tx_t;

//  A ban: of a remote IP (not loopback, where every local node shares
//  127.0.0.1), of a connection (its ROUTER identity), or of a node id
typedef enum { BAN_IP, BAN_IDENTITY, BAN_NODE } s_ban_kind_t;

typedef struct {
    s_ban_kind_t kind;
    uint8_t key [256];
    size_t size;
    uint64_t until_ms;
} s_ban_t;

#define BANS_MAX 256

struct _p2p_t {
    p2p_cfg_t cfg;
    const zc_params_t *params;
    zpoller_t *poller;
    zsock_t *router;
    zsock_t *storage;
    zsock_t *mempool;
    addrbook_t *book;
    zcert_t *cert;                      //  our CURVE keys, when links are encrypted
    char advertise [ADDRBOOK_ADDRESS_MAX];
    uint8_t node_id [NODE_ID_SIZE];
    s_peer_t *peer [MAX_PEERS];
    int n_peers;
    uint64_t next_serial;
    uint64_t next_request;
    zhashx_t *pending;                  //  request id (text) -> s_pend_t
    //  our tip
    uint32_t height;
    zc_hash_t tip;
    uint8_t work [32];
    //  seen ids: hash -> the time first seen; expired in insertion order
    zhashx_t *seen;
    zc_hash_t *seen_ring;
    int64_t *seen_time;
    size_t seen_head;
    size_t seen_count;
    //  asked ids: hash -> peer serial, for unsolicited data; two
    //  generations, the older dropped every ASKED_GENERATION_MS
    zhashx_t *asked;
    zhashx_t *asked_old;
    int64_t asked_since;
    //  transactions to serve, in arrival order
    zhashx_t *txcache;
    zlistx_t *txorder;
    size_t txcache_bytes;
    //  headers-first download
    s_download_t download [DOWNLOAD_MAX];
    size_t n_download;
    size_t next_submit;
    bool submitting;
    int64_t download_moved;             //  the last block in or taken
    uint64_t download_source;           //  the peer the headers came from
    uint64_t download_turn;
    uint64_t sync_peer;
    int64_t sync_asked;
    s_orphan_t orphan [ORPHANS_MAX];
    size_t n_orphans;
    size_t orphan_bytes;
    int submits;                        //  relayed blocks waiting for storage's answer
    s_ban_t ban [BANS_MAX];
    size_t n_bans;
    char deny [16] [ADDRBOOK_ADDRESS_MAX];
    size_t n_deny;
    int64_t next_slow;                  //  the every-SLOW_MS timers
    int64_t next_save;
    //  metrics
    zc_metric_t *m_state [PEER_STATES];
    zc_metric_t *m_in [16];
    zc_metric_t *m_out [16];
    zc_metric_t *m_bytes_in;
    zc_metric_t *m_bytes_out;
    zc_metric_t *m_dups;
    zc_metric_t *m_bans;
    zc_metric_t *m_bad [BAD_KINDS];
    zc_metric_t *m_dropped;
    zc_metric_t *m_synced;
    zc_metric_t *m_orphans;
    zc_metric_t *m_download;
    int64_t next_report;
};

// ---------------------------------------------------------------------------
//  small helpers

static const char *s_type_names [16] = {
    "hello", "hello_ack", "reject", "ping", "pong", "get_addr", "addr", "inv", "get_data",
    "tx", "block", "not_found", "get_headers", "headers", "bye", "other"
};

static int
s_type_index (uint32_t type)
{
    return type >= ZC__MSG_TYPE__P2P_HELLO && type <= ZC__MSG_TYPE__P2P_BYE
         ? (int) (type - ZC__MSG_TYPE__P2P_HELLO) : 15;
}

static void
s_id_hex (const uint8_t *id, char out [2 * NODE_ID_SIZE + 1])
{
    zc_hex_encode (id, NODE_ID_SIZE, out);
}

static const char *
s_peer_name (const s_peer_t *peer)
{
    return peer->address [0] ? peer->address : peer->ip [0] ? peer->ip : "?";
}

static s_peer_t *
s_peer_by_serial (p2p_t *self, uint64_t serial)
{
    for (int i = 0; i < self->n_peers; i++)
        if (self->peer [i]->serial == serial)
            return self->peer [i];
    return NULL;
}

static bool
s_live (const s_peer_t *peer)
{
    return peer->state == PEER_ESTABLISHED || peer->state == PEER_SUSPECT;
}

static bool
s_denied (p2p_t *self, const char *address)
{
    for (size_t i = 0; i < self->n_deny; i++)
        if (strcmp (self->deny [i], address) == 0)
            return true;
    return false;
}

static bool
s_banned (p2p_t *self, s_ban_kind_t kind, const void *key, size_t size)
{
    uint64_t now = (uint64_t) zc_now_ms ();
    for (size_t i = 0; i < self->n_bans; i++) {
        s_ban_t *b = &self->ban [i];
        if (b->kind == kind && b->size == size && b->until_ms > now && memcmp (b->key, key, size) == 0)
            return true;
    }
    return false;
}

static void
s_ban_add (p2p_t *self, s_ban_kind_t kind, const void *key, size_t size, uint64_t until)
{
    if (size > sizeof self->ban [0].key)
        return;
    //  an expired slot, else a new one, else the one that ends first
    uint64_t now = (uint64_t) zc_now_ms ();
    s_ban_t *slot = NULL;
    for (size_t i = 0; i < self->n_bans && !slot; i++)
        if (self->ban [i].until_ms <= now)
            slot = &self->ban [i];
    if (!slot && self->n_bans < BANS_MAX)
        slot = &self->ban [self->n_bans++];
    for (size_t i = 0; i < self->n_bans && !slot; i++)
        if (!slot || self->ban [i].until_ms < slot->until_ms)
            slot = &self->ban [i];
    slot->kind = kind;
    memcpy (slot->key, key, size);
    slot->size = size;
    slot->until_ms = until;
}

static bool
s_loopback (const char *ip)
{
    return strncmp (ip, "127.", 4) == 0 || strcmp (ip, "::1") == 0;
}

//  Send a message to a peer; its bytes are counted
static int
s_send (p2p_t *self, s_peer_t *peer, uint32_t type, const ProtobufCMessage *body)
{
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = type };
    int rc = peer->inbound
           ? zc_zmq_send (self->router, peer->identity, peer->identity_size, &header, body, ZMQ_DONTWAIT)
           : zc_zmq_send (peer->dealer, NULL, 0, &header, body, ZMQ_DONTWAIT);
    if (rc == 0) {
        size_t size = (body ? protobuf_c_message_get_packed_size (body) : 0) + 8;
        peer->bytes_out += size;
        zc_metric_inc (self->m_bytes_out, (double) size);
        zc_metric_inc (self->m_out [s_type_index (type)], 1);
    }
    else
        zc_metric_inc (self->m_dropped, 1);
    return rc;
}

static void
s_reject (p2p_t *self, s_peer_t *peer, zc_err_t reason, const char *detail)
{
    Zc__Reject msg = ZC__REJECT__INIT;
    msg.reason = (int32_t) reason;
    msg.detail = (char *) detail;
    s_send (self, peer, ZC__MSG_TYPE__P2P_REJECT, &msg.base);
}

//  A request to storage or the mempool, remembered by id
static int
s_request (p2p_t *self, zsock_t *backend, uint32_t type, const ProtobufCMessage *body,
           s_pend_t *pend)
{
    if (!backend || zhashx_size (self->pending) >= PENDING_MAX) {
        free (pend->raw);               //  relay only: nobody to ask
        free (pend);
        return -1;
    }
    uint64_t id = ++self->next_request;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = type, .request_id = id,
                        .deadline_ms = (uint64_t) (zc_now_ms () + PENDING_TIMEOUT_MS) };
    if (zc_zmq_send (backend, NULL, 0, &header, body, ZMQ_DONTWAIT)) {
        free (pend->raw);
        free (pend);
        return -1;
    }
    char key [24];
    snprintf (key, sizeof key, "%llu", (unsigned long long) id);
    pend->expires = zc_mono_ms () + PENDING_TIMEOUT_MS;
    zhashx_insert (self->pending, key, pend);
    return 0;
}

static s_pend_t *
s_pend (s_pend_kind_t kind, uint64_t peer)
{
    s_pend_t *pend = calloc (1, sizeof *pend);
    if (pend) {
        pend->kind = kind;
        pend->peer = peer;
    }
    return pend;
}

static void
s_pend_free (void **item_p)
{
    s_pend_t *pend = *item_p;
    if (pend) {
        free (pend->raw);
        free (pend);
        *item_p = NULL;
    }
}

// ---------------------------------------------------------------------------
//  seen ids, asked ids, the transaction cache

//  Mark hash seen; true when it was new
static bool
s_seen_add (p2p_t *self, const uint8_t *hash)
{
    if (zhashx_lookup (self->seen, hash))
        return false;
    if (self->seen_count == SEEN_MAX) {
        //  the ring is full: forget the oldest
        size_t oldest = (self->seen_head + SEEN_MAX - self->seen_count) % SEEN_MAX;
        zhashx_delete (self->seen, self->seen_ring [oldest].b);
        self->seen_count--;
    }
    size_t slot = self->seen_head;
    memcpy (self->seen_ring [slot].b, hash, 32);
    self->seen_time [slot] = zc_mono_ms ();
    self->seen_head = (slot + 1) % SEEN_MAX;
    self->seen_count++;
    zhashx_insert (self->seen, hash, (void *) (uintptr_t) 1);
    return true;
}

static void
s_seen_expire (p2p_t *self, int64_t now)
{
    while (self->seen_count) {
        size_t oldest = (self->seen_head + SEEN_MAX - self->seen_count) % SEEN_MAX;
        if (now - self->seen_time [oldest] < SEEN_EXPIRY_MS)
            break;
        zhashx_delete (self->seen, self->seen_ring [oldest].b);
        self->seen_count--;
    }
}

static void
s_txcache_add (p2p_t *self, const uint8_t *txid, const uint8_t *raw, size_t size)
{
    if (size == 0 || size > TXCACHE_BYTES / 4 || zhashx_lookup (self->txcache, txid))
        return;
    while (zlistx_size (self->txorder)
       && (self->txcache_bytes + size > TXCACHE_BYTES || zhashx_size (self->txcache) >= TXCACHE_MAX)) {
        s_cached_tx_t *old = zlistx_detach (self->txorder, NULL);
        self->txcache_bytes -= old->size;
        zhashx_delete (self->txcache, old->key.b);
        free (old->raw);
        free (old);
    }
    s_cached_tx_t *entry = calloc (1, sizeof *entry);
    uint8_t *copy = malloc (size);
    if (!entry || !copy) {
        free (entry);
        free (copy);
        return;
    }
    memcpy (entry->key.b, txid, 32);
    memcpy (copy, raw, size);
    entry->raw = copy;
    entry->size = size;
    zhashx_insert (self->txcache, entry->key.b, entry);
    zlistx_add_end (self->txorder, entry);
    self->txcache_bytes += size;
}

//  --p2p-trace: the moment we first had a block or transaction
static void
s_trace (p2p_t *self, bool block, const uint8_t *hash)
{
    if (!self->cfg.trace && !self->cfg.observe)
        return;
    int64_t now = zc_mono_us ();
    if (self->cfg.observe)
        self->cfg.observe (self->cfg.observe_arg, block ? P2P_SEEN_BLOCK : P2P_SEEN_TX, hash, now);
    if (self->cfg.trace) {
        char hex [65];
        zc_hex_encode (hash, 32, hex);
        zc_info ("trace %s %s %lld", block ? "block" : "tx", hex, (long long) now);
    }
}

static void
s_observe (p2p_t *self, p2p_event_t event, int64_t value)
{
    if (self->cfg.observe)
        self->cfg.observe (self->cfg.observe_arg, event, NULL, value);
}

//  Can we dial address? Well formed, and over our own transport: the nodes
//  of one process (inproc://) and those of a network (tcp://) do not mix
static bool
s_dialable (p2p_t *self, const char *address)
{
    if (!addrbook_valid (address))
        return false;
    const char *scheme_end = strstr (self->advertise, "://");
    size_t scheme = scheme_end ? (size_t) (scheme_end - self->advertise) : 0;
    return strncmp (address, self->advertise, scheme + 3) == 0;
}

// ---------------------------------------------------------------------------
//  peers: lifecycle and misbehaviour

static s_peer_t *
s_peer_new (p2p_t *self, bool inbound)
{
    if (self->n_peers == MAX_PEERS)
        return NULL;
    s_peer_t *peer = calloc (1, sizeof *peer);
    if (!peer)
        return NULL;
    peer->serial = ++self->next_serial;
    peer->inbound = inbound;
    peer->since = peer->last_recv = zc_mono_ms ();
    peer->tokens = RATE_BURST;
    peer->tokens_at = peer->since;
    for (int i = 0; i < INV_BATCH; i++) {
        zc__inv_item__init (&peer->inv [i]);
        peer->inv [i].hash.data = peer->inv_hash [i];
        peer->inv [i].hash.len = 32;
        peer->inv_ptr [i] = &peer->inv [i];
    }
    self->peer [self->n_peers++] = peer;
    return peer;
}

static void
s_set_state (s_peer_t *peer, s_state_t state)
{
    if (peer->state != state) {
        peer->state = state;
        peer->since = zc_mono_ms ();
    }
}

//  Drop a peer: its downloads go back to the queue; the outbound socket closes
static void
s_peer_drop (p2p_t *self, s_peer_t *peer, const char *why)
{
    zc_info ("peer %s %s: %s", s_peer_name (peer), peer->inbound ? "(in)" : "(out)", why);
    for (size_t i = self->next_submit; i < self->n_download; i++)
        if (self->download [i].peer == peer->serial && !self->download [i].raw)
            self->download [i].peer = 0;
    if (self->sync_peer == peer->serial)
        self->sync_peer = 0;
    if (peer->dealer) {
        zpoller_remove (self->poller, peer->dealer);
        zsock_destroy (&peer->dealer);
    }
    for (int i = 0; i < self->n_peers; i++)
        if (self->peer [i] == peer) {
            self->peer [i] = self->peer [--self->n_peers];
            break;
        }
    free (peer);
    s_observe (self, P2P_PEERS, p2p_peer_count (self));
}

//  Count misbehaviour; at BAN_SCORE the peer is banned for a while
//  (its address in the book, its IP for inbound links). False when the
//  peer was dropped.
static bool
s_misbehaved (p2p_t *self, s_peer_t *peer, s_bad_t what, const char *detail)
{
    zc_metric_inc (self->m_bad [what], 1);
    peer->score += s_bad_score [what];
    zc_warn ("peer %s: %s (%s), score %d", s_peer_name (peer), s_bad_names [what],
             detail ? detail : "", peer->score);
    if (peer->score < BAN_SCORE)
        return true;
    uint64_t until = (uint64_t) zc_now_ms () + (uint64_t) self->cfg.ban_seconds * 1000;
    zc_metric_inc (self->m_bans, 1);
    if (peer->address [0]) {
        addrbook_entry_t *entry = addrbook_add (self->book, peer->address, false);
        if (entry)
            addrbook_ban (self->book, entry, until);
    }
    if (peer->has_id)
        s_ban_add (self, BAN_NODE, peer->node_id, NODE_ID_SIZE, until);
    if (peer->inbound) {
        s_ban_add (self, BAN_IDENTITY, peer->identity, peer->identity_size, until);
        if (peer->ip [0] && !s_loopback (peer->ip))
            s_ban_add (self, BAN_IP, peer->ip, strlen (peer->ip), until);
    }
    s_set_state (peer, PEER_BANNED);
    s_reject (self, peer, ZC_ERR_BAD_REQUEST, "banned for misbehaviour");
    s_peer_drop (self, peer, "banned");
    return false;
}

// ---------------------------------------------------------------------------
//  handshake

static void
s_hello_fill (p2p_t *self, Zc__Hello *hello)
{
    hello->protocol = P2P_PROTOCOL;
    hello->genesis.data = (uint8_t *) zc_params_genesis_hash (self->params)->b;
    hello->genesis.len = 32;
    hello->node_id.data = self->node_id;
    hello->node_id.len = NODE_ID_SIZE;
    hello->height = self->height;
    hello->chain_work.data = self->work;
    hello->chain_work.len = 32;
    hello->listen = self->advertise;
    hello->time_ms = (uint64_t) zc_now_ms ();
    if (self->cert) {
        hello->curve_key.data = (uint8_t *) zcert_public_key (self->cert);
        hello->curve_key.len = 32;
    }
}

static s_peer_t *
s_peer_by_node (p2p_t *self, const uint8_t *node_id, const s_peer_t *except)
{
    for (int i = 0; i < self->n_peers; i++) {
        s_peer_t *p = self->peer [i];
        if (p != except && p->has_id && s_live (p) && memcmp (p->node_id, node_id, NODE_ID_SIZE) == 0)
            return p;
    }
    return NULL;
}

static int
s_count (p2p_t *self, bool inbound)
{
    int n = 0;
    for (int i = 0; i < self->n_peers; i++)
        if (self->peer [i]->inbound == inbound)
            n++;
    return n;
}

//  Check a Hello; ZC_OK or the reason, with detail
static zc_err_t
s_hello_check (p2p_t *self, const Zc__Hello *hello, const s_peer_t *peer, const char **detail)
{
    if (hello->protocol != P2P_PROTOCOL) {
        *detail = "protocol version differs";
        return ZC_ERR_BAD_PROTOCOL;
    }
    if (hello->genesis.len != 32
    ||  memcmp (hello->genesis.data, zc_params_genesis_hash (self->params)->b, 32) != 0) {
        *detail = "genesis block differs: another network";
        return ZC_ERR_WRONG_NETWORK;
    }
    if (hello->node_id.len != NODE_ID_SIZE || hello->chain_work.len != 32) {
        *detail = "node id or chain work malformed";
        return ZC_ERR_MALFORMED;
    }
    if (memcmp (hello->node_id.data, self->node_id, NODE_ID_SIZE) == 0) {
        *detail = "connected to itself";
        return ZC_ERR_DUPLICATE;
    }
    if (s_peer_by_node (self, hello->node_id.data, peer)) {
        *detail = "already connected";
        return ZC_ERR_DUPLICATE;
    }
    if (s_banned (self, BAN_NODE, hello->node_id.data, NODE_ID_SIZE)) {
        *detail = "banned for misbehaviour";
        return ZC_ERR_BAD_REQUEST;
    }
    if (hello->listen && *hello->listen && s_denied (self, hello->listen)) {
        *detail = "denied by the operator";
        return ZC_ERR_BAD_REQUEST;
    }
    return ZC_OK;
}

static void
s_established (p2p_t *self, s_peer_t *peer, const Zc__Hello *hello)
{
    memcpy (peer->node_id, hello->node_id.data, NODE_ID_SIZE);
    peer->has_id = true;
    peer->height = hello->height;
    memcpy (peer->work, hello->chain_work.data, 32);
    peer->connected_ms = (uint64_t) zc_now_ms ();
    if (peer->inbound && hello->listen && s_dialable (self, hello->listen))
        snprintf (peer->address, sizeof peer->address, "%s", hello->listen);
    if (peer->address [0]) {
        addrbook_entry_t *entry = addrbook_add (self->book, peer->address, false);
        if (entry)
            addrbook_good (self->book, entry, zc_mono_ms ());
    }
    s_set_state (peer, PEER_ESTABLISHED);
    s_observe (self, P2P_PEERS, p2p_peer_count (self));
    char id [2 * NODE_ID_SIZE + 1];
    s_id_hex (peer->node_id, id);
    zc_info ("peer %s %s established: node %s, height %u", s_peer_name (peer),
             peer->inbound ? "(in)" : "(out)", id, peer->height);
    //  ask for addresses, offer our mempool
    Zc__GetAddr get = ZC__GET_ADDR__INIT;
    s_send (self, peer, ZC__MSG_TYPE__P2P_GET_ADDR, &get.base);
    Zc__GetMempool req = ZC__GET_MEMPOOL__INIT;
    req.max_entries = 50000;
    s_pend_t *pend = s_pend (PEND_MEMPOOL, peer->serial);
    if (pend)
        s_request (self, self->mempool, ZC__MSG_TYPE__GET_MEMPOOL, &req.base, pend);
}

static size_t
    s_addresses (p2p_t *self, const s_peer_t *peer, Zc__PeerAddress *entries, Zc__PeerAddress **ptrs);

static void
s_on_hello (p2p_t *self, s_peer_t *peer, const Zc__Hello *hello, bool ack)
{
    const char *detail = NULL;
    zc_err_t rc = s_hello_check (self, hello, peer, &detail);
    if (!ack && rc == ZC_OK && s_count (self, true) > self->cfg.max_inbound) {
        rc = ZC_ERR_BUSY;
        detail = "too many inbound peers";
    }
    //  both sides dialling each other: the link the smaller node id dialled stays
    s_peer_t *dialling = NULL;
    for (int i = 0; !ack && rc == ZC_OK && hello->listen && i < self->n_peers; i++)
        if (!self->peer [i]->inbound && self->peer [i]->state == PEER_CONNECTING
        &&  strcmp (self->peer [i]->address, hello->listen) == 0)
            dialling = self->peer [i];
    if (dialling) {
        if (memcmp (self->node_id, hello->node_id.data, NODE_ID_SIZE) < 0) {
            rc = ZC_ERR_DUPLICATE;
            detail = "we are dialling each other; my link stays";
        }
        else
            s_peer_drop (self, dialling, "we are dialling each other; theirs stays");
    }
    if (rc != ZC_OK) {
        zc_info ("peer %s refused: %s", s_peer_name (peer), detail);
        if (!ack && rc == ZC_ERR_BUSY) {
            //  a newcomer has free slots: tell those who come after it
            if (hello->listen && s_dialable (self, hello->listen))
                addrbook_add (self->book, hello->listen, false);
            //  full: still tell the newcomer where else to go, or a
            //  bootstrap node with all its slots taken would strand it
            Zc__PeerAddress entries [ADDR_REPLY], *ptrs [ADDR_REPLY];
            Zc__Reject msg = ZC__REJECT__INIT;
            msg.reason = (int32_t) rc;
            msg.detail = (char *) detail;
            msg.n_peers = s_addresses (self, peer, entries, ptrs);
            msg.peers = ptrs;
            s_send (self, peer, ZC__MSG_TYPE__P2P_REJECT, &msg.base);
        }
        else
        if (!ack)
            s_reject (self, peer, rc, detail);
        if (peer->address [0] && rc == ZC_ERR_DUPLICATE && !peer->inbound
        &&  memcmp (hello->node_id.data, self->node_id, NODE_ID_SIZE) == 0) {
            addrbook_entry_t *entry = addrbook_find (self->book, peer->address);
            if (entry)
                entry->self = true;
        }
        else
        if (!peer->inbound) {
            addrbook_entry_t *entry = addrbook_find (self->book, peer->address);
            if (entry)
                addrbook_failed (self->book, entry, zc_mono_ms (), MAX_BACKOFF_MS);
        }
        s_peer_drop (self, peer, detail);
        return;
    }
    if (!ack) {
        Zc__Hello mine = ZC__HELLO__INIT;
        s_hello_fill (self, &mine);
        Zc__HelloAck reply = ZC__HELLO_ACK__INIT;
        reply.hello = &mine;
        s_send (self, peer, ZC__MSG_TYPE__P2P_HELLO_ACK, &reply.base);
    }
    s_established (self, peer, hello);
}

// ---------------------------------------------------------------------------
//  announcements

//  What a peer has, so we do not announce it back: the ids it announced or
//  sent, and those we announced to it. A ring of the latest KNOWN_MAX; a
//  forgotten id costs at worst one needless announcement.
static uint64_t
s_known_key (const uint8_t *hash)
{
    uint64_t key;
    memcpy (&key, hash, sizeof key);
    return key;
}

static void
s_known_add (s_peer_t *peer, const uint8_t *hash)
{
    peer->known [peer->known_next++ % KNOWN_MAX] = s_known_key (hash);
}

static bool
s_known (const s_peer_t *peer, const uint8_t *hash)
{
    uint64_t key = s_known_key (hash);
    size_t n = peer->known_next < KNOWN_MAX ? peer->known_next : KNOWN_MAX;
    for (size_t i = 0; i < n; i++)
        if (peer->known [i] == key)
            return true;
    return false;
}

static void
s_inv_flush (p2p_t *self, s_peer_t *peer)
{
    if (peer->n_inv == 0)
        return;
    Zc__Inv msg = ZC__INV__INIT;
    msg.n_items = peer->n_inv;
    msg.items = peer->inv_ptr;
    s_send (self, peer, ZC__MSG_TYPE__P2P_INV, &msg.base);
    peer->n_inv = 0;
    peer->inv_sent = zc_mono_ms ();
}

//  Queue an announcement. It goes out at once when it is a block (every
//  hop's linger would add to its way across the network) or when nothing
//  went to this peer for a linger (nothing to batch it with: a quiet link
//  pays no delay); else it waits for the linger, so that under load one
//  Inv carries every id of the last INV_LINGER_MS.
static void
s_inv_queue (p2p_t *self, s_peer_t *peer, Zc__InvType type, const uint8_t *hash)
{
    int64_t now = zc_mono_ms ();
    if (peer->n_inv == 0)
        peer->inv_since = now;
    peer->inv [peer->n_inv].type = type;
    memcpy (peer->inv_hash [peer->n_inv], hash, 32);
    ++peer->n_inv;
    if (peer->n_inv == INV_BATCH || type == ZC__INV_TYPE__INV_BLOCK
    ||  (peer->n_inv == 1 && now - peer->inv_sent >= INV_LINGER_MS))
        s_inv_flush (self, peer);
}

//  Announce to every live peer but the one it came from and those that
//  have it already
static void
s_announce (p2p_t *self, Zc__InvType type, const uint8_t *hash, uint64_t except)
{
    for (int i = 0; i < self->n_peers; i++) {
        s_peer_t *peer = self->peer [i];
        if (s_live (peer) && peer->serial != except && !s_known (peer, hash)) {
            s_known_add (peer, hash);
            s_inv_queue (self, peer, type, hash);
        }
    }
}

//  Relay a new block: whole to the peers that lack it when it is small (one
//  message a hop instead of three: announce, fetch, block), else announced
static void
s_relay_block (p2p_t *self, const uint8_t *hash, const uint8_t *raw, size_t size, uint64_t except)
{
    if (!raw || size > PUSH_BYTES) {
        s_announce (self, ZC__INV_TYPE__INV_BLOCK, hash, except);
        return;
    }
    Zc__BlockData msg = ZC__BLOCK_DATA__INIT;
    msg.raw.data = (uint8_t *) raw;
    msg.raw.len = size;
    for (int i = 0; i < self->n_peers; i++) {
        s_peer_t *peer = self->peer [i];
        if (s_live (peer) && peer->serial != except && !s_known (peer, hash)) {
            s_known_add (peer, hash);
            s_send (self, peer, ZC__MSG_TYPE__P2P_BLOCK, &msg.base);
        }
    }
}

// ---------------------------------------------------------------------------
//  headers-first sync

//  Ask a peer for headers after our locator (storage gives the locator)
static void
s_sync_start (p2p_t *self, s_peer_t *peer)
{
    if (self->cfg.relay_only || self->n_download
    ||  (self->sync_peer && zc_mono_ms () - self->sync_asked < DOWNLOAD_TIMEOUT_MS))
        return;
    Zc__GetTip req = ZC__GET_TIP__INIT;
    req.with_locator = true;
    s_pend_t *pend = s_pend (PEND_LOCATOR, peer->serial);
    if (pend && s_request (self, self->storage, ZC__MSG_TYPE__GET_TIP, &req.base, pend) == 0) {
        self->sync_peer = peer->serial;
        self->sync_asked = zc_mono_ms ();
    }
}

static void
s_download_clear (p2p_t *self)
{
    for (size_t i = 0; i < self->n_download; i++)
        free (self->download [i].raw);
    self->n_download = self->next_submit = 0;
    self->submitting = false;
}

static void
s_submit_block (p2p_t *self, const uint8_t *raw, size_t size, uint64_t from, bool download,
                bool keep_raw)
{
    if (size < ZC_HEADER_SIZE || (keep_raw && self->submits >= SUBMITS_MAX))
        return;                         //  a sync or a later announcement brings it again
    zc_header_t header;
    if (zc_header_decode (raw, ZC_HEADER_SIZE, &header) != ZC_OK)
        return;
    s_pend_t *pend = s_pend (PEND_SUBMIT_BLOCK, from);
    if (!pend)
        return;
    zc_header_hash (&header, &pend->hash);
    pend->prev = header.prev;
    pend->download = download;
    if (keep_raw && (pend->raw = malloc (size))) {
        memcpy (pend->raw, raw, size);
        pend->raw_size = size;
        self->submits++;
    }
    Zc__SubmitBlock req = ZC__SUBMIT_BLOCK__INIT;
    req.raw.data = (uint8_t *) raw;
    req.raw.len = size;
    if (s_request (self, self->storage, ZC__MSG_TYPE__SUBMIT_BLOCK, &req.base, pend) == 0 && download)
        self->submitting = true;
}

//  Submit the next downloaded block in chain order
static void
s_download_pump (p2p_t *self)
{
    if (self->submitting || self->next_submit >= self->n_download)
        return;
    s_download_t *d = &self->download [self->next_submit];
    if (d->raw)
        s_submit_block (self, d->raw, d->raw_size, d->from, true, false);
}

//  Ask peers for the blocks of the queue nobody has been asked for
//  Ask one peer for the blocks of the queue nobody is fetching
static void
s_download_ask (p2p_t *self, s_peer_t *peer, int64_t now)
{
    Zc__InvItem items [DOWNLOAD_PER_PEER], *ptrs [DOWNLOAD_PER_PEER];
    size_t n = 0;
    int in_flight = 0;
    for (size_t i = self->next_submit; i < self->n_download; i++) {
        s_download_t *d = &self->download [i];
        if (!d->raw && d->peer == peer->serial)
            in_flight++;
    }
    size_t window = self->next_submit + DOWNLOAD_WINDOW;
    for (size_t i = self->next_submit; i < self->n_download && i < window
                                       && in_flight + (int) n < DOWNLOAD_PER_PEER; i++) {
        s_download_t *d = &self->download [i];
        if (d->raw || d->peer || d->avoid == peer->serial)
            continue;
        d->peer = peer->serial;
        d->asked_at = now;
        zc__inv_item__init (&items [n]);
        items [n].type = ZC__INV_TYPE__INV_BLOCK;
        items [n].hash.data = d->hash.b;
        items [n].hash.len = 32;
        ptrs [n] = &items [n];
        n++;
    }
    if (n) {
        Zc__GetData msg = ZC__GET_DATA__INIT;
        msg.n_items = n;
        msg.items = ptrs;
        s_send (self, peer, ZC__MSG_TYPE__P2P_GET_DATA, &msg.base);
    }
}

//  Ask peers for the blocks of the queue nobody is fetching: the peer the
//  headers came from first, then the others in turn. A block a peer did
//  not send in time (or said it lacks) goes to another one.
static void
s_download_assign (p2p_t *self, int64_t now)
{
    for (size_t i = self->next_submit; i < self->n_download; i++) {
        s_download_t *d = &self->download [i];
        if (!d->raw && d->peer && now - d->asked_at >= DOWNLOAD_TIMEOUT_MS) {
            d->avoid = d->peer;
            d->peer = 0;
        }
    }
    s_peer_t *source = s_peer_by_serial (self, self->download_source);
    if (source && s_live (source))
        s_download_ask (self, source, now);
    if (self->n_peers == 0)
        return;
    int first = (int) (self->download_turn++ % (uint64_t) self->n_peers);
    for (int k = 0; k < self->n_peers; k++) {
        s_peer_t *peer = self->peer [(first + k) % self->n_peers];
        if (s_live (peer) && peer != source)
            s_download_ask (self, peer, now);
    }
}

//  A peer lacks blocks we asked for: someone else is asked
static void
s_on_notfound (p2p_t *self, s_peer_t *peer, const Zc__NotFound *msg)
{
    for (size_t k = 0; k < msg->n_items && k < DOWNLOAD_MAX; k++) {
        if (msg->items [k]->hash.len != 32)
            continue;
        for (size_t i = self->next_submit; i < self->n_download; i++) {
            s_download_t *d = &self->download [i];
            if (d->peer == peer->serial && memcmp (d->hash.b, msg->items [k]->hash.data, 32) == 0) {
                d->avoid = peer->serial;
                d->peer = 0;
            }
        }
    }
}

static void
s_on_headers (p2p_t *self, s_peer_t *peer, const Zc__P2pHeaders *msg)
{
    if (msg->n_headers > DOWNLOAD_MAX) {
        s_misbehaved (self, peer, BAD_MALFORMED, "too many headers");
        return;
    }
    if (peer->serial == self->sync_peer)
        self->sync_peer = 0;
    if (self->n_download)
        return;                         //  another peer's answer is being downloaded
    zc_hash_t prev = { { 0 } };
    for (size_t i = 0; i < msg->n_headers; i++) {
        zc_header_t header;
        if (zc_header_decode (msg->headers [i].data, msg->headers [i].len, &header) != ZC_OK
        ||  (i > 0 && !zc_hash_eq (&header.prev, &prev))) {
            s_download_clear (self);
            s_misbehaved (self, peer, BAD_MALFORMED, "headers do not form a chain");
            return;
        }
        s_download_t *d = &self->download [self->n_download++];
        memset (d, 0, sizeof *d);
        zc_header_hash (&header, &d->hash);
        prev = d->hash;
    }
    if (msg->n_headers >= 10)
        zc_info ("sync: %zu headers from %s, downloading", msg->n_headers, s_peer_name (peer));
    self->download_moved = zc_mono_ms ();
    self->download_source = peer->serial;
    s_download_assign (self, zc_mono_ms ());
}

//  A downloaded block was taken (or refused)
static void
s_download_done (p2p_t *self, zc_err_t reason)
{
    self->submitting = false;
    if (self->next_submit >= self->n_download)
        return;
    s_download_t *d = &self->download [self->next_submit];
    if (reason == ZC_OK || reason == ZC_ERR_DUPLICATE) {
        free (d->raw);
        d->raw = NULL;
        zc_metric_inc (self->m_synced, 1);
        self->download_moved = zc_mono_ms ();
        if (++self->next_submit == self->n_download) {
            s_download_clear (self);
            //  more to fetch? the next headers request follows the peer's height
            for (int i = 0; i < self->n_peers; i++)
                if (s_live (self->peer [i]) && self->peer [i]->height > self->height) {
                    s_sync_start (self, self->peer [i]);
                    break;
                }
        }
        s_download_pump (self);
    }
    else
    if (reason == ZC_ERR_BUSY || reason == ZC_ERR_TIMEOUT || reason == ZC_ERR_INTERNAL)
        s_download_pump (self);         //  try again
    else {
        s_peer_t *from = s_peer_by_serial (self, d->from);
        zc_warn ("sync: block refused (%s); download abandoned", zc_err_name (reason));
        s_download_clear (self);
        if (from && reason != ZC_ERR_ORPHAN)
            s_misbehaved (self, from, BAD_BLOCK, zc_err_name (reason));
    }
}

// ---------------------------------------------------------------------------
//  orphans: blocks that arrived before their parent

static void
s_orphan_add (p2p_t *self, s_pend_t *pend)
{
    for (size_t i = 0; i < self->n_orphans; i++)
        if (zc_hash_eq (&self->orphan [i].hash, &pend->hash))
            return;
    while (self->n_orphans
       && (self->n_orphans == ORPHANS_MAX || self->orphan_bytes + pend->raw_size > ORPHANS_BYTES)) {
        self->orphan_bytes -= self->orphan [0].raw_size;
        free (self->orphan [0].raw);
        memmove (&self->orphan [0], &self->orphan [1], (self->n_orphans - 1) * sizeof self->orphan [0]);
        self->n_orphans--;
    }
    if (pend->raw_size > ORPHANS_BYTES)
        return;
    s_orphan_t *o = &self->orphan [self->n_orphans++];
    o->hash = pend->hash;
    o->prev = pend->prev;
    o->raw = pend->raw;
    o->raw_size = pend->raw_size;
    o->from = pend->peer;
    self->orphan_bytes += o->raw_size;
    pend->raw = NULL;
    zc_metric_set (self->m_orphans, (double) self->n_orphans);
}

//  A block is in: submit the orphans that build on it
static void
s_orphans_of (p2p_t *self, const zc_hash_t *parent)
{
    for (size_t i = 0; i < self->n_orphans; ) {
        s_orphan_t *o = &self->orphan [i];
        if (zc_hash_eq (&o->prev, parent)) {
            s_submit_block (self, o->raw, o->raw_size, o->from, false, true);
            self->orphan_bytes -= o->raw_size;
            free (o->raw);
            self->orphan [i] = self->orphan [--self->n_orphans];
        }
        else
            i++;
    }
    zc_metric_set (self->m_orphans, (double) self->n_orphans);
}

// ---------------------------------------------------------------------------
//  backend replies

static void
s_on_locator (p2p_t *self, s_peer_t *peer, const zc_env_t *env)
{
    Zc__TipReply *tip = NULL;
    if (env->type == ZC__MSG_TYPE__TIP_REPLY)
        zc_codec_unpack (&zc__tip_reply__descriptor, env->body, env->body_size, 1 << 20,
                         (ProtobufCMessage **) &tip);
    if (!tip)
        return;
    Zc__P2pGetHeaders req = ZC__P2P_GET_HEADERS__INIT;
    req.n_locator = tip->n_locator;
    req.locator = tip->locator;
    if (peer)
        s_send (self, peer, ZC__MSG_TYPE__P2P_GET_HEADERS, &req.base);
    zc__tip_reply__free_unpacked (tip, NULL);
}

static void
s_on_headers_reply (p2p_t *self, s_peer_t *peer, const zc_env_t *env)
{
    Zc__HeadersReply *reply = NULL;
    if (env->type == ZC__MSG_TYPE__HEADERS_REPLY)
        zc_codec_unpack (&zc__headers_reply__descriptor, env->body, env->body_size, ZC_MSG_MAX,
                         (ProtobufCMessage **) &reply);
    Zc__P2pHeaders msg = ZC__P2P_HEADERS__INIT;
    if (reply) {
        msg.n_headers = reply->n_headers;
        msg.headers = reply->headers;
    }
    s_send (self, peer, ZC__MSG_TYPE__P2P_HEADERS, &msg.base);
    if (reply)
        zc__headers_reply__free_unpacked (reply, NULL);
}

static void
s_on_block_reply (p2p_t *self, s_peer_t *peer, const s_pend_t *pend, const zc_env_t *env)
{
    Zc__BlockReply *reply = NULL;
    if (env->type == ZC__MSG_TYPE__BLOCK_REPLY)
        zc_codec_unpack (&zc__block_reply__descriptor, env->body, env->body_size, ZC_MSG_MAX,
                         (ProtobufCMessage **) &reply);
    if (reply && reply->raw.len) {
        Zc__BlockData msg = ZC__BLOCK_DATA__INIT;
        msg.raw = reply->raw;
        s_send (self, peer, ZC__MSG_TYPE__P2P_BLOCK, &msg.base);
    }
    else {
        //  we lack it (or storage could not say): the asker goes elsewhere
        Zc__InvItem item = ZC__INV_ITEM__INIT, *items [1] = { &item };
        item.type = ZC__INV_TYPE__INV_BLOCK;
        item.hash.data = (uint8_t *) pend->hash.b;
        item.hash.len = 32;
        Zc__NotFound msg = ZC__NOT_FOUND__INIT;
        msg.n_items = 1;
        msg.items = items;
        s_send (self, peer, ZC__MSG_TYPE__P2P_NOT_FOUND, &msg.base);
    }
    if (reply)
        zc__block_reply__free_unpacked (reply, NULL);
}

static void
s_on_submit_txs_reply (p2p_t *self, s_peer_t *peer, const zc_env_t *env)
{
    Zc__SubmitTxsReply *reply = NULL;
    if (env->type == ZC__MSG_TYPE__SUBMIT_TXS_REPLY)
        zc_codec_unpack (&zc__submit_txs_reply__descriptor, env->body, env->body_size, ZC_MSG_MAX,
                         (ProtobufCMessage **) &reply);
    if (!reply)
        return;
    for (size_t i = 0; peer && i < reply->n_results; i++) {
        zc_err_t reason = (zc_err_t) reply->results [i]->reason;
        //  a conflict or a missing parent is a race between honest nodes;
        //  a bad signature or amount is not
        if (reason == ZC_ERR_BAD_SIG || reason == ZC_ERR_BAD_AMOUNT || reason == ZC_ERR_MALFORMED
        ||  reason == ZC_ERR_COINBASE_TX || reason == ZC_ERR_DUPLICATE_INPUT || reason == ZC_ERR_EMPTY) {
            if (!s_misbehaved (self, peer, BAD_TX, zc_err_name (reason)))
                break;
        }
    }
    zc__submit_txs_reply__free_unpacked (reply, NULL);
}

static void
s_on_submit_block_reply (p2p_t *self, s_pend_t *pend, const zc_env_t *env)
{
    zc_err_t reason = ZC_ERR_INTERNAL;
    Zc__SubmitBlockReply *reply = NULL;
    if (env->type == ZC__MSG_TYPE__SUBMIT_BLOCK_REPLY
    &&  zc_codec_unpack (&zc__submit_block_reply__descriptor, env->body, env->body_size, 4096,
                         (ProtobufCMessage **) &reply) == ZC_OK) {
        reason = (zc_err_t) reply->reason;
        zc__submit_block_reply__free_unpacked (reply, NULL);
    }
    else
    if (env->type == ZC__MSG_TYPE__ERROR_REPLY) {
        Zc__ErrorReply *error = zc__error_reply__unpack (NULL, env->body_size, env->body);
        if (error) {
            reason = (zc_err_t) error->reason;
            zc__error_reply__free_unpacked (error, NULL);
        }
    }
    if (pend->download) {
        s_download_done (self, reason);
        return;
    }
    s_peer_t *peer = s_peer_by_serial (self, pend->peer);
    if (reason == ZC_OK || reason == ZC_ERR_DUPLICATE)
        s_orphans_of (self, &pend->hash);
    else
    if (reason == ZC_ERR_ORPHAN) {
        s_orphan_add (self, pend);
        if (peer)
            s_sync_start (self, peer);
    }
    else
    if (peer && reason != ZC_ERR_BUSY && reason != ZC_ERR_TIMEOUT && reason != ZC_ERR_INTERNAL)
        s_misbehaved (self, peer, BAD_BLOCK, zc_err_name (reason));
}

static void
s_on_mempool_reply (p2p_t *self, s_peer_t *peer, const zc_env_t *env)
{
    Zc__MempoolReply *reply = NULL;
    if (env->type == ZC__MSG_TYPE__MEMPOOL_REPLY)
        zc_codec_unpack (&zc__mempool_reply__descriptor, env->body, env->body_size, ZC_MSG_MAX,
                         (ProtobufCMessage **) &reply);
    if (!reply)
        return;
    for (size_t i = 0; peer && i < reply->n_entries; i++)
        if (reply->entries [i]->txid.len == 32)
            s_inv_queue (self, peer, ZC__INV_TYPE__INV_TX, reply->entries [i]->txid.data);
    zc__mempool_reply__free_unpacked (reply, NULL);
}

static void
s_on_backend (p2p_t *self, zsock_t *backend)
{
    zc_frames_t frames;
    if (zc_frames_recv (backend, &frames, ZMQ_DONTWAIT))
        return;
    zc_env_t env;
    if (zc_frames_envelope (&frames, &env) != ZC_OK) {
        zc_frames_close (&frames);
        return;
    }
    char key [24];
    snprintf (key, sizeof key, "%llu", (unsigned long long) env.request_id);
    s_pend_t *pend = zhashx_lookup (self->pending, key);
    if (pend) {
        zhashx_delete (self->pending, key);     //  no destructor: the entry is ours now
        if (pend->kind == PEND_SUBMIT_BLOCK && pend->raw)
            self->submits--;
        s_peer_t *peer = s_peer_by_serial (self, pend->peer);
        switch (pend->kind) {
            case PEND_LOCATOR:      s_on_locator (self, peer, &env); break;
            case PEND_HEADERS:      if (peer) s_on_headers_reply (self, peer, &env); break;
            case PEND_BLOCK:        if (peer) s_on_block_reply (self, peer, pend, &env); break;
            case PEND_SUBMIT_TXS:   s_on_submit_txs_reply (self, peer, &env); break;
            case PEND_SUBMIT_BLOCK: s_on_submit_block_reply (self, pend, &env); break;
            case PEND_MEMPOOL:      s_on_mempool_reply (self, peer, &env); break;
        }
        s_pend_free ((void **) &pend);
    }
    zc_frames_close (&frames);
}

// ---------------------------------------------------------------------------
//  peer messages

static void
s_on_inv (p2p_t *self, s_peer_t *peer, const Zc__Inv *inv)
{
    if (inv->n_items > 50000) {
        s_misbehaved (self, peer, BAD_MALFORMED, "inventory too long");
        return;
    }
    Zc__InvItem **want = calloc (inv->n_items ? inv->n_items : 1, sizeof *want);
    if (!want)
        return;
    size_t n = 0;
    for (size_t i = 0; i < inv->n_items; i++) {
        Zc__InvItem *item = inv->items [i];
        if (item->hash.len != 32) {
            free (want);
            s_misbehaved (self, peer, BAD_MALFORMED, "inventory hash");
            return;
        }
        s_known_add (peer, item->hash.data);
        if (item->type == ZC__INV_TYPE__INV_BLOCK && self->n_download)
            continue;                   //  syncing: the download brings it
        if (!s_seen_add (self, item->hash.data)) {
            zc_metric_inc (self->m_dups, 1);
            s_observe (self, P2P_DUPLICATE, 1);
            continue;
        }
        if (zhashx_size (self->asked) >= ASKED_MAX)
            continue;                   //  too much asked at once: not fetched
        zhashx_update (self->asked, item->hash.data, (void *) (uintptr_t) peer->serial);
        want [n++] = item;
    }
    if (n) {
        Zc__GetData msg = ZC__GET_DATA__INIT;
        msg.n_items = n;
        msg.items = want;
        s_send (self, peer, ZC__MSG_TYPE__P2P_GET_DATA, &msg.base);
    }
    free (want);
}

static void
s_on_getdata (p2p_t *self, s_peer_t *peer, const Zc__GetData *req)
{
    if (req->n_items > 50000) {
        s_misbehaved (self, peer, BAD_MALFORMED, "request too long");
        return;
    }
    //  transactions from the cache, in messages of up to 1 MB
    ProtobufCBinaryData *txs = calloc (req->n_items ? req->n_items : 1, sizeof *txs);
    if (!txs)
        return;
    size_t n = 0, bytes = 0;
    for (size_t i = 0; i < req->n_items; i++) {
        Zc__InvItem *item = req->items [i];
        if (item->hash.len != 32)
            continue;
        if (item->type == ZC__INV_TYPE__INV_BLOCK && self->cfg.relay_only) {
            s_cached_tx_t *block = zhashx_lookup (self->txcache, item->hash.data);
            if (block) {
                Zc__BlockData msg = ZC__BLOCK_DATA__INIT;
                msg.raw.data = block->raw;
                msg.raw.len = block->size;
                s_send (self, peer, ZC__MSG_TYPE__P2P_BLOCK, &msg.base);
            }
            continue;
        }
        if (item->type == ZC__INV_TYPE__INV_BLOCK) {
            Zc__GetBlock get = ZC__GET_BLOCK__INIT;
            get.hash = item->hash;
            s_pend_t *pend = s_pend (PEND_BLOCK, peer->serial);
            if (pend) {
                memcpy (pend->hash.b, item->hash.data, 32);
                s_request (self, self->storage, ZC__MSG_TYPE__GET_BLOCK, &get.base, pend);
            }
            continue;
        }
        s_cached_tx_t *tx = zhashx_lookup (self->txcache, item->hash.data);
        if (!tx)
            continue;
        txs [n].data = tx->raw;
        txs [n++].len = tx->size;
        bytes += tx->size;
        if (bytes > (1u << 20) || i + 1 == req->n_items) {
            Zc__TxData msg = ZC__TX_DATA__INIT;
            msg.n_txs = n;
            msg.txs = txs;
            s_send (self, peer, ZC__MSG_TYPE__P2P_TX, &msg.base);
            n = bytes = 0;
        }
    }
    if (n) {
        Zc__TxData msg = ZC__TX_DATA__INIT;
        msg.n_txs = n;
        msg.txs = txs;
        s_send (self, peer, ZC__MSG_TYPE__P2P_TX, &msg.base);
    }
    free (txs);
}

//  The peer hash was asked from (0: nobody), and forget the asking
static uint64_t
s_take_asked (p2p_t *self, const uint8_t *hash)
{
    uintptr_t who = (uintptr_t) zhashx_lookup (self->asked, hash);
    if (who)
        zhashx_delete (self->asked, hash);
    else
    if ((who = (uintptr_t) zhashx_lookup (self->asked_old, hash)))
        zhashx_delete (self->asked_old, hash);
    return (uint64_t) who;
}

//  Was hash asked from this peer? (and forget the asking)
static bool
s_was_asked (p2p_t *self, s_peer_t *peer, const uint8_t *hash)
{
    return s_take_asked (self, hash) == peer->serial;
}

static void
s_on_txdata (p2p_t *self, s_peer_t *peer, const Zc__TxData *msg)
{
    ProtobufCBinaryData *keep = calloc (msg->n_txs ? msg->n_txs : 1, sizeof *keep);
    if (!keep)
        return;
    size_t n = 0;
    for (size_t i = 0; i < msg->n_txs; i++) {
        zc_tx_t *tx = NULL;
        if (zc_tx_decode (msg->txs [i].data, msg->txs [i].len, &tx) != ZC_OK) {
            free (keep);
            s_misbehaved (self, peer, BAD_MALFORMED, "transaction does not decode");
            return;
        }
        bool asked = s_was_asked (self, peer, tx->txid.b);
        if (asked && self->cfg.relay_only && zc_check_loose_tx (tx) != ZC_OK) {
            zc_tx_destroy (&tx);
            free (keep);
            s_misbehaved (self, peer, BAD_TX, "transaction fails its own checks");
            return;
        }
        if (asked && self->cfg.relay_only) {
            //  no mempool: keep it to serve, announce it on
            s_txcache_add (self, tx->txid.b, msg->txs [i].data, msg->txs [i].len);
            s_trace (self, false, tx->txid.b);
            s_announce (self, ZC__INV_TYPE__INV_TX, tx->txid.b, peer->serial);
        }
        zc_tx_destroy (&tx);
        if (!asked) {
            if (!s_misbehaved (self, peer, BAD_UNSOLICITED, "transaction nobody asked for")) {
                free (keep);
                return;
            }
            continue;
        }
        if (!self->cfg.relay_only)
            keep [n++] = msg->txs [i];
    }
    if (n) {
        Zc__SubmitTxs req = ZC__SUBMIT_TXS__INIT;
        req.n_txs = n;
        req.txs = keep;
        s_pend_t *pend = s_pend (PEND_SUBMIT_TXS, peer->serial);
        if (pend)
            s_request (self, self->mempool, ZC__MSG_TYPE__SUBMIT_TXS, &req.base, pend);
    }
    free (keep);
}

static void
s_on_blockdata (p2p_t *self, s_peer_t *peer, const Zc__BlockData *msg)
{
    zc_header_t header;
    if (msg->raw.len < ZC_HEADER_SIZE || msg->raw.len > ZC_BLOCK_MAX_BYTES
    ||  zc_header_decode (msg->raw.data, ZC_HEADER_SIZE, &header) != ZC_OK) {
        s_misbehaved (self, peer, BAD_MALFORMED, "block does not decode");
        return;
    }
    zc_hash_t hash;
    zc_header_hash (&header, &hash);
    //  part of the download? it waits for its turn
    for (size_t i = self->next_submit; i < self->n_download; i++) {
        s_download_t *d = &self->download [i];
        if (!zc_hash_eq (&d->hash, &hash))
            continue;
        if (d->raw)
            return;                     //  a late answer after a re-assignment
        d->peer = 0;                    //  whoever sends it: storage checks it
        if ((d->raw = malloc (msg->raw.len))) {
            memcpy (d->raw, msg->raw.data, msg->raw.len);
            d->raw_size = msg->raw.len;
            d->from = peer->serial;
            self->download_moved = zc_mono_ms ();
        }
        s_download_pump (self);
        s_download_assign (self, zc_mono_ms ());
        return;
    }
    uint64_t asked_from = s_take_asked (self, hash.b);
    s_known_add (peer, hash.b);
    if (asked_from != peer->serial) {
        //  pushed unasked (s_relay_block): welcome when small and new to us,
        //  or when we still wait for it from the peer we asked
        if (msg->raw.len > PUSH_BYTES) {
            s_misbehaved (self, peer, BAD_UNSOLICITED, "block nobody asked for");
            return;
        }
        if (!asked_from && !s_seen_add (self, hash.b)) {
            zc_metric_inc (self->m_dups, 1);
            s_observe (self, P2P_DUPLICATE, 1);
            return;
        }
    }
    if (self->cfg.relay_only) {
        //  no chain to check it against: the block on its own (form, proof
        //  of work, transactions, merkle root), as storage checks it first
        zc_block_t *block = NULL;
        zc_err_t rc = zc_block_decode (msg->raw.data, msg->raw.len, &block);
        if (rc == ZC_OK)
            rc = zc_check_block (block, self->params, zc_now_ms () / 1000);
        zc_block_destroy (&block);
        if (rc != ZC_OK) {
            s_misbehaved (self, peer, BAD_BLOCK, zc_err_name (rc));
            return;
        }
        s_trace (self, true, hash.b);
        s_txcache_add (self, hash.b, msg->raw.data, msg->raw.len);
        s_relay_block (self, hash.b, msg->raw.data, msg->raw.len, peer->serial);
        return;
    }
    s_trace (self, true, hash.b);
    s_submit_block (self, msg->raw.data, msg->raw.len, peer->serial, false, true);
}

static void
s_on_getaddr (p2p_t *self, s_peer_t *peer)
{
    Zc__PeerAddress entries [ADDR_REPLY], *ptrs [ADDR_REPLY];
    Zc__Addr msg = ZC__ADDR__INIT;
    msg.n_peers = s_addresses (self, peer, entries, ptrs);
    msg.peers = ptrs;
    s_send (self, peer, ZC__MSG_TYPE__P2P_ADDR, &msg.base);
}

//  Addresses a peer could use, up to ADDR_REPLY of the book's (not its own,
//  not banned, not failing); returns how many went into entries and ptrs
static size_t
s_addresses (p2p_t *self, const s_peer_t *peer, Zc__PeerAddress *entries, Zc__PeerAddress **ptrs)
{
    size_t n = 0, count;
    addrbook_entry_t *book = addrbook_entries (self->book, &count);
    uint64_t now = (uint64_t) zc_now_ms ();
    //  from a random place in the book, so that newcomers spread out
    size_t start = count ? (size_t) random () % count : 0;
    for (size_t k = 0; k < count && n < ADDR_REPLY; k++) {
        addrbook_entry_t *e = &book [(start + k) % count];
        if (e->self || (uint64_t) e->banned_until_ms > now || (e->failures > 2 && !e->bootstrap)
        ||  strcmp (e->address, peer->address) == 0)
            continue;
        zc__peer_address__init (&entries [n]);
        entries [n].address = e->address;
        entries [n].last_seen_ms = e->last_seen_ms;
        ptrs [n] = &entries [n];
        n++;
    }
    return n;
}

static void
s_on_addr (p2p_t *self, s_peer_t *peer, const Zc__Addr *msg)
{
    if (msg->n_peers > ADDR_MAX) {
        s_misbehaved (self, peer, BAD_MALFORMED, "too many addresses");
        return;
    }
    for (size_t i = 0; i < msg->n_peers; i++)
        if (msg->peers [i]->address && strcmp (msg->peers [i]->address, self->advertise) != 0
        &&  s_dialable (self, msg->peers [i]->address))
            addrbook_add (self->book, msg->peers [i]->address, false);
}

//  Largest body per message type
static size_t
s_max_body (uint32_t type)
{
    switch (type) {
        case ZC__MSG_TYPE__P2P_BLOCK:       return ZC_BLOCK_MAX_BYTES + 64;
        case ZC__MSG_TYPE__P2P_TX:          return 4u << 20;
        case ZC__MSG_TYPE__P2P_INV:
        case ZC__MSG_TYPE__P2P_GET_DATA:
        case ZC__MSG_TYPE__P2P_NOT_FOUND:   return 50000 * 40;
        case ZC__MSG_TYPE__P2P_HEADERS:     return DOWNLOAD_MAX * (ZC_HEADER_SIZE + 4) + 64;
        case ZC__MSG_TYPE__P2P_ADDR:
        case ZC__MSG_TYPE__P2P_REJECT:      return ADDR_MAX * (ADDRBOOK_ADDRESS_MAX + 64);
        case ZC__MSG_TYPE__P2P_GET_HEADERS: return 70 * 40;
        default:                            return 4096;
    }
}

//  Token bucket per peer; false when over the rate
static bool
s_rate_ok (s_peer_t *peer, int64_t now)
{
    peer->tokens += (double) (now - peer->tokens_at) * RATE_MSGS / 1000.0;
    if (peer->tokens > RATE_BURST)
        peer->tokens = RATE_BURST;
    peer->tokens_at = now;
    if (peer->tokens < 1.0)
        return false;
    peer->tokens -= 1.0;
    return true;
}

static const ProtobufCMessageDescriptor *
s_descriptor (uint32_t type)
{
    switch (type) {
        case ZC__MSG_TYPE__P2P_HELLO:       return &zc__hello__descriptor;
        case ZC__MSG_TYPE__P2P_HELLO_ACK:   return &zc__hello_ack__descriptor;
        case ZC__MSG_TYPE__P2P_REJECT:      return &zc__reject__descriptor;
        case ZC__MSG_TYPE__P2P_PING:        return &zc__ping__descriptor;
        case ZC__MSG_TYPE__P2P_PONG:        return &zc__pong__descriptor;
        case ZC__MSG_TYPE__P2P_GET_ADDR:    return &zc__get_addr__descriptor;
        case ZC__MSG_TYPE__P2P_ADDR:        return &zc__addr__descriptor;
        case ZC__MSG_TYPE__P2P_INV:         return &zc__inv__descriptor;
        case ZC__MSG_TYPE__P2P_GET_DATA:    return &zc__get_data__descriptor;
        case ZC__MSG_TYPE__P2P_TX:          return &zc__tx_data__descriptor;
        case ZC__MSG_TYPE__P2P_BLOCK:       return &zc__block_data__descriptor;
        case ZC__MSG_TYPE__P2P_NOT_FOUND:   return &zc__not_found__descriptor;
        case ZC__MSG_TYPE__P2P_GET_HEADERS: return &zc__p2p_get_headers__descriptor;
        case ZC__MSG_TYPE__P2P_HEADERS:     return &zc__p2p_headers__descriptor;
        default:                            return NULL;
    }
}

//  One message from a peer
static void
s_on_message (p2p_t *self, s_peer_t *peer, zc_frames_t *frames)
{
    int64_t now = zc_mono_ms ();
    size_t size = zc_frame_size (frames, frames->count - 1);
    peer->bytes_in += size;
    zc_metric_inc (self->m_bytes_in, (double) size);
    s_observe (self, P2P_MESSAGE, (int64_t) size);
    if (!s_rate_ok (peer, now)) {
        s_misbehaved (self, peer, BAD_FLOOD, "over the message rate");
        return;
    }
    zc_env_t env;
    const ProtobufCMessageDescriptor *desc = NULL;
    ProtobufCMessage *body = NULL;
    zc_err_t rc = zc_frames_envelope (frames, &env);
    if (rc == ZC_OK && !(desc = s_descriptor (env.type)))
        rc = ZC_ERR_BAD_PROTOCOL;
    if (rc == ZC_OK)
        rc = zc_codec_unpack (desc, env.body, env.body_size, s_max_body (env.type), &body);
    if (rc != ZC_OK) {
        s_misbehaved (self, peer, rc == ZC_ERR_BAD_PROTOCOL ? BAD_PROTOCOL : BAD_MALFORMED,
                      zc_err_name (rc));
        return;
    }
    zc_metric_inc (self->m_in [s_type_index (env.type)], 1);
    peer->last_recv = now;
    if (peer->state == PEER_SUSPECT)
        s_set_state (peer, PEER_ESTABLISHED);
    bool live = s_live (peer);
    switch (env.type) {
        case ZC__MSG_TYPE__P2P_HELLO:
            if (peer->inbound && peer->state == PEER_HANDSHAKING)
                s_on_hello (self, peer, (Zc__Hello *) body, false);
            else
                s_misbehaved (self, peer, BAD_PROTOCOL, "a second hello");
            break;
        case ZC__MSG_TYPE__P2P_HELLO_ACK: {
            Zc__HelloAck *ack = (Zc__HelloAck *) body;
            if (!peer->inbound && peer->state == PEER_CONNECTING && ack->hello)
                s_on_hello (self, peer, ack->hello, true);
            else
                s_misbehaved (self, peer, BAD_PROTOCOL, "an unexpected hello ack");
            break;
        }
        case ZC__MSG_TYPE__P2P_REJECT: {
            Zc__Reject *reject = (Zc__Reject *) body;
            zc_warn ("peer %s refused us: %s (%s)", s_peer_name (peer),
                     zc_err_name ((zc_err_t) reject->reason), reject->detail ? reject->detail : "");
            if (!peer->inbound) {
                addrbook_entry_t *entry = addrbook_find (self->book, peer->address);
                if (entry)
                    addrbook_failed (self->book, entry, now, MAX_BACKOFF_MS);
                //  a full node's suggestions, taken like an Addr
                Zc__Addr suggested = ZC__ADDR__INIT;
                suggested.n_peers = reject->n_peers;
                suggested.peers = reject->peers;
                if (reject->n_peers)
                    s_on_addr (self, peer, &suggested);
            }
            s_peer_drop (self, peer, "refused");
            break;
        }
        case ZC__MSG_TYPE__P2P_BYE:
            s_peer_drop (self, peer, "said goodbye");
            break;
        default:
            if (!live) {
                s_misbehaved (self, peer, BAD_PROTOCOL, "a message before the handshake");
                break;
            }
            switch (env.type) {
                case ZC__MSG_TYPE__P2P_PING: {
                    Zc__Ping *ping = (Zc__Ping *) body;
                    if (ping->height > peer->height)
                        peer->height = ping->height;
                    Zc__Pong pong = ZC__PONG__INIT;
                    pong.nonce = ping->nonce;
                    pong.height = self->height;
                    s_send (self, peer, ZC__MSG_TYPE__P2P_PONG, &pong.base);
                    //  a block or two ahead: its announcement is on the way
                    if (ping->height > self->height + 2)
                        s_sync_start (self, peer);
                    break;
                }
                case ZC__MSG_TYPE__P2P_PONG: {
                    Zc__Pong *pong = (Zc__Pong *) body;
                    if (pong->nonce == peer->ping_nonce && peer->ping_sent) {
                        peer->latency_ms = (uint32_t) (now - peer->ping_sent);
                        peer->ping_sent = 0;
                    }
                    peer->height = pong->height;
                    if (pong->height > self->height + 2)
                        s_sync_start (self, peer);
                    break;
                }
                case ZC__MSG_TYPE__P2P_GET_ADDR:    s_on_getaddr (self, peer); break;
                case ZC__MSG_TYPE__P2P_ADDR:        s_on_addr (self, peer, (Zc__Addr *) body); break;
                case ZC__MSG_TYPE__P2P_INV:         s_on_inv (self, peer, (Zc__Inv *) body); break;
                case ZC__MSG_TYPE__P2P_GET_DATA:    s_on_getdata (self, peer, (Zc__GetData *) body); break;
                case ZC__MSG_TYPE__P2P_TX:          s_on_txdata (self, peer, (Zc__TxData *) body); break;
                case ZC__MSG_TYPE__P2P_BLOCK:       s_on_blockdata (self, peer, (Zc__BlockData *) body); break;
                case ZC__MSG_TYPE__P2P_NOT_FOUND:   s_on_notfound (self, peer, (Zc__NotFound *) body); break;
                case ZC__MSG_TYPE__P2P_GET_HEADERS: {
                    Zc__P2pGetHeaders *req = (Zc__P2pGetHeaders *) body;
                    Zc__GetHeaders get = ZC__GET_HEADERS__INIT;
                    get.n_locator = req->n_locator < 64 ? req->n_locator : 64;
                    get.locator = req->locator;
                    get.stop = req->stop;
                    get.max = DOWNLOAD_MAX;
                    s_pend_t *pend = s_pend (PEND_HEADERS, peer->serial);
                    if (pend)
                        s_request (self, self->storage, ZC__MSG_TYPE__GET_HEADERS, &get.base, pend);
                    break;
                }
                case ZC__MSG_TYPE__P2P_HEADERS:
                    s_on_headers (self, peer, (Zc__P2pHeaders *) body);
                    break;
                default:
                    break;
            }
    }
    protobuf_c_message_free_unpacked (body, NULL);
}

static s_peer_t *
s_peer_by_identity (p2p_t *self, const uint8_t *id, size_t size)
{
    for (int i = 0; i < self->n_peers; i++) {
        s_peer_t *p = self->peer [i];
        if (p->inbound && p->identity_size == size && memcmp (p->identity, id, size) == 0)
            return p;
    }
    return NULL;
}

static void
s_on_router (p2p_t *self)
{
    zc_frames_t frames;
    if (zc_frames_recv (self->router, &frames, ZMQ_DONTWAIT))
        return;
    if (frames.count != 2 || zc_frame_size (&frames, 0) > sizeof ((s_peer_t *) 0)->identity) {
        zc_metric_inc (self->m_bad [BAD_MALFORMED], 1);
        zc_frames_close (&frames);
        return;
    }
    const uint8_t *id = zc_frame_data (&frames, 0);
    size_t id_size = zc_frame_size (&frames, 0);
    const char *ip = zmq_msg_gets (&frames.frame [1], "Peer-Address");
    if ((ip && s_banned (self, BAN_IP, ip, strlen (ip))) || s_banned (self, BAN_IDENTITY, id, id_size)) {
        zc_metric_inc (self->m_dropped, 1);
        zc_frames_close (&frames);
        return;
    }
    s_peer_t *peer = s_peer_by_identity (self, id, id_size);
    zc_env_t env;
    if (!peer && zc_frames_envelope (&frames, &env) == ZC_OK && env.type != ZC__MSG_TYPE__P2P_HELLO) {
        //  a link we dropped (a timeout, a deny) still talking: it must say
        //  hello again; no score, this is what honest peers do after a drop
        zc_metric_inc (self->m_dropped, 1);
        if (env.type != ZC__MSG_TYPE__P2P_REJECT && env.type != ZC__MSG_TYPE__P2P_BYE) {
            Zc__Reject msg = ZC__REJECT__INIT;
            msg.reason = ZC_ERR_BAD_PROTOCOL;
            msg.detail = (char *) "no handshake on this link: say hello first";
            zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__P2P_REJECT };
            zc_zmq_send (self->router, id, id_size, &header, &msg.base, ZMQ_DONTWAIT);
        }
        zc_frames_close (&frames);
        return;
    }
    if (!peer) {
        if (s_count (self, true) >= self->cfg.max_inbound + 8) {
            zc_metric_inc (self->m_dropped, 1);     //  handshakes beyond the limit: ignored
            zc_frames_close (&frames);
            return;
        }
        peer = s_peer_new (self, true);
        if (!peer) {
            zc_frames_close (&frames);
            return;
        }
        memcpy (peer->identity, id, id_size);
        peer->identity_size = id_size;
        if (ip)
            snprintf (peer->ip, sizeof peer->ip, "%s", ip);
        peer->state = PEER_HANDSHAKING;
    }
    s_on_message (self, peer, &frames);
    zc_frames_close (&frames);
}

static void
s_on_dealer (p2p_t *self, s_peer_t *peer)
{
    //  at most 64 messages a turn: one peer cannot starve the others
    for (int i = 0; i < 64 && (zsock_events (peer->dealer) & ZMQ_POLLIN); i++) {
        zc_frames_t frames;
        if (zc_frames_recv (peer->dealer, &frames, ZMQ_DONTWAIT))
            return;
        uint64_t serial = peer->serial;
        if (frames.count == 1)
            s_on_message (self, peer, &frames);
        else
            zc_metric_inc (self->m_bad [BAD_MALFORMED], 1);
        zc_frames_close (&frames);
        if (!s_peer_by_serial (self, serial))
            return;                     //  dropped while handling it
    }
}

bool
p2p_on_socket (p2p_t *self, void *which)
{
    if (!self)
        return false;
    if (which == self->router) {
        for (int i = 0; i < 256 && (zsock_events (self->router) & ZMQ_POLLIN); i++)
            s_on_router (self);
        return true;
    }
    if (which == self->storage || which == self->mempool) {
        for (int i = 0; i < 256 && (zsock_events (which) & ZMQ_POLLIN); i++)
            s_on_backend (self, which);
        return true;
    }
    for (int i = 0; i < self->n_peers; i++)
        if (self->peer [i]->dealer == which) {
            s_on_dealer (self, self->peer [i]);
            return true;
        }
    return false;
}

// ---------------------------------------------------------------------------
//  timers

static bool
s_connected_to (p2p_t *self, const char *address)
{
    for (int i = 0; i < self->n_peers; i++)
        if (strcmp (self->peer [i]->address, address) == 0)
            return true;
    return false;
}

static void
s_dial (p2p_t *self, addrbook_entry_t *entry)
{
    char err [256];
    char endpoint [ADDRBOOK_ADDRESS_MAX];
    snprintf (endpoint, sizeof endpoint, "%s", entry->address);
    char *key = strchr (endpoint, '#');
    if (key)
        *key++ = 0;
    if (self->cert && !key) {
        //  an encrypted network dials only addresses that carry a key
        addrbook_failed (self->book, entry, zc_mono_ms (), MAX_BACKOFF_MS);
        return;
    }
    zsock_t *dealer = zc_zmq_open_curve (ZMQ_DEALER, endpoint, false, 10000, self->cert, key,
                                         err, sizeof err);
    if (!dealer) {
        addrbook_failed (self->book, entry, zc_mono_ms (), MAX_BACKOFF_MS);
        return;
    }
    s_peer_t *peer = s_peer_new (self, false);
    if (!peer) {
        zsock_destroy (&dealer);
        return;
    }
    peer->dealer = dealer;
    snprintf (peer->address, sizeof peer->address, "%s", entry->address);
    peer->state = PEER_CONNECTING;
    zpoller_add (self->poller, dealer);
    Zc__Hello hello = ZC__HELLO__INIT;
    s_hello_fill (self, &hello);
    s_send (self, peer, ZC__MSG_TYPE__P2P_HELLO, &hello.base);
    //  the next attempt waits unless the handshake succeeds
    addrbook_failed (self->book, entry, zc_mono_ms (), MAX_BACKOFF_MS);
    entry->failures--;
}

//  Keep max_outbound links: dial addresses whose backoff has passed
static void
s_dial_more (p2p_t *self, int64_t now)
{
    int outbound = s_count (self, false);
    size_t count;
    addrbook_entry_t *book = addrbook_entries (self->book, &count);
    uint64_t wall = (uint64_t) zc_now_ms ();
    //  from a random place in the book: peers that all know the same
    //  addresses still pick different ones
    size_t start = count ? (size_t) random () % count : 0;
    for (size_t k = 0; k < count && outbound < self->cfg.max_outbound; k++) {
        addrbook_entry_t *e = &book [(start + k) % count];
        if (e->self || e->next_attempt_ms > now || (uint64_t) e->banned_until_ms > wall
        ||  strcmp (e->address, self->advertise) == 0 || s_denied (self, e->address)
        ||  s_connected_to (self, e->address))
            continue;
        s_dial (self, e);
        outbound++;
    }
}

static void
s_peer_timers (p2p_t *self, int64_t now)
{
    for (int i = 0; i < self->n_peers; ) {
        s_peer_t *peer = self->peer [i];
        int64_t quiet = now - peer->last_recv;
        const char *drop = NULL;
        if (peer->address [0] && s_denied (self, peer->address))
            drop = "denied by the operator";
        else
        if ((peer->state == PEER_CONNECTING || peer->state == PEER_HANDSHAKING)
        &&  quiet > self->cfg.ping_timeout_ms)
            drop = "no handshake in time";
        else
        if (s_live (peer) && quiet > self->cfg.ping_timeout_ms)
            drop = "silent past the ping timeout";
        if (drop) {
            if (!peer->inbound && s_live (peer)) {
                addrbook_entry_t *entry = addrbook_find (self->book, peer->address);
                if (entry)
                    addrbook_failed (self->book, entry, now, MAX_BACKOFF_MS);
            }
            s_set_state (peer, PEER_DISCONNECTED);
            if (peer->inbound) {
                Zc__Reject bye = ZC__REJECT__INIT;
                bye.detail = (char *) drop;
                s_send (self, peer, ZC__MSG_TYPE__P2P_BYE, &bye.base);
            }
            s_peer_drop (self, peer, drop);
            continue;                   //  the slot holds another peer now
        }
        //  a ping unanswered for an interval: suspect until anything arrives
        if (peer->state == PEER_ESTABLISHED && peer->ping_sent
        &&  now - peer->ping_sent > self->cfg.ping_interval_ms)
            s_set_state (peer, PEER_SUSPECT);
        i++;
    }
}

static void
s_pings (p2p_t *self, int64_t now)
{
    for (int i = 0; i < self->n_peers; i++) {
        s_peer_t *peer = self->peer [i];
        if (!s_live (peer) || peer->ping_sent || now - peer->last_ping < self->cfg.ping_interval_ms)
            continue;
        Zc__Ping ping = ZC__PING__INIT;
        ping.nonce = peer->ping_nonce = ((uint64_t) random () << 32) ^ (uint64_t) random ();
        ping.height = self->height;
        if (s_send (self, peer, ZC__MSG_TYPE__P2P_PING, &ping.base) == 0)
            peer->ping_sent = peer->last_ping = now;
    }
}

static void
s_pending_expire (p2p_t *self, int64_t now)
{
    zlistx_t *expired = zlistx_new ();
    for (s_pend_t *p = zhashx_first (self->pending); p; p = zhashx_next (self->pending))
        if (p->expires < now)
            zlistx_add_end (expired, (void *) zhashx_cursor (self->pending));
    for (const char *key = zlistx_first (expired); key; key = zlistx_next (expired)) {
        s_pend_t *p = zhashx_lookup (self->pending, key);
        if (p && p->kind == PEND_SUBMIT_BLOCK && p->download)
            self->submitting = false;
        if (p && p->kind == PEND_SUBMIT_BLOCK && p->raw)
            self->submits--;
        zhashx_delete (self->pending, key);
        s_pend_free ((void **) &p);
    }
    zlistx_destroy (&expired);
}

static void
s_gauges (p2p_t *self)
{
    int by_state [PEER_STATES] = { 0 };
    for (int i = 0; i < self->n_peers; i++)
        by_state [self->peer [i]->state]++;
    for (int s = 0; s < PEER_STATES; s++)
        zc_metric_set (self->m_state [s], by_state [s]);
}

int64_t
p2p_tick (p2p_t *self)
{
    if (!self)
        return 1000;
    int64_t now = zc_mono_ms ();
    int64_t wake = self->next_slow > now ? self->next_slow - now : SLOW_MS;
    for (int i = 0; i < self->n_peers; i++) {
        s_peer_t *peer = self->peer [i];
        if (peer->n_inv && now - peer->inv_since >= INV_LINGER_MS)
            s_inv_flush (self, peer);
        else
        if (peer->n_inv && INV_LINGER_MS - (now - peer->inv_since) < wake)
            wake = INV_LINGER_MS - (now - peer->inv_since);
    }
    if (now >= self->next_slow) {
        self->next_slow = now + SLOW_MS;
        s_peer_timers (self, now);
        s_pings (self, now);
        s_dial_more (self, now);
        s_pending_expire (self, now);
        s_seen_expire (self, now);
        if (now - self->asked_since > ASKED_GENERATION_MS) {
            zhashx_t *fresh = zc_hashkey_table (ZC_HASHKEY_HASH, false);
            if (fresh) {
                zhashx_destroy (&self->asked_old);
                self->asked_old = self->asked;
                self->asked = fresh;
                self->asked_since = now;
            }
        }
        if (self->n_download && now - self->download_moved > 3 * DOWNLOAD_TIMEOUT_MS) {
            //  nobody delivers (the branch is gone): start again from the locator
            zc_warn ("sync: no block for %d s; download abandoned", 3 * DOWNLOAD_TIMEOUT_MS / 1000);
            s_download_clear (self);
        }
        if (self->n_download) {
            s_download_assign (self, now);
            s_download_pump (self);
            if (now >= self->next_report) {
                size_t have = 0, asked = 0;
                for (size_t i = self->next_submit; i < self->n_download; i++) {
                    have += self->download [i].raw != NULL;
                    asked += self->download [i].peer != 0;
                }
                zc_info ("sync: %zu of %zu blocks taken, %zu here, %zu asked, %s", self->next_submit,
                         self->n_download, have, asked, self->submitting ? "submitting" : "waiting");
                self->next_report = now + 10000;
            }
        }
        zc_metric_set (self->m_download, (double) (self->n_download - self->next_submit));
        s_gauges (self);
    }
    if (now >= self->next_save) {
        self->next_save = now + 10000;
        if (addrbook_save (self->book))
            zc_warn ("cannot save the known peers to %s", self->cfg.peers_file);
    }
    return wake;
}

// ---------------------------------------------------------------------------
//  events from the node

void
p2p_on_tip (p2p_t *self, uint32_t height, const uint8_t hash [32], const uint8_t work [32])
{
    if (!self)
        return;
    self->height = height;
    memcpy (self->tip.b, hash, 32);
    memcpy (self->work, work, 32);
}

void
p2p_on_chain (p2p_t *self, const Zc__ChainEvent *event)
{
    if (!self || event->hash.len != 32)
        return;
    if (event->type == ZC__CHAIN_EVENT_TYPE__CONNECTED) {
        zc_hash_t hash;
        memcpy (hash.b, event->hash.data, 32);
        s_seen_add (self, hash.b);
        s_trace (self, true, hash.b);
        //  announce the new tip (not every block of a long catch-up)
        if (!self->n_download)
            s_relay_block (self, hash.b, event->raw.len ? event->raw.data : NULL, event->raw.len, 0);
        s_orphans_of (self, &hash);
    }
}

void
p2p_on_tx (p2p_t *self, const Zc__TxEvent *event)
{
    if (!self || event->type != ZC__TX_EVENT_TYPE__ACCEPTED || event->txid.len != 32)
        return;
    s_seen_add (self, event->txid.data);
    s_trace (self, false, event->txid.data);
    if (event->raw.len)
        s_txcache_add (self, event->txid.data, event->raw.data, event->raw.len);
    s_announce (self, ZC__INV_TYPE__INV_TX, event->txid.data, 0);
}

int
p2p_offer (p2p_t *self, bool block, const uint8_t *raw, size_t size)
{
    if (!self || !self->cfg.relay_only)
        return -1;
    zc_hash_t id;
    if (block) {
        zc_header_t header;
        if (size < ZC_HEADER_SIZE || size > ZC_BLOCK_MAX_BYTES
        ||  zc_header_decode (raw, ZC_HEADER_SIZE, &header) != ZC_OK)
            return -1;
        zc_header_hash (&header, &id);
    }
    else {
        zc_tx_t *tx = NULL;
        if (zc_tx_decode (raw, size, &tx) != ZC_OK)
            return -1;
        id = tx->txid;
        zc_tx_destroy (&tx);
    }
    s_seen_add (self, id.b);
    s_trace (self, block, id.b);
    s_txcache_add (self, id.b, raw, size);
    if (block)
        s_relay_block (self, id.b, raw, size, 0);
    else
        s_announce (self, ZC__INV_TYPE__INV_TX, id.b, 0);
    return 0;
}

// ---------------------------------------------------------------------------
//  the operator's view

void
p2p_peers_reply (p2p_t *self, void *sock, const void *identity, size_t identity_size,
                 uint64_t request_id)
{
    Zc__PeersReply reply = ZC__PEERS_REPLY__INIT;
    int n = self ? self->n_peers : 0;
    Zc__PeerInfo *info = calloc ((size_t) n + 1, sizeof *info);
    Zc__PeerInfo **ptrs = calloc ((size_t) n + 1, sizeof *ptrs);
    char (*ids) [2 * NODE_ID_SIZE + 1] = calloc ((size_t) n + 1, sizeof *ids);
    if (info && ptrs && ids) {
        for (int i = 0; i < n; i++) {
            s_peer_t *peer = self->peer [i];
            zc__peer_info__init (&info [i]);
            if (peer->has_id)
                s_id_hex (peer->node_id, ids [i]);
            info [i].node_id = ids [i];
            info [i].address = (char *) s_peer_name (peer);
            info [i].state = (char *) s_state_names [peer->state];
            info [i].inbound = peer->inbound;
            info [i].latency_ms = peer->latency_ms;
            info [i].bytes_in = peer->bytes_in;
            info [i].bytes_out = peer->bytes_out;
            info [i].score = peer->score;
            info [i].height = peer->height;
            info [i].connected_ms = peer->connected_ms;
            ptrs [i] = &info [i];
        }
        reply.n_peers = (size_t) n;
        reply.peers = ptrs;
    }
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__PEERS_REPLY,
                        .request_id = request_id };
    zc_zmq_send (sock, identity, identity_size, &header, &reply.base, ZMQ_DONTWAIT);
    free (info);
    free (ptrs);
    free (ids);
}

void
p2p_deny (p2p_t *self, const char *const *deny, size_t n)
{
    if (!self)
        return;
    self->n_deny = 0;
    for (size_t i = 0; i < n && self->n_deny < 16; i++)
        snprintf (self->deny [self->n_deny++], ADDRBOOK_ADDRESS_MAX, "%s", deny [i]);
    zc_info ("p2p: %zu address(es) denied", self->n_deny);
    //  allowed again: dial at once
    size_t count;
    addrbook_entry_t *book = addrbook_entries (self->book, &count);
    for (size_t i = 0; i < count; i++) {
        book [i].next_attempt_ms = 0;
        book [i].backoff_ms = 500;
    }
}

uint32_t
p2p_peer_count (p2p_t *self)
{
    uint32_t n = 0;
    for (int i = 0; self && i < self->n_peers; i++)
        if (s_live (self->peer [i]))
            n++;
    return n;
}

// ---------------------------------------------------------------------------
//  start and stop

//  Our node id: random, kept next to the known peers
static void
s_node_id (p2p_t *self)
{
    char path [4096];
    if (self->cfg.peers_file && *self->cfg.peers_file) {
        snprintf (path, sizeof path, "%s.id", self->cfg.peers_file);
        int fd = open (path, O_RDONLY);
        if (fd >= 0) {
            ssize_t got = read (fd, self->node_id, NODE_ID_SIZE);
            close (fd);
            if (got == NODE_ID_SIZE)
                return;
        }
    }
    zc_random_bytes (self->node_id, NODE_ID_SIZE);
    if (self->cfg.peers_file && *self->cfg.peers_file) {
        int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            if (write (fd, self->node_id, NODE_ID_SIZE) != NODE_ID_SIZE)
                zc_warn ("cannot write the node id to %s", path);
            close (fd);
        }
    }
}

static void
s_metrics_init (p2p_t *self, zc_metrics_t *m)
{
    for (int s = 0; s < PEER_STATES; s++)
        self->m_state [s] = zc_metrics_gauge (m, "zchain_p2p_peers", "peers by state", "state",
                                              s_state_names [s]);
    for (int t = 0; t < 16; t++) {
        self->m_in [t] = zc_metrics_counter (m, "zchain_p2p_messages_received_total",
                                             "p2p messages received, by type", "type", s_type_names [t]);
        self->m_out [t] = zc_metrics_counter (m, "zchain_p2p_messages_sent_total",
                                              "p2p messages sent, by type", "type", s_type_names [t]);
    }
    self->m_bytes_in = zc_metrics_counter (m, "zchain_p2p_received_bytes_total", "p2p bytes received", NULL, NULL);
    self->m_bytes_out = zc_metrics_counter (m, "zchain_p2p_sent_bytes_total", "p2p bytes sent", NULL, NULL);
    self->m_dups = zc_metrics_counter (m, "zchain_p2p_duplicates_total",
                                       "announcements of ids already seen (not fetched again)", NULL, NULL);
    self->m_bans = zc_metrics_counter (m, "zchain_p2p_bans_total", "peers banned", NULL, NULL);
    for (int b = 0; b < BAD_KINDS; b++)
        self->m_bad [b] = zc_metrics_counter (m, "zchain_p2p_misbehaviour_total",
                                              "misbehaviour by peers, by kind", "kind", s_bad_names [b]);
    self->m_dropped = zc_metrics_counter (m, "zchain_p2p_dropped_total",
                                          "p2p messages dropped (banned address, limits, full queues)", NULL, NULL);
    self->m_synced = zc_metrics_counter (m, "zchain_p2p_blocks_downloaded_total",
                                         "blocks taken by headers-first sync", NULL, NULL);
    self->m_orphans = zc_metrics_gauge (m, "zchain_p2p_orphans", "blocks waiting for their parent", NULL, NULL);
    self->m_download = zc_metrics_gauge (m, "zchain_p2p_download_queue",
                                         "blocks of a headers-first download not yet taken", NULL, NULL);
}

//  The node's CURVE certificate, kept in PEERS_FILE.cert (and .cert_secret,
//  mode 0600); a fresh one in memory when there is no peers file
static zcert_t *
s_cert (const char *peers_file)
{
    if (!peers_file || !*peers_file)
        return zcert_new ();
    char path [4096], secret [4200];
    snprintf (path, sizeof path, "%s.cert", peers_file);
    snprintf (secret, sizeof secret, "%s_secret", path);
    zcert_t *cert = zcert_load (path);
    if (cert)
        return cert;
    cert = zcert_new ();
    if (cert && zcert_save (cert, path) == 0)
        chmod (secret, 0600);
    else
        zc_warn ("cannot save the CURVE keys to %s: a new key at every start", path);
    return cert;
}

p2p_t *
p2p_new (const p2p_cfg_t *cfg, const zc_params_t *params, zpoller_t *poller, zc_metrics_t *metrics,
         char *err, size_t err_size)
{
    p2p_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->cfg = *cfg;
    self->params = params;
    self->poller = poller;
    self->seen = zc_hashkey_table (ZC_HASHKEY_HASH, false);
    self->asked = zc_hashkey_table (ZC_HASHKEY_HASH, false);
    self->asked_old = zc_hashkey_table (ZC_HASHKEY_HASH, false);
    self->txcache = zc_hashkey_table (ZC_HASHKEY_HASH, true);
    self->txorder = zlistx_new ();
    self->seen_ring = calloc (SEEN_MAX, sizeof *self->seen_ring);
    self->seen_time = calloc (SEEN_MAX, sizeof *self->seen_time);
    self->pending = zhashx_new ();
    self->book = addrbook_new (cfg->peers_file);
    if (!self->seen || !self->asked || !self->asked_old || !self->txcache || !self->txorder || !self->seen_ring
    ||  !self->seen_time || !self->pending || !self->book) {
        snprintf (err, err_size, "out of memory");
        p2p_destroy (&self);
        return NULL;
    }
    self->next_request = (uint64_t) zc_now_ms () << 16;
    s_node_id (self);
    //  random () picks addresses, jitters backoffs: every process its own sequence
    unsigned seed = 0;
    zc_random_bytes (&seed, sizeof seed);
    srandom (seed);
    s_metrics_init (self, metrics);
    if (cfg->curve && !(self->cert = s_cert (cfg->peers_file))) {
        snprintf (err, err_size, "cannot load or create the node's CURVE keys");
        p2p_destroy (&self);
        return NULL;
    }
    //  the address peers dial: the bound one, with 0.0.0.0 as 127.0.0.1,
    //  and our public key after a '#' when links are encrypted
    const char *advertise = cfg->advertise && *cfg->advertise ? cfg->advertise : cfg->bind;
    if (strncmp (advertise, "tcp://0.0.0.0:", 14) == 0)
        snprintf (self->advertise, sizeof self->advertise, "tcp://127.0.0.1:%s", advertise + 14);
    else
        snprintf (self->advertise, sizeof self->advertise, "%s", advertise);
    if (self->cert && !strchr (self->advertise, '#')) {
        size_t len = strlen (self->advertise);
        char key [65];
        zc_hex_encode (zcert_public_key (self->cert), 32, key);
        snprintf (self->advertise + len, sizeof self->advertise - len, "#%s", key);
    }
    if (!(self->router = zc_zmq_open_curve (ZMQ_ROUTER, cfg->bind, true, 10000, self->cert, NULL,
                                            err, err_size))
    ||  (!cfg->relay_only
    &&  (!(self->storage = zc_zmq_open_auth (ZMQ_DEALER, cfg->storage_api, false, 50000, cfg->keys,
                                             ZC_SOCK_STORAGE_API, err, err_size))
    ||   !(self->mempool = zc_zmq_open_auth (ZMQ_DEALER, cfg->mempool_api, false, 50000, cfg->keys,
                                             ZC_SOCK_MEMPOOL_API, err, err_size))))) {
        p2p_destroy (&self);
        return NULL;
    }
    addrbook_entry_t *mine = addrbook_add (self->book, self->advertise, false);
    if (mine)
        mine->self = true;
    for (int i = 0; i < cfg->bootstrap.count; i++)
        if (!addrbook_add (self->book, cfg->bootstrap.value [i], true))
            zc_warn ("bootstrap %s is not an address (tcp://HOST:PORT)", cfg->bootstrap.value [i]);
    zpoller_add (poller, self->router);
    if (self->storage)
        zpoller_add (poller, self->storage);
    if (self->mempool)
        zpoller_add (poller, self->mempool);
    char id [2 * NODE_ID_SIZE + 1];
    s_id_hex (self->node_id, id);
    zc_info ("p2p: node %s listening on %s (advertised %s), %d bootstrap address(es)%s", id, cfg->bind,
             self->advertise, cfg->bootstrap.count, self->cert ? ", links encrypted (CURVE)" : "");
    return self;
}

void
p2p_destroy (p2p_t **self_p)
{
    p2p_t *self = *self_p;
    if (!self)
        return;
    if (self->cfg.trace) {
        double in = 0;
        for (int i = 0; i < 16; i++)
            in += self->m_in [i] ? self->m_in [i]->value : 0;
        zc_info ("trace totals messages_in %.0f duplicates %.0f peers %u bytes_in %.0f bytes_out %.0f",
                 in, self->m_dups ? self->m_dups->value : 0, p2p_peer_count (self),
                 self->m_bytes_in ? self->m_bytes_in->value : 0,
                 self->m_bytes_out ? self->m_bytes_out->value : 0);
    }
    while (self->n_peers) {
        s_peer_t *peer = self->peer [0];
        Zc__Reject bye = ZC__REJECT__INIT;
        bye.detail = (char *) "shutting down";
        s_send (self, peer, ZC__MSG_TYPE__P2P_BYE, &bye.base);
        s_peer_drop (self, peer, "stopping");
    }
    s_download_clear (self);
    for (size_t i = 0; i < self->n_orphans; i++)
        free (self->orphan [i].raw);
    if (self->txorder) {
        s_cached_tx_t *tx;
        while ((tx = zlistx_detach (self->txorder, NULL))) {
            free (tx->raw);
            free (tx);
        }
    }
    zlistx_destroy (&self->txorder);
    zhashx_destroy (&self->txcache);
    zhashx_destroy (&self->seen);
    zhashx_destroy (&self->asked);
    zhashx_destroy (&self->asked_old);
    if (self->pending)
        for (s_pend_t *p = zhashx_first (self->pending); p; p = zhashx_next (self->pending)) {
            s_pend_t *doomed = p;
            s_pend_free ((void **) &doomed);
        }
    zhashx_destroy (&self->pending);
    free (self->seen_ring);
    free (self->seen_time);
    addrbook_destroy (&self->book);
    zcert_destroy (&self->cert);
    if (self->poller) {
        if (self->router)
            zpoller_remove (self->poller, self->router);
        if (self->storage)
            zpoller_remove (self->poller, self->storage);
        if (self->mempool)
            zpoller_remove (self->poller, self->mempool);
    }
    zsock_destroy (&self->router);
    zsock_destroy (&self->storage);
    zsock_destroy (&self->mempool);
    free (self);
    *self_p = NULL;
}
