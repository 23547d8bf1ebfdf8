import type { AddressInfo } from "node:net";
import { createTCPServer, createUDPServer, Packet, type TCPServer, type UDPServer } from "dns2";

// An authoritative DNS server on 127.0.0.1 (UDP and TCP on one port) for the names a test
// publishes: what SPF, DKIM and DMARC checks, MX lookups and "Check DNS" ask for. Point
// DNS_SERVERS at `address`. Unknown names answer NXDOMAIN; a known name without the asked type
// answers NOERROR with no answers (NODATA); a name marked with `servfail` answers SERVFAIL.

export type RecordType = "A" | "AAAA" | "MX" | "TXT" | "PTR" | "SRV" | "CNAME";

/**
 * The records of one name, each value as a zone file writes it: A "192.0.2.1", AAAA "2001:db8::1",
 * MX "10 mx.example." ("0 ." is a null MX), SRV "priority weight port target", PTR and CNAME a
 * name. A TXT value is either the text itself, sent as strings of at most 255 bytes (RFC 1035
 * §3.3.14), or quoted strings as in a zone file (`"v=DKIM1; …" "…"`), sent as written.
 */
export type DnsRecords = Partial<Record<RecordType, string[]>>;

export interface TestDns {
  /** `127.0.0.1:port`, as DNS_SERVERS takes it. */
  address: string;
  port: number;
  /** Replaces the records of the types given for one name; other types of the name stay. */
  set(name: string, records: DnsRecords): void;
  /** Publishes a zone as formatZone prints it (`name ttl IN type value` lines, tab-separated). */
  loadZone(zone: string): void;
  /** Answers SERVFAIL to every query for this name from now on. */
  servfail(name: string): void;
  /** Forgets every name. */
  clear(): void;
  /** The questions answered so far, names lower-cased without the trailing dot. */
  queries: { name: string; type: string }[];
  close(): Promise<void>;
}

const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;

const key = (name: string) => name.toLowerCase().replace(/\.$/, "");
const bare = (name: string) => name.replace(/\.$/, "");

/** TXT character-strings: quoted ones as written, plain text cut every 255 bytes. */
function txtStrings(value: string): (string | Buffer)[] {
  if (value.startsWith('"')) return [...value.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, "$1"));
  const bytes = Buffer.from(value);
  const strings: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) strings.push(bytes.subarray(i, i + 255));
  return strings.length ? strings : [""];
}

/** One resource record of `type` for `value` (zone-file form), owned by `name`. */
function resource(name: string, type: RecordType, value: string): object {
  const base = { name, class: Packet.CLASS.IN, ttl: 60, type: Packet.TYPE[type] };
  const fields = value.trim().split(/\s+/);
  switch (type) {
    case "A":
    case "AAAA":
      return { ...base, address: value };
    case "PTR":
    case "CNAME":
      return { ...base, domain: bare(value) };
    case "TXT":
      return { ...base, data: txtStrings(value) };
    case "MX":
      return { ...base, priority: Number(fields[0]), exchange: bare(fields[1] ?? "") };
    case "SRV":
      return { ...base, priority: Number(fields[0]), weight: Number(fields[1]), port: Number(fields[2]), target: bare(fields[3]) };
  }
}

export async function startTestDns(initial: Record<string, DnsRecords> = {}): Promise<TestDns> {
  const zone = new Map<string, Map<RecordType, string[]>>();
  const failing = new Set<string>();
  const queries: { name: string; type: string }[] = [];
  const typeName = new Map<number, string>(Object.entries(Packet.TYPE).map(([name, code]) => [code, name]));

  const set = (name: string, records: DnsRecords) => {
    if (!zone.has(key(name))) zone.set(key(name), new Map());
    for (const [type, values] of Object.entries(records)) zone.get(key(name))!.set(type as RecordType, values);
  };
  for (const [name, records] of Object.entries(initial)) set(name, records);

  const handle = (request: Packet, send: (response: Packet) => Promise<unknown>) => {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    const [question] = request.questions;
    const name = key(question.name);
    queries.push({ name, type: typeName.get(question.type) ?? String(question.type) });
    const records = zone.get(name);
    const answers = response.answers as object[];
    if (failing.has(name)) response.header.rcode = RCODE_SERVFAIL;
    else if (!records) response.header.rcode = RCODE_NXDOMAIN;
    else if (records.get("CNAME")?.length && question.type !== Packet.TYPE.CNAME) {
      // RFC 1034 §3.6.2: a CNAME answers every type; the target's records follow when we hold them.
      const target = records.get("CNAME")![0];
      answers.push(resource(question.name, "CNAME", target));
      for (const [type, values] of zone.get(key(target)) ?? []) {
        if (Packet.TYPE[type] === question.type) for (const v of values) answers.push(resource(bare(target), type, v));
      }
    } else {
      for (const [type, values] of records) {
        if (Packet.TYPE[type] === question.type) for (const v of values) answers.push(resource(question.name, type, v));
      }
    }
    void send(response);
  };

  // UDP on a free port, then TCP (for answers too large for UDP) on the same number; another
  // process may hold that TCP port, so try again with a new one.
  let udp: UDPServer;
  let tcp: TCPServer;
  for (let attempt = 0; ; attempt++) {
    udp = createUDPServer(handle as never);
    udp.on("requestError", () => undefined);
    await udp.listen(0, "127.0.0.1");
    const udpPort = (udp.address() as AddressInfo).port;
    tcp = createTCPServer(handle as never);
    tcp.on("requestError", () => undefined);
    const listening = await new Promise<boolean>((resolve, reject) => {
      tcp.once("error", (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" && attempt < 20 ? resolve(false) : reject(err)));
      tcp.listen(udpPort, "127.0.0.1");
      tcp.once("listening", () => resolve(true));
    });
    if (listening) break;
    await new Promise<void>((resolve) => udp.close(() => resolve()));
  }
  const port = (udp.address() as AddressInfo).port;

  return {
    address: `127.0.0.1:${port}`,
    port,
    set,
    loadZone(text) {
      const grouped = new Map<string, { name: string; type: RecordType; values: string[] }>();
      for (const line of text.split("\n")) {
        if (!line.trim() || line.startsWith(";")) continue;
        const [name, , , type, ...rest] = line.split("\t");
        const k = `${key(name)} ${type}`;
        if (!grouped.has(k)) grouped.set(k, { name, type: type as RecordType, values: [] });
        grouped.get(k)!.values.push(rest.join("\t"));
      }
      for (const g of grouped.values()) set(g.name, { [g.type]: g.values });
    },
    servfail: (name) => void failing.add(key(name)),
    clear: () => {
      zone.clear();
      failing.clear();
    },
    queries,
    close: async () => {
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
