#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "camrelay/media/hls.hpp"
#include "hls_segmenter.hpp"

using namespace camrelay::media;
namespace fs = std::filesystem;

namespace {
// One 188-byte TS packet. pid 0 = PAT; rai = start of a keyframe PES.
std::string packet(unsigned pid, bool unit_start, bool rai, char fill = 'x') {
  std::string p(188, fill);
  p[0] = 0x47;
  p[1] = static_cast<char>((unit_start ? 0x40 : 0) | ((pid >> 8) & 0x1F));
  p[2] = static_cast<char>(pid & 0xFF);
  if (rai) {
    p[3] = 0x30;  // adaptation field + payload
    p[4] = 7;
    p[5] = 0x40 | 0x10;  // random access + PCR flag
  } else {
    p[3] = 0x10;  // payload only
  }
  return p;
}
std::string keyframe() { return packet(0, true, false, 'P') + packet(0x41, true, true) + packet(0x41, false, false); }
std::string delta() { return packet(0x41, true, false) + packet(0x41, false, false); }

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("hls-seg-test-" + std::to_string(::getpid()) + "-" +
                                               std::to_string(reinterpret_cast<std::uintptr_t>(this)));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};
constexpr std::int64_t kMs = 1'000'000;
}  // namespace

TEST(TsPackets, RandomAccessIndicator) {
  EXPECT_TRUE(ts_has_random_access(keyframe()));
  EXPECT_FALSE(ts_has_random_access(delta()));
  EXPECT_FALSE(ts_has_random_access(packet(0, true, true)));  // PAT is never a keyframe
  EXPECT_FALSE(ts_has_random_access(packet(0x41, false, true)));  // not a PES start
  EXPECT_FALSE(ts_has_random_access("garbage"));
  EXPECT_TRUE(ts_starts_with_pat(keyframe()));
  EXPECT_FALSE(ts_starts_with_pat(delta()));
}

TEST(HlsSegmenter, CutsAtKeyframesAndKeepsThePlaylist) {
  TempDir dir;
  HlsSegmenter seg({dir.path, 1.0, 3, 4});
  seg.set_headers(packet(0, true, false, 'H'));
  std::int64_t t = 0;
  int completed = 0;
  EXPECT_FALSE(seg.push(delta(), t, 0));  // before the first keyframe: dropped
  // 7 GOPs of 1 s (30 frames each) at 30 fps.
  for (int gop = 0; gop < 7; ++gop) {
    for (int f = 0; f < 30; ++f, t += 33'333'333) {
      completed += seg.push(f == 0 ? keyframe() : delta(), t, 0) ? 1 : 0;
    }
  }
  EXPECT_EQ(completed, 6);  // the 7th GOP is still open
  EXPECT_EQ(seg.segments_written(), 6u);
  // Files: only the newest max_files (4) remain; the playlist lists playlist_length (3).
  EXPECT_FALSE(fs::exists(dir.path / "segment00001.ts"));
  EXPECT_TRUE(fs::exists(dir.path / "segment00002.ts"));
  EXPECT_TRUE(fs::exists(dir.path / "segment00005.ts"));
  const std::string pl = read(dir.path / "index.m3u8");
  EXPECT_EQ(pl,
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:3\n"
            "#EXTINF:1.000,\nsegment00003.ts\n#EXTINF:1.000,\nsegment00004.ts\n#EXTINF:1.000,\nsegment00005.ts\n");
  EXPECT_EQ(camrelay::model::playlist_last_msn(pl), 5);
  // A segment starts with the keyframe's own PAT (no extra header) and holds 30 frames.
  const std::string s3 = read(dir.path / "segment00003.ts");
  EXPECT_EQ(s3.size(), keyframe().size() + 29 * delta().size());
  EXPECT_EQ(s3.substr(0, keyframe().size()), keyframe());
  EXPECT_FALSE(fs::exists(dir.path / "index.m3u8.tmp"));
}

TEST(HlsSegmenter, SegmentLengthFollowsTheKeyframeInterval) {
  TempDir dir;
  // Target 1 s, keyframes every 0.5 s → 1 s segments; keyframes every 2 s → 2 s segments.
  HlsSegmenter seg({dir.path, 1.0, 10, 10});
  std::int64_t t = 0;
  for (int i = 0; i < 8; ++i, t += 500 * kMs) seg.push(keyframe(), t, 0);
  for (int i = 0; i < 3; ++i, t += 2000 * kMs) seg.push(keyframe(), t, 0);
  const std::string pl = read(dir.path / "index.m3u8");
  EXPECT_NE(pl.find("#EXT-X-TARGETDURATION:2\n"), std::string::npos) << pl;  // longest rounds up
  EXPECT_EQ(pl.find("#EXTINF:0.500"), std::string::npos) << pl;
  EXPECT_NE(pl.find("#EXTINF:1.000,\nsegment00000.ts"), std::string::npos) << pl;
  EXPECT_NE(pl.find("#EXTINF:2.000,"), std::string::npos) << pl;
}

TEST(HlsSegmenter, PrependsHeadersWhenTheKeyframeHasNoPat) {
  TempDir dir;
  HlsSegmenter seg({dir.path, 1.0, 3, 3});
  const std::string hdr = packet(0, true, false, 'H');
  seg.set_headers(hdr);
  const std::string key = packet(0x41, true, true);
  seg.push(key, 0, 0);
  seg.push(delta(), 500 * kMs, 0);
  seg.push(key, 1000 * kMs, 0);
  EXPECT_EQ(read(dir.path / "segment00000.ts"), hdr + key + delta());
}
