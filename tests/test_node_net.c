/*  test_node_net.c - five nodes on loopback: a late joiner catches up, payments
 *  and blocks reach every node, a partition heals onto the branch with more
 *  work, a hostile peer is banned, a restarted node finds its peers again,
 *  a relay-only gateway carries payments and blocks between two nodes
 *
 *  The tests share one network and run in order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testnode.h"
#include "testpeer.h"
#include "zc_block.h"
#include "zc_params.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "p2p.pb-c.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NODES 5
#define JOIN_HEIGHT 500
#define ADDRESS_TEXT 160

static const zc_params_t *s_params;
static testnode_t *s_node [NODES];
static char s_w2 [128];                 //  a second wallet's address (in node 1's directory)
static pid_t s_relay;                   //  test_relay_only's relay, stopped by the teardown too

static testnode_t *
s_start (testnode_t *node, const char *dir, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static testnode_t *
s_start (testnode_t *node, const char *dir, const char *format, ...)
{
    (void) node;
    char args [256];
    va_list ap;
    va_start (ap, format);
    vsnprintf (args, sizeof args, format, ap);
    va_end (ap);
    return testnode_start (dir, args);
}

//  Every node on the same tip, at least at height; false after timeout_s
static bool
s_wait_same_tip (int64_t height, int timeout_s)
{
    int64_t deadline = zc_mono_ms () + (int64_t) timeout_s * 1000;
    while (zc_mono_ms () < deadline) {
        uint8_t first [32], tip [32];
        bool same = testnode_height (s_node [0], first) >= height;
        for (int i = 1; same && i < NODES; i++)
            same = testnode_height (s_node [i], tip) >= height && memcmp (tip, first, 32) == 0;
        if (same)
            return true;
        usleep (200000);
    }
    return false;
}

static bool
s_confirmed_on (testnode_t *node, const char *txid)
{
    char out [8192];
    return testnode_cli (node, out, sizeof out, "--json tx %s", txid) == 0
        && strstr (out, "\"confirmed\":true");
}

//  txid confirmed on every node in [from, to); false after timeout_s
static bool
s_wait_confirmed (const char *txid, int from, int to, int timeout_s)
{
    int64_t deadline = zc_mono_ms () + (int64_t) timeout_s * 1000;
    while (zc_mono_ms () < deadline) {
        bool all = true;
        for (int i = from; all && i < to; i++)
            all = s_confirmed_on (s_node [i], txid);
        if (all)
            return true;
        usleep (300000);
    }
    return false;
}

//  Pay amount from a wallet through a node; the txid into txid
static void
s_send (testnode_t *through, const char *wallet, const char *to, const char *amount, char txid [65])
{
    char out [512];
    int rc = testnode_cli (through, out, sizeof out, "--wallet %s send %s %s", wallet, to, amount);
    if (rc != 0 || strlen (out) < 64)
        fail_msg ("send %s through %s failed (%d): %s", amount, through->dir, rc, out);
    snprintf (txid, 65, "%.64s", out);
}

static int
s_status_peers (testnode_t *node)
{
    char out [1024];
    if (testnode_cli (node, out, sizeof out, "--json status") != 0)
        return -1;
    const char *p = strstr (out, "\"peers\":");
    return p ? atoi (p + 8) : -1;
}

//  Has node an established link (either way) with the peer at port?
static bool
s_linked_to (testnode_t *node, int port)
{
    char out [16384], want [96];
    snprintf (want, sizeof want, "\"address\":\"tcp://127.0.0.1:%d\",\"state\":\"established\"",
              port);
    return testnode_cli (node, out, sizeof out, "--json peers") == 0 && strstr (out, want);
}

//  Is node linked to other?
static bool
s_linked (testnode_t *node, const testnode_t *other)
{
    return s_linked_to (node, other->p2p_port);
}

//  node linked to the peer at port within a minute
static bool
s_wait_linked_to (testnode_t *node, int port)
{
    for (int i = 0; i < 600; i++) {
        if (s_linked_to (node, port))
            return true;
        usleep (100000);
    }
    return false;
}

//  Each pair (from, to) of nodes linked; false after timeout_s
static bool
s_wait_links (const int (*pairs) [2], int n, int timeout_s)
{
    int64_t deadline = zc_mono_ms () + (int64_t) timeout_s * 1000;
    while (zc_mono_ms () < deadline) {
        bool all = true;
        for (int i = 0; all && i < n; i++)
            all = s_linked (s_node [pairs [i][0]], s_node [pairs [i][1]]);
        if (all)
            return true;
        usleep (500000);
    }
    for (int i = 0; i < n; i++)
        if (!s_linked (s_node [pairs [i][0]], s_node [pairs [i][1]]))
            print_message ("node %d and node %d are not linked\n", pairs [i][0], pairs [i][1]);
    return false;
}

//  A node that joins after 500 blocks catches up and then follows; the
//  last one dials only its bootstrap node, node 0, yet nodes 2 and 3 link
//  to it (they joined before it and learn of it only by asking their peers
//  for addresses again), so that the partition below has a connected
//  right side; a payment sent through a node without a miner is confirmed on all five;
//  blocks of two miners reach all
static void
test_join_and_relay (void **state)
{
    (void) state;
    //  node 0 mines fast to 500, then at one block a second
    s_node [0] = s_start (NULL, NULL, "--block-interval 100 --validators 1");
    assert_non_null (s_node [0]);
    assert_true (testnode_wait_height (s_node [0], JOIN_HEIGHT, 900));
    char dir [128];
    snprintf (dir, sizeof dir, "%s", s_node [0]->dir);
    testnode_stop (&s_node [0], true);
    s_node [0] = s_start (NULL, dir, "--block-interval 1000 --validators 1");
    assert_non_null (s_node [0]);
    //  four more join through it; the last one mines too, and keeps one
    //  outbound link (to node 0): the earlier ones never heard of it when
    //  they joined
    for (int i = 1; i < NODES; i++) {
        if (i == NODES - 1)
            setenv ("ZC_MAX_OUTBOUND", "1", 1);
        s_node [i] = s_start (NULL, NULL, "--miners %d --validators 1 --block-interval 1000 "
                              "--bootstrap 127.0.0.1:%d", i == NODES - 1, s_node [0]->p2p_port);
        unsetenv ("ZC_MAX_OUTBOUND");
        assert_non_null (s_node [i]);
    }
    assert_true (s_wait_same_tip (JOIN_HEIGHT, 600));
    const int links [][2] = { { 0, 1 }, { 2, NODES - 1 }, { 3, NODES - 1 } };
    assert_true (s_wait_links (links, 3, 180));
    int64_t joined = testnode_height (s_node [0], NULL);
    //  and they follow the tip
    assert_true (s_wait_same_tip (joined + 3, 300));
    for (int i = 0; i < NODES; i++) {
        int peers = s_status_peers (s_node [i]);
        print_message ("node %d: %d peers\n", i, peers);
        assert_true (peers >= 1);
    }
    //  a payment through node 3 (no miner there): node 0 or 4 mines it
    char wallet0 [256], txid [65];
    snprintf (wallet0, sizeof wallet0, "%s/wallet.key", s_node [0]->dir);
    assert_int_equal (testnode_cli (s_node [1], s_w2, sizeof s_w2, "--wallet %s/other.key wallet new --keyfile",
                                    s_node [1]->dir), 0);
    s_w2 [strcspn (s_w2, "\n")] = 0;
    s_send (s_node [3], wallet0, s_w2, "25", txid);
    if (!s_wait_confirmed (txid, 0, NODES, 180))
        fail_msg ("payment %s not confirmed on every node", txid);
    //  a block mined on node 4 reaches all: with node 0's miner paused,
    //  every node follows node 4's blocks (both miners pace one block a
    //  second after the last tip, so node 0's own block is always first
    //  there: a tie node 4 cannot win while both mine)
    pid_t miner0 = testnode_pid (s_node [0], "miner-1");
    assert_true (miner0 > 0);
    assert_int_equal (kill (miner0, SIGSTOP), 0);
    int64_t paused = testnode_height (s_node [4], NULL);
    bool followed = s_wait_same_tip (paused + 2, 120);
    assert_int_equal (kill (miner0, SIGCONT), 0);
    assert_true (followed);
}

static void
s_deny (testnode_t *node, const int *others, int n)
{
    char args [1024] = "peers";
    for (int i = 0; i < n; i++) {
        size_t len = strlen (args);
        snprintf (args + len, sizeof args - len, " --deny tcp://127.0.0.1:%d", s_node [others [i]]->p2p_port);
    }
    assert_int_equal (testnode_cli (node, NULL, 0, "%s", args), 0);
}

//  Partition {0, 1} | {2, 3, 4} with miners on both sides; after healing
//  every node is on one branch, and the payments confirmed on either side
//  are confirmed on it
static void
test_partition_heals (void **state)
{
    (void) state;
    assert_non_null (s_node [NODES - 1]);
    const int left [] = { 0, 1 }, right [] = { 2, 3, 4 };
    for (int i = 0; i < 2; i++)
        s_deny (s_node [left [i]], right, 3);
    for (int i = 0; i < 3; i++)
        s_deny (s_node [right [i]], left, 2);
    //  both sides mine apart
    int64_t split = testnode_height (s_node [0], NULL);
    assert_true (testnode_wait_height (s_node [1], split + 3, 120));
    assert_true (testnode_wait_height (s_node [3], split + 3, 120));
    uint8_t tip_left [32], tip_right [32];
    testnode_height (s_node [1], tip_left);
    testnode_height (s_node [3], tip_right);
    assert_memory_not_equal (tip_left, tip_right, 32);
    //  a payment on each side, from different wallets (no conflict)
    char wallet0 [256], wallet2 [256], tx_left [65], tx_right [65];
    snprintf (wallet0, sizeof wallet0, "%s/wallet.key", s_node [0]->dir);
    snprintf (wallet2, sizeof wallet2, "%s/other.key", s_node [1]->dir);
    s_send (s_node [1], wallet0, s_w2, "0.7", tx_left);
    s_send (s_node [3], wallet2, s_w2, "0.4", tx_right);
    if (!s_wait_confirmed (tx_left, 0, 2, 120))
        fail_msg ("left payment not confirmed on the left");
    if (!s_wait_confirmed (tx_right, 2, 5, 120))
        fail_msg ("right payment not confirmed on the right");
    //  heal
    for (int i = 0; i < NODES; i++)
        assert_int_equal (testnode_cli (s_node [i], NULL, 0, "peers --allow-all"), 0);
    assert_true (s_wait_same_tip (split + 4, 300));
    //  the losing side's payment went back to the mempools and confirms again
    if (!s_wait_confirmed (tx_left, 0, NODES, 240))
        fail_msg ("left payment %s not confirmed everywhere after healing", tx_left);
    if (!s_wait_confirmed (tx_right, 0, NODES, 240))
        fail_msg ("right payment %s not confirmed everywhere after healing", tx_right);
}

// ---------------------------------------------------------------------------
//  a hostile peer

static zsock_t *
s_hostile_connect (testnode_t *node)
{
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", node->p2p_port);
    zsock_t *sock = testpeer_connect (endpoint);
    assert_non_null (sock);
    return sock;
}

static void
s_hostile_send (zsock_t *sock, uint32_t type, const ProtobufCMessage *body)
{
    assert_int_equal (testpeer_send (sock, type, body), 0);
}

static void
s_hostile_hello (zsock_t *sock, testnode_t *node)
{
    (void) node;
    assert_int_equal (testpeer_hello (sock, s_params), 0);
}

//  Announce a bad block, send it when asked, and expect the ban
static void
s_hostile_offer_block (zsock_t *sock, const zc_block_t *block)
{
    size_t size;
    uint8_t *raw = zc_block_encode (block, &size);
    assert_non_null (raw);
    Zc__InvItem item = ZC__INV_ITEM__INIT, *items [1] = { &item };
    item.type = ZC__INV_TYPE__INV_BLOCK;
    item.hash.data = (uint8_t *) block->hash.b;
    item.hash.len = 32;
    Zc__Inv inv = ZC__INV__INIT;
    inv.n_items = 1;
    inv.items = items;
    s_hostile_send (sock, ZC__MSG_TYPE__P2P_INV, &inv.base);
    assert_true (testpeer_expect (sock, ZC__MSG_TYPE__P2P_GET_DATA, 10000, NULL, NULL));
    Zc__BlockData data = ZC__BLOCK_DATA__INIT;
    data.raw.data = raw;
    data.raw.len = size;
    s_hostile_send (sock, ZC__MSG_TYPE__P2P_BLOCK, &data.base);
    assert_true (testpeer_expect (sock, ZC__MSG_TYPE__P2P_REJECT, 10000, NULL, NULL));
    free (raw);
}

//  A node hands out addresses from a random place in its book, so that
//  newcomers that ask the same node spread over different peers: of twenty
//  answers to GetAddr, not all start with the same address (all alike by
//  chance: at most (2/5)^19, with four other nodes and itself in the book)
static void
test_addresses_spread (void **state)
{
    (void) state;
    testnode_t *node = s_node [0];
    assert_non_null (node);
    zsock_t *sock = s_hostile_connect (node);
    s_hostile_hello (sock, node);
    assert_true (testpeer_expect (sock, ZC__MSG_TYPE__P2P_HELLO_ACK, 10000, NULL, NULL));
    char first [20] [ADDRESS_TEXT];
    for (int i = 0; i < 20; i++) {
        Zc__GetAddr get = ZC__GET_ADDR__INIT;
        s_hostile_send (sock, ZC__MSG_TYPE__P2P_GET_ADDR, &get.base);
        Zc__Addr *addr = NULL;
        assert_true (testpeer_expect (sock, ZC__MSG_TYPE__P2P_ADDR, 10000, &zc__addr__descriptor,
                                       (ProtobufCMessage **) &addr));
        assert_non_null (addr);
        assert_true (addr->n_peers >= 2);
        snprintf (first [i], sizeof first [i], "%s", addr->peers [0]->address);
        zc__addr__free_unpacked (addr, NULL);
    }
    int differ = 0;
    for (int i = 1; i < 20; i++)
        differ += strcmp (first [i], first [0]) != 0;
    print_message ("first address %s; %d of the next 19 start elsewhere\n", first [0], differ);
    assert_true (differ > 0);
    zsock_destroy (&sock);
}

//  Garbage, a wrong network, an invalid block, a flood and an oversize
//  message: each such peer is refused or banned, and the honest nodes keep
//  mining and relaying
static void
test_hostile_peer (void **state)
{
    (void) state;
    testnode_t *node = s_node [0];
    assert_non_null (node);
    double bans = testnode_metric (node, "zchain_p2p_bans_total");
    assert_true (bans >= 0);

    //  1. garbage: five undecodable messages ban the connection
    zsock_t *sock = s_hostile_connect (node);
    for (int i = 0; i < 6; i++) {
        uint8_t junk [64];
        for (size_t j = 0; j < sizeof junk; j++)
            junk [j] = (uint8_t) random ();
        junk [0] = 0xff;                //  not a protobuf field
        assert_int_equal (zmq_send (zsock_resolve (sock), junk, sizeof junk, 0), (int) sizeof junk);
    }
    Zc__Reject *reject = NULL;
    assert_true (testpeer_expect (sock, ZC__MSG_TYPE__P2P_REJECT, 10000, &zc__reject__descriptor,
                                  (ProtobufCMessage **) &reject));
    assert_non_null (reject);
    print_message ("garbage: refused with \"%s\"\n", reject->detail);
    zc__reject__free_unpacked (reject, NULL);
    //  banned: a hello on that connection gets no answer
    s_hostile_hello (sock, node);
    assert_false (testpeer_expect (sock, ZC__MSG_TYPE__P2P_HELLO_ACK, 2000, NULL, NULL));
    zsock_destroy (&sock);

    //  2. another network's genesis: refused with a reason, not banned
    sock = s_hostile_connect (node);
    Zc__Hello hello = ZC__HELLO__INIT;
    uint8_t id [16] = { 1, 2, 3 }, work [32] = { 0 };
    hello.protocol = 1;
    hello.genesis.data = (uint8_t *) zc_params_genesis_hash (zc_params_get (ZC_NET_DEVNET))->b;
    hello.genesis.len = 32;
    hello.node_id.data = id;
    hello.node_id.len = 16;
    hello.chain_work.data = work;
    hello.chain_work.len = 32;
    s_hostile_send (sock, ZC__MSG_TYPE__P2P_HELLO, &hello.base);
    reject = NULL;
    assert_true (testpeer_expect (sock, ZC__MSG_TYPE__P2P_REJECT, 10000, &zc__reject__descriptor,
                                  (ProtobufCMessage **) &reject));
    assert_non_null (reject);
    assert_int_equal (reject->reason, ZC_ERR_WRONG_NETWORK);
    zc__reject__free_unpacked (reject, NULL);
    zsock_destroy (&sock);

    //  3. an invalid block it announced and was asked for: banned
    sock = s_hostile_connect (node);
    s_hostile_hello (sock, node);
    assert_true (testpeer_expect (sock, ZC__MSG_TYPE__P2P_HELLO_ACK, 10000, NULL, NULL));
    zc_block_t *block = zc_block_new (1);
    uint8_t pub [32] = { 7 };
    block->tx [0] = zc_coinbase_new (1, 99, 1, pub);
    block->header.prev = *zc_params_genesis_hash (s_params);
    block->header.time = (uint32_t) (zc_now_ms () / 1000);
    block->header.bits = 0x1d00ffff;    //  not the bits the chain asks for
    zc_block_finalize (block);
    s_hostile_offer_block (sock, block);
    zc_block_destroy (&block);
    zsock_destroy (&sock);

    //  4. a flood of announcements (of one id: fetched once, then duplicates):
    //  over the message rate, banned
    sock = s_hostile_connect (node);
    s_hostile_hello (sock, node);
    assert_true (testpeer_expect (sock, ZC__MSG_TYPE__P2P_HELLO_ACK, 10000, NULL, NULL));
    uint8_t flood_hash [32] = { 0xf1, 0x00, 0xd0 };
    flood_hash [31] = (uint8_t) random ();
    Zc__InvItem item = ZC__INV_ITEM__INIT, *items [1] = { &item };
    item.type = ZC__INV_TYPE__INV_TX;
    item.hash.data = flood_hash;
    item.hash.len = 32;
    Zc__Inv inv = ZC__INV__INIT;
    inv.n_items = 1;
    inv.items = items;
    for (int i = 0; i < 100000; i++) {
        zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__P2P_INV };
        if (zc_zmq_send (sock, NULL, 0, &header, &inv.base, ZMQ_DONTWAIT))
            break;                      //  its queue is full: it is not reading us any more
    }
    assert_true (testpeer_expect (sock, ZC__MSG_TYPE__P2P_REJECT, 60000, NULL, NULL));
    zsock_destroy (&sock);

    //  5. a message over the size limit: the connection is dropped unread
    sock = s_hostile_connect (node);
    size_t big = ZC_MSG_MAX + 1024;
    uint8_t *huge = calloc (1, big);
    assert_int_equal (zmq_send (zsock_resolve (sock), huge, big, 0), (int) big);
    free (huge);
    zsock_destroy (&sock);

    //  three bans counted (the sidecar's snapshot is a second old at most),
    //  and the network goes on: same tip, new blocks
    sleep (2);
    double after = testnode_metric (node, "zchain_p2p_bans_total");
    print_message ("bans: %.0f before, %.0f after\n", bans, after);
    assert_true (after >= bans + 3);
    int64_t height = testnode_height (node, NULL);
    assert_true (s_wait_same_tip (height + 2, 300));
}

//  A node restarted without --bootstrap finds its peers from the file it kept
static void
test_restart_reconnects (void **state)
{
    (void) state;
    assert_non_null (s_node [2]);
    char dir [128];
    snprintf (dir, sizeof dir, "%s", s_node [2]->dir);
    testnode_stop (&s_node [2], true);
    s_node [2] = s_start (NULL, dir, "--miners 0 --validators 1");
    assert_non_null (s_node [2]);
    int peers = 0;
    for (int i = 0; i < 300 && peers < 1; i++) {
        peers = s_status_peers (s_node [2]);
        if (peers < 1)
            usleep (100000);
    }
    assert_true (peers >= 1);
    int64_t height = testnode_height (s_node [0], NULL);
    assert_true (s_wait_same_tip (height + 1, 300));
    char out [8192];
    assert_int_equal (testnode_cli (s_node [2], out, sizeof out, "--json peers"), 0);
    assert_non_null (strstr (out, "\"state\":\"established\""));
}

//  Encrypted links (CURVE): a node that knows the key joins and syncs; a
//  plain node cannot even say hello
static void
test_curve_links (void **state)
{
    (void) state;
    for (int i = 0; i < NODES; i++)
        testnode_stop (&s_node [i], false);
    s_node [0] = s_start (NULL, NULL, "--block-interval 300 --validators 1 --p2p-curve");
    assert_non_null (s_node [0]);
    //  its address with the key, as zchain up printed it
    char path [256], line [512], key [65] = "";
    snprintf (path, sizeof path, "%s/up.log", s_node [0]->dir);
    FILE *log = fopen (path, "r");
    assert_non_null (log);
    while (fgets (line, sizeof line, log))
        if (strstr (line, "p2p ") && strchr (line, '#'))
            sscanf (strchr (line, '#') + 1, "%64[0-9a-f]", key);
    fclose (log);
    assert_int_equal (strlen (key), 64);
    s_node [1] = s_start (NULL, NULL, "--miners 0 --validators 1 --p2p-curve --bootstrap 127.0.0.1:%d#%s",
                          s_node [0]->p2p_port, key);
    s_node [2] = s_start (NULL, NULL, "--miners 0 --validators 1 --bootstrap 127.0.0.1:%d",
                          s_node [0]->p2p_port);
    assert_non_null (s_node [1]);
    assert_non_null (s_node [2]);
    assert_true (testnode_wait_height (s_node [0], 5, 120));
    bool synced = false;
    for (int i = 0; i < 600 && !synced; i++) {
        uint8_t a [32], b [32];
        synced = testnode_height (s_node [0], a) >= 5 && testnode_height (s_node [1], b) >= 5
              && memcmp (a, b, 32) == 0;
        if (!synced)
            usleep (200000);
    }
    assert_true (synced);
    assert_int_equal (s_status_peers (s_node [1]), 1);
    assert_int_equal (s_status_peers (s_node [2]), 0);
    assert_int_equal (testnode_height (s_node [2], NULL), 0);
}

//  A bootstrap node with no inbound slot left still points a newcomer at
//  other nodes: its refusal carries addresses, and it keeps the newcomer's
//  address for the next one. Node 0 takes one inbound peer
//  and dials nobody, so node 2 can only learn of node 1 from that refusal.
static void
test_full_node_suggests_peers (void **state)
{
    (void) state;
    for (int i = 0; i < NODES; i++)
        testnode_stop (&s_node [i], false);
    setenv ("ZC_MAX_INBOUND", "1", 1);
    setenv ("ZC_MAX_OUTBOUND", "0", 1);
    s_node [0] = s_start (NULL, NULL, "--block-interval 300 --validators 1");
    unsetenv ("ZC_MAX_INBOUND");
    unsetenv ("ZC_MAX_OUTBOUND");
    assert_non_null (s_node [0]);
    s_node [1] = s_start (NULL, NULL, "--miners 0 --validators 1 --bootstrap 127.0.0.1:%d",
                          s_node [0]->p2p_port);
    assert_non_null (s_node [1]);
    int peers = 0;
    for (int i = 0; i < 600 && peers < 1; i++) {
        peers = s_status_peers (s_node [1]);
        if (peers < 1)
            usleep (100000);
    }
    assert_int_equal (peers, 1);
    s_node [2] = s_start (NULL, NULL, "--miners 0 --validators 1 --bootstrap 127.0.0.1:%d",
                          s_node [0]->p2p_port);
    assert_non_null (s_node [2]);
    //  node 2 ends up linked to node 1, and through it on node 0's chain
    assert_true (s_wait_linked_to (s_node [2], s_node [1]->p2p_port));
    assert_int_equal (s_status_peers (s_node [0]), 1);
    int64_t height = testnode_height (s_node [0], NULL);
    bool synced = false;
    for (int i = 0; i < 900 && !synced; i++) {
        synced = testnode_height (s_node [2], NULL) >= height + 1;
        if (!synced)
            usleep (200000);
    }
    assert_true (synced);
    //  node 0 kept the address of the newcomer it turned away (it learned it
    //  from nobody else: node 1 told it its peers before node 2 existed)
    char dir [128], path [256], line [512], newcomer [64];
    snprintf (dir, sizeof dir, "%s", s_node [0]->dir);
    snprintf (newcomer, sizeof newcomer, "tcp://127.0.0.1:%d ", s_node [2]->p2p_port);
    testnode_stop (&s_node [0], true);
    snprintf (path, sizeof path, "%s/peers", dir);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    bool kept = false;
    while (fgets (line, sizeof line, file))
        kept |= strncmp (line, newcomer, strlen (newcomer)) == 0;
    fclose (file);
    snprintf (path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal (system (path), 0);
    assert_true (kept);
    for (int i = 0; i < NODES; i++)
        testnode_stop (&s_node [i], false);
}

//  A relay-only gateway between two whole nodes that refuse each other:
//  a payment sent through one is confirmed on the other, and the blocks come
//  back, every one of them through the relay (which logs what it carried)
static void
test_relay_only (void **state)
{
    (void) state;
    s_node [0] = s_start (NULL, NULL, "--block-interval 300 --validators 1");
    assert_non_null (s_node [0]);
    s_node [1] = s_start (NULL, NULL, "--miners 0 --validators 1 --bootstrap 127.0.0.1:%d",
                          s_node [0]->p2p_port);
    assert_non_null (s_node [1]);
    assert_true (testnode_wait_height (s_node [0], 3, 120));
    //  the relay: a port past the test nodes' own (see testnode.c)
    int port = testnode_ports () + TESTNODE_PORTS - 1;
    char log [256], cmd [1024];
    snprintf (log, sizeof log, "%s/relay.log", s_node [0]->dir);
    snprintf (cmd, sizeof cmd, "exec %s/zchain-gateway --relay-only --p2p-trace --instance relay "
              "--p2p tcp://127.0.0.1:%d --bootstrap tcp://127.0.0.1:%d --bootstrap tcp://127.0.0.1:%d "
              "2> %s", ZC_BIN_DIR, port, s_node [0]->p2p_port, s_node [1]->p2p_port, log);
    pid_t relay = s_relay = fork ();
    assert_true (relay >= 0);
    if (relay == 0) {
        execl ("/bin/sh", "sh", "-c", cmd, (char *) NULL);
        _exit (127);
    }
    //  both nodes link to the relay, then refuse each other
    const int one [] = { 1 }, zero [] = { 0 };
    for (int n = 0; n < 2; n++)
        assert_true (s_wait_linked_to (s_node [n], port));
    s_deny (s_node [0], one, 1);
    s_deny (s_node [1], zero, 1);
    for (int n = 0; n < 2; n++) {
        int peers = 2;
        for (int i = 0; i < 600 && peers != 1; i++) {
            peers = s_status_peers (s_node [n]);
            if (peers != 1)
                usleep (100000);
        }
        assert_int_equal (peers, 1);
    }
    //  node 1 has no miner: its payment must reach node 0 and the block come back
    char wallet0 [256], address [128] = "", txid [65], out [512];
    snprintf (wallet0, sizeof wallet0, "%s/wallet.key", s_node [0]->dir);
    assert_int_equal (testnode_cli (s_node [0], out, sizeof out, "wallet address"), 0);
    sscanf (out, "%127s", address);
    assert_true (testnode_wait_height (s_node [1], 12, 120));     //  coins mature
    int64_t split = testnode_height (s_node [1], NULL);
    s_send (s_node [1], wallet0, address, "0.5", txid);
    int64_t deadline = zc_mono_ms () + 180000;
    bool done = false;
    while (!done && zc_mono_ms () < deadline) {
        uint8_t a [32], b [32];
        done = s_confirmed_on (s_node [1], txid) && testnode_height (s_node [1], b) >= split + 2
            && testnode_height (s_node [0], a) >= 0 && memcmp (a, b, 32) == 0;
        if (!done)
            usleep (200000);
    }
    assert_true (done);
    assert_int_equal (s_status_peers (s_node [1]), 1);
    //  a block with its proof of work but a wrong merkle root: the relay,
    //  with no chain, still checks the block on its own and bans the sender
    testnode_t at_relay = { .p2p_port = port };
    zsock_t *sock = s_hostile_connect (&at_relay);
    s_hostile_hello (sock, &at_relay);
    assert_true (testpeer_expect (sock, ZC__MSG_TYPE__P2P_HELLO_ACK, 10000, NULL, NULL));
    zc_block_t *block = zc_block_new (1);
    uint8_t pub [32] = { 9 };
    block->tx [0] = zc_coinbase_new (1, 99, 1, pub);
    block->header.prev = *zc_params_genesis_hash (s_params);
    block->header.time = (uint32_t) (zc_now_ms () / 1000);
    block->header.bits = s_params->pow_limit_bits;
    zc_block_finalize (block);
    block->header.merkle.b [0] ^= 1;
    zc_block_solve (block, s_params->pow_limit_bits);
    s_hostile_offer_block (sock, block);
    zc_block_destroy (&block);
    zsock_destroy (&sock);
    //  the relay carried it, and says so as it stops
    kill (relay, SIGTERM);
    int status = 0;
    assert_int_equal (waitpid (relay, &status, 0), relay);
    s_relay = 0;
    FILE *file = fopen (log, "r");
    assert_non_null (file);
    char line [1024], trace [128];
    snprintf (trace, sizeof trace, "trace tx %s ", txid);
    bool carried = false, totals = false;
    while (fgets (line, sizeof line, file)) {
        carried |= strstr (line, trace) != NULL;
        totals |= strstr (line, "trace totals messages_in") != NULL;
    }
    fclose (file);
    assert_true (carried);
    assert_true (totals);
    for (int i = 0; i < NODES; i++)
        testnode_stop (&s_node [i], false);
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    srandom ((unsigned) getpid ());
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    for (int i = 0; i < NODES; i++)
        testnode_stop (&s_node [i], false);
    if (s_relay > 0) {                  //  a failed test_relay_only left it running
        kill (s_relay, SIGTERM);
        waitpid (s_relay, NULL, 0);
    }
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_join_and_relay),
        cmocka_unit_test (test_partition_heals),
        cmocka_unit_test (test_addresses_spread),
        cmocka_unit_test (test_hostile_peer),
        cmocka_unit_test (test_restart_reconnects),
        cmocka_unit_test (test_curve_links),
        cmocka_unit_test (test_full_node_suggests_peers),
        cmocka_unit_test (test_relay_only),
    };
    if (getenv ("ZC_TEST_FILTER"))       //  one test alone, e.g. test_relay_only
        cmocka_set_test_filter (getenv ("ZC_TEST_FILTER"));
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
