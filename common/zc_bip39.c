/*  zc_bip39.c - BIP39 phrases: entropy to words, checksum, PBKDF2 seed */
#include "zc_bip39.h"
#include "zc_hash.h"
#include "zc_key.h"

#include <assert.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZC_BIP39_WORDS_MAX 24
#define ZC_BIP39_WORD_LEN_MAX 8     //  the list's longest word
#define ZC_BIP39_PBKDF2_ROUNDS 2048

//  Wipe in a way the compiler may not remove as a dead store (zc_key.c's)
static void
s_wipe (void *p, size_t size)
{
    explicit_bzero (p, size);
}

static void
s_err (char *err, size_t err_size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_err (char *err, size_t err_size, const char *format, ...)
{
    if (!err || err_size == 0)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (err, err_size, format, args);
    va_end (args);
}

//  ASCII whitespace only: isspace () would depend on the locale
static bool
s_is_space (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

//  Index of the size-byte word in the list, either case; -1 if absent
static int
s_lookup (const char *word, size_t size)
{
    if (size == 0 || size > ZC_BIP39_WORD_LEN_MAX)
        return -1;
    char lower [ZC_BIP39_WORD_LEN_MAX + 1];
    for (size_t i = 0; i < size; i++) {
        char c = word [i];
        if (c >= 'A' && c <= 'Z')
            c = (char) (c - 'A' + 'a');
        if (c < 'a' || c > 'z') {
            s_wipe (lower, sizeof lower);
            return -1;
        }
        lower [i] = c;
    }
    lower [size] = 0;
    int low = 0, high = ZC_BIP39_WORDS - 1, found = -1;
    while (low <= high) {
        int mid = (low + high) / 2;
        int cmp = strcmp (lower, zc_bip39_english [mid]);
        if (cmp == 0) {
            found = mid;
            break;
        }
        if (cmp < 0)
            high = mid - 1;
        else
            low = mid + 1;
    }
    s_wipe (lower, sizeof lower);
    return found;
}

//  The word as the reason shows it: at most 20 bytes, anything but
//  printable ASCII as '?', so the reason stays one printable line
static void
s_quote (const char *word, size_t size, char out [24])
{
    size_t n = 0;
    for (; n < size && n < 20; n++)
        out [n] = word [n] > 0x20 && word [n] < 0x7f ? word [n] : '?';
    if (n < size) {
        memcpy (out + n, "...", 3);
        n += 3;
    }
    out [n] = 0;
}

//  Bit i (0 = most significant of byte 0) of data
static unsigned
s_bit (const uint8_t *data, size_t i)
{
    return (data [i / 8] >> (7 - i % 8)) & 1;
}

//  Split phrase into word indexes and check the checksum. 0, or -1 with
//  the reason in err.
static int
s_parse (const char *phrase, uint16_t index [ZC_BIP39_WORDS_MAX], int *count_p,
         char *err, size_t err_size)
{
    assert (phrase);
    int count = 0;
    const char *p = phrase;
    while (true) {
        while (s_is_space (*p))
            p++;
        if (*p == 0)
            break;
        const char *word = p;
        while (*p && !s_is_space (*p))
            p++;
        int found = s_lookup (word, (size_t) (p - word));
        count++;
        if (found < 0) {
            char quoted [24];
            s_quote (word, (size_t) (p - word), quoted);
            s_err (err, err_size, "word %d '%s' is not in the BIP39 English list", count, quoted);
            s_wipe (quoted, sizeof quoted);
            return -1;
        }
        if (count <= ZC_BIP39_WORDS_MAX)
            index [count - 1] = (uint16_t) found;
    }
    if (count < 12 || count > ZC_BIP39_WORDS_MAX || count % 3 != 0) {
        s_err (err, err_size, "a phrase has 12, 15, 18, 21 or 24 words, not %d", count);
        return -1;
    }
    //  11 bits a word: the entropy, then one checksum bit per 32 of it
    uint8_t bits [ZC_BIP39_WORDS_MAX * 11 / 8] = { 0 };
    size_t nbits = (size_t) count * 11;
    for (size_t i = 0; i < nbits; i++)
        if ((index [i / 11] >> (10 - i % 11)) & 1)
            bits [i / 8] |= (uint8_t) (0x80 >> (i % 8));
    size_t cs_bits = (size_t) count / 3;
    size_t entropy_size = (nbits - cs_bits) / 8;
    uint8_t hash [32];
    zc_sha256 (bits, entropy_size, hash);
    bool match = true;
    for (size_t i = 0; i < cs_bits; i++)
        if (s_bit (hash, i) != s_bit (bits, entropy_size * 8 + i))
            match = false;
    s_wipe (bits, sizeof bits);
    s_wipe (hash, sizeof hash);
    if (!match) {
        s_err (err, err_size, "the phrase's checksum does not match (a word is wrong or out of order)");
        return -1;
    }
    *count_p = count;
    return 0;
}

//  Write the words of index, one space apart, into out. 0, or -1 ("")
//  when they do not fit.
static int
s_join (const uint16_t *index, int count, char *out, size_t out_size)
{
    size_t n = 0;
    for (int i = 0; i < count; i++) {
        const char *word = zc_bip39_english [index [i]];
        size_t len = strlen (word);
        if (n + (i > 0) + len + 1 > out_size) {
            s_wipe (out, n);
            if (out_size > 0)
                out [0] = 0;
            return -1;
        }
        if (i > 0)
            out [n++] = ' ';
        memcpy (out + n, word, len);
        n += len;
    }
    out [n] = 0;
    return 0;
}

int
zc_bip39_from_entropy (const uint8_t *entropy, size_t size, char *phrase, size_t phrase_size)
{
    assert (phrase || phrase_size == 0);
    if (phrase_size > 0)
        phrase [0] = 0;
    if (!entropy || size < 16 || size > 32 || size % 4 != 0)
        return -1;
    //  the entropy and its checksum bits: the first size/4 bits of its hash
    uint8_t bits [33], hash [32];
    memcpy (bits, entropy, size);
    zc_sha256 (entropy, size, hash);
    bits [size] = hash [0];
    int count = (int) (size * 8 + size / 4) / 11;
    uint16_t index [ZC_BIP39_WORDS_MAX];
    for (int w = 0; w < count; w++) {
        unsigned value = 0;
        for (size_t i = 0; i < 11; i++)
            value = value << 1 | s_bit (bits, (size_t) w * 11 + i);
        index [w] = (uint16_t) value;
    }
    int rc = s_join (index, count, phrase, phrase_size);
    s_wipe (bits, sizeof bits);
    s_wipe (hash, sizeof hash);
    s_wipe (index, sizeof index);
    return rc;
}

int
zc_bip39_generate (int words, char *phrase, size_t phrase_size)
{
    assert (phrase || phrase_size == 0);
    if (phrase_size > 0)
        phrase [0] = 0;
    if (words < 12 || words > ZC_BIP39_WORDS_MAX || words % 3 != 0)
        return -1;
    uint8_t entropy [32];
    size_t size = (size_t) words * 4 / 3;
    int rc = zc_random_bytes (entropy, size) ? -1
           : zc_bip39_from_entropy (entropy, size, phrase, phrase_size);
    s_wipe (entropy, sizeof entropy);
    return rc;
}

int
zc_bip39_check (const char *phrase, char *err, size_t err_size)
{
    uint16_t index [ZC_BIP39_WORDS_MAX];
    int count;
    if (err && err_size > 0)
        err [0] = 0;
    int rc = s_parse (phrase, index, &count, err, err_size);
    s_wipe (index, sizeof index);
    return rc;
}

int
zc_bip39_normalize (const char *phrase, char *out, size_t out_size)
{
    assert (out || out_size == 0);
    uint16_t index [ZC_BIP39_WORDS_MAX];
    int count;
    //  parse all before writing: out may be phrase
    int rc = s_parse (phrase, index, &count, NULL, 0);
    if (rc == 0)
        rc = s_join (index, count, out, out_size);
    else if (out_size > 0)
        out [0] = 0;
    s_wipe (index, sizeof index);
    return rc;
}

int
zc_bip39_seed (const char *phrase, const char *passphrase, uint8_t seed [ZC_BIP39_SEED_SIZE])
{
    assert (seed);
    memset (seed, 0, ZC_BIP39_SEED_SIZE);
    if (!passphrase)
        passphrase = "";
    size_t pass_len = strlen (passphrase);
    for (size_t i = 0; i < pass_len; i++)
        if ((uint8_t) passphrase [i] >= 0x80)
            return -1;                  //  would need NFKD, see the header
    if (pass_len > INT_MAX - 8)
        return -1;
    char normal [ZC_BIP39_PHRASE_MAX];
    if (zc_bip39_normalize (phrase, normal, sizeof normal))
        return -1;
    size_t salt_len = 8 + pass_len;
    uint8_t *salt = malloc (salt_len);
    int ok = salt != NULL;
    if (ok) {
        memcpy (salt, "mnemonic", 8);
        memcpy (salt + 8, passphrase, pass_len);
        ok = PKCS5_PBKDF2_HMAC (normal, (int) strlen (normal), salt, (int) salt_len,
                                ZC_BIP39_PBKDF2_ROUNDS, EVP_sha512 (),
                                ZC_BIP39_SEED_SIZE, seed) == 1;
        s_wipe (salt, salt_len);
        free (salt);
    }
    s_wipe (normal, sizeof normal);
    if (!ok) {
        s_wipe (seed, ZC_BIP39_SEED_SIZE);
        return -1;
    }
    return 0;
}
