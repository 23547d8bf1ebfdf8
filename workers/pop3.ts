import { verifyMailLogin } from "../lib/auth/mail-login.ts";
import type { Config } from "../lib/config.ts";
import { createPop3Server } from "../lib/pop3/server.ts";
import type { RunningServer } from "../lib/server-handle.ts";
import { getTlsMaterial } from "../lib/tls.ts";
import { isMain, runWorker } from "./run-worker.ts";

export async function startPop3Servers(config: Config, log: (line: string) => void = console.log): Promise<RunningServer> {
  const server = createPop3Server({
    config,
    tls: await getTlsMaterial(config),
    login: ({ email, password, ip }) => verifyMailLogin({ email, password, ip, protocol: "pop3" }),
    log,
  });
  const ports = [
    await server.listen(config.pop3Port, config.bindAddress, false),
    await server.listen(config.pop3sPort, config.bindAddress, true),
  ];
  return { name: "pop3", ports, close: () => server.close() };
}

if (isMain(import.meta.url)) runWorker("pop3", startPop3Servers);
