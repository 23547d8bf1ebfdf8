import net from "node:net";
import type { RunningServer } from "./server-handle.ts";

// Holds a protocol's ports until its server is built: greets, says it is unavailable, closes.
export async function startPlaceholderServer(opts: {
  name: string;
  host: string;
  ports: number[];
  greeting: string;
  log?: (line: string) => void;
}): Promise<RunningServer> {
  const servers: net.Server[] = [];
  const bound: number[] = [];
  for (const port of opts.ports) {
    const srv = net.createServer((socket) => {
      socket.on("error", () => undefined);
      socket.end(opts.greeting + "\r\n");
    });
    await new Promise<void>((resolve, reject) => {
      srv.once("error", reject);
      srv.listen(port, opts.host, () => resolve());
    });
    bound.push((srv.address() as net.AddressInfo).port);
    servers.push(srv);
  }
  opts.log?.(`${opts.name}: not built yet; holding ports ${bound.join(", ")}`);
  return {
    name: opts.name,
    ports: bound,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
