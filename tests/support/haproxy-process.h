// HAProxy as a child process, and its stats socket: what tests/deploy/haproxy-test.cc and
// bench/haproxy-scale-bench.cc run deploy/haproxy/haproxy.cfg with. No GoogleTest here (the bench links none).
//   HaproxyProcess proxy(FindHaproxy(), cfg, log, {"TTSD_LB_STATS=" + sock});
//   HaproxyServerStates(sock)  // {"ttsd_http/ttsd1": "UP", ...}
// One thread at a time; each object owns its process.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ttsd::testing {

// The haproxy binary: `name` as given when it holds a '/', else found on PATH, then where Debian puts
// it (sbin is not on every user's PATH). Empty if none.
inline std::string FindHaproxy(const std::string& name = "haproxy") {
  if (name.find('/') != std::string::npos) return name;
  std::stringstream path(std::string(getenv("PATH") ? getenv("PATH") : "") + ":/usr/sbin:/usr/local/sbin:/sbin");
  for (std::string dir; std::getline(path, dir, ':');) {
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  }
  return "";
}

// `haproxy -db -f CFG`, its stdout and stderr in `log_path`; SIGTERM (then SIGKILL after 2 s) at
// destruction, and SIGTERM when this process dies.
class HaproxyProcess {
 public:
  // env: more variables for it, "NAME=value" (the recipe reads its addresses from the environment).
  HaproxyProcess(const std::string& binary, const std::string& cfg_path, const std::string& log_path,
                 const std::vector<std::string>& env)
      : log_path_(log_path) {
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      const int out = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, 1);
      dup2(out, 2);
      for (const auto& variable : env) putenv(const_cast<char*>(variable.c_str()));
      execl(binary.c_str(), binary.c_str(), "-db", "-f", cfg_path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~HaproxyProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 200 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  HaproxyProcess(const HaproxyProcess&) = delete;
  HaproxyProcess& operator=(const HaproxyProcess&) = delete;

  bool Running() {
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }
  pid_t pid() const { return pid_; }
  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// One command on HAProxy's stats socket; its whole answer ("" when the socket is not there yet).
inline std::string HaproxyStats(const std::string& socket_path, const std::string& command) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (fd >= 0) close(fd);
    return "";
  }
  const std::string line = command + "\n";
  send(fd, line.data(), line.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 2000) <= 0) break;
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// "backend/server" -> status (UP, DOWN, MAINT, ...) of the servers named ttsd*, from `show stat` (CSV:
// pxname, svname, ..., status is field 17).
inline std::map<std::string, std::string> HaproxyServerStates(const std::string& socket_path) {
  std::map<std::string, std::string> states;
  std::stringstream csv(HaproxyStats(socket_path, "show stat"));
  for (std::string line; std::getline(csv, line);) {
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string v; std::getline(fields, v, ',');) f.push_back(v);
    if (f.size() > 17 && f[1].starts_with("ttsd")) states[f[0] + "/" + f[1]] = f[17];
  }
  return states;
}

}  // namespace ttsd::testing
