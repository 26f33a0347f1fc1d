#include "ttsd/daemon/unix-listener.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;
using Protocol = asio::local::stream_protocol;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// True when something accepts connections at path.
bool SomeoneListens(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// The directory the socket goes in: made 0700 if missing, else one only we (or root) can change.
Status CheckDirectory(const std::filesystem::path& dir, const std::string& socket) {
  if (dir.empty()) return {};
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot create " + dir.string() + ": " + ec.message());
    if (chmod(dir.c_str(), 0700) != 0) return MakeError(ErrorCode::kIo, Errno("chmod " + dir.string()));
    return {};
  }
  if (S_ISLNK(st.st_mode)) {
    return MakeError(ErrorCode::kIo, "refusing a " + socket + " directory that is a symlink: " + dir.string());
  }
  if (st.st_uid != geteuid() && st.st_uid != 0) {
    return MakeError(ErrorCode::kIo, "refusing a " + socket + " directory owned by another user: " + dir.string());
  }
  if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX)) {
    return MakeError(ErrorCode::kIo, "refusing a " + socket + " directory others can write to: " + dir.string());
  }
  return {};
}

}  // namespace

UnixListener::UnixListener(asio::io_context& io) : acceptor_(io) {}

UnixListener::~UnixListener() {
  if (!created_.empty()) unlink(created_.c_str());
}

Status UnixListener::Listen(const std::string& path, std::string_view owner) {
  const std::string socket = owner.empty() ? "socket" : std::string(owner) + " socket";
  if (auto s = CheckDirectory(std::filesystem::path(path).parent_path(), socket); !s) return s;
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) return MakeError(ErrorCode::kIo, "refusing a " + socket + " path that is a symlink: " + path);
    if (!S_ISSOCK(st.st_mode)) return MakeError(ErrorCode::kIo, path + " exists and is not a socket");
    if (SomeoneListens(path)) return MakeError(ErrorCode::kIo, "another daemon is listening on " + path);
    spdlog::info("removing stale socket {}", path);
    if (unlink(path.c_str()) != 0) return MakeError(ErrorCode::kIo, Errno("unlink " + path));
  }

  const std::string named = owner.empty() ? path : socket + " " + path;
  boost::system::error_code ec;
  acceptor_.open(Protocol(), ec);  // Asio opens sockets close-on-exec
  if (!ec) acceptor_.bind(Protocol::endpoint(path), ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot bind " + named + ": " + ec.message());
  created_ = path;
  if (chmod(path.c_str(), 0600) != 0) return MakeError(ErrorCode::kIo, Errno("chmod " + path));
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot listen on " + path + ": " + ec.message());
  return {};
}

}  // namespace ttsd::daemon
