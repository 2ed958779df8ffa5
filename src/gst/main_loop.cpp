#include "camrelay/gst/main_loop.hpp"

#include <pthread.h>

#include <gst/gst.h>

#include <future>
#include <mutex>

#include "camrelay/gst/ptr.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::gst {

std::string init() {
  static std::once_flag once;
  std::call_once(once, [] { gst_init(nullptr, nullptr); });
  return take_string(gst_version_string());
}

std::vector<std::string> missing_elements(const std::vector<std::string>& factories) {
  std::vector<std::string> out;
  for (const auto& f : factories) {
    if (!Ptr<GstElementFactory>::adopt(gst_element_factory_find(f.c_str()))) out.push_back(f);
  }
  return out;
}

namespace {
struct Call {
  std::function<void()> fn;
};

gboolean run_call(gpointer data) {
  auto* c = static_cast<Call*>(data);
  try {
    c->fn();
  } catch (const std::exception& e) {
    log::get("gst")->error("exception on the GLib thread: {}", e.what());
  }
  return G_SOURCE_REMOVE;
}

void free_call(gpointer data) { delete static_cast<Call*>(data); }

// Set by ~MainLoop when it runs on the loop's own thread: the thread frees the loop and the
// context itself once g_main_loop_run returns.
thread_local bool t_loop_abandoned = false;
}  // namespace

MainLoop::MainLoop(std::string name) {
  context_ = g_main_context_new();
  loop_ = g_main_loop_new(context_, FALSE);
  std::promise<std::thread::id> started;
  auto fut = started.get_future();
  // The thread uses only these two (never `this`), so that it may outlive the object in the
  // one case the destructor cannot join (see ~MainLoop).
  thread_ = std::thread([ctx = context_, loop = loop_, &started, name = std::move(name)] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    g_main_context_push_thread_default(ctx);
    started.set_value(std::this_thread::get_id());
    g_main_loop_run(loop);
    g_main_context_pop_thread_default(ctx);
    if (t_loop_abandoned) {
      g_main_loop_unref(loop);
      g_main_context_unref(ctx);
    }
  });
  thread_id_ = fut.get();
}

MainLoop::~MainLoop() {
  if (in_loop_thread()) {
    // Destroyed from one of its own callbacks: joining would be joining ourselves. Stop the
    // loop and let the thread end on its own, freeing the loop and the context when its run
    // returns (a bug of the caller, logged).
    log::get("gst")->error("a GLib loop was destroyed on its own thread; leaving it to end by itself");
    t_loop_abandoned = true;
    g_main_loop_quit(loop_);
    thread_.detach();
    return;
  }
  // Quit from inside the loop so that everything posted before runs first.
  post([this] { g_main_loop_quit(loop_); });
  if (thread_.joinable()) thread_.join();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

MainLoop& LoopPool::get(const std::string& key) {
  std::lock_guard lk(mu_);
  auto& l = loops_[key];
  if (!l) l = std::make_unique<MainLoop>("cam:" + key);
  return *l;
}

void MainLoop::post(std::function<void()> fn) {
  GSource* src = g_idle_source_new();
  g_source_set_priority(src, G_PRIORITY_DEFAULT);
  g_source_set_callback(src, run_call, new Call{std::move(fn)}, free_call);
  g_source_attach(src, context_);
  g_source_unref(src);
}

guint MainLoop::post_delayed(unsigned delay_ms, std::function<void()> fn) {
  GSource* src = g_timeout_source_new(delay_ms);
  g_source_set_callback(src, run_call, new Call{std::move(fn)}, free_call);
  guint id = g_source_attach(src, context_);
  g_source_unref(src);
  return id;
}

void MainLoop::cancel(guint source_id) {
  if (!source_id) return;
  GSource* src = g_main_context_find_source_by_id(context_, source_id);
  if (src) g_source_destroy(src);
}

void MainLoop::run_sync(std::function<void()> fn) {
  std::promise<void> done;
  auto fut = done.get_future();
  post([&] {
    try {
      fn();
    } catch (...) {
      done.set_exception(std::current_exception());
      return;
    }
    done.set_value();
  });
  fut.get();
}

}  // namespace camrelay::gst
