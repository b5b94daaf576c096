/*  zc_config.c - table-driven configuration */
#include "zc_config.h"
#include "zc_log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

//  Set one option from text. 0, or -1 with a reason.
static int
s_set (const zc_option_t *opt, void *cfg, const char *text, char *err, size_t err_size)
{
    void *field = (uint8_t *) cfg + opt->offset;
    switch (opt->type) {
        case ZC_OPT_STRING:
            *(const char **) field = text;
            return 0;
        case ZC_OPT_INT: {
            char *end;
            errno = 0;
            long long v = strtoll (text, &end, 10);
            if (errno || end == text || *end || v < opt->min || v > opt->max) {
                snprintf (err, err_size, "--%s: '%s' is not a number from %" PRId64 " to %" PRId64,
                          opt->name, text, opt->min, opt->max);
                return -1;
            }
            *(int64_t *) field = v;
            return 0;
        }
        case ZC_OPT_BOOL:
            if (!strcmp (text, "1") || !strcmp (text, "true") || !strcmp (text, "yes"))
                *(bool *) field = true;
            else
            if (!strcmp (text, "0") || !strcmp (text, "false") || !strcmp (text, "no"))
                *(bool *) field = false;
            else {
                snprintf (err, err_size, "--%s: '%s' is not true or false", opt->name, text);
                return -1;
            }
            return 0;
        case ZC_OPT_LIST: {
            zc_strlist_t *list = field;
            if (list->count == ZC_LIST_MAX) {
                snprintf (err, err_size, "--%s: at most %d values", opt->name, ZC_LIST_MAX);
                return -1;
            }
            list->value [list->count++] = text;
            return 0;
        }
    }
    return -1;
}

//  A list's default or environment value is one value (lists are for
//  flags repeated on the command line, like --bootstrap).

static const zc_option_t *
s_find (const zc_option_t *table, const char *name, size_t len)
{
    for (const zc_option_t *opt = table; opt->name; opt++)
        if (strlen (opt->name) == len && strncmp (opt->name, name, len) == 0)
            return opt;
    return NULL;
}

int
zc_config_parse (const zc_option_t *table, void *cfg, int argc, char **argv,
                 const char *program, const char *summary, char *err, size_t err_size)
{
    //  defaults, then the environment over them
    for (const zc_option_t *opt = table; opt->name; opt++) {
        if (opt->type == ZC_OPT_LIST)
            memset ((uint8_t *) cfg + opt->offset, 0, sizeof (zc_strlist_t));
        const char *env = opt->env ? getenv (opt->env) : NULL;
        const char *text = env && *env ? env : opt->def;
        if (text && *text && s_set (opt, cfg, text, err, err_size))
            return -1;
        if ((!text || !*text) && opt->type == ZC_OPT_STRING)
            *(const char **) ((uint8_t *) cfg + opt->offset) = text;    //  NULL or ""
    }
    //  flags over both; a list given by flags replaces its default
    bool list_from_flags [64] = { false };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        if (!strcmp (arg, "--help") || !strcmp (arg, "-h")) {
            zc_config_usage (table, program, summary, stdout);
            return 1;
        }
        if (strncmp (arg, "--", 2) != 0) {
            snprintf (err, err_size, "unexpected argument '%s' (try --help)", arg);
            return -1;
        }
        const char *name = arg + 2;
        const char *eq = strchr (name, '=');
        size_t len = eq ? (size_t) (eq - name) : strlen (name);
        const zc_option_t *opt = s_find (table, name, len);
        if (!opt) {
            snprintf (err, err_size, "unknown option '--%.*s' (try --help)", (int) len, name);
            return -1;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value && opt->type == ZC_OPT_BOOL)
            value = "true";
        if (!value) {
            if (i + 1 >= argc) {
                snprintf (err, err_size, "--%s needs a value", opt->name);
                return -1;
            }
            value = argv [++i];
        }
        size_t index = (size_t) (opt - table);
        if (opt->type == ZC_OPT_LIST && index < 64 && !list_from_flags [index]) {
            memset ((uint8_t *) cfg + opt->offset, 0, sizeof (zc_strlist_t));
            list_from_flags [index] = true;
        }
        if (s_set (opt, cfg, value, err, err_size))
            return -1;
    }
    return 0;
}

void
zc_config_usage (const zc_option_t *table, const char *program, const char *summary,
                 FILE *out)
{
    fprintf (out, "usage: %s [OPTIONS]\n\n%s\n\noptions (flag, else environment, else default):\n",
             program, summary);
    for (const zc_option_t *opt = table; opt->name; opt++) {
        char flag [64];
        snprintf (flag, sizeof flag, "--%s%s", opt->name,
                  opt->type == ZC_OPT_BOOL ? "" : opt->type == ZC_OPT_INT ? " N" : " VALUE");
        fprintf (out, "  %-28s %s\n", flag, opt->help);
        fprintf (out, "  %-28s env %s, default %s%s\n", "", opt->env ? opt->env : "-",
                 opt->def && *opt->def ? opt->def : "(none)",
                 opt->type == ZC_OPT_LIST ? " (repeatable)" : "");
    }
    fprintf (out, "  %-28s this help\n", "--help");
}

static const char *
s_source (const zc_option_t *opt, int argc, char **argv)
{
    size_t len = strlen (opt->name);
    for (int i = 1; i < argc; i++)
        if (!strncmp (argv [i], "--", 2) && !strncmp (argv [i] + 2, opt->name, len)
        &&  (argv [i] [2 + len] == 0 || argv [i] [2 + len] == '='))
            return "flag";
    if (opt->env && getenv (opt->env) && *getenv (opt->env))
        return "env";
    return "default";
}

void
zc_config_log (const zc_option_t *table, const void *cfg, int argc, char **argv)
{
    for (const zc_option_t *opt = table; opt->name; opt++) {
        const void *field = (const uint8_t *) cfg + opt->offset;
        char value [512];
        switch (opt->type) {
            case ZC_OPT_STRING:
                snprintf (value, sizeof value, "%s",
                          *(const char *const *) field ? *(const char *const *) field : "(none)");
                break;
            case ZC_OPT_INT:
                snprintf (value, sizeof value, "%" PRId64, *(const int64_t *) field);
                break;
            case ZC_OPT_BOOL:
                snprintf (value, sizeof value, "%s", *(const bool *) field ? "true" : "false");
                break;
            case ZC_OPT_LIST: {
                const zc_strlist_t *list = field;
                size_t n = 0;
                value [0] = 0;
                for (int i = 0; i < list->count && n < sizeof value; i++)
                    n += (size_t) snprintf (value + n, sizeof value - n, "%s%s", i ? "," : "",
                                            list->value [i]);
                break;
            }
        }
        zc_info ("config %s = %s (%s)", opt->name, value, s_source (opt, argc, argv));
    }
}
