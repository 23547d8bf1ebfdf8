import { AppError } from "../errors.ts";

// Addresses as Pigeon stores them: lower-case, no trailing dot on the domain, plain dot-atom local
// parts only. Anything fancier (quoted strings, source routes, %-hacks, IP literals) is refused.

const LOCAL_PART = /^[a-z0-9!#$&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

export function normalizeDomain(input: string): string {
  const d = input.trim().toLowerCase().replace(/\.$/, "");
  if (!DOMAIN.test(d)) throw new AppError("INVALID", `invalid domain name: ${input}`);
  return d;
}

export function isValidDomain(input: string): boolean {
  return DOMAIN.test(input);
}

/** Splits and validates `local@domain`; throws INVALID for anything that is not a plain address. */
export function parseAddress(input: string): { local: string; domain: string; address: string } {
  const a = input.trim().toLowerCase();
  const at = a.lastIndexOf("@");
  if (at <= 0 || at > 64 || a.length > 254) throw new AppError("INVALID", `invalid address: ${input}`);
  const local = a.slice(0, at);
  const domainPart = a.slice(at + 1);
  if (!LOCAL_PART.test(local) || domainPart.endsWith(".") || !DOMAIN.test(domainPart)) {
    throw new AppError("INVALID", `invalid address: ${input}`);
  }
  return { local, domain: domainPart, address: `${local}@${domainPart}` };
}
