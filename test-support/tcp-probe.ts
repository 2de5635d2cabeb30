import { connect } from 'node:net';

/**
 * Connects to the URL's host and port, sends `hello` if given, and resolves with the first
 * bytes back ('' when nothing was sent), or null when nothing answers within 2 s. How the
 * tests and the bench find out whether Postgres and Redis are up, without a driver.
 */
export function probe(url: string, defaultPort: number, hello?: string): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || defaultPort) });
    const done = (result: string | null) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(2_000, () => done(null));
    socket.once('error', () => done(null));
    socket.once('connect', () => (hello === undefined ? done('') : socket.write(hello)));
    socket.once('data', (data) => done(data.toString()));
  });
}
