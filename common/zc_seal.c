/*  zc_seal.c - Argon2id and XChaCha20-Poly1305 from libsodium */
#include "zc_seal.h"

#include <sodium.h>
#include <string.h>

#define KEY_SIZE crypto_aead_xchacha20poly1305_ietf_KEYBYTES

static int
s_init (void)
{
    return sodium_init () < 0 ? -1 : 0;
}

static int
s_costs_ok (uint64_t ops, uint64_t mem)
{
    return ops >= crypto_pwhash_OPSLIMIT_MIN && ops <= ZC_SEAL_OPS_MAX
        && mem >= crypto_pwhash_MEMLIMIT_MIN && mem <= ZC_SEAL_MEM_MAX;
}

//  The AEAD key from the passphrase and params
static int
s_derive (const char *passphrase, const zc_seal_params_t *params, uint8_t key [KEY_SIZE])
{
    if (!s_costs_ok (params->ops, params->mem))
        return -1;
    return crypto_pwhash (key, KEY_SIZE, passphrase, strlen (passphrase), params->salt,
                          params->ops, (size_t) params->mem, crypto_pwhash_ALG_ARGON2ID13);
}

int
zc_seal (const char *passphrase, const uint8_t *plain, size_t size, const char *ad,
         uint64_t ops, uint64_t mem, zc_seal_params_t *params, uint8_t *out)
{
    if (s_init ())
        return -1;
    params->ops = ops ? ops : ZC_SEAL_OPS_DEFAULT;
    params->mem = mem ? mem : ZC_SEAL_MEM_DEFAULT;
    randombytes_buf (params->salt, sizeof params->salt);
    randombytes_buf (params->nonce, sizeof params->nonce);
    uint8_t key [KEY_SIZE];
    int rc = s_derive (passphrase, params, key);
    if (rc == 0)
        rc = crypto_aead_xchacha20poly1305_ietf_encrypt (out, NULL, plain, size,
                 (const uint8_t *) ad, strlen (ad), NULL, params->nonce, key);
    sodium_memzero (key, sizeof key);
    return rc ? -1 : 0;
}

int
zc_unseal (const char *passphrase, const uint8_t *sealed, size_t sealed_size, const char *ad,
           const zc_seal_params_t *params, uint8_t *plain)
{
    if (s_init () || sealed_size < ZC_SEAL_TAG_SIZE)
        return -1;
    uint8_t key [KEY_SIZE];
    int rc = s_derive (passphrase, params, key);
    if (rc == 0)
        rc = crypto_aead_xchacha20poly1305_ietf_decrypt (plain, NULL, NULL, sealed, sealed_size,
                 (const uint8_t *) ad, strlen (ad), params->nonce, key);
    sodium_memzero (key, sizeof key);
    if (rc)
        sodium_memzero (plain, sealed_size - ZC_SEAL_TAG_SIZE);
    return rc ? -1 : 0;
}
