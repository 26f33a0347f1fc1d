// Continuous batching through the real daemon: concurrent requests on the default voice (which
// declares batching) share model steps, and each still gets the audio it gets alone.
#include <gtest/gtest.h>

#include "../support/daemon-process.h"

namespace ttsd::testing {
namespace {

std::string VoicesDir() { return std::string(TTSD_SOURCE_DIR) + "/models/voices"; }

const std::vector<std::string> kTexts = {
    "The first of four requests arrives.",
    "A second request speaks at the same time, a little longer than the first.",
    "Third.",
    "And the fourth one closes the round of concurrent requests.",
};

protocol::SynthesizeRequest Request(const std::string& text) {
  protocol::SynthesizeRequest r;
  r.voice = "ttsd-en";
  r.text = text;
  r.sample_format = protocol::SampleFormat::kF32Le;
  return r;
}

// Every text on its own connection, all sent before any is read.
std::vector<RequestResult> Concurrently(DaemonProcess& d) {
  std::vector<std::unique_ptr<RawClient>> clients;
  for (size_t i = 0; i < kTexts.size(); ++i) {
    clients.push_back(std::make_unique<RawClient>(d.socket_path()));
    clients.back()->Handshake();
  }
  for (size_t i = 0; i < kTexts.size(); ++i) EXPECT_TRUE(clients[i]->Synthesize(1, Request(kTexts[i])));
  std::vector<RequestResult> out;
  for (auto& c : clients) out.push_back(CollectRequest(*c, 1));
  return out;
}

TEST(Batching, ConcurrentRequestsShareStepsAndSoundAsTheyDoAlone) {
  std::vector<RequestResult> alone;
  {
    DaemonProcess d({"--voices", VoicesDir(), "--max-batch", "1"});
    RawClient c(d.socket_path());
    c.Handshake();
    for (size_t i = 0; i < kTexts.size(); ++i) {
      ASSERT_TRUE(c.Synthesize(static_cast<uint32_t>(i + 1), Request(kTexts[i])));
      alone.push_back(CollectRequest(c, static_cast<uint32_t>(i + 1)));
    }
    EXPECT_EQ(d.Log().find("batched step"), std::string::npos);
  }
  DaemonProcess d({"--voices", VoicesDir(), "--workers", "1"});
  const auto together = Concurrently(d);
  EXPECT_NE(d.Log().find("batched step"), std::string::npos) << "no step ran more than one request";
  ASSERT_EQ(together.size(), alone.size());
  for (size_t i = 0; i < alone.size(); ++i) {
    SCOPED_TRACE(kTexts[i]);
    ASSERT_FALSE(alone[i].error) << alone[i].error->message;
    ASSERT_FALSE(together[i].error) << together[i].error->message;
    EXPECT_TRUE(together[i].last && together[i].offsets_contiguous);
    ASSERT_GT(alone[i].samples.size(), 8000u);
    ASSERT_EQ(together[i].samples.size(), alone[i].samples.size());
    double diff = 0;
    for (size_t k = 0; k < alone[i].samples.size(); ++k) {
      diff = std::max(diff, double(std::abs(together[i].samples[k] - alone[i].samples[k])));
    }
    EXPECT_LT(diff, 5e-4);
  }
}

TEST(Batching, ACancelledRequestLeavesItsBatchIntact) {
  DaemonProcess d({"--voices", VoicesDir(), "--workers", "1"});
  RawClient a(d.socket_path()), b(d.socket_path());
  a.Handshake();
  b.Handshake();
  ASSERT_TRUE(a.Synthesize(1, Request(kTexts[1] + " " + kTexts[3] + " " + kTexts[1])));
  ASSERT_TRUE(b.Synthesize(1, Request(kTexts[1] + " " + kTexts[3])));
  auto first = a.Read();  // accepted
  ASSERT_TRUE(first);
  ASSERT_TRUE(a.Send(protocol::FrameType::kCancel, 1, {}));
  auto cancelled = CollectRequest(a, 1);
  ASSERT_TRUE(cancelled.error);
  EXPECT_EQ(cancelled.error->code, ErrorCode::kCancelled);
  auto other = CollectRequest(b, 1);
  EXPECT_FALSE(other.error);
  EXPECT_TRUE(other.last && other.offsets_contiguous);
  EXPECT_GT(other.samples.size(), 16000u * 3);
}

}  // namespace
}  // namespace ttsd::testing
