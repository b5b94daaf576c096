/*  p2p_sync.c - headers-first catch-up from a block locator, and blocks
 *  that arrived before their parent (orphans)
 *
 *  A node behind a peer asks storage for its locator, asks the peer for
 *  the headers after it, and downloads those blocks from several peers at
 *  once (at most DOWNLOAD_PER_PEER each, DOWNLOAD_WINDOW ahead of the next
 *  to submit), handing them to storage strictly in chain order.
 */
#include "p2p_int.h"
#include "zc_block.h"
#include "zc_log.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "storage.pb-c.h"

#include <stdlib.h>
#include <string.h>

void
p2p_sync_start (p2p_t *self, p2p_peer_t *peer)
{
    p2p_sync_t *sync = &self->sync;
    if (self->cfg.relay_only || sync->n_download
    ||  (sync->peer && zc_mono_ms () - sync->asked < DOWNLOAD_TIMEOUT_MS))
        return;
    Zc__GetTip req = ZC__GET_TIP__INIT;
    req.with_locator = true;
    p2p_pend_t *pend = p2p_pend_new (PEND_LOCATOR, peer->serial);
    if (pend && p2p_request (self, self->storage, ZC__MSG_TYPE__GET_TIP, &req.base, pend) == 0) {
        sync->peer = peer->serial;
        sync->asked = zc_mono_ms ();
    }
}

void
p2p_sync_clear (p2p_t *self)
{
    p2p_sync_t *sync = &self->sync;
    for (size_t i = 0; i < sync->n_download; i++)
        free (sync->download [i].raw);
    sync->n_download = sync->next_submit = 0;
    sync->submitting = false;
}

void
p2p_sync_submit (p2p_t *self, const uint8_t *raw, size_t size, uint64_t from, bool download,
                 bool keep_raw)
{
    if (size < ZC_HEADER_SIZE || (keep_raw && self->sync.submits >= SUBMITS_MAX))
        return;                         //  a sync or a later announcement brings it again
    zc_header_t header;
    if (zc_header_decode (raw, ZC_HEADER_SIZE, &header) != ZC_OK)
        return;
    p2p_pend_t *pend = p2p_pend_new (PEND_SUBMIT_BLOCK, from);
    if (!pend)
        return;
    zc_header_hash (&header, &pend->hash);
    pend->prev = header.prev;
    pend->download = download;
    if (keep_raw && (pend->raw = malloc (size))) {
        memcpy (pend->raw, raw, size);
        pend->raw_size = size;
        self->sync.submits++;
    }
    Zc__SubmitBlock req = ZC__SUBMIT_BLOCK__INIT;
    req.raw.data = (uint8_t *) raw;
    req.raw.len = size;
    if (p2p_request (self, self->storage, ZC__MSG_TYPE__SUBMIT_BLOCK, &req.base, pend) == 0 && download)
        self->sync.submitting = true;
}

//  Submit the next downloaded block in chain order
static void
s_pump (p2p_t *self)
{
    p2p_sync_t *sync = &self->sync;
    if (sync->submitting || sync->next_submit >= sync->n_download)
        return;
    p2p_download_t *d = &sync->download [sync->next_submit];
    if (d->raw)
        p2p_sync_submit (self, d->raw, d->raw_size, d->from, true, false);
}

//  Ask one peer for the blocks of the queue nobody is fetching
static void
s_ask (p2p_t *self, p2p_peer_t *peer, int64_t now)
{
    p2p_sync_t *sync = &self->sync;
    Zc__InvItem items [DOWNLOAD_PER_PEER], *ptrs [DOWNLOAD_PER_PEER];
    size_t n = 0;
    int in_flight = 0;
    for (size_t i = sync->next_submit; i < sync->n_download; i++) {
        p2p_download_t *d = &sync->download [i];
        if (!d->raw && d->peer == peer->serial)
            in_flight++;
    }
    size_t window = sync->next_submit + DOWNLOAD_WINDOW;
    for (size_t i = sync->next_submit; i < sync->n_download && i < window
                                       && in_flight + (int) n < DOWNLOAD_PER_PEER; i++) {
        p2p_download_t *d = &sync->download [i];
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
        p2p_send (self, peer, ZC__MSG_TYPE__P2P_GET_DATA, &msg.base);
    }
}

//  Ask peers for the blocks of the queue nobody is fetching: the peer the
//  headers came from first, then the others in turn. A block a peer did
//  not send in time (or said it lacks) goes to another one.
static void
s_assign (p2p_t *self, int64_t now)
{
    p2p_sync_t *sync = &self->sync;
    for (size_t i = sync->next_submit; i < sync->n_download; i++) {
        p2p_download_t *d = &sync->download [i];
        if (!d->raw && d->peer && now - d->asked_at >= DOWNLOAD_TIMEOUT_MS) {
            d->avoid = d->peer;
            d->peer = 0;
        }
    }
    p2p_peer_t *source = p2p_peer_by_serial (self, sync->source);
    if (source && p2p_peer_live (source))
        s_ask (self, source, now);
    if (self->n_peers == 0)
        return;
    int first = (int) (sync->turn++ % (uint64_t) self->n_peers);
    for (int k = 0; k < self->n_peers; k++) {
        p2p_peer_t *peer = self->peer [(first + k) % self->n_peers];
        if (p2p_peer_live (peer) && peer != source)
            s_ask (self, peer, now);
    }
}

p2p_download_t *
p2p_sync_find (p2p_t *self, const zc_hash_t *hash)
{
    p2p_sync_t *sync = &self->sync;
    for (size_t i = sync->next_submit; i < sync->n_download; i++)
        if (zc_hash_eq (&sync->download [i].hash, hash))
            return &sync->download [i];
    return NULL;
}

void
p2p_sync_arrived (p2p_t *self, p2p_peer_t *peer, p2p_download_t *d, const uint8_t *raw, size_t size)
{
    p2p_sync_t *sync = &self->sync;
    d->peer = 0;                        //  whoever sends it: storage checks it
    if ((d->raw = malloc (size))) {
        memcpy (d->raw, raw, size);
        d->raw_size = size;
        d->from = peer->serial;
        sync->moved = zc_mono_ms ();
    }
    s_pump (self);
    s_assign (self, zc_mono_ms ());
}

void
p2p_sync_refused (p2p_t *self, p2p_peer_t *peer, p2p_download_t *d)
{
    d->peer = 0;
    d->avoid = peer->serial;
    s_assign (self, zc_mono_ms ());
}

void
p2p_sync_peer_gone (p2p_t *self, const p2p_peer_t *peer)
{
    p2p_sync_t *sync = &self->sync;
    for (size_t i = sync->next_submit; i < sync->n_download; i++)
        if (sync->download [i].peer == peer->serial && !sync->download [i].raw)
            sync->download [i].peer = 0;
    if (sync->peer == peer->serial)
        sync->peer = 0;
}

void
p2p_on_notfound (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__NotFound *msg = (const Zc__NotFound *) body;
    p2p_sync_t *sync = &self->sync;
    for (size_t k = 0; k < msg->n_items && k < DOWNLOAD_MAX; k++) {
        if (msg->items [k]->hash.len != 32)
            continue;
        for (size_t i = sync->next_submit; i < sync->n_download; i++) {
            p2p_download_t *d = &sync->download [i];
            if (d->peer == peer->serial && memcmp (d->hash.b, msg->items [k]->hash.data, 32) == 0) {
                d->avoid = peer->serial;
                d->peer = 0;
            }
        }
    }
}

void
p2p_on_headers (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__P2pHeaders *msg = (const Zc__P2pHeaders *) body;
    p2p_sync_t *sync = &self->sync;
    if (msg->n_headers > DOWNLOAD_MAX) {
        p2p_misbehaved (self, peer, BAD_MALFORMED, "too many headers");
        return;
    }
    if (peer->serial == sync->peer)
        sync->peer = 0;
    if (sync->n_download)
        return;                         //  another peer's answer is being downloaded
    zc_hash_t prev = { { 0 } };
    for (size_t i = 0; i < msg->n_headers; i++) {
        zc_header_t header;
        if (zc_header_decode (msg->headers [i].data, msg->headers [i].len, &header) != ZC_OK
        ||  (i > 0 && !zc_hash_eq (&header.prev, &prev))) {
            p2p_sync_clear (self);
            p2p_misbehaved (self, peer, BAD_MALFORMED, "headers do not form a chain");
            return;
        }
        p2p_download_t *d = &sync->download [sync->n_download++];
        memset (d, 0, sizeof *d);
        zc_header_hash (&header, &d->hash);
        prev = d->hash;
    }
    if (msg->n_headers >= 10)
        zc_info ("sync: %zu headers from %s, downloading", msg->n_headers, p2p_peer_name (peer));
    sync->moved = zc_mono_ms ();
    sync->source = peer->serial;
    s_assign (self, zc_mono_ms ());
}

void
p2p_on_get_headers (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__P2pGetHeaders *req = (const Zc__P2pGetHeaders *) body;
    Zc__GetHeaders get = ZC__GET_HEADERS__INIT;
    get.n_locator = req->n_locator < 64 ? req->n_locator : 64;
    get.locator = req->locator;
    get.stop = req->stop;
    get.max = DOWNLOAD_MAX;
    p2p_pend_t *pend = p2p_pend_new (PEND_HEADERS, peer->serial);
    if (pend)
        p2p_request (self, self->storage, ZC__MSG_TYPE__GET_HEADERS, &get.base, pend);
}

void
p2p_sync_on_locator (p2p_t *self, p2p_peer_t *peer, const zc_env_t *env)
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
        p2p_send (self, peer, ZC__MSG_TYPE__P2P_GET_HEADERS, &req.base);
    zc__tip_reply__free_unpacked (tip, NULL);
}

void
p2p_sync_done (p2p_t *self, zc_err_t reason)
{
    p2p_sync_t *sync = &self->sync;
    sync->submitting = false;
    if (sync->next_submit >= sync->n_download)
        return;
    p2p_download_t *d = &sync->download [sync->next_submit];
    if (reason == ZC_OK || reason == ZC_ERR_DUPLICATE) {
        free (d->raw);
        d->raw = NULL;
        zc_metric_inc (self->m_synced, 1);
        sync->moved = zc_mono_ms ();
        if (++sync->next_submit == sync->n_download) {
            p2p_sync_clear (self);
            //  more to fetch? the next headers request follows the peer's height
            for (int i = 0; i < self->n_peers; i++)
                if (p2p_peer_live (self->peer [i]) && self->peer [i]->height > self->height) {
                    p2p_sync_start (self, self->peer [i]);
                    break;
                }
        }
        s_pump (self);
    }
    else
    if (reason == ZC_ERR_BUSY || reason == ZC_ERR_TIMEOUT || reason == ZC_ERR_INTERNAL)
        s_pump (self);                  //  try again
    else {
        p2p_peer_t *from = p2p_peer_by_serial (self, d->from);
        zc_warn ("sync: block refused (%s); download abandoned", zc_err_name (reason));
        p2p_sync_clear (self);
        if (from && reason != ZC_ERR_ORPHAN && reason != ZC_ERR_CORRUPTION)
            p2p_misbehaved (self, from, BAD_BLOCK, zc_err_name (reason));
    }
}

void
p2p_sync_tick (p2p_t *self, int64_t now)
{
    p2p_sync_t *sync = &self->sync;
    if (sync->n_download && now - sync->moved > 3 * DOWNLOAD_TIMEOUT_MS) {
        //  nobody delivers (the branch is gone): start again from the locator
        zc_warn ("sync: no block for %d s; download abandoned", 3 * DOWNLOAD_TIMEOUT_MS / 1000);
        p2p_sync_clear (self);
    }
    if (sync->n_download) {
        s_assign (self, now);
        s_pump (self);
        if (now >= sync->next_report) {
            size_t have = 0, asked = 0;
            for (size_t i = sync->next_submit; i < sync->n_download; i++) {
                have += sync->download [i].raw != NULL;
                asked += sync->download [i].peer != 0;
            }
            zc_info ("sync: %zu of %zu blocks taken, %zu here, %zu asked, %s", sync->next_submit,
                     sync->n_download, have, asked, sync->submitting ? "submitting" : "waiting");
            sync->next_report = now + 10000;
        }
    }
    zc_metric_set (self->m_download, (double) (sync->n_download - sync->next_submit));
}

// ---------------------------------------------------------------------------
//  orphans: blocks that arrived before their parent

void
p2p_orphan_add (p2p_t *self, p2p_pend_t *pend)
{
    p2p_sync_t *sync = &self->sync;
    for (size_t i = 0; i < sync->n_orphans; i++)
        if (zc_hash_eq (&sync->orphan [i].hash, &pend->hash))
            return;
    while (sync->n_orphans
       && (sync->n_orphans == ORPHANS_MAX || sync->orphan_bytes + pend->raw_size > ORPHANS_BYTES)) {
        sync->orphan_bytes -= sync->orphan [0].raw_size;
        free (sync->orphan [0].raw);
        memmove (&sync->orphan [0], &sync->orphan [1], (sync->n_orphans - 1) * sizeof sync->orphan [0]);
        sync->n_orphans--;
    }
    if (pend->raw_size > ORPHANS_BYTES)
        return;
    p2p_orphan_t *o = &sync->orphan [sync->n_orphans++];
    o->hash = pend->hash;
    o->prev = pend->prev;
    o->raw = pend->raw;
    o->raw_size = pend->raw_size;
    o->from = pend->peer;
    sync->orphan_bytes += o->raw_size;
    pend->raw = NULL;
    zc_metric_set (self->m_orphans, (double) sync->n_orphans);
}

void
p2p_orphans_of (p2p_t *self, const zc_hash_t *parent)
{
    p2p_sync_t *sync = &self->sync;
    for (size_t i = 0; i < sync->n_orphans; ) {
        p2p_orphan_t *o = &sync->orphan [i];
        if (zc_hash_eq (&o->prev, parent)) {
            p2p_sync_submit (self, o->raw, o->raw_size, o->from, false, true);
            sync->orphan_bytes -= o->raw_size;
            free (o->raw);
            sync->orphan [i] = sync->orphan [--sync->n_orphans];
        }
        else
            i++;
    }
    zc_metric_set (self->m_orphans, (double) sync->n_orphans);
}
