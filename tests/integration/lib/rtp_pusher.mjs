// A plain RTP camera: gst-launch sends 320x240 H.264 (1 s GOP; codec 'h265': H.265 from
// x265enc, RFC 7798 payload) to 127.0.0.1:`port`, RTP
// from port+100 and RTCP to port+1 from port+101 (the daemon's static RTP source learns
// where to send RTCP/REMB from those). Kill it with kill9() (tracked by a processGroup).
import { spawn } from 'node:child_process';

export function spawnPusher(port, { width = 320, height = 240, codec = 'h264' } = {}) {
  const encode = codec === 'h265'
    ? ['x265enc', 'tune=zerolatency', 'speed-preset=ultrafast', 'key-int-max=30', '!',
      'video/x-h265,profile=main', '!', 'rtph265pay', 'pt=96', 'config-interval=-1']
    : ['x264enc', 'tune=zerolatency', 'speed-preset=ultrafast', 'key-int-max=30', '!',
      'video/x-h264,profile=constrained-baseline', '!', 'rtph264pay', 'pt=96', 'config-interval=-1'];
  const args = ['-q', 'rtpbin', 'name=rb', 'videotestsrc', 'is-live=true', '!',
    `video/x-raw,format=I420,width=${width},height=${height},framerate=30/1`, '!',
    ...encode, '!', 'rb.send_rtp_sink_0',
    'rb.send_rtp_src_0', '!', 'udpsink', 'host=127.0.0.1', `port=${port}`, `bind-port=${port + 100}`,
    'rb.send_rtcp_src_0', '!', 'udpsink', 'host=127.0.0.1', `port=${port + 1}`, `bind-port=${port + 101}`, 'sync=false', 'async=false'];
  const child = spawn('gst-launch-1.0', args, { stdio: 'ignore' });
  const obj = {
    name: 'gst-launch pusher', pid: child.pid, log: '',
    exited: new Promise((r) => child.on('exit', r)),
    async kill9() { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } await obj.exited; },
  };
  return obj;
}
