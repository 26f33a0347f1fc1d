// A native-protocol connection from the HTTP front end to this daemon's own Session, over a socket
// pair (Server::ConnectInProcess). An HTTP request therefore behaves exactly as the same request from
// ttsc: voice and saved-voice resolution, emotion, channels, limits, backpressure, and cancellation
// when the link closes. The hop costs one local socket write per frame.
//   auto link = std::make_shared<NativeLink>(std::move(socket));
//   link->Start(on_frame, on_end);   // sends hello; frames after welcome arrive in on_frame
//   link->Send(protocol::EncodeFrame(FrameType::kSynthesize, 0, 1, body));
// Thread-safety: I/O thread only; callbacks run there.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/protocol/frame.h"

namespace ttsd::daemon {

class NativeLink : public std::enable_shared_from_this<NativeLink> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;
  using FrameFn = std::function<void(protocol::Frame frame)>;
  // The link ended: the daemon closed it (shutting down), or its bytes broke framing. Not called
  // after Close().
  using EndFn = std::function<void(const Error& error)>;

  explicit NativeLink(Socket socket);
  ~NativeLink();

  // Sends hello and starts reading. The welcome is checked here and not passed on.
  void Start(FrameFn on_frame, EndFn on_end);
  void Send(std::vector<uint8_t> frame);
  // Stops and resumes reading, for a reader of ours that is behind: ttsd then pauses generation.
  void Pause() { paused_ = true; }
  void Resume();
  // Closes the socket: the Session cancels whatever is still open on it. Drops the callbacks.
  void Close();
  bool closed() const { return closed_; }

 private:
  void ReadMore();
  void Deliver();  // hands out decoded frames until paused or empty
  void WriteNext();
  void End(const Error& error);

  Socket socket_;
  protocol::FrameDecoder decoder_;
  std::vector<uint8_t> read_buffer_;
  std::deque<std::vector<uint8_t>> write_queue_;
  FrameFn on_frame_;
  EndFn on_end_;
  bool welcomed_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool paused_ = false;
  bool closed_ = false;
};

}  // namespace ttsd::daemon
