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
    for (size_t i = 0; i < inv->n_items; i++) {
        Zc__InvItem *item = inv->items [i];
        if (item->hash.len != 32) {
            free (want);
            p2p_misbehaved (self, peer, BAD_MALFORMED, "inventory hash");
            return;
        }
        p2p_known_add (peer, item->hash.data);
        if (item->type == ZC__INV_TYPE__INV_BLOCK && self->sync.n_download)
            continue;                   //  syncing: the download brings it
        if (!p2p_seen_add (&self->seen, item->hash.data)) {
            zc_metric_inc (self->m_dups, 1);
            p2p_observe (self, P2P_DUPLICATE, 1);
            continue;
        }
        if (!p2p_asked_add (&self->seen, item->hash.data, peer->serial))
            continue;
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

void
p2p_on_getdata (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__GetData *req = (const Zc__GetData *) body;
    if (req->n_items > INV_MAX) {
        p2p_misbehaved (self, peer, BAD_MALFORMED, "request too long");
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
            const p2p_cached_t *block = p2p_cache_find (&self->cache, item->hash.data);
            if (block) {
                Zc__BlockData msg = ZC__BLOCK_DATA__INIT;
                msg.raw.data = block->raw;
                msg.raw.len = block->size;
                p2p_send (self, peer, ZC__MSG_TYPE__P2P_BLOCK, &msg.base);
            }
            continue;
        }
        if (item->type == ZC__INV_TYPE__INV_BLOCK) {
            Zc__GetBlock get = ZC__GET_BLOCK__INIT;
            get.hash = item->hash;
            p2p_pend_t *pend = p2p_pend_new (PEND_BLOCK, peer->serial);
            if (pend) {
                memcpy (pend->hash.b, item->hash.data, 32);
                p2p_request (self, self->storage, ZC__MSG_TYPE__GET_BLOCK, &get.base, pend);
            }
            continue;
        }
        const p2p_cached_t *tx = p2p_cache_find (&self->cache, item->hash.data);
        if (!tx)
            continue;
        txs [n].data = tx->raw;
        txs [n++].len = tx->size;
        bytes += tx->size;
        if (bytes > (1u << 20) || i + 1 == req->n_items) {
            Zc__TxData msg = ZC__TX_DATA__INIT;
            msg.n_txs = n;
            msg.txs = txs;
            p2p_send (self, peer, ZC__MSG_TYPE__P2P_TX, &msg.base);
            n = bytes = 0;
        }
    }
    if (n) {
        Zc__TxData msg = ZC__TX_DATA__INIT;
        msg.n_txs = n;
        msg.txs = txs;
        p2p_send (self, peer, ZC__MSG_TYPE__P2P_TX, &msg.base);
    }
    free (txs);
}

void
p2p_on_txdata (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__TxData *msg = (const Zc__TxData *) body;
    ProtobufCBinaryData *keep = calloc (msg->n_txs ? msg->n_txs : 1, sizeof *keep);
    if (!keep)
        return;
    size_t n = 0;
    for (size_t i = 0; i < msg->n_txs; i++) {
        zc_tx_t *tx = NULL;
        if (zc_tx_decode (msg->txs [i].data, msg->txs [i].len, &tx) != ZC_OK) {
            free (keep);
            p2p_misbehaved (self, peer, BAD_MALFORMED, "transaction does not decode");
            return;
        }
        bool asked = p2p_asked_take (&self->seen, tx->txid.b) == peer->serial;
        if (asked && self->cfg.relay_only && zc_check_loose_tx (tx) != ZC_OK) {
            zc_tx_destroy (&tx);
            free (keep);
            p2p_misbehaved (self, peer, BAD_TX, "transaction fails its own checks");
            return;
        }
        if (asked && self->cfg.relay_only) {
            //  no mempool: keep it to serve, announce it on
            p2p_cache_add (&self->cache, tx->txid.b, msg->txs [i].data, msg->txs [i].len);
            p2p_trace (self, false, tx->txid.b);
            p2p_announce (self, ZC__INV_TYPE__INV_TX, tx->txid.b, peer->serial);
        }
        zc_tx_destroy (&tx);
        if (!asked) {
            if (!p2p_misbehaved (self, peer, BAD_UNSOLICITED, "transaction nobody asked for")) {
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
        p2p_pend_t *pend = p2p_pend_new (PEND_SUBMIT_TXS, peer->serial);
        if (pend)
            p2p_request (self, self->mempool, ZC__MSG_TYPE__SUBMIT_TXS, &req.base, pend);
    }
    free (keep);
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
    //  part of the download? it waits for its turn
    if (p2p_sync_arrived (self, peer, &hash, msg->raw.data, msg->raw.len))
        return;
    uint64_t asked_from = p2p_asked_take (&self->seen, hash.b);
    p2p_known_add (peer, hash.b);
    if (asked_from != peer->serial) {
        //  pushed unasked (p2p_relay_block): welcome when small and new to us,
        //  or when we still wait for it from the peer we asked
        if (msg->raw.len > PUSH_BYTES) {
            p2p_misbehaved (self, peer, BAD_UNSOLICITED, "block nobody asked for");
            return;
        }
        if (!asked_from && !p2p_seen_add (&self->seen, hash.b)) {
            zc_metric_inc (self->m_dups, 1);
            p2p_observe (self, P2P_DUPLICATE, 1);
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
            p2p_misbehaved (self, peer, BAD_BLOCK, zc_err_name (rc));
            return;
        }
        p2p_trace (self, true, hash.b);
        p2p_cache_add (&self->cache, hash.b, msg->raw.data, msg->raw.len);
        p2p_relay_block (self, hash.b, msg->raw.data, msg->raw.len, peer->serial);
        return;
    }
    p2p_trace (self, true, hash.b);
    p2p_sync_submit (self, msg->raw.data, msg->raw.len, peer->serial, false, true);
}
