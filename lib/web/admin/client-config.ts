import { getMtaStsPolicy } from "../../accounts/domains.ts";
import { autoconfigXml, autodiscoverErrorXml, autodiscoverXml, findHostedDomain, parseAutodiscoverRequest } from "../../admin/client-config.ts";
import { getConfig } from "../../config.ts";

// Route handlers for mail client set-up, shared by the several paths clients try. None needs a
// session: clients ask before they have one.

const XML = "application/xml; charset=utf-8";

function requestHost(req: Request): string | null {
  return req.headers.get("x-forwarded-host")?.split(",")[0].trim() ?? req.headers.get("host");
}

/** Thunderbird: GET …/mail/config-v1.1.xml?emailaddress=user@domain (or at autoconfig.DOMAIN). */
export async function handleAutoconfig(req: Request): Promise<Response> {
  const email = new URL(req.url).searchParams.get("emailaddress");
  const domain = await findHostedDomain({ emailAddress: email, host: email ? null : requestHost(req) });
  if (!domain) {
    return new Response("No mail domain hosted here for this address. Ask with ?emailaddress=you@your.domain\n", {
      status: 404,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  }
  return new Response(autoconfigXml({ domain }), { headers: { "content-type": XML, "cache-control": "no-cache" } });
}

const MAX_AUTODISCOVER_BODY = 64 * 1024;

/** Outlook: POST /autodiscover/autodiscover.xml with a POX request; JSON v2 points back at it. */
export async function handleAutodiscover(req: Request, file: string): Promise<Response> {
  const name = file.toLowerCase();
  const headers = { "content-type": "text/xml; charset=utf-8", "cache-control": "no-store" };
  if (name === "autodiscover.json") {
    // Outlook's AutodiscoverV2 asks where the v1 (POX) service is.
    return Response.json({ Protocol: "AutodiscoverV1", Url: `${getConfig().publicUrl}/autodiscover/autodiscover.xml` });
  }
  if (name !== "autodiscover.xml") return new Response("Not found\n", { status: 404 });
  if (req.method !== "POST") return new Response(autodiscoverErrorXml(), { headers });
  if (Number(req.headers.get("content-length") ?? 0) > MAX_AUTODISCOVER_BODY) return new Response("Request too large\n", { status: 413 });
  const body = (await req.text()).slice(0, MAX_AUTODISCOVER_BODY);
  const email = parseAutodiscoverRequest(body);
  const domain = email ? await findHostedDomain({ emailAddress: email }) : null;
  if (!email || !domain) return new Response(autodiscoverErrorXml(), { headers });
  return new Response(autodiscoverXml({ email: email.toLowerCase() }), { headers });
}

/** RFC 8461 §3.3: the policy at https://mta-sts.DOMAIN/.well-known/mta-sts.txt. */
export async function handleMtaStsPolicy(req: Request): Promise<Response> {
  const host = (requestHost(req) ?? "").toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  const domain = host.startsWith("mta-sts.") ? host.slice("mta-sts.".length) : new URL(req.url).searchParams.get("domain");
  const policy = domain ? await getMtaStsPolicy({ domain }) : null;
  if (!policy) return new Response("No MTA-STS policy here\n", { status: 404, headers: { "content-type": "text/plain" } });
  return new Response(policy.text, { headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "max-age=3600" } });
}
