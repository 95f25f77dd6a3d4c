/**
 * A slow uplink for one page (an init script): every RTCDataChannel of the page sends through an ordered queue that
 * lets binary messages out at `bytesPerSec` (strings keep their place in line), as a slow network link with a
 * big buffer would. `bufferedAmount` includes what waits in the queue, and `bufferedamountlow` fires when the
 * queue drains below the threshold, so swarmfetch's backpressure sees the link as it is.
 * `window.__uplink.channels[label]` = { queued, sent } binary bytes per channel (label = PeerJS connection id,
 * the same on both ends). `window.__uplink.bytesPerSec` may be changed at any time; 0 = no limit (the default when
 * `bytesPerSec` is 0: a page can fill its store fast, then be slowed down).
 */
export function slowUplink(bytesPerSec = 0): string {
  return `(() => {
  if (window.__uplink) return;
  const proto = RTCDataChannel.prototype;
  const nativeSend = proto.send;
  const nativeBuffered = Object.getOwnPropertyDescriptor(proto, 'bufferedAmount').get;
  const uplink = { channels: {}, bytesPerSec: ${Number(bytesPerSec)} };
  Object.defineProperty(window, '__uplink', { value: uplink });
  const queues = new WeakMap();
  const queueOf = (dc) => {
    let q = queues.get(dc);
    if (!q) {
      q = { items: [], bytes: 0, timer: null, stats: (uplink.channels[dc.label] = { queued: 0, sent: 0 }) };
      queues.set(dc, q);
    }
    return q;
  };
  Object.defineProperty(proto, 'bufferedAmount', {
    configurable: true,
    get() { const q = queues.get(this); return nativeBuffered.call(this) + (q ? q.bytes : 0); },
  });
  const pump = (dc, q) => {
    q.timer = null;
    while (q.items.length) {
      const data = q.items.shift();
      if (dc.readyState !== 'open') { q.items.length = 0; q.bytes = 0; return; }
      try { nativeSend.call(dc, data); } catch (e) { /* the channel went away */ }
      if (typeof data === 'string') continue;
      const before = q.bytes;
      q.bytes -= data.byteLength;
      q.stats.sent += data.byteLength;
      if (before > dc.bufferedAmountLowThreshold && q.bytes <= dc.bufferedAmountLowThreshold) {
        dc.dispatchEvent(new Event('bufferedamountlow'));
      }
      if (!(uplink.bytesPerSec > 0)) continue;
      q.timer = setTimeout(() => pump(dc, q), (data.byteLength * 1000) / uplink.bytesPerSec);
      return;
    }
  };
  proto.send = function send(data) {
    if (this.readyState !== 'open') return nativeSend.call(this, data);
    const q = queueOf(this);
    q.items.push(data);
    if (typeof data !== 'string') {
      const n = data.byteLength;
      q.bytes += n;
      q.stats.queued += n;
    }
    if (!q.timer) pump(this, q);
  };
})();`;
}
