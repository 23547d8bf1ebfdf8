import type { AddressInfo } from "node:net";
import { createTCPServer, createUDPServer, Packet } from "dns2";

// An authoritative DNS server on 127.0.0.1 (UDP and TCP on one port) holding the records a domain
// publishes, for "Check DNS". Point DNS_SERVERS at `address`. Unknown names answer NXDOMAIN; a
// known name without the asked type answers NOERROR with no answers (ENODATA).

export type RecordType = "TXT" | "A" | "MX" | "SRV" | "CNAME";

export interface TestDns {
  /** `127.0.0.1:port`, as DNS_SERVERS takes it. */
  address: string;
  /** Replaces the records of one name and type. MX "10 host", SRV "prio weight port target". */
  set(name: string, type: RecordType, values: string[]): void;
  /** Publishes a zone as formatZone prints it (`name ttl IN type value` lines). */
  loadZone(zone: string): void;
  clear(): void;
  close(): Promise<void>;
}

/** The strings of a TXT value as written in a zone file: "a" "b" → ["a", "b"]. */
function parseTxt(value: string): string[] {
  const strings = [...value.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, "$1"));
  return strings.length ? strings : [value];
}

export async function startTestDns(): Promise<TestDns> {
  const zone = new Map<string, Map<RecordType, string[]>>();
  const key = (name: string) => name.toLowerCase().replace(/\.$/, "");
  const set = (name: string, type: RecordType, values: string[]) => {
    if (!zone.has(key(name))) zone.set(key(name), new Map());
    zone.get(key(name))!.set(type, values);
  };

  const handle = (request: Packet, send: (response: Packet) => Promise<unknown>) => {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    const [question] = request.questions;
    const records = zone.get(key(question.name));
    if (!records) {
      response.header.rcode = 3; // NXDOMAIN
      void send(response);
      return;
    }
    const base = { name: question.name, class: Packet.CLASS.IN, ttl: 60 };
    const push = (record: object) => (response.answers as object[]).push(record);
    const cname = records.get("CNAME");
    if (cname && question.type !== Packet.TYPE.CNAME) {
      // RFC 1034 §3.6.2: a CNAME answers every type.
      push({ ...base, type: Packet.TYPE.CNAME, domain: cname[0].replace(/\.$/, "") });
      const target = zone.get(key(cname[0]));
      for (const v of (question.type === Packet.TYPE.A && target?.get("A")) || []) {
        push({ name: cname[0].replace(/\.$/, ""), class: Packet.CLASS.IN, ttl: 60, type: Packet.TYPE.A, address: v });
      }
      void send(response);
      return;
    }
    for (const [type, values] of records) {
      if (Packet.TYPE[type] !== question.type) continue;
      for (const v of values) {
        if (type === "TXT") push({ ...base, type: Packet.TYPE.TXT, data: parseTxt(v) });
        else if (type === "A") push({ ...base, type: Packet.TYPE.A, address: v });
        else if (type === "CNAME") push({ ...base, type: Packet.TYPE.CNAME, domain: v.replace(/\.$/, "") });
        else if (type === "MX") {
          const [priority, exchange] = v.split(/\s+/);
          push({ ...base, type: Packet.TYPE.MX, priority: Number(priority), exchange: exchange.replace(/\.$/, "") });
        } else if (type === "SRV") {
          const [priority, weight, port, target] = v.split(/\s+/);
          push({ ...base, type: Packet.TYPE.SRV, priority: Number(priority), weight: Number(weight), port: Number(port), target: target.replace(/\.$/, "") });
        }
      }
    }
    void send(response);
  };

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
      set,
      loadZone(text: string) {
        const grouped = new Map<string, { name: string; type: RecordType; values: string[] }>();
        for (const line of text.split("\n")) {
          if (!line.trim() || line.startsWith(";")) continue;
          const [name, , , type, ...rest] = line.split("\t");
          const k = `${key(name)} ${type}`;
          if (!grouped.has(k)) grouped.set(k, { name, type: type as RecordType, values: [] });
          grouped.get(k)!.values.push(rest.join("\t"));
        }
        for (const g of grouped.values()) set(g.name, g.type, g.values);
      },
      clear: () => zone.clear(),
      close: async () => {
        await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
      },
    };
  }
}
