/*  p2p_relay.c - announcements (Inv), fetching (GetData) and serving
 *  transactions and blocks, and the cache of what we serve
 */
#include "p2p_int.h"
#include "zc_block.h"
#include "zc_check.h"
#include "zc_hashkey.h"
#include "zc_hex.h"
#include "zc_log.h"
#include "zc_time.h"
#include "zc_tx.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <stdlib.h>
#include <string.h>

// ---------------------------------------------------------------------------
//  the cache: transactions (and, relay-only, blocks) to serve, oldest out first

int
p2p_cache_init (p2p_cache_t *cache)
{
    cache->table = zc_hashkey_table (ZC_HASHKEY_HASH, true);
    cache->order = zlistx_new ();
    cache->bytes = 0;
    return cache->table && cache->order ? 0 : -1;
}

void
p2p_cache_destroy (p2p_cache_t *cache)
{
    if (cache->order) {
        p2p_cached_t *entry;
        while ((entry = zlistx_detach (cache->order, NULL))) {
            free (entry->raw);
            free (entry);
        }
    }
    zlistx_destroy (&cache->order);
    zhashx_destroy (&cache->table);
}

void
p2p_cache_add (p2p_cache_t *cache, const uint8_t *hash, const uint8_t *raw, size_t size)
{
    if (size == 0 || size > TXCACHE_BYTES / 4 || zhashx_lookup (cache->table, hash))
        return;
    while (zlistx_size (cache->order)
       && (cache->bytes + size > TXCACHE_BYTES || zhashx_size (cache->table) >= TXCACHE_MAX)) {
        p2p_cached_t *old = zlistx_detach (cache->order, NULL);
        cache->bytes -= old->size;
        zhashx_delete (cache->table, old->key.b);
        free (old->raw);
        free (old);
    }
    p2p_cached_t *entry = calloc (1, sizeof *entry);
    uint8_t *copy = malloc (size);
    if (!entry || !copy) {
        free (entry);
        free (copy);
        return;
    }
    memcpy (entry->key.b, hash, 32);
    memcpy (copy, raw, size);
    entry->raw = copy;
    entry->size = size;
    zhashx_insert (cache->table, entry->key.b, entry);
    zlistx_add_end (cache->order, entry);
    cache->bytes += size;
}

const p2p_cached_t *
p2p_cache_find (p2p_cache_t *cache, const uint8_t *hash)
{
    return zhashx_lookup (cache->table, hash);
}

// ---------------------------------------------------------------------------
//  observing

void
p2p_trace (p2p_t *self, bool block, const uint8_t *hash)
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

void
p2p_observe (p2p_t *self, p2p_event_t event, int64_t value)
{
    if (self->cfg.observe)
        self->cfg.observe (self->cfg.observe_arg, event, NULL, value);
}

// ---------------------------------------------------------------------------
//  announcing

void
p2p_inv_flush (p2p_t *self, p2p_peer_t *peer)
{
    if (peer->n_inv == 0)
        return;
    Zc__Inv msg = ZC__INV__INIT;
    msg.n_items = peer->n_inv;
    msg.items = peer->inv_ptr;
    p2p_send (self, peer, ZC__MSG_TYPE__P2P_INV, &msg.base);
    peer->n_inv = 0;
    peer->inv_sent = zc_mono_ms ();
}

//  An announcement goes out at once when it is a block (every hop's linger
//  would add to its way across the network) or when nothing went to this
//  peer for a linger (nothing to batch it with: a quiet link pays no
//  delay); else it waits for the linger, so that under load one Inv
//  carries every id of the last INV_LINGER_MS.
void
p2p_inv_queue (p2p_t *self, p2p_peer_t *peer, Zc__InvType type, const uint8_t *hash)
{
    int64_t now = zc_mono_ms ();
    if (peer->n_inv == 0)
        peer->inv_since = now;
    peer->inv [peer->n_inv].type = type;
    memcpy (peer->inv_hash [peer->n_inv], hash, 32);
    ++peer->n_inv;
    if (peer->n_inv == INV_BATCH || type == ZC__INV_TYPE__INV_BLOCK
    ||  (peer->n_inv == 1 && now - peer->inv_sent >= INV_LINGER_MS))
        p2p_inv_flush (self, peer);
}

//  To every live peer but the one it came from and those that have it already
void
p2p_announce (p2p_t *self, Zc__InvType type, const uint8_t *hash, uint64_t except)
{
    for (int i = 0; i < self->n_peers; i++) {
        p2p_peer_t *peer = self->peer [i];
        if (p2p_peer_live (peer) && peer->serial != except && !p2p_known (peer, hash)) {
            p2p_known_add (peer, hash);
            p2p_inv_queue (self, peer, type, hash);
        }
    }
}

//  Whole to the peers that lack it when it is small (one message a hop
//  instead of three: announce, fetch, block), else announced
void
p2p_relay_block (p2p_t *self, const uint8_t *hash, const uint8_t *raw, size_t size, uint64_t except)
{
    if (!raw || size > PUSH_BYTES) {
        p2p_announce (self, ZC__INV_TYPE__INV_BLOCK, hash, except);
        return;
    }
    Zc__BlockData msg = ZC__BLOCK_DATA__INIT;
    msg.raw.data = (uint8_t *) raw;
    msg.raw.len = size;
    for (int i = 0; i < self->n_peers; i++) {
        p2p_peer_t *peer = self->peer [i];
        if (p2p_peer_live (peer) && peer->serial != except && !p2p_known (peer, hash)) {
            p2p_known_add (peer, hash);
            p2p_send (self, peer, ZC__MSG_TYPE__P2P_BLOCK, &msg.base);
        }
    }
}

// ---------------------------------------------------------------------------
//  peer messages

//  Ask peer for one id (a fetch moving on to the next announcer)
static void
s_ask_one (p2p_t *self, p2p_peer_t *peer, bool block, const uint8_t *hash)
{
    Zc__InvItem item = ZC__INV_ITEM__INIT, *items [1] = { &item };
    item.type = block ? ZC__INV_TYPE__INV_BLOCK : ZC__INV_TYPE__INV_TX;
    item.hash.data = (uint8_t *) hash;
    item.hash.len = 32;
    Zc__GetData msg = ZC__GET_DATA__INIT;
    msg.n_items = 1;
    msg.items = items;
    p2p_send (self, peer, ZC__MSG_TYPE__P2P_GET_DATA, &msg.base);
}

//  The peer a fetch was waiting for no longer is
static void
s_fetch_release (p2p_t *self, const p2p_fetch_t *fetch)
{
    p2p_peer_t *peer = fetch->from ? p2p_peer_by_serial (self, fetch->from) : NULL;
    if (peer && !fetch->delivered && peer->fetching > 0)
        peer->fetching--;
}

//  Ask the fetch's next announcer that is still with us; when none is
//  left, give up (the id stays unseen: a later announcement starts again)
static void
s_fetch_next (p2p_t *self, p2p_fetch_t *fetch)
{
    s_fetch_release (self, fetch);
    int64_t now = zc_mono_ms ();
    uint64_t next;
    while ((next = p2p_fetch_next (&self->seen, fetch, now))) {
        p2p_peer_t *peer = p2p_peer_by_serial (self, next);
        if (peer && p2p_peer_live (peer)) {
            peer->fetching++;
            zc_metric_inc (self->m_refetched, 1);
            s_ask_one (self, peer, fetch->block, fetch->hash.b);
            return;
        }
    }
    zc_metric_inc (self->m_fetch_failed, 1);
    p2p_fetch_done (&self->seen, &fetch);
}

void
p2p_relay_tick (p2p_t *self, int64_t now)
{
    p2p_fetch_t *fetch;
    //  bounded per turn: the rest waits for the next tick
    for (int i = 0; i < 10000 && (fetch = p2p_fetch_expired (&self->seen, now)); i++)
        if (fetch->delivered)
            p2p_fetch_done (&self->seen, &fetch);       //  the node never said: drop it
        else
            s_fetch_next (self, fetch);
    zc_metric_set (self->m_fetching, (double) p2p_fetch_count (&self->seen));
}

void
p2p_relay_verdict (p2p_t *self, const uint8_t *txid, zc_err_t reason)
{
    p2p_fetch_t *fetch = p2p_fetch_find (&self->seen, txid);
    //  a bad signature is the body's fault, not the id's: the txid leaves
    //  the signatures out, so another announcer may well have it right
    if (fetch && fetch->delivered && reason == ZC_ERR_BAD_SIG) {
        s_fetch_next (self, fetch);
        return;
    }
    if (reason != ZC_ERR_BUSY && reason != ZC_ERR_TIMEOUT && reason != ZC_ERR_INTERNAL
    &&  reason != ZC_ERR_STORAGE_FULL && reason != ZC_ERR_UNAVAILABLE)
        p2p_seen_add (&self->seen, txid);   //  judged: not fetched again
    p2p_fetch_done (&self->seen, &fetch);
}

void
p2p_on_inv (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__Inv *inv = (const Zc__Inv *) body;
    if (inv->n_items > INV_MAX) {
        p2p_misbehaved (self, peer, BAD_MALFORMED, "inventory too long");
        return;
    }
    Zc__InvItem **want = calloc (inv->n_items ? inv->n_items : 1, sizeof *want);
    if (!want)
        return;
    size_t n = 0;
    int64_t now = zc_mono_ms ();
    for (size_t i = 0; i < inv->n_items; i++) {
        Zc__InvItem *item = inv->items [i];
        if (item->hash.len != 32) {
            free (want);
            p2p_misbehaved (self, peer, BAD_MALFORMED, "inventory hash");
            return;
        }
        p2p_known_add (peer, item->hash.data);
        bool block = item->type == ZC__INV_TYPE__INV_BLOCK;
        if (block && self->sync.n_download)
            continue;                   //  syncing: the download brings it
        p2p_fetch_t *fetch = p2p_fetch_find (&self->seen, item->hash.data);
        if (fetch || p2p_seen_has (&self->seen, item->hash.data)) {
            if (fetch)
                p2p_fetch_alt (fetch, peer->serial);    //  asked if the first fails us
            zc_metric_inc (self->m_dups, 1);
            p2p_observe (self, P2P_DUPLICATE, 1);
            continue;
        }
        //  too much asked of this peer, or of all: not fetched (and not
        //  marked, so another's announcement is taken)
        if (peer->fetching >= FETCH_PER_PEER
        ||  !p2p_fetch_start (&self->seen, item->hash.data, block, peer->serial, now)) {
            zc_metric_inc (self->m_dropped, 1);
            continue;
        }
        peer->fetching++;
        want [n++] = item;
    }
    if (n) {
        Zc__GetData msg = ZC__GET_DATA__INIT;
        msg.n_items = n;
        msg.items = want;
        p2p_send (self, peer, ZC__MSG_TYPE__P2P_GET_DATA, &msg.base);
    }
    free (want);
}

// ---------------------------------------------------------------------------
//  serving what peers ask for: each peer within a budget of bytes it has
//  not acknowledged (SEND_BUDGET; a pong acknowledges what we sent before
//  its ping), with at most SERVE_BLOCKS blocks being read from storage for
//  it and GETDATA_BACKLOG ids waiting. A peer that never reads us gets
//  about SEND_BUDGET plus a block, then nothing more until it is dropped
//  for not answering our ping.

static uint64_t
s_prefix (const uint8_t *hash)
{
    uint64_t key;
    memcpy (&key, hash, sizeof key);
    return key;
}

static bool
s_served (const p2p_peer_t *peer, const uint8_t *hash, int64_t now)
{
    uint64_t key = s_prefix (hash);
    size_t n = peer->served_next < SERVED_MAX ? peer->served_next : SERVED_MAX;
    for (size_t i = 0; i < n; i++)
        if (peer->served [i] == key && now - peer->served_ms [i] < OVERASK_MS)
            return true;
    return false;
}

static void
s_served_add (p2p_peer_t *peer, const uint8_t *hash)
{
    size_t at = peer->served_next++ % SERVED_MAX;
    peer->served [at] = s_prefix (hash);
    peer->served_ms [at] = zc_mono_ms ();
}

static bool
s_budget_left (const p2p_peer_t *peer)
{
    return peer->bytes_out - peer->acked <= SEND_BUDGET;
}

//  The transactions of a batch, in one message
static void
s_send_txs (p2p_t *self, p2p_peer_t *peer, ProtobufCBinaryData *txs, size_t *n, size_t *bytes)
{
    if (*n == 0)
        return;
    Zc__TxData msg = ZC__TX_DATA__INIT;
    msg.n_txs = *n;
    msg.txs = txs;
    p2p_send (self, peer, ZC__MSG_TYPE__P2P_TX, &msg.base);
    *n = *bytes = 0;
}

void
p2p_serve (p2p_t *self, p2p_peer_t *peer)
{
    //  transactions from the cache go in messages of up to 1 MB
    ProtobufCBinaryData txs [256];
    size_t n = 0, bytes = 0;
    while (peer->backlog_count && s_budget_left (peer)) {
        p2p_wanted_t *want = &peer->backlog [peer->backlog_head];
        if (want->block && !self->cfg.relay_only) {
            if (peer->serving >= SERVE_BLOCKS)
                break;                  //  the next comes when one is back
            Zc__GetBlock get = ZC__GET_BLOCK__INIT;
            get.hash.data = want->hash;
            get.hash.len = 32;
            p2p_pend_t *pend = p2p_pend_new (PEND_BLOCK, peer->serial);
            if (pend) {
                memcpy (pend->hash.b, want->hash, 32);
                if (p2p_request (self, self->storage, ZC__MSG_TYPE__GET_BLOCK, &get.base, pend) == 0)
                    peer->serving++;
            }
        }
        else {
            const p2p_cached_t *item = p2p_cache_find (&self->cache, want->hash);
            if (item && want->block) {
                Zc__BlockData msg = ZC__BLOCK_DATA__INIT;
                msg.raw.data = item->raw;
                msg.raw.len = item->size;
                p2p_send (self, peer, ZC__MSG_TYPE__P2P_BLOCK, &msg.base);
            }
            else
            if (item) {
                txs [n].data = item->raw;
                txs [n++].len = item->size;
                bytes += item->size;
                //  the bytes count against the budget once sent
                if (bytes > (1u << 20) || n == sizeof txs / sizeof txs [0])
                    s_send_txs (self, peer, txs, &n, &bytes);
            }
        }
        s_served_add (peer, want->hash);
        peer->backlog_head = (peer->backlog_head + 1) % GETDATA_BACKLOG;
        peer->backlog_count--;
    }
    s_send_txs (self, peer, txs, &n, &bytes);
    //  more waits: the next pong lets it go
    if (peer->backlog_count && !s_budget_left (peer))
        p2p_ping (self, peer, zc_mono_ms ());
}

void
p2p_serve_block (p2p_t *self, p2p_peer_t *peer, const zc_hash_t *hash, const uint8_t *raw,
                 size_t size)
{
    if (peer->serving > 0)
        peer->serving--;
    if (raw && size) {
        Zc__BlockData msg = ZC__BLOCK_DATA__INIT;
        msg.raw.data = (uint8_t *) raw;
        msg.raw.len = size;
        p2p_send (self, peer, ZC__MSG_TYPE__P2P_BLOCK, &msg.base);
    }
    else {
        //  we lack it (or storage could not say): the asker goes elsewhere
        Zc__InvItem item = ZC__INV_ITEM__INIT, *items [1] = { &item };
        item.type = ZC__INV_TYPE__INV_BLOCK;
        item.hash.data = (uint8_t *) hash->b;
        item.hash.len = 32;
        Zc__NotFound msg = ZC__NOT_FOUND__INIT;
        msg.n_items = 1;
        msg.items = items;
        p2p_send (self, peer, ZC__MSG_TYPE__P2P_NOT_FOUND, &msg.base);
    }
    p2p_serve (self, peer);
}

void
p2p_on_getdata (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__GetData *req = (const Zc__GetData *) body;
    if (req->n_items > INV_MAX) {
        p2p_misbehaved (self, peer, BAD_MALFORMED, "request too long");
        return;
    }
    //  each id once per message, and not what we sent it a moment ago: an
    //  honest peer asks for what it lacks, and again only when its own wait
    //  for it ran out (re-asks beyond that cost no more than any request:
    //  what it has not acknowledged bounds what we send it)
    zhashx_t *asked = zc_hashkey_table (ZC_HASHKEY_HASH, true);
    if (!asked)
        return;
    size_t repeats = 0, again = 0, overflow = 0;
    int64_t now = zc_mono_ms ();
    for (size_t i = 0; i < req->n_items; i++) {
        Zc__InvItem *item = req->items [i];
        if (item->hash.len != 32)
            continue;
        if (zhashx_insert (asked, item->hash.data, item) != 0) {
            repeats++;
            continue;
        }
        if (s_served (peer, item->hash.data, now)) {
            again++;
            continue;
        }
        if (peer->backlog_count == GETDATA_BACKLOG) {
            overflow++;
            continue;
        }
        p2p_wanted_t *want = &peer->backlog [(peer->backlog_head + peer->backlog_count++) % GETDATA_BACKLOG];
        memcpy (want->hash, item->hash.data, 32);
        want->block = item->type == ZC__INV_TYPE__INV_BLOCK;
    }
    zhashx_destroy (&asked);
    if ((repeats || again || overflow)
    &&  !p2p_misbehaved (self, peer, BAD_OVERASK, repeats ? "the same id twice in one request"
                                                : again ? "asks again for what it was sent"
                                                        : "asks for more than it reads"))
        return;
    p2p_serve (self, peer);
}

void
p2p_on_txdata (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__TxData *msg = (const Zc__TxData *) body;
    ProtobufCBinaryData *keep = calloc (msg->n_txs ? msg->n_txs : 1, sizeof *keep);
    if (!keep)
        return;
    size_t n = 0;
    int64_t now = zc_mono_ms ();
    for (size_t i = 0; i < msg->n_txs; i++) {
        zc_tx_t *tx = NULL;
        if (zc_tx_decode (msg->txs [i].data, msg->txs [i].len, &tx) != ZC_OK) {
            free (keep);
            p2p_misbehaved (self, peer, BAD_MALFORMED, "transaction does not decode");
            return;
        }
        p2p_fetch_t *fetch = p2p_fetch_find (&self->seen, tx->txid.b);
        bool asked = fetch && p2p_fetch_tried (fetch, peer->serial);
        bool wanted = asked && !fetch->delivered;
        p2p_known_add (peer, tx->txid.b);
        if (!asked && !p2p_seen_has (&self->seen, tx->txid.b)) {
            zc_tx_destroy (&tx);
            if (!p2p_misbehaved (self, peer, BAD_UNSOLICITED, "transaction nobody asked for")) {
                free (keep);
                return;
            }
            continue;
        }
        if (!wanted) {
            zc_tx_destroy (&tx);        //  a late copy of what we have, or are judging
            continue;
        }
        s_fetch_release (self, fetch);
        p2p_fetch_delivered (&self->seen, fetch, now);
        if (self->cfg.relay_only) {
            //  no mempool: checked on its own, kept to serve, announced on
            zc_err_t rc = zc_check_loose_tx (tx);
            if (rc != ZC_OK) {
                zc_tx_destroy (&tx);
                free (keep);
                //  its body fails: another announcer may have it right
                s_fetch_next (self, fetch);
                p2p_misbehaved (self, peer, BAD_TX, "transaction fails its own checks");
                return;
            }
            p2p_seen_add (&self->seen, tx->txid.b);
            p2p_fetch_done (&self->seen, &fetch);
            p2p_cache_add (&self->cache, tx->txid.b, msg->txs [i].data, msg->txs [i].len);
            p2p_trace (self, false, tx->txid.b);
            p2p_announce (self, ZC__INV_TYPE__INV_TX, tx->txid.b, peer->serial);
        }
        else
            keep [n++] = msg->txs [i];
        zc_tx_destroy (&tx);
    }
    if (n) {
        Zc__SubmitTxs req = ZC__SUBMIT_TXS__INIT;
        req.n_txs = n;
        req.txs = keep;
        p2p_pend_t *pend = p2p_pend_new (PEND_SUBMIT_TXS, peer->serial);
        if (pend)
            p2p_request (self, self->mempool, ZC__MSG_TYPE__SUBMIT_TXS, &req.base, pend);
    }
    free (keep);
}

//  A block's body against its own header: form, size, proof of work,
//  merkle root (a mutated body fails here), as storage checks it first
static zc_err_t
s_check_body (p2p_t *self, const uint8_t *raw, size_t size)
{
    zc_block_t *block = NULL;
    zc_err_t rc = zc_block_decode (raw, size, &block);
    if (rc == ZC_OK)
        rc = zc_check_block (block, self->params, zc_now_ms () / 1000);
    zc_block_destroy (&block);
    return rc;
}

void
p2p_on_blockdata (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__BlockData *msg = (const Zc__BlockData *) body;
    zc_header_t header;
    if (msg->raw.len < ZC_HEADER_SIZE || msg->raw.len > ZC_BLOCK_MAX_BYTES
    ||  zc_header_decode (msg->raw.data, ZC_HEADER_SIZE, &header) != ZC_OK) {
        p2p_misbehaved (self, peer, BAD_MALFORMED, "block does not decode");
        return;
    }
    zc_hash_t hash;
    zc_header_hash (&header, &hash);
    p2p_known_add (peer, hash.b);
    p2p_download_t *download = p2p_sync_find (self, &hash);
    if (download && download->raw)
        return;                         //  a late answer after a re-assignment
    p2p_fetch_t *fetch = p2p_fetch_find (&self->seen, hash.b);
    bool asked = fetch && !fetch->delivered && p2p_fetch_tried (fetch, peer->serial);
    if (!asked && !download) {
        //  pushed unasked (p2p_relay_block): welcome when small and new to
        //  us, or when we still wait for it from another
        if (msg->raw.len > PUSH_BYTES) {
            p2p_misbehaved (self, peer, BAD_UNSOLICITED, "block nobody asked for");
            return;
        }
        if (p2p_seen_has (&self->seen, hash.b) || (fetch && fetch->delivered)) {
            zc_metric_inc (self->m_dups, 1);
            p2p_observe (self, P2P_DUPLICATE, 1);
            return;
        }
    }
    //  the hash names the header, not this body: a body that fails its own
    //  checks bans its sender and leaves the hash unseen, to be had from
    //  another peer (the lesson of CVE-2012-2459)
    zc_err_t rc = s_check_body (self, msg->raw.data, msg->raw.len);
    if (rc != ZC_OK) {
        zc_metric_inc (self->m_bad_bodies, 1);
        if (download)
            p2p_sync_refused (self, peer, download);
        else
        if (fetch && asked)
            s_fetch_next (self, fetch);
        p2p_misbehaved (self, peer, BAD_BLOCK, zc_err_name (rc));
        return;
    }
    if (download) {
        p2p_sync_arrived (self, peer, download, msg->raw.data, msg->raw.len);
        return;
    }
    if (fetch)
        s_fetch_release (self, fetch);
    p2p_fetch_done (&self->seen, &fetch);
    p2p_seen_add (&self->seen, hash.b);
    p2p_trace (self, true, hash.b);
    if (self->cfg.relay_only) {
        //  no chain to check it against: what it is on its own is all
        p2p_cache_add (&self->cache, hash.b, msg->raw.data, msg->raw.len);
        p2p_relay_block (self, hash.b, msg->raw.data, msg->raw.len, peer->serial);
        return;
    }
    p2p_sync_submit (self, msg->raw.data, msg->raw.len, peer->serial, false, true);
}
