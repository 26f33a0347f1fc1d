// Streams text from a file descriptor (stdin) into one open request as it arrives: each read() becomes a
// kText frame at once, cut between characters, and end of input sends the final kText.
//   TextPump pump(conn.get(), syn->request_id(), STDIN_FILENO);   // `llm | ttsc say --stdin -o -`
//   syn->Receive(sink, {.text_open = &pump.text_open()}); pump.Stop();
// Thread-safety: owns one thread, which blocks every signal (so handlers run on the caller's threads) and
// only sends. Construct, Stop and read status() from one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "ttsd/client/connection.h"

namespace ttsd::client {

class TextPump {
 public:
  // conn: not owned, must outlive the pump. fd: not owned, read until end of input. Starts pumping.
  TextPump(Connection* conn, uint32_t request_id, int fd);
  ~TextPump();  // Stop()
  TextPump(const TextPump&) = delete;
  TextPump& operator=(const TextPump&) = delete;

  // True until the final kText was sent or pumping ended early.
  const std::atomic<bool>& text_open() const { return text_open_; }

  // Stops reading (if input has not ended) and joins the thread. The request's text stays open when input
  // had not ended; cancel the request if it should not finish.
  void Stop();

  // After Stop(): why pumping ended early. Errors: kIo (input cannot be read; the request was then
  // cancelled), kBadRequest or kIo from sending the text.
  const Status& status() const { return status_; }

 private:
  void Run();

  Connection* conn_;  // not owned
  uint32_t request_id_;
  int fd_;            // not owned
  int stop_pipe_[2] = {-1, -1};  // owned; a byte in it tells the thread to stop
  std::atomic<bool> text_open_{true};
  Status status_;     // written by the thread, read after join
  std::thread thread_;
};

}  // namespace ttsd::client
