/*  test_node_diskfull.c - a whole node whose mempool store is on a full
 *  4 MB tmpfs: nothing is acknowledged unwritten, the mempool stays up and
 *  refuses (storage_full), survives kill -9 on the full disk, and accepts
 *  again once space returns, without a restart
 *
 *  The tmpfs is mounted in a private mount namespace of this test process
 *  (its node's processes inherit it), so it needs root, as CI has; without
 *  it the test fails and says why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testnode.h"
#include "testchain.h"
#include "zc_hex.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "storage.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define COINS 48

static const zc_params_t *s_params;
static testnode_t *s_node;
static char s_mount [64];              //  the tmpfs, mounted while the test runs
static char s_chain [160];             //  storage's tmpfs inside a node's directory, while mounted

//  Fill the filesystem of dir to its last byte with the file path
static void
s_fill (const char *path)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    static char chunk [65536];
    for (size_t size = sizeof chunk; size > 0; size /= 8)
        while (write (fd, chunk, size) == (ssize_t) size)
            ;
    assert_int_equal (errno, ENOSPC);
    close (fd);
}

static int
s_submit_one (testnode_t *node, zc_tx_t *tx)
{
    zc_err_t reason;
    zc_err_t rc = testchain_submit_txs (node->client, &tx, 1, &reason, 30000);
    return rc == ZC_OK ? (int) reason : -(int) rc;
}

//  Is txid known anywhere on the node (mempool or chain)?
static bool
s_known (testnode_t *node, const zc_hash_t *txid)
{
    Zc__GetTx req = ZC__GET_TX__INIT;
    req.txid.data = (uint8_t *) txid->b;
    req.txid.len = 32;
    size_t size;
    zc_err_t reason;
    return testnode_call (node, ZC__MSG_TYPE__GET_TX, &req.base, &size, &reason) != NULL;
}

static pid_t
s_wait_new_pid (testnode_t *node, const char *name, pid_t old)
{
    pid_t pid = 0;
    for (int i = 0; i < 300 && (pid == 0 || pid == old); i++) {
        usleep (100000);
        pid = testnode_pid (node, name);
    }
    return pid == old ? 0 : pid;
}

static void
test_disk_full (void **state)
{
    (void) state;
    char args [256], mempool_ep [256], filler [128];
    snprintf (args, sizeof args, "--block-interval 200 --validators 2 --mempool-db %s/db", s_mount);
    snprintf (filler, sizeof filler, "%s/filler", s_mount);
    testnode_t *node = s_node = testnode_start (NULL, args);
    assert_non_null (node);
    snprintf (mempool_ep, sizeof mempool_ep, "ipc://%s/run/mempool-api.sock", node->dir);
    assert_true (testnode_wait_height (node, s_params->coinbase_maturity + COINS + 4, 300));
    testchain_coin_t coins [COINS];
    assert_int_equal (testchain_coins (node, s_params, coins, COINS), COINS);
    zc_tx_t *txs [COINS];
    for (int i = 0; i < COINS; i++)
        txs [i] = testchain_split (s_params, &coins [i], 1, 1000, NULL);
    //  no blocks meanwhile: what is acknowledged stays unconfirmed, so
    //  only the store can bring it back after the kill -9
    pid_t miner = testnode_pid (node, "miner-1");
    assert_true (miner > 0);
    assert_int_equal (kill (miner, SIGSTOP), 0);
    //  written while there is room
    assert_int_equal (s_submit_one (node, txs [0]), ZC_OK);
    pid_t pid = testnode_pid (node, "mempool");
    assert_true (pid > 0);

    s_fill (filler);
    //  what the write-ahead log's last page still holds may go in, and is
    //  on disk then; from the first refusal nothing is accepted
    int acked = 1, first_full = -1;
    for (int i = 1; i < 30; i++) {
        int reason = s_submit_one (node, txs [i]);
        if (reason == ZC_OK && first_full < 0)
            acked++;
        else
        if (reason == ZC_ERR_STORAGE_FULL && first_full < 0)
            first_full = i;
        else
        if (reason != ZC_ERR_STORAGE_FULL)
            fail_msg ("transaction %d after the disk filled (refusals from %d): %s", i, first_full,
                      reason < 0 ? zc_err_name (-reason) : zc_err_name (reason));
    }
    print_message ("on the full disk: %d acknowledged (written), then storage_full from the %dth\n",
                   acked, first_full + 1);
    assert_true (first_full > 0);
    //  over HTTP: 503 with the reason
    size_t size;
    uint8_t *raw = zc_tx_encode (txs [30], &size);
    char *hex = malloc (2 * size + 1), out [1024];
    zc_hex_encode (raw, size, hex);
    assert_int_equal (testnode_http (node, node->http_port, "POST", "/api/tx", hex, out, sizeof out), 503);
    assert_non_null (strstr (out, "\"error\":\"storage_full\""));
    free (hex);
    free (raw);
    //  the same process, answering: no abort, no crash loop
    assert_true (testchain_ping (node, mempool_ep, ZC_SOCK_MEMPOOL_API, 3000));
    assert_int_equal (testnode_pid (node, "mempool"), pid);
    sleep (2);
    assert_true (testnode_metric (node, "zchain_mempool_store_writable") == 0);
    assert_true (testnode_metric (node, "zchain_txs_rejected_total{reason=\"storage_full\"}") >= 30 - first_full);

    //  kill -9 on the full disk: it comes back up, without its store yet,
    //  and stays up
    assert_int_equal (kill (pid, SIGKILL), 0);
    pid_t again = s_wait_new_pid (node, "mempool", pid);
    assert_true (again > 0);
    bool answered = false;
    for (int i = 0; i < 100 && !answered; i++) {
        answered = testchain_ping (node, mempool_ep, ZC_SOCK_MEMPOOL_API, 1000);
        if (!answered)
            usleep (100000);
    }
    assert_true (answered);
    sleep (3);
    assert_int_equal (testnode_pid (node, "mempool"), again);
    assert_int_equal (s_submit_one (node, txs [31]), ZC_ERR_STORAGE_FULL);

    //  room again: accepted without a restart
    assert_int_equal (unlink (filler), 0);
    int next = 32, accepted_at = -1;
    for (int tries = 0; tries < 100 && accepted_at < 0 && next < COINS; tries++) {
        int reason = s_submit_one (node, txs [next]);
        if (reason == ZC_OK)
            accepted_at = next;
        else {
            assert_int_equal (reason, ZC_ERR_STORAGE_FULL);
            usleep (200000);
        }
    }
    assert_true (accepted_at >= 0);
    assert_int_equal (testnode_pid (node, "mempool"), again);
    for (int i = accepted_at + 1; i < COINS; i++)
        assert_int_equal (s_submit_one (node, txs [i]), ZC_OK);

    //  nothing acknowledged was lost: those on the full disk came back from
    //  the store once it opened; then blocks confirm them all
    for (int i = 0; i < acked; i++)
        if (!testchain_in_mempool (node, &txs [i]->txid))
            fail_msg ("acknowledged transaction %d is not in the mempool after the kill -9", i);
    assert_int_equal (kill (miner, SIGCONT), 0);
    for (int i = 0; i < acked; i++)
        if (!testchain_wait_confirmed (node, 60, &txs [i]->txid))
            fail_msg ("acknowledged transaction %d never confirmed", i);
    for (int i = accepted_at; i < COINS; i++)
        assert_true (testchain_wait_confirmed (node, 60, &txs [i]->txid));
    for (int i = first_full; i < 32; i++)
        if (s_known (node, &txs [i]->txid))
            fail_msg ("transaction %d was refused storage_full but the node has it", i);
    char log [256];
    snprintf (log, sizeof log, "%s/up.log", node->dir);
    FILE *f = fopen (log, "r");
    char line [512];
    while (f && fgets (line, sizeof line, f))
        if (strstr (line, "mempool killed by signal") && !strstr (line, "signal 9"))
            fail_msg ("the mempool died: %s", line);
    if (f)
        fclose (f);
    for (int i = 0; i < COINS; i++)
        zc_tx_destroy (&txs [i]);
}


//  Storage's RocksDB on a full 4 MB tmpfs: a block mined onto it is never
//  acknowledged unwritten; storage ends itself with a one-line error and
//  status 1 (it aborted on RocksDB's own log before), keeps doing so while
//  the disk is full, and the chain goes on once space returns
static void
test_storage_disk_full (void **state)
{
    (void) state;
    char dir [128], filler [192];
    snprintf (dir, sizeof dir, "/tmp/zc-node-XXXXXX");
    assert_non_null (mkdtemp (dir));
    char *chain = s_chain;
    snprintf (s_chain, sizeof s_chain, "%s/chain", dir);
    assert_int_equal (mkdir (chain, 0700), 0);
    if (mount ("tmpfs", chain, "tmpfs", 0, "size=4m")) {
        s_chain [0] = 0;
        fail_msg ("cannot mount a 4 MB tmpfs on %s: %s (the test needs root)", chain, strerror (errno));
    }
    snprintf (filler, sizeof filler, "%s/filler", chain);
    testnode_t *node = s_node = testnode_start (dir, "--miners 0 --validators 1");
    assert_non_null (node);
    for (uint64_t i = 0; i < 5; i++)
        assert_int_equal (testchain_mine (node, s_params, 10000, NULL, NULL), ZC_OK);
    pid_t pid = testnode_pid (node, "storage");
    s_fill (filler);
    //  blocks until one is refused (what the log's last page holds goes in)
    zc_hash_t hashes [40];
    uint32_t heights [40];
    zc_err_t reasons [40];
    int n = 0;
    do {
        reasons [n] = testchain_mine (node, s_params, 5000, &hashes [n],
                                         &heights [n]);
        n++;
    } while (reasons [n - 1] == ZC_OK && n < 40);
    print_message ("storage on the full disk: %d blocks stored, then: %s\n", n - 1,
                   zc_err_name (reasons [n - 1]));
    assert_true (reasons [n - 1] != ZC_OK);
    //  it ends itself with status 1, and goes on doing so while full (each
    //  restart lives a moment: what up.log says is what counts)
    for (int i = 0; i < 300 && kill (pid, 0) == 0; i++)
        usleep (100000);
    assert_true (kill (pid, 0) != 0);
    char log [256], line [512];
    snprintf (log, sizeof log, "%s/up.log", dir);
    bool exited = false;
    for (int i = 0; i < 100 && !exited; i++) {
        FILE *f = fopen (log, "r");
        while (f && fgets (line, sizeof line, f)) {
            if (strstr (line, "storage exited with status 1"))
                exited = true;
            if (strstr (line, "storage killed by signal"))
                fail_msg ("storage died on the full disk: %s", line);
        }
        if (f)
            fclose (f);
        if (!exited)
            usleep (100000);
    }
    assert_true (exited);
    //  room again: the chain goes on (after the restart backoff), and every
    //  block storage acknowledged is in it
    assert_int_equal (unlink (filler), 0);
    zc_err_t rc = ZC_ERR_TIMEOUT;
    for (int i = 0; i < 120 && rc != ZC_OK; i++) {
        rc = testchain_mine (node, s_params, 2000, NULL, NULL);
        if (rc != ZC_OK)
            usleep (500000);
    }
    assert_int_equal (rc, ZC_OK);
    for (int i = 0; i < n; i++)
        if (reasons [i] == ZC_OK) {
            Zc__GetBlock get = ZC__GET_BLOCK__INIT;
            get.hash.data = hashes [i].b;
            get.hash.len = 32;
            size_t size;
            if (!testnode_call (node, ZC__MSG_TYPE__GET_BLOCK, &get.base, &size, NULL))
                fail_msg ("block %d (height %u) was acknowledged and is gone", i, heights [i]);
        }
}

//  After each test: its node, and storage's tmpfs under it if mounted
static int
s_stop_node (void **state)
{
    (void) state;
    if (!s_chain [0]) {
        testnode_stop (&s_node, false);
        return 0;
    }
    char dir [160];
    snprintf (dir, sizeof dir, "%s", s_chain);
    *strrchr (dir, '/') = 0;
    testnode_stop (&s_node, true);
    if (umount (s_chain))
        fprintf (stderr, "umount %s: %s\n", s_chain, strerror (errno));
    s_chain [0] = 0;
    char cmd [256];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove %s\n", dir);
    return 0;
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    snprintf (s_mount, sizeof s_mount, "/tmp/zc-full-XXXXXX");
    if (!mkdtemp (s_mount)) {
        fprintf (stderr, "test_node_diskfull: mkdtemp: %s\n", strerror (errno));
        return -1;
    }
    if (mount ("tmpfs", s_mount, "tmpfs", 0, "size=4m")) {
        fprintf (stderr, "test_node_diskfull: cannot mount a 4 MB tmpfs on %s: %s (the test needs root)\n",
                 s_mount, strerror (errno));
        rmdir (s_mount);
        return -1;
    }
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    if (umount (s_mount))
        fprintf (stderr, "test_node_diskfull: umount %s: %s\n", s_mount, strerror (errno));
    rmdir (s_mount);
    return 0;
}

int
main (void)
{
    //  before any thread: mounts made from here on are this process's (and
    //  its children's) alone, and go with it
    if (unshare (CLONE_NEWNS) || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
        fprintf (stderr, "test_node_diskfull: cannot make a private mount namespace: %s "
                 "(the test needs root, as CI has)\n", strerror (errno));
        return 1;
    }
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_teardown (test_disk_full, s_stop_node),
        cmocka_unit_test_teardown (test_storage_disk_full, s_stop_node),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
