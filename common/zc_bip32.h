/*  zc_bip32.h - BIP32 hierarchical deterministic keys and BIP86 taproot keys
 *
 *  Private derivation only: a zc_xprv_t holds a secret key and its chain
 *  code, and public keys are computed from it. Paths are written the BIP32
 *  way, "m/86'/0'/0'/0/5", hardened levels marked ', h or H. BIP86 gives
 *  a derived key's taproot output key (no script path) and the secret that
 *  signs for it with zc_sign (zc_key.h).
 *
 *  Secrets are wiped: every function wipes its own intermediates; the
 *  caller wipes its zc_xprv_t with zc_bip32_wipe. Uses its own randomised
 *  secp256k1 context, created on first use (thread-safe).
 */
#ifndef ZC_BIP32_H_INCLUDED
#define ZC_BIP32_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define ZC_BIP32_HARDENED 0x80000000u
#define ZC_BIP32_PATH_MAX 16        //  most levels in a path
//  Room for a serialised key and its NUL: 112 for the versions below (111
//  characters); 113 for a version of 0x04B5E585 or more (up to 112 characters).
#define ZC_BIP32_XKEY_MAX 113
#define ZC_BIP32_XPRV 0x0488ADE4u   //  mainnet "xprv", the vectors' version
#define ZC_BIP32_XPUB 0x0488B21Eu   //  mainnet "xpub"

typedef struct {
    uint8_t key [32];               //  secret key
    uint8_t chain [32];             //  chain code
    uint8_t depth;
    uint32_t child;                 //  index of this key at its parent
    uint8_t parent_fp [4];          //  fingerprint of the parent (0 for the master)
} zc_xprv_t;

//  The master key of a seed of 16..64 bytes (I = HMAC-SHA512 with key
//  "Bitcoin seed"). Returns 0, or -1 (out wiped) on another size or when
//  the key would be invalid (I's left half 0 or >= n: about 2^-127).
int
    zc_bip32_master (const uint8_t *seed, size_t size, zc_xprv_t *out);

//  The child of parent at index, hardened when index >= ZC_BIP32_HARDENED.
//  Returns 0, or -1 when that child is invalid (about 2^-127: the caller
//  moves on to the next index, as BIP32 says), when parent is at depth 255
//  (the serialisation has one byte for it) or when parent's key is not a
//  valid secret. out may be parent; on failure out is wiped, unless it is
//  parent, which is then left as it was.
int
    zc_bip32_child (const zc_xprv_t *parent, uint32_t index, zc_xprv_t *out);

//  Parse a path: "m", then for each level "/" and a decimal index below
//  2^31, with ', h or H after it for hardened ("m/86'/1'/0'/0/5"). Stores
//  the indexes (hardened ones with ZC_BIP32_HARDENED set) in indexes.
//  Returns the count of levels (0 for "m"), or -1 for a malformed path or
//  more than max levels.
int
    zc_bip32_parse_path (const char *path, uint32_t *indexes, int max);

//  Derive master along path (at most ZC_BIP32_PATH_MAX levels; relative
//  to master, whatever its depth). Returns 0, or -1 for a malformed path
//  or an invalid child on the way. out may be master; on failure out is
//  wiped, unless it is master, which is then left as it was.
int
    zc_bip32_derive (const zc_xprv_t *master, const char *path, zc_xprv_t *out);

//  The 33-byte compressed public key of xprv. Returns 0, or -1 when its
//  key is not a valid secret.
int
    zc_bip32_pubkey (const zc_xprv_t *xprv, uint8_t pubkey [33]);

//  Base58check serialisation (BIP32 "Serialization format") of xprv with
//  its secret key, or of its public key, under version (ZC_BIP32_XPRV,
//  ZC_BIP32_XPUB for mainnet) into out, NUL-terminated. Returns 0, or -1
//  when out_size is too small (see ZC_BIP32_XKEY_MAX) or the key is not
//  valid; out is then "".
int
    zc_bip32_encode_xprv (const zc_xprv_t *xprv, uint32_t version, char *out,
                          size_t out_size);
int
    zc_bip32_encode_xpub (const zc_xprv_t *xprv, uint32_t version, char *out,
                          size_t out_size);

//  Overwrite the whole of xprv with zeros in a way the compiler cannot drop.
void
    zc_bip32_wipe (zc_xprv_t *xprv);

//  BIP86: the taproot output key of an internal x-only key with no script
//  path, Q = P + int(tagged_hash("TapTweak", P))*G, x-only. Returns 0, or
//  -1 when internal is not a curve point (or the tweak is out of range).
int
    zc_bip86_output_key (const uint8_t internal [32], uint8_t output [32]);

//  The secret key whose x-only public key is the output key of secret's:
//  BIP341's tweak of the secret, negated first when its point has an odd
//  y. Returns 0, or -1 (tweaked zeroed) when secret is not valid.
int
    zc_bip86_seckey (const uint8_t secret [32], uint8_t tweaked [32]);

#endif
