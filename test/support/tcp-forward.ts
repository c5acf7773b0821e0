// A plain TCP forwarder in front of the API, so a test can cut every connection between a client
// and the server (as a network fault or a load balancer does) while the server stays up.
import { connect, createServer, type Socket } from 'node:net';

export type TcpForward = { url: string; cut: () => number; close: () => Promise<void> };

export async function startTcpForward(target: string): Promise<TcpForward> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    /** Destroys every open connection (both sides); returns how many pairs there were. */
    cut: () => {
      const n = open.size / 2;
      for (const s of open) s.destroy();
      open.clear();
      return n;
    },
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
