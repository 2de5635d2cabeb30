import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serveParent, tellParent, type ServerConfig, type ServerKind, type ServerReply, type ServerRequest } from '../ipc.js';
import type { StartServer } from './contract.js';

/**
 * One server under test, in its own process: the runner forks this file with the server's
 * config as argv[2], then asks it over IPC to create conversations, to report its CPU,
 * event-loop delay, memory and bytes written, and to stop.
 */

/** Loaded on demand: a process loads only the server it runs (and starts sooner). */
const servers: Record<ServerKind, () => Promise<StartServer>> = {
  parley: async () => (await import('./parley.js')).startParley,
  socketio: async () => (await import('./socketio.js')).startSocketIo,
  raw: async () => (await import('./raw.js')).startRaw,
};

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const http = createServer();
// Bytes out are counted on every TCP socket, so WebSocket and Socket.IO framing are included alike.
const open = new Set<Socket>();
let closedBytes = 0;
http.on('connection', (socket: Socket) => {
  open.add(socket);
  socket.once('close', () => {
    open.delete(socket);
    closedBytes += socket.bytesWritten;
  });
});
const bytesOut = () => {
  let total = closedBytes;
  for (const socket of open) total += socket.bytesWritten;
  return total;
};

const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();

const gc = (globalThis as { gc?: () => void }).gc;
const settledMemory = () => {
  gc?.();
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
};

const server = await (await servers[config.kind]())(config, http);
await new Promise<void>((resolve) => http.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
tellParent({ op: 'listening', port: (http.address() as AddressInfo).port });

serveParent<ServerRequest>(async (request): Promise<ServerReply> => {
  switch (request.op) {
    case 'setup': {
      const started = performance.now();
      const conversationIds = await server.setup(request.conversations);
      return { op: 'setup', conversationIds, ms: performance.now() - started };
    }
    case 'mark': {
      const cpu = process.cpuUsage();
      const { rss, heapUsed } = process.memoryUsage();
      const reply: ServerReply = {
        op: 'mark',
        cpuUser: cpu.user,
        cpuSystem: cpu.system,
        eldP99: eld.percentile(99) / 1e6,
        eldMax: eld.max / 1e6,
        rss,
        heapUsed,
        bytesOut: bytesOut(),
      };
      eld.reset();
      return reply;
    }
    case 'memory':
      return { op: 'memory', ...settledMemory() };
    case 'seedThread': {
      if (server.seedThread === undefined) throw new Error(`${config.kind} has no threads`);
      const started = performance.now();
      const seed = await server.seedThread(request.replies);
      return { op: 'seedThread', ms: performance.now() - started, ...seed };
    }
    case 'stop': {
      await server.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      // Exit once the answer is out; a --cpu-prof profile is written on this exit.
      setTimeout(() => process.exit(0), 50);
      return { op: 'stopped' };
    }
  }
});
