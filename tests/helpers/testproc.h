/*  testproc.h - one zchain program as a process, for integration tests that
 *  assemble a node by hand (over tcp://127.0.0.1, with or without keys)
 */
#ifndef TESTPROC_H_INCLUDED
#define TESTPROC_H_INCLUDED

#include <sys/types.h>

//  Start ZC_BIN_DIR/argv [0] (e.g. "zchain-storage") with argv, its output
//  appended to DIR/NAME.log. The pid, or -1.
pid_t
    testproc_start (const char *dir, const char *name, const char *const *argv);

//  SIGTERM, then wait (SIGKILL after 30 s). Its exit status (128 + signal
//  when killed), -1 when there was no process; *pid_p is set to 0.
int
    testproc_stop (pid_t *pid_p);

//  Wait up to timeout_s for a process that is expected to end by itself:
//  its exit status, or -1 when it still ran (it is killed then).
int
    testproc_wait_exit (pid_t pid, int timeout_s);

//  A TCP port on 127.0.0.1 that nothing listens on right now.
int
    testproc_port (void);

//  Run "ZC_BIN_DIR/zchain ARGS" (a shell command line), its stdout into out
//  (NUL-terminated) and stderr appended to DIR/cli.err: the exit status.
int
    testproc_cli (const char *dir, char *out, size_t out_size, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

#endif
