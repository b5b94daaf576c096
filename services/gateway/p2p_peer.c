/*  p2p_peer.c - peers: their life and state, what we send them, their
 *  misbehaviour and bans, and the timers that watch them
 */
#include "p2p_int.h"
#include "zc_log.h"
#include "zc_time.h"
#include "envelope.pb-c.h"

#include <stdlib.h>
#include <string.h>

static const char *s_state_names [PEER_STATES] = {
    "connecting", "handshaking", "established", "suspect", "disconnected", "banned"
};

static const char *s_bad_names [BAD_KINDS] = {
    "malformed", "protocol", "invalid_block", "invalid_tx", "unsolicited", "flooding",
    "over_asking"
};
static const int s_bad_score [BAD_KINDS] = { 20, 10, 100, 10, 5, 20, 20 };

const char *
p2p_state_name (p2p_state_t state)
{
    return s_state_names [state];
}

const char *
p2p_bad_name (p2p_bad_t bad)
{
    return s_bad_names [bad];
}

const char *
p2p_peer_name (const p2p_peer_t *peer)
{
    return peer->address [0] ? peer->address : peer->ip [0] ? peer->ip : "?";
}

bool
p2p_peer_live (const p2p_peer_t *peer)
{
    return peer->state == PEER_ESTABLISHED || peer->state == PEER_SUSPECT;
}

p2p_peer_t *
p2p_peer_by_serial (p2p_t *self, uint64_t serial)
{
    for (int i = 0; i < self->n_peers; i++)
        if (self->peer [i]->serial == serial)
            return self->peer [i];
    return NULL;
}

p2p_peer_t *
p2p_peer_by_identity (p2p_t *self, const uint8_t *id, size_t size)
{
    for (int i = 0; i < self->n_peers; i++) {
        p2p_peer_t *p = self->peer [i];
        if (p->inbound && p->identity_size == size && memcmp (p->identity, id, size) == 0)
            return p;
    }
    return NULL;
}

p2p_peer_t *
p2p_peer_by_node (p2p_t *self, const uint8_t *node_id, const p2p_peer_t *except)
{
    for (int i = 0; i < self->n_peers; i++) {
        p2p_peer_t *p = self->peer [i];
        if (p != except && p->has_id && p2p_peer_live (p)
        &&  memcmp (p->node_id, node_id, NODE_ID_SIZE) == 0)
            return p;
    }
    return NULL;
}

int
p2p_peer_count_dir (p2p_t *self, bool inbound)
{
    int n = 0;
    for (int i = 0; i < self->n_peers; i++)
        if (self->peer [i]->inbound == inbound)
            n++;
    return n;
}

p2p_peer_t *
p2p_peer_new (p2p_t *self, bool inbound)
{
    if (self->n_peers == MAX_PEERS)
        return NULL;
    p2p_peer_t *peer = calloc (1, sizeof *peer);
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

void
p2p_peer_set_state (p2p_peer_t *peer, p2p_state_t state)
{
    if (peer->state != state) {
        peer->state = state;
        peer->since = zc_mono_ms ();
    }
}

void
p2p_peer_drop (p2p_t *self, p2p_peer_t *peer, const char *why)
{
    zc_info ("peer %s %s: %s", p2p_peer_name (peer), peer->inbound ? "(in)" : "(out)", why);
    if (!peer->inbound && !peer->has_id && peer->address [0])
        p2p_addr_dial_failed (self, peer->address);
    p2p_sync_peer_gone (self, peer);
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
    p2p_observe (self, P2P_PEERS, p2p_peer_count (self));
}

int
p2p_send (p2p_t *self, p2p_peer_t *peer, uint32_t type, const ProtobufCMessage *body)
{
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = type };
    int rc = peer->inbound
           ? zc_zmq_send (self->router, peer->identity, peer->identity_size, &header, body, ZMQ_DONTWAIT)
           : zc_zmq_send (peer->dealer, NULL, 0, &header, body, ZMQ_DONTWAIT);
    if (rc == 0) {
        size_t size = (body ? protobuf_c_message_get_packed_size (body) : 0) + 8;
        peer->bytes_out += size;
        zc_metric_inc (self->m_bytes_out, (double) size);
        zc_metric_inc (self->m_out [p2p_msg_index (type)], 1);
    }
    else
        zc_metric_inc (self->m_dropped, 1);
    return rc;
}

void
p2p_send_reject (p2p_t *self, p2p_peer_t *peer, zc_err_t reason, const char *detail)
{
    Zc__Reject msg = ZC__REJECT__INIT;
    msg.reason = (int32_t) reason;
    msg.detail = (char *) detail;
    p2p_send (self, peer, ZC__MSG_TYPE__P2P_REJECT, &msg.base);
}

// ---------------------------------------------------------------------------
//  bans and the operator's denials

bool
p2p_banned (p2p_t *self, p2p_ban_kind_t kind, const void *key, size_t size)
{
    uint64_t now = (uint64_t) zc_now_ms ();
    for (size_t i = 0; i < self->n_bans; i++) {
        p2p_ban_t *b = &self->ban [i];
        if (b->kind == kind && b->size == size && b->until_ms > now && memcmp (b->key, key, size) == 0)
            return true;
    }
    return false;
}

static void
s_ban_add (p2p_t *self, p2p_ban_kind_t kind, const void *key, size_t size, uint64_t until)
{
    if (size > sizeof self->ban [0].key)
        return;
    //  an expired slot, else a new one, else the one that ends first
    uint64_t now = (uint64_t) zc_now_ms ();
    p2p_ban_t *slot = NULL;
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

bool
p2p_misbehaved (p2p_t *self, p2p_peer_t *peer, p2p_bad_t what, const char *detail)
{
    zc_metric_inc (self->m_bad [what], 1);
    peer->score += s_bad_score [what];
    zc_warn ("peer %s: %s (%s), score %d", p2p_peer_name (peer), s_bad_names [what],
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
    p2p_peer_set_state (peer, PEER_BANNED);
    p2p_send_reject (self, peer, ZC_ERR_BAD_REQUEST, "banned for misbehaviour");
    p2p_peer_drop (self, peer, "banned");
    return false;
}

bool
p2p_denied (p2p_t *self, const char *address)
{
    for (size_t i = 0; i < self->n_deny; i++)
        if (strcmp (self->deny [i], address) == 0)
            return true;
    return false;
}

bool
p2p_peer_rate_ok (p2p_peer_t *peer, int64_t now)
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

// ---------------------------------------------------------------------------
//  what a peer has, so we do not announce it back: the ids it announced or
//  sent, and those we announced to it. A ring of the latest KNOWN_MAX; a
//  forgotten id costs at worst one needless announcement.

static uint64_t
s_known_key (const uint8_t *hash)
{
    uint64_t key;
    memcpy (&key, hash, sizeof key);
    return key;
}

void
p2p_known_add (p2p_peer_t *peer, const uint8_t *hash)
{
    peer->known [peer->known_next++ % KNOWN_MAX] = s_known_key (hash);
}

bool
p2p_known (const p2p_peer_t *peer, const uint8_t *hash)
{
    uint64_t key = s_known_key (hash);
    size_t n = peer->known_next < KNOWN_MAX ? peer->known_next : KNOWN_MAX;
    for (size_t i = 0; i < n; i++)
        if (peer->known [i] == key)
            return true;
    return false;
}

// ---------------------------------------------------------------------------
//  timers and heartbeats

void
p2p_peer_timers (p2p_t *self, int64_t now)
{
    for (int i = 0; i < self->n_peers; ) {
        p2p_peer_t *peer = self->peer [i];
        int64_t quiet = now - peer->last_recv;
        const char *drop = NULL;
        if (peer->address [0] && p2p_denied (self, peer->address))
            drop = "denied by the operator";
        else
        if ((peer->state == PEER_CONNECTING || peer->state == PEER_HANDSHAKING)
        &&  quiet > self->cfg.ping_timeout_ms)
            drop = "no handshake in time";
        else
        if (p2p_peer_live (peer) && quiet > self->cfg.ping_timeout_ms)
            drop = "silent past the ping timeout";
        else
        if (p2p_peer_live (peer) && peer->ping_sent && now - peer->ping_sent > self->cfg.ping_timeout_ms)
            drop = "no answer to a ping in time (not reading us?)";
        if (drop) {
            if (!peer->inbound && p2p_peer_live (peer)) {
                addrbook_entry_t *entry = addrbook_find (self->book, peer->address);
                if (entry)
                    addrbook_failed (self->book, entry, now, MAX_BACKOFF_MS);
            }
            p2p_peer_set_state (peer, PEER_DISCONNECTED);
            if (peer->inbound) {
                Zc__Reject bye = ZC__REJECT__INIT;
                bye.detail = (char *) drop;
                p2p_send (self, peer, ZC__MSG_TYPE__P2P_BYE, &bye.base);
            }
            p2p_peer_drop (self, peer, drop);
            continue;                   //  the slot holds another peer now
        }
        //  a ping unanswered for an interval: suspect until anything arrives
        if (peer->state == PEER_ESTABLISHED && peer->ping_sent
        &&  now - peer->ping_sent > self->cfg.ping_interval_ms)
            p2p_peer_set_state (peer, PEER_SUSPECT);
        i++;
    }
}

void
p2p_ping (p2p_t *self, p2p_peer_t *peer, int64_t now)
{
    if (!p2p_peer_live (peer) || peer->ping_sent)
        return;
    Zc__Ping ping = ZC__PING__INIT;
    ping.nonce = peer->ping_nonce = ((uint64_t) random () << 32) ^ (uint64_t) random ();
    ping.height = self->height;
    if (p2p_send (self, peer, ZC__MSG_TYPE__P2P_PING, &ping.base) == 0) {
        peer->ping_sent = peer->last_ping = now;
        peer->ping_mark = peer->bytes_out;
    }
}

void
p2p_pings (p2p_t *self, int64_t now)
{
    for (int i = 0; i < self->n_peers; i++)
        if (now - self->peer [i]->last_ping >= self->cfg.ping_interval_ms)
            p2p_ping (self, self->peer [i], now);
}

void
p2p_on_ping (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__Ping *ping = (const Zc__Ping *) body;
    if (ping->height > peer->height)
        peer->height = ping->height;
    Zc__Pong pong = ZC__PONG__INIT;
    pong.nonce = ping->nonce;
    pong.height = self->height;
    p2p_send (self, peer, ZC__MSG_TYPE__P2P_PONG, &pong.base);
    //  a block or two ahead: its announcement is on the way
    if (ping->height > self->height + 2)
        p2p_sync_start (self, peer);
}

void
p2p_on_pong (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__Pong *pong = (const Zc__Pong *) body;
    bool answer = pong->nonce == peer->ping_nonce && peer->ping_sent;
    if (answer) {
        peer->latency_ms = (uint32_t) (zc_mono_ms () - peer->ping_sent);
        peer->ping_sent = 0;
        peer->acked = peer->ping_mark;  //  it read everything we sent before the ping
    }
    peer->height = pong->height;
    if (pong->height > self->height + 2)
        p2p_sync_start (self, peer);
    if (answer)
        p2p_serve (self, peer);
}

void
p2p_on_bye (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    (void) body;
    p2p_peer_drop (self, peer, "said goodbye");
}
