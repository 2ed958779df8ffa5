#pragma once
// The lite receiver (--receiver lite, the default): a viewer (viewer.hpp) without GStreamer
// in the packet path. ICE is a libnice agent (RFC 5245, one stream, one component: BUNDLE +
// rtcp-mux; host candidates on --local-ip only; non-trickle: every candidate in the SDP;
// controlling when we offer, controlled when we answer). Datagrams are told apart by their
// first byte (RFC 7983): DTLS (dtls.hpp: role from a=setup, peer checked against
// a=fingerprint, SRTP keys exported), SRTP/SRTCP (srtp_session.hpp: libsrtp2 with OpenSSL
// crypto). The media socket gets a browser's 256 KiB receive buffer. Decrypted video RTP is
// counted as arrived/delivered; RTX (the PT with apt= the video's; original sequence number in
// the first two payload bytes) repairs missing packets; NackTracker decides when to NACK and
// when a packet is lost (then a PLI, at most one a second). A compound RR + SDES CNAME goes
// out every second (LSR/DLSR from the last SR) and in front of every NACK/PLI.
// Everything of a viewer's connection runs on one I/O thread (io_threads.hpp: viewer i on
// thread i % k): the agent's sockets and timers, DTLS, SRTP, RTCP and a one-shot timer for the
// next due DTLS retransmission, NACK, loss deadline or RTCP report. Negotiation calls block
// the calling worker thread; counters are read by any thread under a mutex.
#include <nice/agent.h>

#include <array>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dtls.hpp"
#include "io_threads.hpp"
#include "nack_tracker.hpp"
#include "rtcp.hpp"
#include "sdp.hpp"
#include "srtp_session.hpp"
#include "viewer.hpp"

namespace swarm {

class LiteViewer : public Viewer {
 public:
  // The process-wide parts, made before the clock starts: the DTLS certificate, libsrtp.
  static void warm_up();
  static std::shared_ptr<LiteViewer> create(int id, std::shared_ptr<IoThreads> io, const std::string& local_ip);
  ~LiteViewer() override;

  int id() const override { return id_; }
  std::string make_offer() override;
  void set_remote_answer(const std::string& sdp) override;
  std::string answer_offer(const std::string& sdp) override;
  Counters counters() const override;
  JitterStats jitter_stats() const override;
  std::string connection_state() const override;
  void stop() override;

 private:
  enum class State { kNew, kConnecting, kConnected, kFailed, kClosed };
  LiteViewer(int id, std::shared_ptr<IoThreads> io, std::string local_ip);

  // Worker thread.
  std::string local_sdp(const sdp::Remote* offer);

  // I/O thread.
  void open_agent(bool controlling);
  void apply_remote(const sdp::Remote& r, bool dtls_client);
  void on_gathered();
  void on_component_state(guint state);
  void on_datagram(const uint8_t* p, size_t n);
  void on_dtls(const uint8_t* p, size_t n);
  void after_dtls();
  void on_rtp(size_t n);
  void on_rtcp(size_t n);
  void on_timer();
  void feedback(int64_t now_us);
  void send_rtcp(const uint16_t* nacks, size_t n, bool pli, int64_t now_us);
  rtcp::ReportBlock report_block(int64_t now_us);
  void send_dtls(const uint8_t* p, size_t n);
  void send(const uint8_t* p, size_t n);
  void rearm(bool force = false);
  void fail(const std::string& why);
  void teardown();

  const int id_;
  const std::shared_ptr<IoThreads> io_;
  GMainContext* const ctx_;
  const std::string local_ip_;
  const uint32_t ssrc_;   // of our RTCP
  const std::string cname_;

  // I/O thread only.
  NiceAgent* agent_ = nullptr;
  guint stream_ = 0;
  GSource* timer_ = nullptr;
  int64_t armed_us_ = -1;          // the timer's ready time
  bool ice_ready_ = false;
  std::unique_ptr<dtls::Session> dtls_;
  std::vector<std::vector<uint8_t>> held_;  // DTLS datagrams written before ICE could send
  std::string remote_fp_alg_, remote_fp_;
  SrtpSession srtp_;
  int h264_pt_ = -1, rtx_pt_ = -1;
  uint32_t media_ssrc_ = 0;
  bool have_media_ = false;
  int64_t next_report_us_ = 0;     // the next regular RR (0: not before SRTP is up)
  int64_t last_pli_us_ = 0;
  uint32_t sr_ntp_mid_ = 0;        // the last SR: its NTP time (middle bits) and arrival
  int64_t sr_at_us_ = 0;
  int64_t rr_expected_ = 0;        // at the last RR, for its fraction lost
  uint64_t rr_received_ = 0;
  double jitter_ = 0;              // RFC 3550 6.4.1, RTP timestamp units
  uint32_t last_transit_ = 0;
  bool have_transit_ = false;
  std::array<uint8_t, 2048> rx_{};  // one received packet, decrypted in place
  std::array<uint8_t, 1500> tx_{};  // one RTCP packet, encrypted in place
  std::vector<uint16_t> nacks_;     // the sequence numbers of one NACK round

  // Shared with the worker and main threads.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::kNew;
  bool gathered_ = false;
  bool stopped_ = false;
  std::string local_ufrag_, local_pwd_;
  std::vector<sdp::Candidate> local_candidates_;
  Counters c_;
  NackTracker tracker_;  // written on the I/O thread under mu_
};

}  // namespace swarm
