/*  zc_wallet.h - a key file: secret keys readable only by their owner
 *
 *  File format, text, one key a line:
 *
 *      zchain-wallet 1
 *      <64 hex secret key> <unix time created>
 *
 *  The file is created with mode 0600 and never overwritten
 *  (O_EXCL); loading refuses a file that is not a regular file owned by
 *  the current user or that anyone else may read or write. The secrets
 *  are wiped from memory when the wallet is destroyed.
 */
#ifndef ZC_WALLET_H_INCLUDED
#define ZC_WALLET_H_INCLUDED

#include "zc_key.h"

#include <stddef.h>
#include <stdint.h>

#define ZC_WALLET_MAX_KEYS 10000

typedef struct _zc_wallet_t zc_wallet_t;

//  Create path with one fresh key. NULL and a one-line reason in err when
//  the file exists or cannot be written.
zc_wallet_t *
    zc_wallet_create (const char *path, char *err, size_t err_size);

//  Load path. NULL and a reason when it is missing, readable by others,
//  not ours, or malformed.
zc_wallet_t *
    zc_wallet_load (const char *path, char *err, size_t err_size);

//  Wipe the secrets and free; safe on NULL.
void
    zc_wallet_destroy (zc_wallet_t **self_p);

//  Add a fresh key and append it to the file (fsynced). Index of the new
//  key, or -1 with a reason.
int
    zc_wallet_add_key (zc_wallet_t *self, char *err, size_t err_size);

size_t
    zc_wallet_count (const zc_wallet_t *self);

//  Public key i (x-only, 32 bytes; borrowed).
const uint8_t *
    zc_wallet_pubkey (const zc_wallet_t *self, size_t i);

//  Creation time of key i.
int64_t
    zc_wallet_created (const zc_wallet_t *self, size_t i);

//  The secret key that owns pubkey, or NULL (borrowed; do not copy it
//  around).
const zc_seckey_t *
    zc_wallet_seckey_for (const zc_wallet_t *self, const uint8_t pubkey [32]);

#endif
