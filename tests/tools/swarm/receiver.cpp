// The lite and webrtcbin receivers (receiver.hpp).
#include "receiver.hpp"

#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "camrelay/gst/callback.hpp"
#include "lite_viewer.hpp"
#include "webrtcbin_viewer.hpp"

namespace swarm {

namespace {

namespace gst = camrelay::gst;

class LiteReceiver : public Receiver {
 public:
  explicit LiteReceiver(const ReceiverOptions& o) : io_(std::make_shared<IoThreads>(o.io_threads)), local_ip_(o.local_ip) {}
  void warm_up() override {
    LiteViewer::warm_up();
    auto warm = LiteViewer::create(-1, io_, local_ip_);
    warm->make_offer();
    warm->stop();
  }
  std::shared_ptr<Viewer> make(int id) override { return LiteViewer::create(id, io_, local_ip_); }

 private:
  std::shared_ptr<IoThreads> io_;
  std::string local_ip_;
};

gst::BusWatch watch_bus(GstElement* pipeline) {
  gst::BusPtr bus = gst::BusPtr::adopt(gst_element_get_bus(pipeline));
  return gst::BusWatch::attach(bus.get(), nullptr, 0, [](int&, GstBus*, GstMessage* m) {
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
      auto e = gst::parse_error(m);
      std::cerr << "camrelay-swarm: GStreamer error from " << GST_OBJECT_NAME(GST_MESSAGE_SRC(m)) << ": " << e.message
                << "\n";
    }
  });
}

gst::ElementPtr start_pipeline(const std::string& name) {
  auto p = gst::ElementPtr::ref_sink(gst_pipeline_new(name.c_str()));
  if (gst_element_set_state(p.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    throw std::runtime_error("pipeline does not start");
  }
  return p;
}

// A running pipeline and its bus watch.
struct Pipeline {
  gst::ElementPtr element;
  gst::BusWatch watch;
  explicit Pipeline(const std::string& name) : element(start_pipeline(name)), watch(watch_bus(element.get())) {}
  ~Pipeline() { gst_element_set_state(element.get(), GST_STATE_NULL); }
};

class WebrtcbinReceiver : public Receiver {
 public:
  explicit WebrtcbinReceiver(const ReceiverOptions& o) : local_ip_(o.local_ip), shared_(o.shared_pipeline) {
    gst_init(nullptr, nullptr);
    for (const char* f : {"webrtcbin", "fakesink", "nicesrc", "dtlssrtpdec", "rtpjitterbuffer"}) {
      if (auto fac = gst::Ptr<GstElementFactory>::adopt(gst_element_factory_find(f)); !fac) {
        throw std::runtime_error(std::string("GStreamer element '") + f +
                                 "' is missing (install gstreamer1.0-plugins-bad / gstreamer1.0-nice)");
      }
    }
    if (shared_) pipelines_.push_back(std::make_unique<Pipeline>("swarm"));
    // The bus watches run here; webrtcbin and libnice run on their own threads.
    loop_ = g_main_loop_new(nullptr, FALSE);
    loop_thread_ = std::thread([l = loop_] { g_main_loop_run(l); });
  }
  ~WebrtcbinReceiver() override {
    pipelines_.clear();
    g_main_loop_quit(loop_);
    loop_thread_.join();
    g_main_loop_unref(loop_);
  }
  // The first webrtcbin loads the plugins and makes the DTLS certificate (hundreds of ms,
  // holding back the viewers that join meanwhile), in a pipeline of its own.
  void warm_up() override {
    Pipeline p("warm-up");
    auto warm = WebrtcbinViewer::create(-1, p.element.get(), local_ip_);
    warm->make_offer();
    warm->stop();
  }
  std::shared_ptr<Viewer> make(int id) override {
    GstElement* pipe = nullptr;
    if (shared_) {
      pipe = pipelines_.front()->element.get();
    } else {
      auto p = std::make_unique<Pipeline>("swarm" + std::to_string(id));
      pipe = p->element.get();
      std::lock_guard lk(mu_);
      pipelines_.push_back(std::move(p));
    }
    return WebrtcbinViewer::create(id, pipe, local_ip_);
  }

 private:
  std::string local_ip_;
  bool shared_;
  GMainLoop* loop_ = nullptr;
  std::thread loop_thread_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Pipeline>> pipelines_;  // the shared one, or one per viewer
};

}  // namespace

std::unique_ptr<Receiver> make_receiver(const ReceiverOptions& o) {
  if (o.kind == "webrtcbin") return std::make_unique<WebrtcbinReceiver>(o);
  return std::make_unique<LiteReceiver>(o);
}

}  // namespace swarm
