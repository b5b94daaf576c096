/*  test_bech32.c - BIP350 vectors and zchain addresses */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_bech32.h"
#include "zc_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Usage: a key's address round trip
static void
test_usage (void **state)
{
    (void) state;
    zc_seckey_t key;
    uint8_t pubkey [32], back [32];
    assert_int_equal (zc_seckey_generate (&key), 0);
    assert_int_equal (zc_seckey_pubkey (&key, pubkey), 0);
    char address [ZC_ADDRESS_MAX];
    assert_int_equal (zc_address_encode (pubkey, ZC_HRP_REGTEST, address), 0);
    assert_int_equal (strncmp (address, "zcrt1p", 6), 0);
    assert_int_equal (strlen (address), 4 + 1 + 1 + 52 + 6);
    assert_int_equal (zc_address_decode (address, ZC_HRP_REGTEST, back), ZC_OK);
    assert_memory_equal (back, pubkey, 32);
    //  the same address on another network is refused as such
    assert_int_equal (zc_address_decode (address, ZC_HRP_DEVNET, back), ZC_ERR_WRONG_NETWORK);
    //  a key that is not a point has no address (its decoder would refuse it)
    uint8_t off_curve [32];
    char none [ZC_ADDRESS_MAX];
    memset (off_curve, 0, 32);
    off_curve [31] = 5;                         //  x = 5: 132 is not a square mod p
    assert_false (zc_pubkey_is_valid (off_curve));
    assert_int_equal (zc_address_encode (off_curve, ZC_HRP_REGTEST, none), -1);
    assert_string_equal (none, "");
    //  upper case as a whole is fine, mixed is not
    for (char *p = address; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char) (*p - 'a' + 'A');
    assert_int_equal (zc_address_decode (address, ZC_HRP_REGTEST, back), ZC_OK);
    //  one letter back in lower case: mixed case is refused
    size_t k = 6;
    while (address [k] && !(address [k] >= 'A' && address [k] <= 'Z'))
        k++;
    assert_true (address [k] != 0);
    address [k] = (char) (address [k] - 'A' + 'a');
    assert_int_equal (zc_address_decode (address, ZC_HRP_REGTEST, back), ZC_ERR_MALFORMED);
}

//  Every line of the BIP350 bech32m vectors
static void
test_bip350_vectors (void **state)
{
    (void) state;
    FILE *f = fopen (ZC_SOURCE_DIR "/tests/vectors/bech32m-test-vectors.txt", "r");
    assert_non_null (f);
    char line [512];
    int valid = 0, invalid = 0;
    while (fgets (line, sizeof line, f)) {
        line [strcspn (line, "\r\n")] = 0;
        if (line [0] == '#' || line [0] == 0)
            continue;
        bool expect = strncmp (line, "valid ", 6) == 0;
        char *text = strchr (line, ' ') + 1;
        char *comment = strstr (text, "  #");
        if (comment)
            *comment = 0;
        //  "<0xNN>" stands for one raw byte
        char str [256];
        size_t n = 0;
        for (char *p = text; *p && n < sizeof str - 1; ) {
            unsigned byte;
            if (p [0] == '<' && sscanf (p, "<0x%2x>", &byte) == 1 && p [5] == '>') {
                str [n++] = (char) byte;
                p += 6;
            }
            else
                str [n++] = *p++;
        }
        str [n] = 0;
        char hrp [100];
        uint8_t data [100];
        size_t len;
        zc_bech32_variant_t v = zc_bech32_decode (hrp, sizeof hrp, data, &len, str);
        if ((v == ZC_BECH32M) != expect)
            fail_msg ("%s: decoded as %d", text, v);
        if (expect) {
            //  and it encodes back to the same string (lowercase)
            char again [100], lower [100];
            assert_int_equal (zc_bech32_encode (again, sizeof again, hrp, data, len, ZC_BECH32M), 0);
            for (size_t i = 0; i <= strlen (str); i++)
                lower [i] = (char) (str [i] >= 'A' && str [i] <= 'Z' ? str [i] - 'A' + 'a' : str [i]);
            assert_string_equal (again, lower);
            valid++;
        }
        else
            invalid++;
    }
    fclose (f);
    assert_true (valid >= 7);
    assert_true (invalid >= 14);
}

//  Any single-character change anywhere in an address is caught
static void
test_typos_rejected (void **state)
{
    (void) state;
    uint8_t pubkey [32], back [32];
    zc_seckey_t key;
    zc_seckey_generate (&key);
    zc_seckey_pubkey (&key, pubkey);
    char address [ZC_ADDRESS_MAX];
    zc_address_encode (pubkey, ZC_HRP_REGTEST, address);
    const char *charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    size_t len = strlen (address);
    for (size_t i = 0; i < len; i++) {
        char saved = address [i];
        for (const char *c = charset; *c; c++) {
            if (*c == saved)
                continue;
            address [i] = *c;
            assert_int_not_equal (zc_address_decode (address, ZC_HRP_REGTEST, back), ZC_OK);
        }
        address [i] = saved;
    }
    //  two adjacent characters swapped
    for (size_t i = 6; i + 1 < len; i++) {
        if (address [i] == address [i + 1])
            continue;
        char t = address [i];
        address [i] = address [i + 1];
        address [i + 1] = t;
        assert_int_not_equal (zc_address_decode (address, ZC_HRP_REGTEST, back), ZC_OK);
        address [i + 1] = address [i];
        address [i] = t;
    }
    assert_int_equal (zc_address_decode (address, ZC_HRP_REGTEST, back), ZC_OK);
}

static void
test_bad_addresses (void **state)
{
    (void) state;
    uint8_t back [32], data5 [60], not_point [32];
    char address [ZC_ADDRESS_MAX];
    size_t n;
    //  a key that is not on the curve: a well-formed bech32m string, refused
    memset (not_point, 0, sizeof not_point);
    not_point [31] = 5;
    assert_false (zc_pubkey_is_valid (not_point));
    data5 [0] = 1;
    zc_bech32_convert_bits (data5 + 1, &n, 5, not_point, 32, 8, 1);
    assert_int_equal (zc_bech32_encode (address, sizeof address, "zcrt", data5, n + 1, ZC_BECH32M), 0);
    assert_int_equal (zc_address_decode (address, ZC_HRP_REGTEST, back), ZC_ERR_MALFORMED);
    //  the right key with the old bech32 checksum, or another version
    zc_seckey_t key;
    uint8_t pubkey [32];
    zc_seckey_generate (&key);
    zc_seckey_pubkey (&key, pubkey);
    zc_bech32_convert_bits (data5 + 1, &n, 5, pubkey, 32, 8, 1);
    zc_bech32_encode (address, sizeof address, "zcrt", data5, n + 1, ZC_BECH32);
    assert_int_equal (zc_address_decode (address, ZC_HRP_REGTEST, back), ZC_ERR_MALFORMED);
    data5 [0] = 2;
    zc_bech32_encode (address, sizeof address, "zcrt", data5, n + 1, ZC_BECH32M);
    assert_int_equal (zc_address_decode (address, ZC_HRP_REGTEST, back), ZC_ERR_MALFORMED);
    //  20 bytes instead of 32
    data5 [0] = 1;
    zc_bech32_convert_bits (data5 + 1, &n, 5, pubkey, 20, 8, 1);
    zc_bech32_encode (address, sizeof address, "zcrt", data5, n + 1, ZC_BECH32M);
    assert_int_equal (zc_address_decode (address, ZC_HRP_REGTEST, back), ZC_ERR_MALFORMED);
    assert_int_equal (zc_address_decode ("", ZC_HRP_REGTEST, back), ZC_ERR_MALFORMED);
    assert_int_equal (zc_address_decode ("zcrt1", ZC_HRP_REGTEST, back), ZC_ERR_MALFORMED);
    assert_int_equal (zc_address_decode (NULL, ZC_HRP_REGTEST, back), ZC_ERR_MALFORMED);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_bip350_vectors),
        cmocka_unit_test (test_typos_rejected),
        cmocka_unit_test (test_bad_addresses),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
