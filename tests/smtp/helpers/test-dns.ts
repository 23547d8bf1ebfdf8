import type { AddressInfo } from "node:net";
import { createTCPServer, createUDPServer, Packet } from "dns2";

// A small authoritative DNS server on 127.0.0.1 (UDP and TCP on one port) for the records SPF,
// DKIM and DMARC checks look up. Point DNS_SERVERS at `address`. Unknown names answer NXDOMAIN.

type RecordType = "TXT" | "A" | "PTR" | "MX";

export interface TestDns {
  /** `127.0.0.1:port`, as DNS_SERVERS takes it. */
  address: string;
  port: number;
  /** Replaces the records of one name and type; TXT values longer than 255 bytes are split. */
  set(name: string, type: RecordType, values: string[]): void;
  /** Number of queries answered so far. */
  queries(): number;
  close(): Promise<void>;
}

function splitTxt(value: string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(value.slice(i, i + 255));
  return parts.length ? parts : [""];
}

export async function startTestDns(initial: Record<string, Partial<Record<RecordType, string[]>>> = {}): Promise<TestDns> {
  const zone = new Map<string, Map<RecordType, string[]>>();
  const set = (name: string, type: RecordType, values: string[]) => {
    const key = name.toLowerCase().replace(/\.$/, "");
    if (!zone.has(key)) zone.set(key, new Map());
    zone.get(key)!.set(type, values);
  };
  for (const [name, types] of Object.entries(initial)) for (const [t, v] of Object.entries(types)) set(name, t as RecordType, v!);
  let count = 0;

  const handle = (request: Packet, send: (response: Packet) => Promise<unknown>) => {
    count++;
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    const [question] = request.questions;
    const records = zone.get(question.name.toLowerCase().replace(/\.$/, ""));
    if (!records) {
      response.header.rcode = 3; // NXDOMAIN
      void send(response);
      return;
    }
    const base = { name: question.name, class: Packet.CLASS.IN, ttl: 60 };
    const push = (record: object) => (response.answers as object[]).push(record);
    for (const [type, values] of records) {
      if (Packet.TYPE[type] !== question.type) continue;
      for (const v of values) {
        if (type === "TXT") push({ ...base, type: Packet.TYPE.TXT, data: splitTxt(v) });
        else if (type === "A") push({ ...base, type: Packet.TYPE.A, address: v });
        else if (type === "PTR") push({ ...base, type: Packet.TYPE.PTR, domain: v });
        else if (type === "MX") {
          const [priority, exchange] = v.split(/\s+/);
          push({ ...base, type: Packet.TYPE.MX, priority: Number(priority), exchange });
        }
      }
    }
    void send(response);
  };

  // UDP on a free port, then TCP on the same one (retried if that port is taken for TCP).
  for (let attempt = 0; ; attempt++) {
    const udp = createUDPServer(handle as never);
    udp.on("requestError", () => undefined);
    await udp.listen(0, "127.0.0.1");
    const port = (udp.address() as AddressInfo).port;
    const tcp = createTCPServer(handle as never);
    tcp.on("requestError", () => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(port, "127.0.0.1");
        tcp.once("listening", () => resolve());
      });
    } catch (err) {
      udp.close();
      if (attempt >= 5) throw err;
      continue;
    }
    return {
      address: `127.0.0.1:${port}`,
      port,
      set,
      queries: () => count,
      close: async () => {
        await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
      },
    };
  }
}
