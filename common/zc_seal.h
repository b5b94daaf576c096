/*  zc_seal.h - secrets sealed under a passphrase (libsodium)
 *
 *  The key comes from the passphrase by Argon2id (crypto_pwhash, a fresh
 *  16-byte salt each time); the secret is encrypted and authenticated by
 *  XChaCha20-Poly1305 (a fresh 24-byte nonce each time), over associated
 *  data the caller names (what the secret belongs to), so a sealed blob
 *  cannot be moved to another context unnoticed. A wrong passphrase and
 *  a tampered blob fail alike: the tag does not verify. The derived key
 *  is wiped before returning.
 */
#ifndef ZC_SEAL_H_INCLUDED
#define ZC_SEAL_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define ZC_SEAL_SALT_SIZE 16
#define ZC_SEAL_NONCE_SIZE 24
#define ZC_SEAL_TAG_SIZE 16

//  Argon2id costs: 3 passes over 64 MiB (about 0.2 s here), libsodium's
//  "moderate" time with its "interactive" memory
#define ZC_SEAL_OPS_DEFAULT 3
#define ZC_SEAL_MEM_DEFAULT (64u << 20)
//  the most a file may ask for (a hostile file must not cost 4 GiB)
#define ZC_SEAL_OPS_MAX 32
#define ZC_SEAL_MEM_MAX (1024u << 20)

typedef struct {
    uint8_t salt [ZC_SEAL_SALT_SIZE];
    uint8_t nonce [ZC_SEAL_NONCE_SIZE];
    uint64_t ops;
    uint64_t mem;                       //  bytes
} zc_seal_params_t;

//  Seal size bytes of plain under passphrase: fills params (fresh salt and
//  nonce, costs ops and mem; 0 for the defaults) and out with size +
//  ZC_SEAL_TAG_SIZE bytes. 0, or -1 (no randomness, no memory, costs out
//  of range).
int
    zc_seal (const char *passphrase, const uint8_t *plain, size_t size, const char *ad,
             uint64_t ops, uint64_t mem, zc_seal_params_t *params, uint8_t *out);

//  Open what zc_seal made: plain gets sealed_size - ZC_SEAL_TAG_SIZE bytes.
//  0, or -1 when the passphrase is wrong, the blob or ad was changed, or
//  params are out of range (plain is then zeroed).
int
    zc_unseal (const char *passphrase, const uint8_t *sealed, size_t sealed_size, const char *ad,
               const zc_seal_params_t *params, uint8_t *plain);

#endif
