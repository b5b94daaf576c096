/*  test_storage_faults.c - damaged chain data found and reported: a real
 *  zchain-storage process over a real RocksDB in a temporary directory,
 *  its files overwritten or truncated between runs
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testchain.h"
#include "zc_block.h"
#include "zc_codec.h"
#include "zc_key.h"
#include "zc_params.h"
#include "zc_time.h"
#include "zc_utxo.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"
#include "events.pb-c.h"
#include "metrics.pb-c.h"
#include "storage.pb-c.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_BLOCKS 200

static const zc_params_t *s_params;
static uint8_t s_pub [32];
static zc_seckey_t s_key;

//  One storage process and what was submitted to it
typedef struct {
    char dir [128];
    char db [160];
    pid_t pid;
    zc_client_t *client;
    zsock_t *metrics;                   //  PULL: the snapshots storage pushes
    zc_hash_t hashes [MAX_BLOCKS + 1];  //  the chain, genesis first
    uint32_t height;
} s_storage_t;

static s_storage_t *s_st;               //  stopped by the teardown even when a test fails

static void
s_start (s_storage_t *st, const char *extra)
{
    char cmd [2048];
    snprintf (cmd, sizeof cmd, "exec %s/zchain-storage --instance storage --db %s "
              "--api ipc://%s/api.sock --events ipc://%s/events.sock --work ipc://%s/work.sock "
              "--mempool-events ipc://%s/mempool-events.sock --metrics ipc://%s/metrics.sock %s "
              ">>%s/storage.log 2>&1", ZC_BIN_DIR, st->db, st->dir, st->dir, st->dir, st->dir, st->dir,
              extra ? extra : "", st->dir);
    st->pid = fork ();
    if (st->pid == 0) {
        execl ("/bin/sh", "sh", "-c", cmd, (char *) NULL);
        _exit (127);
    }
    assert_true (st->pid > 0);
    char endpoint [256], err [256];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/api.sock", st->dir);
    st->client = zc_client_new (endpoint, err, sizeof err);
    assert_non_null (st->client);
    //  up when it answers a ping (opening RocksDB takes a moment)
    zc_err_t rc = ZC_ERR_TIMEOUT;
    for (int i = 0; i < 30 && rc != ZC_OK; i++) {
        uint32_t got;
        const uint8_t *body;
        size_t size;
        rc = zc_client_call (st->client, ZC__MSG_TYPE__PING, NULL, 2000, &got, &body, &size, NULL);
    }
    assert_int_equal (rc, ZC_OK);
}

//  Stop with a signal (SIGTERM: a clean close; SIGKILL: a crash); the
//  exit status, -1 when killed
static int
s_stop (s_storage_t *st, int sig)
{
    zc_client_destroy (&st->client);
    if (st->pid <= 0)
        return -1;
    kill (st->pid, sig);
    int status;
    waitpid (st->pid, &status, 0);
    st->pid = 0;
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static s_storage_t *
s_new (void)
{
    s_storage_t *st = calloc (1, sizeof *st);
    snprintf (st->dir, sizeof st->dir, "/tmp/zc-storage-XXXXXX");
    assert_non_null (mkdtemp (st->dir));
    snprintf (st->db, sizeof st->db, "%s/chain", st->dir);
    char endpoint [256], err [256];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/metrics.sock", st->dir);
    st->metrics = zc_zmq_open (ZMQ_PULL, endpoint, true, 1000, err, sizeof err);
    assert_non_null (st->metrics);
    st->hashes [0] = *zc_params_genesis_hash (s_params);
    return st;
}

static void
s_destroy (s_storage_t **st_p)
{
    s_storage_t *st = *st_p;
    if (!st)
        return;
    s_stop (st, SIGKILL);
    zsock_destroy (&st->metrics);
    const char *keep = getenv ("ZC_TEST_KEEP");
    char cmd [256];
    snprintf (cmd, sizeof cmd, "rm -rf %s", st->dir);
    if (keep && *keep == '1')
        fprintf (stderr, "kept %s\n", st->dir);
    else
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove %s\n", st->dir);
    free (st);
    *st_p = NULL;
}

//  A call: the reason (ZC_OK with the reply), detail into *detail_p
static zc_err_t
s_call (s_storage_t *st, uint32_t type, const ProtobufCMessage *body, const uint8_t **reply,
        size_t *size, const char **detail_p)
{
    uint32_t got;
    return zc_client_call (st->client, type, body, 5000, &got, reply, size, detail_p);
}

//  Wait until storage answers a tip: its height, or the reason it gives
static zc_err_t
s_tip (s_storage_t *st, uint32_t *height, const char **detail_p)
{
    zc_err_t rc = ZC_ERR_TIMEOUT;
    for (int i = 0; i < 60 && rc == ZC_ERR_TIMEOUT; i++) {
        Zc__GetTip req = ZC__GET_TIP__INIT;
        const uint8_t *body;
        size_t size;
        rc = s_call (st, ZC__MSG_TYPE__GET_TIP, &req.base, &body, &size, detail_p);
        if (rc == ZC_OK) {
            Zc__TipReply *tip = zc__tip_reply__unpack (NULL, size, body);
            assert_non_null (tip);
            *height = tip->height;
            zc__tip_reply__free_unpacked (tip, NULL);
        }
    }
    return rc;
}

//  A solved block on st's tip: a coinbase to s_pub, then txs (taken)
static zc_block_t *
s_block_with (s_storage_t *st, zc_tx_t **txs, uint32_t n_txs)
{
    uint32_t height = st->height + 1;
    assert_true (height <= MAX_BLOCKS);
    zc_block_t *genesis = zc_params_genesis (s_params);
    uint32_t genesis_time = genesis->header.time;
    zc_block_destroy (&genesis);
    zc_block_t *block = zc_block_new (1 + n_txs);
    block->tx [0] = zc_coinbase_new (height, 0, zc_params_subsidy (s_params, height), s_pub);
    for (uint32_t i = 0; i < n_txs; i++)
        block->tx [1 + i] = txs [i];
    block->header.prev = st->hashes [height - 1];
    block->header.time = genesis_time + height;
    block->header.bits = s_params->pow_limit_bits;
    zc_block_finalize (block);
    zc_block_solve (block, s_params->pow_limit_bits);
    return block;
}

//  Submit block: ZC_OK once storage says it is connected (then it is
//  st's tip), else the call's reason
static zc_err_t
s_submit (s_storage_t *st, const zc_block_t *block)
{
    size_t size;
    uint8_t *raw = zc_block_encode (block, &size);
    Zc__SubmitBlock req = ZC__SUBMIT_BLOCK__INIT;
    req.raw.data = raw;
    req.raw.len = size;
    const uint8_t *body;
    size_t reply_size;
    zc_err_t rc = s_call (st, ZC__MSG_TYPE__SUBMIT_BLOCK, &req.base, &body, &reply_size, NULL);
    free (raw);
    if (rc != ZC_OK)
        return rc;
    Zc__SubmitBlockReply *r = zc__submit_block_reply__unpack (NULL, reply_size, body);
    assert_non_null (r);
    rc = r->reason == ZC_OK && !r->connected ? ZC_ERR_INTERNAL : (zc_err_t) r->reason;
    zc__submit_block_reply__free_unpacked (r, NULL);
    if (rc == ZC_OK) {
        st->height++;
        st->hashes [st->height] = block->hash;
    }
    return rc;
}

//  n coinbase-only blocks on the tip, each acknowledged connected
static void
s_mine (s_storage_t *st, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        zc_block_t *block = s_block_with (st, NULL, 0);
        assert_int_equal (s_submit (st, block), ZC_OK);
        zc_block_destroy (&block);
    }
}

//  The largest file in the database whose name ends in suffix; its size
static off_t
s_largest (s_storage_t *st, const char *suffix, char *path, size_t path_size)
{
    DIR *d = opendir (st->db);
    assert_non_null (d);
    off_t best = -1;
    struct dirent *e;
    while ((e = readdir (d))) {
        size_t len = strlen (e->d_name), slen = strlen (suffix);
        //  RocksDB's own info log is LOG, not a write-ahead log: digits only
        if (len <= slen || strcmp (e->d_name + len - slen, suffix) || e->d_name [0] < '0' || e->d_name [0] > '9')
            continue;
        char p [512];
        snprintf (p, sizeof p, "%s/%s", st->db, e->d_name);
        struct stat sb;
        if (stat (p, &sb) == 0 && sb.st_size > best) {
            best = sb.st_size;
            snprintf (path, path_size, "%s", p);
        }
    }
    closedir (d);
    return best;
}

//  Stop, and make sure the blocks are in table files, not only in the
//  write-ahead log: a clean stop flushes them, and so does an open that
//  replays a log (which also puts them there for storage without the flush)
static void
s_to_tables (s_storage_t *st, const char *extra)
{
    assert_int_equal (s_stop (st, SIGTERM), 0);
    s_start (st, extra);
    assert_int_equal (s_stop (st, SIGTERM), 0);
}

//  Overwrite 8 bytes in the middle of the largest table file (flipped, so
//  they surely differ)
static void
s_overwrite_sst (s_storage_t *st)
{
    char path [512];
    off_t size = s_largest (st, ".sst", path, sizeof path);
    assert_true (size > 8192);
    int fd = open (path, O_RDWR);
    assert_true (fd >= 0);
    uint8_t bytes [8];
    assert_int_equal (pread (fd, bytes, 8, size / 2), 8);
    for (int i = 0; i < 8; i++)
        bytes [i] ^= 0xff;
    assert_int_equal (pwrite (fd, bytes, 8, size / 2), 8);
    close (fd);
    print_message ("overwrote 8 bytes at %lld of %s (%lld bytes)\n", (long long) (size / 2), path,
                   (long long) size);
}

//  How many lines of storage's log hold text
static int
s_log_lines (s_storage_t *st, const char *text)
{
    char path [256], line [4096];
    snprintf (path, sizeof path, "%s/storage.log", st->dir);
    FILE *f = fopen (path, "r");
    int n = 0;
    while (f && fgets (line, sizeof line, f))
        if (strstr (line, text))
            n++;
    if (f)
        fclose (f);
    return n;
}

//  The value of metric name in the next snapshot that has it (ready into
//  *ready); -1 when none came within the bound
static double
s_metric (s_storage_t *st, const char *name, bool *ready)
{
    int64_t deadline = zc_mono_ms () + 15000;
    while (zc_mono_ms () < deadline) {
        zmq_pollitem_t item = { zsock_resolve (st->metrics), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 200) <= 0)
            continue;
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, zsock_resolve (st->metrics), 0) < 0) {
            zmq_msg_close (&msg);
            continue;
        }
        zc_env_t env;
        Zc__Snapshot *snap = NULL;
        if (zc_env_decode (zmq_msg_data (&msg), zmq_msg_size (&msg), &env) == ZC_OK)
            snap = zc__snapshot__unpack (NULL, env.body_size, env.body);
        zmq_msg_close (&msg);
        double value = -1;
        for (size_t i = 0; snap && i < snap->n_metrics; i++)
            if (!strcmp (snap->metrics [i]->name, name))
                value = snap->metrics [i]->value;
        if (snap && ready)
            *ready = snap->ready;
        if (snap)
            zc__snapshot__free_unpacked (snap, NULL);
        if (value >= 0)
            return value;
    }
    return -1;
}

//  The latest snapshot's value, after the ones queued while we looked away
static double
s_metric_now (s_storage_t *st, const char *name, bool *ready)
{
    zmq_pollitem_t item = { zsock_resolve (st->metrics), 0, ZMQ_POLLIN, 0 };
    while (zmq_poll (&item, 1, 0) > 0) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        zmq_msg_recv (&msg, zsock_resolve (st->metrics), 0);
        zmq_msg_close (&msg);
    }
    return s_metric (st, name, ready);
}

//  Storage answers corruption with the damage as the detail, and has said
//  so once in its log, in the metrics, and in the note beside the database
static void
s_expect_halted (s_storage_t *st, const char *why)
{
    uint32_t height;
    const char *detail = NULL;
    assert_int_equal (s_tip (st, &height, &detail), ZC_ERR_CORRUPTION);
    assert_non_null (detail);
    print_message ("answered: %s\n", detail);
    assert_non_null (strstr (detail, "chain data damaged"));
    assert_non_null (strstr (detail, why));
    //  up and answering pings, so no supervisor restarts it in a loop
    assert_int_equal (kill (st->pid, 0), 0);
    const uint8_t *body;
    size_t size;
    assert_int_equal (s_call (st, ZC__MSG_TYPE__PING, NULL, &body, &size, NULL), ZC_OK);
    bool ready = true;
    assert_true (s_metric_now (st, "zchain_storage_damaged", &ready) == 1);
    assert_false (ready);
    char note [512];
    snprintf (note, sizeof note, "%s/ZCHAIN-DAMAGED", st->db);
    assert_int_equal (access (note, F_OK), 0);
}

// ---------------------------------------------------------------------------

//  8 bytes overwritten in a table file: the scrub that starts with storage
//  finds them; storage halts, saying why, and stays halted across restarts
static void
test_sst_overwrite_found_by_scrub (void **state)
{
    (void) state;
    s_storage_t *st = s_st = s_new ();
    s_start (st, NULL);
    s_mine (st, 150);
    s_to_tables (st, NULL);
    s_overwrite_sst (st);
    s_start (st, NULL);
    //  the scrub's pass is quick on so small a database; poll for its verdict
    uint32_t height;
    const char *detail = NULL;
    zc_err_t rc = ZC_OK;
    for (int i = 0; i < 100 && rc == ZC_OK; i++) {
        rc = s_tip (st, &height, &detail);
        if (rc == ZC_OK) {
            assert_int_equal (height, 150);     //  until then, the truth
            usleep (100000);
        }
    }
    s_expect_halted (st, "checksum");
    assert_int_equal (s_log_lines (st, "chain data damaged"), 1);
    assert_true (s_metric_now (st, "zchain_storage_corruption_total", NULL) == 1);
    //  a restart does not open the database again: halted at once
    assert_int_equal (s_stop (st, SIGTERM), 0);
    s_start (st, NULL);
    s_expect_halted (st, "checksum");
    assert_int_equal (s_log_lines (st, "chain data damaged"), 2);
    s_destroy (&s_st);
}

//  Without the scrub, the read that meets the bad block answers
//  corruption (not "block data missing"); every other answer is the truth
static void
test_sst_overwrite_found_by_read (void **state)
{
    (void) state;
    s_storage_t *st = s_st = s_new ();
    s_start (st, "--scrub-rate 0");
    s_mine (st, 150);
    s_to_tables (st, "--scrub-rate 0");
    s_overwrite_sst (st);
    s_start (st, "--scrub-rate 0");
    uint32_t height;
    assert_int_equal (s_tip (st, &height, NULL), ZC_OK);
    assert_int_equal (height, 150);
    int right = 0, damaged = 0;
    for (uint32_t h = 0; h <= 150; h++) {
        Zc__GetBlock req = ZC__GET_BLOCK__INIT;
        req.by_height = true;
        req.height = h;
        const uint8_t *body;
        size_t size;
        const char *detail = NULL;
        zc_err_t rc = s_call (st, ZC__MSG_TYPE__GET_BLOCK, &req.base, &body, &size, &detail);
        if (rc == ZC_ERR_CORRUPTION) {
            damaged++;
            continue;
        }
        if (rc != ZC_OK)
            fail_msg ("block %u: %s (%s)", h, zc_err_name (rc), detail ? detail : "");
        //  once damage is found nothing is served: only truths before it
        assert_int_equal (damaged, 0);
        Zc__BlockReply *r = zc__block_reply__unpack (NULL, size, body);
        assert_non_null (r);
        zc_block_t *block;
        assert_int_equal (zc_block_decode (r->raw.data, r->raw.len, &block), ZC_OK);
        assert_true (zc_hash_eq (&block->hash, &st->hashes [h]));
        zc_block_destroy (&block);
        zc__block_reply__free_unpacked (r, NULL);
        right++;
    }
    print_message ("%d blocks read right, then %d answered corruption\n", right, damaged);
    assert_true (damaged >= 1);
    s_expect_halted (st, "checksum");
    assert_int_equal (s_log_lines (st, "chain data damaged"), 1);
    s_destroy (&s_st);
}

//  A table file cut short: RocksDB refuses to open the database; storage
//  comes up halted with the reason, rather than exiting to be restarted
//  over and over
static void
test_sst_truncated_refused_at_open (void **state)
{
    (void) state;
    s_storage_t *st = s_st = s_new ();
    s_start (st, NULL);
    s_mine (st, 100);
    s_to_tables (st, NULL);
    char path [512];
    off_t size = s_largest (st, ".sst", path, sizeof path);
    assert_true (size > 4096);
    assert_int_equal (truncate (path, size - 100), 0);
    s_start (st, NULL);
    s_expect_halted (st, "open");
    assert_int_equal (s_log_lines (st, "chain data damaged"), 1);
    assert_true (s_metric_now (st, "zchain_storage_corruption_total", NULL) == 1);
    s_destroy (&s_st);
}

//  A write-ahead log cut to half its length after a crash: the blocks it
//  held were acknowledged, so storage must not restart lower as if they
//  never were
static void
test_wal_truncated_is_reported (void **state)
{
    (void) state;
    s_storage_t *st = s_st = s_new ();
    s_start (st, NULL);
    s_mine (st, 30);
    //  a crash: the blocks are in the log only
    s_stop (st, SIGKILL);
    char path [512];
    off_t size = s_largest (st, ".log", path, sizeof path);
    assert_true (size > 0);
    assert_int_equal (truncate (path, size / 2), 0);
    print_message ("cut %s from %lld to %lld bytes\n", path, (long long) size, (long long) (size / 2));
    s_start (st, NULL);
    s_expect_halted (st, "acknowledged blocks lost");
    assert_int_equal (s_log_lines (st, "chain data damaged"), 1);
    assert_true (s_metric_now (st, "zchain_storage_corruption_total", NULL) == 1);
    s_destroy (&s_st);
}

//  Without sync the same loss is what a power cut may do by design: it is
//  reported (an error line, the metric) and storage carries on lower
static void
test_wal_truncated_without_sync_is_reported (void **state)
{
    (void) state;
    s_storage_t *st = s_st = s_new ();
    s_start (st, "--sync=false");
    s_mine (st, 30);
    s_stop (st, SIGKILL);
    char path [512];
    off_t size = s_largest (st, ".log", path, sizeof path);
    assert_true (size > 0);
    assert_int_equal (truncate (path, size / 2), 0);
    s_start (st, "--sync=false");
    uint32_t height;
    assert_int_equal (s_tip (st, &height, NULL), ZC_OK);
    print_message ("restarted at height %u of 30\n", height);
    assert_true (height < 30);
    assert_int_equal (s_log_lines (st, "acknowledged blocks lost"), 1);
    assert_true (s_metric_now (st, "zchain_storage_corruption_total", NULL) == 1);
    assert_true (s_metric_now (st, "zchain_storage_damaged", NULL) == 0);
    //  and it goes on from there: the note follows the database again
    st->height = height;
    s_mine (st, 2);
    assert_int_equal (s_stop (st, SIGTERM), 0);
    s_start (st, "--sync=false");
    assert_int_equal (s_tip (st, &height, NULL), ZC_OK);
    assert_int_equal (height, st->height);
    assert_int_equal (s_log_lines (st, "acknowledged blocks lost"), 1);
    s_destroy (&s_st);
}

//  What a crash or a power cut leaves is not damage: after kill -9 and
//  after a torn record at the log's end (a write no one was told of), the
//  same tip; and a clean scrub pass is counted
static void
test_crash_and_torn_tail_are_not_damage (void **state)
{
    (void) state;
    s_storage_t *st = s_st = s_new ();
    s_start (st, NULL);
    s_mine (st, 20);
    s_stop (st, SIGKILL);
    s_start (st, NULL);
    uint32_t height;
    assert_int_equal (s_tip (st, &height, NULL), ZC_OK);
    assert_int_equal (height, 20);
    s_mine (st, 5);
    s_stop (st, SIGKILL);
    char path [512];
    assert_true (s_largest (st, ".log", path, sizeof path) > 0);
    int fd = open (path, O_WRONLY | O_APPEND);
    assert_true (fd >= 0);
    uint8_t torn [100];
    zc_random_bytes (torn, sizeof torn);
    assert_int_equal (write (fd, torn, sizeof torn), (ssize_t) sizeof torn);
    close (fd);
    s_start (st, NULL);
    assert_int_equal (s_tip (st, &height, NULL), ZC_OK);
    assert_int_equal (height, 25);
    assert_true (s_metric (st, "zchain_storage_scrub_passes_total", NULL) >= 0);
    double passes = 0;
    for (int i = 0; i < 50 && passes < 1; i++)
        passes = s_metric_now (st, "zchain_storage_scrub_passes_total", NULL);
    assert_true (passes >= 1);
    assert_true (s_metric_now (st, "zchain_storage_damaged", NULL) == 0);
    assert_int_equal (s_log_lines (st, "chain data damaged"), 0);
    s_destroy (&s_st);
}

// ---------------------------------------------------------------------------
//  A crash between a connect's write and its event

//  The blocks of a test, genesis first, kept to replay from genesis
typedef struct {
    zc_block_t *blocks [MAX_BLOCKS + 1];
    uint32_t n;
    pid_t validator;
} s_kept_t;

static s_kept_t *s_kept;                //  freed by the teardown

//  s_submit, the block kept either way
static zc_err_t
s_submit_kept (s_storage_t *st, zc_block_t *block)
{
    s_kept->blocks [s_kept->n++] = block;
    return s_submit (st, block);
}

//  The coinbase of kept block k as a coin of s_key
static testchain_coin_t
s_coinbase_coin (uint32_t k)
{
    const zc_tx_t *cb = s_kept->blocks [k]->tx [0];
    testchain_coin_t c = { .op = { cb->txid, 0 }, .key = s_key };
    c.coin.amount = cb->out [0].amount;
    memcpy (c.coin.pubkey, cb->out [0].pubkey, 32);
    c.coin.height = k;
    c.coin.coinbase = true;
    return c;
}

static void
s_start_validator (s_storage_t *st)
{
    char cmd [1024];
    snprintf (cmd, sizeof cmd, "exec %s/zchain-validator --instance validator "
              "--storage-work ipc://%s/work.sock --mempool-work '' >>%s/validator.log 2>&1",
              ZC_BIN_DIR, st->dir, st->dir);
    s_kept->validator = fork ();
    if (s_kept->validator == 0) {
        execl ("/bin/sh", "sh", "-c", cmd, (char *) NULL);
        _exit (127);
    }
    assert_true (s_kept->validator > 0);
}

//  Storage's answer for every output the kept blocks created against the
//  set a replay of those blocks from genesis gives (only blocks up to
//  height count: the rest never connected)
static void
s_expect_replayed_set (s_storage_t *st)
{
    zc_utxo_t *replay = zc_utxo_new (NULL, NULL);
    assert_non_null (replay);
    zc_undo_t *undo;
    for (uint32_t k = 0; k <= st->height; k++) {
        assert_int_equal (zc_utxo_connect (replay, s_kept->blocks [k], k, s_params, &undo, NULL), ZC_OK);
        zc_undo_destroy (&undo);
    }
    size_t checked = 0, unspent = 0;
    for (uint32_t k = 0; k < s_kept->n; k++) {
        const zc_block_t *block = s_kept->blocks [k];
        for (uint32_t t = 0; t < block->n_tx; t++) {
            const zc_tx_t *tx = block->tx [t];
            Zc__OutPoint *ops = calloc (tx->n_out, sizeof *ops);
            Zc__OutPoint **ptrs = calloc (tx->n_out, sizeof *ptrs);
            for (uint32_t o = 0; o < tx->n_out; o++) {
                zc__out_point__init (&ops [o]);
                ops [o].txid.data = (uint8_t *) tx->txid.b;
                ops [o].txid.len = 32;
                ops [o].index = o;
                ptrs [o] = &ops [o];
            }
            Zc__GetUtxos req = ZC__GET_UTXOS__INIT;
            req.outpoints = ptrs;
            req.n_outpoints = tx->n_out;
            const uint8_t *body;
            size_t size;
            assert_int_equal (s_call (st, ZC__MSG_TYPE__GET_UTXOS, &req.base, &body, &size, NULL), ZC_OK);
            Zc__UtxosReply *reply = zc__utxos_reply__unpack (NULL, size, body);
            assert_non_null (reply);
            assert_int_equal (reply->n_entries, tx->n_out);
            for (uint32_t o = 0; o < tx->n_out; o++) {
                zc_outpoint_t op = { tx->txid, o };
                zc_coin_t coin;
                int want = zc_utxo_get (replay, &op, &coin);
                assert_int_equal (reply->entries [o]->found, want == 1);
                if (want == 1) {
                    assert_int_equal (reply->entries [o]->coin->amount, coin.amount);
                    assert_int_equal (reply->entries [o]->coin->height, coin.height);
                    unspent++;
                }
                checked++;
            }
            zc__utxos_reply__free_unpacked (reply, NULL);
            free (ops);
            free (ptrs);
        }
    }
    print_message ("%zu outputs checked against the replay, %zu unspent\n", checked, unspent);
    assert_true (unspent > 0 && unspent < checked);
    //  and nothing else: storage counts as many unspent outputs as the replay
    assert_true (s_metric_now (st, "zchain_utxo_count", NULL) == (double) zc_utxo_size (replay));
    zc_utxo_destroy (&replay);
}

//  Storage killed right after a connect's batch is written and before its
//  event is published (--crash-after-event): started again, it holds that
//  block, has the event to replay, and its unspent outputs are exactly a
//  replay's from genesis; the next block spends what the lost-looking one
//  made. A cache of 1 MB, smaller than the test's coins, so some coins are
//  read back from RocksDB.
static void
test_crash_between_write_and_event (void **state)
{
    (void) state;
    s_st = s_new ();
    s_kept = calloc (1, sizeof *s_kept);
    s_kept->blocks [s_kept->n++] = zc_params_genesis (s_params);
    s_start (s_st, "--utxo-cache 1");
    s_start_validator (s_st);
    //  coinbases to spend, matured
    for (uint32_t k = 0; k < s_params->coinbase_maturity + 4; k++)
        assert_int_equal (s_submit_kept (s_st, s_block_with (s_st, NULL, 0)), ZC_OK);
    //  a block that fans two coinbases out into many outputs
    testchain_coin_t cb1 = s_coinbase_coin (1), cb2 = s_coinbase_coin (2);
    testchain_coin_t *fan1, *fan2;
    zc_tx_t *txs [2] = { testchain_split (s_params, &cb1, 400, 1000, &fan1),
                         testchain_split (s_params, &cb2, 400, 1000, &fan2) };
    assert_int_equal (s_submit_kept (s_st, s_block_with (s_st, txs, 2)), ZC_OK);
    uint32_t acked = s_st->height;
    //  restart with the crash point on the second next event: genesis is
    //  event 1, so block h is event h + 1
    assert_int_equal (s_stop (s_st, SIGTERM), 0);
    char extra [64];
    snprintf (extra, sizeof extra, "--utxo-cache 1 --crash-after-event %u", acked + 3);
    s_start (s_st, extra);
    //  one block connects and is acknowledged; the next spends some of the
    //  fan and one output of the first, is written, and storage dies
    testchain_coin_t cb3 = s_coinbase_coin (3);
    zc_tx_t *spend1 [2] = { testchain_pay (s_params, &fan1 [0], 500),
                            testchain_split (s_params, &cb3, 50, 1000, NULL) };
    zc_block_t *first = s_block_with (s_st, spend1, 2);
    assert_int_equal (s_submit_kept (s_st, first), ZC_OK);
    testchain_coin_t *made;
    zc_tx_t *spend2 [3] = { testchain_split (s_params, &fan2 [0], 2, 1000, &made),
                            testchain_pay (s_params, &fan2 [1], 500),
                            testchain_pay (s_params, &fan2 [2], 500) };
    zc_block_t *crashed = s_block_with (s_st, spend2, 3);
    assert_int_not_equal (s_submit_kept (s_st, crashed), ZC_OK);
    int status;
    assert_int_equal (waitpid (s_st->pid, &status, 0), s_st->pid);
    s_st->pid = 0;
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 86);
    zc_client_destroy (&s_st->client);
    //  started again: the written block is the tip, and its event is there
    s_start (s_st, "--utxo-cache 1");
    uint32_t height;
    assert_int_equal (s_tip (s_st, &height, NULL), ZC_OK);
    assert_int_equal (height, acked + 2);
    s_st->height = height;
    s_st->hashes [height - 1] = first->hash;
    s_st->hashes [height] = crashed->hash;
    Zc__GetEvents ev_req = ZC__GET_EVENTS__INIT;
    ev_req.from_seq = acked + 3;
    ev_req.max = 10;
    const uint8_t *body;
    size_t size;
    assert_int_equal (s_call (s_st, ZC__MSG_TYPE__GET_EVENTS, &ev_req.base, &body, &size, NULL), ZC_OK);
    Zc__EventsReply *events = zc__events_reply__unpack (NULL, size, body);
    assert_non_null (events);
    assert_int_equal (events->n_events, 1);
    assert_int_equal (events->last_seq, acked + 3);
    Zc__ChainEvent *ev = zc__chain_event__unpack (NULL, events->events [0].len, events->events [0].data);
    assert_non_null (ev);
    assert_memory_equal (ev->hash.data, crashed->hash.b, 32);
    zc__chain_event__free_unpacked (ev, NULL);
    zc__events_reply__free_unpacked (events, NULL);
    s_expect_replayed_set (s_st);
    //  and the chain goes on from there: what the written block made is
    //  spendable, what it spent is not
    zc_tx_t *spend3 [2] = { testchain_pay (s_params, &made [0], 500),
                            testchain_pay (s_params, &fan1 [1], 500) };
    assert_int_equal (s_submit_kept (s_st, s_block_with (s_st, spend3, 2)), ZC_OK);
    //  a spent one again is refused: no such unspent output
    zc_tx_t *again [1] = { testchain_pay (s_params, &fan2 [1], 400) };
    assert_int_equal (s_submit_kept (s_st, s_block_with (s_st, again, 1)), ZC_ERR_INVALID_CHAIN);
    assert_int_equal (s_log_lines (s_st, "rejected: unknown_input"), 1);
    s_expect_replayed_set (s_st);
    free (fan1);
    free (fan2);
    free (made);
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    if (zc_seckey_generate (&s_key) || zc_seckey_pubkey (&s_key, s_pub))
        return -1;
    return 0;
}

static int
s_teardown_test (void **state)
{
    (void) state;
    if (s_kept) {
        if (s_kept->validator > 0) {
            kill (s_kept->validator, SIGKILL);
            waitpid (s_kept->validator, NULL, 0);
        }
        for (uint32_t k = 0; k < s_kept->n; k++)
            zc_block_destroy (&s_kept->blocks [k]);
        free (s_kept);
        s_kept = NULL;
    }
    s_destroy (&s_st);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_teardown (test_sst_overwrite_found_by_scrub, s_teardown_test),
        cmocka_unit_test_teardown (test_sst_overwrite_found_by_read, s_teardown_test),
        cmocka_unit_test_teardown (test_sst_truncated_refused_at_open, s_teardown_test),
        cmocka_unit_test_teardown (test_wal_truncated_is_reported, s_teardown_test),
        cmocka_unit_test_teardown (test_wal_truncated_without_sync_is_reported, s_teardown_test),
        cmocka_unit_test_teardown (test_crash_and_torn_tail_are_not_damage, s_teardown_test),
        cmocka_unit_test_teardown (test_crash_between_write_and_event, s_teardown_test),
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
