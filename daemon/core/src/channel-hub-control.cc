// ChannelHub: moderation (cancel, remove, skip, clear, pause, resume, volume) and what a channel
// shows (status, metrics). Queueing and playing are in channel-hub.cc.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "channel-hub-parts.h"
#include "ttsd/daemon/channel-hub.h"

namespace ttsd::daemon {
namespace {

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

double ChannelHub::Utterance::length_s() const {
  const double synthesized = static_cast<double>(generated) / protocol::kChannelSampleRate;
  if (generated_all) return synthesized;
  const double estimate = duration_s > 0 ? duration_s : static_cast<double>(chars) / kEstimatedCharsPerSecond / speed;
  return std::max(synthesized, estimate);
}

// Keeps the first kChannelItemTextBytes, cut before a character that would not fit whole.
void ChannelHub::Utterance::AddText(std::string_view more) {
  chars += static_cast<size_t>(std::count_if(more.begin(), more.end(), [](char c) { return !IsContinuation(c); }));
  if (text_cut || more.empty()) return;
  const size_t room = protocol::kChannelItemTextBytes - text.size();
  if (more.size() <= room) {
    text += more;
    return;
  }
  size_t take = room;
  while (take > 0 && IsContinuation(more[take])) --take;
  text += more.substr(0, take);
  text_cut = true;
}

ChannelHub::Channel* ChannelHub::Find(const std::string& name) {
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second.get();
}

ChannelHub::Utterance* ChannelHub::FindUtterance(uint64_t id) {
  auto it = utterance_channel_.find(id);
  if (it == utterance_channel_.end()) return nullptr;
  Channel* ch = Find(it->second);
  if (!ch) return nullptr;
  if (ch->current && ch->current->id == id) return ch->current.get();
  for (const auto& u : ch->queue) {
    if (u->id == id) return u.get();
  }
  return nullptr;
}

void ChannelHub::AddText(uint64_t utterance_id, std::string_view text) {
  if (Utterance* u = FindUtterance(utterance_id)) u->AddText(text);
}

// Seconds of speech a new item would wait for: the rest of the current one and the whole queue.
double ChannelHub::QueuedSeconds(const Channel& ch) const {
  double s = 0;
  if (ch.current) {
    s += std::max(0.0, ch.current->length_s() - static_cast<double>(ch.current->played) / protocol::kChannelSampleRate);
  }
  for (const auto& u : ch.queue) s += u->length_s();
  return s;
}

bool ChannelHub::Cancel(uint64_t utterance_id) {
  auto it = utterance_channel_.find(utterance_id);
  if (it == utterance_channel_.end()) return false;
  return Remove(it->second, utterance_id, "cancelled").has_value();
}

Status ChannelHub::Remove(const std::string& channel, uint64_t item) { return Remove(channel, item, "removed"); }

// By id only: an item that has just played out is unknown, never confused with the one after it.
Status ChannelHub::Remove(const std::string& channel, uint64_t item, const std::string& why) {
  auto unknown = [&] {
    return MakeError(ErrorCode::kUnknownItem, "channel '" + channel + "' has no item " + std::to_string(item) +
                                                  " queued or playing (it may have just ended)");
  };
  Channel* ch = Find(channel);
  if (!ch) return unknown();
  Settle(*ch);
  if (ch->current && ch->current->id == item) {
    Drop(*ch, ch->current, why);
    ch->current = nullptr;
    Advance(*ch);
    return {};
  }
  auto q = std::find_if(ch->queue.begin(), ch->queue.end(), [&](const auto& u) { return u->id == item; });
  if (q == ch->queue.end()) return unknown();
  auto u = *q;
  ch->queue.erase(q);
  Drop(*ch, u, why);
  AllowGeneration(*ch);
  return {};
}

std::shared_ptr<Job> ChannelHub::FindJob(uint64_t utterance_id) const {
  auto* self = const_cast<ChannelHub*>(this);  // FindUtterance changes nothing
  Utterance* u = self->FindUtterance(utterance_id);
  return u ? u->job : nullptr;
}

Status ChannelHub::Skip(const std::string& channel, uint64_t item) {
  Channel* ch = Find(channel);
  if (ch) Settle(*ch);
  if (item != 0 && !(ch && ch->current && ch->current->id == item)) {
    return MakeError(ErrorCode::kUnknownItem,
                     "item " + std::to_string(item) + " is not playing on channel '" + channel + "'");
  }
  if (!ch || !ch->current) return {};
  Drop(*ch, ch->current, "skipped");
  ch->current = nullptr;
  Advance(*ch);
  return {};
}

size_t ChannelHub::Clear(const std::string& channel) {
  Channel* ch = Find(channel);
  if (!ch) return 0;
  Settle(*ch);
  size_t n = 0;
  if (ch->current) {
    Drop(*ch, ch->current, "cleared");
    ch->current = nullptr;
    ++n;
  }
  auto queue = std::move(ch->queue);
  ch->queue.clear();
  for (const auto& u : queue) {
    Drop(*ch, u, "cleared");
    ++n;
  }
  return n;
}

void ChannelHub::Pause(const std::string& channel) {
  if (shut_down_) return;
  Channel& ch = Get(channel);
  if (ch.paused) return;
  ch.paused = true;
  spdlog::info("channel {}: paused", channel);
  ChannelEvent e;
  e.kind = ChannelEvent::Kind::kPaused;
  e.utterance = ch.current ? ch.current->id : 0;
  Emit(channel, e);
}

void ChannelHub::Resume(const std::string& channel) {
  Channel* ch = Find(channel);
  if (!ch || !ch->paused) return;
  ch->paused = false;
  spdlog::info("channel {}: resumed", channel);
  ChannelEvent e;
  e.kind = ChannelEvent::Kind::kResumed;
  e.utterance = ch->current ? ch->current->id : 0;
  Emit(channel, e);
  if (ch->idle() && ch->listeners.empty()) {
    ForgetIfIdle(channel);
  } else {
    StartClock(*ch);
  }
}

void ChannelHub::SetGain(const std::string& channel, double gain) {
  if (shut_down_) return;
  Channel& ch = Get(channel);
  ch.gain = std::clamp(gain, 0.0, protocol::kMaxChannelGain);
  if (ch.clock_running == false) ch.applied_gain = ch.gain;  // no frame to ramp across
  spdlog::info("channel {}: gain {}", channel, ch.gain);
  ForgetIfIdle(channel);
}

protocol::ChannelStatus ChannelHub::Status(const std::string& channel) const {
  protocol::ChannelStatus st;
  st.channel = channel;
  st.max_queue = static_cast<uint32_t>(limits_.max_queue);
  st.max_queued_s = limits_.max_queued_s;
  auto it = channels_.find(channel);
  if (it == channels_.end()) return st;
  const Channel& ch = *it->second;
  st.listeners = static_cast<uint32_t>(ch.listeners.size());
  st.underruns = ch.underruns;
  st.paused = ch.paused;
  st.gain = ch.gain;
  st.queued_s = QueuedSeconds(ch);
  auto entry = [](const Utterance& u, double played_s) {
    protocol::ChannelEntry e;
    e.id = u.id;
    e.text = u.text;
    e.played_s = played_s;
    e.text_cut = u.text_cut;
    e.author = u.author;
    e.source = u.source;
    e.voice = u.voice;
    e.speaker = u.speaker;
    e.length_s = u.length_s();
    return e;
  };
  if (ch.current) {
    st.playing = true;
    st.current = entry(*ch.current, static_cast<double>(ch.current->played) / protocol::kChannelSampleRate);
  }
  for (const auto& u : ch.queue) st.queue.push_back(entry(*u, 0));
  return st;
}

size_t ChannelHub::Listeners(const std::string& channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? 0 : it->second->listeners.size();
}

std::vector<MetricsSample::Channel> ChannelHub::Sample() const {
  std::vector<MetricsSample::Channel> out;
  for (const auto& [name, ch] : channels_) {
    out.push_back({name, ch->queue.size(), ch->listeners.size(), ch->underruns, ch->paused, ch->gain});
  }
  return out;
}

}  // namespace ttsd::daemon
