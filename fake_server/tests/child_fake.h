// A child rq-fake process, for the tests that need the binary itself (its exit codes, signals,
// stderr, restarts on one data directory): stdout on a pipe whose first line names the port,
// stderr in a file. The including target defines RQ_FAKE_BIN (the rq-fake to run).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef RQ_FAKE_BIN
#error "RQ_FAKE_BIN must name the rq-fake binary"
#endif

namespace rqcheck::fake::test_support {

struct ChildFake {
  pid_t pid = -1;
  int port = 0;
  std::string first_line, err_file;

  ChildFake() = default;
  ChildFake(const ChildFake&) = delete;
  ChildFake& operator=(const ChildFake&) = delete;

  // Starts rq-fake with `args`, its stderr into `err_path`. False (first_line says what came)
  // when it did not print "rq-fake listening on ...:PORT"; a child that exited is still there
  // for wait_exit().
  bool start(const std::vector<std::string>& args, const std::string& err_path) {
    int out[2];
    if (::pipe(out) != 0) return false;
    err_file = err_path;
    pid = ::fork();
    if (pid == 0) {
      ::dup2(out[1], 1);
      int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (e >= 0) ::dup2(e, 2);
      ::close(out[0]);
      static std::string bin = RQ_FAKE_BIN;
      std::vector<std::string> copy = args;
      std::vector<char*> argv;
      argv.push_back(bin.data());
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    first_line = line;
    auto colon = line.rfind(':');
    if (line.rfind("rq-fake listening on ", 0) != 0 || colon == std::string::npos) return false;
    port = std::atoi(line.c_str() + colon + 1);
    return port > 0;
  }

  // Waits for the child to exit: its exit status, or 128 + the signal that ended it.
  int wait_exit() {
    int st = 0;
    if (pid <= 0 || ::waitpid(pid, &st, 0) != pid) return -1;
    pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  // SIGTERM (the graceful stop: the report and the cost summary are written), then waits.
  int stop() {
    if (pid > 0) ::kill(pid, SIGTERM);
    return wait_exit();
  }

  void kill9() {
    if (pid > 0) ::kill(pid, SIGKILL);
  }

  std::string stderr_text() const {
    std::ifstream in(err_file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  ~ChildFake() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

// Runs rq-fake with `args` to its exit: its exit status, and its stderr in `err`.
inline int run_fake_to_exit(const std::vector<std::string>& args, const std::string& err_path,
                            std::string& err) {
  ChildFake child;
  child.start(args, err_path);
  int status = child.wait_exit();
  err = child.stderr_text();
  return status;
}

}  // namespace rqcheck::fake::test_support
