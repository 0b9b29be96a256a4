// Copyright 2026 The Wayback Authors.
//
// A child process for the tests that run real binaries (the wayback tool)
// and kill them: started with fork + execv, its standard input a pipe the
// test writes (or /dev/null), its standard output and error appended to a
// log file, waited for with the signal that ended it.

#ifndef WAYBACK_TESTS_TESTUTIL_CHILD_PROCESS_H_
#define WAYBACK_TESTS_TESTUTIL_CHILD_PROCESS_H_

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace wayback::testing {

struct ChildProcess {
  pid_t pid = -1;     // -1 if it could not be started.
  int stdin_fd = -1;  // The write end of its standard input, if piped.
};

// Runs `binary` with `args`; output appended to `log` (created if missing).
inline ChildProcess StartChild(const std::string& binary,
                               const std::vector<std::string>& args,
                               const std::string& log, bool pipe_stdin) {
  int fds[2] = {-1, -1};
  if (pipe_stdin && pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    if (pipe_stdin) {
      dup2(fds[0], 0);
      close(fds[0]);
      close(fds[1]);
    } else {
      int devnull = open("/dev/null", O_RDONLY);
      dup2(devnull, 0);
    }
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(out, 1);
    dup2(out, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  if (pipe_stdin) close(fds[0]);
  return {pid, pipe_stdin ? fds[1] : -1};
}

// Waits for the child: its exit status, or minus the signal that killed it.
inline int WaitChild(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_TESTUTIL_CHILD_PROCESS_H_
