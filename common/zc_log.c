/*  zc_log.c - leveled logging */
#include "zc_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int s_level = ZC_LOG_INFO;
static char s_name [48] = "zchain";

static const char *s_level_names [] = { "debug", "info", "warn", "error", "quiet" };

void
zc_log_set_name (const char *name)
{
    snprintf (s_name, sizeof s_name, "%s", name ? name : "zchain");
}

void
zc_log_set_level (zc_log_level_t level)
{
    atomic_store (&s_level, (int) level);
}

int
zc_log_level_parse (const char *name)
{
    for (int i = 0; name && i <= ZC_LOG_QUIET; i++)
        if (strcmp (name, s_level_names [i]) == 0)
            return i;
    return -1;
}

bool
zc_log_enabled (zc_log_level_t level)
{
    return (int) level >= atomic_load (&s_level) && level < ZC_LOG_QUIET;
}

void
zc_log (zc_log_level_t level, const char *format, ...)
{
    if (!zc_log_enabled (level))
        return;
    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct tm tm;
    gmtime_r (&tv.tv_sec, &tm);
    char line [1024];
    int n = snprintf (line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s %s ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                      tm.tm_min, tm.tm_sec, (int) (tv.tv_usec / 1000), s_name,
                      level == ZC_LOG_DEBUG ? "DEBUG" : level == ZC_LOG_INFO ? "INFO"
                      : level == ZC_LOG_WARN ? "WARN" : "ERROR");
    va_list args;
    va_start (args, format);
    int m = vsnprintf (line + n, sizeof line - (size_t) n - 1, format, args);
    va_end (args);
    size_t len = (size_t) n + (m < 0 ? 0 : (size_t) m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;          //  truncated: keep one line
    line [len++] = '\n';
    //  one write per line so threads and processes sharing stderr never interleave
    ssize_t rc = write (STDERR_FILENO, line, len);
    (void) rc;
}
