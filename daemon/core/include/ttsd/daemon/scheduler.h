// Runs synthesis jobs on a fixed pool of inference threads, one chunk per job per turn, with
// continuous batching: a worker takes several queued jobs and runs their next chunks as one
// batched model step (engine::Stream::NextBatch); jobs join and leave between steps. Requests that
// have not produced audio yet go first and are batched only among themselves, so a new request's
// first chunk never waits behind a batch of long steps. The rest go earliest deadline first: a
// job's deadline is when a listener who started playing at its first chunk would run out of audio,
// so a stream that is only just ahead of playback (a new one) goes before those with seconds in
// hand. Queued jobs are shared out among idle workers. One-off tasks (Post) go before both.
// With Metrics it counts batch sizes and underruns (a chunk later than a real-time listener needed it).
//   InferenceScheduler s(2, 8); auto job = std::make_shared<Job>(...); s.Submit(job); ... s.Stop();
// Thread-safety: every public method is safe from any thread. Job callbacks run on worker threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ttsd/daemon/metrics.h"
#include "ttsd/engine/voice.h"
#include "ttsd/protocol/error.h"

namespace ttsd::daemon {

// One request in flight. Made by a session on the I/O thread, run by one worker at a time.
struct Job {
  uint64_t serial = 0;  // daemon-wide number for logs
  std::unique_ptr<engine::Stream> stream;
  // Called on a worker thread; must not block. on_chunk gets every chunk, the last with is_last;
  // on_error the terminal error (cancelled included). Exactly one terminal call happens.
  std::function<void(const engine::Chunk&)> on_chunk;
  std::function<void(const Error&)> on_error;
  // False while the client is too far behind; the job then waits for Wake().
  std::function<bool()> can_send;
  // Wall time of the model steps that ran it (a batched step counts whole for each of its streams).
  // Written by the worker running it before on_chunk, read in on_chunk.
  double step_s = 0;

 private:
  friend class InferenceScheduler;
  enum class State { kIdle, kQueued, kRunning, kWaitText, kWaitDrain, kDone };
  // Guarded by InferenceScheduler::mu_.
  State state = State::kIdle;
  bool fresh = true;  // no audio produced yet
  std::chrono::steady_clock::time_point first_audio;  // when its first audio was handed out
  double audio_s = 0;                                 // seconds of audio handed out
  std::chrono::steady_clock::time_point deadline;     // first_audio + audio_s
  // When a listener playing it in real time runs dry: it starts with the first chunk, and again with
  // the first chunk after it ran dry or after the job waited for text or its client (paused).
  std::chrono::steady_clock::time_point played_out;
  bool paused = false;
  struct PendingText {
    std::string text;
    bool flush = false;  // then Stream::Flush
  };
  std::vector<PendingText> pending_text;
  bool pending_close = false;
  std::atomic<bool> cancelled{false};
  Error cancel_reason;  // set once, before cancelled becomes true
};

class InferenceScheduler {
 public:
  // max_batch: the most jobs one worker steps at once (1: no batching). metrics (not owned, may be
  // null) must outlive the scheduler.
  explicit InferenceScheduler(int workers, size_t max_batch = 8, Metrics* metrics = nullptr);
  ~InferenceScheduler();  // Stop()s

  void Submit(std::shared_ptr<Job> job);
  // Runs a one-off task on a worker (model compute that is not a stream: a speaker embedding, an
  // emotion, saving a voice), ahead of queued chunks. An exception it throws is logged and dropped.
  // Tasks still queued at Stop() never run.
  void Post(std::function<void()> task);
  // Text for a job whose stream was opened with final = false; close ends its text, flush has what
  // it has so far spoken without waiting for a sentence end (Stream::Flush).
  void AppendText(const std::shared_ptr<Job>& job, std::string text, bool close, bool flush = false);
  // Stops generation at the next chunk boundary; the job ends with reason as its error
  // (kCancelled by default; a session uses another code when the request broke a rule).
  void Cancel(const std::shared_ptr<Job>& job, Error reason = {ErrorCode::kCancelled, "request cancelled"});
  // Resumes a job paused for backpressure once its client has caught up.
  void Wake(const std::shared_ptr<Job>& job);
  // Joins the workers; queued jobs are dropped without callbacks.
  void Stop();

  // True while the job has nothing to do until more text arrives.
  bool WaitingForText(const std::shared_ptr<Job>& job);
  size_t active_jobs() const { return active_.load(); }
  struct Load {
    size_t queued = 0;  // jobs waiting for a worker
    size_t behind = 0;  // of those, the ones whose real-time listener has run dry by now
  };
  Load CurrentLoad();

 private:
  void WorkerLoop();
  void RunBatch(const std::vector<std::shared_ptr<Job>>& jobs);
  // Feeds the job its pending text and checks its client can take audio; false when the job ended
  // or was parked instead.
  bool Prepare(const std::shared_ptr<Job>& job);
  void Complete(const std::shared_ptr<Job>& job, const Result<engine::StepResult>& result, const engine::Chunk& chunk);
  void EnqueueLocked(const std::shared_ptr<Job>& job);
  void Finish(const std::shared_ptr<Job>& job);
  void TrackPlayout(Job& job, std::chrono::steady_clock::time_point now, double chunk_s);  // under mu_

  std::mutex mu_;  // guards the queues, stopping_ and every Job's scheduler fields
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> fresh_queue_;  // jobs with no audio yet
  std::deque<std::shared_ptr<Job>> queue_;        // the rest, earliest deadline first
  std::deque<std::function<void()>> tasks_;       // one-off tasks, first come first served
  bool stopping_ = false;
  size_t idle_workers_ = 0;  // workers waiting for work
  const size_t max_batch_;
  Metrics* const metrics_;  // not owned; null: nothing counted
  std::atomic<size_t> active_{0};
  std::vector<std::thread> workers_;
};

}  // namespace ttsd::daemon
