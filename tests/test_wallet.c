/*  test_wallet.c - key files, and the zchain wallet commands end to end */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_bech32.h"
#include "zc_bip39.h"
#include "zc_hex.h"
#include "zc_wallet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char s_dir [128];

//  Run the zchain tool; stdout into out, stderr into err; exit status
static int
s_run (char *out, size_t out_size, char *err, size_t err_size, const char *args)
{
    char cmd [1024], err_path [256];
    snprintf (err_path, sizeof err_path, "%s/stderr", s_dir);
    snprintf (cmd, sizeof cmd, "%s/zchain --datadir %s/data %s 2>%s", ZC_BIN_DIR, s_dir, args, err_path);
    FILE *p = popen (cmd, "r");
    assert_non_null (p);
    size_t n = fread (out, 1, out_size - 1, p);
    out [n] = 0;
    int status = pclose (p);
    FILE *e = fopen (err_path, "r");
    n = e ? fread (err, 1, err_size - 1, e) : 0;
    err [n] = 0;
    if (e)
        fclose (e);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static int
s_lines (const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

//  Usage: create a wallet file, load it, find a key
static void
test_usage (void **state)
{
    (void) state;
    char path [256], err [512];
    snprintf (path, sizeof path, "%s/w1.key", s_dir);
    zc_wallet_t *wallet = zc_wallet_create (path, err, sizeof err);
    assert_non_null (wallet);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    uint8_t pubkey [32];
    memcpy (pubkey, zc_wallet_pubkey (wallet, 0), 32);
    assert_int_equal (zc_wallet_add_key (wallet, err, sizeof err), 1);
    zc_wallet_destroy (&wallet);

    wallet = zc_wallet_load (path, err, sizeof err);
    assert_non_null (wallet);
    assert_int_equal (zc_wallet_count (wallet), 2);
    assert_memory_equal (zc_wallet_pubkey (wallet, 0), pubkey, 32);
    assert_non_null (zc_wallet_seckey_for (wallet, pubkey));
    uint8_t other [32] = { 1 };
    assert_null (zc_wallet_seckey_for (wallet, other));
    zc_wallet_destroy (&wallet);
    zc_wallet_destroy (&wallet);

    //  never overwritten
    assert_null (zc_wallet_create (path, err, sizeof err));
    assert_non_null (strstr (err, "refusing to overwrite"));
    //  readable by others: refused
    chmod (path, 0644);
    assert_null (zc_wallet_load (path, err, sizeof err));
    assert_non_null (strstr (err, "other users can read it"));
    chmod (path, 0600);
    //  damaged: refused
    FILE *f = fopen (path, "a");
    fputs ("not a key\n", f);
    fclose (f);
    assert_null (zc_wallet_load (path, err, sizeof err));
    assert_non_null (strstr (err, "not a valid wallet"));
    //  a symlink is not followed
    char link [300];
    snprintf (link, sizeof link, "%s/link.key", s_dir);
    assert_int_equal (symlink (path, link), 0);
    assert_null (zc_wallet_load (link, err, sizeof err));
}

static void
test_cli (void **state)
{
    (void) state;
    char out [4096], err [4096], first [200];
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet new --keyfile"), 0);
    assert_int_equal (strncmp (out, "zcrt1p", 6), 0);
    snprintf (first, sizeof first, "%.150s", out);
    first [strcspn (first, "\n")] = 0;
    uint8_t pubkey [32];
    assert_int_equal (zc_address_decode (first, ZC_HRP_REGTEST, pubkey), ZC_OK);

    //  a second "new" refuses, with one line
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet new --keyfile"), 1);
    assert_int_equal (s_lines (err), 1);
    assert_non_null (strstr (err, "zchain: "));

    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet address"), 0);
    out [strcspn (out, "\n")] = 0;
    assert_string_equal (out, first);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "--network devnet wallet address"), 0);
    assert_int_equal (strncmp (out, "zc1p", 4), 0);
    uint8_t devkey [32];
    out [strcspn (out, "\n")] = 0;
    assert_int_equal (zc_address_decode (out, ZC_HRP_DEVNET, devkey), ZC_OK);
    assert_memory_equal (devkey, pubkey, 32);

    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet list --json"), 0);
    assert_int_equal (out [0], '[');
    assert_non_null (strstr (out, first));
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet address --new"), 0);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet list"), 0);
    assert_int_equal (s_lines (out), 2);

    //  readable by others: refused with a reason naming permissions
    char path [300];
    snprintf (path, sizeof path, "%s/data/wallet.key", s_dir);
    chmod (path, 0644);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet address"), 1);
    assert_int_equal (s_lines (err), 1);
    assert_non_null (strstr (err, "permissions"));
    chmod (path, 0600);

    //  usage errors exit 2; help exits 0 on stdout
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "frobnicate"), 2);
    assert_int_equal (s_lines (err), 1);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet"), 2);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "--network mainnet wallet address"), 2);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "--help"), 0);
    assert_non_null (strstr (out, "wallet"));
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet --help"), 0);
    assert_non_null (strstr (out, "wallet new"));
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet new --help"), 0);
}


static const char *ABANDON = "abandon abandon abandon abandon abandon abandon abandon abandon "
                             "abandon abandon abandon about";

//  The key of chain/index, or -1
static int
s_key (const zc_wallet_t *w, int chain, uint32_t index)
{
    for (size_t i = 0; i < zc_wallet_count (w); i++)
        if (zc_wallet_chain (w, i) == chain && zc_wallet_index (w, i) == index)
            return (int) i;
    return -1;
}

static void
s_assert_key_hex (const zc_wallet_t *w, int chain, uint32_t index, const char *hex)
{
    int i = s_key (w, chain, index);
    assert_true (i >= 0);
    uint8_t want [32];
    assert_int_equal (zc_hex_decode (hex, want, 32), 0);
    assert_memory_equal (zc_wallet_pubkey (w, (size_t) i), want, 32);
}

//  A deterministic wallet: BIP86's keys (its test vector's phrase, coin
//  type 0), sealed, locked on load, opened by its passphrase only
static void
test_hd_usage (void **state)
{
    (void) state;
    char path [256], err [512];
    snprintf (path, sizeof path, "%s/hd.wallet", s_dir);
    //  cheap seal costs: the same rule, a quicker test
    zc_wallet_t *w = zc_wallet_create_hd (path, ABANDON, "regtest", 0, "pass", 1, 8u << 20, err, sizeof err);
    assert_non_null (w);
    assert_int_equal (zc_wallet_format (w), 2);
    assert_true (zc_wallet_is_encrypted (w));
    //  BIP86's test vectors: m/86'/0'/0'/0/0, 0/1 and 1/0
    s_assert_key_hex (w, 0, 0, "a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c");
    s_assert_key_hex (w, 0, 1, "a82f29944d65b86ae6b5e5cc75e294ead6c59391a1edc5e016e3498c67fc7bbb");
    s_assert_key_hex (w, 1, 0, "882d74e5d0572d5a816cef0041a96b6c1de832f6f9676d9605c44d5e9a97d3dc");
    //  the lookahead of each chain, derived
    assert_int_equal (zc_wallet_count (w), 2 * ZC_WALLET_LOOKAHEAD);
    assert_int_equal (zc_wallet_next_key (w, ZC_WALLET_CHAIN_RECEIVE, err, sizeof err), s_key (w, 0, 0));
    assert_int_equal (zc_wallet_next_index (w, ZC_WALLET_CHAIN_RECEIVE), 1);
    //  the lookahead moved on: one more key derived
    assert_int_equal (zc_wallet_count (w), 2 * ZC_WALLET_LOOKAHEAD + 1);
    //  a key signs for itself
    const uint8_t *pub = zc_wallet_pubkey (w, 0);
    const zc_seckey_t *sec = zc_wallet_seckey_for (w, pub);
    assert_non_null (sec);
    uint8_t again [32];
    assert_int_equal (zc_seckey_pubkey (sec, again), 0);
    assert_memory_equal (again, pub, 32);
    zc_hash_t txid = { { 7 } };
    const uint8_t raw [] = { 1, 2, 3 };
    assert_int_equal (zc_wallet_add_tx (w, &txid, raw, sizeof raw, 186, 1700000000, err, sizeof err), 0);
    zc_wallet_destroy (&w);

    //  loaded: locked, its public keys and payments there, no secrets
    w = zc_wallet_load (path, err, sizeof err);
    assert_non_null (w);
    assert_true (zc_wallet_is_locked (w));
    assert_int_equal (zc_wallet_count (w), 2 * ZC_WALLET_LOOKAHEAD + 1);
    assert_int_equal (zc_wallet_next_index (w, ZC_WALLET_CHAIN_RECEIVE), 1);
    s_assert_key_hex (w, 0, 0, "a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c");
    assert_null (zc_wallet_seckey_for (w, zc_wallet_pubkey (w, 0)));
    assert_int_equal (zc_wallet_tx_count (w), 1);
    assert_int_equal (zc_wallet_tx (w, 0)->fee, 186);
    assert_memory_equal (zc_wallet_tx (w, 0)->raw, raw, sizeof raw);
    //  a new address while locked: from the lookahead
    assert_true (zc_wallet_next_key (w, ZC_WALLET_CHAIN_RECEIVE, err, sizeof err) >= 0);
    //  a wrong passphrase, then the right one
    assert_int_equal (zc_wallet_unlock (w, "Pass", err, sizeof err), -1);
    assert_non_null (strstr (err, "wrong passphrase"));
    assert_true (zc_wallet_is_locked (w));
    assert_int_equal (zc_wallet_unlock (w, "pass", err, sizeof err), 0);
    assert_false (zc_wallet_is_locked (w));
    assert_non_null (zc_wallet_seckey_for (w, zc_wallet_pubkey (w, 0)));
    //  no passphrase from now on: loads unlocked
    assert_int_equal (zc_wallet_set_passphrase (w, NULL, err, sizeof err), 0);
    zc_wallet_destroy (&w);
    w = zc_wallet_load (path, err, sizeof err);
    assert_non_null (w);
    assert_false (zc_wallet_is_encrypted (w));
    assert_false (zc_wallet_is_locked (w));
    assert_non_null (zc_wallet_seckey_for (w, zc_wallet_pubkey (w, 0)));
    //  an imported key survives a passphrase and a reload
    zc_seckey_t key;
    assert_int_equal (zc_seckey_generate (&key), 0);
    uint8_t key_pub [32];
    zc_seckey_pubkey (&key, key_pub);
    int at = zc_wallet_import (w, &key, 1700000000, err, sizeof err);
    assert_true (at >= 0);
    assert_int_equal (zc_wallet_chain (w, (size_t) at), ZC_WALLET_CHAIN_IMPORTED);
    assert_int_equal (zc_wallet_set_passphrase (w, "other", err, sizeof err), 0);
    zc_wallet_destroy (&w);
    w = zc_wallet_load (path, err, sizeof err);
    assert_non_null (w);
    assert_null (zc_wallet_seckey_for (w, key_pub));
    assert_int_equal (zc_wallet_unlock (w, "other", err, sizeof err), 0);
    const zc_seckey_t *back = zc_wallet_seckey_for (w, key_pub);
    assert_non_null (back);
    assert_memory_equal (back->b, key.b, 32);
    zc_wallet_destroy (&w);
    zc_seckey_wipe (&key);
}

//  A changed file: a bad phrase refused at creation, a changed secret or
//  key refused at unlock, not a wallet at load
static void
test_hd_refusals (void **state)
{
    (void) state;
    char path [256], err [512];
    snprintf (path, sizeof path, "%s/bad.wallet", s_dir);
    assert_null (zc_wallet_create_hd (path, "abandon abandon abandon", "regtest", 1, NULL, 0, 0, err, sizeof err));
    assert_int_not_equal (access (path, F_OK), 0);
    zc_wallet_t *w = zc_wallet_create_hd (path, ABANDON, "regtest", 1, "pass", 1, 8u << 20, err, sizeof err);
    assert_non_null (w);
    zc_wallet_destroy (&w);
    //  never overwritten
    assert_null (zc_wallet_create_hd (path, ABANDON, "regtest", 1, "pass", 1, 8u << 20, err, sizeof err));
    assert_non_null (strstr (err, "exists"));
    FILE *f = fopen (path, "r");
    static char text [1 << 20];
    size_t n = fread (text, 1, sizeof text - 1, f);
    fclose (f);
    text [n] = 0;
    //  one hex digit of the sealed secret changed: the passphrase no longer opens it
    char *secret = strstr (text, "\"secret\":");
    assert_non_null (secret);
    char *digit = strchr (secret + 9, '"') + 5;
    *digit = *digit == '0' ? '1' : '0';
    f = fopen (path, "w");
    fwrite (text, 1, n, f);
    fclose (f);
    w = zc_wallet_load (path, err, sizeof err);
    assert_non_null (w);
    assert_int_equal (zc_wallet_unlock (w, "pass", err, sizeof err), -1);
    zc_wallet_destroy (&w);
    //  not JSON, not a wallet
    f = fopen (path, "w");
    fputs ("{\"zchain_wallet\": 3}", f);
    fclose (f);
    assert_null (zc_wallet_load (path, err, sizeof err));
    assert_non_null (strstr (err, "format 2"));
}

//  The commands: a new wallet asks for a terminal (or a flag), is bound to
//  its network, restores from its phrase to the same addresses
static void
test_cli_hd (void **state)
{
    (void) state;
    char out [8192], err [4096], args [512], address [200];
    //  no terminal to show the phrase on and no flag: refused, nothing made
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "--wallet /nonexistent/x wallet new --no-passphrase"), 2);
    assert_non_null (strstr (err, "--show-mnemonic-once"));
    snprintf (args, sizeof args, "--wallet %s/cli.wallet wallet new --no-passphrase --show-mnemonic-once --json", s_dir);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, args), 0);
    assert_non_null (strstr (err, "no passphrase"));        //  the warning
    char *m = strstr (out, "\"mnemonic\":\"");
    assert_non_null (m);
    m += 12;
    char phrase [300];
    snprintf (phrase, sizeof phrase, "%.*s", (int) (strchr (m, '"') - m), m);
    char *a = strstr (out, "\"address\":\"") + 11;
    snprintf (address, sizeof address, "%.*s", (int) (strchr (a, '"') - a), a);
    //  the same wallet on devnet is refused
    snprintf (args, sizeof args, "--network devnet --wallet %s/cli.wallet wallet address", s_dir);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, args), 1);
    assert_non_null (strstr (err, "a wallet for regtest"));
    snprintf (args, sizeof args, "--wallet %s/cli.wallet wallet address --new", s_dir);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, args), 0);
    snprintf (args, sizeof args, "--wallet %s/cli.wallet wallet list", s_dir);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, args), 0);
    assert_int_equal (s_lines (out), 2);
    assert_non_null (strstr (out, "m/86'/1'/0'/0/1"));
    //  restored from the phrase (without asking the node): the same first address
    char phrase_path [256];
    snprintf (phrase_path, sizeof phrase_path, "%s/phrase", s_dir);
    FILE *f = fopen (phrase_path, "w");
    fprintf (f, "%s\n", phrase);
    fclose (f);
    snprintf (args, sizeof args, "--wallet %s/restored.wallet wallet restore --no-passphrase --no-scan "
              "--phrase-file %s", s_dir, phrase_path);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, args), 0);
    out [strcspn (out, "\n")] = 0;
    assert_string_equal (out, address);
    //  a phrase with a word changed is refused with the reason; the word is
    //  one whose checksum fails (a random first word passes it once in 16)
    char changed [ZC_BIP39_PHRASE_MAX + 16];
    for (int w = 0; w < ZC_BIP39_WORDS; w++) {
        snprintf (changed, sizeof changed, "%s %s", zc_bip39_english [w], strchr (phrase, ' ') + 1);
        if (zc_bip39_check (changed, NULL, 0) != 0)
            break;
    }
    assert_int_not_equal (zc_bip39_check (changed, NULL, 0), 0);
    f = fopen (phrase_path, "w");
    fprintf (f, "%s\n", changed);
    fclose (f);
    snprintf (args, sizeof args, "--wallet %s/other.wallet wallet restore --no-passphrase --no-scan "
              "--phrase-file %s", s_dir, phrase_path);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, args), 1);
    assert_non_null (strstr (err, "checksum"));
    //  a key file's keys imported
    snprintf (args, sizeof args, "--wallet %s/data/wallet.key wallet import %s/data/wallet.key", s_dir, s_dir);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, args), 1);      //  into a key file: no
    snprintf (args, sizeof args, "--json --wallet %s/cli.wallet wallet import %s/data/wallet.key", s_dir, s_dir);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, args), 0);
    assert_non_null (strstr (out, "\"imported\":2"));
    snprintf (args, sizeof args, "--wallet %s/cli.wallet wallet list", s_dir);
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, args), 0);
    assert_non_null (strstr (out, "imported"));
}

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/zc-wallet-XXXXXX");
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    char cmd [200];
    snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system (cmd) == 0 ? 0 : -1;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_cli),
        cmocka_unit_test (test_hd_usage),
        cmocka_unit_test (test_hd_refusals),
        cmocka_unit_test (test_cli_hd),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
