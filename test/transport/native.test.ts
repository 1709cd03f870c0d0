// The N-API shim against the real kernel, on loopback only: sockets, options, send time vs. kernel receive
// timestamp, readiness through uv_poll, and errors that carry errno names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadNative } from '../../src/transport/native.js';
import { SOCK_DGRAM, SOL_SOCKET, SO_TIMESTAMPNS, SO_RCVBUF, timespecNs } from '../../src/transport/linux.js';

const native = loadNative();
const IPPROTO_UDP = 17;

function udpPair(family: 4 | 6) {
  const host = family === 4 ? '127.0.0.1' : '::1';
  const receiver = native.socket(family, SOCK_DGRAM, IPPROTO_UDP);
  const sender = native.socket(family, SOCK_DGRAM, IPPROTO_UDP);
  native.bind(receiver, family, host, 0);
  native.setsockopt(receiver, SOL_SOCKET, SO_TIMESTAMPNS, 1);
  return { host, receiver, sender, port: native.getsockname(receiver).port };
}

test('a datagram sent on loopback arrives with a kernel timestamp just after the send time', async () => {
  const { host, receiver, sender, port } = udpPair(4);
  try {
    const readable = new Promise<void>((resolve) => {
      const poller = native.poll(receiver, (status, events) => {
        assert.equal(status, 0);
        assert.equal(events & 1, 1);
        poller.close();
        resolve();
      });
      poller.start(1);
    });
    const sentAt = native.sendto(sender, Buffer.from('hello'), 4, host, port);
    await readable;
    const message = native.recvmsg(receiver, 0);
    assert.ok(message);
    assert.equal(message.data.toString(), 'hello');
    assert.equal(message.address, '127.0.0.1');
    assert.notEqual(message.port, 0);
    const stamp = message.cmsgs.find((c) => c.level === SOL_SOCKET && c.type === SO_TIMESTAMPNS);
    assert.ok(stamp, 'SO_TIMESTAMPNS control message');
    const receivedAt = timespecNs(stamp.data);
    assert.ok(receivedAt !== null);
    const deltaNs = receivedAt - sentAt;
    assert.ok(deltaNs > 0n && deltaNs < 100_000_000n, `receive - send = ${deltaNs} ns`);
    assert.equal(native.recvmsg(receiver, 0), null, 'nothing else queued');
  } finally {
    native.close(receiver);
    native.close(sender);
  }
});

test('IPv6 loopback works the same and reports the canonical peer address', () => {
  const { host, receiver, sender, port } = udpPair(6);
  try {
    native.sendto(sender, Buffer.from([1, 2, 3]), 6, host, port);
    let message = null;
    for (let i = 0; i < 1000 && !message; i++) message = native.recvmsg(receiver, 0);
    assert.ok(message);
    assert.deepEqual([...message.data], [1, 2, 3]);
    assert.equal(message.address, '::1');
  } finally {
    native.close(receiver);
    native.close(sender);
  }
});

test('options round-trip and errors carry errno names', () => {
  const fd = native.socket(4, SOCK_DGRAM, IPPROTO_UDP);
  try {
    native.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 65536);
    assert.ok(native.getsockoptInt(fd, SOL_SOCKET, SO_RCVBUF) >= 65536);
    assert.throws(() => native.bind(fd, 4, 'not-an-address', 0), (error: Error & { code?: string }) => typeof error.code === 'string');
    assert.throws(() => native.bind(fd, 4, '198.18.250.250', 0), (error: Error & { code?: string }) => error.code === 'EADDRNOTAVAIL');
  } finally {
    native.close(fd);
  }
  assert.throws(() => native.close(fd), (error: Error & { code?: string }) => error.code === 'EBADF');
});

test('realtimeNs follows the wall clock', () => {
  const diffMs = Number(native.realtimeNs() / 1_000_000n) - Date.now();
  assert.ok(Math.abs(diffMs) < 50, `${diffMs} ms`);
});

test('numbers that are not whole 32-bit values are refused before they become descriptors or lengths', () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 2 ** 40, -(2 ** 40), 1.5]) {
    assert.throws(() => native.close(bad), RangeError, String(bad));
    assert.throws(() => native.setsockopt(bad, SOL_SOCKET, SO_RCVBUF, 1), RangeError, String(bad));
    assert.throws(() => native.socket(4, bad, IPPROTO_UDP), RangeError, String(bad));
  }
  // A wrong type is a TypeError; a well-formed but unknown descriptor is the kernel's EBADF.
  assert.throws(() => native.close('3' as unknown as number), TypeError);
  assert.throws(() => native.close(-1), (error: Error & { code?: string }) => error.code === 'EBADF');
});

test('a detached Buffer, oversized lengths and cmsgs whose getters free memory are refused, never a crash', () => {
  const { host, receiver, sender, port } = udpPair(4);
  try {
    // Detached: its memory was transferred away (structuredClone with transfer detaches the source).
    const detached = Buffer.from(new ArrayBuffer(16));
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    assert.throws(() => native.sendto(sender, detached, 4, host, port), TypeError);
    assert.throws(() => native.attachFilter(sender, detached), TypeError);
    assert.throws(() => native.write(sender, detached), TypeError);
    // A read size is capped (a TUN frame is at most 64 KiB), not allocated as asked.
    assert.throws(() => native.read(sender, 2 ** 31 - 1), RangeError);
    assert.throws(() => native.getsockoptBuffer(sender, SOL_SOCKET, SO_RCVBUF, 1 << 20), (e: Error & { code?: string }) => e.code === 'EINVAL');
    // A cmsg whose getter detaches the payload: the payload is read after the cmsgs, so the detach is seen.
    const payload = Buffer.from(new ArrayBuffer(4));
    const sneaky = {
      level: 0,
      type: 2,
      get data() {
        structuredClone(payload.buffer, { transfer: [payload.buffer] });
        return Buffer.alloc(4);
      },
    };
    assert.throws(() => native.sendto(sender, payload, 4, host, port, [sneaky]), TypeError);
    assert.throws(() => native.sendto(sender, Buffer.alloc(4), 4, host, port, [{ level: 0, type: 2, data: Buffer.alloc(1024) }]), RangeError);
    // The socket still works after all of that.
    native.sendto(sender, Buffer.from('ok'), 4, host, port);
  } finally {
    native.close(receiver);
    native.close(sender);
  }
});
