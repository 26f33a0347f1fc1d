#include "ttsd/daemon/channel-hub.h"

#include "channel-hub-parts.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "ttsd/codec/loudness-normalizer.h"
#include "ttsd/codec/resampler.h"

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
constexpr auto kFramePeriod = std::chrono::milliseconds(20);

// A chunk at the channel rate; the last chunk also takes what the resampler still holds.
Result<std::vector<float>> ToChannelRate(codec::Resampler& resampler, const engine::Chunk& chunk) {
  auto part = resampler.Process(chunk.samples);
  if (!part) return std::unexpected(part.error());
  std::vector<float> out(part->begin(), part->end());
  if (chunk.is_last) {
    auto rest = resampler.Flush();
    if (!rest) return std::unexpected(rest.error());
    out.insert(out.end(), rest->begin(), rest->end());
  }
  return out;
}

}  // namespace

ChannelHub::ChannelHub(asio::any_io_executor io, InferenceScheduler* scheduler, ChannelLimits limits)
    : io_(std::move(io)), scheduler_(scheduler), limits_(limits) {}

ChannelHub::~ChannelHub() { *alive_ = false; }

ChannelHub::Channel& ChannelHub::Get(const std::string& name) {
  auto& slot = channels_[name];
  if (!slot) slot = std::make_unique<Channel>(io_, name);
  return *slot;
}

Result<uint64_t> ChannelHub::Enqueue(const std::string& channel, std::unique_ptr<engine::Stream> stream,
                                     ChannelItem item, EndCallback on_end) {
  if (shut_down_) return MakeError(ErrorCode::kShuttingDown, "the daemon is shutting down");
  Channel& ch = Get(channel);
  auto u = std::make_shared<Utterance>();
  u->channel = channel;
  u->AddText(item.text);
  u->author = std::move(item.author);
  u->source = std::move(item.source);
  u->voice = std::move(item.voice);
  u->speaker = std::move(item.speaker);
  u->speed = item.speed > 0 ? item.speed : 1;
  u->duration_s = item.duration_s;
  // The caps: refused with busy, and a "refused" event under an id of its own that no item has.
  auto refuse = [&](const char* cap, std::string message) -> Result<uint64_t> {
    u->id = next_id_++;
    spdlog::info("channel {}: refused an item ({})", channel, message);
    EmitItem(ch, *u, ChannelEvent::Kind::kRefused, cap);
    ForgetIfIdle(channel);
    return MakeError(ErrorCode::kBusy, std::move(message));
  };
  if (ch.queue.size() >= limits_.max_queue) {
    return refuse("max_queue", "channel '" + channel + "' already has " + std::to_string(ch.queue.size()) +
                                   " items queued, its cap (channel-max-queue " + std::to_string(limits_.max_queue) +
                                   ")");
  }
  if (const double ahead = QueuedSeconds(ch); !item.interrupt && limits_.max_queued_s > 0 &&
                                              ahead >= limits_.max_queued_s) {
    return refuse("max_queued_s", "channel '" + channel + "' has " + std::to_string(static_cast<int>(ahead)) +
                                      " s of speech queued ahead, its cap is " +
                                      std::to_string(static_cast<int>(limits_.max_queued_s)) +
                                      " s (channel-max-queued-s)");
  }
  auto created = codec::Resampler::Create(static_cast<uint32_t>(stream->sample_rate()), protocol::kChannelSampleRate);
  if (!created) {
    spdlog::error("channel {}: cannot resample {} Hz audio: {}", channel, stream->sample_rate(),
                  created.error().ToString());
    ForgetIfIdle(channel);
    return std::unexpected(created.error());
  }
  // Used by one worker at a time (the job's), never by two at once.
  auto resampler = std::make_shared<codec::Resampler>(std::move(*created));
  // Every utterance at one loudness, whatever its voice and speaker; the voice's loudness last time is
  // the prior that makes its first words right (codec/README.md).
  std::shared_ptr<codec::LoudnessNormalizer> normalizer;
  const std::string loudness_key = u->voice + ":" + u->speaker;
  if (limits_.loudness_lufs != 0) {
    codec::LoudnessOptions options;
    options.target_lufs = limits_.loudness_lufs;
    auto made = codec::LoudnessNormalizer::Create(protocol::kChannelSampleRate, options);
    if (made) {
      normalizer = std::make_shared<codec::LoudnessNormalizer>(std::move(*made));
      auto prior = loudness_.find(loudness_key);
      normalizer->Start(prior == loudness_.end() ? std::nullopt : std::optional<double>(prior->second));
    } else {
      spdlog::warn("channel {}: utterance not normalized: {}", channel, made.error().ToString());
    }
  }
  u->id = next_id_++;
  u->on_end = std::move(on_end);
  auto job = std::make_shared<Job>();
  job->serial = u->id;
  job->stream = std::move(stream);

  std::weak_ptr<bool> alive = alive_;
  std::weak_ptr<Utterance> weak = u;
  auto buffered = u->buffered;
  auto may_generate = u->may_generate;
  // Worker threads: resample there, then hand the samples to the I/O thread. Should resampling fail, the
  // utterance ends with that error (logged, and the requester told) rather than playing silence or a gap.
  auto resample_failed = std::make_shared<bool>(false);  // touched by the job's worker only
  const double rate = job->stream->sample_rate();
  job->on_chunk = [this, alive, weak, buffered, resampler, resample_failed, rate, normalizer,
                   loudness_key](const engine::Chunk& chunk) {
    if (*resample_failed) return;  // the utterance is being dropped; its job is being cancelled
    auto out = ToChannelRate(*resampler, chunk);
    if (!out) {
      *resample_failed = true;
      asio::post(io_, [this, alive, weak, error = out.error()] {
        auto a = alive.lock();
        auto u = weak.lock();
        if (!a || !*a || !u) return;
        scheduler_->Cancel(u->job);
        OnJobError(u, error);
      });
      return;
    }
    if (normalizer) Normalize(*normalizer, chunk.is_last, *out, alive, loudness_key);
    std::vector<PlayMark> marks;
    for (const engine::Mark& m : chunk.marks) {
      if (m.kind == engine::MarkKind::kPhone) continue;
      const double at = static_cast<double>(m.start) * protocol::kChannelSampleRate / rate;
      marks.push_back({m.kind == engine::MarkKind::kWord ? ChannelEvent::Kind::kWord : ChannelEvent::Kind::kSentence,
                       m.text, m.text_begin, m.text_end, static_cast<uint64_t>(std::llround(at)),
                       static_cast<double>(m.start) / rate, static_cast<double>(m.end) / rate});
    }
    buffered->fetch_add(out->size());
    asio::post(io_,
               [this, alive, weak, out = std::move(*out), marks = std::move(marks), last = chunk.is_last]() mutable {
                 auto a = alive.lock();
                 auto u = weak.lock();
                 if (a && *a && u) OnAudio(u, std::move(out), std::move(marks), last);
               });
  };
  job->on_error = [this, alive, weak](const Error& error) {
    asio::post(io_, [this, alive, weak, error] {
      auto a = alive.lock();
      auto u = weak.lock();
      if (a && *a && u) OnJobError(u, error);
    });
  };
  job->can_send = [buffered, may_generate] {
    return may_generate->load() && buffered->load() < kMaxBufferedSamples;
  };
  u->job = job;
  utterance_channel_[u->id] = channel;

  EmitItem(ch, *u, ChannelEvent::Kind::kQueued);
  if (item.interrupt) {
    Settle(ch);
    if (ch.current) {
      Drop(ch, ch.current, "interrupted");
      ch.current = nullptr;
    }
    ch.queue.push_front(u);
  } else {
    ch.queue.push_back(u);
  }
  if (!ch.current) Advance(ch);
  AllowGeneration(ch);
  scheduler_->Submit(job);
  StartClock(ch);
  spdlog::debug("channel {}: utterance #{} queued ({} waiting)", channel, u->id, ch.queue.size());
  return u->id;
}

void ChannelHub::Normalize(codec::LoudnessNormalizer& n, bool last, std::vector<float>& samples,
                           const std::weak_ptr<bool>& alive, const std::string& key) {
  auto done = n.Process(samples);
  if (!done) {  // libebur128 failed (out of memory): the rest passes as it is; one block stays behind
    spdlog::warn("channel: loudness: {}", done.error().ToString());
    return;
  }
  std::vector<float> out(done->begin(), done->end());
  if (last) {
    if (auto rest = n.Finish()) out.insert(out.end(), rest->begin(), rest->end());
    if (auto lufs = n.measured_lufs()) {
      asio::post(io_, [this, alive, key, lufs = *lufs] {
        auto a = alive.lock();
        if (a && *a) loudness_[key] = lufs;
      });
    }
  }
  samples = std::move(out);
}

void ChannelHub::Advance(Channel& ch) {
  if (ch.current || ch.queue.empty()) return;
  ch.current = ch.queue.front();
  ch.queue.pop_front();
  AllowGeneration(ch);
}

// The utterance playing and the next one generate; the rest wait, so memory stays bounded.
void ChannelHub::AllowGeneration(Channel& ch) {
  for (const auto& u : {ch.current, ch.queue.empty() ? nullptr : ch.queue.front()}) {
    if (u && !u->may_generate->exchange(true)) scheduler_->Wake(u->job);
  }
}

void ChannelHub::Drop(Channel& ch, const std::shared_ptr<Utterance>& u, const std::string& why) {
  if (u->dropped) return;
  u->dropped = true;
  scheduler_->Cancel(u->job);
  utterance_channel_.erase(u->id);
  spdlog::info("channel {}: utterance #{} {}", ch.name, u->id, why);
  EmitEnd(ch, *u, why);
  EmitItem(ch, *u, ChannelEvent::Kind::kRemoved, why);
  const std::string message = why == "removed" ? "removed from channel '" + ch.name + "'" : why;
  if (u->on_end) {
    u->on_end(MakeError(why == "shutting down" ? ErrorCode::kShuttingDown : ErrorCode::kCancelled, message));
  }
}

uint64_t ChannelHub::AddListener(const std::string& channel, ListenerCallback callback,
                                 std::function<void(const Error&)> on_end) {
  Channel& ch = Get(channel);
  const uint64_t id = next_id_++;
  ch.listeners.emplace(id, Channel::Listener{std::move(callback), std::move(on_end)});
  StartClock(ch);
  spdlog::info("channel {}: listener {} attached ({} listening)", channel, id, ch.listeners.size());
  return id;
}

void ChannelHub::RemoveListener(const std::string& channel, uint64_t listener_id) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  if (it->second->listeners.erase(listener_id)) spdlog::info("channel {}: listener {} detached", channel, listener_id);
}

void ChannelHub::StartClock(Channel& ch) {
  if (ch.clock_running || shut_down_) return;
  ch.clock_running = true;
  ch.next_frame = Clock::now();
  Tick(ch.name);
}

void ChannelHub::Tick(const std::string& name) {
  auto it = channels_.find(name);
  if (it == channels_.end()) return;
  Channel& ch = *it->second;
  const auto now = Clock::now();
  if (now - ch.next_frame > std::chrono::seconds(1)) ch.next_frame = now;  // stalled: do not burst
  while (ch.next_frame <= now) {
    ProduceFrame(ch);
    ch.next_frame += kFramePeriod;
  }
  if ((ch.idle() && ch.listeners.empty()) || shut_down_) {
    ch.clock_running = false;
    ForgetIfIdle(name);
    return;
  }
  ch.timer.expires_at(ch.next_frame);
  ch.timer.async_wait([this, alive = std::weak_ptr<bool>(alive_), name](boost::system::error_code ec) {
    auto a = alive.lock();
    if (!ec && a && *a) Tick(name);
  });
}

// One tick: what the listeners have been sent up to now is played, so its marks are told first; then
// the next frame goes out.
void ChannelHub::ProduceFrame(Channel& ch) {
  Settle(ch);
  if (ch.current) EmitReached(ch, *ch.current, /*all=*/false);
  std::vector<float> frame(kFrameSamples, 0.0f);
  if (auto u = ch.paused ? nullptr : ch.current) {  // paused: silence, and the utterance keeps its place
    const size_t take = std::min<size_t>(kFrameSamples, u->audio.size());
    std::copy_n(u->audio.begin(), take, frame.begin());
    u->audio.erase(u->audio.begin(), u->audio.begin() + static_cast<std::ptrdiff_t>(take));
    u->played += take;
    u->buffered->fetch_sub(take);
    if (take > 0) {
      if (!u->started) {
        u->started = true;
        EmitItem(ch, *u, ChannelEvent::Kind::kStarted);
        ChannelEvent start;
        start.kind = ChannelEvent::Kind::kStart;
        start.utterance = u->id;
        start.text = u->text;
        Emit(ch.name, start);
      }
      scheduler_->Wake(u->job);  // room for more
    }
    if (u->audio.empty() && u->generated_all) {
      u->finished = true;  // its last words are told at the next tick, once this frame has played
    } else if (take < static_cast<size_t>(kFrameSamples) && u->started) {
      ch.underruns++;
    }
  }
  ApplyGain(ch, frame);
  for (auto it = ch.listeners.begin(); it != ch.listeners.end();) {
    it = it->second.on_frame(frame) ? std::next(it) : ch.listeners.erase(it);
  }
}

// The channel's volume, ramped across the frame from the last frame's gain so that a change never clicks;
// clipped to full scale.
void ChannelHub::ApplyGain(Channel& ch, std::vector<float>& frame) {
  if (ch.gain == 1 && ch.applied_gain == 1) return;
  const double from = ch.applied_gain, step = (ch.gain - from) / static_cast<double>(frame.size());
  for (size_t i = 0; i < frame.size(); ++i) {
    const double g = from + step * static_cast<double>(i + 1);
    frame[i] = static_cast<float>(std::clamp(frame[i] * g, -1.0, 1.0));
  }
  ch.applied_gain = ch.gain;
}

void ChannelHub::Settle(Channel& ch) {
  auto u = ch.current;
  if (!u || !u->finished) return;
  EmitReached(ch, *u, /*all=*/true);
  utterance_channel_.erase(u->id);
  ch.current = nullptr;
  const double played_s = static_cast<double>(u->played) / protocol::kChannelSampleRate;
  spdlog::debug("channel {}: utterance #{} played ({:.2f} s)", ch.name, u->id, played_s);
  EmitEnd(ch, *u, "played");
  EmitItem(ch, *u, ChannelEvent::Kind::kFinished);
  if (u->on_end) u->on_end(played_s);
  Advance(ch);
}

void ChannelHub::EmitReached(Channel& ch, Utterance& u, bool all) {
  while (!u.marks.empty() && (all || u.marks.front().start_samples < u.played)) {
    PlayMark m = std::move(u.marks.front());
    u.marks.pop_front();
    ChannelEvent e;
    e.kind = m.kind;
    e.utterance = u.id;
    e.text = std::move(m.text);
    e.text_begin = m.text_begin;
    e.text_end = m.text_end;
    e.start_s = m.start_s;
    e.end_s = m.end_s;
    Emit(ch.name, e);
  }
}

void ChannelHub::EmitEnd(Channel& ch, const Utterance& u, const std::string& reason) {
  if (!u.started) return;
  ChannelEvent e;
  e.kind = ChannelEvent::Kind::kEnd;
  e.utterance = u.id;
  e.reason = reason;
  e.played_s = static_cast<double>(u.played) / protocol::kChannelSampleRate;
  Emit(ch.name, e);
}

// Callbacks may drop their handles (Watch), which erases from watchers_: each is looked up again.
void ChannelHub::Emit(const std::string& channel, const ChannelEvent& event) {
  const bool item = protocol::IsItemEvent(event.kind);
  std::vector<uint64_t> ids;
  for (const auto& [id, w] : watchers_) {
    if (w.channel == channel && (item ? w.kinds.items : w.kinds.play)) ids.push_back(id);
  }
  for (uint64_t id : ids) {
    auto it = watchers_.find(id);
    if (it == watchers_.end()) continue;
    auto on_event = it->second.on_event;  // the call may erase it
    on_event(event);
  }
}

// An item event: the item as status shows it, and why it ended or was refused.
void ChannelHub::EmitItem(Channel& ch, const Utterance& u, ChannelEvent::Kind kind, const std::string& reason) {
  ChannelEvent e;
  e.kind = kind;
  e.utterance = u.id;
  e.text = u.text;
  e.author = u.author;
  e.source = u.source;
  e.voice = u.voice;
  e.speaker = u.speaker;
  e.reason = reason;
  e.played_s = static_cast<double>(u.played) / protocol::kChannelSampleRate;
  Emit(ch.name, e);
}

std::shared_ptr<void> ChannelHub::Watch(const std::string& channel, WatchKinds kinds, EventCallback on_event) {
  const uint64_t id = next_id_++;
  watchers_.emplace(id, Watcher{channel, kinds, std::move(on_event)});
  return std::shared_ptr<void>(nullptr, [this, alive = std::weak_ptr<bool>(alive_), id](void*) {
    auto a = alive.lock();
    if (a && *a) watchers_.erase(id);
  });
}

void ChannelHub::OnAudio(const std::shared_ptr<Utterance>& u, std::vector<float> samples, std::vector<PlayMark> marks,
                         bool last) {
  if (u->dropped) return;
  u->audio.insert(u->audio.end(), samples.begin(), samples.end());
  u->generated += samples.size();
  for (auto& m : marks) u->marks.push_back(std::move(m));
  if (last) u->generated_all = true;
}

void ChannelHub::OnJobError(const std::shared_ptr<Utterance>& u, const Error& error) {
  if (u->dropped) return;  // our own cancellation coming back
  auto it = channels_.find(u->channel);
  if (it == channels_.end()) return;
  Channel& ch = *it->second;
  u->dropped = true;
  utterance_channel_.erase(u->id);
  if (ch.current == u) {
    ch.current = nullptr;
  } else {
    std::erase(ch.queue, u);
  }
  spdlog::warn("channel {}: utterance #{} failed: {}", ch.name, u->id, error.ToString());
  EmitEnd(ch, *u, "failed");
  EmitItem(ch, *u, ChannelEvent::Kind::kRemoved, "failed");
  if (u->on_end) u->on_end(std::unexpected(error));
  Advance(ch);
  AllowGeneration(ch);  // a failed queued item may have been the next one
}

void ChannelHub::ForgetIfIdle(const std::string& name) {
  auto it = channels_.find(name);
  if (it != channels_.end() && it->second->forgettable()) channels_.erase(it);
}

void ChannelHub::Shutdown() {
  shut_down_ = true;
  for (auto& [name, ch] : channels_) {
    Settle(*ch);
    if (ch->current) Drop(*ch, ch->current, "shutting down");
    ch->current = nullptr;
    for (const auto& u : ch->queue) Drop(*ch, u, "shutting down");
    ch->queue.clear();
    auto listeners = std::move(ch->listeners);
    ch->listeners.clear();
    for (auto& [id, l] : listeners) {
      if (l.on_end) l.on_end({ErrorCode::kShuttingDown, "the daemon is shutting down"});
    }
    ch->timer.cancel();
    ch->clock_running = false;
  }
  watchers_.clear();
}

}  // namespace ttsd::daemon
