/*  test_node_policy.c - the relay policy on a whole node: dust and outputs
 *  to keys that are not curve points are refused over HTTP and the client
 *  api, and the wallet never makes change the policy would refuse
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testchain.h"
#include "testnode.h"
#include "zc_check.h"
#include "zc_hex.h"
#include "zc_params.h"
#include "zc_wallet.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static testnode_t *s_node;
static const zc_params_t *s_params;

//  BIP340's test key that is not on the curve
static const char *s_off_curve = "eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34";

//  The coin, less a fee of 10,000, back to its owner, and a second output
//  of amount to key: signed and encoded
static uint8_t *
s_pay_two (const testchain_coin_t *c, uint64_t amount, const uint8_t key [32], size_t *size_p)
{
    zc_tx_t *tx = zc_tx_new (1, 2);
    tx->in [0].prevout = c->op;
    tx->out [0].amount = c->coin.amount - 10000 - amount;
    memcpy (tx->out [0].pubkey, c->coin.pubkey, 32);
    tx->out [1].amount = amount;
    memcpy (tx->out [1].pubkey, key, 32);
    assert_int_equal (zc_tx_sign (tx, &c->coin, zc_params_genesis_hash (s_params), &c->key), 0);
    uint8_t *raw = zc_tx_encode (tx, size_p);
    zc_tx_destroy (&tx);
    return raw;
}

//  Refused with reason both ways: the client api, and POST /api/tx with
//  the hex (400 and the reason's name)
static void
s_expect_refused (const uint8_t *raw, size_t size, zc_err_t reason)
{
    assert_int_equal (testchain_submit_tx (s_node, raw, size), reason);
    char *hex = malloc (2 * size + 1);
    zc_hex_encode (raw, size, hex);
    char out [4096], needle [64];
    int status = testnode_http (s_node, s_node->http_port, "POST", "/api/tx", hex, out, sizeof out);
    free (hex);
    assert_int_equal (status, 400);
    snprintf (needle, sizeof needle, "\"error\":\"%s\"", zc_err_name (reason));
    if (!strstr (out, needle))
        fail_msg ("POST /api/tx answered %s, expected %s", out, needle);
}

//  The sidecar's count of mempool refusals for reason; -1 when not listed
static long
s_rejected (const char *reason)
{
    char *out = malloc (1 << 20);
    assert_non_null (out);
    long count = -1;
    if (testnode_http (s_node, s_node->metrics_port, "GET", "/metrics", NULL, out, 1 << 20) == 200) {
        char needle [64];
        snprintf (needle, sizeof needle, "reason=\"%s\"", reason);
        for (char *line = strtok (out, "\n"); line; line = strtok (NULL, "\n"))
            if (!strncmp (line, "zchain_txs_rejected_total{", 26) && strstr (line, needle)) {
                char *value = strrchr (line, ' ');
                count = value ? atol (value + 1) : -1;
            }
    }
    free (out);
    return count;
}

//  zchain send leaves change under the dust threshold to the fee, and
//  refuses to pay an amount that is dust
static void
test_wallet_folds_dust_change (void **state)
{
    (void) state;
    char to [128], out [512], err [256];
    assert_int_equal (testnode_cli (s_node, to, sizeof to, "--wallet %s/other.key wallet new --keyfile", s_node->dir), 0);
    to [strcspn (to, "\n")] = 0;
    //  every coin is a coinbase of exactly the subsidy (no fees yet): one
    //  input, the payment and change of 100 units after a fee of 372
    //  (186 bytes at zchain send's 2,000 units per 1,000 bytes)
    uint64_t coin = zc_params_subsidy (s_params, 1);
    uint64_t amount = coin - 372 - 100;
    char amount_text [64];
    snprintf (amount_text, sizeof amount_text, "%llu.%08llu", (unsigned long long) (amount / 100000000),
              (unsigned long long) (amount % 100000000));
    assert_int_equal (testnode_cli (s_node, out, sizeof out, "send %s %s --fee-rate 2000", to, amount_text), 0);
    assert_true (strlen (out) >= 64);
    zc_hash_t txid;
    out [64] = 0;
    assert_int_equal (zc_hex_decode (out, txid.b, 32), 0);
    Zc__GetTx req = ZC__GET_TX__INIT;
    req.txid.data = txid.b;
    req.txid.len = 32;
    size_t size;
    const uint8_t *body = testnode_call (s_node, ZC__MSG_TYPE__GET_TX, &req.base, &size, NULL);
    assert_non_null (body);
    Zc__TxReply *r = zc__tx_reply__unpack (NULL, size, body);
    assert_non_null (r);
    zc_tx_t *tx;
    assert_int_equal (zc_tx_decode (r->raw.data, r->raw.len, &tx), ZC_OK);
    zc__tx_reply__free_unpacked (r, NULL);
    //  no change output: the 100 units went to the fee
    assert_int_equal (tx->n_out, 1);
    assert_int_equal (tx->out [0].amount, amount);
    zc_tx_destroy (&tx);
    //  and it confirms (so the next test does not pick the coin it spent)
    bool confirmed = false;
    for (int i = 0; i < 300 && !confirmed; i++) {
        body = testnode_call (s_node, ZC__MSG_TYPE__GET_TX, &req.base, &size, NULL);
        r = body ? zc__tx_reply__unpack (NULL, size, body) : NULL;
        confirmed = r && r->confirmed;
        if (r)
            zc__tx_reply__free_unpacked (r, NULL);
        if (!confirmed)
            usleep (100000);
    }
    assert_true (confirmed);

    //  a payment of 419 units is refused before anything is sent
    assert_int_equal (testnode_cli (s_node, out, sizeof out, "send %s 0.00000419", to), 1);
    snprintf (err, sizeof err, "grep -q 'is dust' %s/cli.err", s_node->dir);
    assert_int_equal (system (err), 0);
}

//  Outputs under the dust threshold (zero included) and outputs to a key
//  that is not a point are refused, the same transaction at the threshold
//  to a point is accepted, and the refusals are counted by reason
static void
test_dust_and_bad_pubkey_refused (void **state)
{
    (void) state;
    testchain_coin_t coin;
    assert_int_equal (testchain_coins (s_node, s_params, &coin, 1), 1);
    uint8_t off_curve [32];
    assert_int_equal (zc_hex_decode (s_off_curve, off_curve, 32), 0);
    size_t size;
    uint8_t *raw = s_pay_two (&coin, ZC_DUST_THRESHOLD_DEFAULT - 1, zc_params_nums_key, &size);
    s_expect_refused (raw, size, ZC_ERR_DUST);
    free (raw);
    raw = s_pay_two (&coin, 0, zc_params_nums_key, &size);
    s_expect_refused (raw, size, ZC_ERR_DUST);
    free (raw);
    raw = s_pay_two (&coin, 100000, off_curve, &size);
    s_expect_refused (raw, size, ZC_ERR_BAD_PUBKEY);
    free (raw);
    //  the node kept serving, and the threshold itself is not dust
    raw = s_pay_two (&coin, ZC_DUST_THRESHOLD_DEFAULT, zc_params_nums_key, &size);
    assert_int_equal (testchain_submit_tx (s_node, raw, size), ZC_OK);
    free (raw);
    //  two ways each: four dust, two bad keys (snapshots come each second)
    long dust = -1, bad = -1;
    for (int i = 0; i < 100 && (dust < 4 || bad < 2); i++) {
        usleep (100000);
        dust = s_rejected ("dust");
        bad = s_rejected ("bad_pubkey");
    }
    assert_int_equal (dust, 4);
    assert_int_equal (bad, 2);
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    s_node = testnode_start (NULL, "--block-interval 200 --validators 1");
    if (!s_node || !testnode_wait_height (s_node, s_params->coinbase_maturity + 3, 300))
        return -1;
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    testnode_stop (&s_node, false);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        //  first, while every coin of the wallet is exactly the subsidy
        cmocka_unit_test (test_wallet_folds_dust_change),
        cmocka_unit_test (test_dust_and_bad_pubkey_refused),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
