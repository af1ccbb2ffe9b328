import type { TLSSocket } from 'node:tls';

/**
 * Node's TLS handshake timeout is the socket's idle timer, and timers run before the event loop
 * reads what is waiting on its sockets. When the process itself is behind (a burst of a thousand
 * handshakes on a busy host), the timer fires for peers whose next handshake message is already
 * in the kernel's buffer: the timeout measures the server's lag, not the peer's. Closing then
 * would refuse a valid request for the server's own slowness, so such a handshake gets one more
 * period, started once the loop has caught up; a peer that is really slow is still closed, after
 * at most twice the timeout. No HTTP answer is ever written: no request has been read yet.
 */
export function graceSlowHandshake(socket: TLSSocket, graceMs: number, closed: () => void): void {
  let secure = false;
  let timer: NodeJS.Timeout | undefined;
  const onSecure = (): void => {
    secure = true;
    clearTimeout(timer);
  };
  socket.once('secure', onSecure);
  socket.once('close', () => clearTimeout(timer));
  // Let the poll phase read what waits on the socket before the grace period starts.
  setImmediate(() => {
    if (secure || socket.destroyed) return;
    timer = setTimeout(() => {
      // The same lag again: judge only after this iteration's reads.
      setImmediate(() => {
        socket.removeListener('secure', onSecure);
        if (secure || socket.destroyed) return;
        socket.destroy();
        closed();
      });
    }, graceMs).unref();
  });
}

export const handshakeTimeoutCode = 'ERR_TLS_HANDSHAKE_TIMEOUT';
