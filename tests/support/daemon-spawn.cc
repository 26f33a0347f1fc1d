#include "daemon-spawn.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace ttsd::testing {

bool SocketAccepts(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::vector<std::string> SplitArgs(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string a; in >> a;) out.push_back(a);
  return out;
}

Result<std::unique_ptr<SpawnedDaemon>> SpawnedDaemon::Start(const SpawnOptions& options) {
  char tmpl[] = "/tmp/ttsd-XXXXXX";
  if (!mkdtemp(tmpl)) return MakeError(ErrorCode::kIo, std::string("mkdtemp: ") + std::strerror(errno));
  std::unique_ptr<SpawnedDaemon> d(new SpawnedDaemon());
  d->dir_ = tmpl;
  d->socket_path_ = options.socket_path.empty() ? d->dir_ + "/ttsd.sock" : options.socket_path;
  d->binary_ = options.binary;
  d->log_path_ = d->dir_ + "/ttsd.log";

  const auto& extra = options.extra_args;
  auto has = [&](const char* flag) {
    return std::any_of(extra.begin(), extra.end(), [&](const std::string& a) {
      return a == flag || a.rfind(std::string(flag) + "=", 0) == 0;
    });
  };
  auto& cmd = d->command_;
  cmd = options.wrapper;
  cmd.insert(cmd.end(), {options.binary, "--socket", d->socket_path_});
  for (const auto& v : options.voices) cmd.insert(cmd.end(), {"--voices", v});
  if (!has("--log-level")) cmd.insert(cmd.end(), {"--log-level", options.log_level});
  if (!has("--voice-store")) cmd.insert(cmd.end(), {"--voice-store", d->dir_ + "/saved-voices"});
  // The HTTP API's default port is shared by every daemon on the machine: off unless asked for.
  if (!has("--http")) cmd.insert(cmd.end(), {"--http", "off"});
  cmd.insert(cmd.end(), extra.begin(), extra.end());

  const pid_t bench_pid = getpid();
  d->pid_ = fork();
  if (d->pid_ < 0) return MakeError(ErrorCode::kIo, std::string("fork: ") + std::strerror(errno));
  if (d->pid_ == 0) {
    // A bench killed before it can stop its daemon takes the daemon with it.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != bench_pid) _exit(127);  // the bench died before the prctl
    const int log = open(d->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log >= 0) {
      dup2(log, 1);
      dup2(log, 2);
    }
    std::vector<char*> argv;
    for (auto& a : cmd) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  if (options.wait_ready) {
    if (auto s = d->WaitReady(options.ready_timeout); !s) return std::unexpected(s.error());
  }
  return d;
}

Status SpawnedDaemon::WaitReady(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!SocketAccepts(socket_path_)) {
    if (!Running() || std::chrono::steady_clock::now() > deadline) {
      std::string log = Log();
      if (log.size() > 2000) log = log.substr(log.size() - 2000);
      return MakeError(ErrorCode::kIo, binary_ + " did not start listening; its log:\n" + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {};
}

SpawnedDaemon::~SpawnedDaemon() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string SpawnedDaemon::Log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool SpawnedDaemon::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = status;
    pid_ = -1;
    return false;
  }
  return true;
}

std::string SpawnedDaemon::WaitForLog(const std::string& pattern, std::chrono::milliseconds timeout) {
  const std::regex re(pattern);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::string log = Log();
    std::smatch m;
    if (std::regex_search(log, m, re)) return m.size() > 1 ? m[1].str() : m[0].str();
    if (!Running() || std::chrono::steady_clock::now() > deadline) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int SpawnedDaemon::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return status_;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    status_ = -1;
  }
  return status_;
}

}  // namespace ttsd::testing
