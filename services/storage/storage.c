/*  storage.c - the storage actor: api, events, block validation pipeline */
#include "storage.h"
#include "chain.h"
#include "zc_actor.h"
#include "zc_check.h"
#include "zc_hashkey.h"
#include "zc_log.h"
#include "zc_metrics.h"
#include "zc_time.h"
#include "zc_workpool.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"
#include "events.pb-c.h"
#include "storage.pb-c.h"
#include "work.pb-c.h"

#include <stdlib.h>
#include <string.h>

const zc_option_t storage_options [] = {
    ZC_SERVICE_OPTIONS ("storage"),
    { "db", "ZC_STORAGE_DB", ZC_OPT_STRING, "./data/chain", "RocksDB directory",
      offsetof (storage_cfg_t, db), 0, 0 },
    { "api", "ZC_STORAGE_API", ZC_OPT_STRING, "tcp://0.0.0.0:7801", "request endpoint (bound)",
      offsetof (storage_cfg_t, api), 0, 0 },
    { "events", "ZC_STORAGE_EVENTS", ZC_OPT_STRING, "tcp://0.0.0.0:7802",
      "chain events endpoint (bound)", offsetof (storage_cfg_t, events), 0, 0 },
    { "work", "ZC_STORAGE_WORK", ZC_OPT_STRING, "tcp://0.0.0.0:7803",
      "validator work endpoint (bound)", offsetof (storage_cfg_t, work), 0, 0 },
    { "mempool-events", "ZC_MEMPOOL_EVENTS", ZC_OPT_STRING, "tcp://127.0.0.1:7812",
      "mempool events to follow, the \"verified\" topic (empty: verify every transaction again)",
      offsetof (storage_cfg_t, mempool_events), 0, 0 },
    { "sync", "ZC_STORAGE_SYNC", ZC_OPT_BOOL, "true",
      "fsync each connected block (survives power loss, not just a crash)",
      offsetof (storage_cfg_t, sync), 0, 0 },
    { "verified-cache", "ZC_VERIFIED_CACHE", ZC_OPT_INT, "500000",
      "wtxids the mempool verified, remembered to skip verifying them again",
      offsetof (storage_cfg_t, verified_cache), 0, 10000000 },
    { "utxo-cache", "ZC_UTXO_CACHE", ZC_OPT_INT, "64",
      "MB of unspent outputs kept in memory in front of RocksDB (the oldest dropped first)",
      offsetof (storage_cfg_t, utxo_cache_mb), 1, 65536 },
    { "job-items", "ZC_JOB_ITEMS", ZC_OPT_INT, "250", "transactions per validator job",
      offsetof (storage_cfg_t, job_items), 1, 10000 },
    { "scrub-rate", "ZC_STORAGE_SCRUB_RATE", ZC_OPT_INT, "16",
      "MB a second of records the scrub reads to verify every checksum, from start-up (0: no scrub)",
      offsetof (storage_cfg_t, scrub_rate), 0, 100000 },
    { "scrub-hours", "ZC_STORAGE_SCRUB_HOURS", ZC_OPT_INT, "24",
      "hours from the end of one scrub pass to the start of the next",
      offsetof (storage_cfg_t, scrub_hours), 1, 8760 },
    { "crash-after-event", "ZC_STORAGE_CRASH_AFTER_EVENT", ZC_OPT_INT, "0",
      "testing only: end the process (status 86) right after writing the step with this event "
      "number, before publishing it, as a kill -9 there would (0: never)",
      offsetof (storage_cfg_t, crash_after_event), 0, INT64_MAX },
    { NULL, NULL, 0, NULL, NULL, 0, 0, 0 }
};

#define MAX_PENDING 1024                //  block submitters waiting for a verdict
#define MAX_UTXO_QUERY 20000            //  outpoints in one GET_UTXOS
#define MAX_EVENTS_REPLY 200
#define MAX_HEADERS_REPLY 2000
#define MAX_ADDRESS_COINS 100000
#define MAX_BLOCKS_REPLY 25             //  blocks in one GET_BLOCKS
#define MAX_ADDRESS_TXS 25              //  transactions in one GET_ADDRESS_TXS
#define EVENTS_HWM 1000                 //  chain events queued per subscriber

typedef struct {
    uint8_t identity [256];
    size_t identity_size;
    uint64_t request_id;
    chain_node_t *node;
} s_pending_t;

typedef struct {
    storage_cfg_t *cfg;
    const zc_params_t *params;
    chain_t *chain;
    zc_actor_t *actor;
    zsock_t *api;
    zsock_t *events;
    zsock_t *work;
    zsock_t *mempool;
    zsock_t *metrics_sock;
    zc_workpool_t *workpool;
    //  the connect being verified
    chain_step_t step;
    bool step_active;
    size_t jobs_pending;
    zc_err_t step_error;
    int64_t step_started_us;
    uint64_t step_gen;                  //  jobs of an abandoned step are ignored
    uint32_t disconnects_in_row;
    //  submitters waiting for their block's fate
    s_pending_t pending [MAX_PENDING];
    size_t n_pending;
    //  wtxids verified by the mempool: a set and a ring for FIFO eviction
    zhashx_t *verified;
    zc_hash_t *ring;
    size_t ring_size;
    size_t ring_next;
    //  metrics
    zc_metrics_t *metrics;
    zc_metric_t *m_height;
    zc_metric_t *m_work;
    zc_metric_t *m_db_memory;
    zc_metric_t *m_connected;
    zc_metric_t *m_disconnected;
    zc_metric_t *m_reorg_depth;
    zc_metric_t *m_rejected [ZC_ERR_COUNT_];
    zc_metric_t *m_cache_hits;
    zc_metric_t *m_cache_misses;
    zc_metric_t *m_validation;
    zc_metric_t *m_utxos;
    zc_metric_t *m_requests;
    zc_metric_t *m_bad_requests;
    zc_metric_t *m_pub_drops;
    zc_metric_t *m_corruption;
    zc_metric_t *m_damaged;
    zc_metric_t *m_scrub_bytes;
    zc_metric_t *m_scrub_passes;
    zc_metric_t *m_cache_bytes;         //  the coin cache (chain_cache_stats)
    zc_metric_t *m_cache_coins;
    zc_metric_t *m_cache_found;
    zc_metric_t *m_cache_missed;
    //  damaged data: the reason, once storage has stopped serving
    char damage [DB_REASON_MAX];
} self_t;

static void s_advance (self_t *self);

//  The damage, once found (by s_halt, or by the database a moment ago:
//  requests of the same burst are refused too); NULL while the data is sound
static const char *
s_damage (self_t *self)
{
    const char *reason = NULL;
    if (self->damage [0])
        return self->damage;
    if (self->chain && db_damaged (chain_db (self->chain), &reason))
        return reason;
    return NULL;
}

//  Why the loop stops on its own
enum { S_DAMAGED = 1, S_STORE_FAILED };

//  The store failed: stop, so the supervisor restarts us at the last good
//  state; but not for damage, where the loop halts instead (s_halt)
static void
s_store_failed (self_t *self, const char *what)
{
    if (!db_damaged (chain_db (self->chain), NULL)) {
        zc_error ("%s: stopping, to start again from the last good state", what);
        zc_actor_stop (self->actor, S_STORE_FAILED);
    }
}

//  An api request the store could not answer: corruption with the damage,
//  or internal
static void
s_store_error (self_t *self, const uint8_t *id, size_t id_size, uint64_t request_id)
{
    const char *reason;
    if (db_damaged (chain_db (self->chain), &reason)) {
        char detail [DB_REASON_MAX + 32];
        snprintf (detail, sizeof detail, "chain data damaged: %s", reason);
        zc_zmq_send_error (self->api, id, id_size, request_id, ZC_ERR_CORRUPTION, detail);
    }
    else
        zc_zmq_send_error (self->api, id, id_size, request_id, ZC_ERR_INTERNAL, "the store failed");
}

// ---------------------------------------------------------------------------
//  the verified-wtxid cache

static void
s_cache_add (self_t *self, const uint8_t *wtxid)
{
    if (!self->ring_size || zhashx_lookup (self->verified, wtxid))
        return;
    zc_hash_t *slot = &self->ring [self->ring_next];
    if (!zc_hash_is_zero (slot))
        zhashx_delete (self->verified, slot->b);        //  the oldest goes
    memcpy (slot->b, wtxid, 32);
    zhashx_insert (self->verified, slot->b, slot);
    self->ring_next = (self->ring_next + 1) % self->ring_size;
}

static bool
s_cache_has (self_t *self, const zc_hash_t *wtxid)
{
    return self->ring_size && zhashx_lookup (self->verified, wtxid->b) != NULL;
}

// ---------------------------------------------------------------------------
//  replies

static void
s_reply (self_t *self, const void *identity, size_t identity_size, uint64_t request_id,
         uint32_t type, const ProtobufCMessage *body)
{
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = type, .request_id = request_id };
    zc_zmq_send (self->api, identity, identity_size, &header, body, ZMQ_DONTWAIT);
}

static void
s_work_bytes (const chain_node_t *node, uint8_t out [32])
{
    zc_u256_to_bytes (&node->work, out);
}

// ---------------------------------------------------------------------------
//  chain events

static void
s_publish (self_t *self, const chain_event_t *ev, const uint8_t *raw, size_t raw_size,
           uint32_t tx_count)
{
    chain_node_t *node = chain_lookup (self->chain, &ev->hash);
    chain_node_t *tip = chain_tip (self->chain);
    Zc__ChainEvent msg = ZC__CHAIN_EVENT__INIT;
    uint8_t header [ZC_HEADER_SIZE], work [32];
    msg.type = ev->type == CHAIN_EVENT_CONNECTED ? ZC__CHAIN_EVENT_TYPE__CONNECTED
                                                 : ZC__CHAIN_EVENT_TYPE__DISCONNECTED;
    msg.hash.data = (uint8_t *) ev->hash.b;
    msg.hash.len = 32;
    msg.height = ev->height;
    if (node) {
        zc_header_encode (&node->header, header);
        msg.header.data = header;
        msg.header.len = sizeof header;
    }
    msg.raw.data = (uint8_t *) raw;
    msg.raw.len = raw ? raw_size : 0;
    msg.tx_count = tx_count;
    s_work_bytes (tip, work);
    msg.chain_work.data = work;
    msg.chain_work.len = 32;
    msg.next_bits = chain_next_bits (self->chain, tip);
    msg.median_time = chain_median_time (tip);
    zc_env_t env = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__CHAIN_EVENT,
                     .seq = ev->seq };
    //  PUB never blocks; a subscriber that missed one sees the gap in seq
    //  and replays from GET_EVENTS
    if (zc_zmq_send (self->events, "chain", 5, &env, &msg.base, ZMQ_DONTWAIT))
        zc_metric_inc (self->m_pub_drops, 1);
    //  then the tip alone, under the same seq, for those that need no block
    //  (miners): a whole state, so one lost is made good by the next
    Zc__TipEvent tip_msg = ZC__TIP_EVENT__INIT;
    uint8_t tip_header [ZC_HEADER_SIZE];
    zc_header_encode (&tip->header, tip_header);
    tip_msg.height = tip->height;
    tip_msg.hash.data = tip->hash.b;
    tip_msg.hash.len = 32;
    tip_msg.header.data = tip_header;
    tip_msg.header.len = sizeof tip_header;
    tip_msg.chain_work = msg.chain_work;
    tip_msg.next_bits = msg.next_bits;
    tip_msg.median_time = msg.median_time;
    env.type = ZC__MSG_TYPE__TIP_EVENT;
    if (zc_zmq_send (self->events, "tip", 3, &env, &tip_msg.base, ZMQ_DONTWAIT))
        zc_metric_inc (self->m_pub_drops, 1);
}

static void
s_after_commit (self_t *self, const chain_event_t *ev, uint8_t *raw, size_t raw_size,
                uint32_t tx_count)
{
    if (ev->type == CHAIN_EVENT_CONNECTED) {
        zc_metric_inc (self->m_connected, 1);
        if (self->disconnects_in_row) {
            zc_metric_set (self->m_reorg_depth, self->disconnects_in_row);
            zc_info ("reorganised: %u block(s) disconnected", self->disconnects_in_row);
        }
        self->disconnects_in_row = 0;
    }
    else {
        zc_metric_inc (self->m_disconnected, 1);
        self->disconnects_in_row++;
    }
    s_publish (self, ev, raw, raw_size, tx_count);
    free (raw);
    chain_node_t *tip = chain_tip (self->chain);
    zc_metric_set (self->m_height, tip->height);
    zc_metric_set (self->m_work, zc_u256_to_double (&tip->work));
    char hex [65];
    zc_debug ("%s %s at %u", ev->type == CHAIN_EVENT_CONNECTED ? "connected" : "disconnected",
              zc_hash_hex (&ev->hash, hex), ev->height);
}

//  --crash-after-event: the crash that tests need, written but not told
static void
s_crash_point (self_t *self, const chain_event_t *ev)
{
    if (self->cfg->crash_after_event && ev->seq >= (uint64_t) self->cfg->crash_after_event) {
        zc_warn ("--crash-after-event %" PRId64 ": ending after writing event %" PRIu64
                 " and before publishing it", self->cfg->crash_after_event, ev->seq);
        _exit (STORAGE_CRASH_STATUS);
    }
}

//  Commit the prepared step and publish it. Exits the actor's loop on a
//  store failure (the supervisor restarts us at the last good state).
static int
s_commit (self_t *self)
{
    //  the event carries the block's stored bytes as they are (commit
    //  clears the step, so they are taken from it first)
    uint8_t *raw = self->step.raw;
    size_t raw_size = self->step.raw_size;
    self->step.raw = NULL;
    self->step.raw_size = 0;
    uint32_t tx_count = self->step.block->n_tx;
    chain_event_t ev;
    if (chain_step_commit (self->chain, &self->step, &ev)) {
        free (raw);
        return -1;
    }
    s_crash_point (self, &ev);
    s_after_commit (self, &ev, raw, raw_size, tx_count);
    return 0;
}

// ---------------------------------------------------------------------------
//  submitted blocks waiting for a verdict

static void
s_answer (self_t *self, s_pending_t *p, zc_err_t reason, bool connected)
{
    Zc__SubmitBlockReply reply = ZC__SUBMIT_BLOCK_REPLY__INIT;
    reply.reason = (int32_t) reason;
    reply.hash.data = p->node ? p->node->hash.b : NULL;
    reply.hash.len = p->node ? 32 : 0;
    reply.height = p->node ? p->node->height : 0;
    reply.connected = connected;
    reply.detail = (char *) zc_err_name (reason);
    s_reply (self, p->identity, p->identity_size, p->request_id,
             ZC__MSG_TYPE__SUBMIT_BLOCK_REPLY, &reply.base);
}

//  Answer every submitter whose block's fate is known
static void
s_resolve (self_t *self, bool idle)
{
    size_t kept = 0;
    for (size_t i = 0; i < self->n_pending; i++) {
        s_pending_t *p = &self->pending [i];
        chain_node_t *node = p->node;
        bool on_best = chain_at (self->chain, node->height) == node;
        if (node->status & CHAIN_INVALID)
            s_answer (self, p, ZC_ERR_INVALID_CHAIN, false);
        else
        if (on_best)
            s_answer (self, p, ZC_OK, true);
        else
        if (idle)
            s_answer (self, p, ZC_OK, false);      //  stored on a side branch
        else {
            self->pending [kept++] = *p;
            continue;
        }
    }
    self->n_pending = kept;
}

// ---------------------------------------------------------------------------
//  block validation: steps toward the best chain

static zc_err_t
s_reason_of (self_t *self, const uint8_t *reply, size_t size)
{
    Zc__VerifyReply *r = zc__verify_reply__unpack (NULL, size, reply);
    if (!r)
        return ZC_ERR_INTERNAL;
    zc_err_t reason = ZC_OK;
    for (size_t i = 0; i < r->n_verdicts && reason == ZC_OK; i++)
        if (r->verdicts [i]->reason != ZC_OK)
            reason = (zc_err_t) r->verdicts [i]->reason;
    zc__verify_reply__free_unpacked (r, NULL);
    (void) self;
    return reason;
}

static void
s_job_done (void *arg, uint64_t job_id, void *job_arg, const uint8_t *reply, size_t size)
{
    self_t *self = arg;
    (void) job_id;
    if (!self->step_active || (uintptr_t) job_arg != (uintptr_t) self->step_gen)
        return;
    zc_err_t reason = s_reason_of (self, reply, size);
    if (reason != ZC_OK && self->step_error == ZC_OK)
        self->step_error = reason;
    if (--self->jobs_pending > 0)
        return;
    self->step_active = false;
    zc_metric_observe (self->m_validation, (double) (zc_mono_us () - self->step_started_us) / 1e6);
    if (self->step_error != ZC_OK) {
        zc_metric_inc (self->m_rejected [self->step_error], 1);
        chain_step_fail (self->chain, &self->step, self->step_error);
    }
    else
    if (s_commit (self)) {
        s_store_failed (self, "store failed");
        return;
    }
    s_advance (self);
}

//  Send the step's unverified transactions to validators in chunks, each
//  as its bytes sliced out of the stored block's (never encoded again).
//  Returns the number of jobs sent, or -1 when the queue is full.
static int
s_send_jobs (self_t *self)
{
    const zc_block_t *block = self->step.block;
    const zc_undo_t *undo = self->step.undo;
    size_t per_job = (size_t) self->cfg->job_items;
    Zc__VerifyItem *items = calloc (per_job, sizeof *items);
    Zc__VerifyItem **item_ptrs = calloc (per_job, sizeof *item_ptrs);
    size_t *offsets = calloc (block->n_tx ? block->n_tx : 1, sizeof *offsets);
    int jobs = 0;
    size_t n = 0, coin_offset = 0;
    zlistx_t *allocs = zlistx_new ();   //  coin messages of the job being built
    bool failed = !items || !item_ptrs || !offsets || !allocs;
    //  the bytes and the block decoded from them agree, or slicing is wrong
    if (!failed && zc_block_tx_offsets (block, offsets) != self->step.raw_size) {
        zc_error ("block %u: its stored bytes are not the block decoded", self->step.node->height);
        failed = true;
    }
    for (uint32_t t = 1; t <= block->n_tx && !failed; t++) {
        const zc_tx_t *tx = t < block->n_tx ? block->tx [t] : NULL;
        if (tx) {
            size_t first_coin = coin_offset;
            coin_offset += tx->n_in;
            if (s_cache_has (self, &tx->wtxid)) {
                zc_metric_inc (self->m_cache_hits, 1);
                continue;
            }
            zc_metric_inc (self->m_cache_misses, 1);
            Zc__VerifyItem *item = &items [n];
            zc__verify_item__init (item);
            Zc__Coin *coins = calloc (tx->n_in, sizeof *coins);
            Zc__Coin **ptrs = calloc (tx->n_in, sizeof *ptrs);
            zlistx_add_end (allocs, coins);
            zlistx_add_end (allocs, ptrs);
            if (!coins || !ptrs) {
                failed = true;
                break;
            }
            item->tx.data = self->step.raw + offsets [t];
            item->tx.len = tx->size;
            for (uint32_t i = 0; i < tx->n_in; i++) {
                const zc_coin_t *c = &undo->coins [first_coin + i];
                zc__coin__init (&coins [i]);
                coins [i].amount = c->amount;
                coins [i].pubkey.data = (uint8_t *) c->pubkey;
                coins [i].pubkey.len = 32;
                coins [i].height = c->height;
                coins [i].coinbase = c->coinbase;
                ptrs [i] = &coins [i];
            }
            item->n_spent = tx->n_in;
            item->spent = ptrs;
            item_ptrs [n] = item;
            n++;
        }
        if (n == per_job || (!tx && n > 0)) {
            Zc__VerifyJob job = ZC__VERIFY_JOB__INIT;
            job.job_id = zc_workpool_next_id (self->workpool);
            job.items = item_ptrs;
            job.n_items = n;
            job.genesis.data = (uint8_t *) zc_params_genesis_hash (self->params)->b;
            job.genesis.len = 32;
            zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__VERIFY_JOB };
            size_t size;
            uint8_t *packed = zc_env_pack (&header, &job.base, &size);
            if (!packed || zc_workpool_submit (self->workpool, job.job_id, packed, size,
                                                      (void *) (uintptr_t) self->step_gen))
                failed = true;
            else
                jobs++;
            n = 0;
            for (void *p = zlistx_first (allocs); p; p = zlistx_next (allocs))
                free (p);
            zlistx_purge (allocs);
        }
    }
    if (allocs) {
        for (void *p = zlistx_first (allocs); p; p = zlistx_next (allocs))
            free (p);
        zlistx_destroy (&allocs);
    }
    free (items);
    free (item_ptrs);
    free (offsets);
    return failed ? -1 : jobs;
}

static void
s_advance (self_t *self)
{
    while (!self->step_active && chain_wants_step (self->chain)) {
        zc_err_t rc = chain_step_begin (self->chain, &self->step);
        if (rc == ZC_ERR_INTERNAL) {
            s_store_failed (self, "store failed while preparing a block");
            return;
        }
        if (rc != ZC_OK) {
            zc_metric_inc (self->m_rejected [rc], 1);
            char hex [65];
            zc_warn ("block %s rejected: %s", zc_hash_hex (&self->step.node->hash, hex),
                     zc_err_name (rc));
            continue;
        }
        if (self->step.kind == CHAIN_STEP_CONNECT) {
            self->step_started_us = zc_mono_us ();
            self->step_error = ZC_OK;
            self->step_gen++;
            int jobs = s_send_jobs (self);
            if (jobs < 0) {
                //  the validator queue is full: try again on the next tick
                chain_step_clear (&self->step);
                zc_warn ("validator queue full; block connection waits");
                return;
            }
            if (jobs > 0) {
                self->jobs_pending = (size_t) jobs;
                self->step_active = true;
                return;
            }
            zc_metric_observe (self->m_validation, (double) (zc_mono_us () - self->step_started_us) / 1e6);
        }
        if (s_commit (self)) {
            s_store_failed (self, "store failed");
            return;
        }
    }
    s_resolve (self, !self->step_active && !chain_wants_step (self->chain));
}

// ---------------------------------------------------------------------------
//  api handlers: each answers one request

static void
s_get_tip (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    chain_node_t *tip = chain_tip (self->chain);
    Zc__TipReply reply = ZC__TIP_REPLY__INIT;
    uint8_t header [ZC_HEADER_SIZE], work [32];
    zc_header_encode (&tip->header, header);
    s_work_bytes (tip, work);
    reply.height = tip->height;
    reply.hash.data = tip->hash.b;
    reply.hash.len = 32;
    reply.header.data = header;
    reply.header.len = sizeof header;
    reply.chain_work.data = work;
    reply.chain_work.len = 32;
    reply.event_seq = chain_event_seq (self->chain);
    reply.next_bits = chain_next_bits (self->chain, tip);
    reply.median_time = chain_median_time (tip);
    chain_utxo_stats (self->chain, &reply.utxo_count, &reply.total_amount);
    //  a block locator: the last ten blocks, then doubling steps to genesis
    Zc__GetTip *req = zc__get_tip__unpack (NULL, env->body_size, env->body);
    ProtobufCBinaryData locator [64];
    if (req && req->with_locator) {
        int64_t height = tip->height, step = 1;
        size_t n = 0;
        while (n < 63 && height > 0) {
            chain_node_t *node = chain_at (self->chain, (uint32_t) height);
            locator [n].data = node->hash.b;
            locator [n++].len = 32;
            if (n >= 10)
                step *= 2;
            height -= step;
        }
        chain_node_t *genesis = chain_at (self->chain, 0);
        locator [n].data = genesis->hash.b;
        locator [n++].len = 32;
        reply.n_locator = n;
        reply.locator = locator;
    }
    if (req)
        zc__get_tip__free_unpacked (req, NULL);
    s_reply (self, id, id_size, env->request_id, ZC__MSG_TYPE__TIP_REPLY, &reply.base);
}

//  The node a GetBlock names (by hash, or by height on the best chain)
static chain_node_t *
s_named (self_t *self, const Zc__GetBlock *req)
{
    if (req->by_height)
        return chain_at (self->chain, req->height);
    if (req->hash.len != 32)
        return NULL;
    zc_hash_t hash;
    memcpy (hash.b, req->hash.data, 32);
    return chain_lookup (self->chain, &hash);
}

static void
s_get_block (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env, bool header_only)
{
    Zc__GetBlock *req = zc__get_block__unpack (NULL, env->body_size, env->body);
    if (!req) {
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_MALFORMED, NULL);
        return;
    }
    chain_node_t *node = s_named (self, req);
    zc__get_block__free_unpacked (req, NULL);
    if (!node) {
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_NOT_FOUND, "no such block");
        return;
    }
    chain_node_t *tip = chain_tip (self->chain);
    bool best = chain_at (self->chain, node->height) == node;
    uint8_t work [32];
    s_work_bytes (node, work);
    if (header_only) {
        Zc__HeaderReply reply = ZC__HEADER_REPLY__INIT;
        uint8_t header [ZC_HEADER_SIZE];
        zc_header_encode (&node->header, header);
        reply.raw.data = header;
        reply.raw.len = sizeof header;
        reply.hash.data = node->hash.b;
        reply.hash.len = 32;
        reply.height = node->height;
        reply.in_best_chain = best;
        reply.chain_work.data = work;
        reply.chain_work.len = 32;
        s_reply (self, id, id_size, env->request_id, ZC__MSG_TYPE__HEADER_REPLY, &reply.base);
        return;
    }
    uint8_t *raw;
    size_t size;
    int found = chain_get_block (self->chain, &node->hash, &raw, &size);
    if (found < 0) {
        s_store_error (self, id, id_size, env->request_id);
        return;
    }
    if (found == 0) {
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_NOT_FOUND, "block data missing");
        return;
    }
    Zc__BlockReply reply = ZC__BLOCK_REPLY__INIT;
    reply.raw.data = raw;
    reply.raw.len = size;
    reply.hash.data = node->hash.b;
    reply.hash.len = 32;
    reply.height = node->height;
    reply.in_best_chain = best;
    reply.confirmations = best ? tip->height - node->height + 1 : 0;
    chain_node_t *next = best ? chain_at (self->chain, node->height + 1) : NULL;
    if (next) {
        reply.next_hash.data = next->hash.b;
        reply.next_hash.len = 32;
    }
    s_reply (self, id, id_size, env->request_id, ZC__MSG_TYPE__BLOCK_REPLY, &reply.base);
    free (raw);
}

//  One confirmed transaction as a TxReply, owning what the reply points at
typedef struct {
    Zc__TxReply reply;
    uint8_t *raw;
    zc_hash_t txid;
    zc_hash_t block_hash;
    zc_coin_t *coins;                   //  its prevouts, with_prevouts
    Zc__Coin *coin_msgs;
    Zc__Coin **coin_ptrs;
} s_txinfo_t;

static void
s_txinfo_free (s_txinfo_t *info)
{
    free (info->raw);
    free (info->coins);
    free (info->coin_msgs);
    free (info->coin_ptrs);
    memset (info, 0, sizeof *info);
}

//  The confirmed transaction txid: 1 filled, 0 not on the best chain, -1
//  the store failed. With prevouts, the coins its inputs spent (from its
//  block's undo data) and so its fee.
static int
s_txinfo_load (self_t *self, const zc_hash_t *txid, bool with_prevouts, s_txinfo_t *info)
{
    memset (info, 0, sizeof *info);
    zc__tx_reply__init (&info->reply);
    info->txid = *txid;
    uint32_t position;
    chain_node_t *node = NULL;
    uint8_t *raw = NULL;
    size_t size = 0;
    zc_block_t *block = NULL;
    size_t *offsets = NULL;
    zc_undo_t *undo = NULL;
    int found = chain_find_tx (self->chain, txid, &info->block_hash, &position);
    if (found == 1 && !(node = chain_lookup (self->chain, &info->block_hash)))
        found = 0;
    if (found == 1)
        found = chain_get_block (self->chain, &info->block_hash, &raw, &size);
    if (found == 1
    &&  (zc_block_decode (raw, size, &block) != ZC_OK || position >= block->n_tx
    ||   !(offsets = calloc (block->n_tx, sizeof *offsets))
    ||   zc_block_tx_offsets (block, offsets) != size))
        found = -1;
    const zc_tx_t *tx = found == 1 ? block->tx [position] : NULL;
    if (found == 1 && with_prevouts && position > 0) {
        if (chain_get_undo (self->chain, node, &undo) != 1)
            found = -1;
        size_t first = 0;
        for (uint32_t t = 1; found == 1 && t < position; t++)
            first += block->tx [t]->n_in;
        if (found == 1 && first + tx->n_in > undo->n)
            found = -1;
        if (found == 1) {
            info->coins = calloc (tx->n_in, sizeof *info->coins);
            info->coin_msgs = calloc (tx->n_in, sizeof *info->coin_msgs);
            info->coin_ptrs = calloc (tx->n_in, sizeof *info->coin_ptrs);
            if (!info->coins || !info->coin_msgs || !info->coin_ptrs)
                found = -1;
        }
        if (found == 1) {
            uint64_t in = 0, out = 0;
            for (uint32_t i = 0; i < tx->n_in; i++) {
                info->coins [i] = undo->coins [first + i];
                Zc__Coin *m = &info->coin_msgs [i];
                zc__coin__init (m);
                m->amount = info->coins [i].amount;
                m->pubkey.data = info->coins [i].pubkey;
                m->pubkey.len = 32;
                m->height = info->coins [i].height;
                m->coinbase = info->coins [i].coinbase;
                info->coin_ptrs [i] = m;
                in += info->coins [i].amount;
            }
            for (uint32_t o = 0; o < tx->n_out; o++)
                out += tx->out [o].amount;
            info->reply.n_prevouts = tx->n_in;
            info->reply.prevouts = info->coin_ptrs;
            info->reply.fee = in >= out ? in - out : 0;
            info->reply.fee_known = true;
        }
    }
    if (found == 1 && !(info->raw = malloc (tx->size)))
        found = -1;
    if (found == 1) {
        //  its bytes, sliced out of the block's
        memcpy (info->raw, raw + offsets [position], tx->size);
        info->reply.raw.data = info->raw;
        info->reply.raw.len = tx->size;
        info->reply.txid.data = info->txid.b;
        info->reply.txid.len = 32;
        info->reply.confirmed = true;
        info->reply.block_hash.data = info->block_hash.b;
        info->reply.block_hash.len = 32;
        info->reply.height = node->height;
        info->reply.block_time = node->header.time;
        info->reply.confirmations = chain_tip (self->chain)->height - node->height + 1;
    }
    else
        s_txinfo_free (info);
    free (raw);
    free (offsets);
    zc_block_destroy (&block);
    zc_undo_destroy (&undo);
    return found;
}

static void
s_get_tx (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetTx *req = zc__get_tx__unpack (NULL, env->body_size, env->body);
    if (!req || req->txid.len != 32) {
        if (req)
            zc__get_tx__free_unpacked (req, NULL);
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_MALFORMED, NULL);
        return;
    }
    zc_hash_t txid;
    memcpy (txid.b, req->txid.data, 32);
    bool with_prevouts = req->with_prevouts;
    zc__get_tx__free_unpacked (req, NULL);
    s_txinfo_t info;
    int found = s_txinfo_load (self, &txid, with_prevouts, &info);
    if (found == 1)
        s_reply (self, id, id_size, env->request_id, ZC__MSG_TYPE__TX_REPLY, &info.reply.base);
    else
    if (found < 0)
        s_store_error (self, id, id_size, env->request_id);
    else
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_NOT_FOUND,
                           "no such confirmed transaction");
    s_txinfo_free (&info);
}

//  Blocks of the best chain going down, with what they hold and paid
static void
s_get_blocks (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetBlocks *req = zc__get_blocks__unpack (NULL, env->body_size, env->body);
    if (!req) {
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_MALFORMED, NULL);
        return;
    }
    chain_node_t *tip = chain_tip (self->chain);
    uint32_t start = req->from_tip ? tip->height : req->start_height;
    uint32_t max = req->max ? req->max : 10;
    bool from_tip = req->from_tip;
    zc__get_blocks__free_unpacked (req, NULL);
    if (max > MAX_BLOCKS_REPLY) {
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_OVERSIZE,
                           "at most 25 blocks at a time");
        return;
    }
    if (!from_tip && start > tip->height) {
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_NOT_FOUND,
                           "no block at that height on the best chain");
        return;
    }
    Zc__BlockSummary list [MAX_BLOCKS_REPLY], *ptrs [MAX_BLOCKS_REPLY];
    uint8_t headers [MAX_BLOCKS_REPLY][ZC_HEADER_SIZE];
    size_t n = 0;
    int rc = 0;
    for (int64_t h = start; h >= 0 && n < max && rc == 0; h--) {
        chain_node_t *node = chain_at (self->chain, (uint32_t) h);
        chain_block_stats_t stats;
        rc = chain_block_stats (self->chain, node, &stats) < 0 ? -1 : 0;
        Zc__BlockSummary *b = &list [n];
        zc__block_summary__init (b);
        zc_header_encode (&node->header, headers [n]);
        b->hash.data = node->hash.b;
        b->hash.len = 32;
        b->height = node->height;
        b->header.data = headers [n];
        b->header.len = ZC_HEADER_SIZE;
        b->size = stats.size;
        b->tx_count = stats.tx_count;
        b->fees_known = stats.fees_known;
        b->fees = stats.fees;
        b->fee_bytes = stats.fee_bytes;
        ptrs [n] = b;
        n++;
    }
    if (rc) {
        s_store_error (self, id, id_size, env->request_id);
        return;
    }
    Zc__BlocksReply reply = ZC__BLOCKS_REPLY__INIT;
    reply.n_blocks = n;
    reply.blocks = ptrs;
    reply.tip_height = tip->height;
    s_reply (self, id, id_size, env->request_id, ZC__MSG_TYPE__BLOCKS_REPLY, &reply.base);
}

static void
s_get_outspend (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetOutspend *req = zc__get_outspend__unpack (NULL, env->body_size, env->body);
    if (!req || !req->outpoint || req->outpoint->txid.len != 32) {
        if (req)
            zc__get_outspend__free_unpacked (req, NULL);
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_MALFORMED,
                           "an outpoint is a 32-byte txid and an index");
        return;
    }
    zc_outpoint_t op;
    memcpy (op.txid.b, req->outpoint->txid.data, 32);
    op.index = req->outpoint->index;
    zc__get_outspend__free_unpacked (req, NULL);
    zc_hash_t txid, block_hash;
    uint32_t vin = 0, position;
    Zc__OutspendReply reply = ZC__OUTSPEND_REPLY__INIT;
    int rc = chain_find_spender (self->chain, &op, &txid, &vin);
    chain_node_t *node = NULL;
    if (rc == 1) {
        //  the spender's block: from the transaction index, best chain only
        rc = chain_find_tx (self->chain, &txid, &block_hash, &position);
        if (rc == 1 && !(node = chain_lookup (self->chain, &block_hash)))
            rc = -1;
    }
    if (rc < 0) {
        s_store_error (self, id, id_size, env->request_id);
        return;
    }
    if (rc == 1) {
        reply.spent = true;
        reply.txid.data = txid.b;
        reply.txid.len = 32;
        reply.vin = vin;
        reply.confirmed = true;
        reply.block_hash.data = node->hash.b;
        reply.block_hash.len = 32;
        reply.height = node->height;
        reply.block_time = node->header.time;
    }
    s_reply (self, id, id_size, env->request_id, ZC__MSG_TYPE__OUTSPEND_REPLY, &reply.base);
}

static void
s_get_address_txs (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetAddressTxs *req = zc__get_address_txs__unpack (NULL, env->body_size, env->body);
    const char *bad = NULL;
    if (!req || req->pubkey.len != 32)
        bad = "pubkey is 32 bytes";
    else
    if (req->after_txid.len != 0 && req->after_txid.len != 32)
        bad = "after_txid is a 32-byte txid";
    else
    if (req->max > MAX_ADDRESS_TXS)
        bad = "at most 25 transactions at a time";
    if (bad) {
        if (req)
            zc__get_address_txs__free_unpacked (req, NULL);
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_BAD_REQUEST, bad);
        return;
    }
    uint8_t pubkey [32];
    memcpy (pubkey, req->pubkey.data, 32);
    size_t max = req->max ? req->max : MAX_ADDRESS_TXS;
    zc_hash_t after, where;
    bool paging = req->after_txid.len == 32;
    if (paging)
        memcpy (after.b, req->after_txid.data, 32);
    zc__get_address_txs__free_unpacked (req, NULL);
    uint32_t after_height = 0, position;
    chain_node_t *node = NULL;
    if (paging) {
        int found = chain_find_tx (self->chain, &after, &where, &position);
        if (found < 0) {
            s_store_error (self, id, id_size, env->request_id);
            return;
        }
        if (found == 0 || !(node = chain_lookup (self->chain, &where))) {
            zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_NOT_FOUND,
                               "after_txid is not a confirmed transaction");
            return;
        }
        after_height = node->height;
    }
    zc_hash_t txids [MAX_ADDRESS_TXS];
    uint32_t heights [MAX_ADDRESS_TXS];
    int n = chain_address_txs (self->chain, pubkey, paging ? &after : NULL, after_height, max,
                               txids, heights);
    s_txinfo_t infos [MAX_ADDRESS_TXS];
    Zc__TxReply *ptrs [MAX_ADDRESS_TXS];
    int loaded = 0, rc = n < 0 ? -1 : 0;
    for (int i = 0; i < n && rc == 0; i++) {
        //  the index and the transaction index are written in one batch
        if (s_txinfo_load (self, &txids [i], true, &infos [loaded]) != 1)
            rc = -1;
        else {
            ptrs [loaded] = &infos [loaded].reply;
            loaded++;
        }
    }
    if (rc)
        s_store_error (self, id, id_size, env->request_id);
    else {
        Zc__AddressTxsReply reply = ZC__ADDRESS_TXS_REPLY__INIT;
        reply.n_txs = (size_t) loaded;
        reply.txs = ptrs;
        s_reply (self, id, id_size, env->request_id, ZC__MSG_TYPE__ADDRESS_TXS_REPLY, &reply.base);
    }
    for (int i = 0; i < loaded; i++)
        s_txinfo_free (&infos [i]);
}

static void
s_get_utxos (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetUtxos *req = NULL;
    zc_err_t rc = zc_codec_unpack (&zc__get_utxos__descriptor, env->body, env->body_size,
                                   ZC_MSG_MAX, (ProtobufCMessage **) &req);
    if (rc == ZC_OK && req->n_outpoints > MAX_UTXO_QUERY)
        rc = ZC_ERR_OVERSIZE;
    size_t n = rc == ZC_OK ? req->n_outpoints : 0;
    zc_outpoint_t *ops = calloc (n ? n : 1, sizeof *ops);
    zc_coin_t *coins = calloc (n ? n : 1, sizeof *coins);
    uint8_t *found = calloc (n ? n : 1, 1);
    Zc__UtxoEntry *entries = calloc (n ? n : 1, sizeof *entries);
    Zc__UtxoEntry **entry_ptrs = calloc (n ? n : 1, sizeof *entry_ptrs);
    Zc__Coin *coin_msgs = calloc (n ? n : 1, sizeof *coin_msgs);
    if (rc == ZC_OK && (!ops || !coins || !found || !entries || !entry_ptrs || !coin_msgs))
        rc = ZC_ERR_INTERNAL;
    for (size_t i = 0; rc == ZC_OK && i < n; i++) {
        const Zc__OutPoint *op = req->outpoints [i];
        if (!op || op->txid.len != 32)
            rc = ZC_ERR_MALFORMED;
        else {
            memcpy (ops [i].txid.b, op->txid.data, 32);
            ops [i].index = op->index;
        }
    }
    if (rc == ZC_OK && chain_get_coins (self->chain, ops, n, coins, found))
        s_store_error (self, id, id_size, env->request_id);
    else
    if (rc != ZC_OK)
        zc_zmq_send_error (self->api, id, id_size, env->request_id, rc, NULL);
    else {
        Zc__UtxosReply reply = ZC__UTXOS_REPLY__INIT;
        for (size_t i = 0; i < n; i++) {
            zc__utxo_entry__init (&entries [i]);
            entries [i].found = found [i];
            if (found [i]) {
                zc__coin__init (&coin_msgs [i]);
                coin_msgs [i].amount = coins [i].amount;
                coin_msgs [i].pubkey.data = coins [i].pubkey;
                coin_msgs [i].pubkey.len = 32;
                coin_msgs [i].height = coins [i].height;
                coin_msgs [i].coinbase = coins [i].coinbase;
                entries [i].coin = &coin_msgs [i];
            }
            entry_ptrs [i] = &entries [i];
        }
        reply.n_entries = n;
        reply.entries = entry_ptrs;
        chain_node_t *tip = chain_tip (self->chain);
        reply.tip.data = tip->hash.b;
        reply.tip.len = 32;
        reply.height = tip->height;
        s_reply (self, id, id_size, env->request_id, ZC__MSG_TYPE__UTXOS_REPLY, &reply.base);
    }
    free (ops);
    free (coins);
    free (found);
    free (entries);
    free (entry_ptrs);
    free (coin_msgs);
    if (req)
        zc__get_utxos__free_unpacked (req, NULL);
}

typedef struct {
    uint64_t balance;
    uint64_t immature;
    uint64_t count;
    uint32_t spend_height;              //  height of the next block
    uint32_t maturity;
    Zc__AddressUtxo *list;
    Zc__OutPoint *ops;
    Zc__Coin *coins;
    zc_coin_t *raw_coins;
    zc_outpoint_t *raw_ops;
    size_t listed;
    size_t max_list;
} s_address_t;

static void
s_address_visit (void *arg, const zc_outpoint_t *op, const zc_coin_t *coin)
{
    s_address_t *a = arg;
    a->balance += coin->amount;
    a->count++;
    if (!zc_coin_mature (coin, a->spend_height, a->maturity))
        a->immature += coin->amount;
    if (a->listed < a->max_list) {
        size_t i = a->listed++;
        a->raw_ops [i] = *op;
        a->raw_coins [i] = *coin;
    }
}

static void
s_get_address (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetAddress *req = zc__get_address__unpack (NULL, env->body_size, env->body);
    if (!req || req->pubkey.len != 32) {
        if (req)
            zc__get_address__free_unpacked (req, NULL);
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_MALFORMED, NULL);
        return;
    }
    s_address_t a = { 0 };
    a.spend_height = chain_tip (self->chain)->height + 1;
    a.maturity = self->params->coinbase_maturity;
    a.max_list = req->max_utxos > 1000 ? 1000 : req->max_utxos;
    a.raw_ops = calloc (a.max_list + 1, sizeof *a.raw_ops);
    a.raw_coins = calloc (a.max_list + 1, sizeof *a.raw_coins);
    Zc__AddressUtxo *list = calloc (a.max_list + 1, sizeof *list);
    Zc__AddressUtxo **list_ptrs = calloc (a.max_list + 1, sizeof *list_ptrs);
    Zc__OutPoint *ops = calloc (a.max_list + 1, sizeof *ops);
    Zc__Coin *coins = calloc (a.max_list + 1, sizeof *coins);
    int rc = -1;
    if (a.raw_ops && a.raw_coins && list && list_ptrs && ops && coins)
        rc = chain_address_coins (self->chain, req->pubkey.data, MAX_ADDRESS_COINS,
                                  s_address_visit, &a);
    zc__get_address__free_unpacked (req, NULL);
    if (rc < 0)
        s_store_error (self, id, id_size, env->request_id);
    else {
        Zc__AddressReply reply = ZC__ADDRESS_REPLY__INIT;
        reply.balance = a.balance;
        reply.immature = a.immature;
        reply.utxo_count = a.count;
        reply.height = a.spend_height - 1;
        for (size_t i = 0; i < a.listed; i++) {
            zc__address_utxo__init (&list [i]);
            zc__out_point__init (&ops [i]);
            zc__coin__init (&coins [i]);
            ops [i].txid.data = a.raw_ops [i].txid.b;
            ops [i].txid.len = 32;
            ops [i].index = a.raw_ops [i].index;
            coins [i].amount = a.raw_coins [i].amount;
            coins [i].pubkey.data = a.raw_coins [i].pubkey;
            coins [i].pubkey.len = 32;
            coins [i].height = a.raw_coins [i].height;
            coins [i].coinbase = a.raw_coins [i].coinbase;
            list [i].outpoint = &ops [i];
            list [i].coin = &coins [i];
            list_ptrs [i] = &list [i];
        }
        reply.n_utxos = a.listed;
        reply.utxos = list_ptrs;
        s_reply (self, id, id_size, env->request_id, ZC__MSG_TYPE__ADDRESS_REPLY, &reply.base);
    }
    free (a.raw_ops);
    free (a.raw_coins);
    free (list);
    free (list_ptrs);
    free (ops);
    free (coins);
}

static void
s_submit_block (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__SubmitBlock *req = NULL;
    zc_err_t rc = zc_codec_unpack (&zc__submit_block__descriptor, env->body, env->body_size,
                                   ZC_BLOCK_MAX_BYTES + 1024, (ProtobufCMessage **) &req);
    chain_node_t *node = NULL;
    if (rc == ZC_OK)
        rc = chain_accept (self->chain, req->raw.data, req->raw.len, zc_now_ms () / 1000, &node);
    if (req)
        zc__submit_block__free_unpacked (req, NULL);
    if (rc == ZC_ERR_INTERNAL) {
        s_store_error (self, id, id_size, env->request_id);
        s_store_failed (self, "store failed while storing a block");
        return;
    }
    if (rc != ZC_OK && rc != ZC_ERR_DUPLICATE) {
        zc_metric_inc (self->m_rejected [rc], 1);
        zc_debug ("submitted block rejected: %s", zc_err_name (rc));
        s_pending_t p = { .request_id = env->request_id, .node = node };
        memcpy (p.identity, id, id_size);
        p.identity_size = id_size;
        s_answer (self, &p, rc, false);
        return;
    }
    if (self->n_pending == MAX_PENDING) {
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_BUSY,
                           "too many blocks waiting for validation");
        return;
    }
    s_pending_t *p = &self->pending [self->n_pending++];
    memcpy (p->identity, id, id_size);
    p->identity_size = id_size;
    p->request_id = env->request_id;
    p->node = node;
    s_advance (self);
    if (!self->step_active)
        s_resolve (self, !chain_wants_step (self->chain));
}

//  A past event as it was published: the work, next bits and median time
//  are those of the tip right after it (the block itself once connected,
//  its parent once disconnected), so a replay leaves a subscriber exactly
//  where the live event did
static void
s_fill_event (self_t *self, const chain_event_t *ev, bool with_block, Zc__ChainEvent *msg,
              uint8_t header [ZC_HEADER_SIZE], uint8_t work [32], uint8_t **raw_p)
{
    zc__chain_event__init (msg);
    msg->type = ev->type == CHAIN_EVENT_CONNECTED ? ZC__CHAIN_EVENT_TYPE__CONNECTED
                                                  : ZC__CHAIN_EVENT_TYPE__DISCONNECTED;
    msg->hash.data = (uint8_t *) ev->hash.b;
    msg->hash.len = 32;
    msg->height = ev->height;
    chain_node_t *node = chain_lookup (self->chain, &ev->hash);
    if (node) {
        zc_header_encode (&node->header, header);
        msg->header.data = header;
        msg->header.len = ZC_HEADER_SIZE;
        chain_node_t *after = ev->type == CHAIN_EVENT_CONNECTED ? node : node->prev;
        if (after) {
            s_work_bytes (after, work);
            msg->chain_work.data = work;
            msg->chain_work.len = 32;
            msg->next_bits = chain_next_bits (self->chain, after);
            msg->median_time = chain_median_time (after);
        }
    }
    *raw_p = NULL;
    size_t size;
    if (with_block && chain_get_block (self->chain, &ev->hash, raw_p, &size) == 1) {
        msg->raw.data = *raw_p;
        msg->raw.len = size;
    }
}

static void
s_get_events (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetEvents *req = zc__get_events__unpack (NULL, env->body_size, env->body);
    if (!req) {
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_MALFORMED, NULL);
        return;
    }
    uint64_t last = chain_event_seq (self->chain);
    uint64_t from = req->from_seq ? req->from_seq : 1;
    uint32_t max = req->max && req->max < MAX_EVENTS_REPLY ? req->max : MAX_EVENTS_REPLY;
    if (req->with_blocks && max > 20)
        max = 20;                       //  blocks are big: keep the reply bounded
    size_t n = from <= last ? (size_t) (last - from + 1) : 0;
    if (n > max)
        n = max;
    ProtobufCBinaryData *events = calloc (n ? n : 1, sizeof *events);
    Zc__EventsReply reply = ZC__EVENTS_REPLY__INIT;
    size_t done = 0, bytes = 0;
    //  bounded by size as well as count: the answer must fit a message
    for (size_t i = 0; events && i < n && bytes < ZC_MSG_MAX / 2; i++) {
        chain_event_t ev;
        if (chain_get_event (self->chain, from + i, &ev) != 1)
            break;
        Zc__ChainEvent msg;
        uint8_t header [ZC_HEADER_SIZE], work [32], *raw;
        s_fill_event (self, &ev, req->with_blocks, &msg, header, work, &raw);
        events [i].len = zc__chain_event__get_packed_size (&msg);
        bytes += events [i].len;
        events [i].data = malloc (events [i].len ? events [i].len : 1);
        if (events [i].data)
            zc__chain_event__pack (&msg, events [i].data);
        free (raw);
        done++;
    }
    reply.n_events = done;
    reply.events = events;
    reply.last_seq = last;
    s_reply (self, id, id_size, env->request_id, ZC__MSG_TYPE__EVENTS_REPLY, &reply.base);
    for (size_t i = 0; i < done; i++)
        free (events [i].data);
    free (events);
    zc__get_events__free_unpacked (req, NULL);
}

static void
s_get_headers (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetHeaders *req = NULL;
    zc_err_t rc = zc_codec_unpack (&zc__get_headers__descriptor, env->body, env->body_size,
                                   64 * 1024, (ProtobufCMessage **) &req);
    if (rc != ZC_OK) {
        zc_zmq_send_error (self->api, id, id_size, env->request_id, rc, NULL);
        return;
    }
    //  the first locator hash on our best chain is the fork point
    uint32_t start = 0;
    for (size_t i = 0; i < req->n_locator && i < 64; i++) {
        if (req->locator [i].len != 32)
            continue;
        zc_hash_t hash;
        memcpy (hash.b, req->locator [i].data, 32);
        chain_node_t *node = chain_lookup (self->chain, &hash);
        if (node && chain_at (self->chain, node->height) == node) {
            start = node->height + 1;
            break;
        }
    }
    uint32_t max = req->max && req->max < MAX_HEADERS_REPLY ? req->max : MAX_HEADERS_REPLY;
    uint32_t tip = chain_tip (self->chain)->height;
    uint32_t n = start <= tip ? tip - start + 1 : 0;
    if (n > max)
        n = max;
    ProtobufCBinaryData *headers = calloc (n ? n : 1, sizeof *headers);
    uint8_t *raw = malloc ((size_t) (n ? n : 1) * ZC_HEADER_SIZE);
    Zc__HeadersReply reply = ZC__HEADERS_REPLY__INIT;
    if (headers && raw) {
        for (uint32_t i = 0; i < n; i++) {
            chain_node_t *node = chain_at (self->chain, start + i);
            zc_header_encode (&node->header, raw + (size_t) i * ZC_HEADER_SIZE);
            headers [i].data = raw + (size_t) i * ZC_HEADER_SIZE;
            headers [i].len = ZC_HEADER_SIZE;
            if (req->stop.len == 32 && memcmp (node->hash.b, req->stop.data, 32) == 0) {
                n = i + 1;
                break;
            }
        }
        reply.n_headers = n;
        reply.headers = headers;
        reply.first_height = start;
    }
    s_reply (self, id, id_size, env->request_id, ZC__MSG_TYPE__HEADERS_REPLY, &reply.base);
    free (headers);
    free (raw);
    zc__get_headers__free_unpacked (req, NULL);
}

static void
s_on_api (zc_actor_t *actor, zsock_t *sock, void *arg)
{
    (void) actor;
    (void) sock;
    self_t *self = arg;
    zc_frames_t frames;
    if (zc_frames_recv (self->api, &frames, ZMQ_DONTWAIT))
        return;
    zc_env_t env;
    zc_err_t rc = zc_frames_envelope (&frames, &env);
    if (frames.count != 2) {
        zc_metric_inc (self->m_bad_requests, 1);
        zc_frames_close (&frames);
        return;                         //  no identity to answer to
    }
    const uint8_t *id = zc_frame_data (&frames, 0);
    size_t id_size = zc_frame_size (&frames, 0);
    if (rc == ZC_OK)
        rc = zc_env_check (&env, zc_now_ms ());
    zc_metric_inc (self->m_requests, 1);
    if (rc != ZC_OK) {
        zc_metric_inc (self->m_bad_requests, 1);
        zc_zmq_send_error (self->api, id, id_size, env.request_id, rc, NULL);
        zc_frames_close (&frames);
        return;
    }
    const char *damage = s_damage (self);
    if (damage && env.type != ZC__MSG_TYPE__PING) {
        //  halted: every answer is the damage, until an operator repairs it
        char detail [DB_REASON_MAX + 32];
        snprintf (detail, sizeof detail, "chain data damaged: %s", damage);
        zc_zmq_send_error (self->api, id, id_size, env.request_id, ZC_ERR_CORRUPTION, detail);
        zc_frames_close (&frames);
        return;
    }
    switch (env.type) {
        case ZC__MSG_TYPE__GET_TIP:       s_get_tip (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_BLOCK:     s_get_block (self, id, id_size, &env, false); break;
        case ZC__MSG_TYPE__GET_HEADER:    s_get_block (self, id, id_size, &env, true); break;
        case ZC__MSG_TYPE__GET_TX:        s_get_tx (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_UTXOS:     s_get_utxos (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_ADDRESS:   s_get_address (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__SUBMIT_BLOCK:  s_submit_block (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_EVENTS:    s_get_events (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_HEADERS:   s_get_headers (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_BLOCKS:    s_get_blocks (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_OUTSPEND:  s_get_outspend (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_ADDRESS_TXS: s_get_address_txs (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__PING:          zc_zmq_send_pong (self->api, id, id_size, env.request_id); break;
        default:
            zc_metric_inc (self->m_bad_requests, 1);
            zc_zmq_send_error (self->api, id, id_size, env.request_id, ZC_ERR_BAD_PROTOCOL,
                               "storage does not answer this message type");
    }
    zc_frames_close (&frames);
}

//  The mempool's "verified" feed: remember the wtxids it verified. A batch
//  lost costs those verifications again, nothing else: no replay
static void
s_on_mempool (zc_actor_t *actor, zsock_t *sock, void *arg)
{
    (void) actor;
    (void) sock;
    self_t *self = arg;
    zc_frames_t frames;
    if (zc_frames_recv (self->mempool, &frames, ZMQ_DONTWAIT))
        return;
    zc_env_t env;
    Zc__VerifiedTxs *ids = NULL;
    if (zc_frames_envelope (&frames, &env) == ZC_OK && env.type == ZC__MSG_TYPE__VERIFIED_TXS
    &&  zc_codec_unpack (&zc__verified_txs__descriptor, env.body, env.body_size, ZC_MSG_MAX,
                         (ProtobufCMessage **) &ids) == ZC_OK) {
        if (ids->wtxids.len % 32 == 0)
            for (size_t at = 0; at < ids->wtxids.len; at += 32)
                s_cache_add (self, ids->wtxids.data + at);
        zc__verified_txs__free_unpacked (ids, NULL);
    }
    zc_frames_close (&frames);
}

// ---------------------------------------------------------------------------
//  damaged data: storage stops serving and says why, but stays up (no
//  supervisor loops on it) until an operator replaces the data

//  Enter the halted state: one error line, the metrics, not ready, every
//  waiting submitter told, no more connects or scrub
static void
s_halt (self_t *self, const char *reason)
{
    if (reason != self->damage)
        snprintf (self->damage, sizeof self->damage, "%s", reason);
    zc_error ("chain data damaged: %s; storage refuses every request until %s is restored from "
              "a backup or deleted to re-sync from peers (docs/operations.md, Security)",
              self->damage, self->cfg->db);
    if (self->chain) {
        zc_metric_inc (self->m_corruption, 1);
        db_scrub_stop (chain_db (self->chain));
    }
    zc_metric_set (self->m_damaged, 1);
    zc_metrics_set_ready (self->metrics, false);
    //  nothing reads it any more: it would only fill to its high-water mark
    zsock_destroy (&self->mempool);
    self->step_active = false;
    chain_step_clear (&self->step);
    for (size_t i = 0; i < self->n_pending; i++)
        s_answer (self, &self->pending [i], ZC_ERR_CORRUPTION, false);
    self->n_pending = 0;
}

//  The gauges read when the metrics are pushed
static void
s_sample_metrics (zc_actor_t *actor, void *arg)
{
    (void) actor;
    self_t *self = arg;
    if (self->chain) {
        db_t *db = chain_db (self->chain);
        zc_metric_set (self->m_db_memory, (double) chain_db_memory (self->chain));
        zc_metric_set (self->m_scrub_bytes, (double) db_scrub_bytes (db));
        zc_metric_set (self->m_scrub_passes, (double) db_scrub_passes (db));
        chain_cache_stats_t cache;
        chain_cache_stats (self->chain, &cache);
        zc_metric_set (self->m_cache_bytes, (double) cache.bytes);
        zc_metric_set (self->m_cache_coins, (double) cache.coins);
        zc_metric_set (self->m_cache_found, (double) cache.hits);
        zc_metric_set (self->m_cache_missed, (double) cache.misses);
    }
}

static void
s_tick (zc_actor_t *actor, void *arg)
{
    (void) actor;
    self_t *self = arg;
    zc_workpool_tick (self->workpool);
    zc_workpool_sample (self->workpool);
    uint64_t count, total;
    chain_utxo_stats (self->chain, &count, &total);
    zc_metric_set (self->m_utxos, (double) count);
    if (!self->step_active)
        s_advance (self);               //  a connect that waited for queue room
}

static void
s_metrics_init (self_t *self)
{
    zc_metrics_t *m = self->metrics = zc_metrics_new ("storage", self->cfg->common.instance);
    self->m_height = zc_metrics_gauge (m, "zchain_chain_height", "height of the best chain", NULL, NULL);
    self->m_work = zc_metrics_gauge (m, "zchain_chain_work", "cumulative work of the best chain", NULL, NULL);
    self->m_db_memory = zc_metrics_gauge (m, "zchain_rocksdb_memory_bytes",
                                          "RocksDB memtables, table readers and block cache", NULL, NULL);
    self->m_connected = zc_metrics_counter (m, "zchain_blocks_connected_total", "blocks connected", NULL, NULL);
    self->m_disconnected = zc_metrics_counter (m, "zchain_blocks_disconnected_total",
                                               "blocks disconnected (reorganisations)", NULL, NULL);
    self->m_reorg_depth = zc_metrics_gauge (m, "zchain_reorg_depth", "blocks disconnected by the last reorganisation", NULL, NULL);
    for (int r = 1; r < ZC_ERR_COUNT_; r++)
        self->m_rejected [r] = NULL;
    static const int reasons [] = { ZC_ERR_MALFORMED, ZC_ERR_OVERSIZE, ZC_ERR_BAD_SIG,
        ZC_ERR_UNKNOWN_INPUT, ZC_ERR_DOUBLE_SPEND, ZC_ERR_BAD_AMOUNT, ZC_ERR_DUPLICATE_INPUT,
        ZC_ERR_IMMATURE_SPEND, ZC_ERR_COINBASE_TX, ZC_ERR_BAD_VERSION, ZC_ERR_EMPTY,
        ZC_ERR_BAD_MERKLE, ZC_ERR_BAD_POW, ZC_ERR_BAD_BITS, ZC_ERR_BAD_TIME, ZC_ERR_BAD_COINBASE,
        ZC_ERR_ORPHAN, ZC_ERR_INVALID_CHAIN, ZC_ERR_DUPLICATE };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons [0]; i++)
        self->m_rejected [reasons [i]] = zc_metrics_counter (m, "zchain_blocks_rejected_total",
                                  "blocks rejected, by reason", "reason", zc_err_name (reasons [i]));
    self->m_cache_hits = zc_metrics_counter (m, "zchain_storage_verify_skipped_total",
                                             "block transactions the mempool had verified", NULL, NULL);
    self->m_cache_misses = zc_metrics_counter (m, "zchain_storage_verify_sent_total",
                                               "block transactions sent to validators", NULL, NULL);
    self->m_validation = zc_metrics_histogram (m, "zchain_block_validation_seconds",
                                               "time from preparing a block to its verdict",
                                               zc_metrics_latency_bounds, 12);
    self->m_utxos = zc_metrics_gauge (m, "zchain_utxo_count", "unspent outputs", NULL, NULL);
    self->m_requests = zc_metrics_counter (m, "zchain_requests_total", "api requests", NULL, NULL);
    self->m_bad_requests = zc_metrics_counter (m, "zchain_bad_requests_total", "api requests refused", NULL, NULL);
    self->m_pub_drops = zc_metrics_counter (m, "zchain_hwm_drops_total", "events dropped at a high-water mark", "socket", "events");
    self->m_corruption = zc_metrics_counter (m, "zchain_storage_corruption_total",
                                             "damage found in the chain data: a bad checksum, or acknowledged blocks lost",
                                             NULL, NULL);
    self->m_damaged = zc_metrics_gauge (m, "zchain_storage_damaged",
                                        "1 while storage refuses requests for damaged chain data", NULL, NULL);
    self->m_scrub_bytes = zc_metrics_counter (m, "zchain_storage_scrub_bytes_total",
                                              "bytes of records the scrub read and verified", NULL, NULL);
    self->m_scrub_passes = zc_metrics_counter (m, "zchain_storage_scrub_passes_total",
                                               "complete scrub passes over the database", NULL, NULL);
    self->m_cache_bytes = zc_metrics_gauge (m, "zchain_utxo_cache_bytes",
                                            "bytes the coin cache in front of RocksDB holds", NULL, NULL);
    self->m_cache_coins = zc_metrics_gauge (m, "zchain_utxo_cache_coins",
                                            "unspent outputs in the coin cache", NULL, NULL);
    self->m_cache_found = zc_metrics_counter (m, "zchain_utxo_cache_lookups_total",
                                              "coin look-ups, by where they were answered", "result", "hit");
    self->m_cache_missed = zc_metrics_counter (m, "zchain_utxo_cache_lookups_total",
                                               "coin look-ups, by where they were answered", "result", "miss");
}

static int
s_open (self_t *self, char *err, size_t err_size)
{
    storage_cfg_t *cfg = self->cfg;
    self->params = zc_params_by_name (cfg->common.network);
    //  damaged data, found before or now: up, but halted (s_halt), rather
    //  than a restart loop
    bool known = db_damage_note (cfg->db, self->damage, sizeof self->damage);
    self->chain = known ? NULL : chain_open (cfg->db, self->params, cfg->sync, err, err_size);
    if (!self->chain && !known) {
        if (!db_damage_note (cfg->db, self->damage, sizeof self->damage))
            return -1;
        zc_metric_inc (self->m_corruption, 1);
    }
    if (self->chain)
        chain_set_cache (self->chain, (size_t) cfg->utxo_cache_mb << 20);
    if (self->chain && chain_lost_steps (self->chain))
        zc_metric_inc (self->m_corruption, 1);
    if (self->chain && cfg->scrub_rate > 0
    &&  db_scrub_start (chain_db (self->chain), (uint64_t) cfg->scrub_rate << 20, cfg->scrub_hours * 3600)) {
        snprintf (err, err_size, "cannot start the scrub thread");
        return -1;
    }
    //  each event carries its whole block (up to 8 MB): a stalled subscriber
    //  holds at most EVENTS_HWM of them here, and replays the rest by seq
    const zc_keys_t *keys = cfg->common.keyset;
    if (!(self->api = zc_zmq_open_auth (ZMQ_ROUTER, cfg->api, true, 10000, keys,
                                        ZC_SOCK_STORAGE_API, err, err_size))
    ||  !(self->events = zc_zmq_open_auth (ZMQ_PUB, cfg->events, true, EVENTS_HWM, keys,
                                           ZC_SOCK_STORAGE_EVENTS, err, err_size))
    ||  !(self->work = zc_zmq_open_auth (ZMQ_ROUTER, cfg->work, true, 10000, keys,
                                         ZC_SOCK_STORAGE_WORK, err, err_size)))
        return -1;
    if (cfg->mempool_events && *cfg->mempool_events
    &&  !(self->mempool = zc_zmq_open_auth (ZMQ_SUB, cfg->mempool_events, false, 100000, keys,
                                            ZC_SOCK_MEMPOOL_EVENTS, err, err_size)))
        return -1;
    if (self->mempool)
        zc_zmq_subscribe_only (self->mempool, "verified");      //  ids, not the transactions
    if (cfg->common.metrics && *cfg->common.metrics
    &&  !(self->metrics_sock = zc_zmq_open_auth (ZMQ_PUSH, cfg->common.metrics, false, 10, keys,
                                                 ZC_SOCK_METRICS_INGEST, err, err_size)))
        return -1;
    self->workpool = zc_workpool_new (self->work, 4096, 3000, s_job_done, self);
    if (self->workpool)
        zc_workpool_metrics (self->workpool, self->metrics);
    self->ring_size = (size_t) cfg->verified_cache;
    if (self->ring_size) {
        self->ring = calloc (self->ring_size, sizeof *self->ring);
        //  keys borrowed from the ring's slots
        self->verified = zc_hashkey_table (ZC_HASHKEY_HASH, true);
        if (!self->ring || !self->verified) {
            snprintf (err, err_size, "out of memory for the verified cache");
            return -1;
        }
    }
    return self->workpool ? 0 : -1;
}

static void
s_close (self_t *self)
{
    chain_step_clear (&self->step);
    zc_workpool_destroy (&self->workpool);
    zsock_destroy (&self->api);
    zsock_destroy (&self->events);
    zsock_destroy (&self->work);
    zsock_destroy (&self->mempool);
    zsock_destroy (&self->metrics_sock);
    zhashx_destroy (&self->verified);
    free (self->ring);
    chain_destroy (&self->chain);
    zc_metrics_destroy (&self->metrics);
}

// ---------------------------------------------------------------------------
//  the loop's callbacks





//  After every turn: damage the database found stops the loop, for the
//  halted one
static int64_t
s_check_damage (zc_actor_t *actor, void *arg)
{
    self_t *self = arg;
    const char *damage;
    if (db_damaged (chain_db (self->chain), &damage)) {
        snprintf (self->damage, sizeof self->damage, "%s", damage);
        zc_actor_stop (actor, S_DAMAGED);
    }
    return -1;
}

//  Serving: what the loop reads besides the api (which it always reads),
//  its tick and the damage check. 0, or -1 out of memory
static int
s_serve (self_t *self)
{
    zc_actor_t *actor = self->actor;
    if (zc_actor_add (actor, self->work, 64, zc_workpool_on_ready, self->workpool)
    ||  (self->mempool && zc_actor_add (actor, self->mempool, 256, s_on_mempool, self))
    ||  zc_actor_add_timer (actor, 100, s_tick, self))
        return -1;
    zc_actor_set_wake (actor, s_check_damage, self);
    return 0;
}

//  Halted: pings answered, everything else refused with the damage,
//  metrics pushed, until told to stop
static void
s_serve_halted (self_t *self)
{
    zc_actor_t *actor = self->actor;
    zc_actor_remove (actor, self->work);
    zc_actor_remove (actor, self->mempool);     //  before s_halt closes it
    zc_actor_remove_timer (actor, s_tick, self);
    zc_actor_set_wake (actor, NULL, NULL);
    s_halt (self, self->damage);
}

void
storage_actor (zsock_t *pipe, void *args)
{
    storage_cfg_t *cfg = args;
    zc_actor_t *actor = zc_actor_new (pipe, cfg->common.watchdog);
    self_t *self = actor ? calloc (1, sizeof *self) : NULL;
    if (!self) {
        zc_actor_destroy (&actor);
        return;
    }
    self->cfg = cfg;
    self->actor = actor;
    s_metrics_init (self);
    char err [512] = "out of memory";
    int rc = s_open (self, err, sizeof err);
    if (rc == 0) {
        zc_actor_set_metrics (actor, self->metrics, self->metrics_sock, s_sample_metrics, self);
        //  a burst of requests at a time, but never starving the others
        rc = zc_actor_add (actor, self->api, 64, s_on_api, self);
    }
    if (rc == 0 && !self->damage [0])
        rc = s_serve (self);
    if (rc) {
        zc_error ("%s", err);
        s_close (self);
        free (self);
        zc_actor_destroy (&actor);
        return;
    }
    //  damaged data, found before or now: up, but halted, rather than a
    //  restart loop
    int why = self->damage [0] ? S_DAMAGED : 0;
    if (!why) {
        chain_node_t *tip = chain_tip (self->chain);
        zc_metric_set (self->m_height, tip->height);
        zc_metrics_set_ready (self->metrics, true);
        zc_info ("storage up: %s at height %u; api %s, events %s, work %s", self->params->name,
                 tip->height, self->cfg->api, self->cfg->events, self->cfg->work);
        s_advance (self);               //  a block stored but not connected before a crash
        why = zc_actor_run (actor);
    }
    if (why == S_DAMAGED) {
        s_serve_halted (self);
        zc_actor_run (actor);
    }
    s_close (self);
    free (self);
    zc_actor_destroy (&actor);
}
