/*  zc_bip39.h - BIP39 mnemonic phrases (English word list) and their seeds
 *
 *  A phrase encodes 128..256 bits of entropy and a checksum of its SHA-256
 *  in 12..24 words of the English list; zc_bip39_seed stretches it with a
 *  passphrase into the 64-byte seed that zc_bip32_master (zc_bip32.h)
 *  turns into a wallet's master key. Phrases and seeds are secrets: every
 *  function here wipes its own copies; the caller wipes what it is given
 *  back (explicit_bzero).
 *
 *  Only ASCII is supported: the English words are ASCII, and a passphrase
 *  with a byte >= 0x80 is refused instead of being NFKD-normalised (BIP39
 *  asks for NFKD; deriving from un-normalised UTF-8 would give another
 *  seed than other wallets give for the same passphrase).
 */
#ifndef ZC_BIP39_H_INCLUDED
#define ZC_BIP39_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define ZC_BIP39_PHRASE_MAX 256     //  24 words of at most 8 letters, spaces, NUL
#define ZC_BIP39_SEED_SIZE 64
#define ZC_BIP39_WORDS 2048         //  words in the list

//  The English list, sorted (zc_bip39_words.c).
extern const char *const zc_bip39_english [ZC_BIP39_WORDS];

//  Write the phrase for entropy of size 16, 20, 24, 28 or 32 bytes (12, 15,
//  18, 21 or 24 words), its words separated by one space, into phrase.
//  Returns 0, or -1 on another size or when it would not fit in
//  phrase_size (ZC_BIP39_PHRASE_MAX always does); phrase is then "".
int
    zc_bip39_from_entropy (const uint8_t *entropy, size_t size, char *phrase,
                           size_t phrase_size);

//  Write a fresh phrase of words = 12, 15, 18, 21 or 24 words, from
//  zc_random_bytes (zc_key.h), into phrase. Returns 0, or -1 on another
//  count, no randomness or a phrase_size too small; phrase is then "".
int
    zc_bip39_generate (int words, char *phrase, size_t phrase_size);

//  Check that phrase is a valid English BIP39 phrase: words separated by
//  any run of ASCII whitespace (leading and trailing whitespace allowed),
//  in lower or upper case. Returns 0; or -1 and, when err is not NULL, a
//  one-line reason in err (truncated to err_size), one of:
//    word 3 'abandonx' is not in the BIP39 English list
//    a phrase has 12, 15, 18, 21 or 24 words, not 11
//    the phrase's checksum does not match (a word is wrong or out of order)
//  Words are checked before the count, the count before the checksum.
int
    zc_bip39_check (const char *phrase, char *err, size_t err_size);

//  Write the same phrase in canonical form (lower case, one space between
//  words, no leading or trailing space) into out. Returns 0, or -1 when
//  phrase is not valid (zc_bip39_check) or the result does not fit in
//  out_size (ZC_BIP39_PHRASE_MAX always does); out is then "". out may be
//  phrase itself.
int
    zc_bip39_normalize (const char *phrase, char *out, size_t out_size);

//  The 64-byte seed of phrase: PBKDF2-HMAC-SHA512 of 2048 iterations, the
//  normalised phrase as password and "mnemonic" + passphrase as salt
//  (passphrase NULL is ""). Returns 0, or -1 (seed zeroed) when phrase is
//  not valid, passphrase has a byte >= 0x80 (no NFKD, see above), or out
//  of memory.
int
    zc_bip39_seed (const char *phrase, const char *passphrase,
                   uint8_t seed [ZC_BIP39_SEED_SIZE]);

#endif
