/*  test_block.c - headers, blocks, merkle roots */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_block.h"
#include "zc_hex.h"
#include "zc_params.h"
#include "zc_pow.h"

#include <stdlib.h>
#include <string.h>

//  Usage: build a block, finalize, encode, decode
static void
test_usage (void **state)
{
    (void) state;
    uint8_t key [32];
    memset (key, 9, sizeof key);
    zc_block_t *block = zc_block_new (3);
    for (uint32_t i = 0; i < 3; i++)
        block->tx [i] = zc_coinbase_new (i, i, 1000, key);    //  shape only
    block->header.time = 1767225601;
    block->header.bits = 0x207fffff;
    memset (block->header.prev.b, 0xee, 32);
    zc_block_finalize (block);

    size_t size;
    uint8_t *raw = zc_block_encode (block, &size);
    assert_int_equal (size, block->size);
    zc_block_t *copy;
    assert_int_equal (zc_block_decode (raw, size, &copy), ZC_OK);
    assert_true (zc_hash_eq (&copy->hash, &block->hash));
    assert_int_equal (copy->n_tx, 3);
    assert_true (zc_hash_eq (&copy->tx [2]->txid, &block->tx [2]->txid));
    zc_hash_t root;
    zc_block_merkle (copy, &root);
    assert_true (zc_hash_eq (&root, &copy->header.merkle));
    free (raw);
    zc_block_destroy (&copy);
    zc_block_destroy (&block);
    zc_block_destroy (&block);
}

static void
test_header_roundtrip (void **state)
{
    (void) state;
    zc_header_t h = { .version = 1, .time = 0x01020304, .bits = 0x1d00ffff, .nonce = 0xdeadbeef };
    memset (h.prev.b, 0xaa, 32);
    memset (h.merkle.b, 0xbb, 32);
    uint8_t raw [80];
    zc_header_encode (&h, raw);
    assert_int_equal (raw [0], 1);
    assert_int_equal (raw [68], 0x04);          //  time little-endian at 68
    assert_int_equal (raw [76], 0xef);          //  nonce at 76
    zc_header_t back;
    assert_int_equal (zc_header_decode (raw, 80, &back), ZC_OK);
    assert_memory_equal (&back, &h, sizeof h);
    assert_int_equal (zc_header_decode (raw, 79, &back), ZC_ERR_MALFORMED);
    assert_int_equal (zc_header_decode (raw, 81, &back), ZC_ERR_MALFORMED);
    zc_hash_t a, b;
    zc_header_hash (&h, &a);
    zc_sha256d (raw, 80, b.b);
    assert_true (zc_hash_eq (&a, &b));
}

//  RFC 6962 Merkle tree hash, written recursively as the RFC states it, to
//  compare with the level-by-level implementation
static void
s_reference_root (const zc_hash_t *leaves, size_t n, zc_hash_t *out)
{
    if (n == 1) {
        uint8_t buf [33] = { 0x00 };
        memcpy (buf + 1, leaves [0].b, 32);
        zc_sha256 (buf, 33, out->b);
        return;
    }
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    zc_hash_t left, right;
    s_reference_root (leaves, k, &left);
    s_reference_root (leaves + k, n - k, &right);
    uint8_t buf [65] = { 0x01 };
    memcpy (buf + 1, left.b, 32);
    memcpy (buf + 33, right.b, 32);
    zc_sha256 (buf, 65, out->b);
}

static void
test_merkle_shapes (void **state)
{
    (void) state;
    zc_hash_t leaves [70], root, expect;
    for (int i = 0; i < 70; i++)
        zc_sha256 (&i, sizeof i, leaves [i].b);

    zc_merkle_root (leaves, 0, &root);
    assert_true (zc_hash_is_zero (&root));

    //  one leaf: the root is the leaf hash, not the wtxid itself
    zc_merkle_root (leaves, 1, &root);
    uint8_t one [33] = { 0x00 };
    memcpy (one + 1, leaves [0].b, 32);
    zc_sha256 (one, 33, expect.b);
    assert_true (zc_hash_eq (&root, &expect));
    assert_false (zc_hash_eq (&root, &leaves [0]));

    //  1, 2, 3 and every count up to 70 (odd and even) match RFC 6962
    for (size_t n = 1; n <= 70; n++) {
        zc_merkle_root (leaves, n, &root);
        s_reference_root (leaves, n, &expect);
        assert_true (zc_hash_eq (&root, &expect));
    }
}

//  CVE-2012-2459: with last-leaf duplication [a b c] and [a b c c] share a
//  root. Here they must not, nor may any list and its duplicated tail.
static void
test_merkle_duplicate_leaf (void **state)
{
    (void) state;
    zc_hash_t leaves [8], r3, r4, r5, r6;
    for (int i = 0; i < 8; i++)
        zc_sha256 (&i, sizeof i, leaves [i].b);
    leaves [3] = leaves [2];
    zc_merkle_root (leaves, 3, &r3);
    zc_merkle_root (leaves, 4, &r4);
    assert_false (zc_hash_eq (&r3, &r4));
    //  [0..5] vs [0..5, 4, 5]: the six-leaf variant of the attack
    leaves [6] = leaves [4];
    leaves [7] = leaves [5];
    zc_merkle_root (leaves, 6, &r5);
    zc_merkle_root (leaves, 8, &r6);
    assert_false (zc_hash_eq (&r5, &r6));

    //  an inner node can never pass for a leaf: a "transaction" equal to
    //  the hash of two leaves gives another root (domain separation)
    zc_hash_t pair [2], inner_as_leaf, root2;
    pair [0] = leaves [0];
    pair [1] = leaves [1];
    zc_merkle_root (pair, 2, &root2);
    inner_as_leaf = root2;
    zc_hash_t single;
    zc_merkle_root (&inner_as_leaf, 1, &single);
    assert_false (zc_hash_eq (&single, &root2));
}

static zc_block_t *
s_sample_block (void)
{
    uint8_t key [32];
    memset (key, 3, sizeof key);
    zc_block_t *block = zc_block_new (2);
    block->tx [0] = zc_coinbase_new (1, 77, 5000000000ULL, key);
    block->tx [1] = zc_coinbase_new (2, 78, 1, key);
    block->header.time = 1767225700;
    block->header.bits = 0x207fffff;
    zc_block_finalize (block);
    return block;
}

static void
test_decode_rejects (void **state)
{
    (void) state;
    zc_block_t *block = s_sample_block ();
    size_t size;
    uint8_t *raw = zc_block_encode (block, &size);
    zc_block_t *out = (zc_block_t *) 1;
    for (size_t cut = 0; cut < size; cut++) {
        assert_int_equal (zc_block_decode (raw, cut, &out), ZC_ERR_MALFORMED);
        assert_null (out);
    }
    uint8_t *longer = calloc (1, size + 1);
    memcpy (longer, raw, size);
    assert_int_equal (zc_block_decode (longer, size + 1, &out), ZC_ERR_MALFORMED);
    free (longer);

    //  a transaction count the bytes cannot hold is refused before allocating
    uint8_t liar [80 + 9];
    memcpy (liar, raw, 80);
    liar [80] = 0xfe;
    liar [81] = liar [82] = liar [83] = 0xff;
    liar [84] = 0x7f;
    assert_int_equal (zc_block_decode (liar, 85, &out), ZC_ERR_MALFORMED);

    uint8_t *big = calloc (1, ZC_BLOCK_MAX_BYTES + 1);
    assert_int_equal (zc_block_decode (big, ZC_BLOCK_MAX_BYTES + 1, &out), ZC_ERR_OVERSIZE);
    free (big);
    assert_int_equal (zc_block_decode (NULL, 0, &out), ZC_ERR_MALFORMED);

    //  flipping any single byte either fails to decode or changes a hash
    for (size_t i = 0; i < size; i++) {
        raw [i] ^= 0x80;
        if (zc_block_decode (raw, size, &out) == ZC_OK) {
            zc_hash_t root;
            zc_block_merkle (out, &root);
            assert_true (!zc_hash_eq (&out->hash, &block->hash)
                         || !zc_hash_eq (&root, &out->header.merkle));
            zc_block_destroy (&out);
        }
        raw [i] ^= 0x80;
    }
    free (raw);
    zc_block_destroy (&block);
}

//  The known-answer block of docs/protocol.md: height 1 on the regtest
//  genesis, a coinbase and the known-answer transaction of test_tx.c
#define KAT_BLOCK_HASH "677f7feb27d052ed2feb532c7579ec22757a516cdac223bb8c3215831cb00ed7"
#define KAT_BLOCK_MERKLE "f7bf25c56866c467897d58c1cd70423e55d4f85bdef2840cf53b766c182afc59"
#define KAT_BLOCK_HEX \
    "0100000052acc5a972f9e60c0fbdbe089e42a02e7e62bfc341af8603b4801cfce2efef49f7bf25c56866c467897d58c1cd70423e55d4f85bdef2840cf53b766c182afc5901b95569ffff7f20000000000201000000010100000000000000000000000000000000000000000000000000000000000000ffffffff0100d3fb2f0100000079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f8179801000000011111111111111111111111111111111111111111111111111111111111111111010000000200f2052a0100000079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798c0878b3b0000000050929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0c16cedbd8f5d84ef443d9d7d28dd6e2d9ccfe030c9a1d0ca33c66ec65cb355f8efb26b0d4e4d309f0e9e7b368d8eb184dbd363ac1d879703ef022a8f9bd94aba"

static void
test_known_answer (void **state)
{
    (void) state;
    size_t size;
    uint8_t *raw = zc_hex_decode_alloc (KAT_BLOCK_HEX, 4096, &size);
    assert_non_null (raw);
    zc_block_t *block;
    assert_int_equal (zc_block_decode (raw, size, &block), ZC_OK);
    char hex [65];
    assert_string_equal (zc_hash_hex (&block->hash, hex), KAT_BLOCK_HASH);
    zc_hash_t root;
    zc_block_merkle (block, &root);
    assert_string_equal (zc_hash_hex (&root, hex), KAT_BLOCK_MERKLE);
    assert_true (zc_hash_eq (&block->header.prev, zc_params_genesis_hash (zc_params_get (ZC_NET_REGTEST))));
    assert_int_equal (block->n_tx, 2);
    assert_int_equal (zc_coinbase_height (block->tx [0]), 1);
    //  building the same block from its parts gives the same bytes
    uint8_t key [32];
    assert_int_equal (zc_hex_decode ("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", key, 32), 0);
    zc_block_t *built = zc_block_new (2);
    built->tx [0] = zc_coinbase_new (1, 0, 5100000000ULL, key);
    built->tx [1] = zc_tx_dup (block->tx [1]);
    built->header = block->header;
    zc_block_finalize (built);
    size_t built_size;
    uint8_t *again = zc_block_encode (built, &built_size);
    assert_int_equal (built_size, size);
    assert_memory_equal (again, raw, size);
    free (again);
    free (raw);
    zc_block_destroy (&built);
    zc_block_destroy (&block);
}

//  Each transaction's bytes sliced out of the block's (zc_block_tx_offsets)
//  are its own encoding: for a block of 300 transactions of every shape (a
//  coinbase, 1 to 4 inputs, 1 to 3 outputs: the count is a 3-byte varint),
//  as decoded and as finalized, and the spans end where the block does
static void
test_tx_offsets (void **state)
{
    (void) state;
    const uint32_t n_tx = 300;
    uint8_t key [32];
    memset (key, 7, sizeof key);
    zc_block_t *block = zc_block_new (n_tx);
    block->tx [0] = zc_coinbase_new (5, 99, 5000000000ULL, key);
    for (uint32_t t = 1; t < n_tx; t++) {
        zc_tx_t *tx = zc_tx_new (1 + t % 4, 1 + t % 3);
        for (uint32_t i = 0; i < tx->n_in; i++) {
            memset (tx->in [i].prevout.txid.b, (int) (t + i), 32);
            tx->in [i].prevout.index = t * 10 + i;
            memset (tx->in [i].sig, (int) (t ^ i), ZC_SIG_SIZE);
        }
        for (uint32_t o = 0; o < tx->n_out; o++) {
            tx->out [o].amount = (uint64_t) t * 1000 + o;
            memset (tx->out [o].pubkey, (int) (t + o + 1), 32);
        }
        zc_tx_finalize (tx);
        block->tx [t] = tx;
    }
    block->header.time = 1767225601;
    block->header.bits = 0x207fffff;
    zc_block_finalize (block);
    size_t size;
    uint8_t *raw = zc_block_encode (block, &size);
    assert_non_null (raw);
    zc_block_t *decoded;
    assert_int_equal (zc_block_decode (raw, size, &decoded), ZC_OK);

    size_t *offsets = calloc (n_tx, sizeof *offsets);
    size_t *built = calloc (n_tx, sizeof *built);
    assert_int_equal (zc_block_tx_offsets (decoded, offsets), size);
    assert_int_equal (zc_block_tx_offsets (block, built), size);
    assert_memory_equal (offsets, built, n_tx * sizeof *offsets);
    assert_int_equal (offsets [0], ZC_HEADER_SIZE + 3);
    for (uint32_t t = 0; t < n_tx; t++) {
        size_t tx_size;
        uint8_t *own = zc_tx_encode (block->tx [t], &tx_size);
        assert_int_equal (tx_size, decoded->tx [t]->size);
        assert_memory_equal (raw + offsets [t], own, tx_size);
        //  and the slice decodes to the same transaction
        zc_tx_t *back;
        assert_int_equal (zc_tx_decode (raw + offsets [t], decoded->tx [t]->size, &back), ZC_OK);
        assert_true (zc_hash_eq (&back->wtxid, &block->tx [t]->wtxid));
        zc_tx_destroy (&back);
        free (own);
    }
    free (offsets);
    free (built);
    free (raw);
    zc_block_destroy (&decoded);
    zc_block_destroy (&block);
}

//  zc_block_solve finds a nonce whose hash meets the bits, and the block's
//  hash is that of its header; a header edited after finalize is solved
//  from its new contents
static void
test_solve (void **state)
{
    (void) state;
    const zc_params_t *params = zc_params_by_name ("regtest");
    zc_block_t *block = zc_params_genesis (params);
    assert_non_null (block);
    for (int i = 0; i < 20; i++) {
        block->header.time++;
        block->header.merkle.b [0] ^= (uint8_t) i;
        zc_block_solve (block, params->pow_limit_bits);
        assert_true (zc_pow_check (&block->hash, block->header.bits, params->pow_limit_bits));
        zc_hash_t again;
        zc_header_hash (&block->header, &again);
        assert_memory_equal (again.b, block->hash.b, 32);
    }
    zc_block_destroy (&block);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_header_roundtrip),
        cmocka_unit_test (test_merkle_shapes),
        cmocka_unit_test (test_merkle_duplicate_leaf),
        cmocka_unit_test (test_decode_rejects),
        cmocka_unit_test (test_known_answer),
        cmocka_unit_test (test_tx_offsets),
        cmocka_unit_test (test_solve),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
