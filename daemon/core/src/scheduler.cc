#include "ttsd/daemon/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ttsd::daemon {

InferenceScheduler::InferenceScheduler(int workers, size_t max_batch, Metrics* metrics)
    : max_batch_(std::max<size_t>(1, max_batch)), metrics_(metrics) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

InferenceScheduler::~InferenceScheduler() { Stop(); }

void InferenceScheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    fresh_queue_.clear();
    queue_.clear();
    tasks_.clear();
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void InferenceScheduler::EnqueueLocked(const std::shared_ptr<Job>& job) {
  job->state = Job::State::kQueued;
  (job->fresh ? fresh_queue_ : queue_).push_back(job);
  cv_.notify_one();
}

void InferenceScheduler::Submit(std::shared_ptr<Job> job) {
  active_.fetch_add(1);
  std::lock_guard lock(mu_);
  EnqueueLocked(job);
}

void InferenceScheduler::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void InferenceScheduler::AppendText(const std::shared_ptr<Job>& job, std::string text, bool close, bool flush) {
  std::lock_guard lock(mu_);
  if (job->state == Job::State::kDone) return;
  job->pending_text.push_back({std::move(text), flush && !close});
  job->pending_close |= close;
  if (job->state == Job::State::kWaitText) EnqueueLocked(job);
}

void InferenceScheduler::Cancel(const std::shared_ptr<Job>& job, Error reason) {
  std::lock_guard lock(mu_);
  if (job->state == Job::State::kDone || job->cancelled.load()) return;
  job->cancel_reason = std::move(reason);
  job->cancelled.store(true);
  job->stream->Cancel();
  if (job->state == Job::State::kWaitText || job->state == Job::State::kWaitDrain) {
    job->fresh = true;  // deliver the cancellation ahead of ongoing work
    EnqueueLocked(job);
  }
}

void InferenceScheduler::Wake(const std::shared_ptr<Job>& job) {
  std::lock_guard lock(mu_);
  if (job->state == Job::State::kWaitDrain) EnqueueLocked(job);
}

bool InferenceScheduler::WaitingForText(const std::shared_ptr<Job>& job) {
  std::lock_guard lock(mu_);
  return job->state == Job::State::kWaitText;
}

InferenceScheduler::Load InferenceScheduler::CurrentLoad() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  Load load;
  load.queued = fresh_queue_.size() + queue_.size();
  load.behind = static_cast<size_t>(
      std::ranges::count_if(queue_, [&](const auto& job) { return !job->paused && job->played_out < now; }));
  return load;
}

void InferenceScheduler::TrackPlayout(Job& job, std::chrono::steady_clock::time_point now, double chunk_s) {
  const bool restart = job.fresh || job.paused;
  if (!restart && now > job.played_out && metrics_) metrics_->StreamUnderrun();
  if (restart || now > job.played_out) job.played_out = now;
  job.played_out += std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(chunk_s));
  job.paused = false;
}

void InferenceScheduler::WorkerLoop() {
  for (;;) {
    std::vector<std::shared_ptr<Job>> batch;
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      ++idle_workers_;
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty() || !fresh_queue_.empty() || !queue_.empty(); });
      --idle_workers_;
      if (stopping_) return;
      if (!tasks_.empty()) {
        task = std::move(tasks_.front());
        tasks_.pop_front();
      } else {
        // New requests first, batched among themselves. The queued jobs are shared with the idle
        // workers: each takes an equal part (rounded up), at most max_batch_.
        auto& q = fresh_queue_.empty() ? queue_ : fresh_queue_;
        const size_t share = (q.size() + idle_workers_) / (idle_workers_ + 1);
        const size_t take = std::clamp<size_t>(share, 1, max_batch_);
        if (&q == &queue_) {
          std::partial_sort(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(std::min(take, q.size())), q.end(),
                            [](const auto& a, const auto& b) { return a->deadline < b->deadline; });
        }
        for (size_t i = 0; i < take && !q.empty(); ++i) {
          batch.push_back(std::move(q.front()));
          q.pop_front();
          batch.back()->state = Job::State::kRunning;
        }
      }
    }
    if (!batch.empty()) {
      RunBatch(batch);
      continue;
    }
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("inference task failed: {}", e.what());
    }
  }
}

void InferenceScheduler::Finish(const std::shared_ptr<Job>& job) {
  {
    std::lock_guard lock(mu_);
    job->state = Job::State::kDone;
  }
  active_.fetch_sub(1);
}

bool InferenceScheduler::Prepare(const std::shared_ptr<Job>& job) {
  std::vector<Job::PendingText> text;
  bool close = false;
  {
    std::lock_guard lock(mu_);
    text.swap(job->pending_text);
    close = job->pending_close;
    job->pending_close = false;
  }
  for (const auto& piece : text) {
    auto s = job->stream->Append(piece.text);
    if (s && piece.flush) s = job->stream->Flush();
    if (!s) {
      job->on_error(s.error());
      Finish(job);
      return false;
    }
  }
  if (close) {
    if (auto s = job->stream->Close(); !s) {
      job->on_error(s.error());
      Finish(job);
      return false;
    }
  }
  {
    std::lock_guard lock(mu_);
    // Checked under the lock so neither a Wake() after the client drains nor a Cancel() can be
    // missed: both look at the state under it.
    if (!job->cancelled.load() && !job->can_send()) {
      job->state = Job::State::kWaitDrain;
      job->paused = true;
      return false;
    }
  }
  return true;
}

void InferenceScheduler::RunBatch(const std::vector<std::shared_ptr<Job>>& jobs) {
  std::vector<std::shared_ptr<Job>> ready;
  std::vector<engine::Stream*> streams;
  for (const auto& job : jobs) {
    if (!Prepare(job)) continue;
    ready.push_back(job);
    streams.push_back(job->stream.get());
  }
  if (ready.empty()) return;
  if (ready.size() > 1) spdlog::debug("batched step: {} requests", ready.size());
  std::vector<engine::Chunk> chunks(ready.size());
  const auto started = std::chrono::steady_clock::now();
  auto results = engine::Stream::NextBatch(streams, chunks);
  const double step_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (metrics_) metrics_->BatchStep(ready.size());
  for (size_t i = 0; i < ready.size(); ++i) {
    ready[i]->step_s += step_s;
    Complete(ready[i], results[i], chunks[i]);
  }
}

void InferenceScheduler::Complete(const std::shared_ptr<Job>& job, const Result<engine::StepResult>& result,
                                  const engine::Chunk& chunk) {
  if (!result) {
    job->on_error(result.error().code == ErrorCode::kCancelled && job->cancelled.load() ? job->cancel_reason
                                                                                           : result.error());
    return Finish(job);
  }
  if (*result == engine::StepResult::kNeedText) {
    std::lock_guard lock(mu_);
    // A Cancel() during the step saw kRunning and left the delivery to us.
    if (job->pending_text.empty() && !job->pending_close && !job->cancelled.load()) {
      job->state = Job::State::kWaitText;
      job->paused = true;
    } else {
      EnqueueLocked(job);
    }
    return;
  }
  job->on_chunk(chunk);
  {
    std::lock_guard lock(mu_);
    if (!chunk.samples.empty()) {
      const auto now = std::chrono::steady_clock::now();
      const double chunk_s = static_cast<double>(chunk.samples.size()) / job->stream->sample_rate();
      TrackPlayout(*job, now, chunk_s);
      if (job->fresh) job->first_audio = now;
      job->fresh = false;
      job->audio_s += chunk_s;
      job->deadline = job->first_audio + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                             std::chrono::duration<double>(job->audio_s));
    }
    if (!chunk.is_last) return EnqueueLocked(job);
  }
  Finish(job);
}

}  // namespace ttsd::daemon
