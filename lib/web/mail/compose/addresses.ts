import addressparser from "nodemailer/lib/addressparser/index.js";
import { z } from "zod";
import { parseAddress } from "../../../accounts/addresses.ts";
import { AppError } from "../../../errors.ts";

// Recipients as the compose window holds them: a display name and an address, checked with the
// same rules the queue applies (plain dot-atom local parts; the queue refuses anything else).

export interface Recipient {
  name: string;
  address: string;
}

export const recipientSchema = z.object({
  name: z.string().max(200).default(""),
  address: z.string().trim().min(3).max(254),
});

export const recipientListSchema = z.array(recipientSchema).max(100).default([]);

/** Checks and normalises one recipient (domain lower-cased; the name without line breaks). */
export function checkRecipient(r: Recipient): Recipient {
  let address: string;
  try {
    address = parseAddress(r.address).address;
  } catch {
    throw new AppError("INVALID", `“${r.address}” is not an email address.`);
  }
  return { name: r.name.replace(/[\r\n\t]+/g, " ").trim(), address };
}

/** "Name <a@b>, c@d" typed or pasted, as recipients (unparseable parts are left out). */
export function parseRecipientText(text: string): Recipient[] {
  const out: Recipient[] = [];
  for (const a of addressparser(text, { flatten: true })) {
    if (a.address) out.push({ name: a.name ?? "", address: a.address });
  }
  return out;
}

export function formatRecipient(r: Recipient): string {
  return r.name ? `${r.name} <${r.address}>` : r.address;
}

/** Addresses of all recipients, deduplicated without regard to case. */
export function envelopeRecipients(...lists: Recipient[][]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of lists.flat()) {
    const key = r.address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r.address);
  }
  return out;
}
