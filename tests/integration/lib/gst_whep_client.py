#!/usr/bin/python3
"""A receive-only WHEP client on GStreamer's webrtcbin (not camrelay's code), used where no
browser here can decode a codec: Debian's Chromium and Firefox decode no H.265.

    gst_whep_client.py URL --codec H265 [--frames 30] [--timeout 20] [--token T]

Offers one recvonly video m-line of the codec, POSTs the offer (ICE gathered first: WHEP
without trickle), applies the answer, depayloads, parses and decodes what arrives, and
prints one JSON line:
    {"status": 201, "answer_codecs": ["H265"], "frames": 31, "width": 640, "height": 360,
     "caps": "video/x-h265, ..."}
or {"error": "..."} (exit 1).
Needs python3-gi, gir1.2-gstreamer-1.0 and gir1.2-gst-plugins-bad-1.0 (GstWebRTC, GstSdp).
"""
import argparse
import json
import sys
import threading
import urllib.error
import urllib.request

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstWebRTC', '1.0')
gi.require_version('GstSdp', '1.0')
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

DEPAY = {'H265': ('rtph265depay', 'h265parse', 'avdec_h265'),
         'H264': ('rtph264depay', 'h264parse', 'avdec_h264'),
         'VP8': ('rtpvp8depay', None, 'vp8dec')}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('url')
    ap.add_argument('--codec', default='H265', choices=sorted(DEPAY))
    ap.add_argument('--frames', type=int, default=30)
    ap.add_argument('--timeout', type=float, default=20.0)
    ap.add_argument('--token', default='')
    args = ap.parse_args()

    Gst.init(None)
    loop = GLib.MainLoop()
    result = {'frames': 0}
    done = threading.Event()

    def finish(extra=None):
        if extra:
            result.update(extra)
        done.set()
        GLib.idle_add(loop.quit)

    pipe = Gst.Pipeline.new('whep')
    webrtc = Gst.ElementFactory.make('webrtcbin', 'recv')
    webrtc.set_property('bundle-policy', GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
    pipe.add(webrtc)

    # libnice leaves loopback out of its candidates unless told: this runs in a namespace
    # that has nothing else.
    agent = webrtc.get_property('ice-agent')
    if agent is not None:
        agent.emit('add-local-ip-address', '127.0.0.1')

    caps = Gst.Caps.from_string(
        'application/x-rtp,media=video,clock-rate=90000,payload=96,encoding-name=%s,'
        'rtcp-fb-nack-pli=(boolean)true,rtcp-fb-nack=(boolean)true' % ('VP8' if args.codec == 'VP8' else args.codec))
    webrtc.emit('add-transceiver', GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY, caps)

    def on_decoded(pad, info):
        buf = info.get_buffer()
        if buf is not None:
            result['frames'] += 1
            if 'width' not in result:
                c = pad.get_current_caps()
                if c is not None:
                    s = c.get_structure(0)
                    result['width'] = s.get_value('width')
                    result['height'] = s.get_value('height')
            if result['frames'] >= args.frames:
                finish()
        return Gst.PadProbeReturn.OK

    def on_parsed(pad, info):
        if 'caps' not in result:
            c = pad.get_current_caps()
            if c is not None:
                result['caps'] = c.to_string()
        return Gst.PadProbeReturn.OK

    def on_pad_added(_, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        depay_name, parse_name, dec_name = DEPAY[args.codec]
        chain = [Gst.ElementFactory.make('queue')] + [Gst.ElementFactory.make(depay_name)]
        if parse_name:
            chain.append(Gst.ElementFactory.make(parse_name))
        chain += [Gst.ElementFactory.make(dec_name), Gst.ElementFactory.make('fakesink')]
        if any(e is None for e in chain):
            return finish({'error': 'missing GStreamer elements for %s' % args.codec})
        chain[-1].set_property('sync', False)
        for e in chain:
            pipe.add(e)
        for a, b in zip(chain, chain[1:]):
            a.link(b)
        for e in chain:
            e.sync_state_with_parent()
        pad.link(chain[0].get_static_pad('sink'))
        chain[-3].get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, on_parsed)  # parser, or depayloader
        chain[-2].get_static_pad('src').add_probe(Gst.PadProbeType.BUFFER, on_decoded)

    webrtc.connect('pad-added', on_pad_added)

    def post_offer(offer_sdp):
        req = urllib.request.Request(args.url, data=offer_sdp.encode(), method='POST',
                                     headers={'Content-Type': 'application/sdp'})
        if args.token:
            req.add_header('Authorization', 'Bearer ' + args.token)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors='replace')
        except OSError as e:
            return 0, str(e)

    def on_gathered():
        offer = webrtc.get_property('local-description').sdp.as_text()
        status, body = post_offer(offer)
        result['status'] = status
        if status != 201:
            return finish({'error': 'WHEP answered %d: %s' % (status, body[:300])})
        result['answer_codecs'] = sorted({l.split(' ', 1)[1].split('/')[0] for l in body.splitlines()
                                          if l.startswith('a=rtpmap:') and '/90000' in l
                                          and l.split(' ', 1)[1].split('/')[0] not in ('rtx', 'red', 'ulpfec')})
        ok, msg = GstSdp.SDPMessage.new_from_text(body)
        if ok != GstSdp.SDPResult.OK:
            return finish({'error': 'the answer is no SDP'})
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        webrtc.emit('set-remote-description', answer, None)
        return False

    def on_gathering(*_):
        if webrtc.get_property('ice-gathering-state') == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            GLib.idle_add(on_gathered)

    webrtc.connect('notify::ice-gathering-state', on_gathering)

    def on_offer_created(promise, _):
        promise.wait()
        reply = promise.get_reply()
        offer = reply.get_value('offer')
        webrtc.emit('set-local-description', offer, None)

    def on_negotiation_needed(_):
        promise = Gst.Promise.new_with_change_func(on_offer_created, None)
        webrtc.emit('create-offer', None, promise)

    webrtc.connect('on-negotiation-needed', on_negotiation_needed)

    def on_timeout():
        finish({'error': 'timed out after %.0f s with %d frames decoded' % (args.timeout, result['frames'])})
        return False

    GLib.timeout_add(int(args.timeout * 1000), on_timeout)
    pipe.set_state(Gst.State.PLAYING)
    loop.run()
    pipe.set_state(Gst.State.NULL)
    print(json.dumps(result))
    sys.exit(1 if 'error' in result else 0)


if __name__ == '__main__':
    main()
