#include "ttsd/client/text-pump.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "ttsd/client/utf8-splitter.h"

namespace ttsd::client {
namespace {

constexpr size_t kReadChunkBytes = 16 * 1024;

}  // namespace

TextPump::TextPump(Connection* conn, uint32_t request_id, int fd) : conn_(conn), request_id_(request_id), fd_(fd) {
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    status_ = MakeError(ErrorCode::kIo, std::string("cannot create a pipe: ") + std::strerror(errno));
    text_open_ = false;
    return;
  }
  // The thread starts with every signal blocked, so SIGINT reaches the thread that waits for audio.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  thread_ = std::thread([this] { Run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

TextPump::~TextPump() {
  Stop();
  for (int fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

void TextPump::Stop() {
  if (!thread_.joinable()) return;
  const char byte = 1;
  ssize_t n;
  do {
    n = ::write(stop_pipe_[1], &byte, 1);
  } while (n < 0 && errno == EINTR);
  thread_.join();
}

void TextPump::Run() {
  Utf8Splitter splitter;
  std::string buf(kReadChunkBytes, '\0');
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    int rc = ::poll(fds, 2, -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      status_ = MakeError(ErrorCode::kIo, std::string("cannot wait for input: ") + std::strerror(errno));
      break;
    }
    if (fds[1].revents) break;  // stopped
    ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      status_ = MakeError(ErrorCode::kIo, std::string("cannot read the input text: ") + std::strerror(errno));
      (void)conn_->Cancel(request_id_);
      break;
    }
    if (n == 0) {
      status_ = conn_->AppendText(request_id_, splitter.Finish(), /*final=*/true);
      break;
    }
    std::string text = splitter.Feed(std::string_view(buf.data(), static_cast<size_t>(n)));
    if (auto s = conn_->AppendText(request_id_, text, /*final=*/false); !s) {
      status_ = s;
      break;
    }
  }
  text_open_ = false;
}

}  // namespace ttsd::client
