// The lite receiver: libnice + DTLS + SRTP + RTCP without GStreamer (lite_viewer.hpp).
#include "lite_viewer.hpp"

#include <gio/gio.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>

namespace swarm {

namespace {

constexpr auto kGatherTimeout = std::chrono::seconds(10);
constexpr int64_t kReportIntervalUs = 1000000;  // a regular RR + SDES every second
constexpr int64_t kPliIntervalUs = 1000000;     // at most one PLI a second
constexpr size_t kMaxNacksPerPacket = 200;      // keeps one NACK packet under the MTU
// The receive buffer a browser asks for its video socket (WebRTC's kVideoRtpRecvBufferSize;
// the kernel doubles it): room for a server's burst (camrelay's GOP replay at a join).
constexpr int kRecvBufferBytes = 256 * 1024;

uint64_t random_u64() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

NiceCandidateType candidate_type(const std::string& t) {
  if (t == "srflx") return NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE;
  if (t == "prflx") return NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;
  if (t == "relay") return NICE_CANDIDATE_TYPE_RELAYED;
  return NICE_CANDIDATE_TYPE_HOST;
}

const char* candidate_type_name(NiceCandidateType t) {
  switch (t) {
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: return "srflx";
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: return "prflx";
    case NICE_CANDIDATE_TYPE_RELAYED: return "relay";
    default: return "host";
  }
}

// A one-shot timer: a GSource without file descriptors that dispatches at its ready time.
gboolean dispatch_timer(GSource*, GSourceFunc cb, gpointer data) { return cb(data); }
GSourceFuncs timer_funcs = {nullptr, nullptr, dispatch_timer, nullptr, nullptr, nullptr};

}  // namespace

void LiteViewer::warm_up() {
  dtls::Identity::get();
  SrtpSession::init_library();
}

std::shared_ptr<LiteViewer> LiteViewer::create(int id, std::shared_ptr<IoThreads> io, const std::string& local_ip) {
  return std::shared_ptr<LiteViewer>(new LiteViewer(id, std::move(io), local_ip));
}

LiteViewer::LiteViewer(int id, std::shared_ptr<IoThreads> io, std::string local_ip)
    : id_(id),
      io_(std::move(io)),
      ctx_(io_->context(id)),
      local_ip_(std::move(local_ip)),
      ssrc_(uint32_t(random_u64() | 1)),
      cname_("swarm-" + std::to_string(random_u64() % 1000000000)) {
  nacks_.reserve(64);
}

LiteViewer::~LiteViewer() { stop(); }

// --- negotiation (worker threads) ---

std::string LiteViewer::make_offer() {
  run_on(ctx_, [this] { open_agent(true); });
  return local_sdp(nullptr);
}

void LiteViewer::set_remote_answer(const std::string& text) {
  const sdp::Remote r = sdp::parse_remote(text);
  // RFC 4145: no a=setup means active.
  const std::string setup = r.setup.empty() ? "active" : r.setup;
  if (setup != "active" && setup != "passive") throw std::runtime_error("SDP answer with a=setup:" + setup);
  run_on(ctx_, [&] { apply_remote(r, setup == "passive"); });
}

std::string LiteViewer::answer_offer(const std::string& text) {
  const sdp::Remote r = sdp::parse_remote(text);
  run_on(ctx_, [&] {
    open_agent(false);
    apply_remote(r, sdp::answer_setup(r.setup) == "active");
  });
  return local_sdp(&r);
}

// Waits for the end of gathering and writes our offer (or answer to `offer`).
std::string LiteViewer::local_sdp(const sdp::Remote* offer) {
  sdp::Local l;
  {
    std::unique_lock lk(mu_);
    if (!cv_.wait_for(lk, kGatherTimeout, [this] { return gathered_ || state_ == State::kFailed; }) || !gathered_) {
      throw std::runtime_error("ICE gathering not complete within 10 s");
    }
    if (local_candidates_.empty()) throw std::runtime_error("ICE: no candidate on " + local_ip_);
    c_.local_sdp_ready = Clock::now();
    l = {random_u64() >> 2, local_ufrag_, local_pwd_, dtls::Identity::get().fingerprint(), local_candidates_};
  }
  return offer ? sdp::build_answer(l, *offer) : sdp::build_offer(l);
}

// --- the connection (the viewer's I/O thread) ---

void LiteViewer::open_agent(bool controlling) {
  NiceAddress addr;
  nice_address_init(&addr);
  if (!nice_address_set_from_string(&addr, local_ip_.c_str())) throw std::runtime_error("bad --local-ip " + local_ip_);
  agent_ = nice_agent_new_full(ctx_, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_REGULAR_NOMINATION);
  g_object_set(agent_, "controlling-mode", gboolean(controlling), "upnp", FALSE, "ice-tcp", FALSE, nullptr);
  nice_agent_add_local_address(agent_, &addr);
  g_signal_connect(agent_, "candidate-gathering-done",
                   reinterpret_cast<GCallback>(+[](NiceAgent*, guint, gpointer self) {
                     static_cast<LiteViewer*>(self)->on_gathered();
                   }),
                   this);
  g_signal_connect(agent_, "component-state-changed",
                   reinterpret_cast<GCallback>(+[](NiceAgent*, guint, guint, guint state, gpointer self) {
                     static_cast<LiteViewer*>(self)->on_component_state(state);
                   }),
                   this);
  stream_ = nice_agent_add_stream(agent_, 1);
  if (!stream_) throw std::runtime_error("ICE: no stream");
  nice_agent_attach_recv(agent_, stream_, 1, ctx_,
                         [](NiceAgent*, guint, guint, guint len, gchar* buf, gpointer self) {
                           static_cast<LiteViewer*>(self)->on_datagram(reinterpret_cast<const uint8_t*>(buf), len);
                         },
                         this);
  timer_ = g_source_new(&timer_funcs, sizeof(GSource));
  g_source_set_callback(timer_, [](gpointer self) -> gboolean {
    static_cast<LiteViewer*>(self)->on_timer();
    return G_SOURCE_CONTINUE;
  }, this, nullptr);
  g_source_attach(timer_, ctx_);
  if (!nice_agent_gather_candidates(agent_, stream_)) throw std::runtime_error("ICE: cannot gather on " + local_ip_);
}

void LiteViewer::on_gathered() {
  gchar* ufrag = nullptr;
  gchar* pwd = nullptr;
  nice_agent_get_local_credentials(agent_, stream_, &ufrag, &pwd);
  std::vector<sdp::Candidate> cands;
  GSList* list = nice_agent_get_local_candidates(agent_, stream_, 1);
  for (GSList* l = list; l; l = l->next) {
    auto* c = static_cast<NiceCandidate*>(l->data);
    if (c->transport == NICE_CANDIDATE_TRANSPORT_UDP) {
      char ip[NICE_ADDRESS_STRING_LEN];
      nice_address_to_string(&c->addr, ip);
      cands.push_back({c->foundation, 1, "UDP", c->priority, ip, uint16_t(nice_address_get_port(&c->addr)),
                       candidate_type_name(c->type)});
    }
    nice_candidate_free(c);
  }
  g_slist_free(list);
  std::lock_guard lk(mu_);
  local_ufrag_ = ufrag ? ufrag : "";
  local_pwd_ = pwd ? pwd : "";
  g_free(ufrag);
  g_free(pwd);
  local_candidates_ = std::move(cands);
  gathered_ = true;
  cv_.notify_all();
}

void LiteViewer::apply_remote(const sdp::Remote& r, bool dtls_client) {
  h264_pt_ = r.h264_pt;
  rtx_pt_ = r.rtx_pt;
  remote_fp_alg_ = r.fingerprint_alg;
  remote_fp_ = r.fingerprint;
  // Before the credentials: no DTLS can arrive before ICE checks can succeed.
  dtls_ = std::make_unique<dtls::Session>(dtls_client, [this](const uint8_t* p, size_t n) { send_dtls(p, n); });
  nice_agent_set_remote_credentials(agent_, stream_, r.ice_ufrag.c_str(), r.ice_pwd.c_str());
  GSList* list = nullptr;
  for (const auto& c : r.candidates) {
    NiceCandidate* nc = nice_candidate_new(candidate_type(c.type));
    if (!nice_address_set_from_string(&nc->addr, c.address.c_str())) {  // e.g. an mDNS name
      nice_candidate_free(nc);
      continue;
    }
    nice_address_set_port(&nc->addr, c.port);
    nc->transport = NICE_CANDIDATE_TRANSPORT_UDP;
    nc->priority = c.priority;
    nc->stream_id = stream_;
    nc->component_id = 1;
    g_strlcpy(nc->foundation, c.foundation.c_str(), NICE_CANDIDATE_MAX_FOUNDATION);
    list = g_slist_append(list, nc);
  }
  if (list) nice_agent_set_remote_candidates(agent_, stream_, 1, list);
  for (GSList* l = list; l; l = l->next) nice_candidate_free(static_cast<NiceCandidate*>(l->data));
  g_slist_free(list);
  {
    std::lock_guard lk(mu_);
    if (state_ == State::kNew) state_ = State::kConnecting;
  }
  rearm();
}

void LiteViewer::on_component_state(guint state) {
  if (state == NICE_COMPONENT_STATE_FAILED) {
    fail("ICE failed");
    return;
  }
  if ((state != NICE_COMPONENT_STATE_CONNECTED && state != NICE_COMPONENT_STATE_READY) || ice_ready_) return;
  ice_ready_ = true;
  if (GSocket* sock = nice_agent_get_selected_socket(agent_, stream_, 1)) {
    const int size = kRecvBufferBytes;
    setsockopt(g_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    g_object_unref(sock);
  }
  for (const auto& d : held_) send(d.data(), d.size());
  held_.clear();
  if (dtls_) dtls_->start();
  after_dtls();
}

// RFC 7983: the first byte tells DTLS (20-63) from RTP/RTCP (128-191); STUN is libnice's.
void LiteViewer::on_datagram(const uint8_t* p, size_t n) {
  if (n == 0) return;
  if (p[0] >= 20 && p[0] <= 63) {
    on_dtls(p, n);
    return;
  }
  if (p[0] < 128 || p[0] > 191 || !srtp_.ready() || n > rx_.size()) return;
  std::memcpy(rx_.data(), p, n);
  if (rtcp::is_rtcp(rx_.data(), n)) on_rtcp(n);
  else on_rtp(n);
}

void LiteViewer::on_dtls(const uint8_t* p, size_t n) {
  if (!dtls_) return;
  dtls_->receive(p, n);
  after_dtls();
}

// After DTLS progressed: the fingerprint check and SRTP keys once the handshake is done,
// "connected" once ICE is too.
void LiteViewer::after_dtls() {
  if (!dtls_) return;
  if (dtls_->failed()) {
    fail(dtls_->error());
    return;
  }
  if (dtls_->done() && !srtp_.ready()) {
    if (!dtls_->peer_matches(remote_fp_alg_, remote_fp_)) {
      fail("DTLS: the peer's certificate does not match a=fingerprint");
      return;
    }
    dtls::SrtpKeys k;
    if (!dtls_->srtp_keys(k) || !srtp_.init(k.local.data(), k.remote.data())) {
      fail("DTLS: no SRTP_AES128_CM_SHA1_80 keys");
      return;
    }
    next_report_us_ = g_get_monotonic_time();  // the first report at once
  }
  if (ice_ready_ && srtp_.ready()) {
    std::lock_guard lk(mu_);
    if (state_ == State::kConnecting) {
      state_ = State::kConnected;
      c_.connected = Clock::now();
    }
  }
  rearm();
}

void LiteViewer::on_rtp(size_t n) {
  const int len = srtp_.unprotect_rtp(rx_.data(), int(n));
  if (len < 0) return;
  const std::optional<rtcp::RtpHeader> h = rtcp::parse_rtp(rx_.data(), size_t(len));
  if (!h) return;
  uint16_t seq = h->seq;
  const bool rtx = h->pt == rtx_pt_ && rtx_pt_ >= 0;
  if (h->pt == h264_pt_) {
    if (!have_media_) {
      have_media_ = true;
      media_ssrc_ = h->ssrc;
    }
    if (h->ssrc != media_ssrc_) return;
  } else if (rtx && have_media_ && h->payload_len >= 2) {
    seq = uint16_t(rx_[h->payload] << 8 | rx_[h->payload + 1]);  // the original's (RFC 4588)
  } else {
    return;  // another PT, or RTX padding (no original sequence number)
  }
  const int64_t now_us = g_get_monotonic_time();
  bool in_order = false;
  {
    std::lock_guard lk(mu_);
    const int64_t max_before = c_.arrived.ext_max;
    const NackTracker::Arrival a = rtx ? tracker_.on_rtx(seq, now_us / 1000) : tracker_.on_packet(seq, now_us / 1000);
    if (a.first) c_.arrived.add(seq, h->marker);
    if (a.in_time) c_.delivered.add(seq, h->marker);
    if (!c_.first_packet) c_.first_packet = Clock::now();
    in_order = !rtx && c_.arrived.ext_max > max_before;
  }
  if (in_order) {
    // Interarrival jitter (RFC 3550 6.4.1) in 90 kHz units.
    const uint32_t transit = uint32_t(now_us * 9 / 100) - h->timestamp;
    if (have_transit_) {
      const double d = std::abs(double(int32_t(transit - last_transit_)));
      jitter_ += (d - jitter_) / 16;
    }
    last_transit_ = transit;
    have_transit_ = true;
  }
  if (tracker_.next_due() <= now_us / 1000) feedback(now_us);
  rearm();
}

void LiteViewer::on_rtcp(size_t n) {
  const int len = srtp_.unprotect_rtcp(rx_.data(), int(n));
  if (len < 0) return;
  const std::optional<rtcp::SenderReport> sr = rtcp::find_sender_report(rx_.data(), size_t(len));
  if (sr && have_media_ && sr->ssrc == media_ssrc_) {
    sr_ntp_mid_ = sr->ntp_mid;
    sr_at_us_ = g_get_monotonic_time();
  }
}

void LiteViewer::on_timer() {
  const int64_t now_us = g_get_monotonic_time();
  if (dtls_ && !dtls_->done() && dtls_->timeout_us() == 0) {
    dtls_->on_timeout();
    after_dtls();
  }
  if (srtp_.ready()) {
    if (tracker_.next_due() <= now_us / 1000) feedback(now_us);
    if (now_us >= next_report_us_) {
      send_rtcp(nullptr, 0, false, now_us);
      next_report_us_ = now_us + kReportIntervalUs;
    }
  }
  rearm(true);
}

// NACKs and lost packets due now: a NACK for what is missing, a PLI for what is lost.
void LiteViewer::feedback(int64_t now_us) {
  nacks_.clear();
  uint64_t lost = 0;
  {
    std::lock_guard lk(mu_);
    lost = tracker_.poll(now_us / 1000, nacks_);
  }
  bool pli = false;
  if (lost && now_us - last_pli_us_ >= kPliIntervalUs) {
    pli = true;
    last_pli_us_ = now_us;
    std::lock_guard lk(mu_);
    ++c_.plis_sent;
  }
  if (!nacks_.empty() || pli) send_rtcp(nacks_.data(), nacks_.size(), pli, now_us);
}

// Compound RR + SDES CNAME (+ NACK, + PLI), SRTCP; long NACK lists over several packets.
void LiteViewer::send_rtcp(const uint16_t* nacks, size_t n, bool pli, int64_t now_us) {
  size_t done = 0;
  do {
    const size_t chunk = std::min(n - done, kMaxNacksPerPacket);
    rtcp::Writer w(tx_.data(), tx_.size() - SRTP_MAX_TRAILER_LEN - 4);  // room for SRTCP's index and tag
    const rtcp::ReportBlock rb = report_block(now_us);
    w.receiver_report(ssrc_, have_media_ ? &rb : nullptr);
    w.sdes_cname(ssrc_, cname_);
    if (chunk) w.nack(ssrc_, media_ssrc_, nacks + done, chunk);
    if (pli) w.pli(ssrc_, media_ssrc_);
    pli = false;
    done += chunk;
    const int len = w.ok() ? srtp_.protect_rtcp(tx_.data(), int(w.size())) : -1;
    if (len > 0) send(tx_.data(), size_t(len));
  } while (done < n);
}

// The report block about the video (RFC 3550 6.4.2); fraction lost since the last one.
rtcp::ReportBlock LiteViewer::report_block(int64_t now_us) {
  rtcp::ReportBlock b;
  b.ssrc = media_ssrc_;
  const SeqCount& a = c_.arrived;  // written on this thread only
  if (a.ext_max >= 0) {
    const int64_t expected = a.expected();
    const int64_t interval = expected - rr_expected_;
    const int64_t interval_lost = interval - int64_t(a.packets - rr_received_);
    b.fraction_lost = interval > 0 && interval_lost > 0 ? uint8_t(std::min<int64_t>(255, interval_lost * 256 / interval)) : 0;
    b.cumulative_lost = int32_t(std::clamp<int64_t>(expected - int64_t(a.packets), -0x800000, 0x7fffff));
    b.ext_highest_seq = uint32_t(a.ext_max);
    rr_expected_ = expected;
    rr_received_ = a.packets;
  }
  b.jitter = uint32_t(jitter_);
  if (sr_at_us_) {
    b.lsr = sr_ntp_mid_;
    b.dlsr = uint32_t((now_us - sr_at_us_) * 65536 / 1000000);
  }
  return b;
}

// DTLS written before ICE has a pair to send on waits for it.
void LiteViewer::send_dtls(const uint8_t* p, size_t n) {
  if (ice_ready_) send(p, n);
  else held_.emplace_back(p, p + n);
}

void LiteViewer::send(const uint8_t* p, size_t n) {
  if (agent_) nice_agent_send(agent_, stream_, 1, guint(n), reinterpret_cast<const gchar*>(p));
}

// Sets the timer to the next due DTLS retransmission, NACK/loss deadline or report.
void LiteViewer::rearm(bool force) {
  int64_t due = -1;  // GLib: never
  auto consider = [&due](int64_t t) {
    if (due < 0 || t < due) due = t;
  };
  if (dtls_ && !dtls_->done() && !dtls_->failed()) {
    if (const int64_t left = dtls_->timeout_us(); left >= 0) consider(g_get_monotonic_time() + left);
  }
  if (srtp_.ready()) {
    consider(next_report_us_);
    const int64_t t = tracker_.next_due();
    if (t == std::numeric_limits<int64_t>::min()) consider(0);
    else if (t != std::numeric_limits<int64_t>::max()) consider(t * 1000);
  }
  if (timer_ && (force || due != armed_us_)) {
    g_source_set_ready_time(timer_, due);
    armed_us_ = due;
  }
}

void LiteViewer::fail(const std::string& why) {
  {
    std::lock_guard lk(mu_);
    if (state_ == State::kFailed || state_ == State::kClosed) return;
    state_ = State::kFailed;
    c_.failed = true;
    cv_.notify_all();
  }
  std::fprintf(stderr, "camrelay-swarm: viewer %d: %s\n", id_, why.c_str());
}

void LiteViewer::teardown() {
  if (dtls_) dtls_->close();
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
    timer_ = nullptr;
  }
  if (agent_) {
    g_signal_handlers_disconnect_by_data(agent_, this);
    if (stream_) {
      nice_agent_attach_recv(agent_, stream_, 1, ctx_, nullptr, nullptr);
      nice_agent_remove_stream(agent_, stream_);
    }
    g_object_unref(agent_);
    agent_ = nullptr;
  }
  dtls_.reset();
  held_.clear();
  std::lock_guard lk(mu_);
  if (state_ != State::kFailed) state_ = State::kClosed;
}

// --- any thread ---

void LiteViewer::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  run_on(ctx_, [this] { teardown(); });
}

Counters LiteViewer::counters() const {
  std::lock_guard lk(mu_);
  return c_;
}

Viewer::JitterStats LiteViewer::jitter_stats() const {
  std::lock_guard lk(mu_);
  const NackTracker::Stats& s = tracker_.stats();
  return {s.nacks_sent, s.rtx_success, s.lost, s.late};
}

std::string LiteViewer::connection_state() const {
  std::lock_guard lk(mu_);
  switch (state_) {
    case State::kNew: return "new";
    case State::kConnecting: return "connecting";
    case State::kConnected: return "connected";
    case State::kFailed: return "failed";
    case State::kClosed: return "closed";
  }
  return "unknown";
}

}  // namespace swarm
