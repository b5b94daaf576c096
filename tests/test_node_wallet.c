/*  test_node_wallet.c - the wallet a user trusts, against a real node:
 *  a phrase and a passphrase, ten payments in one block interval, fees,
 *  replace-by-fee, a reorg, and a restore from the phrase; and a child
 *  that pays for its parent
 *
 *  The node mines nothing by itself (--miners 0): the test mines by hand,
 *  so "one block interval" is as long as it needs to be.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testchain.h"
#include "zc_amount.h"
#include "zc_bech32.h"
#include "zc_bip39.h"
#include "zc_hex.h"
#include "zc_time.h"
#include "zc_wallet.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static testnode_t *s_node;
static const zc_params_t *s_params;
static uint8_t s_miner [32];            //  the node's key file: hand-mined coinbases pay it
static zc_hash_t s_tip;
static uint32_t s_height, s_time;
static uint64_t s_extranonce = 1000;
static char s_wallet [320], s_pass [320];

// ---------------------------------------------------------------------------
//  mining by hand

//  Until the mempool builds on the tip the test mined last
static void
s_sync (void)
{
    for (int i = 0; i < 300; i++) {
        Zc__GetTemplate req = ZC__GET_TEMPLATE__INIT;
        size_t size;
        const uint8_t *body = testnode_call (s_node, ZC__MSG_TYPE__GET_TEMPLATE, &req.base, &size, NULL);
        Zc__TemplateReply *t = body ? zc__template_reply__unpack (NULL, size, body) : NULL;
        bool there = t && t->height == s_height + 1;
        if (t)
            zc__template_reply__free_unpacked (t, NULL);
        if (there)
            return;
        usleep (50000);
    }
    fail_msg ("the mempool never built on height %u", s_height);
}

static void
s_record (const testchain_mined_t *m)
{
    s_tip = m->hash;
    s_height = m->height;
    s_time = m->time;
}

//  n blocks with only a coinbase, on the tip
static void
s_mine_empty (int n)
{
    for (int i = 0; i < n; i++) {
        testchain_mined_t m = testchain_mine_on (s_node, s_params, s_miner, &s_tip, s_height + 1, s_time,
                                                 NULL, 0, 0, s_extranonce++);
        s_record (&m);
    }
    s_sync ();
}

//  A block of the mempool's template, once it holds need
static void
s_mine_with (const zc_hash_t *need)
{
    testchain_mined_t m = testchain_mine_template (s_node, s_params, s_miner, s_time, s_extranonce++, need);
    s_record (&m);
    s_sync ();
}

// ---------------------------------------------------------------------------
//  the CLI with the wallet

//  zchain --wallet W --passphrase-file P ARGS: the exit status, stdout in out
static int
s_zc (char *out, size_t size, const char *args)
{
    return testnode_cli (s_node, out, size, "--wallet %s --passphrase-file %s %s", s_wallet, s_pass, args);
}

static cJSON *
s_zc_json (const char *args)
{
    static char out [1 << 16];
    char full [1024];
    snprintf (full, sizeof full, "--json %s", args);
    if (s_zc (out, sizeof out, full) != 0)
        fail_msg ("zchain %s failed", args);
    cJSON *json = cJSON_Parse (out);
    if (!json)
        fail_msg ("zchain %s printed no JSON: %s", args, out);
    return json;
}

static double
s_num (const cJSON *json, const char *name)
{
    const cJSON *item = cJSON_GetObjectItem (json, name);
    if (!cJSON_IsNumber (item))
        fail_msg ("no number '%s'", name);
    return item->valuedouble;
}

static void
s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
    chmod (path, 0600);
}

static bool
s_cli_err_says (const char *needle)
{
    char cmd [512];
    snprintf (cmd, sizeof cmd, "grep -q '%s' %s/cli.err", needle, s_node->dir);
    return system (cmd) == 0;
}

//  The txid a command printed (its first line)
static zc_hash_t
s_txid_of (const char *out)
{
    zc_hash_t txid;
    char hex [65];
    snprintf (hex, sizeof hex, "%.64s", out);
    if (zc_hash_from_hex (hex, &txid))
        fail_msg ("not a txid: %s", out);
    return txid;
}

//  The status history --json gives txid ("" when it lists it not)
static const char *
s_history_status (const zc_hash_t *txid)
{
    static char status [32];
    char hex [65];
    zc_hash_hex (txid, hex);
    cJSON *h = s_zc_json ("history");
    status [0] = 0;
    const cJSON *e;
    cJSON_ArrayForEach (e, h) {
        const cJSON *id = cJSON_GetObjectItem (e, "txid");
        if (cJSON_IsString (id) && !strcmp (id->valuestring, hex))
            snprintf (status, sizeof status, "%s", cJSON_GetObjectItem (e, "status")->valuestring);
    }
    cJSON_Delete (h);
    return status;
}

static uint64_t
s_confirmed_balance (void)
{
    cJSON *b = s_zc_json ("balance");
    uint64_t confirmed = (uint64_t) s_num (b, "confirmed");
    cJSON_Delete (b);
    return confirmed;
}

//  Pay the payee key file's address from the wallet: "AMOUNT [OPTIONS]";
//  the txid
static zc_hash_t
s_pay (const char *what)
{
    char payee [128], args [512], out [4096];
    assert_int_equal (testnode_cli (s_node, payee, sizeof payee, "--wallet %s/payee.key wallet address",
                                    s_node->dir), 0);
    payee [strcspn (payee, "\n")] = 0;
    snprintf (args, sizeof args, "send %s %s", payee, what);
    assert_int_equal (s_zc (out, sizeof out, args), 0);
    return s_txid_of (out);
}

// ---------------------------------------------------------------------------

//  A new wallet: its phrase once, its file sealed, a wrong passphrase refused
static void
test_new_wallet_sealed (void **state)
{
    (void) state;
    char out [4096];
    snprintf (s_wallet, sizeof s_wallet, "%s/hd.wallet", s_node->dir);
    snprintf (s_pass, sizeof s_pass, "%s/pass", s_node->dir);
    s_write (s_pass, "correct horse battery staple\n");
    cJSON *made = s_zc_json ("wallet new --show-mnemonic-once");
    const char *phrase = cJSON_GetObjectItem (made, "mnemonic")->valuestring;
    char err [256];
    assert_int_equal (zc_bip39_check (phrase, err, sizeof err), 0);
    int spaces = 0;
    for (const char *p = phrase; *p; p++)
        spaces += *p == ' ';
    assert_int_equal (spaces, 11);
    char path [300];
    snprintf (path, sizeof path, "%s/phrase", s_node->dir);
    s_write (path, phrase);
    assert_true (cJSON_IsTrue (cJSON_GetObjectItem (made, "encrypted")));
    //  the file: private, and neither the phrase nor any two of its words in clear
    struct stat st;
    assert_int_equal (stat (s_wallet, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    FILE *f = fopen (s_wallet, "r");
    static char text [1 << 20];
    size_t n = fread (text, 1, sizeof text - 1, f);
    fclose (f);
    text [n] = 0;
    assert_non_null (strstr (text, "argon2id"));
    char pair [64];
    const char *second = strchr (phrase, ' ') + 1;
    snprintf (pair, sizeof pair, "%.*s", (int) (strchr (second, ' ') - phrase), phrase);
    assert_null (strstr (text, pair));
    assert_null (strstr (text, phrase));
    //  addresses without the passphrase; spending refuses a wrong one
    char address [128];
    assert_int_equal (testnode_cli (s_node, address, sizeof address, "--wallet %s wallet address", s_wallet), 0);
    address [strcspn (address, "\n")] = 0;
    assert_string_equal (address, cJSON_GetObjectItem (made, "address")->valuestring);
    char bad [300];
    snprintf (bad, sizeof bad, "%s/bad", s_node->dir);
    s_write (bad, "Correct horse battery staple\n");
    assert_int_equal (testnode_cli (s_node, out, sizeof out, "--wallet %s --passphrase-file %s send %s 1",
                                    s_wallet, bad, address), 1);
    assert_true (s_cli_err_says ("wrong passphrase"));
    cJSON_Delete (made);
}

//  Funded from the node's key file, ten payments in one block interval are
//  all accepted and all confirm, each new one spending the change of the
//  last; dry runs and --subtract-fee
static void
test_ten_payments (void **state)
{
    (void) state;
    char out [4096], a [128], b [128], args [512];
    //  two receiving addresses, funded in one payment of the node's key file
    assert_int_equal (testnode_cli (s_node, a, sizeof a, "--wallet %s wallet address", s_wallet), 0);
    assert_int_equal (testnode_cli (s_node, b, sizeof b, "--wallet %s wallet address --new", s_wallet), 0);
    a [strcspn (a, "\n")] = 0;
    b [strcspn (b, "\n")] = 0;
    assert_string_not_equal (a, b);
    assert_int_equal (testnode_cli (s_node, out, sizeof out, "send %s 30 %s 30", a, b), 0);
    zc_hash_t funding = s_txid_of (out);
    s_mine_with (&funding);
    assert_true (testchain_wait_confirmed (s_node, 30, &funding));
    assert_int_equal (s_confirmed_balance (), 60 * ZC_COIN);

    //  payees: a key file's ten addresses
    char payees [10] [128];
    assert_int_equal (testnode_cli (s_node, payees [0], sizeof payees [0],
                                    "--wallet %s/payee.key wallet new --keyfile", s_node->dir), 0);
    for (int i = 1; i < 10; i++)
        assert_int_equal (testnode_cli (s_node, payees [i], sizeof payees [i],
                                        "--wallet %s/payee.key wallet address --new", s_node->dir), 0);
    zc_hash_t txids [10];
    for (int i = 0; i < 10; i++) {
        payees [i] [strcspn (payees [i], "\n")] = 0;
        snprintf (args, sizeof args, "send %s 1.5", payees [i]);
        if (s_zc (out, sizeof out, args) != 0)
            fail_msg ("payment %d refused", i + 1);
        txids [i] = s_txid_of (out);
        for (int j = 0; j < i; j++)
            assert_false (zc_hash_eq (&txids [i], &txids [j]));
    }
    for (int i = 0; i < 10; i++)
        assert_true (testchain_in_mempool (s_node, &txids [i]));
    //  their change is spendable, and counted as unconfirmed
    cJSON *bal = s_zc_json ("balance");
    assert_true (s_num (bal, "unconfirmed") > 0);
    assert_true (s_num (bal, "confirmed") + s_num (bal, "unconfirmed") < 45 * ZC_COIN + 1);
    assert_true (s_num (bal, "confirmed") + s_num (bal, "unconfirmed") > 44.99 * ZC_COIN);
    cJSON_Delete (bal);

    //  a dry run prints the payment, its fee and rate, and sends nothing
    snprintf (args, sizeof args, "send %s 2 --dry-run --fee-rate 5000", payees [0]);
    cJSON *dry = s_zc_json (args);
    assert_int_equal ((uint64_t) s_num (dry, "fee_rate"), 5000);
    uint64_t fee = (uint64_t) s_num (dry, "fee");
    assert_int_equal (fee, (5000 * (uint64_t) s_num (dry, "size") + 999) / 1000);
    zc_hash_t dry_txid;
    assert_int_equal (zc_hash_from_hex (cJSON_GetObjectItem (dry, "txid")->valuestring, &dry_txid), 0);
    assert_false (testchain_in_mempool (s_node, &dry_txid));
    cJSON_Delete (dry);
    //  --subtract-fee: the payee gets the amount less the fee
    snprintf (args, sizeof args, "send %s 2 --subtract-fee --dry-run", payees [1]);
    cJSON *sub = s_zc_json (args);
    const cJSON *first = cJSON_GetArrayItem (cJSON_GetObjectItem (sub, "outputs"), 0);
    assert_string_equal (cJSON_GetObjectItem (first, "address")->valuestring, payees [1]);
    assert_int_equal ((uint64_t) s_num (first, "amount") + (uint64_t) s_num (sub, "fee"), 2 * ZC_COIN);
    cJSON_Delete (sub);

    //  the fee estimates: one per target, none under the relay minimum, none
    //  above a nearer target's, the same as the HTTP api's
    cJSON *est = s_zc_json ("estimatefee");
    double min_relay = s_num (est, "min_relay");
    assert_true (min_relay > 0);
    assert_true (s_num (est, "1") >= s_num (est, "3") && s_num (est, "3") >= s_num (est, "6")
                 && s_num (est, "6") >= s_num (est, "12") && s_num (est, "12") >= min_relay);
    char http [512];
    assert_int_equal (testnode_http (s_node, s_node->http_port, "GET", "/api/fee-estimates", NULL, http,
                                     sizeof http), 200);
    char want [256];
    snprintf (want, sizeof want, "{\"1\":%.0f,\"3\":%.0f,\"6\":%.0f,\"12\":%.0f}", s_num (est, "1"),
              s_num (est, "3"), s_num (est, "6"), s_num (est, "12"));
    assert_non_null (strstr (http, want));
    cJSON_Delete (est);

    //  one block confirms all ten
    s_mine_with (&txids [9]);
    for (int i = 0; i < 10; i++)
        assert_true (testchain_wait_confirmed (s_node, 30, &txids [i]));
    char balance [256];
    assert_int_equal (testnode_cli (s_node, balance, sizeof balance, "--json --wallet %s/payee.key balance",
                                    s_node->dir), 0);
    assert_non_null (strstr (balance, "\"balance\":1500000000,"));
}

//  A stuck payment, bumped: the replacement evicts it (counted as
//  replaced) and confirms; history says which is which
static void
test_bumpfee (void **state)
{
    (void) state;
    char out [4096], args [512];
    zc_hash_t stuck = s_pay ("3 --fee-rate 1000");
    double replaced = testnode_metric (s_node, "zchain_mempool_removed_total{reason=\"replaced\"}");
    char hex [65];
    snprintf (args, sizeof args, "bumpfee %s", zc_hash_hex (&stuck, hex));
    cJSON *bump = s_zc_json (args);
    zc_hash_t bumped;
    assert_int_equal (zc_hash_from_hex (cJSON_GetObjectItem (bump, "txid")->valuestring, &bumped), 0);
    assert_true (s_num (bump, "fee") > s_num (bump, "old_fee"));
    assert_true (s_num (bump, "fee_rate") > 1000);
    cJSON_Delete (bump);
    assert_false (testchain_in_mempool (s_node, &stuck));
    assert_true (testchain_in_mempool (s_node, &bumped));
    //  counted (the sidecar hears of it at the mempool's next metrics push)
    bool counted = false;
    for (int i = 0; i < 200 && !counted; i++) {
        counted = testnode_metric (s_node, "zchain_mempool_removed_total{reason=\"replaced\"}")
               >= fmax (replaced, 0) + 1;
        if (!counted)
            usleep (100000);
    }
    assert_true (counted);
    //  bumping the one replaced is refused with a reason
    assert_int_equal (s_zc (out, sizeof out, args), 1);
    assert_true (s_cli_err_says ("not in the node"));
    s_mine_with (&bumped);
    assert_true (testchain_wait_confirmed (s_node, 30, &bumped));
    assert_string_equal (s_history_status (&stuck), "dropped");
    assert_string_equal (s_history_status (&bumped), "confirmed");
}

//  A reorganisation drops a confirmed payment: it shows unconfirmed
//  again, and confirms again on the new branch
static void
test_reorg_follows (void **state)
{
    (void) state;
    zc_hash_t pay = s_pay ("4");
    zc_hash_t fork = s_tip;
    uint32_t fork_height = s_height, fork_time = s_time;
    s_mine_with (&pay);
    assert_true (testchain_wait_confirmed (s_node, 30, &pay));
    assert_string_equal (s_history_status (&pay), "confirmed");
    //  a heavier branch without it
    testchain_mined_t b1 = testchain_mine_on (s_node, s_params, s_miner, &fork, fork_height + 1, fork_time,
                                              NULL, 0, 0, s_extranonce++);
    testchain_mined_t b2 = testchain_mine_on (s_node, s_params, s_miner, &b1.hash, fork_height + 2, b1.time,
                                              NULL, 0, 0, s_extranonce++);
    s_record (&b2);
    s_sync ();
    bool back = false;
    for (int i = 0; i < 100 && !back; i++) {
        back = testchain_in_mempool (s_node, &pay);
        if (!back)
            usleep (50000);
    }
    assert_true (back);
    assert_string_equal (s_history_status (&pay), "unconfirmed");
    s_mine_with (&pay);
    assert_true (testchain_wait_confirmed (s_node, 30, &pay));
    assert_string_equal (s_history_status (&pay), "confirmed");
}

//  The wallet file lost: restored from the phrase into a new place, it
//  finds every coin and gives the same address; a new passphrase replaces
//  the old
static void
test_restore_and_passphrase (void **state)
{
    (void) state;
    char out [4096], addr [128], restored_addr [128], dir [256], restored [300], phrase [300];
    uint64_t before = s_confirmed_balance ();
    assert_true (before > 0);
    assert_int_equal (testnode_cli (s_node, addr, sizeof addr, "--wallet %s wallet address", s_wallet), 0);
    snprintf (dir, sizeof dir, "%s/elsewhere", s_node->dir);
    mkdir (dir, 0700);
    snprintf (restored, sizeof restored, "%s/restored.wallet", dir);
    snprintf (phrase, sizeof phrase, "%s/phrase", s_node->dir);
    assert_int_equal (testnode_cli (s_node, restored_addr, sizeof restored_addr,
                                    "--wallet %s wallet restore --phrase-file %s --no-passphrase",
                                    restored, phrase), 0);
    assert_string_equal (restored_addr, addr);
    //  restored without asking the node, it knows no used address; a
    //  rescan finds them
    char unscanned [300], after_scan [128];
    snprintf (unscanned, sizeof unscanned, "%s/unscanned.wallet", dir);
    assert_int_equal (testnode_cli (s_node, NULL, 0, "--wallet %s wallet restore --phrase-file %s "
                                    "--no-passphrase --no-scan", unscanned, phrase), 0);
    assert_int_equal (testnode_cli (s_node, NULL, 0, "--wallet %s wallet rescan", unscanned), 0);
    assert_int_equal (testnode_cli (s_node, after_scan, sizeof after_scan, "--wallet %s wallet address",
                                    unscanned), 0);
    assert_string_equal (after_scan, addr);
    char balance [512];
    assert_int_equal (testnode_cli (s_node, balance, sizeof balance, "--json --wallet %s balance", restored), 0);
    cJSON *b = cJSON_Parse (balance);
    assert_non_null (b);
    assert_int_equal ((uint64_t) s_num (b, "confirmed"), before);
    cJSON_Delete (b);
    //  the same next address, too
    char next_a [128], next_b [128];
    assert_int_equal (testnode_cli (s_node, next_a, sizeof next_a, "--wallet %s wallet address --new", s_wallet), 0);
    assert_int_equal (testnode_cli (s_node, next_b, sizeof next_b, "--wallet %s wallet address --new", restored), 0);
    assert_string_equal (next_a, next_b);

    //  a new passphrase: the old one no longer opens the wallet
    char fresh [300], args [512];
    snprintf (fresh, sizeof fresh, "%s/pass2", s_node->dir);
    s_write (fresh, "a new passphrase\n");
    snprintf (args, sizeof args, "wallet passphrase --new-passphrase-file %s", fresh);
    assert_int_equal (s_zc (out, sizeof out, args), 0);
    next_a [strcspn (next_a, "\n")] = 0;
    snprintf (args, sizeof args, "send %s 1 --dry-run", next_a);
    assert_int_equal (s_zc (out, sizeof out, args), 1);
    assert_true (s_cli_err_says ("wrong passphrase"));
    snprintf (s_pass, sizeof s_pass, "%s", fresh);
    assert_int_equal (s_zc (out, sizeof out, args), 0);
}

//  A child paying a high fee pulls its low-fee parent into the block
//  before transactions that pay more than the parent alone
static void
test_child_pays_for_parent (void **state)
{
    (void) state;
    testchain_coin_t coins [4];
    assert_int_equal (testchain_coins (s_node, s_params, coins, 4), 4);
    testchain_coin_t *out;
    zc_tx_t *parent = testchain_split (s_params, &coins [0], 1, 200, &out);      //  about 1,000 per 1,000 bytes
    zc_tx_t *child = testchain_pay (s_params, &out [0], 8000);                   //  about 40,000
    zc_tx_t *others [3];
    for (int i = 0; i < 3; i++)
        others [i] = testchain_pay (s_params, &coins [1 + i], 2000);             //  about 10,000
    zc_tx_t *all [5] = { parent, others [0], others [1], others [2], child };
    zc_err_t reasons [5];
    assert_int_equal (testchain_submit_txs (s_node->client, all, 5, reasons, 30000), ZC_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal (reasons [i], ZC_OK);
    //  room for two: the package (parent, child) goes first, parent first
    uint32_t room = 1000 + parent->size + child->size;
    Zc__TemplateReply *t = testchain_template_with (s_node, room, &child->txid);
    assert_int_equal (t->n_txs, 2);
    zc_tx_t *first, *second;
    assert_int_equal (zc_tx_decode (t->txs [0].data, t->txs [0].len, &first), ZC_OK);
    assert_int_equal (zc_tx_decode (t->txs [1].data, t->txs [1].len, &second), ZC_OK);
    assert_true (zc_hash_eq (&first->txid, &parent->txid));
    assert_true (zc_hash_eq (&second->txid, &child->txid));
    zc_tx_destroy (&first);
    zc_tx_destroy (&second);
    zc__template_reply__free_unpacked (t, NULL);
    //  and the next block has the parent
    s_mine_with (&child->txid);
    assert_true (testchain_wait_confirmed (s_node, 30, &parent->txid));
    free (out);
    for (int i = 0; i < 5; i++)
        zc_tx_destroy (&all [i]);
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    s_node = testnode_start (NULL, "--miners 0 --validators 1");
    if (!s_node)
        return -1;
    char path [256], err [256];
    snprintf (path, sizeof path, "%s/wallet.key", s_node->dir);
    zc_wallet_t *keys = zc_wallet_load (path, err, sizeof err);
    if (!keys)
        return -1;
    memcpy (s_miner, zc_wallet_pubkey (keys, 0), 32);
    zc_wallet_destroy (&keys);
    Zc__GetTip req = ZC__GET_TIP__INIT;
    size_t size;
    const uint8_t *body = testnode_call (s_node, ZC__MSG_TYPE__GET_TIP, &req.base, &size, NULL);
    Zc__TipReply *tip = body ? zc__tip_reply__unpack (NULL, size, body) : NULL;
    if (!tip)
        return -1;
    memcpy (s_tip.b, tip->hash.data, 32);
    s_height = tip->height;
    s_time = s_params->genesis_time;
    zc__tip_reply__free_unpacked (tip, NULL);
    //  coins of the key file, mature with margin
    s_mine_empty ((int) s_params->coinbase_maturity + 8);
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
        cmocka_unit_test (test_new_wallet_sealed),
        cmocka_unit_test (test_ten_payments),
        cmocka_unit_test (test_bumpfee),
        cmocka_unit_test (test_reorg_follows),
        cmocka_unit_test (test_restore_and_passphrase),
        cmocka_unit_test (test_child_pays_for_parent),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
