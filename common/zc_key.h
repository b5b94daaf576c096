/*  zc_key.h - BIP340 Schnorr keys and signatures over libsecp256k1
 *
 *  One randomised secp256k1 context per process, created on first use
 *  (thread-safe) and shared by every thread: signing and verification only
 *  read it. Secret keys live in zc_seckey_t and are wiped by
 *  zc_seckey_wipe; every function here wipes its own copies.
 */
#ifndef ZC_KEY_H_INCLUDED
#define ZC_KEY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_PUBKEY_SIZE 32           //  x-only public key
#define ZC_SECKEY_SIZE 32
#define ZC_SIG_SIZE 64

typedef struct {
    uint8_t b [ZC_SECKEY_SIZE];
} zc_seckey_t;

//  Fill out with size bytes from the system's randomness (getrandom).
//  0, or -1 when there is none.
int
    zc_random_bytes (void *out, size_t size);

//  Fill key with a fresh random secret key (getrandom). 0, or -1 if the
//  system has no randomness.
int
    zc_seckey_generate (zc_seckey_t *key);

//  True when the 32 bytes are a valid secret key (0 < k < n).
bool
    zc_seckey_is_valid (const zc_seckey_t *key);

//  Derive the x-only public key. 0, or -1 if the key is invalid.
int
    zc_seckey_pubkey (const zc_seckey_t *key, uint8_t pubkey [ZC_PUBKEY_SIZE]);

//  Overwrite the secret with zeros in a way the compiler cannot drop.
void
    zc_seckey_wipe (zc_seckey_t *key);

//  BIP340 sign a 32-byte message with fresh auxiliary randomness.
//  0, or -1 if the key is invalid.
int
    zc_sign (const zc_seckey_t *key, const uint8_t msg [32], uint8_t sig [ZC_SIG_SIZE]);

//  BIP340 sign with the caller's 32 bytes of auxiliary randomness (NULL for
//  none): deterministic, for the test vectors.
int
    zc_sign_aux (const zc_seckey_t *key, const uint8_t msg [32], const uint8_t *aux32,
                 uint8_t sig [ZC_SIG_SIZE]);

//  True when pubkey parses as an x-only point and sig is its BIP340
//  signature of the 32-byte msg.
bool
    zc_verify (const uint8_t pubkey [ZC_PUBKEY_SIZE], const uint8_t msg [32],
               const uint8_t sig [ZC_SIG_SIZE]);

//  Same for a message of any length (the BIP340 vectors have some).
bool
    zc_verify_msg (const uint8_t pubkey [ZC_PUBKEY_SIZE], const uint8_t *msg, size_t size,
                   const uint8_t sig [ZC_SIG_SIZE]);

//  True when the 32 bytes are the x coordinate of a curve point.
bool
    zc_pubkey_is_valid (const uint8_t pubkey [ZC_PUBKEY_SIZE]);

//  The process's one randomised libsecp256k1 context, for the other key
//  arithmetic in common/ (zc_bip32); NULL when there is no randomness.
//  Borrowed, read-only, shared by every thread.
struct secp256k1_context_struct;
const struct secp256k1_context_struct *
    zc_key_context (void);

#endif
