// A TCP proxy in front of the real Redis that a test can cut (every connection destroyed, listener
// closed) and restore on the same port: a real outage without stopping the Redis other tests share.
import { once } from "node:events";
import net from "node:net";

export interface RedisProxy {
  url(): string;
  cut(): Promise<void>;
  open(): Promise<void>;
}

export async function createRedisProxy(target: URL): Promise<RedisProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  async function open(): Promise<void> {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as net.AddressInfo).port;
  }
  async function cut(): Promise<void> {
    const closed = server ? new Promise((resolve) => server?.close(resolve)) : Promise.resolve();
    for (const socket of sockets) socket.destroy();
    await closed;
  }
  await open();
  return { url: () => `redis://127.0.0.1:${port}`, cut, open };
}
