// GMainContext threads of the lite receiver (io_threads.hpp).
#include "io_threads.hpp"

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>

namespace swarm {

IoThreads::IoThreads(int n) {
  for (int i = 0; i < n; ++i) {
    GMainContext* ctx = g_main_context_new();
    loops_.push_back(g_main_loop_new(ctx, FALSE));
    g_main_context_unref(ctx);  // the loop holds it
  }
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([loop = loops_[size_t(i)], i] {
      std::string name = "swarm-io" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      GMainContext* ctx = g_main_loop_get_context(loop);
      g_main_context_push_thread_default(ctx);
      g_main_loop_run(loop);
      g_main_context_pop_thread_default(ctx);
    });
  }
  // Running, each loop owns its context: run_on() then always runs on the loop's thread.
  for (GMainLoop* l : loops_) {
    while (!g_main_loop_is_running(l)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

IoThreads::~IoThreads() {
  for (GMainLoop* l : loops_) g_main_loop_quit(l);
  for (auto& t : threads_) t.join();
  for (GMainLoop* l : loops_) g_main_loop_unref(l);
}

GMainContext* IoThreads::context(int i) const {
  return g_main_loop_get_context(loops_[size_t(i < 0 ? 0 : i) % loops_.size()]);
}

namespace {
struct Call {
  const std::function<void()>* fn;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::exception_ptr error;
};
}  // namespace

void run_on(GMainContext* ctx, const std::function<void()>& fn) {
  Call c{&fn};
  g_main_context_invoke(ctx, [](gpointer data) -> gboolean {
    auto* call = static_cast<Call*>(data);
    try {
      (*call->fn)();
    } catch (...) {
      call->error = std::current_exception();
    }
    std::lock_guard lk(call->mu);
    call->done = true;
    call->cv.notify_all();
    return G_SOURCE_REMOVE;
  }, &c);
  std::unique_lock lk(c.mu);
  c.cv.wait(lk, [&] { return c.done; });
  if (c.error) std::rethrow_exception(c.error);
}

}  // namespace swarm
