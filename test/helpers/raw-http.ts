/** Raw-socket HTTP for tests that must send bytes no well-behaved client would. */
import { connect } from 'node:net';

/** Writes raw bytes and collects the socket's output until it goes quiet or closes. */
export function rawExchange(address: string, bytes: string, quietMs = 300): Promise<string> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      socket.destroy();
      resolve(out);
    };
    socket.on('data', (chunk) => {
      out += chunk;
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    });
    socket.on('end', finish);
    socket.on('error', reject);
    socket.write(bytes);
  });
}

/** The status codes of every response in a raw exchange, in order. */
export function statuses(raw: string): number[] {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
}
