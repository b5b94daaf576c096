/*  p2p.c - the p2p module's life cycle, its sockets and timers, and its
 *  public api (p2p.h); the parts are in p2p_*.c (see p2p_int.h)
 */
#include "p2p_int.h"
#include "zc_block.h"
#include "zc_hex.h"
#include "zc_key.h"
#include "zc_log.h"
#include "zc_time.h"
#include "zc_tx.h"
#include "envelope.pb-c.h"
#include "gateway.pb-c.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// ---------------------------------------------------------------------------
//  sockets

static void
s_on_router (p2p_t *self)
{
    zc_frames_t frames;
    if (zc_frames_recv (self->router, &frames, ZMQ_DONTWAIT))
        return;
    if (frames.count != 2 || zc_frame_size (&frames, 0) > sizeof ((p2p_peer_t *) 0)->identity) {
        zc_metric_inc (self->m_bad [BAD_MALFORMED], 1);
        zc_frames_close (&frames);
        return;
    }
    const uint8_t *id = zc_frame_data (&frames, 0);
    size_t id_size = zc_frame_size (&frames, 0);
    const char *ip = zmq_msg_gets (&frames.frame [1], "Peer-Address");
    if ((ip && p2p_banned (self, BAN_IP, ip, strlen (ip))) || p2p_banned (self, BAN_IDENTITY, id, id_size)) {
        zc_metric_inc (self->m_dropped, 1);
        zc_frames_close (&frames);
        return;
    }
    p2p_peer_t *peer = p2p_peer_by_identity (self, id, id_size);
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
        if (p2p_peer_count_dir (self, true) >= self->cfg.max_inbound + 8) {
            zc_metric_inc (self->m_dropped, 1);     //  handshakes beyond the limit: ignored
            zc_frames_close (&frames);
            return;
        }
        peer = p2p_peer_new (self, true);
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
    p2p_msg_dispatch (self, peer, &frames);
    zc_frames_close (&frames);
}

static void
s_on_dealer (p2p_t *self, p2p_peer_t *peer)
{
    //  at most 64 messages a turn: one peer cannot starve the others
    for (int i = 0; i < 64 && (zsock_events (peer->dealer) & ZMQ_POLLIN); i++) {
        zc_frames_t frames;
        if (zc_frames_recv (peer->dealer, &frames, ZMQ_DONTWAIT))
            return;
        uint64_t serial = peer->serial;
        if (frames.count == 1)
            p2p_msg_dispatch (self, peer, &frames);
        else
            zc_metric_inc (self->m_bad [BAD_MALFORMED], 1);
        zc_frames_close (&frames);
        if (!p2p_peer_by_serial (self, serial))
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
            p2p_backend_on_reply (self, which);
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
        p2p_peer_t *peer = self->peer [i];
        if (peer->n_inv && now - peer->inv_since >= INV_LINGER_MS)
            p2p_inv_flush (self, peer);
        else
        if (peer->n_inv && INV_LINGER_MS - (now - peer->inv_since) < wake)
            wake = INV_LINGER_MS - (now - peer->inv_since);
    }
    p2p_relay_tick (self, now);
    if (now >= self->next_slow) {
        self->next_slow = now + SLOW_MS;
        p2p_peer_timers (self, now);
        p2p_pings (self, now);
        p2p_addr_refresh (self, now);
        p2p_addr_dial_more (self, now);
        p2p_backend_expire (self, now);
        p2p_seen_expire (&self->seen, now);
        p2p_sync_tick (self, now);
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
        p2p_seen_add (&self->seen, hash.b);
        p2p_trace (self, true, hash.b);
        //  announce the new tip (not every block of a long catch-up)
        if (!self->sync.n_download)
            p2p_relay_block (self, hash.b, event->raw.len ? event->raw.data : NULL, event->raw.len, 0);
        p2p_orphans_of (self, &hash);
    }
}

void
p2p_on_tx (p2p_t *self, const Zc__TxEvent *event)
{
    if (!self || event->type != ZC__TX_EVENT_TYPE__ACCEPTED || event->txid.len != 32)
        return;
    p2p_seen_add (&self->seen, event->txid.data);
    p2p_trace (self, false, event->txid.data);
    if (event->raw.len)
        p2p_cache_add (&self->cache, event->txid.data, event->raw.data, event->raw.len);
    p2p_announce (self, ZC__INV_TYPE__INV_TX, event->txid.data, 0);
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
    p2p_seen_add (&self->seen, id.b);
    p2p_trace (self, block, id.b);
    p2p_cache_add (&self->cache, id.b, raw, size);
    if (block)
        p2p_relay_block (self, id.b, raw, size, 0);
    else
        p2p_announce (self, ZC__INV_TYPE__INV_TX, id.b, 0);
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
            p2p_peer_t *peer = self->peer [i];
            zc__peer_info__init (&info [i]);
            if (peer->has_id)
                zc_hex_encode (peer->node_id, NODE_ID_SIZE, ids [i]);
            info [i].node_id = ids [i];
            info [i].address = (char *) p2p_peer_name (peer);
            info [i].state = (char *) p2p_state_name (peer->state);
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
    for (size_t i = 0; i < n && self->n_deny < DENY_MAX; i++)
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
        if (p2p_peer_live (self->peer [i]))
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

static int
s_metrics_init (p2p_t *self, zc_metrics_t *m)
{
    for (int s = 0; s < PEER_STATES; s++)
        self->m_state [s] = zc_metrics_gauge (m, "zchain_p2p_peers", "peers by state", "state",
                                              p2p_state_name ((p2p_state_t) s));
    //  one series per message type of the table, and one for any other
    size_t types = p2p_msg_count () + 1;
    self->m_in = calloc (types, sizeof *self->m_in);
    self->m_out = calloc (types, sizeof *self->m_out);
    if (!self->m_in || !self->m_out)
        return -1;
    for (size_t t = 0; t < types; t++) {
        self->m_in [t] = zc_metrics_counter (m, "zchain_p2p_messages_received_total",
                                             "p2p messages received, by type", "type", p2p_msg_name (t));
        self->m_out [t] = zc_metrics_counter (m, "zchain_p2p_messages_sent_total",
                                              "p2p messages sent, by type", "type", p2p_msg_name (t));
    }
    self->m_bytes_in = zc_metrics_counter (m, "zchain_p2p_received_bytes_total", "p2p bytes received", NULL, NULL);
    self->m_bytes_out = zc_metrics_counter (m, "zchain_p2p_sent_bytes_total", "p2p bytes sent", NULL, NULL);
    self->m_dups = zc_metrics_counter (m, "zchain_p2p_duplicates_total",
                                       "announcements of ids already seen (not fetched again)", NULL, NULL);
    self->m_bans = zc_metrics_counter (m, "zchain_p2p_bans_total", "peers banned", NULL, NULL);
    for (int b = 0; b < BAD_KINDS; b++)
        self->m_bad [b] = zc_metrics_counter (m, "zchain_p2p_misbehaviour_total",
                                              "misbehaviour by peers, by kind", "kind",
                                              p2p_bad_name ((p2p_bad_t) b));
    self->m_dropped = zc_metrics_counter (m, "zchain_p2p_dropped_total",
                                          "p2p messages dropped (banned address, limits, full queues)", NULL, NULL);
    self->m_synced = zc_metrics_counter (m, "zchain_p2p_blocks_downloaded_total",
                                         "blocks taken by headers-first sync", NULL, NULL);
    self->m_orphans = zc_metrics_gauge (m, "zchain_p2p_orphans", "blocks waiting for their parent", NULL, NULL);
    self->m_download = zc_metrics_gauge (m, "zchain_p2p_download_queue",
                                         "blocks of a headers-first download not yet taken", NULL, NULL);
    self->m_fetching = zc_metrics_gauge (m, "zchain_p2p_fetching",
                                         "transactions and blocks asked of peers, not delivered yet", NULL, NULL);
    self->m_refetched = zc_metrics_counter (m, "zchain_p2p_refetched_total",
                                            "ids asked of another announcer (the first did not deliver, or delivered a bad body)",
                                            NULL, NULL);
    self->m_fetch_failed = zc_metrics_counter (m, "zchain_p2p_fetch_failed_total",
                                               "ids given up: no announcer delivered a sound body", NULL, NULL);
    self->m_addr_refused = zc_metrics_counter (m, "zchain_p2p_addresses_refused_total",
                                               "addresses peers announced that we will not dial (outside our ranges)",
                                               NULL, NULL);
    self->m_bad_bodies = zc_metrics_counter (m, "zchain_p2p_bad_bodies_total",
                                             "blocks whose body failed its own header's checks (sender banned, hash not marked)",
                                             NULL, NULL);
    return 0;
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
    int rc = p2p_seen_init (&self->seen);
    if (p2p_cache_init (&self->cache))
        rc = -1;
    self->pending = zhashx_new ();
    self->book = addrbook_new (cfg->peers_file);
    if (rc || !self->pending || !self->book || s_metrics_init (self, metrics)) {
        snprintf (err, err_size, "out of memory");
        p2p_destroy (&self);
        return NULL;
    }
    self->next_request = (uint64_t) zc_now_ms () << 16;
    self->dial_tokens = NEW_DIAL_BURST;
    self->dial_at = zc_mono_ms ();
    self->addr_refresh_at = self->dial_at + ADDR_REFRESH_MS;
    s_node_id (self);
    //  random () picks addresses, jitters backoffs: every process its own sequence
    unsigned seed = 0;
    zc_random_bytes (&seed, sizeof seed);
    srandom (seed);
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
    zc_hex_encode (self->node_id, NODE_ID_SIZE, id);
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
    if (self->cfg.trace && self->m_in) {
        double in = 0;
        for (size_t i = 0; i <= p2p_msg_count (); i++)
            in += self->m_in [i] ? self->m_in [i]->value : 0;
        zc_info ("trace totals messages_in %.0f duplicates %.0f peers %u bytes_in %.0f bytes_out %.0f",
                 in, self->m_dups ? self->m_dups->value : 0, p2p_peer_count (self),
                 self->m_bytes_in ? self->m_bytes_in->value : 0,
                 self->m_bytes_out ? self->m_bytes_out->value : 0);
    }
    while (self->n_peers) {
        p2p_peer_t *peer = self->peer [0];
        Zc__Reject bye = ZC__REJECT__INIT;
        bye.detail = (char *) "shutting down";
        p2p_send (self, peer, ZC__MSG_TYPE__P2P_BYE, &bye.base);
        p2p_peer_drop (self, peer, "stopping");
    }
    p2p_sync_clear (self);
    for (size_t i = 0; i < self->sync.n_orphans; i++)
        free (self->sync.orphan [i].raw);
    p2p_cache_destroy (&self->cache);
    p2p_seen_destroy (&self->seen);
    if (self->pending)
        for (p2p_pend_t *p = zhashx_first (self->pending); p; p = zhashx_next (self->pending)) {
            p2p_pend_t *doomed = p;
            p2p_pend_free ((void **) &doomed);
        }
    zhashx_destroy (&self->pending);
    free (self->m_in);
    free (self->m_out);
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
