/*  mempool.c - the mempool actor: batched checking pipeline around the pool */
#include "mempool.h"
#include "admit.h"
#include "order.h"
#include "pool.h"
#include "store.h"
#include "zc_actor.h"
#include "zc_check.h"
#include "zc_follow.h"
#include "zc_hashkey.h"
#include "zc_keycache.h"
#include "zc_keytable.h"
#include "zc_hex.h"
#include "zc_fee.h"
#include "zc_log.h"
#include "zc_metrics.h"
#include "zc_params.h"
#include "zc_time.h"
#include "zc_workpool.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"
#include "events.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"
#include "work.pb-c.h"

#include <stdlib.h>
#include <string.h>

const zc_option_t mempool_options [] = {
    ZC_SERVICE_OPTIONS ("mempool"),
    { "db", "ZC_MEMPOOL_DB", ZC_OPT_STRING, "./data/mempool",
      "RocksDB directory for accepted transactions", offsetof (mempool_cfg_t, db), 0, 0 },
    { "api", "ZC_MEMPOOL_API", ZC_OPT_STRING, "tcp://0.0.0.0:7811", "request endpoint (bound)",
      offsetof (mempool_cfg_t, api), 0, 0 },
    { "events", "ZC_MEMPOOL_EVENTS", ZC_OPT_STRING, "tcp://0.0.0.0:7812",
      "transaction events endpoint (bound)", offsetof (mempool_cfg_t, events), 0, 0 },
    { "work", "ZC_MEMPOOL_WORK", ZC_OPT_STRING, "tcp://0.0.0.0:7813",
      "validator work endpoint (bound)", offsetof (mempool_cfg_t, work), 0, 0 },
    { "storage-api", "ZC_STORAGE_API", ZC_OPT_STRING, "tcp://127.0.0.1:7801",
      "storage's request endpoint", offsetof (mempool_cfg_t, storage_api), 0, 0 },
    { "storage-events", "ZC_STORAGE_EVENTS", ZC_OPT_STRING, "tcp://127.0.0.1:7802",
      "storage's chain events", offsetof (mempool_cfg_t, storage_events), 0, 0 },
    { "max-bytes", "ZC_MEMPOOL_MAX_BYTES", ZC_OPT_INT, "300000000",
      "memory the pool may use (transactions and their indexes, estimated); the lowest fee rates are evicted beyond it",
      offsetof (mempool_cfg_t, max_bytes), 100000, 100000000000LL },
    { "min-fee-rate", "ZC_MIN_FEE_RATE", ZC_OPT_INT, "1000",
      "minimum relay fee, base units per 1000 bytes", offsetof (mempool_cfg_t, min_fee_rate), 0,
      1000000000 },
    { "dust-fee-rate", "ZC_DUST_FEE_RATE", ZC_OPT_INT, "3000",
      "refuse as dust an output worth less than spending it costs at this rate (base units per 1000 bytes; 3000: under 420 units)",
      offsetof (mempool_cfg_t, dust_fee_rate), 0, 1000000000 },
    { "expiry-hours", "ZC_MEMPOOL_EXPIRY_HOURS", ZC_OPT_INT, "336",
      "drop transactions unconfirmed for this long", offsetof (mempool_cfg_t, expiry_hours), 1, 100000 },
    { "address-scans", "ZC_MEMPOOL_ADDRESS_SCANS", ZC_OPT_INT, "10",
      "address look-ups (GET /api/address/ADDR/txs) that may walk the pool in a second; more are answered busy (0: none)",
      offsetof (mempool_cfg_t, address_scans), 0, 1000 },
    { "max-ancestors", "ZC_MAX_ANCESTORS", ZC_OPT_INT, "25",
      "unconfirmed ancestors a transaction may have, itself included (beyond: too_long_chain)",
      offsetof (mempool_cfg_t, max_ancestors), 1, 1000 },
    { "max-descendants", "ZC_MAX_DESCENDANTS", ZC_OPT_INT, "25",
      "unconfirmed descendants a transaction may have, itself included (beyond: too_many_descendants)",
      offsetof (mempool_cfg_t, max_descendants), 1, 1000 },
    { "max-package-bytes", "ZC_MAX_PACKAGE_BYTES", ZC_OPT_INT, "101000",
      "bytes of a transaction with its unconfirmed ancestors, or with its descendants (beyond: package_too_large)",
      offsetof (mempool_cfg_t, max_package_bytes), 1000, 100000000 },
    { "max-in-flight", "ZC_MEMPOOL_IN_FLIGHT", ZC_OPT_INT, "60000",
      "transactions being checked at once; beyond it submitters hear busy",
      offsetof (mempool_cfg_t, max_in_flight), 100, 10000000 },
    { "job-items", "ZC_JOB_ITEMS", ZC_OPT_INT, "250", "transactions per validator job",
      offsetof (mempool_cfg_t, job_items), 1, 10000 },
    { NULL, NULL, 0, NULL, NULL, 0, 0, 0 }
};

#define MAX_SUBMIT 20000                //  transactions in one SUBMIT_TXS
#define MAX_EVENTS_PENDING 100000
#define LOOKUP_TIMEOUT_MS 15000
#define RECENT_MAX 400000               //  txids confirmed lately, remembered
#define RELOAD_BATCH 1000               //  stored transactions per batch after a restart
#define RELOAD_ROUNDS 5                 //  tries for those refused for a passing reason
#define RELOAD_RETRY_MS 1000
#define STORE_PROBE_MS 2000             //  a failed store is tried again this often
#define TEMPLATE_BUILDS 5.0             //  templates built per second at most (same tip)

typedef enum {
    SRC_STORAGE,                        //  a confirmed output, looked up in storage
    SRC_POOL,                           //  an output of a pool transaction
    SRC_FLIGHT                          //  an output of a transaction still being checked
} s_source_t;

typedef struct _s_batch_t s_batch_t;

typedef struct {
    zc_tx_t *tx;                        //  handed to the pool when accepted
    uint8_t *raw;
    size_t raw_size;
    zc_hash_t txid;                     //  for the answer and the event, once tx is the pool's
    zc_hash_t wtxid;
    uint32_t size;
    bool decoded;
    zc_err_t result;                    //  ZC_OK while it may still be accepted
    bool already;                       //  in the pool or confirmed already: answer ok, known
    bool replaces;                      //  spends what pool transactions spend (BIP125)
    const char *detail;                 //  the refusal's reason in words (static), or NULL
    zc_coin_t *coins;                   //  one per input
    uint8_t *source;                    //  s_source_t per input
    uint8_t (*keys) [36];               //  outpoint keys of the inputs (reservations)
    bool reserved;
    bool added;                         //  into the pool by s_commit
    uint64_t fee;
    uint64_t time_ms;                   //  accepted before (reload), or 0: now
    s_batch_t *batch;
} s_item_t;

typedef enum {
    STAGE_LOOKUP,
    STAGE_VERIFY,
    STAGE_READY
} s_stage_t;

//  Where a batch's transactions came from
typedef enum {
    KIND_CLIENT,                        //  a SUBMIT_TXS (a client, the gateway, a peer)
    KIND_REORG,                         //  a disconnected block, or spenders of one's transactions
    KIND_RELOAD                         //  the store, after a restart
} s_kind_t;

struct _s_batch_t {
    uint64_t id;
    s_kind_t kind;
    bool has_client;
    uint8_t identity [256];
    size_t identity_size;
    uint64_t request_id;
    s_item_t *items;
    size_t n;
    s_stage_t stage;
    uint64_t lookup_id;                 //  the GET_UTXOS in flight
    size_t *lookup_item;                //  which item and input each outpoint is for
    uint32_t *lookup_input;
    size_t n_lookups;
    size_t jobs_pending;
    int64_t started_us;
    int64_t lookup_sent_ms;
};

//  What a validator job covers: its batch and which items, in order
typedef struct {
    uint64_t batch_id;
    size_t n;
    size_t index [];
} s_jobref_t;

typedef struct {
    uint8_t type;                       //  0 accepted, 1 removed
    zc_hash_t txid;
    zc_hash_t wtxid;
    uint64_t fee;
    uint32_t size;
    uint8_t reason;
} s_event_t;

//  The last block template, built for a full block: requests take a
//  prefix of it (parents come first, so any prefix is a valid block)
typedef struct {
    bool valid;
    zc_hash_t tip;                      //  what it builds on
    uint64_t changes;                   //  pool_changes when built
    double tokens;                      //  builds allowed now (a bucket of TEMPLATE_BUILDS)
    int64_t tokens_ms;
    size_t n;
    uint8_t *bytes;                     //  the transactions, one after another
    uint32_t *sizes;
    uint64_t *fees;
} s_template_t;

//  Taking back the store after a restart: what came of each transaction
typedef struct {
    bool active;                        //  until every stored transaction is accounted for
    bool submitting;
    int round;                          //  0, then a retry per round
    size_t pending;                     //  its batches in flight
    size_t taken, kept, left;           //  left: on disk for the next restart
    size_t dropped [ZC_ERR_COUNT_];
    bool passing;                       //  a refusal for a passing reason was seen
    zc_tx_t **retry;                    //  for the next round, with when accepted
    uint8_t **retry_raw;                //  and their bytes
    uint64_t *retry_time;
    size_t n_retry, cap_retry;
    int64_t retry_at_ms;
} s_reloading_t;

#define RECENT_ACCEPTED 10              //  kept for GET_MEMPOOL's recent
#define MAX_ADDRESS_TXS 50              //  unconfirmed ones in one GET_ADDRESS_TXS
//  What anyone reaching the HTTP api may make the mempool's thread do: the
//  fee summary sorts the whole pool, so it is made at most once a second
//  and shared; an address look-up walks the whole pool, so at most
//  --address-scans of them run a second (a burst of as many), and the
//  rest are answered busy rather than queued in front of admissions
#define FEE_SUMMARY_MS 1000

//  A transaction accepted lately: what an explorer lists
typedef struct {
    zc_hash_t txid;
    uint64_t fee;
    uint32_t size;
    uint64_t value;                     //  sum of its outputs
} s_accepted_t;

typedef struct {
    mempool_cfg_t *cfg;
    const zc_params_t *params;
    zc_actor_t *actor;
    zsock_t *api;
    zsock_t *events;
    zsock_t *work;
    zsock_t *storage;                   //  DEALER to storage's api
    zsock_t *chain;                     //  SUB to storage's events
    zsock_t *metrics_sock;
    zc_workpool_t *workpool;
    zc_keycache_t *keys;                //  output keys known to be points
    pool_t *pool;
    store_t *store;
    zlistx_t *batches;                  //  in arrival order
    zhashx_t *by_id;                    //  batch id (text) -> batch, for verdicts
    zhashx_t *by_lookup;                //  its GET_UTXOS's request id (text) -> batch
    size_t in_flight;                   //  transactions in batches
    zc_keytable_t *reserved;            //  outpoint key -> s_item_t spending it
    zc_keytable_t *flight_txids;        //  txid -> s_item_t being checked
    zc_keytable_t *recent;              //  txids confirmed lately
    uint64_t next_batch;
    uint64_t next_request;
    //  the tip the pool is consistent with
    zc_hash_t tip;
    uint32_t height;
    uint32_t next_bits;
    uint32_t median_time;
    zc_follow_t follow;                 //  storage's chain events, in order
    uint64_t tip_probe;                 //  request id of our last GET_TIP
    uint64_t probe_behind;              //  storage's event seq when the last probe found us behind
    int64_t next_probe_ms;
    //  pool entries spending a transaction that came back (reorg), to
    //  submit again after it: collected while committing
    zc_tx_t **resubmit;
    uint8_t **resubmit_raw;             //  their bytes (tx->size each)
    size_t n_resubmit, cap_resubmit;
    bool committing;
    s_reloading_t reload;
    s_template_t tmpl;
    bool reload_waits;                  //  the store could not be opened yet
    int64_t store_failed_ms;            //  since when it cannot write (0: it can)
    int64_t next_store_probe_ms;
    //  events to publish
    s_event_t *pending;
    size_t n_pending;
    uint64_t event_seq;
    uint64_t verified_seq;              //  of the "verified" topic
    //  the last transactions accepted, newest at accepted_next - 1
    s_accepted_t accepted [RECENT_ACCEPTED];
    size_t n_accepted, accepted_next;
    //  the fee summary of GET_MEMPOOL, made at fees_ms (0: never)
    int64_t fees_ms;
    zc_fee_item_t fee_buckets [ZC_FEE_MAX_BUCKETS];
    size_t n_fee_buckets;
    uint64_t fee_depths [ZC_FEE_MAX_DEPTH];
    uint64_t fee_total;
    //  GET_ADDRESS_TXS scans left (a token bucket refilled each second)
    double scan_tokens;
    int64_t scan_ms;
    //  metrics
    zc_metrics_t *metrics;
    zc_metric_t *m_accepted;
    zc_metric_t *m_rejected [ZC_ERR_COUNT_];
    zc_metric_t *m_removed [8];
    zc_metric_t *m_count;
    zc_metric_t *m_bytes;
    zc_metric_t *m_in_flight;
    zc_metric_t *m_latency;
    zc_metric_t *m_busy;
    zc_metric_t *m_scans_refused;
    zc_metric_t *m_pub_drops;
    zc_metric_t *m_gaps;
    zc_metric_t *m_templates;
    zc_metric_t *m_store_damage;
    zc_metric_t *m_reload_dropped [ZC_ERR_COUNT_];
    zc_metric_t *m_store_writable;
    zc_metric_t *m_template_builds;
    zc_metric_t *m_key_hits;
    zc_metric_t *m_key_misses;
} self_t;

static void s_pump (self_t *self);
static void s_resubmit (self_t *self);
static void s_reload_account (self_t *self, s_batch_t *batch);
static void s_reload_retry (self_t *self);
static void s_reload (self_t *self);

// ---------------------------------------------------------------------------
//  events out

static void
s_event (self_t *self, uint8_t type, const zc_hash_t *txid, const zc_hash_t *wtxid, uint32_t size,
         uint64_t fee, uint8_t reason)
{
    if (self->n_pending == MAX_EVENTS_PENDING)
        return;                         //  flushed every step: cannot really fill
    s_event_t *e = &self->pending [self->n_pending++];
    e->type = type;
    e->txid = *txid;
    e->wtxid = *wtxid;
    e->fee = fee;
    e->size = size;
    e->reason = reason;
}

//  The wtxids of the accepted among the pending events (every accepted
//  one's signatures were verified) on "verified", for storage's cache
static void
s_flush_verified (self_t *self)
{
    size_t n = 0;
    for (size_t i = 0; i < self->n_pending; i++)
        n += self->pending [i].type == 0;
    uint8_t *ids = n ? malloc (n * 32) : NULL;
    if (!ids)
        return;                         //  none, or storage verifies them again
    size_t k = 0;
    for (size_t i = 0; i < self->n_pending; i++)
        if (self->pending [i].type == 0)
            memcpy (ids + 32 * k++, self->pending [i].wtxid.b, 32);
    Zc__VerifiedTxs msg = ZC__VERIFIED_TXS__INIT;
    msg.wtxids.data = ids;
    msg.wtxids.len = n * 32;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__VERIFIED_TXS,
                        .seq = ++self->verified_seq };
    if (zc_zmq_send (self->events, "verified", 8, &header, &msg.base, ZMQ_DONTWAIT))
        zc_metric_inc (self->m_pub_drops, 1);
    free (ids);
}

static void
s_flush_events (self_t *self)
{
    if (self->n_pending == 0)
        return;
    size_t n = self->n_pending;
    Zc__TxEvent *events = calloc (n, sizeof *events);
    Zc__TxEvent **ptrs = calloc (n, sizeof *ptrs);
    if (events && ptrs) {
        for (size_t i = 0; i < n; i++) {
            s_event_t *e = &self->pending [i];
            zc__tx_event__init (&events [i]);
            events [i].type = e->type ? ZC__TX_EVENT_TYPE__REMOVED : ZC__TX_EVENT_TYPE__ACCEPTED;
            events [i].txid.data = e->txid.b;
            events [i].txid.len = 32;
            if (!e->type) {
                events [i].wtxid.data = e->wtxid.b;
                events [i].wtxid.len = 32;
                //  the bytes from the pool (not copied): gone if evicted since
                const pool_entry_t *entry = pool_find (self->pool, &e->txid);
                if (entry) {
                    events [i].raw.data = entry->raw;
                    events [i].raw.len = entry->tx->size;
                }
            }
            events [i].fee = e->fee;
            events [i].size = e->size;
            events [i].reason = (Zc__RemoveReason) e->reason;
            ptrs [i] = &events [i];
        }
        Zc__TxEvents msg = ZC__TX_EVENTS__INIT;
        msg.n_events = n;
        msg.events = ptrs;
        zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__TX_EVENTS,
                            .seq = ++self->event_seq };
        if (zc_zmq_send (self->events, "tx", 2, &header, &msg.base, ZMQ_DONTWAIT))
            zc_metric_inc (self->m_pub_drops, 1);
    }
    free (events);
    free (ptrs);
    s_flush_verified (self);
    self->n_pending = 0;
}

//  A pool entry spent a transaction that came back after a reorganisation
//  (pool_add removes such spenders): keep it to submit again, after it
static void
s_keep_for_resubmit (self_t *self, const pool_entry_t *entry)
{
    if (self->n_resubmit == self->cap_resubmit) {
        size_t cap = self->cap_resubmit ? self->cap_resubmit * 2 : 64;
        zc_tx_t **grown = realloc (self->resubmit, cap * sizeof *grown);
        if (grown)
            self->resubmit = grown;
        uint8_t **raws = grown ? realloc (self->resubmit_raw, cap * sizeof *raws) : NULL;
        if (!raws)
            return;                     //  it stays removed, and says so in its event
        self->resubmit_raw = raws;
        self->cap_resubmit = cap;
    }
    //  the transaction and its bytes as the pool holds them: checked
    //  again, never decoded again
    zc_tx_t *copy = zc_tx_dup (entry->tx);
    uint8_t *raw = malloc (entry->tx->size);
    if (copy && raw) {
        memcpy (raw, entry->raw, entry->tx->size);
        self->resubmit [self->n_resubmit] = copy;
        self->resubmit_raw [self->n_resubmit++] = raw;
    }
    else {
        zc_tx_destroy (&copy);
        free (raw);
    }
}

static void
s_on_removed (void *arg, const pool_entry_t *entry, pool_remove_t why)
{
    self_t *self = arg;
    s_event (self, 1, &entry->tx->txid, &entry->tx->wtxid, entry->tx->size, entry->fee, (uint8_t) why);
    store_delete (self->store, &entry->tx->txid, entry->time_ms);
    if ((size_t) why < 8)
        zc_metric_inc (self->m_removed [why], 1);
    if (why == POOL_REORG && self->committing)
        s_keep_for_resubmit (self, entry);
}

// ---------------------------------------------------------------------------
//  batches

//  Batches by number: many may be in flight (one a transaction), so no
//  reply looks through them all
static void
s_key (uint64_t id, char key [24])
{
    snprintf (key, 24, "%llu", (unsigned long long) id);
}

static s_batch_t *
s_find_batch (zhashx_t *index, uint64_t id)
{
    char key [24];
    s_key (id, key);
    return zhashx_lookup (index, key);
}

static void
s_item_release (self_t *self, s_item_t *item)
{
    if (item->reserved) {
        for (uint32_t i = 0; i < item->tx->n_in; i++)
            zc_keytable_remove (self->reserved, item->keys [i], item);
        zc_keytable_remove (self->flight_txids, item->tx->txid.b, item);
        item->reserved = false;
    }
}

static void
s_batch_destroy (self_t *self, s_batch_t **batch_p)
{
    s_batch_t *batch = *batch_p;
    if (!batch)
        return;
    for (size_t i = 0; i < batch->n; i++) {
        s_item_t *item = &batch->items [i];
        if (item->tx)
            s_item_release (self, item);
        zc_tx_destroy (&item->tx);
        free (item->raw);
        free (item->coins);
        free (item->source);
        free (item->keys);
    }
    self->in_flight -= batch->n;
    char key [24];
    s_key (batch->id, key);
    zhashx_delete (self->by_id, key);
    if (batch->lookup_id) {
        s_key (batch->lookup_id, key);
        zhashx_delete (self->by_lookup, key);
    }
    free (batch->items);
    free (batch->lookup_item);
    free (batch->lookup_input);
    free (batch);
    *batch_p = NULL;
}

static void
s_reject (self_t *self, s_item_t *item, zc_err_t reason)
{
    if (item->result == ZC_OK && !item->already) {
        item->result = reason;
        if (reason < ZC_ERR_COUNT_)
            zc_metric_inc (self->m_rejected [reason], 1);
    }
}

//  Resolve inputs from the pool and from transactions in flight; reserve
//  the outpoints (first seen wins); note what storage must answer
static void
s_prepare_item (self_t *self, s_batch_t *batch, size_t index)
{
    s_item_t *item = &batch->items [index];
    zc_tx_t *tx = item->tx;
    const pool_entry_t *same = pool_find (self->pool, &tx->txid);
    if (same && !zc_hash_eq (&same->tx->wtxid, &tx->wtxid)) {
        //  the same payment signed again: never taken for the one we have
        s_reject (self, item, ZC_ERR_WITNESS_MISMATCH);
        return;
    }
    if (same || zc_keytable_lookup (self->recent, tx->txid.b)) {
        item->already = true;           //  idempotent: submitting twice is harmless
        return;
    }
    if (zc_keytable_lookup (self->flight_txids, tx->txid.b)) {
        s_reject (self, item, ZC_ERR_DUPLICATE);
        return;
    }
    item->coins = calloc (tx->n_in, sizeof *item->coins);
    item->source = calloc (tx->n_in, 1);
    item->keys = malloc ((size_t) tx->n_in * 36);
    if (!item->coins || !item->source || !item->keys) {
        s_reject (self, item, ZC_ERR_INTERNAL);
        return;
    }
    for (uint32_t i = 0; i < tx->n_in; i++) {
        const zc_outpoint_t *op = &tx->in [i].prevout;
        zc_outpoint_key (op, item->keys [i]);
        if (zc_keytable_lookup (self->reserved, item->keys [i])) {
            s_reject (self, item, ZC_ERR_DOUBLE_SPEND);
            return;
        }
        if (pool_spender (self->pool, op))
            item->replaces = true;      //  judged with its fee (s_check_amounts)
        s_item_t *parent = zc_keytable_lookup (self->flight_txids, op->txid.b);
        if (pool_coin (self->pool, op, &item->coins [i]))
            item->source [i] = SRC_POOL;
        else
        if (parent && op->index < parent->tx->n_out) {
            zc_coin_t *c = &item->coins [i];
            c->amount = parent->tx->out [op->index].amount;
            memcpy (c->pubkey, parent->tx->out [op->index].pubkey, 32);
            c->height = UINT32_MAX;
            item->source [i] = SRC_FLIGHT;
        }
        else
            item->source [i] = SRC_STORAGE;
    }
    if (zc_keytable_reserve (self->reserved, tx->n_in) || zc_keytable_reserve (self->flight_txids, 1)) {
        s_reject (self, item, ZC_ERR_INTERNAL);
        return;
    }
    for (uint32_t i = 0; i < tx->n_in; i++)
        zc_keytable_insert (self->reserved, item->keys [i], item);
    zc_keytable_insert (self->flight_txids, tx->txid.b, item);
    item->reserved = true;
}

//  One GET_UTXOS for every storage input of the batch
static int
s_send_lookup (self_t *self, s_batch_t *batch)
{
    size_t n = 0;
    for (size_t i = 0; i < batch->n; i++)
        if (batch->items [i].result == ZC_OK && !batch->items [i].already)
            for (uint32_t k = 0; k < batch->items [i].tx->n_in; k++)
                n += batch->items [i].source [k] == SRC_STORAGE;
    batch->n_lookups = n;
    if (n == 0)
        return 0;
    batch->lookup_item = malloc (n * sizeof *batch->lookup_item);
    batch->lookup_input = malloc (n * sizeof *batch->lookup_input);
    Zc__OutPoint *ops = calloc (n, sizeof *ops);
    Zc__OutPoint **ptrs = calloc (n, sizeof *ptrs);
    int rc = -1;
    if (batch->lookup_item && batch->lookup_input && ops && ptrs) {
        size_t j = 0;
        for (size_t i = 0; i < batch->n; i++) {
            s_item_t *item = &batch->items [i];
            if (item->result != ZC_OK || item->already)
                continue;
            for (uint32_t k = 0; k < item->tx->n_in; k++) {
                if (item->source [k] != SRC_STORAGE)
                    continue;
                zc__out_point__init (&ops [j]);
                ops [j].txid.data = item->tx->in [k].prevout.txid.b;
                ops [j].txid.len = 32;
                ops [j].index = item->tx->in [k].prevout.index;
                ptrs [j] = &ops [j];
                batch->lookup_item [j] = i;
                batch->lookup_input [j] = k;
                j++;
            }
        }
        Zc__GetUtxos req = ZC__GET_UTXOS__INIT;
        req.n_outpoints = n;
        req.outpoints = ptrs;
        batch->lookup_id = ++self->next_request;
        char key [24];
        s_key (batch->lookup_id, key);
        zhashx_insert (self->by_lookup, key, batch);
        zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__GET_UTXOS,
                            .request_id = batch->lookup_id,
                            .deadline_ms = (uint64_t) (zc_now_ms () + LOOKUP_TIMEOUT_MS) };
        rc = zc_zmq_send (self->storage, NULL, 0, &header, &req.base, ZMQ_DONTWAIT);
        batch->lookup_sent_ms = zc_mono_ms ();
    }
    free (ops);
    free (ptrs);
    return rc;
}

//  Does a replacement pay enough to evict what it conflicts with (the
//  rules in pool.h)? ZC_OK, or the item is refused with the rule it broke
static zc_err_t
s_may_replace (self_t *self, s_item_t *item)
{
    pool_replacement_t r;
    zc_err_t rc = pool_replacement (self->pool, item->tx, item->fee,
                                    (uint64_t) self->cfg->min_fee_rate, &r);
    if (rc != ZC_OK) {
        s_reject (self, item, rc);
        if (item->result == rc)
            item->detail = r.detail;
    }
    return rc;
}

//  With every coin known: amounts, fee rate, maturity, pool admission,
//  and the package limits counting the batch's earlier transactions
static void
s_check_amounts (self_t *self, s_item_t *item, admit_t *admit)
{
    zc_tx_t *tx = item->tx;
    zc_err_t rc = zc_check_spends (tx, item->coins, self->height + 1,
                                   self->params->coinbase_maturity, &item->fee, NULL);
    if (rc != ZC_OK) {
        s_reject (self, item, rc);
        return;
    }
    uint64_t rate = pool_rate (item->fee, tx->size);
    if (rate < (uint64_t) self->cfg->min_fee_rate) {
        s_reject (self, item, ZC_ERR_FEE_TOO_LOW);
        return;
    }
    if (item->replaces && s_may_replace (self, item) != ZC_OK)
        return;
    rc = pool_admits (self->pool, tx, rate);
    if (rc == ZC_OK)
        rc = admit ? admit_check (admit, tx) : ZC_ERR_INTERNAL;
    if (rc != ZC_OK)
        s_reject (self, item, rc);
}

//  A transaction being checked (admit_t's view of the transactions in
//  flight). A refused one still counts as an ancestor of what spends it:
//  a chain refused from its 26th transaction is refused too_long_chain to
//  its end, not accepted again from the 27th on
static const zc_tx_t *
s_flight_tx (void *arg, const zc_hash_t *txid)
{
    self_t *self = arg;
    const s_item_t *item = zc_keytable_lookup (self->flight_txids, txid->b);
    return item ? item->tx : NULL;
}

//  Jobs for the batch's surviving items
static int
s_send_jobs (self_t *self, s_batch_t *batch)
{
    size_t per_job = (size_t) self->cfg->job_items;
    Zc__VerifyItem *items = calloc (per_job, sizeof *items);
    Zc__VerifyItem **item_ptrs = calloc (per_job, sizeof *item_ptrs);
    Zc__Coin *coins = NULL;
    Zc__Coin **coin_ptrs = NULL;
    size_t max_coins = 0;
    for (size_t i = 0; i < batch->n; i++)
        if (batch->items [i].result == ZC_OK && !batch->items [i].already)
            max_coins += batch->items [i].tx->n_in;
    coins = calloc (max_coins ? max_coins : 1, sizeof *coins);
    coin_ptrs = calloc (max_coins ? max_coins : 1, sizeof *coin_ptrs);
    size_t *index = calloc (per_job, sizeof *index);
    int jobs = 0;
    bool failed = !items || !item_ptrs || !coins || !coin_ptrs || !index;
    size_t n = 0, c = 0;
    for (size_t i = 0; i <= batch->n && !failed; i++) {
        s_item_t *item = i < batch->n ? &batch->items [i] : NULL;
        if (item && item->result == ZC_OK && !item->already) {
            zc__verify_item__init (&items [n]);
            items [n].tx.data = item->raw;
            items [n].tx.len = item->raw_size;
            items [n].spent = &coin_ptrs [c];
            items [n].n_spent = item->tx->n_in;
            for (uint32_t k = 0; k < item->tx->n_in; k++, c++) {
                zc__coin__init (&coins [c]);
                coins [c].amount = item->coins [k].amount;
                coins [c].pubkey.data = item->coins [k].pubkey;
                coins [c].pubkey.len = 32;
                coins [c].height = item->coins [k].height;
                coins [c].coinbase = item->coins [k].coinbase;
                coin_ptrs [c] = &coins [c];
            }
            item_ptrs [n] = &items [n];
            index [n++] = i;
        }
        if (n == per_job || (!item && n > 0)) {
            Zc__VerifyJob job = ZC__VERIFY_JOB__INIT;
            job.job_id = zc_workpool_next_id (self->workpool);
            job.items = item_ptrs;
            job.n_items = n;
            job.genesis.data = (uint8_t *) zc_params_genesis_hash (self->params)->b;
            job.genesis.len = 32;
            zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__VERIFY_JOB };
            size_t size;
            uint8_t *packed = zc_env_pack (&header, &job.base, &size);
            s_jobref_t *ref = malloc (sizeof *ref + n * sizeof (size_t));
            if (ref) {
                ref->batch_id = batch->id;
                ref->n = n;
                memcpy (ref->index, index, n * sizeof (size_t));
            }
            if (!packed || !ref) {
                free (packed);
                free (ref);
                failed = true;
            }
            else
            if (zc_workpool_submit (self->workpool, job.job_id, packed, size, ref)) {
                free (ref);
                failed = true;
            }
            else
                jobs++;
            n = 0;
        }
    }
    free (items);
    free (item_ptrs);
    free (coins);
    free (coin_ptrs);
    free (index);
    return failed ? -1 : jobs;
}


//  After the look-up: amounts, then validators (or straight to ready)
static void
s_to_verify (self_t *self, s_batch_t *batch)
{
    admit_t *admit = admit_new (self->pool, s_flight_tx, self);
    for (size_t i = 0; i < batch->n; i++)
        if (batch->items [i].result == ZC_OK && !batch->items [i].already)
            s_check_amounts (self, &batch->items [i], admit);
    admit_destroy (&admit);
    int jobs = s_send_jobs (self, batch);
    if (jobs < 0) {
        zc_metric_inc (self->m_busy, 1);
        for (size_t i = 0; i < batch->n; i++)
            s_reject (self, &batch->items [i], ZC_ERR_BUSY);
        jobs = 0;
    }
    batch->jobs_pending = (size_t) jobs;
    batch->stage = jobs ? STAGE_VERIFY : STAGE_READY;
}

static void
s_job_done (void *arg, uint64_t job_id, void *job_arg, const uint8_t *reply, size_t size)
{
    self_t *self = arg;
    s_jobref_t *ref = job_arg;
    (void) job_id;
    s_batch_t *batch = s_find_batch (self->by_id, ref->batch_id);
    Zc__VerifyReply *r = batch ? zc__verify_reply__unpack (NULL, size, reply) : NULL;
    if (batch && batch->stage == STAGE_VERIFY) {
        for (size_t k = 0; k < ref->n && ref->index [k] < batch->n; k++) {
            s_item_t *item = &batch->items [ref->index [k]];
            zc_err_t reason = !r || k >= r->n_verdicts ? ZC_ERR_INTERNAL
                            : (zc_err_t) r->verdicts [k]->reason;
            if (reason != ZC_OK)
                s_reject (self, item, reason >= 0 && reason < ZC_ERR_COUNT_ ? reason : ZC_ERR_INTERNAL);
        }
        if (--batch->jobs_pending == 0)
            batch->stage = STAGE_READY;
    }
    if (r)
        zc__verify_reply__free_unpacked (r, NULL);
    free (ref);
    s_pump (self);
}

//  Is the coin an input came from still there? Pool parents may have been
//  confirmed (fine), evicted or conflicted (not fine) meanwhile.
static bool
s_parents_alive (self_t *self, const s_item_t *item)
{
    for (uint32_t i = 0; i < item->tx->n_in; i++) {
        if (item->source [i] == SRC_STORAGE)
            continue;
        const zc_hash_t *parent = &item->tx->in [i].prevout.txid;
        if (!pool_find (self->pool, parent) && !zc_keytable_lookup (self->recent, parent->b))
            return false;
    }
    return true;
}

static void
s_answer (self_t *self, s_batch_t *batch)
{
    if (!batch->has_client)
        return;
    Zc__TxResult *results = calloc (batch->n ? batch->n : 1, sizeof *results);
    Zc__TxResult **ptrs = calloc (batch->n ? batch->n : 1, sizeof *ptrs);
    if (!results || !ptrs) {
        free (results);
        free (ptrs);
        zc_zmq_send_error (self->api, batch->identity, batch->identity_size, batch->request_id,
                           ZC_ERR_INTERNAL, NULL);
        return;
    }
    for (size_t i = 0; i < batch->n; i++) {
        s_item_t *item = &batch->items [i];
        zc__tx_result__init (&results [i]);
        results [i].reason = (int32_t) (item->already ? ZC_OK : item->result);
        results [i].known = item->already;
        if (item->decoded) {
            results [i].txid.data = item->txid.b;
            results [i].txid.len = 32;
        }
        if (results [i].reason != ZC_OK)
            results [i].detail = (char *) (item->detail ? item->detail
                                                        : zc_err_name (results [i].reason));
        ptrs [i] = &results [i];
    }
    Zc__SubmitTxsReply reply = ZC__SUBMIT_TXS_REPLY__INIT;
    reply.n_results = batch->n;
    reply.results = ptrs;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__SUBMIT_TXS_REPLY,
                        .request_id = batch->request_id };
    zc_zmq_send (self->api, batch->identity, batch->identity_size, &header, &reply.base,
                 ZMQ_DONTWAIT);
    free (results);
    free (ptrs);
}

//  Add a ready batch's survivors to the pool, in order, and queue their
//  puts; nothing is announced or answered before the write (s_pump)
static void
s_commit (self_t *self, s_batch_t *batch)
{
    uint64_t now = (uint64_t) zc_now_ms ();
    bool stored = batch->kind == KIND_RELOAD;   //  on disk already
    self->committing = true;
    for (size_t i = 0; i < batch->n; i++) {
        s_item_t *item = &batch->items [i];
        if (item->result != ZC_OK || item->already)
            continue;
        if (!s_parents_alive (self, item)) {
            s_reject (self, item, ZC_ERR_UNKNOWN_INPUT);
            continue;
        }
        //  what it replaces may have gained descendants while it was
        //  verified: judged again, then evicted (their deletes go in the
        //  same write as its put)
        if (item->replaces) {
            if (s_may_replace (self, item) != ZC_OK)
                continue;
            pool_replace (self->pool, item->tx);
        }
        //  release first: the pool indexes the same outpoints now
        s_item_release (self, item);
        const zc_hash_t *txid = &item->txid;
        uint64_t time_ms = item->time_ms ? item->time_ms : now;
        if (!stored)
            store_put (self->store, txid, item->fee, time_ms, item->raw, item->raw_size);
        s_accepted_t accepted = { .txid = *txid, .fee = item->fee, .size = item->tx->size };
        for (uint32_t o = 0; o < item->tx->n_out; o++)
            accepted.value += item->tx->out [o].amount;
        //  the transaction and its bytes move into the pool: no copy
        zc_err_t rc = pool_add (self->pool, &item->tx, &item->raw, item->fee, time_ms);
        if (rc != ZC_OK) {
            if (!stored)
                store_delete (self->store, txid, time_ms);
            s_reject (self, item, rc);
            continue;
        }
        item->added = true;
        //  for the api only: without them it answers less, nothing breaks
        pool_set_coins (self->pool, txid, item->coins);
        self->accepted [self->accepted_next] = accepted;
        self->accepted_next = (self->accepted_next + 1) % RECENT_ACCEPTED;
        if (self->n_accepted < RECENT_ACCEPTED)
            self->n_accepted++;
    }
    self->committing = false;
}

//  The write failed: take back, last first, what the batch added (its
//  puts are gone); each such item hears why
static void
s_uncommit (self_t *self, s_batch_t *batch, zc_err_t reason)
{
    if (batch->kind == KIND_RELOAD)
        return;                         //  on disk already: nothing was lost
    for (size_t i = batch->n; i-- > 0; ) {
        s_item_t *item = &batch->items [i];
        if (!item->added)
            continue;
        pool_undo (self->pool, &item->txid);
        item->added = false;
        s_reject (self, item, reason);
    }
}

//  Written: announce what the batch added, evict once for the batch
//  (sparing what it added and their ancestors; what goes at once hears
//  mempool_full), and drop what spent a disconnected transaction that
//  stays out
static void
s_accepted (self_t *self, s_batch_t *batch)
{
    size_t n_added = 0;
    for (size_t i = 0; i < batch->n; i++) {
        s_item_t *item = &batch->items [i];
        if (!item->added)
            continue;
        s_event (self, 0, &item->txid, &item->wtxid, item->size, item->fee, 0);
        zc_metric_inc (self->m_accepted, 1);
        n_added++;
    }
    zc_hash_t *added = n_added ? malloc (n_added * sizeof *added) : NULL;
    size_t k = 0;
    for (size_t i = 0; added && i < batch->n; i++)
        if (batch->items [i].added)
            added [k++] = batch->items [i].txid;
    pool_trim (self->pool, added, k);
    free (added);
    for (size_t i = 0; i < batch->n; i++) {
        s_item_t *item = &batch->items [i];
        if (item->added && !pool_find (self->pool, &item->txid)) {
            item->added = false;
            s_reject (self, item, ZC_ERR_MEMPOOL_FULL);
        }
        //  a disconnected block's transaction that stays out: what spent
        //  its outputs meanwhile spends nothing now
        if (batch->kind == KIND_REORG && !item->added && !item->already && item->tx)
            pool_remove_spenders (self->pool, item->tx, POOL_REORG);
    }
    zc_metric_observe (self->m_latency, (double) (zc_mono_us () - batch->started_us) / 1e6);
}

//  The store cannot write: say so once, refuse until it can, probe
static void
s_store_failed (self_t *self)
{
    if (self->store_failed_ms)
        return;
    self->store_failed_ms = zc_mono_ms ();
    self->next_store_probe_ms = self->store_failed_ms + STORE_PROBE_MS;
    zc_error ("mempool store: cannot write (%s: %s); refusing transactions until it can, "
              "trying again every %d s", zc_err_name (store_state (self->store)),
              store_error (self->store), STORE_PROBE_MS / 1000);
    zc_metric_set (self->m_store_writable, 0);
    zc_metrics_set_ready (self->metrics, false);
}

//  Move batches along; commit ready ones from the head, in arrival order
static void
s_pump (self_t *self)
{
    //  commit, then write, then announce and answer: an acknowledged
    //  transaction is on disk (in the write-ahead log) before its submitter
    //  hears "ok" and before anyone hears of it
    s_batch_t *done [64];
    size_t n_done = 0;
    while (n_done < 64) {
        s_batch_t *head = zlistx_first (self->batches);
        if (!head || head->stage != STAGE_READY)
            break;
        s_commit (self, head);
        zlistx_delete (self->batches, zlistx_cursor (self->batches));
        done [n_done++] = head;
    }
    zc_err_t written = store_flush (self->store);
    if (written != ZC_OK) {
        s_store_failed (self);
        for (size_t i = n_done; i-- > 0; )
            s_uncommit (self, done [i], written);
    }
    for (size_t i = 0; i < n_done; i++)
        s_accepted (self, done [i]);
    s_flush_events (self);
    for (size_t i = 0; i < n_done; i++) {
        s_answer (self, done [i]);
        if (done [i]->kind == KIND_RELOAD)
            s_reload_account (self, done [i]);
        s_batch_destroy (self, &done [i]);
    }
    if (n_done == 64)
        s_pump (self);                  //  more were ready
    s_resubmit (self);
    zc_metric_set (self->m_count, (double) pool_count (self->pool));
    zc_metric_set (self->m_bytes, (double) pool_bytes (self->pool));
    zc_metric_set (self->m_in_flight, (double) self->in_flight);
}

//  A new batch from raw transactions (a client's, or taken back from a
//  disconnected block or the store after a restart)
static s_batch_t *
s_batch_new (self_t *self, size_t n)
{
    s_batch_t *batch = calloc (1, sizeof *batch);
    if (!batch)
        return NULL;
    batch->items = calloc (n ? n : 1, sizeof *batch->items);
    if (!batch->items) {
        free (batch);
        return NULL;
    }
    batch->id = ++self->next_batch;
    batch->n = n;
    batch->started_us = zc_mono_us ();
    self->in_flight += n;
    return batch;
}

//  Item i of the batch: tx (taken), decoded from raw (tx->size bytes,
//  copied), through its own checks and policy
static void
s_batch_item_tx (self_t *self, s_batch_t *batch, size_t i, zc_tx_t *tx, const uint8_t *raw)
{
    s_item_t *item = &batch->items [i];
    item->batch = batch;
    item->tx = tx;
    item->txid = tx->txid;
    item->wtxid = tx->wtxid;
    item->size = tx->size;
    item->decoded = true;
    zc_err_t rc = zc_check_loose_tx (tx);
    if (rc == ZC_OK)
        rc = zc_check_standard_tx (tx, (uint64_t) self->cfg->dust_fee_rate, self->keys);
    if (rc == ZC_OK) {
        item->raw = malloc (tx->size);
        if (!item->raw)
            rc = ZC_ERR_INTERNAL;
        else {
            memcpy (item->raw, raw, tx->size);
            item->raw_size = tx->size;
        }
    }
    if (rc != ZC_OK) {
        s_reject (self, item, rc);
        return;
    }
    s_prepare_item (self, batch, i);
}

//  Item i of the batch from a client's bytes: decoded, once
static void
s_batch_item (self_t *self, s_batch_t *batch, size_t i, const uint8_t *data, size_t size)
{
    zc_tx_t *tx = NULL;
    zc_err_t rc = zc_tx_decode (data, size, &tx);
    if (rc != ZC_OK) {
        batch->items [i].batch = batch;
        s_reject (self, &batch->items [i], rc);
        return;
    }
    s_batch_item_tx (self, batch, i, tx, data);
}

//  Start a prepared batch: its look-up, or straight to verification
static void
s_batch_start (self_t *self, s_batch_t *batch)
{
    zlistx_add_end (self->batches, batch);
    char key [24];
    s_key (batch->id, key);
    zhashx_insert (self->by_id, key, batch);
    int rc = s_send_lookup (self, batch);
    if (rc < 0) {
        zc_metric_inc (self->m_busy, 1);
        for (size_t i = 0; i < batch->n; i++)
            s_reject (self, &batch->items [i], ZC_ERR_BUSY);
        batch->stage = STAGE_READY;
    }
    else
    if (batch->n_lookups == 0)
        s_to_verify (self, batch);
    else
        batch->stage = STAGE_LOOKUP;
    s_pump (self);
}

//  A batch of our own (kind KIND_REORG or KIND_RELOAD; times: when each was
//  accepted, or NULL for now): transactions decoded already, each with its
//  bytes (raws [i]: txs [i]->size of them), borrowed; checked again from
//  copies, neither encoded nor decoded again
static int
s_submit_internal (self_t *self, s_kind_t kind, zc_tx_t *const *txs,
                   const uint8_t *const *raws, const uint64_t *times, size_t n)
{
    zc_err_t state = store_state (self->store);
    if (kind == KIND_REORG && state != ZC_OK) {
        //  they could not be kept across a restart: not kept at all, and
        //  what spends them goes too
        zc_warn ("mempool store: %zu transactions of a disconnected block not taken back: %s",
                 n, zc_err_name (state));
        for (size_t i = 0; i < n; i++) {
            if (self->m_rejected [state])
                zc_metric_inc (self->m_rejected [state], 1);
            pool_remove_spenders (self->pool, txs [i], POOL_REORG);
        }
        return -1;
    }
    s_batch_t *batch = s_batch_new (self, n);
    if (!batch)
        return -1;
    batch->kind = kind;
    for (size_t i = 0; i < n; i++) {
        batch->items [i].time_ms = times ? times [i] : 0;
        zc_tx_t *copy = zc_tx_dup (txs [i]);
        if (copy)
            s_batch_item_tx (self, batch, i, copy, raws [i]);
        else
            s_reject (self, &batch->items [i], ZC_ERR_INTERNAL);
    }
    s_batch_start (self, batch);
    return 0;
}

//  Spenders the pool removed when a transaction came back after a
//  reorganisation go through the checks again, parents first
static void
s_resubmit (self_t *self)
{
    if (self->n_resubmit == 0)
        return;
    zc_tx_t **txs = self->resubmit;
    uint8_t **raws = self->resubmit_raw;
    size_t n = self->n_resubmit;
    self->resubmit = NULL;
    self->resubmit_raw = NULL;
    self->n_resubmit = self->cap_resubmit = 0;
    size_t *order = malloc (n * sizeof *order);
    zc_tx_t **ordered = malloc (n * sizeof *ordered);
    const uint8_t **ordered_raws = malloc (n * sizeof *ordered_raws);
    if (order && ordered && ordered_raws) {
        order_parents_first (txs, n, order);
        for (size_t i = 0; i < n; i++) {
            ordered [i] = txs [order [i]];
            ordered_raws [i] = raws [order [i]];
        }
        for (size_t i = 0; i < n; i += MAX_SUBMIT)
            s_submit_internal (self, KIND_REORG, ordered + i, ordered_raws + i, NULL,
                               n - i < MAX_SUBMIT ? n - i : MAX_SUBMIT);
    }
    for (size_t i = 0; i < n; i++) {
        zc_tx_destroy (&txs [i]);
        free (raws [i]);
    }
    free (txs);
    free (raws);
    free (order);
    free (ordered);
    free (ordered_raws);
}

// ---------------------------------------------------------------------------
//  storage: look-up replies and chain events

static void
s_on_storage (zc_actor_t *actor, zsock_t *sock, void *arg)
{
    (void) actor;
    (void) sock;
    self_t *self = arg;
    zc_frames_t frames;
    if (zc_frames_recv (self->storage, &frames, ZMQ_DONTWAIT))
        return;
    zc_env_t env;
    s_batch_t *batch = NULL;
    if (zc_frames_envelope (&frames, &env) == ZC_OK && env.request_id == self->tip_probe
    &&  env.type == ZC__MSG_TYPE__TIP_REPLY) {
        //  a subscriber can miss the first events (ZeroMQ's slow joiner) or
        //  the newest ones: when storage is ahead, replay what we missed
        Zc__TipReply *tip = zc__tip_reply__unpack (NULL, env.body_size, env.body);
        //  storage is ahead: the event may simply be on its way (a big
        //  block takes a while); replay only when we are still behind what
        //  the previous probe saw, a second later
        bool behind = tip && tip->event_seq > self->follow.seq;
        bool still_behind = behind && self->probe_behind && self->follow.seq < self->probe_behind;
        self->probe_behind = behind ? tip->event_seq : 0;
        if (still_behind) {
            zc_metric_inc (self->m_gaps, 1);
            zc_warn ("storage is at event %llu, we at %llu: replaying",
                     (unsigned long long) tip->event_seq, (unsigned long long) self->follow.seq);
            //  what could not be replayed now is tried again at the next probe
            zc_follow_replay (&self->follow, tip->event_seq);
        }
        if (tip)
            zc__tip_reply__free_unpacked (tip, NULL);
        zc_frames_close (&frames);
        s_pump (self);
        return;
    }
    if (env.request_id != 0)
        batch = s_find_batch (self->by_lookup, env.request_id);
    if (batch && batch->stage != STAGE_LOOKUP)
        batch = NULL;
    if (!batch) {
        zc_frames_close (&frames);      //  late: the batch timed out already
        return;
    }
    Zc__UtxosReply *reply = NULL;
    if (env.type == ZC__MSG_TYPE__UTXOS_REPLY)
        zc_codec_unpack (&zc__utxos_reply__descriptor, env.body, env.body_size, ZC_MSG_MAX,
                         (ProtobufCMessage **) &reply);
    for (size_t j = 0; j < batch->n_lookups; j++) {
        s_item_t *item = &batch->items [batch->lookup_item [j]];
        const Zc__UtxoEntry *entry = reply && j < reply->n_entries ? reply->entries [j] : NULL;
        if (!reply) {
            s_reject (self, item, env.type == ZC__MSG_TYPE__ERROR_REPLY ? ZC_ERR_BUSY : ZC_ERR_INTERNAL);
            continue;
        }
        if (!entry || !entry->found || !entry->coin || entry->coin->pubkey.len != 32) {
            s_reject (self, item, ZC_ERR_UNKNOWN_INPUT);
            continue;
        }
        zc_coin_t *c = &item->coins [batch->lookup_input [j]];
        c->amount = entry->coin->amount;
        memcpy (c->pubkey, entry->coin->pubkey.data, 32);
        c->height = entry->coin->height;
        c->coinbase = entry->coin->coinbase;
    }
    if (reply)
        zc__utxos_reply__free_unpacked (reply, NULL);
    zc_frames_close (&frames);
    s_to_verify (self, batch);
    s_pump (self);
}

static void
s_remember_confirmed (self_t *self, const zc_hash_t *txid)
{
    if (zc_keytable_size (self->recent) >= RECENT_MAX)
        zc_keytable_purge (self->recent);    //  bounded; older ones matter no more
    zc_keytable_update (self->recent, txid->b, (void *) 1);
}

//  A connected block: drop what it confirms and what conflicts with it,
//  in the pool and among transactions being checked
static void
s_block_connected (self_t *self, zc_block_t *block)
{
    for (uint32_t t = 0; t < block->n_tx; t++)
        s_remember_confirmed (self, &block->tx [t]->txid);
    pool_block_connected (self->pool, block->tx, block->n_tx);
    for (uint32_t t = 1; t < block->n_tx; t++) {
        const zc_tx_t *tx = block->tx [t];
        for (uint32_t i = 0; i < tx->n_in; i++) {
            uint8_t key [36];
            zc_outpoint_key (&tx->in [i].prevout, key);
            s_item_t *item = zc_keytable_lookup (self->reserved, key);
            if (!item)
                continue;
            if (zc_hash_eq (&item->tx->txid, &tx->txid))
                item->already = true;   //  confirmed while we checked it
            else
                s_reject (self, item, ZC_ERR_DOUBLE_SPEND);
        }
    }
}

//  A disconnected block's transactions (but its coinbase) go through the
//  checks again, each with its bytes sliced out of the block's (raw, the
//  bytes block was decoded from)
static void
s_take_back (self_t *self, const zc_block_t *block, const uint8_t *raw, size_t size)
{
    size_t *offsets = malloc (block->n_tx * sizeof *offsets);
    const uint8_t **raws = malloc (block->n_tx * sizeof *raws);
    if (offsets && raws) {
        size_t end = zc_block_tx_offsets (block, offsets);
        assert (end == size);           //  the decoder read exactly these
        (void) end;
        (void) size;
        for (uint32_t t = 0; t < block->n_tx; t++)
            raws [t] = raw + offsets [t];
        s_submit_internal (self, KIND_REORG, block->tx + 1, raws + 1, NULL, block->n_tx - 1);
    }
    else
        zc_warn ("out of memory: %u transactions of a disconnected block not taken back",
                 block->n_tx - 1);
    free (offsets);
    free (raws);
}

static void
s_apply_chain_event (void *arg, Zc__ChainEvent *ev)
{
    self_t *self = arg;
    zc_block_t *block = NULL;
    if (ev->raw.len && zc_block_decode (ev->raw.data, ev->raw.len, &block) != ZC_OK)
        block = NULL;
    if (ev->type == ZC__CHAIN_EVENT_TYPE__CONNECTED) {
        if (block)
            s_block_connected (self, block);
        if (ev->hash.len == 32)
            memcpy (self->tip.b, ev->hash.data, 32);
        self->height = ev->height;
    }
    else {
        //  take the block's transactions back; the checks run again, against
        //  the chain as it is now. They are confirmed no more.
        for (uint32_t t = 0; block && t < block->n_tx; t++)
            zc_keytable_delete (self->recent, block->tx [t]->txid.b);
        if (block && block->n_tx > 1)
            s_take_back (self, block, ev->raw.data, ev->raw.len);
        if (block)
            self->tip = block->header.prev;
        self->height = ev->height ? ev->height - 1 : 0;
    }
    //  an event without them (an old storage's replay) keeps what we had
    if (ev->next_bits)
        self->next_bits = ev->next_bits;
    if (ev->median_time)
        self->median_time = ev->median_time;
    zc_block_destroy (&block);
}


static void
s_on_chain (zc_actor_t *actor, zsock_t *sock, void *arg)
{
    (void) actor;
    (void) sock;
    self_t *self = arg;
    zc_follow_receive (&self->follow, self->chain);
    s_pump (self);
}

// ---------------------------------------------------------------------------
//  api

//  Every item of a request refused for one reason, without looking at them
static void
s_refuse_all (self_t *self, const uint8_t *id, size_t id_size, uint64_t request_id, size_t n,
              zc_err_t reason)
{
    Zc__TxResult *results = calloc (n, sizeof *results);
    Zc__TxResult **ptrs = calloc (n, sizeof *ptrs);
    if (!results || !ptrs) {
        zc_zmq_send_error (self->api, id, id_size, request_id, reason, NULL);
    }
    else {
        for (size_t i = 0; i < n; i++) {
            zc__tx_result__init (&results [i]);
            results [i].reason = (int32_t) reason;
            results [i].detail = (char *) zc_err_name (reason);
            ptrs [i] = &results [i];
        }
        Zc__SubmitTxsReply reply = ZC__SUBMIT_TXS_REPLY__INIT;
        reply.n_results = n;
        reply.results = ptrs;
        zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__SUBMIT_TXS_REPLY,
                            .request_id = request_id };
        zc_zmq_send (self->api, id, id_size, &header, &reply.base, ZMQ_DONTWAIT);
    }
    free (results);
    free (ptrs);
    if (self->m_rejected [reason])
        zc_metric_inc (self->m_rejected [reason], (double) n);
    zc_debug ("refused %zu transactions: %s", n, zc_err_name (reason));
}

static void
s_submit_txs (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__SubmitTxs *req = NULL;
    zc_err_t rc = zc_codec_unpack (&zc__submit_txs__descriptor, env->body, env->body_size,
                                   ZC_MSG_MAX, (ProtobufCMessage **) &req);
    if (rc == ZC_OK && (req->n_txs == 0 || req->n_txs > MAX_SUBMIT))
        rc = req->n_txs ? ZC_ERR_OVERSIZE : ZC_ERR_EMPTY;
    zc_err_t state = store_state (self->store);
    if (rc == ZC_OK && state != ZC_OK) {
        //  nothing could be kept: refused before any work is done on them
        s_refuse_all (self, id, id_size, env->request_id, req->n_txs, state);
        zc__submit_txs__free_unpacked (req, NULL);
        return;
    }
    if (rc == ZC_OK && self->in_flight + req->n_txs > (size_t) self->cfg->max_in_flight) {
        rc = ZC_ERR_BUSY;
        zc_metric_inc (self->m_busy, 1);
    }
    s_batch_t *batch = rc == ZC_OK ? s_batch_new (self, req->n_txs) : NULL;
    if (rc == ZC_OK && !batch)
        rc = ZC_ERR_INTERNAL;
    if (rc != ZC_OK) {
        if (req)
            zc__submit_txs__free_unpacked (req, NULL);
        zc_zmq_send_error (self->api, id, id_size, env->request_id, rc, NULL);
        return;
    }
    batch->has_client = true;
    memcpy (batch->identity, id, id_size);
    batch->identity_size = id_size;
    batch->request_id = env->request_id;
    for (size_t i = 0; i < req->n_txs; i++)
        s_batch_item (self, batch, i, req->txs [i].data, req->txs [i].len);
    zc__submit_txs__free_unpacked (req, NULL);
    s_batch_start (self, batch);
}

static void
s_template_clear (s_template_t *t)
{
    free (t->bytes);
    free (t->sizes);
    free (t->fees);
    t->bytes = NULL;
    t->sizes = NULL;
    t->fees = NULL;
    t->n = 0;
    t->valid = false;
}

//  May the template be built again now? TEMPLATE_BUILDS a second, refilled
//  as time passes: ordinary requests always get a fresh one, a flood of
//  them gets copies
static bool
s_template_may_build (s_template_t *t, int64_t now)
{
    if (t->tokens_ms == 0)
        t->tokens = TEMPLATE_BUILDS;
    else
        t->tokens += (double) (now - t->tokens_ms) * TEMPLATE_BUILDS / 1000.0;
    if (t->tokens > TEMPLATE_BUILDS)
        t->tokens = TEMPLATE_BUILDS;
    t->tokens_ms = now;
    if (t->tokens < 1)
        return false;
    t->tokens -= 1;
    return true;
}

//  Build the template again: the pool's choice for a full block, copied
//  (it outlives the entries it came from)
static void
s_template_build (self_t *self)
{
    s_template_t *t = &self->tmpl;
    s_template_clear (t);
    size_t max_out = pool_count (self->pool);
    const pool_entry_t **chosen = calloc (max_out ? max_out : 1, sizeof *chosen);
    uint64_t fees = 0;
    size_t n = chosen ? pool_template (self->pool, ZC_BLOCK_MAX_BYTES - 1000, chosen, max_out, &fees)
                      : 0;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += chosen [i]->tx->size;
    t->bytes = malloc (bytes ? bytes : 1);
    t->sizes = malloc ((n ? n : 1) * sizeof *t->sizes);
    t->fees = malloc ((n ? n : 1) * sizeof *t->fees);
    if (chosen && t->bytes && t->sizes && t->fees) {
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            memcpy (t->bytes + at, chosen [i]->raw, chosen [i]->tx->size);
            at += chosen [i]->tx->size;
            t->sizes [i] = chosen [i]->tx->size;
            t->fees [i] = chosen [i]->fee;
        }
        t->n = n;
        t->valid = true;
        t->tip = self->tip;
        t->changes = pool_changes (self->pool);
    }
    zc_metric_inc (self->m_template_builds, 1);
    free (chosen);
}

//  A template for a miner (or anyone through the gateway): built again
//  when the tip moved, or when the pool changed and the rate allows, so
//  whatever the rate of requests the pool is sorted at most a few times a
//  second
static void
s_get_template (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetTemplate *req = zc__get_template__unpack (NULL, env->body_size, env->body);
    if (!req) {
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_MALFORMED, NULL);
        return;
    }
    //  room for the header, the count and a coinbase
    size_t max_bytes = req->max_bytes && req->max_bytes < ZC_BLOCK_MAX_BYTES ? req->max_bytes
                                                                              : ZC_BLOCK_MAX_BYTES;
    zc__get_template__free_unpacked (req, NULL);
    max_bytes = max_bytes > 1000 ? max_bytes - 1000 : 0;
    s_template_t *t = &self->tmpl;
    bool may = s_template_may_build (t, zc_mono_ms ());
    if (!t->valid || !zc_hash_eq (&t->tip, &self->tip)
    ||  (pool_changes (self->pool) != t->changes && may))
        s_template_build (self);
    ProtobufCBinaryData *txs = calloc (t->n ? t->n : 1, sizeof *txs);
    size_t n = 0, bytes = 0, at = 0;
    uint64_t fees = 0;
    for (; txs && n < t->n && bytes + t->sizes [n] <= max_bytes; n++) {
        txs [n].data = t->bytes + at;
        txs [n].len = t->sizes [n];
        at += t->sizes [n];
        bytes += t->sizes [n];
        fees += t->fees [n];
    }
    Zc__TemplateReply reply = ZC__TEMPLATE_REPLY__INIT;
    reply.prev_hash.data = self->tip.b;
    reply.prev_hash.len = 32;
    reply.height = self->height + 1;
    reply.bits = self->next_bits;
    reply.min_time = self->median_time;
    reply.fees = fees;
    reply.subsidy = zc_params_subsidy (self->params, self->height + 1);
    reply.n_txs = n;
    reply.txs = txs;
    reply.created_ms = (uint64_t) zc_now_ms ();
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__TEMPLATE_REPLY,
                        .request_id = env->request_id };
    zc_zmq_send (self->api, id, id_size, &header, &reply.base, ZMQ_DONTWAIT);
    zc_metric_inc (self->m_templates, 1);
    free (txs);
}

typedef struct {
    Zc__MempoolEntry *entries;
    Zc__MempoolEntry **ptrs;
    size_t n, max;
} s_listing_t;

static bool
s_list_visit (void *arg, const pool_entry_t *e)
{
    s_listing_t *l = arg;
    if (l->n >= l->max)
        return false;
    Zc__MempoolEntry *m = &l->entries [l->n];
    zc__mempool_entry__init (m);
    m->txid.data = e->tx->txid.b;
    m->txid.len = 32;
    m->size = e->tx->size;
    m->fee = e->fee;
    m->time_ms = e->time_ms;
    l->ptrs [l->n++] = m;
    return true;
}

//  Every entry's fee rate and bytes, for the histogram and the depths
typedef struct {
    zc_fee_item_t *items;
    size_t n, max;
    uint64_t total_fee;
} s_fees_t;

static bool
s_fees_visit (void *arg, const pool_entry_t *e)
{
    s_fees_t *f = arg;
    if (f->n < f->max)
        f->items [f->n++] = (zc_fee_item_t) { .rate = e->rate, .bytes = e->tx->size };
    f->total_fee += e->fee;
    return true;
}

//  The histogram, depth rates and total fee, made again when older than
//  FEE_SUMMARY_MS: a sort of the whole pool, bounded by its size. When
//  memory runs out the summary covers none of the pool, and says so by
//  its total of 0, until the next try.
static void
s_fee_summary (self_t *self)
{
    int64_t now = zc_mono_ms ();
    if (self->fees_ms && now - self->fees_ms < FEE_SUMMARY_MS)
        return;
    s_fees_t f = { NULL, 0, 0, 0 };
    f.max = pool_count (self->pool);
    f.items = malloc ((f.max ? f.max : 1) * sizeof *f.items);
    if (!f.items)
        f.max = 0;
    pool_each (self->pool, s_fees_visit, &f);
    zc_fee_sort (f.items, f.n);
    self->n_fee_buckets = zc_fee_histogram (f.items, f.n, self->fee_buckets, ZC_FEE_MAX_BUCKETS);
    //  a block's room for transactions: its limit less the header and coinbase
    zc_fee_depth_rates (f.items, f.n, ZC_BLOCK_MAX_BYTES - 1000, self->fee_depths, ZC_FEE_MAX_DEPTH);
    self->fee_total = f.items ? f.total_fee : 0;
    self->fees_ms = now;
    free (f.items);
}

//  True when one more pool scan may run now
static bool
s_scan_allowed (self_t *self)
{
    int64_t now = zc_mono_ms ();
    double rate = (double) self->cfg->address_scans;
    self->scan_tokens += (double) (now - self->scan_ms) * rate / 1000.0;
    if (self->scan_tokens > rate)
        self->scan_tokens = rate;
    self->scan_ms = now;
    if (self->scan_tokens < 1)
        return false;
    self->scan_tokens -= 1;
    return true;
}

static void
s_get_mempool (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetMempool *req = zc__get_mempool__unpack (NULL, env->body_size, env->body);
    s_listing_t l = { NULL, NULL, 0, req ? (req->max_entries > 10000 ? 10000 : req->max_entries) : 0 };
    bool with_recent = req && req->with_recent, with_fees = req && req->with_fees;
    if (req)
        zc__get_mempool__free_unpacked (req, NULL);
    l.entries = calloc (l.max + 1, sizeof *l.entries);
    l.ptrs = calloc (l.max + 1, sizeof *l.ptrs);
    if (l.entries && l.ptrs)
        pool_each (self->pool, s_list_visit, &l);
    Zc__MempoolReply reply = ZC__MEMPOOL_REPLY__INIT;
    reply.count = pool_count (self->pool);
    reply.bytes = pool_bytes (self->pool);
    reply.min_fee_rate = (uint64_t) self->cfg->min_fee_rate;
    reply.n_entries = l.n;
    reply.entries = l.ptrs;
    reply.event_seq = self->event_seq;
    Zc__MempoolEntry recent [RECENT_ACCEPTED], *recent_ptrs [RECENT_ACCEPTED];
    if (with_recent) {
        for (size_t i = 0; i < self->n_accepted; i++) {
            //  newest first
            size_t at = (self->accepted_next + RECENT_ACCEPTED - 1 - i) % RECENT_ACCEPTED;
            s_accepted_t *a = &self->accepted [at];
            zc__mempool_entry__init (&recent [i]);
            recent [i].txid.data = a->txid.b;
            recent [i].txid.len = 32;
            recent [i].size = a->size;
            recent [i].fee = a->fee;
            recent [i].value = a->value;
            recent_ptrs [i] = &recent [i];
        }
        reply.n_recent = self->n_accepted;
        reply.recent = recent_ptrs;
    }
    Zc__FeeBucket bucket_msgs [ZC_FEE_MAX_BUCKETS], *bucket_ptrs [ZC_FEE_MAX_BUCKETS];
    if (with_fees) {
        s_fee_summary (self);
        for (size_t i = 0; i < self->n_fee_buckets; i++) {
            zc__fee_bucket__init (&bucket_msgs [i]);
            bucket_msgs [i].rate = self->fee_buckets [i].rate;
            bucket_msgs [i].bytes = self->fee_buckets [i].bytes;
            bucket_ptrs [i] = &bucket_msgs [i];
        }
        reply.n_fee_histogram = self->n_fee_buckets;
        reply.fee_histogram = bucket_ptrs;
        reply.n_depth_rates = ZC_FEE_MAX_DEPTH;
        reply.depth_rates = self->fee_depths;
        reply.total_fee = self->fee_total;
    }
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__MEMPOOL_REPLY,
                        .request_id = env->request_id };
    zc_zmq_send (self->api, id, id_size, &header, &reply.base, ZMQ_DONTWAIT);
    free (l.entries);
    free (l.ptrs);
}

//  A pool entry as a TxReply; coin_msgs and coin_ptrs hold tx->n_in each
static void
s_entry_reply (const pool_entry_t *e, Zc__TxReply *reply, Zc__Coin *coin_msgs, Zc__Coin **coin_ptrs)
{
    zc__tx_reply__init (reply);
    reply->raw.data = e->raw;
    reply->raw.len = e->tx->size;
    reply->txid.data = e->tx->txid.b;
    reply->txid.len = 32;
    reply->fee = e->fee;
    reply->fee_known = true;
    if (e->coins && coin_msgs) {
        for (uint32_t i = 0; i < e->tx->n_in; i++) {
            zc__coin__init (&coin_msgs [i]);
            coin_msgs [i].amount = e->coins [i].amount;
            coin_msgs [i].pubkey.data = e->coins [i].pubkey;
            coin_msgs [i].pubkey.len = 32;
            coin_msgs [i].height = e->coins [i].height;
            coin_msgs [i].coinbase = e->coins [i].coinbase;
            coin_ptrs [i] = &coin_msgs [i];
        }
        reply->n_prevouts = e->tx->n_in;
        reply->prevouts = coin_ptrs;
    }
}

static void
s_get_tx (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetTx *req = zc__get_tx__unpack (NULL, env->body_size, env->body);
    const pool_entry_t *e = NULL;
    if (req && req->txid.len == 32) {
        zc_hash_t txid;
        memcpy (txid.b, req->txid.data, 32);
        e = pool_find (self->pool, &txid);
    }
    if (req)
        zc__get_tx__free_unpacked (req, NULL);
    if (!e) {
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_NOT_FOUND,
                           "not in the mempool");
        return;
    }
    Zc__TxReply reply;
    Zc__Coin *coin_msgs = calloc (e->tx->n_in, sizeof *coin_msgs);
    Zc__Coin **coin_ptrs = calloc (e->tx->n_in, sizeof *coin_ptrs);
    s_entry_reply (e, &reply, coin_ptrs ? coin_msgs : NULL, coin_ptrs);
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__TX_REPLY,
                        .request_id = env->request_id };
    zc_zmq_send (self->api, id, id_size, &header, &reply.base, ZMQ_DONTWAIT);
    free (coin_msgs);
    free (coin_ptrs);
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
    Zc__OutspendReply reply = ZC__OUTSPEND_REPLY__INIT;
    const pool_entry_t *e = pool_spender (self->pool, &op);
    if (e) {
        reply.spent = true;
        reply.txid.data = e->tx->txid.b;
        reply.txid.len = 32;
        for (uint32_t i = 0; i < e->tx->n_in; i++)
            if (zc_outpoint_eq (&e->tx->in [i].prevout, &op))
                reply.vin = i;
    }
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__OUTSPEND_REPLY,
                        .request_id = env->request_id };
    zc_zmq_send (self->api, id, id_size, &header, &reply.base, ZMQ_DONTWAIT);
}

//  Pool entries paying to or spending from a key
typedef struct {
    uint8_t pubkey [32];
    const pool_entry_t **found;
    size_t n, cap;
    bool failed;
} s_owner_t;

static bool
s_owner_visit (void *arg, const pool_entry_t *e)
{
    s_owner_t *o = arg;
    bool match = false;
    for (uint32_t i = 0; i < e->tx->n_out && !match; i++)
        match = !memcmp (e->tx->out [i].pubkey, o->pubkey, 32);
    for (uint32_t i = 0; e->coins && i < e->tx->n_in && !match; i++)
        match = !memcmp (e->coins [i].pubkey, o->pubkey, 32);
    if (!match)
        return true;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        const pool_entry_t **grown = realloc (o->found, cap * sizeof *grown);
        if (!grown) {
            o->failed = true;
            return false;
        }
        o->found = grown;
        o->cap = cap;
    }
    o->found [o->n++] = e;
    return true;
}

static int
s_newest_first (const void *a, const void *b)
{
    const pool_entry_t *x = *(const pool_entry_t * const *) a;
    const pool_entry_t *y = *(const pool_entry_t * const *) b;
    if (x->time_ms != y->time_ms)
        return x->time_ms < y->time_ms ? 1 : -1;
    return memcmp (x->tx->txid.b, y->tx->txid.b, 32);
}

static void
s_get_address_txs (self_t *self, const uint8_t *id, size_t id_size, const zc_env_t *env)
{
    Zc__GetAddressTxs *req = zc__get_address_txs__unpack (NULL, env->body_size, env->body);
    if (!req || req->pubkey.len != 32 || req->max > MAX_ADDRESS_TXS) {
        if (req)
            zc__get_address_txs__free_unpacked (req, NULL);
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_BAD_REQUEST,
                           "a 32-byte pubkey and at most 50 transactions");
        return;
    }
    s_owner_t o = { .n = 0 };
    memcpy (o.pubkey, req->pubkey.data, 32);
    size_t max = req->max ? req->max : MAX_ADDRESS_TXS;
    zc__get_address_txs__free_unpacked (req, NULL);
    if (!s_scan_allowed (self)) {
        zc_metric_inc (self->m_scans_refused, 1);
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_BUSY,
                           "too many address look-ups in the mempool this second; try again");
        return;
    }
    pool_each (self->pool, s_owner_visit, &o);
    if (o.failed) {
        free (o.found);
        zc_zmq_send_error (self->api, id, id_size, env->request_id, ZC_ERR_INTERNAL, "out of memory");
        return;
    }
    if (o.n > 1)
        qsort (o.found, o.n, sizeof *o.found, s_newest_first);
    size_t n = o.n < max ? o.n : max;
    Zc__TxReply replies [MAX_ADDRESS_TXS], *ptrs [MAX_ADDRESS_TXS];
    Zc__Coin *coin_msgs [MAX_ADDRESS_TXS] = { NULL };
    Zc__Coin **coin_ptrs [MAX_ADDRESS_TXS] = { NULL };
    for (size_t i = 0; i < n; i++) {
        const pool_entry_t *e = o.found [i];
        coin_msgs [i] = calloc (e->tx->n_in, sizeof **coin_msgs);
        coin_ptrs [i] = calloc (e->tx->n_in, sizeof **coin_ptrs);
        s_entry_reply (e, &replies [i], coin_ptrs [i] ? coin_msgs [i] : NULL, coin_ptrs [i]);
        ptrs [i] = &replies [i];
    }
    Zc__AddressTxsReply reply = ZC__ADDRESS_TXS_REPLY__INIT;
    reply.n_txs = n;
    reply.txs = ptrs;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__ADDRESS_TXS_REPLY,
                        .request_id = env->request_id };
    zc_zmq_send (self->api, id, id_size, &header, &reply.base, ZMQ_DONTWAIT);
    for (size_t i = 0; i < n; i++) {
        free (coin_msgs [i]);
        free (coin_ptrs [i]);
    }
    free (o.found);
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
    if (frames.count != 2) {
        zc_frames_close (&frames);
        return;
    }
    zc_env_t env;
    zc_err_t rc = zc_frames_envelope (&frames, &env);
    const uint8_t *id = zc_frame_data (&frames, 0);
    size_t id_size = zc_frame_size (&frames, 0);
    if (rc == ZC_OK)
        rc = zc_env_check (&env, zc_now_ms ());
    if (rc != ZC_OK)
        zc_zmq_send_error (self->api, id, id_size, env.request_id, rc, NULL);
    else
    switch (env.type) {
        case ZC__MSG_TYPE__SUBMIT_TXS:    s_submit_txs (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_TEMPLATE:  s_get_template (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_MEMPOOL:   s_get_mempool (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_TX:        s_get_tx (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_OUTSPEND:  s_get_outspend (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__GET_ADDRESS_TXS: s_get_address_txs (self, id, id_size, &env); break;
        case ZC__MSG_TYPE__PING:          zc_zmq_send_pong (self->api, id, id_size, env.request_id); break;
        default:
            zc_zmq_send_error (self->api, id, id_size, env.request_id, ZC_ERR_BAD_PROTOCOL,
                               "the mempool does not answer this message type");
    }
    zc_frames_close (&frames);
}

//  While the store cannot write, try it again every few seconds; once it
//  can, accept again (and take back what was stored, if that waited)
static void
s_store_probe (self_t *self, int64_t now)
{
    if (store_state (self->store) == ZC_OK || now < self->next_store_probe_ms)
        return;
    self->next_store_probe_ms = now + STORE_PROBE_MS;
    if (store_probe (self->store) != ZC_OK)
        return;
    zc_info ("mempool store: writable again after %lld s; accepting transactions",
             (long long) ((now - self->store_failed_ms) / 1000));
    self->store_failed_ms = 0;
    zc_metric_set (self->m_store_writable, 1);
    if (self->reload_waits) {
        self->reload_waits = false;
        s_reload (self);
    }
    else
    if (!self->reload.active)
        zc_metrics_set_ready (self->metrics, true);
}

//  Before each push: the key cache's counts
static void
s_sample_metrics (zc_actor_t *actor, void *arg)
{
    (void) actor;
    self_t *self = arg;
    zc_keycache_stats_t keys;
    zc_keycache_stats (self->keys, &keys);
    zc_metric_set (self->m_key_hits, (double) keys.hits);
    zc_metric_set (self->m_key_misses, (double) keys.misses);
}

static void
s_tick (zc_actor_t *actor, void *arg)
{
    (void) actor;
    self_t *self = arg;
    zc_workpool_tick (self->workpool);
    int64_t now = zc_mono_ms ();
    //  storage did not answer a look-up: those transactions hear busy
    for (s_batch_t *b = zlistx_first (self->batches); b; b = zlistx_next (self->batches))
        if (b->stage == STAGE_LOOKUP && now - b->lookup_sent_ms > LOOKUP_TIMEOUT_MS) {
            for (size_t i = 0; i < b->n; i++)
                s_reject (self, &b->items [i], ZC_ERR_BUSY);
            b->stage = STAGE_READY;
        }
    zc_workpool_sample (self->workpool);
    s_store_probe (self, now);
    s_reload_retry (self);
    if (now >= self->next_probe_ms) {
        Zc__GetTip req = ZC__GET_TIP__INIT;
        self->tip_probe = ++self->next_request;
        zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__GET_TIP,
                            .request_id = self->tip_probe,
                            .deadline_ms = (uint64_t) (zc_now_ms () + 2000) };
        zc_zmq_send (self->storage, NULL, 0, &header, &req.base, ZMQ_DONTWAIT);
        self->next_probe_ms = now + 1000;
    }
    s_pump (self);
}

// ---------------------------------------------------------------------------
//  start and stop

//  The tip from storage, before anything else: retried until storage
//  answers or we are told to stop
static int
s_fetch_tip (self_t *self)
{
    char err [256];
    zc_client_t *client = zc_client_new_auth (self->cfg->storage_api, self->cfg->common.keyset,
                                              ZC_SOCK_STORAGE_API, err, sizeof err);
    if (!client)
        return -1;
    int rc = -1;
    for (int attempt = 0; !zc_actor_told_to_end (self->actor); attempt++) {
        Zc__GetTip req = ZC__GET_TIP__INIT;
        uint32_t type;
        const uint8_t *body;
        size_t size;
        if (zc_client_call (client, ZC__MSG_TYPE__GET_TIP, &req.base, 1000, &type, &body, &size,
                            NULL) == ZC_OK && type == ZC__MSG_TYPE__TIP_REPLY) {
            Zc__TipReply *tip = zc__tip_reply__unpack (NULL, size, body);
            if (tip && tip->hash.len == 32) {
                memcpy (self->tip.b, tip->hash.data, 32);
                self->height = tip->height;
                self->next_bits = tip->next_bits;
                self->median_time = tip->median_time;
                self->follow.seq = tip->event_seq;
                rc = 0;
            }
            if (tip)
                zc__tip_reply__free_unpacked (tip, NULL);
            break;
        }
        if (attempt % 10 == 0)
            zc_info ("waiting for storage at %s", self->cfg->storage_api);
        zc_watchdog_kick (self->cfg->common.watchdog);       //  waiting is progress
    }
    zc_client_destroy (&client);
    return rc;
}

// ---------------------------------------------------------------------------
//  taking the store back after a restart

static bool
s_passing (zc_err_t reason)
{
    return reason == ZC_ERR_BUSY || reason == ZC_ERR_TIMEOUT || reason == ZC_ERR_INTERNAL
        || reason == ZC_ERR_UNAVAILABLE || reason == ZC_ERR_STORAGE_FULL;
}

//  Room for one more row in three parallel arrays (transactions, their
//  bytes, their times) holding n of *cap: doubled when full. *cap grows
//  only when all three did, so n < *cap afterwards says there is room.
static void
s_reserve_rows (zc_tx_t ***txs_p, uint8_t ***raws_p, uint64_t **times_p, size_t *cap_p, size_t n)
{
    if (n < *cap_p)
        return;
    size_t cap = *cap_p ? *cap_p * 2 : 256;
    zc_tx_t **txs = realloc (*txs_p, cap * sizeof *txs);
    if (txs)
        *txs_p = txs;
    uint8_t **raws = txs ? realloc (*raws_p, cap * sizeof *raws) : NULL;
    if (raws)
        *raws_p = raws;
    uint64_t *times = raws ? realloc (*times_p, cap * sizeof *times) : NULL;
    if (times) {
        *times_p = times;
        *cap_p = cap;
    }
}

//  A stored transaction the checks refused: logged with its reason,
//  counted, and deleted from the store
static void
s_reload_drop (self_t *self, const zc_hash_t *txid, uint64_t time_ms, zc_err_t reason)
{
    char hex [65];
    zc_hex_encode (txid->b, 32, hex);
    zc_info ("reload: dropped %s: %s", hex, zc_err_name (reason));
    self->reload.dropped [reason]++;
    if (!self->m_reload_dropped [reason])
        self->m_reload_dropped [reason] = zc_metrics_counter (self->metrics,
            "zchain_mempool_reload_dropped_total",
            "stored transactions dropped when taken back after a restart, by reason",
            "reason", zc_err_name (reason));
    zc_metric_inc (self->m_reload_dropped [reason], 1);
    store_delete (self->store, txid, time_ms);
}

//  Every stored transaction accounted for: the summary, and ready
static void
s_reload_finish (self_t *self)
{
    s_reloading_t *r = &self->reload;
    if (!r->active || r->submitting || r->pending || r->n_retry)
        return;
    char reasons [512] = "";
    size_t dropped = 0, at = 0;
    for (int i = 0; i < ZC_ERR_COUNT_; i++)
        if (r->dropped [i]) {
            dropped += r->dropped [i];
            int n = snprintf (reasons + at, sizeof reasons - at, "%s%s %zu", at ? ", " : " (",
                              zc_err_name (i), r->dropped [i]);
            if (n > 0 && (size_t) n < sizeof reasons - at)
                at += (size_t) n;
        }
    if (at && at + 1 < sizeof reasons)
        snprintf (reasons + at, sizeof reasons - at, ")");
    zc_info ("reload: took back %zu, kept %zu, dropped %zu%s%s", r->taken, r->kept, dropped,
             reasons, r->left ? "; some left on disk for the next restart" : "");
    r->active = false;
    zc_metrics_set_ready (self->metrics, store_state (self->store) == ZC_OK);
}

//  Stored transactions (the caller's) through the checks, parents first,
//  in batches
static void
s_reload_submit (self_t *self, zc_tx_t **txs, uint8_t *const *raws, const uint64_t *times,
                 size_t n)
{
    s_reloading_t *r = &self->reload;
    size_t *order = malloc ((n ? n : 1) * sizeof *order);
    zc_tx_t **chunk = malloc (RELOAD_BATCH * sizeof *chunk);
    const uint8_t **chunk_raws = malloc (RELOAD_BATCH * sizeof *chunk_raws);
    uint64_t *chunk_times = malloc (RELOAD_BATCH * sizeof *chunk_times);
    r->submitting = true;
    if (order && chunk && chunk_raws && chunk_times) {
        order_parents_first (txs, n, order);
        for (size_t i = 0; i < n; i += RELOAD_BATCH) {
            size_t k = n - i < RELOAD_BATCH ? n - i : RELOAD_BATCH;
            for (size_t j = 0; j < k; j++) {
                chunk [j] = txs [order [i + j]];
                chunk_raws [j] = raws [order [i + j]];
                chunk_times [j] = times [order [i + j]];
            }
            //  counted before: a batch refused at once is accounted for inside
            r->pending++;
            if (s_submit_internal (self, KIND_RELOAD, chunk, chunk_raws, chunk_times, k)) {
                r->pending--;
                r->left += k;
            }
        }
    }
    else
        r->left += n;
    r->submitting = false;
    free (order);
    free (chunk);
    free (chunk_raws);
    free (chunk_times);
}

//  A reload batch is done: kept, retried (a passing refusal, or a missing
//  parent once something passing was seen: the parent may come back), or
//  dropped
static void
s_reload_account (self_t *self, s_batch_t *batch)
{
    s_reloading_t *r = &self->reload;
    for (size_t i = 0; i < batch->n; i++) {
        s_item_t *item = &batch->items [i];
        zc_err_t reason = item->already ? ZC_OK : item->result;
        if (reason == ZC_OK) {
            r->kept++;
            continue;
        }
        if (s_passing (reason))
            r->passing = true;
        bool again = s_passing (reason) || (reason == ZC_ERR_UNKNOWN_INPUT && r->passing);
        //  with its bytes (it passed its own checks, so the item has them)
        if (again && item->tx && item->raw && r->round < RELOAD_ROUNDS) {
            s_reserve_rows (&r->retry, &r->retry_raw, &r->retry_time, &r->cap_retry, r->n_retry);
            zc_tx_t *copy = r->n_retry < r->cap_retry ? zc_tx_dup (item->tx) : NULL;
            uint8_t *raw = copy ? malloc (item->raw_size) : NULL;
            if (raw) {
                memcpy (raw, item->raw, item->raw_size);
                r->retry [r->n_retry] = copy;
                r->retry_raw [r->n_retry] = raw;
                r->retry_time [r->n_retry++] = item->time_ms;
                r->retry_at_ms = zc_mono_ms () + RELOAD_RETRY_MS;
                continue;
            }
            zc_tx_destroy (&copy);
        }
        if (s_passing (reason)) {
            char hex [65];
            zc_hex_encode (item->txid.b, 32, hex);
            zc_warn ("reload: %s left on disk for the next restart: %s after %d tries", hex,
                     zc_err_name (reason), r->round + 1);
            r->left++;
            continue;
        }
        s_reload_drop (self, &item->txid, item->time_ms, reason);
    }
    r->pending--;
    s_reload_finish (self);
}

//  The next round for what was refused for a passing reason
static void
s_reload_retry (self_t *self)
{
    s_reloading_t *r = &self->reload;
    if (!r->n_retry || zc_mono_ms () < r->retry_at_ms)
        return;
    zc_tx_t **txs = r->retry;
    uint8_t **raws = r->retry_raw;
    uint64_t *times = r->retry_time;
    size_t n = r->n_retry;
    r->retry = NULL;
    r->retry_raw = NULL;
    r->retry_time = NULL;
    r->n_retry = r->cap_retry = 0;
    r->round++;
    zc_info ("reload: trying %zu again (round %d of %d)", n, r->round + 1, RELOAD_ROUNDS + 1);
    s_reload_submit (self, txs, raws, times, n);
    for (size_t i = 0; i < n; i++) {
        zc_tx_destroy (&txs [i]);
        free (raws [i]);
    }
    free (txs);
    free (raws);
    free (times);
    s_reload_finish (self);
}

typedef struct {
    self_t *self;
    zc_tx_t **txs;
    uint8_t **raws;                     //  their stored bytes
    uint64_t *times;
    size_t n, cap;
} s_stored_t;

static void
s_stored_visit (void *arg, const zc_hash_t *txid, uint64_t fee, uint64_t time_ms,
                const uint8_t *raw, size_t size)
{
    (void) fee;                         //  the checks find it again
    s_stored_t *st = arg;
    self_t *self = st->self;
    self->reload.taken++;
    zc_tx_t *tx = NULL;
    if (!txid) {
        zc_warn ("reload: a stored row whose key is not a transaction's: skipped");
        self->reload.left++;
        return;
    }
    if (size == 0 || zc_tx_decode (raw, size, &tx) != ZC_OK || !zc_hash_eq (&tx->txid, txid)) {
        zc_tx_destroy (&tx);
        s_reload_drop (self, txid, time_ms, ZC_ERR_MALFORMED);
        return;
    }
    s_reserve_rows (&st->txs, &st->raws, &st->times, &st->cap, st->n);
    //  kept with the transaction: the checks copy them, never encode it again
    uint8_t *copy = st->n < st->cap ? malloc (size) : NULL;
    if (!copy) {
        zc_warn ("reload: out of memory: %s left on disk", "a transaction");
        self->reload.left++;
        zc_tx_destroy (&tx);
        return;
    }
    memcpy (copy, raw, size);
    st->txs [st->n] = tx;
    st->raws [st->n] = copy;
    st->times [st->n++] = time_ms;
}

//  Accepted transactions from before a restart go through the checks
//  again (the chain may have moved), parents first, with the time they
//  were first accepted (expiry counts from it). Each one refused is
//  logged, counted and deleted; a summary line closes the reload, and the
//  mempool says ready then.
static void
s_reload (self_t *self)
{
    s_stored_t st = { self, NULL, NULL, NULL, 0, 0 };
    self->reload.active = true;
    store_each (self->store, s_stored_visit, &st);
    zc_metric_set (self->m_store_damage, (double) store_damage (self->store));
    if (self->reload.taken)
        zc_info ("reload: taking back %zu transactions accepted before the restart",
                 self->reload.taken);
    s_reload_submit (self, st.txs, st.raws, st.times, st.n);
    for (size_t i = 0; i < st.n; i++) {
        zc_tx_destroy (&st.txs [i]);
        free (st.raws [i]);
    }
    free (st.txs);
    free (st.raws);
    free (st.times);
    if (self->reload.taken == 0) {
        self->reload.active = false;
        zc_metrics_set_ready (self->metrics, true);
    }
    else
        s_reload_finish (self);
}

static void
s_metrics_init (self_t *self)
{
    zc_metrics_t *m = self->metrics = zc_metrics_new ("mempool", self->cfg->common.instance);
    self->m_accepted = zc_metrics_counter (m, "zchain_txs_accepted_total", "transactions accepted", NULL, NULL);
    static const int reasons [] = { ZC_ERR_MALFORMED, ZC_ERR_OVERSIZE, ZC_ERR_BAD_SIG,
        ZC_ERR_UNKNOWN_INPUT, ZC_ERR_DOUBLE_SPEND, ZC_ERR_FEE_TOO_LOW, ZC_ERR_BAD_AMOUNT,
        ZC_ERR_DUPLICATE_INPUT, ZC_ERR_IMMATURE_SPEND, ZC_ERR_COINBASE_TX, ZC_ERR_BAD_VERSION,
        ZC_ERR_EMPTY, ZC_ERR_DUPLICATE, ZC_ERR_MEMPOOL_FULL, ZC_ERR_BUSY, ZC_ERR_TOO_LONG_CHAIN,
        ZC_ERR_TOO_MANY_DESCENDANTS, ZC_ERR_PACKAGE_TOO_LARGE, ZC_ERR_STORAGE_FULL,
        ZC_ERR_UNAVAILABLE, ZC_ERR_INTERNAL, ZC_ERR_DUST, ZC_ERR_BAD_PUBKEY,
        ZC_ERR_INSUFFICIENT_FEE, ZC_ERR_WITNESS_MISMATCH };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons [0]; i++)
        self->m_rejected [reasons [i]] = zc_metrics_counter (m, "zchain_txs_rejected_total",
                                  "transactions rejected, by reason", "reason", zc_err_name (reasons [i]));
    static const char *removed [8] = { NULL, "confirmed", "conflict", "expired", "evicted",
                                       "replaced", "reorg", NULL };
    for (int i = 0; i < 8; i++)
        if (removed [i])
            self->m_removed [i] = zc_metrics_counter (m, "zchain_mempool_removed_total",
                                       "transactions leaving the mempool, by reason", "reason", removed [i]);
    self->m_count = zc_metrics_gauge (m, "zchain_mempool_txs", "transactions in the mempool", NULL, NULL);
    self->m_bytes = zc_metrics_gauge (m, "zchain_mempool_bytes", "bytes of transactions in the mempool", NULL, NULL);
    self->m_in_flight = zc_metrics_gauge (m, "zchain_mempool_in_flight", "transactions being checked", NULL, NULL);
    self->m_latency = zc_metrics_histogram (m, "zchain_tx_accept_seconds",
                                            "time from a batch's arrival to its answer",
                                            zc_metrics_latency_bounds, 12);
    self->m_busy = zc_metrics_counter (m, "zchain_busy_total", "submissions refused busy at a queue limit", NULL, NULL);
    self->m_scans_refused = zc_metrics_counter (m, "zchain_mempool_scans_refused_total",
                                                "address look-ups refused busy at their rate limit",
                                                NULL, NULL);
    self->m_pub_drops = zc_metrics_counter (m, "zchain_hwm_drops_total", "events dropped at a high-water mark", "socket", "events");
    self->m_gaps = zc_metrics_counter (m, "zchain_event_gaps_total", "gaps in storage's events, replayed", NULL, NULL);
    self->m_templates = zc_metrics_counter (m, "zchain_templates_total", "block templates served", NULL, NULL);
    self->m_key_hits = zc_metrics_counter (m, "zchain_mempool_keycache_total",
                                           "output keys looked up in the cache of known points", "result", "hit");
    self->m_key_misses = zc_metrics_counter (m, "zchain_mempool_keycache_total",
                                             "output keys looked up in the cache of known points", "result", "miss");
    self->m_store_damage = zc_metrics_counter (m, "zchain_mempool_store_damage_total",
                                               "damage found in the saved pool at start: a torn or damaged log, or files set aside",
                                               NULL, NULL);
    self->m_template_builds = zc_metrics_counter (m, "zchain_mempool_template_builds_total",
                                                  "block templates built (the others served were copies)", NULL, NULL);
    self->m_store_writable = zc_metrics_gauge (m, "zchain_mempool_store_writable",
                                               "1 while the mempool's store can write, 0 while it refuses transactions", NULL, NULL);
}

static int
s_open (self_t *self, char *err, size_t err_size)
{
    mempool_cfg_t *cfg = self->cfg;
    self->params = zc_params_by_name (cfg->common.network);
    pool_limits_t limits = { (uint32_t) cfg->max_ancestors, (uint32_t) cfg->max_descendants,
                             (uint64_t) cfg->max_package_bytes };
    self->pool = pool_new ((size_t) cfg->max_bytes, &limits);
    zc_err_t opened = ZC_OK;
    self->store = store_open (cfg->db, &opened, err, err_size);
    if (!self->store) {
        if (!err [0])
            snprintf (err, err_size, "out of memory");
        return -1;                      //  (dir not private, or out of memory: err says)
    }
    if (opened == ZC_ERR_STORAGE_FULL) {
        //  a full disk passes: up without a store, refusing transactions,
        //  and what was stored comes back once it opens
        zc_error ("%s", err);
        self->reload_waits = true;
        err [0] = 0;
    }
    else
    if (opened != ZC_OK)
        return -1;
    self->batches = zlistx_new ();
    self->by_id = zhashx_new ();
    self->by_lookup = zhashx_new ();
    self->reserved = zc_keytable_new (ZC_HASHKEY_OUTPOINT);
    self->flight_txids = zc_keytable_new (ZC_HASHKEY_HASH);
    self->recent = zc_keytable_new (ZC_HASHKEY_HASH);
    self->pending = calloc (MAX_EVENTS_PENDING, sizeof *self->pending);
    if (!self->pool || !self->store || !self->batches || !self->by_id || !self->by_lookup
    ||  !self->reserved || !self->flight_txids
    ||  !self->recent || !self->pending) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    pool_set_removed (self->pool, s_on_removed, self);
    const zc_keys_t *keys = cfg->common.keyset;
    if (!(self->api = zc_zmq_open_auth (ZMQ_ROUTER, cfg->api, true, 10000, keys,
                                        ZC_SOCK_MEMPOOL_API, err, err_size))
    ||  !(self->events = zc_zmq_open_auth (ZMQ_PUB, cfg->events, true, 10000, keys,
                                           ZC_SOCK_MEMPOOL_EVENTS, err, err_size))
    ||  !(self->work = zc_zmq_open_auth (ZMQ_ROUTER, cfg->work, true, 10000, keys,
                                         ZC_SOCK_MEMPOOL_WORK, err, err_size))
    ||  !(self->storage = zc_zmq_open_auth (ZMQ_DEALER, cfg->storage_api, false, 10000, keys,
                                            ZC_SOCK_STORAGE_API, err, err_size))
    ||  !(self->chain = zc_zmq_open_auth (ZMQ_SUB, cfg->storage_events, false, 100000, keys,
                                          ZC_SOCK_STORAGE_EVENTS, err, err_size)))
        return -1;
    zc_zmq_subscribe_only (self->chain, "chain");       //  the blocks, not the "tip" too
    self->follow = (zc_follow_t) { .storage_api = cfg->storage_api, .keys = keys,
                                   .watchdog = cfg->common.watchdog, .gaps = self->m_gaps,
                                   .timeout_ms = 5000, .apply = s_apply_chain_event, .arg = self };
    if (cfg->common.metrics && *cfg->common.metrics
    &&  !(self->metrics_sock = zc_zmq_open_auth (ZMQ_PUSH, cfg->common.metrics, false, 10, keys,
                                                 ZC_SOCK_METRICS_INGEST, err, err_size)))
        return -1;
    self->workpool = zc_workpool_new (self->work, 4096, 3000, s_job_done, self);
    self->keys = zc_keycache_new (ZC_KEYCACHE_SLOTS);
    if (!self->workpool || !self->keys) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    zc_workpool_metrics (self->workpool, self->metrics);
    return 0;
}

static void
s_close (self_t *self)
{
    if (self->batches) {
        for (s_batch_t *b = zlistx_first (self->batches); b; b = zlistx_next (self->batches)) {
            s_batch_t *doomed = b;
            s_batch_destroy (self, &doomed);
        }
        zlistx_destroy (&self->batches);
    }
    zhashx_destroy (&self->by_id);
    zhashx_destroy (&self->by_lookup);
    zc_workpool_destroy (&self->workpool);
    zc_keycache_destroy (&self->keys);
    pool_destroy (&self->pool);
    store_destroy (&self->store);
    zc_keytable_destroy (&self->reserved);
    zc_keytable_destroy (&self->flight_txids);
    zc_keytable_destroy (&self->recent);
    for (size_t i = 0; i < self->n_resubmit; i++) {
        zc_tx_destroy (&self->resubmit [i]);
        free (self->resubmit_raw [i]);
    }
    free (self->resubmit);
    free (self->resubmit_raw);
    for (size_t i = 0; i < self->reload.n_retry; i++) {
        zc_tx_destroy (&self->reload.retry [i]);
        free (self->reload.retry_raw [i]);
    }
    free (self->reload.retry);
    free (self->reload.retry_raw);
    free (self->reload.retry_time);
    s_template_clear (&self->tmpl);
    free (self->pending);
    zsock_destroy (&self->api);
    zsock_destroy (&self->events);
    zsock_destroy (&self->work);
    zsock_destroy (&self->storage);
    zsock_destroy (&self->chain);
    zsock_destroy (&self->metrics_sock);
    zc_metrics_destroy (&self->metrics);
}

// ---------------------------------------------------------------------------
//  the loop's callbacks






static void
s_on_expiry (zc_actor_t *actor, void *arg)
{
    (void) actor;
    self_t *self = arg;
    pool_expire (self->pool, (uint64_t) zc_now_ms (), (uint64_t) self->cfg->expiry_hours * 3600 * 1000);
    s_pump (self);
}

//  What the loop reads and runs: 0, or -1 out of memory
static int
s_serve (self_t *self, char *err, size_t err_size)
{
    zc_actor_t *actor = self->actor;
    if (zc_actor_add (actor, self->api, 16, s_on_api, self)
    ||  zc_actor_add (actor, self->work, 64, zc_workpool_on_ready, self->workpool)
    ||  zc_actor_add (actor, self->storage, 64, s_on_storage, self)
    ||  zc_actor_add (actor, self->chain, 16, s_on_chain, self)
    ||  zc_actor_add_timer (actor, 100, s_tick, self)
    ||  zc_actor_add_timer (actor, 10000, s_on_expiry, self)) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    zc_actor_set_metrics (actor, self->metrics, self->metrics_sock, s_sample_metrics, self);
    return 0;
}

void
mempool_actor (zsock_t *pipe, void *args)
{
    mempool_cfg_t *cfg = args;
    zc_actor_t *actor = zc_actor_new (pipe, cfg->common.watchdog);
    self_t *self = actor ? calloc (1, sizeof *self) : NULL;
    if (!self) {
        zc_actor_destroy (&actor);
        return;
    }
    self->cfg = cfg;
    self->actor = actor;
    s_metrics_init (self);
    char err [512] = "";
    if (s_open (self, err, sizeof err) || s_fetch_tip (self) || s_serve (self, err, sizeof err)) {
        //  (told to end while waiting for storage: no error)
        if (!zc_actor_told_to_end (actor))
            zc_error ("%s", err [0] ? err : "no tip from storage");
        s_close (self);
        free (self);
        zc_actor_destroy (&actor);
        return;
    }
    zc_info ("mempool up at height %u; api %s, events %s, work %s", self->height,
             self->cfg->api, self->cfg->events, self->cfg->work);
    zc_metric_set (self->m_store_writable, self->reload_waits ? 0 : 1);
    if (self->reload_waits)
        s_store_failed (self);
    else
        s_reload (self);
    zc_actor_run (actor);
    s_close (self);
    free (self);
    zc_actor_destroy (&actor);
}
