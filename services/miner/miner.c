/*  miner.c - template, search, submit */
#include "miner.h"
#include "zc_actor.h"
#include "zc_bech32.h"
#include "zc_block.h"
#include "zc_log.h"
#include "zc_metrics.h"
#include "zc_params.h"
#include "zc_pow.h"
#include "zc_time.h"
#include "zc_wallet.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"
#include "events.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

const zc_option_t miner_options [] = {
    ZC_SERVICE_OPTIONS ("miner"),
    { "address", "ZC_MINER_ADDRESS", ZC_OPT_STRING, NULL, "address the coinbase pays",
      offsetof (miner_cfg_t, address), 0, 0 },
    { "wallet", "ZC_MINER_WALLET", ZC_OPT_STRING, NULL,
      "without --address: pay the first key of this wallet file, created when missing",
      offsetof (miner_cfg_t, wallet), 0, 0 },
    { "mempool-api", "ZC_MEMPOOL_API", ZC_OPT_STRING, "tcp://127.0.0.1:7811",
      "mempool's request endpoint", offsetof (miner_cfg_t, mempool_api), 0, 0 },
    { "storage-api", "ZC_STORAGE_API", ZC_OPT_STRING, "tcp://127.0.0.1:7801",
      "storage's request endpoint", offsetof (miner_cfg_t, storage_api), 0, 0 },
    { "storage-events", "ZC_STORAGE_EVENTS", ZC_OPT_STRING, "tcp://127.0.0.1:7802",
      "storage's events (the \"tip\" topic: tip changes)", offsetof (miner_cfg_t, storage_events), 0, 0 },
    { "block-interval", "ZC_BLOCK_INTERVAL", ZC_OPT_INT, "1000",
      "regtest: milliseconds between blocks (0: mine flat out); devnet ignores it",
      offsetof (miner_cfg_t, block_interval_ms), 0, 3600000 },
    { "max-block-bytes", "ZC_MAX_BLOCK_BYTES", ZC_OPT_INT, "8000000", "largest block to build",
      offsetof (miner_cfg_t, max_block_bytes), 2000, ZC_BLOCK_MAX_BYTES },
    { NULL, NULL, 0, NULL, NULL, 0, 0, 0 }
};

#define HASHES_PER_CHECK 20000          //  ~10 ms at 2M hashes/s: tip changes seen fast
#define SUPERSEDED_RETRY_MS 20          //  a template on our last block's prev: ask again after
#define SUPERSEDED_MS 5000              //  ... for at most this long (a reorg may go back there)

typedef struct {
    miner_cfg_t *cfg;
    const zc_params_t *params;
    zc_actor_t *actor;
    uint8_t pubkey [32];
    char address [ZC_ADDRESS_MAX];      //  what the coinbase pays, for the log
    zc_client_t *mempool;
    zc_client_t *storage;
    zsock_t *chain;                     //  SUB to storage's "tip" topic
    zsock_t *metrics_sock;
    uint64_t extranonce;
    zc_hash_t building_on;              //  the prev of the last template taken, then our block
    bool tip_changed;                   //  storage's tip is another now
    zc_hash_t superseded;               //  our last block's prev: no template on it
    int64_t superseded_until;           //  ... until then (0: none)
    int64_t last_block_ms;              //  pacing reference: when our last block was found
    int64_t interval_ms;                //  pacing: this block's; 0 none
    int64_t retry_ms;                   //  no template asked for before this
    //  the search in hand, worked on a batch a turn (NULL t: none)
    Zc__TemplateReply *t;
    int64_t template_until;
    zc_header_t header;
    uint8_t *raw;
    size_t size;
    zc_header_hasher_t hasher;
    uint8_t tail [16];
    zc_u256_t target;
    uint64_t nonce;                     //  the next to try
    uint64_t hashes;
    int64_t rate_since;
    zc_metrics_t *metrics;
    zc_metric_t *m_hashrate;
    zc_metric_t *m_found;
    zc_metric_t *m_accepted;
    zc_metric_t *m_rejected;
    zc_metric_t *m_stale;
    zc_metric_t *m_template_age;
    zc_metric_t *m_template_txs;
} self_t;

static Zc__TemplateReply *
s_template (self_t *self)
{
    Zc__GetTemplate req = ZC__GET_TEMPLATE__INIT;
    req.max_bytes = (uint32_t) self->cfg->max_block_bytes;
    uint32_t type;
    const uint8_t *body;
    size_t size;
    const char *detail = NULL;
    zc_err_t rc = zc_client_call (self->mempool, ZC__MSG_TYPE__GET_TEMPLATE, &req.base, 5000,
                                  &type, &body, &size, &detail);
    if (rc != ZC_OK || type != ZC__MSG_TYPE__TEMPLATE_REPLY) {
        zc_debug ("no template: %s", detail ? detail : zc_err_name (rc));
        return NULL;
    }
    Zc__TemplateReply *t = zc__template_reply__unpack (NULL, size, body);
    if (t && t->prev_hash.len != 32) {
        zc__template_reply__free_unpacked (t, NULL);
        t = NULL;
    }
    return t;
}

//  Assemble the block's bytes: header, count, coinbase, template txs
static uint8_t *
s_assemble (self_t *self, const Zc__TemplateReply *t, zc_header_t *header, size_t *size_p)
{
    zc_tx_t *coinbase = zc_coinbase_new (t->height, self->extranonce++,
                                         t->subsidy + t->fees, self->pubkey);
    zc_hash_t *leaves = calloc (t->n_txs + 1, sizeof *leaves);
    if (!coinbase || !leaves) {
        zc_tx_destroy (&coinbase);
        free (leaves);
        return NULL;
    }
    leaves [0] = coinbase->wtxid;
    //  wtxid is the hash of the whole encoding: no need to decode
    for (size_t i = 0; i < t->n_txs; i++)
        zc_sha256d (t->txs [i].data, t->txs [i].len, leaves [i + 1].b);
    memset (header, 0, sizeof *header);
    header->version = ZC_BLOCK_VERSION;
    memcpy (header->prev.b, t->prev_hash.data, 32);
    zc_merkle_root (leaves, t->n_txs + 1, &header->merkle);
    uint32_t now = (uint32_t) (zc_now_ms () / 1000);
    header->time = now > t->min_time ? now : t->min_time + 1;
    header->bits = t->bits;
    free (leaves);

    zc_writer_t w;
    size_t hint = ZC_HEADER_SIZE + 9 + coinbase->size;
    for (size_t i = 0; i < t->n_txs; i++)
        hint += t->txs [i].len;
    zc_writer_init (&w, hint);
    uint8_t raw_header [ZC_HEADER_SIZE];
    zc_header_encode (header, raw_header);
    zc_writer_bytes (&w, raw_header, sizeof raw_header);
    zc_writer_varint (&w, t->n_txs + 1);
    zc_tx_write (coinbase, &w, true);
    for (size_t i = 0; i < t->n_txs; i++)
        zc_writer_bytes (&w, t->txs [i].data, t->txs [i].len);
    zc_tx_destroy (&coinbase);
    if (w.bad) {
        zc_writer_free (&w);
        return NULL;
    }
    *size_p = w.size;
    return w.data;
}

//  Begin a search of the nonces of the template in hand, under a new
//  extranonce: 0, or -1 when there is nothing to search
static int
s_search_begin (self_t *self)
{
    free (self->raw);
    self->raw = s_assemble (self, self->t, &self->header, &self->size);
    if (!self->raw)
        return -1;
    uint8_t raw [ZC_HEADER_SIZE];
    zc_header_encode (&self->header, raw);
    zc_header_hasher_init (&self->hasher, raw);
    memcpy (self->tail, raw + 64, 16);
    if (zc_bits_to_target (self->header.bits, &self->target)) {
        zc_warn ("template with invalid bits %08x: waiting for a better one", self->header.bits);
        self->retry_ms = zc_mono_ms () + 500;
        return -1;
    }
    self->nonce = 0;
    return 0;
}

//  Search the next batch of nonces: 1 found (header.nonce set), 0 not
//  yet, -1 nonce space done
static int
s_search_batch (self_t *self)
{
    uint64_t end = self->nonce + HASHES_PER_CHECK;
    if (end > (uint64_t) UINT32_MAX + 1)
        end = (uint64_t) UINT32_MAX + 1;
    uint64_t first = self->nonce;
    for (; self->nonce < end; self->nonce++) {
        zc_put_le32 (self->tail + 12, (uint32_t) self->nonce);
        zc_hash_t hash;
        zc_u256_t value;
        zc_header_hasher_hash (&self->hasher, self->tail, hash.b);
        zc_u256_from_bytes (&value, hash.b);
        if (zc_u256_cmp (&value, &self->target) <= 0) {
            self->header.nonce = (uint32_t) self->nonce;
            self->hashes += self->nonce + 1 - first;
            return 1;
        }
    }
    self->hashes += end - first;
    return end > UINT32_MAX ? -1 : 0;
}

//  Hand the block to storage: true when it connected it
static bool
s_submit (self_t *self, uint8_t *raw, size_t size, uint32_t height)
{
    zc_metric_inc (self->m_found, 1);
    Zc__SubmitBlock req = ZC__SUBMIT_BLOCK__INIT;
    req.raw.data = raw;
    req.raw.len = size;
    req.source = (char *) "miner";
    uint32_t type;
    const uint8_t *body;
    size_t reply_size;
    const char *detail = NULL;
    zc_err_t rc = zc_client_call (self->storage, ZC__MSG_TYPE__SUBMIT_BLOCK, &req.base, 30000,
                                  &type, &body, &reply_size, &detail);
    Zc__SubmitBlockReply *reply = rc == ZC_OK ? zc__submit_block_reply__unpack (NULL, reply_size, body) : NULL;
    bool connected = false;
    if (reply && reply->reason == ZC_OK) {
        connected = reply->connected;
        zc_metric_inc (reply->connected ? self->m_accepted : self->m_stale, 1);
        zc_info ("block at height %u %s", height, reply->connected ? "connected" : "stored on a side branch");
    }
    else {
        zc_metric_inc (self->m_rejected, 1);
        zc_warn ("block at height %u refused: %s", height,
                 reply ? zc_err_name (reply->reason) : detail ? detail : zc_err_name (rc));
    }
    if (reply)
        zc__submit_block_reply__free_unpacked (reply, NULL);
    return connected;
}

//  The search in hand is over: pace for the next block. In regtest, where
//  a block takes two hashes, one block per interval, each drawn from
//  [0.9, 1.1] times the configured one: with fixed intervals two miners on
//  a tie would each extend their own block forever (their own is always
//  first at home); real proof of work breaks such ties by chance, and so
//  does this, while a block still comes about once an interval
static void
s_search_end (self_t *self)
{
    free (self->raw);
    self->raw = NULL;
    if (self->t)
        zc__template_reply__free_unpacked (self->t, NULL);
    self->t = NULL;
    self->interval_ms = 0;
    if (self->params->retarget || self->cfg->block_interval_ms == 0)
        return;
    int64_t spread = self->cfg->block_interval_ms / 5;
    self->interval_ms = self->cfg->block_interval_ms - spread / 2
                      + (int64_t) ((uint64_t) random () % (uint64_t) (spread + 1));
}

//  Between searches: the pacing, then a template and a search on it.
//  How long the loop may wait before the next step
static int64_t
s_next_search (self_t *self)
{
    int64_t now = zc_mono_ms ();
    if (self->interval_ms) {
        if (self->tip_changed) {
            //  someone else found one: the interval starts again from now
            self->tip_changed = false;
            self->last_block_ms = now;
        }
        if (self->last_block_ms + self->interval_ms > now)
            return self->last_block_ms + self->interval_ms - now;
    }
    if (self->retry_ms > now)
        return self->retry_ms - now;
    self->tip_changed = false;
    self->t = s_template (self);
    if (!self->t) {
        //  no mempool yet: look again shortly
        self->retry_ms = zc_mono_ms () + 500;
        s_search_end (self);
        return 500;
    }
    if (self->superseded_until > now && self->t->prev_hash.len == 32
    &&  memcmp (self->t->prev_hash.data, self->superseded.b, 32) == 0) {
        //  the mempool has not yet followed the chain to our last block:
        //  a block on this template could only be stale (the pacing of
        //  this block stays as drawn)
        zc__template_reply__free_unpacked (self->t, NULL);
        self->t = NULL;
        self->retry_ms = now + SUPERSEDED_RETRY_MS;
        return SUPERSEDED_RETRY_MS;
    }
    self->superseded_until = 0;
    memcpy (self->building_on.b, self->t->prev_hash.data, 32);
    zc_metric_set (self->m_template_txs, (double) self->t->n_txs);
    zc_metric_set (self->m_template_age, (double) (zc_now_ms () - (int64_t) self->t->created_ms) / 1000.0);
    //  a new extranonce when a nonce space runs out; a new template when
    //  the tip moves or (devnet) every few seconds for new txs
    self->template_until = zc_mono_ms () + 5000;
    if (s_search_begin (self))
        s_search_end (self);
    return 0;
}

//  The miner's work, a step after every turn of the loop, so that a new
//  tip and $TERM are seen between two batches of hashes: how long the
//  loop may wait (0 while searching)
static int64_t
s_step (zc_actor_t *actor, void *arg)
{
    (void) actor;
    self_t *self = arg;
    if (!self->t)
        return s_next_search (self);
    if (self->tip_changed) {
        s_search_end (self);            //  stale: abandoned
        return 0;
    }
    int found = s_search_batch (self);
    if (found == 1) {
        //  the interval runs from block to block, not from the end of a
        //  connect to the next search: a block storage takes half a second
        //  to connect must not stretch the interval by as much
        self->last_block_ms = zc_mono_ms ();
        zc_put_le32 (self->raw + 76, self->header.nonce);
        if (s_submit (self, self->raw, self->size, self->t->height)) {
            //  our own block's tip event is no news; a template on its
            //  prev would be
            self->superseded = self->building_on;
            self->superseded_until = self->last_block_ms + SUPERSEDED_MS;
            zc_header_hash (&self->header, &self->building_on);
        }
        s_search_end (self);
    }
    else
    if (found < 0 && (zc_mono_ms () >= self->template_until || s_search_begin (self)))
        s_search_end (self);
    return 0;
}

//  A tip event: the tip changed when it is not what we build on. Events
//  need no replay: each is the whole tip, the last one heard is the news,
//  and one lost costs at most a template's life (5 s), for the next
//  template is taken on the mempool's tip whatever we heard
static void
s_on_tip (self_t *self, zc_frames_t *frames)
{
    zc_env_t env;
    Zc__TipEvent *tip = NULL;
    if (zc_frames_envelope (frames, &env) != ZC_OK || env.type != ZC__MSG_TYPE__TIP_EVENT
    ||  zc_codec_unpack (&zc__tip_event__descriptor, env.body, env.body_size, 4096,
                         (ProtobufCMessage **) &tip) != ZC_OK)
        return;
    if (tip->hash.len == 32 && memcmp (tip->hash.data, self->building_on.b, 32) != 0)
        self->tip_changed = true;
    zc__tip_event__free_unpacked (tip, NULL);
}

//  A tip announcement on the SUB
static void
s_on_chain (zc_actor_t *actor, zsock_t *chain, void *arg)
{
    (void) actor;
    self_t *self = arg;
    zc_frames_t frames;
    if (zc_frames_recv (chain, &frames, ZMQ_DONTWAIT) == 0) {
        s_on_tip (self, &frames);
        zc_frames_close (&frames);
    }
}

//  Before each metrics push: the hash rate since the last
static void
s_sample_metrics (zc_actor_t *actor, void *arg)
{
    (void) actor;
    self_t *self = arg;
    int64_t now = zc_mono_ms ();
    double seconds = (double) (now - self->rate_since) / 1000.0;
    if (seconds > 0)
        zc_metric_set (self->m_hashrate, (double) self->hashes / seconds);
    self->hashes = 0;
    self->rate_since = now;
}

static void
s_metrics_init (self_t *self)
{
    zc_metrics_t *m = self->metrics = zc_metrics_new ("miner", self->cfg->common.instance);
    self->m_hashrate = zc_metrics_gauge (m, "zchain_miner_hashrate", "hashes per second", NULL, NULL);
    self->m_found = zc_metrics_counter (m, "zchain_miner_blocks_found_total", "blocks found", NULL, NULL);
    self->m_accepted = zc_metrics_counter (m, "zchain_miner_blocks_accepted_total", "found blocks that became the tip", NULL, NULL);
    self->m_stale = zc_metrics_counter (m, "zchain_miner_blocks_stale_total", "found blocks left on a side branch", NULL, NULL);
    self->m_rejected = zc_metrics_counter (m, "zchain_miner_blocks_rejected_total", "found blocks storage refused", NULL, NULL);
    self->m_template_age = zc_metrics_gauge (m, "zchain_miner_template_age_seconds", "age of the template when mining began", NULL, NULL);
    self->m_template_txs = zc_metrics_gauge (m, "zchain_miner_template_txs", "transactions in the current template", NULL, NULL);
}

//  The first key of the wallet at path, which is created when missing. Replicas
//  sharing the file race to create it: O_EXCL lets one win, the others read
//  what it wrote (retrying while it is still being written).
static int
s_wallet_pubkey (const char *path, uint8_t pubkey [32], char *err, size_t err_size)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        zc_wallet_t *wallet = access (path, F_OK) == 0 || errno != ENOENT
                            ? zc_wallet_load (path, err, err_size)
                            : zc_wallet_create (path, err, err_size);
        if (wallet) {
            memcpy (pubkey, zc_wallet_pubkey (wallet, 0), 32);
            zc_wallet_destroy (&wallet);
            return 0;
        }
        usleep (100 * 1000);
    }
    return -1;
}

void
miner_actor (zsock_t *pipe, void *args)
{
    self_t self_s = { .cfg = args }, *self = &self_s;
    self->actor = zc_actor_new (pipe, self->cfg->common.watchdog);
    if (!self->actor)
        return;
    self->params = zc_params_by_name (self->cfg->common.network);
    s_metrics_init (self);
    char err [512] = "";
    bool have_address = self->cfg->address && *self->cfg->address;
    if (!have_address && self->cfg->wallet && *self->cfg->wallet) {
        if (s_wallet_pubkey (self->cfg->wallet, self->pubkey, err, sizeof err) == 0)
            zc_address_encode (self->pubkey, self->params->hrp, self->address);
    }
    else
    if (!have_address)
        snprintf (err, sizeof err, "--address or --wallet is required: where should the coinbase pay?");
    else {
        snprintf (self->address, sizeof self->address, "%s", self->cfg->address);
        zc_err_t rc = zc_address_decode (self->cfg->address, self->params->hrp, self->pubkey);
        if (rc != ZC_OK)
            snprintf (err, sizeof err, "--address %s: %s", self->cfg->address,
                      rc == ZC_ERR_WRONG_NETWORK ? "an address of another network" : "not a valid address");
    }
    if (!err [0]) {
        const zc_keys_t *keys = self->cfg->common.keyset;
        self->mempool = zc_client_new_auth (self->cfg->mempool_api, keys, ZC_SOCK_MEMPOOL_API,
                                            err, sizeof err);
        if (self->mempool)
            self->storage = zc_client_new_auth (self->cfg->storage_api, keys, ZC_SOCK_STORAGE_API,
                                                err, sizeof err);
        if (self->storage)
            self->chain = zc_zmq_open_auth (ZMQ_SUB, self->cfg->storage_events, false, 1000, keys,
                                            ZC_SOCK_STORAGE_EVENTS, err, sizeof err);
        if (self->chain)
            zc_zmq_subscribe_only (self->chain, "tip");     //  not the 8 MB blocks of "chain"
        if (self->chain && self->cfg->common.metrics && *self->cfg->common.metrics)
            self->metrics_sock = zc_zmq_open_auth (ZMQ_PUSH, self->cfg->common.metrics, false, 10,
                                                   keys, ZC_SOCK_METRICS_INGEST, err, sizeof err);
        if (self->chain && (!self->cfg->common.metrics || !*self->cfg->common.metrics || self->metrics_sock))
            err [0] = 0;
    }
    //  tip announcements between every two batches of hashes
    if (!err [0] && zc_actor_add (self->actor, self->chain, 256, s_on_chain, self))
        snprintf (err, sizeof err, "out of memory");
    if (err [0])
        zc_error ("%s", err);
    else {
        zc_actor_set_wake (self->actor, s_step, self);
        zc_actor_set_metrics (self->actor, self->metrics, self->metrics_sock, s_sample_metrics, self);
        getrandom (&self->extranonce, sizeof self->extranonce, 0);
        srandom ((unsigned) self->extranonce);
        self->rate_since = zc_mono_ms ();
        self->last_block_ms = zc_mono_ms ();
        s_search_end (self);            //  pacing for the first block
        zc_metrics_set_ready (self->metrics, true);
        zc_info ("miner up: paying %s", self->address);
        zc_actor_run (self->actor);
    }
    s_search_end (self);
    zc_client_destroy (&self->mempool);
    zc_client_destroy (&self->storage);
    zsock_destroy (&self->chain);
    zsock_destroy (&self->metrics_sock);
    zc_metrics_destroy (&self->metrics);
    zc_actor_destroy (&self->actor);
}
