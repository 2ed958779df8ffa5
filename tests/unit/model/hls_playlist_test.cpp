#include <gtest/gtest.h>

#include "camrelay/model/hls_playlist.hpp"

using namespace camrelay::model;

TEST(HlsNames, AcceptsSegmentNames) {
  EXPECT_TRUE(valid_hls_segment_name("segment00000.ts"));
  EXPECT_TRUE(valid_hls_segment_name("segment1.ts"));
  EXPECT_TRUE(valid_hls_segment_name("segment123456789.ts"));
  // fMP4 (H.265 cameras' native variant).
  EXPECT_TRUE(valid_hls_segment_name("segment00003.m4s"));
  EXPECT_TRUE(valid_hls_segment_name("init.mp4"));
  EXPECT_TRUE(is_fmp4_segment_name("segment00003.m4s"));
  EXPECT_TRUE(is_fmp4_segment_name("init.mp4"));
  EXPECT_FALSE(is_fmp4_segment_name("segment00003.ts"));
  // LL-HLS partial segments.
  EXPECT_EQ(hls_part_name(12, 3), "part00012.3.m4s");
  EXPECT_EQ(hls_part_name(1234567, 0), "part1234567.0.m4s");
  EXPECT_TRUE(valid_hls_segment_name("part00012.3.m4s"));
  EXPECT_TRUE(is_fmp4_segment_name("part1.999.m4s"));
  auto r = parse_hls_part_name("part00012.3.m4s");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->msn, 12);
  EXPECT_EQ(r->index, 3);
  EXPECT_FALSE(parse_hls_part_name("segment00012.m4s"));
}

TEST(HlsNames, RejectsEverythingElse) {
  for (const char* bad :
       {"", "segment.ts", "segment0000000000.ts" /* 10 digits */, "../segment00001.ts",
        "segment00001.ts/..", "..%2Fsegment1.ts", "segment1.TS", "Segment1.ts",
        "segment-1.ts", "segment1.ts.bak", "index.m3u8", "/etc/passwd", "..", ".", "segment1%2ets",
        "segment 1.ts", "segment1.ts?x", "segment١.ts", "init.mp4.tmp", "init2.mp4", "segment.m4s",
        "segment1.mp4", "../init.mp4", "segment1.m4s/..", "part1.m4s", "part.1.m4s", "part1..m4s",
        "part1.1234.m4s", "part1234567890.1.m4s", "partx.1.m4s", "part1.x.m4s", "../part1.1.m4s",
        "part1.1.m4s/..", "part1.1.ts", "part1.1.1.m4s", "part-1.1.m4s"}) {
    EXPECT_FALSE(valid_hls_segment_name(bad)) << bad;
  }
  EXPECT_FALSE(valid_hls_segment_name(std::string(300, 'a')));
  EXPECT_FALSE(valid_hls_segment_name(std::string_view("segment1.ts\0x", 13)));
  EXPECT_FALSE(valid_hls_segment_name("segment" + std::string(1000, '1') + ".ts"));
}

TEST(HlsPlaylist, LastMediaSequence) {
  EXPECT_EQ(hls_live_edge("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:1,\nsegment00007.ts\n"
                              "#EXTINF:1,\nsegment00008.ts\n").last_msn,
            8);
  EXPECT_EQ(hls_live_edge("#EXTM3U\r\n#EXTINF:1,\r\nsegment00000.ts\r\n").last_msn, 0);  // default sequence 0
  EXPECT_FALSE(hls_live_edge("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:3\n").last_msn);
  EXPECT_FALSE(hls_live_edge("").last_msn);
}

TEST(HlsPlaylist, LiveEdgeOfALowLatencyPlaylist) {
  const std::string pl =
      "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:1\n"
      "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600\n#EXT-X-PART-INF:PART-TARGET=0.200\n"
      "#EXT-X-MEDIA-SEQUENCE:4\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:1.000,\nsegment00004.m4s\n"
      "#EXT-X-PART:DURATION=0.200,URI=\"part00005.0.m4s\",INDEPENDENT=YES\n#EXTINF:0.200,\nsegment00005.m4s\n"
      "#EXT-X-PART:DURATION=0.200,URI=\"part00006.0.m4s\",INDEPENDENT=YES\n"
      "#EXT-X-PART:DURATION=0.200,URI=\"part00006.1.m4s\"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part00006.2.m4s\"\n";
  const HlsLiveEdge e = hls_live_edge(pl);
  EXPECT_EQ(e.last_msn, 5);
  EXPECT_EQ(e.open_msn, 6);
  EXPECT_EQ(e.open_parts, 2);
  EXPECT_TRUE(hls_edge_reached(e, 5, std::nullopt));
  EXPECT_TRUE(hls_edge_reached(e, 3, std::nullopt));
  EXPECT_TRUE(hls_edge_reached(e, 5, 7));  // segment 5 is whole: all its parts are there
  EXPECT_FALSE(hls_edge_reached(e, 6, std::nullopt));
  EXPECT_TRUE(hls_edge_reached(e, 6, 1));
  EXPECT_FALSE(hls_edge_reached(e, 6, 2));  // the preload hint: not yet
  EXPECT_FALSE(hls_edge_reached(e, 7, 0));
  // No whole segment yet: the parts belong to EXT-X-MEDIA-SEQUENCE.
  const HlsLiveEdge first = hls_live_edge("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PART:DURATION=0.2,URI=\"part00000.0.m4s\"\n");
  EXPECT_FALSE(first.last_msn);
  EXPECT_EQ(first.open_msn, 0);
  EXPECT_EQ(first.open_parts, 1);
  EXPECT_TRUE(hls_edge_reached(first, 0, 0));
  EXPECT_FALSE(hls_edge_reached(first, 0, std::nullopt));
}

TEST(HlsPlaylist, AddsBlockingReload) {
  EXPECT_EQ(add_blocking_reload("#EXTM3U\n#EXT-X-VERSION:3\n"),
            "#EXTM3U\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n#EXT-X-VERSION:3\n");
  const std::string once = add_blocking_reload("#EXTM3U\n");
  EXPECT_EQ(add_blocking_reload(once), once);
  EXPECT_EQ(add_blocking_reload("not a playlist"), "not a playlist");
}

TEST(HlsNames, PrefixesPlaylistUris) {
  const std::string pl =
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nsegment00001.ts\n"
      "#EXTINF:1.0,\r\nsegment00002.ts\r\n\n";
  EXPECT_EQ(prefix_playlist_uris(pl, "segment/"),
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nsegment/segment00001.ts\n"
            "#EXTINF:1.0,\r\nsegment/segment00002.ts\r\n\n");
  EXPECT_EQ(prefix_playlist_uris("a", "p/"), "p/a");  // no trailing newline
  EXPECT_EQ(prefix_playlist_uris("", "p/"), "");
}

TEST(HlsPlaylist, MultivariantForH265Cameras) {
  EXPECT_EQ(render_multivariant_playlist({{"fmp4.m3u8", 2500000, hevc_codecs("main", 1920, 1080), 1920, 1080},
                                          {"ts.m3u8", 2500000, avc_baseline_codecs(1920, 1080), 0, 0}}),
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=2500000,CODECS=\"hvc1.1.6.L123.B0\",RESOLUTION=1920x1080\nfmp4.m3u8\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=2500000,CODECS=\"avc1.42e028\"\nts.m3u8\n");
  EXPECT_EQ(hevc_codecs("main", 640, 360), "hvc1.1.6.L93.B0");
  EXPECT_EQ(hevc_codecs("main-10", 3840, 2160), "hvc1.2.4.L153.B0");
  EXPECT_EQ(hevc_codecs("", 0, 0), "hvc1.1.6.L93.B0");  // unknown: Main, 720p's level
  EXPECT_EQ(avc_baseline_codecs(640, 360), "avc1.42e01f");
  EXPECT_EQ(avc_baseline_codecs(3840, 2160), "avc1.42e033");
}
