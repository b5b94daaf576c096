/*  test_wallet.c - key files, and the zchain wallet commands end to end */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_bech32.h"
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
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet new"), 0);
    assert_int_equal (strncmp (out, "zcrt1p", 6), 0);
    snprintf (first, sizeof first, "%.150s", out);
    first [strcspn (first, "\n")] = 0;
    uint8_t pubkey [32];
    assert_int_equal (zc_address_decode (first, ZC_HRP_REGTEST, pubkey), ZC_OK);

    //  a second "new" refuses, with one line
    assert_int_equal (s_run (out, sizeof out, err, sizeof err, "wallet new"), 1);
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
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
