/*  testproc.c - single service processes for integration tests */
#include "testproc.h"
#include "zc_time.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ZC_BIN_DIR
#define ZC_BIN_DIR "build/bin"
#endif

pid_t
testproc_start (const char *dir, const char *name, const char *const *argv)
{
    char program [512], log [512];
    snprintf (program, sizeof program, "%s/%s", ZC_BIN_DIR, argv [0]);
    snprintf (log, sizeof log, "%s/%s.log", dir, name);
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
        }
        //  execv's argv is not const, but it does not change the strings
        execv (program, (char *const *) argv);
        _exit (127);
    }
    return pid;
}

//  The status waitpid gave, as an exit code
static int
s_status (int status)
{
    return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

int
testproc_wait_exit (pid_t pid, int timeout_s)
{
    int64_t deadline = zc_mono_ms () + (int64_t) timeout_s * 1000;
    int status;
    while (zc_mono_ms () < deadline) {
        pid_t got = waitpid (pid, &status, WNOHANG);
        if (got == pid)
            return s_status (status);
        if (got < 0)
            return -1;
        usleep (20000);
    }
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    return -1;
}

int
testproc_stop (pid_t *pid_p)
{
    pid_t pid = *pid_p;
    *pid_p = 0;
    if (pid <= 0)
        return -1;
    kill (pid, SIGTERM);
    int rc = testproc_wait_exit (pid, 30);
    return rc < 0 ? 128 + SIGKILL : rc;
}

int
testproc_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    socklen_t size = sizeof addr;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0
    &&  getsockname (fd, (struct sockaddr *) &addr, &size) == 0)
        port = ntohs (addr.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

int
testproc_cli (const char *dir, char *out, size_t out_size, const char *format, ...)
{
    char args [2048], cmd [2600];
    va_list ap;
    va_start (ap, format);
    vsnprintf (args, sizeof args, format, ap);
    va_end (ap);
    snprintf (cmd, sizeof cmd, "%s/zchain %s 2>>%s/cli.err", ZC_BIN_DIR, args, dir);
    FILE *p = popen (cmd, "r");
    if (!p)
        return -1;
    size_t n = out ? fread (out, 1, out_size - 1, p) : 0;
    if (out)
        out [n] = 0;
    char sink [4096];
    while (fread (sink, 1, sizeof sink, p) > 0)
        ;
    int status = pclose (p);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}
