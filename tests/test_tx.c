/*  test_tx.c - transaction encoding, txid/wtxid, signature hash, signing */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_hex.h"
#include "zc_params.h"
#include "zc_tx.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

//  The known-answer transaction of docs/protocol.md: spends output 1 of a
//  txid of 32 0x11 bytes (a coin of 60 coins owned by secret key 3) and
//  pays 50 coins to secret key 1's key and 9.99 coins to the NUMS key,
//  signed with all-zero auxiliary randomness.
#define KAT_SPENT_KEY "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"
#define KAT_PAY_KEY   "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
#define KAT_TXID      "366f6634879ee13bee515518d661d119a0a9fa59fc7af066d149d0ff66062144"
#define KAT_WTXID     "e9721fc8fb3c367dc1e14ebb58d8f58592a56aff09476b54d8ab75eafad59c4d"
#define KAT_SIGHASH   "a9e42fb6666e181b3180d5bf662eb0eb8d5cbe6b26458ce6ebf696d012effafe"
#define KAT_HEX \
    "01000000011111111111111111111111111111111111111111111111111111111111111111010000000200f2052a0100000079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798c0878b3b0000000050929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0c16cedbd8f5d84ef443d9d7d28dd6e2d9ccfe030c9a1d0ca33c66ec65cb355f8efb26b0d4e4d309f0e9e7b368d8eb184dbd363ac1d879703ef022a8f9bd94aba"

static zc_tx_t *
s_kat_tx (zc_coin_t *spent)
{
    zc_tx_t *tx = zc_tx_new (1, 2);
    assert_non_null (tx);
    memset (tx->in [0].prevout.txid.b, 0x11, 32);
    tx->in [0].prevout.index = 1;
    tx->out [0].amount = 5000000000ULL;
    assert_int_equal (zc_hex_decode (KAT_PAY_KEY, tx->out [0].pubkey, 32), 0);
    tx->out [1].amount = 999000000ULL;
    memcpy (tx->out [1].pubkey, zc_params_nums_key, 32);
    memset (spent, 0, sizeof *spent);
    spent->amount = 6000000000ULL;
    assert_int_equal (zc_hex_decode (KAT_SPENT_KEY, spent->pubkey, 32), 0);
    zc_tx_finalize (tx);

    zc_seckey_t key;
    memset (&key, 0, sizeof key);
    key.b [31] = 3;
    zc_sighash_t sighash;
    zc_sighash_init (&sighash, tx, spent, zc_params_genesis_hash (zc_params_get (ZC_NET_REGTEST)));
    uint8_t msg [32], aux [32] = { 0 };
    zc_sighash_input (&sighash, 0, msg);
    assert_int_equal (zc_sign_aux (&key, msg, aux, tx->in [0].sig), 0);
    zc_tx_finalize (tx);
    return tx;
}

//  Usage: build, sign, encode, decode, verify
static void
test_usage (void **state)
{
    (void) state;
    zc_seckey_t key;
    uint8_t pubkey [32];
    assert_int_equal (zc_seckey_generate (&key), 0);
    assert_int_equal (zc_seckey_pubkey (&key, pubkey), 0);

    zc_coin_t spent = { .amount = 100000, .height = 5 };
    memcpy (spent.pubkey, pubkey, 32);
    zc_tx_t *tx = zc_tx_new (1, 2);
    memset (tx->in [0].prevout.txid.b, 0xab, 32);
    tx->out [0].amount = 60000;
    memcpy (tx->out [0].pubkey, zc_params_nums_key, 32);
    tx->out [1].amount = 39000;
    memcpy (tx->out [1].pubkey, pubkey, 32);
    const zc_hash_t *genesis = zc_params_genesis_hash (zc_params_get (ZC_NET_REGTEST));
    assert_int_equal (zc_tx_sign (tx, &spent, genesis, &key), 0);
    zc_seckey_wipe (&key);

    size_t size;
    uint8_t *raw = zc_tx_encode (tx, &size);
    assert_int_equal (size, 186);       //  the documented size of a 1-in 2-out tx
    assert_int_equal (tx->size, 186);
    assert_int_equal (tx->base_size, 122);

    zc_tx_t *copy;
    assert_int_equal (zc_tx_decode (raw, size, &copy), ZC_OK);
    assert_true (zc_hash_eq (&copy->txid, &tx->txid));
    assert_true (zc_hash_eq (&copy->wtxid, &tx->wtxid));
    assert_int_equal (zc_tx_verify_sigs (copy, &spent, genesis), ZC_OK);

    //  another network's genesis makes every signature invalid (no replay)
    const zc_hash_t *devnet = zc_params_genesis_hash (zc_params_get (ZC_NET_DEVNET));
    assert_int_equal (zc_tx_verify_sigs (copy, &spent, devnet), ZC_ERR_BAD_SIG);
    free (raw);
    zc_tx_destroy (&copy);
    zc_tx_destroy (&tx);
    assert_null (tx);
    zc_tx_destroy (&tx);                //  safe twice
}

static void
test_known_answer (void **state)
{
    (void) state;
    zc_coin_t spent;
    zc_tx_t *tx = s_kat_tx (&spent);
    char hex [2 * 186 + 1];
    zc_hash_hex (&tx->txid, hex);
    assert_string_equal (hex, KAT_TXID);
    zc_hash_hex (&tx->wtxid, hex);
    assert_string_equal (hex, KAT_WTXID);

    zc_sighash_t sighash;
    uint8_t msg [32];
    zc_sighash_init (&sighash, tx, &spent, zc_params_genesis_hash (zc_params_get (ZC_NET_REGTEST)));
    zc_sighash_input (&sighash, 0, msg);
    assert_string_equal (zc_hex_encode (msg, 32, hex), KAT_SIGHASH);

    size_t size;
    uint8_t *raw = zc_tx_encode (tx, &size);
    assert_int_equal (size, 186);
    assert_string_equal (zc_hex_encode (raw, size, hex), KAT_HEX);
    assert_int_equal (zc_tx_verify_sigs (tx, &spent,
                      zc_params_genesis_hash (zc_params_get (ZC_NET_REGTEST))), ZC_OK);
    free (raw);
    zc_tx_destroy (&tx);
}

//  The signature hash commits to each spent amount and key, each output,
//  and the input's position: change any and the signature fails.
static void
test_sighash_commits (void **state)
{
    (void) state;
    zc_coin_t spent;
    zc_tx_t *tx = s_kat_tx (&spent);
    const zc_hash_t *genesis = zc_params_genesis_hash (zc_params_get (ZC_NET_REGTEST));
    assert_int_equal (zc_tx_verify_sigs (tx, &spent, genesis), ZC_OK);

    zc_coin_t other = spent;
    other.amount += 1;                  //  lie about the amount spent
    assert_int_equal (zc_tx_verify_sigs (tx, &other, genesis), ZC_ERR_BAD_SIG);

    tx->out [1].amount -= 1;            //  change an output
    zc_tx_finalize (tx);
    assert_int_equal (zc_tx_verify_sigs (tx, &spent, genesis), ZC_ERR_BAD_SIG);
    tx->out [1].amount += 1;
    zc_tx_finalize (tx);
    assert_int_equal (zc_tx_verify_sigs (tx, &spent, genesis), ZC_OK);

    tx->in [0].sig [10] ^= 1;           //  a flipped bit
    zc_tx_finalize (tx);
    assert_int_equal (zc_tx_verify_sigs (tx, &spent, genesis), ZC_ERR_BAD_SIG);

    //  a wrong key refuses to sign rather than produce a useless signature
    zc_seckey_t wrong;
    assert_int_equal (zc_seckey_generate (&wrong), 0);
    assert_int_equal (zc_tx_sign (tx, &spent, genesis, &wrong), -1);
    zc_tx_destroy (&tx);
}

//  Re-signing changes the wtxid, never the txid (no third-party malleability)
static void
test_txid_ignores_signatures (void **state)
{
    (void) state;
    zc_coin_t spent;
    zc_tx_t *tx = s_kat_tx (&spent);
    zc_hash_t txid = tx->txid, wtxid = tx->wtxid;
    memset (tx->in [0].sig, 0x42, 64);
    zc_tx_finalize (tx);
    assert_true (zc_hash_eq (&tx->txid, &txid));
    assert_false (zc_hash_eq (&tx->wtxid, &wtxid));
    zc_tx_destroy (&tx);
}

static void
test_coinbase (void **state)
{
    (void) state;
    uint8_t key [32];
    memset (key, 7, sizeof key);
    zc_tx_t *cb = zc_coinbase_new (1234, 0x0102030405060708ULL, 5000000000ULL, key);
    assert_true (zc_tx_is_coinbase (cb));
    assert_int_equal (zc_coinbase_height (cb), 1234);
    assert_int_equal (cb->size, cb->base_size);     //  no signature
    size_t size;
    uint8_t *raw = zc_tx_encode (cb, &size);
    assert_int_equal (size, 4 + 1 + 36 + 1 + 40);
    zc_tx_t *copy;
    assert_int_equal (zc_tx_decode (raw, size, &copy), ZC_OK);
    assert_true (zc_tx_is_coinbase (copy));
    assert_true (zc_hash_eq (&copy->txid, &cb->txid));
    assert_true (zc_hash_eq (&copy->txid, &copy->wtxid));
    //  a different extranonce gives a different txid: replicas never collide
    zc_tx_t *other = zc_coinbase_new (1234, 9, 5000000000ULL, key);
    assert_false (zc_hash_eq (&other->txid, &cb->txid));
    free (raw);
    zc_tx_destroy (&cb);
    zc_tx_destroy (&copy);
    zc_tx_destroy (&other);
}

//  Every truncation, every extension and garbage: a clear error, no crash
static void
test_decode_rejects (void **state)
{
    (void) state;
    zc_coin_t spent;
    zc_tx_t *tx = s_kat_tx (&spent);
    size_t size;
    uint8_t *raw = zc_tx_encode (tx, &size);
    zc_tx_t *out = (zc_tx_t *) 1;
    for (size_t cut = 0; cut < size; cut++) {
        assert_int_equal (zc_tx_decode (raw, cut, &out), ZC_ERR_MALFORMED);
        assert_null (out);
    }
    uint8_t *longer = malloc (size + 1);
    memcpy (longer, raw, size);
    longer [size] = 0;
    assert_int_equal (zc_tx_decode (longer, size + 1, &out), ZC_ERR_MALFORMED);
    free (longer);

    //  a non-minimal count
    uint8_t bad [200];
    memcpy (bad, raw, 4);
    bad [4] = 0xfd;
    bad [5] = 0x01;
    bad [6] = 0x00;
    memcpy (bad + 7, raw + 5, size - 5);
    assert_int_equal (zc_tx_decode (bad, size + 2, &out), ZC_ERR_MALFORMED);

    //  a count far beyond the bytes present must not allocate or crash
    uint8_t huge [] = { 1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0 };
    assert_int_equal (zc_tx_decode (huge, sizeof huge, &out), ZC_ERR_MALFORMED);
    assert_int_equal (zc_tx_decode (NULL, 0, &out), ZC_ERR_MALFORMED);

    //  oversize input is refused before it is read
    uint8_t *big = calloc (1, ZC_TX_MAX_BYTES + 1);
    assert_int_equal (zc_tx_decode (big, ZC_TX_MAX_BYTES + 1, &out), ZC_ERR_OVERSIZE);
    free (big);

    //  random garbage, seeded and replayable
    unsigned seed = getenv ("ZC_TEST_SEED") ? (unsigned) atoi (getenv ("ZC_TEST_SEED"))
                                            : (unsigned) time (NULL);
    print_message ("garbage seed %u (replay with ZC_TEST_SEED)\n", seed);
    srand (seed);
    uint8_t junk [512];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t) rand () % sizeof junk;
        for (size_t i = 0; i < n; i++)
            junk [i] = (uint8_t) rand ();
        if (n > 4 && round % 2)
            junk [4] = (uint8_t) (rand () % 4);     //  plausible counts
        zc_err_t rc = zc_tx_decode (junk, n, &out);
        if (rc == ZC_OK) {
            //  whatever decodes re-encodes to the same bytes
            size_t again_size;
            uint8_t *again = zc_tx_encode (out, &again_size);
            assert_int_equal (again_size, n);
            assert_memory_equal (again, junk, n);
            free (again);
            zc_tx_destroy (&out);
        }
        else
            assert_null (out);
    }
    free (raw);
    zc_tx_destroy (&tx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_known_answer),
        cmocka_unit_test (test_sighash_commits),
        cmocka_unit_test (test_txid_ignores_signatures),
        cmocka_unit_test (test_coinbase),
        cmocka_unit_test (test_decode_rejects),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
