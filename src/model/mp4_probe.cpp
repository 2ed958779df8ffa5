// A reader of fragmented MP4 box structure (ISO/IEC 14496-12): moov (track ids, timescales,
// default durations) and every moof (tfhd, tfdt, trun). Only box headers and the small
// boxes are read; media data is skipped with seeks.
#include "camrelay/model/mp4_probe.hpp"

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace camrelay::model {
namespace {

using Bytes = std::vector<unsigned char>;

struct Track {
  std::uint32_t timescale = 0;
  std::uint32_t default_duration = 0;  // trex
  bool video = false;
};

std::uint32_t u32(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
std::uint64_t u64(const unsigned char* p) { return (std::uint64_t(u32(p)) << 32) | u32(p + 4); }

// Walks the boxes of data[begin, end): calls f(type, payload begin, payload end).
template <class F>
bool for_each_box(const Bytes& d, std::size_t begin, std::size_t end, F&& f) {
  std::size_t i = begin;
  while (i + 8 <= end) {
    std::uint64_t size = u32(&d[i]);
    const std::string type(reinterpret_cast<const char*>(&d[i + 4]), 4);
    std::size_t header = 8;
    if (size == 1) {
      if (i + 16 > end) return false;
      size = u64(&d[i + 8]);
      header = 16;
    } else if (size == 0) {
      size = end - i;
    }
    if (size < header || i + size > end) return false;
    f(type, i + header, std::size_t(i + size));
    i += size;
  }
  return true;
}

void read_trak(const Bytes& d, std::size_t b, std::size_t e, std::map<std::uint32_t, Track>& tracks) {
  std::uint32_t id = 0;
  Track t;
  for_each_box(d, b, e, [&](const std::string& type, std::size_t pb, std::size_t pe) {
    if (type == "tkhd" && pe - pb >= 24) {
      id = d[pb] == 1 ? u32(&d[pb + 20]) : u32(&d[pb + 12]);
    } else if (type == "mdia") {
      for_each_box(d, pb, pe, [&](const std::string& t2, std::size_t b2, std::size_t e2) {
        if (t2 == "mdhd" && e2 - b2 >= 24) {
          t.timescale = d[b2] == 1 ? u32(&d[b2 + 20]) : u32(&d[b2 + 12]);
        } else if (t2 == "hdlr" && e2 - b2 >= 12) {
          t.video = std::string(reinterpret_cast<const char*>(&d[b2 + 8]), 4) == "vide";
        }
      });
    }
  });
  if (id) {
    auto& slot = tracks[id];
    slot.timescale = t.timescale;
    slot.video = t.video;
  }
}

void read_moov(const Bytes& d, std::map<std::uint32_t, Track>& tracks) {
  for_each_box(d, 0, d.size(), [&](const std::string& type, std::size_t b, std::size_t e) {
    if (type == "trak") read_trak(d, b, e, tracks);
    if (type == "mvex") {
      for_each_box(d, b, e, [&](const std::string& t2, std::size_t b2, std::size_t e2) {
        if (t2 == "trex" && e2 - b2 >= 24) tracks[u32(&d[b2 + 4])].default_duration = u32(&d[b2 + 12]);
      });
    }
  });
}

struct Run {
  std::uint32_t track = 0;
  std::uint64_t start = 0;  // decode time of the first sample (tfdt), in the track's timescale
  bool has_start = false;
  std::uint64_t duration = 0;
  std::uint64_t samples = 0;
};

std::vector<Run> read_moof(const Bytes& d, const std::map<std::uint32_t, Track>& tracks) {
  std::vector<Run> runs;
  for_each_box(d, 0, d.size(), [&](const std::string& type, std::size_t b, std::size_t e) {
    if (type != "traf") return;
    Run r;
    std::uint32_t default_duration = 0;
    for_each_box(d, b, e, [&](const std::string& t2, std::size_t b2, std::size_t e2) {
      if (t2 == "tfhd" && e2 - b2 >= 8) {
        const std::uint32_t flags = u32(&d[b2]) & 0xffffff;
        r.track = u32(&d[b2 + 4]);
        if (auto it = tracks.find(r.track); it != tracks.end()) default_duration = it->second.default_duration;
        std::size_t off = b2 + 8;
        if (flags & 0x01) off += 8;  // base data offset
        if (flags & 0x02) off += 4;  // sample description index
        if ((flags & 0x08) && off + 4 <= e2) default_duration = u32(&d[off]);
      } else if (t2 == "tfdt" && e2 - b2 >= 8) {
        r.start = d[b2] == 1 && e2 - b2 >= 12 ? u64(&d[b2 + 4]) : u32(&d[b2 + 4]);
        r.has_start = true;
      } else if (t2 == "trun" && e2 - b2 >= 8) {
        const std::uint32_t flags = u32(&d[b2]) & 0xffffff;
        const std::uint32_t count = u32(&d[b2 + 4]);
        std::size_t off = b2 + 8;
        if (flags & 0x01) off += 4;
        if (flags & 0x04) off += 4;
        std::size_t per = 0;
        for (std::uint32_t bit : {0x100u, 0x200u, 0x400u, 0x800u}) per += (flags & bit) ? 4 : 0;
        for (std::uint32_t s = 0; s < count; ++s, off += per) {
          if (per && off + per > e2) break;
          r.duration += (flags & 0x100) ? u32(&d[off]) : default_duration;
          r.samples++;
        }
      }
    });
    runs.push_back(r);
  });
  return runs;
}

}  // namespace

std::optional<Mp4Extent> probe_fragmented_mp4(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(0, std::ios::end);
  const std::uint64_t size = std::uint64_t(in.tellg());
  in.seekg(0);
  std::map<std::uint32_t, Track> tracks;
  bool have_moov = false;
  std::vector<Run> pending;  // the last moof's runs, counted once its mdat is complete
  std::map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>> span;  // track → [first, end)
  std::map<std::uint32_t, std::uint64_t> samples;
  Mp4Extent out;
  std::uint64_t pos = 0;
  constexpr std::uint64_t kMaxMetaBox = 64ull << 20;  // moov/moof larger than this: not ours
  while (pos + 8 <= size) {
    unsigned char h[16];
    in.seekg(std::streamoff(pos));
    if (!in.read(reinterpret_cast<char*>(h), 8)) break;
    std::uint64_t box = u32(h);
    std::uint64_t header = 8;
    const std::string type(reinterpret_cast<const char*>(h + 4), 4);
    if (box == 1) {
      if (!in.read(reinterpret_cast<char*>(h + 8), 8)) break;
      box = u64(h + 8);
      header = 16;
    } else if (box == 0) {
      box = size - pos;
    }
    if (box < header) break;
    const bool complete = pos + box <= size;
    if (type == "moov" || type == "moof") {
      if (!complete || box - header > kMaxMetaBox) break;
      Bytes payload(std::size_t(box - header));
      if (!in.read(reinterpret_cast<char*>(payload.data()), std::streamsize(payload.size()))) break;
      if (type == "moov") {
        read_moov(payload, tracks);
        have_moov = true;
      } else {
        pending = read_moof(payload, tracks);
      }
    } else if (type == "mdat") {
      if (!complete) break;
      for (const auto& r : pending) {
        auto& [first, end] = span[r.track];
        const std::uint64_t start = r.has_start ? r.start : end;
        if (!samples[r.track]) first = start;
        end = std::max(end, start + r.duration);
        samples[r.track] += r.samples;
      }
      if (!pending.empty()) out.fragments++;
      pending.clear();
      out.playable_bytes = pos + box;
    } else if (!complete) {
      break;
    }
    if (type == "moov") out.playable_bytes = pos + box;
    pos += box;
  }
  if (!have_moov) return std::nullopt;
  // The video track decides; a file without one (audio only) takes its first track.
  const Track* chosen = nullptr;
  std::uint32_t chosen_id = 0;
  for (const auto& [id, t] : tracks) {
    if (t.video || !chosen) {
      if (chosen && chosen->video) continue;
      chosen = &t;
      chosen_id = id;
    }
  }
  if (chosen && chosen->timescale) {
    if (auto it = span.find(chosen_id); it != span.end()) {
      out.duration_ms = std::int64_t((it->second.second - it->second.first) * 1000 / chosen->timescale);
    }
    out.samples = samples[chosen_id];
  }
  return out;
}

}  // namespace camrelay::model
