/*  test_storage_faults.c - damaged chain data found and reported: a real
 *  zchain-storage process over a real RocksDB in a temporary directory,
 *  its files overwritten or truncated between runs
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_block.h"
#include "zc_codec.h"
#include "zc_key.h"
#include "zc_params.h"
#include "zc_time.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"
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

//  n coinbase-only blocks on the tip, each acknowledged connected
static void
s_mine (s_storage_t *st, uint32_t n)
{
    zc_block_t *genesis = zc_params_genesis (s_params);
    uint32_t genesis_time = genesis->header.time;
    zc_block_destroy (&genesis);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t height = st->height + 1;
        assert_true (height <= MAX_BLOCKS);
        zc_block_t *block = zc_block_new (1);
        block->tx [0] = zc_coinbase_new (height, 0, zc_params_subsidy (s_params, height), s_pub);
        block->header.prev = st->hashes [height - 1];
        block->header.time = genesis_time + height;
        block->header.bits = s_params->pow_limit_bits;
        zc_block_finalize (block);
        zc_block_solve (block, s_params->pow_limit_bits);
        size_t size;
        uint8_t *raw = zc_block_encode (block, &size);
        Zc__SubmitBlock req = ZC__SUBMIT_BLOCK__INIT;
        req.raw.data = raw;
        req.raw.len = size;
        const uint8_t *body;
        size_t reply_size;
        assert_int_equal (s_call (st, ZC__MSG_TYPE__SUBMIT_BLOCK, &req.base, &body, &reply_size, NULL), ZC_OK);
        Zc__SubmitBlockReply *r = zc__submit_block_reply__unpack (NULL, reply_size, body);
        assert_non_null (r);
        assert_int_equal (r->reason, ZC_OK);
        assert_true (r->connected);
        zc__submit_block_reply__free_unpacked (r, NULL);
        st->hashes [height] = block->hash;
        st->height = height;
        free (raw);
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

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    zc_seckey_t key;
    if (zc_seckey_generate (&key) || zc_seckey_pubkey (&key, s_pub))
        return -1;
    return 0;
}

static int
s_teardown_test (void **state)
{
    (void) state;
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
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
