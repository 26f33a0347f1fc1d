#include "ttsd/daemon/scheduler.h"

#include <spdlog/spdlog.h>

namespace ttsd::daemon {

InferenceScheduler::InferenceScheduler(int workers) {
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

void InferenceScheduler::AppendText(const std::shared_ptr<Job>& job, std::string text, bool close) {
  std::lock_guard lock(mu_);
  if (job->state == Job::State::kDone) return;
  job->pending_text.push_back(std::move(text));
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

void InferenceScheduler::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Job> job;
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !tasks_.empty() || !fresh_queue_.empty() || !queue_.empty(); });
      if (stopping_) return;
      if (!tasks_.empty()) {
        task = std::move(tasks_.front());
        tasks_.pop_front();
      } else {
        auto& q = fresh_queue_.empty() ? queue_ : fresh_queue_;
        job = std::move(q.front());
        q.pop_front();
        job->state = Job::State::kRunning;
      }
    }
    if (job) {
      RunOnce(job);
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

void InferenceScheduler::RunOnce(const std::shared_ptr<Job>& job) {
  std::vector<std::string> text;
  bool close = false;
  {
    std::lock_guard lock(mu_);
    text.swap(job->pending_text);
    close = job->pending_close;
    job->pending_close = false;
  }
  for (const auto& piece : text) {
    if (auto s = job->stream->Append(piece); !s) {
      job->on_error(s.error());
      return Finish(job);
    }
  }
  if (close) {
    if (auto s = job->stream->Close(); !s) {
      job->on_error(s.error());
      return Finish(job);
    }
  }

  const bool cancelled = job->cancelled.load();
  if (!cancelled) {
    std::lock_guard lock(mu_);
    // Checked under the lock so a Wake() after the client drains cannot be missed.
    if (!job->can_send()) {
      job->state = Job::State::kWaitDrain;
      return;
    }
  }

  engine::Chunk chunk;
  auto result = job->stream->Next(&chunk);
  if (!result) {
    job->on_error(result.error().code == ErrorCode::kCancelled && job->cancelled.load() ? job->cancel_reason
                                                                                           : result.error());
    return Finish(job);
  }
  if (*result == engine::StepResult::kNeedText) {
    std::lock_guard lock(mu_);
    if (job->pending_text.empty() && !job->pending_close) {
      job->state = Job::State::kWaitText;
    } else {
      EnqueueLocked(job);
    }
    return;
  }
  job->on_chunk(chunk);
  if (chunk.is_last) return Finish(job);
  std::lock_guard lock(mu_);
  if (!chunk.samples.empty()) job->fresh = false;
  EnqueueLocked(job);
}

}  // namespace ttsd::daemon
