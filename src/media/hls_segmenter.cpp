#include "hls_segmenter.hpp"

#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "camrelay/model/hls_playlist.hpp"

namespace camrelay::media {
namespace fs = std::filesystem;
namespace {
constexpr std::size_t kPacket = 188;
constexpr std::size_t kMaxSegmentBytes = 64u << 20;  // a source without keyframes: cut anyway
}  // namespace

bool ts_has_random_access(std::string_view ts) noexcept {
  for (std::size_t i = 0; i + kPacket <= ts.size(); i += kPacket) {
    const auto* p = reinterpret_cast<const unsigned char*>(ts.data() + i);
    if (p[0] != 0x47) return false;
    const unsigned pid = ((p[1] & 0x1F) << 8) | p[2];
    const bool unit_start = p[1] & 0x40;
    const unsigned afc = (p[3] >> 4) & 3;
    if (pid == 0 || pid == 0x1FFF || !unit_start || !(afc & 2)) continue;
    if (p[4] >= 1 && (p[5] & 0x40)) return true;  // random_access_indicator
  }
  return false;
}

bool ts_starts_with_pat(std::string_view ts) noexcept {
  if (ts.size() < kPacket) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(ts.data());
  return p[0] == 0x47 && (((p[1] & 0x1F) << 8) | p[2]) == 0;
}

namespace {
void render_parts(std::string& out, const std::vector<HlsPart>& parts) {
  for (const auto& p : parts) {
    out += fmt::format("#EXT-X-PART:DURATION={:.3f},URI=\"{}\"{}\n", p.duration_s, p.name,
                       p.independent ? ",INDEPENDENT=YES" : "");
  }
}
}  // namespace

std::string render_hls_playlist(const std::deque<HlsSegment>& segs, int target_duration_s, std::string_view map_uri,
                                const HlsLowLatency* ll) {
  std::string out = fmt::format("#EXTM3U\n#EXT-X-VERSION:{}\n#EXT-X-TARGETDURATION:{}\n", map_uri.empty() ? 3 : 7,
                                target_duration_s);
  if (ll) {
    out += fmt::format("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={:.3f}\n#EXT-X-PART-INF:PART-TARGET={:.3f}\n",
                       ll->part_hold_back_s, ll->part_target_s);
  }
  out += fmt::format("#EXT-X-MEDIA-SEQUENCE:{}\n", segs.empty() ? 0 : segs.front().seq);
  if (!map_uri.empty()) out += fmt::format("#EXT-X-MAP:URI=\"{}\"\n", map_uri);
  // Parts are listed for the segments within three target durations of the end.
  std::size_t with_parts = segs.size();
  if (ll) {
    double tail = 0;
    while (with_parts > 0 && tail + segs[with_parts - 1].duration_s <= 3.0 * target_duration_s + 1e-6) {
      tail += segs[--with_parts].duration_s;
    }
  }
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (i >= with_parts) render_parts(out, segs[i].parts);
    out += fmt::format("#EXTINF:{:.3f},\n{}\n", segs[i].duration_s, segs[i].name);
  }
  if (ll) {
    if (ll->open_parts) render_parts(out, *ll->open_parts);
    if (!ll->preload_hint.empty()) out += fmt::format("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"{}\"\n", ll->preload_hint);
  }
  return out;
}

HlsSegmenter::HlsSegmenter(Options o) : o_(std::move(o)) {
  target_ = std::max(1, static_cast<int>(std::ceil(o_.target_duration_s - 1e-6)));
  part_target_ = o_.part_target_s;
}

bool HlsSegmenter::push(std::string_view ts, std::int64_t pts_ns, std::int64_t now_ns) {
  const std::int64_t t = pts_ns >= 0 ? pts_ns : now_ns;
  // A keyframe's unit that does not begin with the PAT gets the stream headers first.
  return push_unit(ts, ts_has_random_access(ts), t, ts_starts_with_pat(ts) ? std::string_view() : headers_);
}

bool HlsSegmenter::push_fmp4(std::string_view bytes, std::int64_t now_ns) {
  fmp4_ = true;
  pending_.append(bytes.data(), bytes.size());
  bool completed = false;
  std::size_t used = 0;
  for (;;) {
    bool malformed = false;
    auto box = fmp4::first_box(std::string_view(pending_).substr(used), &malformed);
    if (malformed) {
      error_ = "the fMP4 stream has a malformed box header";
      pending_.clear();
      return completed;
    }
    if (!box) break;
    completed = fmp4_box(*box, now_ns) || completed;
    used += box->whole.size();
  }
  pending_.erase(0, used);
  if (pending_.size() > kMaxSegmentBytes) {
    error_ = "an fMP4 box larger than 64 MiB";
    pending_.clear();
  }
  return completed;
}

bool HlsSegmenter::fmp4_box(const fmp4::Box& box, std::int64_t now_ns) {
  if (box.type == "ftyp") {
    init_.assign(box.whole);
    return false;
  }
  if (box.type == "moov") {
    init_.append(box.whole);
    track_ = fmp4::read_moov(box.body);
    write_atomically(o_.dir / "init.mp4", init_);
    return false;
  }
  if (box.type == "moof") {
    moof_.assign(box.whole);
    fragment_ = fmp4::read_moof(box.body, track_);
    return false;
  }
  if (box.type != "mdat" || moof_.empty()) return false;  // styp, sidx, mfra, …: not needed
  std::int64_t t = now_ns;
  if (fragment_.decode_time && track_.timescale > 0) {
    t = static_cast<std::int64_t>(double(*fragment_.decode_time) * 1e9 / track_.timescale);
  }
  std::string unit = std::move(moof_);
  moof_.clear();
  unit.append(box.whole);
  const bool completed = push_unit(unit, fragment_.starts_with_sync, t, {});
  if (o_.part_target_s <= 0 || !open_) return completed;
  // Without sample durations, the part is taken to be as long as the parts are meant to be.
  const double dur = fragment_.duration && track_.timescale > 0 ? double(*fragment_.duration) / track_.timescale
                                                                 : o_.part_target_s;
  add_part(unit, dur, fragment_.starts_with_sync);
  return true;
}

bool HlsSegmenter::add_part(std::string_view data, double duration_s, bool independent) {
  HlsPart p{model::hls_part_name(next_seq_, static_cast<int>(open_parts_.size())), duration_s, independent};
  if (!write_atomically(o_.dir / p.name, data)) return false;
  // PART-TARGET is the longest part: mp4mux cuts a fragment after at least its
  // fragment-duration, which some frame rates overshoot by part of a frame.
  part_target_ = std::max(part_target_, std::ceil(duration_s * 1000.0 - 1e-6) / 1000.0);
  open_parts_.push_back(std::move(p));
  render();
  return true;
}

bool HlsSegmenter::push_unit(std::string_view data, bool key, std::int64_t t, std::string_view prefix) {
  bool completed = false;
  if (open_ && key) {
    const double dur = double(t - start_ns_) / 1e9;
    // Cut at this keyframe once the segment is long enough. Keyframe intervals measured
    // on arrival jitter (the first GOP of an RTSP session often looks 3 % short), hence
    // the slack: a segment may end up shorter than the target, never longer than needed.
    if (dur >= 0.75 * o_.target_duration_s) {
      finish(t);
      completed = true;
    }
  } else if (open_ && current_.size() > kMaxSegmentBytes) {
    finish(t);
    completed = true;
  }
  if (!open_) {
    if (!key && next_seq_ == 0) return completed;  // wait for the first keyframe
    open_ = true;
    start_ns_ = t;
    current_.assign(prefix);
  }
  current_.append(data.data(), data.size());
  last_ns_ = t;
  return completed;
}

bool HlsSegmenter::write_atomically(const fs::path& p, std::string_view data) {
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) {
      error_ = "cannot write " + tmp.string();
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
  if (ec) {
    error_ = "cannot rename " + tmp.string() + ": " + ec.message();
    return false;
  }
  return true;
}

void HlsSegmenter::finish(std::int64_t end_ns) {
  HlsSegment s;
  s.seq = next_seq_++;
  s.duration_s = std::max(0.001, double(end_ns - start_ns_) / 1e9);
  s.name = fmt::format("segment{:05}.{}", s.seq, fmp4_ ? "m4s" : "ts");
  s.parts = std::move(open_parts_);
  open_parts_.clear();
  open_ = false;
  if (!write_atomically(o_.dir / s.name, current_)) return;
  current_.clear();
  // RFC 8216: each EXTINF rounded to the nearest integer must not exceed the target.
  target_ = std::max(target_, static_cast<int>(std::lround(s.duration_s)));
  listed_.push_back(s);
  while (static_cast<int>(listed_.size()) > o_.playlist_length) listed_.pop_front();
  on_disk_.push_back(s);
  while (static_cast<int>(on_disk_.size()) > std::max(o_.max_files, o_.playlist_length)) {
    std::error_code ec;
    fs::remove(o_.dir / on_disk_.front().name, ec);
    for (const auto& p : on_disk_.front().parts) fs::remove(o_.dir / p.name, ec);
    on_disk_.pop_front();
  }
  render();
}

void HlsSegmenter::render() {
  if (listed_.empty()) return;  // players get a playlist once a whole segment exists
  if (fmp4_ && o_.part_target_s > 0) {
    // The next part: the first of the next segment once this one has as many parts as the
    // last (the camera's keyframe interval is steady), else the next of this segment. A
    // wrong guess costs the player one 404 and a playlist reload.
    const std::size_t last_parts = listed_.back().parts.size();
    const bool next_segment = last_parts > 0 && open_parts_.size() >= last_parts;
    HlsLowLatency ll{part_target_, o_.part_hold_back_s, &open_parts_,
                     next_segment ? model::hls_part_name(next_seq_ + 1, 0)
                                  : model::hls_part_name(next_seq_, static_cast<int>(open_parts_.size()))};
    playlist_ = render_hls_playlist(listed_, target_, "init.mp4", &ll);
  } else {
    playlist_ = render_hls_playlist(listed_, target_, fmp4_ ? "init.mp4" : "");
  }
  write_atomically(o_.dir / "index.m3u8", playlist_);
}

}  // namespace camrelay::media
