/*  test_bip32.c - BIP32 derivation and BIP86 taproot keys against the BIPs' vectors */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_bech32.h"
#include "zc_bip32.h"
#include "zc_bip39.h"
#include "zc_hex.h"
#include "zc_key.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Usage: a wallet's first taproot key from its seed
static void
test_usage (void **state)
{
    (void) state;
    uint8_t seed [ZC_BIP39_SEED_SIZE];
    assert_int_equal (zc_bip39_seed ("abandon abandon abandon abandon abandon abandon abandon "
                                     "abandon abandon abandon abandon about", NULL, seed), 0);
    zc_xprv_t master, account, key;
    assert_int_equal (zc_bip32_master (seed, sizeof seed, &master), 0);
    //  the account's xpub lets a watch-only wallet see its addresses
    assert_int_equal (zc_bip32_derive (&master, "m/86'/0'/0'", &account), 0);
    char xpub [ZC_BIP32_XKEY_MAX];
    assert_int_equal (zc_bip32_encode_xpub (&account, ZC_BIP32_XPUB, xpub, sizeof xpub), 0);
    assert_int_equal (strncmp (xpub, "xpub", 4), 0);
    //  the first receiving key, then its output key and the secret for it
    assert_int_equal (zc_bip32_derive (&account, "m/0/0", &key), 0);
    assert_int_equal (key.depth, 5);
    uint8_t pubkey [33], output [32], signing [32], check [32];
    assert_int_equal (zc_bip32_pubkey (&key, pubkey), 0);
    assert_int_equal (zc_bip86_output_key (pubkey + 1, output), 0);
    assert_int_equal (zc_bip86_seckey (key.key, signing), 0);
    zc_seckey_t seckey;
    memcpy (seckey.b, signing, 32);
    assert_int_equal (zc_seckey_pubkey (&seckey, check), 0);
    assert_memory_equal (check, output, 32);
    //  what it signs verifies under the output key
    uint8_t msg [32] = { 1, 2, 3 }, sig [ZC_SIG_SIZE];
    assert_int_equal (zc_sign (&seckey, msg, sig), 0);
    assert_true (zc_verify (output, msg, sig));
    zc_seckey_wipe (&seckey);
    explicit_bzero (signing, sizeof signing);
    zc_bip32_wipe (&key);
    zc_bip32_wipe (&account);
    zc_bip32_wipe (&master);
    uint8_t zero [sizeof master];
    memset (zero, 0, sizeof zero);
    assert_memory_equal (&master, zero, sizeof master);
    explicit_bzero (seed, sizeof seed);
}

//  "m/0<sub>H</sub>/1" -> "m/0H/1" in place
static void
s_unsub (char *path)
{
    char *sub;
    while ((sub = strstr (path, "<sub>H</sub>")) != NULL) {
        *sub = 'H';
        memmove (sub + 1, sub + strlen ("<sub>H</sub>"), strlen (sub + strlen ("<sub>H</sub>")) + 1);
    }
}

//  Test vectors 1-4 of BIP32 (its "Test Vectors" section as published):
//  every chain's xpub and xprv, derived from the seed's master along the
//  chain's path. Test vector 5 (keys that must not parse) is skipped:
//  zc_bip32.h does not parse extended keys.
static void
test_bip32_vectors (void **state)
{
    (void) state;
    FILE *f = fopen (ZC_SOURCE_DIR "/tests/vectors/bip32-test-vectors.mediawiki", "r");
    assert_non_null (f);
    char line [512], path [512] = "";
    int vector = 0, chains [6] = { 0 }, checks = 0;
    zc_xprv_t master, key;
    bool have_key = false;
    while (fgets (line, sizeof line, f)) {
        line [strcspn (line, "\r\n")] = 0;
        int n;
        if (sscanf (line, "===Test vector %d===", &n) == 1) {
            vector = n;
            have_key = false;
            continue;
        }
        if (vector < 1 || vector > 4)
            continue;
        if (strncmp (line, "Seed (hex): ", 12) == 0) {
            const char *hex = line + 12;
            size_t size = strlen (hex) / 2;
            uint8_t seed [64];
            assert_true (size >= 16 && size <= 64);
            assert_int_equal (zc_hex_decode (hex, seed, size), 0);
            assert_int_equal (zc_bip32_master (seed, size, &master), 0);
        }
        else if (strncmp (line, "* Chain ", 8) == 0) {
            snprintf (path, sizeof path, "%s", line + 8);
            s_unsub (path);
            assert_int_equal (zc_bip32_derive (&master, path, &key), 0);
            have_key = true;
            chains [vector]++;
        }
        else if (strncmp (line, "** ext pub: ", 12) == 0) {
            assert_true (have_key);
            char got [ZC_BIP32_XKEY_MAX];
            assert_int_equal (zc_bip32_encode_xpub (&key, ZC_BIP32_XPUB, got, sizeof got), 0);
            if (strcmp (got, line + 12) != 0)
                fail_msg ("vector %d chain %s: xpub %s, want %s", vector, path, got, line + 12);
            checks++;
        }
        else if (strncmp (line, "** ext prv: ", 12) == 0) {
            assert_true (have_key);
            char got [ZC_BIP32_XKEY_MAX];
            assert_int_equal (zc_bip32_encode_xprv (&key, ZC_BIP32_XPRV, got, sizeof got), 0);
            if (strcmp (got, line + 12) != 0)
                fail_msg ("vector %d chain %s: xprv %s, want %s", vector, path, got, line + 12);
            checks++;
        }
    }
    fclose (f);
    assert_int_equal (vector, 5);
    assert_int_equal (chains [1], 6);
    assert_int_equal (chains [2], 6);
    assert_int_equal (chains [3], 2);
    assert_int_equal (chains [4], 3);
    assert_int_equal (checks, 2 * (6 + 6 + 2 + 3));
    zc_bip32_wipe (&master);
    zc_bip32_wipe (&key);
}

//  Step by step is the same as along a path; out may be the parent
static void
test_child_steps (void **state)
{
    (void) state;
    uint8_t seed [16];
    assert_int_equal (zc_hex_decode ("000102030405060708090a0b0c0d0e0f", seed, sizeof seed), 0);
    zc_xprv_t master, key, step, path_key;
    assert_int_equal (zc_bip32_master (seed, sizeof seed, &master), 0);
    assert_int_equal (master.depth, 0);
    assert_int_equal (master.child, 0);
    uint8_t zero4 [4] = { 0 };
    assert_memory_equal (master.parent_fp, zero4, 4);
    key = master;
    uint32_t indexes [] = { 0 | ZC_BIP32_HARDENED, 1, 2 | ZC_BIP32_HARDENED, 2, 1000000000 };
    for (int i = 0; i < 5; i++) {
        assert_int_equal (zc_bip32_child (&key, indexes [i], &step), 0);
        assert_int_equal (zc_bip32_child (&key, indexes [i], &key), 0);
        assert_memory_equal (&key, &step, sizeof key);
        assert_int_equal (key.depth, i + 1);
        assert_int_equal (key.child, indexes [i]);
    }
    assert_int_equal (zc_bip32_derive (&master, "m/0'/1/2h/2/1000000000", &path_key), 0);
    assert_memory_equal (&path_key, &key, sizeof key);
    //  derive in place, and "m" is the key itself
    assert_int_equal (zc_bip32_derive (&path_key, "m", &step), 0);
    assert_memory_equal (&step, &key, sizeof key);
    step = master;
    assert_int_equal (zc_bip32_derive (&step, "m/0H/1/2H/2/1000000000", &step), 0);
    assert_memory_equal (&step, &key, sizeof key);
    //  hardened and not are different children
    assert_int_equal (zc_bip32_child (&master, 0, &step), 0);
    assert_int_equal (zc_bip32_child (&master, ZC_BIP32_HARDENED, &key), 0);
    assert_memory_not_equal (step.key, key.key, 32);
}

static void
test_parse_path (void **state)
{
    (void) state;
    uint32_t ix [ZC_BIP32_PATH_MAX];
    assert_int_equal (zc_bip32_parse_path ("m/86'/1'/0'/0/5", ix, ZC_BIP32_PATH_MAX), 5);
    uint32_t want [] = { 86 | ZC_BIP32_HARDENED, 1 | ZC_BIP32_HARDENED, ZC_BIP32_HARDENED, 0, 5 };
    assert_memory_equal (ix, want, sizeof want);
    assert_int_equal (zc_bip32_parse_path ("m/86h/1H/0'", ix, 3), 3);
    assert_memory_equal (ix, want, 3 * sizeof ix [0]);
    assert_int_equal (zc_bip32_parse_path ("m", ix, ZC_BIP32_PATH_MAX), 0);
    assert_int_equal (zc_bip32_parse_path ("m", NULL, 0), 0);
    assert_int_equal (zc_bip32_parse_path ("m/2147483647'/2147483647", ix, 2), 2);
    assert_int_equal (ix [0], 0xFFFFFFFFu);
    assert_int_equal (ix [1], 0x7FFFFFFFu);
    assert_int_equal (zc_bip32_parse_path ("m/007", ix, 1), 1);
    assert_int_equal (ix [0], 7);
    //  more levels than room
    assert_int_equal (zc_bip32_parse_path ("m/86'/1'/0'/0/5", ix, 4), -1);
    assert_int_equal (zc_bip32_parse_path ("m/0", ix, 0), -1);
    const char *bad [] = {
        NULL, "", "M", "m/", "/0", "0/1", "86'/0'", "m//0", "m/0/", "m/0''", "m/0'h",
        "m/2147483648", "m/2147483648'", "m/4294967296", "m/99999999999999999999",
        "m/-1", "m/+1", "m/1x", "m/ 1", "m/1 ", " m/1", "m/0x10", "m/'", "m/h", "mm/0",
        "m\\0", "m/1/2/3\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        if (zc_bip32_parse_path (bad [i], ix, ZC_BIP32_PATH_MAX) != -1)
            fail_msg ("path '%s' was accepted", bad [i] ? bad [i] : "(null)");
    //  derive refuses them too, and more than ZC_BIP32_PATH_MAX levels
    zc_xprv_t master, out;
    uint8_t seed [16] = { 1 };
    assert_int_equal (zc_bip32_master (seed, sizeof seed, &master), 0);
    assert_int_equal (zc_bip32_derive (&master, "m//0", &out), -1);
    assert_int_equal (zc_bip32_derive (&master, "m/0/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15", &out), 0);
    assert_int_equal (out.depth, 16);
    assert_int_equal (zc_bip32_derive (&master, "m/0/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16", &out), -1);
    uint8_t zero [sizeof out];
    memset (zero, 0, sizeof zero);
    assert_memory_equal (&out, zero, sizeof out);
}

//  Seeds, keys and buffers that are refused
static void
test_rejections (void **state)
{
    (void) state;
    uint8_t seed [65] = { 7 }, zero [sizeof (zc_xprv_t)];
    memset (zero, 0, sizeof zero);
    zc_xprv_t master, key;
    memset (&master, 0xaa, sizeof master);
    assert_int_equal (zc_bip32_master (seed, 15, &master), -1);
    assert_memory_equal (&master, zero, sizeof master);
    assert_int_equal (zc_bip32_master (seed, 65, &master), -1);
    assert_int_equal (zc_bip32_master (NULL, 16, &master), -1);
    assert_int_equal (zc_bip32_master (seed, 16, &master), 0);
    assert_int_equal (zc_bip32_master (seed, 64, &key), 0);
    assert_memory_not_equal (master.key, key.key, 32);

    //  depth 255 has no children: the serialisation has one byte for it
    key = master;
    key.depth = 254;
    assert_int_equal (zc_bip32_child (&key, 1, &key), 0);
    assert_int_equal (key.depth, 255);
    memset (&master, 0xaa, sizeof master);
    assert_int_equal (zc_bip32_child (&key, 1, &master), -1);
    assert_memory_equal (&master, zero, sizeof master);
    //  a failure in place leaves the key as it was
    zc_xprv_t before = key;
    assert_int_equal (zc_bip32_child (&key, 1, &key), -1);
    assert_memory_equal (&key, &before, sizeof key);

    //  a key that is not a valid secret: zero, the group order
    zc_xprv_t bad;
    memset (&bad, 0, sizeof bad);
    uint8_t pubkey [33];
    char out [ZC_BIP32_XKEY_MAX] = "unset";
    assert_int_equal (zc_bip32_child (&bad, 0, &key), -1);
    assert_int_equal (zc_bip32_child (&bad, ZC_BIP32_HARDENED, &key), -1);
    assert_int_equal (zc_bip32_pubkey (&bad, pubkey), -1);
    assert_int_equal (zc_bip32_encode_xprv (&bad, ZC_BIP32_XPRV, out, sizeof out), -1);
    assert_string_equal (out, "");
    assert_int_equal (zc_bip32_encode_xpub (&bad, ZC_BIP32_XPUB, out, sizeof out), -1);
    assert_int_equal (zc_hex_decode ("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
                                     bad.key, 32), 0);
    assert_int_equal (zc_bip32_pubkey (&bad, pubkey), -1);
    assert_int_equal (zc_bip32_encode_xprv (&bad, ZC_BIP32_XPRV, out, sizeof out), -1);

    //  the buffer: 111 characters and the NUL for the standard versions,
    //  one more for the highest ones
    assert_int_equal (zc_bip32_master (seed, 16, &master), 0);
    assert_int_equal (zc_bip32_encode_xprv (&master, ZC_BIP32_XPRV, out, 112), 0);
    assert_int_equal (strlen (out), 111);
    assert_int_equal (zc_bip32_encode_xpub (&master, ZC_BIP32_XPUB, out, 112), 0);
    assert_int_equal (strlen (out), 111);
    assert_int_equal (zc_bip32_encode_xprv (&master, ZC_BIP32_XPRV, out, 111), -1);
    assert_string_equal (out, "");
    assert_int_equal (zc_bip32_encode_xpub (&master, ZC_BIP32_XPUB, out, 111), -1);
    assert_int_equal (zc_bip32_encode_xprv (&master, 0xFFFFFFFFu, out, ZC_BIP32_XKEY_MAX), 0);
    assert_int_equal (strlen (out), 112);
    assert_int_equal (zc_bip32_encode_xprv (&master, 0xFFFFFFFFu, out, ZC_BIP32_XKEY_MAX - 1), -1);
    //  a version of zero: leading zero bytes are base58 '1's
    assert_int_equal (zc_bip32_encode_xpub (&master, 0, out, sizeof out), 0);
    assert_int_equal (strncmp (out, "1111", 4), 0);

    //  BIP86: an x coordinate that is not on the curve, a bad secret
    uint8_t x [32], output [32], tweaked [32];
    memset (x, 0, sizeof x);
    x [31] = 5;                         //  5^3 + 7 = 132 is not a square mod p
    memset (output, 0xaa, sizeof output);
    assert_int_equal (zc_bip86_output_key (x, output), -1);
    assert_memory_equal (output, zero, 32);
    memset (x, 0xff, sizeof x);         //  above the field size
    assert_int_equal (zc_bip86_output_key (x, output), -1);
    memset (x, 0, sizeof x);
    memset (tweaked, 0xaa, sizeof tweaked);
    assert_int_equal (zc_bip86_seckey (x, tweaked), -1);
    assert_memory_equal (tweaked, zero, 32);
}

//  "name = value" (any spaces around '=') of a BIP86 vector line
static bool
s_pair (char *line, char **name, char **value)
{
    char *eq = strchr (line, '=');
    if (!eq || !((line [0] >= 'a' && line [0] <= 'z') || (line [0] >= 'A' && line [0] <= 'Z')))
        return false;
    char *end = eq;
    while (end > line && end [-1] == ' ')
        end--;
    *end = 0;
    *name = line;
    *value = eq + 1;
    while (**value == ' ')
        (*value)++;
    return true;
}

//  BIP86's vectors: the mnemonic's root keys, the account's, and for
//  three addresses the keys, internal and output keys, scriptPubKey and
//  address; zc_bip86_seckey's secret has the output key as public key
static void
test_bip86_vectors (void **state)
{
    (void) state;
    FILE *f = fopen (ZC_SOURCE_DIR "/tests/vectors/bip86-test-vectors.mediawiki", "r");
    assert_non_null (f);
    char line [512], path [512] = "";
    zc_xprv_t master, key;
    uint8_t internal [32], output [32];
    bool have_master = false, have_key = false, have_internal = false, have_output = false;
    int paths = 0, checks = 0;
    while (fgets (line, sizeof line, f)) {
        line [strcspn (line, "\r\n")] = 0;
        char *name, *value;
        if (strncmp (line, "// ", 3) == 0) {
            //  "// Account 0, first receiving address = m/86'/0'/0'/0/0"
            char *at = strstr (line, "= m/");
            assert_non_null (at);
            snprintf (path, sizeof path, "%s", at + 2);
            assert_true (have_master);
            assert_int_equal (zc_bip32_derive (&master, path, &key), 0);
            have_key = true;
            have_internal = have_output = false;
            paths++;
            continue;
        }
        if (!s_pair (line, &name, &value))
            continue;
        char got [ZC_BIP32_XKEY_MAX];
        if (strcmp (name, "mnemonic") == 0) {
            uint8_t seed [ZC_BIP39_SEED_SIZE];
            assert_int_equal (zc_bip39_check (value, NULL, 0), 0);
            assert_int_equal (zc_bip39_seed (value, NULL, seed), 0);
            assert_int_equal (zc_bip32_master (seed, sizeof seed, &master), 0);
            have_master = true;
            continue;
        }
        if (strcmp (name, "rootpriv") == 0 || strcmp (name, "rootpub") == 0) {
            assert_true (have_master);
            if (strcmp (name, "rootpriv") == 0)
                assert_int_equal (zc_bip32_encode_xprv (&master, ZC_BIP32_XPRV, got, sizeof got), 0);
            else
                assert_int_equal (zc_bip32_encode_xpub (&master, ZC_BIP32_XPUB, got, sizeof got), 0);
            assert_string_equal (got, value);
            checks++;
            continue;
        }
        assert_true (have_key);
        if (strcmp (name, "xprv") == 0) {
            assert_int_equal (zc_bip32_encode_xprv (&key, ZC_BIP32_XPRV, got, sizeof got), 0);
            assert_string_equal (got, value);
        }
        else if (strcmp (name, "xpub") == 0) {
            assert_int_equal (zc_bip32_encode_xpub (&key, ZC_BIP32_XPUB, got, sizeof got), 0);
            assert_string_equal (got, value);
        }
        else if (strcmp (name, "internal_key") == 0) {
            uint8_t pubkey [33], want [32];
            assert_int_equal (zc_hex_decode (value, want, 32), 0);
            assert_int_equal (zc_bip32_pubkey (&key, pubkey), 0);
            memcpy (internal, pubkey + 1, 32);
            assert_memory_equal (internal, want, 32);
            have_internal = true;
        }
        else if (strcmp (name, "output_key") == 0) {
            uint8_t want [32], tweaked [32], check [32];
            assert_true (have_internal);
            assert_int_equal (zc_hex_decode (value, want, 32), 0);
            assert_int_equal (zc_bip86_output_key (internal, output), 0);
            assert_memory_equal (output, want, 32);
            //  the secret that signs for it
            assert_int_equal (zc_bip86_seckey (key.key, tweaked), 0);
            zc_seckey_t seckey;
            memcpy (seckey.b, tweaked, 32);
            assert_int_equal (zc_seckey_pubkey (&seckey, check), 0);
            assert_memory_equal (check, want, 32);
            zc_seckey_wipe (&seckey);
            have_output = true;
        }
        else if (strcmp (name, "scriptPubKey") == 0) {
            char hex [65];
            assert_true (have_output);
            assert_int_equal (strncmp (value, "5120", 4), 0);
            assert_string_equal (zc_hex_encode (output, 32, hex), value + 4);
        }
        else if (strcmp (name, "address") == 0) {
            //  zchain's address is the same segwit v1 bech32m of the
            //  output key; mainnet Bitcoin's hrp is "bc"
            char address [ZC_ADDRESS_MAX];
            assert_true (have_output);
            assert_int_equal (zc_address_encode (output, "bc", address), 0);
            assert_string_equal (address, value);
        }
        else
            fail_msg ("unknown vector line '%s'", line);
        checks++;
    }
    fclose (f);
    assert_int_equal (paths, 4);
    assert_int_equal (checks, 2 + 2 + 3 * 6);
    zc_bip32_wipe (&master);
    zc_bip32_wipe (&key);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_bip32_vectors),
        cmocka_unit_test (test_child_steps),
        cmocka_unit_test (test_parse_path),
        cmocka_unit_test (test_rejections),
        cmocka_unit_test (test_bip86_vectors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
