/*  validator.c - verification worker */
#include "validator.h"
#include "verify.h"
#include "zc_actor.h"
#include "zc_keycache.h"
#include "zc_log.h"
#include "zc_metrics.h"
#include "zc_time.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"
#include "work.pb-c.h"

#include <stdlib.h>
#include <string.h>

const zc_option_t validator_options [] = {
    ZC_SERVICE_OPTIONS ("validator"),
    { "storage-work", "ZC_STORAGE_WORK", ZC_OPT_STRING, "tcp://127.0.0.1:7803",
      "storage's work endpoint (empty: none)", offsetof (validator_cfg_t, storage_work), 0, 0 },
    { "mempool-work", "ZC_MEMPOOL_WORK", ZC_OPT_STRING, "tcp://127.0.0.1:7813",
      "mempool's work endpoint (empty: none)", offsetof (validator_cfg_t, mempool_work), 0, 0 },
    { "credits", "ZC_VALIDATOR_CREDITS", ZC_OPT_INT, "2",
      "jobs held at once per owner (2 keeps a worker busy while a reply travels)",
      offsetof (validator_cfg_t, credits), 1, 64 },
    { NULL, NULL, 0, NULL, NULL, 0, 0, 0 }
};

#define MAX_OWNERS 2

typedef struct {
    validator_cfg_t *cfg;
    zsock_t *owner [MAX_OWNERS];
    int n_owners;
    zsock_t *metrics_sock;
    zc_metrics_t *metrics;
    zc_metric_t *m_jobs;
    zc_metric_t *m_verified;
    zc_metric_t *m_rejected;
    zc_metric_t *m_malformed;
    zc_metric_t *m_latency;
    zc_metric_t *m_key_hits;
    zc_metric_t *m_key_misses;
    zc_keycache_t *keys;                //  spending keys seen, with their points
} self_t;

static void
s_ready (self_t *self, zsock_t *owner, bool leaving)
{
    Zc__WorkerReady ready = ZC__WORKER_READY__INIT;
    ready.credits = leaving ? 0 : (uint32_t) self->cfg->credits;
    ready.leaving = leaving;
    ready.instance = (char *) self->cfg->common.instance;
    ready.threads = 1;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__WORKER_READY };
    zc_zmq_send (owner, NULL, 0, &header, &ready.base, ZMQ_DONTWAIT);
}

//  Verify one item into its verdict: its coins from the job, then the
//  signatures (verify_tx decodes the bytes, once)
static void
s_verify_item (self_t *self, const Zc__VerifyItem *item, const zc_hash_t *genesis,
               Zc__Verdict *verdict)
{
    zc__verdict__init (verdict);
    zc_err_t rc = ZC_OK;
    //  no transaction has more inputs than its bytes can hold
    if (item->n_spent > ZC_TX_MAX_BYTES / ZC_OUTPOINT_BYTES)
        rc = ZC_ERR_BAD_REQUEST;
    zc_coin_t *coins = rc == ZC_OK ? calloc (item->n_spent ? item->n_spent : 1, sizeof *coins) : NULL;
    if (rc == ZC_OK && !coins)
        rc = ZC_ERR_INTERNAL;
    for (size_t i = 0; rc == ZC_OK && i < item->n_spent; i++) {
        const Zc__Coin *c = item->spent [i];
        if (!c || c->pubkey.len != 32) {
            rc = ZC_ERR_BAD_REQUEST;
            break;
        }
        coins [i].amount = c->amount;
        memcpy (coins [i].pubkey, c->pubkey.data, 32);
        coins [i].height = c->height;
        coins [i].coinbase = c->coinbase;
    }
    if (rc == ZC_OK) {
        verify_verdict_t v = verify_tx (item->tx.data, item->tx.len, coins,
                                        (uint32_t) item->n_spent, genesis, self->keys);
        rc = v.reason;
        verdict->input = v.input;
    }
    verdict->reason = (int32_t) rc;
    zc_metric_inc (rc == ZC_OK ? self->m_verified : self->m_rejected, 1);
    free (coins);
}

static void
s_on_job (self_t *self, zsock_t *owner)
{
    zc_frames_t frames;
    if (zc_frames_recv (owner, &frames, ZMQ_DONTWAIT))
        return;
    zc_env_t env;
    Zc__VerifyJob *job = NULL;
    if (zc_frames_envelope (&frames, &env) != ZC_OK || env.type != ZC__MSG_TYPE__VERIFY_JOB
    ||  !(job = zc__verify_job__unpack (NULL, env.body_size, env.body))
    ||  job->genesis.len != 32) {
        //  an owner speaking nonsense: count it, answer nothing
        zc_metric_inc (self->m_malformed, 1);
        if (job)
            zc__verify_job__free_unpacked (job, NULL);
        zc_frames_close (&frames);
        return;
    }
    int64_t start = zc_mono_us ();
    zc_hash_t genesis;
    memcpy (genesis.b, job->genesis.data, 32);
    Zc__Verdict *verdicts = calloc (job->n_items ? job->n_items : 1, sizeof *verdicts);
    Zc__Verdict **ptrs = calloc (job->n_items ? job->n_items : 1, sizeof *ptrs);
    Zc__VerifyReply reply = ZC__VERIFY_REPLY__INIT;
    reply.job_id = job->job_id;
    reply.instance = (char *) self->cfg->common.instance;
    if (verdicts && ptrs) {
        for (size_t i = 0; i < job->n_items; i++) {
            s_verify_item (self, job->items [i], &genesis, &verdicts [i]);
            ptrs [i] = &verdicts [i];
        }
        reply.n_verdicts = job->n_items;
        reply.verdicts = ptrs;
    }
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__VERIFY_REPLY,
                        .request_id = env.request_id };
    zc_zmq_send (owner, NULL, 0, &header, &reply.base, 0);
    zc_metric_inc (self->m_jobs, 1);
    zc_metric_observe (self->m_latency, (double) (zc_mono_us () - start) / 1e6);
    free (verdicts);
    free (ptrs);
    zc__verify_job__free_unpacked (job, NULL);
    zc_frames_close (&frames);
}

//  Stopping (SIGTERM: zchain up or an orchestrator scaling down): answer
//  the jobs already here, then tell each owner we leave, so that a job on
//  its way to us goes to another validator at once instead of after the
//  owner's expiry. Linger long enough for that word to leave.
static void
s_leave (self_t *self)
{
    int answered = 0;
    for (int i = 0; i < self->n_owners; i++) {
        while (zsock_events (self->owner [i]) & ZMQ_POLLIN) {
            s_on_job (self, self->owner [i]);
            answered++;
        }
        s_ready (self, self->owner [i], true);
        zsock_set_linger (self->owner [i], 2000);
    }
    zc_info ("validator leaving: %d job(s) answered on the way out, the rest handed back", answered);
}

static int
s_open (self_t *self, char *err, size_t err_size)
{
    const char *endpoints [MAX_OWNERS] = { self->cfg->storage_work, self->cfg->mempool_work };
    const zc_sock_t owners [MAX_OWNERS] = { ZC_SOCK_STORAGE_WORK, ZC_SOCK_MEMPOOL_WORK };
    const zc_keys_t *keys = self->cfg->common.keyset;
    for (int i = 0; i < MAX_OWNERS; i++) {
        if (!endpoints [i] || !*endpoints [i])
            continue;
        zsock_t *sock = zc_zmq_open_auth (ZMQ_DEALER, endpoints [i], false, 1000, keys, owners [i],
                                          err, err_size);
        if (!sock)
            return -1;
        self->owner [self->n_owners++] = sock;
    }
    if (self->n_owners == 0) {
        snprintf (err, err_size, "no work endpoint: give --storage-work or --mempool-work");
        return -1;
    }
    if (self->cfg->common.metrics && *self->cfg->common.metrics) {
        self->metrics_sock = zc_zmq_open_auth (ZMQ_PUSH, self->cfg->common.metrics, false, 10,
                                               keys, ZC_SOCK_METRICS_INGEST, err, err_size);
        if (!self->metrics_sock)
            return -1;
    }
    return 0;
}

//  A job from an owner
static void
s_on_owner (zc_actor_t *actor, zsock_t *owner, void *arg)
{
    (void) actor;
    s_on_job (arg, owner);
}

//  The beacon: credits again, so an owner that restarted knows us
static void
s_beat (zc_actor_t *actor, void *arg)
{
    (void) actor;
    self_t *self = arg;
    for (int i = 0; i < self->n_owners; i++)
        s_ready (self, self->owner [i], false);
}

//  Before each push: the key cache's counts
static void
s_sample_metrics (zc_actor_t *actor, void *arg)
{
    (void) actor;
    self_t *self = arg;
    zc_keycache_stats_t stats;
    zc_keycache_stats (self->keys, &stats);
    zc_metric_set (self->m_key_hits, (double) stats.hits);
    zc_metric_set (self->m_key_misses, (double) stats.misses);
}

void
validator_actor (zsock_t *pipe, void *args)
{
    self_t self_s = { .cfg = args }, *self = &self_s;
    zc_actor_t *actor = zc_actor_new (pipe, self->cfg->common.watchdog);
    if (!actor)
        return;
    self->metrics = zc_metrics_new ("validator", self->cfg->common.instance);
    self->m_jobs = zc_metrics_counter (self->metrics, "zchain_validator_jobs_total",
                                       "verification jobs answered", NULL, NULL);
    self->m_verified = zc_metrics_counter (self->metrics, "zchain_validator_verifications_total",
                                           "transactions verified", "result", "ok");
    self->m_rejected = zc_metrics_counter (self->metrics, "zchain_validator_verifications_total",
                                           "transactions verified", "result", "rejected");
    self->m_malformed = zc_metrics_counter (self->metrics, "zchain_validator_malformed_jobs_total",
                                            "jobs that did not decode", NULL, NULL);
    self->m_latency = zc_metrics_histogram (self->metrics, "zchain_validator_job_seconds",
                                            "time to verify one job", zc_metrics_latency_bounds, 12);
    self->m_key_hits = zc_metrics_counter (self->metrics, "zchain_validator_keycache_total",
                                           "spending keys looked up in the cache of lifted points",
                                           "result", "hit");
    self->m_key_misses = zc_metrics_counter (self->metrics, "zchain_validator_keycache_total",
                                             "spending keys looked up in the cache of lifted points",
                                             "result", "miss");
    char err [256];
    if (!(self->keys = zc_keycache_new (ZC_KEYCACHE_SLOTS))) {
        zc_error ("out of memory");
        goto done;
    }
    if (s_open (self, err, sizeof err)) {
        zc_error ("%s", err);
        goto done;
    }
    //  a job at a time: each is a batch already
    int rc = zc_actor_add_timer (actor, 1000, s_beat, self);
    for (int i = 0; i < self->n_owners; i++)
        rc |= zc_actor_add (actor, self->owner [i], 1, s_on_owner, self);
    if (rc) {
        zc_error ("out of memory");
        goto done;
    }
    zc_actor_set_metrics (actor, self->metrics, self->metrics_sock, s_sample_metrics, self);
    zc_metrics_set_ready (self->metrics, true);
    s_beat (actor, self);
    zc_info ("validator up: %d owner(s), %lld jobs at once each", self->n_owners,
             (long long) self->cfg->credits);
    zc_actor_run (actor);
    s_leave (self);
done:
    for (int i = 0; i < self->n_owners; i++)
        zsock_destroy (&self->owner [i]);
    zsock_destroy (&self->metrics_sock);
    zc_metrics_destroy (&self->metrics);
    zc_keycache_destroy (&self->keys);
    zc_actor_destroy (&actor);
}
