// Moderating a channel over the HTTP API of a real ttsd: the 202 answer's item and its warning when
// nobody listens, items with author and source in GET /v1/channels/NAME, DELETE of an item by id,
// pause, resume and volume, and the items' events on the server-sent event stream.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/http-client.h"

namespace ttsd::testing {
namespace {

using json = nlohmann::json;

const std::string kLong = "This one is long enough to be playing still when it is moderated, and then some more words.";

class ChannelModeration : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<DaemonProcess>(std::vector<std::string>{"--http", "127.0.0.1:0"});
    port_ = HttpPort(*daemon_);
    ASSERT_GT(port_, 0);
  }
  HttpResponse Send(const std::string& method, const std::string& path, const std::string& body = "") {
    return HttpRequest(port_, method, path, body);
  }
  json Speak(const std::string& text, const std::string& author = "") {
    json body = {{"input", text}, {"channel", "mod"}};
    if (!author.empty()) body["author"] = author;
    auto r = Send("POST", "/v1/audio/speech", body.dump());
    EXPECT_EQ(r.status, 202) << r.body;
    return json::parse(r.body);
  }
  std::unique_ptr<DaemonProcess> daemon_;
  int port_ = -1;
};

TEST_F(ChannelModeration, ItemsCanBeListedRemovedPausedAndTurnedDown) {
  // Nobody listens: queued, with its item and a warning.
  json first = Speak(kLong, "alice");
  EXPECT_GT(first["item"].get<uint64_t>(), 0u);
  EXPECT_EQ(first["listeners"], 0);
  ASSERT_TRUE(first.contains("warning")) << first.dump();
  EXPECT_NE(first["warning"].get<std::string>().find("no listeners"), std::string::npos);
  json second = Speak("Second in line.", "bob");
  json third = Speak("Third in line.");

  auto r = Send("GET", "/v1/channels/mod");
  ASSERT_EQ(r.status, 200);
  json st = json::parse(r.body);
  EXPECT_EQ(st["current"]["id"], first["item"]);
  EXPECT_EQ(st["current"]["author"], "alice");
  EXPECT_EQ(st["current"]["source"], "http");  // the HTTP API's own, none given
  ASSERT_EQ(st["queue"].size(), 2u);
  EXPECT_EQ(st["queue"][0]["author"], "bob");

  // Remove the second by id; again: 404 unknown_item.
  const std::string second_path = "/v1/channels/mod/items/" + std::to_string(second["item"].get<uint64_t>());
  r = Send("DELETE", second_path);
  ASSERT_EQ(r.status, 200) << r.body;
  st = json::parse(r.body);
  ASSERT_EQ(st["queue"].size(), 1u);
  EXPECT_EQ(st["queue"][0]["id"], third["item"]);
  r = Send("DELETE", second_path);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "unknown_item");

  // Pause, volume, resume.
  r = Send("POST", "/v1/channels/mod/pause");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body)["paused"].get<bool>());
  r = Send("POST", "/v1/channels/mod/volume", R"({"gain": 0.25})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["gain"], 0.25);
  r = Send("POST", "/v1/channels/mod/volume", R"({"gain": 3})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Send("POST", "/v1/channels/mod/resume");
  ASSERT_EQ(r.status, 200) << r.body;
  st = json::parse(r.body);
  EXPECT_FALSE(st["paused"].get<bool>());
  EXPECT_EQ(st["gain"], 0.25);
}

TEST_F(ChannelModeration, TheEventStreamTellsWhatHappensToItems) {
  json first = Speak(kLong, "alice");
  json second = Speak("Removed before it plays.", "bob");
  // The stream opens, then the second item is removed while it is read.
  std::thread remover([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    Send("DELETE", "/v1/channels/mod/items/" + std::to_string(second["item"].get<uint64_t>()));
    Send("POST", "/v1/channels/mod/pause");
  });
  auto events = HttpRequest(port_, "GET", "/v1/channels/mod/events", "", {}, std::chrono::milliseconds(1500));
  remover.join();
  EXPECT_EQ(events.status, 200);
  const size_t removed = events.body.find("event: removed\ndata: ");
  ASSERT_NE(removed, std::string::npos) << events.body;
  json event = json::parse(events.body.substr(removed + 21, events.body.find("\n\n", removed) - removed - 21));
  EXPECT_EQ(event["id"], second["item"]);
  EXPECT_EQ(event["author"], "bob");
  EXPECT_EQ(event["reason"], "removed");
  EXPECT_NE(events.body.find("event: paused\n"), std::string::npos) << events.body;
}

}  // namespace
}  // namespace ttsd::testing
