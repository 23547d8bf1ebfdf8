import { createHash } from "node:crypto";
import { isValidDomain, parseAddress } from "../accounts/addresses.ts";
import { type ClientEndpoint, getClientSettings } from "../accounts/client-settings.ts";
import { getDb } from "../db/client.ts";

// Mail client set-up documents, all from getClientSettings() (MAIL_HOSTNAME and the public ports):
//   Thunderbird autoconfig  https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat
//   Outlook autodiscover    [MS-OXDSCLI] POX, response schema outlook/responseschema/2006a
//   Apple .mobileconfig     Configuration Profile Reference, com.apple.mail.managed payload
// Nothing here reveals whether a user exists: only whether a domain is hosted (which its MX says).

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);
}

/** The hosted domain named by an address, or by a host like autoconfig.DOMAIN; null when not hosted. */
export async function findHostedDomain(input: { emailAddress?: string | null; host?: string | null }): Promise<string | null> {
  let candidate: string | null = null;
  if (input.emailAddress) {
    try {
      candidate = parseAddress(input.emailAddress).domain;
    } catch {
      return null;
    }
  } else if (input.host) {
    const h = input.host.toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
    const m = /^(?:autoconfig|autodiscover)\.(.+)$/.exec(h);
    candidate = m ? m[1] : null;
  }
  if (!candidate || !isValidDomain(candidate)) return null;
  const d = await getDb().domain.findUnique({ where: { name: candidate }, select: { name: true } });
  return d?.name ?? null;
}

const SOCKET_TYPE = { tls: "SSL", starttls: "STARTTLS" } as const;

function tbServer(tag: "incomingServer" | "outgoingServer", e: ClientEndpoint): string {
  return [
    `    <${tag} type="${e.protocol}">`,
    `      <hostname>${escapeXml(e.hostname)}</hostname>`,
    `      <port>${e.port}</port>`,
    `      <socketType>${SOCKET_TYPE[e.security]}</socketType>`,
    `      <authentication>password-cleartext</authentication>`,
    `      <username>%EMAILADDRESS%</username>`,
    `    </${tag}>`,
  ].join("\n");
}

/** Thunderbird's config-v1.1.xml for `domain` (implicit TLS first: RFC 8314 §3 prefers it). */
export function autoconfigXml(input: { domain: string }): string {
  const s = getClientSettings();
  const d = escapeXml(input.domain);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<clientConfig version="1.1">`,
    `  <emailProvider id="${d}">`,
    `    <domain>${d}</domain>`,
    `    <displayName>${d} (Pigeon)</displayName>`,
    `    <displayShortName>${d}</displayShortName>`,
    tbServer("incomingServer", s.imaps),
    tbServer("incomingServer", s.imap),
    tbServer("incomingServer", s.pop3s),
    tbServer("incomingServer", s.pop3),
    tbServer("outgoingServer", s.smtps),
    tbServer("outgoingServer", s.submission),
    `  </emailProvider>`,
    `</clientConfig>`,
    ``,
  ].join("\n");
}

/** The <EMailAddress> of an Outlook POX autodiscover request, or null. */
export function parseAutodiscoverRequest(body: string): string | null {
  const m = /<(?:[\w-]+:)?EMailAddress\s*>\s*([^<\s]{3,320})\s*<\/(?:[\w-]+:)?EMailAddress\s*>/i.exec(body.slice(0, 64 * 1024));
  return m ? m[1] : null;
}

function adProtocol(type: "IMAP" | "POP3" | "SMTP", e: ClientEndpoint, login: string): string {
  return [
    `      <Protocol>`,
    `        <Type>${type}</Type>`,
    `        <Server>${escapeXml(e.hostname)}</Server>`,
    `        <Port>${e.port}</Port>`,
    `        <DomainRequired>off</DomainRequired>`,
    `        <LoginName>${escapeXml(login)}</LoginName>`,
    `        <SPA>off</SPA>`,
    e.security === "tls" ? `        <SSL>on</SSL>` : `        <Encryption>TLS</Encryption>`,
    `        <AuthRequired>on</AuthRequired>`,
    ...(type === "SMTP" ? [`        <UsePOPAuth>on</UsePOPAuth>`, `        <SMTPLast>off</SMTPLast>`] : []),
    `      </Protocol>`,
  ].join("\n");
}

export function autodiscoverXml(input: { email: string }): string {
  const s = getClientSettings();
  return [
    `<?xml version="1.0" encoding="utf-8"?>`,
    `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">`,
    `  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">`,
    `    <Account>`,
    `      <AccountType>email</AccountType>`,
    `      <Action>settings</Action>`,
    adProtocol("IMAP", s.imaps, input.email),
    adProtocol("POP3", s.pop3s, input.email),
    adProtocol("SMTP", s.smtps, input.email),
    `    </Account>`,
    `  </Response>`,
    `</Autodiscover>`,
    ``,
  ].join("\n");
}

/** [MS-OXDSCLI] error 600 "Invalid Request": no address, or a domain not hosted here. */
export function autodiscoverErrorXml(): string {
  const now = new Date().toISOString().slice(11, 19);
  return [
    `<?xml version="1.0" encoding="utf-8"?>`,
    `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">`,
    `  <Response>`,
    `    <Error Time="${now}" Id="1">`,
    `      <ErrorCode>600</ErrorCode>`,
    `      <Message>Invalid Request</Message>`,
    `      <DebugData />`,
    `    </Error>`,
    `  </Response>`,
    `</Autodiscover>`,
    ``,
  ].join("\n");
}

/** A stable UUID from a name, so that installing the profile again replaces the old one. */
function nameUuid(name: string): string {
  const h = createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}

const plistString = (key: string, value: string) => `      <key>${key}</key>\n      <string>${escapeXml(value)}</string>`;
const plistInt = (key: string, value: number) => `      <key>${key}</key>\n      <integer>${value}</integer>`;
const plistBool = (key: string, value: boolean) => `      <key>${key}</key>\n      <${value}/>`;

/** An unsigned Apple configuration profile with one IMAP account; the password is asked on install. */
export function mobileconfigXml(input: { email: string; displayName?: string }): string {
  const s = getClientSettings();
  const email = input.email;
  const reverseHost = s.hostname.split(".").reverse().join(".");
  const id = `${reverseHost}.pigeon.${createHash("sha256").update(email).digest("hex").slice(0, 16)}`;
  const account = [
    `    <dict>`,
    plistString("EmailAccountDescription", email),
    plistString("EmailAccountName", input.displayName || email),
    plistString("EmailAccountType", "EmailTypeIMAP"),
    plistString("EmailAddress", email),
    plistString("IncomingMailServerAuthentication", "EmailAuthPassword"),
    plistString("IncomingMailServerHostName", s.imaps.hostname),
    plistInt("IncomingMailServerPortNumber", s.imaps.port),
    plistBool("IncomingMailServerUseSSL", true),
    plistString("IncomingMailServerUsername", email),
    plistString("OutgoingMailServerAuthentication", "EmailAuthPassword"),
    plistString("OutgoingMailServerHostName", s.smtps.hostname),
    plistInt("OutgoingMailServerPortNumber", s.smtps.port),
    plistBool("OutgoingMailServerUseSSL", true),
    plistString("OutgoingMailServerUsername", email),
    plistBool("OutgoingPasswordSameAsIncomingPassword", true),
    plistString("PayloadDescription", `Mail account ${email}`),
    plistString("PayloadDisplayName", `IMAP account (${email})`),
    plistString("PayloadIdentifier", `${id}.email`),
    plistString("PayloadType", "com.apple.mail.managed"),
    plistString("PayloadUUID", nameUuid(`${id}.email`)),
    plistInt("PayloadVersion", 1),
    plistBool("PreventAppSheet", false),
    plistBool("PreventMove", false),
    plistBool("SMIMEEnabled", false),
    `    </dict>`,
  ].join("\n");
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">`,
    `<plist version="1.0">`,
    `  <dict>`,
    `    <key>PayloadContent</key>`,
    `    <array>`,
    account,
    `    </array>`,
    plistString("PayloadDescription", `Sets up ${email} in Mail (IMAP and SMTP over TLS).`).replace(/^ {6}/gm, "    "),
    plistString("PayloadDisplayName", `Mail: ${email}`).replace(/^ {6}/gm, "    "),
    plistString("PayloadIdentifier", id).replace(/^ {6}/gm, "    "),
    plistBool("PayloadRemovalDisallowed", false).replace(/^ {6}/gm, "    "),
    plistString("PayloadType", "Configuration").replace(/^ {6}/gm, "    "),
    plistString("PayloadUUID", nameUuid(id)).replace(/^ {6}/gm, "    "),
    plistInt("PayloadVersion", 1).replace(/^ {6}/gm, "    "),
    `  </dict>`,
    `</plist>`,
    ``,
  ].join("\n");
}

/** The display name for the profile of a signed-in user. */
export async function getProfileIdentity(input: { userId: number }): Promise<{ email: string; displayName: string }> {
  const u = await getDb().user.findUniqueOrThrow({ where: { id: input.userId }, select: { email: true, displayName: true } });
  return u;
}
