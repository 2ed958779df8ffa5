#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <fmt/format.h>

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
  EXPECT_EQ(camrelay::model::hls_live_edge(pl).last_msn, 5);
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

// ---- fragmented MP4 (the H.265 cameras' native HLS variant) ----
namespace {
std::string be32(std::uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xFF), char((v >> 8) & 0xFF), char(v & 0xFF)};
}
std::string box(const char* type, const std::string& body) { return be32(std::uint32_t(8 + body.size())) + type + body; }
std::string full(std::uint8_t version, std::uint32_t flags) { return std::string(1, char(version)) + be32(flags).substr(1); }
constexpr std::uint32_t kNonSyncFlags = 0x10000;

// ftyp + moov: a video track at 90 kHz whose samples are non-sync by default (trex).
std::string init_segment() {
  const std::string mdhd = box("mdhd", full(0, 0) + be32(0) + be32(0) + be32(90000) + be32(0) + be32(0));
  const std::string trex = box("trex", full(0, 0) + be32(1) + be32(1) + be32(0) + be32(0) + be32(kNonSyncFlags));
  return box("ftyp", "iso6" + be32(0)) + box("moov", box("trak", box("mdia", mdhd)) + box("mvex", trex));
}
// moof + mdat of `samples` samples from decode time `dts` (90 kHz). How the first sample's
// flags are told varies like muxers do: first_sample_flags, per-sample flags, or trex.
enum class FlagsIn { first_sample, per_sample, defaults };
std::string fragment(std::uint64_t dts, bool key, FlagsIn how, int samples = 3, std::uint32_t sample_duration = 3000) {
  std::string trun;
  if (how == FlagsIn::first_sample) {
    trun = box("trun", full(0, 0x4) + be32(samples) + be32(key ? 0x2000000 : kNonSyncFlags));
  } else if (how == FlagsIn::per_sample) {
    std::string s;
    for (int i = 0; i < samples; ++i) s += be32(sample_duration) + be32(key && i == 0 ? 0x2000000 : kNonSyncFlags);
    trun = box("trun", full(0, 0x500) + be32(samples) + s);
  } else {
    trun = box("trun", full(0, 0) + be32(samples));  // trex says: non-sync
  }
  const std::string tfdt = box("tfdt", full(1, 0) + be32(std::uint32_t(dts >> 32)) + be32(std::uint32_t(dts)));
  return box("moof", box("mfhd", full(0, 0) + be32(1)) + box("traf", box("tfhd", full(0, 0) + be32(1)) + tfdt + trun)) +
         box("mdat", std::string(100, 'v'));
}
}  // namespace

TEST(Fmp4Boxes, ReadsTimescaleDecodeTimeAndSync) {
  const std::string init = init_segment();
  bool bad = true;
  auto moov = fmp4::first_box(std::string_view(init).substr(fmp4::first_box(init, &bad)->whole.size()), &bad);
  ASSERT_TRUE(moov);
  EXPECT_FALSE(bad);
  EXPECT_EQ(moov->type, "moov");
  const fmp4::Track t = fmp4::read_moov(moov->body);
  EXPECT_EQ(t.timescale, 90000u);
  EXPECT_EQ(t.trex_flags, kNonSyncFlags);
  for (FlagsIn how : {FlagsIn::first_sample, FlagsIn::per_sample}) {
    const std::string f = fragment(180000, true, how);
    const auto moof = fmp4::first_box(f, &bad);
    ASSERT_TRUE(moof);
    const fmp4::Fragment fr = fmp4::read_moof(moof->body, t);
    EXPECT_EQ(fr.decode_time, 180000u);
    EXPECT_TRUE(fr.starts_with_sync);
    // Per-sample durations are summed; without them trex's default (0 here) counts.
    EXPECT_EQ(fr.duration, how == FlagsIn::per_sample ? 9000u : 0u);
    EXPECT_FALSE(fmp4::read_moof(fmp4::first_box(fragment(0, false, how), &bad)->body, t).starts_with_sync);
  }
  EXPECT_FALSE(fmp4::read_moof(fmp4::first_box(fragment(0, false, FlagsIn::defaults), &bad)->body, t).starts_with_sync);
  // Incomplete and impossible headers.
  EXPECT_FALSE(fmp4::first_box(init.substr(0, 7), &bad));
  EXPECT_FALSE(bad);
  EXPECT_FALSE(fmp4::first_box(std::string_view(init).substr(16, 20), &bad));  // a moov cut short
  EXPECT_FALSE(fmp4::first_box(be32(4) + "moof", &bad));
  EXPECT_TRUE(bad);
}

TEST(HlsSegmenter, Fmp4InitSegmentsAndPlaylist) {
  TempDir dir;
  HlsSegmenter seg({dir.path, 1.0, 3, 4});
  const std::string init = init_segment();
  EXPECT_FALSE(seg.push_fmp4(init, 0));
  EXPECT_EQ(read(dir.path / "init.mp4"), init);
  // 1 s GOPs of three 1/3 s fragments; the first fragment is not a keyframe (dropped).
  std::vector<std::string> frags;
  int completed = seg.push_fmp4(fragment(0, false, FlagsIn::defaults), 0) ? 1 : 0;
  for (int gop = 0; gop < 4; ++gop) {
    for (int i = 0; i < 3; ++i) {
      const std::uint64_t dts = 90000ull * gop + 30000ull * (i + 1);
      frags.push_back(fragment(dts, i == 0, i == 0 ? FlagsIn::per_sample : FlagsIn::defaults));
      // Any buffer boundaries: the second GOP's fragments arrive a byte at a time.
      if (gop == 1) {
        for (char c : frags.back()) completed += seg.push_fmp4(std::string(1, c), 0) ? 1 : 0;
      } else {
        completed += seg.push_fmp4(frags.back(), 0) ? 1 : 0;
      }
    }
  }
  EXPECT_EQ(completed, 3);  // the 4th GOP is still open
  EXPECT_EQ(read(dir.path / "segment00000.m4s"), frags[0] + frags[1] + frags[2]);
  EXPECT_EQ(read(dir.path / "segment00001.m4s"), frags[3] + frags[4] + frags[5]);
  EXPECT_EQ(read(dir.path / "index.m3u8"),
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n"
            "#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:1.000,\nsegment00000.m4s\n#EXTINF:1.000,\nsegment00001.m4s\n"
            "#EXTINF:1.000,\nsegment00002.m4s\n");
  EXPECT_TRUE(seg.last_error().empty());
  // A box header that cannot be one: an error, not a crash or an endless wait.
  seg.push_fmp4(be32(3) + "moof", 0);
  EXPECT_FALSE(seg.last_error().empty());
}

// mp4mux's own fragmented output: every segment starts with a fragment whose first sample is
// a keyframe, the init segment is ftyp + moov, and the segment times follow the GOP (0.5 s
// keyframes, 1 s target → 1 s segments).
TEST(HlsSegmenter, Fmp4FromMp4mux) {
  gst_init(nullptr, nullptr);
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(
      "videotestsrc num-buffers=120 ! video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc key-int-max=15 tune=zerolatency speed-preset=ultrafast ! h264parse ! "
      "video/x-h264,stream-format=avc,alignment=au ! mp4mux fragment-duration=200 streamable=true ! "
      "appsink name=out sync=false",
      &err);
  if (!pipe) {
    std::string why = err ? err->message : "?";
    if (err) g_error_free(err);
    GTEST_SKIP() << "no x264enc/mp4mux here: " << why;
  }
  TempDir dir;
  HlsSegmenter seg({dir.path, 1.0, 10, 10});
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipe), "out");
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  int completed = 0;
  while (GstSample* s = gst_app_sink_pull_sample(GST_APP_SINK(sink))) {
    GstBuffer* b = gst_sample_get_buffer(s);
    GstMapInfo m;
    if (b && gst_buffer_map(b, &m, GST_MAP_READ)) {
      completed += seg.push_fmp4(std::string_view(reinterpret_cast<const char*>(m.data), m.size), 0) ? 1 : 0;
      gst_buffer_unmap(b, &m);
    }
    gst_sample_unref(s);
  }
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipe);
  EXPECT_TRUE(seg.last_error().empty()) << seg.last_error();
  EXPECT_EQ(completed, 3);  // 4 s of video: the 4th second is still open at the end
  const std::string init = read(dir.path / "init.mp4");
  bool bad = false;
  auto ftyp = fmp4::first_box(init, &bad);
  ASSERT_TRUE(ftyp);
  EXPECT_EQ(ftyp->type, "ftyp");
  auto moov = fmp4::first_box(std::string_view(init).substr(ftyp->whole.size()), &bad);
  ASSERT_TRUE(moov);
  const fmp4::Track track = fmp4::read_moov(moov->body);
  EXPECT_GT(track.timescale, 0u);
  for (int i = 0; i < 3; ++i) {
    const std::string s = read(dir.path / fmt::format("segment{:05}.m4s", i));
    auto moof = fmp4::first_box(s, &bad);
    ASSERT_TRUE(moof) << i;
    EXPECT_EQ(moof->type, "moof");
    EXPECT_TRUE(fmp4::read_moof(moof->body, track).starts_with_sync) << i;
  }
  const std::string pl = read(dir.path / "index.m3u8");
  EXPECT_NE(pl.find("#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:1.000,\nsegment00000.m4s\n"), std::string::npos) << pl;
}

// LL-HLS: every fragment becomes a part the moment it is complete; the playlist lists the
// parts of the segments within three target durations of the end and of the open segment,
// and hints the next part. A segment's bytes are its parts' bytes.
TEST(HlsSegmenter, Fmp4LowLatencyParts) {
  TempDir dir;
  HlsSegmenter::Options o{dir.path, 1.0, 5, 5};
  o.part_target_s = 0.4;
  o.part_hold_back_s = 1.2;
  HlsSegmenter seg(o);
  seg.push_fmp4(init_segment(), 0);
  // 1 s GOPs of three 1/3 s fragments (3 samples of 10000 at 90 kHz).
  std::vector<std::string> frags;
  auto push = [&](int gop, int i) {
    frags.push_back(fragment(90000ull * gop + 30000ull * i, i == 0, FlagsIn::per_sample, 3, 10000));
    return seg.push_fmp4(frags.back(), 0);
  };
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(push(0, i));  // each part changes the (still empty) playlist
  EXPECT_TRUE(seg.playlist().empty());                  // no whole segment yet: nothing to play
  EXPECT_EQ(read(dir.path / "part00000.1.m4s"), frags[1]);
  EXPECT_TRUE(push(1, 0));
  EXPECT_EQ(seg.playlist(),
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n"
            "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.200\n#EXT-X-PART-INF:PART-TARGET=0.400\n"
            "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI=\"init.mp4\"\n"
            "#EXT-X-PART:DURATION=0.333,URI=\"part00000.0.m4s\",INDEPENDENT=YES\n"
            "#EXT-X-PART:DURATION=0.333,URI=\"part00000.1.m4s\"\n"
            "#EXT-X-PART:DURATION=0.333,URI=\"part00000.2.m4s\"\n"
            "#EXTINF:1.000,\nsegment00000.m4s\n"
            "#EXT-X-PART:DURATION=0.333,URI=\"part00001.0.m4s\",INDEPENDENT=YES\n"
            "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part00001.1.m4s\"\n");
  EXPECT_EQ(read(dir.path / "segment00000.m4s"), frags[0] + frags[1] + frags[2]);
  EXPECT_EQ(read(dir.path / "index.m3u8"), seg.playlist());
  for (int gop = 1; gop < 9; ++gop) {
    for (int i = gop == 1 ? 1 : 0; i < 3; ++i) push(gop, i);
  }
  // Segments 3..7 listed; parts only for 5, 6, 7 (three target durations) and the open 8.
  const std::string& pl = seg.playlist();
  EXPECT_NE(pl.find("#EXT-X-MEDIA-SEQUENCE:3\n"), std::string::npos) << pl;
  EXPECT_EQ(pl.find("part00004."), std::string::npos) << pl;
  EXPECT_NE(pl.find("URI=\"part00005.0.m4s\",INDEPENDENT=YES\n"), std::string::npos) << pl;
  EXPECT_NE(pl.find("part00008.2.m4s\"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part00009.0.m4s\"\n"), std::string::npos)
      << "the next part after a whole GOP's three is hinted as 8.3 or 9.0: " << pl;
  // Files of segments rotated off the disk go with their parts; later parts stay.
  EXPECT_FALSE(fs::exists(dir.path / "part00000.0.m4s"));
  EXPECT_FALSE(fs::exists(dir.path / "segment00000.m4s"));
  EXPECT_TRUE(fs::exists(dir.path / "part00004.2.m4s"));
  EXPECT_TRUE(fs::exists(dir.path / "part00008.2.m4s"));
}
