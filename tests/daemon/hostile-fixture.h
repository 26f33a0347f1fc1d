// Test support for the hostile-client suites: one real ttsd per suite (fixture voices, idle timeout
// 2 s), warmed up, and its RSS baseline. After every test a normal request must still succeed and
// the daemon's VmRSS must come back within 10 % of the baseline.
//   class MyTest : public HostileDaemonTest {};  TEST_F(MyTest, X) { RawClient c(path()); ... }
// Thread-safety: the fixture runs on the test thread; helpers marked so may run on client threads.
#pragma once

#include <atomic>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon-process.h"

namespace ttsd::testing {

inline const char* kHostileLongText =
    "The quick brown fox jumps over the lazy dog while the river keeps running under the old stone bridge. "
    "Every morning the baker opens his shop, and the smell of bread drifts down the narrow street. "
    "Children hurry past on their way to school, counting the minutes until the bell rings. ";

inline protocol::SynthesizeRequest TextRequest(const std::string& text, bool final = true) {
  protocol::SynthesizeRequest r;
  r.text = text;
  r.final = final;
  return r;
}

inline std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

inline std::vector<uint8_t> HelloFrame(uint32_t min = protocol::kProtocolVersionMin,
                                       uint32_t max = protocol::kProtocolVersionMax) {
  protocol::Hello hello{min, max, "hostile-test"};
  return protocol::EncodeFrame(protocol::FrameType::kHello, 0, 0, protocol::Serialize(hello));
}

inline std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// One short request on a fresh connection; true when it ended with its last chunk. Any thread.
inline bool NormalRequestSucceeds(const std::string& socket, std::string* why = nullptr) {
  RawClient c(socket);
  if (!c.connected()) {
    if (why) *why = "cannot connect";
    return false;
  }
  if (!c.Send(protocol::FrameType::kHello, 0, protocol::Serialize(protocol::Hello{1, 2, "normal"}))) return false;
  auto welcome = c.Read();
  if (!welcome || welcome->header.type != protocol::FrameType::kWelcome) {
    if (why) *why = "no welcome";
    return false;
  }
  c.Synthesize(1, TextRequest("A normal request."));
  for (;;) {
    auto f = c.Read();
    if (!f) {
      if (why) *why = "connection ended early";
      return false;
    }
    if (f->header.type == protocol::FrameType::kError) {
      if (why) *why = "error: " + protocol::ParseErrorBody(f->payload)->message;
      return false;
    }
    if (f->header.type == protocol::FrameType::kAudio && (f->header.flags & protocol::kFlagLast)) return true;
  }
}

// Runs body(i) for i in [0, n) on n threads at once and joins them.
inline void RunClients(int n, const std::function<void(int)>& body) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(body, i);
  for (auto& t : threads) t.join();
}

class HostileDaemonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new DaemonProcess({"--idle-timeout", "2"});
    // Warm-up: what normal use touches (one and several requests, several clients), so the
    // baseline holds the allocator's and the model's steady state. Sanitized, RSS is not checked.
    for (int round = 0; round < (kSanitized ? 1 : 2); ++round) {
      NormalRequestSucceeds(daemon_->socket_path());
      RawClient c(daemon_->socket_path());
      c.Handshake();
      for (uint32_t id = 1; id <= 4; ++id) c.Synthesize(id, TextRequest(kHostileLongText));
      std::map<uint32_t, RequestResult> all;
      for (uint32_t id = 1; id <= 4; ++id) {
        if (!all[id].last) CollectRequest(c, id, &all);
      }
      RunClients(16, [](int) { NormalRequestSucceeds(daemon_->socket_path()); });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    baseline_kb_ = daemon_->RssKb();
    std::printf("[ RSS      ] baseline after warm-up: %ld kB\n", baseline_kb_);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }

  // A normal request succeeds, and RSS comes back within 10 % of the baseline (polled for up to
  // 15 s, a normal request each time, while the daemon lets go of what the scenario left).
  void TearDown() override {
    std::string why;
    ASSERT_TRUE(NormalRequestSucceeds(path(), &why)) << why << "\n" << daemon_->Log();
    if (kSanitized) return;  // a sanitizer's quarantine keeps freed memory: RSS says nothing there
    const long limit = baseline_kb_ + baseline_kb_ / 10;
    long rss = daemon_->RssKb();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (rss > limit && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      ASSERT_TRUE(NormalRequestSucceeds(path(), &why)) << why;
      rss = daemon_->RssKb();
    }
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::printf("[ RSS      ] after %s: %ld kB (%+.1f %% of the baseline)\n", test->name(), rss,
                100.0 * static_cast<double>(rss - baseline_kb_) / static_cast<double>(baseline_kb_));
    EXPECT_LE(rss, limit) << "RSS " << rss << " kB, baseline " << baseline_kb_ << " kB";
  }

  static const std::string& path() { return daemon_->socket_path(); }

  static inline DaemonProcess* daemon_ = nullptr;
  static inline long baseline_kb_ = 0;
};

}  // namespace ttsd::testing
