/*  zc_wallet.h - a wallet file: keys, the phrase they come from, its payments
 *
 *  Two formats, both loaded by zc_wallet_load:
 *
 *  Format 1, a key file (the miner's, the load generator's; text, one key
 *  a line, appended to, never rewritten):
 *
 *      zchain-wallet 1
 *      <64 hex secret key> <unix time created>
 *
 *  Format 2, a deterministic wallet (JSON, rewritten whole through a
 *  temporary file and rename, so a crash leaves the old file or the new):
 *
 *      { "zchain_wallet": 2, "network": "regtest", "account": "m/86'/1'/0'",
 *        "created": T, "encryption": { "kdf": "argon2id", "ops", "mem",
 *        "salt", "aead": "xchacha20poly1305", "nonce" } (absent: none),
 *        "secret": hex, "next": [R, C],
 *        "keys": [ { "pubkey", "chain", "index", "created" } ... ],
 *        "txs": [ { "txid", "raw", "time", "fee" } ... ] }
 *
 *  Its secret is a BIP39 phrase (line 1) and any imported secret keys
 *  (one hex key a line), sealed by zc_seal under the passphrase with the
 *  network and account as associated data, or in clear (hex) when the
 *  wallet has no passphrase. Keys are BIP86: the output key of
 *  m/86'/coin'/0'/chain/index, chain 0 receiving and 1 change; imported
 *  keys have chain -1. The public keys are stored beside the secret, so
 *  balances and addresses need no passphrase; the file keeps
 *  ZC_WALLET_LOOKAHEAD unused keys of each chain ahead of the next one
 *  (derived while unlocked), so new addresses need none either until
 *  they run out.
 *
 *  Every file is created with mode 0600; loading refuses a file that is
 *  not a regular file owned by the current user or that anyone else may
 *  read or write. Secrets are wiped from memory when the wallet is
 *  locked or destroyed.
 */
#ifndef ZC_WALLET_H_INCLUDED
#define ZC_WALLET_H_INCLUDED

#include "zc_hash.h"
#include "zc_key.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_WALLET_MAX_KEYS 10000
#define ZC_WALLET_MAX_TXS 10000
#define ZC_WALLET_LOOKAHEAD 20          //  the gap limit, too
#define ZC_WALLET_CHAIN_RECEIVE 0
#define ZC_WALLET_CHAIN_CHANGE 1
#define ZC_WALLET_CHAIN_IMPORTED (-1)

typedef struct _zc_wallet_t zc_wallet_t;

//  A payment the wallet made (or was told about)
typedef struct {
    zc_hash_t txid;
    uint8_t *raw;                       //  the signed transaction (borrowed)
    size_t size;
    int64_t time;                       //  when it was made
    uint64_t fee;
} zc_wallet_tx_t;

//  Create a format 1 key file at path with one fresh key. NULL and a
//  one-line reason in err when the file exists or cannot be written.
zc_wallet_t *
    zc_wallet_create (const char *path, char *err, size_t err_size);

//  Create a format 2 wallet at path from a BIP39 phrase (checked) for
//  network (a zc_params name) and coin_type, sealed under passphrase, or in
//  clear when passphrase is NULL. Seal costs: 0, 0 for the defaults. The
//  wallet comes back unlocked. NULL and a reason when the phrase is not
//  valid or the file exists or cannot be written.
zc_wallet_t *
    zc_wallet_create_hd (const char *path, const char *phrase, const char *network,
                         uint32_t coin_type, const char *passphrase, uint64_t ops, uint64_t mem,
                         char *err, size_t err_size);

//  Load path (either format); a format 2 wallet with a passphrase comes
//  back locked. NULL and a reason when it is missing, readable by others,
//  not ours, or malformed.
zc_wallet_t *
    zc_wallet_load (const char *path, char *err, size_t err_size);

//  Wipe the secrets and free; safe on NULL.
void
    zc_wallet_destroy (zc_wallet_t **self_p);

//  2 for a deterministic wallet, 1 for a key file.
int
    zc_wallet_format (const zc_wallet_t *self);

//  The network a format 2 wallet is for ("" for a key file).
const char *
    zc_wallet_network (const zc_wallet_t *self);

bool
    zc_wallet_is_encrypted (const zc_wallet_t *self);

//  True while the secrets are not in memory.
bool
    zc_wallet_is_locked (const zc_wallet_t *self);

//  Open the secrets with passphrase and top up the lookahead (the file is
//  rewritten when keys were added). 0, or -1 and "wrong passphrase" (or
//  another reason) in err. A wallet that is not locked: 0.
int
    zc_wallet_unlock (zc_wallet_t *self, const char *passphrase, char *err, size_t err_size);

//  Wipe the secrets from memory (a key file or an unencrypted wallet
//  stays usable: its secrets are read again on the next unlock).
void
    zc_wallet_lock (zc_wallet_t *self);

//  Seal the secrets under a new passphrase (NULL: none) and rewrite the
//  file. Needs the wallet unlocked. 0, or -1 and a reason.
int
    zc_wallet_set_passphrase (zc_wallet_t *self, const char *passphrase, char *err,
                              size_t err_size);

//  The next unused key of chain (receive or change): marks it used, keeps
//  the lookahead full when unlocked, and saves the file. A key file adds a
//  fresh random key instead. Index of the key among zc_wallet_count, or -1
//  and a reason (locked with the lookahead spent, full, cannot write).
int
    zc_wallet_next_key (zc_wallet_t *self, int chain, char *err, size_t err_size);

//  Add a fresh key to a key file (format 1): zc_wallet_next_key.
int
    zc_wallet_add_key (zc_wallet_t *self, char *err, size_t err_size);

//  Mark every key of chain up to index used (restore's scan): the next key
//  becomes index + 1. Needs the wallet unlocked when keys must be derived.
//  0 or -1 and a reason.
int
    zc_wallet_mark_used (zc_wallet_t *self, int chain, uint32_t index, char *err, size_t err_size);

//  Derive keys of chain up to index (restore's scan looks past the
//  lookahead) without marking them used. Needs the wallet unlocked. 0 or -1.
int
    zc_wallet_derive_to (zc_wallet_t *self, int chain, uint32_t index, char *err, size_t err_size);

//  Import a secret key into a format 2 wallet (unlocked); saves. Index of
//  the key, or -1 and a reason. A key it has already: its index.
int
    zc_wallet_import (zc_wallet_t *self, const zc_seckey_t *secret, int64_t created, char *err,
                      size_t err_size);

//  The index of the next key of chain that zc_wallet_next_key would give
//  (format 2).
uint32_t
    zc_wallet_next_index (const zc_wallet_t *self, int chain);

size_t
    zc_wallet_count (const zc_wallet_t *self);

//  Public key i (x-only, 32 bytes; borrowed).
const uint8_t *
    zc_wallet_pubkey (const zc_wallet_t *self, size_t i);

//  Creation time of key i.
int64_t
    zc_wallet_created (const zc_wallet_t *self, size_t i);

//  Chain (receive, change or imported) and index of key i.
int
    zc_wallet_chain (const zc_wallet_t *self, size_t i);
uint32_t
    zc_wallet_index (const zc_wallet_t *self, size_t i);

//  The index of the key with pubkey, or -1.
int
    zc_wallet_find (const zc_wallet_t *self, const uint8_t pubkey [32]);

//  The secret key that owns pubkey, or NULL (also while locked; borrowed;
//  do not copy it around).
const zc_seckey_t *
    zc_wallet_seckey_for (const zc_wallet_t *self, const uint8_t pubkey [32]);

//  Keep a payment (format 2; a key file keeps none and answers 0): the
//  signed transaction, its fee and time; saves the file. The same txid
//  again is a no-op. 0, or -1 and a reason (full, cannot write).
int
    zc_wallet_add_tx (zc_wallet_t *self, const zc_hash_t *txid, const uint8_t *raw, size_t size,
                      uint64_t fee, int64_t time, char *err, size_t err_size);

size_t
    zc_wallet_tx_count (const zc_wallet_t *self);

//  Payment i, oldest first (borrowed), or NULL.
const zc_wallet_tx_t *
    zc_wallet_tx (const zc_wallet_t *self, size_t i);

#endif
