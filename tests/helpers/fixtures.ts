import { addDomain } from "../../lib/accounts/domains.ts";
import { addUser } from "../../lib/accounts/users.ts";

export function rawMessage(opts: { from?: string; to?: string; subject?: string; body?: string; messageId?: string; headers?: string[] } = {}): Buffer {
  const lines = [
    `From: ${opts.from ?? "Sender <sender@remote.example>"}`,
    `To: ${opts.to ?? "alice@example.test"}`,
    `Subject: ${opts.subject ?? "Hello"}`,
    `Date: Tue, 03 Feb 2026 10:00:00 +0000`,
    `Message-ID: ${opts.messageId ?? `<${Math.random().toString(36).slice(2)}@remote.example>`}`,
    ...(opts.headers ?? []),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    opts.body ?? "Hello Alice,\nthis is a test.",
    "",
  ];
  return Buffer.from(lines.join("\n").replace(/\r?\n/g, "\r\n"));
}

let domainCounter = 0;

/** A fresh domain with the named users (password "correct horse"). */
export async function seedUsers(names: string[], opts: { quotaBytes?: number } = {}) {
  const domain = `d${++domainCounter}-${Math.random().toString(36).slice(2, 8)}.test`;
  await addDomain({ name: domain });
  const users: Record<string, { id: number; email: string }> = {};
  for (const n of names) users[n] = await addUser({ email: `${n}@${domain}`, password: "correct horse", quotaBytes: opts.quotaBytes });
  return { domain, users };
}
