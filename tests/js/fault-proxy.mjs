// A TCP proxy for fault tests: relays bytes between the bridge and Dovecot, and can
// cut every connection on demand or when the client sends a matching line.
// Only for faults a real server will not produce on demand; the server is real.
import net from "node:net";

/**
 * @param {number} targetPort Dovecot's port on 127.0.0.1
 * @returns {Promise<{port: number, dropAll: () => void, cutWhenClientSends: (pattern: RegExp) => Promise<string>, close: () => Promise<void>}>}
 */
export function startFaultProxy(targetPort) {
  const pairs = new Set();
  let trigger = null;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    const pair = { client, upstream };
    pairs.add(pair);
    let line = "";
    client.on("data", (chunk) => {
      if (trigger) {
        line += chunk.toString("latin1");
        const match = line.split("\r\n").find((text) => trigger.pattern.test(text));
        if (match) {
          const { resolve } = trigger;
          trigger = null;
          // Cut before the matching command reaches the server.
          client.destroy();
          upstream.destroy();
          resolve(match);
          return;
        }
        line = line.slice(line.lastIndexOf("\r\n") + 2);
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: server.address().port,
        dropAll() {
          for (const { client, upstream } of pairs) {
            client.destroy();
            upstream.destroy();
          }
        },
        cutWhenClientSends(pattern) {
          return new Promise((resolveCut) => {
            trigger = { pattern, resolve: resolveCut };
          });
        },
        close() {
          this.dropAll();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}
