// ISO BMFF box reading for the fMP4 HLS segmenter (fmp4.hpp).
#include "fmp4.hpp"

namespace camrelay::media::fmp4 {
namespace {

std::uint32_t u32(std::string_view d, std::size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(d.data() + at);
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

std::uint64_t u64(std::string_view d, std::size_t at) { return (std::uint64_t(u32(d, at)) << 32) | u32(d, at + 4); }

// sample_is_non_sync_sample (ISO/IEC 14496-12 8.8.3.1): clear for a sync sample.
constexpr std::uint32_t kNonSync = 0x10000;

}  // namespace

std::optional<Box> first_box(std::string_view data, bool* malformed) {
  if (malformed) *malformed = false;
  if (data.size() < 8) return std::nullopt;
  std::uint64_t size = u32(data, 0);
  std::size_t header = 8;
  if (size == 1) {  // a 64-bit size follows the type
    if (data.size() < 16) return std::nullopt;
    size = u64(data, 8);
    header = 16;
  } else if (size == 0) {
    return std::nullopt;  // "to the end of the file": never complete in a live stream
  }
  if (size < header) {
    if (malformed) *malformed = true;
    return std::nullopt;
  }
  if (size > data.size()) return std::nullopt;
  Box b;
  b.type = data.substr(4, 4);
  b.whole = data.substr(0, static_cast<std::size_t>(size));
  b.body = b.whole.substr(header);
  return b;
}

std::optional<Box> find_child(std::string_view body, std::string_view type) {
  while (!body.empty()) {
    bool bad = false;
    auto b = first_box(body, &bad);
    if (!b) return std::nullopt;
    if (b->type == type) return b;
    body.remove_prefix(b->whole.size());
  }
  return std::nullopt;
}

Track read_moov(std::string_view moov) {
  Track t;
  if (auto trak = find_child(moov, "trak")) {
    if (auto mdia = find_child(trak->body, "mdia")) {
      if (auto mdhd = find_child(mdia->body, "mdhd"); mdhd && !mdhd->body.empty()) {
        const std::string_view m = mdhd->body;  // version(1) flags(3) then times
        const std::size_t at = m[0] == 1 ? 4 + 16 : 4 + 8;
        if (m.size() >= at + 4) t.timescale = u32(m, at);
      }
    }
  }
  if (auto mvex = find_child(moov, "mvex")) {
    // version/flags, track_ID, description index, duration, size, flags
    if (auto trex = find_child(mvex->body, "trex"); trex && trex->body.size() >= 24) {
      t.trex_duration = u32(trex->body, 12);
      t.trex_flags = u32(trex->body, 20);
    }
  }
  return t;
}

Fragment read_moof(std::string_view moof, const Track& track) {
  Fragment f;
  auto traf = find_child(moof, "traf");
  if (!traf) return f;
  std::optional<std::uint32_t> default_flags = track.trex_flags;
  std::optional<std::uint32_t> default_duration = track.trex_duration;
  if (auto tfhd = find_child(traf->body, "tfhd"); tfhd && tfhd->body.size() >= 8) {
    const std::string_view h = tfhd->body;
    const std::uint32_t flags = u32(h, 0) & 0xFFFFFF;
    std::size_t at = 8;  // version/flags, track_ID
    if (flags & 0x1) at += 8;   // base_data_offset
    if (flags & 0x2) at += 4;   // sample_description_index
    if (flags & 0x8) {  // default_sample_duration
      if (h.size() >= at + 4) default_duration = u32(h, at);
      at += 4;
    }
    if (flags & 0x10) at += 4;  // default_sample_size
    if ((flags & 0x20) && h.size() >= at + 4) default_flags = u32(h, at);
  }
  if (auto tfdt = find_child(traf->body, "tfdt"); tfdt && tfdt->body.size() >= 8) {
    const std::string_view d = tfdt->body;
    if (d[0] == 1 && d.size() >= 12) f.decode_time = u64(d, 4);
    else f.decode_time = u32(d, 4);
  }
  if (auto trun = find_child(traf->body, "trun"); trun && trun->body.size() >= 8) {
    const std::string_view r = trun->body;
    const std::uint32_t flags = u32(r, 0) & 0xFFFFFF;
    const std::uint32_t count = u32(r, 4);
    std::size_t at = 8;
    if (flags & 0x1) at += 4;  // data_offset
    std::optional<std::uint32_t> first;
    if (flags & 0x4) {  // first_sample_flags
      if (r.size() >= at + 4) first = u32(r, at);
      at += 4;
    }
    if (!first && (flags & 0x400) && count > 0) {  // the first sample's own flags
      std::size_t s = at;
      if (flags & 0x100) s += 4;
      if (flags & 0x200) s += 4;
      if (r.size() >= s + 4) first = u32(r, s);
    }
    if (!first) first = default_flags;
    f.starts_with_sync = count > 0 && first && !(*first & kNonSync);
    // Each sample's record: duration, size, flags, composition offset, as the flags say.
    const std::size_t record = 4 * std::size_t(((flags & 0x100) != 0) + ((flags & 0x200) != 0) +
                                               ((flags & 0x400) != 0) + ((flags & 0x800) != 0));
    if (flags & 0x100) {
      if (record > 0 && r.size() >= at + std::size_t(count) * record) {
        std::uint64_t sum = 0;
        for (std::uint32_t i = 0; i < count; ++i) sum += u32(r, at + i * record);
        f.duration = sum;
      }
    } else if (default_duration) {
      f.duration = std::uint64_t(*default_duration) * count;
    }
  }
  return f;
}

}  // namespace camrelay::media::fmp4
