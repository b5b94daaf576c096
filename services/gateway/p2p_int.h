/*  p2p_int.h - what the parts of the p2p module share: its state and their
 *  functions (not for use outside services/gateway/p2p*.c)
 *
 *  The module is split along its seams, one file each:
 *
 *      p2p.c           life cycle, sockets, timers, the public api (p2p.h)
 *      p2p_msg.c       the message table: every message type described once
 *      p2p_peer.c      peers: their life, sending, scores and bans, timers
 *      p2p_hello.c     the handshake
 *      p2p_addr.c      addresses: what we hand out, what we take, what we dial
 *      p2p_seen.c      ids we have seen, and those we asked for
 *      p2p_relay.c     announcements, fetching and serving transactions and blocks
 *      p2p_sync.c      headers-first sync and orphan blocks
 *      p2p_backend.c   requests to the node's storage and mempool
 */
#ifndef P2P_INT_H_INCLUDED
#define P2P_INT_H_INCLUDED

#include "p2p.h"
#include "addrbook.h"
#include "zc_hash.h"
#include "zc_metrics.h"
#include "zc_zmq.h"
#include "p2p.pb-c.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

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
#define FETCH_MAX 100000                //  ids being fetched from peers, at most
#define FETCH_PER_PEER 2000             //  ids asked from one peer at once
#define FETCH_ALTS 4                    //  other announcers of an id, asked next
#define FETCH_TX_MS 2000                //  a transaction not delivered by then is asked elsewhere
#define FETCH_BLOCK_MS 5000             //  a block, likewise
#define FETCH_VERDICT_MS 30000          //  delivered: how long we wait for the node's verdict
#define PENDING_MAX 20000               //  backend requests in flight
#define PENDING_TIMEOUT_MS 30000
#define ADDR_MAX 1000                   //  addresses in one Addr message
#define ADDR_REPLY 100                  //  addresses we send
#define INV_MAX 50000                   //  items in one Inv, GetData or NotFound
#define RATE_MSGS 2000.0                //  messages per second a peer may send ...
#define RATE_BURST 5000.0               //  ... with this burst (announcements come batched)
#define BAN_SCORE 100
#define MAX_BACKOFF_MS 30000
#define PUSH_BYTES (16u << 10)          //  a new block this small goes whole to peers, unasked
#define KNOWN_MAX 256                   //  recent ids a peer has, per peer
#define SLOW_MS 500                     //  timers, pings, dialling: a node idles at 2 wake-ups a second
#define SEND_BUDGET (4u << 20)          //  bytes sent to a peer and not yet acknowledged by a pong,
                                        //  beyond which its GetData waits
#define GETDATA_BACKLOG 1024            //  ids a peer asked that wait for its budget
#define SERVE_BLOCKS 8                  //  blocks read from storage for one peer at once
#define SERVED_MAX 256                  //  ids recently sent to a peer: asking again is over-asking ...
#define OVERASK_MS 1000                 //  ... within this long; later it is an honest retry (its own
                                        //  fetch or download timed out, or its sync started over)
#define NEW_DIAL_RATE 1.0               //  new (never answering) addresses dialled per second ...
#define NEW_DIAL_BURST 3.0              //  ... with this burst
#define ADDR_REFRESH_MS 10000           //  below the outbound target: one peer asked for addresses this often
#define BANS_MAX 256
#define DENY_MAX 16

typedef enum {
    PEER_CONNECTING, PEER_HANDSHAKING, PEER_ESTABLISHED, PEER_SUSPECT, PEER_DISCONNECTED,
    PEER_BANNED, PEER_STATES
} p2p_state_t;

//  Misbehaviour; p2p_peer.c has the score each adds
typedef enum {
    BAD_MALFORMED, BAD_PROTOCOL, BAD_BLOCK, BAD_TX, BAD_UNSOLICITED, BAD_FLOOD, BAD_OVERASK,
    BAD_KINDS
} p2p_bad_t;

//  An id a peer asked for, waiting for its turn
typedef struct {
    uint8_t hash [32];
    bool block;
} p2p_wanted_t;

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
    p2p_state_t state;
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
    uint64_t known [KNOWN_MAX];         //  ids it announced or sent us, or we it
    size_t known_next;                  //  (8-byte prefixes, a ring): not announced to it
    int fetching;                       //  ids asked from it, not delivered yet
    //  what it asks of us: served within a budget of bytes it has not yet
    //  acknowledged (a pong acknowledges all we sent before its ping)
    uint64_t ping_mark;                 //  bytes_out when the outstanding ping went
    uint64_t acked;                     //  bytes_out a pong acknowledged
    p2p_wanted_t backlog [GETDATA_BACKLOG];
    size_t backlog_head;
    size_t backlog_count;
    int serving;                        //  blocks being read from storage for it
    uint64_t served [SERVED_MAX];       //  ids lately sent to it (8-byte prefixes, a ring)
    int64_t served_ms [SERVED_MAX];     //  when each was sent (monotonic)
    size_t served_next;
} p2p_peer_t;

//  Requests to the node's services, by what the answer is for
typedef enum {
    PEND_LOCATOR,                       //  our locator, for a headers request to a peer
    PEND_HEADERS,                       //  headers a peer asked for
    PEND_BLOCK,                         //  a block a peer asked for
    PEND_SUBMIT_TXS,                    //  transactions a peer sent
    PEND_SUBMIT_BLOCK,                  //  a block a peer sent
    PEND_MEMPOOL                        //  our mempool, to announce to a new peer
} p2p_pend_kind_t;

typedef struct {
    p2p_pend_kind_t kind;
    uint64_t peer;
    int64_t expires;
    bool download;                      //  SUBMIT_BLOCK: from the download queue
    zc_hash_t hash;                     //  SUBMIT_BLOCK: the block
    zc_hash_t prev;
    uint8_t *raw;                       //  SUBMIT_BLOCK: kept, to wait as an orphan
    size_t raw_size;
} p2p_pend_t;

typedef struct {
    zc_hash_t hash;
    uint64_t peer;                      //  asked from (0: not yet)
    int64_t asked_at;
    uint8_t *raw;                       //  arrived, waiting for its turn
    size_t raw_size;
    uint64_t from;                      //  who delivered it
    uint64_t avoid;                     //  the last peer that did not
} p2p_download_t;

typedef struct {
    zc_hash_t hash;
    zc_hash_t prev;
    uint8_t *raw;
    size_t raw_size;
    uint64_t from;
} p2p_orphan_t;

typedef struct {
    zc_hash_t key;                      //  the table borrows it
    uint8_t *raw;
    size_t size;
} p2p_cached_t;

//  A ban: of a remote IP (not loopback, where every local node shares
//  127.0.0.1), of a connection (its ROUTER identity), or of a node id
typedef enum { BAN_IP, BAN_IDENTITY, BAN_NODE } p2p_ban_kind_t;

typedef struct {
    p2p_ban_kind_t kind;
    uint8_t key [256];
    size_t size;
    uint64_t until_ms;
} p2p_ban_t;

//  An id being fetched: who we asked, who else announced it. A hash names a
//  transaction (its txid, which leaves the signatures out) or a block header,
//  never a body: a peer that delivers a body that fails its own checks (a bad
//  signature, a wrong merkle root) costs the id nothing, and the next
//  announcer is asked (p2p_seen.c)
typedef enum { FETCH_ASK_TX, FETCH_ASK_BLOCK, FETCH_VERDICT, FETCH_LISTS } p2p_fetch_list_t;

typedef struct {
    zc_hash_t hash;                     //  the table's key
    bool block;
    uint64_t from;                      //  asked from, now
    uint64_t tried [FETCH_ALTS + 1];    //  every peer asked so far (a late answer is welcome)
    uint8_t n_tried;
    uint64_t alt [FETCH_ALTS];          //  others that announced it: asked next
    uint8_t n_alt;
    bool delivered;                     //  arrived; the node's verdict is pending
    int64_t deadline;                   //  asked elsewhere (or given up) after
    p2p_fetch_list_t list;
    void *handle;                       //  in its list, in deadline order
} p2p_fetch_t;

//  Ids we have (or have judged): hash -> 1, expired in insertion order
//  after SEEN_EXPIRY_MS; and the ids being fetched
typedef struct {
    zhashx_t *seen;
    zc_hash_t *ring;
    int64_t *time;
    size_t head;
    size_t count;
    zhashx_t *fetch;                    //  hash -> p2p_fetch_t (owned)
    zlistx_t *order [FETCH_LISTS];      //  per timeout, oldest first
} p2p_seen_t;

//  Transactions (and, relay-only, blocks) to serve, in arrival order
typedef struct {
    zhashx_t *table;
    zlistx_t *order;
    size_t bytes;
} p2p_cache_t;

//  Headers-first download and orphans (p2p_sync.c)
typedef struct {
    p2p_download_t download [DOWNLOAD_MAX];
    size_t n_download;
    size_t next_submit;
    bool submitting;
    int64_t moved;                      //  the last block in or taken
    uint64_t source;                    //  the peer the headers came from
    uint64_t turn;
    uint64_t peer;                      //  asked for headers
    int64_t asked;
    int64_t next_report;
    p2p_orphan_t orphan [ORPHANS_MAX];
    size_t n_orphans;
    size_t orphan_bytes;
    int submits;                        //  relayed blocks waiting for storage's answer
} p2p_sync_t;

typedef struct _p2p_msg_t p2p_msg_t;

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
    p2p_peer_t *peer [MAX_PEERS];
    int n_peers;
    uint64_t next_serial;
    uint64_t next_request;
    zhashx_t *pending;                  //  request id (text) -> p2p_pend_t
    //  our tip
    uint32_t height;
    zc_hash_t tip;
    uint8_t work [32];
    p2p_seen_t seen;
    p2p_cache_t cache;
    p2p_sync_t sync;
    p2p_ban_t ban [BANS_MAX];
    size_t n_bans;
    char deny [DENY_MAX] [ADDRBOOK_ADDRESS_MAX];
    size_t n_deny;
    double dial_tokens;                 //  for addresses not yet seen answering
    int64_t dial_at;
    int64_t addr_refresh_at;            //  the next GetAddr below the outbound target
    int64_t next_slow;                  //  the every-SLOW_MS timers
    int64_t next_save;
    //  metrics
    zc_metric_t *m_state [PEER_STATES];
    zc_metric_t **m_in;                 //  by message table index (p2p_msg_index)
    zc_metric_t **m_out;
    zc_metric_t *m_bytes_in;
    zc_metric_t *m_bytes_out;
    zc_metric_t *m_dups;
    zc_metric_t *m_bans;
    zc_metric_t *m_bad [BAD_KINDS];
    zc_metric_t *m_dropped;
    zc_metric_t *m_synced;
    zc_metric_t *m_orphans;
    zc_metric_t *m_download;
    zc_metric_t *m_fetching;
    zc_metric_t *m_refetched;
    zc_metric_t *m_fetch_failed;
    zc_metric_t *m_bad_bodies;
    zc_metric_t *m_addr_refused;
};

// ---------------------------------------------------------------------------
//  p2p_msg.c: the message table

typedef void (p2p_handler_fn) (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);

struct _p2p_msg_t {
    uint32_t type;                      //  ZC__MSG_TYPE__P2P_*
    const char *name;                   //  in logs and metric labels
    const ProtobufCMessageDescriptor *desc;
    size_t max_body;                    //  largest body accepted
    bool after_hello;                   //  only on an established link
    p2p_bad_t bad_body;                 //  what a body that does not decode counts as
    p2p_handler_fn *handler;
};

//  The entry for a type, or NULL for a type the protocol does not have
const p2p_msg_t *
    p2p_msg_find (uint32_t type);

//  Entries in the table (the "other" slot of metrics is this index)
size_t
    p2p_msg_count (void);

//  The index of a type's entry, or p2p_msg_count () for an unknown one
size_t
    p2p_msg_index (uint32_t type);

//  The name of entry i ("other" for p2p_msg_count ())
const char *
    p2p_msg_name (size_t i);

//  One message from a peer: counted, rate-checked, decoded by the table
//  and handed to its handler
void
    p2p_msg_dispatch (p2p_t *self, p2p_peer_t *peer, zc_frames_t *frames);

// ---------------------------------------------------------------------------
//  p2p_peer.c: peers

p2p_peer_t *
    p2p_peer_new (p2p_t *self, bool inbound);
void
    p2p_peer_drop (p2p_t *self, p2p_peer_t *peer, const char *why);
p2p_peer_t *
    p2p_peer_by_serial (p2p_t *self, uint64_t serial);
p2p_peer_t *
    p2p_peer_by_identity (p2p_t *self, const uint8_t *id, size_t size);
p2p_peer_t *
    p2p_peer_by_node (p2p_t *self, const uint8_t *node_id, const p2p_peer_t *except);
const char *
    p2p_peer_name (const p2p_peer_t *peer);
bool
    p2p_peer_live (const p2p_peer_t *peer);
void
    p2p_peer_set_state (p2p_peer_t *peer, p2p_state_t state);
int
    p2p_peer_count_dir (p2p_t *self, bool inbound);
const char *
    p2p_state_name (p2p_state_t state);
const char *
    p2p_bad_name (p2p_bad_t bad);
//  Send a message to a peer; its bytes are counted. 0 or -1 (dropped).
int
    p2p_send (p2p_t *self, p2p_peer_t *peer, uint32_t type, const ProtobufCMessage *body);
void
    p2p_send_reject (p2p_t *self, p2p_peer_t *peer, zc_err_t reason, const char *detail);
//  Count misbehaviour; at BAN_SCORE the peer is banned for a while. False
//  when the peer was dropped.
bool
    p2p_misbehaved (p2p_t *self, p2p_peer_t *peer, p2p_bad_t what, const char *detail);
bool
    p2p_banned (p2p_t *self, p2p_ban_kind_t kind, const void *key, size_t size);
//  Is address denied by the operator (P2P_CONTROL)?
bool
    p2p_denied (p2p_t *self, const char *address);
//  Token bucket per peer; false when over the rate
bool
    p2p_peer_rate_ok (p2p_peer_t *peer, int64_t now);
//  Ids a peer has (a ring of the latest KNOWN_MAX): not announced to it
void
    p2p_known_add (p2p_peer_t *peer, const uint8_t *hash);
bool
    p2p_known (const p2p_peer_t *peer, const uint8_t *hash);
//  Timers: handshakes and silence, suspects, pings
void
    p2p_peer_timers (p2p_t *self, int64_t now);
void
    p2p_pings (p2p_t *self, int64_t now);
//  Ping a peer now unless a ping is outstanding (its pong acknowledges
//  what we sent before it)
void
    p2p_ping (p2p_t *self, p2p_peer_t *peer, int64_t now);
void
    p2p_on_ping (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);
void
    p2p_on_pong (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);
void
    p2p_on_bye (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);

// ---------------------------------------------------------------------------
//  p2p_hello.c: the handshake

void
    p2p_hello_fill (p2p_t *self, Zc__Hello *hello);
void
    p2p_on_hello (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);
void
    p2p_on_hello_ack (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);
void
    p2p_on_reject (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);

// ---------------------------------------------------------------------------
//  p2p_addr.c: addresses

//  Can we dial address? Well formed, over our own transport, and in a
//  range we may dial (a public host; loopback, private and named hosts
//  only when we listen on such a host ourselves, or --allow-private-peers)
bool
    p2p_addr_dialable (p2p_t *self, const char *address);
//  An outbound link ended before its handshake: an address no one has seen
//  answering is forgotten (it had its one try)
void
    p2p_addr_dial_failed (p2p_t *self, const char *address);
//  Addresses a peer could use, up to ADDR_REPLY; returns how many
size_t
    p2p_addr_fill (p2p_t *self, const p2p_peer_t *peer, Zc__PeerAddress *entries,
                   Zc__PeerAddress **ptrs);
//  Take addresses a peer suggested (an Addr, or a full node's Reject)
void
    p2p_addr_take (p2p_t *self, p2p_peer_t *peer, Zc__PeerAddress *const *peers, size_t n);
//  Keep max_outbound links: dial addresses whose backoff has passed
void
    p2p_addr_dial_more (p2p_t *self, int64_t now);
//  Below max_outbound, ask one live peer for addresses every ADDR_REFRESH_MS
void
    p2p_addr_refresh (p2p_t *self, int64_t now);
void
    p2p_on_getaddr (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);
void
    p2p_on_addr (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);

// ---------------------------------------------------------------------------
//  p2p_seen.c: seen and asked ids

int
    p2p_seen_init (p2p_seen_t *seen);
void
    p2p_seen_destroy (p2p_seen_t *seen);
//  Mark hash seen; true when it was new
bool
    p2p_seen_add (p2p_seen_t *seen, const uint8_t *hash);
bool
    p2p_seen_has (p2p_seen_t *seen, const uint8_t *hash);
void
    p2p_seen_expire (p2p_seen_t *seen, int64_t now);
//  The fetch of hash, or NULL
p2p_fetch_t *
    p2p_fetch_find (p2p_seen_t *seen, const uint8_t *hash);
//  Start fetching hash from peer; NULL when FETCH_MAX ids are being fetched
p2p_fetch_t *
    p2p_fetch_start (p2p_seen_t *seen, const uint8_t *hash, bool block, uint64_t peer, int64_t now);
//  Another peer announced it: asked if the first does not deliver
void
    p2p_fetch_alt (p2p_fetch_t *fetch, uint64_t peer);
//  Was peer asked for it?
bool
    p2p_fetch_tried (const p2p_fetch_t *fetch, uint64_t peer);
//  It arrived: wait for the node's verdict
void
    p2p_fetch_delivered (p2p_seen_t *seen, p2p_fetch_t *fetch, int64_t now);
//  Ask the next announcer: its serial (the fetch waits for it), or 0 when
//  there is none left
uint64_t
    p2p_fetch_next (p2p_seen_t *seen, p2p_fetch_t *fetch, int64_t now);
//  Done with it (had, judged, or given up): the entry is freed
void
    p2p_fetch_done (p2p_seen_t *seen, p2p_fetch_t **fetch_p);
//  A fetch whose deadline passed, or NULL
p2p_fetch_t *
    p2p_fetch_expired (p2p_seen_t *seen, int64_t now);
size_t
    p2p_fetch_count (p2p_seen_t *seen);

// ---------------------------------------------------------------------------
//  p2p_relay.c: relay

int
    p2p_cache_init (p2p_cache_t *cache);
void
    p2p_cache_destroy (p2p_cache_t *cache);
void
    p2p_cache_add (p2p_cache_t *cache, const uint8_t *hash, const uint8_t *raw, size_t size);
const p2p_cached_t *
    p2p_cache_find (p2p_cache_t *cache, const uint8_t *hash);
//  Queue an announcement to one peer / to every live peer but except
void
    p2p_inv_queue (p2p_t *self, p2p_peer_t *peer, Zc__InvType type, const uint8_t *hash);
void
    p2p_inv_flush (p2p_t *self, p2p_peer_t *peer);
void
    p2p_announce (p2p_t *self, Zc__InvType type, const uint8_t *hash, uint64_t except);
//  Relay a new block: whole when small, else announced
void
    p2p_relay_block (p2p_t *self, const uint8_t *hash, const uint8_t *raw, size_t size,
                     uint64_t except);
//  --p2p-trace and the observer: the moment we first had a block or transaction
void
    p2p_trace (p2p_t *self, bool block, const uint8_t *hash);
void
    p2p_observe (p2p_t *self, p2p_event_t event, int64_t value);
//  Fetches past their deadline: asked of the next announcer, or given up
void
    p2p_relay_tick (p2p_t *self, int64_t now);
//  The mempool's verdict on a transaction a peer delivered
void
    p2p_relay_verdict (p2p_t *self, const uint8_t *txid, zc_err_t reason);
void
    p2p_on_inv (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);
void
    p2p_on_getdata (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);
//  Serve what a peer asked for while its budget lasts
void
    p2p_serve (p2p_t *self, p2p_peer_t *peer);
//  A block storage read for a peer is back (raw NULL: storage lacks it)
void
    p2p_serve_block (p2p_t *self, p2p_peer_t *peer, const zc_hash_t *hash, const uint8_t *raw,
                     size_t size);
void
    p2p_on_txdata (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);
void
    p2p_on_blockdata (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);

// ---------------------------------------------------------------------------
//  p2p_sync.c: headers-first sync and orphans

//  Ask a peer for headers after our locator
void
    p2p_sync_start (p2p_t *self, p2p_peer_t *peer);
void
    p2p_sync_clear (p2p_t *self);
//  Hand a block to storage (from is the peer it came from)
void
    p2p_sync_submit (p2p_t *self, const uint8_t *raw, size_t size, uint64_t from, bool download,
                     bool keep_raw);
//  The download's entry for hash (not yet submitted), or NULL
p2p_download_t *
    p2p_sync_find (p2p_t *self, const zc_hash_t *hash);
//  A block of the download arrived whole and sound: it waits for its turn
void
    p2p_sync_arrived (p2p_t *self, p2p_peer_t *peer, p2p_download_t *d, const uint8_t *raw,
                      size_t size);
//  A block of the download arrived with a body that fails its own checks:
//  asked of another peer
void
    p2p_sync_refused (p2p_t *self, p2p_peer_t *peer, p2p_download_t *d);
//  Storage answered a downloaded block
void
    p2p_sync_done (p2p_t *self, zc_err_t reason);
//  A peer is gone: its downloads go back to the queue
void
    p2p_sync_peer_gone (p2p_t *self, const p2p_peer_t *peer);
void
    p2p_sync_tick (p2p_t *self, int64_t now);
//  Our locator came back from storage: ask peer for headers after it
void
    p2p_sync_on_locator (p2p_t *self, p2p_peer_t *peer, const zc_env_t *env);
void
    p2p_orphan_add (p2p_t *self, p2p_pend_t *pend);
//  A block is in: submit the orphans that build on it
void
    p2p_orphans_of (p2p_t *self, const zc_hash_t *parent);
void
    p2p_on_headers (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);
void
    p2p_on_get_headers (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);
void
    p2p_on_notfound (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body);

// ---------------------------------------------------------------------------
//  p2p_backend.c: requests to storage and the mempool

p2p_pend_t *
    p2p_pend_new (p2p_pend_kind_t kind, uint64_t peer);
void
    p2p_pend_free (void **item_p);
//  Send a request; the pending entry is the module's now (freed on failure).
//  0, or -1 when it could not be sent (no backend, too many in flight).
int
    p2p_request (p2p_t *self, zsock_t *backend, uint32_t type, const ProtobufCMessage *body,
                 p2p_pend_t *pend);
void
    p2p_backend_on_reply (p2p_t *self, zsock_t *backend);
void
    p2p_backend_expire (p2p_t *self, int64_t now);

#endif
