#include "ttsc/channel-command.h"

#include <cstdio>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace ttsd::ttsc {
namespace {

using protocol::ChannelControl;
using protocol::FrameType;

ChannelControl::Action ChosenAction(const ChannelCommand& c) {
  if (*c.skip) return ChannelControl::Action::kSkip;
  if (*c.clear) return ChannelControl::Action::kClear;
  if (*c.remove) return ChannelControl::Action::kRemove;
  if (*c.pause) return ChannelControl::Action::kPause;
  if (*c.resume) return ChannelControl::Action::kResume;
  if (*c.volume) return ChannelControl::Action::kVolume;
  return ChannelControl::Action::kStatus;
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

void PrintStatus(const protocol::ChannelStatus& st) {
  std::cout << "channel " << st.channel << ": " << st.listeners << " listening, " << (st.playing ? "playing" : "idle")
            << (st.paused ? " (paused)" : "") << ", " << st.queue.size() << " queued";
  if (st.playing || !st.queue.empty()) std::cout << " (" << Seconds(st.queued_s) << " ahead)";
  if (st.gain != 1) std::cout << ", volume " << st.gain;
  std::cout << '\n';
  if (st.listeners == 0) std::cout << "  (no listeners: nothing queued here is heard)\n";
  if (st.playing) std::cout << "> " << DescribeItem(st.current) << ", " << Seconds(st.current.played_s) << " played\n";
  for (const auto& e : st.queue) std::cout << "  " << DescribeItem(e) << '\n';
}

}  // namespace

bool ChannelCommand::chosen() const {
  for (const CLI::App* cmd : {status, skip, clear, remove, pause, resume, volume}) {
    if (cmd && *cmd) return true;
  }
  return false;
}

std::string DescribeItem(const protocol::ChannelEntry& e) {
  std::ostringstream os;
  os << '#' << e.id << " \"" << e.text << (e.text_cut ? "…" : "") << '"';
  if (!e.author.empty() || !e.source.empty()) {
    os << " — " << (e.author.empty() ? "?" : e.author);
    if (!e.source.empty()) os << " (" << e.source << ")";
  }
  if (e.length_s > 0) os << ", " << Seconds(e.length_s);
  return os.str();
}

void AddChannelCommands(CLI::App* app, ChannelCommand* c) {
  c->status = app->add_subcommand(
      "channel", "Show an output channel: listeners, what plays, the queue (each item's id, text, author, source).");
  c->skip = app->add_subcommand("skip", "Drop what an output channel is playing now.");
  c->skip->add_option("--item", c->item, "only if this item (its id) is the one playing");
  c->clear = app->add_subcommand("clear", "Drop what an output channel is playing and everything queued.");
  c->remove = app->add_subcommand("remove", "Drop one item of an output channel, queued or playing, by its id.");
  c->remove->add_option("item", c->item, "the item's id (ttsc channel lists them)")
      ->required()
      ->check(CLI::PositiveNumber);
  c->pause = app->add_subcommand(
      "pause", "Pause an output channel: listeners get silence, the queue and the current item wait.");
  c->resume = app->add_subcommand("resume", "Resume a paused output channel where it stopped.");
  c->volume = app->add_subcommand("volume", "Set an output channel's volume for its listeners.");
  c->volume->add_option("gain", c->gain, "linear gain 0..2 (0.5 is about -6 dB; 1 unchanged)")
      ->required()
      ->check(CLI::Range(0.0, protocol::kMaxChannelGain));
  for (CLI::App* cmd : {c->status, c->skip, c->clear, c->remove, c->pause, c->resume, c->volume}) {
    cmd->add_option("--channel", c->channel, "the channel")->required();
    cmd->add_flag("--json", c->json, "print the channel's status as JSON");
  }
}

int RunChannelCommand(const ChannelCommand& c, const GlobalOptions& global) {
  auto conn = Connect(global);
  if (!conn) return Report(conn.error(), kExitNoConnection);
  const uint32_t id = (*conn)->NextRequestId();
  ChannelControl control;
  control.channel = c.channel;
  control.action = ChosenAction(c);
  control.item = (*c.remove || *c.skip) ? c.item : 0;
  control.gain = c.gain;
  if (auto s = (*conn)->Send(FrameType::kChannelControl, 0, id, protocol::Serialize(control)); !s) {
    return Report(s.error(), kExitFailed);
  }
  for (;;) {
    auto frame = (*conn)->ReadFrame(global.timeout_s > 0 ? std::optional(global.timeout()) : std::nullopt);
    if (!frame) return Report(frame.error(), kExitFailed);
    if (frame->header.type == FrameType::kError) return Report(client::ErrorFromFrame(*frame), kExitFailed);
    if (frame->header.request_id != id || frame->header.type != FrameType::kChannelStatus) continue;
    auto st = protocol::ParseChannelStatus(frame->payload);
    if (!st) return Report(st.error(), kExitFailed);
    if (c.json) {
      std::cout << nlohmann::json::parse(frame->payload.begin(), frame->payload.end()).dump(2) << '\n';
    } else {
      PrintStatus(*st);
    }
    return kExitOk;
  }
}

}  // namespace ttsd::ttsc
