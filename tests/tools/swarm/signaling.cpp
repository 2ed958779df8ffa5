#include "signaling.hpp"

#include <nlohmann/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include "http.hpp"

namespace swarm {

namespace {

using json = nlohmann::json;

std::string excerpt(const std::string& s) { return s.size() > 300 ? s.substr(0, 300) + "..." : s; }

class Whep : public Signaling {
 public:
  explicit Whep(const SignalingOptions& o) : url_(o.whep_url), token_(o.token) {}
  void join(Viewer& v) override {
    std::string offer = v.make_offer();
    std::map<std::string, std::string> h{{"Content-Type", "application/sdp"}};
    if (!token_.empty()) h["Authorization"] = "Bearer " + token_;
    Response r = request("POST", url_, offer, h);
    if (r.status != 201) {
      throw std::runtime_error("WHEP POST " + url_ + ": HTTP " + std::to_string(r.status) + " " + excerpt(r.body));
    }
    std::string loc = r.header("location");
    if (loc.empty()) throw std::runtime_error("WHEP POST " + url_ + ": 201 without Location");
    location_ = Url::parse(url_).resolve(loc);
    v.set_remote_answer(r.body);
  }
  void leave() override {
    if (location_.empty()) return;
    std::map<std::string, std::string> h;
    if (!token_.empty()) h["Authorization"] = "Bearer " + token_;
    Response r = request("DELETE", location_, {}, h);
    if (r.status / 100 != 2) throw std::runtime_error("WHEP DELETE " + location_ + ": HTTP " + std::to_string(r.status));
    location_.clear();
  }

 private:
  std::string url_;
  std::string token_;
  std::string location_;
};

class Janus : public Signaling {
 public:
  explicit Janus(const SignalingOptions& o) : api_(o.janus_url), mountpoint_(o.mountpoint) {
    while (!api_.empty() && api_.back() == '/') api_.pop_back();
  }
  void join(Viewer& v) override {
    session_ = post("", {{"janus", "create"}}).at("data").at("id").get<long long>();
    const std::string sp = "/" + std::to_string(session_);
    handle_ = post(sp, {{"janus", "attach"}, {"plugin", "janus.plugin.streaming"}}).at("data").at("id").get<long long>();
    const std::string hp = sp + "/" + std::to_string(handle_);
    post(hp, {{"janus", "message"}, {"body", {{"request", "watch"}, {"id", mountpoint_}}}});
    std::string offer = wait_offer(sp);
    if (std::getenv("SWARM_SDP")) std::fprintf(stderr, "--- janus offer\n%s\n", offer.c_str());
    std::string answer = v.answer_offer(offer);
    if (std::getenv("SWARM_SDP")) std::fprintf(stderr, "--- answer\n%s\n", answer.c_str());
    post(hp, {{"janus", "message"}, {"body", {{"request", "start"}}}, {"jsep", {{"type", "answer"}, {"sdp", answer}}}});
  }
  void keepalive() override {
    if (session_) post("/" + std::to_string(session_), {{"janus", "keepalive"}});
  }
  void leave() override {
    if (!session_) return;
    post("/" + std::to_string(session_), {{"janus", "destroy"}});
    session_ = 0;
  }

 private:
  json post(const std::string& path, json body) {
    body["transaction"] = std::to_string(rng_());
    Response r = request("POST", api_ + path, body.dump(), {{"Content-Type", "application/json"}});
    json j = json::parse(r.body, nullptr, false);
    if (r.status != 200 || j.is_discarded()) {
      throw std::runtime_error("janus POST " + api_ + path + ": HTTP " + std::to_string(r.status) + " " + excerpt(r.body));
    }
    if (j.value("janus", "") == "error") throw std::runtime_error("janus " + path + ": " + j["error"].dump());
    return j;
  }
  // Long-polls the session until the streaming plugin's event with the offer (or an error).
  std::string wait_offer(const std::string& sp) {
    auto deadline = Clock::now() + std::chrono::seconds(15);
    while (Clock::now() < deadline) {
      Response r = request("GET", api_ + sp + "?maxev=10&rid=" + std::to_string(rng_()), {}, {}, std::chrono::seconds(40));
      json j = json::parse(r.body, nullptr, false);
      if (j.is_discarded()) throw std::runtime_error("janus long poll: unparsable answer " + excerpt(r.body));
      if (!j.is_array()) j = json::array({j});
      for (const auto& ev : j) {
        if (ev.value("janus", "") != "event" || ev.value("sender", 0LL) != handle_) continue;
        const auto& data = ev.contains("plugindata") ? ev["plugindata"].value("data", json::object()) : json::object();
        if (data.contains("error")) throw std::runtime_error("janus watch: " + data["error"].dump());
        if (ev.contains("jsep") && ev["jsep"].value("type", "") == "offer") return ev["jsep"].value("sdp", "");
      }
    }
    throw std::runtime_error("janus: no offer within 15 s");
  }

  std::string api_;
  long long mountpoint_;
  long long session_ = 0;
  long long handle_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace

std::unique_ptr<Signaling> make_signaling(const SignalingOptions& o) {
  if (!o.whep_url.empty()) return std::make_unique<Whep>(o);
  return std::make_unique<Janus>(o);
}

}  // namespace swarm
