import { dkimSign } from "mailauth/lib/dkim/sign.js";

// DKIM signatures on outgoing mail (RFC 6376), made with mailauth: relaxed/relaxed, rsa-sha256,
// mailauth's default list of header fields. The signature is prepended; nothing else changes.

export interface DkimSigningKey {
  /** d= */
  domain: string;
  /** s= */
  selector: string;
  /** PKCS#8 PEM. */
  privateKey: string;
}

/** The message with a DKIM-Signature field prepended. Throws when mailauth reports an error. */
export async function signMessage(raw: Buffer, key: DkimSigningKey, opts: { signTime?: Date } = {}): Promise<Buffer> {
  const entry = {
    signingDomain: key.domain,
    selector: key.selector,
    privateKey: key.privateKey,
    algorithm: "rsa-sha256",
    canonicalization: "relaxed/relaxed",
  };
  const result = await dkimSign(raw, { ...entry, signTime: opts.signTime ?? new Date(), signatureData: [entry] });
  if (result.errors?.length) throw new Error(`DKIM signing failed: ${result.errors.map((e) => e.message).join("; ")}`);
  if (!result.signatures.trim()) throw new Error("DKIM signing produced no signature");
  return Buffer.concat([Buffer.from(result.signatures, "latin1"), raw]);
}

/** The domain part of an address, lower-cased; "" for none. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1).toLowerCase().replace(/\.$/, "");
}
