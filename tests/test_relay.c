/*  test_relay.c - the relay rules of a gateway, against a relay-only
 *  gateway (gateway_actor) running in this process on inproc://, with test
 *  peers speaking the protocol:
 *  - an id a peer announced is not announced back to it (known ids);
 *  - a new small block arriving unasked is taken and pushed on whole;
 *  - an unasked block over the push size is misbehaviour, and enough of
 *    them get the sender banned
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gateway.h"
#include "testpeer.h"
#include "zc_block.h"
#include "zc_key.h"
#include "zc_log.h"
#include "zc_time.h"
#include "zc_tx.h"
#include "envelope.pb-c.h"
#include "p2p.pb-c.h"

#include <stdlib.h>
#include <string.h>

#define RELAY "inproc://test-relay"

static const zc_params_t *s_params;
static gateway_cfg_t s_cfg;
static zactor_t *s_relay;

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_by_name ("regtest");
    zc_log_set_level (ZC_LOG_ERROR);    //  the relay's log (process-wide)
    const char *argv [] = { "zchain-gateway", "--relay-only", "--p2p", RELAY, "--log-level", "error",
                            "--ping-interval", "60000", "--ping-timeout", "180000" };
    char err [256];
    if (zc_config_parse (gateway_options, &s_cfg, (int) (sizeof argv / sizeof argv [0]), (char **) argv,
                         "zchain-gateway", "", err, sizeof err) != 0)
        return -1;
    s_relay = zactor_new (gateway_actor, &s_cfg);
    //  its second signal: 0 up (zc_actor.h)
    return s_relay && zsock_wait (s_relay) == 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    zactor_destroy (&s_relay);
    return 0;
}

//  A peer with its handshake done
static zsock_t *
s_peer (void)
{
    zsock_t *sock = testpeer_connect (RELAY);
    assert_non_null (sock);
    assert_int_equal (testpeer_hello (sock, s_params), 0);
    assert_true (testpeer_expect (sock, ZC__MSG_TYPE__P2P_HELLO_ACK, 10000, NULL, NULL));
    return sock;
}

//  A transaction that passes the relay's own checks (its input is made up)
static uint8_t *
s_tx (zc_hash_t *txid, size_t *size)
{
    zc_tx_t *tx = zc_tx_new (1, 1);
    assert_non_null (tx);
    tx->version = 1;
    zc_random_bytes (tx->in [0].prevout.txid.b, 32);
    zc_random_bytes (tx->in [0].sig, ZC_SIG_SIZE);
    tx->out [0].amount = 100000;
    zc_random_bytes (tx->out [0].pubkey, ZC_PUBKEY_SIZE);
    zc_tx_finalize (tx);
    *txid = tx->txid;
    uint8_t *raw = zc_tx_encode (tx, size);
    zc_tx_destroy (&tx);
    return raw;
}

//  A block with n transactions on a made-up parent, solved
static uint8_t *
s_block (uint32_t n, zc_hash_t *hash, size_t *size)
{
    zc_block_t *block = zc_block_new (n + 1);
    uint8_t payee [32];
    zc_random_bytes (payee, sizeof payee);
    block->tx [0] = zc_coinbase_new (1, (uint64_t) random (), 1000, payee);
    for (uint32_t i = 1; i <= n; i++) {
        zc_hash_t txid;
        size_t tx_size;
        uint8_t *raw = s_tx (&txid, &tx_size);
        assert_int_equal (zc_tx_decode (raw, tx_size, &block->tx [i]), ZC_OK);
        free (raw);
    }
    block->header.version = ZC_BLOCK_VERSION;
    zc_random_bytes (block->header.prev.b, 32);
    block->header.time = (uint32_t) (zc_now_ms () / 1000);
    block->header.bits = s_params->pow_limit_bits;
    zc_block_finalize (block);
    zc_block_solve (block, s_params->pow_limit_bits);
    *hash = block->hash;
    uint8_t *raw = zc_block_encode (block, size);
    zc_block_destroy (&block);
    return raw;
}

//  Does an Inv naming id arrive within timeout_ms?
static bool
s_announced (zsock_t *sock, const zc_hash_t *id, int timeout_ms)
{
    int64_t deadline = zc_mono_ms () + timeout_ms;
    while (zc_mono_ms () < deadline) {
        Zc__Inv *inv = NULL;
        if (!testpeer_expect (sock, ZC__MSG_TYPE__P2P_INV, (int) (deadline - zc_mono_ms ()),
                              &zc__inv__descriptor, (ProtobufCMessage **) &inv))
            return false;
        bool named = false;
        for (size_t i = 0; inv && i < inv->n_items; i++)
            named |= inv->items [i]->hash.len == 32 && memcmp (inv->items [i]->hash.data, id->b, 32) == 0;
        zc__inv__free_unpacked (inv, NULL);
        if (named)
            return true;
    }
    return false;
}

//  p1 and p2 both announce a transaction, p1 delivers it: the relay
//  announces it to p3, never back to p2, which told it first
static void
test_known_not_announced_back (void **state)
{
    (void) state;
    zsock_t *p1 = s_peer (), *p2 = s_peer (), *p3 = s_peer ();
    zc_hash_t txid;
    size_t size;
    uint8_t *raw = s_tx (&txid, &size);
    assert_int_equal (testpeer_inv (p1, ZC__INV_TYPE__INV_TX, txid.b), 0);
    assert_true (testpeer_expect (p1, ZC__MSG_TYPE__P2P_GET_DATA, 10000, NULL, NULL));
    assert_int_equal (testpeer_inv (p2, ZC__INV_TYPE__INV_TX, txid.b), 0);
    //  links are not ordered with each other: p2's announcement is known to
    //  have been read once the ping after it is answered
    Zc__Ping ping = ZC__PING__INIT;
    ping.nonce = 42;
    assert_int_equal (testpeer_send (p2, ZC__MSG_TYPE__P2P_PING, &ping.base), 0);
    assert_true (testpeer_expect (p2, ZC__MSG_TYPE__P2P_PONG, 10000, NULL, NULL));
    ProtobufCBinaryData txs [1] = { { size, raw } };
    Zc__TxData data = ZC__TX_DATA__INIT;
    data.n_txs = 1;
    data.txs = txs;
    assert_int_equal (testpeer_send (p1, ZC__MSG_TYPE__P2P_TX, &data.base), 0);
    //  the relay announces to p3 and p2 in one pass; once p3 has it, p2
    //  would have had it too
    assert_true (s_announced (p3, &txid, 10000));
    assert_false (s_announced (p2, &txid, 1000));
    free (raw);
    zsock_destroy (&p1);
    zsock_destroy (&p2);
    zsock_destroy (&p3);
}

//  A small block nobody asked for is taken and pushed whole to the others
static void
test_small_block_pushed (void **state)
{
    (void) state;
    zsock_t *p1 = s_peer (), *p2 = s_peer ();
    zc_hash_t hash;
    size_t size;
    uint8_t *raw = s_block (1, &hash, &size);
    assert_true (size <= 16 * 1024);
    Zc__BlockData data = ZC__BLOCK_DATA__INIT;
    data.raw.data = raw;
    data.raw.len = size;
    assert_int_equal (testpeer_send (p1, ZC__MSG_TYPE__P2P_BLOCK, &data.base), 0);
    Zc__BlockData *pushed = NULL;
    assert_true (testpeer_expect (p2, ZC__MSG_TYPE__P2P_BLOCK, 10000, &zc__block_data__descriptor,
                                  (ProtobufCMessage **) &pushed));
    assert_non_null (pushed);
    assert_int_equal (pushed->raw.len, size);
    assert_memory_equal (pushed->raw.data, raw, size);
    zc__block_data__free_unpacked (pushed, NULL);
    free (raw);
    zsock_destroy (&p1);
    zsock_destroy (&p2);
}

//  A block over the push size nobody asked for scores 5 each time: the
//  twentieth gets the sender banned, and it is never relayed
static void
test_large_unasked_block_banned (void **state)
{
    (void) state;
    zsock_t *p1 = s_peer (), *p2 = s_peer ();
    zc_hash_t hash;
    size_t size;
    uint8_t *raw = s_block (150, &hash, &size);
    assert_true (size > 16 * 1024);
    Zc__BlockData data = ZC__BLOCK_DATA__INIT;
    data.raw.data = raw;
    data.raw.len = size;
    for (int i = 0; i < 20; i++)
        assert_int_equal (testpeer_send (p1, ZC__MSG_TYPE__P2P_BLOCK, &data.base), 0);
    assert_true (testpeer_expect (p1, ZC__MSG_TYPE__P2P_REJECT, 10000, NULL, NULL));
    assert_false (s_announced (p2, &hash, 500));
    free (raw);
    zsock_destroy (&p1);
    zsock_destroy (&p2);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_known_not_announced_back),
        cmocka_unit_test (test_small_block_pushed),
        cmocka_unit_test (test_large_unasked_block_banned),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
