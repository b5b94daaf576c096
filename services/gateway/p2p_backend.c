/*  p2p_backend.c - requests to the node's storage and mempool on behalf of
 *  peers (blocks and headers they ask for, what they send us) and of the
 *  module itself (our locator, our mempool); each remembered by request id
 *  until its answer or its expiry
 */
#include "p2p_int.h"
#include "zc_log.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <stdlib.h>
#include <string.h>

p2p_pend_t *
p2p_pend_new (p2p_pend_kind_t kind, uint64_t peer)
{
    p2p_pend_t *pend = calloc (1, sizeof *pend);
    if (pend) {
        pend->kind = kind;
        pend->peer = peer;
    }
    return pend;
}

void
p2p_pend_free (void **item_p)
{
    p2p_pend_t *pend = *item_p;
    if (pend) {
        free (pend->raw);
        free (pend);
        *item_p = NULL;
    }
}

int
p2p_request (p2p_t *self, zsock_t *backend, uint32_t type, const ProtobufCMessage *body,
             p2p_pend_t *pend)
{
    if (!backend || zhashx_size (self->pending) >= PENDING_MAX) {
        p2p_pend_free ((void **) &pend);        //  relay only: nobody to ask
        return -1;
    }
    uint64_t id = ++self->next_request;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = type, .request_id = id,
                        .deadline_ms = (uint64_t) (zc_now_ms () + PENDING_TIMEOUT_MS) };
    if (zc_zmq_send (backend, NULL, 0, &header, body, ZMQ_DONTWAIT)) {
        p2p_pend_free ((void **) &pend);
        return -1;
    }
    char key [24];
    snprintf (key, sizeof key, "%llu", (unsigned long long) id);
    pend->expires = zc_mono_ms () + PENDING_TIMEOUT_MS;
    zhashx_insert (self->pending, key, pend);
    return 0;
}

static void
s_on_headers_reply (p2p_t *self, p2p_peer_t *peer, const zc_env_t *env)
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
    p2p_send (self, peer, ZC__MSG_TYPE__P2P_HEADERS, &msg.base);
    if (reply)
        zc__headers_reply__free_unpacked (reply, NULL);
}

static void
s_on_block_reply (p2p_t *self, p2p_peer_t *peer, const p2p_pend_t *pend, const zc_env_t *env)
{
    Zc__BlockReply *reply = NULL;
    if (env->type == ZC__MSG_TYPE__BLOCK_REPLY)
        zc_codec_unpack (&zc__block_reply__descriptor, env->body, env->body_size, ZC_MSG_MAX,
                         (ProtobufCMessage **) &reply);
    p2p_serve_block (self, peer, &pend->hash, reply ? reply->raw.data : NULL, reply ? reply->raw.len : 0);
    if (reply)
        zc__block_reply__free_unpacked (reply, NULL);
}

static void
s_on_submit_txs_reply (p2p_t *self, p2p_peer_t *peer, const zc_env_t *env)
{
    Zc__SubmitTxsReply *reply = NULL;
    if (env->type == ZC__MSG_TYPE__SUBMIT_TXS_REPLY)
        zc_codec_unpack (&zc__submit_txs_reply__descriptor, env->body, env->body_size, ZC_MSG_MAX,
                         (ProtobufCMessage **) &reply);
    if (!reply)
        return;
    for (size_t i = 0; i < reply->n_results; i++)
        if (reply->results [i]->txid.len == 32)
            p2p_relay_verdict (self, reply->results [i]->txid.data,
                               (zc_err_t) reply->results [i]->reason);
    for (size_t i = 0; peer && i < reply->n_results; i++) {
        zc_err_t reason = (zc_err_t) reply->results [i]->reason;
        //  a conflict or a missing parent is a race between honest nodes;
        //  a bad signature or amount is not
        if (reason == ZC_ERR_BAD_SIG || reason == ZC_ERR_BAD_AMOUNT || reason == ZC_ERR_MALFORMED
        ||  reason == ZC_ERR_COINBASE_TX || reason == ZC_ERR_DUPLICATE_INPUT || reason == ZC_ERR_EMPTY) {
            if (!p2p_misbehaved (self, peer, BAD_TX, zc_err_name (reason)))
                break;
        }
    }
    zc__submit_txs_reply__free_unpacked (reply, NULL);
}

static void
s_on_submit_block_reply (p2p_t *self, p2p_pend_t *pend, const zc_env_t *env)
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
        p2p_sync_done (self, reason);
        return;
    }
    p2p_peer_t *peer = p2p_peer_by_serial (self, pend->peer);
    if (reason == ZC_OK || reason == ZC_ERR_DUPLICATE)
        p2p_orphans_of (self, &pend->hash);
    else
    if (reason == ZC_ERR_ORPHAN) {
        p2p_orphan_add (self, pend);
        if (peer)
            p2p_sync_start (self, peer);
    }
    else
    if (peer && reason != ZC_ERR_BUSY && reason != ZC_ERR_TIMEOUT && reason != ZC_ERR_INTERNAL
    &&  reason != ZC_ERR_CORRUPTION)       //  our storage's damage, not the peer's doing
        p2p_misbehaved (self, peer, BAD_BLOCK, zc_err_name (reason));
}

static void
s_on_mempool_reply (p2p_t *self, p2p_peer_t *peer, const zc_env_t *env)
{
    Zc__MempoolReply *reply = NULL;
    if (env->type == ZC__MSG_TYPE__MEMPOOL_REPLY)
        zc_codec_unpack (&zc__mempool_reply__descriptor, env->body, env->body_size, ZC_MSG_MAX,
                         (ProtobufCMessage **) &reply);
    if (!reply)
        return;
    for (size_t i = 0; peer && i < reply->n_entries; i++)
        if (reply->entries [i]->txid.len == 32)
            p2p_inv_queue (self, peer, ZC__INV_TYPE__INV_TX, reply->entries [i]->txid.data);
    zc__mempool_reply__free_unpacked (reply, NULL);
}

void
p2p_backend_on_reply (p2p_t *self, zsock_t *backend)
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
    p2p_pend_t *pend = zhashx_lookup (self->pending, key);
    if (pend) {
        zhashx_delete (self->pending, key);     //  no destructor: the entry is ours now
        if (pend->kind == PEND_SUBMIT_BLOCK && pend->raw)
            self->sync.submits--;
        p2p_peer_t *peer = p2p_peer_by_serial (self, pend->peer);
        switch (pend->kind) {
            case PEND_LOCATOR:      p2p_sync_on_locator (self, peer, &env); break;
            case PEND_HEADERS:      if (peer) s_on_headers_reply (self, peer, &env); break;
            case PEND_BLOCK:        if (peer) s_on_block_reply (self, peer, pend, &env); break;
            case PEND_SUBMIT_TXS:   s_on_submit_txs_reply (self, peer, &env); break;
            case PEND_SUBMIT_BLOCK: s_on_submit_block_reply (self, pend, &env); break;
            case PEND_MEMPOOL:      s_on_mempool_reply (self, peer, &env); break;
        }
        p2p_pend_free ((void **) &pend);
    }
    zc_frames_close (&frames);
}

void
p2p_backend_expire (p2p_t *self, int64_t now)
{
    zlistx_t *expired = zlistx_new ();
    for (p2p_pend_t *p = zhashx_first (self->pending); p; p = zhashx_next (self->pending))
        if (p->expires < now)
            zlistx_add_end (expired, (void *) zhashx_cursor (self->pending));
    for (const char *key = zlistx_first (expired); key; key = zlistx_next (expired)) {
        p2p_pend_t *p = zhashx_lookup (self->pending, key);
        if (p && p->kind == PEND_SUBMIT_BLOCK && p->download)
            self->sync.submitting = false;
        if (p && p->kind == PEND_SUBMIT_BLOCK && p->raw)
            self->sync.submits--;
        p2p_peer_t *peer = p && p->kind == PEND_BLOCK ? p2p_peer_by_serial (self, p->peer) : NULL;
        if (peer && peer->serving > 0)
            peer->serving--;
        zhashx_delete (self->pending, key);
        p2p_pend_free ((void **) &p);
    }
    zlistx_destroy (&expired);
}
