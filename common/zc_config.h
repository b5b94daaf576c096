/*  zc_config.h - service configuration: flags, then environment, then defaults
 *
 *  A service describes its options in one table; zc_config_parse fills its
 *  config struct from `--name VALUE` / `--name=VALUE` flags, else the
 *  option's ZC_* environment variable, else the default, and
 *  zc_config_log prints every effective value with where it came from.
 *
 *      static const zc_option_t s_options [] = {
 *          { "api", "ZC_STORAGE_API", ZC_OPT_STRING, "tcp://0.0.0.0:7801",
 *            "endpoint of the request api", offsetof (cfg_t, api), 0, 0 },
 *          { NULL }
 *      };
 */
#ifndef ZC_CONFIG_H_INCLUDED
#define ZC_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZC_LIST_MAX 16

typedef enum {
    ZC_OPT_STRING,                      //  const char * (borrowed from argv, env or table)
    ZC_OPT_INT,                         //  int64_t within [min, max]
    ZC_OPT_BOOL,                        //  bool: "--name" alone, or true/false/1/0
    ZC_OPT_LIST                         //  zc_strlist_t: the flag repeated
} zc_opt_type_t;

typedef struct {
    const char *value [ZC_LIST_MAX];
    int count;
} zc_strlist_t;

typedef struct {
    const char *name;                   //  flag without dashes; NULL ends the table
    const char *env;                    //  environment variable, or NULL
    zc_opt_type_t type;
    const char *def;                    //  default as text (list: comma-separated)
    const char *help;
    size_t offset;                      //  offsetof the field in the config struct
    int64_t min;                        //  ints: the allowed range
    int64_t max;
} zc_option_t;

//  Fill cfg. 0 ok; 1 when --help was given (usage printed to stdout: exit
//  0); -1 with a one-line reason in err (exit 2).
int
    zc_config_parse (const zc_option_t *table, void *cfg, int argc, char **argv,
                     const char *program, const char *summary, char *err, size_t err_size);

//  Print usage built from the table: each option, its variable, default.
void
    zc_config_usage (const zc_option_t *table, const char *program, const char *summary,
                     FILE *out);

//  Log every effective value at info, with its source (flag, env, default).
void
    zc_config_log (const zc_option_t *table, const void *cfg, int argc, char **argv);

#endif
