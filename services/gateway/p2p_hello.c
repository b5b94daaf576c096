/*  p2p_hello.c - the handshake: Hello from the dialler, HelloAck or Reject
 *  from the dialled; the checks both sides make, and what follows
 */
#include "p2p_int.h"
#include "zc_hex.h"
#include "zc_log.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"

#include <string.h>

void
p2p_hello_fill (p2p_t *self, Zc__Hello *hello)
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

//  Check a Hello; ZC_OK or the reason, with detail
static zc_err_t
s_check (p2p_t *self, const Zc__Hello *hello, const p2p_peer_t *peer, const char **detail)
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
    static const uint8_t none [NODE_ID_SIZE] = { 0 };
    if (hello->node_id.len != NODE_ID_SIZE || hello->chain_work.len != 32
    ||  memcmp (hello->node_id.data, none, NODE_ID_SIZE) == 0) {
        *detail = "node id or chain work malformed";
        return ZC_ERR_MALFORMED;
    }
    if (memcmp (hello->node_id.data, self->node_id, NODE_ID_SIZE) == 0) {
        *detail = "connected to itself";
        return ZC_ERR_DUPLICATE;
    }
    if (p2p_peer_by_node (self, hello->node_id.data, peer)) {
        *detail = "already connected";
        return ZC_ERR_DUPLICATE;
    }
    if (p2p_banned (self, BAN_NODE, hello->node_id.data, NODE_ID_SIZE)) {
        *detail = "banned for misbehaviour";
        return ZC_ERR_BAD_REQUEST;
    }
    if (hello->listen && *hello->listen && p2p_denied (self, hello->listen)) {
        *detail = "denied by the operator";
        return ZC_ERR_BAD_REQUEST;
    }
    return ZC_OK;
}

static void
s_established (p2p_t *self, p2p_peer_t *peer, const Zc__Hello *hello)
{
    memcpy (peer->node_id, hello->node_id.data, NODE_ID_SIZE);
    peer->has_id = true;
    peer->height = hello->height;
    memcpy (peer->work, hello->chain_work.data, 32);
    peer->connected_ms = (uint64_t) zc_now_ms ();
    //  the address an inbound peer says it listens on is a claim, not a
    //  fact: kept as a candidate (dialled once, at a bounded rate, if in our
    //  ranges), good only once we dialled it and it answered
    if (peer->inbound && hello->listen && p2p_addr_dialable (self, hello->listen)) {
        snprintf (peer->address, sizeof peer->address, "%s", hello->listen);
        addrbook_add (self->book, peer->address, false);
    }
    else
    if (peer->inbound && hello->listen && *hello->listen)
        zc_metric_inc (self->m_addr_refused, 1);
    if (!peer->inbound && peer->address [0]) {
        addrbook_entry_t *entry = addrbook_add (self->book, peer->address, false);
        if (entry)
            addrbook_good (self->book, entry, zc_mono_ms ());
    }
    p2p_peer_set_state (peer, PEER_ESTABLISHED);
    p2p_observe (self, P2P_PEERS, p2p_peer_count (self));
    char id [2 * NODE_ID_SIZE + 1];
    zc_hex_encode (peer->node_id, NODE_ID_SIZE, id);
    zc_info ("peer %s %s established: node %s, height %u", p2p_peer_name (peer),
             peer->inbound ? "(in)" : "(out)", id, peer->height);
    //  ask for addresses, offer our mempool
    Zc__GetAddr get = ZC__GET_ADDR__INIT;
    p2p_send (self, peer, ZC__MSG_TYPE__P2P_GET_ADDR, &get.base);
    Zc__GetMempool req = ZC__GET_MEMPOOL__INIT;
    req.max_entries = 50000;
    p2p_pend_t *pend = p2p_pend_new (PEND_MEMPOOL, peer->serial);
    if (pend)
        p2p_request (self, self->mempool, ZC__MSG_TYPE__GET_MEMPOOL, &req.base, pend);
}

//  Refused: tell the peer why (a full node suggests where else to go) and drop it
static void
s_refuse (p2p_t *self, p2p_peer_t *peer, const Zc__Hello *hello, bool ack, zc_err_t rc,
          const char *detail)
{
    zc_info ("peer %s refused: %s", p2p_peer_name (peer), detail);
    if (!ack && rc == ZC_ERR_BUSY) {
        //  a newcomer has free slots: tell those who come after it
        if (hello->listen && p2p_addr_dialable (self, hello->listen))
            addrbook_add (self->book, hello->listen, false);
        //  full: still tell the newcomer where else to go, or a
        //  bootstrap node with all its slots taken would strand it
        Zc__PeerAddress entries [ADDR_REPLY], *ptrs [ADDR_REPLY];
        Zc__Reject msg = ZC__REJECT__INIT;
        msg.reason = (int32_t) rc;
        msg.detail = (char *) detail;
        msg.n_peers = p2p_addr_fill (self, peer, entries, ptrs);
        msg.peers = ptrs;
        p2p_send (self, peer, ZC__MSG_TYPE__P2P_REJECT, &msg.base);
    }
    else
    if (!ack)
        p2p_send_reject (self, peer, rc, detail);
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
    p2p_peer_drop (self, peer, detail);
}

//  A Hello (ack false: from a peer that dialled us) or the Hello in a
//  HelloAck (ack true: the answer to ours)
static void
s_on_hello (p2p_t *self, p2p_peer_t *peer, const Zc__Hello *hello, bool ack)
{
    const char *detail = NULL;
    zc_err_t rc = s_check (self, hello, peer, &detail);
    if (!ack && rc == ZC_OK && p2p_peer_count_dir (self, true) > self->cfg.max_inbound) {
        rc = ZC_ERR_BUSY;
        detail = "too many inbound peers";
    }
    //  both sides dialling each other: the link the smaller node id dialled stays
    p2p_peer_t *dialling = NULL;
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
            p2p_peer_drop (self, dialling, "we are dialling each other; theirs stays");
    }
    if (rc != ZC_OK) {
        s_refuse (self, peer, hello, ack, rc, detail);
        return;
    }
    if (!ack) {
        Zc__Hello mine = ZC__HELLO__INIT;
        p2p_hello_fill (self, &mine);
        Zc__HelloAck reply = ZC__HELLO_ACK__INIT;
        reply.hello = &mine;
        p2p_send (self, peer, ZC__MSG_TYPE__P2P_HELLO_ACK, &reply.base);
    }
    s_established (self, peer, hello);
}

void
p2p_on_hello (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    if (peer->inbound && peer->state == PEER_HANDSHAKING)
        s_on_hello (self, peer, (const Zc__Hello *) body, false);
    else
        p2p_misbehaved (self, peer, BAD_PROTOCOL, "a second hello");
}

void
p2p_on_hello_ack (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__HelloAck *ack = (const Zc__HelloAck *) body;
    if (!peer->inbound && peer->state == PEER_CONNECTING && ack->hello)
        s_on_hello (self, peer, ack->hello, true);
    else
        p2p_misbehaved (self, peer, BAD_PROTOCOL, "an unexpected hello ack");
}

void
p2p_on_reject (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__Reject *reject = (const Zc__Reject *) body;
    zc_warn ("peer %s refused us: %s (%s)", p2p_peer_name (peer),
             zc_err_name ((zc_err_t) reject->reason), reject->detail ? reject->detail : "");
    if (!peer->inbound) {
        addrbook_entry_t *entry = addrbook_find (self->book, peer->address);
        if (entry)
            addrbook_failed (self->book, entry, zc_mono_ms (), MAX_BACKOFF_MS);
        //  a full node's suggestions, taken like an Addr
        if (reject->n_peers)
            p2p_addr_take (self, peer, reject->peers, reject->n_peers);
    }
    p2p_peer_drop (self, peer, "refused");
}
