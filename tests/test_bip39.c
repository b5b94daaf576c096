/*  test_bip39.c - BIP39 phrases and seeds against trezor/python-mnemonic's vectors */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_bip32.h"
#include "zc_bip39.h"
#include "zc_hash.h"
#include "zc_hex.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ABANDON11 "abandon abandon abandon abandon abandon abandon abandon abandon " \
                  "abandon abandon abandon"

//  Usage: a fresh phrase, written down, gives back the same seed and keys
static void
test_usage (void **state)
{
    (void) state;
    char phrase [ZC_BIP39_PHRASE_MAX];
    assert_int_equal (zc_bip39_generate (24, phrase, sizeof phrase), 0);
    char err [128];
    assert_int_equal (zc_bip39_check (phrase, err, sizeof err), 0);
    assert_string_equal (err, "");
    uint8_t seed [ZC_BIP39_SEED_SIZE], again [ZC_BIP39_SEED_SIZE];
    assert_int_equal (zc_bip39_seed (phrase, "correct horse", seed), 0);
    assert_int_equal (zc_bip39_seed (phrase, "correct horse", again), 0);
    assert_memory_equal (seed, again, sizeof seed);
    //  another passphrase is another wallet
    assert_int_equal (zc_bip39_seed (phrase, NULL, again), 0);
    assert_memory_not_equal (seed, again, sizeof seed);
    zc_xprv_t master;
    assert_int_equal (zc_bip32_master (seed, sizeof seed, &master), 0);
    char xprv [ZC_BIP32_XKEY_MAX];
    assert_int_equal (zc_bip32_encode_xprv (&master, ZC_BIP32_XPRV, xprv, sizeof xprv), 0);
    assert_int_equal (strncmp (xprv, "xprv", 4), 0);
    zc_bip32_wipe (&master);
    explicit_bzero (seed, sizeof seed);
    explicit_bzero (phrase, sizeof phrase);
}

//  The strings of the "english" array of vectors.json, in order, into a
//  new array the caller frees (the strings point into a static copy of
//  the file). The part of the file we hold has no escapes.
static char **
s_read_vectors (size_t *count_p)
{
    FILE *f = fopen (ZC_SOURCE_DIR "/tests/vectors/bip39-vectors.json", "r");
    assert_non_null (f);
    static char text [1 << 16];
    size_t size = fread (text, 1, sizeof text - 1, f);
    assert_true (size > 0 && size < sizeof text - 1);
    fclose (f);
    text [size] = 0;
    assert_null (strchr (text, '\\'));
    char *p = strstr (text, "\"english\"");
    assert_non_null (p);
    p += strlen ("\"english\"");
    char **strings = calloc (256, sizeof *strings);
    assert_non_null (strings);
    size_t count = 0;
    int depth = 0;
    for (; *p; p++) {
        if (*p == '[')
            depth++;
        else if (*p == ']') {
            if (--depth == 0)
                break;
        }
        else if (*p == '"') {
            assert_int_equal (depth, 2);
            char *end = strchr (p + 1, '"');
            assert_non_null (end);
            *end = 0;
            assert_true (count < 256);
            strings [count++] = p + 1;
            p = end;
        }
    }
    assert_int_equal (depth, 0);
    *count_p = count;
    return strings;
}

//  Every English vector: entropy -> phrase, phrase -> seed with the
//  passphrase "TREZOR", seed -> master xprv
static void
test_trezor_vectors (void **state)
{
    (void) state;
    size_t count;
    char **s = s_read_vectors (&count);
    assert_int_equal (count, 24 * 4);
    int sizes [33] = { 0 };
    for (size_t v = 0; v < count; v += 4) {
        const char *entropy_hex = s [v], *phrase = s [v + 1], *seed_hex = s [v + 2];
        const char *xprv_want = s [v + 3];
        uint8_t entropy [32], seed_want [64], seed [64];
        size_t size = strlen (entropy_hex) / 2;
        assert_true (size <= sizeof entropy);
        assert_int_equal (zc_hex_decode (entropy_hex, entropy, size), 0);
        assert_int_equal (zc_hex_decode (seed_hex, seed_want, sizeof seed_want), 0);
        sizes [size]++;

        char got [ZC_BIP39_PHRASE_MAX];
        assert_int_equal (zc_bip39_from_entropy (entropy, size, got, sizeof got), 0);
        assert_string_equal (got, phrase);
        char err [128] = "unset";
        assert_int_equal (zc_bip39_check (phrase, err, sizeof err), 0);
        assert_string_equal (err, "");
        assert_int_equal (zc_bip39_normalize (phrase, got, sizeof got), 0);
        assert_string_equal (got, phrase);
        //  the exact size is enough, one less is not
        assert_int_equal (zc_bip39_from_entropy (entropy, size, got, strlen (phrase) + 1), 0);
        assert_int_equal (zc_bip39_from_entropy (entropy, size, got, strlen (phrase)), -1);
        assert_string_equal (got, "");

        assert_int_equal (zc_bip39_seed (phrase, "TREZOR", seed), 0);
        assert_memory_equal (seed, seed_want, sizeof seed);

        zc_xprv_t master;
        char xprv [ZC_BIP32_XKEY_MAX];
        assert_int_equal (zc_bip32_master (seed, sizeof seed, &master), 0);
        assert_int_equal (zc_bip32_encode_xprv (&master, ZC_BIP32_XPRV, xprv, sizeof xprv), 0);
        assert_string_equal (xprv, xprv_want);
        zc_bip32_wipe (&master);
    }
    //  the vectors have 12, 18 and 24 words, 8 phrases each
    for (int size = 16; size <= 32; size += 4)
        assert_int_equal (sizes [size], size % 8 == 0 ? 8 : 0);
    free (s);
}

//  The word list is the standard one: the hash of english.txt (one word a
//  line), sorted (the lookup is a binary search), unique in 4 letters
static void
test_wordlist (void **state)
{
    (void) state;
    zc_sha256_t sha;
    zc_sha256_init (&sha);
    for (int i = 0; i < ZC_BIP39_WORDS; i++) {
        const char *word = zc_bip39_english [i];
        size_t len = strlen (word);
        assert_true (len >= 3 && len <= 8);
        for (size_t k = 0; k < len; k++)
            assert_true (word [k] >= 'a' && word [k] <= 'z');
        if (i > 0) {
            assert_true (strcmp (zc_bip39_english [i - 1], word) < 0);
            assert_true (strncmp (zc_bip39_english [i - 1], word, 4) != 0);
        }
        zc_sha256_update (&sha, word, len);
        zc_sha256_update (&sha, "\n", 1);
    }
    uint8_t hash [32];
    char hex [65];
    zc_sha256_final (&sha, hash);
    assert_string_equal (zc_hex_encode (hash, sizeof hash, hex),
                         "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda");
    //  every word comes out at its index: phrases whose first 23 words
    //  are indexes i, i+1, ... (mod 2048) cover them all
    uint8_t entropy [32];
    char phrase [ZC_BIP39_PHRASE_MAX];
    for (int i = 0; i < ZC_BIP39_WORDS; i += 23) {
        memset (entropy, 0, sizeof entropy);
        for (int w = 0; w < 23; w++) {
            unsigned index = (unsigned) (i + w) % ZC_BIP39_WORDS;
            for (int b = 0; b < 11; b++)
                if (index >> (10 - b) & 1)
                    entropy [(w * 11 + b) / 8] |= (uint8_t) (0x80 >> ((w * 11 + b) % 8));
        }
        assert_int_equal (zc_bip39_from_entropy (entropy, sizeof entropy, phrase, sizeof phrase), 0);
        assert_int_equal (zc_bip39_check (phrase, NULL, 0), 0);
        char *word = strtok (phrase, " ");
        for (int w = 0; w < 23; w++, word = strtok (NULL, " "))
            assert_string_equal (word, zc_bip39_english [(i + w) % ZC_BIP39_WORDS]);
    }
}

//  Bad phrases are refused with the reason; bad sizes and passphrases too
static void
test_rejections (void **state)
{
    (void) state;
    char err [128];
    assert_int_equal (zc_bip39_check ("abandon abandon abandonx abandon abandon abandon abandon "
                                      "abandon abandon abandon abandon about", err, sizeof err), -1);
    assert_string_equal (err, "word 3 'abandonx' is not in the BIP39 English list");
    assert_int_equal (zc_bip39_check (ABANDON11, err, sizeof err), -1);
    assert_string_equal (err, "a phrase has 12, 15, 18, 21 or 24 words, not 11");
    assert_int_equal (zc_bip39_check ("", err, sizeof err), -1);
    assert_string_equal (err, "a phrase has 12, 15, 18, 21 or 24 words, not 0");
    assert_int_equal (zc_bip39_check (" \t\n ", err, sizeof err), -1);
    assert_string_equal (err, "a phrase has 12, 15, 18, 21 or 24 words, not 0");
    assert_int_equal (zc_bip39_check (ABANDON11 " " ABANDON11 " abandon abandon about",
                                      err, sizeof err), -1);
    assert_string_equal (err, "a phrase has 12, 15, 18, 21 or 24 words, not 25");
    assert_int_equal (zc_bip39_check (ABANDON11 " abandon", err, sizeof err), -1);
    assert_string_equal (err, "the phrase's checksum does not match (a word is wrong or out of order)");
    //  two words swapped
    assert_int_equal (zc_bip39_check ("abandon abandon abandon abandon abandon abandon abandon "
                                      "abandon abandon abandon about abandon", err, sizeof err), -1);
    assert_string_equal (err, "the phrase's checksum does not match (a word is wrong or out of order)");
    //  the unknown word is reported before a wrong count
    assert_int_equal (zc_bip39_check ("abandon about zzz", err, sizeof err), -1);
    assert_string_equal (err, "word 3 'zzz' is not in the BIP39 English list");
    //  a prefix, a long run and bytes that are not printable ASCII
    assert_int_equal (zc_bip39_check ("aban", err, sizeof err), -1);
    assert_string_equal (err, "word 1 'aban' is not in the BIP39 English list");
    assert_int_equal (zc_bip39_check ("abandon abandonabandonabandonabandon", err, sizeof err), -1);
    assert_string_equal (err, "word 2 'abandonabandonabando...' is not in the BIP39 English list");
    assert_int_equal (zc_bip39_check ("abandon caf\xc3\xa9\x1b", err, sizeof err), -1);
    assert_string_equal (err, "word 2 'caf\?\?\?' is not in the BIP39 English list");
    assert_int_equal (zc_bip39_check ("abandon,abandon", err, sizeof err), -1);
    assert_string_equal (err, "word 1 'abandon,abandon' is not in the BIP39 English list");
    //  a short buffer gets the start of the reason; none is fine too
    char shorter [8];
    assert_int_equal (zc_bip39_check (ABANDON11, shorter, sizeof shorter), -1);
    assert_string_equal (shorter, "a phras");
    assert_int_equal (zc_bip39_check (ABANDON11, NULL, 0), -1);

    //  invalid phrases have no canonical form and no seed
    char out [ZC_BIP39_PHRASE_MAX] = "unset";
    assert_int_equal (zc_bip39_normalize (ABANDON11 " abandon", out, sizeof out), -1);
    assert_string_equal (out, "");
    uint8_t seed [ZC_BIP39_SEED_SIZE], zero [ZC_BIP39_SEED_SIZE] = { 0 };
    memset (seed, 0xaa, sizeof seed);
    assert_int_equal (zc_bip39_seed (ABANDON11 " abandon", NULL, seed), -1);
    assert_memory_equal (seed, zero, sizeof seed);
    //  a non-ASCII passphrase is refused (it would need NFKD), not derived
    const char *valid = ABANDON11 " about";
    memset (seed, 0xaa, sizeof seed);
    assert_int_equal (zc_bip39_seed (valid, "caf\xc3\xa9", seed), -1);
    assert_memory_equal (seed, zero, sizeof seed);
    assert_int_equal (zc_bip39_seed (valid, "\x80", seed), -1);
    assert_int_equal (zc_bip39_seed (valid, "cafe", seed), 0);
    assert_memory_not_equal (seed, zero, sizeof seed);

    //  entropy and word counts BIP39 does not have
    uint8_t entropy [40] = { 0 };
    size_t bad_sizes [] = { 0, 4, 12, 15, 17, 30, 36, 40 };
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes [0]; i++) {
        strcpy (out, "unset");
        assert_int_equal (zc_bip39_from_entropy (entropy, bad_sizes [i], out, sizeof out), -1);
        assert_string_equal (out, "");
    }
    int bad_words [] = { 0, 3, 9, 11, 13, 25, 27, -12 };
    for (size_t i = 0; i < sizeof bad_words / sizeof bad_words [0]; i++) {
        strcpy (out, "unset");
        assert_int_equal (zc_bip39_generate (bad_words [i], out, sizeof out), -1);
        assert_string_equal (out, "");
    }
    assert_int_equal (zc_bip39_generate (12, out, 20), -1);
    assert_string_equal (out, "");
}

//  Case and whitespace do not matter; the canonical form is what is hashed
static void
test_forms (void **state)
{
    (void) state;
    const char *canonical = "legal winner thank year wave sausage worth useful legal winner "
                            "thank yellow";
    char phrase [ZC_BIP39_PHRASE_MAX] = "  LEGAL\twinner\n\nThank year \r wave sausage worth "
                                        "useful legal\vwinner thank\fYELLOW \n";
    assert_int_equal (zc_bip39_check (phrase, NULL, 0), 0);
    uint8_t seed [ZC_BIP39_SEED_SIZE], want [ZC_BIP39_SEED_SIZE];
    assert_int_equal (zc_bip39_seed (canonical, "TREZOR", want), 0);
    assert_int_equal (zc_bip39_seed (phrase, "TREZOR", seed), 0);
    assert_memory_equal (seed, want, sizeof seed);
    //  in place, and the exact size
    assert_int_equal (zc_bip39_normalize (phrase, phrase, strlen (canonical) + 1), 0);
    assert_string_equal (phrase, canonical);
    char small [ZC_BIP39_PHRASE_MAX];
    assert_int_equal (zc_bip39_normalize (phrase, small, strlen (canonical)), -1);
    assert_string_equal (small, "");
    //  NULL and "" are the same passphrase; case matters in a passphrase
    uint8_t a [ZC_BIP39_SEED_SIZE], b [ZC_BIP39_SEED_SIZE];
    assert_int_equal (zc_bip39_seed (canonical, NULL, a), 0);
    assert_int_equal (zc_bip39_seed (canonical, "", b), 0);
    assert_memory_equal (a, b, sizeof a);
    assert_int_equal (zc_bip39_seed (canonical, "trezor", b), 0);
    assert_memory_not_equal (b, want, sizeof b);
}

//  Fresh phrases of every length are valid, of that many words, and differ
static void
test_generate (void **state)
{
    (void) state;
    for (int words = 12; words <= 24; words += 3) {
        char a [ZC_BIP39_PHRASE_MAX], b [ZC_BIP39_PHRASE_MAX];
        assert_int_equal (zc_bip39_generate (words, a, sizeof a), 0);
        assert_int_equal (zc_bip39_generate (words, b, sizeof b), 0);
        assert_string_not_equal (a, b);
        assert_int_equal (zc_bip39_check (a, NULL, 0), 0);
        int spaces = 0;
        for (char *p = a; *p; p++)
            spaces += *p == ' ';
        assert_int_equal (spaces, words - 1);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_trezor_vectors),
        cmocka_unit_test (test_wordlist),
        cmocka_unit_test (test_rejections),
        cmocka_unit_test (test_forms),
        cmocka_unit_test (test_generate),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
