import dns2 from "dns2";

// A small authoritative DNS server on 127.0.0.1 (UDP and TCP on one port) for the names the tests
// publish. Unknown names are NXDOMAIN; a known name without the asked type is NODATA.

const { Packet } = dns2;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;

export interface ZoneEntry {
  MX?: { exchange: string; priority: number }[];
  A?: string[];
  AAAA?: string[];
  TXT?: string[];
  /** Answer SERVFAIL for every query of this name. */
  servfail?: boolean;
}

export interface FakeDns {
  port: number;
  server: string;
  zone: Map<string, ZoneEntry>;
  set(name: string, entry: ZoneEntry): void;
  queries: { name: string; type: number }[];
  close(): Promise<void>;
}

/** TXT character-strings are at most 255 octets (RFC 1035 §3.3.14): long values are split. */
function chunks(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 255) out.push(value.slice(i, i + 255));
  return out.length ? out : [""];
}

export async function startFakeDns(): Promise<FakeDns> {
  const zone = new Map<string, ZoneEntry>();
  const queries: { name: string; type: number }[] = [];
  const handle = (request: dns2.Packet, send: (response: dns2.Packet) => Promise<Buffer>) => {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    const [q] = request.questions;
    const name = q.name.toLowerCase().replace(/\.$/, "");
    queries.push({ name, type: q.type });
    const entry = zone.get(name);
    if (!entry) {
      response.header.rcode = RCODE_NXDOMAIN;
      void send(response);
      return;
    }
    if (entry.servfail) {
      response.header.rcode = RCODE_SERVFAIL;
      void send(response);
      return;
    }
    const base = { name: q.name, class: Packet.CLASS.IN, ttl: 60 };
    const answers = response.answers as unknown as object[];
    if (q.type === Packet.TYPE.MX) for (const mx of entry.MX ?? []) answers.push({ ...base, type: Packet.TYPE.MX, exchange: mx.exchange, priority: mx.priority });
    if (q.type === Packet.TYPE.A) for (const address of entry.A ?? []) answers.push({ ...base, type: Packet.TYPE.A, address });
    if (q.type === Packet.TYPE.AAAA) for (const address of entry.AAAA ?? []) answers.push({ ...base, type: Packet.TYPE.AAAA, address });
    if (q.type === Packet.TYPE.TXT) for (const t of entry.TXT ?? []) answers.push({ ...base, type: Packet.TYPE.TXT, data: chunks(t) });
    void send(response);
  };
  // UDP on a free port, then TCP on the same number; another process may hold that TCP port, so
  // try again with a new one.
  let udp = dns2.createUDPServer(handle);
  let tcp = dns2.createTCPServer(handle);
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    udp = dns2.createUDPServer(handle);
    await udp.listen(0, "127.0.0.1");
    port = (udp.address() as { port: number }).port;
    // TCP for answers too large for UDP (c-ares retries over TCP when truncated).
    tcp = dns2.createTCPServer(handle);
    const ok = await new Promise<boolean>((resolve, reject) => {
      tcp.once("error", (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" && attempt < 20 ? resolve(false) : reject(err)));
      tcp.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (ok) break;
    await new Promise<void>((resolve) => udp.close(() => resolve()));
  }
  return {
    port,
    server: `127.0.0.1:${port}`,
    zone,
    queries,
    set: (name, entry) => zone.set(name.toLowerCase(), entry),
    close: async () => {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}
