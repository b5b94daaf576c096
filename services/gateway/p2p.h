/*  p2p.h - the gateway's peer-to-peer side: peers, relay, sync, defence
 *
 *  Binds a ROUTER for inbound peers and opens a DEALER to each outbound
 *  peer; every message is one envelope (P2P_* types, protobuf bodies of
 *  p2p.proto). A link starts with Hello / HelloAck (protocol, genesis,
 *  node id, height and work, listen address); each peer then lives in an
 *  explicit state (connecting, handshaking, established, suspect,
 *  disconnected, banned) driven by ping/pong. Transactions and blocks are
 *  announced by id (Inv, batched) and fetched by who lacks them (GetData);
 *  a late or partitioned node catches up headers-first from a block
 *  locator, downloading blocks from several peers and submitting them in
 *  order. Misbehaviour adds to a peer's score; at 100 it is banned for a
 *  while. The module runs inside the gateway actor's poll loop and has its
 *  own DEALERs to storage and the mempool.
 *
 *  Relay-only (for measuring propagation over many nodes on one machine): no
 *  storage or mempool; a block or transaction is checked on its own only
 *  (zc_check_block, zc_check_loose_tx), kept in a bounded cache to answer GetData,
 *  and announced on at once. It never syncs and claims no chain of its own.
 *  Trace: one log line "trace block|tx HASH MICROSECONDS" (monotonic clock,
 *  comparable between the processes of one machine) when we first had it.
 *
 *  Nodes of one process: a node bound to inproc://NAME dials and accepts
 *  only inproc:// addresses (and a tcp:// node only tcp:// ones), so many
 *  relay-only gateways can run as threads of one process with no kernel
 *  between them (zchain propagate).
 */
#ifndef P2P_H_INCLUDED
#define P2P_H_INCLUDED

#include "zc_auth.h"
#include "zc_config.h"
#include "zc_metrics.h"
#include "zc_params.h"
#include "events.pb-c.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define P2P_PROTOCOL 1

//  What a host that runs many nodes in one process (zchain propagate) can
//  observe of each; called on the node's own thread, so keep it short
typedef enum {
    P2P_SEEN_BLOCK,                     //  first had a block (value: monotonic us)
    P2P_SEEN_TX,                        //  first had a transaction (value: monotonic us)
    P2P_MESSAGE,                        //  a message from a peer (value: its bytes)
    P2P_DUPLICATE,                      //  an announcement of what we had (value: 1)
    P2P_PEERS                           //  established peers changed (value: how many)
} p2p_event_t;

typedef void (p2p_observe_fn) (void *arg, p2p_event_t event, const uint8_t *hash, int64_t value);

typedef struct {
    const char *bind;                   //  tcp://HOST:PORT, or "" for no p2p
    const char *advertise;              //  the address peers dial (default: bind)
    zc_strlist_t bootstrap;             //  addresses to ask for peers
    const char *peers_file;             //  known peers and our node id ("" none)
    int64_t max_inbound;
    int64_t max_outbound;
    int64_t ping_interval_ms;
    int64_t ping_timeout_ms;
    int64_t ban_seconds;
    bool curve;                         //  encrypt every link (CURVE); keys in peers_file.cert
    bool relay_only;                    //  no storage or mempool behind us (see below)
    bool trace;                         //  log when we first had each block and transaction
    bool allow_private;                 //  dial private, loopback and named hosts that peers name
    const char *storage_api;
    const char *mempool_api;
    const zc_keys_t *keys;              //  the gateway's, for storage and the mempool (borrowed)
    p2p_observe_fn *observe;            //  NULL, or called with observe_arg
    void *observe_arg;
} p2p_cfg_t;

typedef struct _p2p_t p2p_t;

//  Start: binds, loads the known peers, adds its sockets to poller. NULL
//  with a one-line reason in err.
p2p_t *
    p2p_new (const p2p_cfg_t *cfg, const zc_params_t *params, zpoller_t *poller,
             zc_metrics_t *metrics, char *err, size_t err_size);

void
    p2p_destroy (p2p_t **self_p);

//  Handle input on which when it is one of ours; false otherwise.
bool
    p2p_on_socket (p2p_t *self, void *which);

//  Timers: handshakes, pings, reconnects, batched announcements,
//  downloads. Call after every poll; returns the ms until it wants to run
//  again.
int64_t
    p2p_tick (p2p_t *self);

//  Our best chain changed (storage's chain events, or the first status).
void
    p2p_on_tip (p2p_t *self, uint32_t height, const uint8_t hash [32], const uint8_t work [32]);

//  A chain event from storage (connected blocks are announced to peers).
void
    p2p_on_chain (p2p_t *self, const Zc__ChainEvent *event);

//  Transactions the mempool accepted (announced to peers).
void
    p2p_on_tx (p2p_t *self, const Zc__TxEvent *event);

//  Answer a client's GET_PEERS on sock (a ROUTER) to identity.
void
    p2p_peers_reply (p2p_t *self, void *sock, const void *identity, size_t identity_size,
                     uint64_t request_id);

//  Fault injection for tests and drills: drop and refuse every peer whose
//  address is in deny (an empty list allows all again).
void
    p2p_deny (p2p_t *self, const char *const *deny, size_t n);

//  Relay-only: a block (block true) or a transaction we made ourselves, in
//  its wire form: kept to serve and announced to every peer. -1 when the
//  node is not relay-only or raw does not decode.
int
    p2p_offer (p2p_t *self, bool block, const uint8_t *raw, size_t size);

//  Established peers
uint32_t
    p2p_peer_count (p2p_t *self);

#endif
