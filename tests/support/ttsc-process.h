// Test support: ttsc as a background process (tests/chat, tests/client): start it, read its log, signal it.
//   TtscProcess listen(dir.path(), {"--socket", sock, "listen", "--channel", "stream", "--events", file});
//   listen.WaitForLog("reconnected"); listen.Stop();
// One thread at a time.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/daemon-process.h"

namespace ttsd::testing {

// `ttsc ARGS...` in the background (a listen, a chat reader: what never ends by itself), its stdout and
// stderr in DIR/LOG_NAME; SIGKILL at destruction.
class TtscProcess {
 public:
  // env: more NAME=VALUE entries for its environment.
  TtscProcess(const std::string& dir, std::vector<std::string> args, std::vector<std::string> env = {},
              const std::string& log_name = "ttsc.log")
      : log_path_(dir + "/" + log_name) {
    args.insert(args.begin(), TtscBinary());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) {  // ours replace the inherited ones of the same name
      const std::string_view inherited(*e);
      const auto name = inherited.substr(0, inherited.find('=') + 1);
      if (std::none_of(env.begin(), env.end(), [&](const std::string& v) { return v.starts_with(name); })) {
        envp.push_back(*e);
      }
    }
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(log, 1);
      dup2(log, 2);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(log);
  }
  ~TtscProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string Log() const {
    std::ifstream in(log_path_);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  // Waits until text is in the log `times` times.
  bool WaitForLog(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10), int times = 1) const {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      const std::string log = Log();
      int seen = 0;
      for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++seen;
      if (seen >= times) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  void Signal(int sig) { kill(pid_, sig); }
  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  // SIGTERM; returns the exit code (-1: killed or did not exit within 10 s).
  int Stop() {
    kill(pid_, SIGTERM);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (std::chrono::steady_clock::now() < end) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
};

}  // namespace ttsd::testing
