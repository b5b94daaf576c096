/*  zc_bip32.c - BIP32 private derivation, xprv/xpub serialisation, BIP86 tweaks */
#include "zc_bip32.h"
#include "zc_hash.h"
#include "zc_key.h"

#include <assert.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <stdbool.h>
#include <string.h>

#define ZC_BIP32_PAYLOAD 78         //  version, depth, fingerprint, child, chain, key

//  Wipe in a way the compiler may not remove as a dead store
static void
s_wipe (void *p, size_t size)
{
    explicit_bzero (p, size);
}

//  zc_key's shared context
static const secp256k1_context *
s_context (void)
{
    return zc_key_context ();
}

static void
s_put_be32 (uint8_t *p, uint32_t value)
{
    p [0] = (uint8_t) (value >> 24);
    p [1] = (uint8_t) (value >> 16);
    p [2] = (uint8_t) (value >> 8);
    p [3] = (uint8_t) value;
}

//  out = HMAC-SHA512 (key, data). 0 or -1.
static int
s_hmac_sha512 (const void *key, size_t key_size, const uint8_t *data, size_t size,
               uint8_t out [64])
{
    unsigned int out_size = 0;
    return HMAC (EVP_sha512 (), key, (int) key_size, data, size, out, &out_size)
        && out_size == 64 ? 0 : -1;
}

//  out = RIPEMD160 (SHA256 (data)): a key's identifier, whose first four
//  bytes are the fingerprint its children record. RIPEMD160 is in
//  OpenSSL 3's default provider from 3.0.7 on (earlier, only in legacy).
static int
s_hash160 (const uint8_t *data, size_t size, uint8_t out [20])
{
    uint8_t sha [32];
    unsigned int out_size = 0;
    zc_sha256 (data, size, sha);
    int ok = EVP_Digest (sha, sizeof sha, out, &out_size, EVP_ripemd160 (), NULL) == 1
          && out_size == 20;
    return ok ? 0 : -1;
}

//  The compressed public key of a secret. 0 or -1.
static int
s_pubkey (const secp256k1_context *ctx, const uint8_t key [32], uint8_t out [33])
{
    secp256k1_pubkey point;
    size_t size = 33;
    return ctx && secp256k1_ec_pubkey_create (ctx, &point, key)
        && secp256k1_ec_pubkey_serialize (ctx, out, &size, &point, SECP256K1_EC_COMPRESSED)
        && size == 33 ? 0 : -1;
}

//  t = tagged_hash ("TapTweak", x): BIP341's tweak with no script tree
static void
s_taptweak (const uint8_t x [32], uint8_t t [32])
{
    zc_sha256_t sha;
    zc_sha256_tagged_init (&sha, "TapTweak");
    zc_sha256_update (&sha, x, 32);
    zc_sha256_final (&sha, t);
    s_wipe (&sha, sizeof sha);
}

//  Base58 of data (leading zero bytes as '1') into out. 0, or -1 ("")
//  when it does not fit.
static int
s_base58 (const uint8_t *data, size_t size, char *out, size_t out_size)
{
    static const char alphabet [] =
        "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    assert (size <= ZC_BIP32_PAYLOAD + 4);
    //  digits, most significant first: log(256)/log(58) < 1.38 a byte
    uint8_t digits [(ZC_BIP32_PAYLOAD + 4) * 138 / 100 + 1] = { 0 };
    size_t capacity = size * 138 / 100 + 1;
    size_t zeros = 0, length = 0;
    while (zeros < size && data [zeros] == 0)
        zeros++;
    for (size_t i = zeros; i < size; i++) {
        unsigned carry = data [i];
        size_t j = 0;
        for (size_t k = capacity; k-- > 0 && (carry || j < length); j++) {
            carry += 256u * digits [k];
            digits [k] = (uint8_t) (carry % 58);
            carry /= 58;
        }
        length = j;
    }
    size_t first = capacity - length;
    int rc = -1;
    if (zeros + length + 1 <= out_size) {
        memset (out, '1', zeros);
        for (size_t k = 0; k < length; k++)
            out [zeros + k] = alphabet [digits [first + k]];
        out [zeros + length] = 0;
        rc = 0;
    }
    else if (out_size > 0)
        out [0] = 0;
    s_wipe (digits, sizeof digits);
    return rc;
}

//  xprv's serialisation, with the secret key when private
static int
s_encode (const zc_xprv_t *xprv, uint32_t version, bool private, char *out, size_t out_size)
{
    assert (xprv);
    assert (out || out_size == 0);
    const secp256k1_context *ctx = s_context ();
    uint8_t payload [ZC_BIP32_PAYLOAD + 4], hash [32];
    s_put_be32 (payload, version);
    payload [4] = xprv->depth;
    memcpy (payload + 5, xprv->parent_fp, 4);
    s_put_be32 (payload + 9, xprv->child);
    memcpy (payload + 13, xprv->chain, 32);
    int ok;
    if (private) {
        payload [45] = 0;
        memcpy (payload + 46, xprv->key, 32);
        ok = ctx && secp256k1_ec_seckey_verify (ctx, xprv->key);
    }
    else
        ok = s_pubkey (ctx, xprv->key, payload + 45) == 0;
    zc_sha256d (payload, ZC_BIP32_PAYLOAD, hash);
    memcpy (payload + ZC_BIP32_PAYLOAD, hash, 4);
    int rc = ok ? s_base58 (payload, sizeof payload, out, out_size) : -1;
    if (rc && out_size > 0)
        out [0] = 0;
    s_wipe (payload, sizeof payload);
    s_wipe (hash, sizeof hash);
    return rc;
}

int
zc_bip32_master (const uint8_t *seed, size_t size, zc_xprv_t *out)
{
    assert (out);
    const secp256k1_context *ctx = s_context ();
    uint8_t I [64];
    int ok = ctx && seed && size >= 16 && size <= 64
          && s_hmac_sha512 ("Bitcoin seed", 12, seed, size, I) == 0
          && secp256k1_ec_seckey_verify (ctx, I);
    zc_bip32_wipe (out);
    if (ok) {
        memcpy (out->key, I, 32);
        memcpy (out->chain, I + 32, 32);
    }
    s_wipe (I, sizeof I);
    return ok ? 0 : -1;
}

int
zc_bip32_child (const zc_xprv_t *parent, uint32_t index, zc_xprv_t *out)
{
    assert (parent && out);
    const secp256k1_context *ctx = s_context ();
    uint8_t pubkey [33], data [37], I [64], id [20];
    zc_xprv_t child;
    //  the parent's public key: the fingerprint, and the non-hardened data
    int ok = parent->depth < 255 && s_pubkey (ctx, parent->key, pubkey) == 0
          && s_hash160 (pubkey, sizeof pubkey, id) == 0;
    if (ok) {
        if (index & ZC_BIP32_HARDENED) {
            data [0] = 0;
            memcpy (data + 1, parent->key, 32);
        }
        else
            memcpy (data, pubkey, 33);
        s_put_be32 (data + 33, index);
        ok = s_hmac_sha512 (parent->chain, 32, data, sizeof data, I) == 0;
    }
    if (ok) {
        //  k_i = I_L + k_par mod n; invalid when I_L >= n or k_i = 0
        memcpy (child.key, parent->key, 32);
        ok = secp256k1_ec_seckey_tweak_add (ctx, child.key, I);
    }
    if (ok) {
        memcpy (child.chain, I + 32, 32);
        child.depth = (uint8_t) (parent->depth + 1);
        child.child = index;
        memcpy (child.parent_fp, id, 4);
        *out = child;
    }
    else if (out != parent)
        zc_bip32_wipe (out);
    zc_bip32_wipe (&child);
    s_wipe (data, sizeof data);
    s_wipe (I, sizeof I);
    return ok ? 0 : -1;
}

int
zc_bip32_parse_path (const char *path, uint32_t *indexes, int max)
{
    assert (indexes || max <= 0);
    if (!path || path [0] != 'm')
        return -1;
    int count = 0;
    for (const char *p = path + 1; *p; ) {
        if (*p++ != '/' || *p < '0' || *p > '9')
            return -1;
        uint64_t value = 0;             //  below 2^31 before each step: no wrap
        while (*p >= '0' && *p <= '9') {
            value = value * 10 + (uint64_t) (*p++ - '0');
            if (value >= ZC_BIP32_HARDENED)
                return -1;
        }
        uint32_t index = (uint32_t) value;
        if (*p == '\'' || *p == 'h' || *p == 'H') {
            index |= ZC_BIP32_HARDENED;
            p++;
        }
        if (count >= max)
            return -1;
        indexes [count++] = index;
    }
    return count;
}

int
zc_bip32_derive (const zc_xprv_t *master, const char *path, zc_xprv_t *out)
{
    assert (master && out);
    uint32_t indexes [ZC_BIP32_PATH_MAX];
    int count = zc_bip32_parse_path (path, indexes, ZC_BIP32_PATH_MAX);
    zc_xprv_t key = *master;
    int ok = count >= 0;
    for (int i = 0; ok && i < count; i++)
        ok = zc_bip32_child (&key, indexes [i], &key) == 0;
    if (ok)
        *out = key;
    else if (out != master)
        zc_bip32_wipe (out);
    zc_bip32_wipe (&key);
    return ok ? 0 : -1;
}

int
zc_bip32_pubkey (const zc_xprv_t *xprv, uint8_t pubkey [33])
{
    assert (xprv && pubkey);
    return s_pubkey (s_context (), xprv->key, pubkey);
}

int
zc_bip32_encode_xprv (const zc_xprv_t *xprv, uint32_t version, char *out, size_t out_size)
{
    return s_encode (xprv, version, true, out, out_size);
}

int
zc_bip32_encode_xpub (const zc_xprv_t *xprv, uint32_t version, char *out, size_t out_size)
{
    return s_encode (xprv, version, false, out, out_size);
}

void
zc_bip32_wipe (zc_xprv_t *xprv)
{
    s_wipe (xprv, sizeof *xprv);
}

int
zc_bip86_output_key (const uint8_t internal [32], uint8_t output [32])
{
    assert (internal && output);
    const secp256k1_context *ctx = s_context ();
    secp256k1_xonly_pubkey p, q_xonly;
    secp256k1_pubkey q;
    uint8_t t [32];
    s_taptweak (internal, t);
    int ok = ctx && secp256k1_xonly_pubkey_parse (ctx, &p, internal)
          && secp256k1_xonly_pubkey_tweak_add (ctx, &q, &p, t)
          && secp256k1_xonly_pubkey_from_pubkey (ctx, &q_xonly, NULL, &q)
          && secp256k1_xonly_pubkey_serialize (ctx, output, &q_xonly);
    if (!ok)
        memset (output, 0, 32);
    s_wipe (t, sizeof t);
    return ok ? 0 : -1;
}

int
zc_bip86_seckey (const uint8_t secret [32], uint8_t tweaked [32])
{
    assert (secret && tweaked);
    const secp256k1_context *ctx = s_context ();
    secp256k1_keypair keypair;
    secp256k1_xonly_pubkey p;
    uint8_t px [32], t [32];
    int ok = ctx && secp256k1_keypair_create (ctx, &keypair, secret)
          && secp256k1_keypair_xonly_pub (ctx, &p, NULL, &keypair)
          && secp256k1_xonly_pubkey_serialize (ctx, px, &p);
    if (ok) {
        s_taptweak (px, t);
        //  negates the secret first when its point has an odd y (BIP341)
        ok = secp256k1_keypair_xonly_tweak_add (ctx, &keypair, t)
          && secp256k1_keypair_sec (ctx, tweaked, &keypair);
        s_wipe (t, sizeof t);
    }
    if (!ok)
        s_wipe (tweaked, 32);
    s_wipe (&keypair, sizeof keypair);
    return ok ? 0 : -1;
}
