#include "ttsd/daemon/channel-hub.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

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

// A sentence or word mark waiting for the listeners to reach it.
struct ChannelHub::PlayMark {
  ChannelEvent::Kind kind = ChannelEvent::Kind::kWord;
  std::string text;
  uint64_t text_begin = 0, text_end = 0;
  uint64_t start_samples = 0;  // at the channel rate, from the utterance's first sample
  double start_s = 0, end_s = 0;
};

struct ChannelHub::Utterance {
  uint64_t id = 0;
  std::string channel;
  std::string text;
  std::shared_ptr<Job> job;
  EndCallback on_end;
  std::deque<float> audio;     // at the channel rate, not yet played
  std::deque<PlayMark> marks;  // by start, not yet reached
  bool generated_all = false;
  bool started = false;   // some audio has been played
  bool finished = false;  // all of it has been played: it ends at the next tick (Settle)
  bool dropped = false;
  size_t played = 0;
  // Shared with the job's callbacks on worker threads.
  std::shared_ptr<std::atomic<size_t>> buffered = std::make_shared<std::atomic<size_t>>(0);
  std::shared_ptr<std::atomic<bool>> may_generate = std::make_shared<std::atomic<bool>>(false);
};

struct ChannelHub::Channel {
  explicit Channel(asio::any_io_executor io, std::string n) : name(std::move(n)), timer(io) {}
  std::string name;
  std::shared_ptr<Utterance> current;
  std::deque<std::shared_ptr<Utterance>> queue;
  struct Listener {
    ListenerCallback on_frame;
    std::function<void(const Error&)> on_end;
  };
  std::map<uint64_t, Listener> listeners;
  asio::steady_timer timer;
  Clock::time_point next_frame;
  bool clock_running = false;
  uint64_t underruns = 0;

  bool idle() const { return !current && queue.empty(); }
};

ChannelHub::ChannelHub(asio::any_io_executor io, InferenceScheduler* scheduler)
    : io_(std::move(io)), scheduler_(scheduler) {}

ChannelHub::~ChannelHub() { *alive_ = false; }

ChannelHub::Channel& ChannelHub::Get(const std::string& name) {
  auto& slot = channels_[name];
  if (!slot) slot = std::make_unique<Channel>(io_, name);
  return *slot;
}

Result<uint64_t> ChannelHub::Enqueue(const std::string& channel, std::unique_ptr<engine::Stream> stream,
                                     std::string text, bool interrupt, EndCallback on_end) {
  if (shut_down_) return MakeError(ErrorCode::kShuttingDown, "the daemon is shutting down");
  Channel& ch = Get(channel);
  if (ch.queue.size() >= kMaxQueued) {
    return MakeError(ErrorCode::kBusy, "channel '" + channel + "' already has " + std::to_string(kMaxQueued) +
                                           " utterances queued");
  }
  auto created = codec::Resampler::Create(static_cast<uint32_t>(stream->sample_rate()), protocol::kChannelSampleRate);
  if (!created) {
    spdlog::error("channel {}: cannot resample {} Hz audio: {}", channel, stream->sample_rate(),
                  created.error().ToString());
    return std::unexpected(created.error());
  }
  // Used by one worker at a time (the job's), never by two at once.
  auto resampler = std::make_shared<codec::Resampler>(std::move(*created));
  auto u = std::make_shared<Utterance>();
  u->id = next_id_++;
  u->channel = channel;
  u->text = text.substr(0, 80);
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
  job->on_chunk = [this, alive, weak, buffered, resampler, resample_failed, rate](const engine::Chunk& chunk) {
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

  if (interrupt) {
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
  if (u->on_end) u->on_end(MakeError(why == "shutting down" ? ErrorCode::kShuttingDown : ErrorCode::kCancelled, why));
}

bool ChannelHub::Cancel(uint64_t utterance_id) {
  auto it = utterance_channel_.find(utterance_id);
  if (it == utterance_channel_.end()) return false;
  Channel& ch = Get(it->second);
  Settle(ch);
  if (!utterance_channel_.contains(utterance_id)) return false;  // it has just played out
  if (ch.current && ch.current->id == utterance_id) {
    Drop(ch, ch.current, "cancelled");
    ch.current = nullptr;
    Advance(ch);
    return true;
  }
  auto q = std::find_if(ch.queue.begin(), ch.queue.end(), [&](const auto& u) { return u->id == utterance_id; });
  if (q == ch.queue.end()) return false;
  auto u = *q;
  ch.queue.erase(q);
  Drop(ch, u, "cancelled");
  AllowGeneration(ch);
  return true;
}

std::shared_ptr<Job> ChannelHub::FindJob(uint64_t utterance_id) const {
  auto it = utterance_channel_.find(utterance_id);
  if (it == utterance_channel_.end()) return nullptr;
  const Channel& ch = *channels_.at(it->second);
  if (ch.current && ch.current->id == utterance_id) return ch.current->job;
  for (const auto& u : ch.queue) {
    if (u->id == utterance_id) return u->job;
  }
  return nullptr;
}

bool ChannelHub::Skip(const std::string& channel) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return false;
  Channel& ch = *it->second;
  Settle(ch);
  if (!ch.current) return false;
  Drop(ch, ch.current, "skipped");
  ch.current = nullptr;
  Advance(ch);
  return true;
}

size_t ChannelHub::Clear(const std::string& channel) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return 0;
  Channel& ch = *it->second;
  Settle(ch);
  size_t n = 0;
  if (ch.current) {
    Drop(ch, ch.current, "cleared");
    ch.current = nullptr;
    ++n;
  }
  auto queue = std::move(ch.queue);
  ch.queue.clear();
  for (const auto& u : queue) {
    Drop(ch, u, "cleared");
    ++n;
  }
  return n;
}

protocol::ChannelStatus ChannelHub::Status(const std::string& channel) const {
  protocol::ChannelStatus st;
  st.channel = channel;
  auto it = channels_.find(channel);
  if (it == channels_.end()) return st;
  const Channel& ch = *it->second;
  st.listeners = static_cast<uint32_t>(ch.listeners.size());
  st.underruns = ch.underruns;
  if (ch.current) {
    st.playing = true;
    st.current = {ch.current->id, ch.current->text,
                  static_cast<double>(ch.current->played) / protocol::kChannelSampleRate};
  }
  for (const auto& u : ch.queue) st.queue.push_back({u->id, u->text, 0});
  return st;
}

std::vector<MetricsSample::Channel> ChannelHub::Sample() const {
  std::vector<MetricsSample::Channel> out;
  for (const auto& [name, ch] : channels_) out.push_back({name, ch->queue.size(), ch->listeners.size(), ch->underruns});
  return out;
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
  if (auto u = ch.current) {
    const size_t take = std::min<size_t>(kFrameSamples, u->audio.size());
    std::copy_n(u->audio.begin(), take, frame.begin());
    u->audio.erase(u->audio.begin(), u->audio.begin() + static_cast<std::ptrdiff_t>(take));
    u->played += take;
    u->buffered->fetch_sub(take);
    if (take > 0) {
      if (!u->started) {
        u->started = true;
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
  for (auto it = ch.listeners.begin(); it != ch.listeners.end();) {
    it = it->second.on_frame(frame) ? std::next(it) : ch.listeners.erase(it);
  }
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
  std::vector<uint64_t> ids;
  for (const auto& [id, w] : watchers_) {
    if (w.channel == channel) ids.push_back(id);
  }
  for (uint64_t id : ids) {
    auto it = watchers_.find(id);
    if (it == watchers_.end()) continue;
    auto on_event = it->second.on_event;  // the call may erase it
    on_event(event);
  }
}

std::shared_ptr<void> ChannelHub::Watch(const std::string& channel, EventCallback on_event) {
  const uint64_t id = next_id_++;
  watchers_.emplace(id, Watcher{channel, std::move(on_event)});
  return std::shared_ptr<void>(nullptr, [this, alive = std::weak_ptr<bool>(alive_), id](void*) {
    auto a = alive.lock();
    if (a && *a) watchers_.erase(id);
  });
}

void ChannelHub::OnAudio(const std::shared_ptr<Utterance>& u, std::vector<float> samples, std::vector<PlayMark> marks,
                         bool last) {
  if (u->dropped) return;
  u->audio.insert(u->audio.end(), samples.begin(), samples.end());
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
  if (u->on_end) u->on_end(std::unexpected(error));
  Advance(ch);
}

void ChannelHub::ForgetIfIdle(const std::string& name) {
  auto it = channels_.find(name);
  if (it != channels_.end() && it->second->idle() && it->second->listeners.empty() && !it->second->clock_running) {
    channels_.erase(it);
  }
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
