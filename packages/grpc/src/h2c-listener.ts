// One cleartext port for HTTP/1.1 and HTTP/2 (h2c with prior knowledge, as gRPC and Connect clients
// send it): Node's http2 server takes HTTP/1.1 only over TLS, so each connection's first bytes pick the
// server. A connection opening with the HTTP/2 preface goes to the http2 server, any other to the
// HTTP/1.1 server; both call the same request handler. close() drains: no new connections, HTTP/2
// sessions get GOAWAY, HTTP/1.1 connections close once their request is answered, and whatever is left
// when the grace period ends is destroyed.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from "node:http2";
import net, { type Socket } from "node:net";

export type HttpHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

export interface H2cListener {
  /** Resolves to the bound port (pass 0 for any). */
  listen(host: string, port: number): Promise<number>;
  /** Resolves once every connection is closed; after graceMs the remaining ones are destroyed. */
  close(graceMs: number): Promise<void>;
}

const PREFACE_START = Buffer.from("PRI ");

export function createH2cListener(handler: HttpHandler): H2cListener {
  const h1 = http.createServer(handler);
  const h2 = http2.createServer(handler);
  const sockets = new Set<Socket>();
  // HTTP/1.1 connections and their requests in flight; a draining server closes idle ones.
  const h1InFlight = new Map<Socket, number>();
  const sessions = new Set<Http2Session>();
  // Connected, but not yet sent enough to tell its protocol.
  const unrouted = new Set<Socket>();
  let draining = false;
  let allClosed: (() => void) | undefined;

  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    if (draining) session.close();
  });
  h1.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    h1InFlight.set(socket, (h1InFlight.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const left = (h1InFlight.get(socket) ?? 1) - 1;
      h1InFlight.set(socket, left);
      if (draining && left === 0) socket.end();
    });
  });

  const listener = net.createServer((socket) => {
    if (draining) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    unrouted.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      unrouted.delete(socket);
      h1InFlight.delete(socket);
      if (sockets.size === 0) allClosed?.();
    });
    let head = Buffer.alloc(0);
    const route = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, PREFACE_START.length);
      if (head.length < PREFACE_START.length && head.subarray(0, n).equals(PREFACE_START.subarray(0, n)))
        return;
      socket.off("data", route);
      unrouted.delete(socket);
      socket.pause();
      socket.unshift(head);
      if (head.subarray(0, PREFACE_START.length).equals(PREFACE_START)) {
        // The http2 session reads the unshifted bytes itself; resuming here would drop them.
        h2.emit("connection", socket);
      } else {
        h1InFlight.set(socket, 0);
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", route);
  });

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        listener.once("error", reject);
        listener.listen(port, host, () => {
          listener.off("error", reject);
          resolve((listener.address() as net.AddressInfo).port);
        });
      });
    },
    async close(graceMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => {
        allClosed = resolve;
        if (sockets.size === 0) resolve();
      });
      listener.close();
      for (const session of sessions) session.close();
      for (const socket of unrouted) socket.destroy();
      for (const [socket, inFlight] of h1InFlight) if (inFlight === 0) socket.end();
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      });
      const timedOut = await Promise.race([closed.then(() => false), graceOver]);
      clearTimeout(timer);
      if (timedOut) {
        for (const socket of sockets) socket.destroy();
        await closed;
      }
    },
  };
}
