/*  test_node_api.c - the HTTP api of a whole node against what the test
 *  made: blocks it mined by hand, a payment it signed, its spend and its
 *  confirmation, and requests that name nothing or nothing valid
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testchain.h"
#include "testnode.h"
#include "zc_bech32.h"
#include "zc_hex.h"
#include "zc_key.h"
#include "zc_params.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "storage.pb-c.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY_MAX (1 << 20)
#define FIRST_BLOCKS 12                 //  block 1's coinbase is mature after them

static testnode_t *s_node;
static const zc_params_t *s_params;
static zc_seckey_t s_key;
static uint8_t s_pub [32];
static char s_address [ZC_ADDRESS_MAX];
static zc_hash_t s_hashes [64];         //  s_hashes [h]: the block the test mined at h
static zc_hash_t s_coinbase [64];       //  ... and its coinbase's txid
static uint64_t s_subsidy [64];
static uint32_t s_height;

static char *
s_hex (const zc_hash_t *hash, char out [65])
{
    zc_hex_encode (hash->b, 32, out);
    return out;
}

//  GET path: the status, the body into a buffer of BODY_MAX (the caller frees)
static int
s_get (const char *path, char **body_p)
{
    char *body = calloc (1, BODY_MAX);
    assert_non_null (body);
    int status = testnode_http (s_node, s_node->http_port, "GET", path, NULL, body, BODY_MAX);
    *body_p = body;
    return status;
}

//  GET path expecting 200 and JSON: the parsed value (the caller deletes)
static cJSON *
s_get_json (const char *path)
{
    char *body;
    int status = s_get (path, &body);
    if (status != 200)
        fail_msg ("GET %s: %d %s", path, status, body);
    cJSON *json = cJSON_Parse (body);
    if (!json)
        fail_msg ("GET %s: not JSON: %s", path, body);
    free (body);
    return json;
}

//  GET path expecting status and a JSON error with its three fields
static void
s_expect_error (const char *path, int status)
{
    char *body;
    int got = s_get (path, &body);
    if (got != status)
        fail_msg ("GET %s: %d, expected %d: %s", path, got, status, body);
    cJSON *json = cJSON_Parse (body);
    assert_non_null (json);
    assert_true (cJSON_IsString (cJSON_GetObjectItem (json, "error")));
    assert_true (cJSON_IsNumber (cJSON_GetObjectItem (json, "code")));
    assert_true (cJSON_IsString (cJSON_GetObjectItem (json, "detail")));
    cJSON_Delete (json);
    free (body);
}

static double
s_num (const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItem (obj, name);
    if (!cJSON_IsNumber (item))
        fail_msg ("no number %s", name);
    return cJSON_GetNumberValue (item);
}

static const char *
s_str (const cJSON *obj, const char *name)
{
    const char *text = cJSON_GetStringValue (cJSON_GetObjectItem (obj, name));
    if (!text)
        fail_msg ("no string %s", name);
    return text;
}

static bool
s_bool (const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItem (obj, name);
    assert_true (cJSON_IsBool (item));
    return cJSON_IsTrue (item);
}

//  Mine a block on the tip holding txs (paying fees), its coinbase to the
//  test's key, and submit it; remembered at its height
static void
s_mine (zc_tx_t **txs, uint32_t n, uint64_t fees)
{
    Zc__GetTip req = ZC__GET_TIP__INIT;
    size_t size;
    zc_err_t reason;
    const uint8_t *body = testnode_call (s_node, ZC__MSG_TYPE__GET_TIP, &req.base, &size, &reason);
    assert_non_null (body);
    Zc__TipReply *tip = zc__tip_reply__unpack (NULL, size, body);
    assert_non_null (tip);
    uint32_t height = tip->height + 1;
    zc_block_t *block = zc_block_new (n + 1);
    s_subsidy [height] = zc_params_subsidy (s_params, height);
    block->tx [0] = zc_coinbase_new (height, (uint64_t) random (), s_subsidy [height] + fees, s_pub);
    for (uint32_t i = 0; i < n; i++)
        block->tx [i + 1] = zc_tx_dup (txs [i]);
    memcpy (block->header.prev.b, tip->hash.data, 32);
    block->header.version = ZC_BLOCK_VERSION;
    uint32_t now = (uint32_t) (zc_now_ms () / 1000);
    block->header.time = now > tip->median_time ? now : tip->median_time + 1;
    block->header.bits = tip->next_bits;
    zc__tip_reply__free_unpacked (tip, NULL);
    zc_block_finalize (block);
    zc_block_solve (block, s_params->pow_limit_bits);
    assert_int_equal (testchain_submit (s_node, block), ZC_OK);
    assert_true (testnode_wait_height (s_node, height, 30));
    s_hashes [height] = block->hash;
    s_coinbase [height] = block->tx [0]->txid;
    s_height = height;
    zc_block_destroy (&block);
}

//  The list of blocks, from the tip and from a height; the bounds
static void
test_blocks (void **state)
{
    (void) state;
    char hex [65];
    cJSON *list = s_get_json ("/api/blocks");
    assert_int_equal (cJSON_GetArraySize (list), 10);
    for (int i = 0; i < 10; i++) {
        cJSON *b = cJSON_GetArrayItem (list, i);
        uint32_t h = s_height - (uint32_t) i;
        assert_int_equal ((uint32_t) s_num (b, "height"), h);
        assert_string_equal (s_str (b, "id"), s_hex (&s_hashes [h], hex));
        assert_string_equal (s_str (b, "previousblockhash"), s_hex (&s_hashes [h - 1], hex));
        assert_int_equal ((int) s_num (b, "tx_count"), 1);
        assert_true (s_num (b, "size") > 80);
        assert_true (s_num (b, "timestamp") > 0);
        assert_true (cJSON_IsNumber (cJSON_GetObjectItem (b, "nonce")));
        assert_true (cJSON_IsNumber (cJSON_GetObjectItem (b, "bits")));
        assert_int_equal (strlen (s_str (b, "merkle_root")), 64);
    }
    cJSON_Delete (list);
    //  from height 3 down to genesis: four
    list = s_get_json ("/api/blocks/3");
    assert_int_equal (cJSON_GetArraySize (list), 4);
    assert_int_equal ((int) s_num (cJSON_GetArrayItem (list, 0), "height"), 3);
    assert_string_equal (s_str (cJSON_GetArrayItem (list, 0), "id"), s_hex (&s_hashes [3], hex));
    assert_int_equal ((int) s_num (cJSON_GetArrayItem (list, 3), "height"), 0);
    cJSON_Delete (list);
    s_expect_error ("/api/blocks/999999", 404);
    s_expect_error ("/api/blocks/-1", 400);
    s_expect_error ("/api/blocks/3x", 400);
    s_expect_error ("/api/blocks/4294967296", 400);
}

//  A block's header, bytes and txids against what the test mined
static void
test_block_views (void **state)
{
    (void) state;
    char hex [65], path [256];
    zc_hash_t *hash = &s_hashes [5];
    snprintf (path, sizeof path, "/api/block/%s/txids", s_hex (hash, hex));
    cJSON *txids = s_get_json (path);
    assert_int_equal (cJSON_GetArraySize (txids), 1);
    assert_string_equal (cJSON_GetStringValue (cJSON_GetArrayItem (txids, 0)),
                         s_hex (&s_coinbase [5], hex));
    cJSON_Delete (txids);

    char *body;
    snprintf (path, sizeof path, "/api/block/%s/raw", s_hex (hash, hex));
    assert_int_equal (s_get (path, &body), 200);
    free (body);
    //  the raw bytes are the block: fetch them over a socket to count them
    Zc__GetBlock req = ZC__GET_BLOCK__INIT;
    req.hash.data = hash->b;
    req.hash.len = 32;
    size_t size;
    zc_err_t reason;
    const uint8_t *reply_body = testnode_call (s_node, ZC__MSG_TYPE__GET_BLOCK, &req.base, &size, &reason);
    assert_non_null (reply_body);
    Zc__BlockReply *reply = zc__block_reply__unpack (NULL, size, reply_body);
    assert_non_null (reply);
    zc_block_t *block;
    assert_int_equal (zc_block_decode (reply->raw.data, reply->raw.len, &block), ZC_OK);
    assert_true (zc_hash_eq (&block->hash, hash));
    uint8_t header [ZC_HEADER_SIZE];
    zc_header_encode (&block->header, header);
    char header_hex [2 * ZC_HEADER_SIZE + 2];
    zc_hex_encode (header, sizeof header, header_hex);
    strcat (header_hex, "\n");
    snprintf (path, sizeof path, "/api/block/%s/header", s_hex (hash, hex));
    assert_int_equal (s_get (path, &body), 200);
    assert_string_equal (body, header_hex);
    free (body);
    //  the block list says the same size as the stored bytes
    snprintf (path, sizeof path, "/api/blocks/5");
    cJSON *list = s_get_json (path);
    assert_int_equal ((size_t) s_num (cJSON_GetArrayItem (list, 0), "size"), reply->raw.len);
    cJSON_Delete (list);
    zc_block_destroy (&block);
    zc__block_reply__free_unpacked (reply, NULL);

    s_expect_error ("/api/block/00000000000000000000000000000000000000000000000000000000000000000/header", 400);
    s_expect_error ("/api/block/0000000000000000000000000000000000000000000000000000000000000000/header", 404);
    s_expect_error ("/api/block/0000000000000000000000000000000000000000000000000000000000000000/raw", 404);
    s_expect_error ("/api/block/zz/txids", 400);
    snprintf (path, sizeof path, "/api/block/%s/nothing", s_hex (hash, hex));
    s_expect_error (path, 404);
}

//  Check a transaction object against the payment the test made
static void
s_check_payment (const cJSON *tx, const zc_tx_t *pay, uint64_t spent_amount, uint64_t fee)
{
    char hex [65];
    assert_string_equal (s_str (tx, "txid"), s_hex (&pay->txid, hex));
    assert_int_equal ((uint64_t) s_num (tx, "fee"), fee);
    assert_int_equal ((uint64_t) s_num (tx, "fee_rate"), fee * 1000 / pay->size);
    const cJSON *vin = cJSON_GetArrayItem (cJSON_GetObjectItem (tx, "vin"), 0);
    assert_string_equal (s_str (vin, "txid"), s_hex (&s_coinbase [1], hex));
    const cJSON *prevout = cJSON_GetObjectItem (vin, "prevout");
    assert_non_null (prevout);
    assert_int_equal ((uint64_t) s_num (prevout, "value"), spent_amount);
    assert_string_equal (s_str (prevout, "address"), s_address);
    const cJSON *vout = cJSON_GetObjectItem (tx, "vout");
    assert_int_equal (cJSON_GetArraySize (vout), 2);
    assert_int_equal ((uint64_t) s_num (cJSON_GetArrayItem (vout, 0), "value"), pay->out [0].amount);
}

//  A payment from block 1's coinbase: seen in the mempool (recent, the
//  histogram, outspend, the address), then confirmed (status, hex,
//  outspend in a block, the address's history newest first and paged)
static void
test_payment (void **state)
{
    (void) state;
    char hex [65], path [256];
    uint64_t amount = s_subsidy [1], fee = 5000;
    zc_outpoint_t op = { s_coinbase [1], 0 };
    zc_coin_t coin = { .amount = amount, .height = 1, .coinbase = true };
    memcpy (coin.pubkey, s_pub, 32);
    zc_tx_t *pay = zc_tx_new (1, 2);
    pay->in [0].prevout = op;
    pay->out [0].amount = amount / 4;
    memcpy (pay->out [0].pubkey, zc_params_nums_key, 32);
    pay->out [1].amount = amount - amount / 4 - fee;
    memcpy (pay->out [1].pubkey, s_pub, 32);
    assert_int_equal (zc_tx_sign (pay, &coin, zc_params_genesis_hash (s_params), &s_key), 0);
    size_t size;
    uint8_t *raw = zc_tx_encode (pay, &size);
    //  the mempool follows the chain's events on its own: until it has seen
    //  the last blocks the coin is immature to it (a bounded wait)
    zc_err_t rc = ZC_ERR_IMMATURE_SPEND;
    for (int tries = 0; tries < 100 && rc == ZC_ERR_IMMATURE_SPEND; tries++)
        if ((rc = testchain_submit_tx (s_node, raw, size)) == ZC_ERR_IMMATURE_SPEND)
            usleep (100000);
    assert_int_equal (rc, ZC_OK);

    //  unconfirmed
    cJSON *recent = s_get_json ("/api/mempool/recent");
    assert_true (cJSON_GetArraySize (recent) >= 1);
    cJSON *r0 = cJSON_GetArrayItem (recent, 0);
    assert_string_equal (s_str (r0, "txid"), s_hex (&pay->txid, hex));
    assert_int_equal ((uint64_t) s_num (r0, "fee"), fee);
    assert_int_equal ((size_t) s_num (r0, "size"), size);
    assert_int_equal ((uint64_t) s_num (r0, "value"), amount - fee);
    cJSON_Delete (recent);
    cJSON *pool = s_get_json ("/api/mempool");
    assert_int_equal ((int) s_num (pool, "count"), 1);
    assert_int_equal ((uint64_t) s_num (pool, "total_fee"), fee);
    cJSON *histogram = cJSON_GetObjectItem (pool, "fee_histogram");
    assert_int_equal (cJSON_GetArraySize (histogram), 1);
    assert_int_equal ((uint64_t) cJSON_GetNumberValue (cJSON_GetArrayItem (cJSON_GetArrayItem (histogram, 0), 0)),
                      fee * 1000 / size);
    assert_int_equal ((size_t) cJSON_GetNumberValue (cJSON_GetArrayItem (cJSON_GetArrayItem (histogram, 0), 1)),
                      size);
    uint64_t min_rate = (uint64_t) s_num (pool, "min_fee_rate");
    cJSON_Delete (pool);
    snprintf (path, sizeof path, "/api/tx/%s", s_hex (&pay->txid, hex));
    cJSON *tx = s_get_json (path);
    s_check_payment (tx, pay, amount, fee);
    assert_false (s_bool (cJSON_GetObjectItem (tx, "status"), "confirmed"));
    cJSON_Delete (tx);
    snprintf (path, sizeof path, "/api/tx/%s/status", s_hex (&pay->txid, hex));
    cJSON *status = s_get_json (path);
    assert_false (s_bool (status, "confirmed"));
    assert_null (cJSON_GetObjectItem (status, "block_hash"));
    cJSON_Delete (status);
    snprintf (path, sizeof path, "/api/tx/%s/outspend/0", s_hex (&s_coinbase [1], hex));
    cJSON *spend = s_get_json (path);
    assert_true (s_bool (spend, "spent"));
    assert_string_equal (s_str (spend, "txid"), s_hex (&pay->txid, hex));
    assert_int_equal ((int) s_num (spend, "vin"), 0);
    assert_false (s_bool (cJSON_GetObjectItem (spend, "status"), "confirmed"));
    cJSON_Delete (spend);
    snprintf (path, sizeof path, "/api/address/%s/txs", s_address);
    cJSON *txs = s_get_json (path);
    assert_string_equal (s_str (cJSON_GetArrayItem (txs, 0), "txid"), s_hex (&pay->txid, hex));
    assert_false (s_bool (cJSON_GetObjectItem (cJSON_GetArrayItem (txs, 0), "status"), "confirmed"));
    cJSON_Delete (txs);
    cJSON *fees = s_get_json ("/api/fee-estimates");
    const char *targets [] = { "1", "3", "6", "12" };
    for (int i = 0; i < 4; i++)
        assert_true ((uint64_t) s_num (fees, targets [i]) >= min_rate);
    cJSON_Delete (fees);

    //  confirmed, as soon as the block is the tip: the mempool is stopped
    //  before the block goes in, so it still holds the payment (the window
    //  between storage's connect and the mempool's hearing of it, held open)
    pid_t mempool = testnode_pid (s_node, "mempool");
    assert_true (mempool > 0);
    assert_int_equal (kill (mempool, SIGSTOP), 0);
    s_mine (&pay, 1, fee);
    uint32_t at = s_height;
    snprintf (path, sizeof path, "/api/tx/%s/status", s_hex (&pay->txid, hex));
    status = s_get_json (path);
    snprintf (path, sizeof path, "/api/tx/%s/outspend/0", s_hex (&s_coinbase [1], hex));
    spend = s_get_json (path);
    assert_int_equal (kill (mempool, SIGCONT), 0);
    assert_true (s_bool (cJSON_GetObjectItem (spend, "status"), "confirmed"));
    cJSON_Delete (spend);
    assert_true (s_bool (status, "confirmed"));
    assert_int_equal ((uint32_t) s_num (status, "block_height"), at);
    assert_string_equal (s_str (status, "block_hash"), s_hex (&s_hashes [at], hex));
    assert_true (s_num (status, "block_time") > 0);
    cJSON_Delete (status);
    snprintf (path, sizeof path, "/api/tx/%s", s_hex (&pay->txid, hex));
    tx = s_get_json (path);
    s_check_payment (tx, pay, amount, fee);             //  prevout from the undo data now
    assert_true (s_bool (cJSON_GetObjectItem (tx, "status"), "confirmed"));
    cJSON_Delete (tx);
    char *body;
    snprintf (path, sizeof path, "/api/tx/%s/hex", s_hex (&pay->txid, hex));
    assert_int_equal (s_get (path, &body), 200);
    char *want = malloc (2 * size + 2);
    zc_hex_encode (raw, size, want);
    strcat (want, "\n");
    assert_string_equal (body, want);
    free (want);
    free (body);
    snprintf (path, sizeof path, "/api/tx/%s/outspend/0", s_hex (&s_coinbase [1], hex));
    spend = s_get_json (path);
    assert_true (s_bool (spend, "spent"));
    assert_string_equal (s_str (spend, "txid"), s_hex (&pay->txid, hex));
    cJSON *st = cJSON_GetObjectItem (spend, "status");
    assert_true (s_bool (st, "confirmed"));
    assert_int_equal ((uint32_t) s_num (st, "block_height"), at);
    cJSON_Delete (spend);
    snprintf (path, sizeof path, "/api/tx/%s/outspend/1", s_hex (&pay->txid, hex));
    spend = s_get_json (path);
    assert_false (s_bool (spend, "spent"));
    cJSON_Delete (spend);
    snprintf (path, sizeof path, "/api/tx/%s/outspend/2", s_hex (&pay->txid, hex));
    s_expect_error (path, 404);
    snprintf (path, sizeof path, "/api/tx/%s/outspend/x", s_hex (&pay->txid, hex));
    s_expect_error (path, 400);

    //  the history: the new block's coinbase and the payment at its height,
    //  then one coinbase a block down to block 1
    snprintf (path, sizeof path, "/api/address/%s/txs", s_address);
    txs = s_get_json (path);
    int n = cJSON_GetArraySize (txs);
    assert_int_equal (n, (int) at + 1);
    double last = 1e12;
    for (int i = 0; i < n; i++) {
        cJSON *row = cJSON_GetArrayItem (txs, i);
        double h = s_num (cJSON_GetObjectItem (row, "status"), "block_height");
        assert_true (h <= last);
        last = h;
    }
    assert_int_equal ((int) s_num (cJSON_GetObjectItem (cJSON_GetArrayItem (txs, 0), "status"),
                                   "block_height"), (int) at);
    //  paging after the 5th row gives the 6th onwards
    char after [65];
    snprintf (after, sizeof after, "%s", s_str (cJSON_GetArrayItem (txs, 4), "txid"));
    snprintf (path, sizeof path, "/api/address/%s/txs/chain/%s", s_address, after);
    cJSON *page = s_get_json (path);
    assert_int_equal (cJSON_GetArraySize (page), n - 5);
    for (int i = 0; i < n - 5; i++)
        assert_string_equal (s_str (cJSON_GetArrayItem (page, i), "txid"),
                             s_str (cJSON_GetArrayItem (txs, i + 5), "txid"));
    cJSON_Delete (page);
    cJSON_Delete (txs);
    fees = s_get_json ("/api/fee-estimates");
    for (int i = 0; i < 4; i++)
        assert_true ((uint64_t) s_num (fees, targets [i]) >= min_rate);
    cJSON_Delete (fees);
    free (raw);
    zc_tx_destroy (&pay);
}

//  Requests that name nothing, or nothing valid: a 4xx JSON error each
static void
test_bad_requests (void **state)
{
    (void) state;
    const char *zero = "0000000000000000000000000000000000000000000000000000000000000000";
    char path [512];
    snprintf (path, sizeof path, "/api/tx/%s/hex", zero);
    s_expect_error (path, 404);
    snprintf (path, sizeof path, "/api/tx/%s/status", zero);
    s_expect_error (path, 404);
    snprintf (path, sizeof path, "/api/tx/%s/outspend/0", zero);
    s_expect_error (path, 404);
    s_expect_error ("/api/tx/1234/hex", 400);
    s_expect_error ("/api/tx/zz/status", 400);
    s_expect_error ("/api/address/notanaddress/txs", 400);
    snprintf (path, sizeof path, "/api/address/%s/txs/chain/nothex", s_address);
    s_expect_error (path, 400);
    snprintf (path, sizeof path, "/api/address/%s/txs/chain/%s", s_address, zero);
    s_expect_error (path, 404);
    s_expect_error ("/api/mempool/everything", 404);
    s_expect_error ("/api/fee-estimates/1", 404);
    char longer [400];
    memset (longer, 'a', 300);
    longer [300] = 0;
    snprintf (path, sizeof path, "/api/address/%s/txs", longer);
    s_expect_error (path, 400);
}

//  The gateway's client-api requests, from the sidecar (-1 when absent)
static double
s_gateway_requests (void)
{
    char *text = calloc (1, BODY_MAX);
    assert_non_null (text);
    double value = -1;
    if (testnode_http (s_node, s_node->metrics_port, "GET", "/metrics", NULL, text, BODY_MAX) == 200)
        for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
            if (!strncmp (line, "zchain_gateway_requests_total{", 30) && strstr (line, "service=\"gateway\""))
                value = strtod (strrchr (line, ' ') + 1, NULL);
    free (text);
    return value;
}

//  One front door: every HTTP request is a request of the gateway's own
//  client api (bounded, counted there), not a side call to storage or the
//  mempool. 30 GETs of /api/tip raise the api's count by at least 30.
static void
test_front_door (void **state)
{
    (void) state;
    double before = -1;
    for (int i = 0; i < 100 && before < 0; i++) {
        before = s_gateway_requests ();
        if (before < 0)
            usleep (100 * 1000);
    }
    assert_true (before >= 0);
    for (int i = 0; i < 30; i++) {
        cJSON *tip = s_get_json ("/api/tip");
        cJSON_Delete (tip);
    }
    //  the sidecar hears each service about once a second: a bound, not a timing
    double after = before;
    for (int i = 0; i < 150 && after < before + 30; i++) {
        usleep (100 * 1000);
        after = s_gateway_requests ();
    }
    if (after < before + 30)
        fail_msg ("the gateway's api counted %.0f requests for 30 HTTP GETs", after - before);
}

//  Address look-ups walk the mempool: with none allowed a second
//  (--address-scans 0) each is answered busy with its reason, and the rest
//  of the api, the fee summary included, answers as before
static void
test_address_scans_bounded (void **state)
{
    (void) state;
    testnode_t *shared = s_node;
    setenv ("ZC_MEMPOOL_ADDRESS_SCANS", "0", 1);
    s_node = testnode_start (NULL, "--miners 0 --validators 1");
    unsetenv ("ZC_MEMPOOL_ADDRESS_SCANS");
    assert_non_null (s_node);
    char path [512];
    snprintf (path, sizeof path, "/api/address/%s/txs", s_address);
    for (int i = 0; i < 3; i++)
        s_expect_error (path, 503);
    char *body;
    assert_int_equal (s_get (path, &body), 503);
    assert_non_null (strstr (body, "address look-ups"));
    free (body);
    cJSON *fees = s_get_json ("/api/fee-estimates");
    cJSON_Delete (fees);
    cJSON *tip = s_get_json ("/api/tip");
    cJSON_Delete (tip);
    testnode_stop (&s_node, false);
    s_node = shared;
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    zc_seckey_generate (&s_key);
    zc_seckey_pubkey (&s_key, s_pub);
    if (zc_address_encode (s_pub, s_params->hrp, s_address))
        return -1;
    s_node = testnode_start (NULL, "--miners 0 --validators 1");
    if (!s_node)
        return -1;
    s_hashes [0] = *zc_params_genesis_hash (s_params);
    for (int i = 0; i < FIRST_BLOCKS; i++)
        s_mine (NULL, 0, 0);
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
    //  in order, over one node: each builds on the blocks before
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_blocks),
        cmocka_unit_test (test_block_views),
        cmocka_unit_test (test_payment),
        cmocka_unit_test (test_bad_requests),
        cmocka_unit_test (test_front_door),
        cmocka_unit_test (test_address_scans_bounded),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
