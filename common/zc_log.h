/*  zc_log.h - leveled logging to stderr, tagged with the service name
 *
 *  One line per event: "2026-11-25T10:00:00.123Z mempool.1 INFO message".
 *  The level and name are process-wide (set once at start by main); the
 *  functions are thread-safe because each line is one write(2).
 */
#ifndef ZC_LOG_H_INCLUDED
#define ZC_LOG_H_INCLUDED

#include <stdbool.h>

typedef enum {
    ZC_LOG_DEBUG = 0,
    ZC_LOG_INFO = 1,
    ZC_LOG_WARN = 2,
    ZC_LOG_ERROR = 3,
    ZC_LOG_QUIET = 4
} zc_log_level_t;

//  Set the name shown on each line (copied, at most 47 characters).
void
    zc_log_set_name (const char *name);

//  Set the lowest level printed (default info).
void
    zc_log_set_level (zc_log_level_t level);

//  Parse "debug", "info", "warn", "error" or "quiet"; -1 if none.
int
    zc_log_level_parse (const char *name);

//  True when a message at level would be printed (skip costly formatting).
bool
    zc_log_enabled (zc_log_level_t level);

void
    zc_log (zc_log_level_t level, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

#define zc_debug(...) zc_log (ZC_LOG_DEBUG, __VA_ARGS__)
#define zc_info(...)  zc_log (ZC_LOG_INFO, __VA_ARGS__)
#define zc_warn(...)  zc_log (ZC_LOG_WARN, __VA_ARGS__)
#define zc_error(...) zc_log (ZC_LOG_ERROR, __VA_ARGS__)

#endif
